"""Desktop notifications the tabs send through the window (``Navigator.notify``).

One tray icon for the notices of every tab but the Inbox (which keeps its own icon with
the unread count): it is made the first time a notice is sent, so a user who turned no
notification on never sees it. Clicking a notice raises the window and opens its record.
Where the system has no tray (offscreen, some desktops), notices are only recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from app.ui.theme import app_icon

MESSAGE_MS = 8000
"""How long a notice stays up (where the platform lets the app choose)."""


@dataclass(frozen=True)
class DesktopNotice:
    """One notice: its words and the record a click opens."""

    title: str
    text: str
    kind: str
    record_id: str


class DesktopNotices(QObject):
    """Shows notices in the system tray; a click opens the last one's record."""

    notified = Signal(object)
    """Every notice sent (a ``DesktopNotice``), shown or not."""

    def __init__(self, open_record: Callable[[str, str], object], parent: QObject | None = None):
        super().__init__(parent)
        self._open_record = open_record
        self._tray: QSystemTrayIcon | None = None
        self.sent: list[DesktopNotice] = []

    def notify(self, title: str, text: str, kind: str, record_id: str) -> None:
        """Show a notice; clicking it opens ``record_id`` (a ``kind`` record)."""
        notice = DesktopNotice(title, text, kind, record_id)
        self.sent.append(notice)
        self.notified.emit(notice)
        tray = self._tray_icon()
        if tray is not None:
            tray.showMessage(title, text, app_icon(), MESSAGE_MS)

    def _tray_icon(self) -> QSystemTrayIcon | None:
        if self._tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(app_icon(), self)
            self._tray.setToolTip("Seedly Desk")
            self._tray.messageClicked.connect(self._clicked)
            self._tray.show()
        return self._tray

    def _clicked(self) -> None:
        if self.sent:
            last = self.sent[-1]
            self._open_record(last.kind, last.record_id)

    def close(self) -> None:
        """Remove the tray icon."""
        if self._tray is not None:
            self._tray.hide()
            self._tray = None


__all__ = ["DesktopNotice", "DesktopNotices"]
