"""Seamless.AI credit rules as data, and pure estimates and budget checks.

The billing rules are Seamless's published ones (docs/api/seamless.md, "Credits";
they win over the OpenAPI description where the two differ): contact research 1
credit per contact, company research 1 per company, search 1 credit per 10
returned results rounded up (0 results cost nothing), and records the user
already researched are free (deduplication).
Seamless's own docs say some plans do not charge for search at all, so the
rules are a ``PricingRules`` value the user can switch (``FREE_SEARCH``).

Every estimate is an upper bound ("up to"): a search page may return fewer
results than asked for, and Seamless's deduplication may find more records
already researched than the local ledger knows. ``check_spend`` refuses an
action whose estimate exceeds the balance or the daily budget, with the
reason as a sentence, before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class PricingRules:
    """What each action costs. ``search_results_per_credit`` None means search is free."""

    name: str
    label: str
    search_results_per_credit: int | None = 10
    contact_research_credits: int = 1
    company_research_credits: int = 1
    duplicates_free: bool = True


ARTICLE_PRICING = PricingRules(
    "article",
    "Search 1 credit per 10 results, research 1 credit per record",
)
"""The published rules (docs/api/seamless.md, "Credits"): the default."""

FREE_SEARCH_PRICING = PricingRules(
    "free-search",
    "Search free, research 1 credit per record",
    search_results_per_credit=None,
)
"""Plans that do not charge for search (Seamless's own docs mention them)."""

RULE_SETS: dict[str, PricingRules] = {r.name: r for r in (ARTICLE_PRICING, FREE_SEARCH_PRICING)}
"""Rule sets by name, for a settings choice."""


class Action(StrEnum):
    """Credit-spending actions, as the spend log names them."""

    SEARCH_CONTACTS = "search:contacts"
    SEARCH_COMPANIES = "search:companies"
    RESEARCH_CONTACTS = "research:contacts"
    RESEARCH_COMPANIES = "research:companies"

    @property
    def noun(self) -> str:
        """What the action handles, plural, as the app says it ("people", "companies";
        Seamless calls people "contacts", which in this app are the CRM's)."""
        kind = self.value.split(":", 1)[1]
        return "people" if kind == "contacts" else kind


def _credits(count: int) -> str:
    return f"{count} credit{'' if count == 1 else 's'}"


def search_cost(rules: PricingRules, results: int) -> int:
    """Credits a search answer with ``results`` results costs (1 per 10, rounded up)."""
    if results <= 0 or rules.search_results_per_credit is None:
        return 0
    return math.ceil(results / rules.search_results_per_credit)


def research_cost(rules: PricingRules, records: int, *, companies: bool = False) -> int:
    """Credits researching ``records`` new records costs."""
    per = rules.company_research_credits if companies else rules.contact_research_credits
    return max(0, records) * per


@dataclass(frozen=True, slots=True)
class Estimate:
    """The most an action can cost, and why (for the meter and the confirmation)."""

    action: Action
    credits: int
    """Upper bound of the cost."""
    records: int
    """Records asked for: results of the page, or distinct rows selected."""
    charged: int
    """Records that may be charged (``records`` minus free duplicates)."""
    free_duplicates: int = 0
    """Selected records already researched: reopened for free, not sent."""
    exact: bool = False
    """True when the cost is certain (0 for an empty page, for example)."""

    @property
    def free(self) -> bool:
        """Whether the action costs nothing."""
        return self.credits == 0

    @property
    def text(self) -> str:
        """Short form for the meter: "Free", "Up to 5 credits", "3 credits"."""
        if self.credits == 0:
            return "Free"
        return _credits(self.credits) if self.exact else f"Up to {_credits(self.credits)}"

    def describe(self) -> str:
        """The confirmation sentence: what is done, the most it costs, what is free."""
        noun = self.action.noun
        if self.action in (Action.SEARCH_CONTACTS, Action.SEARCH_COMPANIES):
            if self.credits == 0:
                return f"The next page of {noun} is free."
            return (
                f"The next page of up to {self.records} {noun} costs up to "
                f"{_credits(self.credits)} (1 credit per 10 results, rounded up)."
            )
        if self.charged == 0:
            return (
                f"All {self.records} selected {noun} were already researched: reopening them is "
                "free and nothing is sent."
            )
        text = f"Research {self.charged} {noun}: up to {_credits(self.credits)}."
        if self.free_duplicates:
            were = "was" if self.free_duplicates == 1 else "were"
            text += (
                f" {self.free_duplicates} of the {self.records} selected {were} already "
                "researched and cost nothing."
            )
        return text


def estimate_search_page(
    rules: PricingRules,
    *,
    limit: int,
    total: int | None = None,
    fetched: int = 0,
    companies: bool = False,
) -> Estimate:
    """The cost of the next page of a search: a page of ``limit`` results costs at most
    ceil(limit / 10), less when ``total`` says fewer results are left after ``fetched``."""
    left = max(0, limit)
    if total is not None:
        left = max(0, min(left, total - fetched))
    action = Action.SEARCH_COMPANIES if companies else Action.SEARCH_CONTACTS
    cost = search_cost(rules, left)
    return Estimate(action, cost, left, left, exact=cost == 0)


def estimate_research(
    rules: PricingRules,
    selected: Iterable[str],
    already_researched: Collection[str] = (),
    *,
    companies: bool = False,
) -> Estimate:
    """The cost of researching the ``selected`` ids: one credit per record not already
    researched (those are free duplicates). Repeated ids count once."""
    unique = list(dict.fromkeys(selected))
    free = sum(1 for i in unique if i in already_researched) if rules.duplicates_free else 0
    charged = len(unique) - free
    action = Action.RESEARCH_COMPANIES if companies else Action.RESEARCH_CONTACTS
    cost = research_cost(rules, charged, companies=companies)
    return Estimate(action, cost, len(unique), charged, free, exact=cost == 0)


def estimate_company_research(
    rules: PricingRules, selected: Iterable[str], already_researched: Collection[str] = ()
) -> Estimate:
    """``estimate_research`` for companies."""
    return estimate_research(rules, selected, already_researched, companies=True)


class RefusalReason(StrEnum):
    """Why an action was refused before sending."""

    BALANCE = "balance"
    DAILY_BUDGET = "daily_budget"


@dataclass(frozen=True, slots=True)
class Refusal:
    """An action the app will not send, and the sentence saying why."""

    reason: RefusalReason
    message: str
    shortfall: int
    """Credits missing (balance) or over the budget."""


def check_spend(
    estimate: Estimate,
    *,
    balance: int | None,
    spent_today: int = 0,
    daily_budget: int | None = None,
    committed: int = 0,
) -> Refusal | None:
    """None when ``estimate`` may be spent; else the ``Refusal``.

    ``balance`` is the latest ``X-PublicAPI-Credits`` (None: not known yet, not
    checked); ``committed`` the estimates of research confirmed but not settled
    yet, which the balance does not show; ``daily_budget`` None means no budget."""
    need = estimate.credits
    if need <= 0:
        return None
    if balance is not None and need + committed > balance:
        available = max(0, balance - committed)
        held = f" ({_credits(committed)} are held for queued research)" if committed else ""
        return Refusal(
            RefusalReason.BALANCE,
            f"This needs up to {_credits(need)}, but only {_credits(available)} "
            f"{'is' if available == 1 else 'are'} available{held}. Select fewer records or buy "
            "credits in Seamless.AI.",
            need + committed - balance,
        )
    if daily_budget is not None and spent_today + committed + need > daily_budget:
        left = max(0, daily_budget - spent_today - committed)
        return Refusal(
            RefusalReason.DAILY_BUDGET,
            f"This could spend up to {_credits(need)}, and only {_credits(left)} of today's "
            f"budget of {_credits(daily_budget)} {'is' if left == 1 else 'are'} left. Select "
            "fewer records, or raise the daily budget in Settings.",
            spent_today + committed + need - daily_budget,
        )
    return None


class CreditsRefused(Exception):
    """Raised by the services instead of sending an action ``check_spend`` refused."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal

    @property
    def user_message(self) -> str:
        """The refusal's sentence."""
        return self.refusal.message


def day_start(now: float, tz: tzinfo | None = None) -> float:
    """Epoch seconds of the start of the day ``now`` falls in (local time by default):
    "spent today" counts from there."""
    moment = datetime.fromtimestamp(now, tz) if tz is not None else datetime.fromtimestamp(now)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp()


def next_day_start(now: float, tz: tzinfo | None = None) -> float:
    """Epoch seconds when the current day's budget resets."""
    start = day_start(now, tz)
    moment = datetime.fromtimestamp(start, tz) if tz is not None else datetime.fromtimestamp(start)
    return (moment + timedelta(days=1)).replace(hour=0).timestamp()


__all__ = [
    "ARTICLE_PRICING",
    "FREE_SEARCH_PRICING",
    "RULE_SETS",
    "Action",
    "CreditsRefused",
    "Estimate",
    "PricingRules",
    "Refusal",
    "RefusalReason",
    "check_spend",
    "day_start",
    "estimate_company_research",
    "estimate_research",
    "estimate_search_page",
    "next_day_start",
    "research_cost",
    "search_cost",
]
