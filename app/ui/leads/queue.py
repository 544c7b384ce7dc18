"""The research queue panel: a row per research job with its progress, counts and ETA.

Rows come from ``ResearchQueue.progress_all()`` and move with every
``ResearchJobChanged`` event. A job whose answer was lost (``unknown``: it may
have been sent and charged) is never resent on its own: the panel offers
"Resend" (with deduplication on, records it did research are not charged
again) and "Cancel job", and says which. A failed job can be resent too; a
queued one cancelled. When the queue stopped (the key was refused), the panel
says why and offers "Resume" once a new key is entered.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.credits import CreditsRefused
from app.services.ports.leads import (
    JobProgress,
    JobState,
    ResearchJobChanged,
    ResearchJobError,
    ResearchQueue,
)
from app.ui.leads.models import JobColumn, ProgressRole, ResearchJobsModel
from app.ui.common.widgets import IconLabel
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)

ROW_HEIGHT = 26
RESENDABLE = (JobState.UNKNOWN, JobState.FAILED)
CANCELLABLE = (JobState.QUEUED, JobState.UNKNOWN, JobState.FAILED)


class ProgressDelegate(QStyledItemDelegate):
    """Draws ``ProgressRole`` as a progress bar with the cell's text ("3 of 5") on it."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        fraction = index.data(ProgressRole)
        if not isinstance(fraction, float):
            super().paint(painter, option, index)
            return
        # The row's selection background first, then the bar inside a small margin.
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawPrimitive(
            QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
        )
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect).adjusted(Spacing.XS, 4, -Spacing.XS, -4)
        bar.minimum = 0
        bar.maximum = 1000
        bar.progress = round(fraction * 1000)
        bar.text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = option.state
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(140, ROW_HEIGHT)


