"""The tab's dialogs: a subscription's form, the secret shown once, the warnings before a
regeneration or a deletion, copying to other sub-accounts, a kept workflow's form, and the
report of a run for several contacts.

Dialogs never run a nested loop: the tab opens them and awaits ``finished``
(``app.ui.async_qt.await_signal``); a form that sends something stays open and shows
the server's answer in place until it succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.webhook_events import events_summary
from app.core.webhook_urls import webhook_url_problem
from app.services.ports.webhooks import KeptWorkflow, SubscriptionRow, WorkflowRun
from app.ui.common.messages import FieldMessage
from app.ui.theme import Spacing, icon
from app.ui.webhooks.event_picker import EventPicker


def monospace() -> QFont:
    """The system's fixed-width font (secrets, bodies, headers)."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def muted(text: str, parent: QWidget) -> QLabel:
    """A wrapped, muted explanation."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setProperty("muted", True)
    return label


class SubscriptionDialog(QDialog):
    """The form of a new or edited subscription; ``submitted`` asks the tab to send it and
    the dialog stays open (showing any refusal in place) until ``done_ok()``."""

    submitted = Signal()
    """The user pressed Save with a form the app's own rules accept."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        allow_loopback: bool,
        receiver_url: str | None,
        original: SubscriptionRow | None = None,
        sub_account_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.original = original
        self.allow_loopback = allow_loopback
        self.setWindowTitle("Edit subscription" if original else "New subscription")
        self.setMinimumSize(720, 620)
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.M)
        where = f" of {sub_account_name}" if sub_account_name else ""
        layout.addWidget(
            muted(
                f"Seedly sends the chosen events{where} to this address as they happen, "
                "signed with the subscription's secret.",
                self,
            )
        )
        form = QFormLayout()
        form.setSpacing(Spacing.S)
        url_row = QHBoxLayout()
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://hooks.example.com/seedly")
        url_row.addWidget(self.url, 1)
        self.use_receiver = QPushButton("Use the built-in receiver", self)
        self.use_receiver.setToolTip(receiver_url or "")
        self.use_receiver.setVisible(bool(receiver_url and allow_loopback))
        self.use_receiver.clicked.connect(lambda: self.url.setText(f"{receiver_url}seedly"))
        url_row.addWidget(self.use_receiver)
        form.addRow("Address (URL)", url_row)
        self.url_message = FieldMessage(self)
        form.addRow("", self.url_message)
        self.description = QLineEdit(self)
        self.description.setPlaceholderText("What it is for, e.g. “Chatbot (production)”")
        form.addRow("Description", self.description)
        self.active = QCheckBox("Send events (a paused subscription receives nothing)", self)
        self.active.setChecked(True)
        self.active.setVisible(original is not None)
        if original is not None:
            form.addRow("", self.active)
        layout.addLayout(form)
        layout.addWidget(QLabel("Events to receive", self))
        self.events = EventPicker(self)
        layout.addWidget(self.events, 1)
        self.events_message = FieldMessage(self)
        layout.addWidget(self.events_message)
        self.problem = FieldMessage(self)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save.setText("Save" if original else "Create")
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if original is not None:
            self.url.setText(original.url)
            self.description.setText(original.description or "")
            self.events.set_selected(original.events)
            self.active.setChecked(original.active is not False)
        self.url.textChanged.connect(self._check_url)
        self.events.changed.connect(self.events_message.clear)

    def _check_url(self) -> bool:
        text = self.url.text()
        problem = webhook_url_problem(text, allow_loopback=self.allow_loopback) if text else None
        self.url_message.show_text(problem or "")
        return problem is None

    def _submit(self) -> None:
        self.problem.clear()
        ok = self._check_url()
        if not self.url.text().strip():
            self.url_message.show_text(
                webhook_url_problem("", allow_loopback=self.allow_loopback) or ""
            )
            ok = False
        if not self.events.selected():
            self.events_message.show_text("Choose at least one event to receive.")
            ok = False
        if ok:
            self.submitted.emit()

    def set_busy(self, busy: bool) -> None:
        """Disable the form while it is being sent."""
        self.save.setEnabled(not busy)
        self.save.setText("Saving…" if busy else ("Save" if self.original else "Create"))

    def show_refusal(self, field: str | None, message: str) -> None:
        """Show the app's or the server's refusal next to the field it concerns."""
        if field == "url":
            self.url_message.show_text(message)
            self.url.setFocus()
        elif field == "events":
            self.events_message.show_text(message)
        else:
            self.problem.show_text(message)


