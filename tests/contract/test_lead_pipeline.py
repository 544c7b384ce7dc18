"""The lead pipeline end to end against a real sandbox process (both APIs over HTTP):
search a page (its cost known before and settled from the balance after) → research the
selection with deduplication → poll to the end in real time → add to a Seedly
sub-account without duplicates; then again: the records already researched are free and
nothing is sent for them, the push creates nothing twice, and a second installation
without the local ledger meets Seamless's own deduplication (charged nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.api.seamless import SeamlessClient
from app.api.seedly import SeedlyClient
from app.core.seamless import ResearchedContact, ResearchState, contact_search
from app.services.bus import CreditsChanged, EventBus, Recorder, ResearchJobChanged, ScopeKey
from app.services.contacts import ContactService
from app.services.credits import CreditLedger, SearchPager, account_key_id
from app.services.lead_push import LeadPusher, PushAction
from app.services.research import ResearchQueue
from app.services.sync import SyncService
from app.storage import Database, JobState
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio]

TAG = "seamless-pipeline"


class App:
    """One installation: its own cache file, credit ledger, research queue and clients."""

    def __init__(self, box: Sandbox, key: str, path: Path) -> None:
        self.box = box
        self.db = Database.open(path)
        self.bus = EventBus()
        self.events = Recorder().attach(self.bus, CreditsChanged, ResearchJobChanged)
        url = str(box.info["seamless_url"])
        self.seamless = SeamlessClient(url, api_key=key)
        owner = account_key_id(url, api_key=key)
        self.ledger = self.db.research_ledger(owner)
        self.credits = CreditLedger(self.ledger, self.bus)
        self.credits.attach(self.seamless)
        self.queue = ResearchQueue(
            self.seamless,
            self.db.research_jobs(owner),
            self.ledger,
            self.credits,
            self.bus,
            poll_interval=2.0,
        )
        self.seedly = SeedlyClient(box.url, box.sub_key(0))
        self.scope = ScopeKey(box.url, box.sub_ids[0])
        self.partition = self.db.partition(box.url, box.sub_ids[0])

    async def contacts(self) -> ContactService:
        await SyncService(self.partition, self.seedly, self.bus, self.scope).sync_fields()
        return ContactService(self.partition, self.seedly, self.bus, self.scope)

    async def research(self, ids: list[str]) -> list[int]:
        plan = self.queue.plan(ids)
        assert plan.refusal is None, plan.confirmation()
        jobs = self.queue.submit(plan)
        await self.queue.drain(timeout=60)
        return jobs

    def researched(self, job_ids: list[int]) -> list[ResearchedContact]:
        return [
            r.contact
            for job in job_ids
            for r in self.queue.results(job)
            if r.contact is not None and r.state.holds_record
        ]

    async def close(self) -> None:
        await self.seamless.aclose()
        await self.seedly.aclose()
        self.db.close()


@pytest.fixture
def box(sandbox_factory: Any) -> Iterator[Sandbox]:
    started: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    assert "seamless_url" in started.info, "the sandbox's ready line has no seamless_url"
    yield started


async def crm_contacts(app: App) -> list[Any]:
    return [c async for c in app.seedly.iter_contacts(source="seamless")]


async def test_search_research_push_and_again(box: Sandbox, tmp_path: Path) -> None:
    key = str(box.control("POST", "seamless/users", json={"credits": 1000})["key"])
    app = App(box, key, tmp_path / "one.sqlite3")
    await app.seamless.refresh_balance()
    assert app.credits.balance == 1000

    # -- search: the next page's cost is shown before it loads, settled after
    pager: SearchPager[Any] = SearchPager(
        app.seamless,
        app.credits,
        contact_search(department=["Sales"], seniority=["VP", "Director"]),
        page_size=20,
    )
    assert pager.next_page_estimate().text == "Up to 2 credits"
    rows = await pager.fetch_more()
    assert len(rows) == 20 and pager.can_fetch_more
    assert app.credits.balance == 998
    [search_spend] = app.ledger.spend_log()
    assert (search_spend.estimate, search_spend.actual) == (2, 2)

    # -- research 15 of them: confirmed estimate, jobs polled in real time to the end
    selected = [r.search_result_id for r in rows[:15]]
    plan = app.queue.plan(selected)
    assert plan.estimate.credits == 15 and plan.free == ()
    jobs = await app.research(selected)
    progress = app.queue.progress(jobs[0])
    assert progress.state is JobState.DONE and progress.pending == 0
    assert progress.found + progress.failed == 15 and progress.found > 0
    research_spend = app.ledger.spend_log()[-1]
    spent = 998 - (app.credits.balance or 0)
    assert research_spend.actual == spent and spent <= 15  # errors are refunded by Seamless
    states = [e.state for e in app.events.of(ResearchJobChanged)]
    assert states[0] == "queued" and "polling" in states and states[-1] == "done"

    # -- push into the CRM: created once, with the mapping
    found = app.researched(jobs)
    service = await app.contacts()
    pusher = LeadPusher(service)
    report = await pusher.push(found, tag=TAG)
    assert not report.failed, [o.reason for o in report.failed]
    created = report.created
    assert created and len(created) + len(report.skipped) == len(found)
    in_crm = await crm_contacts(app)
    assert len(in_crm) == len(created)
    by_email = {c.email: c for c in in_crm}
    for outcome in created:
        contact = by_email[outcome.email]
        assert TAG in contact.tags and contact.source == "seamless"
        assert contact.phone is None or contact.phone.startswith("+")

    # -- again, with five more: what the ledger holds is free and not sent
    done_ids = [r.key for j in jobs for r in app.queue.results(j) if r.state is ResearchState.DONE]
    more = [r.search_result_id for r in rows[15:]]
    again = app.queue.plan([*done_ids, *more])
    assert set(again.free) == set(done_ids) and set(again.send) == set(more)
    assert again.estimate.credits == 5 and again.estimate.free_duplicates == len(done_ids)
    balance = app.credits.balance or 0
    second_jobs = await app.research([*done_ids, *more])
    sent = [b for j in second_jobs for b in app.queue.jobs.get(j).items]  # type: ignore[union-attr]
    assert {i.search_result_id for i in sent} == set(more)
    assert balance - (app.credits.balance or 0) <= 5

    # -- pushing everything again duplicates nothing
    everything = app.researched(jobs) + app.researched(second_jobs)
    second = await pusher.push(everything, tag=TAG)
    assert not second.failed
    assert {o.key for o in second.unchanged} >= {o.key for o in created}
    after = await crm_contacts(app)
    assert len(after) == len(created) + len(second.created)
    assert len({c.email for c in after}) == len(after)

    # -- another installation without this ledger: Seamless deduplicates, nothing is charged
    other = App(box, key, tmp_path / "two.sqlite3")
    await other.seamless.refresh_balance()
    before = other.credits.balance
    dup_jobs = await other.research(done_ids)
    dup = other.queue.progress(dup_jobs[0])
    assert dup.duplicates == len(done_ids) and dup.failed == 0
    assert other.credits.balance == before
    assert other.ledger.spend_log()[-1].actual == 0
    # and its ledger can be rebuilt from the researched-records listing (free)
    today = date.today()
    restored = await other.credits.restore(
        other.seamless, today - timedelta(days=1), today + timedelta(days=1), companies=False
    )
    assert restored >= len(more) - 1  # the second batch's done records were not known here
    assert other.queue.plan(done_ids).sends_nothing
    third = await LeadPusher(await other.contacts()).push(other.researched(dup_jobs), tag=TAG)
    assert {o.action for o in third.outcomes} <= {PushAction.UNCHANGED, PushAction.SKIPPED}
    assert len(await crm_contacts(app)) == len(after)
    await other.close()
    await app.close()


async def test_research_and_push_overlap_and_push_each_record_once(
    box: Sandbox, tmp_path: Path
) -> None:
    """``ResearchPush``: each record goes to the CRM as soon as a poll brings it, while the
    queue polls for the rest; every record once, in the order selected; a second run of
    the same people creates nothing."""
    from app.services.research_push import ResearchPush

    key = str(box.control("POST", "seamless/users", json={"credits": 1000})["key"])
    # Research over 8-18 s instead of 2-4.5: records reach the app poll after poll (every
    # 2-5 s) however slow the machine, so the overlap below is always there to see.
    box.control("PUT", "seamless/research-pace", json={"factor": 4})
    app = App(box, key, tmp_path / "overlap.sqlite3")
    done = box.control("GET", "seamless/outcomes", params={"status": "done", "limit": 12})
    missing = box.control("GET", "seamless/outcomes", params={"status": "missing", "limit": 2})
    ids = [o["searchResultId"] for o in done] + [o["searchResultId"] for o in missing]
    contacts = await app.contacts()
    pushed: list[str] = []
    pipeline = ResearchPush(app.queue, LeadPusher(contacts), app.bus, tag=TAG)
    jobs = app.queue.submit(app.queue.plan(ids))
    polling = asyncio.get_running_loop().create_task(app.queue.drain(timeout=60))
    report = await pipeline.run(jobs, timeout=60, on_outcome=lambda o: pushed.append(o.key))
    await polling
    assert len(report.created) == 12 and not report.failed, report.summary()
    assert [o.key for o in report.outcomes] == ids[:12]  # the order selected
    assert sorted(pushed) == sorted(ids[:12])  # each once
    assert pipeline.first_push_at is not None and pipeline.research_ended_at is not None
    # Records ready at different moments: the first went out before the research ended.
    assert pipeline.first_push_at < pipeline.research_ended_at
    again = ResearchPush(app.queue, LeadPusher(contacts), app.bus, tag=TAG)
    second = await again.run(jobs, timeout=30)
    assert not second.created and len(second.unchanged) == 12
    assert len(await crm_contacts(app)) == 12
    await app.close()
