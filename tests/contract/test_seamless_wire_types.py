"""Every Seamless answer of the sandbox against the declared types (docs/api/seamless.md,
"Types on the wire"), endpoint by endpoint, over real HTTP: search items, research
confirmations, poll items before and after the record exists, the organisation's
records, webhook bodies and error bodies.

The checker (``tests/support/seamless_wire.py``) is written from the notes, not from the
sandbox; the first test proves it refuses the wrong types these answers used to have."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support import seamless_wire as wire
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)

FINISHED_MS = 4_600


def mint(box: Sandbox, credits: int = 1000, **kw: Any) -> dict[str, str]:
    return box.control("POST", "seamless/users", json={"credits": credits, **kw})  # type: ignore[no-any-return]


def outcome_ids(box: Sandbox, kind: str, status: str, n: int, offset: int) -> list[str]:
    found = box.control(
        "GET",
        "seamless/outcomes",
        params={"type": kind, "status": status, "limit": n, "offset": offset},
    )
    return [o["searchResultId"] for o in found]


def advance(box: Sandbox, ms: int = FINISHED_MS) -> None:
    box.control("POST", "clock/advance", json={"ms": ms})


def conforms(value: Any, spec: wire.T) -> None:
    found = wire.problems(value, spec)
    assert not found, "\n".join(found[:20])


def test_the_checker_refuses_what_the_schema_does_not_declare() -> None:
    # The wrong types this sandbox once sent: each must be caught.
    assert wire.problems({"searchResultId": "c1", "numContacts": 487}, wire.COMPANY_ITEM)
    assert wire.problems({"searchResultId": "c1", "employeeCount": 125}, wire.COMPANY_ITEM)
    assert wire.problems({"searchResultId": "c1", "foundedOn": 2004}, wire.COMPANY_ITEM)
    assert wire.problems(
        {"requestId": "r", "status": "queued", "message": "", "contact": None},
        wire.CONTACT_POLL_ITEM,
    )
    assert wire.problems({"industries": ["Banking"]}, wire.COMPANY_RECORD)
    assert wire.problems({"staffCount": 125}, wire.COMPANY_RECORD)
    assert wire.problems({"formerCompany": None}, wire.CONTACT_RECORD)
    assert wire.problems(
        {"jobHistory": [{"companyName": "A", "current": True}]}, wire.CONTACT_RECORD
    )
    assert wire.problems({"companyStaffCount": "125"}, wire.CONTACT_RECORD)
    assert wire.problems({"email1Selected": "true"}, wire.CONTACT_RECORD)
    assert wire.problems({"data": [], "supplementalData": {}}, wire.org_page(wire.CONTACT_RECORD))
    assert wire.problems(
        {"requestId": "r", "status": "duplicate", "message": ""}, wire.COMPANY_POLL_ITEM
    )
    # ...and accept the declared forms.
    assert not wire.problems(
        {"searchResultId": "c1", "numContacts": "487", "foundedOn": "2004-01-01"},
        wire.COMPANY_ITEM,
    )
    assert not wire.problems(
        {"requestId": "r", "status": "queued", "message": ""}, wire.CONTACT_POLL_ITEM
    )


def test_search_answers_follow_the_declared_types(sandbox: Sandbox) -> None:
    c = sandbox.seamless(mint(sandbox)["key"])
    people = c.post("/search/contacts", json={"limit": 100})
    assert people.status_code == 200
    conforms(people.json(), wire.search_page(wire.CONTACT_ITEM))
    # Job changes carry the alert and the former job; a movers' page exercises the nulls too.
    movers = c.post(
        "/search/contacts",
        json={
            "limit": 100,
            "jobChanges": {"changeType": "New Hire", "dayRange": "Last 365 Days"},
        },
    ).json()
    conforms(movers, wire.search_page(wire.CONTACT_ITEM))
    assert all(i["jobChangeAlert"] == "New Hire" for i in movers["data"])
    assert any(i["formerCompany"] for i in movers["data"])
    spaced = people.json()["data"][0]["lastModifiedAt"]
    assert " " in spaced and "T" not in spaced  # the published "2026-03-03 12:34:07" form
    companies = c.post("/search/companies", json={"limit": 100})
    assert companies.status_code == 200
    conforms(companies.json(), wire.search_page(wire.COMPANY_ITEM))
    items = companies.json()["data"]
    assert all(isinstance(i["numContacts"], str) for i in items)
    assert any("fundingTotal" in i for i in items) and any(i["stockTicker"] is None for i in items)


def test_contact_research_and_polls_follow_the_declared_types(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    ids = [
        *outcome_ids(sandbox, "contacts", "done", 6, 900),
        *outcome_ids(sandbox, "contacts", "missing", 1, 30),
        *outcome_ids(sandbox, "contacts", "error", 1, 30),
    ]
    accepted = c.post("/contacts/research", json={"searchResultIds": ids})
    assert accepted.status_code == 202
    conforms(accepted.json(), wire.RESEARCH_ACCEPTED)
    request_ids = accepted.json()["requestIds"]
    pending = c.get("/contacts/research/poll", params={"requestIds": ",".join(request_ids)})
    conforms(pending.json(), wire.poll_answer(wire.CONTACT_POLL_ITEM))
    assert all("contact" not in i for i in pending.json()["data"])  # absent, not null
    advance(sandbox)
    unknown = "no-such-request"
    done = c.get(
        "/contacts/research/poll", params={"requestIds": ",".join([*request_ids, unknown])}
    ).json()
    conforms(done, wire.poll_answer(wire.CONTACT_POLL_ITEM))
    statuses = [i["status"] for i in done["data"]]
    assert statuses == ["done"] * 6 + ["missing", "error", "error"]
    assert all("contact" in i for i in done["data"][:6])
    assert not any("contact" in i for i in done["data"][6:])
    # By identity, with a duplicate (the other spelling) and a person nobody matches.
    again = c.post(
        "/contacts/research",
        json={
            "contacts": [
                {"liProfileUrl": done["data"][0]["contact"]["lIProfileUrl"]},
                {"contactName": "Nobody Atall", "companyName": "No Such Company"},
            ]
        },
    )
    advance(sandbox)
    items = c.get(
        "/contacts/research/poll", params={"requestIds": ",".join(again.json()["requestIds"])}
    ).json()
    conforms(items, wire.poll_answer(wire.CONTACT_POLL_ITEM))
    assert [i["status"] for i in items["data"]] == ["contact-already-researched", "not found"]


def test_company_research_and_polls_follow_the_declared_types(sandbox: Sandbox) -> None:
    user = mint(sandbox, 100)
    c = sandbox.seamless(user["key"])
    ids = [
        *outcome_ids(sandbox, "companies", "done", 4, 300),
        *outcome_ids(sandbox, "companies", "error", 1, 5),
    ]
    accepted = c.post(
        "/companies/research",
        json={"searchResultIds": ids, "companies": [{"domain": "no-such-company.example"}]},
    )
    conforms(accepted.json(), wire.RESEARCH_ACCEPTED)
    request_ids = accepted.json()["requestIds"]
    pending = c.get("/companies/research/poll", params={"requestIds": ",".join(request_ids)})
    conforms(pending.json(), wire.poll_answer(wire.COMPANY_POLL_ITEM))
    advance(sandbox)
    done = c.get("/companies/research/poll", params={"requestIds": ",".join(request_ids)}).json()
    conforms(done, wire.poll_answer(wire.COMPANY_POLL_ITEM))
    assert [i["status"] for i in done["data"]] == ["done"] * 4 + ["error", "missing"]
    record = done["data"][0]["company"]
    assert isinstance(record["industries"], str) and isinstance(record["phones"], str)
    # A duplicate: "done" with the existing record (the companies poll has no other status).
    dup = c.post("/companies/research", json={"searchResultIds": ids[:1]}).json()["requestIds"]
    again = c.get("/companies/research/poll", params={"requestIds": dup[0]}).json()
    conforms(again, wire.poll_answer(wire.COMPANY_POLL_ITEM))
    assert again["data"][0]["status"] == "done"


def test_researched_records_and_webhook_bodies_follow_the_declared_types(
    sandbox: Sandbox,
) -> None:
    user = mint(sandbox, 100, newOrg=True)
    hook = sandbox.control(
        "POST",
        "seamless/webhooks",
        json={"url": "http://127.0.0.1:9/unreachable", "orgId": user["orgId"]},
    )
    c = sandbox.seamless(user["key"])
    c.post(
        "/contacts/research",
        json={"searchResultIds": outcome_ids(sandbox, "contacts", "done", 3, 1200)},
    )
    c.post(
        "/companies/research",
        json={"searchResultIds": outcome_ids(sandbox, "companies", "done", 2, 500)},
    )
    advance(sandbox)
    everything = {"startDate": "2000-01-01", "endDate": "2100-12-31"}
    contacts = c.get("/contacts", params=everything)
    companies = c.get("/companies", params=everything)
    conforms(contacts.json(), wire.org_page(wire.CONTACT_RECORD))
    conforms(companies.json(), wire.org_page(wire.COMPANY_RECORD))
    assert len(contacts.json()["data"]) == 3 and len(companies.json()["data"]) == 2
    deadline = time.monotonic() + 5
    log: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(log) < 5:
        log = sandbox.control(
            "GET", "seamless/webhook-deliveries", params={"webhookId": hook["id"]}
        )
        time.sleep(0.1)
    assert sorted(d["type"] for d in log) == ["company-researched"] * 2 + ["contact-researched"] * 3
    for delivery in log:
        spec = (
            wire.CONTACT_RECORD if delivery["type"] == "contact-researched" else wire.COMPANY_RECORD
        )
        conforms(delivery["body"], spec)


def test_error_bodies_follow_the_declared_shapes(sandbox: Sandbox) -> None:
    refused = sandbox.seamless("slk_test_not-a-key").post("/search/contacts", json={})
    assert refused.status_code == 401
    conforms(refused.json(), wire.UNAUTHORIZED)
    poor = sandbox.seamless(mint(sandbox, 0)["key"])
    short = poor.post(
        "/contacts/research",
        json={"searchResultIds": outcome_ids(sandbox, "contacts", "done", 2, 1500)},
    )
    assert short.status_code == 422
    conforms(short.json(), wire.UNPROCESSABLE)
    assert short.json()["code"] == "insufficientCredits"
    unlicensed = sandbox.seamless(sandbox.info["seamless_unlicensed_key"]).post(
        "/search/contacts", json={}
    )
    assert unlicensed.status_code == 422
    conforms(unlicensed.json(), wire.UNPROCESSABLE)


def test_a_429_has_a_json_body(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", "--seamless-rate-limit", "2")
    c = box.seamless(box.seamless_key)
    answers = [
        c.get("/contacts", params={"startDate": "2000-01-01", "endDate": "2000-01-02"})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    conforms(answers[2].json(), wire.RATE_LIMITED)
