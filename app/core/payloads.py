"""Request bodies for the Seedly API's writes, validated with the same rules the forms
show inline.

Build them with ``build(Model, data, default_region=…, custom_field_definitions=…)``: it
normalises (E.164 phones, emails, dates, custom-field values), and raises one
``ValidationFailed`` listing *every* problem (``errors``: wire field path →
sentence) — the shape of the server's own validation error, so the UI shows
both the same way. ``to_body()`` gives the JSON body with only the fields that
were set (``exclude_unset``), so a PATCH never overwrites what the user did
not touch, and an explicit ``None`` is sent as ``null`` (clear / unassign).

Unlike the response models, payloads are strict: unknown fields are refused
and enumerated values must be ones the API documents (docs/api/seedly-crm.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from app.core.contact_limits import (
    LIST_MAX,
    TAG_MAX,
    TAGS_MAX,
    TEXT_LIMITS,
    has_visible_text,
    list_problems,
    too_long,
)
from app.core.custom_fields import check_custom_fields
from app.core.emails import normalize_email
from app.core.enums import (
    EMAIL_CHANNELS,
    PHONE_CHANNELS,
    SEND_CHANNELS,
    Channel,
    ConversationStatus,
    EventType,
    LifecycleStage,
)
from app.core.errors import ValidationFailed
from app.core.models import Contact, ContactSummary, CustomFieldDefinition
from app.core.phones import DEFAULT_REGION, normalize_phone

R = TypeVar("R", bound="RequestModel")


def _region(info: ValidationInfo) -> str | None:
    context = info.context if isinstance(info.context, Mapping) else {}
    region = context.get("default_region", DEFAULT_REGION)
    return region if isinstance(region, str) or region is None else DEFAULT_REGION


def _optional_text(value: Any) -> Any:
    """Trim text; blank becomes None (an empty input means "no value")."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _required_text(value: Any, label: str) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{label} is required.")
    return value.strip() if isinstance(value, str) else value


def _phone(value: Any, info: ValidationInfo) -> Any:
    value = _optional_text(value)
    if isinstance(value, str):
        return normalize_phone(value, _region(info))
    return value


def _email(value: Any) -> Any:
    value = _optional_text(value)
    if isinstance(value, str):
        return normalize_email(value)
    return value


def _within(value: Any, wire: str, label: str) -> Any:
    """``value`` unchanged, or a ``ValueError`` saying the limit it is over (never cut)."""
    limit = TEXT_LIMITS.get(wire)
    if isinstance(value, str) and limit is not None:
        problem = too_long(label, value, limit)
        if problem:
            raise ValueError(problem)
    return value


def _name(value: Any, wire: str, label: str) -> Any:
    value = _required_text(value, label)
    if isinstance(value, str) and not has_visible_text(value):
        raise ValueError(f"{label} has no visible characters; type the name itself.")
    return _within(value, wire, label)


def _text_list(value: Any) -> Any:
    """Trim items, drop blanks and repeats (keeping the first spelling and the order)."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        return value
    seen: set[str] = set()
    result: list[Any] = []
    for item in value:
        if isinstance(item, str):
            item = item.strip()
            if not item or item in seen:
                continue
            seen.add(item)
        result.append(item)
    return result


def _count_within(items: Any, label: str) -> Any:
    if isinstance(items, list) and len(items) > LIST_MAX:
        raise ValueError(f"{label} has {len(items):,} values; Seedly takes at most {LIST_MAX}.")
    return items


def _epoch_ms(value: Any, label: str) -> Any:
    """Booking times go out as Unix milliseconds (docs/api/seedly-crm.md §6); accept aware
    datetimes."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{label} needs a time zone.")
        return round(value.timestamp() * 1000)
    return value


