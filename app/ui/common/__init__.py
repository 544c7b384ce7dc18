"""Parts every tab shares: banners and empty states, the search field, form messages,
field editors and styles, time formats, the save dialog and the paged cache model."""
