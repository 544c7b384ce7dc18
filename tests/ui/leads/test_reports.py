"""The Add to CRM report shows its reasons: the dialog's "Why" column wraps them in full,
and the closing banner names the reason and offers "Show report…" back to the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.services.lead_push import PushAction, PushOutcome, PushReport
from app.ui.common.report import ReportDialog
from app.ui.leads.dialogs import AddToCrmDialog
from app.ui.leads.models import ReportColumn
from tests.support.sandbox_process import Sandbox
from tests.ui.leads.test_tab_sandbox import new_user, opened

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]

WHY = (
    "Seedly rejected the request: the email address is not valid for this sub-account "
    "(the domain refuses mail), so the contact was not created."
)


def report() -> PushReport:
    return PushReport(
        [
            PushOutcome("sr-1", "Kim Lee", PushAction.FAILED, email="kim@x.example", reason=WHY),
            PushOutcome("sr-2", "Ann Bee", PushAction.FAILED, email="ann@x.example", reason=WHY),
            PushOutcome("sr-3", "Joe Doe", PushAction.CREATED, "c1", email="joe@x.example"),
        ]
    )


def test_the_why_column_wraps_the_reason_in_full(qapp: Any) -> None:
    async def push(_sub: str, _tag: str) -> PushReport:
        raise AssertionError("not pushed in this test")

    dialog = AddToCrmDialog(3, [], None, push)
    dialog.show()
    dialog.show_report(report())
    QApplication.processEvents()
    view = dialog.report_view
    index = dialog.report_model.index(0, ReportColumn.REASON)
    assert index.data() == WHY
    assert view.rowHeight(0) >= 2 * view.fontMetrics().height(), "wrapped, not cut"
    rect = view.visualRect(index)
    assert rect.right() <= view.viewport().width()
    assert not view.horizontalScrollBar().isVisible()
    dialog.close()


def test_the_banner_names_the_reason_and_shows_the_report(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    key = new_user(sandbox, 100)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key) as (tab, _workspace):
            tab.crm.announce(report(), "Add to CRM")
            banner = tab.banner
            assert banner.severity == "danger"
            assert banner.text == f"Add to CRM: 1 added, 2 failed. Why: {WHY}"
            assert banner.report_button.isVisible()
            banner.report_button.click()
            QApplication.processEvents()
            dialogs = [d for d in tab.findChildren(ReportDialog) if d.isVisible()]
            assert len(dialogs) == 1
            assert dialogs[0].windowTitle() == "Add to CRM report"
            assert f"Kim Lee <kim@x.example>: Failed: {WHY}" in dialogs[0].text
            dialogs[0].close()
            # Skipped only: not a success either.
            skipped = PushReport(
                [PushOutcome("sr-4", "No Mail", PushAction.SKIPPED, reason="No email.")]
            )
            tab.crm.announce(skipped, "Add to CRM")
            assert banner.severity == "warning" and banner.text.endswith("Why: No email.")

    run(flow(), timeout=40)
