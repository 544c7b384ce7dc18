"""The conversation list model: a lazily paged window over one sub-account's cache.

Views (All, Mine, Unassigned, Unread), filters and search run in SQL
(``ConversationRepository.list_conversations``), newest activity first; the
model holds the rows loaded so far, ``PAGE_SIZE`` at a time through
``canFetchMore``/``fetchMore``. Rows are compact records of what the delegate
paints (about 0.4 KB each, against ~2 KB for a decoded wire document); the full
document is read from the cache on demand (``ConversationRole``).

The paging, the coalescing of change events and the in-place updates are
``PagedListModel``'s (``app.ui.common.paged_model``): change events
(``ConversationsChanged``) are coalesced for ``coalesce_ms`` and applied as one
re-query of the loaded window, turned into row moves, inserts, removals and
``dataChanged``: never a reset, so the view's selection, current row and scroll
position survive a sync; a window over ``BACKGROUND_WINDOW`` rows is re-read on a
worker thread. A sub-account switch is one reset with the new sub-account's first
page already in place, so no frame shows rows of the old sub-account.

In the agency view (``set_merged``) the rows come from an ``AgencyInboxReader``: the
merged list of several sub-accounts, paged the same way, each row naming its owner
(``OwnerRole``, ``OwnerNameRole``, the chip in ``RowView``) and keyed by
``merged_key(owner, id)`` (``RowKeyRole``), since two sub-accounts may share an id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from app.core.phones import display_phone
from app.core.team import readable_member
from app.services.bus import ScopeKey
from app.services.ports.inbox import (
    AgencyInboxReader,
    ConversationFilters,
    ConversationView,
    InboxReader,
    Member,
    MergedRow,
    StorageError,
    merged_key,
)
from app.ui.common.paged_model import REFRESH_COALESCE_MS, Intern, PagedListModel, runs
from app.ui.common.time_format import relative_time

log = logging.getLogger(__name__)

PAGE_SIZE = 100
"""Rows read per ``fetchMore`` (and the first page of every query)."""

BACKGROUND_WINDOW = 1500
"""Loaded rows above which a change is re-read on a worker thread (about 25 ms of
decoding per 1,000 rows would otherwise stall the window)."""

MERGED_BACKGROUND_WINDOW = 300
"""The same for the merged list (All sub-accounts): each re-read merges every member's
rows, several times the cost per row of one sub-account's."""

_Role = Qt.ItemDataRole.UserRole
ConversationIdRole = _Role + 1
"""The conversation's id (str)."""
ConversationRole = _Role + 2
"""The conversation's full wire document (a dict read from the cache), or None."""
ContactIdRole = _Role + 3
"""The conversation's contact id (str or None)."""
ContactNameRole = _Role + 4
"""The contact's name, else email, else phone (str); also the DisplayRole."""
ChannelRole = _Role + 5
"""The channel (sms, email, messenger, instagram, gmail, live_chat, social_dm)."""
StatusRole = _Role + 6
"""open, closed or snoozed."""
AssigneeRole = _Role + 7
"""The assigned team member's id, or None."""
AssigneeLabelRole = _Role + 8
"""The assignee as shown: a name when known, else the id; None when unassigned."""
UnreadCountRole = _Role + 9
"""Unread inbound messages (int; a local unread mark counts as at least 1, a local read
mark as 0)."""
PreviewRole = _Role + 10
"""One line of the last message: ``lastMessagePreview``, else the newest cached message."""
PreviewDirectionRole = _Role + 11
"""inbound or outbound (the last message's direction), or None."""
LastActivityRole = _Role + 12
"""The last message time (``lastMessageAt``, else ``createdAt``) as epoch ms, or None."""
RelativeTimeRole = _Role + 13
"""The last activity as short text ("5 min ago", "Yesterday")."""
SubjectRole = _Role + 14
"""The email subject, or None."""
HasDraftRole = _Role + 15
"""Whether the conversation has a saved composer draft (bool)."""
SnoozedUntilRole = _Role + 16
"""When a snoozed conversation wakes up (epoch ms), or None."""
MarkedUnreadRole = _Role + 17
"""Whether the user marked the conversation unread on this computer (bool)."""
ArchivedRole = _Role + 18
"""Whether the conversation is archived (bool)."""
PaintRole = _Role + 19
"""Everything the delegate paints as one ``RowView`` (one call per row instead of a dozen)."""
SendFailedRole = _Role + 20
"""Whether a message of the conversation failed to send (bool)."""
RowKeyRole = _Role + 21
"""The row's key: the conversation id, or in the merged list (All sub-accounts) the
owner's sub-account id and the conversation id (``merged_key``)."""
OwnerRole = _Role + 22
"""The owning sub-account's id in the merged list, else None."""
OwnerNameRole = _Role + 23
"""The owning sub-account's name in the merged list, else None."""
OwnerColourRole = _Role + 24
"""The owning sub-account's chip colour (``chip_colour``) in the merged list, else None."""

