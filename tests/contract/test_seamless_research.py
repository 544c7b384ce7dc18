"""Seamless research over real HTTP: the asynchronous life, outcomes, billing, deduplication,
insufficient credits (all or nothing), polling, and the organisation's researched records."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)

FINISHED_MS = 4_600  # every record has its outcome 4.5 s of sandbox time after submission


def mint(box: Sandbox, credits: int = 1000, **kw: Any) -> dict[str, str]:
    return box.control("POST", "seamless/users", json={"credits": credits, **kw})  # type: ignore[no-any-return]


def balance(box: Sandbox, key: str) -> int:
    return int(box.control("GET", "seamless/credits", params={"key": key})["credits"])


def advance(box: Sandbox, ms: int = FINISHED_MS) -> None:
    box.control("POST", "clock/advance", json={"ms": ms})


def outcomes(
    box: Sandbox, status: str, limit: int, offset: int = 0, kind: str = "contacts"
) -> list[dict[str, Any]]:
    return box.control(  # type: ignore[no-any-return]
        "GET",
        "seamless/outcomes",
        params={"type": kind, "status": status, "limit": limit, "offset": offset},
    )


def submit(c: httpx.Client, kind: str, body: dict[str, Any]) -> list[str]:
    r = c.post(f"/{kind}/research", json=body)
    assert r.status_code == 202, r.text
    assert r.json()["success"] is True
    return list(r.json()["requestIds"])


def poll(c: httpx.Client, kind: str, ids: list[str]) -> list[dict[str, Any]]:
    r = c.get(f"/{kind}/research/poll", params={"requestIds": ",".join(ids)})
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True
    return list(r.json()["data"])


def statuses(items: list[dict[str, Any]]) -> list[str]:
    return [i["status"] for i in items]


def bad(r: httpx.Response, field: str | None = None) -> None:
    assert r.status_code == 400, r.text
    assert r.json()["message"] and (field is None or r.json().get("field") == field), r.json()


def test_research_is_queued_then_researching_then_done(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    ids = [o["searchResultId"] for o in outcomes(sandbox, "done", 3)]
    started = time.monotonic()
    r = c.post("/contacts/research", json={"searchResultIds": ids})
    assert r.status_code == 202 and r.headers["X-PublicAPI-Credits"] == "97"
    request_ids = r.json()["requestIds"]
    assert len(request_ids) == len(set(request_ids)) == 3
    first = poll(c, "contacts", request_ids)
    if time.monotonic() - started < 0.4:  # queued for at least 0.5 s of sandbox time
        assert statuses(first) == ["queued"] * 3
    assert [i["requestId"] for i in first] == request_ids
    assert all("contact" not in i for i in first)  # absent, not null, until it exists
    assert [i["searchResultId"] for i in first] == ids
    advance(sandbox, 1_550)
    middle = poll(c, "contacts", request_ids)
    if time.monotonic() - started < 0.4:  # researching until at least 2 s
        assert statuses(middle) == ["researching"] * 3
    advance(sandbox, 3_000)
    done = poll(c, "contacts", request_ids)
    assert statuses(done) == ["done"] * 3
    assert balance(sandbox, user["key"]) == 97
    search = c.post(
        "/search/contacts", json={"fullName": [done[0]["contact"]["fullName"]], "limit": 100}
    )
    match = next(i for i in search.json()["data"] if i["searchResultId"] == ids[0])
    record = done[0]["contact"]
    assert record["company"] == match["company"] and record["companyDomain"] == match["domain"]
    assert record["title"] == match["title"] and record["seniority"] == match["seniority"]
    assert record["companyLocation"]["city"] == match["companyCity"]
    assert record["contactLocation"]["city"] == match["city"]
    assert record["apiResearchId"] == request_ids[0]


def test_researched_contact_record_has_the_documented_fields(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    ids = [o["searchResultId"] for o in outcomes(sandbox, "done", 20, offset=20)]
    request_ids = submit(c, "contacts", {"searchResultIds": ids})
    advance(sandbox)
    records = [i["contact"] for i in poll(c, "contacts", request_ids)]
    email_counts, phone_counts = set(), set()
    for record in records:
        for name in (
            "contactId",
            "firstName",
            "middleName",
            "lastName",
            "fullName",
            "name",
            "email",
            "personalEmail",
            "companyPhone1",
            "company",
            "companyDomain",
            "companyIndustry",
            "companyStaffCount",
            "companyStaffCountRange",
            "companyAnnualRevenue",
            "companyRevenueRange",
            "companyFounded",
            "companyDescription",
            "title",
            "department",
            "seniority",
            "lIProfileUrl",
            "contactLocation",
            "companyLocation",
            "website",
            "jobHistory",
            "jobChangeAlert",
            "apiResearchId",
            "createdAt",
            "updatedAt",
        ):
            assert name in record, name
        emails = [n for n in (1, 2, 3) if f"email{n}" in record]
        phones = [n for n in (1, 2) if f"contactPhone{n}" in record]
        assert emails == list(range(1, len(emails) + 1)) and phones == list(
            range(1, len(phones) + 1)
        )
        email_counts.add(len(emails))
        phone_counts.add(len(phones))
        for n in emails:
            assert record[f"email{n}TotalAI"].rstrip("%").replace(".", "").isdigit()
            assert record[f"email{n}EmailAI"].lower() in ("valid", "invalid", "risky")
        for n in phones:
            assert record[f"contactPhone{n}"] and record[f"contactPhone{n}TotalAI"]
            assert record[f"contactPhone{n}DataType"] in ("mobile", "direct", "main", "work")
        assert record["email"] == record["email1"]
        assert set(record["contactLocation"]) >= {
            "city",
            "state",
            "stateAbbr",
            "postCode",
            "country",
            "countryAlpha2",
            "timezone",
        }
        assert set(record["companyLocation"]) >= {"street1", "city", "state", "postCode", "country"}
    assert email_counts >= {1, 2} and phone_counts == {1, 2}


def test_missing_and_error_outcomes_and_what_they_cost(sandbox: Sandbox) -> None:
    user = mint(sandbox, 10)
    c = sandbox.seamless(user["key"])
    ids = [
        outcomes(sandbox, "missing", 1)[0]["searchResultId"],
        outcomes(sandbox, "error", 1)[0]["searchResultId"],
        outcomes(sandbox, "done", 1, offset=50)[0]["searchResultId"],
        "00000000-0000-4000-8000-000000000000",  # no such record: not charged
    ]
    r = c.post("/contacts/research", json={"searchResultIds": ids})
    assert r.status_code == 202 and r.headers["X-PublicAPI-Credits"] == "7"
    advance(sandbox)
    items = poll(c, "contacts", r.json()["requestIds"])
    assert statuses(items) == ["missing", "error", "done", "not found"]
    assert ["contact" not in i for i in items] == [True, True, False, True]
    assert all(i["message"] for i in items if i["status"] != "done")
    assert [i["additionalData"]["creditsCharged"] for i in items] == [1, 0, 1, 0]
    assert balance(sandbox, user["key"]) == 8  # the error was refunded
    ledger = sandbox.control("GET", "seamless/ledger", params={"key": user["key"]})
    assert [e["delta"] for e in ledger][:2] == [1, -3]
    # Outcomes are fixed per record: the same ids end the same way for anyone.
    other = mint(sandbox, 10)
    again = poll(
        sandbox.seamless(other["key"]),
        "contacts",
        submit(sandbox.seamless(other["key"]), "contacts", {"searchResultIds": ids}),
    )
    advance(sandbox)
    assert statuses(
        poll(sandbox.seamless(other["key"]), "contacts", [i["requestId"] for i in again])
    ) == statuses(items)


def test_research_by_identity(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    person = next(o for o in outcomes(sandbox, "done", 20, offset=100) if o["identity"]["email"])
    ident = person["identity"]
    items = [
        {"email": ident["email"]},
        {"liProfileUrl": ident["liProfileUrl"]},
        {"liSalesNavUrl": ident["liSalesNavUrl"]},
        {"liRecruiterUrl": ident["liRecruiterUrl"]},
        {
            "contactName": ident["contactName"],
            "companyName": ident["companyName"],
            "title": "anything",
        },
        {"contactName": ident["contactName"].upper(), "domain": "https://" + ident["domain"]},
        {"contactName": "Nobody Atall", "companyName": "No Such Company"},
        {"email": "nobody@nowhere.example"},
    ]
    r = c.post("/contacts/research", json={"contacts": items, "skipDeduplicationCheck": True})
    assert r.status_code == 202 and r.headers["X-PublicAPI-Credits"] == "94"  # 6 matched
    advance(sandbox)
    found = poll(c, "contacts", r.json()["requestIds"])
    assert statuses(found) == ["done"] * 6 + ["not found"] * 2
    assert {i["searchResultId"] for i in found[:6]} == {person["searchResultId"]}
    assert "searchResultId" not in found[6]  # nobody matched: absent, not null
    assert found[0]["additionalData"]["input"] == items[0]
    # Deduplication on: the same identities again are free and say so in the other spelling.
    r = c.post("/contacts/research", json={"contacts": items[:6]})
    assert r.headers["X-PublicAPI-Credits"] == "94"
    again = poll(c, "contacts", r.json()["requestIds"])
    assert statuses(again) == ["contact-already-researched"] * 6
    assert {i["contact"]["contactId"] for i in again} == {found[5]["contact"]["contactId"]}


def test_job_change_research_follows_the_person_to_their_new_company(sandbox: Sandbox) -> None:
    user = mint(sandbox, 10)
    c = sandbox.seamless(user["key"])
    person = next(o for o in outcomes(sandbox, "done", 200, offset=300) if o["pastCompanies"])
    item = {
        "contactName": person["identity"]["contactName"],
        "companyName": person["pastCompanies"][0],
    }
    plain = submit(c, "contacts", {"contacts": [item]})
    moved = submit(c, "contacts", {"contacts": [item], "isJobChange": True})
    advance(sandbox)
    assert statuses(poll(c, "contacts", plain)) == ["not found"]
    result = poll(c, "contacts", moved)[0]
    assert result["status"] == "done" and result["searchResultId"] == person["searchResultId"]
    assert result["contact"]["company"] == person["identity"]["companyName"]
    assert result["contact"]["formerCompany"] == person["pastCompanies"][0]


def test_deduplication_charges_only_new_records(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100, newOrg=True)
    c = sandbox.seamless(user["key"])
    ids = [o["searchResultId"] for o in outcomes(sandbox, "done", 6, offset=200)]
    first = submit(c, "contacts", {"searchResultIds": ids[:3]})
    advance(sandbox)
    before = {i["searchResultId"]: i["contact"] for i in poll(c, "contacts", first)}
    # The example of docs/api/seamless.md, "Credits": 6 submitted, 3 already researched →
    # 3 researched and charged.
    r = c.post("/contacts/research", json={"searchResultIds": ids})
    assert r.status_code == 202 and r.headers["X-PublicAPI-Credits"] == str(100 - 3 - 3)
    now = poll(c, "contacts", r.json()["requestIds"])
    assert statuses(now)[:3] == ["duplicate"] * 3
    assert set(statuses(now)[3:]) <= {"queued", "researching"}
    for item in now[:3]:
        assert item["contact"] == before[item["searchResultId"]]
        assert (
            item["additionalData"]["creditsCharged"] == 0 and item["additionalData"]["duplicateOf"]
        )
    advance(sandbox)
    assert statuses(poll(c, "contacts", r.json()["requestIds"])) == ["duplicate"] * 3 + ["done"] * 3
    listed = c.get("/contacts", params={"startDate": "2000-01-01", "endDate": "2100-01-01"}).json()
    assert len(listed["data"]) == 6  # one record per person, not per request


def test_duplicates_within_a_request_and_in_flight_are_free(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    sid = outcomes(sandbox, "done", 1, offset=400)[0]["searchResultId"]
    r = c.post("/contacts/research", json={"searchResultIds": [sid, sid]})
    assert r.headers["X-PublicAPI-Credits"] == "99"
    twin = submit(c, "contacts", {"searchResultIds": [sid]})  # while the first is running
    assert balance(sandbox, user["key"]) == 99
    running = poll(c, "contacts", [*r.json()["requestIds"], *twin])
    assert len(set(statuses(running))) == 1 and statuses(running)[0] in ("queued", "researching")
    advance(sandbox)
    final = poll(c, "contacts", [*r.json()["requestIds"], *twin])
    assert statuses(final) == ["done", "duplicate", "duplicate"]
    assert final[1]["additionalData"]["duplicateOf"] == final[0]["requestId"]
    assert final[1]["contact"]["contactId"] == final[0]["contact"]["contactId"]


def test_skip_deduplication_researches_and_charges_again(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    sid = outcomes(sandbox, "done", 1, offset=450)[0]["searchResultId"]
    first = submit(c, "contacts", {"searchResultIds": [sid]})
    advance(sandbox)
    original = poll(c, "contacts", first)[0]["contact"]
    r = c.post(
        "/contacts/research", json={"searchResultIds": [sid], "skipDeduplicationCheck": True}
    )
    assert r.headers["X-PublicAPI-Credits"] == "98"
    advance(sandbox)
    again = poll(c, "contacts", r.json()["requestIds"])[0]
    assert again["status"] == "done" and again["additionalData"]["creditsCharged"] == 1
    fresh = again["contact"]
    assert (
        fresh["contactId"] == original["contactId"] and fresh["createdAt"] == original["createdAt"]
    )
    assert (
        fresh["updatedAt"] > original["updatedAt"]
        and fresh["apiResearchId"] == r.json()["requestIds"][0]
    )
    bad(
        c.post(
            "/contacts/research", json={"searchResultIds": [sid], "skipDeduplicationCheck": "yes"}
        ),
        "skipDeduplicationCheck",
    )


def test_insufficient_credits_queue_and_charge_nothing(sandbox: Sandbox) -> None:
    low = sandbox.seamless(sandbox.info["seamless_low_credit_key"])
    ids = [o["searchResultId"] for o in outcomes(sandbox, "done", 6, offset=500)]
    r = low.post("/contacts/research", json={"searchResultIds": ids})
    assert r.status_code == 422, r.text
    assert r.json() == {
        "msg": r.json()["msg"],
        "code": "insufficientCredits",
        "data": {"productCategory": "universal", "additionalCreditsNeeded": 1},
    }
    assert r.headers["X-PublicAPI-Credits"] == "5"
    assert balance(sandbox, sandbox.info["seamless_low_credit_key"]) == 5

    user = mint(sandbox, 5, newOrg=True)
    c = sandbox.seamless(user["key"])
    r = c.post("/contacts/research", json={"searchResultIds": ids})
    assert r.status_code == 422 and r.json()["data"]["additionalCreditsNeeded"] == 1
    advance(sandbox)
    listed = c.get("/contacts", params={"startDate": "2000-01-01", "endDate": "2100-01-01"})
    assert listed.json() == {"data": []}  # nothing was queued
    assert [
        e["reason"] for e in sandbox.control("GET", "seamless/ledger", params={"key": user["key"]})
    ] == ["initial balance"]
    # Duplicates are free, so a request that is mostly duplicates fits a small balance.
    first = submit(c, "contacts", {"searchResultIds": ids[:4]})
    assert balance(sandbox, user["key"]) == 1
    advance(sandbox)
    assert statuses(poll(c, "contacts", first)) == ["done"] * 4
    r = c.post("/contacts/research", json={"searchResultIds": ids[:5]})
    assert r.status_code == 202 and r.headers["X-PublicAPI-Credits"] == "0"
    r = c.post("/contacts/research", json={"searchResultIds": ids})
    assert r.status_code == 422 and r.json()["data"]["additionalCreditsNeeded"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"searchResultIds": ["a"], "contacts": [{"email": "a@b.example"}]}, "contacts"),
        ({}, "searchResultIds"),
        ({"searchResultIds": []}, "searchResultIds"),
        ({"searchResultIds": [f"id{n}" for n in range(101)]}, "searchResultIds"),
        ({"contacts": [{"email": f"p{n}@x.example"} for n in range(101)]}, "contacts"),
        ({"searchResultIds": "abc"}, "searchResultIds"),
        ({"contacts": [{"title": "CEO"}]}, "contacts[0]"),
        ({"contacts": [{"contactName": "Ann Lee"}]}, "contacts[0]"),
        ({"contacts": [{"email": 5}]}, "contacts[0].email"),
        ({"contacts": [{"email": "a@b.example", "phone": "1"}]}, "phone"),
        ({"contacts": ["a@b.example"]}, "contacts[0]"),
        ({"searchResultIds": ["a"], "isJobChange": True}, "isJobChange"),
        ({"searchResultIds": ["a"], "dedupe": False}, "dedupe"),
    ],
)
def test_refused_research_requests_cost_nothing(
    sandbox: Sandbox, body: dict[str, Any], field: str
) -> None:
    user = mint(sandbox, 10)
    c = sandbox.seamless(user["key"])
    bad(c.post("/contacts/research", json=body), field)
    assert balance(sandbox, user["key"]) == 10


def test_company_research(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    done = outcomes(sandbox, "done", 3, kind="companies")
    failing = outcomes(sandbox, "error", 1, kind="companies")[0]
    body = {
        "searchResultIds": [done[0]["searchResultId"], failing["searchResultId"]],
        "companies": [
            {"domain": "https://www." + done[1]["identity"]["domain"] + "/"},
            {"companyName": done[2]["identity"]["companyName"].lower()},
            {"domain": "no-such-company.example"},
        ],
    }
    r = c.post("/companies/research", json=body)
    assert r.status_code == 202 and r.headers["X-PublicAPI-Credits"] == "96"
    ids = r.json()["requestIds"]
    assert set(statuses(poll(c, "companies", ids))) == {"researching"}  # no "queued" for companies
    advance(sandbox)
    items = poll(c, "companies", ids)
    assert statuses(items) == ["done", "error", "done", "done", "missing"]
    assert balance(sandbox, user["key"]) == 97  # error refunded; an unmatched company is free
    assert [i["searchResultId"] for i in items[:4]] == [
        done[0]["searchResultId"],
        failing["searchResultId"],
        done[1]["searchResultId"],
        done[2]["searchResultId"],
    ]
    record = items[0]["company"]
    for name in (
        "name",
        "domain",
        "description",
        "phones",
        "industries",
        "staffCount",
        "staffCountRange",
        "annualRevenue",
        "revenueRange",
        "sicCode",
        "foundedOn",
        "location",
        "topTechnologies",
        "linkedInProfileUrl",
        "companyId",
        "createdAt",
    ):
        assert name in record, name
    assert record["domain"] == done[0]["identity"]["domain"] and record["phones"]
    again = c.post("/companies/research", json={"searchResultIds": [done[0]["searchResultId"]]})
    assert again.headers["X-PublicAPI-Credits"] == "97"
    dup = poll(c, "companies", again.json()["requestIds"])[0]
    # The companies poll knows missing | researching | done | error only: a duplicate is
    # "done" with the existing record, and free.
    assert dup["status"] == "done" and dup["company"]["companyId"] == record["companyId"]
    bad(c.post("/companies/research", json={"companies": [{}]}), "companies[0]")
    bad(
        c.post("/companies/research", json={"companies": [{"domain": "a.example", "name": "A"}]}),
        "name",
    )
    bad(c.post("/companies/research", json={}), "companies")
    assert balance(sandbox, user["key"]) == 97


def test_poll_validation_and_organisation_isolation(sandbox: Sandbox) -> None:
    user = mint(sandbox, 10)
    c = sandbox.seamless(user["key"])
    ids = submit(
        c, "contacts", {"searchResultIds": [outcomes(sandbox, "done", 1)[0]["searchResultId"]]}
    )
    bad(c.get("/contacts/research/poll"), "requestIds")
    bad(
        c.get(
            "/contacts/research/poll", params={"requestIds": ",".join(f"r{n}" for n in range(101))}
        ),
        "requestIds",
    )
    bad(c.get("/contacts/research/poll", params={"requestIds": ids[0], "extra": "1"}), "extra")
    mixed = poll(c, "contacts", [ids[0], "not-a-request"])
    assert mixed[0]["requestId"] == ids[0] and mixed[1]["status"] == "error"
    repeated = c.get(
        "/contacts/research/poll", params=[("requestIds", ids[0]), ("requestIds", "other")]
    )
    assert [i["requestId"] for i in repeated.json()["data"]] == [ids[0], "other"]
    assert poll(c, "companies", ids)[0]["status"] == "error"  # a contact request is no company one
    # Another user of the same organisation may poll it; another organisation may not.
    colleague = mint(sandbox, 1, orgId=user["orgId"])
    assert poll(sandbox.seamless(colleague["key"]), "contacts", ids)[0]["requestId"] == ids[0]
    assert poll(sandbox.seamless(colleague["key"]), "contacts", ids)[0]["status"] != "error"
    stranger = mint(sandbox, 1, newOrg=True)
    assert poll(sandbox.seamless(stranger["key"]), "contacts", ids)[0]["status"] == "error"


def test_the_organisations_researched_records(sandbox: Sandbox) -> None:
    alice = mint(sandbox, 100, newOrg=True)
    bob = mint(sandbox, 100, orgId=alice["orgId"])
    a, b = sandbox.seamless(alice["key"]), sandbox.seamless(bob["key"])
    ids = [o["searchResultId"] for o in outcomes(sandbox, "done", 3, offset=600)]
    submit(a, "contacts", {"searchResultIds": ids[:2]})
    submit(b, "contacts", {"searchResultIds": ids[1:]})  # dedup is per user: Bob pays for his
    assert balance(sandbox, bob["key"]) == 98
    company = outcomes(sandbox, "done", 1, offset=10, kind="companies")[0]
    submit(b, "companies", {"searchResultIds": [company["searchResultId"]]})
    advance(sandbox)
    everything = {"startDate": "2000-01-01", "endDate": "2100-12-31"}
    listed = a.get("/contacts", params=everything)
    assert listed.status_code == 200 and listed.headers["X-PublicAPI-Credits"] == "98"
    body = listed.json()
    assert set(body) == {"data"} and len(body["data"]) == 4  # no paging fields
    assert sorted(r["searchResultId"] for r in body["data"]) == sorted(
        [ids[0], ids[1], ids[1], ids[2]]
    )
    page1 = a.get("/contacts", params={**everything, "limit": 3, "page": 1}).json()
    page2 = a.get("/contacts", params={**everything, "limit": 3, "page": 2}).json()
    assert len(page1["data"]) == 3 and len(page2["data"]) == 1  # shorter than limit: the end
    updated = body["data"][0]["updatedAt"]
    day = updated[:10]
    assert len(a.get("/contacts", params={"startDate": day, "endDate": day}).json()["data"]) == 4
    assert (
        a.get("/contacts", params={"startDate": "2000-01-01", "endDate": "2001-01-01"}).json()[
            "data"
        ]
        == []
    )
    companies = b.get("/companies", params=everything).json()
    assert [r["searchResultId"] for r in companies["data"]] == [company["searchResultId"]]
    stranger = sandbox.seamless(mint(sandbox, 1, newOrg=True)["key"])
    assert stranger.get("/contacts", params=everything).json()["data"] == []
    bad(a.get("/contacts", params={"endDate": "2100-01-01"}), "startDate")
    bad(a.get("/contacts", params={"startDate": "yesterday", "endDate": "2100-01-01"}), "startDate")
    bad(
        a.get("/contacts", params={"startDate": "2100-01-01", "endDate": "2000-01-01"}), "startDate"
    )
    bad(a.get("/contacts", params={**everything, "limit": "501"}), "limit")
    bad(a.get("/contacts", params={**everything, "page": "0"}), "page")
    bad(a.get("/companies", params={**everything, "sort": "name"}), "sort")
    assert a.get("/contacts", params={**everything, "limit": "500"}).status_code == 200
    assert balance(sandbox, alice["key"]) == 98  # listing is free


def test_a_user_without_license_gets_missing_license_everywhere(sandbox: Sandbox) -> None:
    key = sandbox.info["seamless_unlicensed_key"]
    c = sandbox.seamless(key)
    before = balance(sandbox, key)
    for method, path, kw in (
        ("POST", "/search/contacts", {"json": {}}),
        ("POST", "/search/companies", {"json": {}}),
        ("POST", "/contacts/research", {"json": {"searchResultIds": ["x"]}}),
        ("POST", "/companies/research", {"json": {"searchResultIds": ["x"]}}),
        ("GET", "/contacts/research/poll", {"params": {"requestIds": "x"}}),
        ("GET", "/contacts", {"params": {"startDate": "2000-01-01", "endDate": "2100-01-01"}}),
    ):
        r = c.request(method, path, **kw)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["code"] == "missingLicense" and r.json()["msg"]
        assert r.headers["X-PublicAPI-Credits"] == str(before)
        assert "X-RateLimit-Remaining" in r.headers
    assert balance(sandbox, key) == before
