"""Contacts and custom fields over real HTTP against a sandbox process
(docs/api/seedly-crm.md §5)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)


def unique_email(tag: str = "t") -> str:
    return f"{tag}.{uuid.uuid4().hex[:10]}@example.com"


def create(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"firstName": "Test", "lastName": "Person", "email": unique_email(), **fields}
    r = client.post("/api/v1/contacts", json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    return str(body["error"]["message"])


def events(sandbox: Sandbox, name: str, sub: str) -> list[dict[str, Any]]:
    return sandbox.control("GET", f"events?name={name}&subAccountId={sub}")


def test_create_returns_full_contact_and_fires_created(sandbox: Sandbox) -> None:
    c = sandbox.client()
    email = unique_email("jane")
    r = c.post(
        "/api/v1/contacts",
        json={
            "firstName": "Jane",
            "lastName": "Doe",
            "email": email,
            "phone": "+15551234567",
            "company": "Acme Corp",
            "lifecycleStage": "lead",
            "tags": ["website-lead"],
            "source": "api",
        },
    )
    assert r.status_code == 201
    data = r.json()["data"]
    for field in (
        "id",
        "firstName",
        "lastName",
        "email",
        "phone",
        "company",
        "title",
        "source",
        "tags",
        "lifecycleStage",
        "engagementScore",
        "assignedTo",
        "additionalEmails",
        "additionalPhones",
        "addressLine1",
        "city",
        "state",
        "postalCode",
        "country",
        "dateOfBirth",
        "customFields",
        "createdAt",
        "updatedAt",
    ):
        assert field in data, field
    assert data["email"] == email and data["tags"] == ["website-lead"]
    assert data["createdAt"].endswith("Z")
    got = c.get(f"/api/v1/contacts/{data['id']}").json()["data"]
    assert got == data
    fired = [
        e
        for e in events(sandbox, "contact.created", sandbox.sub_ids[0])
        if e["data"]["contactId"] == data["id"]
    ]
    assert len(fired) == 1
    assert fired[0]["data"]["subAccountId"] == sandbox.sub_ids[0]
    assert fired[0]["data"]["tags"] == ["website-lead"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lastName": "Doe"}, "firstName"),
        ({"firstName": "Jane"}, "lastName"),
        ({"firstName": "  ", "lastName": "Doe"}, "firstName"),
        ({"firstName": 12, "lastName": "Doe"}, "firstName"),
        ({"firstName": "J", "lastName": "D", "email": "not-an-email"}, "email"),
        ({"firstName": "J", "lastName": "D", "phone": "555-1234"}, "phone"),
        ({"firstName": "J", "lastName": "D", "phone": "+1 555 123 4567"}, "phone"),
        ({"firstName": "J", "lastName": "D", "lifecycleStage": "prospect"}, "lifecycleStage"),
        ({"firstName": "J", "lastName": "D", "tags": "vip"}, "tags"),
        ({"firstName": "J", "lastName": "D", "tags": ["ok", 3]}, "tags"),
        ({"firstName": "J", "lastName": "D", "assignedTo": "usr_nobody"}, "assignedTo"),
        ({"firstName": "J", "lastName": "D", "dateOfBirth": "1990-02-30"}, "dateOfBirth"),
        ({"firstName": "J", "lastName": "D", "customFields": {"nope": 1}}, "customFields.nope"),
        (
            {"firstName": "J", "lastName": "D", "customFields": {"preferred_language": "German"}},
            "customFields.preferred_language",
        ),
        (
            {"firstName": "J", "lastName": "D", "customFields": {"visits_per_year": "many"}},
            "customFields.visits_per_year",
        ),
        (
            {"firstName": "J", "lastName": "D", "customFields": {"sms_reminders": "yes"}},
            "customFields.sms_reminders",
        ),
        (
            {"firstName": "J", "lastName": "D", "customFields": {"patient_since": "yesterday"}},
            "customFields.patient_since",
        ),
        (
            {"firstName": "J", "lastName": "D", "customFields": {"referral_url": "ftp://x"}},
            "customFields.referral_url",
        ),
        (
            {"firstName": "J", "lastName": "D", "customFields": {"billing_email": "x@"}},
            "customFields.billing_email",
        ),
        (
            {"firstName": "J", "lastName": "D", "customFields": {"emergency_phone": "12"}},
            "customFields.emergency_phone",
        ),
    ],
)
def test_create_validation_names_the_field_and_writes_nothing(
    sandbox: Sandbox, body: dict[str, Any], field: str
) -> None:
    c = sandbox.client()
    before = c.get("/api/v1/contacts?limit=1").json()["meta"]["total"]
    r = c.post("/api/v1/contacts", json=body)
    message = error(r, 400, "VALIDATION_ERROR")
    assert r.json()["error"]["field"] == field
    assert message
    assert c.get("/api/v1/contacts?limit=1").json()["meta"]["total"] == before


def test_seed_message_for_missing_names(sandbox: Sandbox) -> None:
    r = sandbox.client().post("/api/v1/contacts", json={})
    assert error(r, 400, "VALIDATION_ERROR") == "firstName and lastName are required"


def test_required_custom_field_in_second_sub_account(sandbox: Sandbox) -> None:
    c = sandbox.client(sandbox.sub_key(1))
    fields = c.get("/api/v1/contacts/fields").json()["data"]
    required = [f for f in fields if f["isRequired"]]
    assert [f["name"] for f in required] == ["property_type"]
    r = c.post("/api/v1/contacts", json={"firstName": "A", "lastName": "B"})
    assert r.json()["error"]["field"] == "customFields.property_type"
    ok = create(c, customFields={"property_type": "Commercial"})
    # Clearing a required field is refused; other fields may change freely.
    r = c.patch(f"/api/v1/contacts/{ok['id']}", json={"customFields": {"property_type": None}})
    error(r, 400, "VALIDATION_ERROR")
    r = c.patch(f"/api/v1/contacts/{ok['id']}", json={"title": "Owner"})
    assert r.status_code == 200 and r.json()["data"]["customFields"] == {
        "property_type": "Commercial"
    }


def test_custom_field_definitions_cover_every_type(sandbox: Sandbox) -> None:
    for index in (0, 1):
        fields = (
            sandbox.client(sandbox.sub_key(index)).get("/api/v1/contacts/fields").json()["data"]
        )
        assert {f["type"] for f in fields} == {
            "text",
            "number",
            "select",
            "date",
            "boolean",
            "url",
            "email",
            "phone",
        }
        for f in fields:
            assert set(f) == {"name", "label", "type", "options", "isRequired"}
            assert (f["options"] is not None) == (f["type"] == "select")
    first = sandbox.client().get("/api/v1/contacts/fields").json()["data"]
    assert not any(f["isRequired"] for f in first)


def test_email_is_unique_per_sub_account_and_exact_lookup(sandbox: Sandbox) -> None:
    c = sandbox.client()
    email = unique_email("Mixed.Case")
    made = create(c, email=email)
    r = c.post("/api/v1/contacts", json={"firstName": "X", "lastName": "Y", "email": email.upper()})
    assert "already used" in error(r, 400, "VALIDATION_ERROR")
    found = c.get("/api/v1/contacts", params={"email": email.upper()}).json()["data"]
    assert [x["id"] for x in found] == [made["id"]]
    assert c.get("/api/v1/contacts", params={"email": "nobody-" + email}).json()["data"] == []
    # The same email may live in another sub-account.
    other = sandbox.client(sandbox.sub_key(1))
    r = other.post(
        "/api/v1/contacts",
        json={
            "firstName": "X",
            "lastName": "Y",
            "email": email,
            "customFields": {"property_type": "Residential"},
        },
    )
    assert r.status_code == 201


def test_patch_changes_only_given_fields_and_fires_side_effect_events(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    made = create(c, tags=["a"], lifecycleStage="lead", city="Boston")
    r = c.patch(
        f"/api/v1/contacts/{made['id']}",
        json={
            "lifecycleStage": "customer",
            "tags": ["a", "vip", "enterprise"],
            "engagementScore": 99,
            "id": "hijack",
        },
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["id"] == made["id"] and data["engagementScore"] == made["engagementScore"]
    assert data["city"] == "Boston" and data["lifecycleStage"] == "customer"
    assert data["updatedAt"] >= made["updatedAt"]
    added = [
        e["data"]["tag"]
        for e in events(sandbox, "contact.tag_added", sub)
        if e["data"]["contactId"] == made["id"]
    ]
    assert sorted(added) == ["enterprise", "vip"]
    stage = [
        e["data"]
        for e in events(sandbox, "contact.lifecycle_changed", sub)
        if e["data"]["contactId"] == made["id"]
    ]
    assert stage == [
        {
            "subAccountId": sub,
            "contactId": made["id"],
            "tags": ["a", "vip", "enterprise"],
            "previousStage": "lead",
            "lifecycleStage": "customer",
        }
    ]
    assert any(
        e["data"]["contactId"] == made["id"] for e in events(sandbox, "contact.updated", sub)
    )


def test_patch_and_delete_unknown_ids(sandbox: Sandbox) -> None:
    c = sandbox.client()
    error(c.get("/api/v1/contacts/contact_missing"), 404, "NOT_FOUND")
    error(c.patch("/api/v1/contacts/contact_missing", json={"title": "x"}), 404, "NOT_FOUND")
    error(c.delete("/api/v1/contacts/contact_missing"), 404, "NOT_FOUND")


def test_delete_is_soft_and_hides_the_contact(sandbox: Sandbox) -> None:
    c = sandbox.client()
    made = create(c)
    r = c.delete(f"/api/v1/contacts/{made['id']}")
    assert r.status_code == 200 and r.json()["data"] == {"id": made["id"], "deleted": True}
    error(c.get(f"/api/v1/contacts/{made['id']}"), 404, "NOT_FOUND")
    assert c.get("/api/v1/contacts", params={"email": made["email"]}).json()["data"] == []
    # The email is free again once its owner is deleted.
    create(c, email=made["email"])


def test_list_filters(sandbox: Sandbox) -> None:
    c = sandbox.client()
    marker = uuid.uuid4().hex[:8]
    a = create(
        c,
        company=f"Zeta{marker} Labs",
        tags=[f"t{marker}", "vip"],
        lifecycleStage="qualified",
        source=f"src{marker}",
        assignedTo="usr_ana_ortiz",
        phone="+15551230001",
    )
    b = create(
        c,
        company=f"Zeta{marker} Labs",
        tags=[f"t{marker}"],
        lifecycleStage="lead",
        source=f"src{marker}",
    )

    def ids(**params: Any) -> set[str]:
        return {x["id"] for x in c.get("/api/v1/contacts", params=params).json()["data"]}

    assert ids(search=f"zeta{marker}") == {a["id"], b["id"]}
    assert ids(search=f"zeta{marker} labs test") == {a["id"], b["id"]}
    assert ids(search=f"zeta{marker} nosuchword") == set()
    assert ids(source=f"src{marker}", lifecycleStage="qualified") == {a["id"]}
    assert ids(tags=f"t{marker},vip") == {a["id"]}
    assert ids(tags=f"t{marker}") == {a["id"], b["id"]}
    assert ids(source=f"src{marker}", hasPhone="true") == {a["id"]}
    assert ids(source=f"src{marker}", hasPhone="false") == {b["id"]}
    assert ids(source=f"src{marker}", assignedTo="usr_ana_ortiz") == {a["id"]}
    error(c.get("/api/v1/contacts", params={"lifecycleStage": "bogus"}), 400, "VALIDATION_ERROR")
    error(c.get("/api/v1/contacts", params={"hasPhone": "maybe"}), 400, "VALIDATION_ERROR")


def test_demo_sizes(sandbox: Sandbox) -> None:
    big = sandbox.client().get("/api/v1/contacts?limit=1").json()["meta"]["total"]
    small = (
        sandbox.client(sandbox.sub_key(1)).get("/api/v1/contacts?limit=1").json()["meta"]["total"]
    )
    assert big >= 2000 and small >= 300


def test_limits_default_and_maximum(sandbox: Sandbox) -> None:
    c = sandbox.client()
    assert len(c.get("/api/v1/contacts").json()["data"]) == 50
    assert len(c.get("/api/v1/contacts?limit=100").json()["data"]) == 100
    error(c.get("/api/v1/contacts?limit=101"), 400, "VALIDATION_ERROR")
    error(c.get("/api/v1/contacts?limit=0"), 400, "VALIDATION_ERROR")
    error(c.get("/api/v1/contacts?limit=ten"), 400, "VALIDATION_ERROR")


def test_cursor_walk_is_complete_and_ordered_while_data_changes(sandbox: Sandbox) -> None:
    c = sandbox.client(sandbox.sub_key(1))
    first = c.get("/api/v1/contacts", params={"limit": 100})
    total = first.json()["meta"]["total"]
    seen = [x["id"] for x in first.json()["data"]]
    stamps = [x["updatedAt"] for x in first.json()["data"]]
    cursor = first.json()["meta"]["cursor"]
    pages = 1
    while cursor:
        # Changes between pages: a new contact (lands before the cursor, not repeated).
        create(c, customFields={"property_type": "Industrial"})
        r = c.get("/api/v1/contacts", params={"limit": 100, "cursor": cursor})
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [x["id"] for x in body["data"]]
        stamps += [x["updatedAt"] for x in body["data"]]
        cursor = body["meta"]["cursor"]
        assert body["meta"]["hasMore"] == (cursor is not None)
        pages += 1
    assert len(seen) == len(set(seen)) == total
    assert stamps == sorted(stamps, reverse=True)
    assert pages == -(-total // 100)


def test_bad_cursors(sandbox: Sandbox) -> None:
    c = sandbox.client()
    for bad in ("garbage", "eyJrIjoiY29udGFjdHMifQ.AAAA", "a.b.c", "%%%"):
        error(c.get("/api/v1/contacts", params={"cursor": bad}), 400, "VALIDATION_ERROR")
    cursor = c.get("/api/v1/contacts?limit=5").json()["meta"]["cursor"]
    # A cursor is bound to the filters it was issued for.
    error(
        c.get("/api/v1/contacts", params={"cursor": cursor, "lifecycleStage": "lead"}),
        400,
        "VALIDATION_ERROR",
    )
    # A cursor of one sub-account means nothing in another.
    other = sandbox.client(sandbox.sub_key(1))
    error(
        other.get("/api/v1/contacts", params={"cursor": cursor, "limit": 5}),
        400,
        "VALIDATION_ERROR",
    )


def test_isolation_between_sub_accounts(sandbox: Sandbox) -> None:
    a = sandbox.client(sandbox.sub_key(0))
    b = sandbox.client(sandbox.sub_key(1))
    made = create(a)
    error(b.get(f"/api/v1/contacts/{made['id']}"), 404, "NOT_FOUND")
    error(b.patch(f"/api/v1/contacts/{made['id']}", json={"title": "x"}), 404, "NOT_FOUND")
    error(b.delete(f"/api/v1/contacts/{made['id']}"), 404, "NOT_FOUND")
    assert b.get("/api/v1/contacts", params={"email": made["email"]}).json()["data"] == []
    # A sub-account key cannot reach another sub-account through the agency header.
    r = a.get("/api/v1/contacts", headers={"X-Sub-Account-Id": sandbox.sub_ids[1]})
    error(r, 403, "FORBIDDEN")
    agency_b = sandbox.client(sandbox.info["agency_key"], sub_account=sandbox.sub_ids[1])
    error(agency_b.get(f"/api/v1/contacts/{made['id']}"), 404, "NOT_FOUND")
    agency_a = sandbox.client(sandbox.info["agency_key"], sub_account=sandbox.sub_ids[0])
    assert agency_a.get(f"/api/v1/contacts/{made['id']}").json()["data"]["id"] == made["id"]
