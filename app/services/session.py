"""The active profile and sub-account, and everything that runs for them.

Switching sub-account (one click for agency operators) does, in order:
1. bump the generation, so every in-flight task of the old sub-account sees
   ``is_current()`` turn false and drops what it fetched;
2. close the old task scope (cancelling its polls, sync and outbox sender);
3. swap the cache partition and publish ``SessionChanged`` (views clear and
   show the new partition's cached data at once);
4. start the new scope's scheduler, sync and sender.

A revoked or expired key stops polling and the sender with one ``KeyProblem``
event; nothing queued is lost, and ``replace_key`` resumes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from app.core.errors import ApiError, KeyExpired, KeyRevoked
from app.services.bus import (
    BudgetChanged,
    EventBus,
    KeyProblem,
    ScopeKey,
    SessionChanged,
    SyncStatus,
)
from app.services.outbox import OutboxSender
from app.services.scheduler import PollScheduler, StopPolling
from app.services.sync import Stale, SyncService
from app.services.tasks import TaskScope
from app.services.webhooks import refresh_subscriptions
from app.storage import Database, Partition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollPlan:
    """Poll intervals in seconds: (while on screen, otherwise)."""

    inbox: tuple[float, float] = (2.5, 30.0)
    """The open sub-account's inbox: every 2.5 s while it is on screen and the user active
    (an inbound message shows within 3 s), stretched when idle or minimised."""
    thread: tuple[float, float] = (5.0, 30.0)
    contacts: tuple[float, float] = (60.0, 300.0)
    appointments: tuple[float, float] = (60.0, 600.0)
    webhooks: tuple[float, float] = (60.0, 900.0)
    reconcile: float = 1800.0
    calendars: float = 600.0
    """Calendars and appointment types change rarely: read at open, then this often."""
    others: float | None = None
    """An agency's other included sub-accounts: the shortest interval between two polls
    of one of them (None: the open inbox's off-screen interval); the read budget
    stretches it (``app/services/agency_watch.py``)."""
    open_share: float = 0.35
    """Share of the key's read limit the open sub-account's polls may use."""
    polling_share: float = 0.6
    """Share of the read limit all polling may use (the open sub-account first, the others
    with the rest); what is left is the user's own reads."""

    @property
    def others_interval(self) -> float:
        """The shortest interval between two polls of a background sub-account."""
        return self.others if self.others is not None else self.inbox[1]


class Session:
    """One profile's connection and the sub-account it is working on."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        client: Any,
        *,
        profile_id: str,
        deployment: str,
        plan: PollPlan = PollPlan(),
        sender_options: dict[str, Any] | None = None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.client = client
        self.profile_id = profile_id
        self.deployment = deployment
        self.plan = plan
        self.sender_options = sender_options or {}
        self.generation = 0
        self.scope_key: ScopeKey | None = None
        self.partition: Partition | None = None
        self.view: Any = None  # the client view scoped to the sub-account
        self.sync: SyncService | None = None
        self.sender: OutboxSender | None = None
        self.scheduler: PollScheduler | None = None
        self.tasks: TaskScope | None = None
        self.key_problem: KeyProblem | None = None
        self.open_thread: str | None = None
        self._appointment_windows: dict[str, tuple[int, int]] = {}
        """Per sub-account, the window its last appointments poll covered (kept across
        switches so a return to it still tells what changed meanwhile)."""
        self._switch_lock = asyncio.Lock()
        client.transport.on_budget(self._budget_changed)

    # -- switching ------------------------------------------------------------------------
    def is_current(self, generation: int) -> bool:
        return generation == self.generation

    async def switch(self, sub_account_id: str, *, start: bool = True) -> ScopeKey:
        """Make ``sub_account_id`` the active one (see the module docstring)."""
        async with self._switch_lock:
            self.generation += 1
            generation = self.generation
            old = self.tasks
            self.tasks = None
            if old is not None:
                await old.close()
            self._keep_appointment_window()
            scope = ScopeKey(self.deployment, sub_account_id)
            self.scope_key = scope
            self.partition = self.db.partition(self.deployment, sub_account_id)
            self.view = (
                self.client.for_sub_account(sub_account_id)
                if self.client.is_agency
                else self.client
            )
            current = lambda: self.is_current(generation)  # noqa: E731
            self.sync = SyncService(self.partition, self.view, self.bus, scope, current)
            self.sync.appointments_window = self._appointment_windows.get(sub_account_id)
            self.sender = OutboxSender(
                self.partition.outbox,
                self.view,
                self.bus,
                scope,
                messages=self.partition.messages,
                **self.sender_options,
            )
            self.scheduler = PollScheduler(
                budget_probe=self._read_budget, budget_share=self.plan.open_share
            )
            self.tasks = TaskScope(f"sub:{sub_account_id}:{generation}")
            self.open_thread = None
            self.bus.publish(SessionChanged(self.profile_id, scope, generation))
            if start and self.key_problem is None:
                self._start(generation)
            return scope

    def _start(self, generation: int) -> None:
        assert self.tasks is not None and self.scheduler is not None and self.sync is not None
        sync, scheduler, plan = self.sync, self.scheduler, self.plan
        # Calendars first: two small reads a booking screen needs (their rules), done before
        # a long first walk of the contacts; the appointments poll reads them too when it
        # runs before this job did.
        scheduler.add(
            "calendars",
            self._guard(generation, sync.refresh_calendars),
            interval=plan.calendars,
            background_interval=plan.calendars,
        )
        scheduler.add(
            "inbox",
            self._guard(generation, sync.refresh_conversations),
            interval=plan.inbox[0],
            background_interval=plan.inbox[1],
        )
        scheduler.add(
            "contacts",
            self._guard(generation, sync.refresh_contacts),
            interval=plan.contacts[0],
            background_interval=plan.contacts[1],
        )
        scheduler.add(
            "appointments",
            self._guard(generation, sync.poll_appointments),
            interval=plan.appointments[0],
            background_interval=plan.appointments[1],
            run_now=False,
        )
        scheduler.add(
            "reconcile",
            self._guard(generation, self._reconcile),
            interval=plan.reconcile,
            background_interval=plan.reconcile,
            run_now=False,
        )
        partition, view, scope = self.partition, self.view, self.scope_key
        assert partition is not None and scope is not None

        async def refresh_webhooks() -> None:
            await refresh_subscriptions(
                partition, view, self.bus, scope, lambda: self.is_current(generation)
            )

        # Not at once: the Webhooks tab asks for it when shown (set_visible).
        scheduler.add(
            "webhooks",
            self._guard(generation, refresh_webhooks),
            interval=plan.webhooks[0],
            background_interval=plan.webhooks[1],
            run_now=False,
        )
        self.tasks.spawn(scheduler.run(), "scheduler")
        self.tasks.spawn(self._run_sender(generation), "outbox")

    def _guard(self, generation: int, job: Any) -> Any:
        """Wrap a poll: stale results are dropped; key failures stop polling with one event."""

        async def run() -> None:
            if not self.is_current(generation):
                return
            self._status("syncing")
            try:
                await job()
            except Stale:
                return
            except (KeyRevoked, KeyExpired) as exc:
                self._key_failed(exc)
                raise StopPolling(exc.user_message) from exc
            except ApiError as exc:
                self._status("error", exc.user_message)
                raise
            self._status("idle")

        return run

    async def _reconcile(self) -> None:
        assert self.sync is not None
        await self.sync.full_contacts()
        await self.sync.full_conversations()

    async def _run_sender(self, generation: int) -> None:
        assert self.sender is not None
        try:
            await self.sender.run()
        except StopPolling as exc:
            # The sender stops on a key failure (its items stay queued); report it once,
            # exactly as a failing poll would.
            cause = exc.__cause__
            if self.is_current(generation) and isinstance(cause, ApiError):
                self._key_failed(cause)

    # -- what is on screen -------------------------------------------------------------------
    def set_visible(self, area: str, visible: bool) -> None:
        if self.scheduler is not None:
            self.scheduler.set_visible(area, visible)

    def open_conversation(self, conversation_id: str | None) -> None:
        """Poll the open thread fast; stop polling the previous one."""
        if self.scheduler is None or self.sync is None:
            return
        if self.open_thread:
            self.scheduler.remove(f"thread:{self.open_thread}")
        self.open_thread = conversation_id
        if conversation_id:
            sync, sender, generation = self.sync, self.sender, self.generation

            async def refresh() -> None:
                docs = await sync.refresh_thread(conversation_id)
                if sender is not None:
                    sender.follow_statuses(docs)

            self.scheduler.add(
                f"thread:{conversation_id}",
                self._guard(generation, refresh),
                interval=self.plan.thread[0],
                background_interval=self.plan.thread[1],
                visible=True,
            )

    # -- keys --------------------------------------------------------------------------------
    def _key_failed(self, exc: ApiError) -> None:
        if self.key_problem is not None:
            return
        self.key_problem = KeyProblem(
            self.profile_id, exc.code or type(exc).__name__, exc.user_message
        )
        if self.scheduler is not None:
            self.scheduler.pause(exc.user_message)
        self._status("paused", exc.user_message)
        self.bus.publish(self.key_problem)

    async def replace_key(self, api_key: str) -> None:
        """Use a new key; polling and the sender resume where they stopped."""
        self.client.set_api_key(api_key)
        self.key_problem = None
        if self.scope_key is not None:
            await self.switch(self.scope_key.sub_account_id)

    # -- status ------------------------------------------------------------------------------
    def _status(self, state: str, message: str | None = None) -> None:
        last = self.sync.last_success_ms if self.sync is not None else None
        self.bus.publish(SyncStatus(self.scope_key, state, last, message))

    def planned_per_minute(self) -> float:
        """Reads a minute the open sub-account's polls make now (their plan, stretched to
        its budget share); 0 while nothing runs."""
        scheduler = self.scheduler
        if scheduler is None or self.tasks is None or scheduler.paused_reason:
            return 0.0
        return scheduler.planned_per_minute() / scheduler.budget_scale()

    def read_budget(self) -> tuple[int | None, int | None]:
        """(reads left in the window, the limit) of the key, None while unknown."""
        return self._read_budget()

    def _read_budget(self) -> tuple[int | None, int | None]:
        budget = self.client.transport.budgets.get("read")
        if budget is None:
            return None, None
        return budget.available(), budget.limit

    def _budget_changed(self, bucket: str, budget: Any) -> None:
        self.bus.publish(BudgetChanged(bucket, budget.available(), budget.limit))

    def _keep_appointment_window(self) -> None:
        sync = self.sync
        if sync is not None and sync.appointments_window is not None:
            self._appointment_windows[sync.scope.sub_account_id] = sync.appointments_window

    async def close(self) -> None:
        """Stop everything of this session (the client is closed by its owner)."""
        self.generation += 1
        if self.tasks is not None:
            await self.tasks.close()
            self.tasks = None
