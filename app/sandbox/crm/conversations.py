"""Conversations, messages and the public live chat widget (docs/api/seedly-crm.md §3, §4).

What the API notes leave open is decided here, and each decision is commented where
it is made. In short:

* A conversation has one channel, but a message may go out on another send
  channel (the documented send request names its own ``channel``).
* Outbound messages move ``pending`` → ``sent`` → ``delivered`` (sometimes
  ``read``) through persisted jobs, or end ``failed``/``bounced`` for the
  documented test addresses; every failure carries ``errorMessage``.
* An outbound send marks the conversation read (``unreadCount`` 0) and moves
  ``lastMessageAt``, but does not change its status; an inbound message reopens
  a closed or snoozed conversation.
* Internal notes (``isInternal: true``, an addition) are stored, never
  delivered, fire no webhook and do not move ``lastMessageAt``.
* The live chat widget sees only its own session's chat messages, never
  internal ids of the CRM.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
import secrets
from typing import Any

from app.core.constants import CHANNELS, CONVERSATION_STATUSES, LIST_LIMITS, SEND_CHANNELS
from app.sandbox import clock, events, jobs
from app.sandbox.crm import contacts
from app.sandbox.crm.subaccounts import team
from app.sandbox.http import (
    ApiError,
    Ctx,
    Param,
    Reply,
    keyset_page,
    not_found,
    page_query,
    validation,
)
from app.sandbox.registry import Registry
from app.sandbox.seed import AccountSeed, SeedContext
from app.sandbox.store import Store, dumps, loads, new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    assigned_to TEXT,
    is_archived INTEGER NOT NULL DEFAULT 0,
    sort_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    deleted_ms INTEGER,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_recent
    ON conversations (sub_account_id, sort_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS conversations_by_contact
    ON conversations (sub_account_id, contact_id, channel, status);
CREATE INDEX IF NOT EXISTS conversations_by_assignee
    ON conversations (sub_account_id, assigned_to, sort_ms DESC);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sub_account_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    is_internal INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation
    ON messages (conversation_id, created_ms DESC, seq DESC);
CREATE TABLE IF NOT EXISTS chat_sessions (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    visitor_name TEXT NOT NULL,
    visitor_email TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_sessions_by_conversation ON chat_sessions (conversation_id);
"""

# Order of the fields in the objects (docs/api/seedly-crm.md §4 data model, then additions).
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
)
CONVERSATION_EXTRAS = ("lastMessagePreview", "lastMessageDirection", "updatedAt")
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
    "subject",
    "errorMessage",
    "updatedAt",
)

EMAIL_CHANNELS = ("email", "gmail")
# Meta only lets a business answer within 24 hours of the person's last message
# (docs/api/seedly-crm.md §11).
META_WINDOW_CHANNELS = ("messenger", "instagram")
META_WINDOW_MS = 24 * 3600 * 1000
STATUS_JOB = "conversations.message_status"

BODY_MAX = 100_000
HTML_MAX = 500_000
SUBJECT_MAX = 998  # RFC 5322's line limit: a subject longer than that cannot be sent as is
ADDRESS_MAX = 320
CHAT_MESSAGE_MAX = 5_000
PREVIEW_LEN = 140
ENGAGEMENT_STEP = 2  # an inbound message is a small sign of engagement

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})

_MERGE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_\-]+)?)\s*\}\}")
_CONTACT_TOKENS = ("firstName", "lastName", "email", "phone", "company")


# ---------------------------------------------------------------------------
# Pure rules (unit-tested on their own)


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def resolve_merge_fields(
    text: str | None, contact: dict[str, Any] | None, *, escape_html: bool = False
) -> str | None:
    """Replace the documented merge fields with the contact's current data.

    ``{{firstName}}``, ``{{lastName}}``, ``{{email}}``, ``{{phone}}``,
    ``{{company}}``, ``{{fullName}}`` and ``{{custom_values.key}}`` (from the
    contact's ``customFields``). A known field without a value becomes an empty
    string; an unknown token is left as written so the sender can see the typo.
    ``escape_html`` escapes the inserted values, for an HTML body.
    """
    if not text:
        return text
    data = contact or {}

    def value(token: str) -> str | None:
        if token in _CONTACT_TOKENS:
            return _format_value(data.get(token))
        if token == "fullName":
            return " ".join(p for p in (data.get("firstName"), data.get("lastName")) if p)
        if token.startswith("custom_values."):
            key = token.split(".", 1)[1]
            return _format_value((data.get("customFields") or {}).get(key))
        return None

    def replace(match: re.Match[str]) -> str:
        resolved = value(match.group(1))
        if resolved is None:
            return match.group(0)
        return html.escape(resolved) if escape_html else resolved

    return _MERGE.sub(replace, text)


def sms_keyword(text: str | None) -> str | None:
    """``"stop"`` or ``"start"`` when an sms body is exactly an opt-out/opt-in keyword."""
    word = (text or "").strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


def delivery_outcome(channel: str, to_address: str | None) -> tuple[str, str | None]:
    """The final status of an outbound message and its error, from the recipient address.

    The sandbox's documented test addresses: an email address containing
    ``bounce`` bounces, an sms number starting ``+1555000`` or any address
    containing ``fail`` fails; everything else is delivered.
    """
    address = to_address or ""
    lowered = address.lower()
    if channel in EMAIL_CHANNELS and "bounce" in lowered:
        return "bounced", (
            f"Email bounced: the recipient's mail server rejected {address} "
            "(550 mailbox unavailable)."
        )
    if channel == "sms" and address.startswith("+1555000"):
        return "failed", (
            f"SMS failed: the carrier reported {address} as unreachable "
            "(error 30003). Check the number with the contact."
        )
    if "fail" in lowered:
        return "failed", (
            f"Delivery failed: the {channel} provider rejected the recipient {address}."
        )
    return "delivered", None


def reaches_read(message_id: str) -> bool:
    """Whether a delivered messenger/instagram message is later read (about 40%, per message)."""
    return int(hashlib.sha256(message_id.encode()).hexdigest()[:8], 16) % 100 < 40


def reply_subject(subject: str) -> str:
    """``Re: subject`` without stacking ``Re: Re:``."""
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


def preview(text: str | None) -> str | None:
    """One line of at most 140 characters for inbox lists."""
    if not text:
        return None
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_LEN else line[: PREVIEW_LEN - 1].rstrip() + "…"


def split_name(name: str) -> tuple[str, str]:
    """A visitor's single name field as (first, last); the last name may be empty."""
    parts = name.split()
    if not parts:
        return "", ""
    return parts[0], " ".join(parts[1:])


def dnd_blocks(channel: str, dnd_channels: list[str] | None) -> bool:
    """Whether the contact's opt-outs cover ``channel``.

    email and gmail reach the same mailbox, so an opt-out of either covers both.
    """
    opted = set(dnd_channels or [])
    if channel in EMAIL_CHANNELS:
        return bool(opted & set(EMAIL_CHANNELS))
    return channel in opted


def _delay(message_id: str, step: str, low: int, high: int) -> int:
    # Deterministic per message, so a rerun of the same scenario takes the same time.
    return random.Random(f"{message_id}|{step}").randint(low, high)


# ---------------------------------------------------------------------------
# Storage


def _ms(iso_text: str | None) -> int | None:
    return None if iso_text is None else clock.parse_iso(iso_text)


def _conversation_row(sub_account_id: str, doc: dict[str, Any]) -> tuple[Any, ...]:
    created = clock.parse_iso(doc["createdAt"])
    last = _ms(doc.get("lastMessageAt"))
    return (
        doc["id"],
        sub_account_id,
        doc["contactId"],
        doc["channel"],
        doc["status"],
        doc.get("assignedTo"),
        int(bool(doc.get("isArchived"))),
        last if last is not None else created,
        created,
        clock.parse_iso(doc["updatedAt"]),
        dumps(doc),
    )


