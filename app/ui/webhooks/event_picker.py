"""The event picker: the 26 webhook events by group, with search, whole groups and all.

Each event shows its label and a one-line meaning (``app.core.webhook_events``);
the wire name is only in the tooltip, for the developer who needs it. Checking a
group checks its events (and a partly chosen group shows so).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.webhook_events import EVENT_GROUPS, EVENTS
from app.ui.common.search import SearchBox
from app.ui.theme import Spacing

NAME_ROLE = Qt.ItemDataRole.UserRole


class EventPicker(QWidget):
    """Checkable events grouped by record kind; ``selected()`` in the API's order."""

    changed = Signal()
    """The chosen events changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.S)
        row = QHBoxLayout()
        row.setSpacing(Spacing.S)
        self.search = SearchBox("Find an event (e.g. booked, tag, invoice)", self, 0)
        self.search.textChanged.connect(self._filter)
        self.all_button = QPushButton("Select all", self)
        self.all_button.clicked.connect(lambda: self.set_selected(EVENTS))
        self.none_button = QPushButton("Clear", self)
        self.none_button.clicked.connect(lambda: self.set_selected(()))
        self.count = QLabel(self)
        self.count.setProperty("muted", True)
        row.addWidget(self.search, 1)
        row.addWidget(self.all_button)
        row.addWidget(self.none_button)
        layout.addLayout(row)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Event", "What it means"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 240)
        self.groups: dict[str, QTreeWidgetItem] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        for group in EVENT_GROUPS:
            group_item = QTreeWidgetItem(self.tree, [group.title, f"{len(group.events)} events"])
            group_item.setFlags(
                group_item.flags()
                | Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsAutoTristate
            )
            group_item.setCheckState(0, Qt.CheckState.Unchecked)
            group_item.setToolTip(0, f"Every {group.title.lower()} event")
            self.groups[group.key] = group_item
            for info in group.events:
                item = QTreeWidgetItem(group_item, [info.label, info.meaning])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Unchecked)
                item.setData(0, NAME_ROLE, info.name)
                item.setToolTip(0, f"{info.label} ({info.name})")
                item.setToolTip(1, info.meaning)
                self.items[info.name] = item
        self.tree.expandAll()
        self.tree.itemChanged.connect(lambda *_: self._changed())
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.count)
        self._changed()

    def selected(self) -> tuple[str, ...]:
        """The chosen events' wire names, in the API's order."""
        return tuple(
            name for name, item in self.items.items() if item.checkState(0) == Qt.CheckState.Checked
        )

    def set_selected(self, names: Iterable[str]) -> None:
        """Choose exactly ``names``."""
        wanted = set(names)
        self.tree.blockSignals(True)
        for name, item in self.items.items():
            item.setCheckState(
                0, Qt.CheckState.Checked if name in wanted else Qt.CheckState.Unchecked
            )
        self.tree.blockSignals(False)
        self.tree.viewport().update()
        self._changed()

    def _changed(self) -> None:
        chosen = len(self.selected())
        self.count.setText(
            "No events chosen" if not chosen else f"{chosen} of {len(self.items)} events chosen"
        )
        self.changed.emit()

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for group_item in self.groups.values():
            visible = 0
            group_hit = needle in group_item.text(0).casefold()
            for index in range(group_item.childCount()):
                child = group_item.child(index)
                assert child is not None
                name = str(child.data(0, NAME_ROLE))
                hit = (
                    not needle
                    or group_hit
                    or needle in child.text(0).casefold()
                    or needle in child.text(1).casefold()
                    or needle in name
                )
                child.setHidden(not hit)
                visible += int(hit)
            group_item.setHidden(visible == 0)
