"""Job changes and stale records in the Leads tab: the "Job changes…" window.

It lists the people to check: the research ledger (everyone researched, newest first,
marked *stale* when researched longer ago than the age chosen), the CRM contacts of a
sub-account that came from Seamless, or the researched rows selected in the results.

- "Check for job changes…" asks first (``JobChangeConfirm``): how many are checked and
  what it costs (1 credit each), how many deduplication would skip (people already
  researched, answered from the stored record: free but not checked again) with the
  choice to check those again, and who cannot be checked. Then it waits for the
  research and shows the report: who moved (old → new company and title), who was
  promoted, who is where they were.
- "Update N contacts in the CRM" is one click after the report: found by email like
  Add to CRM, their company and title brought up to date, tagged ``job-change``.
- "Refresh stale…" researches the stale records again (deduplication skipped), its
  cost confirmed first.

The work is the port's (``LeadsPort.job_checker``, ``update_moves``, ``refresh_plan``);
SQLite reads run on a worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.credits import CreditsRefused
from app.services.ports.leads import (
    DEFAULT_STALE_DAYS,
    Candidate,
    JobChangePlan,
    JobChangeReport,
    LeadsNotConnected,
    LeadsPort,
    LedgerRow,
    PushReport,
)
from app.ui.async_qt import TaskSet, await_signal
from app.ui.common.messages import FieldMessage
from app.ui.leads.dialogs import ResearchConfirmDialog
from app.ui.leads.models import job_change_badge
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)

LEDGER = "ledger"
CRM = "crm"
SELECTED = "selected"
REPORT_POLL_S = 0.5
"""How often the window looks whether the checks have their answers."""
ROW_HEIGHT = 24

_COLUMNS = ("Name", "Company", "Title", "Researched", "")


class CandidatesModel(QAbstractTableModel):
    """The people to check: name, company and title on file, when researched, stale."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[Candidate, LedgerRow | None]] = []

    def set_rows(self, rows: Sequence[tuple[Candidate, LedgerRow | None]]) -> None:
        """Show ``rows`` (a candidate and, for the ledger, its row)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def candidates(self, rows: Sequence[int] | None = None) -> list[Candidate]:
        """The candidates of ``rows`` (every one when None)."""
        chosen = range(len(self._rows)) if rows is None else rows
        return [self._rows[r][0] for r in chosen if 0 <= r < len(self._rows)]

    def stale_keys(self) -> list[str]:
        """The ledger keys of the stale rows."""
        return [c.key for c, row in self._rows if row is not None and row.stale]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section] if 0 <= section < len(_COLUMNS) else None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        candidate, row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return candidate.name
            if column == 1:
                return candidate.company
            if column == 2:
                return candidate.title
            if column == 3:
                when = row.researched_at if row is not None else None
                return when.strftime("%Y-%m-%d") if when else ("yes" if candidate.held else "")
            if column == 4:
                if row is not None and row.stale:
                    return "Stale"
                badge = job_change_badge(row.record.job_change_alert) if row else None
                return badge or ""
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 and row is not None and row.stale:
            return "Researched longer ago than the age chosen: refresh it to see today's details."
        if role == Qt.ItemDataRole.DecorationRole and column == 4 and row is not None:
            return icon("clock") if row.stale else None
        return None


class JobChangeConfirm(QDialog):
    """What checking would send and cost, asked before anything is sent."""

    def __init__(
        self, port: LeadsPort, candidates: Sequence[Candidate], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Check for job changes")
        self.setMinimumWidth(520)
        self.port = port
        self.candidates = list(candidates)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        self.recheck = QCheckBox(
            "Check people already researched again (deduplication off: 1 credit each)", self
        )
        self.recheck.setChecked(True)
        self.recheck.toggled.connect(lambda _on: self._plan())
        layout.addWidget(self.recheck)
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton("Check", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.plan: JobChangePlan | None = None
        self._plan()

    def _plan(self) -> None:
        plan = self.port.job_checker().plan(self.candidates, recheck=self.recheck.isChecked())
        self.plan = plan
        self.text.setText(plan.confirmation())
        self.recheck.setVisible(plan.dedup_would_skip > 0)
        count = len(plan.send)
        self.ok.setText(f"Check {count} {'person' if count == 1 else 'people'}")
        self.ok.setEnabled(bool(plan.send) and plan.refusal is None)


class JobChangesDialog(QDialog):
    """The "Job changes…" window (see the module docstring)."""

    def __init__(
        self,
        port: LeadsPort,
        parent: QWidget | None = None,
        *,
        selected: Sequence[Candidate] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Job changes and stale records")
        self.resize(900, 640)
        self.port = port
        self.tasks = TaskSet("leads-job-changes")
        self.selected = list(selected)
        self.report: JobChangeReport | None = None
        self.update_report: PushReport | None = None
        self.confirm: JobChangeConfirm | None = None
        self.job_ids: list[int] = []
        self._build()
        self.reload()

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        top = QHBoxLayout()
        top.setSpacing(Spacing.S)
        top.addWidget(QLabel("People:", self))
        self.source = QComboBox(self)
        if self.selected:
            self.source.addItem(f"The {len(self.selected)} researched rows selected", SELECTED)
        self.source.addItem("Everyone researched (the research ledger)", LEDGER)
        for ref in self.port.sub_accounts() if self.port.crm_open else []:
            self.source.addItem(f"CRM contacts from Seamless.AI in {ref.name}", f"{CRM}:{ref.id}")
        self.source.currentIndexChanged.connect(lambda _i: self.reload())
        top.addWidget(self.source, 1)
        top.addWidget(QLabel("Stale after", self))
        self.stale_days = QSpinBox(self)
        self.stale_days.setRange(1, 3650)
        self.stale_days.setValue(DEFAULT_STALE_DAYS)
        self.stale_days.setSuffix(" days")
        self.stale_days.valueChanged.connect(lambda _v: self.reload())
        top.addWidget(self.stale_days)
        layout.addLayout(top)

        self.model = CandidatesModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((180, 190, 190, 100)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 3)
        self.count_label = QLabel(self)
        self.count_label.setProperty("muted", True)
        layout.addWidget(self.count_label)

        actions = QHBoxLayout()
        actions.setSpacing(Spacing.S)
        self.check_button = QPushButton(icon("switch"), "Check for job changes…", self)
        self.check_button.setToolTip("The selected people, or everyone listed when none is")
        self.check_button.clicked.connect(self.check)
        self.refresh_button = QPushButton(icon("sync"), "Refresh stale…", self)
        self.refresh_button.clicked.connect(self.refresh_stale)
        actions.addWidget(self.check_button)
        actions.addWidget(self.refresh_button)
        actions.addStretch(1)
        layout.addLayout(actions)

        self.report_label = QLabel(self)
        self.report_label.setWordWrap(True)
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_label.hide()
        layout.addWidget(self.report_label, 2)
        crm = QHBoxLayout()
        crm.setSpacing(Spacing.S)
        self.sub_account = QComboBox(self)
        for ref in self.port.sub_accounts() if self.port.crm_open else []:
            self.sub_account.addItem(ref.name, ref.id)
        index = self.sub_account.findData(self.port.open_sub_account_id())
        self.sub_account.setCurrentIndex(max(0, index))
        self.update_button = QPushButton(icon("edit"), "Update in the CRM", self)
        self.update_button.clicked.connect(self.update_crm)
        crm.addWidget(self.update_button)
        crm.addWidget(QLabel("in", self))
        crm.addWidget(self.sub_account, 1)
        self.crm_row = QWidget(self)
        self.crm_row.setLayout(crm)
        self.crm_row.hide()
        layout.addWidget(self.crm_row)
        self.message = FieldMessage(self)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- listing ------------------------------------------------------------------------------
    def reload(self) -> asyncio.Task[Any]:
        """List the people of the source chosen (read on a worker)."""
        return self.tasks.spawn(self._reload(), "reload", replace=True)

    async def _reload(self) -> None:
        source = str(self.source.currentData())
        days = self.stale_days.value()
        port = self.port
        try:
            rows: list[tuple[Candidate, LedgerRow | None]]
            if source == SELECTED:
                ledger = {r.key: r for r in await asyncio.to_thread(port.ledger_rows, days)}
                rows = [(c, ledger.get(c.key)) for c in self.selected]
            elif source.startswith(f"{CRM}:"):
                sub = source.split(":", 1)[1]
                found = await asyncio.to_thread(port.crm_candidates, sub)
                rows = [(c, None) for c in found]
            else:
                ledger_rows = await asyncio.to_thread(port.ledger_rows, days)
                keys = [r.key for r in ledger_rows]
                candidates = {c.key: c for c in port.candidates_of(keys)}
                rows = [(candidates[r.key], r) for r in ledger_rows if r.key in candidates]
        except (RuntimeError, LeadsNotConnected) as exc:
            self.message.show_text(str(exc))
            rows = []
        if not shiboken6.isValid(self):
            return
        self.model.set_rows(rows)
        stale = len(self.model.stale_keys())
        self.count_label.setText(
            f"{len(rows)} {'person' if len(rows) == 1 else 'people'}"
            + (f", {stale} stale (researched more than {days} days ago)" if stale else "")
            + "."
        )
        self.refresh_button.setEnabled(stale > 0)
        self.check_button.setEnabled(bool(rows))

    def chosen(self) -> list[Candidate]:
        """The selected people, or everyone listed when none is selected."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return self.model.candidates(rows or None)

    # -- checking -----------------------------------------------------------------------------
    def check(self) -> asyncio.Task[Any]:
        """Check the chosen people for job changes (asked first); the task."""
        return self.tasks.spawn(self._check(self.chosen()), "check", replace=True)

    async def _check(self, candidates: list[Candidate]) -> JobChangeReport | None:
        self.message.clear()
        try:
            dialog = JobChangeConfirm(self.port, candidates, self)
        except LeadsNotConnected as exc:
            self.message.show_text(str(exc))
            return None
        self.confirm = dialog
        try:
            dialog.open()
            result = await await_signal(dialog.finished)
        finally:
            self.confirm = None
            dialog.deleteLater()
        plan = dialog.plan
        if result != QDialog.DialogCode.Accepted or plan is None:
            return None
        checker = self.port.job_checker()
        try:
            self.job_ids = checker.submit(plan)
        except CreditsRefused as exc:
            self.message.show_text(str(exc))
            return None
        self._show_report(checker.report(self.job_ids))
        while shiboken6.isValid(self):
            report = checker.report(self.job_ids)
            self._show_report(report)
            if report.finished:
                return report
            await asyncio.sleep(REPORT_POLL_S)
        return None

    def _show_report(self, report: JobChangeReport) -> None:
        self.report = report
        lines = [f"<b>{report.summary()}</b>"]
        for move in report.changed:
            lines.append("• " + _escape(move.describe()))
        for move in report.moves:
            if not move.changed:
                lines.append("<span style='opacity:0.7'>• " + _escape(move.describe()) + "</span>")
        self.report_label.setText("<br>".join(lines[:60]))
        self.report_label.show()
        changed = len(report.changed)
        can_update = report.finished and changed > 0 and self.sub_account.count() > 0
        self.update_button.setText(
            f"Update {changed} contact{'' if changed == 1 else 's'} in the CRM"
        )
        self.update_button.setEnabled(can_update)
        self.crm_row.setVisible(report.finished and changed > 0)
        if report.finished and changed and self.sub_account.count() == 0:
            self.message.show_text("Open a Seedly connection to update these contacts.")

    def update_crm(self) -> asyncio.Task[Any]:
        """Bring the moved people's CRM contacts up to date (one click); the task."""
        return self.tasks.spawn(self._update(), "update", replace=True)

    async def _update(self) -> PushReport | None:
        report = self.report
        sub = self.sub_account.currentData()
        if report is None or not sub:
            return None
        self.update_button.setEnabled(False)
        try:
            result = await self.port.update_moves(str(sub), report.changed)
        except RuntimeError as exc:
            if shiboken6.isValid(self):
                self.message.show_text(str(exc))
                self.update_button.setEnabled(True)
            return None
        self.update_report = result
        if shiboken6.isValid(self):
            skipped = [o for o in result.skipped if o.reason]
            detail = " ".join(f"{o.name}: {o.reason}" for o in skipped[:5])
            self.message.show_text(f"{result.summary()} {detail}".strip())
        return result

    # -- stale records --------------------------------------------------------------------------
    def refresh_stale(self) -> asyncio.Task[Any]:
        """Research the stale records again (deduplication skipped), the cost asked first."""
        return self.tasks.spawn(self._refresh(), "refresh", replace=True)

    async def _refresh(self) -> list[int]:
        keys = self.model.stale_keys()
        if not keys:
            return []
        try:
            plan = self.port.refresh_plan(keys)
        except LeadsNotConnected as exc:
            self.message.show_text(str(exc))
            return []
        dialog = ResearchConfirmDialog(plan, self.port.meter(), self)
        dialog.setWindowTitle("Refresh stale records")
        try:
            dialog.open()
            result = await await_signal(dialog.finished)
        finally:
            dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted or self.port.queue is None:
            return []
        try:
            job_ids = self.port.queue.submit(plan)
        except CreditsRefused as exc:
            self.message.show_text(str(exc))
            return []
        self.message.show_text(
            f"{len(keys)} stale record{'' if len(keys) == 1 else 's'} sent to be researched "
            "again; the research queue shows the progress."
        )
        return job_ids

    async def shutdown(self) -> None:
        """Cancel the window's work (it closes)."""
        await self.tasks.shutdown(2.0)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def run_job_changes(
    parent: QWidget | None, port: LeadsPort, selected: Sequence[Candidate] = ()
) -> JobChangesDialog:
    """Open the window (non-modal) and wait until it closes. Safe inside a coroutine."""
    dialog = JobChangesDialog(port, parent, selected=selected)
    try:
        dialog.open()
        await await_signal(dialog.finished)
        return dialog
    finally:
        await dialog.shutdown()
        dialog.deleteLater()


__all__ = [
    "CandidatesModel",
    "JobChangeConfirm",
    "JobChangesDialog",
    "run_job_changes",
]
