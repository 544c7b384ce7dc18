"""Sandbox area: conversations (being written)."""
