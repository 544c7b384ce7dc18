"""Desktop notifications of new inbound messages and the unread count in the system tray.

``InboxNotifier`` watches ``ConversationsChanged`` of the active sub-account:
a conversation whose ``lastMessageAt`` moved forward with
``lastMessageDirection == "inbound"`` is a new message from the contact, and
gets a notification (sender, channel, preview) unless

- its channel is muted (``Preferences.muted_channels``),
- it is the conversation open in the thread pane while the window is active
  (the user is reading it), or
- it arrived before the notifier started watching (the first sync of a
  sub-account brings months of messages; none of them is news).

For an agency, the other included sub-accounts are polled in the background
(``app/services/agency_watch.py``): their new inbound messages arrive as
``InboundArrived`` and are notified the same way, the title naming the
sub-account ("Summit Roofing Co · Dana Lee"), unless the sub-account is
"observe only". Clicking such a notice asks the tab to open that thread in its
sub-account (``openElsewhereRequested``): the tab opens the sub-account first, after the
window's unsaved-work check, and stays in "All sub-accounts" when it is chosen.

Clicking a notification (``messageClicked``) asks to open that thread and
raise the window (``openRequested``). The tray icon shows the unread count —
of the open sub-account plus every other included one that notifies
(``UnreadCounts``) — as its tooltip and as a badge drawn on the icon. Where the system has no tray
(``QSystemTrayIcon.isSystemTrayAvailable()`` is false, e.g. offscreen), there
is no icon and nothing is shown, but every notification is still emitted as
``notified`` (tests and diagnostics read it there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from app.core.constants import CHANNELS
from app.services.bus import ConversationsChanged, InboundArrived, ScopeKey, UnreadCounts
from app.services.ports.inbox import InboxPort, InboxReader, StorageError
from app.ui.inbox.delegate import CHANNEL_LABELS
from app.ui.inbox.list_model import contact_label, one_line
from app.ui.theme import app_icon

log = logging.getLogger(__name__)

BURST_LIMIT = 3
"""At most this many notifications per change event; the rest are summed up in one."""
MESSAGE_MS = 8000
"""How long a notification stays up (where the platform lets the app choose)."""


@dataclass(frozen=True, slots=True)
class InboundNotice:
    """One desktop notification: a new inbound message (or ``count`` of them)."""

    conversation_id: str
    sender: str
    channel: str
    preview: str
    at_ms: int
    count: int = 1
    scope: ScopeKey | None = None
    """The sub-account the message belongs to (None: the open one when it was shown)."""
    sub_account: str | None = None
    """The name of a sub-account in the background (None for the open one)."""

    @property
    def title(self) -> str:
        """The notification's title: sender and channel ("Ana Lima · SMS"); for another
        sub-account than the open one, its name and the sender ("Summit Roofing Co · Dana
        Lee")."""
        if self.sub_account:
            if self.count > 1:
                return f"{self.sub_account} · {self.count} new messages"
            return f"{self.sub_account} · {self.sender}"
        if self.count > 1:
            return f"{self.count} new messages"
        return f"{self.sender} · {CHANNEL_LABELS.get(self.channel, self.channel)}"


def _ms(value: object) -> int | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def badge_pixmap(count: int, base: QIcon | None = None, size: int = 64) -> QPixmap:
    """``base`` (the app icon) with the unread ``count`` in a red disc in its corner."""
    pixmap = (base or app_icon()).pixmap(QSize(size, size))
    if pixmap.isNull():
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
    if count <= 0:
        return pixmap
    text = "99+" if count > 99 else str(count)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        diameter = int(size * (0.62 if len(text) < 3 else 0.72))
        disc = QRect(size - diameter, 0, diameter, diameter)
        painter.setPen(QColor("#ffffff"))
        painter.setBrush(QColor("#d93025"))
        painter.drawEllipse(disc.adjusted(1, 1, -1, -1))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(diameter * (0.58 if len(text) == 1 else 0.44)))
        painter.setFont(font)
        painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.end()
    return pixmap


