"""Wire models: the examples of docs/api/seedly-crm.md, sandbox-shaped answers, tolerance
and strictness."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.core.enums import (
    AppointmentStatus,
    Channel,
    ConversationStatus,
    CustomFieldType,
    EventType,
    LifecycleStage,
    MessageDirection,
    MessageStatus,
)
from app.core.errors import ApiError, InvalidResponse
from app.core.models import (
    Appointment,
    AppointmentCancellation,
    AppointmentType,
    AvailabilitySlot,
    Calendar,
    Contact,
    ContactEventData,
    Conversation,
    CustomFieldDefinition,
    ErrorEnvelope,
    Message,
    MessageEventData,
    Page,
    SubAccount,
    WebhookSecret,
    WebhookSubscription,
    parse,
    parse_data,
    parse_event,
    parse_list,
    parse_page,
)

# A contact exactly as the sandbox sends it (GET /api/v1/contacts?limit=2), incl. the
# dndChannels field the API does not list (docs/api/seedly-crm.md §5).
SANDBOX_CONTACT: dict[str, Any] = {
    "id": "contact_e93bd1f44fe5644d",
    "firstName": "Jason",
    "lastName": "Larsen",
    "email": "jason.larsen@proton.me",
    "phone": None,
    "company": "West Consulting",
    "title": "Account Executive",
    "source": "api",
    "tags": ["invoice-overdue", "review-requested", "vip"],
    "lifecycleStage": "lead",
    "engagementScore": 38,
    "assignedTo": None,
    "additionalEmails": [],
    "additionalPhones": [],
    "addressLine1": "8416 Summit Rd",
    "city": "Chicago",
    "state": "IL",
    "postalCode": "60601",
    "country": "US",
    "dateOfBirth": None,
    "customFields": {
        "preferred_language": "English",
        "insurance_provider": "MetLife",
        "visits_per_year": 29,
        "billing_email": "billing432@example.com",
    },
    "createdAt": "2026-08-26T01:12:46.038Z",
    "updatedAt": "2026-11-22T08:02:47.994Z",
    "dndChannels": [],
}


def contact(**changes: Any) -> dict[str, Any]:
    return {**SANDBOX_CONTACT, **changes}


# -- contacts -----------------------------------------------------------------------------


def test_sandbox_contact_parses_to_snake_case_attributes() -> None:
    c = parse(Contact, SANDBOX_CONTACT)
    assert c.id == "contact_e93bd1f44fe5644d"
    assert (c.first_name, c.last_name, c.full_name) == ("Jason", "Larsen", "Jason Larsen")
    assert c.lifecycle_stage is LifecycleStage.LEAD
    assert c.engagement_score == 38 and isinstance(c.engagement_score, int)
    assert c.address_line1 == "8416 Summit Rd" and c.postal_code == "60601"
    assert c.custom_fields["visits_per_year"] == 29
    assert c.dnd_channels == []
    assert c.created_at == datetime(2026, 8, 26, 1, 12, 46, 38000, tzinfo=UTC)
    assert c.updated_at.tzinfo is not None


def test_contact_round_trips_by_alias_with_unknown_fields() -> None:
    raw = contact(loyaltyTier="gold", socialProfiles={"x": "@jl"})
    c = parse(Contact, raw)
    assert c.extra_fields == {"loyaltyTier": "gold", "socialProfiles": {"x": "@jl"}}
    assert c.loyaltyTier == "gold"  # type: ignore[attr-defined]
    dumped = c.model_dump(by_alias=True, mode="json")
    assert dumped["loyaltyTier"] == "gold" and dumped["socialProfiles"] == {"x": "@jl"}
    assert "firstName" in dumped and "first_name" not in dumped
    assert "addressLine1" in dumped and "customFields" in dumped
    # Every field of the input comes back, with the same value once re-read.
    assert set(raw) <= set(dumped)
    assert parse(Contact, dumped) == c
    assert parse(Contact, json.loads(json.dumps(c.to_wire()))) == c


def test_sandbox_contact_round_trips_to_identical_json() -> None:
    # Every field the sandbox sends is declared, and timestamps keep the API's form.
    assert parse(Contact, SANDBOX_CONTACT).to_wire() == SANDBOX_CONTACT


def test_timestamps_dump_as_utc_milliseconds_and_sort_as_strings() -> None:
    slot = parse(
        AvailabilitySlot,
        {"start": "2026-04-01T09:00:00-04:00", "end": "2026-04-01T09:30:00.5-04:00"},
    )
    assert slot.start.utcoffset() == timedelta(hours=-4)  # the attribute keeps the offset
    wire = slot.to_wire()
    assert wire["start"] == "2026-04-01T13:00:00.000Z"
    assert wire["end"] == "2026-04-01T13:30:00.500Z"
    precise = parse(
        AvailabilitySlot, {"start": "2026-04-01T13:00:00.123456Z", "end": "2026-04-01T13:00:00Z"}
    )
    assert precise.to_wire()["start"] == "2026-04-01T13:00:00.123456Z"
    assert parse(AvailabilitySlot, precise.to_wire()) == precise
    # Python-mode dumps keep datetimes.
    assert isinstance(slot.model_dump()["start"], datetime)
    # Raw, these sort wrongly as strings ("…00Z" after "…00.500Z", the offset one first).
    stamps = ["2026-01-01T00:00:00.500Z", "2026-01-01T00:00:00Z", "2025-12-31T20:00:00.250-04:00"]
    assert sorted(stamps) != [stamps[1], stamps[2], stamps[0]]
    dumped = [parse(Contact, contact(updatedAt=t)).to_wire()["updatedAt"] for t in stamps]
    assert sorted(dumped) == [dumped[1], dumped[2], dumped[0]]


def test_contact_accepts_python_names_too() -> None:
    c = Contact(
        id="c1",
        first_name="Ann",
        created_at="2026-01-01T00:00:00Z",  # type: ignore[arg-type]
        updated_at="2026-01-01T00:00:00Z",
    )  # type: ignore[arg-type]
    assert c.first_name == "Ann"
    assert c.to_wire()["firstName"] == "Ann"


def test_contact_nulls_and_missing_optional_fields_get_defaults() -> None:
    c = parse(
        Contact,
        {
            "id": "c1",
            "firstName": None,
            "tags": None,
            "additionalEmails": None,
            "customFields": None,
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
        },
    )
    assert c.first_name == "" and c.last_name == ""
    assert c.tags == [] and c.additional_emails == [] and c.additional_phones == []
    assert c.custom_fields == {} and c.dnd_channels == []
    assert c.email is None and c.lifecycle_stage is None and c.engagement_score is None
    assert c.display_name == "Unnamed contact"


def test_contact_display_name_falls_back_to_email_then_phone() -> None:
    assert (
        parse(Contact, contact(firstName="", lastName="")).display_name == "jason.larsen@proton.me"
    )
    assert (
        parse(
            Contact, contact(firstName="", lastName="", email=None, phone="+15551234567")
        ).display_name
        == "+15551234567"
    )


def test_unknown_lifecycle_stage_is_kept_as_plain_string() -> None:
    c = parse(Contact, contact(lifecycleStage="churned"))
    assert c.lifecycle_stage == "churned"
    assert not isinstance(c.lifecycle_stage, LifecycleStage)
    assert c.to_wire()["lifecycleStage"] == "churned"


def test_naive_timestamp_is_read_as_utc_and_offsets_are_kept() -> None:
    c = parse(
        Contact, contact(createdAt="2026-03-27T14:30:00", updatedAt="2026-03-27T14:30:00-04:00")
    )
    assert c.created_at == datetime(2026, 3, 27, 14, 30, tzinfo=UTC)
    assert c.updated_at.utcoffset() == timedelta(hours=-4)


def test_dnd_channels() -> None:
    c = parse(Contact, contact(dndChannels=["sms"]))
    assert c.is_dnd("sms") and not c.is_dnd("email")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": 123}, "id"),
        ({"createdAt": "yesterday"}, "createdAt"),
        ({"tags": "vip"}, "tags"),
        ({"customFields": ["a"]}, "customFields"),
        ({"engagementScore": "high"}, "engagementScore"),
        ({"lifecycleStage": 7}, "lifecycleStage"),
    ],
)
def test_wrong_types_raise_invalid_response_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidResponse) as info:
        parse(Contact, contact(**changes))
    error = info.value
    assert isinstance(error, ApiError)
    assert error.field == field
    assert error.resource == "contact"
    assert "contact" in str(error) and field in str(error)
    assert "could not read" in error.user_message
    assert not error.retryable


def test_missing_required_field_is_named() -> None:
    raw = contact()
    del raw["updatedAt"]
    with pytest.raises(InvalidResponse, match="updatedAt: Field required") as info:
        parse(Contact, raw)
    assert info.value.field == "updatedAt"


def test_non_object_is_invalid_response() -> None:
    with pytest.raises(InvalidResponse):
        parse(Contact, ["not", "an", "object"])
    with pytest.raises(InvalidResponse):
        parse(Contact, None)


# -- custom fields --------------------------------------------------------------------------


SEED_FIELDS = {
    "data": [
        {
            "name": "preferred_language",
            "label": "Preferred Language",
            "type": "select",
            "options": ["English", "Spanish", "French"],
            "isRequired": False,
        },
        {
            "name": "company_size",
            "label": "Company Size",
            "type": "number",
            "options": None,
            "isRequired": True,
        },
    ]
}


def test_custom_field_definitions_from_seed() -> None:
    fields = parse_list(CustomFieldDefinition, SEED_FIELDS)
    assert [f.name for f in fields] == ["preferred_language", "company_size"]
    assert fields[0].type is CustomFieldType.SELECT
    assert fields[0].options == ["English", "Spanish", "French"]
    assert fields[1].options == [] and fields[1].is_required is True
    assert fields[1].display_label == "Company Size"
    unknown = parse(CustomFieldDefinition, {"name": "x", "type": "currency"})
    assert unknown.type == "currency" and unknown.display_label == "x"


# -- conversations and messages -----------------------------------------------------------


def test_create_conversation_answer_from_seed() -> None:
    body = {
        "data": {
            "id": "conv_xyz789",
            "contactId": "contact_id_here",
            "channel": "email",
            "status": "open",
            "created": True,
        }
    }
    conv = parse_data(Conversation, body)
    assert conv.created is True and conv.is_open
    assert conv.channel is Channel.EMAIL
    assert conv.status is ConversationStatus.OPEN
    assert conv.created_at is None and conv.contact is None
    assert conv.unread_count == 0 and conv.is_archived is False


def test_conversation_with_embedded_contact_and_sandbox_extras() -> None:
    conv = parse(
        Conversation,
        {
            "id": "conv_1",
            "contactId": "c1",
            "channel": "sms",
            "status": "snoozed",
            "assignedTo": "usr_1",
            "subject": None,
            "unreadCount": 3,
            "isArchived": False,
            "lastMessageAt": "2026-03-27T14:30:00.000Z",
            "createdAt": "2026-03-01T10:00:00.000Z",
            "contact": {
                "id": "c1",
                "firstName": "Jane",
                "lastName": "Doe",
                "email": "jane@example.com",
                "phone": "+15551234567",
            },
            "lastMessagePreview": "See you then",
            "lastMessageDirection": "inbound",
            "updatedAt": "2026-03-27T14:30:00.000Z",
        },
    )
    assert conv.last_message_direction is MessageDirection.INBOUND
    assert conv.updated_at == conv.last_message_at
    assert conv.contact is not None and conv.contact.display_name == "Jane Doe"
    assert conv.last_message_preview == "See you then"
    assert conv.unread_count == 3 and conv.status is ConversationStatus.SNOOZED
    assert conv.last_message_at == datetime(2026, 3, 27, 14, 30, tzinfo=UTC)
    assert not conv.is_open
    assert conv.created is None


def test_embedded_contact_with_single_name() -> None:
    conv = parse(
        Conversation,
        {
            "id": "c",
            "contactId": "x",
            "channel": "sms",
            "status": "open",
            "contact": {"name": "Acme Front Desk", "email": None},
        },
    )
    assert conv.contact is not None and conv.contact.display_name == "Acme Front Desk"


def test_unknown_channel_and_status_are_tolerated() -> None:
    conv = parse(
        Conversation,
        {"id": "c", "contactId": "x", "channel": "whatsapp", "status": "pending_review"},
    )
    assert conv.channel == "whatsapp" and not isinstance(conv.channel, Channel)
    assert conv.status == "pending_review"
    assert conv.to_wire()["channel"] == "whatsapp"


def test_conversation_missing_channel_is_invalid() -> None:
    with pytest.raises(InvalidResponse, match="conversation") as info:
        parse(Conversation, {"id": "c", "contactId": "x", "status": "open"})
    assert info.value.field == "channel"


def test_wrong_channel_type_reports_a_plain_message() -> None:
    with pytest.raises(InvalidResponse) as info:
        parse(Conversation, {"id": "c", "contactId": "x", "channel": 5, "status": "open"})
    # Not the enum branch's misleading "should be 'sms', …": unknown strings are fine.
    assert "valid string" in str(info.value)


SANDBOX_MESSAGE = {
    "id": "msg_1",
    "conversationId": "conv_1",
    "channel": "sms",
    "direction": "outbound",
    "bodyText": "Hi Jane",
    "bodyHtml": None,
    "status": "failed",
    "fromAddress": "+15550000000",
    "toAddress": "+15551234567",
    "isInternal": False,
    "createdAt": "2026-03-27T14:31:00.000Z",
    "errorMessage": "Carrier rejected the number",
    "subject": None,
}


def test_message_with_sandbox_extras() -> None:
    m = parse(Message, SANDBOX_MESSAGE)
    assert m.direction is MessageDirection.OUTBOUND and not m.is_inbound
    assert m.status is MessageStatus.FAILED and m.is_failed
    assert m.error_message == "Carrier rejected the number"
    assert m.created_at.tzinfo is not None


def test_messages_page_without_total() -> None:
    page = parse_page(
        Message,
        {
            "data": [SANDBOX_MESSAGE, {**SANDBOX_MESSAGE, "id": "msg_0", "status": "bounced"}],
            "meta": {"hasMore": True, "cursor": "abc"},
        },
    )
    assert [m.id for m in page.data] == ["msg_1", "msg_0"]
    assert page.meta.total is None and page.meta.has_more and page.next_cursor == "abc"


# -- pages ------------------------------------------------------------------------------------


def test_pagination_walkthrough_from_seed() -> None:
    first = parse_page(
        Contact,
        {
            "data": [SANDBOX_CONTACT],
            "meta": {"total": 150, "hasMore": True, "cursor": "eyJpZCI6ImNvbnRhY3RfMDUwIn0"},
        },
    )
    assert isinstance(first, Page)
    assert first.meta.total == 150 and first.meta.has_more
    assert first.next_cursor == "eyJpZCI6ImNvbnRhY3RfMDUwIn0"
    assert isinstance(first.data[0], Contact)
    last = parse_page(
        Contact, {"data": [], "meta": {"total": 150, "hasMore": False, "cursor": None}}
    )
    assert last.data == [] and not last.meta.has_more and last.next_cursor is None


def test_page_without_meta_is_a_last_page() -> None:
    page = parse_page(SubAccount, {"data": [{"id": "sub_abc123", "name": "Acme Corp"}]})
    assert page.meta.has_more is False and page.next_cursor is None


def test_page_round_trips_with_unknown_envelope_fields() -> None:
    body = {
        "data": [SANDBOX_CONTACT],
        "meta": {"total": 1, "hasMore": False, "cursor": None, "took": 3},
        "warnings": ["slow"],
    }
    page = parse_page(Contact, body)
    dumped = page.model_dump(by_alias=True, mode="json")
    assert dumped["warnings"] == ["slow"] and dumped["meta"]["took"] == 3
    assert dumped["meta"]["hasMore"] is False
    assert parse_page(Contact, dumped).data == page.data
    assert dumped["data"][0] == SANDBOX_CONTACT


def test_page_item_error_names_its_index() -> None:
    bad = contact(createdAt=None)
    with pytest.raises(InvalidResponse) as info:
        parse_page(Contact, {"data": [SANDBOX_CONTACT, bad], "meta": {"hasMore": False}})
    assert info.value.field == "data[1].createdAt"
    assert "data[1].createdAt" in str(info.value)


def test_page_can_skip_invalid_items() -> None:
    body = {
        "data": [SANDBOX_CONTACT, {"id": 1}, contact(id="c2")],
        "meta": {"hasMore": True, "cursor": "n"},
    }
    page = parse_page(Contact, body, skip_invalid=True)
    assert [c.id for c in page.data] == ["contact_e93bd1f44fe5644d", "c2"]
    assert len(page.skipped) == 1 and page.skipped[0].field is not None
    assert page.skipped[0].field.startswith("data[1]")
    assert page.next_cursor == "n"


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"items": []},
        {"data": {"id": "x"}},
        {"data": [], "meta": {"hasMore": "maybe"}},
    ],
)
def test_malformed_pages_raise_invalid_response(body: Any) -> None:
    with pytest.raises(InvalidResponse):
        parse_page(Contact, body)


def test_parse_list_accepts_envelope_or_bare_list() -> None:
    subs = parse_list(
        SubAccount,
        {
            "data": [
                {"id": "sub_abc123", "name": "Acme Corp"},
                {"id": "sub_def456", "name": "Widget Co"},
            ]
        },
    )
    assert [(s.id, s.name) for s in subs] == [
        ("sub_abc123", "Acme Corp"),
        ("sub_def456", "Widget Co"),
    ]
    assert parse_list(SubAccount, [{"id": "s", "name": "N"}])[0].id == "s"
    with pytest.raises(InvalidResponse):
        parse_list(SubAccount, {"data": "nope"})


def test_parse_data_requires_the_envelope() -> None:
    with pytest.raises(InvalidResponse, match="data envelope"):
        parse_data(Contact, SANDBOX_CONTACT)
    with pytest.raises(InvalidResponse) as info:
        parse_data(Contact, {"data": contact(id=None)})
    assert info.value.field == "data.id"


# -- calendars ----------------------------------------------------------------------------------


def test_calendars_and_types_from_seed() -> None:
    cals = parse_list(
        Calendar,
        {
            "data": [
                {
                    "id": "cal_abc123",
                    "name": "Main Calendar",
                    "type": "personal",
                    "timezone": "America/New_York",
                }
            ]
        },
    )
    assert cals[0].timezone == "America/New_York" and cals[0].type == "personal"
    types = parse_list(
        AppointmentType,
        {
            "data": [
                {
                    "id": "apt_type_001",
                    "calendarId": "cal_abc123",
                    "name": "30-Minute Consultation",
                    "duration": 30,
                    "slug": "30-min-consultation",
                }
            ]
        },
    )
    assert types[0].duration == 30 and types[0].calendar_id == "cal_abc123"
    # The API's prose spells it "round-robin" (docs/api/seedly-crm.md §6): kept as it comes.
    assert parse(Calendar, {"id": "c", "type": "round-robin"}).type == "round-robin"


def test_availability_from_seed_keeps_offsets() -> None:
    slots = parse_list(
        AvailabilitySlot,
        {
            "data": [
                {"start": "2026-04-01T09:00:00-04:00", "end": "2026-04-01T09:30:00-04:00"},
                {
                    "start": "2026-04-01T09:30:00-04:00",
                    "end": "2026-04-01T10:00:00-04:00",
                    "seatsRemaining": 3,
                },
            ]
        },
    )
    assert slots[0].seats_remaining is None and slots[1].seats_remaining == 3
    assert slots[0].start.utcoffset() == timedelta(hours=-4)
    assert slots[0].start == datetime(2026, 4, 1, 13, 0, tzinfo=UTC)
    assert slots[1].to_wire()["seatsRemaining"] == 3


def test_appointment_with_contact_and_cancellation() -> None:
    appt = parse(
        Appointment,
        {
            "id": "appt_abc123",
            "calendarId": "cal_abc123",
            "appointmentTypeId": "apt_type_001",
            "contactId": "c1",
            "title": "Consultation",
            "startTime": "2026-04-01T13:00:00.000Z",
            "endTime": "2026-04-01T13:30:00.000Z",
            "status": "no_show",
            "assignedTo": None,
            "notes": "First consultation",
            "createdAt": "2026-03-27T14:30:00.000Z",
            "contact": {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"},
        },
    )
    assert appt.status is AppointmentStatus.NO_SHOW
    assert appt.end_time - appt.start_time == timedelta(minutes=30)
    assert appt.contact is not None and appt.contact.full_name == "Jane Doe"
    done = parse_data(AppointmentCancellation, {"data": {"id": "appt_abc123", "cancelled": True}})
    assert done.cancelled is True


def test_invalid_appointment_message_reads_well() -> None:
    with pytest.raises(InvalidResponse) as info:
        parse(
            Appointment,
            {"id": "a", "calendarId": "c", "startTime": "soon", "endTime": "2026-04-01T13:30:00Z"},
        )
    assert str(info.value).startswith("Seedly sent an appointment that does not match")
    assert info.value.field == "startTime"
    assert "an appointment this app could not read" in info.value.user_message


def test_appointment_times_in_epoch_milliseconds_are_read() -> None:
    appt = parse(
        Appointment,
        {
            "id": "a",
            "calendarId": "c",
            "startTime": 1743508800000,
            "endTime": 1743510600000,
            "status": "scheduled",
        },
    )
    assert appt.start_time == datetime(2025, 4, 1, 12, 0, tzinfo=UTC)
    assert appt.end_time.tzinfo is not None


# -- webhooks and sub-accounts ------------------------------------------------------------------


def test_webhook_subscription_secret_is_optional_and_not_in_repr() -> None:
    listed = parse(
        WebhookSubscription,
        {
            "id": "wh_1",
            "url": "https://x.example/h",
            "events": ["message.received", "deal.won"],
            "description": "Chatbot integration",
        },
    )
    assert listed.secret is None
    assert listed.events[0] is EventType.MESSAGE_RECEIVED and listed.events[1] == "deal.won"
    created = parse(
        WebhookSubscription,
        {
            "id": "wh_1",
            "url": "https://x.example/h",
            "events": ["message.received"],
            "secret": "whsec_abcdef123456",
        },
    )
    assert created.secret == "whsec_abcdef123456"
    assert "whsec_abcdef123456" not in repr(created)
    assert created.to_wire()["secret"] == "whsec_abcdef123456"
    regenerated = parse_data(WebhookSecret, {"data": {"secret": "whsec_new_plaintext_secret_here"}})
    assert regenerated.secret == "whsec_new_plaintext_secret_here"
    assert "whsec_new" not in repr(regenerated)


# -- errors and events --------------------------------------------------------------------------


def test_error_envelope_with_field() -> None:
    env = parse(
        ErrorEnvelope,
        {
            "error": {
                "code": "VALIDATION_ERROR",
                "message": "phone must be in E.164 format",
                "field": "phone",
            }
        },
    )
    assert env.error.code == "VALIDATION_ERROR" and env.error.field == "phone"


MESSAGE_RECEIVED: dict[str, Any] = {
    "event": "message.received",
    "timestamp": "2026-03-27T14:30:00.000Z",
    "data": {
        "subAccountId": "sa_001",
        "contactId": "contact_abc123",
        "messageId": "msg_abc123",
        "conversationId": "conv_xyz789",
        "channel": "email",
        "bodyText": "Hi, I'd like to book an appointment",
        "fromAddress": "[email protected]",
        "direction": "inbound",
        "tags": ["website-lead"],
    },
}


def test_message_received_event_from_seed() -> None:
    event = parse_event(json.dumps(MESSAGE_RECEIVED).encode())
    assert event.event is EventType.MESSAGE_RECEIVED
    assert event.timestamp == datetime(2026, 3, 27, 14, 30, tzinfo=UTC)
    assert event.data.sub_account_id == "sa_001" and event.data.contact_id == "contact_abc123"
    assert event.data.tags == ["website-lead"]
    assert event.data.extra_fields["messageId"] == "msg_abc123"
    typed = event.data_as(MessageEventData)
    assert typed.conversation_id == "conv_xyz789" and typed.channel is Channel.EMAIL
    assert typed.direction is MessageDirection.INBOUND
    assert event.to_wire()["data"]["bodyText"] == MESSAGE_RECEIVED["data"]["bodyText"]


def test_contact_created_event_from_seed() -> None:
    event = parse_event(
        {
            "event": "contact.created",
            "timestamp": "2026-03-27T14:30:00.000Z",
            "data": {
                "subAccountId": "sa_001",
                "contactId": "abc123",
                "firstName": "Jane",
                "lastName": "Doe",
                "email": "[email protected]",
                "tags": ["website-lead"],
            },
        }
    )
    data = event.data_as(ContactEventData)
    assert (data.first_name, data.last_name) == ("Jane", "Doe")


def test_future_event_name_is_kept() -> None:
    event = parse_event(
        {
            "event": "invoice.refunded",
            "timestamp": "2026-03-27T14:30:00Z",
            "data": {"subAccountId": "sa_001", "amount": 5},
        }
    )
    assert event.event == "invoice.refunded" and event.data.extra_fields == {"amount": 5}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"{}",
        b'{"event": "x", "timestamp": "now"}',
        {
            "event": "contact.created",
            "timestamp": "2026-03-27T14:30:00Z",
            "data": {"contactId": "no sub-account"},
        },
    ],
)
def test_bad_event_bodies_raise_invalid_response(raw: Any) -> None:
    with pytest.raises(InvalidResponse):
        parse_event(raw)


def test_timestamps_compare_across_offsets() -> None:
    a = parse(
        AvailabilitySlot, {"start": "2026-04-01T09:00:00-04:00", "end": "2026-04-01T13:30:00Z"}
    )
    assert a.end - a.start == timedelta(minutes=30)
    assert a.start.astimezone(UTC).hour == 13
