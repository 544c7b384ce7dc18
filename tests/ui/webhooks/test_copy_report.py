"""Copying a webhook subscription to other sub-accounts ends with a report (against the
session's sandbox): the banner says how many got their copy and names why the others did
not, and "Show report…" lists each sub-account with its reason in full."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.services.ports.webhooks import SubscriptionRow, WebhooksPort
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.common.report import ReportDialog
from app.ui.webhooks import flows
from app.ui.webhooks.dialogs import CopyTargetsDialog
from app.ui.webhooks.tab import WebhooksTab
from tests.support.areas import build_area
from tests.support.sandbox_process import Sandbox
from tests.ui.leads.conftest import make_workspace, until

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]


def test_a_copy_that_failed_names_the_reason_and_shows_the_report(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        workspace, profile = make_workspace(tmp_path, sandbox)
        await workspace.activate(profile.id)
        port = WebhooksPort(workspace)
        bridge = BusBridge(workspace.bus)
        tasks = TaskSet("webhooks-test")
        tab = build_area(WebhooksTab, port, bridge, tasks)
        tab.resize(1360, 860)
        tab.show()
        try:
            await until(lambda: len(port.sub_accounts()) > 1)
            source = port.sub_accounts()[0][0]
            # An address no sub-account may send to: every copy is refused, with why.
            row = SubscriptionRow(
                "wh_x", "http://127.0.0.1:9/hook", ("contact.created",), None, True, None
            )
            copying = asyncio.ensure_future(flows.copy_to_others(tab, port, tab.say, row, source))
            chooser = await until(
                lambda: next(
                    (d for d in tab.findChildren(CopyTargetsDialog) if d.isVisible()), None
                )
            )
            targets = len(chooser.chosen())
            assert targets >= 1
            chooser.ok.click()
            await asyncio.wait_for(copying, 60)
            banner = tab.banner
            assert banner.severity == "danger"
            assert banner.text.startswith(f"Copied to 0 of {targets} sub-accounts. Why: ")
            assert "✗" not in banner.text  # words, not marks
            assert banner.report_button.isVisible()
            banner.report_button.click()
            await asyncio.sleep(0.05)  # Qt runs its events on the loop (processEvents here would
            # step another task inside this one)
            report = next(d for d in tab.findChildren(ReportDialog) if d.isVisible())
            assert report.windowTitle() == "Copy report"
            assert report.text.count(": Not copied: ") == targets
            report.close()
        finally:
            await tab.shutdown()
            await tasks.shutdown(5)
            await workspace.shutdown(5)
            bridge.detach()
            tab.deleteLater()

    run(flow(), timeout=80)
