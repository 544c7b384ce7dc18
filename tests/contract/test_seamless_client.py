"""``SeamlessClient`` against the real sandbox over HTTP (written from docs/api/seamless.md):
every path, the credit rules ("Credits") as the balance header shows them, research
polled to the end with deduplication, the researched-records listing, OAuth (sign-in,
refresh, an expired token), the typed errors, and per-endpoint rate limits.

The module runs its own sandbox, so it may move the sandbox clock: research that takes
2–4.5 s of sandbox time finishes at once (the lead-pipeline contract test polls real
research in real time). Each test uses a Seamless user of its own (``POST
/_sandbox/seamless/users``), so deduplication and balances never depend on other tests."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from app.api.seamless import CreditsReading, OAuth, OAuthApp, OAuthTokens, SeamlessClient
from app.api.transport import RetryPolicy
from app.core.seamless import (
    ContactPollItem,
    ResearchState,
    company_research,
    company_search,
    contact_research,
    contact_search,
)
from app.core.seamless_errors import (
    InsufficientCredits,
    MissingLicense,
    SeamlessRateLimited,
    SeamlessTokenExpired,
    SeamlessUnauthorized,
)
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox, start_sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio]


def seamless_url_of(box: Sandbox) -> str:
    assert "seamless_url" in box.info, "the sandbox's ready line has no seamless_url"
    return str(box.info["seamless_url"])


def new_user(box: Sandbox, credits: int = 1000, **extra: Any) -> str:
    """A Seamless user of its own; returns its key."""
    return str(box.control("POST", "seamless/users", json={"credits": credits, **extra})["key"])


def done_ids(box: Sandbox, count: int, offset: int = 0, kind: str = "contacts") -> list[str]:
    """Search result ids whose research ends ``done`` in the sandbox."""
    rows = box.control(
        "GET", f"seamless/outcomes?type={kind}&status=done&limit={count}&offset={offset}"
    )
    return [r["searchResultId"] for r in rows]


class Meter:
    """Collects the balance of every answer."""

    def __init__(self, client: SeamlessClient) -> None:
        self.readings: list[CreditsReading] = []
        client.on_credits(self.readings.append)

    @property
    def last(self) -> int:
        return self.readings[-1].balance


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of this module's own: its clock may be moved."""
    started = start_sandbox(
        tmp_path_factory.mktemp("seamless"), "--seed", "empty", *GENEROUS_LIMITS
    )
    yield started
    started.stop()


@pytest_asyncio.fixture
async def client(box: Sandbox) -> AsyncIterator[SeamlessClient]:
    c = SeamlessClient(seamless_url_of(box), api_key=new_user(box))
    yield c
    await c.aclose()


async def poll_until_done(
    box: Sandbox, client: SeamlessClient, request_ids: list[str], companies: bool = False
) -> list[Any]:
    for _ in range(10):
        if companies:
            items: list[Any] = await client.poll_companies(request_ids)
        else:
            items = await client.poll_contacts(request_ids)
        if len(items) == len(request_ids) and all(i.state.terminal for i in items):
            return items
        box.control("POST", "clock/advance", json={"ms": 1500})  # research takes sandbox time
    raise AssertionError("research did not finish within 15 s of sandbox time")


# -- search ---------------------------------------------------------------------------------------


async def test_search_pages_cost_one_credit_per_ten_results(client: SeamlessClient) -> None:
    meter = Meter(client)
    query = contact_search(seniority=["VP", "Director"], department=["Sales"], limit=12)
    first = await client.search_contacts(query)
    assert len(first.data) == 12 and first.has_more and first.total and first.total > 12
    assert meter.readings and meter.last == 1000 - 2  # 12 results: ceil(12/10) = 2 credits
    row = first.data[0]
    assert row.search_result_id and row.seniority in ("VP", "Director")
    assert row.department == "Sales"
    second = await client.search_contacts(query.page(first.next_token))
    assert {r.search_result_id for r in second.data}.isdisjoint(
        r.search_result_id for r in first.data
    )
    assert meter.last == 1000 - 4
    three = [p async for p in client.iter_contact_pages(query.page(None), max_pages=3)]
    assert len(three) == 3 and meter.last == 1000 - 10


