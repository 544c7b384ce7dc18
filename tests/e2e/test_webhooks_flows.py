"""The Webhooks & Automations tab end to end in the demo, through the real window: subscribe
the built-in receiver with the real dialogs, see a ``--traffic`` delivery from the sandbox
arrive and verify, regenerate the secret and see verification follow the new one; nothing
of one sub-account shows under the other; "Run workflow…" arrives with its contacts."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from app.bootstrap import Application, LaunchOptions
from app.ui.webhooks.dialogs import SecretDialog, SubscriptionDialog
from app.ui.webhooks.tab import WebhooksTab
from tests.e2e.conftest import until

pytestmark = pytest.mark.timeout(300)

LIVE_DEMO = LaunchOptions(demo=True, traffic_seconds=0.5)


def _tab(desk: Application) -> WebhooksTab:
    tab = desk.window.area("webhooks")
    assert isinstance(tab, WebhooksTab)
    return tab


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _top(kind: type) -> Any:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


async def _store_secret(keep: bool = True) -> str:
    """Go through the shown-once dialog: copy, keep for the bench, "I stored it", Done."""
    dialog: SecretDialog = await until(lambda: _top(SecretDialog), timeout=30)
    secret = dialog.fields[0].text()
    assert secret.startswith("whsec_")
    assert not dialog.done_button.isEnabled()  # not before "I stored it"
    dialog.reject()  # closing without saying so keeps it open
    assert dialog.isVisible()
    dialog.copy_buttons[0].click()
    assert QApplication.clipboard().text() == secret
    dialog.keep.setChecked(keep)
    dialog.stored.setChecked(True)
    dialog.done_button.click()
    await until(lambda: not dialog.isVisible())
    return secret


def _real_deliveries(tab: WebhooksTab, after_ms: int = 0) -> list[Any]:
    """Deliveries the sandbox sent (not the bench's own tests), received after ``after_ms``."""
    return [
        d
        for d in tab.subscriptions.received_model.rows()
        if d.delivery_id and not d.delivery_id.startswith("test_") and d.received_ms > after_ms
    ]


def test_subscribe_the_receiver_watch_real_deliveries_and_regenerate(
    open_desk: Any, home: Path, run: Any
) -> None:
    async def scenario() -> None:
        async with open_desk(LIVE_DEMO) as desk:
            window = desk.window
            tab = _tab(desk)
            window.show_area("webhooks")
            await until(tab.is_loaded, timeout=120)
            active = desk.workspace.active
            assert active is not None
            page = tab.subscriptions
            page.port_box.setValue(_free_port())
            page.receiver_button.click()
            await until(lambda: tab.port.receiver_url is not None)
            assert "Listening on http://127.0.0.1:" in page.receiver_state.text()

            # Subscribe it, through the real form.
            page.subscribe_button.click()
            form: SubscriptionDialog = await until(lambda: _top(SubscriptionDialog))
            assert form.url.text().startswith(tab.port.receiver_url or "-")
            # Whole groups, found by searching.
            form.events.search.setText("lifecycle")
            assert form.events.groups["message"].isHidden()
            assert not form.events.groups["contact"].isHidden()
            form.events.groups["contact"].setCheckState(0, Qt.CheckState.Checked)
            form.events.search.clear()
            form.events.groups["message"].setCheckState(0, Qt.CheckState.Checked)
            assert set(form.events.selected()) >= {"contact.created", "message.received"}
            form.description.setText("End-to-end receiver")
            form.save.click()
            await _store_secret()
            await until(lambda: not form.isVisible())
            await until(lambda: page.model.rowCount() > 0)
            row = next(r for r in page.model.rows() if r.description == "End-to-end receiver")
            await until(lambda: row.id in page._kept)
            page.select(row.id)

            # A delivery of the sandbox's own traffic arrives, verified.
            first = await until(lambda: _real_deliveries(tab), timeout=90)
            delivery = first[0]
            assert delivery.result in ("valid", "duplicate"), delivery.message
            assert delivery.webhook_id == row.id

            # Regenerate: the warning, then the new secret shown once.
            page.regenerate_button.click()
            box: QMessageBox = await until(lambda: _top(QMessageBox))
            assert "stops working at once" in box.informativeText()
            confirm = next(
                b for b in box.buttons() if isinstance(b, QPushButton) and b.text() == "Regenerate"
            )
            confirm.click()
            regenerated_at = int(time.time() * 1000)
            await _store_secret()
            # Verification follows the new secret: the next real deliveries verify.
            after = await until(
                lambda: [d for d in _real_deliveries(tab, regenerated_at) if d.result == "valid"],
                timeout=90,
            )
            assert after[0].webhook_id == row.id
            assert tab.banner.severity == "success"

            # Nothing of this sub-account under the other one.
            mine = {d.delivery_id for d in page.received_model.rows()}
            other = next(i for i, _n in tab.port.sub_accounts() if i != active.scope.sub_account_id)
            window.switch_to(other)
            await until(
                lambda: (
                    (a := desk.workspace.active) is not None and a.scope.sub_account_id == other
                ),
                timeout=60,
            )
            await until(
                lambda: (
                    tab.subscriptions.reader is not None
                    and tab.subscriptions.reader.sub_account_id == other
                )
            )
            await until(tab.is_loaded)
            shown = {d.delivery_id for d in page.received_model.rows()}
            assert not (shown & mine)
            assert row.id not in {r.id for r in page.model.rows()}

            # "Run workflow…" from another tab: the Workflows page with those contacts.
            partition = desk.workspace.active.partition  # type: ignore[union-attr]
            contacts = await until(lambda: partition.contacts.search(limit=2), timeout=90)
            ids = [c["id"] for c in contacts]
            assert window.show_record("workflow-run", ",".join(ids))
            assert window.current_area() is tab
            await until(lambda: [c.id for c in tab.workflows.chosen] == ids)
            assert tab.pages.currentWidget() is tab.workflows
            await tab.port.stop_receiver()

    run(scenario(), timeout=280)
