"""Constants of the two API contracts, shared by the client and the sandbox.

Only plain values live here (no models): the sandbox may import this module,
and nothing else from the client side, so that a contract mistake in the
client's models cannot hide behind a shared model.
"""

from __future__ import annotations

API_VERSION = "v1"

# Seedly CRM key prefixes (seed §2).
SUB_ACCOUNT_KEY_PREFIXES = ("sk_live_", "sk_test_")
AGENCY_KEY_PREFIXES = ("sk_agency_live_", "sk_agency_test_")

SCOPES = (
    "contacts:read",
    "contacts:write",
    "conversations:read",
    "conversations:write",
    "calendars:read",
    "calendars:write",
    "webhooks:manage",
)
RECOMMENDED_SCOPES = (
    "contacts:read",
    "contacts:write",
    "conversations:read",
    "conversations:write",
    "calendars:read",
)

CHANNELS = ("sms", "email", "messenger", "instagram", "gmail", "live_chat", "social_dm")
SEND_CHANNELS = ("sms", "email", "gmail", "messenger", "instagram", "social_dm")
CONVERSATION_STATUSES = ("open", "closed", "snoozed")
MESSAGE_STATUSES = ("pending", "sent", "delivered", "read", "failed", "bounced")
MESSAGE_DIRECTIONS = ("inbound", "outbound")
LIFECYCLE_STAGES = ("lead", "qualified", "customer", "repeat", "inactive")
CUSTOM_FIELD_TYPES = ("text", "number", "select", "date", "boolean", "url", "email", "phone")
CALENDAR_TYPES = ("personal", "round_robin", "collective", "class")
APPOINTMENT_STATUSES = ("scheduled", "confirmed", "completed", "cancelled", "no_show")

WEBHOOK_EVENTS = (
    "contact.created",
    "contact.updated",
    "contact.lifecycle_changed",
    "contact.tag_added",
    "opportunity.created",
    "opportunity.updated",
    "opportunity.stage_changed",
    "opportunity.won",
    "opportunity.lost",
    "opportunity.deleted",
    "message.received",
    "message.sent",
    "message.delivered",
    "message.failed",
    "appointment.booked",
    "appointment.cancelled",
    "appointment.rescheduled",
    "appointment.confirmed",
    "appointment.completed",
    "appointment.no_show",
    "form.submitted",
    "invoice.paid",
    "task.created",
    "task.updated",
    "task.completed",
    "task.deleted",
)

ERROR_CODES = (
    "VALIDATION_ERROR",
    "UNAUTHORIZED",
    "KEY_EXPIRED",
    "KEY_REVOKED",
    "FORBIDDEN",
    "NOT_FOUND",
    "RATE_LIMITED",
    "INTERNAL_ERROR",
)

# Pagination limits per list (seed: "default 50, max N").
LIST_LIMITS = {
    "contacts": (50, 100),
    "conversations": (50, 200),
    "messages": (50, 100),
    "appointments": (50, 200),
}

WEBHOOK_SIGNATURE_HEADER = "X-Webhook-Signature"
WEBHOOK_EVENT_HEADER = "X-Webhook-Event"
WEBHOOK_DELIVERY_HEADER = "X-Webhook-Delivery"
WEBHOOK_USER_AGENT = "Seedly-CRM-Webhook/1.0"
