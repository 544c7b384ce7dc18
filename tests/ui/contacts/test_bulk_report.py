"""The Contacts tab's bulk report against the session's sandbox: a cancelled run is not a
success (warning, with what was not reached), a failure is named on the banner, and
"Show report…" opens the report, contact by contact, with each reason in full."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.core.contact_csv import ImportReport, RowOutcome, RowStatus
from app.services.bulk import BulkAction, BulkKind
from app.services.ports.contacts import ContactsPort
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.common.report import ReportDialog
from app.ui.contacts.tab import ContactsTab
from tests.support.areas import build_area
from tests.support.sandbox_process import Sandbox
from tests.ui.contacts.support import contacts_tab
from tests.ui.leads.conftest import make_workspace, until

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]


def open_report(tab: ContactsTab) -> ReportDialog:
    tab.banner.report_button.click()
    QApplication.processEvents()
    dialogs = [d for d in tab.findChildren(ReportDialog) if d.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def test_a_cancelled_bulk_run_is_not_a_success_and_failures_are_named(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        workspace, profile = make_workspace(tmp_path, sandbox)
        await workspace.activate(profile.id)
        port = ContactsPort(workspace)
        bridge = BusBridge(workspace.bus)
        tasks = TaskSet("contacts-test")
        tab = build_area(ContactsTab, port, bridge, tasks)
        tab.resize(1360, 860)
        tab.show()
        try:
            await until(lambda: port.reader() is not None)
            tab.set_reader(port.reader())
            marker = uuid.uuid4().hex[:8]
            service = port.contact_service()
            ids = [
                (
                    await service.create(
                        {
                            "firstName": "Bulk",
                            "lastName": f"Row{i}",
                            "email": f"bulk-{marker}-{i}@example.com",
                        }
                    )
                ).id
                for i in range(4)
            ]
            action = BulkAction(BulkKind.ADD_TAGS, tags=(f"bulk-{marker}",))
            # Cancelled before the end: a warning, never the success tick.
            # The click comes as the bar shows: a run of four contacts against the local
            # sandbox can end before a poll of the bar's visibility would see it.
            real_start = tab.job_bar.start

            def start_then_cancel(text: str, total: int) -> None:
                real_start(text, total)
                assert tab.job_bar.isVisible()
                tab.job_bar.cancel.click()

            tab.job_bar.start = start_then_cancel  # type: ignore[method-assign]
            report = await tab.run_bulk(action, ids)
            tab.job_bar.start = real_start  # type: ignore[method-assign]
            assert report is not None and report.cancelled and not report.failed
            assert report.not_reached > 0
            assert tab.banner.severity == "warning"
            assert "Cancelled before" in tab.banner.text
            dialog = open_report(tab)
            not_reached = dialog.text.count(": Not reached: Cancelled before it was reached.")
            assert not_reached == report.not_reached
            dialog.close()
            # A contact Seedly does not know: the banner names why, the report has it.
            report = await tab.run_bulk(action, [*ids[:1], "no-such-contact"])
            assert report is not None and len(report.failed) == 1
            reason = report.failed[0][1]
            assert tab.banner.severity == "danger"
            assert tab.banner.text.endswith(f"Why: {reason}")
            dialog = open_report(tab)
            assert f"no-such-contact: Failed: {reason}" in dialog.text
            dialog.close()
        finally:
            await tab.shutdown()
            await tasks.shutdown(5)
            await workspace.shutdown(5)
            bridge.detach()
            tab.deleteLater()

    run(flow(), timeout=80)


def test_the_import_banner_names_the_reason_and_a_cancelled_import_is_no_success(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    why = "Seedly refused the email address: the domain does not accept mail."

    async def flow() -> None:
        async with contacts_tab(tmp_path, sandbox) as tab:
            report = ImportReport(
                3,
                [
                    RowOutcome(2, RowStatus.CREATED, "Ann Bee", "ann@x.example", "c1"),
                    RowOutcome(3, RowStatus.FAILED, "Kim Lee", "kim@x.example", reason=why),
                ],
                finished=True,
            )
            tab.show_import_finished(report)
            assert tab.banner.severity == "danger"
            assert tab.banner.text == f"Import finished: 1 created, 1 failed. Why: {why}"
            dialog = open_report(tab)
            assert f"Line 3: Kim Lee: Failed: {why}" in dialog.text
            dialog.close()
            cancelled = ImportReport(3, report.outcomes[:1], cancelled=True)
            tab.show_import_finished(cancelled)
            assert tab.banner.severity == "warning"
            assert tab.banner.text.startswith("Import cancelled: 1 created.")

    run(flow(), timeout=60)
