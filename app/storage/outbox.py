"""The durable outbox: outgoing messages written to disk before they are sent.

Composing a message stores it here as ``queued`` under a client id chosen by
the app. A sender claims it (``sending``), and records what it learns:
``sent`` (with the server's message id), ``failed`` (with a reason), or
``unknown`` when the request may or may not have reached the server (a
timeout after sending, a crash). An ``unknown`` item must be reconciled —
look for the message in the conversation — before it may be sent again:
found → ``mark_sent``, not found → ``requeue``. This is what gives
exactly-once effect across timeouts and restarts.

State machine (every other move raises ``IllegalTransitionError``)::

    queued  --mark_sending/claim_next--> sending
    queued  --cancel--> cancelled
    sending --mark_sent--> sent          unknown --mark_sent--> sent
    sending --mark_failed--> failed      unknown --mark_failed--> failed
    sending --mark_unknown--> unknown    unknown --requeue--> queued
    sending --requeue--> queued   (known not to have reached the server)
    sent    --mark_status--> delivered | read | failed (failed/bounced)
    delivered --mark_status--> read | failed
    failed  --retry--> queued            failed --cancel--> cancelled

``sending`` rows found when the database is opened were left by a process
that died mid-request: ``Database.open`` turns them into ``unknown``.
Every transition is one atomic check-and-update in a transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.storage._base import PartitionRepository
from app.storage._codec import JSONDict, dumps, loads_dict
from app.storage.errors import (
    DuplicateClientIdError,
    IllegalTransitionError,
    OutboxItemNotFoundError,
)


class OutboxState(StrEnum):
    """Where an outgoing message is; the values are what the database stores."""

    QUEUED = "queued"
    SENDING = "sending"
    UNKNOWN = "unknown"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    CANCELLED = "cancelled"


_Q, _SENDING, _UNKNOWN = OutboxState.QUEUED, OutboxState.SENDING, OutboxState.UNKNOWN
_SENT, _DELIVERED, _READ = OutboxState.SENT, OutboxState.DELIVERED, OutboxState.READ
_FAILED, _CANCELLED = OutboxState.FAILED, OutboxState.CANCELLED

TRANSITIONS: Mapping[OutboxState, frozenset[OutboxState]] = {
    _Q: frozenset({_SENDING, _CANCELLED}),
    _SENDING: frozenset({_SENT, _FAILED, _UNKNOWN, _Q}),
    _UNKNOWN: frozenset({_SENT, _FAILED, _Q}),
    _SENT: frozenset({_DELIVERED, _READ, _FAILED}),
    _DELIVERED: frozenset({_READ, _FAILED}),
    _READ: frozenset(),
    _FAILED: frozenset({_Q, _CANCELLED}),
    _CANCELLED: frozenset(),
}
"""Every legal state change (the union of what the methods below allow)."""

PENDING_STATES: tuple[OutboxState, ...] = (_Q, _SENDING, _UNKNOWN)
"""States of items the sender still has to deal with."""

_SERVER_STATUSES: Mapping[str, OutboxState] = {
    "delivered": _DELIVERED,
    "read": _READ,
    "failed": _FAILED,
    "bounced": _FAILED,
}


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One outgoing message and where it is (timestamps in epoch ms)."""

    client_id: str
    conversation_id: str
    payload: JSONDict
    state: OutboxState
    attempts: int
    message_id: str | None
    error: str | None
    created_ms: int
    updated_ms: int

    @property
    def pending(self) -> bool:
        """Whether the sender still has work to do on this item."""
        return self.state in PENDING_STATES


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        client_id=row["client_id"],
        conversation_id=row["conversation_id"],
        payload=loads_dict(row["payload"]),
        state=OutboxState(row["state"]),
        attempts=int(row["attempts"]),
        message_id=row["message_id"],
        error=row["error"],
        created_ms=int(row["created_ms"]),
        updated_ms=int(row["updated_ms"]),
    )


_SELECT = (
    "SELECT client_id, conversation_id, payload, state, attempts, message_id, error, "
    "created_ms, updated_ms FROM outbox"
)


