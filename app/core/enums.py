"""The contract's enumerations as ``StrEnum``s, and "open" field types for responses.

The values come from docs/api/seedly-crm.md (and are mirrored as plain tuples in
``app.core.constants`` for the sandbox); ``tests/unit/core/test_enums.py``
keeps the two in step.

Responses use *open* enums: a known value becomes the enum member, an unknown one stays
a plain ``str``. The API promises additive changes (docs/api/seedly-crm.md §12) — new
fields, new events, new error codes — and a new channel or status is the same kind of
change. Failing a whole page of conversations because one of them is on a channel this
build has never heard of would be worse than showing it with a generic icon, so no
response field is closed. Request payloads (``app.core.payloads``) are the opposite: the
app only sends values the contract documents.

Because ``StrEnum`` members are strings, ``conversation.channel == "sms"`` and
``conversation.channel is Channel.SMS`` both work; ``isinstance(value, Channel)``
tells a known value from an unknown one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field


class Channel(StrEnum):
    """Messaging channel of a conversation or message (docs/api/seedly-crm.md §1, §4)."""

    SMS = "sms"
    EMAIL = "email"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    GMAIL = "gmail"
    LIVE_CHAT = "live_chat"
    SOCIAL_DM = "social_dm"


class ConversationStatus(StrEnum):
    """Status of a conversation."""

    OPEN = "open"
    CLOSED = "closed"
    SNOOZED = "snoozed"


class MessageStatus(StrEnum):
    """Delivery status of a message."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    BOUNCED = "bounced"


class MessageDirection(StrEnum):
    """Whether a message came from the contact or went to them."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class LifecycleStage(StrEnum):
    """Lifecycle stage of a contact."""

    LEAD = "lead"
    QUALIFIED = "qualified"
    CUSTOMER = "customer"
    REPEAT = "repeat"
    INACTIVE = "inactive"


class CustomFieldType(StrEnum):
    """Type of a custom field definition; drives the editor widget and validation."""

    TEXT = "text"
    NUMBER = "number"
    SELECT = "select"
    DATE = "date"
    BOOLEAN = "boolean"
    URL = "url"
    EMAIL = "email"
    PHONE = "phone"


class CalendarType(StrEnum):
    """How a calendar assigns bookings (the API's prose spells round-robin with a hyphen,
    docs/api/seedly-crm.md §6;
    ``constants.CALENDAR_TYPES`` fixes the wire value as ``round_robin``)."""

    PERSONAL = "personal"
    ROUND_ROBIN = "round_robin"
    COLLECTIVE = "collective"
    CLASS = "class"


class AppointmentStatus(StrEnum):
    """Status of an appointment."""

    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class ErrorCode(StrEnum):
    """Error codes of the envelope (docs/api/seedly-crm.md §11); new codes may appear,
    so parse tolerantly."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    KEY_EXPIRED = "KEY_EXPIRED"
    KEY_REVOKED = "KEY_REVOKED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class EventType(StrEnum):
    """Webhook event names (docs/api/seedly-crm.md §7)."""

    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_LIFECYCLE_CHANGED = "contact.lifecycle_changed"
    CONTACT_TAG_ADDED = "contact.tag_added"
    OPPORTUNITY_CREATED = "opportunity.created"
    OPPORTUNITY_UPDATED = "opportunity.updated"
    OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed"
    OPPORTUNITY_WON = "opportunity.won"
    OPPORTUNITY_LOST = "opportunity.lost"
    OPPORTUNITY_DELETED = "opportunity.deleted"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    APPOINTMENT_CONFIRMED = "appointment.confirmed"
    APPOINTMENT_COMPLETED = "appointment.completed"
    APPOINTMENT_NO_SHOW = "appointment.no_show"
    FORM_SUBMITTED = "form.submitted"
    INVOICE_PAID = "invoice.paid"
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_COMPLETED = "task.completed"
    TASK_DELETED = "task.deleted"


# Channels a message can be sent on through the API (live_chat is answered in the widget).
SEND_CHANNELS: frozenset[Channel] = frozenset(
    {
        Channel.SMS,
        Channel.EMAIL,
        Channel.GMAIL,
        Channel.MESSENGER,
        Channel.INSTAGRAM,
        Channel.SOCIAL_DM,
    }
)
# Channels whose recipient is an email address / a phone number.
EMAIL_CHANNELS: frozenset[Channel] = frozenset({Channel.EMAIL, Channel.GMAIL})
PHONE_CHANNELS: frozenset[Channel] = frozenset({Channel.SMS})


CHANNEL_LABELS: dict[str, str] = {
    Channel.SMS: "SMS",
    Channel.EMAIL: "Email",
    Channel.GMAIL: "Gmail",
    Channel.MESSENGER: "Messenger",
    Channel.INSTAGRAM: "Instagram",
    Channel.LIVE_CHAT: "Live chat",
    Channel.SOCIAL_DM: "Social DM",
}
"""How each channel is named on screen."""


def channel_label(channel: str) -> str:
    """``SMS``, ``Email``…; an unknown channel in words (``"whats_app"`` → ``"Whats app"``)."""
    return CHANNEL_LABELS.get(channel, channel.replace("_", " ").capitalize())


# Open field types: "left_to_right" makes pydantic try the enum first and fall back to the
# plain string, instead of its "smart" mode preferring the exact ``str`` match.
OpenChannel = Annotated[Channel | str, Field(union_mode="left_to_right")]
OpenConversationStatus = Annotated[ConversationStatus | str, Field(union_mode="left_to_right")]
OpenMessageStatus = Annotated[MessageStatus | str, Field(union_mode="left_to_right")]
OpenMessageDirection = Annotated[MessageDirection | str, Field(union_mode="left_to_right")]
OpenLifecycleStage = Annotated[LifecycleStage | str, Field(union_mode="left_to_right")]
OpenCustomFieldType = Annotated[CustomFieldType | str, Field(union_mode="left_to_right")]
OpenCalendarType = Annotated[CalendarType | str, Field(union_mode="left_to_right")]
OpenAppointmentStatus = Annotated[AppointmentStatus | str, Field(union_mode="left_to_right")]
OpenEventType = Annotated[EventType | str, Field(union_mode="left_to_right")]