async def test_an_empty_search_is_free(client: SeamlessClient) -> None:
    meter = Meter(client)
    page = await client.search_contacts(contact_search(fullName=["Nobody Zzyzx Qwertyuiop"]))
    assert page.data == [] and not page.has_more
    assert meter.last == 1000


async def test_company_search(client: SeamlessClient) -> None:
    meter = Meter(client)
    page = await client.search_companies(
        company_search(industry=["Computer Software"], companySize=["11 - 50", "51 - 200"], limit=5)
    )
    assert 1 <= len(page.data) <= 5
    assert all("Computer Software" in c.industries for c in page.data)
    assert all(c.staff_count_range in ("11 - 50", "51 - 200") for c in page.data)
    assert meter.last == 1000 - math.ceil(len(page.data) / 10)


EVERY_CONTACT_FILTER: dict[str, Any] = {
    "jobTitle": ["Sales"],
    "fullName": ["Elizabeth Taylor"],
    "contactKeyword": ["sales"],
    "seniority": ["VP"],
    "department": ["Sales"],
    "industry": ["Computer Software"],
    "companyName": ["Copper"],
    "companyDomain": ["coppernetworks.io"],
    "contactCountry": ["United States"],
    "contactState": ["California"],
    "contactZipCode": ["94105"],
    "companySize": ["51 - 200"],
    "companyRevenue": ["$5M - $20M"],
    "companyFoundedOn": ["10+ Years"],
    "technologies": ["Salesforce"],
    "jobChanges": {"changeType": "New Hire", "dayRange": "Last 365 Days"},
    "pastCompany": {"names": ["Talpath Group"]},
    "companyType": "Public",
    "lastModifiedAfter": (date.today() - timedelta(days=30)).isoformat(),
    "newsTypes": ["Acquisition"],
    "newsTypeDates": ["365"],
    "companyLatestFundingDates": ["Last 365 Days"],
    "companyLatestFundingClassifications": ["Seed"],
    "companyLatestFundingTotals": ["$1M - $5M"],
}
EVERY_COMPANY_FILTER: dict[str, Any] = {
    "companyName": ["Copper"],
    "companyDomain": ["coppernetworks.io"],
    "companyCountry": ["United States"],
    "companyState": ["California"],
    "companyZipCode": ["94105"],
    "industry": ["Computer Software"],
    "companyKeyword": ["software"],
    "companySize": ["11 - 50"],
    "companyRevenue": ["$1M - $5M"],
    "technologies": ["Okta"],
    "companyType": "Public",
    "foundedOn": ["Less than 1 Year"],
    "newsTypes": ["Expansion"],
    "newsTypeDates": ["90"],
    "latestFundingDates": ["Last 90 Days"],
    "latestFundingClassifications": ["Series A"],
    "latestFundingTotals": ["$5M - $10M"],
}


async def test_every_filter_is_accepted_and_narrows_the_search(client: SeamlessClient) -> None:
    everyone = await client.search_contacts(contact_search(limit=1))
    companies = await client.search_companies(company_search(limit=1))
    assert everyone.total and companies.total
    for wire, value in EVERY_CONTACT_FILTER.items():
        page = await client.search_contacts(contact_search({wire: value, "limit": 1}))
        assert page.total is not None and page.total < everyone.total, wire
        assert not page.supplemental_data.extra_fields.get("ignoredFilters"), wire
    for wire, value in EVERY_COMPANY_FILTER.items():
        page = await client.search_companies(company_search({wire: value, "limit": 1}))
        assert page.total is not None and page.total < companies.total, wire
        assert not page.supplemental_data.extra_fields.get("ignoredFilters"), wire


# -- research -------------------------------------------------------------------------------------


