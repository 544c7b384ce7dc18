"""Deferred work stored in SQLite (message status changes, webhook retries...).

Jobs survive a restart on the same data directory: the runner picks up
whatever became due while the server was down. Handlers are the
``job_handlers`` of the store's hooks, added by the areas when they register.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.sandbox.store import Store, dumps, loads

log = logging.getLogger(__name__)


def schedule(store: Store, delay_ms: int, kind: str, payload: dict[str, Any]) -> None:
    """Run ``kind`` with ``payload`` after ``delay_ms`` (inside the caller's transaction)."""
    store.run(
        "INSERT INTO jobs (due_ms, kind, payload) VALUES (?, ?, ?)",
        (store.clock.now_ms() + max(0, delay_ms), kind, dumps(payload)),
    )


def run_due(store: Store, limit: int = 200) -> int:
    """Run every job that is due; each in its own transaction. Returns how many ran."""
    rows = store.all(
        "SELECT id, kind, payload FROM jobs WHERE due_ms <= ? ORDER BY due_ms, id LIMIT ?",
        (store.clock.now_ms(), limit),
    )
    for row in rows:
        handler = store.hooks.job_handlers.get(row["kind"])
        try:
            with store.transaction():
                store.run("DELETE FROM jobs WHERE id = ?", (row["id"],))
                if handler is None:
                    log.warning("no handler for job kind %s; dropped", row["kind"])
                else:
                    handler(store, loads(row["payload"]))
        except Exception:
            log.exception("job %s (%s) failed; dropped", row["id"], row["kind"])
            with store.transaction():
                store.run("DELETE FROM jobs WHERE id = ?", (row["id"],))
    return len(rows)


async def runner(store: Store, interval: float = 0.1) -> None:
    """Background task: run due jobs until cancelled."""
    while True:
        try:
            run_due(store)
        except Exception:
            log.exception("job runner pass failed")
        await asyncio.sleep(interval)
