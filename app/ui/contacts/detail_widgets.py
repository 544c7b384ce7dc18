"""Small widgets of the contact detail pane: read-only values, the line under an
editor, the initials badge of the header and the message area."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.common.fields import EMPTY_TEXT, FIELD_WIDTH, set_flag
from app.ui.common.widgets import IconLabel
from app.ui.theme import Spacing, icon, repolish


class ValueLabel(QLabel):
    """A read-only value: selectable, wraps, links open in the system's handler."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setOpenExternalLinks(True)
        self.setMaximumWidth(FIELD_WIDTH + Spacing.L * 4)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def set_value_html(self, markup: str) -> None:
        """Show ``markup`` (already escaped), or the muted dash when it is empty."""
        empty = not markup
        self.setText(EMPTY_TEXT if empty else markup)
        set_flag(self, "muted", empty)


class MessageLabel(QLabel):
    """The line under an editor for its error or hint: one line always reserved (a short
    message never moves the form), more when a long one wraps.

    Word-wrapped labels get no height-for-width inside a scroll area, so the label
    sizes itself to its text at its current width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.fit()

    def fit(self) -> None:
        """Set the height for the text at the current width."""
        width = self.width() if self.isVisible() else self.maximumWidth()
        metrics = self.fontMetrics()
        wrapped = metrics.boundingRect(
            QRect(0, 0, max(1, min(width, self.maximumWidth())), 100_000),
            Qt.TextFlag.TextWordWrap,
            self.text(),
        )
        self.setFixedHeight(max(metrics.lineSpacing(), wrapped.height()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit()  # changes only the height: no loop


class Avatar(QWidget):
    """A round badge with the contact's initials in the accent colour."""

    SIZE = 44

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(self.SIZE, self.SIZE)
        self._initials = ""

    def set_initials(self, initials: str) -> None:
        """Show ``initials`` (empty: a person glyph)."""
        self._initials = initials
        self.update()

    def initials(self) -> str:
        """The initials shown."""
        return self._initials

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        role = QPalette.ColorRole
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            rect = QRectF(0.5, 0.5, self.SIZE - 1, self.SIZE - 1)
            if self._initials:
                painter.setBrush(palette.color(role.Accent))
                painter.drawEllipse(rect)
                font = QFont(self.font())
                font.setBold(True)
                font.setPixelSize(self.SIZE * 2 // 5)
                painter.setFont(font)
                painter.setPen(palette.color(role.HighlightedText))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._initials)
            else:
                painter.setBrush(palette.color(role.AlternateBase))
                painter.setPen(palette.color(role.Mid))
                painter.drawEllipse(rect)
                inset = self.SIZE // 4
                icon("user").paint(painter, self.rect().adjusted(inset, inset, -inset, -inset))
        finally:
            painter.end()


class MessageBanner(QWidget):
    """The pane's message area: one sentence with a severity (danger, warning, info,
    success), its icon and a Dismiss button; hidden while empty. A success message
    hides itself after ``success_ms``."""

    def __init__(self, parent: QWidget | None = None, *, success_ms: int) -> None:
        super().__init__(parent)
        self._success_ms = success_ms
        self.frame = QFrame(self)
        """The coloured box (its ``severity`` property picks the colours)."""
        self.frame.setProperty("severity", "danger")
        layout = QHBoxLayout(self.frame)
        layout.setContentsMargins(Spacing.S, Spacing.XS, Spacing.XS, Spacing.XS)
        layout.setSpacing(Spacing.S)
        self._icon = IconLabel(None, 16, self.frame)
        self._text = QLabel(self.frame)
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self.frame)
        close.setIcon(icon("close"))
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.clear)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(Spacing.L, Spacing.S, Spacing.L, 0)
        outer.addWidget(self.frame)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self.hide()

    def show_message(self, text: str, severity: str) -> None:
        """Show ``text`` with ``severity``."""
        self._timer.stop()
        self.frame.setProperty("severity", severity)
        repolish(self.frame)
        self._text.setText(text)
        self.sync_icon()
        self.show()
        if severity == "success":
            self._timer.start(self._success_ms)

    def clear(self) -> None:
        """Hide the message."""
        self._timer.stop()
        self.hide()
        self._text.clear()

    def text(self) -> str:
        """The message shown ("" when hidden)."""
        return self._text.text() if not self.isHidden() else ""

    def sync_icon(self) -> None:
        """Show the icon of the current severity (again after a theme change)."""
        severity = str(self.frame.property("severity") or "info")
        name = {"danger": "error", "warning": "warning", "success": "check"}.get(severity, "info")
        self._icon.set_icon(name, 16)
