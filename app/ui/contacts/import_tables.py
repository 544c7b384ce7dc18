"""The CSV import dialog's tables: the column mapping, the preview of the planned rows
and the report of an import (Qt models), and the mapping table's target picker.

``MappingModel`` pairs every CSV column with a contact field, a custom field or
"Ignore"; ``PreviewModel`` shows each row's planned action (new, update, no change,
skip) and its problems; ``ReportModel`` lists the rows of a finished import with
what happened to each.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.core.contact_csv import (
    CsvTable,
    ImportPlan,
    ImportReport,
    ImportTarget,
    MappingSuggestion,
    PlannedRow,
    RowAction,
    RowOutcome,
    RowStatus,
    SkipReason,
    WRITTEN,
    import_targets,
    target_label,
)
from app.core.models import CustomFieldDefinition
from app.ui.theme import icon

log = logging.getLogger(__name__)


ROW_HEIGHT = 28
"""Fixed row height of the dialog's tables (room for the mapping combo boxes)."""

_IGNORE = ""  # combo box data of "Ignore" (a None item data cannot be found again)


def _muted_color() -> Any:
    return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)


def person_label(label: str, email: str) -> str:
    """ "Jane Doe · jane@x.com"; just the email when it is the label too."""
    parts = [label] if label else []
    if email and email != label:
        parts.append(email)
    return " · ".join(parts)


# --- models ------------------------------------------------------------------


def _header(headers: Sequence[str], section: int, orientation: Qt.Orientation, role: int) -> Any:
    horizontal = orientation == Qt.Orientation.Horizontal
    if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(headers):
        return headers[section]
    return None


class MappingColumn(IntEnum):
    """Columns of ``MappingModel``."""

    COLUMN = 0
    SAMPLE = 1
    TARGET = 2


class MappingModel(QAbstractTableModel):
    """One row per CSV column: its name, example values and the field it imports into.

    The TARGET column is editable (``Qt.EditRole`` is the target key, ``""``
    for ignore); ``mapping()`` gives the keys in column order."""

    mappingChanged = Signal()
    """The user chose another target for a column."""

    HEADERS = ("Column in the file", "Example values", "Import into")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: tuple[str, ...] = ()
        self._samples: list[str] = []
        self._targets: list[str | None] = []
        self._notes: dict[int, str] = {}
        self._definitions: list[CustomFieldDefinition] = []
        self._choices: list[ImportTarget] = []

    def set_table(
        self,
        table: CsvTable,
        suggestion: MappingSuggestion,
        definitions: Sequence[CustomFieldDefinition],
    ) -> None:
        """Show ``table``'s columns with the suggested targets."""
        self.beginResetModel()
        self._names = table.header
        self._samples = [" · ".join(table.column_samples(i)) for i in range(len(table.header))]
        self._targets = list(suggestion.targets)
        self._notes = dict(suggestion.notes)
        self._definitions = list(definitions)
        self._choices = import_targets(definitions)
        self.endResetModel()

    def clear(self) -> None:
        """Show nothing."""
        self.beginResetModel()
        self._names, self._samples, self._targets, self._notes = (), [], [], {}
        self.endResetModel()

    def mapping(self) -> tuple[str | None, ...]:
        """The target key of every column (None: ignored)."""
        return tuple(self._targets)

    def choices(self) -> list[tuple[str, str]]:
        """``(label, key)`` of every target a column can get, "Ignore" (key ``""``) first."""
        return [("Ignore", _IGNORE)] + [(t.label, t.key) for t in self._choices]

    def set_target(self, row: int, key: str | None) -> bool:
        """Map column ``row`` to ``key`` (None or ``""``: ignore)."""
        return self.setData(self.index(row, MappingColumn.TARGET), key or _IGNORE)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._names)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(MappingColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return _header(self.HEADERS, section, orientation, role)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == MappingColumn.TARGET:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._names):
            return None
        row, column = index.row(), index.column()
        target = self._targets[row]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == MappingColumn.COLUMN:
                return self._names[row]
            if column == MappingColumn.SAMPLE:
                return self._samples[row] or "(empty)"
            if column == MappingColumn.TARGET:
                return target_label(target, self._definitions)
        if role == Qt.ItemDataRole.EditRole and column == MappingColumn.TARGET:
            return target or _IGNORE
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == MappingColumn.COLUMN:
                return f"Column {row + 1} of the file"
            if column == MappingColumn.SAMPLE:
                return self._samples[row] or None
            return self._notes.get(row)
        if role == Qt.ItemDataRole.ForegroundRole and column == MappingColumn.SAMPLE:
            return _muted_color()
        if role == Qt.ItemDataRole.ForegroundRole and target is None:
            return _muted_color()
        return None

    def setData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        value: Any,
        role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        if (
            role != Qt.ItemDataRole.EditRole
            or not index.isValid()
            or index.column() != MappingColumn.TARGET
        ):
            return False
        key = str(value) if value else None
        if key is not None and key not in {t.key for t in self._choices}:
            return False
        row = index.row()
        if self._targets[row] == key:
            return True
        self._targets[row] = key
        self._notes.pop(row, None)  # the user decided: the suggestion's note is moot
        self.dataChanged.emit(self.index(row, 0), self.index(row, MappingColumn.TARGET))
        self.mappingChanged.emit()
        return True


