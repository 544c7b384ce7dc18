"""The Workflows page: the workflows the user keeps, triggering one for contacts (or by
email) with custom data, sending an event to its waiting runs, and the local history.

Seedly has no list of workflows (docs/api/seedly-crm.md §8), so the user adds the slugs
they use. "Run workflow…" from Contacts or the Inbox arrives here with the chosen
contacts filled in; a run for several contacts ends with a report.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.bus import WebhookBenchChanged
from app.services.ports.webhooks import (
    ContactChoice,
    ContactTarget,
    KeptWorkflow,
    NotActive,
    StorageError,
    WebhooksPort,
    WebhooksReader,
    WorkflowInputError,
    WorkflowRun,
    parse_json_object,
)
from app.ui.async_qt import TaskSet, await_signal
from app.ui.common.messages import FieldMessage
from app.ui.common.search import SearchBox
from app.ui.common.widgets import IconLabel, EmptyState
from app.ui.theme import Spacing, icon
from app.ui.webhooks.dialogs import RunReportDialog, WorkflowDialog, monospace, muted
from app.ui.webhooks.flows import Say
from app.ui.webhooks.labels import clock_time, long_ms, outcome_icon, outcome_icon_name
from app.ui.webhooks.models import Column, RowsTableModel
from app.ui.webhooks.subscriptions import stretch, table, tool

log = logging.getLogger(__name__)

CONTACT_ROLE = Qt.ItemDataRole.UserRole
SEARCH_PAUSE_MS = 200


class WorkflowsPage(QWidget):
    """Kept workflows, the run panel and the history (see the module docstring)."""

    def __init__(
        self, port: WebhooksPort, tasks: TaskSet, say: Say, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.port = port
        self.tasks = tasks
        self.say = say
        self.reader: WebhooksReader | None = None
        self.chosen: list[ContactChoice] = []
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(
            lambda: self.tasks.spawn(self._search(), "workflows:search", replace=True)
        )
        self._build()

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, Spacing.S, 0, 0)
        outer = QSplitter(Qt.Orientation.Vertical, self)
        outer.setChildrenCollapsible(False)
        top = QSplitter(Qt.Orientation.Horizontal, outer)
        top.setChildrenCollapsible(False)

        kept = QWidget(top)
        kept_layout = QVBoxLayout(kept)
        kept_layout.setContentsMargins(0, 0, Spacing.S, 0)
        bar = QHBoxLayout()
        title = QLabel("Your workflows", kept)
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        bar.addWidget(title, 1)
        self.add_button = tool(kept, "add", "Add…", self._add)
        self.edit_button = tool(kept, "edit", "Edit…", self._edit)
        self.remove_button = tool(kept, "delete", "Remove", self._remove)
        for button in (self.add_button, self.edit_button, self.remove_button):
            bar.addWidget(button)
        kept_layout.addLayout(bar)
        self.kept_model: RowsTableModel[KeptWorkflow] = RowsTableModel(
            [
                Column("Name", lambda w: w.name),
                Column(
                    "Signed",
                    lambda w: "Yes" if w.has_secret else "No",
                    icon=lambda w: icon("key") if w.has_secret else None,
                    tooltip=lambda w: (
                        "Requests are signed with the secret kept in the keyring"
                        if w.has_secret
                        else "Sent unsigned"
                    ),
                ),
                Column("Slug", lambda w: w.slug),
            ],
            key=lambda w: w.slug,
            parent=self,
        )
        self.kept_stack = QStackedWidget(kept)
        self.kept_table = table(self.kept_stack, self.kept_model)
        stretch(self.kept_table, 2, {0: 180, 1: 70})
        self.kept_table.selectionModel().selectionChanged.connect(lambda *_: self._selection())
        self.kept_empty = EmptyState(self.kept_stack)
        self.kept_empty.set_content(
            "bolt",
            "No workflows kept yet",
            "Add a workflow's slug from its Inbound Webhook trigger in Seedly to start it "
            "from here.",
            "Add a workflow…",
        )
        self.kept_empty.actionClicked.connect(self._add)
        self.kept_stack.addWidget(self.kept_table)
        self.kept_stack.addWidget(self.kept_empty)
        kept_layout.addWidget(self.kept_stack, 1)

        runner = QWidget(top)
        run_layout = QVBoxLayout(runner)
        run_layout.setContentsMargins(Spacing.S, 0, 0, 0)
        run_layout.setSpacing(Spacing.S)
        self.run_title = QLabel("Run a workflow", runner)
        self.run_title.setFont(bold)
        run_layout.addWidget(self.run_title)
        modes = QHBoxLayout()
        self.mode_trigger = QRadioButton("Start it for contacts", runner)
        self.mode_event = QRadioButton("Send an event to its waiting runs", runner)
        self.mode_trigger.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.mode_trigger)
        group.addButton(self.mode_event)
        modes.addWidget(self.mode_trigger)
        modes.addWidget(self.mode_event)
        modes.addStretch(1)
        run_layout.addLayout(modes)
        form = QFormLayout()
        form.setSpacing(Spacing.S)
        self.contact_search = SearchBox("Find contacts by name, email or phone", runner, 0)
        self.contact_search.textChanged.connect(lambda _t: self._search_timer.start())
        form.addRow("Contacts", self.contact_search)
        self.contacts = QListWidget(runner)
        self.contacts.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.contacts.setUniformItemSizes(True)
        self.contacts.setMaximumHeight(150)
        self.contacts.itemSelectionChanged.connect(self._contacts_chosen)
        form.addRow("", self.contacts)
        self.chosen_label = QLabel("No contact chosen.", runner)
        self.chosen_label.setProperty("muted", True)
        self.chosen_label.setWordWrap(True)
        form.addRow("", self.chosen_label)
        self.email = QLineEdit(runner)
        self.email.setPlaceholderText("or an email address Seedly knows")
        form.addRow("By email", self.email)
        self.event_type = QLineEdit(runner)
        self.event_type.setPlaceholderText(
            "The event type the workflow waits for, e.g. quote_accepted"
        )
        form.addRow("Event type", self.event_type)
        self.data = QPlainTextEdit(runner)
        self.data.setFont(monospace())
        self.data.setPlaceholderText('Optional JSON object, e.g. {"plan": "gold"}')
        self.data.setMaximumHeight(110)
        form.addRow("Custom data", self.data)
        run_layout.addLayout(form)
        self.data_message = FieldMessage(runner)
        run_layout.addWidget(self.data_message)
        run_row = QHBoxLayout()
        self.run_button = QPushButton(icon("bolt"), "Run", runner)
        self.run_button.clicked.connect(self._run)
        self.result_icon = IconLabel(None, 16, runner)
        self.result = QLabel(runner)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        run_row.addWidget(self.run_button, 0, Qt.AlignmentFlag.AlignTop)
        run_row.addWidget(self.result_icon, 0, Qt.AlignmentFlag.AlignTop)
        run_row.addWidget(self.result, 1)
        run_layout.addLayout(run_row)
        run_layout.addStretch(1)
        self.mode_trigger.toggled.connect(lambda _c: self._mode())

        history = QWidget(outer)
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, Spacing.S, 0, 0)
        head = QHBoxLayout()
        label = QLabel("Sent from this computer", history)
        label.setFont(bold)
        head.addWidget(label)
        head.addWidget(
            muted("Seedly's own run log is in its dashboard; this is what the app sent.", history),
            1,
        )
        self.rerun_button = QPushButton("Run again", history)
        self.rerun_button.setEnabled(False)
        self.rerun_button.clicked.connect(self._rerun)
        head.addWidget(self.rerun_button)
        history_layout.addLayout(head)
        self.runs_model: RowsTableModel[WorkflowRun] = RowsTableModel(
            [
                Column("When", lambda r: clock_time(r.ran_ms), tooltip=lambda r: long_ms(r.ran_ms)),
                Column("Workflow", self._workflow_name, tooltip=lambda r: r.slug),
                Column("Kind", lambda r: "Start" if r.kind == "trigger" else "Event"),
                Column("Contact", lambda r: r.contact_label or r.contact_id or "—"),
                Column(
                    "Result",
                    lambda r: r.message,
                    icon=lambda r: outcome_icon(r.outcome),
                    tooltip=lambda r: f"{r.message}\n\nSent: {r.body}",
                ),
            ],
            key=lambda r: str(r.seq),
            parent=self,
        )
        self.runs = table(history, self.runs_model)
        stretch(self.runs, 4, {0: 80, 1: 180, 2: 60, 3: 180})
        self.runs.selectionModel().selectionChanged.connect(
            lambda *_: self.rerun_button.setEnabled(bool(self.runs.selectionModel().selectedRows()))
        )
        history_layout.addWidget(self.runs, 1)

        top.addWidget(kept)
        top.addWidget(runner)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 3)
        outer.addWidget(top)
        outer.addWidget(history)
        outer.setStretchFactor(0, 3)
        outer.setStretchFactor(1, 2)
        root.addWidget(outer)
        self._mode()
        self._selection()

    # ------------------------------------------------------------------ data
    def _workflow_name(self, run: WorkflowRun) -> str:
        row = self.kept_model.row_of(run.slug)
        found = self.kept_model.row_at(row) if row >= 0 else None
        return found.name if found is not None else run.slug

    def set_reader(self, reader: WebhooksReader | None) -> None:
        """Show another sub-account's workflows and history."""
        self.reader = reader
        self.chosen = []
        self.kept_model.set_rows([])
        self.runs_model.set_rows([])
        self.contacts.clear()
        self.result.clear()
        self.result_icon.set_icon(None)
        self._show_chosen()
        self.tasks.spawn(self.reload(), "workflows:reload", replace=True)

    async def reload(self) -> None:
        """Re-read the kept workflows and the history."""
        reader = self.reader
        if reader is None:
            return
        if self.port.is_demo:
            try:
                await self.port.fill_demo_workflows()
            except (NotActive, StorageError) as exc:
                log.info("the demo's workflows were not added: %s", exc)
        try:
            kept, runs = await asyncio.to_thread(
                lambda: (reader.kept_workflows(), reader.workflow_runs())
            )
        except StorageError as exc:
            log.warning("could not read the workflows: %s", exc)
            return
        if reader is not self.reader:
            return
        self.kept_model.set_rows(kept)
        self.kept_stack.setCurrentWidget(self.kept_table if kept else self.kept_empty)
        self.runs_model.set_rows(runs)
        if kept and not self.kept_table.selectionModel().selectedRows():
            self.kept_table.selectRow(0)
        self._selection()
        if not self.contacts.count():
            await self._search()

    def on_bench(self, event: WebhookBenchChanged) -> None:
        """A run or the kept list changed."""
        if event.what == "workflow" and self.reader is not None and self.reader.covers(event.scope):
            self.tasks.spawn(self.reload(), "workflows:reload", replace=True)

    def selected(self) -> KeptWorkflow | None:
        """The chosen workflow, or None."""
        rows = self.kept_table.selectionModel().selectedRows()
        return self.kept_model.row_at(rows[0].row()) if rows else None

    def _selection(self) -> None:
        chosen = self.selected()
        self.edit_button.setEnabled(chosen is not None)
        self.remove_button.setEnabled(chosen is not None)
        self.run_button.setEnabled(chosen is not None)
        self.run_title.setText(f"Run “{chosen.name}”" if chosen else "Run a workflow")

    def _mode(self) -> None:
        trigger = self.mode_trigger.isChecked()
        self.email.setEnabled(trigger)
        self.event_type.setEnabled(not trigger)
        self.data.setPlaceholderText(
            'Optional custom data (a JSON object), e.g. {"plan": "gold"}'
            if trigger
            else 'Optional data for the event (a JSON object), e.g. {"amount": 900}'
        )

    # ------------------------------------------------------------------ contacts
    def choose_contacts(self, contact_ids: Sequence[str]) -> None:
        """Fill the run panel with these contacts ("Run workflow…" from another tab)."""
        self.mode_trigger.setChecked(True)
        self.tasks.spawn(self._choose(list(contact_ids)), "workflows:choose", replace=True)

    async def _choose(self, contact_ids: list[str]) -> None:
        reader = self.reader
        if reader is None:
            return
        try:
            found = await asyncio.to_thread(reader.contacts, contact_ids)
        except StorageError as exc:
            log.warning("could not read the chosen contacts: %s", exc)
            return
        self.contacts.blockSignals(True)
        self.contacts.clear()
        for choice in found:
            item = self._contact_item(choice)
            item.setSelected(True)
        self.contacts.blockSignals(False)
        self.chosen = found
        self._show_chosen()

    def _contact_item(self, choice: ContactChoice) -> QListWidgetItem:
        text = (
            f"{choice.label} — {choice.email}"
            if choice.email and choice.email != choice.label
            else choice.label
        )
        item = QListWidgetItem(text, self.contacts)
        item.setData(CONTACT_ROLE, choice)
        return item

    async def _search(self) -> None:
        reader = self.reader
        if reader is None:
            return
        text = self.contact_search.text()
        try:
            found = await asyncio.to_thread(reader.find_contacts, text, 30)
        except StorageError as exc:
            log.warning("contact search failed: %s", exc)
            return
        chosen_ids = {c.id for c in self.chosen}
        self.contacts.blockSignals(True)
        self.contacts.clear()
        for choice in [*self.chosen, *(c for c in found if c.id not in chosen_ids)]:
            item = self._contact_item(choice)
            item.setSelected(choice.id in chosen_ids)
        self.contacts.blockSignals(False)

    def _contacts_chosen(self) -> None:
        self.chosen = [item.data(CONTACT_ROLE) for item in self.contacts.selectedItems()]
        self._show_chosen()

    def _show_chosen(self) -> None:
        if not self.chosen:
            self.chosen_label.setText("No contact chosen (or enter an email below).")
        elif len(self.chosen) == 1:
            self.chosen_label.setText(f"For {self.chosen[0].label}.")
        else:
            self.chosen_label.setText(
                f"For {len(self.chosen)} contacts: {', '.join(c.label for c in self.chosen[:3])}"
                + ("…" if len(self.chosen) > 3 else "")
            )

    # ------------------------------------------------------------------ running
    def _run(self) -> None:
        workflow = self.selected()
        if workflow is not None:
            self.tasks.spawn(self.run(workflow), "workflows:run", replace=True)

    async def run(self, workflow: KeptWorkflow) -> list[WorkflowRun]:
        """Start the workflow (or send its event) for the chosen contacts; the runs."""
        self.data_message.clear()
        try:
            data = parse_json_object(self.data.toPlainText())
            service = self.port.workflows()
        except (WorkflowInputError, NotActive) as exc:
            self.data_message.show_text(getattr(exc, "message", str(exc)))
            return []
        self.run_button.setEnabled(False)
        self.result.setText("Sending…")
        self.result_icon.set_icon(None)
        try:
            if self.mode_event.isChecked():
                target = (
                    ContactTarget(self.chosen[0].id, self.chosen[0].label) if self.chosen else None
                )
                runs = [await service.inject(workflow.slug, self.event_type.text(), target, data)]
            elif len(self.chosen) > 1:
                targets = [ContactTarget(c.id, c.label) for c in self.chosen]
                runs = await service.trigger_many(workflow.slug, targets, data)
            else:
                target = (
                    ContactTarget(self.chosen[0].id, self.chosen[0].label)
                    if self.chosen
                    else ContactTarget(email=self.email.text())
                )
                runs = [await service.trigger(workflow.slug, target, data)]
        except WorkflowInputError as exc:
            self.result.setText(exc.message)
            self.result_icon.set_icon("warning")
            return []
        finally:
            self.run_button.setEnabled(True)
        last = runs[-1]
        if len(runs) == 1:
            self.result.setText(last.message)
            self.result_icon.set_icon(outcome_icon_name(last.outcome))
        else:
            ok = sum(1 for r in runs if r.outcome == "ok")
            self.result.setText(f"Sent for {ok} of {len(runs)} contacts.")
            self.result_icon.set_icon("check" if ok == len(runs) else "warning")
            report = RunReportDialog(self, workflow.name, runs)
            report.open()
            await await_signal(report.finished)
        return runs

    def _rerun(self) -> None:
        rows = self.runs.selectionModel().selectedRows()
        run = self.runs_model.row_at(rows[0].row()) if rows else None
        if run is not None:
            self.tasks.spawn(self._rerun_flow(run), "workflows:rerun")

    async def _rerun_flow(self, run: WorkflowRun) -> None:
        try:
            again = await self.port.workflows().rerun(run.seq)
        except (WorkflowInputError, NotActive) as exc:
            self.say("warning", getattr(exc, "message", str(exc)))
            return
        self.result.setText(f"Run again: {again.message}")
        self.result_icon.set_icon(outcome_icon_name(again.outcome))

    # ------------------------------------------------------------------ the kept list
    def _add(self) -> None:
        self.tasks.spawn(self._keep(None), "workflows:add")

    def _edit(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.tasks.spawn(self._keep(chosen), "workflows:edit")

    async def _keep(self, original: KeptWorkflow | None) -> None:
        dialog = WorkflowDialog(self, original)
        while True:
            dialog.open()
            if await await_signal(dialog.finished) != 1:
                return
            try:
                kept = await self.port.workflows().keep(
                    dialog.slug.text(), dialog.name.text(), dialog.secret_change()
                )
            except WorkflowInputError as exc:
                dialog.slug_message.show_text(exc.message)
                continue
            except NotActive as exc:
                self.say("warning", str(exc))
                return
            break
        await self.reload()
        row = self.kept_model.row_of(kept.slug)
        if row >= 0:
            self.kept_table.selectRow(row)
        self.say("success", f"Kept “{kept.name}”.")

    def _remove(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.tasks.spawn(self._forget(chosen), "workflows:remove")

    async def _forget(self, workflow: KeptWorkflow) -> None:
        try:
            await self.port.workflows().forget(workflow.slug)
        except NotActive as exc:
            self.say("warning", str(exc))
            return
        self.say("info", f"Removed “{workflow.name}” from your list (its history stays).")