PREVIEW_MARKUP_CHARS = 4_000
"""Characters of an HTML body read for its preview line."""
_TAG_RE = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class InboxQuery:
    """What the list shows: a view, filters on top of it, and search text."""

    view: ConversationView = field(default_factory=ConversationView.all)
    filters: ConversationFilters = field(default_factory=ConversationFilters)
    text: str | None = None


@dataclass(frozen=True, slots=True)
class RowView:
    """What one row shows, as the roles above give it (``PaintRole``)."""

    conversation_id: str
    name: str
    channel: str
    status: str
    assignee: str | None
    unread: int
    preview: str | None
    direction: str | None
    relative_time: str
    subject: str | None
    has_draft: bool
    snoozed_until: int | None
    marked_unread: bool
    send_failed: bool = False
    """A message of this conversation failed to send (the row says "Not sent")."""
    key: str = ""
    """The row's key (``RowKeyRole``); empty: the conversation id."""
    owner_name: str | None = None
    """The owning sub-account's name in the merged list (a chip), else None."""
    owner_colour: int | None = None
    """The owning sub-account's chip colour (``chip_colour``), else None."""


def load_first_page(
    reader: InboxReader, query: InboxQuery, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int]:
    """The first ``limit`` conversations of ``query`` and the total count, in one step.

    Safe to call from a worker thread (each thread reads on its own connection)."""
    return reader.first_page(query.view, query.filters, query.text, limit)


@dataclass(slots=True)
class _Row:
    """The displayed values of one conversation (compared to detect changed rows)."""

    id: str
    contact_id: str | None
    name: str
    channel: str | None
    status: str | None
    assigned_to: str | None
    unread: int
    archived: bool
    subject: str | None
    preview: str | None
    direction: str | None
    last_ms: int | None
    # Filled from the newest cached message when the server sent no preview (first paint).
    fallback: tuple[str | None, str | None] | None = field(default=None, compare=False)
    # The raw values the row was made of: an equal signature means an equal row.
    sig: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    # The owner in the merged list (None: one sub-account's list) and the row's key.
    member: Member | None = None
    key: str = field(default="", compare=False)


def _text(value: object) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _ms(value: object) -> int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def contact_label(contact: Mapping[str, Any] | None) -> str:
    """The best label of an embedded contact: its name, else email, else phone."""
    if not isinstance(contact, Mapping):
        return "Unknown contact"
    name = _text(contact.get("name")) or " ".join(
        p for p in (_text(contact.get("firstName")), _text(contact.get("lastName"))) if p
    )
    phone = _text(contact.get("phone"))
    return (
        name or _text(contact.get("email")) or (phone and display_phone(phone)) or "Unknown contact"
    )


