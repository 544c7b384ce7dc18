"""The messages of one conversation as a Qt list model: the cache, paged upwards, with the
outbox merged in.

Rows are ordered oldest at the top, newest at the bottom, the way a thread reads:

- **Server messages** from the cache (``MessageRepository.messages_page``), ordered like
  storage orders them (``createdAt``, then id). The model starts with the newest
  ``page_size`` and loads older pages when asked (``fetchMore``), inserting them at the
  top. When the cache has nothing older, it asks the server for the next older page
  (``load_older``, which is ``SyncService.load_older``: it stores the page in the cache)
  and reads the cache again; ``canFetchMore`` turns false once the server says the
  start was reached. Pages grow with what is loaded (up to ``MAX_PAGE``) so scrolling
  to the top of a long thread re-lays the view out a few times, not a hundred.
- **Outbox items** of the conversation that have no server copy in the cache yet, after
  every server message: a message the user just sent shows at once as queued, then
  sending, sent, or failed with the reason. When its server copy arrives (the thread
  poll stores it), the outbox row is removed in the same update that inserts the
  server message: never two rows for one message. While a send's outcome is unknown
  (``sending``/``unknown``) a server message matching it the way the sender's
  reconciliation matches (same channel, text with merge fields as wildcards, not
  claimed by another item) hides the outbox row as well.
- A server message that belongs to an outbox item carries the item's client id and
  state, so a bounced email sent from this app offers Retry and Cancel.

Live updates: ``messages_changed`` (the pane forwards ``MessagesChanged``) updates rows in
place (``dataChanged``: a status moving from sent to delivered) and inserts new
messages at their place (at the bottom, normally); messages older than the loaded
window are left for paging. ``outbox_changed`` re-reads the conversation's outbox
items. Both check the event's sub-account against the one shown: a late event of
another sub-account never reaches the rows.

``canFetchMore``/``fetchMore`` are Qt's hooks, with an in-flight guard. Qt's views call
them when their *last* row is visible (they assume rows are appended); here the last
row is the newest message and older pages go on top, so the thread view must not let
Qt drive them (``thread.ThreadView`` wraps the model in a proxy that hides them and
asks for older pages when the user scrolls near the top).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from app.core.errors import ApiError
from app.services.bus import MessagesChanged, OutboxChanged
from app.services.outbox import ServerMessage, server_copy_of
from app.services.sync import Stale
from app.services.ports.inbox import (
    InboxReader,
    OutboxItem,
    OutboxState,
    StorageError,
    created_ms,
)
from app.ui.async_qt import TaskSet
from app.ui.common.paged_model import KeyedListModel

log = logging.getLogger(__name__)

PAGE_SIZE = 50
"""Messages read for the first screen of a thread, and the smallest older page."""
MAX_PAGE = 500
"""The largest older page read from the cache at once."""
RETRY_PAUSE = 5.0
"""Seconds without asking the server for older messages after it failed to give some."""
_SERVER_ROUNDS = 20
"""Server pages asked for in one ``fetchMore`` while none of them brings an older message
(a page of messages the cache already had); a safety bound, not a normal case."""

LoadOlder = Callable[[str], Awaitable[int]]
"""``SyncService.load_older``: stores the next older server page; 0 at the start."""


class Role(IntEnum):
    """Custom data roles (``Qt.UserRole`` and up)."""

    ROW = Qt.ItemDataRole.UserRole + 1
    """The ``ThreadRow`` itself (what the delegate paints from)."""
    KEY = Qt.ItemDataRole.UserRole + 2
    """Stable row key: ``m:<message id>`` or ``o:<outbox client id>``."""
    MESSAGE_ID = Qt.ItemDataRole.UserRole + 3
    """The server message id, or None for an outbox item not on the server yet."""
    CLIENT_ID = Qt.ItemDataRole.UserRole + 4
    """The outbox client id of a message sent from this app, else None."""
    DIRECTION = Qt.ItemDataRole.UserRole + 5
    """``inbound`` or ``outbound``."""
    STATUS = Qt.ItemDataRole.UserRole + 6
    """What to show: queued, sending, unknown, pending, sent, delivered, read, failed, bounced."""
    REASON = Qt.ItemDataRole.UserRole + 7
    """Why a message failed or bounced, else None."""
    IS_NOTE = Qt.ItemDataRole.UserRole + 8
    """An internal note (``isInternal``): never sent to the contact."""
    CHANNEL = Qt.ItemDataRole.UserRole + 9
    SUBJECT = Qt.ItemDataRole.UserRole + 10
    BODY_TEXT = Qt.ItemDataRole.UserRole + 11
    BODY_HTML = Qt.ItemDataRole.UserRole + 12
    CREATED_MS = Qt.ItemDataRole.UserRole + 13
    """Creation time in epoch ms (the server's for messages, this machine's for outbox items)."""
    CAN_RETRY = Qt.ItemDataRole.UserRole + 14
    CAN_CANCEL = Qt.ItemDataRole.UserRole + 15


STATUS_LABELS: dict[str, str] = {
    "queued": "Queued",
    "sending": "Sending…",
    "unknown": "Checking whether it was sent…",
    "pending": "Sending…",
    "sent": "Sent",
    "delivered": "Delivered",
    "read": "Read",
    "failed": "Failed",
    "bounced": "Bounced",
    "cancelled": "Cancelled",
}
"""Status words shown under outbound messages."""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value != "" else None


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One row of the thread: a server message, or an outbox item without a server copy."""

    key: str
    message_id: str | None
    client_id: str | None
    created_ms: int
    direction: str
    channel: str
    status: str
    reason: str | None
    is_note: bool
    subject: str | None
    body_text: str
    body_html: str | None
    from_address: str | None = None
    to_address: str | None = None
    outbox_state: str | None = None
    """State of the outbox item behind this row (None: not sent from this app)."""

    @property
    def is_outbound(self) -> bool:
        """Sent by the business (or a note written by the team)."""
        return self.direction != "inbound"

    @property
    def is_failed(self) -> bool:
        """Failed or bounced (on the server, or in the outbox)."""
        return self.status in ("failed", "bounced")

    @property
    def can_retry(self) -> bool:
        """Retry is offered: a failed message whose outbox item is failed. A failure of a
        message the outbox does not hold (sent elsewhere, or already retried) offers
        none: resending it blindly could deliver it twice."""
        return (
            self.is_outbound
            and not self.is_note
            and self.client_id is not None
            and self.outbox_state == "failed"
        )

    @property
    def can_cancel(self) -> bool:
        """Cancel is offered: an outbox item still queued, or failed."""
        return self.client_id is not None and self.outbox_state in ("queued", "failed")

    @property
    def sort_key(self) -> tuple[int, str]:
        """Position among server messages: (created ms, id), as storage pages them."""
        return (self.created_ms, self.message_id or "")