class ResearchQueuePanel(QWidget):
    """The research queue (see the module docstring)."""

    jobsChanged = Signal()
    """A job row changed (the tab re-reads the research marks of its results)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue: ResearchQueue | None = None
        self.model = ResearchJobsModel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, Spacing.S, 0, 0)
        layout.setSpacing(Spacing.S)

        header = QHBoxLayout()
        header.setSpacing(Spacing.S)
        badge = IconLabel("list", 16, self)
        header.addWidget(badge)
        title = QLabel("Research queue", self)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        header.addWidget(title)
        self.summary_label = QLabel(self)
        self.summary_label.setProperty("muted", True)
        header.addWidget(self.summary_label)
        header.addStretch(1)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        # The theme makes BrightText its danger colour (light and dark).
        self.status_label.setForegroundRole(QPalette.ColorRole.BrightText)
        self.status_label.hide()
        header.addWidget(self.status_label, 3)
        self.resume_button = QPushButton(icon("sync"), "Resume", self)
        self.resume_button.setToolTip("Start sending and polling research again")
        self.resume_button.clicked.connect(self.resume)
        self.resume_button.hide()
        self.resend_button = QPushButton(icon("sync"), "Resend", self)
        self.resend_button.setToolTip(
            "Send the selected job again. With deduplication on, records it already "
            "researched are not charged twice."
        )
        self.resend_button.clicked.connect(self.resend_selected)
        self.cancel_button = QPushButton(icon("close"), "Cancel job", self)
        self.cancel_button.setToolTip(
            "Drop the selected job. If its answer was lost it may have been charged: "
            "its estimate stays counted."
        )
        self.cancel_button.clicked.connect(self.cancel_selected)
        for button in (self.resume_button, self.resend_button, self.cancel_button):
            header.addWidget(button)
        layout.addLayout(header)

        self.stack = QStackedWidget(self)
        self.empty = QLabel(
            "No research yet. Select people or companies in the results and press "
            "“Research selected”: the estimate is shown before anything is sent.",
            self.stack,
        )
        self.empty.setWordWrap(True)
        self.empty.setProperty("muted", True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table = QTableView(self.stack)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(JobColumn.PROGRESS, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        horizontal = self.table.horizontalHeader()
        horizontal.setHighlightSections(False)
        horizontal.setStretchLastSection(True)
        horizontal.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in (
            (JobColumn.JOB, 130),
            (JobColumn.PROGRESS, 160),
            (JobColumn.FOUND, 70),
            (JobColumn.NOT_FOUND, 80),
            (JobColumn.FAILED, 70),
            (JobColumn.ETA, 90),
        ):
            horizontal.resizeSection(column, width)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._after_change)
        self.model.rowsInserted.connect(self._after_change)
        self.model.dataChanged.connect(self._after_change)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        layout.addWidget(self.stack, 1)
        self._after_change()

    # -- data -----------------------------------------------------------------------------
    def set_queue(self, queue: ResearchQueue | None) -> None:
        """Show the jobs of ``queue`` (None: no Seamless connection)."""
        self.queue = queue
        self.refresh()

    def refresh(self) -> None:
        """Re-read every job from the queue."""
        queue = self.queue
        self.model.set_jobs(queue.progress_all() if queue is not None else [])
        self._show_status()

    def job_changed(self, event: ResearchJobChanged) -> JobProgress | None:
        """Apply a ``ResearchJobChanged`` of this queue; returns the job's new progress."""
        queue = self.queue
        if queue is None or event.account_key_id != queue.account_key_id:
            return None
        try:
            progress = queue.progress(event.job_id)
        except LookupError:
            return None
        self.model.update(progress)
        self._show_status()
        self.jobsChanged.emit()
        return progress

    def selected_job(self) -> JobProgress | None:
        """The job of the selected row."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.job_at(rows[0].row()) if rows else None

    def select_job(self, job_id: int) -> None:
        """Select a job's row."""
        row = self.model.row_of(job_id)
        if row >= 0:
            self.table.selectRow(row)

    @property
    def summary(self) -> str:
        """The header's summary ("1 running · 2 finished")."""
        return self.summary_label.text()

    @property
    def status_text(self) -> str:
        """Why the queue stopped, or the last problem ("" when none)."""
        return self.status_label.text() if not self.status_label.isHidden() else ""

    # -- the user's decisions ---------------------------------------------------------------
    def resend_selected(self) -> bool:
        """Resend the selected job (after a lost answer or a failure); False when refused,
        with the reason shown."""
        job = self.selected_job()
        if job is None or self.queue is None or job.state not in RESENDABLE:
            return False
        try:
            self.queue.resend(job.job_id)
        except CreditsRefused as exc:
            self._show_status(exc.user_message)
            return False
        except (ResearchJobError, LookupError) as exc:
            self._show_status(f"The job could not be resent ({exc}). Refresh and try again.")
            return False
        self.refresh()
        self.select_job(job.job_id)
        return True

    def cancel_selected(self) -> bool:
        """Cancel the selected job (queued, failed or with a lost answer)."""
        job = self.selected_job()
        if job is None or self.queue is None or job.state not in CANCELLABLE:
            return False
        try:
            self.queue.cancel(job.job_id)
        except (ResearchJobError, LookupError) as exc:
            self._show_status(f"The job could not be cancelled ({exc}). Refresh and try again.")
            return False
        self.refresh()
        return True

    def resume(self) -> None:
        """Start the queue again after it stopped (a new key was entered)."""
        if self.queue is not None:
            self.queue.resume()
        self._show_status()

    # -- drawing --------------------------------------------------------------------------
    def _after_change(self, *_: Any) -> None:
        jobs = self.model.jobs()
        self.stack.setCurrentWidget(self.table if jobs else self.empty)
        running = sum(
            1 for j in jobs if j.state in (JobState.QUEUED, JobState.SENDING, JobState.POLLING)
        )
        waiting = sum(1 for j in jobs if j.needs_decision)
        finished = sum(1 for j in jobs if j.state is JobState.DONE)
        parts = []
        if running:
            parts.append(f"{running} running")
        if waiting:
            parts.append(f"{waiting} need{'s' if waiting == 1 else ''} a decision")
        if finished:
            parts.append(f"{finished} finished")
        self.summary_label.setText(" · ".join(parts))
        self._update_buttons()

    def _update_buttons(self, *_: Any) -> None:
        job = self.selected_job()
        self.resend_button.setEnabled(job is not None and job.state in RESENDABLE)
        self.cancel_button.setEnabled(job is not None and job.state in CANCELLABLE)

    def _show_status(self, text: str | None = None) -> None:
        queue = self.queue
        paused = queue.paused if queue is not None else None
        message = text or paused or (queue.last_error if queue is not None else None)
        if paused and not text:
            message = f"Research stopped: {paused}"
        self.status_label.setText(message or "")
        self.status_label.setVisible(bool(message))
        self.resume_button.setVisible(bool(paused))


__all__ = ["ProgressDelegate", "ResearchQueuePanel"]