def _unread(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(int(value), 0)


def _signature(doc: Mapping[str, Any]) -> tuple[Any, ...]:
    """The raw values a row is made of (spelled out: a generator costs twice as much)."""
    get = doc.get
    contact = get("contact")
    people: tuple[Any, ...] = ()
    if isinstance(contact, Mapping):
        c = contact.get
        people = (c("id"), c("name"), c("firstName"), c("lastName"), c("email"), c("phone"))
    return (
        get("contactId"),
        get("channel"),
        get("status"),
        get("assignedTo"),
        get("unreadCount"),
        get("isArchived"),
        get("subject"),
        get("lastMessagePreview"),
        get("lastMessageDirection"),
        get("lastMessageAt"),
        get("createdAt"),
        people,
    )


def build_rows(
    docs: Iterable[Mapping[str, Any] | MergedRow],
    previous: Mapping[str, _Row],
    intern: Callable[[str | None], str | None],
) -> dict[str, _Row]:
    """Rows of ``docs`` (wire documents, or merged rows with their owner) by key (first
    occurrence wins), reusing the ``previous`` row of a conversation whose values did not
    change. Pure Python: safe in a worker thread."""
    rows: dict[str, _Row] = {}
    for item in docs:
        member, doc = (item.member, item.doc) if isinstance(item, MergedRow) else (None, item)
        cid = str(doc["id"])
        key = cid if member is None else merged_key(member.sub_account_id, cid)
        if key in rows:
            continue
        sig = _signature(doc)
        old = previous.get(key)
        rows[key] = (
            old
            if old is not None and old.sig == sig and old.member == member
            else _row(doc, intern, sig, member)
        )
    return rows


def _row(
    doc: Mapping[str, Any],
    intern: Callable[[str | None], str | None],
    sig: tuple[Any, ...] | None = None,
    member: Member | None = None,
) -> _Row:
    contact = doc.get("contact")
    contact_map = contact if isinstance(contact, Mapping) else None
    cid = str(doc["id"])
    return _Row(
        id=cid,
        contact_id=_text(doc.get("contactId")) or _text((contact_map or {}).get("id")),
        name=contact_label(contact_map),
        channel=intern(_text(doc.get("channel"))),
        status=intern(_text(doc.get("status"))),
        assigned_to=intern(_text(doc.get("assignedTo"))),
        unread=_unread(doc.get("unreadCount")),
        archived=doc.get("isArchived") is True,
        subject=_text(doc.get("subject")),
        # One line, whatever the server sent (a newline would break the row's layout).
        preview=one_line(_text(doc.get("lastMessagePreview"))),
        direction=intern(_text(doc.get("lastMessageDirection"))),
        last_ms=_ms(doc.get("lastMessageAt")) or _ms(doc.get("createdAt")),
        sig=_signature(doc) if sig is None else sig,
        member=member,
        key=cid if member is None else merged_key(member.sub_account_id, cid),
    )


def _merged_row(item: MergedRow, intern: Callable[[str | None], str | None]) -> _Row:
    return _row(item.doc, intern, None, item.member)


@dataclass(frozen=True, eq=False, slots=True)
class _Source:
    """An ``InboxReader`` (one sub-account) or an ``AgencyInboxReader`` (the merged list of
    several) as the paged model reads it, one per ``set_reader``/``set_merged``: says
    which change events concern it."""

    reader: InboxReader | AgencyInboxReader

    def covers(self, scope: ScopeKey | None) -> bool:
        """Whether an event of ``scope`` is about a sub-account read."""
        return self.reader.covers(scope)


def one_line(text: str | None, limit: int = 160) -> str | None:
    """``text`` on one line, at most ``limit`` characters (previews)."""
    if not text:
        return None
    line = " ".join(text.split())
    if not line:
        return None
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class ConversationListModel(PagedListModel[_Source, InboxQuery, _Row]):
    """Conversations of one sub-account, by view, filters and search, loaded in pages.

    ``set_reader`` switches sub-account, ``set_query`` changes view, filters
    or search (one reset with the first page), ``apply_first_page`` shows a first
    page read elsewhere (a search in a worker), and ``refresh`` applies a
    ``ConversationsChanged`` in place (see the module docstring). Paging, coalescing
    and the in-place updates are ``PagedListModel``'s; this model adds the rows'
    roles and the local state painted with them (drafts, snoozes, unread marks).
    """

    noun = "conversations"
    read_errors = (StorageError,)
    close_waits = True  # the tab closes the cache right after closing the model

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        coalesce_ms: int = REFRESH_COALESCE_MS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """An empty model; ``now`` (aware datetimes) is replaceable for tests."""
        super().__init__(
            InboxQuery(),
            parent,
            page_size=page_size,
            coalesce_ms=coalesce_ms,
            background_window=BACKGROUND_WINDOW,
        )
        self._now = now or (lambda: datetime.now(UTC))
        self._drafts: frozenset[str] = frozenset()
        self._snoozes: dict[str, int] = {}
        self._marks: frozenset[str] = frozenset()
        self._failed: frozenset[str] = frozenset()
        self._assignee_names: dict[str, str] = {}
        self._locale = QLocale()

    # ------------------------------------------------------------------ reading

    def row_key(self, row: _Row) -> str:
        """A row's key: its conversation id, or in the merged list its ``merged_key``."""
        return row.key or row.id

    def read_first(
        self, source: _Source, query: InboxQuery, limit: int, intern: Intern
    ) -> tuple[list[_Row], int]:
        """The first page of ``query`` and the match count."""
        reader = source.reader
        if isinstance(reader, AgencyInboxReader):
            merged, total = reader.first_page(query.view, query.filters, query.text, limit)
            return [_merged_row(item, intern) for item in merged], total
        docs, total = load_first_page(reader, query, limit)
        return [_row(doc, intern) for doc in docs], total

    def read_page(
        self, source: _Source, query: InboxQuery, limit: int, offset: int, intern: Intern
    ) -> list[_Row]:
        """A later page of ``query`` (the merged list continues its k-way merge)."""
        reader = source.reader
        if isinstance(reader, AgencyInboxReader):
            merged = reader.conversations(
                query.view, query.filters, query.text, limit=limit, offset=offset
            )
            return [_merged_row(item, intern) for item in merged]
        docs = reader.conversations(
            query.view, query.filters, query.text, limit=limit, offset=offset
        )
        return [_row(doc, intern) for doc in docs]

    def read_window(
        self,
        source: _Source,
        query: InboxQuery,
        window: int,
        previous: Mapping[str, _Row],
        intern: Intern,
    ) -> tuple[list[_Row], int]:
        """The loaded window again, reusing the rows whose values did not change (about
        25 ms of decoding per 1,000 rows saved; on a worker for large windows)."""
        reader = source.reader
        if isinstance(reader, AgencyInboxReader):
            merged, total = reader.first_page(query.view, query.filters, query.text, window)
            return list(build_rows(merged, previous, intern).values()), total
        docs, total = load_first_page(reader, query, window)
        return list(build_rows(docs, previous, intern).values()), total

    def refresh_all(self, *, background: bool | None = None) -> None:
        """As ``PagedListModel.refresh_all``; the merged list goes to the worker sooner."""
        if background is None and self.merged is not None:
            background = max(len(self._rows), self.page_size) > MERGED_BACKGROUND_WINDOW
        super().refresh_all(background=background)

    def on_reset(self, source_changed: bool) -> None:
        """The drafts, snoozes and unread marks of the rows shown."""
        self._read_local_state()

    def local_changes(self) -> set[str]:
        """Conversations whose draft, snooze or unread mark changed since the last read."""
        drafts, snoozes, marks, failed = self._drafts, self._snoozes, self._marks, self._failed
        self._read_local_state()
        changed = set((drafts ^ self._drafts) | (marks ^ self._marks) | (failed ^ self._failed))
        changed.update(
            k
            for k in snoozes.keys() | self._snoozes.keys()
            if snoozes.get(k) != self._snoozes.get(k)
        )
        return changed

    # ------------------------------------------------------------------ state

    @property
    def reader(self) -> InboxReader | None:
        """The sub-account shown (its cache reader), or None (also in the merged list)."""
        source = self._source
        reader = None if source is None else source.reader
        return reader if isinstance(reader, InboxReader) else None

    @property
    def merged(self) -> AgencyInboxReader | None:
        """The merged reader shown (All sub-accounts), or None."""
        source = self._source
        reader = None if source is None else source.reader
        return reader if isinstance(reader, AgencyInboxReader) else None

    def _local_reader(self) -> InboxReader | AgencyInboxReader | None:
        source = self._source
        return None if source is None else source.reader

    def key_of(self, conversation_id: str | None, sub_account_id: str | None = None) -> str | None:
        """The row key of a conversation: its id, or in the merged list the key of the one
        owned by ``sub_account_id`` (None: unknown owner, no key)."""
        if conversation_id is None:
            return None
        if self.merged is None:
            return conversation_id
        return merged_key(sub_account_id, conversation_id) if sub_account_id else None

    def set_assignee_names(self, names: Mapping[str, str]) -> None:
        """Team member names to show instead of ids (``AssigneeLabelRole``)."""
        self._assignee_names = dict(names)
        self._all_changed([AssigneeLabelRole])

    def assignee_label(self, user_id: str | None) -> str | None:
        """How a team member is shown: the known name, else a readable form of the id."""
        if user_id is None:
            return None
        return self._assignee_names.get(user_id) or readable_member(user_id)

    # ------------------------------------------------------- Qt model interface

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update(
            {
                ConversationIdRole: QByteArray(b"conversationId"),
                ConversationRole: QByteArray(b"conversation"),
                ContactIdRole: QByteArray(b"contactId"),
                ContactNameRole: QByteArray(b"contactName"),
                ChannelRole: QByteArray(b"channel"),
                StatusRole: QByteArray(b"status"),
                AssigneeRole: QByteArray(b"assignedTo"),
                AssigneeLabelRole: QByteArray(b"assignee"),
                UnreadCountRole: QByteArray(b"unreadCount"),
                PreviewRole: QByteArray(b"preview"),
                PreviewDirectionRole: QByteArray(b"previewDirection"),
                LastActivityRole: QByteArray(b"lastActivity"),
                RelativeTimeRole: QByteArray(b"relativeTime"),
                SubjectRole: QByteArray(b"subject"),
                HasDraftRole: QByteArray(b"hasDraft"),
                SnoozedUntilRole: QByteArray(b"snoozedUntil"),
                MarkedUnreadRole: QByteArray(b"markedUnread"),
                SendFailedRole: QByteArray(b"sendFailed"),
                RowKeyRole: QByteArray(b"rowKey"),
                OwnerRole: QByteArray(b"owner"),
                OwnerNameRole: QByteArray(b"ownerName"),
                OwnerColourRole: QByteArray(b"ownerColour"),
                ArchivedRole: QByteArray(b"archived"),
                PaintRole: QByteArray(b"paint"),
            }
        )
        return names

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._rows) or index.column() != 0:
            return None
        item = self._rows[row]
        key = item.key or item.id
        if role == PaintRole:
            preview, direction = self._preview(item)
            member = item.member
            return RowView(
                item.id,
                item.name,
                item.channel or "",
                item.status or "open",
                self.assignee_label(item.assigned_to),
                item.unread,
                preview,
                direction,
                self._relative(item.last_ms),
                item.subject,
                key in self._drafts,
                self._snoozes.get(key) if item.status == "snoozed" else None,
                key in self._marks,
                key in self._failed,
                key,
                None if member is None else member.name,
                None if member is None else member.colour,
            )
        if role in (Qt.ItemDataRole.DisplayRole, ContactNameRole):
            return item.name
        if role == ConversationIdRole:
            return item.id
        if role == ChannelRole:
            return item.channel
        if role == StatusRole:
            return item.status
        if role == UnreadCountRole:
            return item.unread
        if role == PreviewRole:
            return self._preview(item)[0]
        if role == PreviewDirectionRole:
            return self._preview(item)[1]
        if role == RelativeTimeRole:
            return self._relative(item.last_ms)
        if role == LastActivityRole:
            return item.last_ms
        if role == AssigneeRole:
            return item.assigned_to
        if role == AssigneeLabelRole:
            return self.assignee_label(item.assigned_to)
        if role == HasDraftRole:
            return key in self._drafts
        if role == SnoozedUntilRole:
            return self._snoozes.get(key) if item.status == "snoozed" else None
        if role == MarkedUnreadRole:
            return key in self._marks
        if role == SendFailedRole:
            return key in self._failed
        if role == RowKeyRole:
            return key
        if role == OwnerRole:
            return None if item.member is None else item.member.sub_account_id
        if role == OwnerNameRole:
            return None if item.member is None else item.member.name
        if role == OwnerColourRole:
            return None if item.member is None else item.member.colour
        if role == SubjectRole:
            return item.subject
        if role == ContactIdRole:
            return item.contact_id
        if role == ArchivedRole:
            return item.archived
        if role == ConversationRole:
            return self._document(key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._accessible(item)
        return None

    # ---------------------------------------------------------------- queries

    def set_reader(self, reader: InboxReader | None, query: InboxQuery | None = None) -> None:
        """Show another sub-account's cache (None: nothing), optionally with a new query.

        The old rows are gone when this returns and the new sub-account's first
        page is in place (one reset). Pending changes of the old sub-account are
        dropped."""
        self.set_source(None if reader is None else _Source(reader), query)

    def set_merged(self, reader: AgencyInboxReader, query: InboxQuery | None = None) -> None:
        """Show the merged list of several sub-accounts (All sub-accounts): one reset with
        its first page in place, as for ``set_reader``."""
        self.set_source(_Source(reader), query)

    def set_query(self, query: InboxQuery) -> None:
        """Show ``query``: reset and load its first page."""
        self.show_query(query)

    def keep_in_view(self, conversation_id: str | None) -> None:
        """Keep ``conversation_id`` (a row key in the merged list) listed even when the view
        leaves it out (None: stop).

        No reset: the loaded rows are re-read in place, so the one kept before leaves
        if the view no longer has it, and selection and scroll stay."""
        q = self._query
        if q.filters.keep_id == conversation_id:
            return
        self._query = replace(q, filters=replace(q.filters, keep_id=conversation_id))
        self.refresh_all()

    def apply_first_page(
        self,
        source: InboxReader | AgencyInboxReader | _Source | None,
        query: InboxQuery,
        rows: Sequence[_Row | Mapping[str, Any] | MergedRow],
        total: int,
    ) -> bool:
        """Show a first page read elsewhere (``load_first_page`` in a worker: wire
        documents, made rows here), for the sub-account of ``source`` (its reader).

        Refused (False, nothing changes) when the model has switched sub-account
        since: the caller must read again."""
        current = self._source
        if current is None or (source is not current and source is not current.reader):
            return False
        made = [
            r
            if isinstance(r, _Row)
            else _merged_row(r, self.intern)
            if isinstance(r, MergedRow)
            else _row(r, self.intern)
            for r in rows
        ]
        return super().apply_first_page(current, query, made, total)

    # ---------------------------------------------------------------- local state

    def refresh_drafts(self) -> None:
        """Re-read which conversations have drafts or a failed send (after the composer saved
        or cleared a draft, or the outbox changed)."""
        reader = self._local_reader()
        if reader is None:
            return
        before, failed_before = self._drafts, self._failed
        try:
            self._drafts = reader.conversations_with_drafts()
            self._failed = reader.conversations_with_failed_sends()
        except StorageError as exc:
            log.warning("could not read the drafts: %s", exc)
            return
        self._emit_rows(before ^ self._drafts, [HasDraftRole])
        self._emit_rows(failed_before ^ self._failed, [SendFailedRole])

    def _read_local_state(self) -> None:
        reader = self._local_reader()
        if reader is None:
            self._drafts, self._snoozes, self._marks = frozenset(), {}, frozenset()
            self._failed = frozenset()
            return
        try:
            self._drafts = reader.conversations_with_drafts()
            self._failed = reader.conversations_with_failed_sends()
            snoozes = reader.snoozes()
            marks = reader.marked_unread()
        except StorageError as exc:
            log.warning("could not read drafts and snoozes: %s", exc)
            return
        self._snoozes = snoozes
        self._marks = frozenset(marks)

    def _emit_rows(self, ids: Iterable[str], roles: list[int]) -> None:
        rows = sorted(self._row_of[i] for i in ids if i in self._row_of)
        for first, last in runs(rows):
            self.dataChanged.emit(self.index(first, 0), self.index(last, 0), roles)

    def _all_changed(self, roles: list[int]) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0), roles)

    # ---------------------------------------------------------------- display

    def tick(self) -> None:
        """Repaint the relative times ("5 min ago" grows old); a timer calls this."""
        self._all_changed([RelativeTimeRole])

    def _preview(self, item: _Row) -> tuple[str | None, str | None]:
        if item.preview is not None:
            return item.preview, item.direction
        if item.fallback is None:
            item.fallback = self._latest_message(item.key or item.id)
        text, direction = item.fallback
        return text, direction or item.direction

    def _latest_message(self, conversation_id: str) -> tuple[str | None, str | None]:
        reader = self._local_reader()
        if reader is None:
            return None, None
        try:
            message = reader.latest_message(conversation_id)
        except StorageError as exc:
            log.warning("could not read the latest message of %s: %s", conversation_id, exc)
            return None, None
        if message is None:
            return None, None
        body = _text(message.get("bodyText"))
        if body is None:
            markup = _text(message.get("bodyHtml"))
            # A preview line needs the start of the body only (bodies may be 500 KB).
            body = _TAG_RE.sub(" ", markup[:PREVIEW_MARKUP_CHARS]) if markup else None
        text = one_line(body)
        if text is not None and message.get("isInternal") is True:
            text = f"Note: {text}"
        return text, _text(message.get("direction"))

    def _relative(self, ms: int | None) -> str:
        if ms is None:
            return ""
        return relative_time(datetime.fromtimestamp(ms / 1000, UTC), self._now(), self._locale)

    def _tooltip(self, item: _Row) -> str:
        parts = [item.name if item.member is None else f"{item.name} — {item.member.name}"]
        channel = (item.channel or "").replace("_", " ")
        if item.subject:
            parts.append(item.subject)
        preview, _direction = self._preview(item)
        details = [p for p in (channel, item.status, self.assignee_label(item.assigned_to)) if p]
        parts.append(" · ".join(details))
        if preview:
            parts.append(preview)
        return "\n".join(parts)

    def _accessible(self, item: _Row) -> str:
        words = [item.name, (item.channel or "").replace("_", " ")]
        if item.member is not None:
            words.append(f"in {item.member.name}")
        if item.unread:
            words.append(f"{item.unread} unread")
        if item.status and item.status != "open":
            words.append(item.status)
        if item.id in self._failed:
            words.append("a message was not sent")
        preview, _ = self._preview(item)
        if preview:
            words.append(preview)
        return ", ".join(w for w in words if w)

    def _document(self, conversation_id: str) -> dict[str, Any] | None:
        reader = self._local_reader()
        if reader is None:
            return None
        try:
            return reader.conversation(conversation_id)
        except StorageError as exc:
            self._fail("read the conversation", exc)
            return None
