"""Request bodies: the API's examples (docs/api/seedly-crm.md), normalisation, and every
problem reported at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from app.core.enums import Channel, LifecycleStage
from app.core.errors import ValidationFailed
from app.core.models import Contact, ContactSummary, CustomFieldDefinition, parse, parse_list
from app.core.payloads import (
    BookingRequest,
    ContactCreate,
    ContactUpdate,
    ConversationCreate,
    ConversationUpdate,
    MessageSend,
    WebhookCreate,
    WebhookUpdate,
    build,
    contact_update,
    recipient_for,
)


def failure(model: type[Any], data: dict[str, Any], **kwargs: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        build(model, data, **kwargs)
    error = info.value
    assert error.status is None  # nothing was sent
    return error


# -- contacts -----------------------------------------------------------------------------


def test_seed_create_contact_body() -> None:
    seed = {
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "[email protected]",
        "phone": "+15551234567",
        "company": "Acme Corp",
        "lifecycleStage": "lead",
        "tags": ["website-lead"],
        "source": "api",
    }
    seed["email"] = "jane@example.com"  # the published example's address is obfuscated
    body = build(ContactCreate, seed).to_body()
    assert body == seed


def test_contact_create_normalises() -> None:
    model = build(
        ContactCreate,
        {
            "firstName": "  Jane ",
            "lastName": "Doe",
            "email": " Jane@Example.COM ",
            "phone": "(617) 555-0101",
            "tags": ["vip", " vip", "", "new"],
            "company": "  ",
            "additionalPhones": ["415.555.0101"],
            "dateOfBirth": date(1990, 5, 1),
        },
    )
    body = model.to_body()
    assert body == {
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "Jane@example.com",
        "phone": "+16175550101",
        "tags": ["vip", "new"],
        "company": None,
        "additionalPhones": ["+14155550101"],
        "dateOfBirth": "1990-05-01",
    }
    assert list(body)[:2] == ["firstName", "lastName"]


def test_contact_create_accepts_python_names_and_keywords() -> None:
    model = build(ContactCreate, first_name="A", last_name="B", lifecycle_stage="customer")
    assert model.lifecycle_stage is LifecycleStage.CUSTOMER
    assert model.to_body() == {"firstName": "A", "lastName": "B", "lifecycleStage": "customer"}


def test_default_region_applies_to_national_numbers() -> None:
    model = build(
        ContactCreate,
        {"firstName": "A", "lastName": "B", "phone": "020 7946 0958"},
        default_region="GB",
    )
    assert model.phone == "+442079460958"


def test_contact_create_reports_every_problem_with_wire_paths() -> None:
    error = failure(
        ContactCreate,
        {
            "firstName": " ",
            "email": "bad",
            "phone": "555",
            "lifecycleStage": "vip",
            "additionalEmails": ["ok@x.com", "no"],
            "dateOfBirth": "1990-13-01",
            "favouriteColour": "red",
        },
    )
    assert set(error.errors) == {
        "firstName",
        "lastName",
        "email",
        "phone",
        "lifecycleStage",
        "additionalEmails",
        "dateOfBirth",
        "favouriteColour",
    }
    assert error.errors["firstName"] == "First name is required."
    assert error.errors["lastName"] == "Last name is required."
    assert "@-sign" in error.errors["email"]
    assert "right number of digits" in error.errors["phone"]
    assert "'lead'" in error.errors["lifecycleStage"]
    assert error.errors["dateOfBirth"] == "Enter the date of birth as YYYY-MM-DD."
    assert "not a field" in error.errors["favouriteColour"]
    assert error.field == "firstName"
    assert error.user_message == "First name is required."
    for sentence in error.errors.values():
        assert sentence.endswith(".") and "Value error" not in sentence


def test_birth_date_in_the_future_is_refused() -> None:
    error = failure(
        ContactCreate,
        {
            "firstName": "A",
            "lastName": "B",
            "dateOfBirth": (date.today() + timedelta(days=2)).isoformat(),
        },
    )
    assert "future" in error.errors["dateOfBirth"]


DEFS = parse_list(
    CustomFieldDefinition,
    {
        "data": [
            {"name": "company_size", "label": "Company Size", "type": "number", "isRequired": True},
            {
                "name": "preferred_language",
                "label": "Preferred Language",
                "type": "select",
                "options": ["English", "Spanish"],
            },
        ]
    },
)


def test_custom_fields_checked_when_definitions_are_given() -> None:
    error = failure(
        ContactCreate,
        {"firstName": "A", "lastName": "B", "customFields": {"preferred_language": "German"}},
        custom_field_definitions=DEFS,
    )
    assert set(error.errors) == {"customFields.preferred_language", "customFields.company_size"}
    body = build(
        ContactCreate,
        {
            "firstName": "A",
            "lastName": "B",
            "customFields": {"company_size": "50", "preferred_language": "spanish"},
        },
        custom_field_definitions=DEFS,
    ).to_body()
    assert body["customFields"] == {"company_size": 50, "preferred_language": "Spanish"}
    # A create without any customFields still names the required one (nothing is sent).
    missing = failure(
        ContactCreate, {"firstName": "A", "lastName": "B"}, custom_field_definitions=DEFS
    )
    assert set(missing.errors) == {"customFields.company_size"}
    # An update that does not touch custom fields sends none.
    assert (
        "customFields"
        not in build(ContactUpdate, {"title": "Owner"}, custom_field_definitions=DEFS).to_body()
    )
    # Without definitions the values go as given (the server validates).
    assert build(ContactCreate, first_name="A", last_name="B", custom_fields={"x": "y"}).to_body()[
        "customFields"
    ] == {"x": "y"}


def test_contact_update_sends_only_set_fields_and_nulls() -> None:
    body = build(
        ContactUpdate, {"lifecycleStage": "customer", "tags": ["vip", "enterprise"]}
    ).to_body()
    assert body == {"lifecycleStage": "customer", "tags": ["vip", "enterprise"]}
    assert build(ContactUpdate, {"email": None, "company": ""}).to_body() == {
        "email": None,
        "company": None,
    }
    error = failure(ContactUpdate, {"firstName": ""})
    assert error.errors == {"firstName": "First name is required."}
    # A required custom field may not be emptied, but need not be present.
    assert build(
        ContactUpdate,
        {"customFields": {"preferred_language": "English"}},
        custom_field_definitions=DEFS,
    ).to_body() == {"customFields": {"preferred_language": "English"}}
    error = failure(
        ContactUpdate, {"customFields": {"company_size": None}}, custom_field_definitions=DEFS
    )
    assert error.errors == {"customFields.company_size": "Company Size is required."}


BEFORE = parse(
    Contact,
    {
        "id": "c1",
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "jane@example.com",
        "phone": "+16175550101",
        "tags": ["vip", "new"],
        "lifecycleStage": "lead",
        "customFields": {"company_size": 10, "preferred_language": "English"},
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    },
)


def test_contact_update_from_an_edit_keeps_only_changes() -> None:
    edited = {
        "firstName": "Jane",
        "lastName": "Smith",
        "email": "jane@example.com",
        "phone": "(617) 555-0101",
        "tags": ["new", "vip"],
        "lifecycleStage": "customer",
        "customFields": {"company_size": "10", "preferred_language": "English"},
    }
    update = contact_update(BEFORE, edited, custom_field_definitions=DEFS)
    assert isinstance(update, ContactUpdate)
    assert update.to_body() == {"lastName": "Smith", "lifecycleStage": "customer"}


def test_contact_update_sends_the_whole_custom_fields_object_when_one_changes() -> None:
    update = contact_update(
        BEFORE, {"customFields": {"preferred_language": "spanish"}}, custom_field_definitions=DEFS
    )
    assert update.to_body() == {
        "customFields": {"company_size": 10, "preferred_language": "Spanish"}
    }


def test_contact_update_with_nothing_changed_is_empty_and_clearing_is_a_change() -> None:
    assert contact_update(BEFORE, {"email": "jane@example.com"}).to_body() == {}
    assert contact_update(BEFORE, {"email": ""}).to_body() == {"email": None}


def test_contact_update_validates_the_edit() -> None:
    with pytest.raises(ValidationFailed) as info:
        contact_update(BEFORE, {"email": "not-an-email"})
    assert "email" in info.value.errors


# -- conversations and messages -----------------------------------------------------------


def test_seed_send_message_body() -> None:
    seed = {
        "bodyText": "Hello {{firstName}}, your appointment is confirmed.",
        "channel": "sms",
        "toAddress": "+15551234567",
        "subject": "Appointment Confirmation",
        "bodyHtml": "<p>Hello...</p>",
    }
    assert build(MessageSend, seed).to_body() == seed


def test_message_recipient_normalised_per_channel() -> None:
    sms = build(MessageSend, bodyText="Hi", channel="sms", toAddress="(617) 555-0101")
    assert sms.to_address == "+16175550101" and sms.channel is Channel.SMS
    email = build(MessageSend, bodyText="Hi", channel="gmail", toAddress=" Jane@Example.com")
    assert email.to_address == "Jane@example.com"
    dm = build(MessageSend, bodyText="Hi", channel="instagram", toAddress="@jane")
    assert dm.to_address == "@jane"
    assert build(MessageSend, bodyText="Hi", channel="sms").to_body() == {
        "bodyText": "Hi",
        "channel": "sms",
    }


def test_message_problems() -> None:
    error = failure(MessageSend, {"bodyText": "   ", "channel": "live_chat"})
    assert error.errors["bodyText"] == "Type a message before sending."
    assert "live_chat" in error.errors["channel"]
    error = failure(MessageSend, {"bodyText": "x", "channel": "email", "toAddress": "nope"})
    assert set(error.errors) == {"toAddress"}
    error = failure(MessageSend, {"bodyText": "x", "channel": "sms", "toAddress": "12"})
    assert set(error.errors) == {"toAddress"}
    error = failure(MessageSend, {"bodyText": "x", "channel": "carrier_pigeon"})
    assert set(error.errors) == {"channel"}


def test_message_text_is_not_trimmed() -> None:
    assert build(MessageSend, bodyText="  indented\n", channel="sms").body_text == "  indented\n"


def test_recipient_for() -> None:
    contact = ContactSummary(email="jane@example.com", phone=None)
    assert recipient_for("email", contact) == "jane@example.com"
    assert recipient_for("gmail", contact) == "jane@example.com"
    assert recipient_for("sms", contact) is None
    assert recipient_for("sms", BEFORE) == "+16175550101"
    assert recipient_for("messenger", BEFORE) is None
    assert recipient_for("sms", None) is None


def test_conversation_bodies() -> None:
    seed = {"contactId": "contact_id_here", "channel": "email", "subject": "Welcome to our service"}
    assert build(ConversationCreate, seed).to_body() == seed
    error = failure(ConversationCreate, {"contactId": "", "channel": "fax"})
    assert set(error.errors) == {"contactId", "channel"}
    assert build(
        ConversationUpdate, {"status": "closed", "assignedTo": "user_id_here"}
    ).to_body() == {"status": "closed", "assignedTo": "user_id_here"}
    assert build(ConversationUpdate, {"assignedTo": None}).to_body() == {"assignedTo": None}
    assert build(ConversationUpdate, {}).to_body() == {}
    assert set(failure(ConversationUpdate, {"status": None}).errors) == {"status"}
    assert set(failure(ConversationUpdate, {"status": "archived"}).errors) == {"status"}


# -- bookings -------------------------------------------------------------------------------


def test_seed_booking_body() -> None:
    seed = {
        "appointmentTypeId": "apt_type_001",
        "startTime": 1743508800000,
        "endTime": 1743510600000,
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "jane@example.com",
        "phone": "+15551234567",
        "notes": "First consultation",
    }
    assert build(BookingRequest, seed).to_body() == seed


def test_booking_from_aware_datetimes() -> None:
    start = datetime(2026, 4, 1, 9, 0, tzinfo=timezone(timedelta(hours=-4)))
    body = build(
        BookingRequest,
        appointmentTypeId="t",
        startTime=start,
        endTime=start + timedelta(minutes=30),
        firstName="J",
        lastName="D",
        email="j@example.com",
    ).to_body()
    assert body["startTime"] == int(datetime(2026, 4, 1, 13, tzinfo=UTC).timestamp() * 1000)
    assert body["endTime"] - body["startTime"] == 30 * 60 * 1000


def test_booking_problems() -> None:
    start = datetime(2026, 4, 1, 9, 0)
    error = failure(
        BookingRequest,
        {
            "appointmentTypeId": "t",
            "startTime": start,
            "endTime": 1,
            "firstName": "J",
            "lastName": "",
            "email": "",
            "phone": "abc",
        },
    )
    assert set(error.errors) == {"startTime", "lastName", "email", "phone"}
    assert error.errors["startTime"] == "Start time needs a time zone."
    error = failure(
        BookingRequest,
        {
            "appointmentTypeId": "t",
            "startTime": 2000,
            "endTime": 1000,
            "firstName": "J",
            "lastName": "D",
            "email": "j@example.com",
        },
    )
    assert error.errors == {"endTime": "The end time must be after the start time."}
    error = failure(BookingRequest, {})
    assert {"appointmentTypeId", "startTime", "endTime", "firstName", "lastName", "email"} <= set(
        error.errors
    )
    assert error.errors["appointmentTypeId"] == "Appointment type is required."


# -- webhooks -------------------------------------------------------------------------------


def test_seed_webhook_create_body() -> None:
    seed = {
        "url": "https://your-server.com/webhooks/seedly",
        "events": [
            "contact.created",
            "message.received",
            "message.sent",
            "message.delivered",
            "message.failed",
            "appointment.booked",
        ],
        "description": "Chatbot integration",
    }
    assert build(WebhookCreate, seed).to_body() == seed


def test_webhook_problems_and_dedupe() -> None:
    body = build(
        WebhookCreate,
        url="http://127.0.0.1:9000/h",
        events=["message.received", "message.received"],
    ).to_body()
    assert body == {"url": "http://127.0.0.1:9000/h", "events": ["message.received"]}
    error = failure(WebhookCreate, {"url": "ftp://x", "events": []})
    assert set(error.errors) == {"url", "events"}
    assert error.errors["events"] == "Choose at least one event."
    error = failure(WebhookCreate, {"url": "example.com", "events": ["deal.won"]})
    assert set(error.errors) == {"url", "events[0]"}
    assert "deal.won" in error.errors["events[0]"]


def test_webhook_update_partial_and_passes_undocumented_fields() -> None:
    assert build(WebhookUpdate, {"description": "New"}).to_body() == {"description": "New"}
    assert build(WebhookUpdate, {"isActive": False}).to_body() == {"isActive": False}
    assert set(failure(WebhookUpdate, {"url": "nope"}).errors) == {"url"}
