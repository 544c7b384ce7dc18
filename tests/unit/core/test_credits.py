"""Credit rules: the API's rounding (docs/api/seamless.md, "Credits": 0 free, 1–10 one
credit, 11 two…), research per record with free duplicates, the next search page as an upper
bound, refusals over the balance or the daily budget (with the reason), and a free-search
rule set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.core.credits import (
    ARTICLE_PRICING,
    FREE_SEARCH_PRICING,
    RULE_SETS,
    Action,
    CreditsRefused,
    Estimate,
    RefusalReason,
    check_spend,
    day_start,
    estimate_company_research,
    estimate_research,
    estimate_search_page,
    next_day_start,
    research_cost,
    search_cost,
)


@pytest.mark.parametrize(
    ("results", "credits"),
    [
        (0, 0),
        (1, 1),
        (5, 1),
        (9, 1),
        (10, 1),
        (11, 2),
        (19, 2),
        (20, 2),
        (21, 3),
        (50, 5),
        (101, 11),
    ],
)
def test_search_costs_one_credit_per_ten_results_rounded_up(results: int, credits: int) -> None:
    assert search_cost(ARTICLE_PRICING, results) == credits


def test_free_search_rule_set() -> None:
    assert search_cost(FREE_SEARCH_PRICING, 50) == 0
    estimate = estimate_search_page(FREE_SEARCH_PRICING, limit=50)
    assert estimate.free and estimate.text == "Free"
    # research is still charged under that plan
    assert estimate_research(FREE_SEARCH_PRICING, ["a", "b"]).credits == 2
    assert set(RULE_SETS) == {"article", "free-search"}


def test_next_page_estimate_is_an_upper_bound() -> None:
    page = estimate_search_page(ARTICLE_PRICING, limit=50)
    assert page.credits == 5 and not page.exact and page.text == "Up to 5 credits"
    assert "up to 50 people costs up to 5 credits" in page.describe()
    # 23 results left of a known total: at most ceil(23/10) = 3
    tail = estimate_search_page(ARTICLE_PRICING, limit=50, total=123, fetched=100)
    assert tail.credits == 3 and tail.records == 23
    done = estimate_search_page(ARTICLE_PRICING, limit=50, total=100, fetched=100)
    assert done.credits == 0 and done.exact and done.text == "Free"
    company = estimate_search_page(ARTICLE_PRICING, limit=25, companies=True)
    assert company.action is Action.SEARCH_COMPANIES and company.credits == 3


def test_research_estimate_leaves_out_free_duplicates() -> None:
    estimate = estimate_research(ARTICLE_PRICING, ["a", "b", "c", "d", "e", "f"], {"b", "d", "f"})
    assert (estimate.credits, estimate.charged, estimate.free_duplicates) == (3, 3, 3)
    assert estimate.records == 6 and estimate.text == "Up to 3 credits"
    text = estimate.describe()
    assert text.startswith("Research 3 people: up to 3 credits.")
    assert "3 of the 6 selected were already researched and cost nothing" in text
    repeated = estimate_research(ARTICLE_PRICING, ["a", "a", "b"])
    assert repeated.records == 2 and repeated.credits == 2
    all_free = estimate_research(ARTICLE_PRICING, ["a"], {"a"})
    assert all_free.free and all_free.exact and "nothing is sent" in all_free.describe()
    assert estimate_research(ARTICLE_PRICING, []).credits == 0


def test_company_research_estimate() -> None:
    estimate = estimate_company_research(ARTICLE_PRICING, ["c1", "c2"], {"c2"})
    assert estimate.action is Action.RESEARCH_COMPANIES and estimate.credits == 1
    assert "companies" in estimate.describe()
    assert research_cost(ARTICLE_PRICING, 4, companies=True) == 4


def _research(credits: int) -> Estimate:
    return estimate_research(ARTICLE_PRICING, [f"id{i}" for i in range(credits)])


def test_insufficient_balance_is_refused_with_the_shortfall() -> None:
    refusal = check_spend(_research(8), balance=5)
    assert refusal is not None and refusal.reason is RefusalReason.BALANCE
    assert refusal.shortfall == 3
    assert refusal.message == (
        "This needs up to 8 credits, but only 5 credits are available. Select fewer records or "
        "buy credits in Seamless.AI."
    )
    assert check_spend(_research(5), balance=5) is None
    # credits held for queued research are not available
    held = check_spend(_research(3), balance=5, committed=4)
    assert held is not None and held.shortfall == 2 and "held for queued research" in held.message
    # an unknown balance is not checked (the first answer will tell)
    assert check_spend(_research(500), balance=None) is None
    # free actions are never refused
    assert check_spend(_research(0), balance=0, daily_budget=0, spent_today=10) is None


def test_daily_budget_refusal_says_what_is_left() -> None:
    refusal = check_spend(_research(5), balance=1000, spent_today=18, daily_budget=20)
    assert refusal is not None and refusal.reason is RefusalReason.DAILY_BUDGET
    assert refusal.shortfall == 3
    assert "only 2 credits of today's budget of 20 credits are left" in refusal.message
    assert refusal.message.endswith("raise the daily budget in Settings.")
    assert check_spend(_research(2), balance=1000, spent_today=18, daily_budget=20) is None
    committed = check_spend(
        _research(2), balance=1000, spent_today=18, daily_budget=20, committed=1
    )
    assert committed is not None and committed.shortfall == 1
    error = CreditsRefused(refusal)
    assert error.user_message == refusal.message and str(error) == refusal.message


def test_day_boundaries() -> None:
    tz = timezone(timedelta(hours=-5))
    noon = datetime(2026, 3, 10, 12, 30, tzinfo=tz).timestamp()
    assert day_start(noon, tz) == datetime(2026, 3, 10, tzinfo=tz).timestamp()
    assert next_day_start(noon, tz) == datetime(2026, 3, 11, tzinfo=tz).timestamp()
    assert day_start(noon, UTC) == datetime(2026, 3, 10, tzinfo=UTC).timestamp()