class InboxNotifier(QObject):
    """Notifications and the tray badge for the active sub-account (see the module docstring).

    The tab tells it which sub-account is shown (``set_reader``), which
    conversation is open (``set_open_conversation``) and feeds it change events
    (``on_conversations_changed``). ``window_active`` says whether the user is
    looking at the inbox (the window is active and the tab visible).
    """

    notified = Signal(object)
    """``InboundNotice``: a notification for a new inbound message (shown on the tray,
    or only recorded when the system has no tray)."""

    openRequested = Signal(str)
    """The user clicked a notification or the tray icon: open this conversation
    (empty: just bring the window up) and raise the window."""

    unreadChanged = Signal(int)
    """The open sub-account's unread total changed."""

    openElsewhereRequested = Signal(str, str)
    """The user clicked a notice of another sub-account: open this conversation (second)
    of this sub-account (first)."""

    trayCountChanged = Signal(int)
    """The tray badge's count changed (the open and the other notifying sub-accounts)."""

    # Bus events cross to this object's thread through a queued signal.
    _relay = Signal(object)

    mutedChanged = Signal(object)
    """The muted channels changed (a frozenset of channel names)."""

    def __init__(
        self,
        port: InboxPort,
        parent: QObject | None = None,
        *,
        window_active: Callable[[], bool] | None = None,
        use_tray: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self.port = port
        self.window_active: Callable[[], bool] = window_active or (lambda: False)
        self._reader: InboxReader | None = None
        self._scope: ScopeKey | None = None
        self._known: dict[str, int] = {}
        self._baseline: int | None = None  # None: not watching yet (first sync running)
        self._open_id: str | None = None
        self._last: InboundNotice | None = None
        self.history: list[InboundNotice] = []
        """Every notice emitted since start (newest last; at most 200 kept)."""
        self.unread = 0
        self._unread_shown = False
        self._others_unread: dict[str, int] = {}
        """Unread of the other sub-accounts that notify (from ``UnreadCounts``)."""
        self.tray_count = 0
        """What the tray badge shows: ``unread`` plus the other notifying sub-accounts'."""
        self._unsubscribers: list[Callable[[], None]] = []
        bus = getattr(port, "bus", None)
        if bus is not None:
            self._relay.connect(self._on_bus_event)
            self._unsubscribers = [
                bus.subscribe(InboundArrived, self._relay.emit),
                bus.subscribe(UnreadCounts, self._relay.emit),
            ]
            # The bus must not call into a deleted object; the closure must not hold self.
            unsubscribers = self._unsubscribers
            self.destroyed.connect(lambda *_: _unsubscribe_all(unsubscribers))
        self._unread_timer = QTimer(self)
        self._unread_timer.setSingleShot(True)
        self._unread_timer.setInterval(50)
        self._unread_timer.timeout.connect(self.refresh_unread)
        available = QSystemTrayIcon.isSystemTrayAvailable() if use_tray is None else use_tray
        self.tray: QSystemTrayIcon | None = None
        if available:
            self._build_tray()

    # ------------------------------------------------------------------ tray

    def _build_tray(self) -> None:
        tray = QSystemTrayIcon(QIcon(badge_pixmap(0)), self)
        tray.setToolTip("Seedly Desk")
        menu = QMenu()
        menu.addAction("Open Seedly Desk").triggered.connect(lambda: self.openRequested.emit(""))
        menu.addMenu(self.settings_menu(menu))
        self._tray_menu = menu  # the tray does not own its menu
        tray.setContextMenu(menu)
        tray.messageClicked.connect(self._message_clicked)
        tray.activated.connect(self._tray_activated)
        tray.show()
        self.tray = tray

    def _tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.openRequested.emit("")

    def _message_clicked(self) -> None:
        notice = self._last
        if notice is None:
            self.openRequested.emit("")
            return
        self.open_notice(notice)

    def open_notice(self, notice: InboundNotice) -> None:
        """Open what ``notice`` is about: its thread, after opening its sub-account when it
        is another one than the open sub-account."""
        scope = notice.scope
        if scope is None or scope == self._scope:
            self.openRequested.emit(notice.conversation_id)
            return
        self.openRequested.emit("")  # raise the window on the Inbox now
        self.openElsewhereRequested.emit(scope.sub_account_id, notice.conversation_id)

    # ------------------------------------------------------------------ scope

    def set_reader(self, reader: InboxReader | None, scope: ScopeKey | None) -> None:
        """Watch another sub-account; what its cache already holds is not news."""
        self._reader = reader
        self._scope = scope
        self._known = {}
        self._baseline = None
        self._open_id = None
        self._last = None
        if scope is not None:
            self._others_unread.pop(scope.sub_account_id, None)
        self._start_watching()
        self.refresh_unread()

    def set_open_conversation(self, conversation_id: str | None) -> None:
        """The conversation shown in the thread pane (no notifications for it while the
        window is active)."""
        self._open_id = conversation_id

    def reading_conversation(self) -> str | None:
        """The conversation the user is reading right now (open while the window is
        active), or None."""
        if self._open_id is not None and self.window_active():
            return self._open_id
        return None

    def sync_settled(self, scope: ScopeKey | None) -> None:
        """A sync of ``scope`` finished: once its first full sync is in, whatever came
        with it is history and only later messages are news."""
        if scope == self._scope:
            self._start_watching()

    def _start_watching(self) -> None:
        reader = self._reader
        if reader is None or self._baseline is not None:
            return
        try:
            if not reader.conversations_synced():
                return  # the first sync is still bringing the history in
            newest = reader.newest_activity_ms()
        except StorageError as exc:
            log.warning("notifications: could not read the cache: %s", exc)
            return
        self._baseline = newest or 0

    # ------------------------------------------------------------------ events

    def on_conversations_changed(self, event: ConversationsChanged) -> None:
        """Notify for the new inbound messages of a change event (see the module docstring)."""
        reader = self._reader
        if reader is None or event.scope != self._scope:
            return
        self._unread_timer.start()
        # Until the first full sync has settled (``sync_settled``), changes are history.
        watching = self._baseline is not None
        fresh: list[tuple[int, dict[str, Any]]] = []
        for conversation_id in event.ids:
            try:
                doc = reader.conversation(conversation_id)
            except StorageError as exc:
                log.warning("notifications: could not read %s: %s", conversation_id, exc)
                continue
            if doc is None:
                continue
            last = _ms(doc.get("lastMessageAt"))
            if last is None:
                continue
            before = self._known.get(conversation_id, self._baseline)
            self._known[conversation_id] = max(last, self._known.get(conversation_id, 0))
            if not watching or before is None or last <= before:
                continue
            if doc.get("lastMessageDirection") != "inbound":
                continue
            fresh.append((last, doc))
        for conversation_id in event.deleted:
            self._known.pop(conversation_id, None)
        notices = [
            n for n in (self._notice(at, doc) for at, doc in sorted(fresh, reverse=True)) if n
        ]
        if len(notices) > BURST_LIMIT:
            shown, rest = notices[: BURST_LIMIT - 1], notices[BURST_LIMIT - 1 :]
            summary = InboundNotice(
                rest[0].conversation_id,
                ", ".join(dict.fromkeys(n.sender for n in rest)),
                rest[0].channel,
                "Open the inbox to read them.",
                rest[0].at_ms,
                count=len(rest),
            )
            notices = [*shown, summary]
        for notice in notices:
            self._show(notice)

    def _notice(self, at_ms: int, doc: dict[str, Any]) -> InboundNotice | None:
        conversation_id = str(doc["id"])
        channel = str(doc.get("channel") or "")
        if channel in self.muted_channels():
            return None
        if conversation_id == self.reading_conversation():
            return None  # the user is reading this thread right now
        preview = one_line(doc.get("lastMessagePreview"), 120) or "New message"
        return InboundNotice(
            conversation_id,
            contact_label(doc.get("contact") if isinstance(doc.get("contact"), dict) else None),
            channel,
            preview,
            at_ms,
        )

    # ------------------------------------------------------------------ other sub-accounts

    def _on_bus_event(self, event: object) -> None:
        if isinstance(event, InboundArrived):
            self.on_inbound_elsewhere(event)
        elif isinstance(event, UnreadCounts):
            self.on_unread_counts(event)

    def on_inbound_elsewhere(self, event: InboundArrived) -> None:
        """Notify for new inbound messages of a sub-account polled in the background."""
        if not event.notify or self._scope is None or event.scope == self._scope:
            return
        if event.scope.deployment != self._scope.deployment:
            return
        notices: list[InboundNotice] = []
        for doc in event.conversations:
            at = _ms(doc.get("lastMessageAt"))
            notice = self._notice(at or 0, doc) if at is not None else None
            if notice is not None:
                notices.append(
                    InboundNotice(
                        notice.conversation_id,
                        notice.sender,
                        notice.channel,
                        notice.preview,
                        notice.at_ms,
                        scope=event.scope,
                        sub_account=event.sub_account_name,
                    )
                )
        if len(notices) > BURST_LIMIT:
            shown, rest = notices[: BURST_LIMIT - 1], notices[BURST_LIMIT - 1 :]
            summary = InboundNotice(
                rest[0].conversation_id,
                ", ".join(dict.fromkeys(n.sender for n in rest)),
                rest[0].channel,
                "Open the inbox to read them.",
                rest[0].at_ms,
                count=len(rest),
                scope=event.scope,
                sub_account=event.sub_account_name,
            )
            notices = [*shown, summary]
        for notice in notices:
            self._show(notice)

    def on_unread_counts(self, event: UnreadCounts) -> None:
        """The unread counts per sub-account changed: the tray sums the notifying ones."""
        own = self._scope.sub_account_id if self._scope is not None else None
        self._others_unread = {
            sub: n for sub, n in event.counts if sub in event.notify and sub != own
        }
        self._render_tray()

    def _show(self, notice: InboundNotice) -> None:
        self._last = notice
        self.history.append(notice)
        del self.history[:-200]
        if self.tray is not None:
            self.tray.showMessage(
                notice.title,
                notice.preview,
                QSystemTrayIcon.MessageIcon.Information,
                MESSAGE_MS,
            )
        self.notified.emit(notice)

    # ------------------------------------------------------------------ unread badge

    def refresh_unread(self) -> None:
        """Re-read the unread total and update the tray's tooltip and badge."""
        self._unread_timer.stop()
        total = 0
        if self._reader is not None:
            try:
                total = self._reader.unread_total()
            except StorageError as exc:
                log.warning("notifications: could not count unread: %s", exc)
                return
        if total == self.unread and self._unread_shown:
            return
        self.unread = total
        self._unread_shown = True
        self._render_tray(force=True)
        self.unreadChanged.emit(total)

    def _render_tray(self, force: bool = False) -> None:
        count = self.unread + sum(self._others_unread.values())
        if count == self.tray_count and not force:
            return
        changed = count != self.tray_count
        self.tray_count = count
        if self.tray is not None:
            self.tray.setIcon(QIcon(badge_pixmap(count)))
            self.tray.setToolTip(self.tooltip())
        if changed:
            self.trayCountChanged.emit(count)

    def tooltip(self) -> str:
        """The tray's tooltip: the app and the unread count (over every sub-account that
        notifies)."""
        if self.tray_count == 0:
            return "Seedly Desk: no unread messages"
        noun = "message" if self.tray_count == 1 else "messages"
        return f"Seedly Desk: {self.tray_count:,} unread {noun}"

    # ------------------------------------------------------------------ muting

    def muted_channels(self) -> frozenset[str]:
        """Channels whose new messages raise no notification."""
        return self.port.muted_channels()

    def set_muted(self, channel: str, muted: bool) -> None:
        """Mute or unmute ``channel`` and save the preference."""
        changed = self.port.set_muted(channel, muted)
        if changed is not None:
            self.mutedChanged.emit(changed)

    def settings_menu(self, parent: QWidget | None = None) -> QMenu:
        """A "Notifications" menu: one check box per channel (checked: notify). For the
        Settings menu of the window and the tray's menu."""
        menu = QMenu("Notifications", parent)
        menu.setToolTipsVisible(True)
        actions: dict[str, QAction] = {}
        for channel in CHANNELS:
            action = menu.addAction(f"Notify for {CHANNEL_LABELS.get(channel, channel)}")
            action.setCheckable(True)
            action.setToolTip("Show a desktop notification when a message arrives on this channel")
            action.toggled.connect(lambda on, c=channel: self.set_muted(c, not on))
            actions[channel] = action

        def sync(muted: frozenset[str] | None = None) -> None:
            if not shiboken6.isValid(menu):
                return  # a menu closed and deleted since; the connection outlives it
            muted = self.muted_channels() if muted is None else muted
            for channel, action in actions.items():
                action.blockSignals(True)
                action.setChecked(channel not in muted)
                action.blockSignals(False)

        sync()
        menu.aboutToShow.connect(sync)
        self.mutedChanged.connect(sync)
        return menu

    def close(self) -> None:
        """Remove the tray icon and stop listening (on quit)."""
        _unsubscribe_all(self._unsubscribers)
        self._unread_timer.stop()
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None


def _unsubscribe_all(unsubscribers: list[Callable[[], None]]) -> None:
    while unsubscribers:
        unsubscribers.pop()()


__all__ = ["BURST_LIMIT", "InboundNotice", "InboxNotifier", "badge_pixmap"]
