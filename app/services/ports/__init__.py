"""One Qt-free, typed port per tab of the window: what the tab reads and does.

See docs/architecture.md, "Areas (tabs)".
"""