class SecretDialog(QDialog):
    """One or more signing secrets, shown once: copy, an explicit "I stored it", and the
    option to keep them in the system keyring for the test bench."""

    def __init__(
        self,
        parent: QWidget | None,
        entries: Sequence[tuple[str, str]],
        *,
        intro: str,
        report: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            "Signing secret — shown once" if len(entries) < 2 else "Signing secrets — shown once"
        )
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.M)
        layout.addWidget(muted(intro, self))
        for line in report:
            # A reason is read in full: wrapped, never cut at the dialog's edge.
            label = QLabel(line, self)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.fields: list[QLineEdit] = []
        self.copy_buttons: list[QPushButton] = []
        for title, secret in entries:
            if len(entries) > 1:
                layout.addWidget(QLabel(title, self))
            row = QHBoxLayout()
            field = QLineEdit(secret, self)
            field.setReadOnly(True)
            field.setFont(monospace())
            field.setCursorPosition(0)
            copy = QPushButton("Copy", self)
            copy.clicked.connect(lambda _=False, f=field, b=copy: self._copy(f, b))
            row.addWidget(field, 1)
            row.addWidget(copy)
            layout.addLayout(row)
            self.fields.append(field)
            self.copy_buttons.append(copy)
        layout.addWidget(
            muted(
                "Seedly will not show it again. Store it where your receiver reads it (an "
                "environment variable or a secret manager); if it is lost, regenerate it.",
                self,
            )
        )
        self.keep = QCheckBox(
            "Also keep it in this computer's keyring, so the test bench can verify deliveries",
            self,
        )
        layout.addWidget(self.keep)
        self.stored = QCheckBox("I have stored the secret", self)
        layout.addWidget(self.stored)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        self.done_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.done_button.setText("Done")
        self.done_button.setEnabled(False)
        self.stored.toggled.connect(self.done_button.setEnabled)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def _copy(self, field: QLineEdit, button: QPushButton) -> None:
        QGuiApplication.clipboard().setText(field.text())
        button.setText("Copied")
        QTimer.singleShot(2000, button, lambda: button.setText("Copy"))  # not after it is gone

    def reject(self) -> None:
        """Closing is only possible once the user said the secret is stored."""
        if self.stored.isChecked():
            super().reject()
        else:
            self.stored.setFocus()

    @property
    def keep_in_keyring(self) -> bool:
        """Whether the user asked to keep the secret(s) for the test bench."""
        return self.keep.isChecked()


def regenerate_box(parent: QWidget, row: SubscriptionRow) -> tuple[QMessageBox, QPushButton]:
    """The warning before a regeneration, and its confirming button."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Regenerate the signing secret")
    box.setText(f"Regenerate the secret of the subscription to {row.url}?")
    box.setInformativeText(
        "The current secret stops working at once: your receiver rejects every delivery "
        "until it has the new secret. Deliveries already on their way were signed with the "
        "old secret and will fail verification there; Seedly's later retries use the new one. "
        "The new secret is shown once, next."
    )
    confirm = box.addButton("Regenerate", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box, confirm


def delete_box(parent: QWidget, row: SubscriptionRow) -> tuple[QMessageBox, QPushButton]:
    """The confirmation before a deletion, and its confirming button."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Delete the subscription")
    box.setText(f"Delete the subscription to {row.url}?")
    box.setInformativeText(
        f"Seedly stops sending {events_summary(row.events).lower()} there at once; "
        "deliveries waiting to be retried are dropped. This cannot be undone."
    )
    confirm = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box, confirm


