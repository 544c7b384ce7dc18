"""Domain events: recorded in the store, then handed to listeners (webhooks, workflows).

``emit`` runs inside the caller's transaction, so an event exists exactly when
the change that caused it was committed. Listeners are the ``event_listeners``
of the store's hooks, added by the areas when they register.
"""

from __future__ import annotations

import logging
from typing import Any

from app.core.constants import WEBHOOK_EVENTS
from app.sandbox.clock import iso
from app.sandbox.store import Store, dumps, new_id

log = logging.getLogger(__name__)


def emit(store: Store, sub_account_id: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Record an event of docs/api/seedly-crm.md §7's list and notify listeners; returns
    the payload."""
    if name not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown event {name}")
    now = store.clock.now_ms()
    payload = {
        "event": name,
        "timestamp": iso(now),
        "data": {"subAccountId": sub_account_id, **data},
    }
    event_id = new_id("evt")
    store.run(
        "INSERT INTO events (id, sub_account_id, name, body, created_ms) VALUES (?, ?, ?, ?, ?)",
        (event_id, sub_account_id, name, dumps(payload), now),
    )
    for listener in store.hooks.event_listeners:
        listener(store, sub_account_id, event_id, payload)
    return payload
