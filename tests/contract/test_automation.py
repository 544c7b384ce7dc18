"""Workflow triggers, event injection and public forms over real HTTP
(docs/api/seedly-crm.md §2, §5, §8)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(90)

CAPTCHA_OK = "sandbox-captcha-ok"


def error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return str(body["error"]["message"])


def unique_email(tag: str = "wf") -> str:
    return f"{tag}.{uuid.uuid4().hex[:10]}@example.com"


def create_contact(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    r = client.post(
        "/api/v1/contacts",
        json={"firstName": "Flow", "lastName": "Test", "email": unique_email(), **fields},
    )
    assert r.status_code == 201, r.text
    return r.json()["data"]


def workflows(sandbox: Sandbox, sub: str) -> dict[str, dict[str, Any]]:
    """The sub-account's workflows by slug without its sub-account prefix."""
    prefix = sub.removeprefix("sub_").replace("_", "-") + "-"
    return {
        w["slug"].removeprefix(prefix): w
        for w in sandbox.control("GET", "workflows", params={"subAccountId": sub})
    }


def executions(sandbox: Sandbox, **params: str) -> list[dict[str, Any]]:
    return sandbox.control("GET", "workflow-executions", params=params)


def post_signed(
    sandbox: Sandbox, path: str, body: Any, secret: str | None = None, signature: str | None = None
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Webhook-Signature"] = (
            "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        )
    if signature is not None:
        headers["X-Webhook-Signature"] = signature
    return httpx.post(f"{sandbox.url}{path}", content=raw, headers=headers, timeout=30)


def forms(sandbox: Sandbox, sub: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in sandbox.control("GET", "forms", params={"subAccountId": sub})}


def submit(sandbox: Sandbox, body: Any) -> httpx.Response:
    return httpx.post(f"{sandbox.url}/api/forms/submit", json=body, timeout=30)


def contacts_by_email(client: httpx.Client, email: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/contacts", params={"email": email})
    assert r.status_code == 200
    return r.json()["data"]


# -- the seeded workflows --------------------------------------------------------------------


def test_every_sub_account_has_demo_workflows(sandbox: Sandbox) -> None:
    everything = sandbox.control("GET", "workflows")
    slugs = [w["slug"] for w in everything]
    assert len(slugs) == len(set(slugs))  # the trigger URL has no sub-account: slugs are global
    for sub in sandbox.sub_ids:
        mine = workflows(sandbox, sub)
        assert {"new-lead-intake", "payment-received", "quote-follow-up", "welcome-series"} <= set(
            mine
        )
        assert (
            mine["new-lead-intake"]["hasSecret"] is False
            and mine["new-lead-intake"]["secret"] is None
        )
        assert mine["payment-received"]["hasSecret"] is True
        assert mine["payment-received"]["secret"].startswith("whsec_")
        assert mine["quote-follow-up"]["goalEventType"] == "quote_accepted"
        assert mine["welcome-series"]["triggerEvent"] == "contact.created"
        assert (
            mine["new-lead-intake"]["triggerUrl"]
            == f"{sandbox.url}/webhooks/workflow/{mine['new-lead-intake']['slug']}"
        )
    # The demo seed carries some history of past executions.
    past = executions(sandbox, subAccountId=sandbox.sub_ids[0])
    assert {"running", "completed"} <= {e["status"] for e in past}


# -- triggering ------------------------------------------------------------------------------


def test_trigger_without_secret(sandbox: Sandbox) -> None:
    c = sandbox.client()
    wf = workflows(sandbox, sandbox.sub_ids[0])["new-lead-intake"]
    contact = create_contact(c)
    before = len(executions(sandbox, workflow=wf["slug"]))
    r = post_signed(
        sandbox,
        f"/webhooks/workflow/{wf['slug']}",
        {"email": contact["email"].upper(), "customData": {"campaign": "spring"}},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "triggered": 1}
    assert r.headers["X-API-Version"] == "v1"
    latest = executions(sandbox, workflow=wf["slug"])[0]
    assert latest["contactId"] == contact["id"] and latest["status"] == "completed"
    assert latest["trigger"]["body"]["customData"] == {"campaign": "spring"}
    r = post_signed(sandbox, f"/webhooks/workflow/{wf['slug']}", {"contactId": contact["id"]})
    assert r.json() == {"ok": True, "triggered": 1}
    r = post_signed(sandbox, f"/webhooks/workflow/{wf['slug']}", {"email": unique_email("nobody")})
    assert r.json() == {"ok": True, "triggered": 1}
    assert executions(sandbox, workflow=wf["slug"])[0]["contactId"] is None
    # Any JSON object will do, even an empty body.
    r = httpx.post(f"{sandbox.url}/webhooks/workflow/{wf['slug']}", timeout=30)
    assert r.json() == {"ok": True, "triggered": 1}
    assert len(executions(sandbox, workflow=wf["slug"])) == before + 4


def test_trigger_with_secret_requires_a_valid_signature(sandbox: Sandbox) -> None:
    mine = workflows(sandbox, sandbox.sub_ids[0])
    wf = mine["payment-received"]
    path = f"/webhooks/workflow/{wf['slug']}"
    body = {"email": unique_email("payer"), "customData": {"amount": 99.99}}
    before = len(executions(sandbox, workflow=wf["slug"]))
    msg = error(post_signed(sandbox, path, body), 401, "UNAUTHORIZED")
    assert "X-Webhook-Signature" in msg
    error(post_signed(sandbox, path, body, signature="sha256=" + "0" * 64), 401, "UNAUTHORIZED")
    error(post_signed(sandbox, path, body, signature="garbage"), 401, "UNAUTHORIZED")
    other = workflows(sandbox, sandbox.sub_ids[1])["payment-received"]["secret"]
    error(post_signed(sandbox, path, body, secret=other), 401, "UNAUTHORIZED")
    # A signature of another body does not carry over.
    raw = json.dumps({"customData": "x"}).encode()
    stolen = "sha256=" + hmac.new(wf["secret"].encode(), raw, hashlib.sha256).hexdigest()
    error(post_signed(sandbox, path, body, signature=stolen), 401, "UNAUTHORIZED")
    assert len(executions(sandbox, workflow=wf["slug"])) == before
    r = post_signed(sandbox, path, body, secret=wf["secret"])
    assert r.status_code == 200 and r.json() == {"ok": True, "triggered": 1}
    assert len(executions(sandbox, workflow=wf["slug"])) == before + 1


def test_unknown_slugs_and_wrong_trigger_types(sandbox: Sandbox) -> None:
    error(post_signed(sandbox, "/webhooks/workflow/no-such-workflow", {}), 404, "NOT_FOUND")
    error(
        post_signed(sandbox, "/webhooks/event/no-such-workflow", {"eventType": "x"}),
        404,
        "NOT_FOUND",
    )
    welcome = workflows(sandbox, sandbox.sub_ids[0])["welcome-series"]
    error(post_signed(sandbox, f"/webhooks/workflow/{welcome['slug']}", {}), 404, "NOT_FOUND")


def test_trigger_bad_input(sandbox: Sandbox) -> None:
    mine = workflows(sandbox, sandbox.sub_ids[0])
    path = f"/webhooks/workflow/{mine['new-lead-intake']['slug']}"
    before = len(executions(sandbox, workflow=mine["new-lead-intake"]["slug"]))
    r = httpx.post(
        f"{sandbox.url}{path}", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    error(r, 400, "VALIDATION_ERROR")
    error(post_signed(sandbox, path, [1, 2]), 400, "VALIDATION_ERROR")
    error(post_signed(sandbox, path, {"contactId": 42}), 400, "VALIDATION_ERROR")
    error(post_signed(sandbox, path, {"email": "not-an-email"}), 400, "VALIDATION_ERROR")
    error(post_signed(sandbox, path, {"contactId": "contact_missing"}), 404, "NOT_FOUND")
    other_sub_contact = create_contact(
        sandbox.client(sandbox.sub_key(1)), customFields={"property_type": "Commercial"}
    )
    error(post_signed(sandbox, path, {"contactId": other_sub_contact["id"]}), 404, "NOT_FOUND")
    assert len(executions(sandbox, workflow=mine["new-lead-intake"]["slug"])) == before
    paused = mine["win-back"]
    assert paused["isActive"] is False
    r = post_signed(sandbox, f"/webhooks/workflow/{paused['slug']}", {})
    assert r.status_code == 200 and r.json() == {"ok": True, "triggered": 0}


# -- goals and injected events -------------------------------------------------------------------


def test_injected_event_completes_the_waiting_execution(sandbox: Sandbox) -> None:
    c = sandbox.client()
    wf = workflows(sandbox, sandbox.sub_ids[0])["quote-follow-up"]
    contact, bystander = create_contact(c), create_contact(c)
    for who in (contact, bystander):
        r = post_signed(sandbox, f"/webhooks/workflow/{wf['slug']}", {"contactId": who["id"]})
        assert r.json() == {"ok": True, "triggered": 1}
    # No re-entry while the first execution still waits.
    r = post_signed(sandbox, f"/webhooks/workflow/{wf['slug']}", {"contactId": contact["id"]})
    assert r.json() == {"ok": True, "triggered": 0}
    [running] = executions(sandbox, workflow=wf["slug"], contactId=contact["id"])
    assert running["status"] == "running" and running["waitingFor"] == "quote_accepted"

    event_path = f"/webhooks/event/{wf['slug']}"
    r = post_signed(
        sandbox, event_path, {"eventType": "quote_rejected", "contactId": contact["id"]}
    )
    assert r.status_code == 200 and r.json() == {"ok": True, "matched": 0}
    r = post_signed(
        sandbox,
        event_path,
        {"eventType": "quote_accepted", "contactId": contact["id"], "data": {"amount": 1200}},
    )
    assert r.status_code == 200 and r.json() == {"ok": True, "matched": 1}
    [done] = executions(sandbox, workflow=wf["slug"], contactId=contact["id"])
    assert done["status"] == "completed" and done["waitingFor"] is None
    assert done["receivedEvents"][0]["eventType"] == "quote_accepted"
    assert done["receivedEvents"][0]["data"] == {"amount": 1200}
    assert (
        executions(sandbox, workflow=wf["slug"], contactId=bystander["id"])[0]["status"]
        == "running"
    )
    r = post_signed(
        sandbox, event_path, {"eventType": "quote_accepted", "contactId": contact["id"]}
    )
    assert r.json() == {"ok": True, "matched": 0}
    error(post_signed(sandbox, event_path, {"contactId": contact["id"]}), 400, "VALIDATION_ERROR")
    error(
        post_signed(sandbox, event_path, {"eventType": "quote_accepted", "data": [1]}),
        400,
        "VALIDATION_ERROR",
    )
    error(
        post_signed(
            sandbox, event_path, {"eventType": "quote_accepted", "contactId": "contact_nope"}
        ),
        404,
        "NOT_FOUND",
    )


def test_event_injection_follows_the_signature_rule(sandbox: Sandbox) -> None:
    c = sandbox.client()
    wf = workflows(sandbox, sandbox.sub_ids[0])["invoice-payment"]
    assert wf["hasSecret"] and wf["goalEventType"] == "payment_completed"
    contact = create_contact(c)
    r = post_signed(
        sandbox,
        f"/webhooks/workflow/{wf['slug']}",
        {"contactId": contact["id"]},
        secret=wf["secret"],
    )
    assert r.json() == {"ok": True, "triggered": 1}
    body = {"eventType": "payment_completed", "contactId": contact["id"], "data": {"amount": 99.99}}
    error(post_signed(sandbox, f"/webhooks/event/{wf['slug']}", body), 401, "UNAUTHORIZED")
    error(
        post_signed(sandbox, f"/webhooks/event/{wf['slug']}", body, signature="sha256=00"),
        401,
        "UNAUTHORIZED",
    )
    assert (
        executions(sandbox, workflow=wf["slug"], contactId=contact["id"])[0]["status"] == "running"
    )
    r = post_signed(sandbox, f"/webhooks/event/{wf['slug']}", body, secret=wf["secret"])
    assert r.json() == {"ok": True, "matched": 1}
    assert (
        executions(sandbox, workflow=wf["slug"], contactId=contact["id"])[0]["status"]
        == "completed"
    )


def test_contact_events_trigger_workflows_and_deletion_cancels_them(sandbox: Sandbox) -> None:
    c = sandbox.client()
    mine = workflows(sandbox, sandbox.sub_ids[0])
    lead = create_contact(c, tags=["website-lead"])
    plain = create_contact(c)
    [welcome] = executions(sandbox, workflow=mine["welcome-series"]["slug"], contactId=lead["id"])
    assert welcome["status"] == "running" and welcome["trigger"]["event"] == "contact.created"
    assert executions(sandbox, workflow=mine["welcome-series"]["slug"], contactId=plain["id"]) == []
    quote = mine["quote-follow-up"]["slug"]
    for who in (lead, plain):
        assert post_signed(
            sandbox, f"/webhooks/workflow/{quote}", {"contactId": who["id"]}
        ).json() == {"ok": True, "triggered": 1}
    assert c.delete(f"/api/v1/contacts/{lead['id']}").status_code == 200
    cancelled = executions(sandbox, contactId=lead["id"])
    assert len(cancelled) == 2
    assert all(
        e["status"] == "cancelled" and e["cancelReason"] == "contact deleted" for e in cancelled
    )
    assert executions(sandbox, workflow=quote, contactId=plain["id"])[0]["status"] == "running"


# -- forms -----------------------------------------------------------------------------------


def test_form_creates_a_contact_and_fires_form_submitted(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    form = forms(sandbox, sub)["Contact Us"]
    email = unique_email("form")
    fields = {
        "firstName": "Wanda",
        "lastName": "Form",
        "email": email,
        "phone": "+15551230001",
        "company": "Formworks",
        "message": "Do you take new patients?",
        "preferred_language": "Spanish",
    }
    r = submit(sandbox, {"subAccountId": sub, "formId": form["id"], "fields": fields})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert set(data) == {"submissionId", "contactId", "created"} and data["created"] is True
    contact = c.get(f"/api/v1/contacts/{data['contactId']}").json()["data"]
    assert contact["email"] == email and contact["phone"] == "+15551230001"
    assert contact["company"] == "Formworks" and contact["source"] == "form"
    assert contact["tags"] == ["website-lead"]
    assert contact["customFields"] == {"preferred_language": "Spanish"}
    fired = [
        e
        for e in sandbox.control(
            "GET", "events", params={"name": "form.submitted", "subAccountId": sub}
        )
        if e["data"]["contactId"] == contact["id"]
    ]
    assert len(fired) == 1
    assert fired[0]["data"]["formId"] == form["id"] and fired[0]["data"]["formName"] == "Contact Us"
    assert fired[0]["data"]["fields"] == fields
    created = [
        e
        for e in sandbox.control(
            "GET", "events", params={"name": "contact.created", "subAccountId": sub}
        )
        if e["data"]["contactId"] == contact["id"]
    ]
    assert len(created) == 1
    [recorded] = sandbox.control("GET", "form-submissions", params={"contactId": contact["id"]})
    assert (
        recorded["id"] == data["submissionId"]
        and recorded["fields"]["message"] == fields["message"]
    )
    # The second sub-account requires a custom field its Contact Us form does not ask for.
    other = sandbox.sub_ids[1]
    r = submit(
        sandbox,
        {
            "subAccountId": other,
            "formId": forms(sandbox, other)["Contact Us"]["id"],
            "fields": {"firstName": "Rory", "lastName": "Roof", "email": unique_email("roof")},
        },
    )
    assert r.status_code == 201 and r.json()["data"]["created"] is True


def test_form_updates_the_contact_with_that_email(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    existing = create_contact(c, tags=["vip"], phone="+15551230002")
    form = forms(sandbox, sub)["Contact Us"]
    r = submit(
        sandbox,
        {
            "subAccountId": sub,
            "formId": form["id"],
            "fields": {
                "firstName": "Flow",
                "lastName": "Renamed",
                "email": existing["email"].upper(),
                "phone": "+15551230003",
                "customFields": {"insurance_provider": "Aetna"},
            },
        },
    )
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["contactId"] == existing["id"] and data["created"] is False
    after = c.get(f"/api/v1/contacts/{existing['id']}").json()["data"]
    assert after["lastName"] == "Renamed" and after["phone"] == "+15551230003"
    assert after["email"] == existing["email"]
    assert after["tags"] == ["vip", "website-lead"] and after["source"] == existing["source"]
    assert after["customFields"]["insurance_provider"] == "Aetna"
    assert len(contacts_by_email(c, existing["email"])) == 1


def test_captcha_protected_form(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    form = forms(sandbox, sub)["New Patient Request"]
    assert form["requiresCaptcha"] is True
    email = unique_email("captcha")
    body = {
        "subAccountId": sub,
        "formId": form["id"],
        "fields": {"firstName": "Cap", "lastName": "Tcha", "email": email},
    }
    assert "captchaToken" in error(submit(sandbox, body), 400, "VALIDATION_ERROR")
    assert "captchaToken" in error(
        submit(sandbox, {**body, "captchaToken": "robot"}), 400, "VALIDATION_ERROR"
    )
    assert contacts_by_email(c, email) == []
    r = submit(sandbox, {**body, "captchaToken": CAPTCHA_OK})
    assert r.status_code == 201 and r.json()["data"]["created"] is True
    assert contacts_by_email(c, email)[0]["tags"] == ["new-patient"]


def test_form_validation_errors_write_nothing(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    form = forms(sandbox, sub)["Contact Us"]
    email = unique_email("invalid")
    base = {"firstName": "Val", "lastName": "Idation", "email": email}
    submissions_before = len(
        sandbox.control("GET", "form-submissions", params={"formId": form["id"]})
    )
    events_before = len(
        sandbox.control("GET", "events", params={"name": "form.submitted", "subAccountId": sub})
    )
    bad_fields = [
        ({**base, "email": "not-an-email"}, "email"),
        ({**base, "phone": "555-1234"}, "phone"),
        ({**base, "preferred_language": "Klingon"}, "preferred_language"),
        ({**base, "dateOfBirth": "2001-02-30"}, "dateOfBirth"),
        ({"firstName": "Val", "lastName": "Idation"}, "email"),
        ({"email": email}, "firstName"),
        ({**base, "customFields": "oops"}, "customFields"),
    ]
    for fields, named in bad_fields:
        msg = error(
            submit(sandbox, {"subAccountId": sub, "formId": form["id"], "fields": fields}),
            400,
            "VALIDATION_ERROR",
        )
        assert named in msg, (named, msg)
    error(
        submit(sandbox, {"subAccountId": sub, "formId": form["id"], "fields": "x"}),
        400,
        "VALIDATION_ERROR",
    )
    error(submit(sandbox, {"subAccountId": sub, "formId": form["id"]}), 400, "VALIDATION_ERROR")
    error(
        submit(sandbox, {"subAccountId": sub, "formId": "form_nope", "fields": base}),
        404,
        "NOT_FOUND",
    )
    other_form = forms(sandbox, sandbox.sub_ids[1])["Contact Us"]["id"]
    error(
        submit(sandbox, {"subAccountId": sub, "formId": other_form, "fields": base}),
        404,
        "NOT_FOUND",
    )
    error(
        submit(sandbox, {"subAccountId": "sub_nope", "formId": form["id"], "fields": base}),
        404,
        "NOT_FOUND",
    )
    r = httpx.post(
        f"{sandbox.url}/api/forms/submit",
        content=b"[",
        headers={"Content-Type": "application/json"},
    )
    error(r, 400, "VALIDATION_ERROR")
    assert contacts_by_email(c, email) == []
    # An existing contact is left exactly as it was when the submission is refused.
    existing = create_contact(c, phone="+15551230004")
    r = submit(
        sandbox,
        {
            "subAccountId": sub,
            "formId": form["id"],
            "fields": {
                "firstName": "Changed",
                "lastName": "Name",
                "email": existing["email"],
                "phone": "12",
            },
        },
    )
    error(r, 400, "VALIDATION_ERROR")
    assert c.get(f"/api/v1/contacts/{existing['id']}").json()["data"] == existing
    assert (
        len(sandbox.control("GET", "form-submissions", params={"formId": form["id"]}))
        == submissions_before
    )
    assert (
        len(
            sandbox.control("GET", "events", params={"name": "form.submitted", "subAccountId": sub})
        )
        == events_before
    )
