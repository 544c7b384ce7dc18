"""The conversation list model: a lazily paged window over one sub-account's cache.

Views (All, Mine, Unassigned, Unread), filters and search run in SQL
(``ConversationRepository.list_conversations``), newest activity first; the
model holds the rows loaded so far, ``PAGE_SIZE`` at a time through
``canFetchMore``/``fetchMore``. Rows are compact records of what the delegate
paints (about 0.4 KB each, against ~2 KB for a decoded wire document); the full
document is read from the cache on demand (``ConversationRole``).

Change events (``ConversationsChanged``) are coalesced for ``coalesce_ms`` and
applied as one re-query of the loaded window, turned into row moves, inserts,
removals and ``dataChanged``: never a reset, so the view's selection, current
row and scroll position survive a sync. A sub-account switch is one reset with
the new sub-account's first page already in place, so no frame shows rows of
the old sub-account.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QAbstractListModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from app.services.bus import ConversationsChanged
from app.services.ports.inbox import (
    ConversationFilters,
    ConversationView,
    InboxReader,
    StorageError,
)
from app.ui.common.time_format import relative_time

log = logging.getLogger(__name__)

PAGE_SIZE = 100
"""Rows read per ``fetchMore`` (and the first page of every query)."""

REFRESH_COALESCE_MS = 30
"""Change events arriving within this window are applied as one re-query."""

BACKGROUND_WINDOW = 1500
"""Loaded rows above which a change is re-read on a worker thread (about 25 ms of
decoding per 1,000 rows would otherwise stall the window)."""

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
    return name or _text(contact.get("email")) or _text(contact.get("phone")) or "Unknown contact"


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
    docs: Iterable[Mapping[str, Any]],
    previous: Mapping[str, _Row],
    intern: Callable[[str | None], str | None],
) -> dict[str, _Row]:
    """Rows of ``docs`` by id (first occurrence wins), reusing the ``previous`` row of a
    conversation whose values did not change. Pure Python: safe in a worker thread."""
    rows: dict[str, _Row] = {}
    for doc in docs:
        cid = str(doc["id"])
        if cid in rows:
            continue
        sig = _signature(doc)
        old = previous.get(cid)
        rows[cid] = old if old is not None and old.sig == sig else _row(doc, intern, sig)
    return rows


def _row(
    doc: Mapping[str, Any],
    intern: Callable[[str | None], str | None],
    sig: tuple[Any, ...] | None = None,
) -> _Row:
    contact = doc.get("contact")
    contact_map = contact if isinstance(contact, Mapping) else None
    return _Row(
        id=str(doc["id"]),
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
    )


@dataclass(slots=True)
class _Requery:
    """A background re-read of the loaded window, and what it was started from."""

    epoch: int
    reader: InboxReader
    query: InboxQuery
    window: int
    previous: dict[str, _Row]


class _Delivery(QObject):
    """Carries a worker's rows to the GUI thread (a queued signal)."""

    done = Signal(object, object, object)
    """(job, (rows, consumed) or None, total or the exception)."""


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending row numbers grouped into (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def one_line(text: str | None, limit: int = 160) -> str | None:
    """``text`` on one line, at most ``limit`` characters (previews)."""
    if not text:
        return None
    line = " ".join(text.split())
    if not line:
        return None
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class ConversationListModel(QAbstractListModel):
    """Conversations of one sub-account, by view, filters and search, loaded in pages.

    ``set_reader`` switches sub-account, ``set_query`` changes view, filters
    or search (one reset with the first page), ``apply_first_page`` shows a first
    page read elsewhere (a search in a worker), and ``refresh`` applies a
    ``ConversationsChanged`` in place (see the module docstring).
    """

    countChanged = Signal(int)
    """The number of conversations matching the query changed (``total_count``)."""

    loadFailed = Signal(str)
    """Reading the cache failed; the argument says what happened (already logged)."""

    changesAboutToApply = Signal()
    """A burst of changes is about to move rows (views remember their scroll anchor)."""

    changesApplied = Signal()
    """A burst of changes was applied (rows moved, appeared, left or changed)."""

    def __init__(
        self,
        parent: Any = None,
        *,
        page_size: int = PAGE_SIZE,
        coalesce_ms: int = REFRESH_COALESCE_MS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """An empty model; ``now`` (aware datetimes) is replaceable for tests."""
        super().__init__(parent)
        self._page_size = page_size
        self._now = now or (lambda: datetime.now(UTC))
        self._reader: InboxReader | None = None
        self._query = InboxQuery()
        self._rows: list[_Row] = []
        self._row_of: dict[str, int] = {}
        self._offset = 0
        self._exhausted = True
        self._total = 0
        self._fetching = False
        self._epoch = 0
        self._strings: dict[str, str] = {}
        self._drafts: frozenset[str] = frozenset()
        self._snoozes: dict[str, int] = {}
        self._marks: frozenset[str] = frozenset()
        self._assignee_names: dict[str, str] = {}
        self._locale = QLocale()
        self._pending_ids: set[str] = set()
        self._pending_deleted: set[str] = set()
        self._pending_full = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(coalesce_ms)
        self._refresh_timer.timeout.connect(self.flush_changes)
        self._executor: ThreadPoolExecutor | None = None
        self._requery: _Requery | None = None
        self._requery_again = False
        self._delivery = _Delivery(self)
        self._delivery.done.connect(self._requery_done)

    # ------------------------------------------------------------------ state

    @property
    def reader(self) -> InboxReader | None:
        """The sub-account shown (its cache reader), or None."""
        return self._reader

    @property
    def query(self) -> InboxQuery:
        """The view, filters and search of the rows shown."""
        return self._query

    @property
    def total_count(self) -> int:
        """How many conversations match the query (loaded or not)."""
        return self._total

    @property
    def page_size(self) -> int:
        """Rows per ``fetchMore``."""
        return self._page_size

    @property
    def epoch(self) -> int:
        """Increases on every reset (sub-account or query change)."""
        return self._epoch

    def row_of(self, conversation_id: str) -> int:
        """The row of a loaded conversation, or -1."""
        return self._row_of.get(conversation_id, -1)

    def id_at(self, row: int) -> str | None:
        """The conversation id of a row, or None outside the loaded rows."""
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def ids_at(self, rows: Iterable[int]) -> list[str]:
        """The conversation ids of loaded ``rows`` (others skipped)."""
        return [self._rows[r].id for r in rows if 0 <= r < len(self._rows)]

    def loaded_ids(self) -> list[str]:
        """Every loaded conversation id, in row order."""
        return [r.id for r in self._rows]

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

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

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
        if role == PaintRole:
            preview, direction = self._preview(item)
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
                item.id in self._drafts,
                self._snoozes.get(item.id) if item.status == "snoozed" else None,
                item.id in self._marks,
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
            return item.id in self._drafts
        if role == SnoozedUntilRole:
            return self._snoozes.get(item.id) if item.status == "snoozed" else None
        if role == MarkedUnreadRole:
            return item.id in self._marks
        if role == SubjectRole:
            return item.subject
        if role == ContactIdRole:
            return item.contact_id
        if role == ArchivedRole:
            return item.archived
        if role == ConversationRole:
            return self._document(item.id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._accessible(item)
        return None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if parent.isValid() or self._reader is None:
            return False
        return not self._exhausted and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        # The guard matters: inserting rows makes the view re-check canFetchMore
        # and call fetchMore again from inside beginInsertRows.
        if parent.isValid() or self._reader is None or self._exhausted or self._fetching:
            return
        self._fetching = True
        try:
            q = self._query
            try:
                docs = self._reader.conversations(
                    q.view, q.filters, q.text, limit=self._page_size, offset=self._offset
                )
            except StorageError as exc:
                self._fail("read the next conversations", exc)
                return
            self._offset += len(docs)
            if len(docs) < self._page_size or self._offset >= self._total:
                self._exhausted = True
            # A concurrent change can shift offsets by a row: never list one twice.
            fresh = [d for d in docs if str(d["id"]) not in self._row_of]
            if fresh:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
                for doc in fresh:
                    self._row_of[str(doc["id"])] = len(self._rows)
                    self._rows.append(_row(doc, self._intern))
                self.endInsertRows()
        finally:
            self._fetching = False

    # ---------------------------------------------------------------- queries

    def set_reader(self, reader: InboxReader | None, query: InboxQuery | None = None) -> None:
        """Show another sub-account's cache (None: nothing), optionally with a new query.

        The old rows are gone when this returns and the new sub-account's first
        page is in place (one reset). Pending changes of the old sub-account are
        dropped."""
        self._refresh_timer.stop()
        self._clear_pending()
        self._reader = reader
        self._reload(query or self._query)

    def set_query(self, query: InboxQuery) -> None:
        """Show ``query``: reset and load its first page."""
        self._reload(query)

    def reload(self) -> None:
        """Re-read the current query from its first page (e.g. after an error)."""
        self._reload(self._query)

    def keep_in_view(self, conversation_id: str | None) -> None:
        """Keep ``conversation_id`` listed even when the view leaves it out (None: stop).

        No reset: the loaded rows are re-read in place, so the one kept before leaves
        if the view no longer has it, and selection and scroll stay."""
        q = self._query
        if q.filters.keep_id == conversation_id:
            return
        self._query = replace(q, filters=replace(q.filters, keep_id=conversation_id))
        self.refresh_all()

    def apply_first_page(
        self,
        reader: InboxReader | None,
        query: InboxQuery,
        docs: list[dict[str, Any]],
        total: int,
    ) -> bool:
        """Show a first page read elsewhere (``load_first_page`` in a worker).

        Refused (False, nothing changes) when the model has switched sub-account
        since: the caller must read again."""
        if reader is None or reader is not self._reader:
            return False
        self._reset_with(query, docs, total)
        return True

    def _reload(self, query: InboxQuery) -> None:
        docs: list[dict[str, Any]] = []
        total = 0
        failure: str | None = None
        if self._reader is not None:
            try:
                docs, total = load_first_page(self._reader, query, self._page_size)
            except StorageError as exc:
                failure = self._describe("read the conversations", exc)
        self._reset_with(query, docs, total)
        if failure is not None:
            self.loadFailed.emit(failure)

    def _reset_with(self, query: InboxQuery, docs: list[dict[str, Any]], total: int) -> None:
        self._refresh_timer.stop()
        self._clear_pending()  # the rows are read afresh: nothing is pending any more
        self._requery = None
        self._requery_again = False
        self.beginResetModel()
        self._epoch += 1
        self._query = query
        self._strings = {}
        self._rows = []
        self._row_of = {}
        for doc in docs:
            cid = str(doc["id"])
            if cid not in self._row_of:
                self._row_of[cid] = len(self._rows)
                self._rows.append(_row(doc, self._intern))
        self._offset = len(docs)
        self._total = total
        self._exhausted = self._reader is None or len(docs) >= total or len(docs) < self._page_size
        self._read_local_state()
        # Whoever reacts to modelReset (a view, the model tester) may call fetchMore from
        # inside the signal, before every listener has seen the reset finish: the first page
        # is already here, and views ask again once they have laid out the new rows.
        self._fetching = True
        try:
            self.endResetModel()
        finally:
            self._fetching = False
        self.countChanged.emit(total)

    def _intern(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._strings.setdefault(value, value)

    # ---------------------------------------------------------------- changes

    def refresh(self, event: ConversationsChanged) -> None:
        """Apply a change event of the shown sub-account (others are ignored), coalesced."""
        if not self._in_scope(event):
            return
        self._pending_ids |= event.ids
        self._pending_deleted |= event.deleted
        self._pending_full = self._pending_full or event.full
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    @property
    def has_pending_changes(self) -> bool:
        """Whether change events wait to be applied."""
        return bool(self._pending_ids or self._pending_deleted or self._pending_full)

    def flush_changes(self, *, background: bool | None = None) -> None:
        """Apply pending change events now (one re-query of the loaded window; see
        ``refresh_all`` for ``background``)."""
        self._refresh_timer.stop()
        if not self.has_pending_changes:
            return
        self._clear_pending()
        self.refresh_all(background=background)

    def refresh_all(self, *, background: bool | None = None) -> None:
        """Re-read the loaded window and apply the differences in place (no reset).

        A window larger than ``BACKGROUND_WINDOW`` rows is read and decoded on a
        worker thread (a few hundred milliseconds for 10,000 rows) and applied when
        it arrives, unless the rows changed meanwhile (then it is read again);
        ``background`` forces either way."""
        reader = self._reader
        if reader is None:
            return
        q = self._query
        # The window the user has loaded (at least a page, so new rows can show).
        window = max(len(self._rows), self._page_size)
        if background is None:
            background = window > BACKGROUND_WINDOW
        if background:
            if self._requery is not None:
                self._requery_again = True  # one read at a time; the newest state wins
                return
            job = _Requery(self._epoch, reader, q, window, {r.id: r for r in self._rows})
            self._requery = job
            self._worker().submit(self._requery_work, job)
            return
        try:
            docs, total = self._read_window(reader, q, window)
        except StorageError as exc:
            self._fail("apply the latest conversation changes", exc)
            return
        rows = build_rows(docs, {r.id: r for r in self._rows}, self._intern)
        self._apply_window(rows, len(docs), total, window)

    @property
    def requery_running(self) -> bool:
        """Whether a background re-read of the loaded rows is in flight."""
        return self._requery is not None

    @staticmethod
    def _read_window(
        reader: InboxReader, q: InboxQuery, window: int
    ) -> tuple[list[dict[str, Any]], int]:
        return reader.first_page(q.view, q.filters, q.text, window)

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-list")
        return self._executor

    def _requery_work(self, job: _Requery) -> None:
        # Runs on the worker thread: reads the cache and builds rows, touches no Qt object
        # but the delivery signal.
        try:
            docs, total = self._read_window(job.reader, job.query, job.window)
            rows = build_rows(docs, job.previous, self._intern)
        except StorageError as exc:
            self._delivery.done.emit(job, None, exc)
            return
        except Exception as exc:  # a worker exception would otherwise vanish in the future
            log.exception("inbox list: background re-read failed")
            self._delivery.done.emit(job, None, exc)
            return
        self._delivery.done.emit(job, (rows, len(docs)), total)

    def _requery_done(self, job: _Requery, result: Any, total: Any) -> None:
        if job is not self._requery:
            return  # abandoned by a reset
        self._requery = None
        again, self._requery_again = self._requery_again, False
        current = (
            job.epoch == self._epoch
            and job.reader is self._reader
            and len(self._rows) <= job.window
        )
        if not current:
            # Reset, switched, or more rows were fetched meanwhile: read the new window.
            if job.reader is self._reader:
                self.refresh_all()
            return
        if result is None:
            self._fail("apply the latest conversation changes", total)
            return
        rows, consumed = result
        self._apply_window(rows, consumed, int(total), job.window)
        if again:
            self.refresh_all()

    def _apply_window(self, rows: dict[str, _Row], consumed: int, total: int, window: int) -> None:
        self.changesAboutToApply.emit()
        old_local = (self._drafts, self._snoozes, self._marks)
        self._read_local_state()
        self._reconcile(rows, local_changed=old_local)
        self._offset = consumed
        self._exhausted = consumed < window or consumed >= total
        if total != self._total:
            self._total = total
            self.countChanged.emit(total)
        self.changesApplied.emit()

    def close(self) -> None:
        """Stop the background worker: pending re-reads are dropped, and a read in flight is
        waited for (a window reads in well under a second), so the cache can be closed
        safely once this returns."""
        self._requery = None
        if self._executor is not None:
            # A worker still reading while the cache closes its connections crashes the
            # SQLite driver: wait for it.
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def refresh_drafts(self) -> None:
        """Re-read which conversations have drafts (after the composer saved or cleared one)."""
        if self._reader is None:
            return
        before = self._drafts
        try:
            self._drafts = self._reader.conversations_with_drafts()
        except StorageError as exc:
            log.warning("could not read the drafts: %s", exc)
            return
        self._emit_rows(before ^ self._drafts, [HasDraftRole])

    def _read_local_state(self) -> None:
        reader = self._reader
        if reader is None:
            self._drafts, self._snoozes, self._marks = frozenset(), {}, frozenset()
            return
        try:
            self._drafts = reader.conversations_with_drafts()
            snoozes = reader.snoozes()
            marks = reader.marked_unread()
        except StorageError as exc:
            log.warning("could not read drafts and snoozes: %s", exc)
            return
        self._snoozes = snoozes
        self._marks = frozenset(marks)

    def _reconcile(
        self,
        new: dict[str, _Row],
        local_changed: tuple[frozenset[str], dict[str, int], frozenset[str]],
    ) -> None:
        """Turn the loaded rows into ``new`` (in order) with row moves, inserts, removals
        and ``dataChanged`` for rows whose values changed, never a reset."""
        root = QModelIndex()

        gone = [i for i, r in enumerate(self._rows) if r.id not in new]
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(root, first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()

        kept = {r.id for r in self._rows}
        target = [cid for cid in new if cid in kept]
        if [r.id for r in self._rows] != target:
            self.layoutAboutToBeChanged.emit()
            position = {cid: i for i, cid in enumerate(target)}
            old_ids = [r.id for r in self._rows]
            by_id = {r.id: r for r in self._rows}
            self._rows = [by_id[cid] for cid in target]
            before = self.persistentIndexList()
            after = [self.index(position[old_ids[p.row()]], 0) for p in before]
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()

        order = list(new)
        added = [i for i, cid in enumerate(order) if cid not in kept]
        for first, last in _runs(added):
            self.beginInsertRows(root, first, last)
            self._rows[first:first] = [new[cid] for cid in order[first : last + 1]]
            self.endInsertRows()

        drafts, snoozes, marks = local_changed
        local = (drafts ^ self._drafts) | (marks ^ self._marks)
        local |= {
            k for k in set(snoozes) | set(self._snoozes) if snoozes.get(k) != self._snoozes.get(k)
        }
        changed = []
        for i, current in enumerate(self._rows):
            fresh = new[current.id]
            if fresh is not current and fresh != current:
                self._rows[i] = fresh
                changed.append(i)
            elif current.id in local:
                changed.append(i)
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, 0))

    def _emit_rows(self, ids: Iterable[str], roles: list[int]) -> None:
        rows = sorted(self._row_of[i] for i in ids if i in self._row_of)
        for first, last in _runs(rows):
            self.dataChanged.emit(self.index(first, 0), self.index(last, 0), roles)

    def _all_changed(self, roles: list[int]) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0), roles)

    def _in_scope(self, event: ConversationsChanged) -> bool:
        reader = self._reader
        try:
            return reader is not None and reader.shows(event.scope)
        except ValueError:
            return False

    def _clear_pending(self) -> None:
        self._pending_ids = set()
        self._pending_deleted = set()
        self._pending_full = False

    # ---------------------------------------------------------------- display

    def tick(self) -> None:
        """Repaint the relative times ("5 min ago" grows old); a timer calls this."""
        self._all_changed([RelativeTimeRole])

    def _preview(self, item: _Row) -> tuple[str | None, str | None]:
        if item.preview is not None:
            return item.preview, item.direction
        if item.fallback is None:
            item.fallback = self._latest_message(item.id)
        text, direction = item.fallback
        return text, direction or item.direction

    def _latest_message(self, conversation_id: str) -> tuple[str | None, str | None]:
        if self._reader is None:
            return None, None
        try:
            message = self._reader.latest_message(conversation_id)
        except StorageError as exc:
            log.warning("could not read the latest message of %s: %s", conversation_id, exc)
            return None, None
        if message is None:
            return None, None
        body = _text(message.get("bodyText"))
        if body is None:
            markup = _text(message.get("bodyHtml"))
            body = _TAG_RE.sub(" ", markup) if markup else None
        text = one_line(body)
        if text is not None and message.get("isInternal") is True:
            text = f"Note: {text}"
        return text, _text(message.get("direction"))

    def _relative(self, ms: int | None) -> str:
        if ms is None:
            return ""
        return relative_time(datetime.fromtimestamp(ms / 1000, UTC), self._now(), self._locale)

    def _tooltip(self, item: _Row) -> str:
        parts = [item.name]
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
        if item.unread:
            words.append(f"{item.unread} unread")
        if item.status and item.status != "open":
            words.append(item.status)
        preview, _ = self._preview(item)
        if preview:
            words.append(preview)
        return ", ".join(w for w in words if w)

    def _document(self, conversation_id: str) -> dict[str, Any] | None:
        if self._reader is None:
            return None
        try:
            return self._reader.conversation(conversation_id)
        except StorageError as exc:
            self._fail("read the conversation", exc)
            return None

    # ----------------------------------------------------------------- errors

    @staticmethod
    def _describe(action: str, exc: BaseException) -> str:
        return (
            f"Could not {action} from the local cache ({exc}). "
            "Restart the app; if this keeps happening, clear the cache in Settings."
        )

    def _fail(self, action: str, exc: BaseException) -> None:
        log.error("inbox model: could not %s", action, exc_info=exc)
        # Stop paging so the view does not retry in a loop; reload() starts over.
        self._exhausted = True
        self.loadFailed.emit(self._describe(action, exc))


_MEMBER_PREFIX = re.compile(r"^(?:usr|user|u|member|tm)_(?=[a-z])", re.IGNORECASE)


def readable_member(user_id: str) -> str:
    """A team member id as a name when it reads like one (``usr_ana_ortiz`` → "Ana Ortiz").

    The API has no users endpoint, so names are not known; ids made of words are
    shown as words, anything else (``u_8f3k2``) as it is."""
    stripped = _MEMBER_PREFIX.sub("", user_id)
    words = [w for w in stripped.split("_") if w]
    if stripped == user_id or not words or not all(w.isalpha() for w in words):
        return user_id
    return " ".join(w.capitalize() for w in words)
