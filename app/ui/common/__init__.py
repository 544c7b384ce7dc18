"""Parts every tab shares: field editors and styles, time formats, file dialogs."""
