"""settings layer (see design.md)."""
