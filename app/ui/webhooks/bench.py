"""The Test bench page: send a signed test delivery anywhere, see the answer, look back and
resend; and a verifier for a body, a signature and a secret pasted from elsewhere.

A test delivery is what Seedly would send (its headers, a fresh delivery id), signed
with the chosen subscription's kept secret over the exact bytes in the editor. It may
go to the user's own server under development on ``localhost``. The history is this
computer's own, per sub-account.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.webhook_events import EVENT_GROUPS, event_label
from app.services.bus import WebhookBenchChanged, WebhooksChanged
from app.services.ports.webhooks import (
    BodyError,
    NotActive,
    StorageError,
    TestDelivery,
    WebhooksPort,
    WebhooksReader,
    answer_summary,
    headers_text,
    sample_body,
)
from app.ui.async_qt import TaskSet
from app.ui.common.messages import FieldMessage
from app.ui.common.widgets import IconLabel
from app.ui.theme import Spacing, icon
from app.ui.webhooks.dialogs import monospace, muted
from app.ui.webhooks.flows import Say
from app.ui.webhooks.labels import clock_time, long_ms, result_words, result_icon_name
from app.ui.webhooks.models import Column, RowsTableModel
from app.ui.webhooks.subscriptions import stretch, table

log = logging.getLogger(__name__)

REAL_WORDS = {
    "contact": "a contact",
    "conversation": "a conversation",
    "message": "a message",
    "appointment": "an appointment",
}


class TestBenchPage(QWidget):
    """Sender, history and verifier (see the module docstring)."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(
        self, port: WebhooksPort, tasks: TaskSet, say: Say, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.port = port
        self.tasks = tasks
        self.say = say
        self.reader: WebhooksReader | None = None
        self._signer_chosen = False
        self._untouched_sample = True  # the editor holds a sample the user has not edited
        self._build()

    def _build(self) -> None:
        root = QHBoxLayout(self)
        root.setContentsMargins(0, Spacing.S, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)

        sender = QWidget(splitter)
        form_layout = QVBoxLayout(sender)
        form_layout.setContentsMargins(0, 0, Spacing.S, 0)
        form_layout.setSpacing(Spacing.S)
        title = QLabel("Send a test delivery", sender)
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        form_layout.addWidget(title)
        form_layout.addWidget(
            muted(
                "Plays Seedly's part: the same headers, a new delivery id, the body signed "
                "exactly as written below. Any address works, including your own server on "
                "localhost.",
                sender,
            )
        )
        form = QFormLayout()
        form.setSpacing(Spacing.S)
        to_row = QHBoxLayout()
        self.url = QLineEdit(sender)
        self.url.setPlaceholderText("http://localhost:3000/webhooks/seedly")
        self.use_receiver = QPushButton("Built-in receiver", sender)
        self.use_receiver.setToolTip("Send to this app's own receiver (start it first)")
        self.use_receiver.clicked.connect(self._to_receiver)
        to_row.addWidget(self.url, 1)
        to_row.addWidget(self.use_receiver)
        form.addRow("To", to_row)
        self.event_choice = QComboBox(sender)
        for group in EVENT_GROUPS:
            for info in group.events:
                self.event_choice.addItem(f"{group.title}: {info.label}", info.name)
                self.event_choice.setItemData(
                    self.event_choice.count() - 1, info.meaning, Qt.ItemDataRole.ToolTipRole
                )
        self.event_choice.currentIndexChanged.connect(lambda _i: self.load_sample())
        form.addRow("Event", self.event_choice)
        self.signer = QComboBox(sender)
        self.signer.activated.connect(self._signer_picked)
        form.addRow("Sign with", self.signer)
        form_layout.addLayout(form)
        body_row = QHBoxLayout()
        body_row.addWidget(QLabel("Body", sender))
        self.sample_note = QLabel(sender)
        self.sample_note.setProperty("muted", True)
        body_row.addWidget(self.sample_note, 1)
        self.sample_button = QPushButton("Load the sample", sender)
        self.sample_button.clicked.connect(self.load_sample)
        body_row.addWidget(self.sample_button)
        form_layout.addLayout(body_row)
        self.body = QPlainTextEdit(sender)
        self.body.setFont(monospace())
        self.body.textChanged.connect(self._body_edited)
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        form_layout.addWidget(self.body, 3)
        self.body_message = FieldMessage(sender)
        form_layout.addWidget(self.body_message)
        send_row = QHBoxLayout()
        self.send_button = QPushButton(icon("send"), "Send", sender)
        self.send_button.clicked.connect(self._send)
        self.answer = QLabel(sender)
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        send_row.addWidget(self.send_button)
        send_row.addWidget(self.answer, 1)
        form_layout.addLayout(send_row)

        right = QSplitter(Qt.Orientation.Vertical, splitter)
        right.setChildrenCollapsible(False)
        history = QWidget(right)
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(Spacing.S, 0, 0, 0)
        head = QHBoxLayout()
        label = QLabel("Sent from this computer", history)
        label.setFont(bold)
        head.addWidget(label, 1)
        self.resend_button = QPushButton("Resend", history)
        self.resend_button.clicked.connect(self._resend)
        self.resend_button.setEnabled(False)
        head.addWidget(self.resend_button)
        history_layout.addLayout(head)
        self.history_model: RowsTableModel[TestDelivery] = RowsTableModel(
            [
                Column(
                    "Sent", lambda d: clock_time(d.sent_ms), tooltip=lambda d: long_ms(d.sent_ms)
                ),
                Column("Event", lambda d: event_label(d.event)),
                Column(
                    "Answer",
                    answer_summary,
                    icon=lambda d: icon("check" if d.ok else "error"),
                ),
                Column("To", lambda d: d.url),
            ],
            key=lambda d: str(d.seq),
            parent=self,
        )
        self.history = table(history, self.history_model)
        stretch(self.history, 3, {0: 80, 1: 150, 2: 150})
        self.history.selectionModel().currentRowChanged.connect(lambda *_: self._show_sent())
        history_layout.addWidget(self.history, 2)
        self.exchange = QPlainTextEdit(history)
        self.exchange.setReadOnly(True)
        self.exchange.setFont(monospace())
        self.exchange.setPlaceholderText("The request and the answer of the selected delivery.")
        history_layout.addWidget(self.exchange, 3)

        verifier = QWidget(right)
        verify_layout = QVBoxLayout(verifier)
        verify_layout.setContentsMargins(Spacing.S, Spacing.S, 0, 0)
        verify_layout.setSpacing(Spacing.S)
        label = QLabel("Verifier", verifier)
        label.setFont(bold)
        verify_layout.addWidget(label)
        verify_layout.addWidget(
            muted(
                "Paste a raw body, its X-Webhook-Signature and a secret: valid, or the "
                "likely mistake.",
                verifier,
            )
        )
        self.verify_body = QPlainTextEdit(verifier)
        self.verify_body.setFont(monospace())
        self.verify_body.setPlaceholderText("The raw body, exactly as received")
        verify_layout.addWidget(self.verify_body, 1)
        verify_form = QFormLayout()
        self.verify_header = QLineEdit(verifier)
        self.verify_header.setPlaceholderText("sha256=…")
        self.verify_secret = QLineEdit(verifier)
        self.verify_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.verify_secret.setPlaceholderText("whsec_…")
        verify_form.addRow("Signature", self.verify_header)
        verify_form.addRow("Secret", self.verify_secret)
        verify_layout.addLayout(verify_form)
        verify_row = QHBoxLayout()
        self.verify_button = QPushButton("Verify", verifier)
        self.verify_button.clicked.connect(self.verify)
        self.verify_icon = IconLabel(None, 16, verifier)
        self.verify_result = QLabel(verifier)
        self.verify_result.setWordWrap(True)
        self.verify_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        verify_row.addWidget(self.verify_button, 0, Qt.AlignmentFlag.AlignTop)
        verify_row.addWidget(self.verify_icon, 0, Qt.AlignmentFlag.AlignTop)
        verify_row.addWidget(self.verify_result, 1)
        verify_layout.addLayout(verify_row)
        right.addWidget(history)
        right.addWidget(verifier)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        splitter.addWidget(sender)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        root.addWidget(splitter)

    def _signer_picked(self, _index: int) -> None:
        self._signer_chosen = True

    def _body_edited(self) -> None:
        self._untouched_sample = False

    # ------------------------------------------------------------------ data
    def set_reader(self, reader: WebhooksReader | None) -> None:
        """Show another sub-account's history and subscriptions."""
        self.reader = reader
        self._signer_chosen = False
        self.history_model.set_rows([])
        self.exchange.clear()
        self.answer.clear()
        self.tasks.spawn(self.reload(), "bench:reload", replace=True)

    async def reload(self) -> None:
        """Re-read the history and the subscriptions that can sign; a sample the user has
        not edited is made again (the cache may have real ids by now)."""
        await self.reload_history()
        await self.reload_signers()
        if self._untouched_sample or not self.body.toPlainText().strip():
            await self._load_sample()

    async def reload_history(self) -> None:
        """Re-read the test deliveries (newest first)."""
        reader = self.reader
        if reader is None:
            return
        try:
            rows = await asyncio.to_thread(reader.test_deliveries)
        except StorageError as exc:
            log.warning("could not read the test deliveries: %s", exc)
            return
        if reader is self.reader:
            self.history_model.set_rows(rows)

    async def reload_signers(self) -> None:
        """Offer the subscriptions whose secret is kept here."""
        reader = self.reader
        if reader is None:
            return
        try:
            rows = await asyncio.to_thread(reader.subscriptions)
        except StorageError as exc:
            log.warning("could not read the subscriptions: %s", exc)
            return
        kept = await self.port.kept_secret_ids([r.id for r in rows])
        if reader is not self.reader:
            return
        current = self.signer.currentData()
        self.signer.clear()
        self.signer.addItem("Not signed (no secret)", None)
        for row in rows:
            if row.id in kept:
                self.signer.addItem(
                    icon("key"), f"{row.description or row.url} — its kept secret", row.id
                )
        unkept = len(rows) - len(kept & {r.id for r in rows})
        if unkept:
            self.signer.setToolTip(
                f"{unkept} subscription(s) have no secret kept here: keep it when it is "
                "shown, or regenerate it, to sign with it."
            )
        # The first kept secret unless the user chose otherwise ("Not signed" included).
        index = self.signer.findData(current) if self._signer_chosen else -1
        self.signer.setCurrentIndex(index if index >= 0 else min(1, self.signer.count() - 1))

    def load_sample(self) -> None:
        """Put the chosen event's sample (with the sub-account's real ids) in the editor."""
        self.tasks.spawn(self._load_sample(), "bench:sample", replace=True)

    async def _load_sample(self) -> None:
        reader = self.reader
        if reader is None:
            return
        try:
            records = await asyncio.to_thread(reader.sample_records)
        except StorageError as exc:
            log.warning("could not read sample records: %s", exc)
            return
        event = str(self.event_choice.currentData())
        self.body.setPlainText(sample_body(event, records))
        self._untouched_sample = True
        real = [
            REAL_WORDS[k]
            for k in ("contact", "conversation", "message", "appointment")
            if k in records.real
        ]
        self.sample_note.setText(
            f"Sample with real ids of {', '.join(real)}" if real else "Sample values (editable)"
        )
        self.body_message.clear()

    def on_bench(self, event: WebhookBenchChanged) -> None:
        """A test delivery was recorded, or a secret was kept."""
        if self.reader is None or not self.reader.covers(event.scope):
            return
        if event.what == "test":
            self.tasks.spawn(self.reload_history(), "bench:history", replace=True)
        elif event.what == "secret":
            self.tasks.spawn(self.reload_signers(), "bench:signers", replace=True)

    def on_webhooks_changed(self, event: WebhooksChanged) -> None:
        """Subscriptions changed: the signer choices may have too."""
        if self.reader is not None and self.reader.covers(event.scope):
            self.tasks.spawn(self.reload_signers(), "bench:signers", replace=True)

    # ------------------------------------------------------------------ sending
    def _to_receiver(self) -> None:
        url = self.port.receiver_url
        if url:
            self.url.setText(f"{url}test")
        else:
            self.say("info", "Start the receiver first (Subscriptions page, Start receiver).")

    def _send(self) -> None:
        self.tasks.spawn(self.send(), "bench:send", replace=True)

    async def send(self) -> TestDelivery | None:
        """Send the editor's body to the chosen address; the recorded delivery."""
        url = self.url.text().strip()
        if not url:
            self.answer.setText("Enter the address to send to.")
            return None
        self.send_button.setEnabled(False)
        self.answer.setText("Sending…")
        try:
            sent = await self.port.send_test(
                url=url,
                event=str(self.event_choice.currentData()),
                body=self.body.toPlainText(),
                webhook_id=self.signer.currentData(),
            )
        except BodyError as exc:
            self.body_message.show_text(str(exc))
            self.answer.clear()
            return None
        except NotActive as exc:
            self.answer.setText(str(exc))
            return None
        finally:
            self.send_button.setEnabled(True)
        self.body_message.clear()
        signed = "signed" if "X-Webhook-Signature" in sent.request_headers else "unsigned"
        self.answer.setText(f"{answer_summary(sent)} ({signed}).")
        await self.reload_history()
        self.history.selectRow(0)
        return sent

    def _resend(self) -> None:
        index = self.history.currentIndex()
        delivery = self.history_model.row_at(index.row()) if index.isValid() else None
        if delivery is not None:
            self.tasks.spawn(self._resend_flow(delivery), "bench:resend")

    async def _resend_flow(self, delivery: TestDelivery) -> None:
        try:
            sent = await self.port.resend(delivery)
        except (BodyError, NotActive) as exc:
            self.say("warning", str(exc))
            return
        self.answer.setText(f"Resent: {answer_summary(sent)}.")
        await self.reload_history()
        self.history.selectRow(0)

    def _show_sent(self) -> None:
        index = self.history.currentIndex()
        delivery = self.history_model.row_at(index.row()) if index.isValid() else None
        self.resend_button.setEnabled(delivery is not None)
        if delivery is None:
            return
        answer = (
            f"{headers_text(delivery.response_headers)}\n\n{delivery.response_body or ''}"
            if delivery.status is not None
            else (delivery.error or "")
        )
        cut = "\n(only the start of the answer is kept)" if delivery.response_truncated else ""
        self.exchange.setPlainText(
            f"POST {delivery.url}\n{headers_text(delivery.request_headers)}\n\n{delivery.body}"
            f"\n\n— {answer_summary(delivery)} —\n{answer}{cut}"
        )

    # ------------------------------------------------------------------ verifying
    def verify(self) -> None:
        """Check the pasted body, signature and secret."""
        result = self.port.verify(
            self.verify_body.toPlainText(), self.verify_header.text(), self.verify_secret.text()
        )
        self.verify_icon.set_icon(result_icon_name(result.check.value))
        words = result_words(result.check.value)
        self.verify_result.setText(
            f"{words}. {result.message}" if not result.ok else f"{words}: the signature matches."
        )
