"""Sandbox area: automation (being written)."""
