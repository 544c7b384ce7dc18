"""The research queue with a fake Seamless API: plans with free duplicates, refusals before
anything is sent, jobs of ≤100, polling at the interval, results in the ledger, actual
cost from the balance change, unknown outcomes never resent, resuming after a restart,
unknown statuses as failures with their text, and an ETA bounded by the rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.credits import FREE_SEARCH_PRICING, CreditsRefused
from app.core.seamless import ResearchState
from app.core.seamless_errors import InsufficientCredits, SeamlessNetworkError, SeamlessUnauthorized
from app.services.bus import (
    CreditsChanged,
    EventBus,
    Recorder,
    ResearchJobChanged,
    ResearchResultsArrived,
)
from app.services.credits import CreditLedger, SearchPager, account_key_id
from app.services.research import (
    NO_REQUEST_ID,
    SEND_RETRY_SECONDS,
    ResearchQueue,
    rate_limited_seconds,
)
from app.storage import Database, JobState
from tests.unit.services.seamless_fakes import Clock, FakeSeamless, person

pytestmark = pytest.mark.timeout(20)

OWNER = "sl_owner"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path, clock: Clock) -> Iterator[Database]:
    database = Database.open(tmp_path / "cache.sqlite3", clock=clock.ms)
    yield database
    database.close()


class Rig:
    """A queue over ``db`` with a fake Seamless, its credit ledger and a bus recorder."""

    def __init__(
        self, db: Database, clock: Clock, api: FakeSeamless | None = None, **options: object
    ) -> None:
        self.db = db
        self.clock = clock
        self.api = api or FakeSeamless(clock=clock)
        self.api.clock = clock
        self.bus = EventBus()
        self.events = Recorder().attach(
            self.bus, CreditsChanged, ResearchJobChanged, ResearchResultsArrived
        )
        self.ledger = db.research_ledger(OWNER)
        self.credits = CreditLedger(self.ledger, self.bus, clock=clock.time, **options)  # type: ignore[arg-type]
        self.credits.attach(self.api)
        self.queue = ResearchQueue(
            self.api,
            db.research_jobs(OWNER),
            self.ledger,
            self.credits,
            self.bus,
            clock=clock.time,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
        )

    def know_balance(self) -> None:
        self.credits.observe(
            type("R", (), {"balance": self.api.balance, "at": self.clock.time()})()
        )


def ids(n: int, prefix: str = "sr") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


# -- planning and refusing ------------------------------------------------------------------------


def test_plan_leaves_out_what_the_ledger_holds(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock)
    for sr in ("sr1", "sr3", "sr5"):
        rig.ledger.record("contact", sr, "r", "done", person(sr), 1, 0)
    plan = rig.queue.plan(ids(6))
    assert plan.send == ("sr0", "sr2", "sr4") and plan.free == ("sr1", "sr3", "sr5")
    assert plan.estimate.credits == 3 and plan.estimate.free_duplicates == 3
    assert plan.refusal is None
    assert "3 of the 6 selected were already researched and cost nothing" in plan.confirmation()
    # reopening the free ones sends nothing
    reopened = rig.queue.reopen(plan.free)
    assert [r.key for r in reopened] == ["sr1", "sr3", "sr5"] and all(r.free for r in reopened)
    assert reopened[0].contact is not None and reopened[0].contact.best_email is not None
    everything_known = rig.queue.plan(["sr1", "sr3"])
    assert everything_known.sends_nothing and rig.queue.submit(everything_known) == []
    assert rig.api.calls == []


def test_a_plan_over_the_balance_is_refused_before_anything_is_sent(
    db: Database, clock: Clock
) -> None:
    rig = Rig(db, clock, FakeSeamless(balance=5))
    rig.know_balance()
    plan = rig.queue.plan(ids(8))
    assert plan.refusal is not None and plan.refusal.shortfall == 3
    assert "only 5 credits are available" in plan.confirmation()
    with pytest.raises(CreditsRefused):
        rig.queue.submit(plan)
    assert rig.queue.jobs.jobs() == [] and rig.api.calls == []


def test_the_daily_budget_is_never_exceeded(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock, daily_budget=10)
    rig.know_balance()
    first = rig.queue.plan(ids(6))
    rig.queue.submit(first)  # holds 6 of the 10
    second = rig.queue.plan(ids(6, "other"))
    assert second.refusal is not None
    assert "only 4 credits of today's budget of 10 credits are left" in second.refusal.message
    with pytest.raises(CreditsRefused):
        rig.queue.submit(second)
    assert rig.credits.meter().budget_left == 4


@pytest.mark.asyncio
async def test_a_job_that_became_unaffordable_is_refused_at_send_time(
    db: Database, clock: Clock
) -> None:
    rig = Rig(db, clock, FakeSeamless(balance=50))
    rig.know_balance()
    [job_id] = rig.queue.submit(rig.queue.plan(ids(10)))
    rig.api.balance = 4  # spent elsewhere meanwhile
    rig.know_balance()
    rig.clock.advance(1)
    await rig.queue.step()
    job = rig.queue.jobs.get(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert "only 4 credits are available" in (job.error or "")
    assert rig.api.count("research:contact") == 0 and rig.credits.committed == 0


# -- the whole flow ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_jobs_of_100_are_sent_polled_stored_and_settled(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock, FakeSeamless(balance=1000, research_polls=2))
    rig.know_balance()
    plan = rig.queue.plan(ids(150))
    assert len(plan.batches) == 2 and "sent as 2 requests" in plan.confirmation()
    job_ids = rig.queue.submit(plan)
    assert rig.credits.committed == 150 and rig.api.calls == []  # confirmed, not sent yet
    await rig.queue.drain(timeout=120)
    sent = [body for call, body in rig.api.calls if call == "research:contact"]
    assert [len(b["searchResultIds"]) for b in sent] == [100, 50]
    assert all(b["skipDeduplicationCheck"] is False for b in sent)
    polls = [batch for call, batch in rig.api.calls if call == "poll:contact"]
    assert all(1 <= len(b) <= 100 for b in polls) and len(polls) == 6  # 2 request each x 3 rounds
    waits = [s for s in clock.sleeps if s > 0]
    assert waits and all(2.0 <= s <= 5.0 for s in waits)  # polled every 2–5 s
    for job_id in job_ids:
        progress = rig.queue.progress(job_id)
        assert (
            progress.state is JobState.DONE
            and progress.pending == 0
            and progress.eta_seconds is None
        )
    assert rig.ledger.count("contact") == 150
    assert rig.credits.already_researched(ids(150)) == set(ids(150))
    # the two jobs overlapped, so the actual cost comes from what the answers said
    entries = rig.ledger.spend_log()
    assert [(e.estimate, e.actual) for e in entries] == [(100, 100), (50, 50)]
    assert rig.credits.meter().spent_session == 150 and rig.credits.committed == 0
    assert rig.credits.balance == 850
    results = rig.queue.results(job_ids[1])
    assert len(results) == 50 and all(r.state is ResearchState.DONE for r in results)
    assert results[0].contact is not None and results[0].contact.emails[0].confidence == 95
    arrived = set().union(*(e.ids for e in rig.events.of(ResearchResultsArrived)))
    assert arrived == set(ids(150))
    states = [e.state for e in rig.events.of(ResearchJobChanged) if e.job_id == job_ids[0]]
    assert states[0] == "queued" and states[-1] == "done" and "polling" in states


@pytest.mark.asyncio
async def test_actual_cost_is_the_balance_change_beside_the_estimate(
    db: Database, clock: Clock
) -> None:
    api = FakeSeamless(balance=100, research_polls=0)
    api.researched = {"sr1"}  # researched in another app: Seamless's dedup finds it
    rig = Rig(db, clock, api)
    rig.know_balance()
    rig.queue.submit(rig.queue.plan(ids(4)))
    await rig.queue.drain(timeout=60)
    [entry] = rig.ledger.spend_log()
    assert (entry.estimate, entry.actual) == (4, 3)  # one was a free duplicate
    dup = rig.ledger.get("contact", "sr1")
    assert dup is not None and dup.status == "duplicate" and dup.credits == 0
    assert rig.credits.meter().spent_today == 3


@pytest.mark.asyncio
async def test_polls_wait_for_the_interval(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock, FakeSeamless(research_polls=5))
    rig.queue.submit(rig.queue.plan(ids(3)))
    delay = await rig.queue.step()  # sends and polls once
    assert rig.api.count("poll:contact") == 1 and delay == pytest.approx(3.0)
    clock.advance(1)
    await rig.queue.step()
    assert rig.api.count("poll:contact") == 1  # too soon: nothing sent
    clock.advance(2)
    await rig.queue.step()
    assert rig.api.count("poll:contact") == 2


@pytest.mark.asyncio
async def test_unknown_statuses_are_terminal_failures_with_their_text(
    db: Database, clock: Clock
) -> None:
    api = FakeSeamless(research_polls=0, statuses={"sr1": "quarantined", "sr2": "not found"})
    rig = Rig(db, clock, api)
    [job_id] = rig.queue.submit(rig.queue.plan(ids(3)))
    await rig.queue.drain(timeout=30)
    progress = rig.queue.progress(job_id)
    assert progress.state is JobState.DONE
    assert (progress.found, progress.failed) == (1, 2)
    assert progress.statuses == {"done": 1, "quarantined": 1, "not found": 1}
    texts = {r.key: r.text for r in rig.queue.results(job_id)}
    assert "unknown status “quarantined”" in texts["sr1"] and "found nothing" in texts["sr2"]
    # a failure is remembered but does not make the record "already researched"
    assert rig.credits.already_researched(ids(3)) == {"sr0"}


@pytest.mark.asyncio
async def test_records_without_a_request_id_fail_visibly(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock, FakeSeamless(research_polls=0, drop_request_ids=1))
    [job_id] = rig.queue.submit(rig.queue.plan(ids(3)))
    await rig.queue.drain(timeout=30)
    results = rig.queue.results(job_id)
    assert [r.status for r in results] == ["done", "done", NO_REQUEST_ID]
    assert "no request id" in results[2].text
    assert rig.queue.progress(job_id).failed == 1


# -- unknown outcomes, refusals by the server, restarts --------------------------------------------


@pytest.mark.asyncio
async def test_a_lost_answer_is_never_resent_until_the_user_decides(
    db: Database, clock: Clock
) -> None:
    api = FakeSeamless(research_polls=0, lose_answer_after_accepting=True)
    rig = Rig(db, clock, api)
    rig.know_balance()
    [job_id] = rig.queue.submit(rig.queue.plan(ids(5)))
    await rig.queue.step()
    job = rig.queue.jobs.get(job_id)
    assert job is not None and job.state is JobState.UNKNOWN
    assert "may have been accepted" in (job.error or "")
    progress = rig.queue.progress(job_id)
    assert progress.needs_decision and progress.eta_seconds is None
    for _ in range(3):
        clock.advance(5)
        await rig.queue.step()
    assert api.count("research:contact") == 1 and not rig.queue.has_work()
    # the estimate stays counted: it may have been charged
    [entry] = rig.ledger.spend_log()
    assert entry.actual is None and rig.credits.spent_today() == 5
    # the user resends: deduplication keeps the records researched the first time free
    rig.queue.resend(job_id)
    await rig.queue.drain(timeout=30)
    assert api.count("research:contact") == 2
    assert rig.queue.progress(job_id).state is JobState.DONE
    assert rig.queue.progress(job_id).duplicates == 5  # the first request did go through


@pytest.mark.asyncio
async def test_cancel_an_unknown_job(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock, FakeSeamless(lose_answer_after_accepting=True))
    [job_id] = rig.queue.submit(rig.queue.plan(ids(2)))
    await rig.queue.step()
    assert rig.queue.cancel(job_id).state is JobState.CANCELLED
    assert rig.queue.progress(job_id).eta_seconds is None


@pytest.mark.asyncio
async def test_refusals_by_seamless_fail_the_job_and_cost_nothing(
    db: Database, clock: Clock
) -> None:
    api = FakeSeamless()
    api.research_error = [
        InsufficientCredits("Insufficient credits", status=422, additional_credits_needed=3)
    ]
    rig = Rig(db, clock, api)
    [job_id] = rig.queue.submit(rig.queue.plan(ids(3)))
    await rig.queue.step()
    job = rig.queue.jobs.get(job_id)
    assert job is not None and job.state is JobState.FAILED
    assert "3 more credits are needed" in (job.error or "")
    assert rig.ledger.spend_log()[0].actual == 0
    # the user may try again once there are credits
    rig.queue.resend(job_id)
    await rig.queue.drain(timeout=30)
    assert rig.queue.progress(job_id).state is JobState.DONE


@pytest.mark.asyncio
async def test_offline_keeps_the_job_queued_and_an_invalid_key_pauses(
    db: Database, clock: Clock
) -> None:
    api = FakeSeamless()
    api.research_error = [
        SeamlessNetworkError("offline"),
        SeamlessUnauthorized("bad key", status=401),
    ]
    rig = Rig(db, clock, api)
    [job_id] = rig.queue.submit(rig.queue.plan(ids(2)))
    await rig.queue.step()
    job = rig.queue.jobs.get(job_id)
    assert job is not None and job.state is JobState.QUEUED
    assert rig.credits.committed == 2 and rig.ledger.spend_log()[0].actual == 0
    assert rig.queue.last_error is not None and "could not be reached" in rig.queue.last_error
    delay = await rig.queue.step()  # not retried at once: offline needs a moment
    assert rig.api.count("research:contact") == 1 and delay == pytest.approx(SEND_RETRY_SECONDS)
    clock.advance(SEND_RETRY_SECONDS)
    await rig.queue.step()
    assert rig.queue.paused is not None and "did not accept the API key" in rig.queue.paused
    assert await rig.queue.step() is None and not rig.queue.has_work()
    # Nothing queued is lost: the refused request did nothing, so the job waits, queued and
    # still holding its estimate, for another key or a new sign-in.
    job = rig.queue.jobs.get(job_id)
    assert job is not None and job.state is JobState.QUEUED
    assert rig.credits.committed == 2
    rig.queue.resume()
    await rig.queue.drain(timeout=30)
    assert rig.queue.progress(job_id).state is JobState.DONE


@pytest.mark.asyncio
async def test_polling_resumes_after_a_restart(db: Database, clock: Clock) -> None:
    api = FakeSeamless(research_polls=3)
    first = Rig(db, clock, api)
    [job_id] = first.queue.submit(first.queue.plan(ids(4)))
    await first.queue.step()  # sent and polled once
    job = first.queue.jobs.get(job_id)
    assert job is not None and job.state is JobState.POLLING
    request_ids = [i.request_id for i in job.items]
    # the app restarts: a new queue over the same file, the same fake server
    second = Rig(db, clock, api)
    second.queue.restore()
    await second.queue.drain(timeout=60)
    assert second.queue.progress(job_id).state is JobState.DONE
    assert api.count("research:contact") == 1  # not sent again
    polled = {rid for call, batch in api.calls if call == "poll:contact" for rid in batch}
    assert polled == set(request_ids)
    assert second.ledger.count("contact") == 4


@pytest.mark.asyncio
async def test_a_job_caught_mid_send_becomes_unknown_after_a_restart(
    db: Database, clock: Clock
) -> None:
    rig = Rig(db, clock)
    [job_id] = rig.queue.submit(rig.queue.plan(ids(2)))
    rig.queue.jobs.mark_sending(job_id, spend_seq=None, balance_before=None)  # then the app died
    again = Rig(db, clock, rig.api)
    [job] = again.queue.restore()
    assert job.state is JobState.UNKNOWN and "stopped while" in (job.error or "")
    await again.queue.step()
    assert rig.api.calls == []


def test_queued_jobs_hold_their_estimate_again_after_a_restart(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock)
    rig.queue.submit(rig.queue.plan(ids(7)))
    again = Rig(db, clock, rig.api)
    again.queue.restore()
    assert again.credits.committed == 7


# -- ETA and rate limits ------------------------------------------------------------------------------


def test_rate_limited_seconds() -> None:
    assert rate_limited_seconds(0, 60) == 0
    assert rate_limited_seconds(60, 60) == 0
    assert rate_limited_seconds(61, 60) == 60
    assert rate_limited_seconds(200, 60) == 180


@pytest.mark.asyncio
async def test_eta_accounts_for_the_poll_rate_limit(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock, FakeSeamless(research_polls=50))
    job_ids = rig.queue.submit(rig.queue.plan(ids(500)))
    await rig.queue.step()
    # 500 pending ids take 5 polls per round, and 60 polls a minute allow a round every 5 s
    progress = rig.queue.progress(job_ids[0])
    assert progress.eta_seconds is not None and progress.eta_seconds >= 5.0
    assert progress.eta_seconds % 5.0 == pytest.approx(0.0)
    # research speed observed over the next rounds lengthens the estimate accordingly
    for _ in range(3):
        clock.advance(5)
        await rig.queue.step()
    assert rig.queue.progress(job_ids[0]).eta_seconds is not None


# -- search paging with credits ---------------------------------------------------------------------


class FakeSearch:
    def __init__(self, total: int, page: int) -> None:
        self.total, self.page_size, self.calls = total, page, 0

    async def search_contacts(self, query: object) -> object:
        from app.core.seamless import ContactSearchResult, parse_search_page

        start = self.calls * self.page_size
        self.calls += 1
        n = max(0, min(self.page_size, self.total - start))
        more = start + n < self.total
        return parse_search_page(
            ContactSearchResult,
            {
                "data": [{"searchResultId": f"s{start + i}"} for i in range(n)],
                "supplementalData": {
                    "isMore": more,
                    "total": self.total,
                    "nextToken": f"t{self.calls}" if more else None,
                },
            },
        )


@pytest.mark.asyncio
async def test_search_pager_shows_the_next_page_cost_and_logs_it(
    db: Database, clock: Clock
) -> None:
    from app.core.seamless import contact_search

    rig = Rig(db, clock, daily_budget=8)
    pager = SearchPager(
        FakeSearch(total=57, page=25), rig.credits, contact_search(seniority=["VP"]), page_size=25
    )
    assert pager.can_fetch_more and pager.next_page_estimate().text == "Up to 3 credits"
    assert len(await pager.fetch_more()) == 25
    assert pager.total == 57 and pager.next_page_estimate().credits == 3
    await pager.fetch_more()
    # 7 left: at most 1 credit, and the budget has 2 left (3 + 3 spent)
    assert pager.next_page_estimate().credits == 1 and pager.check_next() is None
    await pager.fetch_more()
    assert not pager.can_fetch_more and len(pager.rows) == 57
    assert [(e.estimate, e.actual) for e in rig.ledger.spend_log()] == [(3, 3), (3, 3), (1, 1)]
    # budget exhausted for the next search
    second = SearchPager(
        FakeSearch(total=100, page=25), rig.credits, contact_search(), page_size=25
    )
    with pytest.raises(CreditsRefused):
        await second.fetch_more()


@pytest.mark.asyncio
async def test_search_is_free_under_the_free_search_rules(db: Database, clock: Clock) -> None:
    from app.core.seamless import contact_search

    rig = Rig(db, clock, rules=FREE_SEARCH_PRICING, daily_budget=0)
    pager = SearchPager(FakeSearch(total=30, page=30), rig.credits, contact_search(), page_size=30)
    assert pager.next_page_estimate().free
    await pager.fetch_more()
    assert rig.credits.spent_today() == 0


def test_account_key_id_hides_the_key() -> None:
    a = account_key_id("https://api.seamless.ai/api/client/v1/", api_key="secret-key-123")
    assert "secret-key-123" not in a and a.startswith("sl_")
    assert a == account_key_id("https://API.seamless.ai/api/client/v1", api_key="secret-key-123")
    assert a != account_key_id("http://127.0.0.1:9/api", api_key="secret-key-123")
    assert account_key_id("u", profile_id="p1") != account_key_id("u", api_key="p1")
    with pytest.raises(ValueError):
        account_key_id("u")


@pytest.mark.asyncio
async def test_company_research_goes_through_the_same_queue(db: Database, clock: Clock) -> None:
    rig = Rig(db, clock, FakeSeamless(research_polls=1))
    rig.ledger.record("company", "co1", "r", "done", {"name": "Known"}, 1, 0)
    plan = rig.queue.plan(["co1", "co2", "co3"], kind="company")
    assert plan.free == ("co1",) and plan.estimate.credits == 2
    assert "companies" in plan.confirmation()
    [job_id] = rig.queue.submit(plan)
    await rig.queue.drain(timeout=30)
    assert rig.api.count("research:company") == 1 and rig.api.count("poll:company") >= 1
    results = rig.queue.results(job_id)
    assert [r.key for r in results] == ["co2", "co3"]
    assert all(r.record is not None and r.contact is None for r in results)
    assert rig.credits.already_researched(["co2"], companies=True) == {"co2"}


@pytest.mark.asyncio
async def test_the_poll_scheduler_can_run_the_queue(db: Database, clock: Clock) -> None:
    from app.services.scheduler import PollScheduler

    rig = Rig(db, clock, FakeSeamless(research_polls=0))
    scheduler = PollScheduler(clock=clock.monotonic)
    rig.queue.attach(scheduler)
    job = scheduler.jobs["seamless-research"]
    assert 2.0 <= job.interval <= 5.0 and 2.0 <= job.background_interval <= 5.0
    rig.queue.submit(rig.queue.plan(ids(2)))
    await scheduler.run_once(job)
    assert rig.api.count("research:contact") == 1 and rig.ledger.count("contact") == 2


@pytest.mark.asyncio
async def test_a_page_loading_is_not_fetched_twice(db: Database, clock: Clock) -> None:
    import asyncio

    from app.core.seamless import contact_search

    class Slow(FakeSearch):
        async def search_contacts(self, query: object) -> object:
            await asyncio.sleep(0)
            return await super().search_contacts(query)

    rig = Rig(db, clock)
    source = Slow(total=100, page=10)
    pager = SearchPager(source, rig.credits, contact_search(), page_size=10)
    first, second = await asyncio.gather(pager.fetch_more(), pager.fetch_more())
    assert len(first) == 10 and second == [] and source.calls == 1
    assert pager.can_fetch_more and not pager.loading


@pytest.mark.asyncio
async def test_run_wakes_up_when_a_job_is_submitted(db: Database, clock: Clock) -> None:
    import asyncio

    rig = Rig(db, clock, FakeSeamless(research_polls=0))
    runner = asyncio.create_task(rig.queue.run())
    await asyncio.sleep(0)  # idle: nothing to do, waits for a submit
    assert rig.api.calls == []
    [job_id] = rig.queue.submit(rig.queue.plan(ids(3)))
    for _ in range(100):
        await asyncio.sleep(0.005)
        if rig.queue.progress(job_id).state is JobState.DONE:
            break
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert rig.queue.progress(job_id).state is JobState.DONE


def test_polls_are_paced_from_the_poll_endpoints_own_headers(db: Database, clock: Clock) -> None:
    """The poll cadence follows the poll endpoint's ``X-RateLimit-*`` budget: the fastest the
    notes allow (2 s) while what is left lasts until the reset, else what is left spread
    over the rest of the window, and nothing before the reset once it is spent."""
    from app.api.pacing import RateBudget

    budget = RateBudget("GET /contacts/research/poll", clock=clock.time)

    class Client(FakeSeamless):
        def budget(self, method: str, path: str) -> Any:  # type: ignore[override]
            assert (method, path) == ("GET", "/contacts/research/poll")
            return budget

    rig = Rig(db, clock, Client(clock=clock))
    rig.queue.poll_interval = 2.0

    def answer(remaining: int, reset_in: int) -> None:
        budget.update(
            {
                "X-RateLimit-Limit": "60",
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(int(clock.time()) + reset_in),
            }
        )

    answer(59, 60)
    assert rig.queue._cycle("contact", 100) == 2.0  # 30 polls in 60 s: plenty left
    answer(10, 60)
    assert rig.queue._cycle("contact", 100) == pytest.approx(6.0)  # 10 left for 60 s
    assert rig.queue._cycle("contact", 150) == pytest.approx(12.0)  # two polls per round
    answer(0, 40)
    assert rig.queue._cycle("contact", 100) == pytest.approx(40.0)  # spent: the reset


@pytest.mark.asyncio
async def test_a_sent_record_waiting_for_its_first_answer_says_so_in_words(
    db: Database, clock: Clock
) -> None:
    api = FakeSeamless()
    api.poll_error = [SeamlessNetworkError("offline")]  # sent, but not yet asked about
    rig = Rig(db, clock, api)
    [job_id] = rig.queue.submit(rig.queue.plan(ids(1)))
    await rig.queue.step()
    [result] = rig.queue.results(job_id)
    assert result.status == "submitted"
    assert result.text == "Sent to Seamless.AI; waiting for its first answer."
