"""One Qt-free, typed port per tab of the window: what the tab reads and does (docs/architecture.md, "Areas (tabs)")."""
