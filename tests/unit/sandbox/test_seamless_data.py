"""The Seamless demo database: deterministic, complete for every filter value, consistent."""

from __future__ import annotations

import re
from collections import Counter

import phonenumbers
import pytest

from app.sandbox.seamless import data, filters, records, research, vocab

ANCHOR = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def ds() -> data.Dataset:
    return data.DatasetCache().get(ANCHOR)


def test_sizes_and_determinism(ds: data.Dataset) -> None:
    assert len(ds.companies) == 2_000 and len(ds.people) == 20_000
    again = data.generate(ANCHOR)
    assert [p.id for p in again.people] == [p.id for p in ds.people]
    assert [(c.name, c.domain, c.industries, c.funding) for c in again.companies] == [
        (c.name, c.domain, c.industries, c.funding) for c in ds.companies
    ]
    person = ds.people[1234]
    twin = again.person_by_id[person.id]
    assert (twin.full_name, twin.title, twin.company.id, twin.past) == (
        person.full_name,
        person.title,
        person.company.id,
        person.past,
    )
    # Derived contact details are a function of the person alone.
    assert records.emails(person) == records.emails(twin)
    assert records.phones(person) == records.phones(twin)
    # A different anchor moves dates, not identities.
    shifted = data.generate(ANCHOR + 86_400_000, n_companies=50, n_people=200)
    small = data.generate(ANCHOR, n_companies=50, n_people=200)
    assert [p.id for p in shifted.people] == [p.id for p in small.people]


def test_ids_are_unique_and_uuid_shaped(ds: data.Dataset) -> None:
    ids = [p.id for p in ds.people] + [c.id for c in ds.companies]
    assert len(set(ids)) == len(ids)
    shape = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(shape.match(i) for i in ids[:500])
    assert len({c.domain for c in ds.companies}) == len(ds.companies)
    assert len({c.name.lower() for c in ds.companies}) == len(ds.companies)


def test_every_documented_filter_value_has_records(ds: data.Dataset) -> None:
    people, companies = ds.people, ds.companies
    assert set(p.seniority for p in people) == set(vocab.SENIORITIES)
    assert set(p.department for p in people) == set(vocab.DEPARTMENTS)
    assert set(i for c in companies for i in c.industries) == set(vocab.INDUSTRIES)
    assert {vocab.COMPANY_SIZES[c.size] for c in companies} == set(vocab.COMPANY_SIZES)
    assert {vocab.COMPANY_REVENUES[c.revenue] for c in companies} == set(vocab.COMPANY_REVENUES)
    assert {filters.founded_bucket(c.founded_days) for c in companies} == set(vocab.FOUNDED_RANGES)
    assert {c.company_type for c in companies} == {"Public", "Private"}
    assert all(c.ticker for c in companies if c.company_type == "Public")
    assert set(t for c in companies for t in c.technologies) == set(vocab.TECHNOLOGIES)
    assert {kind for c in companies for kind, _ in c.news} == set(vocab.NEWS_TYPES)
    for window in vocab.NEWS_TYPE_DATES:
        assert any(days <= window for c in companies for _, days in c.news)
    funded = [c.funding for c in companies if c.funding]
    assert {f[1] for f in funded} == set(vocab.FUNDING_CLASSIFICATIONS)
    assert {filters.funding_total_bucket(f[2]) for f in funded} == set(vocab.FUNDING_TOTALS)
    for lo, hi in vocab.FUNDING_DATE_WINDOWS.values():
        assert any(lo <= f[0] <= hi for f in funded)
    used_cities = {c.city for c in companies} | {p.city for p in people}
    assert used_cities == set(range(len(vocab.CITIES)))
    zips = {z for city in vocab.CITIES for z in city[3]}
    assert zips <= {c.post_code for c in companies} | {p.post_code for p in people}
    for days in vocab.JOB_CHANGE_RANGES.values():
        assert any(p.company_days <= days and p.past for p in people)  # new hires
        assert any(p.title_days <= days < p.company_days for p in people)  # promotions
    assert any(len(p.past) == 3 for p in people) and any(not p.past for p in people)


def test_people_are_consistent_with_their_company(ds: data.Dataset) -> None:
    per_company = Counter(p.company.id for p in ds.people)
    for company in ds.companies:
        assert per_company[company.id] == company.num_contacts >= 1
        assert company.num_contacts <= company.employees
        low, high = vocab.SIZE_BOUNDS[company.size]
        assert low <= company.employees <= high
        rlow, rhigh = vocab.REVENUE_BOUNDS[company.revenue]
        assert rlow <= company.annual_revenue < rhigh
    person = next(p for p in ds.people if p.company.num_contacts > 5)
    item = records.contact_item(person, ANCHOR, ANCHOR)
    company = records.company_item(person.company, ANCHOR)
    assert item["company"] == company["name"] and item["domain"] == company["domain"]
    assert item["companyCity"] == company["city"] and item["industries"] == company["industries"]
    assert item["employeeSizeRange"] == company["staffCountRange"]
    assert item["companyRevenue"] == company["revenueRange"]
    assert "email" not in item and not any("phone" in k.lower() for k in item)
    for p in ds.people[:2000]:
        assert p.title in {t for by_sen in vocab.TITLES[p.department].values() for t in by_sen} or (
            p.company.size == 0 and p.title in ("Owner", "Founder")
        )
        if p.past:
            assert p.past[0][3] >= p.company_days  # the last job ended before this one began
            assert p.past[0][0] != p.company.name


