"""The Seamless credit meter and ledger, and credit-aware search paging.

``CreditLedger`` keeps, for one Seamless key owner (``account_key_id``):

- the balance, from the latest ``X-PublicAPI-Credits`` of any answer
  (``attach(client)`` listens to the client);
- what was spent per action, today and in this session, from the spend log of
  the research ledger (``app.storage.research``): each action is logged with
  its estimate *before* it is sent, and its actual cost is filled in after —
  the balance change across the action when nothing else was spending at the
  same time, else the cost the rules give for what the answer returned;
- credits held by confirmed research that has not settled yet (``committed``);
- the optional daily budget and the pricing rules; ``check``/``require`` refuse
  an estimate over the balance or the budget with the reason;
- ``restore``: the research ledger rebuilt from ``GET /contacts`` (records the
  organisation already researched are free to reopen).

Every change publishes ``CreditsChanged``. ``SearchPager`` is the Leads tab's
results table behind a model: one page per ``fetch_more``, the cost of the
next page known before it loads, refused over the budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Generic, Protocol, TypeVar

from app.core.credits import (
    ARTICLE_PRICING,
    Action,
    CreditsRefused,
    Estimate,
    PricingRules,
    Refusal,
    check_spend,
    day_start,
    estimate_research,
    estimate_search_page,
    search_cost,
)
from app.core.seamless import (
    CompanySearch,
    CompanySearchResult,
    ContactSearch,
    ContactSearchResult,
    ResearchedCompany,
    ResearchedContact,
    SearchPage,
)
from app.services.bus import CreditsChanged, EventBus
from app.storage import ResearchLedger

log = logging.getLogger(__name__)

_SALT = b"seedly-desk/seamless-ledger/v1"

RESTORE_BATCH = 100
"""Records of the organisation's researched list written to the ledger per worker step."""


def account_key_id(
    base_url: str, *, profile_id: str | None = None, api_key: str | None = None
) -> str:
    """An id for the research ledger of one Seamless key owner that does not contain the
    key: a salted SHA-256 of the API URL and the profile id (preferred: it survives a
    key rotation and covers OAuth) or, without a profile, of the key itself."""
    owner = profile_id or api_key
    if not owner:
        raise ValueError("account_key_id needs a profile id or an API key")
    kind = b"profile" if profile_id else b"key"
    digest = hashlib.sha256(
        _SALT + b"\0" + base_url.strip().rstrip("/").lower().encode() + b"\0" + kind + b"\0"
    )
    digest.update(owner.encode())
    return "sl_" + digest.hexdigest()[:32]


class _Reading(Protocol):
    """What ``CreditLedger`` needs of ``app.api.seamless.CreditsReading``."""

    @property
    def balance(self) -> int: ...

    @property
    def at(self) -> float: ...


