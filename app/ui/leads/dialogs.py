"""The Leads tab's dialogs: the research confirmation, the daily budget, a name for a
saved search, and adding researched people to the CRM.

Every dialog is opened with ``open()`` and awaited with
``await_signal(dialog.finished)``: never ``exec()`` inside a coroutine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ApiError
from app.services.ports.leads import (
    CreditMeter,
    LeadPushProgress,
    PushReport,
    ResearchPlan,
    SubAccountRef,
)
from app.ui.async_qt import TaskSet
from app.ui.common.messages import FieldMessage
from app.ui.common.report import wrap_reasons
from app.ui.common.widgets import IconLabel, set_primary
from app.ui.leads.meter import credits_text
from app.ui.leads.models import PushReportModel, ReportColumn
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)

DEFAULT_TAG = "seamless"
"""The tag added contacts get unless the user types another."""


def _title_label(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    label.setFont(font)
    return label


def _icon_row(name: str, label: QLabel, parent: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(Spacing.S)
    badge = IconLabel(name, 24, parent)
    badge.setFixedSize(24, 24)
    row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
    row.addWidget(label, 1)
    return row


# -- research confirmation ------------------------------------------------------------------------


class ResearchConfirmDialog(QDialog):
    """Asks before research is sent: what is sent, what is free (already researched:
    reopened from the ledger, not sent), the most it costs and the balance after."""

    def __init__(
        self,
        plan: ResearchPlan,
        meter: CreditMeter | None,
        parent: QWidget | None = None,
        *,
        sub_accounts: Sequence[SubAccountRef] = (),
        open_sub_account_id: str | None = None,
    ) -> None:
        """``sub_accounts`` (people only, a CRM open): offer to add each person to the CRM as
        soon as their research arrives."""
        super().__init__(parent)
        self.plan = plan
        estimate = plan.estimate
        companies = plan.kind == "company"
        noun = "companies" if companies else "people"
        self.setWindowTitle(f"Research selected {noun}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        sent = len(plan.send) + len(plan.identities)
        one = "company" if companies else "person"
        self.headline = _title_label(
            f"Research {sent} {one if sent == 1 else noun}: {estimate.text.lower()}.", self
        )
        layout.addLayout(_icon_row("coin", self.headline, self))
        self.body = QLabel(plan.confirmation(), self)
        self.body.setWordWrap(True)
        layout.addWidget(self.body)
        # Without free duplicates or a split into several requests it repeats the headline.
        self.body.setVisible(bool(plan.free) or len(plan.batches) > 1)

        form = QFormLayout()
        form.setHorizontalSpacing(Spacing.L)
        form.setVerticalSpacing(Spacing.XS)
        self.rows: dict[str, str] = {}

        def add(key: str, label: str, value: str) -> None:
            text = QLabel(value, self)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, text)
            self.rows[key] = value

        add("selected", "Selected", f"{estimate.records:,}")
        add(
            "free",
            "Already researched",
            f"{len(plan.free):,} — free: reopened from your research, not sent"
            if plan.free
            else "None",
        )
        add("sent", "Sent for research", f"{sent:,}")
        add("cost", "Cost", estimate.text)
        if meter is not None and meter.balance is not None:
            available = meter.available or 0
            held = (
                f" ({credits_text(meter.committed)} held for queued research)"
                if meter.committed
                else ""
            )
            add("balance", "Balance now", credits_text(meter.balance) + held)
            add(
                "after",
                "Balance after",
                f"at least {credits_text(max(0, available - estimate.credits))}",
            )
        if meter is not None and meter.daily_budget is not None:
            left = max(0, (meter.budget_left or 0) - estimate.credits)
            add("budget", "Today's budget after", f"{left:,} of {meter.daily_budget:,} left")
        layout.addLayout(form)
        note = QLabel(
            "Seamless.AI deduplicates too: people it finds you already researched are "
            "returned without a charge, so the cost may be lower.",
            self,
        )
        note.setWordWrap(True)
        note.setProperty("muted", True)
        layout.addWidget(note)
        push_row = QHBoxLayout()
        push_row.setSpacing(Spacing.S)
        self.push_check = QCheckBox("Add them to the CRM as they arrive, in", self)
        self.push_check.setToolTip(
            "Each researched person is added (looked up by email first, never twice) while "
            "the others are still being researched: the fastest way to the CRM"
        )
        self.push_sub = QComboBox(self)
        for ref in sub_accounts:
            self.push_sub.addItem(ref.name, ref.id)
        self.push_sub.setCurrentIndex(max(0, self.push_sub.findData(open_sub_account_id)))
        self.push_sub.setEnabled(False)
        self.push_check.toggled.connect(self.push_sub.setEnabled)
        push_row.addWidget(self.push_check)
        push_row.addWidget(self.push_sub, 1)
        self.push_box = QWidget(self)
        self.push_box.setLayout(push_row)
        self.push_box.setVisible(bool(sub_accounts) and plan.kind == "contact")
        layout.addWidget(self.push_box)
        self.refusal = FieldMessage(self)
        layout.addWidget(self.refusal)
        buttons = QDialogButtonBox(self)
        self.research_button = buttons.addButton(
            f"Research — {estimate.text.lower()}", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.research_button.setIcon(icon("search"))
        set_primary(self.research_button)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if plan.refusal is not None:
            self.refusal.show_text(plan.refusal.message)
            self.research_button.setEnabled(False)

    def push_to(self) -> str | None:
        """The sub-account to add people to as they arrive, or None (not asked)."""
        if not self.push_box.isVisibleTo(self) or not self.push_check.isChecked():
            return None
        value = self.push_sub.currentData()
        return str(value) if value else None

    @property
    def text(self) -> str:
        """Everything the dialog says, as plain text (headline, sentence, figures)."""
        figures = "\n".join(f"{k}: {v}" for k, v in self.rows.items())
        return f"{self.headline.text()}\n{self.body.text()}\n{figures}"


# -- daily budget ---------------------------------------------------------------------------------


class BudgetDialog(QDialog):
    """Sets or clears the daily budget: the most the app may spend per day."""

    def __init__(
        self, current: int | None, spent_today: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Daily credit budget")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        intro = QLabel(
            "The app refuses, before sending anything, a search or research that could take "
            f"today's spending over the budget. Spent today so far: {credits_text(spent_today)}.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        row.setSpacing(Spacing.S)
        self.enabled = QCheckBox("Spend at most", self)
        self.amount = QSpinBox(self)
        self.amount.setRange(1, 10_000_000)
        self.amount.setGroupSeparatorShown(True)
        self.amount.setValue(current if current is not None else 100)
        self.amount.setSuffix(" credits per day")
        self.enabled.setChecked(current is not None)
        self.amount.setEnabled(current is not None)
        self.enabled.toggled.connect(self.amount.setEnabled)
        row.addWidget(self.enabled)
        row.addWidget(self.amount, 1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def value(self) -> int | None:
        """The budget chosen (None: no budget)."""
        return self.amount.value() if self.enabled.isChecked() else None

    def set_value(self, credits: int | None) -> None:
        """Choose a budget as the user would (None: no budget)."""
        self.enabled.setChecked(credits is not None)
        if credits is not None:
            self.amount.setValue(credits)


# -- saved search names ---------------------------------------------------------------------------


class NameDialog(QDialog):
    """Asks for the name of a saved search (new, or renamed)."""

    def __init__(
        self,
        title: str,
        initial: str = "",
        *,
        taken: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        self._taken = {t.casefold() for t in taken}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.S)
        layout.addWidget(QLabel("Name", self))
        self.edit = QLineEdit(initial, self)
        self.edit.setMaxLength(80)
        self.edit.setPlaceholderText("e.g. Sales leaders at US software companies")
        layout.addWidget(self.edit)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setProperty("muted", True)
        layout.addWidget(self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.edit.textChanged.connect(self._changed)
        self._changed()

    def name(self) -> str:
        """The name typed, trimmed."""
        return " ".join(self.edit.text().split())

    def _changed(self) -> None:
        name = self.name()
        self.save_button.setEnabled(bool(name))
        replaces = name.casefold() in self._taken
        self.note.setText(
            "A saved search with this name exists: it will be replaced." if replaces else ""
        )
        self.note.setVisible(replaces)


# -- adding to the CRM ----------------------------------------------------------------------------

PushFn = Callable[[str, str], Awaitable[PushReport]]


class AddToCrmDialog(QDialog):
    """Adds researched people to a sub-account of the open Seedly connection: choose the
    sub-account (the active one first) and a tag, watch the progress, read the report.

    ``push(sub_account_id, tag)`` does the work (``LeadPusher.push``); progress comes
    from ``LeadPushProgress`` events, which the owner passes to ``progress``."""

    pushFinished = Signal(object)
    """The push ended with its ``PushReport``."""

    def __init__(
        self,
        count: int,
        sub_accounts: Sequence[SubAccountRef],
        active_id: str | None,
        push: PushFn,
        parent: QWidget | None = None,
        *,
        tasks: TaskSet | None = None,
    ) -> None:
        super().__init__(parent)
        self._push_fn = push
        self._tasks = tasks
        self.count = count
        self.report: PushReport | None = None
        self._task: asyncio.Task[Any] | None = None
        self._pushing = False
        self.setWindowTitle("Add to CRM")
        self.setMinimumWidth(680)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        one = "person" if count == 1 else "people"
        self.headline = _title_label(
            f"Add {count} researched {one} to Seedly CRM as contacts", self
        )
        layout.addLayout(_icon_row("add", self.headline, self))
        intro = QLabel(
            "Each person is looked up by email first: an existing contact is updated, never "
            "duplicated. People without a usable email address are skipped, with the reason.",
            self,
        )
        intro.setWordWrap(True)
        intro.setProperty("muted", True)
        layout.addWidget(intro)
        form = QFormLayout()
        form.setHorizontalSpacing(Spacing.M)
        form.setVerticalSpacing(Spacing.S)
        self.sub_account = QComboBox(self)
        for sub in sub_accounts:
            self.sub_account.addItem(icon("company"), sub.name, sub.id)
        if active_id is not None:
            self.sub_account.setCurrentIndex(max(0, self.sub_account.findData(active_id)))
        self.sub_account.setEnabled(len(sub_accounts) > 1)
        form.addRow("Sub-account", self.sub_account)
        self.tag = QLineEdit(DEFAULT_TAG, self)
        self.tag.setPlaceholderText("No tag")
        form.addRow("Tag", self.tag)
        layout.addLayout(form)

        progress_row = QHBoxLayout()
        progress_row.setSpacing(Spacing.S)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, max(1, count))
        self.bar.setValue(0)
        self.progress_label = QLabel(self)
        self.progress_label.setProperty("muted", True)
        progress_row.addWidget(self.bar, 1)
        progress_row.addWidget(self.progress_label)
        self.progress_box = QWidget(self)
        self.progress_box.setLayout(progress_row)
        progress_row.setContentsMargins(0, 0, 0, 0)
        self.progress_box.hide()
        layout.addWidget(self.progress_box)

        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.hide()
        layout.addWidget(self.summary)
        self.report_model = PushReportModel(self)
        self.report_view = QTableView(self)
        self.report_view.setModel(self.report_model)
        self.report_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.report_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.report_view.setShowGrid(False)
        self.report_view.setWordWrap(False)
        self.report_view.verticalHeader().setVisible(False)
        self.report_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.report_view.verticalHeader().setDefaultSectionSize(26)
        header = self.report_view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.resizeSection(ReportColumn.NAME, 140)
        header.resizeSection(ReportColumn.EMAIL, 190)
        header.resizeSection(ReportColumn.OUTCOME, 140)
        # The reasons are the point of the report: wrapped in full, never cut.
        wrap_reasons(self.report_view, ReportColumn.REASON)
        self.report_view.setMinimumHeight(180)
        self.report_view.hide()
        layout.addWidget(self.report_view, 1)
        self.error = FieldMessage(self)
        layout.addWidget(self.error)

        self.buttons = QDialogButtonBox(self)
        self.add_button = self.buttons.addButton(
            f"Add {count} to CRM", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.add_button.setIcon(icon("add"))
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # Add starts the push; only Close ends the dialog (the report stays readable).
        self.add_button.clicked.connect(self.start_push)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

    @property
    def target(self) -> str | None:
        """The sub-account chosen."""
        data = self.sub_account.currentData()
        return str(data) if data else None

    @property
    def busy(self) -> bool:
        """The push is running."""
        return self._pushing

    def start_push(self) -> asyncio.Task[Any] | None:
        """Start adding (the Add button); returns the task."""
        if self._pushing or self.report is not None or self.target is None:
            return None
        if self._tasks is not None:
            self._task = self._tasks.spawn(self._push(), "leads-push")
        else:
            self._task = asyncio.get_running_loop().create_task(self._push(), name="leads:push")
        return self._task

    async def _push(self) -> PushReport | None:
        target = self.target
        assert target is not None
        self._pushing = True
        self.error.clear()
        self.add_button.setEnabled(False)
        self.close_button.setEnabled(False)
        self.sub_account.setEnabled(False)
        self.tag.setEnabled(False)
        self.progress_box.show()
        self.progress_label.setText(f"0 of {self.count}")
        try:
            report = await self._push_fn(target, self.tag.text().strip())
        except (ApiError, RuntimeError) as exc:
            text = getattr(exc, "user_message", None) or str(exc)
            log.info("adding leads to %s failed: %s", target, exc)
            if shiboken6.isValid(self):
                self.error.show_text(f"Nothing more was added: {text}")
                self._finish_buttons()
            return None
        finally:
            self._pushing = False
        if not shiboken6.isValid(self):
            return report
        self.show_report(report)
        self.pushFinished.emit(report)
        return report

    def progress(self, event: LeadPushProgress) -> None:
        """A ``LeadPushProgress`` event (ignored unless it is this push's sub-account)."""
        if not self._pushing or event.scope.sub_account_id != self.target:
            return
        self.bar.setRange(0, max(1, event.total))
        self.bar.setValue(event.done)
        self.progress_label.setText(f"{event.done} of {event.total}")

    def show_report(self, report: PushReport) -> None:
        """Show what the push did, record by record."""
        self.report = report
        self.bar.setValue(self.bar.maximum())
        self.progress_label.setText(f"{len(report.outcomes)} of {self.count}")
        missing = bool(report.failed or report.skipped)
        self.summary.setText(report.summary())
        self.summary.setProperty("muted", False)
        self.summary.show()
        self.report_model.set_outcomes(report.outcomes)
        self.report_view.setVisible(bool(report.outcomes))
        if missing:
            self.error.show_text(
                "Some people were not added: the reasons are in the list. Fix what they say "
                "(in Seedly, or by researching again), then add them again: nothing is "
                "duplicated."
            )
        self._finish_buttons()

    def _finish_buttons(self) -> None:
        self.add_button.hide()
        self.close_button.setEnabled(True)
        self.close_button.setText("Close")

    def reject(self) -> None:
        """Close, except while the push runs (its report must not be lost)."""
        if self._pushing:
            return
        super().reject()


__all__ = [
    "DEFAULT_TAG",
    "AddToCrmDialog",
    "BudgetDialog",
    "NameDialog",
    "ResearchConfirmDialog",
]