_INSERT_CONVERSATION = (
    "INSERT INTO conversations (id, sub_account_id, contact_id, channel, status, assigned_to, "
    "is_archived, sort_ms, created_ms, updated_ms, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_MESSAGE = (
    "INSERT INTO messages (id, sub_account_id, conversation_id, created_ms, direction, status, "
    "channel, is_internal, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _save_conversation(
    store: Store, sub_account_id: str, doc: dict[str, Any], *, insert: bool = False
) -> None:
    row = _conversation_row(sub_account_id, doc)
    if insert:
        store.run(_INSERT_CONVERSATION, row)
    else:
        store.run(
            "UPDATE conversations SET status = ?, assigned_to = ?, is_archived = ?, sort_ms = ?, "
            "updated_ms = ?, doc = ? WHERE id = ? AND sub_account_id = ?",
            (row[4], row[5], row[6], row[7], row[9], row[10], doc["id"], sub_account_id),
        )


def _message_row(sub_account_id: str, doc: dict[str, Any]) -> tuple[Any, ...]:
    return (
        doc["id"],
        sub_account_id,
        doc["conversationId"],
        clock.parse_iso(doc["createdAt"]),
        doc["direction"],
        doc["status"],
        doc["channel"],
        int(bool(doc["isInternal"])),
        dumps(doc),
    )


def _save_message(
    store: Store, sub_account_id: str, doc: dict[str, Any], *, insert: bool = False
) -> None:
    if insert:
        store.run(_INSERT_MESSAGE, _message_row(sub_account_id, doc))
    else:
        store.run(
            "UPDATE messages SET status = ?, doc = ? WHERE id = ? AND sub_account_id = ?",
            (doc["status"], dumps(doc), doc["id"], sub_account_id),
        )


def load_conversation(
    store: Store, sub_account_id: str, conversation_id: str
) -> dict[str, Any] | None:
    """The stored document of a live (not deleted) conversation of this sub-account, or None."""
    row = store.one(
        "SELECT doc FROM conversations WHERE id = ? AND sub_account_id = ? AND deleted_ms IS NULL",
        (conversation_id, sub_account_id),
    )
    return None if row is None else loads(row["doc"])


def _require_conversation(
    store: Store, sub_account_id: str, conversation_id: str
) -> dict[str, Any]:
    doc = load_conversation(store, sub_account_id, conversation_id)
    if doc is None:
        raise not_found("Conversation")
    return doc


def _load_message(store: Store, sub_account_id: str, message_id: str) -> dict[str, Any] | None:
    row = store.one(
        "SELECT doc FROM messages WHERE id = ? AND sub_account_id = ?", (message_id, sub_account_id)
    )
    return None if row is None else loads(row["doc"])


