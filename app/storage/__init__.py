"""storage layer (see design.md)."""
