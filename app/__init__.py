"""Seedly Desk: lead search and CRM sub-accounts on the desktop."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client (rich, click and pygments: 70-170 ms at start-up)
# whenever those happen to be installed, and falls back quietly when they are not. The app
# never runs that client, so the import is declined (None in sys.modules: ImportError).
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]