def test_research_records_have_loose_but_valid_contact_details(ds: data.Dataset) -> None:
    counts = Counter()
    formats = Counter()
    for person in ds.people[:3000]:
        found = records.emails(person)
        assert 1 <= len(found) <= 3
        counts[len(found)] += 1
        address, score, verdict = found[0]
        assert address.endswith("@" + person.company.domain)
        for _, score, verdict in found:
            assert re.fullmatch(r"\d{1,3}(\.5)?%?", score)
            assert verdict.lower() in ("valid", "invalid", "risky")
        numbers = records.phones(person)
        assert 1 <= len(numbers) <= 2
        for number, _score, kind in numbers:
            region = vocab.CITIES[person.city][5] if kind in ("mobile", "direct") else None
            parsed = phonenumbers.parse(number, region or vocab.CITIES[person.company.city][5])
            assert phonenumbers.is_valid_number(parsed), number
            formats[re.sub(r"\d", "9", number)] += 1
    assert set(counts) == {1, 2, 3}
    for loose in ("999.999.9999", "(999) 999-9999", "+9 999 999 9999"):
        assert formats[loose] > 0, formats.most_common(10)
    for company in ds.companies[:500]:
        for number in company.phones:
            parsed = phonenumbers.parse(number, vocab.CITIES[company.city][5])
            assert phonenumbers.is_valid_number(parsed), number
    person = ds.people[7]
    record = records.contact_record(
        person,
        anchor_ms=ANCHOR,
        contact_id="1",
        research_id="r",
        created_ms=ANCHOR,
        updated_ms=ANCHOR,
    )
    assert record["email"] == record["email1"] and record["company"] == person.company.name
    assert record["contactLocation"]["countryAlpha2"] == vocab.CITIES[person.city][5]
    assert record["companyStaffCountRange"].endswith(" employees")
    current = record["jobHistory"][0]
    assert current["companyName"] == person.company.name and "endedAt" not in current


def test_identities_resolve_back_to_the_person(ds: data.Dataset) -> None:
    person = ds.people[42]
    for item in (
        {"liProfileUrl": records.profile_url(person)},
        {"liSalesNavUrl": records.sales_nav_url(person)},
        {"liRecruiterUrl": records.recruiter_url(person) + "?trk=x"},
        {"contactName": person.full_name.upper(), "companyName": person.company.name},
        {
            "contactName": f"{person.first} {person.last}",
            "domain": "https://www." + person.company.domain,
        },
    ):
        assert records.find_person(ds, item) is person, item
    assert records.find_person(ds, {"email": "nobody@nowhere.example"}) is None
    mover = next(
        p for p in ds.people if p.past and p.past[0][0] not in {c.name for c in ds.companies}
    )
    item = {"contactName": f"{mover.first} {mover.last}", "companyName": mover.past[0][0]}
    assert records.find_person(ds, item) is None
    assert records.find_person(ds, item, job_change=True) is mover
    company = ds.companies[3]
    assert records.find_company(ds, {"domain": company.domain.upper()}) is company
    assert records.find_company(ds, {"companyName": data.strip_suffix(company.name)}) is company
    assert records.find_company(ds, {"domain": "unknown-company.example"}) is None


def test_outcome_shares_are_realistic_and_fixed(ds: data.Dataset) -> None:
    contact = Counter(research.outcome_of("contact", p.id) for p in ds.people)
    assert 0.80 < contact["done"] / 20_000 < 0.90
    assert 0.07 < contact["missing"] / 20_000 < 0.13
    assert 0.03 < contact["error"] / 20_000 < 0.07
    company = Counter(research.outcome_of("company", c.id) for c in ds.companies)
    assert set(company) == {"done", "error"} and company["error"] < 150
    assert research.outcome_of("contact", None) == "not found"
    assert research.outcome_of("company", None) == "missing"
    for n in range(200):
        start, ready = research.timing("contact", f"req{n}", 1000)
        assert 1500 <= start <= 2500 and start < ready <= 1000 + 4500
        start, ready = research.timing("company", f"req{n}", 1000)
        assert start == 1000 and ready <= 1000 + 4500
