"""Per-server callbacks and runtime objects that domain code reaches through its ``Store``.

Domain functions receive the store of their server, so what they must call
back (event listeners, job handlers, cascades) or wake (background workers)
hangs off the store as one ``Hooks`` per server: two servers in one process
never see each other's. The callbacks take the store as their first argument;
it is typed ``Any`` here so that this module imports nothing of the sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# listener(store, sub_account_id, event_id, payload)
EventListener = Callable[[Any, str, str, dict[str, Any]], None]
# handler(store, payload)
JobHandler = Callable[[Any, dict[str, Any]], None]
# hook(store, sub_account_id, contact_id)
ContactDeletedHook = Callable[[Any, str, str], None]
# listener(store, kind, org_id, record)
ResearchedListener = Callable[[Any, str, str, dict[str, Any]], None]


@dataclass
class Hooks:
    """What the areas of one server registered, plus the objects they share at run time."""

    event_listeners: list[EventListener] = field(default_factory=list)
    job_handlers: dict[str, JobHandler] = field(default_factory=dict)
    contact_deleted: list[ContactDeletedHook] = field(default_factory=list)
    researched: list[ResearchedListener] = field(default_factory=list)
    # Background workers waiting for work, by area (webhook deliverers wait on these).
    wakers: dict[str, set[asyncio.Event]] = field(default_factory=dict)
    # Objects an area keeps for the server's lifetime (the Seamless demo database...).
    services: dict[str, Any] = field(default_factory=dict)

    def wake(self, area: str) -> None:
        """Wake every worker of ``area`` now rather than at its next poll."""
        for waker in self.wakers.get(area, ()):
            waker.set()

    def waiting(self, area: str) -> set[asyncio.Event]:
        """The set ``area``'s workers add their wake-up event to."""
        return self.wakers.setdefault(area, set())
