"""core layer (see design.md)."""
