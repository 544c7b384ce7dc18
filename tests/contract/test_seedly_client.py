"""``SeedlyClient`` against a real sandbox over HTTP: every path of the API's endpoint index
(docs/api/seedly-crm.md) that the client covers (REST and the public workflow endpoints),
the typed errors the real server provokes, agency views, rate-limit pacing and fault
tolerance.

Live chat (``/api/chat/*``) and form submission (``/api/forms/submit``) are public,
visitor-facing endpoints the client does not expose; they are covered by the sandbox's
own contract tests (test_conversations.py, test_automation.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from app.api.seedly import SeedlyClient
from app.api.transport import RetryPolicy
from app.core.errors import (
    Forbidden,
    KeyExpired,
    KeyRevoked,
    NotFound,
    OutcomeUnknown,
    ServerError,
    Unauthorized,
    ValidationFailed,
)
from app.core.models import Contact, Conversation
from app.core.payloads import BookingRequest, ContactCreate, MessageSend, build
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)


def unique_email(tag: str = "client") -> str:
    return f"{tag}.{uuid.uuid4().hex[:10]}@example.com"


def unique_phone() -> str:
    return f"+1617{uuid.uuid4().int % 10_000_000:07d}"


@pytest_asyncio.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SeedlyClient]:
    """The first demo sub-account's own key."""
    c = SeedlyClient(sandbox.url, sandbox.sub_key(0))
    yield c
    await c.aclose()


@pytest_asyncio.fixture
async def agency(sandbox: Sandbox) -> AsyncIterator[SeedlyClient]:
    c = SeedlyClient(sandbox.url, sandbox.info["agency_key"])
    yield c
    await c.aclose()


async def new_contact(client: SeedlyClient, **fields: Any) -> Contact:
    body = {
        "firstName": "Cora",
        "lastName": "Client",
        "email": unique_email(),
        "phone": unique_phone(),
        **fields,
    }
    return await client.create_contact(body)


# -- transport over a real socket ------------------------------------------------------------


@pytest.mark.asyncio
async def test_real_requests_use_http_1_1_and_one_connection(client: SeedlyClient) -> None:
    first = await client.transport.request("GET", "/api/v1/contacts", params={"limit": 1})
    assert first.http_version == "HTTP/1.1"
    assert first.headers["X-API-Version"] == "v1"
    before = client.transport.requests_sent
    for _ in range(3):
        await client.list_contacts(limit=1)
    assert client.transport.requests_sent - before == 3
    budget = client.transport.budgets["read"]
    assert budget.limit == 1_000_000 and budget.available() is not None


# -- sub-accounts ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sub_accounts_are_listed_for_agency_keys_only(
    sandbox: Sandbox, agency: SeedlyClient, client: SeedlyClient
) -> None:
    subs = await agency.list_sub_accounts()
    assert [(s.id, s.name) for s in subs] == [
        (s["id"], s["name"]) for s in sandbox.info["subaccounts"]
    ]
    # The same through a view: discovery never sends X-Sub-Account-Id.
    assert [
        s.id for s in await agency.for_sub_account(sandbox.sub_ids[1]).list_sub_accounts()
    ] == sandbox.sub_ids
    with pytest.raises(Forbidden):
        await client.list_sub_accounts()


# -- contacts --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_contact_create_get_update_delete_and_find_by_email(client: SeedlyClient) -> None:
    email = unique_email("crud")
    payload = build(
        ContactCreate,
        firstName="Ada",
        lastName="Quill",
        email=email,
        phone="+16175550101",
        company="Quill Labs",
        tags=["website-lead"],
        lifecycleStage="lead",
    )
    made = await client.create_contact(payload)
    assert made.id and made.email == email and made.tags == ["website-lead"]
    assert made.full_name == "Ada Quill" and made.created_at.tzinfo is not None
    got = await client.get_contact(made.id)
    assert got.to_wire() == made.to_wire()
    found = await client.find_contact_by_email(email.upper())
    assert found is not None and found.id == made.id
    changed = await client.update_contact(
        made.id, {"lifecycleStage": "customer", "title": "Founder"}
    )
    assert (changed.lifecycle_stage, changed.title, changed.company) == (
        "customer",
        "Founder",
        "Quill Labs",
    )
    assert changed.updated_at >= made.updated_at
    await client.delete_contact(made.id)
    assert await client.find_contact_by_email(email) is None
    with pytest.raises(NotFound):
        await client.get_contact(made.id)
    with pytest.raises(NotFound):
        await client.delete_contact(made.id)


