"""Webhook subscriptions of one partition, stored without their signing secrets.

The API shows a subscription's secret once (on create and on regenerate);
the app hands it to the user and must never keep it. Every key whose name
contains "secret" (any case, at any depth) is removed before a document
reaches SQL, so no secret can end up in the database file, its WAL or a
backup of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.storage._base import PartitionRepository
from app.storage._codec import JSONDict, dumps, loads_dict, require_id, to_ms


def strip_secrets(value: Any) -> Any:
    """A copy of ``value`` without any mapping key that contains "secret"."""
    if isinstance(value, dict):
        return {
            k: strip_secrets(v)
            for k, v in value.items()
            if not (isinstance(k, str) and "secret" in k.casefold())
        }
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


def _webhook_row(pid: int, doc: JSONDict) -> tuple[Any, ...]:
    clean: JSONDict = strip_secrets(doc)
    return (pid, require_id(clean, "webhook"), to_ms(clean.get("createdAt")), dumps(clean))


class WebhookRepository(PartitionRepository):
    """Cached webhook subscriptions (``GET /webhooks``), secrets never included."""

    def replace_webhooks(self, docs: Iterable[JSONDict]) -> None:
        """Replace every cached subscription with ``docs`` (secrets stripped)."""
        rows = [_webhook_row(self._pid, d) for d in docs]
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM webhooks WHERE partition_id = ?", (self._pid,))
            conn.executemany(
                "INSERT OR REPLACE INTO webhooks (partition_id, id, created_ms, doc) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )

    def upsert_webhook(self, doc: JSONDict) -> JSONDict:
        """Store one subscription (secrets stripped) and return what was stored."""
        row = _webhook_row(self._pid, doc)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO webhooks (partition_id, id, created_ms, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (partition_id, id) DO UPDATE SET "
                "created_ms = excluded.created_ms, doc = excluded.doc",
                row,
            )
        return loads_dict(row[3])

    def delete_webhook(self, webhook_id: str) -> bool:
        """Forget one subscription; False when it was not cached."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM webhooks WHERE partition_id = ? AND id = ?", (self._pid, webhook_id)
            )
            return cur.rowcount > 0

    def webhooks(self) -> list[JSONDict]:
        """Cached subscriptions, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT doc FROM webhooks WHERE partition_id = ? ORDER BY created_ms, id",
                (self._pid,),
            ).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def get_webhook(self, webhook_id: str) -> JSONDict | None:
        """One subscription, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT doc FROM webhooks WHERE partition_id = ? AND id = ?",
                (self._pid, webhook_id),
            ).fetchone()
        return None if row is None else loads_dict(row[0])
