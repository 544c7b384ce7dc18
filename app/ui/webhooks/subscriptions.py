"""The Subscriptions page: the sub-account's subscriptions, and what the built-in receiver got.

Top: the subscriptions as Seedly lists them (refreshed by the poller, and at once
on Refresh), with New, Edit, Regenerate secret, Copy to other sub-accounts and
Delete. Bottom: the local receiver (start it on a port, subscribe it) and the
deliveries it received, newest first, live, each with its signature check in
words; selecting one shows its headers and body. Only what this computer received
is shown: Seedly keeps no delivery log the app could read.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.webhook_events import event_label, events_summary
from app.services.bus import WebhookBenchChanged, WebhookDeliveryReceived, WebhooksChanged
from app.services.ports.webhooks import (
    DEFAULT_PORT,
    ReceivedDelivery,
    ReceiverError,
    StorageError,
    SubscriptionRow,
    WebhooksPort,
    WebhooksReader,
    describe_failure,
    headers_text,
)
from app.ui.async_qt import TaskSet
from app.ui.common.paged_model import describe_failure as cache_failure
from app.ui.common.widgets import EmptyState
from app.ui.theme import Spacing, icon
from app.ui.webhooks import flows
from app.ui.webhooks.dialogs import monospace, muted
from app.ui.webhooks.labels import (
    clock_time,
    iso_time,
    long_ms,
    result_icon,
    result_words,
    size_words,
)
from app.ui.webhooks.models import Column, RowsTableModel

log = logging.getLogger(__name__)

ROW_HEIGHT = 26
RECEIVED_SHOWN = 200
LIVE_COALESCE_MS = 60
"""Deliveries arriving within this window are shown in one update (a burst of retries)."""


def _last_delivery(row: SubscriptionRow) -> str:
    if not row.last_delivery_at:
        return "None yet"
    status = {"succeeded": "Delivered", "failed": "Failed"}.get(
        row.last_delivery_status or "", "Sent"
    )
    return f"{status} {iso_time(row.last_delivery_at)}"


def table(parent: QWidget, model: RowsTableModel[object] | object) -> QTableView:
    """A read-only, row-selecting table with fixed row heights and no sideways scrolling."""
    view = QTableView(parent)
    view.setModel(model)  # type: ignore[arg-type]
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(ROW_HEIGHT)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    return view


def stretch(view: QTableView, column: int, widths: dict[int, int]) -> None:
    """Give ``column`` the room left and the others fixed starting widths."""
    header = view.horizontalHeader()
    for index, width in widths.items():
        header.resizeSection(index, width)
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)


def tool(parent: QWidget, icon_name: str, text: str, slot: Callable[[], object]) -> QToolButton:
    """A flat button with an icon and a label."""
    button = QToolButton(parent)
    button.setIcon(icon(icon_name))
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    button.clicked.connect(slot)
    return button


class SubscriptionsPage(QWidget):
    """Subscriptions of the open sub-account and the built-in receiver's deliveries."""

    def __init__(
        self, port: WebhooksPort, tasks: TaskSet, say: flows.Say, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.port = port
        self.tasks = tasks
        self.say = say
        self.reader: WebhooksReader | None = None
        self._kept: set[str] = set()
        self._loaded = False
        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.setInterval(LIVE_COALESCE_MS)
        self._live.timeout.connect(
            lambda: self.tasks.spawn(self.reload_received(), "received", replace=True)
        )
        self._build()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, Spacing.S, 0, 0)
        root.setSpacing(Spacing.S)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter

        top = QWidget(splitter)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(Spacing.S)
        bar = QHBoxLayout()
        bar.setSpacing(Spacing.S)
        self.heading = QLabel("Subscriptions", top)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.freshness = QLabel(top)
        self.freshness.setProperty("muted", True)
        bar.addWidget(self.heading)
        bar.addWidget(self.freshness, 1)
        self.new_button = tool(
            top, "add", "New…", lambda: self._run(flows.create(self, self.port, self.say), "create")
        )
        self.edit_button = tool(top, "edit", "Edit…", self._edit)
        self.regenerate_button = tool(top, "key", "Regenerate secret…", self._regenerate)
        self.copy_button = tool(top, "switch", "Copy to other sub-accounts…", self._copy)
        self.delete_button = tool(top, "delete", "Delete…", self._delete)
        self.refresh_button = tool(top, "sync", "Refresh", self.refresh)
        for button in (
            self.new_button,
            self.edit_button,
            self.regenerate_button,
            self.copy_button,
            self.delete_button,
            self.refresh_button,
        ):
            bar.addWidget(button)
        top_layout.addLayout(bar)
        self.model: RowsTableModel[SubscriptionRow] = RowsTableModel(
            [
                Column("Address", lambda r: r.url),
                Column(
                    "Events",
                    lambda r: events_summary(r.events),
                    tooltip=lambda r: "\n".join(event_label(e) for e in r.events),
                ),
                Column("Description", lambda r: r.description or ""),
                Column(
                    "Secret here",
                    lambda r: "Kept" if r.id in self._kept else "Not kept",
                    icon=lambda r: icon("key") if r.id in self._kept else None,
                    tooltip=lambda r: (
                        "Its signing secret is in this computer's keyring: the receiver "
                        "verifies its deliveries"
                        if r.id in self._kept
                        else "Keep the secret when it is shown (or regenerate it) to verify "
                        "its deliveries here"
                    ),
                ),
                Column(
                    "Status",
                    lambda r: "Paused" if r.active is False else _last_delivery(r),
                ),
                Column("Created", lambda r: iso_time(r.created_at)),
            ],
            key=lambda r: r.id,
            parent=self,
        )
        self.stack = QStackedWidget(top)
        self.table = table(self.stack, self.model)
        stretch(self.table, 0, {1: 220, 2: 170, 3: 100, 4: 150, 5: 110})
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _i: self._edit())
        self.empty = EmptyState(self.stack)
        self.empty.actionClicked.connect(
            lambda: self._run(flows.create(self, self.port, self.say), "create")
        )
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        top_layout.addWidget(self.stack, 1)

        bottom = QWidget(splitter)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, Spacing.S, 0, 0)
        bottom_layout.setSpacing(Spacing.S)
        receiver = QHBoxLayout()
        receiver.setSpacing(Spacing.S)
        title = QLabel("Received on this computer", bottom)
        title.setFont(font)
        receiver.addWidget(title)
        self.receiver_state = QLabel(bottom)
        self.receiver_state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        receiver.addWidget(self.receiver_state, 1)
        receiver.addWidget(QLabel("Port", bottom))
        self.port_box = QSpinBox(bottom)
        self.port_box.setRange(1024, 65535)
        self.port_box.setValue(DEFAULT_PORT)
        receiver.addWidget(self.port_box)
        self.receiver_button = QPushButton("Start receiver", bottom)
        self.receiver_button.clicked.connect(self._toggle_receiver)
        receiver.addWidget(self.receiver_button)
        self.copy_url_button = QPushButton("Copy address", bottom)
        self.copy_url_button.clicked.connect(self._copy_url)
        receiver.addWidget(self.copy_url_button)
        self.subscribe_button = QPushButton("Subscribe it…", bottom)
        self.subscribe_button.setToolTip(
            "Create a subscription that sends events to this receiver (the demo allows it)"
        )
        self.subscribe_button.clicked.connect(self._subscribe_receiver)
        receiver.addWidget(self.subscribe_button)
        bottom_layout.addLayout(receiver)
        options = QHBoxLayout()
        self.refuse = QCheckBox(
            "Answer 401 when the signature fails (Seedly then retries, as it would with "
            "your server)",
            bottom,
        )
        self.refuse.toggled.connect(self.port.set_refuse_unverified)
        options.addWidget(self.refuse)
        options.addStretch(1)
        self.clear_button = QPushButton("Clear", bottom)
        self.clear_button.setFlat(True)
        self.clear_button.clicked.connect(self._clear_received)
        options.addWidget(self.clear_button)
        bottom_layout.addLayout(options)
        bottom_layout.addWidget(
            muted(
                "Only what this computer received is shown here (Seedly keeps no delivery "
                "log the app can read). Each delivery's signature is checked with the "
                "secrets kept in this computer's keyring.",
                bottom,
            )
        )
        split = QSplitter(Qt.Orientation.Horizontal, bottom)
        split.setChildrenCollapsible(False)
        self.received_model: RowsTableModel[ReceivedDelivery] = RowsTableModel(
            [
                Column(
                    "Received",
                    lambda d: clock_time(d.received_ms),
                    tooltip=lambda d: long_ms(d.received_ms),
                ),
                Column("Event", lambda d: event_label(d.event) if d.event else "(not named)"),
                Column(
                    "Signature",
                    lambda d: result_words(d.result),
                    icon=lambda d: result_icon(d.result),
                    tooltip=lambda d: d.message,
                ),
                Column("Delivery", lambda d: d.delivery_id or "—"),
            ],
            key=lambda d: str(d.seq),
            parent=self,
        )
        self.received = table(split, self.received_model)
        stretch(self.received, 3, {0: 86, 1: 170, 2: 200})
        self.received.selectionModel().currentRowChanged.connect(lambda *_: self._show_delivery())
        detail = QWidget(split)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.check_label = QLabel("Select a delivery to see its check, headers and body.", detail)
        self.check_label.setWordWrap(True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_text = QPlainTextEdit(detail)
        self.detail_text.setReadOnly(True)
        self.detail_text.setFont(monospace())
        self.detail_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        detail_layout.addWidget(self.check_label)
        detail_layout.addWidget(self.detail_text, 1)
        split.addWidget(self.received)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        bottom_layout.addWidget(split, 1)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        root.addWidget(splitter, 1)
        self._update_buttons()
        self.update_receiver()

    # ------------------------------------------------------------------ data
    def _run(self, coro: object, name: str) -> None:
        self.tasks.spawn(coro, f"subscriptions:{name}")  # type: ignore[arg-type]

    def set_reader(self, reader: WebhooksReader | None) -> None:
        """Show another sub-account (cached rows at once, the server's when polled)."""
        self.reader = reader
        self._loaded = False
        self.model.set_rows([])
        self.received_model.set_rows([])
        self.detail_text.clear()
        self.check_label.setText("Select a delivery to see its check, headers and body.")
        self.tasks.spawn(self.reload(), "subscriptions:reload", replace=True)

    @property
    def loaded(self) -> bool:
        """Whether the shown sub-account's cached data is on screen."""
        return self._loaded

    async def reload(self) -> None:
        """Re-read the subscriptions and the received deliveries from the cache."""
        await self.reload_subscriptions()
        await self.reload_received()
        self._loaded = True

    async def reload_subscriptions(self) -> None:
        """Re-read the cached subscriptions (and which secrets are kept)."""
        reader = self.reader
        if reader is None:
            self.model.set_rows([])
            self._show_empty(None, "No connection", "Open a connection to see its webhooks.")
            return
        try:
            rows, problem, read_ms = await asyncio.to_thread(
                lambda: (reader.subscriptions(), reader.problem(), reader.last_read_ms())
            )
        except StorageError as exc:
            self.say("danger", cache_failure("read the subscriptions", exc))
            return
        if reader is not self.reader:
            return
        self._kept = await self.port.kept_secret_ids([r.id for r in rows])
        if reader is not self.reader:
            return
        self.model.set_rows(rows)
        if rows:
            self.model.dataChanged.emit(self.model.index(0, 3), self.model.index(len(rows) - 1, 3))
        self.freshness.setText(
            f"Read from Seedly at {clock_time(read_ms)}" if read_ms else "Not read from Seedly yet"
        )
        if problem:
            self._show_empty("warning", "Webhooks are not available with this key", problem)
        elif not rows:
            self._show_empty(
                "webhook",
                "No subscriptions yet" if read_ms else "Reading the subscriptions…",
                "A subscription sends chosen events (a new contact, a message received, a "
                "booking…) to an address of yours, as they happen.",
                "New subscription…",
            )
        else:
            self.stack.setCurrentWidget(self.table)
        self._update_buttons()

    def _show_empty(
        self, icon_name: str | None, title: str, body: str, action: str | None = None
    ) -> None:
        self.empty.set_content(icon_name or "webhook", title, body, action)
        self.stack.setCurrentWidget(self.empty)

    async def reload_received(self) -> None:
        """Re-read the received deliveries (newest first), keeping the selection."""
        reader = self.reader
        if reader is None:
            return
        try:
            rows = await asyncio.to_thread(reader.received, RECEIVED_SHOWN)
        except StorageError as exc:
            log.warning("could not read the received deliveries: %s", exc)
            return
        if reader is self.reader:
            self.received_model.set_rows(rows)

    def refresh(self) -> None:
        """Read the subscriptions from Seedly now."""
        self.tasks.spawn(self._refresh(), "subscriptions:refresh", replace=True)

    async def _refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        try:
            await self.port.service().refresh()
        except Exception as exc:  # shown, not raised: the user pressed a button
            self.say("danger", describe_failure(exc))
        finally:
            self.refresh_button.setEnabled(True)

    # ------------------------------------------------------------------ events
    def on_webhooks_changed(self, event: WebhooksChanged) -> None:
        """The cached subscriptions of some sub-account changed."""
        if self.reader is not None and self.reader.covers(event.scope):
            self.tasks.spawn(self.reload_subscriptions(), "subscriptions:reload", replace=True)

    def on_delivery(self, event: WebhookDeliveryReceived) -> None:
        """A delivery was recorded; shown within ``LIVE_COALESCE_MS`` (bursts coalesced)."""
        if (
            self.reader is not None
            and self.reader.covers(event.scope)
            and not self._live.isActive()
        ):
            self._live.start()

    def on_bench(self, event: WebhookBenchChanged) -> None:
        """The receiver started or stopped, or a secret was kept."""
        if event.what == "receiver":
            self.update_receiver()
        elif event.what == "secret" and self.reader is not None and self.reader.covers(event.scope):
            self.tasks.spawn(self.reload_subscriptions(), "subscriptions:reload", replace=True)

    # ------------------------------------------------------------------ actions
    def selected(self) -> SubscriptionRow | None:
        """The selected subscription, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, webhook_id: str) -> None:
        """Select a subscription by id."""
        row = self.model.row_of(webhook_id)
        if row >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (
            self.edit_button,
            self.regenerate_button,
            self.copy_button,
            self.delete_button,
        ):
            button.setEnabled(chosen)
        self.copy_button.setVisible(len(self.port.sub_accounts()) > 1)

    def _edit(self) -> None:
        row = self.selected()
        if row is not None:
            self._run(flows.edit(self, self.port, self.say, row), "edit")

    def _regenerate(self) -> None:
        row = self.selected()
        if row is not None:
            self._run(flows.regenerate(self, self.port, self.say, row), "regenerate")

    def _delete(self) -> None:
        row = self.selected()
        if row is not None:
            self._run(flows.delete(self, self.port, self.say, row), "delete")

    def _copy(self) -> None:
        row, reader = self.selected(), self.reader
        if row is not None and reader is not None:
            self._run(
                flows.copy_to_others(self, self.port, self.say, row, reader.sub_account_id),
                "copy",
            )

    # ------------------------------------------------------------------ the receiver
    def update_receiver(self) -> None:
        """Show whether the receiver listens, and where."""
        url = self.port.receiver_url
        self.port_box.setEnabled(url is None)
        self.receiver_button.setText("Stop receiver" if url else "Start receiver")
        self.copy_url_button.setEnabled(url is not None)
        self.subscribe_button.setEnabled(url is not None)
        self.subscribe_button.setVisible(self.port.is_demo)
        if url:
            self.receiver_state.setText(f"Listening on {url}")
        else:
            self.receiver_state.setText("The receiver is stopped.")

    def _toggle_receiver(self) -> None:
        self.tasks.spawn(self._toggle(), "receiver", replace=True)

    async def _toggle(self) -> None:
        if self.port.receiver_url:
            await self.port.stop_receiver()
        else:
            try:
                await self.port.start_receiver(self.port_box.value())
            except ReceiverError as exc:
                self.say("danger", str(exc))
        self.update_receiver()

    async def ensure_receiver(self) -> str | None:
        """Start the receiver on the chosen port (or any free one when taken); its URL."""
        if self.port.receiver_url is None:
            try:
                await self.port.start_receiver(self.port_box.value())
            except ReceiverError:
                await self.port.start_receiver(0)
        self.update_receiver()
        return self.port.receiver_url

    def _copy_url(self) -> None:
        if self.port.receiver_url:
            QGuiApplication.clipboard().setText(self.port.receiver_url)

    def _subscribe_receiver(self) -> None:
        url = self.port.receiver_url
        if url:
            self._run(flows.create(self, self.port, self.say, f"{url}seedly"), "create")

    def _clear_received(self) -> None:
        reader = self.reader
        if reader is not None:
            self.tasks.spawn(self._clear(reader), "received:clear")

    async def _clear(self, reader: WebhooksReader) -> None:
        await asyncio.to_thread(reader.clear_received)
        self.received_model.set_rows([])
        self.detail_text.clear()

    def _show_delivery(self) -> None:
        index = self.received.currentIndex()
        delivery = self.received_model.row_at(index.row()) if index.isValid() else None
        if delivery is None:
            return
        cut = " (cut: only the start is kept)" if delivery.body_truncated else ""
        self.check_label.setText(
            f"{result_words(delivery.result)}. {delivery.message}"
            if delivery.result not in ("valid",)
            else f"Verified with the subscription's secret. {size_words(delivery.body_size)}."
        )
        self.detail_text.setPlainText(
            f"{headers_text(delivery.headers)}\n\n{_pretty(delivery.body)}{cut}"
        )


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
