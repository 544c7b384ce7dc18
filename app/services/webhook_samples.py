"""Sample payloads of the 26 webhook events, for the test bench.

Each sample has the API's payload format (docs/api/seedly-crm.md §7):
``{"event", "timestamp", "data": {...}}`` with ``data.subAccountId`` always,
``contactId`` when a contact is concerned and ``tags`` when it has tags, plus the
fields a receiver of that kind of event reads (the message fields of docs/api/seedly-crm.md §3
example for ``message.*``). Where the cache has them, the sub-account's real
records are used — a contact, one of its conversations and messages, an
appointment — so a receiver under development can look them up; the rest are
clearly sample values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.constants import WEBHOOK_EVENTS
from app.storage import Partition


@dataclass(frozen=True)
class SampleRecords:
    """The ids and values samples are filled with (real ones from the cache when known)."""

    sub_account_id: str
    contact_id: str = "contact_sample_1"
    first_name: str = "Sam"
    last_name: str = "Sample"
    email: str | None = "sam.sample@example.com"
    phone: str | None = "+15555550123"
    tags: tuple[str, ...] = ("sample",)
    lifecycle_stage: str = "lead"
    conversation_id: str = "conv_sample_1"
    message_id: str = "msg_sample_1"
    channel: str = "sms"
    body_text: str = "Hi! Is Saturday still available?"
    appointment_id: str = "appt_sample_1"
    calendar_id: str = "cal_sample_1"
    appointment_type_id: str = "apt_type_sample_1"
    appointment_start: str | None = None
    appointment_end: str | None = None
    real: frozenset[str] = field(default_factory=frozenset)
    """Which records are real ("contact", "conversation", "message", "appointment")."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sample_records(partition: Partition, now: datetime | None = None) -> SampleRecords:
    """The sub-account's newest conversation, its contact and last message, and an
    appointment, from the cache (blocking: run on a worker). Missing ones stay samples."""
    values: dict[str, Any] = {"sub_account_id": partition.sub_account_id}
    real: set[str] = set()
    conversations = partition.conversations.list_conversations(limit=1)
    contact: dict[str, Any] | None = None
    if conversations:
        conversation = conversations[0]
        values["conversation_id"] = str(conversation["id"])
        values["channel"] = str(conversation.get("channel") or "sms")
        real.add("conversation")
        contact_id = conversation.get("contactId")
        if isinstance(contact_id, str):
            contact = partition.contacts.get(contact_id)
        message = partition.messages.latest_message(str(conversation["id"]))
        if message is not None:
            values["message_id"] = str(message["id"])
            if isinstance(message.get("bodyText"), str) and message["bodyText"]:
                values["body_text"] = message["bodyText"]
            real.add("message")
    if contact is None:
        found = partition.contacts.search(limit=1)
        contact = found[0] if found else None
    if contact is not None:
        values["contact_id"] = str(contact["id"])
        values["first_name"] = str(contact.get("firstName") or "")
        values["last_name"] = str(contact.get("lastName") or "")
        values["email"] = contact.get("email")
        values["phone"] = contact.get("phone")
        values["tags"] = tuple(t for t in contact.get("tags") or () if isinstance(t, str))
        values["lifecycle_stage"] = str(contact.get("lifecycleStage") or "lead")
        real.add("contact")
    moment = now or datetime.now(UTC)
    start_ms = int((moment - timedelta(days=30)).timestamp() * 1000)
    end_ms = int((moment + timedelta(days=60)).timestamp() * 1000)
    appointments = partition.calendars.appointments_between(start_ms, end_ms)
    if appointments:
        appointment = appointments[-1]
        values["appointment_id"] = str(appointment["id"])
        values["calendar_id"] = str(appointment.get("calendarId") or "cal_sample_1")
        values["appointment_type_id"] = str(
            appointment.get("appointmentTypeId") or "apt_type_sample_1"
        )
        values["appointment_start"] = appointment.get("startTime")
        values["appointment_end"] = appointment.get("endTime")
        real.add("appointment")
    return SampleRecords(**values, real=frozenset(real))


