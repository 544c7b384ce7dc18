"""What a details pane shows while several rows are selected: how many ("40 selected"),
a line about them, and the bulk actions, instead of one record that no longer stands for
the selection.

The actions are mirrors of the tab's own toolbar buttons: pressing one presses the
toolbar button (or opens its menu), and a mirror is enabled exactly when its button is,
so the two never disagree.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.common.widgets import IconLabel
from app.ui.theme import Spacing


class SelectionSummary(QWidget):
    """ "N selected", a line about the selection, and the bulk actions (module docstring)."""

    def __init__(self, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(Spacing.M, Spacing.L, Spacing.M, Spacing.M)
        outer.setSpacing(Spacing.S)
        outer.addStretch(1)
        self._icon = IconLabel(icon_name, 48, self)
        outer.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignHCenter)
        self._title = QLabel(self)
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self._title.setFont(font)
        outer.addWidget(self._title)
        self._body = QLabel(self)
        self._body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._body.setWordWrap(True)
        self._body.setProperty("muted", True)
        outer.addWidget(self._body)
        outer.addSpacing(Spacing.M)
        self._actions = QVBoxLayout()
        self._actions.setSpacing(Spacing.S)
        outer.addLayout(self._actions)
        outer.addStretch(2)
        self._mirrors: dict[QAbstractButton, QPushButton] = {}

    @property
    def title(self) -> str:
        """The count shown ("40 selected")."""
        return self._title.text()

    @property
    def body(self) -> str:
        """The line under the count."""
        return self._body.text()

    def action_buttons(self) -> list[QPushButton]:
        """The action buttons, in order."""
        return list(self._mirrors.values())

    def add_action(self, source: QAbstractButton) -> QPushButton:
        """A button that does what ``source`` does, enabled when it is."""
        button = QPushButton(source.icon(), source.text(), self)
        button.setToolTip(source.toolTip())
        button.setMinimumWidth(200)
        menu = source.menu() if isinstance(source, QToolButton) else None
        if menu is not None:
            button.setMenu(menu)
        else:
            button.clicked.connect(source.click)
        button.setEnabled(source.isEnabled())
        source.installEventFilter(self)
        self._mirrors[source] = button
        self._actions.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        return button

    def set_selection(self, count: int, noun: str, body: str = "") -> None:
        """Show ``count`` selected ``noun`` (plural) and ``body`` under it."""
        self._title.setText(f"{count:,} {noun} selected")
        self._body.setText(body)
        self._body.setVisible(bool(body))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep each mirror's state and text in step with its toolbar button."""
        if event.type() in (QEvent.Type.EnabledChange, QEvent.Type.ToolTipChange):
            mirror = self._mirrors.get(watched) if isinstance(watched, QAbstractButton) else None
            if mirror is not None and isinstance(watched, QAbstractButton):
                mirror.setEnabled(watched.isEnabled())
                mirror.setToolTip(watched.toolTip())
        return False


__all__ = ["SelectionSummary"]
