"""ui layer (see design.md)."""
