"""Conversations and messages of one partition (the inbox).

The conversation list is ordered by activity (``lastMessageAt``, raised by
newer cached messages), newest first, through an index, so the first page of
10,000 conversations is an index walk. Search combines two FTS5 indexes: one
over each conversation's embedded contact (name, email, phone) and subject,
one over message text; a conversation matches when every typed term matches
either its contact or one of its messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from app.storage._base import PartitionRepository
from app.storage._codec import (
    JSONDict,
    dumps,
    html_to_text,
    loads_dict,
    phone_terms,
    require_id,
    text_or_none,
    to_ms,
)
from app.storage.fts import match_terms, scoped

_CONVERSATION_FTS_COLUMNS = ("fts_name", "fts_email", "fts_phone", "fts_subject")
_MESSAGE_FTS_COLUMNS = ("fts_body", "fts_subject")

ViewKind = Literal["all", "mine", "unassigned", "unread"]
_VIEW_KINDS: tuple[str, ...] = get_args(ViewKind)


@dataclass(frozen=True, slots=True)
class ConversationView:
    """One of the inbox views: All, Mine (needs ``user_id``), Unassigned, Unread."""

    kind: ViewKind = "all"
    user_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _VIEW_KINDS:
            raise ValueError(f"unknown conversation view {self.kind!r}; expected {_VIEW_KINDS}")
        if self.kind == "mine" and not self.user_id:
            raise ValueError("the 'mine' view needs the current user's id")

    @classmethod
    def all(cls) -> ConversationView:
        """Every conversation (archived ones only with ``include_archived``)."""
        return cls("all")

    @classmethod
    def mine(cls, user_id: str) -> ConversationView:
        """Conversations assigned to ``user_id``."""
        return cls("mine", user_id)

    @classmethod
    def unassigned(cls) -> ConversationView:
        """Conversations nobody is assigned to."""
        return cls("unassigned")

    @classmethod
    def unread(cls) -> ConversationView:
        """Conversations with unread inbound messages."""
        return cls("unread")


@dataclass(frozen=True, slots=True)
class ConversationFilters:
    """Filters on top of a view; all given conditions must hold."""

    status: str | None = None
    channel: str | None = None
    assigned_to: str | None = None
    contact_id: str | None = None
    include_archived: bool = False
    keep_id: str | None = None
    """A conversation listed even when the view leaves it out (the one open in the Unread
    view stays listed, read, until the user moves on). Filters and search still apply."""


def _as_view(view: ConversationView | str) -> ConversationView:
    if isinstance(view, ConversationView):
        return view
    if view not in _VIEW_KINDS:
        raise ValueError(f"unknown conversation view {view!r}; expected {_VIEW_KINDS}")
    return ConversationView(view)  # type: ignore[arg-type]  # checked just above


def _unread(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return max(int(value), 0)


def _conversation_row(pid: int, doc: JSONDict) -> tuple[Any, ...]:
    cid = require_id(doc, "conversation")
    raw_contact = doc.get("contact")
    contact: JSONDict = raw_contact if isinstance(raw_contact, dict) else {}
    contact_id = text_or_none(doc.get("contactId")) or text_or_none(contact.get("id"))
    name = text_or_none(contact.get("name")) or (
        " ".join(
            p
            for p in (text_or_none(contact.get("firstName")), text_or_none(contact.get("lastName")))
            if p
        )
        or None
    )
    phone = text_or_none(contact.get("phone"))
    created_ms = to_ms(doc.get("createdAt"))
    last_ms = to_ms(doc.get("lastMessageAt"))
    activity = last_ms if last_ms is not None else (created_ms or 0)
    return (
        pid,
        cid,
        contact_id,
        text_or_none(doc.get("channel")),
        text_or_none(doc.get("status")),
        text_or_none(doc.get("assignedTo")),
        _unread(doc.get("unreadCount")),
        1 if doc.get("isArchived") is True else 0,
        created_ms,
        activity,
        pid,
        cid,
        name,
        text_or_none(contact.get("email")),
        phone_terms([phone]) if phone else None,
        text_or_none(doc.get("subject")),
        dumps(doc),
    )


_CONVERSATION_UPSERT = """
INSERT INTO conversations (partition_id, id, contact_id, channel, status, assigned_to,
                           unread_count, is_archived, created_ms, activity_ms,
                           fts_name, fts_email, fts_phone, fts_subject, doc)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,
        max(?, coalesce((SELECT max(m.created_ms) FROM messages m
                         WHERE m.partition_id = ? AND m.conversation_id = ?), 0)),
        ?, ?, ?, ?, ?)
