"""Messages shown where the action happened: a sentence under a field, a panel of lines.

Shared by every form (connections, the Seamless.AI settings, the Leads filters).
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import (
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.ui.common.widgets import SEVERITY_ICONS, IconLabel
from app.ui.theme import Spacing, repolish

log = logging.getLogger(__name__)

ICON_SIZE = QSize(16, 16)


def icon_label(name: str, parent: QWidget) -> IconLabel:
    """A 16-pixel icon that follows the theme (for message rows and panels)."""
    return IconLabel(name, ICON_SIZE.width(), parent)


class FieldMessage(QWidget):
    """A sentence under a form field: an error icon and the text in the palette's danger
    colour (``BrightText``, which the theme sets to its danger colour, so it follows
    light/dark switches), and the button that helps, if any ("Raise budget…"). Hidden
    while empty."""

    actionClicked = Signal()
    """The user pressed the message's button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.XS)
        self._icon = icon_label("error", self)
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setForegroundRole(QPalette.ColorRole.BrightText)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._label, 1)
        self._action = QToolButton(self)
        self._action.hide()
        self._action.clicked.connect(self.actionClicked)
        layout.addWidget(self._action, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        """The sentence shown ("" when hidden)."""
        return self._label.text() if not self.isHidden() else ""

    @property
    def action_button(self) -> QToolButton:
        """The button beside the sentence (hidden without an action)."""
        return self._action

    def show_text(self, text: str, action: str | None = None) -> None:
        """Show ``text`` (an empty text hides the message) and, with ``action``, a button
        so labelled (``actionClicked``)."""
        self._label.setText(text)
        self._action.setText(action or "")
        self._action.setVisible(bool(action))
        self.setVisible(bool(text))

    def clear(self) -> None:
        """Hide the message."""
        self.show_text("")


class MessagePanel(QFrame):
    """A bordered panel in a severity's colour: an icon, a bold title, lines and bullets.

    The body is one rich-text label: a single word-wrapped label sizes reliably in a
    dialog, where a column of them is given the heights of a narrower width.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("severity", "info")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(Spacing.S, Spacing.S, Spacing.S, Spacing.S)
        outer.setSpacing(Spacing.S)
        self._icon = icon_label("info", self)
        outer.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        self._body = QLabel(self)
        self._body.setObjectName("panelBody")
        self._body.setWordWrap(True)
        self._body.setTextFormat(Qt.TextFormat.RichText)
        self._body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._body.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        outer.addWidget(self._body, 1)
        self._plain: list[str] = []
        self.hide()

    def show_content(
        self, severity: str, title: str, lines: list[tuple[str, str]] | None = None
    ) -> None:
        """Show ``title`` and ``lines`` — (kind, text) pairs where kind is "text",
        "muted", "heading" or "bullet" — with ``severity``'s icon and border."""
        self.setProperty("severity", severity)
        self._icon.set_icon(SEVERITY_ICONS.get(severity, "info"))
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        parts = [f"<p style='margin:0'><b>{html.escape(title)}</b></p>"]
        self._plain = [title]
        bullets: list[str] = []

        def flush() -> None:
            if bullets:
                rows = "".join(
                    f"<tr><td style='padding-right:{Spacing.S}px'>•</td><td>{b}</td></tr>"
                    for b in bullets
                )
                parts.append(
                    f"<table cellspacing='0' cellpadding='0' style='margin-left:{Spacing.S}px; "
                    f"margin-top:{Spacing.XS}px'>{rows}</table>"
                )
                bullets.clear()

        for kind, text in lines or []:
            escaped = html.escape(text)
            if kind == "bullet":
                bullets.append(escaped)
                self._plain.append(f"• {text}")
                continue
            flush()
            self._plain.append(text)
            if kind == "heading":
                parts.append(f"<p style='margin:0; margin-top:{Spacing.S}px'><b>{escaped}</b></p>")
            elif kind == "muted":
                parts.append(
                    f"<p style='margin:0; margin-top:{Spacing.S}px; color:{muted}'>{escaped}</p>"
                )
            else:
                parts.append(f"<p style='margin:0; margin-top:{Spacing.XS}px'>{escaped}</p>")
        flush()
        self._body.setText("".join(parts))
        repolish(self)
        self.show()

    @property
    def severity(self) -> str:
        """The severity shown."""
        return str(self.property("severity"))

    @property
    def text(self) -> str:
        """Everything shown as plain text, one line per item ("" when hidden)."""
        if self.isHidden():
            return ""
        return "\n".join(self._plain)


__all__ = ["FieldMessage", "MessagePanel", "icon_label"]
