"""Sandbox area: calendars (being written)."""