ON CONFLICT (partition_id, id) DO UPDATE SET
    contact_id = excluded.contact_id, channel = excluded.channel, status = excluded.status,
    assigned_to = excluded.assigned_to, unread_count = excluded.unread_count,
    is_archived = excluded.is_archived, created_ms = excluded.created_ms,
    activity_ms = excluded.activity_ms, fts_name = excluded.fts_name,
    fts_email = excluded.fts_email, fts_phone = excluded.fts_phone,
    fts_subject = excluded.fts_subject, doc = excluded.doc
WHERE conversations.doc IS NOT excluded.doc
"""


def _message_row(pid: int, doc: JSONDict) -> tuple[Any, ...]:
    mid = require_id(doc, "message")
    conversation_id = text_or_none(doc.get("conversationId"))
    if conversation_id is None:
        raise ValueError(f"message {mid!r} without a conversationId")
    body = text_or_none(doc.get("bodyText"))
    if body is None:
        markup = text_or_none(doc.get("bodyHtml"))
        body = text_or_none(html_to_text(markup)) if markup else None
    return (
        pid,
        mid,
        conversation_id,
        to_ms(doc.get("createdAt")) or 0,
        body,
        text_or_none(doc.get("subject")),
        dumps(doc),
    )


_MESSAGE_UPSERT = """
INSERT INTO messages (partition_id, id, conversation_id, created_ms, fts_body, fts_subject, doc)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (partition_id, id) DO UPDATE SET
    conversation_id = excluded.conversation_id, created_ms = excluded.created_ms,
    fts_body = excluded.fts_body, fts_subject = excluded.fts_subject, doc = excluded.doc
