"""The Seamless research queue: confirmed jobs of up to 100 records, sent, polled, stored.

The flow the Leads tab drives:

1. ``plan(ids)`` — the estimate for the selection: records already in the
   research ledger are free duplicates (reopened from the ledger, not sent),
   the rest cost up to one credit each; ``refusal`` says why it cannot be sent
   (balance, daily budget) before the user is even asked;
2. the user confirms ``plan.confirmation()``; ``submit(plan)`` checks again and
   stores the jobs (≤100 records each) in SQLite as ``queued``, holding their
   estimate against the balance and the budget;
3. ``step()`` (run by ``run()``, ``drain()`` or the poll scheduler via
   ``attach``) sends queued jobs — each re-checked against the balance and the
   budget first, refused with the reason instead of sent — and polls accepted
   ones every 2 s (the least the notes allow) while the poll endpoint's own
   ``X-RateLimit-*`` budget lasts that long, spread over the rest of its window
   when it would not (never a fixed interval that ignores the headers);
4. results go into the research ledger (reopening them is free), progress and
   an ETA into ``ResearchJobChanged`` events; failures and unknown statuses
   keep their status text.

A research request whose answer was lost is never resent: the job becomes
``unknown`` (its estimate stays counted as spent) and waits for the user's
``resend`` — with deduplication on, records it did research are not charged
again — or ``cancel``. After a restart ``restore()`` resumes polling with the
stored request ids; a job caught mid-send becomes ``unknown``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.credits import Action, CreditsRefused, Estimate, Refusal, estimate_research
from app.core.errors import ApiError, NetworkError, OutcomeUnknown, RateLimited
from app.core.seamless_errors import seamless_error_from
from app.core.seamless import (
    MAX_RESEARCH_RECORDS,
    CompanyPollItem,
    CompanyResearch,
    ContactPollItem,
    ContactResearch,
    ResearchedCompany,
    ResearchedContact,
    ResearchState,
    company_research,
    contact_research,
    parse,
    research_state,
    status_text,
)
from app.services.bus import EventBus, ResearchJobChanged, ResearchResultsArrived
from app.services.credits import CreditLedger, SpendTicket
from app.storage import JobState, ResearchJob, ResearchJobs, ResearchLedger
from app.storage.research_jobs import JobItem

log = logging.getLogger(__name__)

Kind = str  # "contact" | "company"
KINDS = ("contact", "company")

POLL_INTERVAL_RANGE = (2.0, 5.0)
"""Poll again in 2–5 s while records are queued or researching (docs/api/seamless.md,
"Research")."""
DEFAULT_POLL_INTERVAL = 3.0
DEFAULT_ENDPOINT_LIMIT = 60
"""Requests per minute per endpoint when the server has not said (docs/api/seamless.md,
"Rate limits & errors")."""
WINDOW_SECONDS = 60.0
SEND_RETRY_SECONDS = 10.0
"""After a research request could not be delivered, wait this long before the next try."""
NO_REQUEST_ID = "no request id"
"""Status of a record Seamless gave no request id for (a terminal failure)."""

_POLL_PATHS = {"contact": "/contacts/research/poll", "company": "/companies/research/poll"}
_RESEARCH_PATHS = {"contact": "/contacts/research", "company": "/companies/research"}


def _action(kind: Kind) -> Action:
    return Action.RESEARCH_COMPANIES if kind == "company" else Action.RESEARCH_CONTACTS


def _check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ValueError(f"research kind must be contact or company, not {kind!r}")
    return kind


def rate_limited_seconds(requests: int, limit: int, window: float = WINDOW_SECONDS) -> float:
    """The least time ``requests`` requests take under a fixed window of ``limit`` per
    ``window`` seconds, starting with a fresh window: every full window before the last."""
    if requests <= 0 or limit <= 0:
        return 0.0
    return math.floor((requests - 1) / limit) * window


@dataclass(frozen=True)
class ResearchPlan:
    """What researching a selection would do and cost (shown in the confirmation)."""

    kind: Kind
    estimate: Estimate
    send: tuple[str, ...]
    """Search result ids to research (not in the ledger)."""
    identities: tuple[dict[str, Any], ...]
    """People or companies given by identity (never free: nothing to match locally)."""
    free: tuple[str, ...]
    """Selected ids already researched: reopened from the ledger for free, not sent."""
    options: dict[str, Any]
    refusal: Refusal | None

    @property
    def batches(self) -> list[tuple[tuple[str, ...], tuple[dict[str, Any], ...]]]:
        """The jobs this plan becomes: ≤100 records each (ids first, then identities)."""
        records: list[tuple[str | None, dict[str, Any] | None]] = [(i, None) for i in self.send]
        records += [(None, p) for p in self.identities]
        result = []
        for start in range(0, len(records), MAX_RESEARCH_RECORDS):
            chunk = records[start : start + MAX_RESEARCH_RECORDS]
            ids = tuple(i for i, _ in chunk if i is not None)
            people = tuple(p for _, p in chunk if p is not None)
            result.append((ids, people))
        return result

    @property
    def sends_nothing(self) -> bool:
        """Every selected record is already researched: nothing to confirm or send."""
        return not self.send and not self.identities

    def confirmation(self) -> str:
        """The sentence the confirmation dialog shows (estimate, free duplicates, refusal)."""
        text = self.estimate.describe()
        jobs = len(self.batches)
        if jobs > 1:
            text += f" It is sent as {jobs} requests of up to {MAX_RESEARCH_RECORDS} records."
        if self.refusal is not None:
            text += f" {self.refusal.message}"
        return text


@dataclass(frozen=True)
class JobProgress:
    """One row of the queue panel."""

    job_id: int
    kind: Kind
    state: JobState
    total: int
    pending: int
    found: int
    """Records received (researched now or duplicates)."""
    duplicates: int
    failed: int
    """Ended without a record (not found, errors, unknown statuses)."""
    eta_seconds: float | None
    """Seconds until the job should be finished; None when finished or waiting for the user."""
    message: str | None
    """Why the job failed or is unknown, or a note."""
    statuses: dict[str, int] = field(default_factory=dict)
    """Count per poll status text, unknown ones included."""

    @property
    def finished(self) -> int:
        """Records that reached a final status."""
        return self.total - self.pending

    @property
    def fraction(self) -> float:
        """Progress from 0 to 1."""
        return 1.0 if self.total == 0 else self.finished / self.total

    @property
    def needs_decision(self) -> bool:
        """The request may have been sent: the user resends or cancels it."""
        return self.state is JobState.UNKNOWN


@dataclass(frozen=True)
class ResearchResult:
    """One researched record for the results table."""

    key: str
    kind: Kind
    status: str
    state: ResearchState
    text: str
    record: ResearchedContact | ResearchedCompany | None
    free: bool = False
    """Reopened from the ledger (no credit spent now)."""

    @property
    def contact(self) -> ResearchedContact | None:
        """The record when it is a contact."""
        return self.record if isinstance(self.record, ResearchedContact) else None


@dataclass
class _Throughput:
    """Observed research speed of one kind (records finished per second, smoothed)."""

    rate: float | None = None
    last_at: float | None = None

    def observe(self, finished: int, now: float) -> None:
        if self.last_at is not None and finished > 0 and now > self.last_at:
            sample = finished / (now - self.last_at)
            self.rate = sample if self.rate is None else 0.5 * self.rate + 0.5 * sample
        self.last_at = now


def _terminal(status: str) -> bool:
    return status not in ("queued", "submitted") and research_state(status).terminal


class ResearchQueue:
    """The research queue of one Seamless key owner (module docstring)."""

    def __init__(
        self,
        client: Any,
        jobs: ResearchJobs,
        ledger: ResearchLedger,
        credits: CreditLedger,
        bus: EventBus,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        low, high = POLL_INTERVAL_RANGE
        self.client = client
        self.jobs = jobs
        self.ledger = ledger
        self.credits = credits
        self.bus = bus
        self.poll_interval = min(high, max(low, poll_interval))
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._tickets: dict[int, SpendTicket] = {}
        self._throughput: dict[Kind, _Throughput] = defaultdict(_Throughput)
        self._last_poll: dict[Kind, float] = {}
        self._wake: asyncio.Event | None = None
        self._send_after: float | None = None
        """Monotonic time before which queued jobs are not sent again (offline, 429s)."""
        self.paused: str | None = None
        """Why sending and polling stopped (an invalid key, a missing license), or None."""
        self.last_error: str | None = None
        """The latest error that did not stop the queue (shown in the panel's status line)."""

    @property
    def account_key_id(self) -> str:
        """Whose queue this is."""
        return self.jobs.account_key_id

    # -- planning and confirming ------------------------------------------------------------
    def plan(
        self,
        search_result_ids: Sequence[str] = (),
        *,
        kind: Kind = "contact",
        identities: Sequence[dict[str, Any]] = (),
        skip_deduplication_check: bool = False,
        is_job_change: bool | None = None,
    ) -> ResearchPlan:
        """The estimate and the jobs for researching a selection (nothing is sent)."""
        kind = _check_kind(kind)
        unique = list(dict.fromkeys(i for i in search_result_ids if i))
        held = (
            set()
            if skip_deduplication_check
            else self.credits.already_researched(unique, companies=kind == "company")
        )
        send = tuple(i for i in unique if i not in held)
        free = tuple(i for i in unique if i in held)
        # Identities cannot be matched against the ledger: each counts as charged.
        pseudo = [f"\0identity:{n}" for n in range(len(identities))]
        estimate = estimate_research(
            self.credits.rules, [*unique, *pseudo], held, companies=kind == "company"
        )
        options: dict[str, Any] = {"skipDeduplicationCheck": skip_deduplication_check}
        if is_job_change is not None:
            options["isJobChange"] = is_job_change
        plan = ResearchPlan(
            kind, estimate, send, tuple(dict(p) for p in identities), free, options, None
        )
        if plan.sends_nothing:
            return plan
        return ResearchPlan(
            kind, estimate, send, plan.identities, free, options, self.credits.check(estimate)
        )

    def submit(self, plan: ResearchPlan) -> list[int]:
        """Queue the confirmed ``plan`` (nothing is sent here). Raises ``CreditsRefused``
        when its estimate exceeds the balance or the daily budget now, and
        ``ValidationFailed`` when a batch breaks a request rule. Returns the job ids."""
        if plan.sends_nothing:
            return []
        self.credits.require(plan.estimate)
        for ids, people in plan.batches:  # check every request before storing any job
            self._request(plan.kind, ids, people, plan.options)
        per = (
            self.credits.rules.company_research_credits
            if plan.kind == "company"
            else self.credits.rules.contact_research_credits
        )
        job_ids: list[int] = []
        for ids, people in plan.batches:
            job = self.jobs.create(
                plan.kind,
                search_result_ids=ids,
                identities=list(people),
                estimate=per * (len(ids) + len(people)),
                options=plan.options,
            )
            self.credits.hold(self._hold_key(job.id), job.estimate)
            job_ids.append(job.id)
            self._publish(job)
        self._poke()
        return job_ids

    def reopen(self, ids: Sequence[str], *, kind: Kind = "contact") -> list[ResearchResult]:
        """Stored research of ``ids`` (free: nothing is sent); ids never researched are left out."""
        kind = _check_kind(kind)
        results = []
        for key in dict.fromkeys(ids):
            stored = self.ledger.get(kind, key)
            if stored is None:
                continue
            results.append(self._result(kind, key, stored.status, stored.record, free=True))
        return results

    # -- the user's decisions -----------------------------------------------------------------
    def resend(self, job_id: int) -> ResearchJob:
        """Queue an ``unknown`` or ``failed`` job again (the user decided to). Checked
        against the balance and the budget like a new job (``CreditsRefused``)."""
        job = self._job(job_id)
        estimate = Estimate(_action(job.kind), job.estimate, job.size, job.size)
        self.credits.require(estimate)
        ticket = self._tickets.pop(job_id, None)
        if ticket is not None:
            self.credits.abandon(ticket)
        job = self.jobs.requeue(job_id)
        self._send_after = None  # the user asked for it now
        self.credits.hold(self._hold_key(job_id), job.estimate)
        self._publish(job)
        self._poke()
        return job

    def cancel(self, job_id: int) -> ResearchJob:
        """Drop a queued, unknown or failed job (an unknown one's estimate stays counted:
        it may have been charged)."""
        job = self.jobs.cancel(job_id)
        self.credits.release(self._hold_key(job_id))
        ticket = self._tickets.pop(job_id, None)
        if ticket is not None:
            self.credits.abandon(ticket)
        self._publish(job)
        return job

    def resume(self) -> None:
        """Start sending and polling again after ``paused`` (a new key was entered)."""
        self.paused = None
        self._send_after = None
        self._poke()

    # -- restart --------------------------------------------------------------------------------
    def restore(self) -> list[ResearchJob]:
        """After a start: jobs caught mid-send become ``unknown``, queued jobs hold their
        estimate again, polled jobs continue. Returns the open jobs."""
        self.jobs.recover()
        open_jobs = self.jobs.active()
        for job in open_jobs:
            if job.state is JobState.QUEUED:
                self.credits.hold(self._hold_key(job.id), job.estimate)
            elif job.state is JobState.POLLING and job.spend_seq is not None:
                # The balance across a restart says nothing reliable about this job alone.
                self._tickets[job.id] = SpendTicket(
                    job.spend_seq, _action(job.kind), job.estimate, job.balance_before, True
                )
            self._publish(job)
        self._poke()
        return open_jobs

    # -- running ------------------------------------------------------------------------------
    def has_work(self) -> bool:
        """Whether a step would send or poll something."""
        if self.paused:
            return False
        return any(j.state in (JobState.QUEUED, JobState.POLLING) for j in self.jobs.active())

    async def step(self) -> float | None:
        """Send what is queued and poll what is accepted, once. Returns the seconds until
        the next step is due (None: nothing to do until something is submitted)."""
        if self.paused:
            return None
        await self._send_queued()
        if self.paused:
            return None
        await self._poll()
        return self._next_delay()

    async def run(self) -> None:
        """Step whenever something is due, until cancelled (one owner per queue)."""
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            delay = await self.step()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def drain(self, *, timeout: float | None = None) -> None:
        """Step until nothing is left to send or poll (jobs waiting for a decision stay)."""
        deadline = None if timeout is None else self._monotonic() + timeout
        while self.has_work():
            if deadline is not None and self._monotonic() >= deadline:
                raise TimeoutError("the research queue did not finish in time")
            delay = await self.step()
            if delay:
                await self._sleep(delay)

    def attach(self, scheduler: Any) -> None:
        """Let the app's poll scheduler run the queue (every 2–5 s)."""
        low, high = POLL_INTERVAL_RANGE
        scheduler.add(
            "seamless-research",
            self._scheduled,
            interval=self.poll_interval,
            background_interval=high,
            visible=True,
        )

    async def _scheduled(self) -> None:
        await self.step()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # -- sending --------------------------------------------------------------------------------
    @staticmethod
    def _hold_key(job_id: int) -> str:
        return f"research-job:{job_id}"

    def _job(self, job_id: int) -> ResearchJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise LookupError(f"no research job {job_id}")
        return job

    def _request(
        self,
        kind: Kind,
        ids: Sequence[str],
        people: Sequence[dict[str, Any]],
        options: dict[str, Any],
    ) -> ContactResearch | CompanyResearch:
        skip = bool(options.get("skipDeduplicationCheck", False))
        if kind == "company":
            return company_research(
                list(ids) or None, companies=list(people) or None, skip_deduplication_check=skip
            )
        return contact_research(
            list(ids) or None,
            contacts=list(people) or None,
            is_job_change=options.get("isJobChange"),
            skip_deduplication_check=skip,
        )

    async def _send_queued(self) -> None:
        if self._send_after is not None and self._monotonic() < self._send_after:
            return
        self._send_after = None
        for job in self.jobs.jobs([JobState.QUEUED]):
            if not await self._send(job):
                # Offline or rate limited (the transport already retried): try again later.
                self._send_after = self._monotonic() + SEND_RETRY_SECONDS
                return

    async def _send(self, job: ResearchJob) -> bool:
        """Send one job; False when sending should stop for now."""
        hold = self._hold_key(job.id)
        estimate = Estimate(_action(job.kind), job.estimate, job.size, job.size)
        refusal = self.credits.check(estimate, exclude_hold=hold)
        if refusal is not None:
            self.credits.release(hold)
            self._publish(self.jobs.mark_failed(job.id, refusal.message))
            return True
        ids = [i.search_result_id for i in job.items if i.search_result_id]
        people = [i.identity for i in job.items if i.identity is not None]
        request = self._request(job.kind, ids, people, job.options)
        ticket = self.credits.open(estimate.action, job.estimate)
        job = self.jobs.mark_sending(
            job.id, spend_seq=ticket.seq, balance_before=ticket.balance_before
        )
        self.credits.release(hold)  # the spend log counts it from now on
        try:
            if isinstance(request, CompanyResearch):
                accepted = await self.client.research_companies(request)
            else:
                accepted = await self.client.research_contacts(request)
        except OutcomeUnknown as exc:
            self.credits.abandon(ticket)
            self._publish(self.jobs.mark_unknown(job.id, _message(exc)))
            return True
        except (RateLimited, NetworkError) as exc:
            # Refused or never delivered (the transport already waited and retried).
            self.credits.cancel(ticket)
            job = self.jobs.mark_not_sent(job.id, _message(exc))
            self.credits.hold(hold, job.estimate)
            self.last_error = _message(exc)
            self._publish(job)
            return False
        except ApiError as exc:
            self.credits.cancel(ticket)
            if exc.is_auth_failure:
                # A refused key or sign-in did nothing: the job waits, queued, for the user to
                # enter a key or sign in again (nothing queued is lost).
                job = self.jobs.mark_not_sent(job.id, _message(exc))
                self.credits.hold(hold, job.estimate)
                self._publish(job)
                self.paused = _message(exc)
                return False
            self._publish(self.jobs.mark_failed(job.id, _message(exc)))
            return True
        if len(accepted.request_ids) != job.size:
            log.warning(
                "research job %d: %d records sent, %d request ids returned",
                job.id,
                job.size,
                len(accepted.request_ids),
            )
        self._tickets[job.id] = ticket
        job = self.jobs.mark_submitted(job.id, accepted.request_ids)
        missing = [(i.position, NO_REQUEST_ID, None) for i in job.items if not i.request_id]
        if missing:
            job = self.jobs.update_items(job.id, missing)
        self._publish(job)
        if self._finished(job):
            self._complete(job)
        return True

    # -- polling --------------------------------------------------------------------------------
    async def _poll(self) -> None:
        polling = self.jobs.jobs([JobState.POLLING])
        by_kind: dict[Kind, list[tuple[int, JobItem]]] = defaultdict(list)
        for job in polling:
            for item in job.items:
                if item.request_id and not _terminal(item.status):
                    by_kind[job.kind].append((job.id, item))
        now_mono = self._monotonic()
        touched: set[int] = set()
        for kind, entries in by_kind.items():
            last = self._last_poll.get(kind)
            if last is not None and now_mono - last < self._cycle(kind, len(entries)) - 0.05:
                continue  # polled recently: wait for the interval (or the rate limit)
            self._last_poll[kind] = now_mono
            index = {item.request_id: (job_id, item) for job_id, item in entries}
            finished = 0
            for start in range(0, len(entries), MAX_RESEARCH_RECORDS):
                batch = [
                    item.request_id for _, item in entries[start : start + MAX_RESEARCH_RECORDS]
                ]
                try:
                    if kind == "company":
                        answers: Sequence[
                            ContactPollItem | CompanyPollItem
                        ] = await self.client.poll_companies([b for b in batch if b])
                    else:
                        answers = await self.client.poll_contacts([b for b in batch if b])
                except ApiError as exc:
                    self.last_error = _message(exc)
                    if exc.is_auth_failure:
                        self.paused = _message(exc)
                    log.info("research poll failed: %s", exc)
                    break
                self.last_error = None
                # A hundred records stored at once take tens of milliseconds: on a worker,
                # so the window (whose loop this is in the app) never waits for them.
                finished += await asyncio.to_thread(self._apply, kind, index, answers, touched)
            self._throughput[kind].observe(finished, self._monotonic())
        for job_id in touched:
            job = self._job(job_id)
            if self._finished(job):
                self._complete(job)
            else:
                self._publish(job)

    def _apply(
        self,
        kind: Kind,
        index: dict[str | None, tuple[int, JobItem]],
        answers: Sequence[ContactPollItem | CompanyPollItem],
        touched: set[int],
    ) -> int:
        """Store one poll answer; returns how many records reached a final status."""
        updates: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
        keys: dict[int, dict[int, str]] = defaultdict(dict)
        arrived: set[str] = set()
        finished = 0
        at = int(self._clock() * 1000)
        for answer in answers:
            found = index.get(answer.request_id)
            if found is None:
                log.info("poll answer for unknown request id %s ignored", answer.request_id)
                continue
            job_id, item = found
            status = answer.status or ""
            if status == item.status:
                continue
            updates[job_id].append((item.position, status, answer.message))
            state = answer.state
            if not state.terminal:
                continue
            finished += 1
            record = answer.record
            key = (
                item.search_result_id
                or answer.search_result_id
                or (record.key if record is not None else None)
                or f"request:{answer.request_id}"
            )
            if item.search_result_id is None:
                keys[job_id][item.position] = key  # asked by identity: where its result is
            if state.holds_record and record is not None:
                cost = (
                    self.credits.rules.contact_research_credits
                    if kind == "contact"
                    else self.credits.rules.company_research_credits
                )
                charged = cost if state is ResearchState.DONE else 0
                self.ledger.record(
                    kind, key, answer.request_id, status, record.to_wire(), charged, at
                )
                arrived.add(key)
            elif self.ledger.get(kind, key) is None:
                # Remember the failure, but never over a record the user already holds.
                self.ledger.record(kind, key, answer.request_id, status, None, 0, at)
        for job_id, changes in updates.items():
            self.jobs.update_items(job_id, changes, keys=keys.get(job_id))
            touched.add(job_id)
        if arrived:
            self.bus.publish(ResearchResultsArrived(self.account_key_id, kind, frozenset(arrived)))
        return finished

    @staticmethod
    def _finished(job: ResearchJob) -> bool:
        return all(_terminal(item.status) for item in job.items)

    def _complete(self, job: ResearchJob) -> None:
        job = self.jobs.finish(job.id)
        charged = sum(1 for i in job.items if research_state(i.status) is ResearchState.DONE)
        per = (
            self.credits.rules.company_research_credits
            if job.kind == "company"
            else self.credits.rules.contact_research_credits
        )
        ticket = self._tickets.pop(job.id, None)
        if ticket is not None:
            self.credits.settle(ticket, charged * per)
        self._publish(job)

    # -- progress -------------------------------------------------------------------------------
    def _endpoint_limit(self, kind: Kind, path: dict[str, str], method: str) -> int:
        budget_of = getattr(self.client, "budget", None)
        if budget_of is None:
            return DEFAULT_ENDPOINT_LIMIT
        budget = budget_of(method, path[kind])
        return int(budget.limit) if getattr(budget, "limit", None) else DEFAULT_ENDPOINT_LIMIT

    def _cycle(self, kind: Kind, pending_ids: int) -> float:
        """Seconds between two polls of every pending record of ``kind``, from the poll
        endpoint's own ``X-RateLimit-*`` budget: the poll interval while what is left of
        the window lasts at that pace until it resets, else what is left spread over the
        rest of the window (the whole limit over a window while nothing is known)."""
        rounds = max(1, math.ceil(pending_ids / MAX_RESEARCH_RECORDS))
        limit = self._endpoint_limit(kind, _POLL_PATHS, "GET")
        steady = max(self.poll_interval, rounds * WINDOW_SECONDS / limit)
        budget_of = getattr(self.client, "budget", None)
        budget = budget_of("GET", _POLL_PATHS[kind]) if budget_of is not None else None
        read_available = getattr(budget, "available", None)
        available = read_available() if callable(read_available) else None
        reset = getattr(budget, "reset_epoch", None)
        if not isinstance(available, int) or not isinstance(reset, int | float):
            return steady
        to_reset = max(0.0, float(reset) - self._clock())
        if available <= 0:
            return max(self.poll_interval, to_reset)
        if available >= rounds * to_reset / self.poll_interval:
            return self.poll_interval  # enough left to poll at the fastest pace until the reset
        return max(self.poll_interval, rounds * to_reset / available)

    def _next_delay(self) -> float | None:
        active = self.jobs.active()
        now = self._monotonic()
        delays = []
        if any(j.state is JobState.QUEUED for j in active):
            delays.append(0.0 if self._send_after is None else max(0.0, self._send_after - now))
        for kind in KINDS:
            pending = self._pending_ids(active, kind)
            if not pending:
                continue
            last = self._last_poll.get(kind)
            cycle = self._cycle(kind, pending)
            delays.append(0.0 if last is None else max(0.0, last + cycle - now))
        return min(delays) if delays else None

    @staticmethod
    def _pending_ids(jobs: Sequence[ResearchJob], kind: Kind) -> int:
        return sum(
            1
            for j in jobs
            if j.kind == kind and j.state is JobState.POLLING
            for i in j.items
            if i.request_id and not _terminal(i.status)
        )

    def _eta(self, job: ResearchJob, active: Sequence[ResearchJob]) -> float | None:
        if job.state not in (JobState.QUEUED, JobState.SENDING, JobState.POLLING):
            return None
        pending = sum(1 for i in job.items if not _terminal(i.status))
        if pending == 0:
            return 0.0
        cycle = self._cycle(job.kind, self._pending_ids(active, job.kind) or pending)
        rate = self._throughput[job.kind].rate
        work = cycle if rate is None else max(cycle, pending / rate)
        eta = math.ceil(work / cycle) * cycle  # results are seen only when a poll happens
        if job.state is JobState.QUEUED:
            ahead = [j for j in active if j.state is JobState.QUEUED and j.id < job.id]
            limit = self._endpoint_limit(job.kind, _RESEARCH_PATHS, "POST")
            eta += rate_limited_seconds(len(ahead) + 1, limit)
        return eta

    def progress(self, job_id: int) -> JobProgress:
        """The queue panel's row for one job."""
        return self._progress(self._job(job_id), self.jobs.active())

    def progress_all(self) -> list[JobProgress]:
        """Rows for every open job and the recent finished ones, oldest first."""
        active = self.jobs.active()
        return [self._progress(job, active) for job in self.jobs.jobs()]

    def _progress(self, job: ResearchJob, active: Sequence[ResearchJob]) -> JobProgress:
        pending = found = duplicates = failed = 0
        statuses: dict[str, int] = defaultdict(int)
        for item in job.items:
            state = research_state(item.status)
            if not _terminal(item.status):
                pending += 1
                statuses[item.status] += 1
                continue
            statuses[item.status] += 1
            if state.holds_record:
                found += 1
                duplicates += state is ResearchState.DUPLICATE
            else:
                failed += 1
        return JobProgress(
            job_id=job.id,
            kind=job.kind,
            state=job.state,
            total=job.size,
            pending=pending,
            found=found,
            duplicates=duplicates,
            failed=failed,
            eta_seconds=self._eta(job, active),
            message=job.error,
            statuses=dict(statuses),
        )

    def results(self, job_id: int) -> list[ResearchResult]:
        """Every record of a job with its status text and, when it arrived, the record."""
        job = self._job(job_id)
        results = []
        for item in job.items:
            key = item.search_result_id or f"request:{item.request_id or item.position}"
            stored = self.ledger.get(job.kind, key)
            record = stored.record if stored is not None else None
            message = item.message
            if item.status == NO_REQUEST_ID:
                message = "Seamless.AI returned no request id for this record."
            results.append(self._result(job.kind, key, item.status, record, message=message))
        return results

    def _result(
        self,
        kind: Kind,
        key: str,
        status: str,
        record: dict[str, Any] | None,
        *,
        free: bool = False,
        message: str | None = None,
    ) -> ResearchResult:
        parsed: ResearchedContact | ResearchedCompany | None = None
        if record is not None and kind == "company":
            parsed = parse(ResearchedCompany, record)
        elif record is not None:
            parsed = parse(ResearchedContact, record)
        if status in ("queued", "submitted"):
            text = (
                "Waiting to be sent."
                if status == "queued"
                else "Sent to Seamless.AI; waiting for its first answer."
            )
        else:
            text = status_text(status, message)
        return ResearchResult(key, kind, status, research_state(status), text, parsed, free)

    def _publish(self, job: ResearchJob) -> None:
        progress = self._progress(job, self.jobs.active())
        self.bus.publish(
            ResearchJobChanged(
                account_key_id=self.account_key_id,
                job_id=job.id,
                kind=job.kind,
                state=job.state.value,
                total=progress.total,
                finished=progress.finished,
                found=progress.found,
                failed=progress.failed,
                eta_seconds=progress.eta_seconds,
                message=job.error,
            )
        )


def _message(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        # Errors of the Seamless flavour name Seamless.AI and say what to do about credits.
        return seamless_error_from(exc).user_message
    return str(exc)


__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "KINDS",
    "NO_REQUEST_ID",
    "POLL_INTERVAL_RANGE",
    "SEND_RETRY_SECONDS",
    "JobProgress",
    "ResearchPlan",
    "ResearchQueue",
    "ResearchResult",
    "rate_limited_seconds",
    "CreditsRefused",
]