class CopyTargetsDialog(QDialog):
    """Which other sub-accounts get a copy of a subscription."""

    def __init__(
        self,
        parent: QWidget | None,
        row: SubscriptionRow,
        targets: Iterable[tuple[str, str, bool]],
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Copy to other sub-accounts")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.M)
        layout.addWidget(
            muted(
                f"Create the same subscription ({row.url}, {events_summary(row.events).lower()}) "
                "in each chosen sub-account. Each gets its own signing secret, shown once.",
                self,
            )
        )
        self.list = QListWidget(self)
        for sub_id, name, has_it in targets:
            item = QListWidgetItem(name + ("  (already sends to this address)" if has_it else ""))
            item.setData(Qt.ItemDataRole.UserRole, sub_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if has_it else Qt.CheckState.Checked)
            self.list.addItem(item)
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Copy")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemChanged.connect(lambda _i: self.ok.setEnabled(bool(self.chosen())))
        self.ok.setEnabled(bool(self.chosen()))
        layout.addWidget(buttons)

    def chosen(self) -> list[str]:
        """The ids of the checked sub-accounts."""
        return [
            str(self.list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]


class WorkflowDialog(QDialog):
    """Keep a workflow: its name, its slug (or trigger URL), and its signing secret if any."""

    def __init__(self, parent: QWidget | None, original: KeptWorkflow | None = None) -> None:
        super().__init__(parent)
        self.original = original
        self.setWindowTitle("Edit workflow" if original else "Add a workflow")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.M)
        layout.addWidget(
            muted(
                "Seedly has no list of workflows to read: copy the slug (or the whole trigger "
                "URL) from the workflow's Inbound Webhook trigger in Seedly.",
                self,
            )
        )
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. New lead intake")
        self.slug = QLineEdit(self)
        self.slug.setPlaceholderText("e.g. harbor-dental-new-lead-intake")
        self.slug_message = FieldMessage(self)
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(
            "Leave blank to keep the current secret"
            if original and original.has_secret
            else "Only if the workflow has a signing secret"
        )
        self.remove_secret = QCheckBox("Remove the kept secret", self)
        self.remove_secret.setVisible(bool(original and original.has_secret))
        form.addRow("Name", self.name)
        form.addRow("Slug", self.slug)
        form.addRow("", self.slug_message)
        form.addRow("Signing secret", self.secret)
        form.addRow("", self.remove_secret)
        layout.addLayout(form)
        layout.addWidget(
            muted("The secret is kept in the system keyring only, never in a file.", self)
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if original is not None:
            self.name.setText(original.name)
            self.slug.setText(original.slug)
            self.slug.setReadOnly(True)

    def secret_change(self) -> str | None:
        """The secret to keep: a new one, "" to remove it, None to leave it as it is."""
        if self.remove_secret.isChecked():
            return ""
        typed = self.secret.text().strip()
        return typed or None


class RunReportDialog(QDialog):
    """What a workflow run for several contacts did, contact by contact."""

    def __init__(self, parent: QWidget | None, workflow: str, runs: Sequence[WorkflowRun]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Workflow runs")
        self.setMinimumSize(620, 360)
        layout = QVBoxLayout(self)
        ok = sum(1 for r in runs if r.outcome == "ok")
        layout.addWidget(
            QLabel(f"{workflow}: {ok} of {len(runs)} contacts sent successfully.", self)
        )
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Contact", "Result"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        # The result says why a run failed: wrapped in full, never cut.
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for run in runs:
            item = QTreeWidgetItem(
                self.tree, [run.contact_label or run.contact_id or "", run.message]
            )
            item.setIcon(1, icon({"ok": "check", "unknown": "warning"}.get(run.outcome, "error")))
            item.setToolTip(1, run.message)
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def separator(parent: QWidget) -> QFrame:
    """A thin horizontal line between sections."""
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
