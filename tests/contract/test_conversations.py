"""Conversations, messages and live chat over real HTTP against a sandbox process
(docs/api/seedly-crm.md §4)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)

CONVERSATION_FIELDS = (
    "id",
    "contactId",
    "channel",
    "status",
    "assignedTo",
    "subject",
    "unreadCount",
    "isArchived",
    "lastMessageAt",
    "createdAt",
    "contact",
)
MESSAGE_FIELDS = (
    "id",
    "conversationId",
    "channel",
    "direction",
    "bodyText",
    "bodyHtml",
    "status",
    "fromAddress",
    "toAddress",
    "isInternal",
    "createdAt",
)
CHANNELS = ("sms", "email", "messenger", "instagram", "gmail", "live_chat", "social_dm")


# -- helpers -------------------------------------------------------------------------------


def unique_email(tag: str = "c") -> str:
    return f"{tag}.{uuid.uuid4().hex[:10]}@example.com"


def unique_phone() -> str:
    return f"+1617{uuid.uuid4().int % 10_000_000:07d}"


def error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])


def make_contact(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {
        "firstName": "Nora",
        "lastName": "Quill",
        "email": unique_email(),
        "phone": unique_phone(),
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    r = client.post("/api/v1/contacts", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


def open_conv(client: httpx.Client, contact_id: str, channel: str, **extra: Any) -> dict[str, Any]:
    r = client.post(
        "/api/v1/conversations", json={"contactId": contact_id, "channel": channel, **extra}
    )
    assert r.status_code in (200, 201), r.text
    return dict(r.json()["data"])


def send(client: httpx.Client, conv_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/conversations/{conv_id}/messages", json=body)


def sent(client: httpx.Client, conv_id: str, **body: Any) -> dict[str, Any]:
    r = send(client, conv_id, **body)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


def inbound(sandbox: Sandbox, sub: str, conv_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return dict(
        sandbox.control(
            "POST",
            "inbound",
            json={"subAccountId": sub, "conversationId": conv_id, "bodyText": text, **extra},
        )
    )


def messages(client: httpx.Client, conv_id: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/conversations/{conv_id}/messages", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def message(client: httpx.Client, conv_id: str, message_id: str) -> dict[str, Any]:
    found = [m for m in messages(client, conv_id) if m["id"] == message_id]
    assert len(found) == 1
    return found[0]


def events(sandbox: Sandbox, name: str, sub: str) -> list[dict[str, Any]]:
    """Every recorded event of that name in the sub-account (paging past the 5000 cap)."""
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        batch = sandbox.control(
            "GET",
            "events",
            params={"name": name, "subAccountId": sub, "after": after, "limit": 5000},
        )
        out += batch
        if len(batch) < 5000:
            return out
        after = batch[-1]["seq"]


def events_for(sandbox: Sandbox, name: str, sub: str, message_id: str) -> list[dict[str, Any]]:
    return [e for e in events(sandbox, name, sub) if e["data"]["messageId"] == message_id]


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def sort_key(conv: dict[str, Any]) -> str:
    return str(conv["lastMessageAt"] or conv["createdAt"])


# -- create ----------------------------------------------------------------------------------


def test_create_returns_201_then_the_open_one_with_200(sandbox: Sandbox) -> None:
    c = sandbox.client()
    contact = make_contact(c)
    r = c.post(
        "/api/v1/conversations",
        json={"contactId": contact["id"], "channel": "email", "subject": "Welcome to our service"},
    )
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    for field in CONVERSATION_FIELDS:
        assert field in data, field
    assert data["created"] is True
    assert data["contactId"] == contact["id"] and data["channel"] == "email"
    assert data["status"] == "open" and data["subject"] == "Welcome to our service"
    assert data["unreadCount"] == 0 and data["isArchived"] is False
    assert data["lastMessageAt"] is None and data["createdAt"].endswith("Z")
    assert data["contact"] == {
        "id": contact["id"],
        "firstName": "Nora",
        "lastName": "Quill",
        "name": "Nora Quill",
        "email": contact["email"],
        "phone": contact["phone"],
    }
    again = c.post("/api/v1/conversations", json={"contactId": contact["id"], "channel": "email"})
    assert again.status_code == 200, again.text
    assert again.json()["data"]["created"] is False
    assert again.json()["data"]["id"] == data["id"]
    # The same contact on another channel is another conversation.
    other = c.post(
        "/api/v1/conversations",
        json={"contactId": contact["id"], "channel": "sms", "subject": "ignored off email"},
    )
    assert other.status_code == 201 and other.json()["data"]["id"] != data["id"]
    assert other.json()["data"]["subject"] is None
    # A closed conversation is not "open": a new one starts.
    closed = c.patch(f"/api/v1/conversations/{data['id']}", json={"status": "closed"})
    assert closed.status_code == 200
    fresh = c.post("/api/v1/conversations", json={"contactId": contact["id"], "channel": "email"})
    assert fresh.status_code == 201 and fresh.json()["data"]["id"] != data["id"]
    got = c.get(f"/api/v1/conversations/{data['id']}")
    assert got.status_code == 200 and got.json()["data"]["status"] == "closed"
    assert "created" not in got.json()["data"]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"channel": "sms"}, 400, "VALIDATION_ERROR", "contactId"),
        ({"contactId": "contact_nope", "channel": "sms"}, 404, "NOT_FOUND", "contactId"),
        ({"contactId": 42, "channel": "sms"}, 400, "VALIDATION_ERROR", "contactId"),
        ({"contactId": "X", "channel": "fax"}, 400, "VALIDATION_ERROR", "channel"),
        ({"contactId": "X"}, 400, "VALIDATION_ERROR", "channel"),
        (
            {"contactId": "X", "channel": "email", "subject": ["a"]},
            400,
            "VALIDATION_ERROR",
            "subject",
        ),
    ],
)
def test_create_validation(
    sandbox: Sandbox, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    c = sandbox.client()
    if body.get("contactId") == "X":
        body = {**body, "contactId": make_contact(c)["id"]}
    err = error(c.post("/api/v1/conversations", json=body), status, code)
    assert err.get("field") == field


def test_create_needs_a_live_contact_of_this_sub_account(sandbox: Sandbox) -> None:
    a, b = sandbox.client(sandbox.sub_key(0)), sandbox.client(sandbox.sub_key(1))
    theirs = make_contact(b, customFields={"property_type": "Residential"})
    err = error(
        a.post("/api/v1/conversations", json={"contactId": theirs["id"], "channel": "sms"}),
        404,
        "NOT_FOUND",
    )
    assert theirs["id"] in err["message"]
    gone = make_contact(a)
    assert a.delete(f"/api/v1/contacts/{gone['id']}").status_code == 200
    error(
        a.post("/api/v1/conversations", json={"contactId": gone["id"], "channel": "sms"}),
        404,
        "NOT_FOUND",
    )


# -- list ------------------------------------------------------------------------------------


def test_list_filters_and_most_recent_first(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    contact = make_contact(c)
    convs = {
        ch: open_conv(c, contact["id"], ch) for ch in ("sms", "email", "messenger", "social_dm")
    }
    # Activity order: social_dm oldest, then email, then sms newest; messenger has none.
    inbound(sandbox, sub, convs["social_dm"]["id"], "first")
    inbound(sandbox, sub, convs["email"]["id"], "second", subject="Hello")
    inbound(sandbox, sub, convs["sms"]["id"], "third")
    c.patch(
        f"/api/v1/conversations/{convs['email']['id']}",
        json={"status": "snoozed", "assignedTo": "usr_ben_carter"},
    )
    mine = c.get("/api/v1/conversations", params={"contactId": contact["id"]}).json()
    assert mine["meta"]["total"] == 4 and mine["meta"]["hasMore"] is False
    ids = [x["id"] for x in mine["data"]]
    assert ids[:3] == [convs["sms"]["id"], convs["email"]["id"], convs["social_dm"]["id"]]
    assert ids[3] == convs["messenger"]["id"]  # no message yet: sorted by its createdAt
    by_channel = c.get(
        "/api/v1/conversations", params={"contactId": contact["id"], "channel": "sms"}
    )
    assert [x["id"] for x in by_channel.json()["data"]] == [convs["sms"]["id"]]
    snoozed = c.get(
        "/api/v1/conversations", params={"contactId": contact["id"], "status": "snoozed"}
    )
    assert [x["id"] for x in snoozed.json()["data"]] == [convs["email"]["id"]]
    assigned = c.get(
        "/api/v1/conversations", params={"assignedTo": "usr_ben_carter", "limit": 200}
    ).json()["data"]
    assert convs["email"]["id"] in [x["id"] for x in assigned]
    assert all(x["assignedTo"] == "usr_ben_carter" for x in assigned)
    for status in ("open", "closed", "snoozed"):
        rows = c.get("/api/v1/conversations", params={"status": status, "limit": 200}).json()[
            "data"
        ]
        assert rows and all(x["status"] == status for x in rows)
    everything = c.get("/api/v1/conversations", params={"limit": 200}).json()["data"]
    keys = [sort_key(x) for x in everything]
    assert keys == sorted(keys, reverse=True)
    for x in everything:
        for field in CONVERSATION_FIELDS:
            assert field in x
        assert x["contact"]["id"] == x["contactId"]
    assert c.get("/api/v1/conversations", params={"contactId": "contact_nope"}).json()["data"] == []


def test_list_limits(sandbox: Sandbox) -> None:
    c = sandbox.client()
    assert len(c.get("/api/v1/conversations").json()["data"]) == 50
    assert len(c.get("/api/v1/conversations", params={"limit": 200}).json()["data"]) > 60
    for bad in ("201", "0", "ten"):
        error(c.get("/api/v1/conversations", params={"limit": bad}), 400, "VALIDATION_ERROR")
    for name, value in (("status", "pending"), ("channel", "fax")):
        err = error(c.get("/api/v1/conversations", params={name: value}), 400, "VALIDATION_ERROR")
        assert err["field"] == name


def test_cursor_walk_is_complete_while_messages_arrive(sandbox: Sandbox) -> None:
    c = sandbox.client(sandbox.sub_key(1))
    sub = sandbox.sub_ids[1]
    before = c.get("/api/v1/conversations", params={"limit": 200}).json()
    assert before["meta"]["hasMore"] is False
    existing = {x["id"] for x in before["data"]}
    contact = make_contact(c, customFields={"property_type": "Commercial"})
    seen: list[str] = []
    keys: list[str] = []
    r = c.get("/api/v1/conversations", params={"limit": 7})
    pages = 0
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [x["id"] for x in body["data"]]
        keys += [sort_key(x) for x in body["data"]]
        pages += 1
        cursor = body["meta"]["cursor"]
        assert body["meta"]["hasMore"] == (cursor is not None)
        if cursor is None:
            break
        # Between pages: a conversation already seen gets a new message (it jumps to the
        # top), and a brand-new conversation starts; neither may repeat or push others out.
        inbound(sandbox, sub, seen[pages % len(seen)], f"between pages {pages}")
        fresh = open_conv(c, contact["id"], CHANNELS[pages % len(CHANNELS)])
        inbound(sandbox, sub, fresh["id"], "new conversation")
        r = c.get("/api/v1/conversations", params={"limit": 7, "cursor": cursor})
    assert len(seen) == len(set(seen))
    assert set(seen) == existing
    assert keys == sorted(keys, reverse=True)
    assert pages == -(-len(existing) // 7)


def test_bad_cursors(sandbox: Sandbox) -> None:
    c = sandbox.client()
    for bad in ("garbage", "a.b", "%%%", "eyJrIjoiY29udmVyc2F0aW9ucyJ9.AAAA"):
        error(c.get("/api/v1/conversations", params={"cursor": bad}), 400, "VALIDATION_ERROR")
    cursor = c.get("/api/v1/conversations", params={"limit": 3}).json()["meta"]["cursor"]
    assert cursor
    # Bound to its filters, its list and its sub-account.
    error(
        c.get("/api/v1/conversations", params={"cursor": cursor, "status": "open"}),
        400,
        "VALIDATION_ERROR",
    )
    conv_id = c.get("/api/v1/conversations", params={"limit": 1}).json()["data"][0]["id"]
    error(
        c.get(f"/api/v1/conversations/{conv_id}/messages", params={"cursor": cursor}),
        400,
        "VALIDATION_ERROR",
    )
    other = sandbox.client(sandbox.sub_key(1))
    error(
        other.get("/api/v1/conversations", params={"cursor": cursor, "limit": 3}),
        400,
        "VALIDATION_ERROR",
    )


# -- update ----------------------------------------------------------------------------------


def test_patch_status_and_assignment(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    conv = open_conv(c, make_contact(c)["id"], "sms")
    inbound(sandbox, sub, conv["id"], "hello")
    start = c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]
    time.sleep(0.01)
    url = f"/api/v1/conversations/{conv['id']}"
    r = c.patch(url, json={"status": "closed", "assignedTo": "usr_dev_patel"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["status"] == "closed" and data["assignedTo"] == "usr_dev_patel"
    assert data["lastMessageAt"] == start["lastMessageAt"]
    assert data["updatedAt"] > start["updatedAt"]
    assert c.get(url).json()["data"] == data
    # Only the given fields change.
    r = c.patch(url, json={"status": "snoozed"})
    assert (r.json()["data"]["assignedTo"], r.json()["data"]["status"]) == (
        "usr_dev_patel",
        "snoozed",
    )
    r = c.patch(url, json={"assignedTo": None})
    assert r.json()["data"]["assignedTo"] is None and r.json()["data"]["status"] == "snoozed"
    err = error(c.patch(url, json={"assignedTo": "usr_nobody"}), 400, "VALIDATION_ERROR")
    assert err["field"] == "assignedTo"
    # A team member of the other sub-account is not one of this one.
    error(c.patch(url, json={"assignedTo": "usr_erin_walsh"}), 400, "VALIDATION_ERROR")
    error(c.patch(url, json={"status": "archived"}), 400, "VALIDATION_ERROR")
    error(c.patch(url, json={"status": None}), 400, "VALIDATION_ERROR")
    error(c.patch(url, json={"assignedTo": 7}), 400, "VALIDATION_ERROR")
    error(c.patch("/api/v1/conversations/conv_nope", json={"status": "open"}), 404, "NOT_FOUND")
    final = c.get(url).json()["data"]
    assert final["status"] == "snoozed" and final["assignedTo"] is None


# -- messages --------------------------------------------------------------------------------


def test_messages_page_newest_first(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    conv = open_conv(c, make_contact(c)["id"], "sms")
    for i in range(23):
        inbound(sandbox, sub, conv["id"], f"message {i}")
    url = f"/api/v1/conversations/{conv['id']}/messages"
    assert len(c.get(url).json()["data"]) == 23  # default limit 50
    texts: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 10}
        if cursor:
            params["cursor"] = cursor
        body = c.get(url, params=params).json()
        assert body["meta"]["total"] == 23
        texts += [m["bodyText"] for m in body["data"]]
        pages += 1
        cursor = body["meta"]["cursor"]
        assert body["meta"]["hasMore"] == (cursor is not None)
        if cursor is None:
            break
    assert pages == 3
    assert texts == [f"message {i}" for i in reversed(range(23))]
    for m in c.get(url, params={"limit": 1}).json()["data"]:
        for field in MESSAGE_FIELDS:
            assert field in m
        assert m["direction"] == "inbound" and m["status"] == "delivered"
        assert m["conversationId"] == conv["id"] and m["isInternal"] is False
    for bad in ("101", "0", "x"):
        error(c.get(url, params={"limit": bad}), 400, "VALIDATION_ERROR")
    assert len(c.get(url, params={"limit": 100}).json()["data"]) == 23
    error(c.get("/api/v1/conversations/conv_nope/messages"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "channel", ["sms", "email", "gmail", "messenger", "instagram", "social_dm"]
)
def test_send_on_each_channel_resolves_merge_fields(sandbox: Sandbox, channel: str) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    contact = make_contact(
        c,
        firstName="Ines",
        lastName="Okafor",
        company="Okafor Dental Labs",
        customFields={"preferred_language": "Spanish", "visits_per_year": 3},
    )
    conv = open_conv(c, contact["id"], channel, subject="Your visit")
    # Meta only allows replies within 24 h of the contact's last message.
    inbound(sandbox, sub, conv["id"], "hi there")
    body = (
        "Hello {{firstName}} {{ lastName }} ({{fullName}}, {{company}}, {{email}}, {{phone}}): "
        "{{custom_values.preferred_language}}/{{custom_values.visits_per_year}}/"
        "[{{custom_values.insurance_provider}}] {{notAField}}"
    )
    m = sent(
        c,
        conv["id"],
        bodyText=body,
        channel=channel,
        bodyHtml="<p>Hi {{firstName}}</p>",
        subject="For {{firstName}}",
    )
    assert m["bodyText"] == (
        "Hello Ines Okafor (Ines Okafor, Okafor Dental Labs, "
        f"{contact['email']}, {contact['phone']}): "
        "Spanish/3/[] {{notAField}}"
    )
    assert m["direction"] == "outbound" and m["status"] == "pending" and m["isInternal"] is False
    assert m["channel"] == channel and m["conversationId"] == conv["id"]
    assert m["errorMessage"] is None
    expected_to = {
        "sms": contact["phone"],
        "email": contact["email"],
        "gmail": contact["email"],
        "instagram": "@ines.okafor",
        "messenger": "Ines Okafor",
        "social_dm": "Ines Okafor",
    }
    assert m["toAddress"] == expected_to[channel]
    assert m["fromAddress"]
    if channel in ("email", "gmail"):
        assert m["subject"] == "For Ines" and m["bodyHtml"] == "<p>Hi Ines</p>"
    else:
        assert m["subject"] is None and m["bodyHtml"] is None
    listed = messages(c, conv["id"])[0]
    assert {k: v for k, v in listed.items() if k not in ("status", "updatedAt")} == {
        k: v for k, v in m.items() if k not in ("status", "updatedAt")
    }
    after = c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]
    assert after["lastMessageAt"] == m["createdAt"] and after["unreadCount"] == 0
    assert after["lastMessageDirection"] == "outbound"


def test_merge_values_are_escaped_in_html(sandbox: Sandbox) -> None:
    c = sandbox.client()
    contact = make_contact(c, firstName="<b>Al</b>", company="A & B")
    conv = open_conv(c, contact["id"], "email", subject="Hi")
    m = sent(
        c,
        conv["id"],
        bodyText="Hi {{firstName}} of {{company}}",
        channel="email",
        bodyHtml="<p>Hi {{firstName}} of {{company}}</p>",
    )
    assert m["bodyText"] == "Hi <b>Al</b> of A & B"
    assert m["bodyHtml"] == "<p>Hi &lt;b&gt;Al&lt;/b&gt; of A &amp; B</p>"


def test_the_seeds_own_send_example_is_accepted(sandbox: Sandbox) -> None:
    c = sandbox.client()
    conv = open_conv(c, make_contact(c, firstName="Jane")["id"], "sms")
    m = sent(
        c,
        conv["id"],
        bodyText="Hello {{firstName}}, your appointment is confirmed.",
        channel="sms",
        toAddress="+15551234567",
        subject="Appointment Confirmation",
        bodyHtml="<p>Hello...</p>",
    )
    assert m["bodyText"] == "Hello Jane, your appointment is confirmed."
    assert m["toAddress"] == "+15551234567"
    assert m["subject"] is None and m["bodyHtml"] is None  # not meaningful on sms


def test_to_address_derivation_and_validation(sandbox: Sandbox) -> None:
    c = sandbox.client()
    no_phone = make_contact(c, phone=None)
    sms = open_conv(c, no_phone["id"], "sms")
    err = error(send(c, sms["id"], bodyText="hi", channel="sms"), 400, "VALIDATION_ERROR")
    assert err["field"] == "toAddress" and "phone" in err["message"]
    for bad in ("555-1234", "+1 617 555 0101", "16175550101"):
        err = error(
            send(c, sms["id"], bodyText="hi", channel="sms", toAddress=bad), 400, "VALIDATION_ERROR"
        )
        assert err["field"] == "toAddress" and "E.164" in err["message"]
    assert (
        sent(c, sms["id"], bodyText="hi", channel="sms", toAddress="+16175550101")["toAddress"]
        == "+16175550101"
    )
    no_email = make_contact(c, email=None)
    mail = open_conv(c, no_email["id"], "email", subject="Hello")
    err = error(send(c, mail["id"], bodyText="hi", channel="email"), 400, "VALIDATION_ERROR")
    assert err["field"] == "toAddress" and "email" in err["message"]
    err = error(
        send(c, mail["id"], bodyText="hi", channel="gmail", toAddress="not-an-email"),
        400,
        "VALIDATION_ERROR",
    )
    assert err["field"] == "toAddress"
    # A message on another channel than the conversation's uses that channel's address.
    assert sent(c, mail["id"], bodyText="hi", channel="sms")["toAddress"] == no_email["phone"]
    # Nothing half-written: the refused sends left only the two accepted ones.
    assert len(messages(c, sms["id"])) == 1 and len(messages(c, mail["id"])) == 1


def test_email_subject_rule(sandbox: Sandbox) -> None:
    c = sandbox.client()
    contact = make_contact(c)
    bare = open_conv(c, contact["id"], "email")
    assert bare["subject"] is None
    err = error(send(c, bare["id"], bodyText="hi", channel="email"), 400, "VALIDATION_ERROR")
    assert err["field"] == "subject"
    first = sent(c, bare["id"], bodyText="hi", channel="email", subject="Your quote")
    assert first["subject"] == "Your quote"
    # The conversation adopts the first subject; later replies default to "Re: ...".
    assert c.get(f"/api/v1/conversations/{bare['id']}").json()["data"]["subject"] == "Your quote"
    assert sent(c, bare["id"], bodyText="again", channel="gmail")["subject"] == "Re: Your quote"
    titled = open_conv(c, make_contact(c)["id"], "gmail", subject="Re: Cleaning")
    assert sent(c, titled["id"], bodyText="x", channel="gmail")["subject"] == "Re: Cleaning"
    # No subject needed off email.
    assert sent(c, bare["id"], bodyText="x", channel="sms")["subject"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "sms"}, "bodyText"),
        ({"bodyText": "   ", "channel": "sms"}, "bodyText"),
        ({"bodyText": 5, "channel": "sms"}, "bodyText"),
        ({"bodyText": "hi"}, "channel"),
        ({"bodyText": "hi", "channel": "fax"}, "channel"),
        ({"bodyText": "hi", "channel": "live_chat"}, "channel"),
        ({"bodyText": "hi", "channel": ["sms"]}, "channel"),
        ({"bodyText": "hi", "channel": "sms", "toAddress": 15551234567}, "toAddress"),
        ({"bodyText": "hi", "channel": "sms", "isInternal": "yes"}, "isInternal"),
        ({"bodyText": "hi", "channel": "email", "subject": 3}, "subject"),
        ({"bodyText": "hi", "channel": "email", "subject": "s", "bodyHtml": {"p": 1}}, "bodyHtml"),
    ],
)
def test_send_validation(sandbox: Sandbox, body: dict[str, Any], field: str) -> None:
    c = sandbox.client()
    conv = open_conv(c, make_contact(c)["id"], "sms")
    err = error(send(c, conv["id"], **body), 400, "VALIDATION_ERROR")
    assert err["field"] == field
    assert messages(c, conv["id"]) == []


def test_internal_note(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    conv = open_conv(c, make_contact(c, firstName="Omar")["id"], "sms")
    inbound(sandbox, sub, conv["id"], "When are you open?")
    before = c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]
    note = sent(c, conv["id"], bodyText="Called {{firstName}}, no answer", isInternal=True)
    assert note["isInternal"] is True and note["status"] == "sent"
    assert note["bodyText"] == "Called Omar, no answer"
    assert note["channel"] == "sms" and note["toAddress"] is None
    after = c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]
    assert after["lastMessageAt"] == before["lastMessageAt"]
    assert after["unreadCount"] == before["unreadCount"] == 1
    assert messages(c, conv["id"])[0]["id"] == note["id"]
    time.sleep(2.0)  # longer than the first delivery step
    assert message(c, conv["id"], note["id"])["status"] == "sent"
    for name in ("message.sent", "message.delivered", "message.failed", "message.received"):
        assert events_for(sandbox, name, sub, note["id"]) == []


def test_delivery_lifecycle_failures_and_dnd(sandbox: Sandbox) -> None:
    """Several sends in flight at once: each ends as its address and channel say."""
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    contact = make_contact(c, tags=["vip"])
    sms = open_conv(c, contact["id"], "sms")
    mail = open_conv(c, contact["id"], "email", subject="Quote")
    fb = open_conv(c, contact["id"], "messenger")
    ok = sent(c, sms["id"], bodyText="on its way", channel="sms")
    carrier = sent(c, sms["id"], bodyText="x", channel="sms", toAddress="+15550001234")
    bounce = sent(c, mail["id"], bodyText="x", channel="email", toAddress="bounce@example.com")
    failing = sent(c, mail["id"], bodyText="x", channel="email", toAddress="will.fail@example.com")
    # No inbound on messenger: Meta's 24-hour window is shut.
    late = sent(c, fb["id"], bodyText="nobody wrote in", channel="messenger")
    assert {m["status"] for m in (ok, carrier, bounce, failing, late)} == {"pending"}
    observed: list[str] = ["pending"]

    def ok_delivered() -> bool:
        status = message(c, sms["id"], ok["id"])["status"]
        if status != observed[-1]:
            observed.append(status)
        return status == "delivered"

    wait_for(ok_delivered, 10, "pending → sent → delivered")
    assert observed == ["pending", "sent", "delivered"]
    finals = {
        carrier["id"]: (sms["id"], "failed"),
        bounce["id"]: (mail["id"], "bounced"),
        failing["id"]: (mail["id"], "failed"),
        late["id"]: (fb["id"], "failed"),
    }
    for mid, (conv_id, final) in finals.items():
        got = wait_for(
            lambda conv_id=conv_id, mid=mid, final=final: (
                m if (m := message(c, conv_id, mid))["status"] == final else None
            ),
            10,
            final,
        )
        assert got["errorMessage"], got
        failed = events_for(sandbox, "message.failed", sub, mid)
        assert len(failed) == 1 and failed[0]["data"]["reason"] == got["errorMessage"]
        assert events_for(sandbox, "message.delivered", sub, mid) == []
    assert "24" in message(c, fb["id"], late["id"])["errorMessage"]
    assert "bounced" in message(c, mail["id"], bounce["id"])["errorMessage"]
    assert events_for(sandbox, "message.sent", sub, late["id"]) == []  # refused before sending
    assert len(events_for(sandbox, "message.sent", sub, bounce["id"])) == 1
    sent_events = events_for(sandbox, "message.sent", sub, ok["id"])
    delivered = events_for(sandbox, "message.delivered", sub, ok["id"])
    assert len(sent_events) == 1 and len(delivered) == 1
    data = delivered[0]["data"]
    assert data["subAccountId"] == sub and data["contactId"] == contact["id"]
    assert data["conversationId"] == sms["id"] and data["channel"] == "sms"
    assert data["direction"] == "outbound" and data["toAddress"] == contact["phone"]
    assert data["tags"] == ["vip"] and data["bodyText"] == "on its way"
    assert sent_events[0]["seq"] < delivered[0]["seq"]


def test_inbound_stop_opts_out_and_sends_are_skipped(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    contact = make_contact(c)
    conv = open_conv(c, contact["id"], "sms")
    c.patch(f"/api/v1/conversations/{conv['id']}", json={"status": "closed"})
    stop = inbound(sandbox, sub, conv["id"], "  Stop ")
    assert stop["direction"] == "inbound" and stop["status"] == "delivered"
    assert stop["fromAddress"] == contact["phone"]
    assert c.get(f"/api/v1/contacts/{contact['id']}").json()["data"]["dndChannels"] == ["sms"]
    reopened = c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]
    assert reopened["status"] == "open" and reopened["unreadCount"] == 1
    skipped = sent(c, conv["id"], bodyText="Special offer!", channel="sms")
    assert skipped["status"] == "failed" and "DND" in skipped["errorMessage"]
    # Other channels are not affected by an sms opt-out.
    mail = sent(c, conv["id"], bodyText="Receipt", channel="email", subject="Receipt")
    assert mail["status"] == "pending"
    time.sleep(2.0)  # longer than any first delivery step
    assert message(c, conv["id"], skipped["id"])["status"] == "failed"
    for name in ("message.sent", "message.delivered", "message.failed"):
        assert events_for(sandbox, name, sub, skipped["id"]) == []
    received = events_for(sandbox, "message.received", sub, stop["id"])
    assert len(received) == 1 and received[0]["data"]["bodyText"] == "  Stop "
    # START opts back in.
    inbound(sandbox, sub, conv["id"], "start")
    assert c.get(f"/api/v1/contacts/{contact['id']}").json()["data"]["dndChannels"] == []
    assert sent(c, conv["id"], bodyText="Welcome back", channel="sms")["status"] == "pending"
    # A STOP inside a sentence is a message, not an opt-out.
    inbound(sandbox, sub, conv["id"], "please stop calling me at work")
    assert c.get(f"/api/v1/contacts/{contact['id']}").json()["data"]["dndChannels"] == []


def test_inbound_updates_conversation_contact_and_fires_received(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    contact = make_contact(c, tags=["website-lead"])
    conv = open_conv(c, contact["id"], "email")
    c.patch(f"/api/v1/conversations/{conv['id']}", json={"status": "snoozed"})
    m = inbound(
        sandbox,
        sub,
        conv["id"],
        "Hi, I'd like to book an appointment",
        subject="Appointment Request",
        bodyHtml="<p>Hi</p>",
    )
    assert m["fromAddress"] == contact["email"] and m["subject"] == "Appointment Request"
    assert m["bodyHtml"] == "<p>Hi</p>"
    inbound(sandbox, sub, conv["id"], "Any news?")
    got = c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]
    assert got["unreadCount"] == 2 and got["status"] == "open"
    assert got["subject"] == "Appointment Request" and got["lastMessagePreview"] == "Any news?"
    assert messages(c, conv["id"])[0]["subject"] == "Re: Appointment Request"
    score = c.get(f"/api/v1/contacts/{contact['id']}").json()["data"]["engagementScore"]
    assert score > contact["engagementScore"]
    received = events_for(sandbox, "message.received", sub, m["id"])
    assert len(received) == 1
    assert received[0]["data"] == {
        "subAccountId": sub,
        "contactId": contact["id"],
        "messageId": m["id"],
        "conversationId": conv["id"],
        "channel": "email",
        "bodyText": "Hi, I'd like to book an appointment",
        "fromAddress": contact["email"],
        "direction": "inbound",
        "subject": "Appointment Request",
        "tags": ["website-lead"],
    }
    # Replying marks the conversation read.
    sent(c, conv["id"], bodyText="Sure!", channel="email")
    assert c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]["unreadCount"] == 0


def test_control_inbound_opens_a_conversation_and_checks_input(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    contact = make_contact(c)
    m = sandbox.control(
        "POST",
        "inbound",
        json={
            "subAccountId": sub,
            "contactId": contact["id"],
            "channel": "instagram",
            "bodyText": "Love your work! How do I book?",
        },
    )
    assert m["channel"] == "instagram" and m["direction"] == "inbound"
    convs = c.get("/api/v1/conversations", params={"contactId": contact["id"]}).json()["data"]
    assert [x["id"] for x in convs] == [m["conversationId"]]
    with httpx.Client(base_url=sandbox.url) as raw:
        for body, status in (
            ({"subAccountId": "sub_nope", "conversationId": "x", "bodyText": "x"}, 404),
            ({"subAccountId": sub, "conversationId": "conv_nope", "bodyText": "x"}, 404),
            ({"subAccountId": sub, "contactId": contact["id"], "bodyText": "x"}, 400),
            ({"subAccountId": sub, "conversationId": m["conversationId"]}, 400),
            (
                {
                    "subAccountId": sandbox.sub_ids[1],
                    "conversationId": m["conversationId"],
                    "bodyText": "x",
                },
                404,
            ),
        ):
            r = raw.post("/_sandbox/inbound", json=body)
            assert r.status_code == status, r.text
            assert "error" in r.json()


# -- isolation and scopes ----------------------------------------------------------------------


def test_isolation_between_sub_accounts(sandbox: Sandbox) -> None:
    a, b = sandbox.client(sandbox.sub_key(0)), sandbox.client(sandbox.sub_key(1))
    conv = open_conv(a, make_contact(a)["id"], "sms")
    url = f"/api/v1/conversations/{conv['id']}"
    error(b.get(url), 404, "NOT_FOUND")
    error(b.patch(url, json={"status": "closed"}), 404, "NOT_FOUND")
    error(b.get(f"{url}/messages"), 404, "NOT_FOUND")
    error(send(b, conv["id"], bodyText="x", channel="sms"), 404, "NOT_FOUND")
    assert conv["id"] not in [
        x["id"] for x in b.get("/api/v1/conversations", params={"limit": 200}).json()["data"]
    ]
    agency_a = sandbox.client(sandbox.info["agency_key"], sub_account=sandbox.sub_ids[0])
    assert agency_a.get(url).json()["data"]["id"] == conv["id"]
    assert agency_a.patch(url, json={"status": "snoozed"}).json()["data"]["status"] == "snoozed"
    by_agency = sent(agency_a, conv["id"], bodyText="from the agency", channel="sms")
    assert by_agency["status"] == "pending"
    agency_b = sandbox.client(sandbox.info["agency_key"], sub_account=sandbox.sub_ids[1])
    error(agency_b.get(url), 404, "NOT_FOUND")
    error(
        sandbox.client(sandbox.info["agency_key"]).get("/api/v1/conversations"),
        400,
        "VALIDATION_ERROR",
    )


def test_scopes(sandbox: Sandbox) -> None:
    c = sandbox.client()
    conv = open_conv(c, make_contact(c)["id"], "sms")
    ro = sandbox.client(sandbox.info["readonly_key"])
    assert ro.get("/api/v1/conversations").status_code == 200
    assert ro.get(f"/api/v1/conversations/{conv['id']}").status_code == 200
    assert ro.get(f"/api/v1/conversations/{conv['id']}/messages").status_code == 200
    for r in (
        send(ro, conv["id"], bodyText="x", channel="sms"),
        ro.patch(f"/api/v1/conversations/{conv['id']}", json={"status": "closed"}),
        ro.post("/api/v1/conversations", json={"contactId": conv["contactId"], "channel": "sms"}),
    ):
        err = error(r, 403, "FORBIDDEN")
        assert "conversations:write" in err["message"]
    contacts_only = sandbox.control(
        "POST", "keys", json={"subAccountId": sandbox.sub_ids[0], "scopes": ["contacts:read"]}
    )["key"]
    err = error(sandbox.client(contacts_only).get("/api/v1/conversations"), 403, "FORBIDDEN")
    assert "conversations:read" in err["message"]
    error(sandbox.client("").get("/api/v1/conversations"), 401, "UNAUTHORIZED")
    assert messages(c, conv["id"]) == []
    assert c.get(f"/api/v1/conversations/{conv['id']}").json()["data"]["status"] == "open"


# -- delete cascade ------------------------------------------------------------------------------


def test_deleting_a_contact_soft_deletes_its_conversations(sandbox: Sandbox) -> None:
    c = sandbox.client()
    sub = sandbox.sub_ids[0]
    contact = make_contact(c)
    keep = open_conv(c, make_contact(c)["id"], "sms")
    gone = [open_conv(c, contact["id"], ch) for ch in ("sms", "email")]
    inbound(sandbox, sub, gone[0]["id"], "hello")
    pending = sent(c, gone[0]["id"], bodyText="reply", channel="sms")
    assert c.delete(f"/api/v1/contacts/{contact['id']}").status_code == 200
    for conv in gone:
        error(c.get(f"/api/v1/conversations/{conv['id']}"), 404, "NOT_FOUND")
        error(c.get(f"/api/v1/conversations/{conv['id']}/messages"), 404, "NOT_FOUND")
        error(send(c, conv["id"], bodyText="x", channel="sms"), 404, "NOT_FOUND")
        error(
            c.patch(f"/api/v1/conversations/{conv['id']}", json={"status": "open"}),
            404,
            "NOT_FOUND",
        )
    assert c.get("/api/v1/conversations", params={"contactId": contact["id"]}).json()["data"] == []
    listed = {x["id"] for x in c.get("/api/v1/conversations", params={"limit": 200}).json()["data"]}
    assert not listed & {x["id"] for x in gone}
    assert c.get(f"/api/v1/conversations/{keep['id']}").status_code == 200
    time.sleep(2.0)
    # The delivery of a message in a deleted conversation reports nothing more.
    assert events_for(sandbox, "message.delivered", sub, pending["id"]) == []


# -- live chat -------------------------------------------------------------------------------------


def test_live_chat_end_to_end(sandbox: Sandbox) -> None:
    sub = sandbox.sub_ids[0]
    c = sandbox.client()
    public = httpx.Client(base_url=sandbox.url, timeout=30)
    config = public.get("/api/chat/config", params={"subAccountId": sub})
    assert config.status_code == 200, config.text
    cfg = config.json()["data"]
    assert cfg["subAccountId"] == sub and cfg["enabled"] is True
    assert cfg["businessName"] == sandbox.info["subaccounts"][0]["name"]
    assert cfg["greeting"] and cfg["primaryColor"].startswith("#")
    email = unique_email("visitor")
    r = public.post(
        "/api/chat/session",
        json={"subAccountId": sub, "visitorName": "Vera van Dijk", "visitorEmail": email.upper()},
    )
    assert r.status_code == 201, r.text
    session = r.json()["data"]
    sid = session["sessionId"]
    assert len(sid) >= 32 and "contactId" not in session and "conversationId" not in session
    r = public.post(
        "/api/chat/message", json={"sessionId": sid, "message": "Do you take walk-ins?"}
    )
    assert r.status_code == 201, r.text
    visitor_msg = r.json()["data"]
    assert visitor_msg["direction"] == "inbound"
    assert visitor_msg["bodyText"] == "Do you take walk-ins?"
    # The chat is in the REST inbox: a live_chat conversation of the contact found by email.
    found = c.get("/api/v1/contacts", params={"email": email}).json()["data"]
    assert len(found) == 1
    contact = found[0]
    assert (contact["firstName"], contact["lastName"]) == ("Vera", "van Dijk")
    assert contact["source"] == "live_chat"
    convs = c.get(
        "/api/v1/conversations", params={"contactId": contact["id"], "channel": "live_chat"}
    ).json()["data"]
    assert len(convs) == 1 and convs[0]["unreadCount"] == 1
    conv = convs[0]
    inbox = messages(c, conv["id"])
    assert [(m["channel"], m["direction"], m["bodyText"]) for m in inbox] == [
        ("live_chat", "inbound", "Do you take walk-ins?")
    ]
    assert inbox[0]["id"] == visitor_msg["id"] and inbox[0]["fromAddress"].lower() == email
    assert len(events_for(sandbox, "message.received", sub, visitor_msg["id"])) == 1
    # The agent answers on the chat; the team's note stays internal.
    reply = sent(c, conv["id"], bodyText="Yes {{firstName}}, until 5 PM!", channel="live_chat")
    assert reply["bodyText"] == "Yes Vera, until 5 PM!"
    sent(c, conv["id"], bodyText="Walk-in policy: ask front desk", isInternal=True)
    r = public.get("/api/chat/messages", params={"sessionId": sid})
    assert r.status_code == 200, r.text
    seen = r.json()["data"]
    assert [(m["direction"], m["bodyText"]) for m in seen] == [
        ("inbound", "Do you take walk-ins?"),
        ("outbound", "Yes Vera, until 5 PM!"),
    ]
    assert [m["sender"] for m in seen] == ["visitor", "agent"]
    assert all("toAddress" not in m and "conversationId" not in m for m in seen)
    # The same visitor coming back gets the same contact and the open chat, not a duplicate,
    # but a new session does not show what was said before it began.
    again = public.post(
        "/api/chat/session",
        json={"subAccountId": sub, "visitorName": "Vera", "visitorEmail": email},
    ).json()["data"]
    assert again["sessionId"] != sid
    fresh = public.get("/api/chat/messages", params={"sessionId": again["sessionId"]})
    assert fresh.json()["data"] == []
    assert len(c.get("/api/v1/contacts", params={"email": email}).json()["data"]) == 1
    theirs = c.get("/api/v1/conversations", params={"contactId": contact["id"]}).json()["data"]
    assert len(theirs) == 1
    # live_chat is only for answering chats.
    mail = open_conv(c, contact["id"], "email", subject="Hi")
    err = error(send(c, mail["id"], bodyText="x", channel="live_chat"), 400, "VALIDATION_ERROR")
    assert err["field"] == "channel"
    public.close()


def test_live_chat_bad_input(sandbox: Sandbox) -> None:
    sub = sandbox.sub_ids[0]
    with httpx.Client(base_url=sandbox.url, timeout=30) as public:
        error(public.get("/api/chat/config"), 400, "VALIDATION_ERROR")
        error(public.get("/api/chat/config", params={"subAccountId": "sub_nope"}), 404, "NOT_FOUND")
        for body, field in (
            ({"visitorName": "A B", "visitorEmail": unique_email()}, "subAccountId"),
            ({"subAccountId": sub, "visitorEmail": unique_email()}, "visitorName"),
            ({"subAccountId": sub, "visitorName": "A B"}, "visitorEmail"),
            ({"subAccountId": sub, "visitorName": "A B", "visitorEmail": "nope"}, "visitorEmail"),
            (
                {"subAccountId": sub, "visitorName": 3, "visitorEmail": unique_email()},
                "visitorName",
            ),
        ):
            assert (
                error(public.post("/api/chat/session", json=body), 400, "VALIDATION_ERROR")["field"]
                == field
            )
        error(
            public.post(
                "/api/chat/session",
                json={
                    "subAccountId": "sub_nope",
                    "visitorName": "A B",
                    "visitorEmail": unique_email(),
                },
            ),
            404,
            "NOT_FOUND",
        )
        error(public.post("/api/chat/session", content=b"{oops"), 400, "VALIDATION_ERROR")
        sid = public.post(
            "/api/chat/session",
            json={
                "subAccountId": sub,
                "visitorName": "Al",
                "visitorEmail": unique_email(),
            },
        ).json()["data"]["sessionId"]
        error(
            public.post("/api/chat/message", json={"sessionId": "chat_guess", "message": "hi"}),
            404,
            "NOT_FOUND",
        )
        error(public.post("/api/chat/message", json={"sessionId": sid}), 400, "VALIDATION_ERROR")
        error(
            public.post("/api/chat/message", json={"sessionId": sid, "message": ""}),
            400,
            "VALIDATION_ERROR",
        )
        error(
            public.post("/api/chat/message", json={"sessionId": sid, "message": {"t": 1}}),
            400,
            "VALIDATION_ERROR",
        )
        error(public.post("/api/chat/message", json={"message": "hi"}), 400, "VALIDATION_ERROR")
        error(public.get("/api/chat/messages"), 400, "VALIDATION_ERROR")
        error(
            public.get("/api/chat/messages", params={"sessionId": "chat_guess"}), 404, "NOT_FOUND"
        )
        assert public.get("/api/chat/messages", params={"sessionId": sid}).json()["data"] == []
        # A chat whose contact was deleted has ended.
        c = sandbox.client()
        email = unique_email("bye")
        ended = public.post(
            "/api/chat/session",
            json={"subAccountId": sub, "visitorName": "Bye Now", "visitorEmail": email},
        ).json()["data"]
        contact_id = c.get("/api/v1/contacts", params={"email": email}).json()["data"][0]["id"]
        assert c.delete(f"/api/v1/contacts/{contact_id}").status_code == 200
        error(
            public.post(
                "/api/chat/message", json={"sessionId": ended["sessionId"], "message": "x"}
            ),
            404,
            "NOT_FOUND",
        )


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "content", "status"),
    [
        ("POST", "/api/v1/conversations", b"{not json", 400),
        ("POST", "/api/v1/conversations", b"[1]", 400),
        ("POST", "/api/v1/conversations", b"\xff\xfe", 400),
        ("PATCH", "/api/v1/conversations/{conv}", b"{bad", 400),
        ("PATCH", "/api/v1/conversations/{conv}", b'"closed"', 400),
        ("POST", "/api/v1/conversations/{conv}/messages", b"{bad", 400),
        ("POST", "/api/v1/conversations/{conv}/messages", b"null", 400),
        (
            "POST",
            "/api/v1/conversations/conv_nope/messages",
            b'{"bodyText": "x", "channel": "sms"}',
            404,
        ),
        ("GET", "/api/v1/conversations/conv_nope", None, 404),
        ("GET", "/api/v1/conversations/%00%ff", None, 404),
        ("DELETE", "/api/v1/conversations/{conv}", None, 405),
        ("POST", "/api/chat/message", b"[]", 400),
    ],
)
def test_malformed_requests_get_the_envelope(
    sandbox: Sandbox, method: str, path: str, content: bytes | None, status: int
) -> None:
    c = sandbox.client()
    if "{conv}" in path:
        path = path.replace("{conv}", open_conv(c, make_contact(c)["id"], "sms")["id"])
    r = c.request(method, path, content=content)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] in ("VALIDATION_ERROR", "NOT_FOUND")
    assert "Traceback" not in r.text


# -- demo seed -------------------------------------------------------------------------------------


def test_demo_inboxes(sandbox: Sandbox) -> None:
    for index, minimum in ((0, 90), (1, 64)):
        c = sandbox.client(sandbox.sub_key(index))
        convs = c.get("/api/v1/conversations", params={"limit": 200}).json()["data"]
        assert len(convs) >= minimum
        assert len({x["channel"] for x in convs}) >= 5
        assert any(x["unreadCount"] > 0 for x in convs)
        assert any(x["assignedTo"] for x in convs) and any(not x["assignedTo"] for x in convs)
        assert {x["status"] for x in convs} == {"open", "closed", "snoozed"}
        assert all(x["contact"] and x["contact"]["name"] for x in convs)
        assert any(x["subject"] for x in convs if x["channel"] in ("email", "gmail"))
        days = sorted({x["lastMessageAt"][:10] for x in convs if x["lastMessageAt"]})
        assert len(days) >= 20  # activity spread over weeks, not one burst
        # A single-message thread starts and ends with its one message; long threads span days.
        single = [x for x in convs if x["createdAt"] == x["lastMessageAt"]]
        spans = [
            x for x in convs if x["lastMessageAt"] and x["lastMessageAt"][:10] > x["createdAt"][:10]
        ]
        assert single and spans

        def total(conv_id: str, client: httpx.Client = c) -> int:
            r = client.get(f"/api/v1/conversations/{conv_id}/messages", params={"limit": 1})
            return int(r.json()["meta"]["total"])

        assert total(single[0]["id"]) == 1
        with ThreadPoolExecutor(8) as pool:
            totals = dict(
                zip(
                    [x["id"] for x in spans], pool.map(total, [x["id"] for x in spans]), strict=True
                )
            )
        assert max(totals.values()) >= (115 if index == 0 else 80)
        longest = max(totals, key=lambda k: totals[k])
        thread = messages(c, longest)
        assert {m["direction"] for m in thread} == {"inbound", "outbound"}
        assert any(m["isInternal"] for m in thread)
        assert any(
            m["direction"] == "outbound" and m["status"] in ("delivered", "read") for m in thread
        )
        assert [m["createdAt"] for m in thread] == sorted(
            (m["createdAt"] for m in thread), reverse=True
        )


def test_empty_seed_has_no_conversations(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    c = box.client()
    r = c.get("/api/v1/conversations")
    assert r.status_code == 200 and r.json()["data"] == [] and r.json()["meta"]["total"] == 0
    # The area works on an empty store too.
    contact = make_contact(c)
    conv = open_conv(c, contact["id"], "sms")
    assert sent(c, conv["id"], bodyText="hi", channel="sms")["status"] == "pending"
