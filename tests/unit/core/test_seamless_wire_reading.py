"""The client reads Seamless answers tolerantly (docs/api/seamless.md, "Types on the wire"):
the declared type and the obvious variant — a number or numeric text, an array or
comma-separated text, absent or null — without losing the value. Proven on answers the
sandbox sent in both forms (``tests/fixtures/seamless``) and on one record written both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.core.seamless import (
    CompanyPollItem,
    CompanySearchResult,
    ContactPollItem,
    ContactSearchResult,
    ResearchedCompany,
    ResearchedContact,
    count_value,
    parse,
    parse_org_page,
    parse_poll,
    parse_search_page,
    split_list,
    wire_time,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "seamless"
FORMS = ("declared", "variant")


def recorded(form: str, name: str) -> Any:
    return json.loads((FIXTURES / form / f"{name}.json").read_text())


def as_list(value: Any) -> list[str]:
    """What a list field holds, read independently of the client: an array, or text split at
    ", " (the fixtures hold no name with a comma)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [p.strip() for p in str(value).split(",") if p.strip()]


def as_int(value: Any) -> int | None:
    return None if value is None else int(str(value))


@pytest.mark.parametrize("form", FORMS)
def test_company_search_items_keep_their_numbers_and_lists(form: str) -> None:
    raw = recorded(form, "search_companies")
    page = parse_search_page(CompanySearchResult, raw)
    assert len(page.data) == len(raw["data"]) > 0
    for item, wire in zip(page.data, raw["data"], strict=True):
        assert count_value(item.num_contacts) == as_int(wire["numContacts"])
        assert count_value(item.employee_count) == as_int(wire["employeeCount"])
        assert count_value(item.annual_revenue) == as_int(wire["annualRevenue"])
        assert item.industries == as_list(wire["industries"])
        assert item.technologies == as_list(wire["technologies"])
        assert item.founded_year == str(wire["foundedOn"])[:4]
        assert item.sic_code == str(wire["sicCode"])
        total = wire.get("fundingTotal", wire.get("companyFundingTotal"))
        assert count_value(item.funding_total) == as_int(total) or "fundingTotal" not in wire


@pytest.mark.parametrize("form", FORMS)
def test_contact_search_items_keep_the_job_change(form: str) -> None:
    raw = recorded(form, "search_contacts")
    page = parse_search_page(ContactSearchResult, raw)
    for item, wire in zip(page.data, raw["data"], strict=True):
        assert item.job_change_alert == wire["jobChangeAlert"] == "New Hire"
        assert item.moved
        assert item.former_company == wire["formerCompany"]
        assert item.industries == as_list(wire["industries"])
        when = item.last_modified
        assert when is not None and when.tzinfo is not None
        assert when.strftime("%Y-%m-%d %H:%M:%S") == wire["lastModifiedAt"][:19].replace("T", " ")


@pytest.mark.parametrize("form", FORMS)
def test_contact_polls_read_absent_and_null_records_alike(form: str) -> None:
    pending = parse_poll(ContactPollItem, recorded(form, "poll_contacts_pending"))
    assert pending and all(item.record is None for item in pending)
    raw = recorded(form, "poll_contacts_done")
    done = parse_poll(ContactPollItem, raw)
    assert [i.status for i in done] == ["done", "missing"]
    record = done[0].record
    assert record is not None and done[1].record is None
    wire = raw["data"][0]["contact"]
    assert count_value(record.company_staff_count) == as_int(wire["companyStaffCount"])
    assert count_value(record.company_annual_revenue) == as_int(wire["companyAnnualRevenue"])
    assert record.emails[0].address == wire["email"] and record.emails[0].confidence is not None
    assert [(j.company_name, j.started_at) for j in record.job_history] == [
        (j.get("companyName", j.get("company")), j.get("startedAt", j.get("startDate")))
        for j in wire["jobHistory"]
    ]
    assert record.job_history[0].current and not any(j.current for j in record.job_history[1:])
    assert record.contact_location is not None and record.contact_location.city
    assert record.updated is not None


@pytest.mark.parametrize("form", FORMS)
def test_company_polls_and_records_keep_their_lists(form: str) -> None:
    pending = parse_poll(CompanyPollItem, recorded(form, "poll_companies_pending"))
    assert pending and all(item.record is None for item in pending)
    raw = recorded(form, "poll_companies_done")
    [item] = parse_poll(CompanyPollItem, raw)
    record = item.record
    assert record is not None
    wire = raw["data"][0]["company"]
    assert record.phones == as_list(wire["phones"]) and len(record.phones) >= 1
    assert record.industries == as_list(wire["industries"])
    assert record.top_technologies == as_list(wire["topTechnologies"])
    assert count_value(record.staff_count) == as_int(wire["staffCount"])
    assert count_value(record.annual_revenue) == as_int(wire["annualRevenue"])
    assert record.location is not None and record.location.city == wire["location"]["city"]


@pytest.mark.parametrize("form", FORMS)
def test_org_pages_read_with_or_without_paging_fields(form: str) -> None:
    contacts = recorded(form, "org_contacts")
    page = parse_org_page(ResearchedContact, contacts, page=1, limit=500)
    assert len(page.data) == len(contacts["data"]) and not page.has_more
    full = parse_org_page(ResearchedContact, contacts, page=1, limit=len(contacts["data"]))
    # Without paging fields a full page may have a next one; with them, they decide.
    assert full.has_more is (
        "supplementalData" not in contacts or contacts["supplementalData"]["isMore"]
    )
    companies = parse_org_page(
        ResearchedCompany, recorded(form, "org_companies"), page=1, limit=500
    )
    assert companies.data and all(isinstance(c.industries, list) for c in companies.data)


