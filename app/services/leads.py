"""The lead-search side of the workspace: one Seamless connection, its credit meter,
research queue and the push into Seedly sub-accounts.

``LeadsService`` is built by the workspace (the app's one per run). ``connect``
opens the Seamless client for a key (the demo's from the sandbox, the user's
from the keyring), checks it by reading the balance (free), restores the
research jobs a previous run left and starts the queue. The Leads tab works
through ``client``, ``credits`` (the meter, estimates and budget), ``queue``
(research jobs) and ``pusher_for`` (a ``LeadPusher`` into the sub-account the
user picks, which need not be the one open in the Contacts tab).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from app.api.seamless import SeamlessClient
from app.core.credits import RULE_SETS, PricingRules
from app.core.errors import ApiError
from app.services.bus import EventBus
from app.services.credits import CreditLedger, account_key_id
from app.services.lead_push import LeadPusher
from app.services.research import ResearchQueue
from app.settings.profiles import SeamlessSettings
from app.storage import Database

log = logging.getLogger(__name__)

RESTORE_DAYS = 90
"""How far back the ledger is rebuilt from the org's researched records at connect."""

SeamlessFactory = Callable[..., Any]


class LeadsNotConnected(RuntimeError):
    """A lead action needs a Seamless connection and there is none."""


class LeadsService:
    """One Seamless connection and what runs for it (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        contact_service_for: Callable[[str], Any],
        *,
        client_factory: SeamlessFactory = SeamlessClient,
        poll_interval: float = 3.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.contact_service_for = contact_service_for
        self._client_factory = client_factory
        self._poll_interval = poll_interval
        self.settings: SeamlessSettings | None = None
        self.client: Any = None
        self.credits: CreditLedger | None = None
        self.queue: ResearchQueue | None = None
        self.problem: str | None = None
        """Why the connection does not work (an invalid key, no license), or None."""
        self._detach_credits: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def connected(self) -> bool:
        """Whether a client, meter and queue are ready (the key may still be refused)."""
        return self.client is not None and self.queue is not None

    def rules_for(self, settings: SeamlessSettings) -> PricingRules:
        """The pricing rules the settings name; the default ones (docs/api/seamless.md,
        "Credits") when the name is unknown."""
        return RULE_SETS.get(settings.pricing, RULE_SETS["article"])

    async def connect(self, settings: SeamlessSettings, api_key: str) -> None:
        """Open the connection for ``api_key``; a key the server refuses is reported in
        ``problem`` (the meter and the queue exist anyway: restored jobs are shown)."""
        await self.close()
        self.settings = settings
        client = self._client_factory(settings.base_url, api_key=api_key)
        owner = account_key_id(settings.base_url, profile_id=settings.id)
        ledger = self.db.research_ledger(owner)
        credits = CreditLedger(
            ledger, self.bus, rules=self.rules_for(settings), daily_budget=settings.daily_budget
        )
        self._detach_credits = credits.attach(client)
        queue = ResearchQueue(
            client,
            self.db.research_jobs(owner),
            ledger,
            credits,
            self.bus,
            poll_interval=self._poll_interval,
        )
        self.client, self.credits, self.queue = client, credits, queue
        queue.restore()
        self.problem = None
        self._spawn(queue.run(), "research-queue")
        self._spawn(self._first_contact(), "seamless-check")

    async def _first_contact(self) -> None:
        """Read the balance (free) and rebuild the ledger from the org's researched records,
        so records researched elsewhere (or before a reinstall) open free."""
        assert self.client is not None and self.credits is not None
        try:
            await self.client.refresh_balance()
        except ApiError as exc:
            self.problem = exc.user_message
            log.info("the Seamless key was refused: %s", exc)
            return
        end = date.today()
        try:
            await self.credits.restore(self.client, end - timedelta(days=RESTORE_DAYS), end)
        except ApiError as exc:
            log.info("could not restore the research ledger: %s", exc)

    def apply_settings(self, settings: SeamlessSettings) -> None:
        """New pricing rules or daily budget, at once (the key and URL need ``connect``)."""
        self.settings = settings
        if self.credits is not None:
            self.credits.set_rules(self.rules_for(settings))
            self.credits.set_daily_budget(settings.daily_budget)

    def pusher_for(self, sub_account_id: str) -> LeadPusher:
        """Adds researched contacts to ``sub_account_id`` of the open CRM connection."""
        return LeadPusher(self.contact_service_for(sub_account_id))

    def require(self) -> tuple[Any, CreditLedger, ResearchQueue]:
        """The client, meter and queue, or ``LeadsNotConnected`` with what to do."""
        if self.client is None or self.credits is None or self.queue is None:
            raise LeadsNotConnected(
                "Connect Seamless.AI first: Settings → Seamless.AI connection, with an API key "
                "from Seamless (Company Settings → Public API Connections)."
            )
        return self.client, self.credits, self.queue

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"leads:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("lead task %s failed", task.get_name(), exc_info=exc)

    async def close(self, timeout: float = 5.0) -> None:
        """Stop the queue and close the client (jobs stay in the cache for the next run)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        if self._detach_credits is not None:
            self._detach_credits()
            self._detach_credits = None
        client, self.client = self.client, None
        self.credits = None
        self.queue = None
        if client is not None:
            try:
                await asyncio.wait_for(client.aclose(), timeout)
            except (TimeoutError, OSError) as exc:
                log.warning("closing the Seamless client failed: %s", exc)
