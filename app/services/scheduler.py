"""The one owner of every poll: nothing else calls the API on a timer (docs/architecture.md).

Intervals adapt: a job runs at its ``interval`` while what it feeds is on
screen and at ``background_interval`` otherwise; everything slows down when
the user is idle or the window is minimised; a failing job backs off
exponentially; and the whole plan is stretched so that polling never uses
more than ``budget_share`` of the read rate limit, leaving the rest to the
user's own actions. Jobs run one at a time, so a slow answer never makes polls
pile up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

IDLE_FACTOR = 3.0
MINIMISED_FACTOR = 6.0
MAX_BACKOFF = 300.0


class StopPolling(Exception):
    """Raised by a job when polling must stop until someone resumes it (revoked key)."""


@dataclass
class PollJob:
    """One recurring poll."""

    name: str
    run: Callable[[], Awaitable[None]]
    interval: float
    background_interval: float
    visible: bool = False
    next_due: float = 0.0
    failures: int = 0
    runs: int = 0
    last_run: float | None = None
    last_error: str | None = None


@dataclass
class PollScheduler:
    """Runs poll jobs when due, adaptively, within a share of the read budget."""

    budget_probe: Callable[[], tuple[int | None, int | None]] = lambda: (None, None)
    budget_share: float = 0.25
    clock: Callable[[], float] = time.monotonic
    jobs: dict[str, PollJob] = field(default_factory=dict)
    idle: bool = False
    minimised: bool = False
    paused_reason: str | None = None
    _wake: asyncio.Event | None = None

    # -- configuration ---------------------------------------------------------------------
    def add(
        self,
        name: str,
        run: Callable[[], Awaitable[None]],
        *,
        interval: float,
        background_interval: float | None = None,
        visible: bool = False,
        run_now: bool = True,
    ) -> PollJob:
        job = PollJob(
            name,
            run,
            interval,
            background_interval or interval * 4,
            visible,
            next_due=self.clock() if run_now else self.clock() + interval,
        )
        self.jobs[name] = job
        self._poke()
        return job

    def remove(self, name: str) -> None:
        self.jobs.pop(name, None)
        self._poke()

    def clear(self) -> None:
        self.jobs.clear()
        self._poke()

    def set_visible(self, name: str, visible: bool) -> None:
        """Mark what is on screen; becoming visible makes a stale job run at once."""
        job = self.jobs.get(name)
        if job is None or job.visible == visible:
            return
        job.visible = visible
        if visible:
            job.next_due = min(job.next_due, self.clock() + 0.0)
        self._poke()

    def set_activity(self, *, idle: bool | None = None, minimised: bool | None = None) -> None:
        """The user went idle / minimised the window (or came back): re-plan every job now,
        so the rate changes at once rather than after each job's next run."""
        if idle is not None:
            self.idle = idle
        if minimised is not None:
            self.minimised = minimised
        for job in self.jobs.values():
            if job.last_run is not None:
                job.next_due = job.last_run + self.effective_interval(job)
        self._poke()

    def trigger(self, name: str) -> None:
        """Run a job as soon as possible (the user pressed refresh, a send completed...)."""
        job = self.jobs.get(name)
        if job is not None:
            job.next_due = self.clock()
            self._poke()

    def pause(self, reason: str) -> None:
        self.paused_reason = reason
        self._poke()

    def resume(self) -> None:
        self.paused_reason = None
        for job in self.jobs.values():
            job.failures = 0
            job.next_due = self.clock()
        self._poke()

    # -- the plan ----------------------------------------------------------------------------
    def base_interval(self, job: PollJob) -> float:
        interval = job.interval if job.visible else job.background_interval
        if self.minimised:
            interval *= MINIMISED_FACTOR
        elif self.idle:
            interval *= IDLE_FACTOR
        return interval

    def planned_per_minute(self) -> float:
        """Requests per minute the current plan would make (one request per run, at least)."""
        return sum(60.0 / self.base_interval(j) for j in self.jobs.values())

    def budget_scale(self) -> float:
        """How much to stretch intervals so polling stays within its share of the budget."""
        remaining, limit = self.budget_probe()
        if not limit:
            return 1.0
        allowed = limit * self.budget_share
        if remaining is not None and remaining < limit * 0.2:
            allowed = max(1.0, allowed / 4)  # someone else is using the budget: back off hard
        planned = self.planned_per_minute()
        return max(1.0, planned / allowed) if allowed > 0 else 1.0

    def effective_interval(self, job: PollJob) -> float:
        interval = self.base_interval(job) * self.budget_scale()
        if job.failures:
            interval = min(MAX_BACKOFF, interval * (2**job.failures))
        return interval

    # -- running -------------------------------------------------------------------------------
    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _next(self) -> PollJob | None:
        if self.paused_reason or not self.jobs:
            return None
        return min(self.jobs.values(), key=lambda j: j.next_due)

    async def run_once(self, job: PollJob) -> None:
        job.runs += 1
        try:
            await job.run()
        except asyncio.CancelledError:
            raise
        except StopPolling as exc:
            self.pause(str(exc) or "stopped")
            return
        except Exception as exc:
            job.failures += 1
            job.last_error = str(exc) or type(exc).__name__
            log.info("poll %s failed (%s); backing off", job.name, job.last_error)
        else:
            job.failures = 0
            job.last_error = None
        job.last_run = self.clock()
        job.next_due = job.last_run + self.effective_interval(job)

    async def run(self) -> None:
        """Run jobs as they fall due, until cancelled."""
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            job = self._next()
            if job is None:
                await self._wake.wait()
                continue
            delay = job.next_due - self.clock()
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                except TimeoutError:
                    pass
                continue  # re-plan: something may have changed while waiting
            if job.name in self.jobs:
                await self.run_once(job)
