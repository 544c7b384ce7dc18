"""Job changes and stale records end to end against a demo sandbox (its research history:
people researched months ago, some of whom moved since, and CRM contacts made from them),
through the services the Leads tab uses: the ledger marks stale records; "Check for job
changes" on the CRM contacts that came from Seamless shows its cost and what deduplication
would skip before anything is sent; the report says who moved (old → new company and
title); one click updates those contacts (found by email, like Add to CRM); refreshing
stale records states its cost; "Moved recently in my accounts" finds recent movers at the
CRM's companies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.seamless import contact_search
from app.services.lead_push import PushAction
from app.services.ports.leads import JOB_CHANGE_TAG, JobState, LeadsPort, MoveKind
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, SeamlessSettings
from app.settings.secrets import Secrets, SessionSecrets, account_name
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio]

QUIET = PollPlan(
    inbox=(3600, 3600), thread=(3600, 3600), contacts=(3600, 3600), appointments=(3600, 3600)
)
SUB = "sub_harbor_dental"


async def until(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout} s: {condition}")
        await asyncio.sleep(0.05)


async def test_job_changes_and_stale_records(sandbox_factory: Any, tmp_path: Path) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)
    workspace = Workspace.open(
        AppPaths.under(tmp_path / "home"), secrets=Secrets(persistent=SessionSecrets()), plan=QUIET
    )
    profile = Profile(name="Sandbox", deployment_url=box.url, key_kind="agency")
    workspace.profiles.upsert(profile)
    workspace.secrets.save(account_name(profile.id), box.info["agency_key"])
    try:
        await workspace.activate(profile.id, SUB)
        seamless = SeamlessSettings(base_url=box.seamless_url)
        await workspace.connect_seamless(seamless, box.seamless_key)
        port = LeadsPort(workspace)
        # The ledger is rebuilt from the organisation's researched records (free).
        rows = await until(lambda: len(r := port.ledger_rows(stale_days=30)) >= 40 and r)
        stale = [r for r in rows if r.stale]
        assert 20 <= len(stale) < len(rows)  # the old ones, not the month-old ones
        balance = await until(lambda: port.credits and port.credits.balance)

        # The CRM contacts that came from Seamless (from the cache, once the sync ran), each
        # known to the ledger by email.
        def synced() -> list[Any] | None:
            found = port.crm_candidates(SUB)
            return found if sum(c.held for c in found) >= 20 else None

        candidates = await until(synced)
        history = [c for c in candidates if c.held]
        others = [c for c in candidates if not c.held]  # CRM contacts never researched here
        assert len(history) == 20 and all(c.company for c in history)
        checker = port.job_checker()
        skipping = checker.plan(candidates, recheck=False)
        usable = [c for c in others if c.usable]  # a name and a company on file
        assert len(skipping.skipped) == 20 and len(skipping.send) == len(usable)
        assert len(skipping.unusable) == len(others) - len(usable)
        assert skipping.estimate is not None and skipping.estimate.credits == len(usable)
        assert "Deduplication skips 20 already researched" in skipping.confirmation()
        plan = checker.plan(history, recheck=True)
        assert plan.estimate is not None and plan.estimate.credits == 20
        text = plan.confirmation()
        assert "Check 20 people for job changes: up to 20 credits (1 per person)" in text
        assert "20 of them were researched before" in text
        requests_before = workspace.leads.client.requests_sent
        assert workspace.leads.client.requests_sent == requests_before  # nothing sent to plan
        job_ids = checker.submit(plan)
        queue = port.queue
        assert queue is not None
        await until(
            lambda: all(queue.progress(j).state is JobState.DONE for j in job_ids), timeout=40
        )
        report = checker.report(job_ids)
        assert report.finished and len(report.moves) == 20
        moved = report.of(MoveKind.MOVED)
        assert len(moved) == 10, report.summary()
        for move in moved:
            assert move.old_company and move.new_company and move.old_company != move.new_company
            assert move.alert == "New Hire" and "→" in move.describe()
        assert len(report.of(MoveKind.SAME)) == 10
        await until(lambda: port.credits and port.credits.balance == balance - 20)

        # One click: the moved people's CRM contacts get the new company and title.
        update = await port.update_moves(SUB, report.moves)
        assert [o.action for o in update.outcomes] == [PushAction.UPDATED] * 10, update.summary()
        api = box.client(box.info["agency_key"], sub_account=SUB)
        for move, outcome in zip(moved, update.outcomes, strict=True):
            contact = api.get(f"/api/v1/contacts/{outcome.contact_id}").json()["data"]
            assert contact["company"] == move.new_company and contact["title"] == move.new_title
            assert JOB_CHANGE_TAG in contact["tags"] and "seamless" in contact["tags"]
            assert move.lookup_emails[0] == contact["email"]  # found by the address on file
            assert contact["additionalEmails"]  # the new work address was added

        # Stale records: refreshing states its cost first (deduplication skipped).
        still_stale = [r.key for r in port.ledger_rows(stale_days=30) if r.stale]
        refresh = port.refresh_plan(still_stale)
        assert refresh.estimate.credits == len(still_stale) > 0
        assert refresh.options == {"skipDeduplicationCheck": True}

        # "Moved recently in my accounts": recent movers at the CRM's companies.
        filters = await asyncio.to_thread(port.moved_recently_filters, SUB)
        assert filters["jobChanges"]["changeType"] == "New Hire or New Promotion"
        domains = set(filters["companyDomain"])
        assert {m.record.company_domain for m in moved if m.record} & domains
        saved = port.save_moved_recently(SUB)
        assert port.find_search(saved.id) is not None
        pager = port.new_search(contact_search(saved.filters), page_size=50)
        found = await pager.fetch_more()
        assert found and all(p.moved for p in found)
        assert all(p.domain in domains for p in found)
    finally:
        await workspace.shutdown(5)