@pytest.mark.asyncio
async def test_contact_list_filters(client: SeedlyClient) -> None:
    marker = uuid.uuid4().hex[:8]
    a = await new_contact(
        client,
        company=f"Zeta{marker} Labs",
        tags=[f"t{marker}", "vip"],
        lifecycleStage="qualified",
        source=f"src{marker}",
        assignedTo="usr_ana_ortiz",
    )
    b = await new_contact(
        client,
        company=f"Zeta{marker} Labs",
        tags=[f"t{marker}"],
        lifecycleStage="lead",
        source=f"src{marker}",
        phone=None,
    )

    async def ids(**filters: Any) -> set[str]:
        return {c.id for c in (await client.list_contacts(**filters)).data}

    assert await ids(search=f"zeta{marker}") == {a.id, b.id}
    assert await ids(source=f"src{marker}", lifecycle_stage="qualified") == {a.id}
    assert await ids(tags=[f"t{marker}", "vip"]) == {a.id}
    assert await ids(tags=[f"t{marker}"]) == {a.id, b.id}
    assert await ids(source=f"src{marker}", has_phone=True) == {a.id}
    assert await ids(source=f"src{marker}", has_phone=False) == {b.id}
    assert await ids(source=f"src{marker}", assigned_to="usr_ana_ortiz") == {a.id}
    assert await ids(email=b.email) == {b.id}
    page = await client.list_contacts(source=f"src{marker}", limit=1)
    assert len(page.data) == 1 and page.meta.total == 2 and page.meta.has_more
    rest = await client.list_contacts(source=f"src{marker}", limit=1, cursor=page.meta.cursor)
    assert {page.data[0].id, rest.data[0].id} == {a.id, b.id} and not rest.meta.has_more
    with pytest.raises(ValidationFailed):
        await client.list_contacts(lifecycle_stage="bogus")


