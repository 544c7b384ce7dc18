"""The Inbox's thread pane: one conversation's header, its messages and the composer.

- ``ThreadView`` is the list view: newest message at the bottom, it keeps the row the
  user is reading in place when older pages are inserted above (or anything else
  changes), follows new messages when it is at the bottom, and asks the model for older
  pages when the user scrolls near the top (Qt's own fetch-more trigger is for lists
  that grow downwards and is switched off by a proxy). Messages are painted by
  ``message_delegate.MessageDelegate``; HTML bodies are safe documents
  (``safe_html``: nothing remote is loaded, no script runs).
- ``ThreadPane`` puts them together with the composer: ``set_conversation(id)`` shows a
  conversation of the active sub-account and tells the session to poll it fast
  (``open_conversation``); a sub-account switch clears it at once. A clicked link opens
  only after the user saw its address and agreed (``confirm_link``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QIdentityProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QDesktopServices,
    QFont,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.bus import (
    ContactsChanged,
    ConversationsChanged,
    MessagesChanged,
    OutboxChanged,
    ScopeKey,
    SessionChanged,
)
from app.services.outbox import OutboxSender
from app.services.ports.inbox import (
    IllegalTransitionError,
    InboxPort,
    OutboxItemNotFoundError,
    StorageError,
)
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.inbox.composer import (
    CHANNEL_ICON_NAMES,
    Composer,
    channel_label,
    contact_name,
)
from app.ui.inbox.thread_model import MessageListModel, Role, ThreadRow
from app.ui.theme import Spacing, icon
from app.ui.common.widgets import Banner, EmptyState, IconLabel

from app.ui.inbox.full_message import FullMessageDialog
from app.ui.inbox.message_delegate import MessageDelegate
from app.ui.inbox.safe_html import link_accepted, link_question, link_refusal

log = logging.getLogger(__name__)

CONVERSATION_STATUS_LABELS = {"open": "Open", "closed": "Closed", "snoozed": "Snoozed"}


# --- the view ---------------------------------------------------------------------------------


class _NoViewFetch(QIdentityProxyModel):
    """Hides ``canFetchMore`` from the view: Qt fetches when the *last* row is visible,
    which in a thread is the newest message (older pages go on top, on scroll)."""

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return False

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        return None


class ThreadView(QListView):
    """The messages, newest at the bottom, keeping the reader's place (module docstring)."""

    FETCH_MARGIN = 400
    """Pixels from the top at which older messages are asked for."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # State first: Qt calls the overrides below from the setters that follow.
        self._source: MessageListModel | None = None
        self._anchor: tuple[str, str | None, int] | None = None
        self._restoring = False
        self._at_bottom = True
        self._fetch_timer = QTimer(self)
        self._fetch_timer.setSingleShot(True)
        self._fetch_timer.setInterval(0)
        self._fetch_timer.timeout.connect(self._fetch_if_near_top)
        self._proxy = _NoViewFetch(self)
        self.setObjectName("threadView")
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)  # bubbles differ in height; measured and cached
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setMouseTracking(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalScrollBar().setSingleStep(24)
        self.delegate = MessageDelegate(self)
        self.setItemDelegate(self.delegate)
        self.delegate.bodies.ready.connect(self._body_ready)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        proxy = self._proxy
        proxy.rowsAboutToBeInserted.connect(self._capture)
        proxy.rowsAboutToBeRemoved.connect(self._capture)
        proxy.modelAboutToBeReset.connect(self._reset_coming)
        proxy.layoutAboutToBeChanged.connect(self._capture)
        proxy.dataChanged.connect(self._data_changed)
        self.setModel(proxy)

    @property
    def thread_model(self) -> MessageListModel | None:
        """The model shown (through the view's proxy)."""
        return self._source

    def set_thread_model(self, model: MessageListModel) -> None:
        """Show ``model`` (the view never lets Qt drive its fetching; see the class doc)."""
        self._source = model
        self._proxy.setSourceModel(model)

    def source_index(self, row: int) -> QModelIndex:
        """The view's index of source row ``row``."""
        return self._proxy.index(row, 0)

    def at_bottom(self) -> bool:
        """Whether the newest message is in view (new ones are followed)."""
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def scroll_to_bottom(self) -> None:
        """Show the newest message and follow new ones."""
        self._at_bottom = True
        self._anchor = ("bottom", None, 0)
        self.scrollToBottom()
        self.doItemsLayout()

    def anchor_row(self) -> tuple[str | None, int]:
        """The key of the row at the top of the viewport and its offset (for tests)."""
        index = self.indexAt(QPoint(self.viewport().width() // 2, 0))
        if not index.isValid():
            return None, 0
        return index.data(Role.KEY), self.visualRect(index).top()

    # -- keeping the place -------------------------------------------------------------------
    def _capture(self, *_: Any) -> None:
        if self._anchor is not None or self._restoring:
            return  # the first picture before a burst of changes is the one to restore
        if self._at_bottom:
            self._anchor = ("bottom", None, 0)
            return
        key, offset = self.anchor_row()
        self._anchor = ("row", key, offset) if key else None

    def _reset_coming(self) -> None:
        self._anchor = ("bottom", None, 0)
        self._at_bottom = True

    def _data_changed(self, top_left: QModelIndex, *_: Any) -> None:
        # A status change can change a bubble's height (a reason and buttons appear):
        # re-measure, keeping the place.
        self._capture()
        self.delegate.sizeHintChanged.emit(top_left)

    def _body_ready(self, key: str) -> None:
        # An email was prepared or laid out after its row was first measured: measure it
        # again, keeping the place (the delegate has dropped its old measure already).
        row = self._source.row_of(key) if self._source is not None else None
        if row is None:
            return
        self._capture()
        self.delegate.sizeHintChanged.emit(self.source_index(row))

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._restore()
        self._fetch_timer.start()

    def _restore(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None:
            return
        bar = self.verticalScrollBar()
        self._restoring = True
        try:
            kind, key, offset = anchor
            if kind == "bottom":
                bar.setValue(bar.maximum())
                self._at_bottom = True
                return
            row = self._source.row_of(key) if self._source is not None and key else None
            if row is None:
                return
            rect = self.visualRect(self.source_index(row))
            bar.setValue(bar.value() + rect.top() - offset)
        finally:
            self._restoring = False

    def _scrolled(self, _value: int) -> None:
        if not self._restoring:
            self._at_bottom = self.at_bottom()
        self._fetch_timer.start()

    def _fetch_if_near_top(self) -> None:
        source = self._source
        if source is None or not source.canFetchMore(QModelIndex()):
            return
        bar = self.verticalScrollBar()
        if bar.maximum() == 0 or bar.value() <= self.FETCH_MARGIN:
            source.fetchMore(QModelIndex())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._capture()
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange):
            self.delegate.clear_cache()
            self.scheduleDelayedItemsLayout()
        super().changeEvent(event)


# --- the pane ---------------------------------------------------------------------------------


class ThreadPane(QWidget):
    """One conversation: header, messages, composer (see the module docstring).

    ``ThreadPane(port, bridge, tasks, parent)``; ``set_conversation(id)`` shows a
    conversation of the active sub-account (None clears), ``focus_composer()`` puts the
    cursor in the message text. ``open_url`` opens an accepted link (the system browser
    by default; tests pass their own).
    """

    contactLinkActivated = Signal(str)
    """The user asked to open the conversation's contact; the argument is its id."""

    def __init__(
        self,
        port: InboxPort,
        bridge: BusBridge,
        tasks: TaskSet,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("threadPane")
        self.port = port
        self.bridge = bridge
        self.tasks = tasks
        self._open_url = open_url
        self._conversation_id: str | None = None
        self._contact_id: str | None = None
        self._generation: int | None = None
        self._hint_for: tuple[Any, ...] | None = None
        self.link_box: QMessageBox | None = None
        self.full_message: FullMessageDialog | None = None
        """The long email opened last in its own window (tests)."""
        self.model = MessageListModel(tasks, self)
        self._build()
        self._connect()
        self.set_conversation(None)

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.pages = QStackedWidget(self)
        root.addWidget(self.pages)

        self.empty = EmptyState(self)
        self.empty.set_content(
            "inbox",
            "No conversation open",
            "Choose a conversation to read it and answer.",
        )
        self.pages.addWidget(self.empty)

        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QWidget(content)
        header.setObjectName("threadHeader")
        head = QHBoxLayout(header)
        head.setContentsMargins(Spacing.M, Spacing.S, Spacing.M, Spacing.S)
        head.setSpacing(Spacing.S)
        self.channel_icon = IconLabel(None, 24, header)
        head.addWidget(self.channel_icon)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel(header)
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        title_font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(title_font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel(header)
        self.subtitle.setProperty("muted", True)
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.also_label = QLabel(header)
        self.also_label.setObjectName("alsoContactIn")
        self.also_label.setProperty("muted", True)
        self.also_label.setTextFormat(Qt.TextFormat.PlainText)
        self.also_label.setToolTip(
            "The same email or phone is a contact in these sub-accounts too "
            "(their records stay in their own sub-accounts)."
        )
        self.also_label.hide()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        titles.addWidget(self.also_label)
        head.addLayout(titles, 1)
        self.contact_button = QToolButton(header)
        self.contact_button.setText("Open contact")
        self.contact_button.setIcon(icon("user"))
        self.contact_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.contact_button.setAutoRaise(True)
        self.contact_button.setToolTip("Open this contact in the Contacts tab")
        head.addWidget(self.contact_button)
        layout.addWidget(header)
        line = QFrame(content)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        line.setProperty("muted", True)
        layout.addWidget(line)

        self.banner = Banner(content)
        layout.addWidget(self.banner)
        self.loading_label = QLabel("Loading older messages…", content)
        self.loading_label.setProperty("muted", True)
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_label.hide()
        layout.addWidget(self.loading_label)

        self.splitter = QSplitter(Qt.Orientation.Vertical, content)
        self.splitter.setChildrenCollapsible(False)
        self.view = ThreadView(self.splitter)
        self.view.set_thread_model(self.model)
        self.composer = Composer(self.port, self.splitter)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.composer)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([520, 220])
        layout.addWidget(self.splitter, 1)
        self.pages.addWidget(content)
        self.content = content

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.messagesChanged.connect(self._on_messages)
        bridge.outboxChanged.connect(self._on_outbox)
        bridge.conversationsChanged.connect(self._on_conversations)
        bridge.contactsChanged.connect(self._on_contacts)
        bridge.sessionChanged.connect(self._on_session)
        self.contact_button.clicked.connect(self._open_contact)
        self.view.delegate.retryRequested.connect(self.retry)
        self.view.delegate.fullMessageRequested.connect(self.show_full_message)
        self.view.delegate.cancelRequested.connect(self.cancel)
        self.view.delegate.linkActivated.connect(self.confirm_link)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.model.olderLoadFailed.connect(lambda text: self.banner.show_message("danger", text))
        self.model.loadingChanged.connect(self.loading_label.setVisible)
        self.composer.messageQueued.connect(lambda _cid: self.view.scroll_to_bottom())
        self.composer.leaveRequested.connect(self._leave_composer)

    # -- public API ------------------------------------------------------------------------
    @property
    def conversation_id(self) -> str | None:
        """The conversation shown, or None."""
        return self._conversation_id

    def set_conversation(self, conversation_id: str | None) -> None:
        """Show ``conversation_id`` of the active sub-account (None: nothing) and poll it."""
        port = self.port
        reader = port.reader()
        generation = port.generation()
        if conversation_id is not None and reader is None:
            conversation_id = None
        same = (
            conversation_id == self._conversation_id
            and reader is not None
            and self._generation == generation
            and conversation_id is not None
        )
        if same:
            self._refresh_header()
            return
        self._conversation_id = conversation_id
        self._generation = generation if reader is not None else None
        self.banner.hide()
        if conversation_id is None or reader is None:
            self.model.clear()
            self.composer.set_conversation(None)
            self._contact_id = None
            self.pages.setCurrentWidget(self.empty)
            port.open_conversation(None)
            return
        self.model.set_thread(reader, conversation_id, load_older=port.older_loader())
        self.view.scroll_to_bottom()
        self.composer.set_conversation(conversation_id)
        self._refresh_header()
        self.pages.setCurrentWidget(self.content)
        port.open_conversation(conversation_id)

    def focus_composer(self) -> None:
        """Put the cursor in the composer's message text."""
        if self._conversation_id is not None:
            self.composer.focus_body()

    # -- header ----------------------------------------------------------------------------
    def _conversation(self) -> dict[str, Any] | None:
        reader = self.port.reader()
        if reader is None or self._conversation_id is None:
            return None
        try:
            return reader.conversation(self._conversation_id)
        except StorageError as exc:
            log.error("could not read conversation %s: %s", self._conversation_id, exc)
            return None

    def _refresh_header(self) -> None:
        conversation = self._conversation()
        reader = self.port.reader()
        contact: dict[str, Any] | None = None
        contact_id = str((conversation or {}).get("contactId") or "") or None
        if contact_id and reader is not None:
            try:
                contact = reader.contact(contact_id)
            except StorageError as exc:
                log.error("could not read contact %s: %s", contact_id, exc)
        self._contact_id = contact_id
        if conversation is None:
            self.title.setText("Loading the conversation…")
            self.subtitle.setText("It is not in the cache yet; it appears with the next sync.")
            self.channel_icon.set_icon(None)
            self.contact_button.setEnabled(False)
            return
        channel = str(conversation.get("channel") or "")
        name = contact_name(contact, conversation)
        self.title.setText(name if name != "The contact" else "Unnamed contact")
        parts = [channel_label(channel) if channel else ""]
        if self.port.all_mode():
            # Beside the merged list: say whose conversation this is (where a reply goes).
            parts.insert(0, self.port.sub_account_name() or "")
        status = str(conversation.get("status") or "")
        if status:
            parts.append(CONVERSATION_STATUS_LABELS.get(status, status.capitalize()))
        if conversation.get("isArchived"):
            parts.append("Archived")
        subject = conversation.get("subject")
        if subject:
            parts.append(str(subject))
        self.subtitle.setText(" · ".join(p for p in parts if p))
        self.channel_icon.set_icon(CHANNEL_ICON_NAMES.get(channel, "inbox"))
        self.contact_button.setEnabled(contact_id is not None)
        self._ask_hint(contact, conversation)

    # -- "also a contact in" ---------------------------------------------------------------
    def _ask_hint(self, contact: dict[str, Any] | None, conversation: dict[str, Any]) -> None:
        """Look, on a worker, for the contact's email or phone among the other member
        sub-accounts' contacts; only their names are shown, never those records."""
        embedded = conversation.get("contact")
        summary = embedded if isinstance(embedded, dict) else {}
        source = contact or summary
        email = source.get("email") or summary.get("email")
        phone = source.get("phone") or summary.get("phone")
        wanted = (
            self._generation,
            self._conversation_id,
            email if isinstance(email, str) else None,
            phone if isinstance(phone, str) else None,
        )
        if wanted == self._hint_for:
            return
        self._hint_for = wanted
        self.also_label.hide()
        if wanted[2] is None and wanted[3] is None:
            return
        try:
            self.tasks.spawn(self._find_hint(wanted), "thread-also-contact", replace=True)
        except RuntimeError as exc:  # no loop (the pane used without one)
            log.debug("no hint lookup: %s", exc)

    async def _find_hint(self, wanted: tuple[Any, ...]) -> None:
        try:
            names = await asyncio.to_thread(self.port.also_contact_in, wanted[2], wanted[3])
        except StorageError as exc:
            log.warning("could not look for the contact in other sub-accounts: %s", exc)
            return
        if wanted != self._hint_for:
            return  # another conversation (or sub-account) is shown now
        self.show_hint(names)

    def show_hint(self, names: list[str]) -> None:
        """Say in which other sub-accounts the contact is known too (empty: nothing)."""
        if not names:
            self.also_label.hide()
            return
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.also_label.setText(f"Also a contact in {shown}")
        self.also_label.show()

    def _open_contact(self) -> None:
        if self._contact_id:
            self.contactLinkActivated.emit(self._contact_id)

    # -- events ----------------------------------------------------------------------------
    def _ours(self, scope: ScopeKey | None) -> bool:
        current = self.port.scope()
        return current is not None and scope == current and self._conversation_id is not None

    def _on_messages(self, event: MessagesChanged) -> None:
        self.model.messages_changed(event)
        if self._ours(event.scope) and event.conversation_id == self._conversation_id:
            self.composer.refresh_window()

    def _on_outbox(self, event: OutboxChanged) -> None:
        self.model.outbox_changed(event)

    def _on_conversations(self, event: ConversationsChanged) -> None:
        if not self._ours(event.scope):
            return
        cid = self._conversation_id
        if cid in event.deleted:
            self.banner.show_message(
                "warning", "This conversation was deleted on the server (its contact was removed)."
            )
            return
        if event.full or cid in event.ids:
            self._refresh_header()
            self.composer.refresh_context()

    def _on_contacts(self, event: ContactsChanged) -> None:
        if not self._ours(event.scope):
            return
        if event.full or (self._contact_id and self._contact_id in event.ids | event.deleted):
            self._refresh_header()
            self.composer.refresh_context()

    def _on_session(self, event: SessionChanged) -> None:
        # Another sub-account: nothing of this one may stay on screen, not even for a frame.
        # The composer's draft is written to the sub-account it belongs to first.
        self.composer.flush_draft()
        self._conversation_id = None
        self._generation = None
        self.model.clear()
        self.composer.set_conversation(None)
        self._contact_id = None
        self.banner.hide()
        self.pages.setCurrentWidget(self.empty)

    # -- actions on messages -------------------------------------------------------------------
    def _row(self, key: str) -> ThreadRow | None:
        at = self.model.row_of(key)
        return self.model.row_at(at) if at is not None else None

    def _sender(self) -> OutboxSender | None:
        return self.port.sender()

    def retry(self, key: str) -> bool:
        """Retry the failed message of row ``key`` through the outbox; False when it cannot
        be retried (said in the banner)."""
        row = self._row(key)
        sender = self._sender()
        if row is None or not row.can_retry or row.client_id is None:
            return False
        if sender is None:
            self.banner.show_message(
                "warning", "Not connected: the message will be retried once a connection is open."
            )
            return False
        try:
            sender.retry(row.client_id)
        except (IllegalTransitionError, OutboxItemNotFoundError):
            self.model.refresh_outbox()
            self.banner.show_message(
                "info", "This message is no longer failed (it was retried or cancelled already)."
            )
            return False
        except StorageError as exc:
            self.banner.show_message("danger", f"The message could not be queued again ({exc}).")
            return False
        self.banner.hide()
        return True

    def cancel(self, key: str) -> bool:
        """Cancel the queued or failed outbox item of row ``key``; False when it cannot be."""
        row = self._row(key)
        sender = self._sender()
        if row is None or not row.can_cancel or row.client_id is None or sender is None:
            return False
        try:
            sender.cancel(row.client_id)
        except (IllegalTransitionError, OutboxItemNotFoundError):
            self.model.refresh_outbox()
            self.banner.show_message(
                "info", "This message is already on its way and can no longer be cancelled."
            )
            return False
        except StorageError as exc:
            self.banner.show_message("danger", f"The message could not be cancelled ({exc}).")
            return False
        return True

    def show_full_message(self, key: str) -> FullMessageDialog | None:
        """Open the whole of a long email (shown as text in the thread) in its own window."""
        row_number = self.model.row_of(key)
        row = self.model.index(row_number, 0).data(Role.ROW) if row_number is not None else None
        if not isinstance(row, ThreadRow) or not row.body_html:
            return None
        dialog = FullMessageDialog(row.subject or "Full message", row.body_html, self)
        dialog.linkActivated.connect(self.confirm_link)
        dialog.show()
        self.full_message = dialog
        return dialog

    def confirm_link(self, url: QUrl) -> None:
        """Show where a clicked link goes; open it in the browser only if the user agrees.
        Links of other schemes (``javascript:``, ``file:``…) are refused."""
        refusal = link_refusal(url)
        if refusal is not None:
            self.banner.show_message("warning", refusal)
            return
        if self.link_box is not None:
            self.link_box.close()
        box = link_question(self, url)
        box.finished.connect(lambda result, u=QUrl(url): self._link_answered(result, u))
        self.link_box = box
        box.open()  # never exec(): this may run while a coroutine is in flight

    def _link_answered(self, result: int, url: QUrl) -> None:
        self.link_box = None
        if link_accepted(result):
            self._open_url(url)

    def _context_menu(self, point: QPoint) -> None:
        index = self.view.indexAt(point)
        row = index.data(Role.ROW) if index.isValid() else None
        if not isinstance(row, ThreadRow):
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        copy = menu.addAction("Copy text")
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.triggered.connect(lambda: QApplication.clipboard().setText(row.body_text))
        if row.can_retry and row.client_id:
            menu.addAction("Retry").triggered.connect(lambda: self.retry(row.key))
        if row.can_cancel:
            menu.addAction("Cancel sending").triggered.connect(lambda: self.cancel(row.key))
        menu.popup(self.view.viewport().mapToGlobal(point))

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.view.hasFocus():
            row = self.view.currentIndex().data(Role.ROW)
            if isinstance(row, ThreadRow):
                QApplication.clipboard().setText(row.body_text)
                return
        super().keyPressEvent(event)

    def _leave_composer(self) -> None:
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def closeEvent(self, event: Any) -> None:
        self.composer.flush_draft()
        super().closeEvent(event)


__all__ = ["ThreadPane", "ThreadView"]