WHERE messages.doc IS NOT excluded.doc
"""


class ConversationRepository(PartitionRepository):
    """The conversations of one partition: upserts, views, filters, search, counts."""

    def upsert_conversations(self, docs: Iterable[JSONDict]) -> int:
        """Insert or update conversations (wire documents) in one transaction.

        A document is merged over the stored one, so a partial answer (the
        create endpoint returns no embedded contact) does not erase fields
        the cache already has. Returns how many rows were inserted or changed.
        """
        incoming = list(docs)
        if not incoming:
            return 0
        for doc in incoming:
            require_id(doc, "conversation")
        with self._db.transaction() as conn:
            rows: list[tuple[Any, ...]] = []
            for doc in incoming:
                stored = conn.execute(
                    "SELECT doc FROM conversations WHERE partition_id = ? AND id = ?",
                    (self._pid, doc["id"]),
                ).fetchone()
                merged = {**loads_dict(stored[0]), **doc} if stored is not None else doc
                rows.append(_conversation_row(self._pid, merged))
            cur = conn.executemany(_CONVERSATION_UPSERT, rows)
            return max(cur.rowcount, 0)

    def get_conversation(self, conversation_id: str) -> JSONDict | None:
        """The conversation with this id, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT doc FROM conversations WHERE partition_id = ? AND id = ?",
                (self._pid, conversation_id),
            ).fetchone()
        return None if row is None else loads_dict(row[0])

    def _where(
        self,
        view: ConversationView | str,
        filters: ConversationFilters | None,
        text: str | None,
    ) -> tuple[str, list[Any]]:
        v = _as_view(view)
        f = filters or ConversationFilters()
        clauses = ["c.partition_id = ?"]
        params: list[Any] = [self._pid]
        if not f.include_archived:
            clauses.append("c.is_archived = 0")
        view_clause: str | None = None
        view_params: list[Any] = []
        if v.kind == "mine":
            view_clause, view_params = "c.assigned_to = ?", [v.user_id]
        elif v.kind == "unassigned":
            view_clause = "c.assigned_to IS NULL"
        elif v.kind == "unread":
            view_clause = "c.unread_count > 0"
        if view_clause is not None:
            if f.keep_id is not None:
                view_clause, view_params = f"({view_clause} OR c.id = ?)", [*view_params, f.keep_id]
            clauses.append(view_clause)
            params += view_params
        for column, value in (
            ("status", f.status),
            ("channel", f.channel),
            ("assigned_to", f.assigned_to),
            ("contact_id", f.contact_id),
        ):
            if value is not None:
                clauses.append(f"c.{column} = ?")
                params.append(value)
        # Each term must match the conversation's contact/subject or one of its
        # messages (not necessarily the same one for every term).
        for term in match_terms(text):
            clauses.append(
                "(c.rid IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?)"
                " OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.partition_id = ?"
                " AND m.rid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)))"
            )
            params += [
                scoped([term], self._pid, _CONVERSATION_FTS_COLUMNS),
                self._pid,
                scoped([term], self._pid, _MESSAGE_FTS_COLUMNS),
            ]
        return " AND ".join(clauses), params

    def list_conversations(
        self,
        view: ConversationView | str = "all",
        filters: ConversationFilters | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[JSONDict]:
        """One page of a view, most recent activity first (ties by id, descending).

        ``text`` matches the embedded contact's name, email and phone (digit
        suffixes too), the subject, and the text of cached messages; it is
        never interpreted as FTS5 syntax.
        """
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        where, params = self._where(view, filters, text)
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT c.doc FROM conversations c WHERE {where} "
                "ORDER BY c.activity_ms DESC, c.id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def list_keys(
        self,
        view: ConversationView | str = "all",
        filters: ConversationFilters | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[tuple[int, str]]:
        """The sort keys ``(activity ms, id)`` of a page of ``list_conversations``, in the
        same order: an index walk that decodes no document (a merge across partitions
        compares keys first and reads only the documents it keeps)."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        where, params = self._where(view, filters, text)
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT c.activity_ms, c.id FROM conversations c WHERE {where} "
                "ORDER BY c.activity_ms DESC, c.id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        return [(int(r[0] or 0), str(r[1])) for r in rows]

    def conversations_by_ids(self, conversation_ids: Sequence[str]) -> dict[str, JSONDict]:
        """The cached documents of these conversations by id (unknown ids are left out)."""
        ids = list(dict.fromkeys(conversation_ids))
        found: dict[str, JSONDict] = {}
        with self._db.read() as conn:
            # Chunks stay far below SQLite's limit on bound parameters.
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT id, doc FROM conversations WHERE partition_id = ? AND id IN ({marks})",
                    [self._pid, *chunk],
                ).fetchall()
                for row in rows:
                    found[str(row[0])] = loads_dict(row[1])
        return found

    def count_conversations(
        self,
        view: ConversationView | str = "all",
        filters: ConversationFilters | None = None,
        text: str | None = None,
    ) -> int:
        """How many conversations ``list_conversations`` would return in total."""
        where, params = self._where(view, filters, text)
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT count(*) FROM conversations c WHERE {where}", params
            ).fetchone()
        return int(row[0])

    def delete_conversations(self, conversation_ids: Iterable[str]) -> int:
        """Delete conversations and their cached messages; returns how many conversations went.

        Drafts and outbox items are kept: they are the user's work, and the
        outbox reports a failure for a conversation that no longer exists.
        """
        ids = list(dict.fromkeys(conversation_ids))
        if not ids:
            return 0
        params = [(self._pid, cid) for cid in ids]
        with self._db.transaction() as conn:
            conn.executemany(
                "DELETE FROM messages WHERE partition_id = ? AND conversation_id = ?", params
            )
            cur = conn.executemany(
                "DELETE FROM conversations WHERE partition_id = ? AND id = ?", params
            )
            return max(cur.rowcount, 0)

    def all_conversation_ids(self) -> set[str]:
        """Every conversation id cached in this partition (for reconciliation)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id FROM conversations WHERE partition_id = ?", (self._pid,)
            ).fetchall()
        return {r[0] for r in rows}

    def unread_total(self) -> int:
        """Sum of ``unreadCount`` over conversations that are not archived (the tray badge)."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT coalesce(sum(unread_count), 0) FROM conversations "
                "WHERE partition_id = ? AND is_archived = 0",
                (self._pid,),
            ).fetchone()
        return int(row[0])


class MessageRepository(PartitionRepository):
    """The cached messages of one partition, paged per conversation newest first."""

    def upsert_messages(self, docs: Iterable[JSONDict]) -> int:
        """Insert or update messages (wire documents) in one transaction.

        A message newer than its conversation's last activity moves that
        conversation up the list at once (the sort column only; the stored
        conversation document stays as the server sent it). Returns how many
        rows were inserted or changed.
        """
        rows = [_message_row(self._pid, doc) for doc in docs]
        if not rows:
            return 0
        newest: dict[str, int] = {}
        for row in rows:
            conversation_id, created_ms = row[2], row[3]
            newest[conversation_id] = max(newest.get(conversation_id, 0), created_ms)
        with self._db.transaction() as conn:
            cur = conn.executemany(_MESSAGE_UPSERT, rows)
            changed = max(cur.rowcount, 0)
            conn.executemany(
                "UPDATE conversations SET activity_ms = ? "
                "WHERE partition_id = ? AND id = ? AND activity_ms < ?",
                [(ms, self._pid, cid, ms) for cid, ms in newest.items()],
            )
            return changed

    def messages_page(
        self,
        conversation_id: str,
        before: tuple[str | int, str] | None = None,
        limit: int = 50,
    ) -> list[JSONDict]:
        """Up to ``limit`` messages of a conversation, newest first.

        ``before`` is the ``(createdAt, id)`` of the oldest message already
        shown (ISO 8601 string or epoch ms); the page then holds the messages
        strictly older than it, so paging never skips or repeats a message,
        even when several share a timestamp.
        """
        if limit < 0:
            raise ValueError("limit must not be negative")
        sql = "SELECT doc FROM messages WHERE partition_id = ? AND conversation_id = ?"
        params: list[Any] = [self._pid, conversation_id]
        if before is not None:
            created, message_id = before
            created_ms = to_ms(created)
            if created_ms is None:
                raise ValueError(f"cannot read a time from {created!r}")
            sql += " AND (created_ms < ? OR (created_ms = ? AND id < ?))"
            params += [created_ms, created_ms, message_id]
        sql += " ORDER BY created_ms DESC, id DESC LIMIT ?"
        params.append(limit)
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def latest_message(self, conversation_id: str) -> JSONDict | None:
        """The newest cached message of a conversation, or None."""
        page = self.messages_page(conversation_id, None, 1)
        return page[0] if page else None

    def latest_messages(self, conversation_ids: Sequence[str]) -> dict[str, JSONDict]:
        """The newest cached message of each conversation that has one (list previews)."""
        result: dict[str, JSONDict] = {}
        with self._db.read() as conn:
            for cid in dict.fromkeys(conversation_ids):
                row = conn.execute(
                    "SELECT doc FROM messages WHERE partition_id = ? AND conversation_id = ? "
                    "ORDER BY created_ms DESC, id DESC LIMIT 1",
                    (self._pid, cid),
                ).fetchone()
                if row is not None:
                    result[cid] = loads_dict(row[0])
        return result

    def message_by_id(self, message_id: str) -> JSONDict | None:
        """The message with this id, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT doc FROM messages WHERE partition_id = ? AND id = ?",
                (self._pid, message_id),
            ).fetchone()
        return None if row is None else loads_dict(row[0])

    def count_messages(self, conversation_id: str) -> int:
        """How many messages of a conversation are cached."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM messages WHERE partition_id = ? AND conversation_id = ?",
                (self._pid, conversation_id),
            ).fetchone()
        return int(row[0])