@pytest.mark.asyncio
async def test_iter_contacts_walks_every_page(sandbox: Sandbox) -> None:
    client = SeedlyClient(sandbox.url, sandbox.sub_key(1))
    total = (await client.list_contacts(limit=1)).meta.total
    assert total is not None and total > 250
    before = client.transport.requests_sent
    ids = [c.id async for c in client.iter_contacts(limit=100)]
    assert len(ids) == len(set(ids)) == total
    assert client.transport.requests_sent - before == -(-total // 100)
    marker = uuid.uuid4().hex[:8]
    for _ in range(3):
        await new_contact(
            client, source=f"it{marker}", customFields={"property_type": "Commercial"}
        )
    assert len([c async for c in client.iter_contacts(source=f"it{marker}", limit=2)]) == 3
    await client.aclose()


@pytest.mark.asyncio
async def test_custom_field_definitions(client: SeedlyClient) -> None:
    fields = await client.custom_fields()
    assert {f.type for f in fields} == {
        "text",
        "number",
        "select",
        "date",
        "boolean",
        "url",
        "email",
        "phone",
    }
    select = next(f for f in fields if f.type == "select")
    assert select.options and select.label
    assert not any(f.is_required for f in fields)


# -- conversations and messages --------------------------------------------------------------


@pytest.mark.asyncio
async def test_conversation_create_get_update_and_list(client: SeedlyClient) -> None:
    contact = await new_contact(client)
    made = await client.create_conversation(contact.id, "email", subject="Welcome")
    assert made.created is True and made.contact_id == contact.id and made.is_open
    again = await client.create_conversation(contact.id, "email")
    assert again.created is False and again.id == made.id
    got = await client.get_conversation(made.id)
    assert got.id == made.id and got.subject == "Welcome"
    assert got.contact is not None and got.contact.email == contact.email
    closed = await client.update_conversation(made.id, status="closed", assigned_to="usr_dev_patel")
    assert (closed.status, closed.assigned_to) == ("closed", "usr_dev_patel")
    snoozed = await client.update_conversation(made.id, status="snoozed")
    assert (snoozed.status, snoozed.assigned_to) == ("snoozed", "usr_dev_patel")
    unassigned = await client.update_conversation(made.id, assigned_to=None)
    assert (unassigned.status, unassigned.assigned_to) == ("snoozed", None)
    with pytest.raises(ValidationFailed) as caught:
        await client.update_conversation(made.id, assigned_to="usr_nobody")
    assert caught.value.field == "assignedTo"
    sms = await client.create_conversation(contact.id, "sms")
    mine = await client.list_conversations(contact_id=contact.id)
    assert {c.id for c in mine.data} == {made.id, sms.id}
    assert [
        c.id for c in (await client.list_conversations(contact_id=contact.id, channel="sms")).data
    ] == [sms.id]
    assert [
        c.id
        for c in (await client.list_conversations(contact_id=contact.id, status="snoozed")).data
    ] == [made.id]
    with pytest.raises(NotFound):
        await client.get_conversation("conv_nope")


@pytest.mark.asyncio
async def test_iter_conversations_walks_every_page(client: SeedlyClient) -> None:
    first = await client.list_conversations(limit=200)
    before = client.transport.requests_sent
    everything = [c async for c in client.iter_conversations(limit=7)]
    ids = [c.id for c in everything]
    assert len(ids) == len(set(ids)) == first.meta.total
    assert len(ids) >= 60 and {c.id for c in first.data} <= set(ids)
    assert client.transport.requests_sent - before == -(-len(ids) // 7)
    assert all(isinstance(c, Conversation) for c in everything)
    contact = await new_contact(client)
    mine = await client.create_conversation(contact.id, "sms")
    assert [c.id async for c in client.iter_conversations(contact_id=contact.id)] == [mine.id]


@pytest.mark.asyncio
async def test_messages_send_list_and_iter(client: SeedlyClient) -> None:
    contact = await new_contact(client, firstName="Ines")
    conv = await client.create_conversation(contact.id, "sms")
    sent = []
    for i in range(5):
        payload = build(MessageSend, bodyText=f"Hi {{{{firstName}}}} #{i}", channel="sms")
        sent.append(await client.send_message(conv.id, payload))
    assert sent[0].body_text == "Hi Ines #0" and sent[0].direction == "outbound"
    assert sent[0].to_address == contact.phone and sent[0].conversation_id == conv.id
    plain = await client.send_message(conv.id, {"bodyText": "plain dict", "channel": "sms"})
    assert plain.body_text == "plain dict"
    page = await client.list_messages(conv.id, limit=2)
    assert [m.id for m in page.data] == [plain.id, sent[4].id]  # newest first
    assert page.meta.has_more and page.meta.cursor
    walked = [m.id async for m in client.iter_messages(conv.id, limit=2)]
    assert walked == [plain.id, *(m.id for m in reversed(sent))]
    with pytest.raises(NotFound):
        await client.list_messages("conv_nope")
    with pytest.raises(ValidationFailed) as caught:
        await client.send_message(conv.id, {"channel": "sms"})
    assert caught.value.field == "bodyText"


# -- calendars -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_calendars_types_availability_book_list_and_cancel(client: SeedlyClient) -> None:
    calendars = await client.list_calendars()
    assert calendars and all(c.timezone for c in calendars)
    cal = calendars[0]
    types = await client.list_appointment_types(cal.id)
    assert types and all(t.calendar_id == cal.id for t in types)
    assert len(await client.list_appointment_types()) >= len(types)
    atype = types[0]
    today = datetime.now(ZoneInfo(cal.timezone or "UTC")).date()
    slots = []
    for offset in range(60):
        slots = await client.availability(atype.id, str(today + timedelta(days=offset)))
        if slots:
            break
    assert slots, "no free slot in 60 days"
    slot = slots[-1]
    email = unique_email("booker")
    booking = build(
        BookingRequest,
        appointmentTypeId=atype.id,
        startTime=slot.start,
        endTime=slot.end,
        firstName="Bo",
        lastName="Oker",
        email=email,
        notes="via client",
    )
    appt = await client.book_appointment(booking)
    assert appt.calendar_id == cal.id and appt.appointment_type_id == atype.id
    assert appt.start_time == slot.start and appt.end_time == slot.end
    assert appt.status == "scheduled" and appt.notes == "via client"
    assert appt.contact is not None and appt.contact.email == email
    start_ms = int(slot.start.timestamp() * 1000)
    end_ms = int(slot.end.timestamp() * 1000)
    listed = await client.list_appointments(calendar_id=cal.id, start_ms=start_ms, end_ms=end_ms)
    assert appt.id in [a.id for a in listed.data]
    walked = [
        a.id
        async for a in client.iter_appointments(
            calendar_id=cal.id, start_ms=start_ms, end_ms=end_ms, limit=1
        )
    ]
    assert appt.id in walked
    assert await client.cancel_appointment(appt.id, reason="Customer requested") is True
    cancelled = [
        a
        async for a in client.iter_appointments(
            calendar_id=cal.id, start_ms=start_ms, end_ms=end_ms, status="cancelled"
        )
    ]
    mine = next(a for a in cancelled if a.id == appt.id)
    assert mine.cancellation_reason == "Customer requested"
    with pytest.raises(NotFound):
        await client.cancel_appointment("appt_nope")


@pytest.mark.asyncio
async def test_iter_appointments_walks_every_page(client: SeedlyClient) -> None:
    total = (await client.list_appointments(limit=1)).meta.total
    ids = [a.id async for a in client.iter_appointments(limit=37)]
    assert len(ids) == len(set(ids)) == total


# -- webhooks --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_webhook_create_list_update_regenerate_delete(client: SeedlyClient) -> None:
    # invoice.paid: nothing here fires it, so nothing is sent to this host.
    url = f"https://hooks.seedly-client-test.invalid/{uuid.uuid4().hex[:8]}"
    made = await client.create_webhook(
        {"url": url, "events": ["invoice.paid"], "description": "client test"}
    )
    try:
        assert made.url == url and made.events == ["invoice.paid"]
        assert made.secret and made.secret.startswith("whsec_")
        assert made.secret not in repr(made)  # never into a log by accident
        listed = [w for w in await client.list_webhooks() if w.id == made.id]
        assert len(listed) == 1 and listed[0].secret is None  # shown once only
        changed = await client.update_webhook(
            made.id, {"description": "renamed", "events": ["invoice.paid", "task.created"]}
        )
        assert changed.description == "renamed" and changed.secret is None
        assert changed.events == ["invoice.paid", "task.created"]
        secret = await client.regenerate_webhook_secret(made.id)
        assert secret.startswith("whsec_") and secret != made.secret
    finally:
        await client.delete_webhook(made.id)
    assert made.id not in [w.id for w in await client.list_webhooks()]
    with pytest.raises(NotFound):
        await client.delete_webhook(made.id)
    with pytest.raises(ValidationFailed):
        await client.create_webhook({"url": url, "events": ["no.such_event"]})


# -- workflows (public, optional HMAC) -------------------------------------------------------


def demo_workflows(sandbox: Sandbox, sub: str) -> dict[str, dict[str, Any]]:
    prefix = sub.removeprefix("sub_").replace("_", "-") + "-"
    return {
        w["slug"].removeprefix(prefix): w
        for w in sandbox.control("GET", "workflows", params={"subAccountId": sub})
    }


def executions(sandbox: Sandbox, **params: str) -> list[dict[str, Any]]:
    return sandbox.control("GET", "workflow-executions", params=params)


@pytest.mark.asyncio
async def test_trigger_workflows_with_and_without_a_secret(
    sandbox: Sandbox, client: SeedlyClient
) -> None:
    flows = demo_workflows(sandbox, sandbox.sub_ids[0])
    contact = await new_contact(client)
    open_flow = flows["new-lead-intake"]
    assert open_flow["secret"] is None
    result = await client.trigger_workflow(
        open_flow["slug"], {"email": contact.email, "customData": {"via": "client"}}
    )
    assert result == {"ok": True, "triggered": 1}
    latest = executions(sandbox, workflow=open_flow["slug"])[0]
    assert latest["contactId"] == contact.id
    assert latest["trigger"]["body"]["customData"] == {"via": "client"}

    signed = flows["payment-received"]
    body = {"contactId": contact.id, "customData": {"amount": 99.99}}
    with pytest.raises(Unauthorized):
        await client.trigger_workflow(signed["slug"], body)
    with pytest.raises(Unauthorized):
        await client.trigger_workflow(signed["slug"], body, signing_secret="whsec_wrong")
    assert await client.trigger_workflow(signed["slug"], body, signing_secret=signed["secret"]) == {
        "ok": True,
        "triggered": 1,
    }
    with pytest.raises(NotFound):
        await client.trigger_workflow("no-such-workflow", {})


@pytest.mark.asyncio
async def test_inject_events_into_waiting_workflows(sandbox: Sandbox, client: SeedlyClient) -> None:
    flows = demo_workflows(sandbox, sandbox.sub_ids[0])
    quote = flows["quote-follow-up"]
    contact = await new_contact(client)
    assert await client.trigger_workflow(quote["slug"], {"contactId": contact.id}) == {
        "ok": True,
        "triggered": 1,
    }
    assert await client.inject_workflow_event(
        quote["slug"], {"eventType": "quote_rejected", "contactId": contact.id}
    ) == {"ok": True, "matched": 0}
    assert await client.inject_workflow_event(
        quote["slug"],
        {"eventType": "quote_accepted", "contactId": contact.id, "data": {"amount": 1200}},
    ) == {"ok": True, "matched": 1}
    [done] = executions(sandbox, workflow=quote["slug"], contactId=contact.id)
    assert done["status"] == "completed"

    invoice = flows["invoice-payment"]
    assert invoice["secret"]
    await client.trigger_workflow(
        invoice["slug"], {"contactId": contact.id}, signing_secret=invoice["secret"]
    )
    event = {"eventType": "payment_completed", "contactId": contact.id, "data": {"amount": 5}}
    with pytest.raises(Unauthorized):
        await client.inject_workflow_event(invoice["slug"], event)
    assert await client.inject_workflow_event(
        invoice["slug"], event, signing_secret=invoice["secret"]
    ) == {"ok": True, "matched": 1}


# -- typed errors from the real server ------------------------------------------------------


@pytest.mark.asyncio
async def test_key_errors_are_typed(sandbox: Sandbox) -> None:
    cases = [
        ("sk_test_" + "x" * 32, Unauthorized),
        (sandbox.info["revoked_key"], KeyRevoked),
        (sandbox.info["expired_key"], KeyExpired),
    ]
    for key, expected in cases:
        c = SeedlyClient(sandbox.url, key)
        with pytest.raises(expected) as caught:
            await c.list_contacts()
        assert type(caught.value) is expected and caught.value.status == 401
        assert c.transport.requests_sent == 1  # an auth failure is not retried
        await c.aclose()
    minted = sandbox.control("POST", "keys", json={"subAccountId": sandbox.sub_ids[0]})
    c = SeedlyClient(sandbox.url, minted["key"])
    await c.list_contacts(limit=1)
    sandbox.control("POST", "keys/revoke", json={"key": minted["key"]})
    with pytest.raises(KeyRevoked):
        await c.list_contacts(limit=1)
    await c.aclose()


@pytest.mark.asyncio
async def test_scope_validation_and_not_found_errors_are_typed(
    sandbox: Sandbox, client: SeedlyClient
) -> None:
    readonly = SeedlyClient(sandbox.url, sandbox.info["readonly_key"])
    assert (await readonly.list_contacts(limit=1)).data
    with pytest.raises(Forbidden) as forbidden:
        await readonly.create_contact({"firstName": "No", "lastName": "Scope"})
    assert forbidden.value.scope == "contacts:write" and forbidden.value.status == 403
    with pytest.raises(Forbidden) as forbidden:
        await readonly.list_webhooks()
    assert forbidden.value.scope == "webhooks:manage"
    await readonly.aclose()
    with pytest.raises(ValidationFailed) as invalid:
        await client.create_contact({"firstName": "J", "lastName": "D", "email": "not-an-email"})
    assert invalid.value.field == "email" and invalid.value.status == 400
    with pytest.raises(ValidationFailed) as invalid:
        await client.create_contact({"lastName": "D"})
    assert invalid.value.field == "firstName"
    assert invalid.value.message == "firstName and lastName are required"
    with pytest.raises(NotFound) as missing:
        await client.get_contact("contact_missing")
    assert missing.value.code == "NOT_FOUND"
    with pytest.raises(NotFound):
        await client.update_contact("contact_missing", {"title": "x"})


# -- agency views ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_agency_views_are_isolated(sandbox: Sandbox, agency: SeedlyClient) -> None:
    view_a = agency.for_sub_account(sandbox.sub_ids[0])
    view_b = agency.for_sub_account(sandbox.sub_ids[1])
    made = await new_contact(view_a)
    assert (await view_a.get_contact(made.id)).id == made.id
    with pytest.raises(NotFound):
        await view_b.get_contact(made.id)
    assert await view_b.find_contact_by_email(made.email or "") is None
    totals = {(await v.list_contacts(limit=1)).meta.total for v in (view_a, view_b)}
    assert len(totals) == 2  # two different sub-accounts answered
    # Without a sub-account the agency key is refused with the API's message
    # (docs/api/seedly-crm.md §2).
    with pytest.raises(ValidationFailed) as caught:
        await agency.list_contacts()
    assert "X-Sub-Account-Id" in caught.value.message
    # A sub-account key cannot reach another sub-account.
    own = SeedlyClient(sandbox.url, sandbox.sub_key(1))
    with pytest.raises(NotFound):
        await own.for_sub_account(sandbox.sub_ids[0]).get_contact(made.id)
    await own.aclose()


# -- rate limits and faults (private sandboxes) --------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(100)
@pytest.mark.asyncio
async def test_a_burst_over_the_read_limit_is_paced_through(sandbox_factory: Any) -> None:
    # The sandbox's window is a fixed 60 s, so a burst can only exceed the limit by what one
    # roll-over allows within the time budget: 15 reads at 10 a minute.
    box: Sandbox = sandbox_factory("--seed", "empty", "--rate-limit-read", "10")
    client = SeedlyClient(box.url, box.sub_key(0))
    started = time.monotonic()
    pages = await asyncio.gather(*(client.list_contacts(limit=1) for _ in range(15)))
    elapsed = time.monotonic() - started
    assert len(pages) == 15 and all(p.meta.total == 0 for p in pages)
    # Client and server share one clock and the client only ever sends later than planned,
    # so pacing leaves no room for a single 429 (the unpaced client met 5 here).
    refused = box.control("GET", "stats").get("rate_limited", 0)
    assert refused == 0, f"{refused} requests met a 429"
    # 15 reads at 10 per window need a roll-over: the client waited for it, not the server.
    assert elapsed >= 55, elapsed
    assert client.transport.budgets["read"].limit == 10
    await client.aclose()


@pytest.mark.asyncio
async def test_gets_survive_injected_500s_and_dropped_connections(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    box.control(
        "PUT",
        "faults",
        json={
            "rate": 0.5,
            "kinds": {
                "error_500": 1,
                "drop_before": 1,
                "drop_after": 0,
                "timeout_after": 0,
                "slow": 0,
                "rate_limited": 0,
            },
        },
    )
    # 16 attempts at a 50 % failure rate: a call fails with odds of 1 in 65,536.
    client = SeedlyClient(
        box.url, box.sub_key(0), retry=RetryPolicy(attempts=16, base_delay=0.01, max_delay=0.05)
    )
    for _ in range(20):
        page = await client.list_contacts(limit=5)
        assert page.meta.total == 0
    stats = box.control("GET", "stats")
    assert stats["fault.error_500"] > 0 and stats["fault.drop_before"] > 0
    assert client.transport.requests_sent == 20 + stats["faults"]
    await client.aclose()


@pytest.mark.asyncio
async def test_writes_are_not_repeated_when_their_outcome_is_unknown(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    client = SeedlyClient(box.url, box.sub_key(0))
    none = {
        "error_500": 0,
        "drop_before": 0,
        "drop_after": 0,
        "timeout_after": 0,
        "slow": 0,
        "rate_limited": 0,
    }
    # The work is done, then the connection drops: the caller must reconcile.
    box.control("PUT", "faults", json={"rate": 1.0, "kinds": {**none, "drop_after": 1}})
    email = unique_email("ghost")
    with pytest.raises(OutcomeUnknown):
        await client.create_contact({"firstName": "Ghost", "lastName": "Write", "email": email})
    box.control("PUT", "faults", json={"rate": 1.0, "kinds": {**none, "error_500": 1}})
    with pytest.raises(ServerError):
        await client.create_contact({"firstName": "Never", "lastName": "Sent"})
    box.control("PUT", "faults", json={"rate": 0})
    assert box.control("GET", "stats")["faults"] == 2  # each write went out exactly once
    found = await client.find_contact_by_email(email)
    assert found is not None and found.first_name == "Ghost"
    assert (await client.list_contacts()).meta.total == 1
    await client.aclose()
