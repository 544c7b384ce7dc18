"""Domain events: recorded in the store, then handed to listeners (webhooks, workflows).

``emit`` runs inside the caller's transaction, so an event exists exactly when
the change that caused it was committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.core.constants import WEBHOOK_EVENTS
from app.sandbox import clock
from app.sandbox.store import Store, dumps, new_id

log = logging.getLogger(__name__)

Listener = Callable[[Store, str, str, dict[str, Any]], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    """``listener(store, sub_account_id, event_id, payload)`` runs for every emitted event."""
    if listener not in _listeners:
        _listeners.append(listener)


def emit(store: Store, sub_account_id: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Record an event of the seed's list and notify listeners; returns the payload."""
    if name not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown event {name}")
    now = clock.now_ms()
    payload = {
        "event": name,
        "timestamp": clock.iso(now),
        "data": {"subAccountId": sub_account_id, **data},
    }
    event_id = new_id("evt")
    store.run(
        "INSERT INTO events (id, sub_account_id, name, body, created_ms) VALUES (?, ?, ?, ?, ?)",
        (event_id, sub_account_id, name, dumps(payload), now),
    )
    for listener in _listeners:
        listener(store, sub_account_id, event_id, payload)
    return payload
