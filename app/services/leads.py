"""The lead-search side of the workspace: one Seamless connection, its credit meter,
research queue and the push into Seedly sub-accounts.

``LeadsService`` is built by the workspace (the app's one per run). ``connect``
opens the Seamless client for a key (the demo's from the sandbox, the user's
from the keyring) or for an OAuth sign-in (its tokens; refreshed tokens go back
to ``save_tokens``, i.e. the keyring), checks it by reading the balance (free),
restores the research jobs a previous run left and starts the queue. When the
sign-in ends for good (the refresh token was refused) ``sign_in_needed`` says
so and ``problem`` holds the sentence; queued research stays queued. The Leads tab works
through ``client``, ``credits`` (the meter, estimates and budget), ``queue``
(research jobs) and ``pusher_for`` (a ``LeadPusher`` into the sub-account the
user picks, which need not be the one open in the Contacts tab).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from app.api.seamless import OAuth, OAuthTokens, SeamlessClient
from app.core.credits import RULE_SETS, PricingRules
from app.core.errors import ApiError
from app.core.seamless_errors import SeamlessSignInRequired
from app.services.bus import EventBus
from app.services.credits import CreditLedger, account_key_id
from app.services.lead_push import LeadPusher
from app.services.research import ResearchQueue
from app.settings.profiles import SeamlessSettings
from app.storage import Database

log = logging.getLogger(__name__)

RESTORE_DAYS = 365
"""How far back the ledger is rebuilt from the org's researched records at connect (a year:
the stale ones too, so the ledger can mark them and job changes can be checked)."""

SeamlessFactory = Callable[..., Any]
TokenSaver = Callable[[OAuthTokens], Awaitable[None]]

AUTH_KEY = "key"
AUTH_OAUTH = "oauth"


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
        poll_interval: float = 2.0,
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
        self.auth: str | None = None
        """How the open connection signs in: ``AUTH_KEY`` or ``AUTH_OAUTH`` (None: closed)."""
        self.sign_in_needed = False
        """The OAuth sign-in ended for good: the user must sign in again."""
        self._detach: list[Callable[[], None]] = []
        self._save_tokens: TokenSaver | None = None
        self._saving = asyncio.Lock()
        self._saves: set[asyncio.Task[Any]] = set()
        """Token saves in progress: never cancelled (a rotated refresh token must be kept)."""
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def connected(self) -> bool:
        """Whether a client, meter and queue are ready (the key may still be refused)."""
        return self.client is not None and self.queue is not None

    def rules_for(self, settings: SeamlessSettings) -> PricingRules:
        """The pricing rules the settings name; the default ones (docs/api/seamless.md,
        "Credits") when the name is unknown."""
        return RULE_SETS.get(settings.pricing, RULE_SETS["article"])

    async def connect(
        self,
        settings: SeamlessSettings,
        api_key: str | None = None,
        *,
        oauth: OAuth | None = None,
        save_tokens: TokenSaver | None = None,
    ) -> None:
        """Open the connection for ``api_key`` or an OAuth sign-in (``oauth``, with its
        tokens); a key or sign-in the server refuses is reported in ``problem`` (the meter
        and the queue exist anyway: restored jobs are shown). ``save_tokens`` keeps the
        tokens a refresh brings (the keyring)."""
        if (api_key is None) == (oauth is None):
            raise ValueError("connect needs exactly one of api_key and oauth")
        await self.close()
        self.settings = settings
        if oauth is not None:
            client = self._client_factory(settings.base_url, oauth=oauth)
            self.auth = AUTH_OAUTH
            self._save_tokens = save_tokens
            self._detach.append(client.on_tokens(self._tokens_refreshed))
            self._detach.append(client.on_sign_in_lost(self._sign_in_lost))
        else:
            client = self._client_factory(settings.base_url, api_key=api_key)
            self.auth = AUTH_KEY
        self.sign_in_needed = False
        # The research ledger belongs to the connection, whichever way it signs in: the
        # same records stay free after switching between the key and the sign-in.
        owner = account_key_id(settings.base_url, profile_id=settings.id)
        ledger = self.db.research_ledger(owner)
        credits = CreditLedger(
            ledger, self.bus, rules=self.rules_for(settings), daily_budget=settings.daily_budget
        )
        self._detach.append(credits.attach(client))
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
            if not self.sign_in_needed:  # else the sign-in's own sentence stays
                self.problem = exc.user_message
            log.info("the Seamless key or sign-in was refused: %s", exc)
            return
        end = date.today()
        try:
            await self.credits.restore(self.client, end - timedelta(days=RESTORE_DAYS), end)
        except ApiError as exc:
            log.info("could not restore the research ledger: %s", exc)

    def _tokens_refreshed(self, tokens: OAuthTokens) -> None:
        """A refresh brought new tokens (the refresh token may have rotated): keep them."""
        saver = self._save_tokens
        if saver is None:
            return

        async def save() -> None:
            async with self._saving:  # in order: an older pair must never win
                await saver(tokens)

        task = asyncio.get_running_loop().create_task(save(), name="leads:save-tokens")
        self._saves.add(task)
        task.add_done_callback(self._saved)

    def _saved(self, task: asyncio.Task[Any]) -> None:
        self._saves.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("the refreshed Seamless.AI tokens could not be kept", exc_info=exc)

    def _sign_in_lost(self, error: SeamlessSignInRequired) -> None:
        self.sign_in_needed = True
        self.problem = error.user_message
        log.info("the Seamless.AI sign-in ended: %s", error)

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
        if self._saves:
            await asyncio.wait(list(self._saves), timeout=timeout)
        for detach in self._detach:
            detach()
        self._detach.clear()
        self._save_tokens = None
        self.auth = None
        client, self.client = self.client, None
        self.credits = None
        self.queue = None
        if client is not None:
            try:
                await asyncio.wait_for(client.aclose(), timeout)
            except (TimeoutError, OSError) as exc:
                log.warning("closing the Seamless client failed: %s", exc)
