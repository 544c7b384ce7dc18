"""Seedly Desk: lead search and CRM sub-accounts on the desktop."""

__version__ = "0.1.0"
