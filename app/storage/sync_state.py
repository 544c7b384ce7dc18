"""Per-partition sync bookkeeping: cursors, high-water marks, last full sync."""

from __future__ import annotations

import json
from typing import Any

from app.storage._base import PartitionRepository
from app.storage._codec import dumps


class SyncStateRepository(PartitionRepository):
    """A small JSON key/value store scoped to one partition."""

    def get_state(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT value FROM sync_state WHERE partition_id = ? AND key = ?",
                (self._pid, key),
            ).fetchone()
        return default if row is None else json.loads(row[0])

    def set_state(self, key: str, value: Any) -> None:
        """Store ``value`` (anything JSON can encode) under ``key``."""
        encoded = dumps(value)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO sync_state (partition_id, key, value, updated_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (partition_id, key) DO UPDATE SET value = excluded.value, "
                "updated_ms = excluded.updated_ms",
                (self._pid, key, encoded, self._db.now_ms()),
            )

    def delete_state(self, key: str) -> bool:
        """Remove ``key``; False when it was not set."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM sync_state WHERE partition_id = ? AND key = ?", (self._pid, key)
            )
            return cur.rowcount > 0

    def state_keys(self) -> list[str]:
        """Every key set in this partition, sorted."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT key FROM sync_state WHERE partition_id = ? ORDER BY key", (self._pid,)
            ).fetchall()
        return [r[0] for r in rows]
