"""``SeedlyClient`` against ``httpx.MockTransport``: the method, path, query and body of
every call, cursor iteration, strict filter names, and answers that break the contract
(typed ``InvalidResponse``, never a KeyError)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.api.seedly import SeedlyClient
from app.core.errors import InvalidResponse
from tests.unit.api.fakes import BASE

pytestmark = pytest.mark.timeout(10)

KEY = "sk_test_abcdefghijklmnopqrst"
STAMP = "2026-03-27T14:30:00.000Z"
CONTACT = {
    "id": "contact_1",
    "firstName": "Ada",
    "lastName": "Quill",
    "createdAt": STAMP,
    "updatedAt": STAMP,
}
CONVERSATION = {"id": "conv_1", "contactId": "contact_1", "channel": "sms", "status": "open"}
MESSAGE = {
    "id": "msg_1",
    "conversationId": "conv_1",
    "channel": "sms",
    "direction": "outbound",
    "createdAt": STAMP,
}
APPOINTMENT = {"id": "appt_1", "calendarId": "cal_1", "startTime": STAMP, "endTime": STAMP}
WEBHOOK = {"id": "wh_1", "url": "https://example.com/h", "events": ["contact.created"]}
ITEMS = {
    "/api/v1/contacts": CONTACT,
    "/api/v1/conversations": CONVERSATION,
    "/api/v1/calendars/appointments": APPOINTMENT,
    "/api/v1/webhooks": WEBHOOK,
    "/api/v1/sub-accounts": {"id": "sub_1", "name": "One"},
    "/api/v1/contacts/fields": {"name": "f", "label": "F", "type": "text"},
    "/api/v1/calendars": {"id": "cal_1", "name": "Main"},
    "/api/v1/calendars/types": {"id": "type_1", "calendarId": "cal_1"},
    "/api/v1/calendars/availability": {"start": STAMP, "end": STAMP},
}


def answer(request: httpx.Request) -> Any:
    """A plausible answer for any path of the API (docs/api/seedly-crm.md, "Endpoint index")."""
    path = request.url.path
    if path.startswith("/webhooks/"):
        return {"ok": True, "triggered": 1}
    if path.endswith("/regenerate-secret"):
        return {"data": {"secret": "whsec_new"}}
    if path.endswith("/messages"):
        return {
            "data": MESSAGE if request.method == "POST" else [MESSAGE],
            "meta": {"hasMore": False},
        }
    if path.startswith("/api/v1/calendars/appointments/"):
        return {"data": {"id": "appt_1", "cancelled": True}}
    if path in ITEMS:
        if request.method == "POST":
            return {"data": ITEMS[path]}
        return {"data": [ITEMS[path]], "meta": {"total": 1, "hasMore": False}}
    base = "/".join(path.split("/")[:4])
    return {"data": {**ITEMS[base], "deleted": True}}


class Recorder:
    def __init__(self, respond: Callable[[httpx.Request], Any] = answer) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self.respond(request)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(200, content=raw, headers={"content-type": "application/json"})

    def client(self) -> SeedlyClient:
        return SeedlyClient(BASE, KEY, http_transport=httpx.MockTransport(self))

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


Call = Callable[[SeedlyClient], Awaitable[Any]]

CASES: list[tuple[str, Call, str, str, dict[str, str], Any]] = [
    ("sub-accounts", lambda c: c.list_sub_accounts(), "GET", "/api/v1/sub-accounts", {}, None),
    (
        "list contacts",
        lambda c: c.list_contacts(
            search="ada",
            email="a@x.io",
            lifecycle_stage="lead",
            source="api",
            tags=["vip", "b2b"],
            assigned_to="usr_1",
            has_phone=True,
            limit=10,
            cursor="abc",
        ),
        "GET",
        "/api/v1/contacts",
        {
            "search": "ada",
            "email": "a@x.io",
            "lifecycleStage": "lead",
            "source": "api",
            "tags": "vip,b2b",
            "assignedTo": "usr_1",
            "hasPhone": "true",
            "limit": "10",
            "cursor": "abc",
        },
        None,
    ),
    (
        "find by email",
        lambda c: c.find_contact_by_email("a@x.io"),
        "GET",
        "/api/v1/contacts",
        {"email": "a@x.io"},
        None,
    ),
    (
        "get contact",
        lambda c: c.get_contact("contact_1"),
        "GET",
        "/api/v1/contacts/contact_1",
        {},
        None,
    ),
    ("fields", lambda c: c.custom_fields(), "GET", "/api/v1/contacts/fields", {}, None),
    (
        "create contact",
        lambda c: c.create_contact({"firstName": "A", "lastName": "B"}),
        "POST",
        "/api/v1/contacts",
        {},
        {"firstName": "A", "lastName": "B"},
    ),
    (
        "update contact",
        lambda c: c.update_contact("contact_1", {"title": None}),
        "PATCH",
        "/api/v1/contacts/contact_1",
        {},
        {"title": None},
    ),
    (
        "delete contact",
        lambda c: c.delete_contact("contact_1"),
        "DELETE",
        "/api/v1/contacts/contact_1",
        {},
        None,
    ),
    (
        "list conversations",
        lambda c: c.list_conversations(
            status="open", channel="sms", contact_id="contact_1", assigned_to="usr_1", limit=5
        ),
        "GET",
        "/api/v1/conversations",
        {
            "status": "open",
            "channel": "sms",
            "contactId": "contact_1",
            "assignedTo": "usr_1",
            "limit": "5",
        },
        None,
    ),
    (
        "get conversation",
        lambda c: c.get_conversation("conv_1"),
        "GET",
        "/api/v1/conversations/conv_1",
        {},
        None,
    ),
    (
        "create conversation",
        lambda c: c.create_conversation("contact_1", "email", "Hi"),
        "POST",
        "/api/v1/conversations",
        {},
        {"contactId": "contact_1", "channel": "email", "subject": "Hi"},
    ),
    (
        "update conversation",
        lambda c: c.update_conversation("conv_1", status="closed", assigned_to=None),
        "PATCH",
        "/api/v1/conversations/conv_1",
        {},
        {"status": "closed", "assignedTo": None},
    ),
    (
        "list messages",
        lambda c: c.list_messages("conv_1", limit=20),
        "GET",
        "/api/v1/conversations/conv_1/messages",
        {"limit": "20"},
        None,
    ),
    (
        "send message",
        lambda c: c.send_message("conv_1", {"bodyText": "x", "channel": "sms"}),
        "POST",
        "/api/v1/conversations/conv_1/messages",
        {},
        {"bodyText": "x", "channel": "sms"},
    ),
    ("calendars", lambda c: c.list_calendars(), "GET", "/api/v1/calendars", {}, None),
    (
        "types",
        lambda c: c.list_appointment_types("cal_1"),
        "GET",
        "/api/v1/calendars/types",
        {"calendarId": "cal_1"},
        None,
    ),
    (
        "availability",
        lambda c: c.availability("type_1", "2026-04-01"),
        "GET",
        "/api/v1/calendars/availability",
        {"appointmentTypeId": "type_1", "date": "2026-04-01"},
        None,
    ),
    (
        "appointments",
        lambda c: c.list_appointments(
            calendar_id="cal_1", start_ms=1, end_ms=2, status="scheduled", limit=3
        ),
        "GET",
        "/api/v1/calendars/appointments",
        {
            "calendarId": "cal_1",
            "startDate": "1",
            "endDate": "2",
            "status": "scheduled",
            "limit": "3",
        },
        None,
    ),
    (
        "book",
        lambda c: c.book_appointment({"appointmentTypeId": "type_1", "startTime": 1}),
        "POST",
        "/api/v1/calendars/appointments",
        {},
        {"appointmentTypeId": "type_1", "startTime": 1},
    ),
    (
        "cancel",
        lambda c: c.cancel_appointment("appt_1", reason="Customer requested"),
        "DELETE",
        "/api/v1/calendars/appointments/appt_1",
        {"reason": "Customer requested"},
        None,
    ),
    ("webhooks", lambda c: c.list_webhooks(), "GET", "/api/v1/webhooks", {}, None),
    (
        "create webhook",
        lambda c: c.create_webhook({"url": "https://e.com", "events": []}),
        "POST",
        "/api/v1/webhooks",
        {},
        {"url": "https://e.com", "events": []},
    ),
    (
        "update webhook",
        lambda c: c.update_webhook("wh_1", {"isActive": False}),
        "PATCH",
        "/api/v1/webhooks/wh_1",
        {},
        {"isActive": False},
    ),
    (
        "delete webhook",
        lambda c: c.delete_webhook("wh_1"),
        "DELETE",
        "/api/v1/webhooks/wh_1",
        {},
        None,
    ),
    (
        "regenerate",
        lambda c: c.regenerate_webhook_secret("wh_1"),
        "POST",
        "/api/v1/webhooks/wh_1/regenerate-secret",
        {},
        None,
    ),
    (
        "trigger",
        lambda c: c.trigger_workflow("flow", {"email": "a@x.io"}),
        "POST",
        "/webhooks/workflow/flow",
        {},
        {"email": "a@x.io"},
    ),
    (
        "inject",
        lambda c: c.inject_workflow_event("flow", {"eventType": "paid"}),
        "POST",
        "/webhooks/event/flow",
        {},
        {"eventType": "paid"},
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "call", "method", "path", "params", "body"), CASES, ids=[c[0] for c in CASES]
)
async def test_each_call_sends_its_method_path_query_and_body(
    name: str, call: Call, method: str, path: str, params: dict[str, str], body: Any
) -> None:
    server = Recorder()
    client = server.client()
    await call(client)
    request = server.last
    assert (request.method, request.url.path) == (method, path)
    assert dict(request.url.params) == params
    if body is None:
        assert request.content == b""
    else:
        assert json.loads(request.content) == body
        assert request.headers["Content-Type"] == "application/json"
    await client.aclose()


@pytest.mark.asyncio
async def test_results_are_parsed_into_models() -> None:
    client = Recorder().client()
    assert (await client.get_contact("contact_1")).full_name == "Ada Quill"
    assert (await client.create_conversation("contact_1", "sms")).id == "conv_1"
    assert await client.cancel_appointment("appt_1") is True
    assert await client.regenerate_webhook_secret("wh_1") == "whsec_new"
    assert await client.trigger_workflow("flow", {}) == {"ok": True, "triggered": 1}
    assert [s.id for s in await client.list_sub_accounts()] == ["sub_1"]
    await client.aclose()


@pytest.mark.asyncio
async def test_workflow_signature_is_the_hmac_of_the_exact_body_sent() -> None:
    import hashlib
    import hmac

    server = Recorder()
    client = server.client()
    await client.trigger_workflow("flow", {"b": 1, "a": "x"}, signing_secret="whsec_s")
    sent = server.last
    expected = hmac.new(b"whsec_s", sent.content, hashlib.sha256).hexdigest()
    assert sent.headers["X-Webhook-Signature"] == f"sha256={expected}"
    await client.trigger_workflow("flow", {"b": 1})
    assert "X-Webhook-Signature" not in server.last.headers
    await client.aclose()


@pytest.mark.asyncio
async def test_iterators_follow_cursors_until_has_more_is_false() -> None:
    pages = {None: ("c1", True), "c1": ("c2", True), "c2": (None, False)}

    def respond(request: httpx.Request) -> Any:
        cursor = request.url.params.get("cursor")
        nxt, more = pages[cursor]
        item = {**CONTACT, "id": f"contact_{cursor}"}
        return {"data": [item], "meta": {"total": 3, "hasMore": more, "cursor": nxt}}

    server = Recorder(respond)
    client = server.client()
    ids = [c.id async for c in client.iter_contacts(lifecycle_stage="lead", limit=1)]
    assert ids == ["contact_None", "contact_c1", "contact_c2"]
    assert [r.url.params.get("cursor") for r in server.requests] == [None, "c1", "c2"]
    assert all(
        r.url.params["lifecycleStage"] == "lead" and r.url.params["limit"] == "1"
        for r in server.requests
    )
    await client.aclose()


@pytest.mark.asyncio
async def test_iterator_stops_when_a_page_says_more_but_gives_no_cursor() -> None:
    server = Recorder(lambda r: {"data": [CONVERSATION], "meta": {"hasMore": True, "cursor": None}})
    client = server.client()
    assert [c.id async for c in client.iter_conversations()] == ["conv_1"]
    assert len(server.requests) == 1
    await client.aclose()


def test_filters_and_changes_are_named_not_silently_dropped() -> None:
    client = Recorder().client()
    with pytest.raises(TypeError):
        client.iter_contacts(lifecycleStage="lead")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        client.iter_conversations(contactId="contact_1")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        client.iter_appointments(calendarId="cal_1")  # type: ignore[call-arg]


@pytest.mark.asyncio
async def test_update_conversation_refuses_unknown_changes() -> None:
    server = Recorder()
    client = server.client()
    with pytest.raises(TypeError):
        await client.update_conversation("conv_1", assignedTo="usr_1")
    assert server.requests == []  # nothing was sent
    await client.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("call", "body"),
    [
        (lambda c: c.get_contact("contact_1"), {"contact": CONTACT}),
        (lambda c: c.get_contact("contact_1"), [CONTACT]),
        (lambda c: c.get_contact("contact_1"), {"data": {"id": "contact_1"}}),
        (lambda c: c.create_contact({}), {"data": None}),
        (lambda c: c.get_conversation("conv_1"), {"data": {"id": 5}}),
        (lambda c: c.send_message("conv_1", {}), {"ok": True}),
        (lambda c: c.cancel_appointment("appt_1"), {"data": [1]}),
        (lambda c: c.regenerate_webhook_secret("wh_1"), {"data": {}}),
        (lambda c: c.create_webhook({}), "nope"),
        (lambda c: c.list_contacts(), {"data": {"id": "x"}}),
        (lambda c: c.list_webhooks(), {"items": []}),
        (lambda c: c.get_contact("contact_1"), b"<html>oops</html>"),
    ],
)
async def test_answers_that_break_the_contract_raise_invalid_response(
    call: Call, body: Any
) -> None:
    client = Recorder(lambda request: body).client()
    with pytest.raises(InvalidResponse):
        await call(client)
    await client.aclose()
