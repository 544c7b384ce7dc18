"""The report a job ends with (Add to CRM, bulk contact actions, cancelling appointments,
copying a webhook): a line per record with its outcome and, in full, the reason.

A job's closing banner says what happened and names the main reason of what failed; its
"Show report…" opens ``ReportDialog`` again at any time. A job that was cancelled or
stopped is not a success: ``report_severity`` says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.common.widgets import SEVERITY_ICONS, IconLabel
from app.ui.theme import Spacing, icon

REPORT_SIZE = (720, 460)
"""The report dialog's default size: the reasons wrap inside it, never a side scrollbar."""


class LineState(StrEnum):
    """How one record of a job ended."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not done, and not an error: skipped, not reached (the job was cancelled)."""


_STATE_ICONS = {LineState.DONE: "check", LineState.FAILED: "error", LineState.SKIPPED: "warning"}


@dataclass(frozen=True)
class ReportLine:
    """One record of a job's report: who or what, the outcome in words, and why."""

    subject: str
    outcome: str
    state: LineState = LineState.DONE
    reason: str = ""


def report_severity(*, failed: int, incomplete: bool = False) -> str:
    """The banner's colour for a job: "danger" when something failed, "warning" when it
    was cancelled, stopped or left records out, "success" only when all was done."""
    if failed:
        return "danger"
    if incomplete:
        return "warning"
    return "success"


def main_reason(lines: Sequence[ReportLine]) -> str | None:
    """The most frequent reason of the lines that failed (None: none failed with one)."""
    reasons = Counter(line.reason for line in lines if line.state is not LineState.DONE)
    reasons.pop("", None)
    if not reasons:
        return None
    reason, _count = reasons.most_common(1)[0]
    return reason


def with_reason(summary: str, lines: Sequence[ReportLine]) -> str:
    """``summary`` followed by the main reason of what failed ("… 2 failed. Why: …")."""
    reason = main_reason(lines)
    if reason is None:
        return summary
    others = len(
        {line.reason for line in lines if line.reason and line.state is not LineState.DONE}
    )
    more = f" (and {others - 1} other reason{'s' if others > 2 else ''})" if others > 1 else ""
    return f"{summary} Why: {reason}{more}"


COLUMNS = ("Record", "Outcome", "Why")


class ReportModel(QAbstractTableModel):
    """The lines of a report: record, outcome (with its icon) and the reason in full."""

    def __init__(self, lines: Sequence[ReportLine] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines = list(lines)

    def set_lines(self, lines: Sequence[ReportLine]) -> None:
        """Show ``lines`` (failures first, then skipped, then done)."""
        rank = {LineState.FAILED: 0, LineState.SKIPPED: 1, LineState.DONE: 2}
        self.beginResetModel()
        self._lines = sorted(lines, key=lambda line: rank[line.state])
        self.endResetModel()

    def line_at(self, row: int) -> ReportLine | None:
        """The line of ``row``."""
        return self._lines[row] if 0 <= row < len(self._lines) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        line = self.line_at(index.row()) if index.isValid() else None
        if line is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (line.subject, line.outcome, line.reason)[column] or None
        if role == Qt.ItemDataRole.DecorationRole and column == 1:
            return icon(_STATE_ICONS[line.state])
        return None


def wrap_reasons(view: QTableView, reason_column: int) -> None:
    """Let a report table show its reasons whole: the reason column takes the room left
    and wraps, the rows grow to fit (reports are short, so sizing rows is cheap)."""
    view.setWordWrap(True)
    view.setTextElideMode(Qt.TextElideMode.ElideNone)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(reason_column, QHeaderView.ResizeMode.Stretch)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)


class ReportDialog(QDialog):
    """A job's report, record by record, with the reasons in full (module docstring)."""

    def __init__(
        self,
        title: str,
        summary: str,
        severity: str,
        lines: Sequence[ReportLine],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(*REPORT_SIZE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        row = QHBoxLayout()
        row.setSpacing(Spacing.S)
        self.icon = IconLabel(SEVERITY_ICONS.get(severity, "info"), 20, self)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        self.summary = QLabel(summary, self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.summary, 1)
        layout.addLayout(row)
        self.model = ReportModel(parent=self)
        self.model.set_lines(lines)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.resizeSection(0, 200)
        header.resizeSection(1, 130)
        wrap_reasons(self.view, 2)
        self.view.setVisible(bool(lines))
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def text(self) -> str:
        """The summary and every line, as plain text."""
        lines = [self.summary.text()]
        for row in range(self.model.rowCount()):
            line = self.model.line_at(row)
            if line is not None:
                why = f": {line.reason}" if line.reason else ""
                lines.append(f"{line.subject}: {line.outcome}{why}")
        return "\n".join(lines)


def open_report(
    parent: QWidget,
    title: str,
    summary: str,
    severity: str,
    lines: Sequence[ReportLine],
) -> ReportDialog:
    """Show a report without blocking (it deletes itself when closed)."""
    dialog = ReportDialog(title, summary, severity, lines, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


__all__ = [
    "REPORT_SIZE",
    "LineState",
    "ReportDialog",
    "ReportLine",
    "ReportModel",
    "main_reason",
    "open_report",
    "report_severity",
    "with_reason",
    "wrap_reasons",
]
