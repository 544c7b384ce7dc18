"""Small widgets of the contact detail pane: read-only values, the line under an
editor, and the initials badge of the header."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from app.ui.common.fields import EMPTY_TEXT, FIELD_WIDTH, set_flag
from app.ui.theme import Spacing, icon


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