# -- one record, both ways ---------------------------------------------------------------------

DECLARED_CONTACT = {
    "contactId": "700000001",
    "fullName": "Ana Ortiz",
    "email": "ana@acme.example",
    "email1": "ana@acme.example",
    "email1TotalAI": "97%",
    "email1Selected": True,
    "companyStaffCount": 125,
    "companyAnnualRevenue": "7772000",
    "companyFounded": "2004",
    "contactLocation": {"city": "Austin", "countryNumeric": 840, "timezoneRawOffset": "-6.00"},
    "jobHistory": [
        {"companyName": "Acme", "title": "VP Sales", "startedAt": "2025-06-16"},
        {
            "companyName": "Globex",
            "title": "Director",
            "startedAt": "2019-01-02",
            "endedAt": "2025-06-01",
        },
    ],
    "jobChangeAlert": "New Hire",
    "companyType": None,
}
VARIANT_CONTACT = {
    "contactId": 700000001,
    "fullName": "Ana Ortiz",
    "email": "ana@acme.example",
    "email1": "ana@acme.example",
    "email1TotalAI": 97,
    "email1Selected": "true",
    "companyStaffCount": "125",
    "companyAnnualRevenue": 7772000,
    "companyFounded": 2004,
    "contactLocation": {"city": "Austin", "countryNumeric": "840", "timezoneRawOffset": -6.0},
    "jobHistory": [
        {"company": "Acme", "title": "VP Sales", "startDate": "2025-06-16", "endDate": None},
        {
            "company": "Globex",
            "title": "Director",
            "startDate": "2019-01-02",
            "endDate": "2025-06-01",
        },
    ],
    "jobChangeAlert": "New Hire",
    "formerCompany": None,
}


def test_one_contact_record_reads_the_same_both_ways() -> None:
    declared = parse(ResearchedContact, DECLARED_CONTACT)
    variant = parse(ResearchedContact, VARIANT_CONTACT)
    for name in (
        "contact_id",
        "company_staff_count",
        "company_annual_revenue",
        "company_founded",
        "email1_selected",
        "job_change_alert",
    ):
        assert getattr(declared, name) == getattr(variant, name), name
    assert declared.company_staff_count == 125 and declared.company_annual_revenue == 7_772_000
    assert declared.email1_selected is True and declared.company_founded == "2004"
    assert declared.job_history == variant.job_history
    previous = declared.previous_job
    assert previous is not None and (previous.company_name, previous.title) == (
        "Globex",
        "Director",
    )
    assert declared.emails[0].confidence == variant.emails[0].confidence == 97
    locations = (declared.contact_location, variant.contact_location)
    assert all(loc is not None and loc.country_numeric == 840 for loc in locations)
    assert {loc.timezone_raw_offset for loc in locations if loc} == {"-6.00", "-6.0"}
    # Stored in the ledger and read back: nothing lost.
    assert parse(ResearchedContact, variant.to_wire()).job_history == variant.job_history


def test_one_company_record_reads_the_same_both_ways() -> None:
    declared = parse(
        ResearchedCompany,
        {
            "name": "Acme",
            "staffCount": "1,250",
            "annualRevenue": "36503000",
            "industries": "Leisure, Travel & Tourism, Computer Software",
            "topTechnologies": "Salesforce, Okta",
            "phones": "415.555.0101, (415) 555-0102",
            "phonesAiScores": "91%, 40%",
        },
    )
    variant = parse(
        ResearchedCompany,
        {
            "name": "Acme",
            "staffCount": 1250,
            "annualRevenue": 36503000.0,
            "industries": ["Leisure, Travel & Tourism", "Computer Software"],
            "topTechnologies": ["Salesforce", "Okta"],
            "phones": ["415.555.0101", "(415) 555-0102"],
            "phonesAiScores": None,
        },
    )
    assert (
        declared.industries
        == variant.industries
        == [
            "Leisure, Travel & Tourism",
            "Computer Software",
        ]
    )
    assert declared.staff_count == variant.staff_count == 1250
    assert declared.annual_revenue == variant.annual_revenue == 36_503_000
    assert declared.top_technologies == variant.top_technologies == ["Salesforce", "Okta"]
    assert declared.phones == variant.phones == ["415.555.0101", "(415) 555-0102"]
    assert declared.phones_ai_scores == ["91%", "40%"] and variant.phones_ai_scores == []


def test_numbers_that_are_not_numeric_text_are_kept_as_they_came() -> None:
    item = parse(
        CompanySearchResult,
        {"searchResultId": 17, "numContacts": "500+", "employeeCount": " ", "foundedOn": 2004},
    )
    assert item.search_result_id == "17"
    assert item.num_contacts == "500+" and count_value(item.num_contacts) is None
    assert item.employee_count is None
    assert item.founded_year == "2004"


def test_split_list_and_wire_time() -> None:
    assert split_list(
        "Health, Wellness & Fitness,Banking, ,Retail", frozenset({"Health, Wellness & Fitness"})
    ) == ["Health, Wellness & Fitness", "Banking", "Retail"]
    assert wire_time("2026-03-03 12:34:07") == datetime(2026, 3, 3, 12, 34, 7, tzinfo=UTC)
    assert wire_time("2026-03-03T12:34:07.000Z") == datetime(2026, 3, 3, 12, 34, 7, tzinfo=UTC)
    assert wire_time("2026-03-03") == datetime(2026, 3, 3, tzinfo=UTC)
    assert wire_time("yesterday") is None and wire_time(None) is None
    alert = parse(ContactSearchResult, {"searchResultId": "x", "jobChangeAlert": True})
    assert alert.moved and parse(ContactSearchResult, {"searchResultId": "x"}).moved is False
