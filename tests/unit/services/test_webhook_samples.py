"""Sample payloads of the 26 events: the API's format (docs/api/seedly-crm.md §7), with the
sub-account's real ids when the cache has them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.constants import WEBHOOK_EVENTS
from app.core.models import WebhookEvent, parse
from app.services.webhook_samples import SampleRecords, sample_body, sample_payload, sample_records
from app.storage import Database, Partition
from tests.unit.storage.docs import contact, conversation, message

NOW = datetime(2026, 3, 27, 14, 30, tzinfo=UTC)


@pytest.fixture
def part(tmp_path: Path) -> Iterator[Partition]:
    db = Database.open(tmp_path / "cache.sqlite3")
    yield db.partition("https://crm.example.com", "sub_harbor")
    db.close()


@pytest.mark.parametrize("event", WEBHOOK_EVENTS)
def test_every_event_has_a_valid_sample_with_the_common_fields(event: str) -> None:
    records = SampleRecords(sub_account_id="sub_harbor")
    text = sample_body(event, records, NOW)
    payload = json.loads(text)
    assert set(payload) == {"event", "timestamp", "data"}
    assert payload["event"] == event
    assert payload["timestamp"] == "2026-03-27T14:30:00.000Z"
    data = payload["data"]
    assert data["subAccountId"] == "sub_harbor"
    assert data["contactId"] == records.contact_id  # every event here concerns a contact
    assert data["tags"] == list(records.tags)
    # The client's own wire model reads it as a webhook event.
    parsed = parse(WebhookEvent, payload)
    assert parsed.event == event


def test_message_samples_follow_the_quick_start_example() -> None:
    data = sample_payload("message.received", SampleRecords(sub_account_id="s"), NOW)["data"]
    assert {
        "subAccountId",
        "contactId",
        "messageId",
        "conversationId",
        "channel",
        "bodyText",
        "fromAddress",
        "direction",
        "tags",
    } <= set(data)
    assert data["direction"] == "inbound"
    failed = sample_payload("message.failed", SampleRecords(sub_account_id="s"), NOW)["data"]
    assert failed["direction"] == "outbound" and failed["status"] == "failed" and failed["reason"]


def test_real_ids_come_from_the_cache(part: Partition) -> None:
    part.contacts.upsert_many(
        [contact("contact_conv_1", "Ada", "Lovelace", email="ada@example.com", tags=["vip"])]
    )
    part.conversations.upsert_conversations([conversation("conv_1", "Ada Lovelace")])
    part.messages.upsert_messages(
        [message("msg_9", "conv_1", "2026-03-27T10:00:00.000Z", body="Can I move it?")]
    )
    start = NOW + timedelta(days=1)
    part.calendars.upsert_appointments(
        [
            {
                "id": "appt_7",
                "calendarId": "cal_1",
                "appointmentTypeId": "type_1",
                "contactId": "contact_conv_1",
                "startTime": start.isoformat(),
                "endTime": (start + timedelta(minutes=30)).isoformat(),
                "status": "scheduled",
            }
        ]
    )
    records = sample_records(part, NOW)
    assert records.real == {"contact", "conversation", "message", "appointment"}
    received = sample_payload("message.received", records, NOW)["data"]
    assert received["contactId"] == "contact_conv_1"
    assert received["conversationId"] == "conv_1" and received["messageId"] == "msg_9"
    assert received["bodyText"] == "Can I move it?" and received["tags"] == ["vip"]
    booked = sample_payload("appointment.booked", records, NOW)["data"]
    assert booked["appointmentId"] == "appt_7" and booked["calendarId"] == "cal_1"
    created = sample_payload("contact.created", records, NOW)["data"]
    assert created["firstName"] == "Ada" and created["email"] == "ada@example.com"


def test_an_empty_cache_gives_plain_samples(part: Partition) -> None:
    records = sample_records(part, NOW)
    assert records.real == frozenset() and records.sub_account_id == "sub_harbor"
    assert records.contact_id.startswith("contact_sample")


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError):
        sample_payload("contact.exploded", SampleRecords(sub_account_id="s"))
