"""Sandbox area: webhooks (being written)."""