def sample_payload(
    event: str, records: SampleRecords, now: datetime | None = None
) -> dict[str, Any]:
    """The payload Seedly would send for ``event`` (one of the 26), filled with ``records``."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event}")
    moment = now or datetime.now(UTC)
    kind, _, action = event.partition(".")
    r = records
    data: dict[str, Any] = {"subAccountId": r.sub_account_id, "contactId": r.contact_id}
    if kind == "contact":
        data |= {"firstName": r.first_name, "lastName": r.last_name, "email": r.email}
        if action == "created":
            data |= {"phone": r.phone, "lifecycleStage": r.lifecycle_stage, "source": "api"}
        elif action == "updated":
            data["changedFields"] = ["phone"]
        elif action == "lifecycle_changed":
            data |= {"previousStage": "lead", "lifecycleStage": "qualified"}
        elif action == "tag_added":
            data["tag"] = r.tags[0] if r.tags else "sample"
    elif kind == "opportunity":
        data |= {
            "opportunityId": "opp_sample_1",
            "name": f"{r.first_name} {r.last_name} — new patient plan".strip(),
            "pipelineId": "pipe_sample_1",
            "stage": "proposal",
            "monetaryValue": 1200,
            "status": {"won": "won", "lost": "lost"}.get(action, "open"),
        }
        if action == "stage_changed":
            data["previousStage"] = "qualified"
        if action == "lost":
            data["lostReason"] = "Chose another provider"
    elif kind == "message":
        data |= {
            "messageId": r.message_id,
            "conversationId": r.conversation_id,
            "channel": r.channel,
            "bodyText": r.body_text,
            "direction": "inbound" if action == "received" else "outbound",
        }
        contact_address = r.email if r.channel in ("email", "gmail") else r.phone
        if action == "received":
            data["fromAddress"] = contact_address
        else:
            data |= {
                "fromAddress": "+15555550100",
                "toAddress": contact_address,
                "status": {"sent": "sent", "delivered": "delivered"}.get(action, "failed"),
            }
            if action == "failed":
                data["reason"] = "The carrier rejected the number."
    elif kind == "appointment":
        start = r.appointment_start or _iso(moment + timedelta(days=2))
        end = r.appointment_end or _iso(moment + timedelta(days=2, minutes=30))
        data |= {
            "appointmentId": r.appointment_id,
            "calendarId": r.calendar_id,
            "appointmentTypeId": r.appointment_type_id,
            "startTime": start,
            "endTime": end,
            "status": {
                "booked": "scheduled",
                "cancelled": "cancelled",
                "rescheduled": "scheduled",
                "confirmed": "confirmed",
                "completed": "completed",
                "no_show": "no_show",
            }[action],
        }
        if action == "rescheduled":
            data |= {
                "previousStartTime": _iso(moment + timedelta(days=1)),
                "previousEndTime": _iso(moment + timedelta(days=1, minutes=30)),
            }
        if action == "cancelled":
            data["reason"] = "Cancelled by the contact"
    elif kind == "form":
        data |= {
            "formId": "form_sample_1",
            "formName": "Contact Us",
            "submissionId": "fsub_sample_1",
            "fields": {
                "firstName": r.first_name,
                "lastName": r.last_name,
                "email": r.email,
                "message": "Please call me back.",
            },
        }
    elif kind == "invoice":
        data |= {
            "invoiceId": "inv_sample_1",
            "invoiceNumber": "INV-1042",
            "amount": 249.0,
            "currency": "USD",
            "paidAt": _iso(moment),
        }
    elif kind == "task":
        data |= {
            "taskId": "task_sample_1",
            "title": f"Call {r.first_name} back".strip(),
            "dueDate": _iso(moment + timedelta(days=1)),
            "assignedTo": "user_sample_1",
            "completed": action == "completed",
        }
    if r.tags:
        data["tags"] = list(r.tags)
    return {"event": event, "timestamp": _iso(moment), "data": data}


def sample_body(event: str, records: SampleRecords, now: datetime | None = None) -> str:
    """``sample_payload`` as editable JSON text (indented; whatever is sent is signed as is)."""
    return json.dumps(sample_payload(event, records, now), indent=2, ensure_ascii=False)


__all__ = ["SampleRecords", "sample_body", "sample_payload", "sample_records"]
