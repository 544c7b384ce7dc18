"""Unit tests of the pure core layer (app/core)."""