class RequestModel(BaseModel):
    """Base of request bodies: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        # Schemas are built on first use: building them all at import cost a
        # few hundred milliseconds of every start-up.
        defer_build=True,
    )

    labels: ClassVar[dict[str, str]] = {}
    """Wire name → label used in error sentences, where the default reads badly."""

    def to_body(self) -> dict[str, Any]:
        """The JSON body: wire names, only the fields that were set."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    @classmethod
    def _prepare(cls, data: dict[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
        """Checks pydantic cannot express per field; may normalise ``data`` in place.
        Returns errors keyed by wire path."""
        return {}


# -- contacts -----------------------------------------------------------------------------

_CONTACT_LABELS = {
    "firstName": "First name",
    "lastName": "Last name",
    "additionalEmails": "Additional emails",
    "additionalPhones": "Additional phones",
    "addressLine1": "Address",
    "postalCode": "Postal code",
    "dateOfBirth": "Date of birth",
    "lifecycleStage": "Lifecycle stage",
    "assignedTo": "Assigned user",
    "title": "Job title",
    "customFields": "Custom fields",
}


class _ContactFields(RequestModel):
    """The writable contact fields (docs/api/seedly-crm.md §5), all optional here."""

    labels: ClassVar[dict[str, str]] = _CONTACT_LABELS

    # Declared first so errors and bodies list the names first; ContactCreate
    # narrows them to required.
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    source: str | None = None
    tags: list[str] | None = None
    lifecycle_stage: LifecycleStage | None = None
    assigned_to: str | None = None
    additional_emails: list[str] | None = None
    additional_phones: list[str] | None = None
    address_line1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    date_of_birth: str | None = None
    custom_fields: dict[str, Any] | None = None

    @field_validator(
        "company",
        "title",
        "source",
        "assigned_to",
        "address_line1",
        "city",
        "state",
        "postal_code",
        "country",
        mode="before",
    )
    @classmethod
    def _trim(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields[info.field_name or ""]
        wire = field.alias or info.field_name or ""
        return _within(_optional_text(value), wire, cls.labels.get(wire, wire.capitalize()))

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        return _email(value)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any, info: ValidationInfo) -> Any:
        return _phone(value, info)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        items = _text_list(value)
        if isinstance(items, list) and all(isinstance(i, str) for i in items):
            problems = list_problems(
                "Tags", items, max_items=TAGS_MAX, item_max=TAG_MAX, item_label="The tag"
            )
            if problems:
                raise ValueError(" ".join(p.sentence for p in problems))
        return items

    @field_validator("additional_emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> Any:
        items = _count_within(_text_list(value), "Additional emails")
        return [_email(item) for item in items] if isinstance(items, list) else items

    @field_validator("additional_phones", mode="before")
    @classmethod
    def _phones(cls, value: Any, info: ValidationInfo) -> Any:
        items = _count_within(_text_list(value), "Additional phones")
        return [_phone(item, info) for item in items] if isinstance(items, list) else items

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _birth(cls, value: Any) -> Any:
        value = _optional_text(value)
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                raise ValueError("Enter the date of birth as YYYY-MM-DD.") from None
        else:
            return value
        if parsed > date.today():
            raise ValueError("The date of birth is in the future.")
        return parsed.isoformat()

    @classmethod
    def _prepare(cls, data: dict[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
        key = "customFields" if "customFields" in data else "custom_fields"
        values = data.get(key)
        definitions = context.get("custom_field_definitions")
        if not definitions:
            return {}
        creating = cls is ContactCreate
        if values is None and creating:
            values = {}  # a create without customFields must still name the required ones
        if not isinstance(values, Mapping):
            return {}
        check = check_custom_fields(
            values,
            definitions,
            creating=creating,
            default_region=context.get("default_region", DEFAULT_REGION),
        )
        if check.values or key in data:
            data[key] = check.values
        return check.errors


class ContactCreate(_ContactFields):
    """Body of ``POST /contacts``: first and last name required (docs/api/seedly-crm.md §5)."""

    first_name: str
    last_name: str

    @field_validator("first_name", "last_name", mode="before")
    @classmethod
    def _names(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == "first_name":
            return _name(value, "firstName", "First name")
        return _name(value, "lastName", "Last name")


class ContactUpdate(_ContactFields):
    """Body of ``PATCH /contacts/{id}``: only the fields that change (names may not be
    emptied). Build one from an edit with ``contact_update``."""

    first_name: str | None = None
    last_name: str | None = None

    @field_validator("first_name", "last_name", mode="before")
    @classmethod
    def _names(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == "first_name":
            return _name(value, "firstName", "First name")
        return _name(value, "lastName", "Last name")


def _same(field: str, old: Any, new: Any) -> bool:
    if field == "tags":
        return set(old or []) == set(new or [])
    if isinstance(old, list | tuple) or isinstance(new, list | tuple):
        return list(old or []) == list(new or [])
    return bool(old == new)


def contact_update(
    before: Contact,
    edited: Mapping[str, Any],
    *,
    default_region: str | None = DEFAULT_REGION,
    custom_field_definitions: Sequence[CustomFieldDefinition] | None = None,
) -> ContactUpdate:
    """A ``ContactUpdate`` with only the fields of ``edited`` whose normalised value differs
    from ``before`` ("only changed fields are sent").

    ``customFields`` is sent whole (the contact's values with the edits applied)
    when any of them changed: the API does not say whether PATCH merges or
    replaces the object, and the whole object is right under both readings."""
    full = build(
        ContactUpdate,
        edited,
        default_region=default_region,
        custom_field_definitions=custom_field_definitions,
    )
    changes: dict[str, Any] = {}
    for name in full.model_fields_set:
        new = getattr(full, name)
        if name == "custom_fields":
            merged = {**before.custom_fields, **(new or {})}
            if merged != before.custom_fields:
                changes[name] = merged
            continue
        if not _same(name, getattr(before, name, None), new):
            changes[name] = new
    return ContactUpdate.model_construct(_fields_set=set(changes), **changes)


# -- conversations and messages -----------------------------------------------------------


class ConversationCreate(RequestModel):
    """Body of ``POST /conversations`` (the server returns the open one if it exists)."""

    labels: ClassVar[dict[str, str]] = {"contactId": "Contact"}

    contact_id: str
    channel: Channel
    subject: str | None = None

    @field_validator("contact_id", mode="before")
    @classmethod
    def _contact(cls, value: Any) -> Any:
        return _required_text(value, "Contact")

    @field_validator("subject", mode="before")
    @classmethod
    def _subject(cls, value: Any) -> Any:
        return _optional_text(value)


class ConversationUpdate(RequestModel):
    """Body of ``PATCH /conversations/{id}``; ``assigned_to=None`` unassigns."""

    labels: ClassVar[dict[str, str]] = {"assignedTo": "Assignee"}

    status: ConversationStatus | None = None
    assigned_to: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        # Only runs when status was given: an explicit null is not a status.
        if value is None:
            raise ValueError("Choose a status: open, closed or snoozed.")
        return value

    @field_validator("assigned_to", mode="before")
    @classmethod
    def _assignee(cls, value: Any) -> Any:
        return _optional_text(value)


class MessageSend(RequestModel):
    """Body of ``POST /conversations/{id}/messages``.

    ``to_address`` is optional (the server derives it from the contact) but,
    when given, must be an E.164 number for SMS and an email address for
    email/gmail. Merge fields in the text are left for the server to resolve."""

    labels: ClassVar[dict[str, str]] = {
        "bodyText": "Message",
        "toAddress": "Recipient",
        "bodyHtml": "HTML body",
    }

    body_text: str
    channel: Channel
    to_address: str | None = None
    subject: str | None = None
    body_html: str | None = None

    @field_validator("body_text", mode="before")
    @classmethod
    def _body(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("Type a message before sending.")
        return value  # not trimmed: leading spaces and final newlines may be meant

    @field_validator("channel")
    @classmethod
    def _sendable(cls, value: Channel) -> Channel:
        if value not in SEND_CHANNELS:
            raise ValueError(
                f"Messages cannot be sent on {value.value} through the API; "
                "reply in the chat widget instead."
            )
        return value

    @field_validator("to_address", mode="before")
    @classmethod
    def _recipient(cls, value: Any, info: ValidationInfo) -> Any:
        value = _optional_text(value)
        channel = info.data.get("channel")
        if isinstance(value, str) and channel in PHONE_CHANNELS:
            return normalize_phone(value, _region(info))
        if isinstance(value, str) and channel in EMAIL_CHANNELS:
            return normalize_email(value)
        return value

    @field_validator("subject", "body_html", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> Any:
        return _optional_text(value)


def recipient_for(channel: str, contact: Contact | ContactSummary | None) -> str | None:
    """The address the server would derive for ``channel`` from ``contact``: its phone for
    SMS, its email for email/gmail; None when the contact has none (the composer then
    asks for one) or the channel addresses the contact another way."""
    if contact is None:
        return None
    if channel in PHONE_CHANNELS:
        return contact.phone or None
    if channel in EMAIL_CHANNELS:
        return contact.email or None
    return None


# -- calendars ----------------------------------------------------------------------------


class BookingRequest(RequestModel):
    """Body of ``POST /calendars/appointments``. Times are Unix milliseconds on the wire;
    aware ``datetime``s (e.g. an ``AvailabilitySlot``'s) are converted."""

    labels: ClassVar[dict[str, str]] = {
        "appointmentTypeId": "Appointment type",
        "startTime": "Start time",
        "endTime": "End time",
        "firstName": "First name",
        "lastName": "Last name",
    }

    appointment_type_id: str
    start_time: int
    end_time: int
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    notes: str | None = None

    @field_validator("appointment_type_id", "first_name", "last_name", mode="before")
    @classmethod
    def _required(cls, value: Any, info: ValidationInfo) -> Any:
        labels = {
            "appointment_type_id": "Appointment type",
            "first_name": "First name",
            "last_name": "Last name",
        }
        return _required_text(value, labels[info.field_name or ""])

    @field_validator("start_time", "end_time", mode="before")
    @classmethod
    def _times(cls, value: Any, info: ValidationInfo) -> Any:
        label = "Start time" if info.field_name == "start_time" else "End time"
        return _epoch_ms(value, label)

    @field_validator("end_time")
    @classmethod
    def _after_start(cls, value: int, info: ValidationInfo) -> int:
        start = info.data.get("start_time")
        if isinstance(start, int) and value <= start:
            raise ValueError("The end time must be after the start time.")
        return value

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        value = _required_text(value, "Email")
        return normalize_email(value) if isinstance(value, str) else value

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any, info: ValidationInfo) -> Any:
        return _phone(value, info)

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value: Any) -> Any:
        return _optional_text(value)


# -- webhooks -----------------------------------------------------------------------------


def _webhook_url(value: Any) -> Any:
    value = _optional_text(value)
    if value is None:
        raise ValueError("Enter the URL that should receive the events.")
    if not isinstance(value, str):
        return value
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError("Enter a full web address, e.g. https://example.com/webhooks/seedly.")
    return value


def _webhook_events(value: Any) -> Any:
    value = _text_list(value)
    if isinstance(value, list) and not value:
        raise ValueError("Choose at least one event.")
    return value


class _WebhookFields(RequestModel):
    """The checks shared by webhook create and update bodies (validators are inherited)."""

    labels: ClassVar[dict[str, str]] = {"url": "URL"}

    @field_validator("url", mode="before", check_fields=False)
    @classmethod
    def _url(cls, value: Any) -> Any:
        return _webhook_url(value)

    @field_validator("events", mode="before", check_fields=False)
    @classmethod
    def _events(cls, value: Any) -> Any:
        return _webhook_events(value)

    @field_validator("description", mode="before", check_fields=False)
    @classmethod
    def _description(cls, value: Any) -> Any:
        return _optional_text(value)


class WebhookCreate(_WebhookFields):
    """Body of ``POST /webhooks``. Only events the API lists (docs/api/seedly-crm.md §7) may be
    chosen."""

    url: str
    events: list[EventType]
    description: str | None = None


class WebhookUpdate(_WebhookFields):
    """Body of ``PATCH /webhooks/{id}``. The API documents no body for it
    (docs/api/seedly-crm.md §7): the create fields are checked, and other fields (an active
    flag, say) pass through."""

    model_config = ConfigDict(extra="allow")

    url: str | None = None
    events: list[EventType] | None = None
    description: str | None = None


# -- building -----------------------------------------------------------------------------


def _label(model_type: type[RequestModel], path: str) -> str:
    root = path.split("[", 1)[0].split(".", 1)[0]
    if root in model_type.labels:
        return model_type.labels[root]
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in root).strip()
    return words[:1].upper() + words[1:]


def _wire_path(model_type: type[RequestModel], loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        field = model_type.model_fields.get(part)
        name = field.alias if field is not None and field.alias else part
        path = f"{path}.{name}" if path else name
    return path


def _sentence_for(model_type: type[RequestModel], error: Any) -> tuple[str, str]:
    path = _wire_path(model_type, error["loc"]) or "(form)"
    label = _label(model_type, path)
    kind = error["type"]
    if kind == "value_error":
        # Our validators' messages are already sentences; drop pydantic's "Value error, ".
        cause = error.get("ctx", {}).get("error")
        return path, str(cause) if cause is not None else error["msg"]
    if kind == "missing":
        return path, f"{label} is required."
    if kind == "extra_forbidden":
        return path, f"“{path}” is not a field this request accepts."
    if kind == "enum":
        expected = str(error.get("ctx", {}).get("expected", ""))
        got = error.get("input")
        if len(expected) <= 120:
            return path, f"{label} must be one of {expected}."
        return path, f"{label}: “{got}” is not one of the values Seedly accepts."
    return path, f"{label}: {error['msg']}."


def build(
    model_type: type[R],
    data: Mapping[str, Any] | None = None,
    /,
    *,
    default_region: str | None = DEFAULT_REGION,
    custom_field_definitions: Sequence[CustomFieldDefinition] | None = None,
    **fields: Any,
) -> R:
    """Validate and normalise a request body, or raise ``ValidationFailed`` with every
    problem (``errors``: wire path → sentence; no request was sent, ``status`` is None).

    ``data`` and ``fields`` may use wire (camelCase) or Python names.
    ``default_region`` applies to phone numbers typed without a country code;
    ``custom_field_definitions`` (the sub-account's, from ``GET /contacts/fields``)
    enables the custom-field checks."""
    raw: dict[str, Any] = {**(data or {}), **fields}
    context: dict[str, Any] = {
        "default_region": default_region,
        "custom_field_definitions": custom_field_definitions,
    }
    errors = model_type._prepare(raw, context)
    try:
        model = model_type.model_validate(raw, context=context)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            path, sentence = _sentence_for(model_type, error)
            errors.setdefault(path, sentence)
        raise ValidationFailed.from_errors(errors) from exc
    if errors:
        raise ValidationFailed.from_errors(errors)
    return model


__all__ = [
    "BookingRequest",
    "ContactCreate",
    "ContactUpdate",
    "ConversationCreate",
    "ConversationUpdate",
    "MessageSend",
    "RequestModel",
    "WebhookCreate",
    "WebhookUpdate",
    "build",
    "contact_update",
    "recipient_for",
]
