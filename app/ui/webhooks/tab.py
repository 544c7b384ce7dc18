"""The Webhooks & Automations tab: subscriptions, the test bench, workflow triggers, and the
agency-wide view.

Four pages over one ``WebhooksPort``:

- **Subscriptions** (``subscriptions.py``): the open sub-account's subscriptions, read by
  the poller, with create / edit / regenerate / copy / delete, and the built-in receiver
  with its deliveries arriving live and verified;
- **Test bench** (``bench.py``): signed test deliveries to any address, their history with
  resend, and a verifier;
- **Workflows** (``workflows.py``): the workflows the user keeps, triggers and events, and
  their history;
- **All sub-accounts** (``agency.py``): every sub-account's subscriptions side by side.

"Run workflow…" from another tab arrives as ``show_record("workflow-run", ids)`` (contact
ids separated by commas) through the navigator: tabs never import each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.core.constants import WEBHOOK_EVENTS
from app.core.errors import ApiError
from app.services.bus import SessionChanged
from app.services.ports.webhooks import (
    NotActive,
    ReceiverError,
    StorageError,
    WebhooksPort,
    WebhooksReader,
    sample_body,
)
from app.ui.area import Area, AreaContext
from app.ui.common.widgets import Banner
from app.ui.theme import Spacing
from app.ui.webhooks.agency import AgencyPage
from app.ui.webhooks.bench import TestBenchPage
from app.ui.webhooks.subscriptions import SubscriptionsPage
from app.ui.webhooks.workflows import WorkflowsPage

log = logging.getLogger(__name__)

SETTINGS_GROUP = "webhooks"
WORKFLOW_RUN = "workflow-run"
"""The record kind other tabs ask for: ``show_record("workflow-run", "id1,id2")``."""
DEMO_DESCRIPTION = "Built-in receiver (demo)"
SCREENSHOT_EVENTS = ("contact.created", "message.received", "appointment.booked", "form.submitted")


class WebhooksTab(Area):
    """The Webhooks & Automations area of the main window (see the module docstring)."""

    area_name = "webhooks"
    title = "Webhooks & Automations"
    icon_name = "webhook"
    record_kinds = frozenset({WORKFLOW_RUN})
    poll_job = "webhooks"

    def __init__(self, context: AreaContext[WebhooksPort], parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.port = context.port
        self.tasks = context.tasks
        self._reader: WebhooksReader | None = None
        self._pending_contacts: list[str] | None = None

    # ------------------------------------------------------------------ building
    def build_steps(self) -> Iterator[None]:
        """The banner and the page tabs, then one page per step, then the data."""
        root = QVBoxLayout(self)
        root.setContentsMargins(Spacing.M, Spacing.M, Spacing.M, Spacing.S)
        root.setSpacing(Spacing.S)
        self.banner = Banner(self)
        root.addWidget(self.banner)
        self.pages = QTabWidget(self)
        self.pages.setDocumentMode(True)
        root.addWidget(self.pages, 1)
        yield
        self.subscriptions = SubscriptionsPage(self.port, self.tasks, self.say, self.pages)
        self.pages.addTab(self.subscriptions, "Subscriptions")
        yield
        self.bench = TestBenchPage(self.port, self.tasks, self.say, self.pages)
        self.pages.addTab(self.bench, "Test bench")
        yield
        self.workflows = WorkflowsPage(self.port, self.tasks, self.say, self.pages)
        self.pages.addTab(self.workflows, "Workflows")
        self.agency = AgencyPage(self.port, self.tasks, self.say, self.pages)
        self.pages.addTab(self.agency, "All sub-accounts")
        self.pages.currentChanged.connect(self._page_changed)
        yield
        bridge = self.context.bridge
        bridge.sessionChanged.connect(self._on_session)
        bridge.webhooksChanged.connect(self.subscriptions.on_webhooks_changed)
        bridge.webhooksChanged.connect(self.bench.on_webhooks_changed)
        bridge.webhookDeliveryReceived.connect(self.subscriptions.on_delivery)
        bridge.webhookBenchChanged.connect(self.subscriptions.on_bench)
        bridge.webhookBenchChanged.connect(self.bench.on_bench)
        bridge.webhookBenchChanged.connect(self.workflows.on_bench)
        self.set_reader(self.port.reader())

    def say(self, severity: str, text: str, *, report: Callable[[], object] | None = None) -> None:
        """Show a sentence in the tab's banner (with "Show report…" when ``report``)."""
        self.banner.show_message(severity, text, report=report)

    # ------------------------------------------------------------------ scope
    def set_reader(self, reader: WebhooksReader | None) -> None:
        """Show another sub-account at once (its cache), then what the poller reads."""
        self._reader = reader
        self.banner.hide()
        self.subscriptions.set_reader(reader)
        self.bench.set_reader(reader)
        self.workflows.set_reader(reader)
        if self._pending_contacts is not None and reader is not None:
            self.workflows.choose_contacts(self._pending_contacts)
            self._pending_contacts = None
        self.loadedChanged.emit(self.is_loaded())
        self.tasks.spawn(self._announce_loaded(), "webhooks:loaded", replace=True)

    async def _announce_loaded(self) -> None:
        await self.subscriptions.reload()
        self.loadedChanged.emit(self.is_loaded())

    def _on_session(self, event: SessionChanged) -> None:
        self.set_reader(self.port.reader(event.scope) if event.scope is not None else None)

    def is_loaded(self) -> bool:
        """Whether the open sub-account's subscriptions and deliveries are on screen."""
        return self.is_built and self._reader is not None and self.subscriptions.loaded

    def _page_changed(self, index: int) -> None:
        page = self.pages.widget(index)
        if page is self.agency and not self.agency.rows:
            self.agency.refresh()
        elif page is self.bench:
            self.tasks.spawn(self.bench.reload(), "bench:reload", replace=True)
        elif page is self.workflows:
            self.tasks.spawn(self.workflows.reload(), "workflows:reload", replace=True)

    # ------------------------------------------------------------------ navigation
    def show_record(self, kind: str, record_id: str) -> bool:
        """``workflow-run``: open Workflows with these contacts (ids separated by commas)."""
        if kind != WORKFLOW_RUN:
            return False
        ids = [i.strip() for i in record_id.split(",") if i.strip()]
        if not ids:
            return False
        self.pages.setCurrentWidget(self.workflows)
        if self._reader is None:
            self._pending_contacts = ids
        else:
            self.workflows.choose_contacts(ids)
        return True

    # ------------------------------------------------------------------ window hooks
    def save_state(self, settings: QSettings) -> None:
        """The page shown and the receiver's port."""
        if not self.is_built:
            return
        settings.beginGroup(SETTINGS_GROUP)
        settings.setValue("page", self.pages.currentIndex())
        settings.setValue("receiverPort", self.subscriptions.port_box.value())
        settings.endGroup()

    def restore_state(self, settings: QSettings) -> None:
        """What ``save_state`` wrote."""
        settings.beginGroup(SETTINGS_GROUP)
        page = settings.value("page")
        port = settings.value("receiverPort")
        settings.endGroup()
        try:
            if page is not None and 0 <= int(str(page)) < self.pages.count():
                self.pages.setCurrentIndex(int(str(page)))
            if port is not None:
                self.subscriptions.port_box.setValue(int(str(port)))
        except ValueError:
            pass

    async def shutdown(self) -> None:
        """Stop the receiver (on quit)."""
        await self.port.close()

    async def prepare_screenshot(self) -> bool:
        """The demo: the built-in receiver subscribed, a few signed deliveries received."""
        if not self.is_built or not self.port.is_demo or self.port.active_scope() is None:
            return True
        self.pages.setCurrentWidget(self.subscriptions)
        try:
            await self._demo_wiring()
        except (ApiError, NotActive, ReceiverError, StorageError) as exc:
            log.warning("screenshot: could not wire the demo receiver: %s", exc)
            return False
        await self.subscriptions.reload()
        self.loadedChanged.emit(self.is_loaded())
        return True

    async def _demo_wiring(self) -> None:
        url = await self.subscriptions.ensure_receiver()
        assert url is not None
        target_url = f"{url}seedly"
        service = self.port.service()
        rows = await service.refresh()
        target = next((r for r in rows if r.url == target_url), None)
        if target is None:
            old = next((r for r in rows if r.description == DEMO_DESCRIPTION), None)
            if old is not None:
                target = await service.update(old, url=target_url)
        secret = None
        if target is None:
            created = await service.create(target_url, WEBHOOK_EVENTS, DEMO_DESCRIPTION)
            target, secret = created.row, created.secret
        elif target.id not in await self.port.kept_secret_ids([target.id]):
            secret = await self.port.regenerate(target)
        if secret is not None:
            await self.port.keep_secret(target.id, secret)
        reader = self.port.reader()
        assert reader is not None
        records = await asyncio.to_thread(reader.sample_records)
        for event in SCREENSHOT_EVENTS:
            await self.port.send_test(
                url=target_url,
                event=event,
                body=sample_body(event, records),
                webhook_id=target.id,
            )
        await self.subscriptions.reload()
        self.subscriptions.select(target.id)
        self.subscriptions.received.selectRow(0)
