"""The tab's small tables: rows of typed records, columns described once, updated in place.

Every list here is short (a sub-account's subscriptions, the newest few hundred
deliveries or runs), so a table holds all its rows; ``set_rows`` turns the shown
rows into the new ones with inserts, removals and ``dataChanged`` (never a reset
once rows are shown), so a delivery arriving at the top keeps the selection and
the scroll position where the user left them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon

from app.ui.common.paged_model import KeyedRowsModel

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column: its title, its text, and optionally an icon and a tooltip."""

    title: str
    text: Callable[[RowT], str]
    icon: Callable[[RowT], QIcon | None] | None = None
    tooltip: Callable[[RowT], str | None] | None = None


class RowsTableModel(KeyedRowsModel[RowT]):
    """A table of ``RowT`` with ``columns``; ``key`` names a row."""

    noun = "rows"

    def __init__(
        self,
        columns: Sequence[Column[RowT]],
        key: Callable[[RowT], str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._key = key

    def row_key(self, row: RowT) -> str:
        """The row's stable key."""
        return self._key(row)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section].title
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.DecorationRole and column.icon is not None:
            return column.icon(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip is not None else column.text(row)
        return None

    def set_rows(self, rows: Sequence[RowT]) -> None:
        """Show ``rows`` (in order): in place when rows are already shown."""
        if not self._rows:
            self.beginResetModel()
            self._set_rows(rows)
            self._end_reset()
        else:
            self._reconcile(rows, set())

    def rows(self) -> list[RowT]:
        """Every row shown, in order."""
        return list(self._rows)
