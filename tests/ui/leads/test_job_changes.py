"""Job changes from the Leads tab against a demo sandbox of its own (its research history:
people researched months ago, some of whom moved since, CRM contacts made from them):
"Moved recently in my accounts" runs and its rows carry the job-change badge (results and
details); "Job changes…" marks stale records and states the refresh's cost; checking the
researched list shows the cost and what deduplication would skip first, then who moved
(old → new); one click updates the moved people's CRM contacts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.services.ports.leads import JOB_CHANGE_TAG, LeadsPort, MoveKind
from app.settings.profiles import SeamlessSettings
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.leads.dialogs import ResearchConfirmDialog
from app.ui.leads.job_changes import LEDGER
from app.ui.leads.models import JobChangeRole, PeopleColumn
from app.ui.leads.tab import LeadsTab
from tests.support.areas import build_area
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox
from tests.ui.leads.conftest import make_workspace, until

pytestmark = pytest.mark.timeout(120)

Run = Callable[..., Any]
SUB = "sub_harbor_dental"


def test_moved_recently_badges_stale_records_and_checking_job_changes(
    sandbox_factory: Any, tmp_path: Path, run: Run, tested: Callable[[Any], Any]
) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)

    async def flow() -> None:
        workspace, profile = make_workspace(tmp_path, box)
        await workspace.activate(profile.id, SUB)
        settings = SeamlessSettings(base_url=box.seamless_url)
        workspace.profiles.data.seamless = settings
        await workspace.connect_seamless(settings, box.seamless_key)
        port = LeadsPort(workspace)
        bridge = BusBridge(workspace.bus)
        tasks = TaskSet("leads-test")
        tab = build_area(LeadsTab, port, bridge, tasks)
        tab.resize(1360, 860)
        tab.show()
        try:
            await until(lambda: len(port.ledger_rows()) >= 40, timeout=30)
            # The CRM's contacts are cached (the first sync) before "my accounts" is asked.
            await until(lambda: sum(c.held for c in port.crm_candidates(SUB)) >= 20)

            # "Moved recently in my accounts": saved, loaded, searched; rows show the badge.
            saved = await tab.moved_recently()
            assert saved is not None and saved.filters["companyDomain"]
            await until(lambda: tab.model.rowCount() > 0)
            model = tab.model
            index = model.index(0, PeopleColumn.NAME)
            assert model.data(index, JobChangeRole) in ("New Hire", "New Promotion")
            assert model.data(index, Qt.ItemDataRole.DecorationRole) is not None  # the badge
            tab.select_rows([0])
            tab.show_details(0)
            assert tab.details.badge_text in ("New hire", "Promoted")

            # "Job changes…" on the research ledger: stale records marked, refresh costed.
            task = tab.open_job_changes()
            dialog = await until(lambda: tab.job_changes_dialog)
            tested(dialog.model)
            dialog.source.setCurrentIndex(dialog.source.findData(LEDGER))
            dialog.stale_days.setValue(30)
            await until(
                lambda: (
                    dialog.model.rowCount() >= 40
                    and dialog.model.stale_keys()
                    and "30 days" in dialog.count_label.text()
                )  # the answer to 30, not to 90
            )
            stale = len(dialog.model.stale_keys())
            assert f"{stale} stale (researched more than 30 days ago)" in dialog.count_label.text()
            refreshing = dialog.refresh_stale()
            confirm = await until(lambda: _refresh_dialog(dialog))
            assert f"Research {stale} " in confirm.headline.text()
            confirm.reject()
            assert await refreshing == []

            # Check everyone listed: the cost and deduplication first, then the report.
            checking = dialog.check()
            ask = await until(lambda: dialog.confirm)
            count = dialog.model.rowCount()
            assert f"Check {count} people for job changes: up to {count} credits" in ask.text.text()
            assert "were researched before: they are checked again" in ask.text.text()
            ask.recheck.setChecked(False)  # deduplication on: nobody would be checked
            assert not ask.ok.isEnabled() and "Deduplication skips" in ask.text.text()
            ask.recheck.setChecked(True)
            ask.accept()
            report = await checking
            assert report is not None and report.finished
            moved = report.of(MoveKind.MOVED)
            assert len(moved) == 20, report.summary()
            assert "→" in dialog.report_label.text() and moved[0].name in dialog.report_label.text()
            assert dialog.update_button.isEnabled()
            assert (
                dialog.update_button.text() == f"Update {len(report.changed)} contacts in the CRM"
            )

            # One click: the moved people in this sub-account get their new job.
            update = await dialog.update_crm()
            assert update is not None and len(update.updated) == 10  # the 10 in the CRM
            assert all("Not in this sub-account" in (o.reason or "") for o in update.skipped)
            api = box.client(box.info["agency_key"], sub_account=SUB)
            contact = api.get(f"/api/v1/contacts/{update.updated[0].contact_id}").json()["data"]
            assert JOB_CHANGE_TAG in contact["tags"]
            dialog.reject()
            await task
        finally:
            await tab.shutdown()
            await tasks.shutdown(5)
            await workspace.shutdown(5)
            bridge.detach()
            tab.deleteLater()

    run(flow(), timeout=110)


def _refresh_dialog(dialog: Any) -> Any:
    found = [d for d in dialog.findChildren(ResearchConfirmDialog) if d.isVisible()]
    return found[0] if found else None