def row_from_message(doc: dict[str, Any], item: OutboxItem | None = None) -> ThreadRow:
    """The row of a cached message document (linked to its outbox item, when it has one)."""
    message_id = str(doc.get("id"))
    status = str(doc.get("status") or "pending")
    reason = _text(doc.get("errorMessage"))
    if status in ("failed", "bounced") and reason is None:
        reason = "The provider did not deliver the message and gave no reason."
    return ThreadRow(
        key=f"m:{message_id}",
        message_id=message_id,
        client_id=item.client_id if item is not None else None,
        created_ms=created_ms(doc.get("createdAt")),
        direction=str(doc.get("direction") or "inbound"),
        channel=str(doc.get("channel") or ""),
        status=status,
        reason=reason if status in ("failed", "bounced") else None,
        is_note=doc.get("isInternal") is True,
        subject=_text(doc.get("subject")),
        body_text=str(doc.get("bodyText") or ""),
        body_html=_text(doc.get("bodyHtml")),
        from_address=_text(doc.get("fromAddress")),
        to_address=_text(doc.get("toAddress")),
        outbox_state=str(item.state) if item is not None else None,
    )


def row_from_item(item: OutboxItem) -> ThreadRow:
    """The row of an outbox item that has no server copy in the cache (yet)."""
    payload = item.payload
    state = str(item.state)
    reason = item.error if item.state is OutboxState.FAILED else None
    if item.state is OutboxState.FAILED and not reason:
        reason = "The message could not be sent."
    return ThreadRow(
        key=f"o:{item.client_id}",
        message_id=item.message_id,
        client_id=item.client_id,
        created_ms=item.created_ms,
        direction="outbound",
        channel=str(payload.get("channel") or ""),
        status=state,
        reason=reason,
        is_note=payload.get("isInternal") is True,
        subject=_text(payload.get("subject")),
        body_text=str(payload.get("bodyText") or ""),
        body_html=_text(payload.get("bodyHtml")),
        to_address=_text(payload.get("toAddress")),
        outbox_state=state,
    )