class _CreditSource(Protocol):
    def on_credits(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...


@dataclass(frozen=True, slots=True)
class CreditMeter:
    """What the credit meter shows."""

    balance: int | None
    balance_at: float | None
    spent_today: int
    spent_session: int
    committed: int
    daily_budget: int | None
    rules: PricingRules

    @property
    def budget_left(self) -> int | None:
        """Credits left in today's budget (None without a budget)."""
        if self.daily_budget is None:
            return None
        return max(0, self.daily_budget - self.spent_today - self.committed)

    @property
    def available(self) -> int | None:
        """Balance not held by queued research (None while the balance is unknown)."""
        return None if self.balance is None else max(0, self.balance - self.committed)


@dataclass
class SpendTicket:
    """An action logged in the spend log before it was sent, until it is settled."""

    seq: int
    action: Action
    estimate: int
    balance_before: int | None
    overlapped: bool = False
    """Another action spent at the same time: the balance change is not this one's alone."""
    settled: bool = False


class CreditLedger:
    """Balance, spending, budget and estimates of one Seamless key owner (module docstring)."""

    def __init__(
        self,
        ledger: ResearchLedger,
        bus: EventBus,
        *,
        rules: PricingRules = ARTICLE_PRICING,
        daily_budget: int | None = None,
        clock: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
    ) -> None:
        self.ledger = ledger
        self.bus = bus
        self._rules = rules
        self._daily_budget = daily_budget
        self._clock = clock
        self._tz = tz
        self.session_started = clock()
        self.balance: int | None = None
        self.balance_at: float | None = None
        self._committed: dict[str, int] = {}
        self._open: list[SpendTicket] = []

    @property
    def account_key_id(self) -> str:
        """Whose credits these are."""
        return self.ledger.account_key_id

    # -- settings ------------------------------------------------------------------------------
    @property
    def rules(self) -> PricingRules:
        """The pricing rules estimates use."""
        return self._rules

    def set_rules(self, rules: PricingRules) -> None:
        """Switch the pricing rules (e.g. to a plan where search is free)."""
        self._rules = rules
        self._publish()

    @property
    def daily_budget(self) -> int | None:
        """The most the app may spend per day (None: no budget)."""
        return self._daily_budget

    def set_daily_budget(self, credits: int | None) -> None:
        """Set or clear the daily budget."""
        if credits is not None and credits < 0:
            raise ValueError("the daily budget must not be negative")
        self._daily_budget = credits
        self._publish()

    # -- balance -------------------------------------------------------------------------------
    def attach(self, client: _CreditSource) -> Callable[[], None]:
        """Follow the balance every answer of ``client`` reports; returns a detach function."""
        return client.on_credits(self.observe)

    def observe(self, reading: _Reading) -> None:
        """A new ``X-PublicAPI-Credits`` value arrived."""
        changed = reading.balance != self.balance
        self.balance = reading.balance
        self.balance_at = reading.at
        if changed:
            self._publish()

    # -- spending ------------------------------------------------------------------------------
    def _ms(self, seconds: float) -> int:
        return int(seconds * 1000)

    def spent_today(self) -> int:
        """Credits spent since local midnight (unsettled actions count their estimate)."""
        return self.ledger.spent_since(self._ms(day_start(self._clock(), self._tz)))

    def spent_session(self) -> int:
        """Credits spent since this ledger was created (the app started)."""
        return self.ledger.spent_since(self._ms(self.session_started))

    @property
    def committed(self) -> int:
        """Credits held by confirmed research that was not sent yet."""
        return sum(self._committed.values())

    def hold(self, key: str, credits: int) -> None:
        """Hold ``credits`` for confirmed work not yet in the spend log (a queued job)."""
        self._committed[key] = max(0, credits)
        self._publish()

    def release(self, key: str) -> None:
        """Stop holding credits for ``key`` (sent, cancelled or failed)."""
        if self._committed.pop(key, None) is not None:
            self._publish()

    def meter(self) -> CreditMeter:
        """Everything the credit meter shows, now."""
        return CreditMeter(
            balance=self.balance,
            balance_at=self.balance_at,
            spent_today=self.spent_today(),
            spent_session=self.spent_session(),
            committed=self.committed,
            daily_budget=self._daily_budget,
            rules=self._rules,
        )

    def open(self, action: Action, estimate: int) -> SpendTicket:
        """Log an action with its estimate before it is sent (a crash leaves it counted)."""
        entry = self.ledger.log_spend(action.value, estimate, None, self._ms(self._clock()))
        ticket = SpendTicket(entry.seq, action, estimate, self.balance)
        for other in self._open:
            other.overlapped = True
            ticket.overlapped = True
        self._open.append(ticket)
        self._publish()
        return ticket

    def settle(self, ticket: SpendTicket, computed: int) -> int:
        """Record the actual cost of ``ticket``: the balance change since it opened when no
        other action overlapped it and the balance is known, else ``computed`` (what the
        rules give for the answer). Returns the cost recorded."""
        actual = computed
        if (
            not ticket.overlapped
            and ticket.balance_before is not None
            and self.balance is not None
            and ticket.balance_before >= self.balance
        ):
            actual = ticket.balance_before - self.balance
        if actual != computed:
            log.info("%s cost %d by the balance, %d by the rules", ticket.action, actual, computed)
        self.ledger.set_actual(ticket.seq, max(0, actual))
        self._close(ticket)
        return actual

    def abandon(self, ticket: SpendTicket) -> None:
        """Stop tracking ``ticket`` without an actual cost (the outcome is unknown: the
        estimate keeps counting, on the safe side of the budget)."""
        self._close(ticket)

    def cancel(self, ticket: SpendTicket) -> None:
        """The action certainly spent nothing (it was refused or never left)."""
        self.ledger.set_actual(ticket.seq, 0)
        self._close(ticket)

    def _close(self, ticket: SpendTicket) -> None:
        ticket.settled = True
        if ticket in self._open:
            self._open.remove(ticket)
        self._publish()

    # -- estimates and checks ------------------------------------------------------------------
    def estimate_search_page(
        self, limit: int, *, total: int | None = None, fetched: int = 0, companies: bool = False
    ) -> Estimate:
        """The most the next page of a search costs."""
        return estimate_search_page(
            self._rules, limit=limit, total=total, fetched=fetched, companies=companies
        )

    def already_researched(self, ids: Collection[str], *, companies: bool = False) -> set[str]:
        """The ids whose research the user already holds (free to reopen)."""
        return self.ledger.already_researched("company" if companies else "contact", ids)

    def estimate_research(self, ids: Sequence[str], *, companies: bool = False) -> Estimate:
        """The most researching ``ids`` costs; ids in the ledger are free duplicates."""
        held = self.already_researched(ids, companies=companies)
        return estimate_research(self._rules, ids, held, companies=companies)

    def check(self, estimate: Estimate, *, exclude_hold: str | None = None) -> Refusal | None:
        """Why ``estimate`` may not be spent now, or None. ``exclude_hold`` leaves out the
        hold of the work being checked (it is that work's own reservation)."""
        committed = sum(v for k, v in self._committed.items() if k != exclude_hold)
        return check_spend(
            estimate,
            balance=self.balance,
            spent_today=self.spent_today(),
            daily_budget=self._daily_budget,
            committed=committed,
        )

    def require(self, estimate: Estimate, *, exclude_hold: str | None = None) -> None:
        """Raise ``CreditsRefused`` when ``check`` refuses ``estimate``."""
        refusal = self.check(estimate, exclude_hold=exclude_hold)
        if refusal is not None:
            raise CreditsRefused(refusal)

    # -- restore ---------------------------------------------------------------------------------
    async def restore(
        self,
        client: Any,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        companies: bool = True,
    ) -> int:
        """Rebuild the research ledger from ``GET /contacts`` (and ``GET /companies``) for
        the date range: records the organisation already researched, free to reopen.
        Records already in the ledger keep their stored copy. Returns how many were added."""
        added = 0
        now = self._ms(self._clock())
        sources: list[tuple[str, AsyncIterator[ResearchedContact | ResearchedCompany]]] = [
            ("contact", client.iter_org_contacts(start, end))
        ]
        if companies:
            sources.append(("company", client.iter_org_companies(start, end)))
        for kind, records in sources:
            batch: list[ResearchedContact | ResearchedCompany] = []
            async for record in records:
                batch.append(record)
                if len(batch) >= RESTORE_BATCH:
                    added += await asyncio.to_thread(self._restore_batch, kind, batch, now)
                    batch = []
            if batch:
                added += await asyncio.to_thread(self._restore_batch, kind, batch, now)
        if added:
            self._publish()
        return added

    def _restore_batch(
        self, kind: str, records: list[ResearchedContact | ResearchedCompany], now: int
    ) -> int:
        # On a worker: hundreds of ledger reads and writes at start-up held the window.
        return sum(self._restore_one(kind, record, now) for record in records)

    def _restore_one(
        self, kind: str, record: ResearchedContact | ResearchedCompany, now: int
    ) -> int:
        key = record.key
        if not key:
            return 0
        if self.ledger.get(kind, key) is not None:
            return 0
        # Restored, not bought now: credits 0, so the spend figures are not counted twice.
        self.ledger.record(kind, key, None, "done", record.to_wire(), 0, now)
        return 1

    def _publish(self) -> None:
        self.bus.publish(
            CreditsChanged(
                account_key_id=self.account_key_id,
                balance=self.balance,
                spent_today=self.spent_today(),
                spent_session=self.spent_session(),
                committed=self.committed,
                daily_budget=self._daily_budget,
            )
        )


# -- search paging ------------------------------------------------------------------------------

Row = TypeVar("Row", ContactSearchResult, CompanySearchResult)


@dataclass
class SearchPager(Generic[Row]):
    """A search the Leads table pages through, one page per ``fetch_more``.

    The table model asks ``can_fetch_more`` and ``next_page_estimate`` (shown
    before the page loads: "Next 50: up to 5 credits"), then awaits
    ``fetch_more`` from its ``fetchMore`` with an in-flight guard. Each page is
    refused (``CreditsRefused``) when its estimate exceeds the balance or the
    daily budget, and logged in the spend log with its actual cost.
    ``researched`` tells which rows are already researched (free)."""

    client: Any
    credits: CreditLedger
    query: ContactSearch | CompanySearch
    page_size: int = 50
    rows: list[Row] = field(default_factory=list)
    total: int | None = None
    _next_token: str | None = None
    _done: bool = False
    _in_flight: bool = False

    @property
    def companies(self) -> bool:
        """Whether this is a company search."""
        return isinstance(self.query, CompanySearch)

    @property
    def can_fetch_more(self) -> bool:
        """Whether another page exists (always before the first) and none is loading."""
        return not self._done and not self._in_flight

    @property
    def loading(self) -> bool:
        """A page is being fetched (the table shows a busy row)."""
        return self._in_flight

    def next_page_estimate(self) -> Estimate:
        """The most the next page costs ("up to"; free when nothing is left)."""
        if self._done:
            return self.credits.estimate_search_page(0, companies=self.companies)
        return self.credits.estimate_search_page(
            self.page_size, total=self.total, fetched=len(self.rows), companies=self.companies
        )

    def check_next(self) -> Refusal | None:
        """Why the next page would be refused, or None."""
        return self.credits.check(self.next_page_estimate())

    async def fetch_more(self) -> list[Row]:
        """Load the next page; returns its rows (also appended to ``rows``). A call while a
        page is loading returns ``[]`` at once (``fetchMore`` may be called repeatedly)."""
        if self._done or self._in_flight:
            return []
        self._in_flight = True
        try:
            return await self._fetch()
        finally:
            self._in_flight = False

    async def _fetch(self) -> list[Row]:
        estimate = self.next_page_estimate()
        self.credits.require(estimate)
        query = self.query.model_copy(
            update={"limit": self.page_size, "next_token": self._next_token}
        )
        ticket = self.credits.open(estimate.action, estimate.credits)
        page: SearchPage[Any]
        try:
            if self.companies:
                page = await self.client.search_companies(query)
            else:
                page = await self.client.search_contacts(query)
        except Exception as exc:
            if getattr(exc, "needs_reconcile", False):
                self.credits.abandon(ticket)  # may have been charged: the estimate stays
            else:
                self.credits.cancel(ticket)
            raise
        self.credits.settle(ticket, search_cost(self.credits.rules, len(page.data)))
        self.total = page.total if page.total is not None else self.total
        self._next_token = page.next_token
        self._done = page.next_token is None or not page.data
        rows: list[Row] = list(page.data)
        self.rows.extend(rows)
        return rows

    def researched(self) -> set[str]:
        """Search result ids of the loaded rows that are already researched."""
        return self.credits.already_researched(
            [r.search_result_id for r in self.rows], companies=self.companies
        )


__all__ = [
    "CreditLedger",
    "CreditMeter",
    "SearchPager",
    "SpendTicket",
    "account_key_id",
]
