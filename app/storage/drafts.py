"""Composer drafts, one per conversation, kept across restarts."""

from __future__ import annotations

from app.storage._base import PartitionRepository
from app.storage._codec import JSONDict, dumps, loads_dict


class DraftRepository(PartitionRepository):
    """Unsent composer state per conversation (body, subject, channel, … as a dict)."""

    def save_draft(self, conversation_id: str, data: JSONDict) -> None:
        """Store (or replace) the draft of a conversation."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (partition_id, conversation_id, data, updated_ms) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (partition_id, conversation_id) "
                "DO UPDATE SET data = excluded.data, updated_ms = excluded.updated_ms",
                (self._pid, conversation_id, dumps(data), self._db.now_ms()),
            )

    def draft(self, conversation_id: str) -> JSONDict | None:
        """The saved draft of a conversation, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT data FROM drafts WHERE partition_id = ? AND conversation_id = ?",
                (self._pid, conversation_id),
            ).fetchone()
        return None if row is None else loads_dict(row[0])

    def clear_draft(self, conversation_id: str) -> bool:
        """Forget the draft of a conversation; False when there was none."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM drafts WHERE partition_id = ? AND conversation_id = ?",
                (self._pid, conversation_id),
            )
            return cur.rowcount > 0

    def conversations_with_drafts(self) -> set[str]:
        """Ids of the conversations that have a draft (for a marker in the list)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT conversation_id FROM drafts WHERE partition_id = ?", (self._pid,)
            ).fetchall()
        return {r[0] for r in rows}