_ROLE_ATTRIBUTES: dict[int, str] = {
    Role.KEY: "key",
    Role.MESSAGE_ID: "message_id",
    Role.CLIENT_ID: "client_id",
    Role.DIRECTION: "direction",
    Role.STATUS: "status",
    Role.REASON: "reason",
    Role.IS_NOTE: "is_note",
    Role.CHANNEL: "channel",
    Role.SUBJECT: "subject",
    Role.BODY_TEXT: "body_text",
    Role.BODY_HTML: "body_html",
    Role.CREATED_MS: "created_ms",
    Role.CAN_RETRY: "can_retry",
    Role.CAN_CANCEL: "can_cancel",
}


class MessageListModel(KeyedListModel[ThreadRow]):
    """One conversation's messages, oldest first, paged upwards, with the outbox merged in
    (see the module docstring). ``set_thread`` binds it; ``clear`` empties it.

    The keyed rows, the guarded reset, inserting a page at the top and turning the rows
    into a new list in place (``_reconcile``) are ``KeyedListModel``'s; ``row_of`` answers
    None for a row not loaded."""

    noun = "messages"
    read_errors = (StorageError,)

    olderLoadFailed = Signal(str)
    """Older messages could not be loaded; the argument is a sentence for the user."""

    loadingChanged = Signal(bool)
    """An older page is being fetched from the server (True) or that finished (False)."""

    reachedStart = Signal()
    """Every message of the thread is loaded (``canFetchMore`` is false from now on)."""

    def __init__(
        self,
        tasks: TaskSet | None = None,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_page: int = MAX_PAGE,
        retry_pause: float = RETRY_PAUSE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks or TaskSet("thread-model")
        self._page_size = max(1, page_size)
        self._max_page = max(self._page_size, max_page)
        self._reader: InboxReader | None = None
        self._conversation_id: str | None = None
        self._load_older: LoadOlder | None = None
        self._n_messages = 0  # rows[:n] are server messages, rows[n:] outbox items
        self._cache_exhausted = False
        self._at_start = False
        self._loading = False
        self._token = 0  # bumped by set_thread: a late server page of another thread is dropped
        self._retry_pause = retry_pause
        self._clock = clock
        self._paused_until = 0.0  # after a failed server page: no automatic retry before

    def row_key(self, row: ThreadRow) -> str:
        """``m:<message id>`` or ``o:<outbox client id>``."""
        return row.key

    # -- binding ----------------------------------------------------------------------------
    @property
    def reader(self) -> InboxReader | None:
        """The sub-account shown, its cache reader (None when cleared)."""
        return self._reader

    @property
    def conversation_id(self) -> str | None:
        """The conversation shown (None when cleared)."""
        return self._conversation_id

    @property
    def loading(self) -> bool:
        """An older page is in flight (the guard of ``fetchMore``)."""
        return self._loading

    @property
    def at_start(self) -> bool:
        """The first message of the thread is loaded."""
        return self._at_start

    def set_thread(
        self,
        reader: InboxReader | None,
        conversation_id: str | None,
        *,
        load_older: LoadOlder | None = None,
    ) -> None:
        """Show ``conversation_id`` of ``reader``'s sub-account (None clears): the newest page of the
        cache and the conversation's outbox items. ``load_older`` fetches older pages from
        the server once the cache has none (without it, the cache is all there is)."""
        self._token += 1
        if self._loading:
            self._loading = False
            self.loadingChanged.emit(False)
        self.beginResetModel()
        self._reader = reader if conversation_id else None
        self._conversation_id = conversation_id if reader is not None else None
        self._load_older = load_older
        self._cache_exhausted = False
        self._paused_until = 0.0
        self._at_start = self._conversation_id is None
        messages: list[ThreadRow] = []
        outbox: list[ThreadRow] = []
        try:
            if self._conversation_id is not None:
                docs = self._read_page(None, self._page_size)
                messages = [row_from_message(d) for d in reversed(docs)]
                if len(docs) < self._page_size:
                    self._cache_exhausted = True
                    self._at_start = load_older is None
                items = self._items()
                messages = _linked(messages, _links(items))
                outbox = self._wanted_outbox_rows(items, messages)
        except StorageError as exc:
            log.error("could not read the thread %s: %s", conversation_id, exc)
            messages, outbox = [], []
            self._at_start = True
            self.olderLoadFailed.emit(
                f"The messages of this conversation could not be read from the cache ({exc})."
            )
        self._set_rows(messages + outbox)
        self._n_messages = len(messages)
        # Views (and the model tester) ask for more while the reset is being announced;
        # inserting rows from inside that notification is not allowed: they ask again
        # once they have laid the new rows out.
        self._end_reset()

    def clear(self) -> None:
        """Show nothing (and drop whatever is in flight)."""
        self.set_thread(None, None)

    # -- Qt model ----------------------------------------------------------------------------
    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        for role in Role:
            names[int(role)] = QByteArray(role.name.lower().encode())
        return names

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or index.column() != 0 or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Role.ROW:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return row.body_text
        if role == Qt.ItemDataRole.ToolTipRole:
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = "Internal note" if row.is_note else ("Sent" if row.is_outbound else "Received")
            status = STATUS_LABELS.get(row.status, row.status) if row.is_outbound else ""
            return ". ".join(p for p in (who, row.subject or "", row.body_text, status) if p)
        return self._role_value(row, role)

    @staticmethod
    def _role_value(row: ThreadRow, role: int) -> Any:
        name = _ROLE_ATTRIBUTES.get(role)
        return getattr(row, name) if name is not None else None

    # -- reading -----------------------------------------------------------------------------
    def rows(self) -> list[ThreadRow]:
        """Every row, top to bottom (a copy)."""
        return list(self._rows)

    def row_of(self, key: str) -> int | None:
        """The row number of a row key (``m:<id>``/``o:<client id>``), or None."""
        return self._row_of.get(key)

    @property
    def message_count(self) -> int:
        """Server messages loaded (outbox rows not counted)."""
        return self._n_messages

    def last_inbound_ms(self, channel: str | None = None) -> int | None:
        """Creation time of the newest loaded inbound message (on ``channel``), or None."""
        for row in reversed(self._rows[: self._n_messages]):
            if not row.is_outbound and (channel is None or row.channel == channel):
                return row.created_ms
        return None

    # -- paging upwards --------------------------------------------------------------------
    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        """Older messages may exist and none are being fetched (see the module docstring)."""
        if parent.isValid() or self._conversation_id is None:
            return False
        if self._cache_exhausted and self._clock() < self._paused_until:
            return False  # the server failed a moment ago: the view must not hammer it
        return not self._at_start and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        """Insert the next older page at the top: from the cache, else from the server."""
        # The guard matters: views and the model tester ask again from inside the row
        # notifications of the page being inserted (or of the reset being announced).
        if self._fetching or not self.canFetchMore(parent):
            return
        if not self._cache_exhausted:
            self._fetching = True
            try:
                if self._insert_older_from_cache():
                    return
            finally:
                self._fetching = False
        self._cache_exhausted = True
        if self._load_older is None:
            self._mark_start()
            return
        self._loading = True
        self.loadingChanged.emit(True)
        try:
            self._tasks.spawn(
                self._fetch_from_server(self._token, self._load_older), name="thread-older"
            )
        except RuntimeError as exc:  # no running loop, or the pane is shutting down
            log.warning("could not start loading older messages: %s", exc)
            self._finish_loading()

    def _older_limit(self) -> int:
        return min(self._max_page, max(self._page_size, self._n_messages))

    def _oldest(self) -> tuple[int, str] | None:
        if self._n_messages == 0:
            return None
        return self._rows[0].sort_key

    def _read_page(self, before: tuple[int, str] | None, limit: int) -> list[dict[str, Any]]:
        assert self._reader is not None and self._conversation_id is not None
        return self._reader.messages_page(self._conversation_id, before, limit)

    def _insert_older_from_cache(self) -> bool:
        """Insert the next cached page above the oldest row; False when the cache has none."""
        limit = self._older_limit()
        try:
            docs = self._read_page(self._oldest(), limit)
            links = _links(self._items()) if docs else {}
        except StorageError as exc:
            log.error("could not read older messages: %s", exc)
            self.olderLoadFailed.emit(
                f"Older messages could not be read from the cache ({exc}). "
                "Scroll up again to retry."
            )
            return True  # not exhausted: the next attempt reads again
        if not docs:
            return False
        older = [row_from_message(d, links.get(str(d.get("id")))) for d in reversed(docs)]
        # Strictly older than every loaded message, so none can be loaded already;
        # ``_insert_rows`` only guards the rows against a duplicate if that ever stopped
        # holding.
        inserted = self._insert_rows(0, older)
        self._n_messages += len(inserted)
        if len(docs) < limit:
            self._cache_exhausted = True  # the next page comes from the server (if any)
            if self._load_older is None:
                self._mark_start()
        return bool(inserted)

    async def _fetch_from_server(self, token: int, load_older: LoadOlder) -> None:
        conversation_id = self._conversation_id
        assert conversation_id is not None
        failure: str | None = None
        try:
            for _ in range(_SERVER_ROUNDS):
                fetched = await load_older(conversation_id)
                if token != self._token:
                    return
                if fetched == 0:
                    self._finish_loading()
                    self._mark_start()
                    return
                self._fetching = True
                try:
                    inserted = self._insert_older_from_cache()
                finally:
                    self._fetching = False
                if inserted:
                    break
            else:
                log.warning("thread %s: older pages brought nothing new", conversation_id)
        except Stale:
            return  # the sub-account changed: the pane is being cleared anyway
        except asyncio.CancelledError:
            raise
        except ApiError as exc:
            failure = f"Older messages could not be loaded: {exc.user_message}"
        except Exception as exc:  # the pane shows it; the log has the traceback
            log.exception("loading older messages of %s failed", conversation_id)
            failure = f"Older messages could not be loaded ({exc}). Scroll up again to retry."
        finally:
            if token == self._token and self._loading:
                self._finish_loading()
        if failure is not None and token == self._token:
            self._paused_until = self._clock() + self._retry_pause
            self.olderLoadFailed.emit(failure)

    def _finish_loading(self) -> None:
        self._loading = False
        self.loadingChanged.emit(False)

    def _mark_start(self) -> None:
        if not self._at_start:
            self._at_start = True
            self.reachedStart.emit()

    # -- live updates ---------------------------------------------------------------------
    def _in_scope(self, event: MessagesChanged | OutboxChanged) -> bool:
        reader = self._reader
        if reader is None or event.conversation_id != self._conversation_id:
            return False
        try:
            return reader.covers(event.scope)
        except ValueError:
            return False

    def messages_changed(self, event: MessagesChanged) -> None:
        """Apply a ``MessagesChanged`` of the conversation shown (others are ignored)."""
        if not self._in_scope(event):
            return
        self.apply_message_ids(event.ids)

    def apply_message_ids(self, ids: Iterable[str]) -> None:
        """Re-read these messages from the cache: update rows in place, insert new ones at
        their place (older than the loaded window: left for paging), and drop outbox rows
        their server copies replace, in one update."""
        reader, conversation_id = self._reader, self._conversation_id
        if reader is None or conversation_id is None:
            return
        try:
            docs = [reader.message(i) for i in sorted(set(ids))]
            items = self._items()
        except StorageError as exc:
            log.error("could not read changed messages: %s", exc)
            return
        links = _links(items)
        messages = self._rows[: self._n_messages]
        inserts: list[ThreadRow] = []
        oldest = self._oldest()
        for doc in docs:
            if doc is None or doc.get("conversationId") != conversation_id:
                continue
            row = row_from_message(doc, links.get(str(doc.get("id"))))
            at = self._row_of.get(row.key)
            if at is not None:
                messages[at] = row  # in place: its position is kept, whatever changed
            elif oldest is None or row.sort_key > oldest or self._at_start:
                inserts.append(row)
        for row in sorted(inserts, key=_sort_key):
            messages.insert(bisect.bisect_left(messages, row.sort_key, key=_sort_key), row)
        self._show(messages, items)

    def outbox_changed(self, event: OutboxChanged) -> None:
        """Apply an ``OutboxChanged`` of the conversation shown (others are ignored)."""
        if self._in_scope(event):
            self.refresh_outbox()

    def refresh_outbox(self) -> None:
        """Re-read the conversation's outbox items: link them to their server messages,
        add, update and remove the outbox rows."""
        if self._reader is None or self._conversation_id is None:
            return
        try:
            items = self._items()
        except StorageError as exc:
            log.error("could not read the outbox: %s", exc)
            return
        self._show(self._rows[: self._n_messages], items)

    def _show(self, messages: list[ThreadRow], items: list[OutboxItem]) -> None:
        """Turn the rows into ``messages`` (linked to their outbox ``items``) followed by the
        outbox rows still wanted, in place: removals, inserts and ``dataChanged`` in one
        update, so a server copy never shows next to the outbox row it replaces."""
        messages = _linked(messages, _links(items))
        try:
            outbox = self._wanted_outbox_rows(items, messages)
        except StorageError as exc:
            log.error("could not read the outbox: %s", exc)
            return
        self._reconcile(messages + outbox, set())  # no paging inside its notifications
        self._n_messages = len(messages)

    def _items(self) -> list[OutboxItem]:
        assert self._reader is not None and self._conversation_id is not None
        return self._reader.outbox_items(self._conversation_id)

    def _wanted_outbox_rows(
        self, items: Sequence[OutboxItem], messages: Sequence[ThreadRow]
    ) -> list[ThreadRow]:
        """Rows for the outbox items that have no server copy to show instead."""
        reader = self._reader
        assert reader is not None
        claimed = {i.message_id for i in items if i.message_id}
        loaded: set[str] | None = None
        wanted: list[ThreadRow] = []
        for item in items:
            if item.state is OutboxState.CANCELLED:
                continue
            if item.message_id:
                if loaded is None:
                    loaded = {r.key for r in messages}
                if f"m:{item.message_id}" in loaded or (
                    reader.message(item.message_id) is not None
                ):
                    continue  # the server copy is (or will be, by paging) the row
            elif item.state in (OutboxState.SENDING, OutboxState.UNKNOWN):
                match = server_copy_of(item, _newest_first(messages), claimed)
                if match is not None:
                    claimed.add(match)
                    continue
            wanted.append(row_from_item(item))
        return wanted


def _sort_key(row: ThreadRow) -> tuple[int, str]:
    return row.sort_key


def _links(items: Iterable[OutboxItem]) -> dict[str, OutboxItem]:
    """Outbox items by the server message id they were matched to."""
    return {i.message_id: i for i in items if i.message_id}


def _linked(messages: list[ThreadRow], links: Mapping[str, OutboxItem]) -> list[ThreadRow]:
    """``messages`` with their outbox item's client id and state (changed rows replaced;
    ``messages`` itself when none changed)."""
    out = messages
    for at, row in enumerate(messages):
        item = links.get(row.message_id or "")
        client_id = item.client_id if item is not None else None
        state = str(item.state) if item is not None else None
        if row.client_id != client_id or row.outbox_state != state:
            if out is messages:
                out = list(messages)
            out[at] = replace(row, client_id=client_id, outbox_state=state)
    return out


def _newest_first(messages: Sequence[ThreadRow]) -> Iterator[ServerMessage]:
    """The message rows (oldest first) as the outbox's copy rule reads them, lazily."""
    for row in reversed(messages):
        if row.message_id is not None:
            yield ServerMessage(
                row.message_id, row.created_ms, row.direction, row.channel or None, row.body_text
            )


__all__ = [
    "MAX_PAGE",
    "PAGE_SIZE",
    "STATUS_LABELS",
    "LoadOlder",
    "MessageListModel",
    "Role",
    "ThreadRow",
    "created_ms",
    "row_from_item",
    "row_from_message",
]
