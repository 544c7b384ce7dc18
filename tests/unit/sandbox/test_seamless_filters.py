"""Search filters: what a body may say, what is refused, what is ignored, and what matches."""

from __future__ import annotations

from typing import Any

import pytest

from app.sandbox.seamless import data, filters, records, vocab
from app.sandbox.seamless.filters import FilterError, parse_query

ANCHOR = 1_767_225_600_000
DAY = 86_400_000


@pytest.fixture(scope="module")
def ds() -> data.Dataset:
    return data.DatasetCache().get(ANCHOR)


def people(ds: data.Dataset, body: dict[str, Any], now: int = ANCHOR) -> list[data.Person]:
    query = parse_query("contacts", body)
    test = filters.contact_matcher(query.filters, ANCHOR, now)
    return [p for p in ds.people if test(p)]


def companies(ds: data.Dataset, body: dict[str, Any], now: int = ANCHOR) -> list[data.Company]:
    query = parse_query("companies", body)
    test = filters.company_matcher(query.filters, ANCHOR, now)
    return [c for c in ds.companies if test(c)]


# -- reading bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"industry": ["Computer Software"] * 3 + ["Internet", "Banking", "Insurance"]},
            "industry",
        ),
        ({"seniority": ["VP", "Director", "Manager", "Senior", "Other", "C-Level"]}, "seniority"),
        ({"department": list(vocab.DEPARTMENTS[:6])}, "department"),
        ({"jobTitle": [f"t{n}" for n in range(11)]}, "jobTitle"),
        ({"companyName": [f"c{n}" for n in range(101)]}, "companyName"),
        ({"companyFoundedOn": list(vocab.FOUNDED_RANGES) + ["x"]}, "companyFoundedOn"),
        ({"newsTypeDates": ["60", "90"]}, "newsTypeDates"),
        ({"newsTypes": list(vocab.NEWS_TYPES) + ["Other"]}, "newsTypes"),
        ({"pastCompany": {"names": [f"c{n}" for n in range(101)]}}, "pastCompany.names"),
        ({"pastCompany": {"names": []}}, "pastCompany.names"),
        ({"industry": ["Basket Weaving"]}, "industry"),
        ({"seniority": "VP"}, "seniority"),
        ({"jobTitle": [1]}, "jobTitle"),
        ({"technologiesIsOr": "yes"}, "technologiesIsOr"),
        ({"limit": 0}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"jobChanges": "New Hire"}, "jobChanges"),
        ({"jobChanges": {"changeType": "New Hire", "when": "now"}}, "jobChanges"),
        (
            {"pastCompany": {"names": ["a"], "onlyMostRecentDeparture": "yes"}},
            "pastCompany.onlyMostRecentDeparture",
        ),
        ({"lastModifiedAfter": 20260101}, "lastModifiedAfter"),
        ({"jobTitles": ["CEO"]}, "jobTitles"),
        ({"nextToken": 5}, "nextToken"),
        ({"jobTitle": ["x" * 201]}, "jobTitle"),
    ],
)
def test_refused_bodies_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_query("contacts", body)
    assert info.value.field == field


def test_company_search_has_its_own_field_list() -> None:
    with pytest.raises(FilterError) as info:
        parse_query("companies", {"seniority": ["VP"]})
    assert info.value.field == "seniority"
    assert parse_query("companies", {"foundedOn": ["10+ Years"]}).filters == {
        "foundedOn": ["10+ Years"]
    }
    with pytest.raises(FilterError):
        parse_query("contacts", {"foundedOn": ["10+ Years"]})


def test_invalid_optional_values_are_ignored_and_reported() -> None:
    query = parse_query(
        "contacts",
        {
            "seniority": ["vp", "Boss"],
            "locationType": "near",
            "companyType": "Both",
            "newsTypeDates": ["30"],
            "lastModifiedAfter": "last tuesday",
            "jobChanges": {"changeType": "Fired"},
            "companySize": ["huge"],
        },
    )
    assert query.filters == {"seniority": ["VP"]}
    ignored = {(i["field"], str(i["value"])) for i in query.ignored}
    assert ("seniority", "Boss") in ignored and ("locationType", "near") in ignored
    assert {i["field"] for i in query.ignored} == {
        "seniority",
        "locationType",
        "companyType",
        "newsTypeDates",
        "lastModifiedAfter",
        "jobChanges",
        "companySize",
    }
    # A bad dayRange falls back to the default range, and says so.
    query = parse_query(
        "contacts", {"jobChanges": {"changeType": "new hire", "dayRange": "Last Week"}}
    )
    assert query.filters["jobChanges"] == {"changeType": "New Hire", "dayRange": "Last 90 Days"}
    assert query.ignored[0]["field"] == "jobChanges.dayRange"


