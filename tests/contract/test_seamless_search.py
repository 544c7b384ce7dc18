"""Seamless search over real HTTP: every filter, nextToken paging, billing, refused bodies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.constants import SEAMLESS_INDUSTRY_GROUPS
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)

Item = dict[str, Any]


def mint(box: Sandbox, credits: int = 1000, **kw: Any) -> str:
    """A fresh user (demo organisation unless ``newOrg``) and their key."""
    return str(box.control("POST", "seamless/users", json={"credits": credits, **kw})["key"])


def balance(box: Sandbox, key: str) -> int:
    return int(box.control("GET", "seamless/credits", params={"key": key})["credits"])


def sandbox_now(box: Sandbox) -> datetime:
    offset = box.control("GET", "health")["clockOffsetMs"]
    return datetime.now(UTC) + timedelta(milliseconds=offset)


def search(c: httpx.Client, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    r = c.post(f"/search/{kind}", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def bad(r: httpx.Response, field: str | None = None, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) <= {"message", "code", "field"} and body["message"], body
    if field is not None:
        assert body.get("field") == field, body
    return str(body["message"])


def test_ready_line_has_the_seamless_fields(sandbox: Sandbox) -> None:
    info = sandbox.info
    assert info["seamless_url"] == info["seedly_url"] + "/api/client/v1"
    keys = [info["seamless_key"], info["seamless_low_credit_key"], info["seamless_unlicensed_key"]]
    assert len(set(keys)) == 3 and all(k.startswith("slk_test_") for k in keys)
    oauth = info["seamless_oauth"]
    assert set(oauth) == {"client_id", "client_secret", "redirect_uri", "authorize_url"}
    overview = sandbox.control("GET", "seamless")
    users = {u["keys"][0]["key"]: u for u in overview["users"] if u["keys"]}
    assert users[info["seamless_key"]]["credits"] >= 90_000
    assert users[info["seamless_low_credit_key"]]["orgId"] == users[info["seamless_key"]]["orgId"]
    assert users[info["seamless_unlicensed_key"]]["licensed"] is False


def test_unfiltered_search_pages_through_the_whole_database(sandbox: Sandbox) -> None:
    c = sandbox.seamless()
    body = search(c, "contacts", {})
    meta = body["supplementalData"]
    assert meta["total"] >= 20_000 and meta["perPage"] == 50 and len(body["data"]) == 50
    assert meta["isMore"] is True and isinstance(meta["nextToken"], str)
    item = body["data"][0]
    for name in (
        "searchResultId",
        "name",
        "firstName",
        "lastName",
        "company",
        "title",
        "department",
        "seniority",
        "domain",
        "city",
        "state",
        "country",
        "companyCity",
        "companyState",
        "companyCountry",
        "liUrl",
        "companyLIProfileUrl",
        "sicCode",
        "industries",
        "employeeSizeRange",
        "companyRevenue",
        "timezone",
        "titleStartedAt",
        "startedAtCurrentCompany",
        "timeAtRole",
        "timeAtCompany",
        "jobChangeAlert",
        "formerCompany",
        "formerTitle",
        "companyType",
        "stockTicker",
        "lastModifiedAt",
    ):
        assert name in item, name
    assert not any("email" in k.lower() or "phone" in k.lower() for k in item)
    companies = search(c, "companies", {"limit": 3})
    assert companies["supplementalData"]["total"] >= 2_000
    for name in (
        "searchResultId",
        "name",
        "domain",
        "description",
        "street1",
        "street2",
        "street3",
        "city",
        "state",
        "postCode",
        "country",
        "liUrl",
        "sicCode",
        "industries",
        "revenueRange",
        "annualRevenue",
        "staffCountRange",
        "employeeCount",
        "numContacts",
        "technologies",
        "foundedOn",
        "companyType",
        "stockTicker",
    ):
        assert name in companies["data"][0], name


def _contact_cases(now: datetime) -> list[tuple[dict[str, Any], Callable[[Item], bool]]]:
    software = set(dict(SEAMLESS_INDUSTRY_GROUPS)["Software & Information Technology"])

    def days_ago(text: str) -> int:
        return (now.date() - datetime.fromisoformat(text).date()).days

    return [
        ({"jobTitle": ["Engineer"]}, lambda i: "engineer" in i["title"].lower()),
        ({"seniority": ["VP", "Director"]}, lambda i: i["seniority"] in ("VP", "Director")),
        ({"department": ["Legal"]}, lambda i: i["department"] == "Legal"),
        (
            {"industry": ["Software & Information Technology"]},
            lambda i: bool(set(i["industries"]) & software),
        ),
        (
            {"industry": ["Banking", "Insurance"]},
            lambda i: bool({"Banking", "Insurance"} & set(i["industries"])),
        ),
        ({"companyName": ["labs"]}, lambda i: "labs" in i["company"].lower()),
        (
            {"contactKeyword": ["Kubernetes"]},
            lambda i: "kubernetes" in " ".join([i["title"], *i["technologies"]]).lower(),
        ),
        (
            {"contactCountry": ["Germany"], "locationType": "contact"},
            lambda i: i["country"] == "Germany",
        ),
        (
            {"contactCountry": ["DE"], "locationType": "company"},
            lambda i: i["companyCountry"] == "Germany",
        ),
        (
            {"contactState": ["CA"]},
            lambda i: "California" in (i["state"], i["companyState"]),
        ),
        (
            {"contactState": ["TX"], "locationType": "bothAND"},
            lambda i: i["state"] == i["companyState"] == "Texas",
        ),
        (
            {"contactZipCode": ["100"], "locationType": "contact"},
            lambda i: i["zipCode"].startswith("100"),
        ),
        (
            {"companySize": ["10,001+", "2 - 10"]},
            lambda i: i["employeeSizeRange"] in ("10,001+", "2 - 10"),
        ),
        ({"companyRevenue": ["$1B+"]}, lambda i: i["companyRevenue"] == "$1B+"),
        (
            {"technologies": ["AWS", "Slack"], "technologiesIsOr": False},
            lambda i: {"AWS", "Slack"} <= set(i["technologies"]),
        ),
        (
            {"technologies": ["aws", "slack"]},
            lambda i: bool({"AWS", "Slack"} & set(i["technologies"])),
        ),
        (
            {"jobChanges": {"changeType": "New Hire", "dayRange": "Last 90 Days"}},
            lambda i: (
                i["jobChangeAlert"] == "New Hire" and days_ago(i["startedAtCurrentCompany"]) <= 91
            ),
        ),
        (
            {"jobChanges": {"changeType": "New Promotion", "dayRange": "Last 180 Days"}},
            lambda i: (
                i["jobChangeAlert"] == "New Promotion" and days_ago(i["titleStartedAt"]) <= 181
            ),
        ),
        (
            {"companyType": "Public"},
            lambda i: i["companyType"] == "Public" and bool(i["stockTicker"]),
        ),
        (
            {"lastModifiedAfter": (now - timedelta(days=30)).isoformat()},
            lambda i: (
                # "2026-03-03 12:34:07": the published form, a space and no zone (UTC)
                datetime.fromisoformat(i["lastModifiedAt"]).replace(tzinfo=UTC)
                >= now - timedelta(days=30, seconds=5)
            ),
        ),
    ]


def test_every_contact_filter_narrows_to_matching_people(sandbox: Sandbox) -> None:
    c = sandbox.seamless()
    everyone = search(c, "contacts", {"limit": 1})["supplementalData"]["total"]
    for body, check in _contact_cases(sandbox_now(sandbox)):
        found = search(c, "contacts", {**body, "limit": 100})
        total = found["supplementalData"]["total"]
        assert 0 < total < everyone, (body, total)
        assert found["supplementalData"]["ignoredFilters"] == [], body
        bad_items = [i for i in found["data"] if not check(i)]
        assert not bad_items, (body, bad_items[:1])


def test_named_people_and_companies_are_found(sandbox: Sandbox) -> None:
    c = sandbox.seamless()
    sample = search(c, "contacts", {"limit": 50})["data"]
    person = next(i for i in sample if i["formerCompany"])
    by_name = search(c, "contacts", {"fullName": [person["name"]]})["data"]
    assert person["searchResultId"] in [i["searchResultId"] for i in by_name]
    by_domain = search(c, "contacts", {"companyDomain": [person["domain"]], "limit": 100})
    assert {i["domain"] for i in by_domain["data"]} == {person["domain"]}
    exact = search(
        c, "contacts", {"companyName": [person["company"]], "companyNameSearchType": "exact"}
    )
    assert {i["company"] for i in exact["data"]} == {person["company"]}
    company = search(c, "companies", {"companyDomain": [person["domain"]]})["data"]
    assert (
        len(company) == 1
        and int(company[0]["numContacts"]) == by_domain["supplementalData"]["total"]
    )
    assert company[0]["name"] == person["company"] and company[0]["city"] == person["companyCity"]
    past = search(
        c,
        "contacts",
        {
            "pastCompany": {"names": [person["formerCompany"]], "onlyMostRecentDeparture": True},
            "limit": 100,
        },
    )
    assert person["searchResultId"] in [i["searchResultId"] for i in past["data"]] or (
        past["supplementalData"]["total"] > 100
    )
    assert all(
        person["formerCompany"].lower() in (i["formerCompany"] or "").lower() for i in past["data"]
    )


def test_company_filters(sandbox: Sandbox) -> None:
    c = sandbox.seamless()
    now = sandbox_now(sandbox)
    cases: list[tuple[dict[str, Any], Callable[[Item], bool]]] = [
        ({"industry": ["Computer Software"]}, lambda i: "Computer Software" in i["industries"]),
        (
            {"companyKeyword": ["Austin"]},
            lambda i: "austin" in (i["description"] + i["city"]).lower(),
        ),
        ({"companyCountry": ["Canada"]}, lambda i: i["country"] == "Canada"),
        ({"companyState": ["New York"]}, lambda i: i["state"] == "New York"),
        ({"companyZipCode": ["EC"]}, lambda i: i["postCode"].startswith("EC")),
        ({"companySize": ["51 - 200"]}, lambda i: i["staffCountRange"] == "51 - 200"),
        ({"companyRevenue": ["$0 - $100K"]}, lambda i: i["revenueRange"] == "$0 - $100K"),
        ({"companyType": "Private"}, lambda i: i["companyType"] == "Private"),
        ({"foundedOn": ["10+ Years"]}, lambda i: now.year - int(i["foundedOn"][:4]) >= 10),
        ({"foundedOn": ["Less than 1 Year"]}, lambda i: now.year - int(i["foundedOn"][:4]) <= 1),
        (
            {"newsTypes": ["Leadership"], "newsTypeDates": ["365"]},
            lambda i: any(n["type"] == "Leadership" for n in i["news"]),
        ),
        (
            {"latestFundingClassifications": ["Series A"]},
            lambda i: i["latestFundingClassification"] == "Series A",
        ),
        ({"latestFundingTotals": ["$250M+"]}, lambda i: int(i["fundingTotal"]) >= 250_000_000),
        (
            {"latestFundingDates": ["Last 90 Days"]},
            lambda i: len(i["latestFundingDate"]) == 10,
        ),
        ({"technologies": ["Snowflake"]}, lambda i: "Snowflake" in i["technologies"]),
    ]
    for body, check in cases:
        found = search(c, "companies", {**body, "limit": 100})
        assert 0 < found["supplementalData"]["total"] < 2_000, body
        assert all(check(i) for i in found["data"]), body


def test_contact_company_filters_agree_with_company_search(sandbox: Sandbox) -> None:
    """Company facts not shown on contact results (founding, news, funding) filter the same
    companies in both searches."""
    c = sandbox.seamless()
    pairs = [
        ({"companyFoundedOn": ["Less than 1 Year"]}, {"foundedOn": ["Less than 1 Year"]}),
        (
            {"newsTypes": ["Expansion", "Acquisition"], "newsTypeDates": ["90"]},
            {"newsTypes": ["Expansion", "Acquisition"], "newsTypeDates": ["90"]},
        ),
        (
            {
                "companyLatestFundingDates": ["Last 365 Days"],
                "companyLatestFundingClassifications": ["Seed"],
            },
            {"latestFundingDates": ["Last 365 Days"], "latestFundingClassifications": ["Seed"]},
        ),
        (
            {"companyLatestFundingTotals": ["$100M - $250M"]},
            {"latestFundingTotals": ["$100M - $250M"]},
        ),
    ]
    for contact_body, company_body in pairs:
        companies = search(c, "companies", {**company_body, "limit": 100})
        names = {i["name"] for i in companies["data"]}
        assert 0 < len(names) == companies["supplementalData"]["total"] <= 100, company_body
        people = search(c, "contacts", {**contact_body, "limit": 100})
        assert people["supplementalData"]["total"] > 0
        assert {i["company"] for i in people["data"]} <= names, contact_body


def test_next_token_walks_every_result_once(sandbox: Sandbox) -> None:
    c = sandbox.seamless()
    filters = {"industry": ["Banking", "Financial Services"], "seniority": ["VP", "C-Level"]}
    first = search(c, "contacts", {**filters, "limit": 7})
    total = first["supplementalData"]["total"]
    assert 14 < total < 300
    seen = [i["searchResultId"] for i in first["data"]]
    token = first["supplementalData"]["nextToken"]
    alone = True
    while token:
        # Alternate: the token alone, and the token with the same filters (and another limit).
        body = (
            {"nextToken": token, "limit": 9}
            if alone
            else {**filters, "nextToken": token, "limit": 25}
        )
        alone = not alone
        page = search(c, "contacts", body)
        seen += [i["searchResultId"] for i in page["data"]]
        assert page["supplementalData"]["total"] == total
        token = page["supplementalData"]["nextToken"]
        assert (token is None) == (not page["supplementalData"]["isMore"])
    assert len(seen) == len(set(seen)) == total


def test_bad_next_tokens_are_refused_without_charge(sandbox: Sandbox) -> None:
    key = mint(sandbox, 100)
    c = sandbox.seamless(key)
    page = search(c, "contacts", {"seniority": ["VP"], "limit": 5})
    token = page["supplementalData"]["nextToken"]
    company_token = search(c, "companies", {"limit": 5})["supplementalData"]["nextToken"]
    spent = balance(sandbox, key)
    assert "different filters" in bad(
        c.post("/search/contacts", json={"seniority": ["Director"], "nextToken": token}),
        "nextToken",
    )
    bad(c.post("/search/contacts", json={"nextToken": "garbage"}), "nextToken")
    bad(c.post("/search/contacts", json={"nextToken": token[:-3] + "AAA"}), "nextToken")
    body, sig = token.split(".")
    bad(c.post("/search/contacts", json={"nextToken": body[:-4] + "AAAA." + sig}), "nextToken")
    bad(c.post("/search/contacts", json={"nextToken": company_token}), "nextToken")
    assert balance(sandbox, key) == spent


def test_search_credits_round_up_per_ten_results(sandbox: Sandbox) -> None:
    key = mint(sandbox, 100)
    c = sandbox.seamless(key)
    expected = 100
    for limit, cost in ((1, 1), (10, 1), (11, 2), (20, 2), (21, 3), (100, 10)):
        r = c.post("/search/contacts", json={"department": ["Sales"], "limit": limit})
        assert r.status_code == 200 and len(r.json()["data"]) == limit
        expected -= cost
        assert r.json()["supplementalData"]["creditsCharged"] == cost
        assert r.headers["X-PublicAPI-Credits"] == str(expected) == str(balance(sandbox, key))
    # Empty results cost nothing; a last short page costs by what it returns.
    r = c.post("/search/contacts", json={"fullName": ["Nobody Ofthisname"]})
    assert r.json()["data"] == [] and r.json()["supplementalData"]["creditsCharged"] == 0
    assert r.headers["X-PublicAPI-Credits"] == str(expected)
    few = search(
        c,
        "companies",
        {"companyDomain": [search(c, "companies", {"limit": 1})["data"][0]["domain"]]},
    )
    assert len(few["data"]) == 1 and few["supplementalData"]["creditsCharged"] == 1
    ledger = sandbox.control("GET", "seamless/ledger", params={"key": key})
    assert [e["delta"] for e in ledger][:3] == [-1, -1, -10]


def test_search_with_too_few_credits_is_refused_and_free(sandbox: Sandbox) -> None:
    key = mint(sandbox, 1)
    c = sandbox.seamless(key)
    r = c.post("/search/contacts", json={"limit": 11})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "insufficientCredits" and body["msg"]
    assert body["data"] == {"productCategory": "universal", "additionalCreditsNeeded": 1}
    assert r.headers["X-PublicAPI-Credits"] == "1" and balance(sandbox, key) == 1
    ok = c.post("/search/contacts", json={"limit": 10})
    assert ok.status_code == 200 and ok.headers["X-PublicAPI-Credits"] == "0"
    # With nothing left, an empty search still works (it costs nothing).
    assert c.post("/search/contacts", json={"fullName": ["Nobody Ofthisname"]}).status_code == 200
    assert c.post("/search/contacts", json={"limit": 1}).status_code == 422


def test_invalid_optional_values_are_ignored_and_reported(sandbox: Sandbox) -> None:
    c = sandbox.seamless()
    everyone = search(c, "contacts", {"limit": 1})["supplementalData"]["total"]
    vp = search(c, "contacts", {"seniority": ["VP"], "limit": 1})["supplementalData"]["total"]
    mixed = search(
        c, "contacts", {"seniority": ["VP", "Boss"], "locationType": "nearby", "limit": 1}
    )
    assert mixed["supplementalData"]["total"] == vp
    assert {(i["field"], i["value"]) for i in mixed["supplementalData"]["ignoredFilters"]} == {
        ("seniority", "Boss"),
        ("locationType", "nearby"),
    }
    only_bad = search(c, "contacts", {"companySize": ["enormous"], "limit": 1})
    assert only_bad["supplementalData"]["total"] == everyone  # the filter was not applied


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "industry": [
                    "Computer Software",
                    "Internet",
                    "Banking",
                    "Insurance",
                    "Retail",
                    "Music",
                ]
            },
            "industry",
        ),
        ({"industry": ["Underwater Basket Weaving"]}, "industry"),
        ({"seniority": ["VP"] * 2 + ["Director", "Manager", "Senior", "Other"]}, "seniority"),
        ({"jobTitle": [f"title {n}" for n in range(11)]}, "jobTitle"),
        ({"contactZipCode": [str(n) for n in range(11)]}, "contactZipCode"),
        ({"newsTypeDates": ["60", "90"]}, "newsTypeDates"),
        ({"pastCompany": {"names": []}}, "pastCompany.names"),
        ({"seniority": "VP"}, "seniority"),
        ({"limit": "10"}, "limit"),
        ({"limit": 0}, "limit"),
        ({"technologiesIsOr": 1}, "technologiesIsOr"),
        ({"jobTitles": ["typo"]}, "jobTitles"),
    ],
)
def test_refused_contact_searches_cost_nothing(
    sandbox: Sandbox, body: dict[str, Any], field: str
) -> None:
    key = mint(sandbox, 50)
    c = sandbox.seamless(key)
    bad(c.post("/search/contacts", json=body), field)
    assert balance(sandbox, key) == 50


def test_malformed_bodies_get_the_seamless_error_shape(sandbox: Sandbox) -> None:
    key = mint(sandbox, 50)
    c = sandbox.seamless(key)
    for raw in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"):
        r = c.post("/search/contacts", content=raw, headers={"Content-Type": "application/json"})
        bad(r)
        assert "X-RateLimit-Limit" in r.headers and r.headers["X-PublicAPI-Credits"] == "50"
    bad(c.post("/search/companies", json={"seniority": ["VP"]}), "seniority")
    r = c.post("/search/contacts", content=b'{"jobTitle": ["' + b"x" * 1_100_000 + b'"]}')
    assert r.status_code == 413 and r.json()["code"] == "payloadTooLarge"
    r = c.get("/search/contacts")
    assert r.status_code == 405 and r.json()["code"] == "methodNotAllowed"
    r = c.get("/search/people")
    assert r.status_code == 404 and r.json()["message"]
    assert balance(sandbox, key) == 50
    # The limit is capped, not refused.
    page = search(c, "companies", {"limit": 1000})
    assert page["supplementalData"]["perPage"] == 100 and len(page["data"]) == 100