async def test_research_is_polled_to_done_and_a_second_research_is_a_free_duplicate(
    box: Sandbox, client: SeamlessClient
) -> None:
    meter = Meter(client)
    ids = done_ids(box, 4)
    accepted = await client.research_contacts(contact_research(ids))
    assert len(accepted.request_ids) == 4
    assert meter.last == 1000 - 4  # one credit per contact
    items: list[ContactPollItem] = await poll_until_done(box, client, accepted.request_ids)
    assert [i.state for i in items] == [ResearchState.DONE] * 4
    by_id = {i.search_result_id: i for i in items}
    assert set(by_id) == set(ids)
    record = items[0].record
    assert record is not None and record.emails and record.display_name
    best = record.emails[0]
    assert best.confidence is None or 0 <= best.confidence <= 100
    assert any(p.number for p in record.phones)
    balance = meter.last
    again = await client.research_contacts(contact_research(ids))
    repeat = await poll_until_done(box, client, again.request_ids)
    assert {i.state for i in repeat} == {ResearchState.DUPLICATE}
    assert all(i.record is not None for i in repeat)  # the existing record comes back
    assert meter.last == balance  # deduplicated: not charged again


async def test_research_by_identity_and_company_research(
    box: Sandbox, client: SeamlessClient
) -> None:
    row = box.control("GET", "seamless/outcomes?type=contacts&status=done&limit=1&offset=7")[0]
    identity = row["identity"]
    accepted = await client.research_contacts(
        contact_research(
            contacts=[
                {"contactName": identity["contactName"], "companyName": identity["companyName"]}
            ]
        )
    )
    [item] = await poll_until_done(box, client, accepted.request_ids)
    assert item.state is ResearchState.DONE and item.record is not None
    companies = done_ids(box, 2, kind="companies")
    accepted = await client.research_companies(company_research(companies))
    results = await poll_until_done(box, client, accepted.request_ids, companies=True)
    assert [r.state for r in results] == [ResearchState.DONE] * 2
    assert all(r.record is not None and r.record.display_name for r in results)


async def test_researched_records_are_listed_for_free(box: Sandbox, client: SeamlessClient) -> None:
    ids = done_ids(box, 3, offset=20)
    accepted = await client.research_contacts(contact_research(ids))
    await poll_until_done(box, client, accepted.request_ids)
    meter = Meter(client)
    today = date.today()
    listed = [
        c
        async for c in client.iter_org_contacts(
            today - timedelta(days=2), today + timedelta(days=2), limit=2
        )
    ]
    assert set(ids) <= {c.search_result_id for c in listed}
    assert meter.readings and all(r.balance == meter.last for r in meter.readings)  # free
    reading = await client.refresh_balance()
    assert reading is not None and reading.balance == meter.last


# -- errors ---------------------------------------------------------------------------------------


async def test_typed_errors_from_the_real_server(box: Sandbox) -> None:
    url = seamless_url_of(box)
    bad = SeamlessClient(url, api_key="slk_test_not-a-real-key-000000000000")
    with pytest.raises(SeamlessUnauthorized) as caught:
        await bad.search_contacts()
    assert "did not accept the API key" in caught.value.user_message
    await bad.aclose()

    low = SeamlessClient(url, api_key=new_user(box, credits=5))
    with pytest.raises(InsufficientCredits) as short:
        await low.research_contacts(contact_research(done_ids(box, 8, offset=40)))
    assert short.value.additional_credits_needed == 3
    assert "3 more credits are needed" in short.value.user_message
    await low.aclose()

    if "seamless_unlicensed_key" in box.info:
        unlicensed = SeamlessClient(url, api_key=box.info["seamless_unlicensed_key"])
        with pytest.raises(MissingLicense):
            await unlicensed.research_contacts(contact_research(done_ids(box, 1)))
        await unlicensed.aclose()


async def test_the_low_credit_key_of_the_ready_line(box: Sandbox) -> None:
    url = seamless_url_of(box)
    key = box.info.get("seamless_low_credit_key")
    assert key, "the sandbox's ready line has no seamless_low_credit_key"
    client = SeamlessClient(url, api_key=key)
    meter = Meter(client)
    await client.org_contacts(date.today(), date.today(), limit=1)
    assert meter.last <= 5
    await client.aclose()


# -- OAuth ----------------------------------------------------------------------------------------


def oauth_app(box: Sandbox) -> OAuthApp:
    info = box.info.get("seamless_oauth")
    assert info, "the sandbox's ready line has no seamless_oauth"
    return OAuthApp(info["client_id"], info["client_secret"], info["redirect_uri"])


