"""Background polling of an agency's other sub-accounts, their unread counts and alerts.

An agency key is one rate-limit bucket for all of its sub-accounts
(docs/api/seedly-crm.md §11), so the budget goes where the user looks. The open
sub-account's ``Session`` polls as it always did (its inbox fast while the window is
active); this watcher polls the conversations of every *other included* sub-account,
one request at a time, on a round-robin paced by what the open one leaves of the
polling share of the read limit (``background_interval``). Each sub-account is read
through its own client view (``client.for_sub_account``) into its own cache partition,
by its own ``SyncService``: nothing of one is ever written into another's partition.

- **Budget.** Polling as a whole stays within ``PollPlan.polling_share`` of the key's
  read limit; the others get what the open sub-account's plan does not use (at least
  ``MIN_BACKGROUND_SHARE``), split evenly, and never more often than
  ``PollPlan.others_interval``. When the window's reads run low the round slows down
  fourfold; a 429 (which the transport already waits out once, ``Retry-After``) stops
  the round for the time it says.
- **On demand.** ``catch_up()`` polls every included sub-account at once (the merged view
  opening), still paced by the transport.
- **Outbox.** A sub-account left with queued or unknown replies (a reply queued just
  before a switch) has them sent by an ``OutboxSender`` on its partition, once: the
  watcher never works on the open sub-account, and ``hold`` (before a switch) waits for a
  send in progress on the target to end before its session's own sender starts.
- **Events.** ``ConversationsChanged`` with the sub-account's ``ScopeKey`` (from its
  sync), ``InboundArrived`` for new inbound messages of a background sub-account,
  ``UnreadCounts`` per sub-account from the caches, ``PollBudgetChanged`` for the
  status bar.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import ApiError, KeyExpired, KeyRevoked, RateLimited
from app.services.bus import (
    ConversationsChanged,
    EventBus,
    InboundArrived,
    PollBudgetChanged,
    ScopeKey,
    UnreadCounts,
)
from app.services.outbox import OutboxSender
from app.services.scheduler import MAX_BACKOFF
from app.services.session import PollPlan
from app.services.sync import Stale, SyncService
from app.settings.profiles import SubAccountRef
from app.storage import (
    ConversationFilters,
    ConversationView,
    Database,
    Partition,
    StorageError,
    to_ms,
)

log = logging.getLogger(__name__)

MIN_BACKGROUND_SHARE = 0.05
"""The others' floor, as a share of the read limit, however much the open one plans."""
LOW_BUDGET = 0.2
"""Below this share of the window left, the round slows down fourfold."""
RATE_LIMITED_WAIT = 30.0
"""How long the round stops after a 429 that gave no ``Retry-After``."""
UNREAD_DELAY = 0.3
"""Changes of the open sub-account are counted again at most this often (seconds)."""

Included = Sequence[tuple[SubAccountRef, bool]]


def background_interval(
    *,
    limit: int | None,
    remaining: int | None,
    open_per_minute: float,
    lanes: int,
    share: float,
    floor: float,
) -> float:
    """Seconds between two polls of one of ``lanes`` background sub-accounts.

    They share what the open sub-account's ``open_per_minute`` leaves of ``share`` of the
    key's ``limit`` (reads a minute; at least ``MIN_BACKGROUND_SHARE`` of it), a quarter
    of that while fewer than ``LOW_BUDGET`` of the window's reads are ``remaining``, and
    are never polled more often than every ``floor`` seconds."""
    if lanes <= 0:
        return math.inf
    if not limit:
        return floor
    allowed = max(limit * share - open_per_minute, limit * MIN_BACKGROUND_SHARE)
    if remaining is not None and remaining < limit * LOW_BUDGET:
        allowed = max(1.0, allowed / 4)
    return max(floor, 60.0 * lanes / allowed)


