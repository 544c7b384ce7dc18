"""Research and add to the CRM in one go from the Leads tab (the session's sandbox): the
research confirmation offers "Add them to the CRM as they arrive" in a sub-account; each
researched person is added while the others are still being researched, never twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.services.lead_push import PushReport
from tests.support.sandbox_process import Sandbox
from tests.ui.leads.conftest import until
from tests.ui.leads.test_tab_sandbox import FILTERS, new_user, opened

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]


def test_research_with_add_to_crm_as_they_arrive(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    key = new_user(sandbox, 100)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key) as (tab, workspace):
            tab.page_size.setCurrentIndex(tab.page_size.findData(10))
            tab.people_panel.set_mapping(FILTERS)
            task = tab.search()
            assert task is not None and await task == 10
            tab.select_rows([0, 1, 2, 3, 4])
            reports: list[PushReport] = []
            tab.pushFinished.connect(reports.append)
            research = tab.research_selected()
            assert research is not None
            dialog = await until(lambda: tab.confirm_dialog)
            assert dialog.push_box.isVisibleTo(dialog)  # people, and a CRM is open
            sub = workspace.active.scope.sub_account_id  # type: ignore[union-attr]
            assert dialog.push_sub.currentData() == sub  # the open sub-account first
            dialog.push_check.setChecked(True)
            assert dialog.push_to() == sub
            dialog.accept()
            assert len(await research) == 1
            report = (await until(lambda: reports, timeout=40))[0]
            found = len(report.created) + len(report.updated) + len(report.unchanged)
            assert found + len(report.skipped) >= 1 and not report.failed, report.summary()
            assert tab.banner.text.startswith("Researched and added to the CRM: ")
            created = {o.contact_id for o in report.created}
            assert len(created) == len(report.created)  # never twice

    run(flow(), timeout=80)