def test_paging_fields_and_canonical_form() -> None:
    query = parse_query("contacts", {"limit": 500, "nextToken": "abc"})
    assert query.limit == filters.MAX_LIMIT and query.next_token == "abc"
    assert parse_query("contacts", {}).limit == 50
    a = parse_query("contacts", {"seniority": ["Manager", "VP"], "jobTitle": ["b", "A", "b"]})
    b = parse_query("contacts", {"seniority": ["vp", "manager"], "jobTitle": ["A", "b"]})
    assert a.filters == b.filters  # order and case do not make a different search
    assert parse_query("contacts", {"industry": ["computer software"]}).filters == {
        "industry": ["Computer Software"]
    }


def test_billing_rounds_up_per_ten_results() -> None:
    from app.sandbox.seamless.accounts import search_cost

    assert [search_cost(n) for n in (0, 1, 5, 9, 10, 11, 20, 21, 50, 100)] == [
        0,
        1,
        1,
        1,
        1,
        2,
        2,
        3,
        5,
        10,
    ]


# -- matching ---------------------------------------------------------------------------------


def test_person_filters_match_what_they_say(ds: data.Dataset) -> None:
    found = people(ds, {"jobTitle": ["engineer"], "seniority": ["Senior"]})
    assert found and all("engineer" in p.title.lower() and p.seniority == "Senior" for p in found)
    found = people(ds, {"department": ["Legal", "Finance"]})
    assert found and {p.department for p in found} == {"Legal", "Finance"}
    target = ds.people[99]
    assert target in people(ds, {"fullName": [target.full_name.lower()]})
    found = people(ds, {"contactKeyword": ["kubernetes"]})
    assert found and all("kubernetes" in p.company.tech_l for p in found)


def test_industry_parent_covers_its_industries(ds: data.Dataset) -> None:
    parent = "Software & Information Technology"
    by_parent = people(ds, {"industry": [parent]})
    by_children = people(ds, {"industry": list(vocab.INDUSTRY_GROUPS[parent])[:5]})
    assert set(map(id, by_children)) < set(map(id, by_parent))
    assert all(any(vocab.PARENT_OF[i] == parent for i in p.company.industries) for p in by_parent)
    found = companies(ds, {"industry": ["Computer Software"]})
    assert found and all("Computer Software" in c.industries for c in found)


def test_company_name_search_types(ds: data.Dataset) -> None:
    company = next(
        c
        for c in ds.companies
        if " " in data.strip_suffix(c.name) and c.name != data.strip_suffix(c.name)
    )
    exact = companies(
        ds,
        {
            "companyName": [data.strip_suffix(company.name).upper()],
            "companyNameSearchType": "exact",
        },
    )
    assert exact == [company]
    word = data.strip_suffix(company.name).split()[0]
    default = companies(ds, {"companyName": [word]})
    related = companies(ds, {"companyName": [word], "companyNameSearchType": "related"})
    assert company in default and company in related
    assert all(word.lower() in c.name.lower() for c in default)
    by_domain = companies(ds, {"companyDomain": [f"https://www.{company.domain}/about"]})
    assert by_domain == [company]


def test_location_types(ds: data.Dataset) -> None:
    both_or = people(ds, {"contactState": ["TX"]})
    contact = people(ds, {"contactState": ["Texas"], "locationType": "contact"})
    company = people(ds, {"contactState": ["tx"], "locationType": "company"})
    both_and = people(ds, {"contactState": ["TX"], "locationType": "bothAND"})
    assert all(vocab.CITIES[p.city][2] == "TX" for p in contact)
    assert all(vocab.CITIES[p.company.city][2] == "TX" for p in company)
    assert set(map(id, both_and)) == set(map(id, contact)) & set(map(id, company))
    assert set(map(id, both_or)) == set(map(id, contact)) | set(map(id, company))
    assert len(both_and) < len(contact) < len(both_or)
    uk = people(ds, {"contactCountry": ["UK"], "locationType": "contact"})
    assert uk and all(vocab.CITIES[p.city][5] == "GB" for p in uk)
    assert people(ds, {"contactCountry": ["gb"], "locationType": "contact"}) == uk
    zips = people(ds, {"contactZipCode": ["941"], "locationType": "contact"})
    assert zips and all(p.post_code.startswith("941") for p in zips)
    assert companies(ds, {"companyCountry": ["Narnia"]}) == []