class Outbox(PartitionRepository):
    """The outbox of one partition (see the module docstring for the state machine)."""

    def enqueue(self, client_id: str, conversation_id: str, payload: JSONDict) -> OutboxItem:
        """Store a new outgoing message as ``queued``.

        ``client_id`` is unique across the whole file; reusing one raises
        ``DuplicateClientIdError``.
        """
        if not client_id or not conversation_id:
            raise ValueError("client id and conversation id must not be empty")
        now = self._db.now_ms()
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM outbox WHERE client_id = ?", (client_id,)).fetchone():
                raise DuplicateClientIdError(client_id)
            conn.execute(
                "INSERT INTO outbox (partition_id, client_id, conversation_id, payload, state, "
                "attempts, created_ms, updated_ms) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)",
                (self._pid, client_id, conversation_id, dumps(payload), now, now),
            )
            return self._get(conn, client_id)

    def get(self, client_id: str) -> OutboxItem | None:
        """The item with this client id in this partition, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                f"{_SELECT} WHERE partition_id = ? AND client_id = ?", (self._pid, client_id)
            ).fetchone()
        return None if row is None else _item(row)

    def _get(self, conn: sqlite3.Connection, client_id: str) -> OutboxItem:
        row = conn.execute(
            f"{_SELECT} WHERE partition_id = ? AND client_id = ?", (self._pid, client_id)
        ).fetchone()
        if row is None:
            raise OutboxItemNotFoundError(client_id)
        return _item(row)

    def _move(
        self,
        client_id: str,
        target: OutboxState,
        sources: Collection[OutboxState],
        changes: Mapping[str, Any] | None = None,
        *,
        count_attempt: bool = False,
        same_state_ok: bool = False,
    ) -> OutboxItem:
        with self._db.transaction() as conn:
            current = self._get(conn, client_id)
            if same_state_ok and current.state is target:
                return current
            if current.state not in sources or target not in TRANSITIONS[current.state]:
                raise IllegalTransitionError(client_id, current.state.value, target.value)
            sets = ["state = ?", "updated_ms = ?"]
            params: list[Any] = [target.value, self._db.now_ms()]
            for column, value in (changes or {}).items():
                sets.append(f"{column} = ?")  # column names are literals of this class
                params.append(value)
            if count_attempt:
                sets.append("attempts = attempts + 1")
            conn.execute(
                f"UPDATE outbox SET {', '.join(sets)} "
                "WHERE partition_id = ? AND client_id = ? AND state = ?",
                [*params, self._pid, client_id, current.state.value],
            )
            return self._get(conn, client_id)

    def claim_next(self, conversation_id: str | None = None) -> OutboxItem | None:
        """Move the oldest sendable ``queued`` item to ``sending`` and return it (or None).

        An item is not sendable while another item of its conversation is
        ``sending`` or ``unknown``: messages of a conversation go out in order.
        """
        sql = (
            "SELECT o.client_id FROM outbox o WHERE o.partition_id = ? AND o.state = 'queued' "
            "AND NOT EXISTS (SELECT 1 FROM outbox b WHERE b.partition_id = o.partition_id "
            "AND b.conversation_id = o.conversation_id AND b.state IN ('sending', 'unknown'))"
        )
        params: list[Any] = [self._pid]
        if conversation_id is not None:
            sql += " AND o.conversation_id = ?"
            params.append(conversation_id)
        with self._db.transaction() as conn:
            row = conn.execute(sql + " ORDER BY o.seq LIMIT 1", params).fetchone()
            if row is None:
                return None
            return self.mark_sending(row[0])

    def mark_sending(self, client_id: str) -> OutboxItem:
        """``queued`` → ``sending``; counts an attempt."""
        return self._move(client_id, _SENDING, {_Q}, count_attempt=True)

    def mark_sent(self, client_id: str, message_id: str) -> OutboxItem:
        """``sending``/``unknown`` → ``sent`` with the server's message id."""
        if not message_id:
            raise ValueError("message id must not be empty")
        return self._move(
            client_id, _SENT, {_SENDING, _UNKNOWN}, {"message_id": message_id, "error": None}
        )

    def mark_status(self, client_id: str, status: str, reason: str | None = None) -> OutboxItem:
        """Record a later server status of a sent message: delivered, read, failed, bounced.

        ``failed`` and ``bounced`` move the item to ``failed`` (reason: ``reason``
        or the status). Repeating the current status is a no-op; going back
        (read → delivered) is illegal.
        """
        try:
            target = _SERVER_STATUSES[status]
        except KeyError:
            raise ValueError(
                f"unsupported message status {status!r}; expected {sorted(_SERVER_STATUSES)}"
            ) from None
        changes = {"error": reason or status} if target is _FAILED else None
        return self._move(client_id, target, {_SENT, _DELIVERED}, changes, same_state_ok=True)

    def mark_failed(self, client_id: str, reason: str) -> OutboxItem:
        """``sending``/``unknown`` → ``failed`` with a reason the user can read."""
        return self._move(client_id, _FAILED, {_SENDING, _UNKNOWN}, {"error": reason})

    def mark_unknown(self, client_id: str) -> OutboxItem:
        """``sending`` → ``unknown``: reconcile with the server before any resend."""
        return self._move(client_id, _UNKNOWN, {_SENDING})

    def requeue(self, client_id: str) -> OutboxItem:
        """``sending``/``unknown`` → ``queued`` when the server certainly has no such message.

        For a request that never left (connection refused, 429) or an
        ``unknown`` item whose reconciliation found nothing.
        """
        return self._move(client_id, _Q, {_SENDING, _UNKNOWN})

    def retry(self, client_id: str) -> OutboxItem:
        """The user's Retry: ``failed`` → ``queued`` (reason and old message id cleared)."""
        return self._move(client_id, _Q, {_FAILED}, {"error": None, "message_id": None})

    def cancel(self, client_id: str) -> OutboxItem:
        """The user's Cancel: ``queued``/``failed`` → ``cancelled``."""
        return self._move(client_id, _CANCELLED, {_Q, _FAILED})

    def pending(self) -> list[OutboxItem]:
        """Items in ``queued``, ``sending`` or ``unknown``, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE partition_id = ? AND state IN ('queued', 'sending', 'unknown') "
                "ORDER BY seq",
                (self._pid,),
            ).fetchall()
        return [_item(r) for r in rows]

    def items_for(self, conversation_id: str) -> list[OutboxItem]:
        """Every item of a conversation, whatever its state, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE partition_id = ? AND conversation_id = ? ORDER BY seq",
                (self._pid, conversation_id),
            ).fetchall()
        return [_item(r) for r in rows]

    def conversations_with_failed(self) -> set[str]:
        """Ids of the conversations holding a message that failed (not retried or cancelled
        since), for the inbox list to mark."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT conversation_id FROM outbox "
                "WHERE partition_id = ? AND state = 'failed'",
                (self._pid,),
            ).fetchall()
        return {str(r[0]) for r in rows}

    def prune(self, before_ms: int) -> int:
        """Delete finished items (sent, delivered, read, cancelled) older than ``before_ms``."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM outbox WHERE partition_id = ? AND updated_ms < ? "
                "AND state IN ('sent', 'delivered', 'read', 'cancelled')",
                (self._pid, before_ms),
            )
            return cur.rowcount
