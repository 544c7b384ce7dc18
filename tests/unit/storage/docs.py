"""Wire documents for storage tests, shaped like the sandbox's JSON, and a test clock."""

from __future__ import annotations

from typing import Any


def contact(cid: str, first: str = "Jane", last: str = "Smith", **fields: Any) -> dict[str, Any]:
    """A contact document with sensible defaults; ``fields`` override or add keys."""
    doc: dict[str, Any] = {
        "id": cid,
        "firstName": first,
        "lastName": last,
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "phone": None,
        "company": None,
        "title": None,
        "source": "api",
        "tags": [],
        "lifecycleStage": "lead",
        "engagementScore": 10,
        "assignedTo": None,
        "additionalEmails": [],
        "additionalPhones": [],
        "customFields": {},
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-02T00:00:00.000Z",
    }
    doc.update(fields)
    return doc


def conversation(
    conv_id: str,
    name: str = "Jane Smith",
    last: str = "2026-03-01T10:00:00.000Z",
    **fields: Any,
) -> dict[str, Any]:
    """A conversation document with an embedded contact summary."""
    first, _, last_name = name.partition(" ")
    doc: dict[str, Any] = {
        "id": conv_id,
        "contactId": f"contact_{conv_id}",
        "channel": "sms",
        "status": "open",
        "assignedTo": None,
        "subject": None,
        "unreadCount": 0,
        "isArchived": False,
        "lastMessageAt": last,
        "createdAt": "2026-01-01T00:00:00.000Z",
        "contact": {
            "id": f"contact_{conv_id}",
            "firstName": first,
            "lastName": last_name,
            "email": f"{first.lower()}@example.com",
            "phone": None,
        },
    }
    doc.update(fields)
    return doc


def message(
    msg_id: str,
    conversation_id: str,
    created: str,
    body: str | None = "hello",
    **fields: Any,
) -> dict[str, Any]:
    """A message document."""
    doc: dict[str, Any] = {
        "id": msg_id,
        "conversationId": conversation_id,
        "channel": "sms",
        "direction": "inbound",
        "bodyText": body,
        "bodyHtml": None,
        "status": "delivered",
        "fromAddress": "+15550000000",
        "toAddress": "+15551111111",
        "isInternal": False,
        "createdAt": created,
    }
    doc.update(fields)
    return doc


class FakeClock:
    """A settable clock in epoch milliseconds (advances 1 ms per reading)."""

    def __init__(self, start: int = 1_800_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1
        return self.now