def test_company_attributes(ds: data.Dataset) -> None:
    found = companies(
        ds, {"companySize": ["10,001+"], "companyRevenue": ["$1B+"], "companyType": "Public"}
    )
    assert found and all(c.size == 8 and c.revenue == 8 and c.ticker for c in found)
    found = companies(ds, {"technologies": ["AWS", "Slack"], "technologiesIsOr": False})
    assert found and all({"AWS", "Slack"} <= set(c.technologies) for c in found)
    either = companies(ds, {"technologies": ["AWS", "Slack"]})
    assert len(either) > len(found)
    young = companies(ds, {"foundedOn": ["Less than 1 Year"]})
    assert young and all(c.founded_days < 365 for c in young)
    # Sandbox time moves buckets: a year later, nothing founded "less than a year" ago is left.
    assert companies(ds, {"foundedOn": ["Less than 1 Year"]}, now=ANCHOR + 366 * DAY) == []
    found = companies(ds, {"companyKeyword": ["headquarters in austin"]})
    assert found and all(vocab.CITIES[c.city][0] == "Austin" for c in found)


def test_news_and_funding(ds: data.Dataset) -> None:
    found = companies(ds, {"newsTypes": ["Acquisition", "Expansion"], "newsTypeDates": ["60"]})
    assert found and all(
        any(k in ("Acquisition", "Expansion") and d <= 60 for k, d in c.news) for c in found
    )
    any_recent = companies(ds, {"newsTypeDates": [90]})
    assert all(any(d <= 90 for _, d in c.news) for c in any_recent)
    found = companies(
        ds,
        {
            "latestFundingClassifications": ["Series A", "Seed"],
            "latestFundingDates": ["Last 365 Days"],
            "latestFundingTotals": ["$1M - $5M", "$5M - $10M"],
        },
    )
    assert found
    for c in found:
        assert (
            c.funding is not None and c.funding[1] in ("Series A", "Seed") and c.funding[0] <= 365
        )
        assert 1_000_000 <= c.funding[2] < 10_000_000
    older = companies(ds, {"latestFundingDates": ["More than 2 Years"]})
    assert older and all(c.funding and c.funding[0] >= 730 for c in older)
    assert people(ds, {"companyLatestFundingClassifications": ["Grant"]})


def test_job_changes_past_companies_and_modification_dates(ds: data.Dataset) -> None:
    hires = people(ds, {"jobChanges": {"changeType": "New Hire", "dayRange": "Last 60 Days"}})
    promos = people(ds, {"jobChanges": {"changeType": "New Promotion", "dayRange": "Last 60 Days"}})
    both = people(
        ds, {"jobChanges": {"changeType": "New Hire or New Promotion", "dayRange": "Last 60 Days"}}
    )
    assert hires and promos
    assert all(p.company_days <= 60 for p in hires)
    assert all(p.title_days <= 60 < p.company_days for p in promos)
    assert set(map(id, both)) == set(map(id, hires)) | set(map(id, promos))
    assert all(records.job_change(p, 0) == "New Hire" for p in hires)
    wider = people(ds, {"jobChanges": {"changeType": "New Hire", "dayRange": "Last 365 Days"}})
    assert len(wider) > len(hires)
    mover = next(p for p in ds.people if len(p.past) >= 2)
    recent_only = people(
        ds, {"pastCompany": {"names": [mover.past[1][0]], "onlyMostRecentDeparture": True}}
    )
    anywhere = people(ds, {"pastCompany": {"names": [mover.past[1][0]]}})
    assert mover in anywhere
    assert len(recent_only) <= len(anywhere)
    assert all(
        any(mover.past[1][0].lower() in name.lower() for name, *_ in p.past[:1])
        for p in recent_only
    )
    cutoff = "2025-12-01T00:00:00Z"
    recent = people(ds, {"lastModifiedAfter": cutoff})
    assert recent and all(ANCHOR - p.modified_days * DAY >= ANCHOR - 31 * DAY for p in recent)
    window = people(
        ds, {"lastModifiedAfter": "2025-06-01", "lastModifiedBefore": "2025-11-30T23:59:59Z"}
    )
    assert window and not set(map(id, window)) & set(map(id, recent))
