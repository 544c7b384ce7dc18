"""services layer (see design.md)."""
