"""Per-partition sync bookkeeping: cursors, high-water marks, last full sync, inbox marks.

``SyncStateRepository`` is the raw JSON key/value store; ``SyncMarks`` names its
keys and types its values, and is what the rest of the app uses.
"""

from __future__ import annotations

import json
from enum import StrEnum
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


class SyncKind(StrEnum):
    """A list the sync walks as a whole (and keeps a high-water mark of)."""

    CONTACTS = "contacts"
    CONVERSATIONS = "conversations"


class InboxMap(StrEnum):
    """A per-conversation map the inbox keeps in the sync state (key: conversation id)."""

    SNOOZES = "inbox_snoozes"
    """Snooze wake-up times: ``{conversation id: epoch ms}``."""
    MARKED_UNREAD = "inbox_marked_unread"
    """Local unread marks: ``{conversation id: {"at": lastMessageAt, "was": unreadCount}}``
    (what the conversation looked like when it was marked)."""
    MARKED_READ = "inbox_marked_read"
    """Local read marks: ``{conversation id: {"at": lastMessageAt, "was": unreadCount}}``
    (the server's count that the 0 laid over the cached row hides)."""


_LAST_SUCCESS_KEY = "last_success_ms"
_INBOX_IDENTITY_KEY = "inbox_me"
_THREAD_CURSOR_PREFIX = "thread_cursor:"
_WEBHOOKS_PROBLEM_KEY = "webhooks_problem"
_WEBHOOKS_READ_KEY = "webhooks_read_ms"
_DEMO_WORKFLOWS_KEY = "webhooks_demo_workflows"


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


class SyncMarks:
    """Typed access to what a partition's sync state holds; the only place its keys are named.

    Reached as ``partition.marks``. Every key read or written by the sync, the inbox
    or the UI goes through a method here, so a key is spelled once.
    """

    def __init__(self, state: SyncStateRepository) -> None:
        """Read and write through ``state`` (the partition's key/value store)."""
        self._state = state

    # -- sync progress --------------------------------------------------------------------

    def last_success_ms(self) -> int | None:
        """When a sync request last succeeded (epoch ms), or None before the first one."""
        return _int_or_none(self._state.get_state(_LAST_SUCCESS_KEY))

    def set_last_success_ms(self, at_ms: int) -> None:
        """Record a successful sync request at ``at_ms``."""
        self._state.set_state(_LAST_SUCCESS_KEY, int(at_ms))

    def full_sync_ms(self, kind: SyncKind) -> int | None:
        """When the last complete walk of ``kind`` finished (epoch ms), or None: never synced."""
        return _int_or_none(self._state.get_state(f"{SyncKind(kind)}_full_ms"))

    def set_full_sync_ms(self, kind: SyncKind, at_ms: int) -> None:
        """Record a complete walk of ``kind`` finished at ``at_ms``."""
        self._state.set_state(f"{SyncKind(kind)}_full_ms", int(at_ms))

    def forget_full_sync(self, kind: SyncKind) -> bool:
        """Forget the complete walk of ``kind`` (the next sync starts from scratch);
        False when there was none."""
        return self._state.delete_state(f"{SyncKind(kind)}_full_ms")

    def high_water_mark(self, kind: SyncKind) -> str | None:
        """The newest ``updatedAt``/``lastMessageAt`` stored for ``kind``, or None."""
        value = self._state.get_state(f"{SyncKind(kind)}_hwm")
        return value if isinstance(value, str) else None

    def set_high_water_mark(self, kind: SyncKind, stamp: str) -> None:
        """Move the high-water mark of ``kind`` to ``stamp``."""
        self._state.set_state(f"{SyncKind(kind)}_hwm", stamp)

    def thread_cursor(self, conversation_id: str) -> str | None:
        """The server cursor of the next older page of a thread: None when the thread was
        never read, ``""`` when its start was reached."""
        value = self._state.get_state(f"{_THREAD_CURSOR_PREFIX}{conversation_id}")
        return value if isinstance(value, str) else None

    def set_thread_cursor(self, conversation_id: str, cursor: str | None) -> None:
        """Store the cursor of the next older page (None or ``""``: the start was reached)."""
        self._state.set_state(f"{_THREAD_CURSOR_PREFIX}{conversation_id}", cursor or "")

    # -- the inbox ----------------------------------------------------------------------

    def inbox_map(self, which: InboxMap) -> dict[str, Any]:
        """A copy of one of the inbox's per-conversation maps (empty when unset or unreadable)."""
        value = self._state.get_state(InboxMap(which), {})
        return dict(value) if isinstance(value, dict) else {}

    def set_inbox_map(self, which: InboxMap, value: dict[str, Any]) -> None:
        """Replace one of the inbox's per-conversation maps."""
        self._state.set_state(InboxMap(which), value)

    def snoozes(self) -> dict[str, int]:
        """Snooze wake-up times (conversation id → epoch ms); unreadable entries are left out."""
        wake = ((k, _int_or_none(v)) for k, v in self.inbox_map(InboxMap.SNOOZES).items())
        return {k: v for k, v in wake if v is not None}

    def inbox_identity(self) -> str | None:
        """The team member id the user said is theirs (the inbox's "Mine"), or None."""
        value = self._state.get_state(_INBOX_IDENTITY_KEY)
        return str(value) if value else None

    def set_inbox_identity(self, user_id: str | None) -> None:
        """Remember (or, with None or ``""``, forget) the user's team member id."""
        if user_id:
            self._state.set_state(_INBOX_IDENTITY_KEY, user_id)
        else:
            self._state.delete_state(_INBOX_IDENTITY_KEY)

    # -- webhooks -----------------------------------------------------------------------

    def webhooks_problem(self) -> str | None:
        """Why the subscriptions could not be read (a key without the permission), or None."""
        value = self._state.get_state(_WEBHOOKS_PROBLEM_KEY)
        return value if isinstance(value, str) and value else None

    def set_webhooks_problem(self, problem: str) -> None:
        """Record why the subscriptions could not be read."""
        self._state.set_state(_WEBHOOKS_PROBLEM_KEY, problem)

    def webhooks_read_ms(self) -> int | None:
        """When the subscriptions were last read from the server (epoch ms), or None."""
        return _int_or_none(self._state.get_state(_WEBHOOKS_READ_KEY))

    def set_webhooks_read(self, at_ms: int) -> None:
        """The subscriptions were read at ``at_ms`` (any earlier problem is over)."""
        self._state.set_state(_WEBHOOKS_READ_KEY, int(at_ms))
        self._state.delete_state(_WEBHOOKS_PROBLEM_KEY)

    def demo_workflows_added(self) -> bool:
        """Whether the demo's workflows were added to the kept list once already."""
        return bool(self._state.get_state(_DEMO_WORKFLOWS_KEY))

    def set_demo_workflows_added(self) -> None:
        """Remember that the demo's workflows were added (not again, even if removed)."""
        self._state.set_state(_DEMO_WORKFLOWS_KEY, True)
