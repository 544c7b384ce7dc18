"""Research and add to the CRM in one go, at the speed the rate limits allow.

Researching a selection and then adding it to a sub-account used to be two steps: the
push waited for the last record, then spent the CRM's write budget. Here each record is
pushed as soon as a poll brings it (``ResearchResultsArrived``), while the queue keeps
polling for the others: the CRM's write window opens seconds after the research
starts instead of after it ends, and the pushes use that window as fast as its
``X-RateLimit-*`` headers allow (``LeadPusher`` runs them in ``pacing.bulk()``), each
endpoint paced by its own budget. Records are pushed in the order they arrive, each
once; duplicates of one email are handled one after the other by the pusher.

``run`` returns when every job of the research has ended and every record that came
back has been pushed: the ``PushReport`` in the order the records were selected.
Running the research queue (``ResearchQueue.run``, the app's) is not this class's job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from app.core.seamless import ResearchedContact, parse, research_state
from app.services.bus import EventBus, LeadPushProgress, ResearchJobChanged, ResearchResultsArrived
from app.services.lead_push import LeadPusher, PushOutcome, PushReport
from app.services.research import ResearchQueue
from app.storage import JobState

log = logging.getLogger(__name__)

ENDED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.UNKNOWN})
"""Job states after which no more records will arrive without the user acting."""
IDLE_CHECK = 1.0
"""Seconds between looks at the jobs when no event came (an event is the usual wake-up)."""


class ResearchPush:
    """Pushes the records of research jobs into one sub-account as they arrive."""

    def __init__(
        self,
        queue: ResearchQueue,
        pusher: LeadPusher,
        bus: EventBus,
        *,
        tag: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.queue = queue
        self.pusher = pusher
        self.bus = bus
        self.tag = tag
        self._monotonic = monotonic
        self._wake = asyncio.Event()
        self.first_push_at: float | None = None
        """Monotonic time of the first record pushed (the overlap, for figures and tests)."""
        self.research_ended_at: float | None = None
        """Monotonic time when the last job ended."""
        self._loop: asyncio.AbstractEventLoop | None = None

    def _event(self, event: object) -> None:
        account = getattr(event, "account_key_id", None)
        if account == self.queue.account_key_id:
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._wake.set)

    async def run(
        self,
        job_ids: Sequence[int],
        *,
        timeout: float | None = None,
        on_outcome: Callable[[PushOutcome], Awaitable[None] | None] | None = None,
    ) -> PushReport:
        """Push every record of ``job_ids`` as it arrives; the report once the jobs ended and
        every record arrived was pushed (``TimeoutError`` past ``timeout``)."""
        self._loop = asyncio.get_running_loop()
        unsubscribe = [
            self.bus.subscribe(ResearchResultsArrived, self._event),
            self.bus.subscribe(ResearchJobChanged, self._event),
        ]
        order: dict[str, int] = {}
        outcomes: dict[str, PushOutcome] = {}
        started: set[str] = set()
        pushing: set[asyncio.Task[None]] = set()
        deadline = None if timeout is None else self._monotonic() + timeout
        total = 0

        async def push_one(key: str, record: ResearchedContact) -> None:
            if self.first_push_at is None:
                self.first_push_at = self._monotonic()
            report = await self.pusher.push([(key, record)], tag=self.tag)
            outcome = report.outcomes[0]
            outcomes[key] = outcome
            self.bus.publish(
                LeadPushProgress(self.pusher.contacts.scope, len(outcomes), max(total, 1))
            )
            if on_outcome is not None:
                result = on_outcome(outcome)
                if asyncio.iscoroutine(result):
                    await result

        try:
            while True:
                self._wake.clear()
                # Reading and parsing what arrived is SQLite and pydantic work: on a worker.
                ended, arrived = await asyncio.to_thread(
                    self._arrived, job_ids, frozenset(started), order
                )
                for key, contact in arrived:
                    started.add(key)
                    total = len(started)
                    task = asyncio.get_running_loop().create_task(
                        push_one(key, contact), name="research-push"
                    )
                    pushing.add(task)
                if ended and self.research_ended_at is None:
                    self.research_ended_at = self._monotonic()
                if ended:
                    break
                wait = IDLE_CHECK
                if deadline is not None:
                    wait = min(wait, max(0.0, deadline - self._monotonic()))
                    if wait <= 0:
                        raise TimeoutError("the research did not end in time")
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    pass
            if pushing:
                remaining = None if deadline is None else max(0.0, deadline - self._monotonic())
                async with asyncio.timeout(remaining):
                    await asyncio.gather(*pushing)  # a push's bug is raised, not lost
        except BaseException:
            for task in pushing:
                task.cancel()
            raise
        finally:
            for undo in unsubscribe:
                undo()
            self._loop = None
        ranked = sorted(outcomes.values(), key=lambda o: order.get(o.key, len(order)))
        return PushReport(ranked)

    def _arrived(
        self, job_ids: Sequence[int], started: frozenset[str], order: dict[str, int]
    ) -> tuple[bool, list[tuple[str, ResearchedContact]]]:
        """Whether every job ended, and the records arrived since the last look (new keys are
        numbered into ``order``: the order of the report)."""
        ended = True
        arrived: list[tuple[str, ResearchedContact]] = []
        for job_id in job_ids:
            job = self.queue.jobs.get(job_id)
            if job is None:
                continue
            if job.state not in ENDED:
                ended = False
            if job.kind != "contact":
                continue  # companies are not CRM contacts
            for item in job.items:
                key = item.search_result_id or f"request:{item.request_id or item.position}"
                order.setdefault(key, len(order))
                if key in started or not research_state(item.status).holds_record:
                    continue
                stored = self.queue.ledger.get(job.kind, key)
                if stored is None or stored.record is None:
                    continue
                arrived.append((key, parse(ResearchedContact, stored.record)))
        return ended, arrived


__all__ = ["ENDED", "ResearchPush"]
