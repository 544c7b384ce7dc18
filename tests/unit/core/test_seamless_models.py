"""Seamless wire models: requests checked against the documented limits and value lists,
answers parsed tolerantly (unknown fields kept, wrong types a typed error), poll
statuses classified (unknown ones terminal failures), researched records read into
emails and phones with confidence, errors mapped to typed errors with sentences,
the lead → Seedly contact mapping and the CSV export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from app.core.errors import OutcomeUnknown, RateLimited, Unauthorized, ValidationFailed
from app.core.seamless import (
    COMPANY_FILTERS,
    CONTACT_FILTERS,
    CompanySearch,
    CompanySearchResult,
    ContactPollItem,
    ContactSearch,
    ContactSearchResult,
    EmailValidity,
    ResearchedContact,
    ResearchState,
    company_research,
    company_search,
    contact_research,
    contact_search,
    lead_fields,
    merge_fields,
    parse,
    parse_confidence,
    parse_org_page,
    parse_poll,
    parse_research_accepted,
    parse_search_page,
    parse_token,
    research_csv,
    research_state,
    status_text,
)
from app.core.seamless.filters import (
    COMPANY_SIZES,
    DEPARTMENTS,
    NEWS_TYPES,
    SENIORITIES,
    spec_map,
)
from app.core.seamless_errors import (
    InsufficientCredits,
    MissingLicense,
    SeamlessError,
    SeamlessInvalidResponse,
    SeamlessOutcomeUnknown,
    SeamlessRateLimited,
    SeamlessRejected,
    SeamlessServerError,
    SeamlessTokenExpired,
    SeamlessUnauthorized,
    credits_from_headers,
    seamless_error_from,
    seamless_error_from_response,
)

# -- filter data and search requests ---------------------------------------------------------------


def test_every_filter_of_the_reference_is_a_spec_and_a_field() -> None:
    contact = spec_map(CONTACT_FILTERS)
    company = spec_map(COMPANY_FILTERS)
    for wire in (
        "jobTitle fullName contactKeyword seniority department industry companyName "
        "companyNameSearchType companyDomain contactCountry contactState contactZipCode "
        "locationType companySize companyRevenue companyFoundedOn technologies "
        "technologiesIsOr jobChanges pastCompany companyType lastModifiedAfter "
        "lastModifiedBefore newsTypes newsTypeDates companyLatestFundingDates "
        "companyLatestFundingClassifications companyLatestFundingTotals"
    ).split():
        assert wire in contact, wire
    for wire in (
        "companyName companyNameSearchType companyDomain companyCountry companyState "
        "companyZipCode industry companyKeyword companySize companyRevenue technologies "
        "technologiesIsOr companyType foundedOn newsTypes newsTypeDates latestFundingDates "
        "latestFundingClassifications latestFundingTotals"
    ).split():
        assert wire in company, wire
    # Each spec is a field of its request model under the same wire name.
    for specs, model in ((CONTACT_FILTERS, ContactSearch), (COMPANY_FILTERS, CompanySearch)):
        aliases = {f.alias for f in model.model_fields.values()}
        assert {s.wire for s in specs} <= aliases


def test_documented_limits_and_value_lists_are_data() -> None:
    specs = spec_map(CONTACT_FILTERS)
    assert specs["industry"].max_items == 5
    assert specs["seniority"].max_items == 5 and specs["seniority"].values == SENIORITIES
    assert specs["department"].values == DEPARTMENTS and "Project Management" in DEPARTMENTS
    assert specs["companyName"].max_items == 100 and specs["companyDomain"].max_items == 100
    assert specs["companyFoundedOn"].max_items == 4
    assert specs["newsTypes"].max_items == 8 and specs["newsTypes"].values == NEWS_TYPES
    assert specs["newsTypeDates"].max_items == 1
    assert specs["companySize"].values == COMPANY_SIZES and COMPANY_SIZES[-1] == "10,001+"
    assert specs["locationType"].default == "bothOR"
    assert specs["technologiesIsOr"].default is True
    assert {s.group for s in CONTACT_FILTERS} >= {"Person", "Company", "Location", "Signals"}


def test_search_body_has_only_the_chosen_filters_in_documented_spelling() -> None:
    search = contact_search(
        seniority=["vp", " Director ", "VP"],
        job_title="Head of Sales",
        companySize=["51 - 200"],
        technologies=[],
        contact_country=["US", ""],
        jobChanges={"change_type": "new hire", "dayRange": "last 90 days"},
        pastCompany={"names": ["Initech"], "onlyMostRecentDeparture": True},
        lastModifiedAfter="2026-01-01",
        newsTypeDates=[90],
        limit=25,
    )
    assert search.to_body() == {
        "limit": 25,
        "jobTitle": ["Head of Sales"],
        "seniority": ["VP", "Director"],
        "contactCountry": ["US"],
        "companySize": ["51 - 200"],
        "jobChanges": {"changeType": "New Hire", "dayRange": "Last 90 Days"},
        "pastCompany": {"names": ["Initech"], "onlyMostRecentDeparture": True},
        "lastModifiedAfter": "2026-01-01",
        "newsTypeDates": ["90"],
    }
    assert contact_search().to_body() == {} and not contact_search().has_filters
    page2 = search.page("tok-2")
    assert page2.to_body()["nextToken"] == "tok-2" and page2.filters() == search.filters()
    assert isinstance(page2, ContactSearch)


def test_every_bad_filter_is_reported_at_once_before_sending() -> None:
    with pytest.raises(ValidationFailed) as caught:
        contact_search(
            industry=[f"Industry {i}" for i in range(6)],
            seniority=["CEO"],
            companyRevenue=["lots"],
            locationType="everywhere",
            newsTypeDates=["60", "90"],
            jobChanges={"changeType": "Retired"},
            pastCompany={"names": []},
            lastModifiedBefore="yesterday",
            limit=0,
        )
    errors = caught.value.errors
    assert errors["industry"] == "Choose at most 5 industries (6 are chosen)."
    assert "“CEO” is not one of the values Seamless.AI accepts" in errors["seniority"]
    assert "C-Level" in errors["seniority"]
    assert "companyRevenue" in errors and "locationType" in errors
    assert errors["newsTypeDates"].startswith("Choose one")
    assert "jobChanges.changeType" in errors and "pastCompany.names" in errors
    assert "lastModifiedBefore" in errors and "limit" in errors
    assert caught.value.status is None  # local: nothing was sent
    assert caught.value.user_message.endswith(".")


def test_unknown_filters_are_refused_and_company_search_has_its_own_set() -> None:
    with pytest.raises(ValidationFailed) as caught:
        contact_search(favouriteColour=["blue"])
    assert "favouriteColour" in caught.value.errors
    body = company_search(companyKeyword=["payments"], foundedOn=["10+ years"]).to_body()
    assert body == {"companyKeyword": ["payments"], "foundedOn": ["10+ Years"]}
    with pytest.raises(ValidationFailed):
        company_search(seniority=["VP"])  # a contact filter


def test_industries_are_open_values_with_a_limit() -> None:
    # The API does not spell out the ~150 industries (docs/api/seamless.md, "Search"):
    # any text, at most 5.
    assert contact_search(industry=["Computer Software", "Ranching"]).industry == [
        "Computer Software",
        "Ranching",
    ]


# -- research requests -------------------------------------------------------------------------


def test_research_by_ids_or_identities_never_both_at_most_100() -> None:
    body = contact_research(["a", "b", "a"]).to_body()
    assert body == {"skipDeduplicationCheck": False, "searchResultIds": ["a", "b"]}
    people = contact_research(
        contacts=[
            {"contactName": "Ann Lee", "companyName": "Acme"},
            {"contact_name": "Bo Chen", "domain": "initech.com", "title": "CTO"},
            {"email": "cy@example.com"},
            {"liProfileUrl": "https://linkedin.com/in/x"},
        ],
        is_job_change=True,
    ).to_body()
    assert people["isJobChange"] is True and len(people["contacts"]) == 4
    assert people["contacts"][1] == {
        "contactName": "Bo Chen",
        "domain": "initech.com",
        "title": "CTO",
    }
    with pytest.raises(ValidationFailed) as both:
        contact_research(["a"], contacts=[{"email": "x@y.co"}])
    assert "not both" in both.value.errors["searchResultIds"]
    with pytest.raises(ValidationFailed) as many:
        contact_research([f"id{i}" for i in range(101)])
    assert "at most 100" in many.value.errors["searchResultIds"]
    with pytest.raises(ValidationFailed) as vague:
        contact_research(contacts=[{"contactName": "Ann"}, {"title": "CTO"}])
    assert set(vague.value.errors) == {"contacts[0]", "contacts[1]"}
    with pytest.raises(ValidationFailed) as job_change:
        contact_research(["a"], is_job_change=True)
    assert "isJobChange" in job_change.value.errors
    with pytest.raises(ValidationFailed):
        contact_research([])


def test_company_research_takes_ids_and_or_companies() -> None:
    body = company_research(["c1"], companies=[{"domain": "acme.com"}]).to_body()
    assert body == {
        "skipDeduplicationCheck": False,
        "searchResultIds": ["c1"],
        "companies": [{"domain": "acme.com"}],
    }
    with pytest.raises(ValidationFailed) as caught:
        company_research(companies=[{"companyName": " "}])
    assert "companies[0]" in caught.value.errors
    with pytest.raises(ValidationFailed):
        company_research(
            [f"c{i}" for i in range(60)], companies=[{"domain": f"d{i}.com"} for i in range(41)]
        )


# -- answers -----------------------------------------------------------------------------------

SEARCH_BODY: dict[str, Any] = {
    "data": [
        {
            "searchResultId": 101,
            "name": "Ann Lee",
            "firstName": "Ann",
            "lastName": "Lee",
            "company": "Acme",
            "title": "VP Sales",
            "industries": None,
            "sicCode": 7372,
            "companyLIProfileUrl": "https://linkedin.com/company/acme",
            "brandNewField": {"x": 1},
        },
        {"searchResultId": "sr-2", "firstName": "Bo", "lastName": "Chen"},
    ],
    "supplementalData": {"isMore": True, "total": 2, "perPage": 2, "nextToken": "n1"},
}


def test_search_page_is_parsed_tolerantly() -> None:
    page = parse_search_page(ContactSearchResult, SEARCH_BODY)
    first, second = page.data
    assert first.search_result_id == "101" and first.sic_code == "7372"
    assert first.industries == [] and first.company_li_profile_url.endswith("acme")
    assert first.extra_fields == {"brandNewField": {"x": 1}}
    assert first.to_wire()["brandNewField"] == {"x": 1}  # kept for the ledger
    assert second.display_name == "Bo Chen" and second.company is None
    assert page.next_token == "n1" and page.has_more and page.total == 2
    last = parse_search_page(ContactSearchResult, {"data": [], "supplementalData": {}})
    assert last.next_token is None and not last.has_more
    # isMore false wins over a token that is still there
    ended = parse_search_page(
        CompanySearchResult, {"data": [], "supplementalData": {"isMore": False, "nextToken": "x"}}
    )
    assert ended.next_token is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": [{"name": "no id"}]}, "data[0].searchResultId"),
        # Text is the declared variant of a list (comma-separated); an object is not.
        ({"data": [{"searchResultId": "a", "industries": {"x": 1}}]}, "data[0].industries"),
        ({"data": {"searchResultId": "a"}}, None),
        ({"data": [], "supplementalData": {"isMore": "perhaps"}}, "supplementalData.isMore"),
    ],
)
def test_wrong_types_are_a_clear_typed_error(body: dict[str, Any], field: str | None) -> None:
    with pytest.raises(SeamlessInvalidResponse) as caught:
        parse_search_page(ContactSearchResult, body)
    assert caught.value.field == field
    assert caught.value.message.startswith("Seamless.AI sent")
    assert "Seamless.AI sent" in caught.value.user_message


def test_research_accepted_and_poll_items() -> None:
    accepted = parse_research_accepted({"success": True, "requestIds": ["r1", 2]})
    assert accepted.request_ids == ["r1", "2"]
    with pytest.raises(SeamlessInvalidResponse):
        parse_research_accepted({"success": False})
    items = parse_poll(
        ContactPollItem,
        {
            "success": True,
            "data": [
                {"requestId": "r1", "status": "researching"},
                {"requestId": "r2", "status": "done", "contact": {"firstName": "Ann"}},
                {"requestId": "r3", "status": "contact-already-researched", "contact": {}},
                {"requestId": "r4", "status": "not found", "message": "No match"},
                {"requestId": "r5", "status": "quantum-entangled"},
            ],
        },
    )
    assert [i.state for i in items] == [
        ResearchState.RESEARCHING,
        ResearchState.DONE,
        ResearchState.DUPLICATE,
        ResearchState.NOT_FOUND,
        ResearchState.UNRECOGNISED,
    ]
    assert items[1].record is not None and items[1].record.first_name == "Ann"
    assert "No match" in items[3].status_text
    assert "quantum-entangled" in items[4].status_text and items[4].state.terminal
    assert parse_poll(ContactPollItem, [{"requestId": "x", "status": "queued"}])[0].state is (
        ResearchState.QUEUED
    )


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("queued", ResearchState.QUEUED),
        ("researching", ResearchState.RESEARCHING),
        ("done", ResearchState.DONE),
        ("duplicate", ResearchState.DUPLICATE),
        ("contact-already-researched", ResearchState.DUPLICATE),
        ("missing", ResearchState.NOT_FOUND),
        ("Not Found", ResearchState.NOT_FOUND),
        ("error", ResearchState.FAILED),
        ("No license or credits available", ResearchState.FAILED),
        ("paused-by-admin", ResearchState.UNRECOGNISED),
        ("", ResearchState.UNRECOGNISED),
    ],
)
def test_status_classification(status: str, state: ResearchState) -> None:
    assert research_state(status) is state
    assert state.terminal is (state not in (ResearchState.QUEUED, ResearchState.RESEARCHING))
    assert status_text(status).endswith(".")


def test_no_license_status_says_what_to_check() -> None:
    text = status_text("No license or credits available")
    assert "license" in text and "credit" in text


RESEARCHED: dict[str, Any] = {
    "contactId": 77,
    "firstName": "Ann",
    "lastName": "Lee",
    "email": "ann@acme.com",
    "email1": "ann@acme.com",
    "email1TotalAI": "97%",
    "email1EmailAI": "valid",
    "email2": "old@acme.com",
    "email2TotalAI": "40%",
    "email2EmailAI": "invalid",
    "email3": "ann.lee@acme.com",
    "email3TotalAI": "0.61",
    "email3EmailAI": "risky",
    "email4": "a.lee@acme.io",
    "email4EmailAI": "catch-all",
    "personalEmail": "ann@gmail.com",
    "contactPhone1": "415.555.0101",
    "contactPhone1TotalAI": "88%",
    "contactPhone1DataType": "mobile",
    "contactPhone2": "+44 20 7946 0958",
    "contactPhone2DataType": "main",
    "companyPhone1": "(415) 555-0199",
    "companyPhone2": "not a phone",
    "company": "Acme",
    "title": "VP Sales",
    "lIProfileUrl": "https://linkedin.com/in/annlee",
    "contactLocation": {"city": "San Francisco", "state": "CA", "countryAlpha2": "US"},
    "jobHistory": None,
    "apiResearchId": 5,
}


def test_researched_contact_emails_and_phones_with_confidence() -> None:
    contact = parse(ResearchedContact, RESEARCHED)
    assert contact.contact_id == "77" and contact.li_profile_url.endswith("annlee")
    emails = contact.emails
    assert [e.address for e in emails] == [
        "ann@acme.com",
        "old@acme.com",
        "ann.lee@acme.com",
        "a.lee@acme.io",
        "ann@gmail.com",
    ]
    assert emails[0].confidence == 97 and emails[0].validity is EmailValidity.VALID
    assert emails[1].invalid and emails[2].confidence == 61
    assert emails[3].validity == "catch-all"  # an unknown verdict is kept as text
    assert emails[4].personal and emails[4].confidence is None
    phones = contact.phones
    assert [p.source for p in phones] == [
        "contactPhone1",
        "contactPhone2",
        "companyPhone1",
        "companyPhone2",
    ]
    assert phones[0].confidence == 88 and phones[0].data_type == "mobile"
    assert phones[2].company and phones[0].number == "415.555.0101"  # as Seamless wrote it
    assert contact.best_email is not None and contact.best_email.address == "ann@acme.com"
    assert contact.names() == ("Ann", "Lee") and contact.key == "77"
    assert parse(ResearchedContact, {"fullName": "Mary Ann van Dyke"}).names() == (
        "Mary Ann van",
        "Dyke",
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("97%", 97),
        (" 55 % ", 55),
        (97, 97),
        (0.97, 97),
        ("0.5", 50),
        ("abc", None),
        (None, None),
        (True, None),
        ("140%", 100),
    ],
)
def test_confidence(raw: Any, value: int | None) -> None:
    assert parse_confidence(raw) == value


def test_org_page_and_token() -> None:
    page = parse_org_page(
        ResearchedContact,
        {"data": [{"contactId": "1"}], "supplementalData": {"isMore": False}},
        page=1,
        limit=1,
    )
    assert not page.has_more and page.data[0].contact_id == "1"
    full = parse_org_page(ResearchedContact, [{"contactId": "1"}], page=1, limit=1)
    assert full.has_more  # no paging info: a full page may have a next one
    token = parse_token(
        {"access_token": "at-secret", "refresh_token": "rt", "expires_at": 1767225600}
    )
    assert token.expires_at == 1767225600.0 and "at-secret" not in repr(token)
    assert (
        parse_token({"access_token": "a", "expires_at": "1767225600000"}).expires_at == 1767225600.0
    )
    with pytest.raises(SeamlessInvalidResponse) as caught:
        parse_token({"access_token": 123456789, "refresh_token": "rt-secret"})
    assert "rt-secret" not in str(caught.value) and "123456789" not in str(caught.value)


# -- errors -----------------------------------------------------------------------------------


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> SeamlessError:
    return seamless_error_from_response(
        status, json.dumps(body).encode(), headers or {}, 1_767_225_600.0
    )


def test_error_shapes_map_to_typed_errors_with_sentences() -> None:
    bad_key = _error(401, {"message": "Invalid API key"})
    assert isinstance(bad_key, SeamlessUnauthorized) and isinstance(bad_key, Unauthorized)
    assert bad_key.is_auth_failure and "Public API Connections" in bad_key.user_message
    expired = _error(401, {"message": "Access token has expired"})
    assert isinstance(expired, SeamlessTokenExpired)
    short = _error(
        422,
        {
            "msg": "Not enough credits",
            "code": "insufficientCredits",
            "data": {"productCategory": "universal", "additionalCreditsNeeded": 7},
        },
        {"X-PublicAPI-Credits": "3"},
    )
    assert isinstance(short, InsufficientCredits) and short.additional_credits_needed == 7
    assert short.product_category == "universal" and short.credits == 3
    assert (
        "7 more credits are needed" in short.user_message and short.message == "Not enough credits"
    )
    license_error = _error(422, {"msg": "No license", "code": "missingLicense", "data": {}})
    assert isinstance(license_error, MissingLicense) and license_error.is_auth_failure
    assert "license" in license_error.user_message
    other = _error(422, {"msg": "industry is invalid", "code": "validation"})
    assert isinstance(other, SeamlessRejected) and "industry is invalid" in other.user_message
    limited = _error(429, {"message": "Too many"}, {"X-RateLimit-Reset": "1767225630"})
    assert isinstance(limited, SeamlessRateLimited) and isinstance(limited, RateLimited)
    assert limited.retry_after == 30 and limited.reset_epoch == 1767225630
    assert "30 seconds" in limited.user_message
    server = _error(500, {"message": "boom"})
    assert isinstance(server, SeamlessServerError) and server.retryable
    html = seamless_error_from_response(502, b"<html>bad gateway</html>", {}, 0.0)
    assert isinstance(html, SeamlessServerError) and "502" in html.message
    for error in (bad_key, expired, short, license_error, other, limited, server, html):
        assert error.user_message.endswith(".") and "Seamless.AI" in error.user_message


def test_transport_errors_become_seamless_ones() -> None:
    lost = seamless_error_from(OutcomeUnknown("POST /contacts/research was sent but no answer"))
    assert isinstance(lost, SeamlessOutcomeUnknown) and lost.needs_reconcile
    assert "may have been accepted" in lost.user_message


def test_credits_header() -> None:
    assert credits_from_headers({"x-publicapi-credits": "1234"}) == 1234
    assert credits_from_headers({"X-PublicAPI-Credits": "12.0"}) == 12
    assert credits_from_headers({"X-PublicAPI-Credits": "lots"}) is None
    assert credits_from_headers({}) is None


# -- leads → Seedly contacts, CSV ------------------------------------------------------------------


def test_lead_fields_map_a_researched_record_to_a_seedly_contact() -> None:
    lead = lead_fields(parse(ResearchedContact, RESEARCHED), tag="webinar-2026")
    assert lead.ok and lead.email == "ann@acme.com"
    fields = lead.fields
    assert fields["firstName"] == "Ann" and fields["lastName"] == "Lee"
    assert fields["source"] == "seamless" and fields["tags"] == ["webinar-2026"]
    assert fields["additionalEmails"] == ["ann.lee@acme.com", "a.lee@acme.io", "ann@gmail.com"]
    assert fields["phone"] == "+14155550101"
    assert fields["additionalPhones"] == ["+442079460958", "+14155550199"]
    assert fields["company"] == "Acme" and fields["title"] == "VP Sales"
    assert fields["city"] == "San Francisco" and fields["state"] == "CA"
    reasons = " ".join(lead.skipped)
    assert "old@acme.com was left out: Seamless.AI judged it invalid" in reasons
    assert "not a phone" in reasons


def test_a_verified_address_is_preferred_as_primary() -> None:
    record = parse(
        ResearchedContact,
        {
            "firstName": "Bo",
            "lastName": "Chen",
            "email": "bo@risky.io",
            "email1": "bo@risky.io",
            "email1EmailAI": "risky",
            "email2": "bo@initech.com",
            "email2EmailAI": "valid",
        },
    )
    lead = lead_fields(record)
    assert lead.email == "bo@initech.com" and lead.fields["additionalEmails"] == ["bo@risky.io"]


def test_records_that_cannot_be_contacts_say_why() -> None:
    no_email = lead_fields(
        parse(
            ResearchedContact,
            {
                "firstName": "Cy",
                "lastName": "Ng",
                "email": "broken@",
                "contactPhone1": "4155550101",
            },
        )
    )
    assert not no_email.ok and "No usable email" in (no_email.problem or "")
    assert "broken@" in no_email.skipped[0]
    no_name = lead_fields(parse(ResearchedContact, {"firstName": "Cy", "email": "cy@x.com"}))
    assert not no_name.ok and "last name" in (no_name.problem or "")


def test_merge_fields_changes_only_what_differs() -> None:
    lead = lead_fields(parse(ResearchedContact, RESEARCHED), tag="webinar")
    existing = {
        "id": "c1",
        "firstName": "Annie",
        "lastName": "Lee",
        "email": "ann@acme.com",
        "phone": "+15550000000",
        "company": "Acme",
        "title": "Director of Sales",
        "source": "website",
        "tags": ["vip"],
        "additionalEmails": ["ann@gmail.com"],
        "additionalPhones": [],
        "city": "San Francisco",
    }
    edits = merge_fields(existing, lead)
    assert "firstName" not in edits and "source" not in edits and "email" not in edits
    assert edits["title"] == "VP Sales" and "company" not in edits
    assert edits["tags"] == ["vip", "webinar"]
    assert edits["additionalEmails"] == [
        "ann@gmail.com",
        "ann.lee@acme.com",
        "a.lee@acme.io",
    ]
    assert edits["additionalPhones"] == ["+14155550101", "+442079460958", "+14155550199"]
    assert edits["state"] == "CA"
    applied = {**existing, **edits}
    assert merge_fields(applied, lead) == {}  # pushing again changes nothing


def test_research_csv() -> None:
    text = research_csv([parse(ResearchedContact, {**RESEARCHED, "title": "=HYPERLINK(1)"})])
    rows = list(csv.reader(io.StringIO(text)))
    header, row = rows
    assert header[0] == "Name" and len(row) == len(header)
    cell = dict(zip(header, row, strict=True))
    assert cell["Email"] == "ann@acme.com" and cell["Email confidence"] == "97%"
    assert cell["Email verdict"] == "valid" and cell["Phone type"] == "mobile"
    assert cell["Title"].startswith("'=")  # formula-like cells neutralised
    assert cell["Phone"] == "415.555.0101"
