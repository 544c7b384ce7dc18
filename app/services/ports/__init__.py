"""One Qt-free, typed port per area (tab) of the window: everything the tab reads and does."""
