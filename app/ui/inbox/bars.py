"""The Inbox's two bars above the list, as widgets without logic of their own.

``FilterBar``: the search box, the view buttons (All, Mine, Unassigned, Unread),
the "who am I" button and the status, channel and assignee filters.
``ActionBar``: the count, the selection, and the actions on conversations (close,
reopen, snooze, assign, mark unread, new conversation) with their menus. The tab
connects them and keeps the state they show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QMenu,
    QToolButton,
    QWidget,
)

from app.core.constants import CHANNELS
from app.ui.global_search import CHANNEL_ICONS
from app.ui.inbox.delegate import CHANNEL_LABELS
from app.ui.common.search import SearchBox
from app.ui.common.widgets import add_count_labels
from app.ui.theme import Spacing, icon

VIEWS = (("all", "All"), ("mine", "Mine"), ("unassigned", "Unassigned"), ("unread", "Unread"))
"""The list's views: key and label."""
STATUS_CHOICES = (
    ("Any status", None),
    ("Open", "open"),
    ("Snoozed", "snoozed"),
    ("Closed", "closed"),
)
"""The status filter's choices: label and value (None: any)."""


def tool_button(
    parent: QWidget, icon_name: str, text: str, shortcut: str, slot: Callable[[], Any] | None
) -> QToolButton:
    """A flat button with an icon and text; its tooltip names the keyboard shortcut."""
    button = QToolButton(parent)
    button.setIcon(icon(icon_name))
    button.setText(text)
    button.setToolTip(f"{text} ({shortcut})")
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    if slot is not None:
        button.clicked.connect(slot)
    return button


class FilterBar(QWidget):
    """Search, views, identity and filters (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(Spacing.S)
        self.search_box = SearchBox("Search names, emails, phones, messages", self)
        bar.addWidget(self.search_box, 2)

        self.view_group = QButtonGroup(self)
        self.view_group.setExclusive(True)
        self.view_buttons: dict[str, QToolButton] = {}
        views = QFrame(self)
        views_layout = QHBoxLayout(views)
        views_layout.setContentsMargins(0, 0, 0, 0)
        views_layout.setSpacing(2)
        for kind, label in VIEWS:
            button = QToolButton(views)
            button.setText(label)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.view_group.addButton(button)
            views_layout.addWidget(button)
            self.view_buttons[kind] = button
        self.view_buttons["all"].setChecked(True)
        bar.addWidget(views)

        self.me_button = QToolButton(self)
        self.me_button.setIcon(icon("user"))
        self.me_button.setAutoRaise(True)
        self.me_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.me_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.me_menu = QMenu(self.me_button)
        self.me_button.setMenu(self.me_menu)
        bar.addWidget(self.me_button)

        self.status_filter = QComboBox(self)
        for label, value in STATUS_CHOICES:
            self.status_filter.addItem(label, value)
        self.status_filter.setCurrentIndex(1)
        bar.addWidget(self.status_filter)
        self.channel_filter = QComboBox(self)
        self.channel_filter.addItem(icon("inbox"), "Any channel", None)
        for name in CHANNELS:
            self.channel_filter.addItem(
                icon(CHANNEL_ICONS.get(name, "inbox")), CHANNEL_LABELS[name], name
            )
        bar.addWidget(self.channel_filter)
        self.assignee_filter = QComboBox(self)
        self.assignee_filter.addItem("Anyone", None)
        bar.addWidget(self.assignee_filter)
        for combo in (self.status_filter, self.channel_filter, self.assignee_filter):
            # Sized to a short label, not the longest choice (team member ids are long):
            # the window stays usable on a narrow screen.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(9)
        bar.addStretch(1)


class ActionBar(QWidget):
    """The count, the selection and the actions (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        actions = QHBoxLayout(self)
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(Spacing.S)
        self.count_label, self.selection_label = add_count_labels(actions, self)
        self.close_button = tool_button(self, "check", "Close", "E", None)
        self.reopen_button = tool_button(self, "inbox", "Reopen", "Shift+E", None)
        self.snooze_button = tool_button(self, "clock", "Snooze", "S", None)
        self.snooze_menu = QMenu(self.snooze_button)
        self.snooze_button.setMenu(self.snooze_menu)
        self.snooze_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.assign_button = tool_button(self, "users", "Assign", "A", None)
        self.assign_menu = QMenu(self.assign_button)
        self.assign_button.setMenu(self.assign_menu)
        self.assign_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.unread_button = tool_button(self, "mail", "Mark unread", "U", None)
        for button in self.target_buttons():
            actions.addWidget(button)
        separator = QFrame(self)
        separator.setFrameShape(QFrame.Shape.VLine)
        actions.addWidget(separator)
        self.new_button = tool_button(self, "add", "New conversation", "Ctrl+Shift+N", None)
        actions.addWidget(self.new_button)

    def target_buttons(self) -> tuple[QToolButton, ...]:
        """The buttons that act on the selected (or open) conversations."""
        return (
            self.close_button,
            self.reopen_button,
            self.snooze_button,
            self.assign_button,
            self.unread_button,
        )


__all__ = ["STATUS_CHOICES", "VIEWS", "ActionBar", "FilterBar", "tool_button"]