@dataclass
class Lane:
    """One background sub-account: its cache, client view, sync, sender and poll times."""

    ref: SubAccountRef
    notify: bool
    scope: ScopeKey
    partition: Partition
    sync: SyncService
    sender: OutboxSender
    next_due: float
    outbox_due: float | None = None
    """When its outbox wants another pass (None: nothing pending as far as known)."""
    baseline: int | None = None
    """Activity (epoch ms) already known when watching began: not news (None: unknown
    yet, the first poll sets it)."""
    known: dict[str, int] = field(default_factory=dict)
    polls: int = 0
    failures: int = 0
    last_poll: float | None = None
    last_error: str | None = None

    def due(self) -> float:
        """When this lane wants to run next (its poll or its outbox, whichever is first)."""
        if self.outbox_due is None:
            return self.next_due
        return min(self.next_due, self.outbox_due)


def _newest_ms(partition: Partition) -> int | None:
    newest = partition.conversations.list_conversations(
        ConversationView.all(), ConversationFilters(include_archived=True), limit=1
    )
    return to_ms(newest[0].get("lastMessageAt")) if newest else None


class AgencyWatch:
    """Polls the other included sub-accounts of one agency connection (see the module
    docstring). ``run()`` until cancelled; ``stop()`` ends it."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        client: Any,
        *,
        profile_id: str,
        deployment: str,
        included: Callable[[], Included],
        open_sub_account: Callable[[], str | None],
        open_per_minute: Callable[[], float],
        read_budget: Callable[[], tuple[int | None, int | None]],
        plan: PollPlan = PollPlan(),
        sender_options: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``included``: the sub-accounts to watch and whether each notifies;
        ``open_sub_account``: the one the session has open (never polled here);
        ``open_per_minute``: reads a minute the open one's plan makes; ``read_budget``:
        (left, limit) of the key's read window."""
        self.db = db
        self.bus = bus
        self.client = client
        self.profile_id = profile_id
        self.deployment = deployment
        self.plan = plan
        self.sender_options = sender_options or {}
        self.clock = clock
        self._included = included
        self._open_sub_account = open_sub_account
        self._open_per_minute = open_per_minute
        self._read_budget = read_budget
        self.lanes: dict[str, Lane] = {}
        self._order: list[str] = []
        self._held: set[str] = set()
        self._wake = asyncio.Event()
        self._current: tuple[str, str, asyncio.Task[Any]] | None = None
        self._held_cancel: asyncio.Task[Any] | None = None
        self._last_open: str | None = None
        self._paused_until: float | None = None
        self._generation = 0
        self._unread: dict[str, int] = {}
        self._unread_task: asyncio.Task[None] | None = None
        self._rounds: asyncio.Event = asyncio.Event()
        self.stopped: str | None = None
        """Why the watcher stopped for good (the key failed), or None."""
        self.last_budget: PollBudgetChanged | None = None
        self.requests: dict[str, int] = {}
        """Polls and sends per sub-account since start (diagnostics and benches)."""
        self._unsubscribe = bus.subscribe(ConversationsChanged, self._on_conversations)
        self.reconfigure()

    # -- configuration -------------------------------------------------------------------------
    def _open(self) -> str | None:
        return self._open_sub_account()

    def _excluded(self, sub_account_id: str) -> bool:
        return sub_account_id == self._open() or sub_account_id in self._held

    def reconfigure(self) -> None:
        """Re-read which sub-accounts are included (the settings or the list changed):
        new ones are polled soon, removed ones no more (their pending replies still go)."""
        wanted = list(self._included())
        now = self.clock()
        floor = self.plan.others_interval
        kept: dict[str, Lane] = {}
        for position, (ref, notify) in enumerate(wanted):
            lane = self.lanes.get(ref.id)
            if lane is None:
                lane = self._lane(ref, notify)
                # Spread the first round over one interval rather than a burst at start.
                lane.next_due = now + floor * (position + 1) / (len(wanted) + 1)
            lane.ref, lane.notify = ref, notify
            kept[ref.id] = lane
        for sub_id, lane in self.lanes.items():
            if sub_id not in kept and lane.outbox_due is not None:
                kept[sub_id] = lane  # not watched any more, but its replies still go out
        self.lanes = kept
        self._order = [ref.id for ref, _ in wanted]
        self._poke()

    def _lane(self, ref: SubAccountRef, notify: bool) -> Lane:
        scope = ScopeKey(self.deployment, ref.id)
        partition = self.db.partition(self.deployment, ref.id)
        view = self.client.for_sub_account(ref.id) if self.client.is_agency else self.client
        generation = self._generation
        sub_id = ref.id

        def current() -> bool:
            return self._generation == generation and not self._excluded(sub_id)

        sync = SyncService(partition, view, self.bus, scope, current)
        sender = OutboxSender(
            partition.outbox,
            view,
            self.bus,
            scope,
            messages=partition.messages,
            **self.sender_options,
        )
        return Lane(ref, notify, scope, partition, sync, sender, next_due=math.inf)

    # -- the switch ------------------------------------------------------------------------------
    async def hold(self, sub_account_id: str) -> None:
        """Before ``sub_account_id`` opens: stop working on it. A poll of it is cancelled; a
        send in progress is waited for (its outcome must be recorded before the session's
        own sender looks at the outbox)."""
        self._held.add(sub_account_id)
        current = self._current
        if current is None or current[0] != sub_account_id:
            return
        _sub, kind, task = current
        if kind == "poll":
            self._held_cancel = task
            task.cancel()
        # ``wait`` neither raises the task's failure nor cancels it if the caller is.
        await asyncio.wait([task])

    def opened(self, sub_account_id: str | None) -> None:
        """The session now has ``sub_account_id`` open: every other included one is polled
        here, and one left with pending replies has them sent at once."""
        self._held.clear()
        now = self.clock()
        previous, self._last_open = self._last_open, sub_account_id
        if previous and previous != sub_account_id and previous not in self.lanes:
            # Not watched (not included), but replies queued there must still go out.
            lane = self._lane(SubAccountRef(id=previous, name=previous), False)
            self.lanes[previous] = lane
        for sub_id, lane in self.lanes.items():
            if sub_id == sub_account_id:
                lane.baseline = None  # the session's notifier takes over; new baseline later
                lane.known.clear()
                continue
            if lane.baseline is None:
                lane.next_due = min(lane.next_due, now + self.plan.others_interval)
            try:
                pending = bool(lane.partition.outbox.pending())
            except StorageError:
                pending = True
            if pending:
                lane.outbox_due = now
        self._poke()
        self._count_unread_soon()

    # -- on demand -------------------------------------------------------------------------------
    async def catch_up(self, timeout: float = 60.0) -> bool:
        """Poll every included background sub-account now (the merged view opens); returns
        once each was polled (True) or after ``timeout`` seconds (False)."""
        now = self.clock()
        wanted = {s for s in self.lanes if s in self._order and not self._excluded(s)}
        for sub_id in wanted:
            self.lanes[sub_id].next_due = now
        self._poke()
        deadline = time.monotonic() + timeout
        while True:
            done = all(
                (lane := self.lanes.get(s)) is None
                or (lane.last_poll is not None and lane.last_poll >= now)
                or self._excluded(s)
                for s in wanted
            )
            if done or self.stopped:
                return done
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._rounds.clear()
            try:
                await asyncio.wait_for(self._rounds.wait(), timeout=left)
            except TimeoutError:
                return False

    # -- the plan ----------------------------------------------------------------------------------
    def interval(self) -> float:
        """Seconds between two polls of one background sub-account now."""
        remaining, limit = self._read_budget()
        watched = [s for s in self._order if s in self.lanes and not self._excluded(s)]
        return background_interval(
            limit=limit,
            remaining=remaining,
            open_per_minute=self._open_per_minute(),
            lanes=len(watched),
            share=self.plan.polling_share,
            floor=self.plan.others_interval,
        )

    def budget(self) -> PollBudgetChanged:
        """How polling spends the read budget now (the status bar's figures)."""
        _remaining, limit = self._read_budget()
        watched = [s for s in self._order if s in self.lanes and not self._excluded(s)]
        cycle = self.interval() if watched else None
        per_minute = 60.0 * len(watched) / cycle if cycle and math.isfinite(cycle) else 0.0
        waiting = None
        if self._paused_until is not None:
            waiting = max(0.0, self._paused_until - self.clock()) or None
        return PollBudgetChanged(
            self.profile_id,
            limit,
            round(self._open_per_minute(), 1),
            round(per_minute, 1),
            len(watched),
            round(cycle, 1) if cycle is not None and math.isfinite(cycle) else None,
            round(waiting, 1) if waiting else None,
        )

    def _publish_budget(self) -> None:
        budget = self.budget()
        if budget != self.last_budget:
            self.last_budget = budget
            self.bus.publish(budget)

    # -- running -----------------------------------------------------------------------------------
    def _poke(self) -> None:
        self._wake.set()

    def _next(self) -> Lane | None:
        candidates = [
            lane
            for sub_id, lane in self.lanes.items()
            if not self._excluded(sub_id) and (sub_id in self._order or lane.outbox_due)
        ]
        return min(candidates, key=Lane.due, default=None)

    async def run(self) -> None:
        """Poll as sub-accounts fall due, one request at a time, until cancelled or the
        key fails."""
        self.reconfigure()
        self.opened(self._open())
        await self._count_unread(list(self.lanes) + [s for s in [self._open()] if s])
        self._publish_budget()
        while self.stopped is None:
            self._wake.clear()
            now = self.clock()
            if self._paused_until is not None and now < self._paused_until:
                await self._sleep(self._paused_until - now)
                continue
            self._paused_until = None
            lane = self._next()
            if lane is None:
                await self._wake.wait()
                continue
            delay = lane.due() - now
            if delay > 0:
                await self._sleep(delay)
                continue  # re-plan: something may have changed meanwhile
            await self._work(lane)
            self._publish_budget()
            self._rounds.set()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, seconds))
        except TimeoutError:
            pass

    async def _work(self, lane: Lane) -> None:
        now = self.clock()
        if lane.outbox_due is not None and lane.outbox_due <= now:
            await self._step(lane, "outbox", self._drain(lane))
        if lane.next_due <= self.clock() and lane.ref.id in self._order:
            await self._step(lane, "poll", self._poll(lane))

    async def _step(self, lane: Lane, kind: str, work: Any) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        self._current = (lane.ref.id, kind, task)
        try:
            await task
        except asyncio.CancelledError:
            if self._held_cancel is not task:
                raise  # the watcher itself is being cancelled
            # ``hold`` cancelled a poll of a sub-account that is opening: nothing more.
        finally:
            self._current = None
            self._held_cancel = None

    async def _drain(self, lane: Lane) -> None:
        sub_id = lane.ref.id
        self.requests[sub_id] = self.requests.get(sub_id, 0) + 1
        try:
            wait = await lane.sender.drain()
            pending = await asyncio.to_thread(lane.partition.outbox.pending)
        except (KeyRevoked, KeyExpired) as exc:
            self._stop(exc)
            return
        except Exception as exc:
            # StopPolling (a key failure seen by the sender) or a cache problem: try later.
            log.info("sending the outbox of %s failed: %s", sub_id, exc)
            lane.outbox_due = self.clock() + self.plan.others_interval
            return
        lane.outbox_due = self.clock() + wait if pending else None

    async def _poll(self, lane: Lane) -> None:
        sub_id = lane.ref.id
        self.requests[sub_id] = self.requests.get(sub_id, 0) + 1
        lane.polls += 1
        try:
            if lane.baseline is None:
                lane.baseline = await asyncio.to_thread(_newest_ms, lane.partition)
                fresh_start = True
            else:
                fresh_start = False
            changed = await lane.sync.refresh_conversations()
            docs, unread = await asyncio.to_thread(self._read_changes, lane, changed)
        except Stale:
            return
        except (KeyRevoked, KeyExpired) as exc:
            self._stop(exc)
            return
        except RateLimited as exc:
            self._paused_until = self.clock() + (exc.retry_after or RATE_LIMITED_WAIT)
            self._failed(lane, exc)
            return
        except (ApiError, StorageError) as exc:
            self._failed(lane, exc)
            return
        lane.failures = 0
        lane.last_error = None
        lane.last_poll = self.clock()
        lane.next_due = lane.last_poll + self.interval()
        if fresh_start and lane.baseline is None:
            # The first walk of this sub-account brought its history: none of it is news.
            lane.baseline = await asyncio.to_thread(_newest_ms, lane.partition) or 0
            docs = []
        self._set_unread(sub_id, unread)
        fresh = self._news(lane, docs)
        if fresh:
            self.bus.publish(InboundArrived(lane.scope, lane.ref.name, tuple(fresh), lane.notify))

    def _read_changes(self, lane: Lane, changed: set[str]) -> tuple[list[dict[str, Any]], int]:
        """On a worker: the changed conversations' documents and the unread total."""
        repo = lane.partition.conversations
        docs = [d for d in (repo.get_conversation(c) for c in sorted(changed)) if d is not None]
        return docs, repo.unread_total()

    def _news(self, lane: Lane, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Conversations whose newest message is inbound and newer than what was known."""
        fresh: list[tuple[int, dict[str, Any]]] = []
        baseline = lane.baseline or 0
        for doc in docs:
            conversation_id = str(doc.get("id"))
            last = to_ms(doc.get("lastMessageAt"))
            if last is None:
                continue
            before = lane.known.get(conversation_id, baseline)
            lane.known[conversation_id] = max(last, before)
            if last > before and doc.get("lastMessageDirection") == "inbound":
                fresh.append((last, doc))
        return [doc for _, doc in sorted(fresh, key=lambda item: item[0], reverse=True)]

    def _failed(self, lane: Lane, exc: Exception) -> None:
        lane.failures += 1
        lane.last_error = str(exc) or type(exc).__name__
        lane.last_poll = self.clock()
        interval = self.interval()
        lane.next_due = lane.last_poll + min(MAX_BACKOFF, interval * 2**lane.failures)
        log.info("background poll of %s failed (%s); backing off", lane.ref.id, lane.last_error)

    def _stop(self, exc: ApiError) -> None:
        # The session's own polls report the key (``KeyProblem``); the watcher just stops.
        self.stopped = exc.user_message
        self._poke()

    # -- unread counts -------------------------------------------------------------------------------
    def _on_conversations(self, event: ConversationsChanged) -> None:
        open_sub = self._open()
        if open_sub is not None and event.scope == ScopeKey(self.deployment, open_sub):
            self._count_unread_soon()

    def _count_unread_soon(self) -> None:
        if self._unread_task is not None and not self._unread_task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        async def later() -> None:
            await asyncio.sleep(UNREAD_DELAY)
            open_sub = self._open()
            await self._count_unread([open_sub] if open_sub else [])

        self._unread_task = loop.create_task(later(), name="agency-watch:unread")

    async def _count_unread(self, sub_ids: list[str]) -> None:
        def count() -> dict[str, int]:
            out = {}
            for sub_id in sub_ids:
                try:
                    partition = self.db.partition(self.deployment, sub_id)
                    out[sub_id] = partition.conversations.unread_total()
                except StorageError as exc:
                    log.warning("could not count the unread of %s: %s", sub_id, exc)
            return out

        for sub_id, n in (await asyncio.to_thread(count)).items():
            self._unread[sub_id] = n
        self.publish_unread()

    def _set_unread(self, sub_id: str, count: int) -> None:
        if self._unread.get(sub_id) != count:
            self._unread[sub_id] = count
            self.publish_unread()

    def unread_counts(self) -> UnreadCounts:
        """Unread per sub-account (the open one and the included ones), from the caches."""
        open_sub = self._open()
        included = list(self._included())
        order = [ref.id for ref, _ in included]
        if open_sub is not None and open_sub not in order:
            order.insert(0, open_sub)
        notify = {ref.id for ref, on in included if on}
        if open_sub is not None:
            notify.add(open_sub)
        counts = tuple((s, self._unread[s]) for s in order if s in self._unread)
        return UnreadCounts(self.profile_id, counts, frozenset(notify))

    def publish_unread(self) -> None:
        """Publish ``UnreadCounts`` as the caches say now."""
        self.bus.publish(self.unread_counts())

    # -- ending ------------------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop listening; the task running ``run`` is cancelled by its owner."""
        self._generation += 1
        self._unsubscribe()
        task = self._unread_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


__all__ = ["AgencyWatch", "Lane", "background_interval"]