class TargetDelegate(QStyledItemDelegate):
    """A combo box of every target for the mapping table's TARGET column."""

    def __init__(self, model: MappingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setAccessibleName(f"Import column {index.row() + 1} into")
        for label, key in self._model.choices():
            combo.addItem(label, key)
        # Persistent editors commit as soon as a choice is made (no Enter needed).
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            position = editor.findData(index.data(Qt.ItemDataRole.EditRole) or _IGNORE)
            editor.blockSignals(True)
            editor.setCurrentIndex(max(0, position))
            editor.blockSignals(False)

    def setModelData(
        self,
        editor: QWidget,
        model: Any,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(
        self,
        editor: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        editor.setGeometry(option.rect)


class PreviewColumn(IntEnum):
    """Columns of ``PreviewModel``."""

    LINE = 0
    ACTION = 1
    CONTACT = 2
    DETAILS = 3


_ACTION_TEXT = {
    RowAction.CREATE: "New contact",
    RowAction.UPDATE: "Update",
    RowAction.UNCHANGED: "No change",
}
_SKIP_TEXT = {
    SkipReason.INVALID: "Skip: invalid",
    SkipReason.DUPLICATE: "Skip: duplicate",
    SkipReason.EMPTY: "Skip: empty",
}
_ACTION_ICON = {
    RowAction.CREATE: "add",
    RowAction.UPDATE: "edit",
    RowAction.UNCHANGED: "check",
}


class PreviewModel(QAbstractTableModel):
    """The plan's rows (or only those with problems): line, action, contact, details.

    Rows are read from the plan on demand, so a plan of 100,000 rows costs no
    more to show than one of ten."""

    HEADERS = ("Line", "Action", "Contact", "Details")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: ImportPlan | None = None
        self._rows: Sequence[PlannedRow] = ()
        self._problems_only = False
        self._definitions: list[CustomFieldDefinition] = []

    @property
    def problems_only(self) -> bool:
        """Whether only skipped rows, rows with warnings and rows with values left out are
        shown."""
        return self._problems_only

    def set_plan(
        self, plan: ImportPlan | None, definitions: Sequence[CustomFieldDefinition] = ()
    ) -> None:
        """Show ``plan`` (None: nothing)."""
        self.beginResetModel()
        self._plan = plan
        self._definitions = list(definitions)
        self._rows = self._select()
        self.endResetModel()

    def set_problems_only(self, problems_only: bool) -> None:
        """Show only rows that are skipped, have a warning or values left out."""
        if problems_only == self._problems_only:
            return
        self.beginResetModel()
        self._problems_only = problems_only
        self._rows = self._select()
        self.endResetModel()

    def row_at(self, row: int) -> PlannedRow | None:
        """The planned row shown at ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def _select(self) -> Sequence[PlannedRow]:
        if self._plan is None:
            return ()
        if not self._problems_only:
            return self._plan.rows
        return [r for r in self._plan.rows if r.action is RowAction.SKIP or r.warning or r.notes]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(PreviewColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return _header(self.HEADERS, section, orientation, role)

    def action_text(self, row: PlannedRow) -> str:
        """What the import does with ``row`` ("New contact", "Skip: invalid")."""
        if row.skip is not None:
            return _SKIP_TEXT[row.skip]
        return _ACTION_TEXT.get(row.action, row.action.value)

    def details(self, row: PlannedRow) -> str:
        """Why ``row`` is skipped, what changes, and any warning, as sentences."""
        parts: list[str] = []
        if row.reason:
            parts.append(row.reason)
        elif row.action is RowAction.UPDATE and row.changes:
            labels = [
                "Custom fields" if c == "customFields" else target_label(c, self._definitions)
                for c in row.changes
            ]
            parts.append("Changes: " + ", ".join(labels))
        elif row.action is RowAction.UNCHANGED:
            parts.append("Seedly already has these values.")
        if row.notes:
            parts.append(row.notes)
        if row.warning:
            parts.append(row.warning)
        return " ".join(parts)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == PreviewColumn.LINE:
                return str(row.line)
            if column == PreviewColumn.ACTION:
                return self.action_text(row)
            if column == PreviewColumn.CONTACT:
                return person_label(row.label, row.email)
            if column == PreviewColumn.DETAILS:
                return self.details(row)
        if role == Qt.ItemDataRole.DecorationRole and column == PreviewColumn.ACTION:
            if row.action is RowAction.SKIP:
                return icon("error" if row.skip is SkipReason.INVALID else "info")
            if row.warning or row.notes:
                return icon("warning")
            return icon(_ACTION_ICON[row.action])
        if role == Qt.ItemDataRole.TextAlignmentRole and column == PreviewColumn.LINE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row.skip in (
            SkipReason.EMPTY,
            SkipReason.DUPLICATE,
        ):
            return _muted_color()
        return None


class ReportColumn(IntEnum):
    """Columns of ``ReportModel``."""

    LINE = 0
    STATUS = 1
    CONTACT = 2
    REASON = 3


_STATUS_ICON = {
    RowStatus.CREATED: "warning",
    RowStatus.UPDATED: "warning",
    RowStatus.UNCHANGED: "warning",
    RowStatus.SKIPPED: "warning",
    RowStatus.FAILED: "error",
    RowStatus.NOT_IMPORTED: "info",
}


class ReportModel(QAbstractTableModel):
    """The rows of a report to look at (not written, or written with values left out):
    line, status, contact, reason."""

    HEADERS = ("Line", "Result", "Contact", "Reason")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowOutcome] = []

    def set_report(self, report: ImportReport | None) -> None:
        """Show the rows of ``report`` to look at."""
        self.beginResetModel()
        self._rows = report.attention if report is not None else []
        self.endResetModel()

    def outcome_at(self, row: int) -> RowOutcome | None:
        """The outcome shown at ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ReportColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return _header(self.HEADERS, section, orientation, role)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        outcome = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == ReportColumn.LINE:
                return str(outcome.line)
            if column == ReportColumn.STATUS:
                status = outcome.status.value.capitalize()
                return f"{status}, values left out" if outcome.status in WRITTEN else status
            if column == ReportColumn.CONTACT:
                return outcome.label or outcome.email
            if column == ReportColumn.REASON:
                return outcome.reason
        if role == Qt.ItemDataRole.DecorationRole and column == ReportColumn.STATUS:
            return icon(_STATUS_ICON.get(outcome.status, "info"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ReportColumn.LINE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


__all__ = [
    "ROW_HEIGHT",
    "MappingColumn",
    "MappingModel",
    "PreviewColumn",
    "PreviewModel",
    "ReportColumn",
    "ReportModel",
    "TargetDelegate",
    "person_label",
]