async def test_oauth_sign_in_refresh_and_expiry(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    url = seamless_url_of(box)
    app = oauth_app(box)
    client = SeamlessClient(url, oauth=OAuth(app))
    saved: list[Any] = []
    client.on_tokens(saved.append)
    code = box.control("POST", "seamless/oauth/authorize", json={})["code"]
    first = await client.sign_in(code)
    assert first.refresh_token and first.expires_at and saved == [first]
    page = await client.search_contacts(contact_search(limit=1))
    assert len(page.data) == 1
    second = await client.refresh()
    assert second.access_token != first.access_token and saved[-1] == second
    # The access token expires (sandbox time moves 2 hours): the client refreshes by itself,
    # before sending (expires_at) — and a stale token the server refuses is refreshed once.
    box.control("POST", "clock/advance", json={"ms": 2 * 3600 * 1000})
    await client.search_contacts(contact_search(limit=1))
    assert len(saved) == 3
    await client.aclose()
    # A client whose clock thinks the token is fresh meets the server's 401 "expired".
    latest = saved[-1]
    stale = SeamlessClient(
        url, oauth=OAuth(app, OAuthTokens(latest.access_token, latest.refresh_token, None))
    )
    box.control("POST", "clock/advance", json={"ms": 2 * 3600 * 1000})
    await stale.search_contacts(contact_search(limit=1))
    assert stale.tokens is not None and stale.tokens.access_token != latest.access_token
    await stale.aclose()
    # Without a refresh token, an expired sign-in says to sign in again.
    gone = SeamlessClient(url, oauth=OAuth(app, OAuthTokens(stale.tokens.access_token, None, None)))
    box.control("POST", "clock/advance", json={"ms": 2 * 3600 * 1000})
    with pytest.raises(SeamlessTokenExpired):
        await gone.search_contacts(contact_search(limit=1))
    await gone.aclose()


# -- rate limits ----------------------------------------------------------------------------------


async def test_limits_are_per_endpoint(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", "--seamless-rate-limit", "6")
    url = seamless_url_of(box)
    client = SeamlessClient(url, api_key=box.info["seamless_key"])
    today = date.today()
    for _ in range(3):
        await client.org_contacts(today, today, limit=1)
    listing = client.budget("GET", "/contacts")
    assert listing.limit == 6 and listing.available() == 3
    # search has a budget of its own, untouched by the listings
    await client.search_contacts(contact_search(limit=1))
    assert client.budget("POST", "/search/contacts").available() == 5
    assert listing.available() == 3
    assert box.control("GET", "stats").get("seamless.rate_limited", 0) == 0
    await client.aclose()


async def spend_window(box: Sandbox, requests: int) -> None:
    """Use up the listing endpoint's window from outside the client (unpaced)."""
    today = date.today().isoformat()
    async with httpx.AsyncClient(
        base_url=box.info["seamless_url"], headers={"Token": box.info["seamless_key"]}
    ) as raw:
        for _ in range(requests):
            await raw.get(
                "/contacts", params={"startDate": today, "endDate": today, "page": 1, "limit": 1}
            )


async def test_a_429_from_the_server_is_waited_out(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", "--seamless-rate-limit", "2")
    url = seamless_url_of(box)
    today = date.today()
    await spend_window(box, 2)
    # Waits are capped at 1 s here; the sandbox's minute is ended by moving its clock.
    client = SeamlessClient(
        url, api_key=box.info["seamless_key"], retry=RetryPolicy(max_retry_after=1.0)
    )

    async def end_the_window() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(box.control, "POST", "clock/advance", json={"ms": 61_000})

    mover = asyncio.create_task(end_the_window())
    page = await client.org_contacts(today, today, limit=1)  # 429, wait, retry: answered
    await mover
    assert page.page == 1
    assert box.control("GET", "stats").get("seamless.rate_limited", 0) == 1
    # 429s that do not end become a typed error after the bounded waits
    box.control("POST", "clock/advance", json={"ms": 61_000})
    await spend_window(box, 2)
    impatient = SeamlessClient(
        url, api_key=box.info["seamless_key"], retry=RetryPolicy(max_retry_after=0.1)
    )
    with pytest.raises(SeamlessRateLimited) as caught:
        await impatient.org_contacts(today, today, limit=1)
    assert caught.value.status == 429 and "Try again in" in caught.value.user_message
    for c in (client, impatient):
        await c.aclose()