def render_conversation(
    store: Store,
    sub_account_id: str,
    doc: dict[str, Any],
    contact_cache: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The public conversation object with its embedded contact summary (current names)."""
    out = {name: doc.get(name) for name in CONVERSATION_FIELDS}
    out["unreadCount"] = out["unreadCount"] or 0
    out["isArchived"] = bool(out["isArchived"])
    contact_id = doc["contactId"]
    if contact_cache is not None and contact_id in contact_cache:
        summary = contact_cache[contact_id]
    else:
        summary = contacts.summary_by_id(store, sub_account_id, contact_id)
        if contact_cache is not None:
            contact_cache[contact_id] = summary
    out["contact"] = summary
    for name in CONVERSATION_EXTRAS:
        out[name] = doc.get(name)
    return out


def render_message(doc: dict[str, Any]) -> dict[str, Any]:
    """The public message object (the documented fields plus subject, errorMessage, updatedAt)."""
    out = {name: doc.get(name) for name in MESSAGE_FIELDS}
    out["isInternal"] = bool(out["isInternal"])
    return out


def get_conversation(
    store: Store, sub_account_id: str, conversation_id: str
) -> dict[str, Any] | None:
    """The public object of a live conversation, or None."""
    doc = load_conversation(store, sub_account_id, conversation_id)
    return None if doc is None else render_conversation(store, sub_account_id, doc)


# ---------------------------------------------------------------------------
# Addresses


def _account_name(store: Store, sub_account_id: str) -> str:
    return str(store.scalar("SELECT name FROM sub_accounts WHERE id = ?", (sub_account_id,)) or "")


def _business_domain(name: str) -> str:
    # The same domain as the seeded team members' emails (seed.py).
    return (name.lower().split() or ["business"])[0] + ".example"


def _business_number(sub_account_id: str) -> str:
    digits = int(hashlib.sha256(sub_account_id.encode()).hexdigest()[:8], 16) % 10_000
    return f"+1800555{digits:04d}"


def business_address(
    store: Store, sub_account_id: str, channel: str, assigned_to: str | None = None
) -> str:
    """The sub-account's own address on a channel (sender of outbound, recipient of inbound).

    sms: the sub-account's number; email: its shared inbox; gmail: the connected
    mailbox of the assigned team member (or the first one); other channels: the
    business's page name.
    """
    name = _account_name(store, sub_account_id)
    if channel == "sms":
        return _business_number(sub_account_id)
    if channel == "email":
        return f"hello@{_business_domain(name)}"
    if channel == "gmail":
        members = team(store, sub_account_id)
        for member in members:
            if member["id"] == assigned_to:
                return member["email"]
        return members[0]["email"] if members else f"hello@{_business_domain(name)}"
    return name


def contact_address(channel: str, contact: dict[str, Any] | None) -> str | None:
    """The contact's address on a channel: phone for sms, email for email/gmail/live chat,
    an Instagram handle or the display name on the social channels."""
    if not contact:
        return None
    if channel == "sms":
        return contact.get("phone")
    if channel in (*EMAIL_CHANNELS, "live_chat"):
        return contact.get("email")
    first, last = contact.get("firstName") or "", contact.get("lastName") or ""
    if channel == "instagram":
        handle = re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower()).strip(".")
        return f"@{handle}" if handle else None
    name = f"{first} {last}".strip()
    return name or None


# ---------------------------------------------------------------------------
# Conversations


def open_conversation(
    store: Store, sub_account_id: str, contact_id: str, channel: str, subject: str | None = None
) -> tuple[dict[str, Any], bool]:
    """The open conversation of this contact on ``channel``, or a new one.

    Returns (public conversation object, created). Raises ApiError 404 when the
    contact is not a live contact of the sub-account, 400 for an unknown channel.
    The subject only applies to email/gmail (the API notes: "email only"); elsewhere
    it is ignored rather than refused, since the documented examples send it freely.
    """
    if channel not in CHANNELS:
        raise validation(f"channel must be one of: {', '.join(CHANNELS)}", "channel")
    contact = contacts.load(store, sub_account_id, contact_id)
    if contact is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Contact not found: {contact_id} is not a contact of this sub-account",
            field="contactId",
        )
    # The API notes: an existing *open* conversation is returned; closed and snoozed
    # ones are history, so a new one starts.
    row = store.one(
        "SELECT doc FROM conversations WHERE sub_account_id = ? AND contact_id = ? AND channel = ? "
        "AND status = 'open' AND deleted_ms IS NULL ORDER BY sort_ms DESC, id DESC LIMIT 1",
        (sub_account_id, contact_id, channel),
    )
    if row is not None:
        return render_conversation(store, sub_account_id, loads(row["doc"])), False
    now = clock.iso(store.clock.now_ms())
    doc: dict[str, Any] = {
        "id": new_id("conv"),
        "contactId": contact_id,
        "channel": channel,
        "status": "open",
        "assignedTo": contact.get("assignedTo"),  # the contact's owner answers their messages
        "subject": subject if channel in EMAIL_CHANNELS and subject else None,
        "unreadCount": 0,
        "isArchived": False,
        "lastMessageAt": None,
        "createdAt": now,
        "lastMessagePreview": None,
        "lastMessageDirection": None,
        "updatedAt": now,
    }
    _save_conversation(store, sub_account_id, doc, insert=True)
    return render_conversation(store, sub_account_id, doc), True


def update_conversation(
    store: Store, sub_account_id: str, conversation_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply already validated ``status``/``assignedTo`` changes; bumps ``updatedAt`` when
    something changed (never ``lastMessageAt``). Returns the public object."""
    doc = _require_conversation(store, sub_account_id, conversation_id)
    changed = {k: v for k, v in changes.items() if doc.get(k) != v}
    if changed:
        doc.update(changed)
        doc["updatedAt"] = clock.iso(store.clock.now_ms())
        _save_conversation(store, sub_account_id, doc)
    return render_conversation(store, sub_account_id, doc)


def set_status(
    store: Store, sub_account_id: str, conversation_id: str, status: str
) -> dict[str, Any] | None:
    """Set a conversation's status (open, closed, snoozed); None when it does not exist."""
    if status not in CONVERSATION_STATUSES:
        raise validation(f"status must be one of: {', '.join(CONVERSATION_STATUSES)}", "status")
    if load_conversation(store, sub_account_id, conversation_id) is None:
        return None
    return update_conversation(store, sub_account_id, conversation_id, {"status": status})


def _after_message(
    store: Store, sub_account_id: str, conv: dict[str, Any], message: dict[str, Any]
) -> None:
    """Bring the conversation up to date with a new message."""
    now = message["createdAt"]
    conv["updatedAt"] = now
    if message["isInternal"]:
        # A note is the team talking among themselves: no new activity with the contact.
        _save_conversation(store, sub_account_id, conv)
        return
    conv["lastMessageAt"] = now
    conv["lastMessagePreview"] = preview(message["bodyText"])
    conv["lastMessageDirection"] = message["direction"]
    if message["direction"] == "inbound":
        conv["unreadCount"] = (conv.get("unreadCount") or 0) + 1
        # A customer writing back needs an answer, whatever the team had decided.
        conv["status"] = "open"
    else:
        # Whoever answers has read the thread. Status stays as the team set it: an
        # automation's "thanks, all done" must not reopen a closed conversation.
        conv["unreadCount"] = 0
    if not conv.get("subject") and message.get("subject") and conv["channel"] in EMAIL_CHANNELS:
        conv["subject"] = message["subject"]
    _save_conversation(store, sub_account_id, conv)


def _cascade_contact_deleted(store: Store, sub_account_id: str, contact_id: str) -> None:
    """The documented cascade: a deleted contact's conversations are soft-deleted (with
    their chats)."""
    now = store.clock.now_ms()
    store.run(
        "DELETE FROM chat_sessions WHERE sub_account_id = ? AND contact_id = ?",
        (sub_account_id, contact_id),
    )
    store.run(
        "UPDATE conversations SET deleted_ms = ? "
        "WHERE sub_account_id = ? AND contact_id = ? AND deleted_ms IS NULL",
        (now, sub_account_id, contact_id),
    )


# ---------------------------------------------------------------------------
# Messages


def _event_data(message: dict[str, Any], contact: dict[str, Any] | None) -> dict[str, Any]:
    """The payload of message.* events, shaped like the documented message.received example."""
    data: dict[str, Any] = {
        "contactId": contact["id"] if contact else None,
        "messageId": message["id"],
        "conversationId": message["conversationId"],
        "channel": message["channel"],
        "bodyText": message["bodyText"],
        "fromAddress": message["fromAddress"],
        "direction": message["direction"],
    }
    if message["direction"] == "outbound":
        data["toAddress"] = message["toAddress"]
        data["status"] = message["status"]
        if message.get("subject"):
            data["subject"] = message["subject"]
        if message.get("errorMessage"):
            data["reason"] = message["errorMessage"]
    elif message.get("subject"):
        data["subject"] = message["subject"]
    if contact and contact.get("tags"):
        data["tags"] = contact["tags"]
    return data


def _recipient(channel: str, given: str | None, contact: dict[str, Any] | None) -> str | None:
    """The validated recipient: the given address, else the contact's own."""
    address = given or contact_address(channel, contact)
    if channel == "sms":
        if not address:
            raise validation(
                "toAddress is required: the contact has no phone number to text", "toAddress"
            )
        return contacts.check_phone(address, "toAddress")
    if channel in EMAIL_CHANNELS:
        if not address:
            raise validation("toAddress is required: the contact has no email address", "toAddress")
        return contacts.normalise_email(address, "toAddress")
    return address


def send_message(
    store: Store,
    sub_account_id: str,
    conversation_id: str,
    *,
    body_text: str | None,
    channel: str | None,
    to_address: str | None = None,
    subject: str | None = None,
    body_html: str | None = None,
    is_internal: bool = False,
) -> dict[str, Any]:
    """Send an outbound message (or store an internal note) the way the REST API does.

    Validates like ``POST /api/v1/conversations/{id}/messages`` (ApiError on bad
    input), resolves merge fields, enforces DND, and schedules the delivery
    jobs. Returns the public message object.
    """
    conv = _require_conversation(store, sub_account_id, conversation_id)
    if body_text is None or not body_text.strip():
        raise validation("bodyText is required", "bodyText")
    if channel is None and is_internal:
        channel = conv["channel"]  # a note is not sent anywhere; it belongs to the thread
    if channel is None:
        raise validation("channel is required", "channel")
    # The documented send list omits live_chat, yet agents must be able to answer the
    # chats the widget brings in: the sandbox accepts live_chat on a live_chat
    # conversation only (there is no chat to deliver to anywhere else).
    allowed = SEND_CHANNELS + (("live_chat",) if conv["channel"] == "live_chat" else ())
    if channel not in allowed:
        extra = " (live_chat only on a live_chat conversation)" if channel == "live_chat" else ""
        raise validation(f"channel must be one of: {', '.join(SEND_CHANNELS)}{extra}", "channel")
    contact = contacts.load(store, sub_account_id, conv["contactId"])
    is_email = channel in EMAIL_CHANNELS
    if not is_email:
        # Subject and HTML only mean something in an email; the documented sms example
        # carries both, so they are dropped rather than refused.
        subject = body_html = None
    from_address: str | None = None
    if not is_internal:
        to_address = _recipient(channel, to_address, contact)
        from_address = business_address(store, sub_account_id, channel, conv.get("assignedTo"))
        if is_email and not subject:
            if not conv.get("subject"):
                raise validation(
                    "subject is required for email messages: this conversation "
                    "has no subject to reply to",
                    "subject",
                )
            subject = reply_subject(conv["subject"])
    else:
        to_address = None
    body_text = resolve_merge_fields(body_text, contact)
    subject = resolve_merge_fields(subject, contact)
    body_html = resolve_merge_fields(body_html, contact, escape_html=True)
    now = clock.iso(store.clock.now_ms())
    doc: dict[str, Any] = {
        "id": new_id("msg"),
        "conversationId": conv["id"],
        "channel": channel,
        "direction": "outbound",
        "bodyText": body_text,
        "bodyHtml": body_html or None,
        "status": "pending",
        "fromAddress": from_address,
        "toAddress": to_address,
        "isInternal": is_internal,
        "createdAt": now,
        "subject": subject or None,
        "errorMessage": None,
        "updatedAt": now,
    }
    if is_internal:
        doc["status"] = "sent"  # nothing to deliver: it is in the thread the moment it is written
    elif contact is not None and dnd_blocks(channel, contact.get("dndChannels")):
        # The API notes: "the send will be silently skipped". The request succeeds, the message
        # shows in the thread as failed with the reason, and no provider or webhook is involved.
        doc["status"] = "failed"
        name = " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)
        doc["errorMessage"] = (
            f"Not sent: {name or 'the contact'} has opted out of {channel} "
            "messages (DND). The send was skipped."
        )
    else:
        step = "sent"
        if channel in META_WINDOW_CHANNELS:
            last_in = store.scalar(
                "SELECT MAX(created_ms) FROM messages WHERE conversation_id = ? AND channel = ? "
                "AND direction = 'inbound'",
                (conv["id"], channel),
            )
            if last_in is None or store.clock.now_ms() - last_in > META_WINDOW_MS:
                step = "reject"
        jobs.schedule(
            store,
            _delay(doc["id"], step, 500, 1500),
            STATUS_JOB,
            {"sub": sub_account_id, "messageId": doc["id"], "step": step},
        )
    _save_message(store, sub_account_id, doc, insert=True)
    _after_message(store, sub_account_id, conv, doc)
    return render_message(doc)


def receive_inbound(
    store: Store,
    sub_account_id: str,
    conversation_id: str,
    body_text: str,
    *,
    from_address: str | None = None,
    subject: str | None = None,
    body_html: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """Store a message the contact sent; returns the public message object.

    Marks it delivered, bumps the conversation's ``unreadCount`` and
    ``lastMessageAt`` and reopens it, nudges the contact's ``engagementScore``,
    applies sms STOP/START keywords to the contact's ``dndChannels`` and fires
    ``message.received``. Raises ApiError (404 unknown conversation, 400 bad input).
    """
    conv = _require_conversation(store, sub_account_id, conversation_id)
    channel = channel or conv["channel"]
    if channel not in CHANNELS:
        raise validation(f"channel must be one of: {', '.join(CHANNELS)}", "channel")
    if not isinstance(body_text, str) or not body_text.strip():
        raise validation("bodyText is required", "bodyText")
    contact = contacts.load(store, sub_account_id, conv["contactId"])
    if channel in EMAIL_CHANNELS:
        if not subject and conv.get("subject"):
            subject = reply_subject(conv["subject"])
    else:
        subject = body_html = None
    now = clock.iso(store.clock.now_ms())
    doc: dict[str, Any] = {
        "id": new_id("msg"),
        "conversationId": conv["id"],
        "channel": channel,
        "direction": "inbound",
        "bodyText": body_text,
        "bodyHtml": body_html or None,
        "status": "delivered",
        "fromAddress": from_address or contact_address(channel, contact),
        "toAddress": business_address(store, sub_account_id, channel, conv.get("assignedTo")),
        "isInternal": False,
        "createdAt": now,
        "subject": subject or None,
        "errorMessage": None,
        "updatedAt": now,
    }
    _save_message(store, sub_account_id, doc, insert=True)
    _after_message(store, sub_account_id, conv, doc)
    if contact is not None:
        changes: dict[str, Any] = {
            "engagementScore": min(100, (contact.get("engagementScore") or 0) + ENGAGEMENT_STEP)
        }
        keyword = sms_keyword(body_text) if channel == "sms" else None
        dnd = list(contact.get("dndChannels") or [])
        if keyword == "stop" and "sms" not in dnd:
            changes["dndChannels"] = [*dnd, "sms"]
        elif keyword == "start" and "sms" in dnd:
            changes["dndChannels"] = [c for c in dnd if c != "sms"]
        contacts.touch(store, sub_account_id, contact["id"], **changes)
    events.emit(store, sub_account_id, "message.received", _event_data(doc, contact))
    return render_message(doc)


def _advance_status(store: Store, payload: dict[str, Any]) -> None:
    """One step of an outbound message's life with its provider."""
    sub, step = payload["sub"], payload["step"]
    doc = _load_message(store, sub, payload["messageId"])
    conv = None if doc is None else load_conversation(store, sub, doc["conversationId"])
    if doc is None or conv is None:
        return  # the conversation went with its contact: nothing left to report
    contact = contacts.load(store, sub, conv["contactId"])
    now = clock.iso(store.clock.now_ms())
    event: str | None = None
    if step == "reject" and doc["status"] == "pending":
        doc["status"] = "failed"
        doc["errorMessage"] = (
            f"Not delivered: {doc['channel']} only allows replies within 24 hours of the "
            "contact's last message (Meta's messaging window). Wait for the contact to write "
            "again."
        )
        event = "message.failed"
    elif step == "sent" and doc["status"] == "pending":
        doc["status"] = "sent"
        event = "message.sent"
        jobs.schedule(
            store,
            _delay(doc["id"], "deliver", 1000, 3000),
            STATUS_JOB,
            {"sub": sub, "messageId": doc["id"], "step": "deliver"},
        )
    elif step == "deliver" and doc["status"] == "sent":
        status, error = delivery_outcome(doc["channel"], doc["toAddress"])
        doc["status"], doc["errorMessage"] = status, error
        event = "message.delivered" if status == "delivered" else "message.failed"
        if (
            status == "delivered"
            and doc["channel"] in META_WINDOW_CHANNELS
            and reaches_read(doc["id"])
        ):
            jobs.schedule(
                store,
                _delay(doc["id"], "read", 2000, 6000),
                STATUS_JOB,
                {"sub": sub, "messageId": doc["id"], "step": "read"},
            )
    elif step == "read" and doc["status"] == "delivered":
        doc["status"] = "read"  # the API notes have no message.read event
    else:
        return
    doc["updatedAt"] = now
    _save_message(store, sub, doc)
    if event is not None:
        events.emit(store, sub, event, _event_data(doc, contact))


# ---------------------------------------------------------------------------
# REST routes


def create_conversation(ctx: Ctx) -> Reply:
    """``{contactId, channel, subject?}`` → 201 and ``created: true``, or the open one with 200."""
    body = ctx.body
    contact_id = body.str("contactId", required=True, max_len=100)
    channel = body.str("channel", required=True, choices=CHANNELS)
    subject = body.str("subject", max_len=SUBJECT_MAX)
    assert contact_id is not None and channel is not None
    doc, created = open_conversation(ctx.store, ctx.account, contact_id, channel, subject or None)
    return Reply({**doc, "created": created}, status=201 if created else 200)


def list_conversations(ctx: Ctx) -> Reply:
    """Most recent first (``lastMessageAt``, else ``createdAt``); status/channel/contactId/
    assignedTo filters; keyset cursor."""
    q = ctx.query
    default, maximum = LIST_LIMITS["conversations"]
    limit = q.limit(default, maximum)
    where = ["sub_account_id = ?", "deleted_ms IS NULL"]
    params: list[Any] = [ctx.account]
    status = q.str("status", choices=CONVERSATION_STATUSES)
    channel = q.str("channel", choices=CHANNELS)
    contact_id = q.str("contactId", max_len=100)
    assigned = q.str("assignedTo", max_len=100)
    for column, value in (
        ("status", status),
        ("channel", channel),
        ("contact_id", contact_id),
        ("assigned_to", assigned),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    cache: dict[str, Any] = {}
    return keyset_page(
        ctx,
        kind="conversations",
        table_sql="conversations",
        where=where,
        params=params,
        sort_col="sort_ms",
        id_col="id",
        limit=limit,
        filters=[ctx.account, status, channel, contact_id, assigned],
        render=lambda row: render_conversation(ctx.store, ctx.account, loads(row["doc"]), cache),
    )


def get_conversation_route(ctx: Ctx) -> Reply:
    """One live conversation of this sub-account (404 otherwise, deleted ones included)."""
    doc = _require_conversation(ctx.store, ctx.account, ctx.path["id"])
    return Reply(render_conversation(ctx.store, ctx.account, doc))


def patch_conversation(ctx: Ctx) -> Reply:
    """``{status?, assignedTo?}``; ``assignedTo: null`` unassigns; only a team member may be set."""
    _require_conversation(ctx.store, ctx.account, ctx.path["id"])
    body = ctx.body
    changes: dict[str, Any] = {}
    if "status" in body:
        changes["status"] = body.str("status", required=True, choices=CONVERSATION_STATUSES)
    if "assignedTo" in body:
        user = body.str("assignedTo", max_len=100)
        if user and user not in {m["id"] for m in team(ctx.store, ctx.account)}:
            raise validation(
                f"assignedTo is not a team member of this sub-account: {user}", "assignedTo"
            )
        changes["assignedTo"] = user or None
    return Reply(update_conversation(ctx.store, ctx.account, ctx.path["id"], changes))


def list_messages(ctx: Ctx) -> Reply:
    """The thread newest first, internal notes included (limit 50, at most 100; cursor)."""
    conv = _require_conversation(ctx.store, ctx.account, ctx.path["id"])
    default, maximum = LIST_LIMITS["messages"]
    limit = ctx.query.limit(default, maximum)
    return keyset_page(
        ctx,
        kind="messages",
        table_sql="messages",
        where=["sub_account_id = ?", "conversation_id = ?"],
        params=[ctx.account, conv["id"]],
        sort_col="created_ms",
        id_col="seq",
        limit=limit,
        filters=[ctx.account, conv["id"]],
        render=lambda row: render_message(loads(row["doc"])),
    )


def post_message(ctx: Ctx) -> Reply:
    """Send a message or write an internal note; 201 with the stored message."""
    _require_conversation(ctx.store, ctx.account, ctx.path["id"])
    body = ctx.body
    is_internal = bool(body.bool("isInternal"))
    message = send_message(
        ctx.store,
        ctx.account,
        ctx.path["id"],
        body_text=body.str("bodyText", required=True, max_len=BODY_MAX, strip=False),
        channel=body.str("channel", required=not is_internal, max_len=30),
        to_address=body.str("toAddress", max_len=ADDRESS_MAX) or None,
        subject=body.str("subject", max_len=SUBJECT_MAX) or None,
        body_html=body.str("bodyHtml", max_len=HTML_MAX, strip=False) or None,
        is_internal=is_internal,
    )
    return Reply(message, status=201)


# ---------------------------------------------------------------------------
# Live chat (public; rate-limited per IP by the middleware)

_WIDGET_COLORS = {"sub_harbor_dental": "#0E7490", "sub_summit_roofing": "#B45309"}
_PALETTE = ("#2563EB", "#059669", "#7C3AED", "#DB2777", "#EA580C")


def _sub_account(store: Store, sub_account_id: str) -> Any:
    row = store.one("SELECT id, name, timezone FROM sub_accounts WHERE id = ?", (sub_account_id,))
    if row is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Sub-account not found: {sub_account_id} has no live chat widget",
            field="subAccountId",
        )
    return row


def widget_config(store: Store, sub_account_id: str) -> dict[str, Any]:
    """What the chat widget needs to draw itself; 404 for an unknown sub-account."""
    row = _sub_account(store, sub_account_id)
    color = (
        _WIDGET_COLORS.get(row["id"])
        or _PALETTE[int(hashlib.sha256(row["id"].encode()).hexdigest()[:4], 16) % len(_PALETTE)]
    )
    return {
        "subAccountId": row["id"],
        "enabled": True,
        "businessName": row["name"],
        "greeting": f"Hi there 👋 Thanks for visiting {row['name']}. How can we help you today?",
        "primaryColor": color,
        "position": "bottom-right",
        "requireName": True,
        "requireEmail": True,
        "offlineMessage": "We're away right now. Leave a message and we'll reply by email.",
        "timezone": row["timezone"],
    }


def _chat_view(doc: dict[str, Any]) -> dict[str, Any]:
    # The widget is public: it gets what a visitor may see, no CRM ids or addresses.
    return {
        "id": doc["id"],
        "direction": doc["direction"],
        "sender": "visitor" if doc["direction"] == "inbound" else "agent",
        "bodyText": doc["bodyText"],
        "status": doc["status"],
        "createdAt": doc["createdAt"],
    }


def _chat_session(store: Store, session_id: str) -> Any:
    row = store.one("SELECT * FROM chat_sessions WHERE id = ?", (session_id,))
    if (
        row is None
        or load_conversation(store, row["sub_account_id"], row["conversation_id"]) is None
    ):
        raise ApiError(
            404,
            "NOT_FOUND",
            "Chat session not found or ended. Start a new one with POST /api/chat/session.",
            field="sessionId",
        )
    return row


def chat_config(ctx: Ctx) -> Reply:
    """``?subAccountId=`` → the widget's configuration."""
    sub = ctx.query.str("subAccountId", required=True, max_len=100)
    assert sub is not None
    return Reply(widget_config(ctx.store, sub))


def chat_session(ctx: Ctx) -> Reply:
    """``{subAccountId, visitorName, visitorEmail}`` → a session token for the widget."""
    body = ctx.body
    sub = body.str("subAccountId", required=True, max_len=100)
    name = body.str("visitorName", required=True, max_len=200)
    email = body.str("visitorEmail", required=True, max_len=ADDRESS_MAX)
    assert sub is not None and name is not None and email is not None
    _sub_account(ctx.store, sub)
    email = contacts.normalise_email(email, "visitorEmail")
    first, last = split_name(name)
    contact, _ = contacts.find_or_create(
        ctx.store, sub, first_name=first, last_name=last, email=email, source="live_chat"
    )
    conv, _ = open_conversation(ctx.store, sub, contact["id"], "live_chat")
    now = ctx.now()
    session_id = "chat_" + secrets.token_urlsafe(32)
    ctx.store.run(
        "INSERT INTO chat_sessions (id, sub_account_id, contact_id, conversation_id, visitor_name, "
        "visitor_email, created_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, sub, contact["id"], conv["id"], name, email, now, now),
    )
    # The widget is public and anyone can type any email: it gets a session token,
    # never the contact or conversation ids (those stay in the CRM).
    return Reply(
        {
            "sessionId": session_id,
            "subAccountId": sub,
            "visitorName": name,
            "visitorEmail": email,
            "greeting": widget_config(ctx.store, sub)["greeting"],
            "createdAt": clock.iso(now),
        },
        status=201,
    )


def chat_message(ctx: Ctx) -> Reply:
    """``{sessionId, message}`` → the visitor's message, in the inbox as inbound live_chat."""
    body = ctx.body
    session_id = body.str("sessionId", required=True, max_len=200)
    text = body.str("message", required=True, max_len=CHAT_MESSAGE_MAX)
    assert session_id is not None and text is not None
    session = _chat_session(ctx.store, session_id)
    message = receive_inbound(
        ctx.store,
        session["sub_account_id"],
        session["conversation_id"],
        text,
        from_address=session["visitor_email"],
        channel="live_chat",
    )
    ctx.store.run("UPDATE chat_sessions SET last_seen_ms = ? WHERE id = ?", (ctx.now(), session_id))
    return Reply(_chat_view(message), status=201)


def chat_messages(ctx: Ctx) -> Reply:
    """``?sessionId=`` → the session's chat, oldest first, without internal notes."""
    session_id = ctx.query.str("sessionId", required=True, max_len=200)
    assert session_id is not None
    session = _chat_session(ctx.store, session_id)
    sub = session["sub_account_id"]
    # Only this session's chat: a visitor who types someone else's email must not
    # read that person's earlier conversation, nor the team's internal notes.
    rows = ctx.store.all(
        "SELECT doc FROM messages WHERE sub_account_id = ? AND conversation_id = ? "
        "AND channel = 'live_chat' AND is_internal = 0 AND created_ms >= ? "
        "ORDER BY created_ms, seq LIMIT 500",
        (sub, session["conversation_id"], session["created_ms"]),
    )
    out = []
    now = clock.iso(ctx.now())
    for row in rows:
        doc = loads(row["doc"])
        if doc["direction"] == "outbound" and doc["status"] == "delivered":
            # The widget showing an agent's reply is the chat's read receipt.
            doc["status"], doc["updatedAt"] = "read", now
            _save_message(ctx.store, sub, doc)
        out.append(_chat_view(doc))
    ctx.store.run("UPDATE chat_sessions SET last_seen_ms = ? WHERE id = ?", (ctx.now(), session_id))
    return Reply(out)


# ---------------------------------------------------------------------------
# Control endpoint: make a contact write in (tests, tools)


def control_inbound(ctx: Ctx) -> Reply:
    """``{subAccountId, conversationId | (contactId + channel), bodyText, fromAddress?,
    subject?, bodyHtml?}`` → the inbound message (the conversation is opened if needed)."""
    body = ctx.body
    sub = body.str("subAccountId", required=True, max_len=100)
    assert sub is not None
    if ctx.store.one("SELECT 1 FROM sub_accounts WHERE id = ?", (sub,)) is None:
        raise ApiError(404, "NOT_FOUND", f"Sub-account not found: {sub}", field="subAccountId")
    text = body.str("bodyText", required=True, max_len=BODY_MAX, strip=False)
    conversation_id = body.str("conversationId", max_len=100)
    if conversation_id:
        _require_conversation(ctx.store, sub, conversation_id)
        channel = body.str("channel", choices=CHANNELS)
    else:
        contact_id = body.str("contactId", required=True, max_len=100)
        channel = body.str("channel", required=True, choices=CHANNELS)
        assert contact_id is not None and channel is not None
        conv, _ = open_conversation(ctx.store, sub, contact_id, channel)
        conversation_id = conv["id"]
    message = receive_inbound(
        ctx.store,
        sub,
        conversation_id,
        text or "",
        from_address=body.str("fromAddress", max_len=ADDRESS_MAX) or None,
        subject=body.str("subject", max_len=SUBJECT_MAX) or None,
        body_html=body.str("bodyHtml", max_len=HTML_MAX, strip=False) or None,
        channel=channel,
    )
    return Reply(message, status=201)


# ---------------------------------------------------------------------------
# Demo seed

_DENTAL_TOPICS: list[list[tuple[str, str]]] = [
    [
        ("in", "Hi, I'd like to book a cleaning. Do you have anything next week?"),
        (
            "out",
            "Hi {first}! Thanks for reaching out to {biz}. We have openings on {day} at {time} "
            "or Thursday at 2:30 PM. Which works better?",
        ),
        ("in", "{day} at {time} works for me."),
        (
            "out",
            "You're all set for {day} at {time} with Dr. Alvarez. Please arrive 10 minutes early "
            "to update your paperwork.",
        ),
        ("in", "Perfect, thank you!"),
    ],
    [
        (
            "out",
            "Reminder: your appointment at {biz} is on {day} at {time}. Reply C to confirm or R "
            "to reschedule.",
        ),
        ("in", "C"),
        ("out", "Thanks {first}, you're confirmed. See you soon!"),
    ],
    [
        ("in", "Something came up at work, can I move my appointment to later in the week?"),
        ("out", "No problem! I can offer Friday at 9:00 AM or 11:30 AM."),
        ("in", "11:30 please"),
        ("out", "Done — you're now booked for Friday at 11:30 AM."),
    ],
    [
        ("in", "Do you take {insurance}? My employer just switched plans."),
        (
            "out",
            "Yes, we're in-network with {insurance}. Could you send a photo of the front and "
            "back of your card before your visit?",
        ),
        ("in", "Sure, sending it now."),
        (
            "out",
            "Got it, thanks! Our billing team will verify your benefits and let you know if "
            "anything is out of pocket.",
        ),
    ],
    [
        (
            "in",
            "I have a bad toothache on the lower left side since last night. Can someone see me "
            "today?",
        ),
        (
            "out",
            "I'm sorry to hear that, {first}. We keep emergency slots open — can you come in at "
            "{time} today?",
        ),
        ("in", "Yes, I'll be there. Thank you so much."),
        (
            "out",
            "See you at {time}. If the swelling gets worse before then, please call us right away.",
        ),
    ],
    [
        ("in", "I got a bill for {amount} but I thought insurance covered the crown?"),
        (
            "out",
            "Thanks for flagging this. Your plan covered 50% of the crown; the remaining "
            "{amount} is your portion. I've emailed you the itemized statement.",
        ),
        ("in", "Ok that makes sense. Can I pay in two installments?"),
        (
            "out",
            "Absolutely — I've set up a two-payment plan. The first payment is due on the 15th.",
        ),
    ],
    [
        ("in", "How much is teeth whitening? Saw your post about the spring special."),
        (
            "out",
            "Our in-office whitening is $299 this month (normally $450). It takes about 90 "
            "minutes. Want me to find you a time?",
        ),
        ("in", "Maybe, let me check my schedule and get back to you."),
        ("out", "Sounds good! Just reply here whenever you're ready."),
    ],
    [
        (
            "out",
            "Thanks for visiting {biz} today, {first}! How was your experience? We'd love a "
            "quick review: https://g.page/r/harbor-dental/review",
        ),
        ("in", "Everyone was great, I'll leave a review tonight."),
        ("out", "That means a lot to us — thank you!"),
    ],
    [
        (
            "out",
            "Welcome to {biz}! Please fill out your new patient forms before your first visit: "
            "https://forms.example.com/new-patient/{code}",
        ),
        ("in", "Done! Do I need to bring my X-rays from my old dentist?"),
        (
            "out",
            "If you have X-rays from the last 12 months, we'll request them directly — just tell "
            "us your previous dentist's name.",
        ),
        ("in", "It was Dr. Kim at Lakeside Family Dental."),
        ("out", "Perfect, we'll take care of it."),
    ],
    [
        ("in", "Can I book both of my kids back to back? They're 7 and 10."),
        (
            "out",
            "Of course! We have two back-to-back slots on {day} starting at {time}. Shall I "
            "reserve both?",
        ),
        ("in", "Yes please"),
        ("out", "Booked! We'll send a reminder the day before."),
    ],
]

_ROOFING_TOPICS: list[list[tuple[str, str]]] = [
    [
        ("in", "Hi, we had some shingles blow off in last week's storm. Can someone take a look?"),
        (
            "out",
            "Hi {first}, thanks for contacting {biz}. We can send an inspector out {day} "
            "between {time} and 2 PM. Does that window work?",
        ),
        ("in", "Yes, someone will be home."),
        (
            "out",
            "Great, you're on the schedule. {agent_first} will call 30 minutes before arriving.",
        ),
    ],
    [
        (
            "out",
            "Your estimate for the full roof replacement is ready: {amount} including tear-off "
            "and disposal. You can review and sign it here: https://quotes.example.com/{code}",
        ),
        ("in", "That's a bit more than I expected. Is there any flexibility on the price?"),
        (
            "out",
            "I understand. If we switch to the architectural shingle line we can bring it down by "
            "about 8%. Want me to revise the estimate?",
        ),
        ("in", "Yes please send the revised one."),
        ("out", "Revised estimate sent — check your email."),
    ],
    [
        (
            "in",
            "My adjuster is coming Thursday. Can someone from your team meet them at the house?",
        ),
        (
            "out",
            "Yes, we do that all the time. Our project manager will meet the adjuster and "
            "document the hail damage with photos.",
        ),
        ("in", "Thank you, that's a big help."),
        ("out", "Happy to help. We'll send you the photo report afterwards for your claim."),
    ],
    [
        (
            "out",
            "Good news, {first}: materials arrive {day}. We'd like to start installation on "
            "Monday at 7:00 AM, weather permitting.",
        ),
        ("in", "Monday works. Should we move the cars out of the driveway?"),
        (
            "out",
            "Yes please — and cover anything fragile in the attic. The crew will put tarps "
            "around the landscaping.",
        ),
        ("in", "Will do."),
    ],
    [
        ("in", "Water is coming through the ceiling in the upstairs bedroom!!"),
        (
            "out",
            "I'm sorry, {first} — we'll get an emergency crew out to tarp the roof today. Can you "
            "send a photo of the area?",
        ),
        ("in", "Sent. It's right above the window."),
        ("out", "Thanks. The crew is on the way, ETA about 90 minutes."),
    ],
    [
        ("in", "Do you guys also do gutters? Ours are sagging on the back side."),
        (
            "out",
            "We do! Seamless aluminum gutters run about $12 per linear foot. We can quote them "
            "together with the roof.",
        ),
        ("in", "Sure, add it to the estimate."),
    ],
    [
        ("in", "Is the roof covered under warranty? You replaced it for us in 2019."),
        (
            "out",
            "Yes — your roof has our 10-year workmanship warranty plus the manufacturer's "
            "30-year shingle warranty. What are you seeing?",
        ),
        ("in", "A few shingles are curling near the chimney."),
        ("out", "Let's take a look at no charge. Is {day} morning okay?"),
    ],
    [
        (
            "out",
            "Your invoice for {amount} is ready. You can pay online here: "
            "https://pay.example.com/{code}",
        ),
        ("in", "Paid this morning, thanks!"),
        ("out", "Received — thank you for choosing {biz}!"),
    ],
    [
        (
            "out",
            "Thanks again for choosing {biz}, {first}! If you're happy with the new roof, a "
            "quick review would mean a lot: https://g.page/r/summit-roofing/review",
        ),
        ("in", "The crew did an amazing job cleaning up. Review posted!"),
        ("out", "Thank you! We'll pass that along to the crew."),
    ],
    [
        (
            "in",
            "We manage a 40,000 sq ft warehouse and are collecting bids for a TPO roof. Are you "
            "taking commercial work?",
        ),
        (
            "out",
            "We are. Could you send the building address and any existing drawings? We'll "
            "schedule a walk-through.",
        ),
        ("in", "Sending the drawings by email today."),
        ("out", "Perfect, we'll confirm a walk-through date once we've reviewed them."),
    ],
]

_NOTES = {
    "dental": [
        "Called {first} and left a voicemail about the open balance.",
        "Patient prefers morning appointments.",
        "Insurance verified — 80% coverage on basic procedures.",
        "Flagged for Dr. Alvarez to review the X-rays before the visit.",
        "Prefers Spanish; Chloe can take the next call.",
    ],
    "roofing": [
        "Adjuster meeting confirmed with the insurer.",
        "Customer prefers texts over calls.",
        "Needs a second estimate with the premium shingle line.",
        "Gate code is in the contact's custom fields.",
        "Crew lead assigned; materials ordered.",
    ],
}
# The email subject of a thread that starts with the topic of the same position above.
_SUBJECTS = {
    "dental": [
        "Appointment request",
        "Your upcoming appointment at {biz}",
        "Rescheduling my appointment",
        "Question about my insurance",
        "Toothache — urgent",
        "Question about my bill",
        "Teeth whitening special",
        "How was your visit?",
        "Welcome to {biz}: new patient forms",
        "Appointments for my kids",
    ],
    "roofing": [
        "Storm damage — inspection request",
        "Your roofing estimate from {biz}",
        "Insurance adjuster visit",
        "Your installation date",
        "Roof leak — urgent",
        "Gutter quote",
        "Warranty question",
        "Invoice from {biz}",
        "Thank you from {biz}",
        "Commercial roofing bid",
    ],
}
_NUDGES = [
    "Hello? Just checking you got my message.",
    "Also — is there parking nearby?",
    "Sorry, one more question: do you open on Saturdays?",
]
_INSURERS = ["Delta Dental", "Aetna", "Cigna", "MetLife", "Guardian", "Blue Cross"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
_TIMES = ["8:30 AM", "9:00 AM", "10:15 AM", "11:00 AM", "1:30 PM", "3:00 PM", "4:45 PM"]
# Every channel appears; sms and email dominate as in a real small-business inbox.
_CHANNEL_WEIGHTS = {
    "sms": 30,
    "email": 20,
    "gmail": 8,
    "messenger": 10,
    "instagram": 8,
    "live_chat": 12,
    "social_dm": 8,
}
_MINUTE = 60_000
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def _kind_of(name: str) -> str:
    return "roofing" if "roof" in name.lower() else "dental"


def _thread_lengths(rng: random.Random, count: int, large: bool) -> list[int]:
    """Mostly short threads, some long ones, one 80+ and (large account) one of ~120."""
    lengths = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.25:
            lengths.append(rng.randint(1, 3))
        elif roll < 0.75:
            lengths.append(rng.randint(4, 14))
        elif roll < 0.93:
            lengths.append(rng.randint(15, 40))
        else:
            lengths.append(rng.randint(41, 79))
    lengths[min(3, count - 1)] = rng.randint(82, 95)
    if large:
        lengths[min(1, count - 1)] = 120
    return lengths


def _email_text(direction: str, text: str, values: dict[str, str]) -> tuple[str, str]:
    if direction == "out":
        plain = (
            f"Hi {values['first']},\n\n{text}\n\nBest regards,\n{values['agent']}\n{values['biz']}"
        )
        rich = (
            f"<p>Hi {html.escape(values['first'])},</p><p>{html.escape(text)}</p>"
            f"<p>Best regards,<br>{html.escape(values['agent'])}<br>"
            f"{html.escape(values['biz'])}</p>"
        )
    else:
        plain = f"Hi,\n\n{text}\n\nThanks,\n{values['first']} {values['last']}"
        rich = (
            f"<div>Hi,</div><div>{html.escape(text)}</div>"
            f"<div>Thanks,<br>{html.escape(values['first'])}</div>"
        )
    return plain, rich


def _seed_thread(
    rng: random.Random, kind: str, length: int
) -> tuple[list[tuple[str, str, bool]], str]:
    """(direction, template, starts_topic) items: topics one after another, with notes;
    and the subject of the first topic."""
    topics = _DENTAL_TOPICS if kind == "dental" else _ROOFING_TOPICS
    out: list[tuple[str, str, bool]] = []
    subject = ""
    while len(out) < length:
        index = rng.randrange(len(topics))
        topic = topics[index]
        subject = subject or _SUBJECTS[kind][index]
        first = True
        for direction, template in topic:
            out.append((direction, template, first))
            first = False
            if direction == "in" and rng.random() < 0.06:
                out.append(("in", rng.choice(_NUDGES), False))
        if length >= 4 and rng.random() < 0.3:
            out.append(("note", rng.choice(_NOTES[kind]), False))
    return out[:length], subject


def _outbound_status(rng: random.Random, channel: str) -> tuple[str, str | None]:
    roll = rng.random()
    if channel == "sms" and roll < 0.04:
        return "failed", "SMS failed: the carrier reported the number as unreachable (error 30003)."
    if channel in EMAIL_CHANNELS and roll < 0.03:
        return "bounced", "Email bounced: the recipient's mail server rejected the address (550)."
    if channel in (*META_WINDOW_CHANNELS, "live_chat") and roll < 0.6:
        return "read", None
    return "delivered", None


def _pick_contacts(
    rng: random.Random, docs: list[dict[str, Any]], channels: list[str]
) -> list[dict[str, Any] | None]:
    """A distinct (contact, channel) pair per conversation, with the address the channel needs."""
    pool = list(docs)
    rng.shuffle(pool)
    used: set[tuple[str, str]] = set()
    chosen: list[dict[str, Any] | None] = []
    cursor = 0
    for channel in channels:
        picked = None
        # Now and then a contact already in the inbox writes on a second channel.
        if chosen and rng.random() < 0.12:
            earlier = rng.choice([c for c in chosen if c is not None] or [None])
            if (
                earlier is not None
                and (earlier["id"], channel) not in used
                and contact_address(channel, earlier)
            ):
                picked = earlier
        while picked is None and cursor < len(pool):
            candidate = pool[cursor]
            cursor += 1
            if contact_address(channel, candidate) and (candidate["id"], channel) not in used:
                picked = candidate
        if picked is not None:
            used.add((picked["id"], channel))
        chosen.append(picked)
    return chosen


def _seed_account(store: Store, ctx: SeedContext, acct: AccountSeed, large: bool) -> None:
    rng = ctx.rng("conversations", acct.id)
    kind = _kind_of(acct.name)
    docs = [
        loads(r["doc"])
        for r in store.all(
            "SELECT doc FROM contacts WHERE sub_account_id = ? AND deleted_ms IS NULL ORDER BY id",
            (acct.id,),
        )
    ]
    if not docs or acct.conversations <= 0:
        return
    names = list(_CHANNEL_WEIGHTS)
    channels = names[: acct.conversations] + rng.choices(
        names, weights=list(_CHANNEL_WEIGHTS.values()), k=max(0, acct.conversations - len(names))
    )
    rng.shuffle(channels)
    picked = _pick_contacts(rng, docs, channels)
    lengths = _thread_lengths(rng, acct.conversations, large)
    members = acct.users or [{"id": None, "name": acct.name, "email": ""}]
    number = _business_number(acct.id)
    shared_inbox = f"hello@{_business_domain(acct.name)}"
    conv_rows: list[tuple[Any, ...]] = []
    msg_rows: list[tuple[Any, ...]] = []
    stop_done = False
    opted_out: list[dict[str, Any]] = []
    for index, (channel, contact, length) in enumerate(zip(channels, picked, lengths, strict=True)):
        if contact is None:
            continue
        # A handful answered in the last day, the rest spread over ~60 days (more recent, more).
        if index < 8:
            last_ms = ctx.now_ms - rng.randint(2 * _MINUTE, 20 * _HOUR)
        else:
            spread = int((rng.random() ** 1.4) * 59 * _DAY)
            last_ms = ctx.now_ms - spread - rng.randint(_DAY, 2 * _DAY)
        assignee = rng.choice(members) if rng.random() < 0.65 else None
        agent = assignee or rng.choice(members)
        values = {
            "first": contact["firstName"],
            "last": contact["lastName"],
            "biz": acct.name,
            "agent": agent["name"],
            "agent_first": agent["name"].split()[0],
            "day": "Monday",
            "time": "9:00 AM",
            "amount": "$250",
            "code": "a1b2c3",
            "insurance": "Aetna",
        }
        our_address = {
            "sms": number,
            "email": shared_inbox,
            "gmail": agent.get("email") or shared_inbox,
        }.get(channel, acct.name)
        their_address = contact_address(channel, contact)
        items, topic_subject = _seed_thread(rng, kind, length)
        subject = topic_subject.format(biz=acct.name) if channel in EMAIL_CHANNELS else None
        # One recent sms thread ends with the contact texting STOP (a DND example).
        stop_here = channel == "sms" and not stop_done and index < 8 and length >= 2
        if stop_here:
            items[-1] = ("in", "STOP", False)
            stop_done = True
            opted_out.append(contact)
        # Walk back in time from the last message.
        stamps: list[int] = []
        t = last_ms
        for _direction, _template, gap_before in reversed(items):
            stamps.append(t)
            if gap_before:
                t -= rng.randint(12 * _HOUR, 6 * _DAY)
            elif channel == "live_chat":
                t -= rng.randint(10_000, 3 * _MINUTE)
            elif channel in EMAIL_CHANNELS:
                t -= rng.randint(20 * _MINUTE, 8 * _HOUR)
            else:
                t -= rng.randint(1 * _MINUTE, 50 * _MINUTE)
        stamps.reverse()
        conv_id = ctx.make_id(rng, "conv")
        last_preview = last_direction = None
        trailing_inbound = 0
        for position, ((direction, template, gap_before), stamp) in enumerate(
            zip(items, stamps, strict=True)
        ):
            if gap_before:
                values.update(
                    day=rng.choice(_DAYS),
                    time=rng.choice(_TIMES),
                    amount=f"${rng.randint(3, 180) * 25:,}",
                    code=f"{rng.getrandbits(24):06x}",
                    insurance=rng.choice(_INSURERS),
                )
            text = template.format(**values)
            internal = direction == "note"
            outbound = direction != "in"
            body_html = None
            msg_subject = None
            if channel in EMAIL_CHANNELS and not internal:
                text, body_html = _email_text("out" if outbound else "in", text, values)
                msg_subject = subject if position == 0 else reply_subject(subject or "")
            if internal:
                status, error = "sent", None
            elif outbound:
                status, error = _outbound_status(rng, channel)
            else:
                status, error = "delivered", None
            iso = clock.iso(stamp)
            message = {
                "id": ctx.make_id(rng, "msg"),
                "conversationId": conv_id,
                "channel": channel,
                "direction": "outbound" if outbound else "inbound",
                "bodyText": text,
                "bodyHtml": body_html,
                "status": status,
                "fromAddress": None if internal else (our_address if outbound else their_address),
                "toAddress": None if internal else (their_address if outbound else our_address),
                "isInternal": internal,
                "createdAt": iso,
                "subject": msg_subject,
                "errorMessage": error,
                "updatedAt": iso,
            }
            msg_rows.append(_message_row(acct.id, message))
            if not internal:
                last_preview, last_direction = preview(text), message["direction"]
                trailing_inbound = 0 if outbound else trailing_inbound + 1
        last_real = max(
            (s for (d, _, _), s in zip(items, stamps, strict=True) if d != "note"),
            default=stamps[-1],
        )
        if trailing_inbound:
            # Waiting for an answer: mostly unread and open.
            unread = trailing_inbound if rng.random() < 0.75 else 0
            status = "open" if rng.random() < 0.85 else "snoozed"
        else:
            unread = 0
            status = rng.choices(["closed", "open", "snoozed"], weights=[45, 40, 15])[0]
        archived = status == "closed" and ctx.now_ms - last_real > 30 * _DAY and rng.random() < 0.3
        doc = {
            "id": conv_id,
            "contactId": contact["id"],
            "channel": channel,
            "status": status,
            "assignedTo": assignee["id"] if assignee else None,
            "subject": subject,
            "unreadCount": unread,
            "isArchived": archived,
            "lastMessageAt": clock.iso(last_real),
            "createdAt": clock.iso(stamps[0]),
            "lastMessagePreview": last_preview,
            "lastMessageDirection": last_direction,
            "updatedAt": clock.iso(stamps[-1]),
        }
        conv_rows.append(_conversation_row(acct.id, doc))
    store.many(_INSERT_CONVERSATION, conv_rows)
    store.many(_INSERT_MESSAGE, msg_rows)
    for contact in opted_out:
        contacts.touch(
            store,
            acct.id,
            contact["id"],
            dndChannels=sorted({*(contact.get("dndChannels") or []), "sms"}),
        )


def seed_conversations(store: Store, ctx: SeedContext) -> None:
    """Demo inboxes: every channel, threads of 1 to 120 messages, unread, assigned, notes."""
    if not ctx.demo:
        return
    largest = max((a.contacts for a in ctx.accounts), default=0)
    for acct in ctx.accounts:
        _seed_account(store, ctx, acct, large=acct.contacts == largest)


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    registry.hooks.contact_deleted.append(_cascade_contact_deleted)
    registry.hooks.job_handlers[STATUS_JOB] = _advance_status
    read, write = {"scope": "conversations:read"}, {"scope": "conversations:write"}
    router.add(
        "POST",
        "/api/v1/conversations",
        create_conversation,
        **write,
        body=(
            Param.text("contactId", required=True, max_len=100),
            Param.text("channel", required=True, choices=CHANNELS),
            Param.text("subject", max_len=SUBJECT_MAX),
        ),
    )
    router.add(
        "GET",
        "/api/v1/conversations",
        list_conversations,
        **read,
        query=(
            *page_query(LIST_LIMITS["conversations"][1]),
            Param.text("status", choices=CONVERSATION_STATUSES),
            Param.text("channel", choices=CHANNELS),
            Param.text("contactId", max_len=100),
            Param.text("assignedTo", max_len=100),
        ),
    )
    router.add("GET", "/api/v1/conversations/{id}", get_conversation_route, **read)
    router.add(
        "PATCH",
        "/api/v1/conversations/{id}",
        patch_conversation,
        **write,
        body=(
            Param.text("status", choices=CONVERSATION_STATUSES),
            Param.text("assignedTo", max_len=100),
        ),
    )
    router.add(
        "GET",
        "/api/v1/conversations/{id}/messages",
        list_messages,
        **read,
        query=page_query(LIST_LIMITS["messages"][1]),
    )
    router.add(
        "POST",
        "/api/v1/conversations/{id}/messages",
        post_message,
        **write,
        body=(
            Param.flag("isInternal"),
            Param.text("bodyText", required=True, max_len=BODY_MAX),
            Param.text("channel", max_len=30),
            Param.text("toAddress", max_len=ADDRESS_MAX),
            Param.text("subject", max_len=SUBJECT_MAX),
            Param.text("bodyHtml", max_len=HTML_MAX),
        ),
    )
    chat = {"auth": "public", "limit_group": "chat"}
    router.add(
        "GET",
        "/api/chat/config",
        chat_config,
        **chat,
        query=(Param.text("subAccountId", required=True, max_len=100),),
    )
    router.add(
        "POST",
        "/api/chat/session",
        chat_session,
        **chat,
        body=(
            Param.text("subAccountId", required=True, max_len=100),
            Param.text("visitorName", required=True, max_len=200),
            Param.text("visitorEmail", required=True, max_len=ADDRESS_MAX),
        ),
    )
    router.add(
        "POST",
        "/api/chat/message",
        chat_message,
        **chat,
        body=(
            Param.text("sessionId", required=True, max_len=200),
            Param.text("message", required=True, max_len=CHAT_MESSAGE_MAX),
        ),
    )
    router.add(
        "GET",
        "/api/chat/messages",
        chat_messages,
        **chat,
        query=(Param.text("sessionId", required=True, max_len=200),),
    )
    router.add(
        "POST",
        "/_sandbox/inbound",
        control_inbound,
        auth="control",
        body=(
            Param.text("subAccountId", required=True, max_len=100),
            Param.text("bodyText", required=True, max_len=BODY_MAX),
            Param.text("conversationId", max_len=100),
            Param.text("contactId", max_len=100),
            Param.text("channel", choices=CHANNELS),
            Param.text("fromAddress", max_len=ADDRESS_MAX),
            Param.text("subject", max_len=SUBJECT_MAX),
            Param.text("bodyHtml", max_len=HTML_MAX),
        ),
    )
    registry.seeder(30, seed_conversations)
