"""Wire models of the Seedly CRM REST API (responses, envelopes, webhook events) and the
single entry points that turn JSON into them.

Conventions (see ``WireModel``):

- Python attributes are snake_case; the wire names are camelCase aliases.
  Both spellings are accepted on input; ``to_wire()`` /
  ``model_dump(by_alias=True)`` writes the wire spelling.
- Unknown fields are kept (``extra="allow"``) and written back on dump, so a
  record cached and re-read loses nothing a newer server added ("new fields in
  responses" are not breaking: docs/api/seedly-crm.md §12).
- Fields the API marks optional (``string?``) are optional. Lists default
  to ``[]`` and a JSON ``null`` list is read as ``[]``; objects likewise ``{}``.
- A non-optional field is *required* only where the client depends on it
  (ids, the timestamps used for ordering and sync, the fields that route a
  message); display-only fields get a harmless default so a sparse answer still
  shows something.
- Timestamps become timezone-aware ``datetime``s; a timestamp without an
  offset is read as UTC (the API's examples are all ``…Z``). JSON dumps write
  them in the API's form, UTC with milliseconds, so dumped strings sort
  chronologically.
- Enumerated values are open (see ``app.core.enums``).

Never call ``model_validate`` on server data directly: use ``parse``,
``parse_data``, ``parse_list``, ``parse_page`` or ``parse_event``, which
raise ``InvalidResponse`` naming the resource and the field instead of
pydantic's ``ValidationError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from app.core.enums import (
    Channel,
    ConversationStatus,
    CustomFieldType,
    MessageDirection,
    MessageStatus,
    OpenAppointmentStatus,
    OpenCalendarType,
    OpenChannel,
    OpenConversationStatus,
    OpenCustomFieldType,
    OpenEventType,
    OpenLifecycleStage,
    OpenMessageDirection,
    OpenMessageStatus,
)
from app.core.errors import InvalidResponse, with_article

# -- field types --------------------------------------------------------------------------


def _null_as_list(value: Any) -> Any:
    return [] if value is None else value


def _null_as_dict(value: Any) -> Any:
    return {} if value is None else value


def _null_as_empty_str(value: Any) -> Any:
    return "" if value is None else value


def _null_as_false(value: Any) -> Any:
    return False if value is None else value


def _null_as_zero(value: Any) -> Any:
    return 0 if value is None else value


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _wire_time(value: datetime) -> str:
    """UTC, ``Z``, milliseconds: the API's own form (``2026-03-27T14:30:00.000Z``).

    One fixed shape makes cached wire timestamps compare correctly as strings
    (sync high-water marks) and round-trip the server's text unchanged."""
    utc = value.astimezone(UTC).replace(tzinfo=None)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.isoformat(timespec=spec) + "Z"


StrList = Annotated[list[str], BeforeValidator(_null_as_list)]
"""A list of strings; ``null`` reads as ``[]``."""
JsonObject = Annotated[dict[str, Any], BeforeValidator(_null_as_dict)]
"""A free-form object; ``null`` reads as ``{}``."""
Text = Annotated[str, BeforeValidator(_null_as_empty_str)]
"""A display string; ``null`` reads as ``""``."""
Flag = Annotated[bool, BeforeValidator(_null_as_false)]
"""A boolean; ``null`` reads as ``False``."""
Count = Annotated[int, BeforeValidator(_null_as_zero)]
"""A counter; ``null`` reads as ``0``."""
Timestamp = Annotated[
    datetime,
    AfterValidator(_assume_utc),
    PlainSerializer(_wire_time, return_type=str, when_used="json"),
]
"""An aware datetime from ISO 8601 (or epoch seconds/milliseconds); naive means UTC.
The attribute keeps the offset the server sent; the JSON dump is always UTC ``…Z``
with milliseconds."""
Number = int | float
"""A JSON number, kept as int when it is one (so it dumps back unchanged)."""

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class WireModel(BaseModel):
    """Base of every response model: camelCase aliases, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        # Schemas are built on first use: building them all at import cost a
        # few hundred milliseconds of every start-up.
        defer_build=True,
    )

    resource_name: ClassVar[str] = "record"
    """What the model is called in messages to the user ("a contact")."""

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready wire form (camelCase, unknown fields included)."""
        return self.model_dump(by_alias=True, mode="json")

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields the server sent that this model does not declare (wire spelling)."""
        return dict(self.model_extra or {})


# -- contacts -----------------------------------------------------------------------------


def _join_name(first: str | None, last: str | None) -> str:
    return " ".join(part.strip() for part in (first, last) if part and part.strip())


class ContactSummary(WireModel):
    """The contact embedded in a conversation or appointment ("name, email, phone").

    The API does not spell its fields out (docs/api/seedly-crm.md §4), so every one is
    optional and both a single ``name`` and ``firstName``/``lastName`` are understood."""

    resource_name: ClassVar[str] = "contact summary"

    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name joined, else ``name``; ``""`` when neither is known."""
        return _join_name(self.first_name, self.last_name) or (self.name or "").strip()

    @property
    def display_name(self) -> str:
        """The best label for lists: the name, else email, else phone."""
        return self.full_name or self.email or self.phone or "Unnamed contact"


class Contact(WireModel):
    """A contact (docs/api/seedly-crm.md §5). ``dnd_channels`` is not in the API's table;
    servers that send it list the channels the contact opted out of (sends there are
    skipped)."""

    resource_name: ClassVar[str] = "contact"

    id: str
    first_name: Text = ""
    last_name: Text = ""
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    source: str | None = None
    tags: StrList = Field(default_factory=list)
    lifecycle_stage: OpenLifecycleStage | None = None
    engagement_score: Number | None = None
    assigned_to: str | None = None
    additional_emails: StrList = Field(default_factory=list)
    additional_phones: StrList = Field(default_factory=list)
    address_line1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    # Kept as text: the API does not fix a format (the sandbox sends YYYY-MM-DD).
    date_of_birth: str | None = None
    custom_fields: JsonObject = Field(default_factory=dict)
    created_at: Timestamp
    updated_at: Timestamp
    dnd_channels: StrList = Field(default_factory=list)

    @property
    def full_name(self) -> str:
        """``"First Last"`` (either part may be missing)."""
        return _join_name(self.first_name, self.last_name)

    @property
    def display_name(self) -> str:
        """The best label for lists: the name, else email, else phone."""
        return self.full_name or self.email or self.phone or "Unnamed contact"

    def is_dnd(self, channel: str) -> bool:
        """Whether the contact opted out of ``channel`` (when the server says so)."""
        return channel in self.dnd_channels


class CustomFieldDefinition(WireModel):
    """A custom contact field configured for the sub-account (``GET /contacts/fields``)."""

    resource_name: ClassVar[str] = "custom field definition"

    name: str
    label: Text = ""
    type: OpenCustomFieldType = CustomFieldType.TEXT
    options: StrList = Field(default_factory=list)
    is_required: Flag = False

    @property
    def display_label(self) -> str:
        """The label, or the key when the label is empty."""
        return self.label or self.name


# -- conversations and messages -----------------------------------------------------------


class Conversation(WireModel):
    """A conversation (docs/api/seedly-crm.md §4). ``created`` is only present in the create
    answer (True: 201, a new one; False: 200, the existing open one was returned);
    ``last_message_preview``, ``last_message_direction`` and ``updated_at`` only
    from servers that send them."""

    resource_name: ClassVar[str] = "conversation"

    id: str
    contact_id: str
    channel: OpenChannel
    status: OpenConversationStatus = ConversationStatus.OPEN
    assigned_to: str | None = None
    subject: str | None = None
    unread_count: Count = 0
    is_archived: Flag = False
    last_message_at: Timestamp | None = None
    # Required by the API's table but absent from its create example: optional here.
    created_at: Timestamp | None = None
    contact: ContactSummary | None = None
    created: bool | None = None
    # Not in the API's table; sent by the sandbox (and useful for sync and the 24-hour window).
    last_message_preview: str | None = None
    last_message_direction: OpenMessageDirection | None = None
    updated_at: Timestamp | None = None

    @property
    def is_open(self) -> bool:
        """Status is ``open``."""
        return self.status == ConversationStatus.OPEN


class Message(WireModel):
    """A message of a conversation (docs/api/seedly-crm.md §4). ``subject``,
    ``error_message`` (why a send failed) and ``updated_at`` are not in the API's table;
    servers may send them."""

    resource_name: ClassVar[str] = "message"

    id: str
    conversation_id: str
    channel: OpenChannel
    direction: OpenMessageDirection
    body_text: str | None = None
    body_html: str | None = None
    status: OpenMessageStatus = MessageStatus.PENDING
    from_address: str | None = None
    to_address: str | None = None
    is_internal: Flag = False
    created_at: Timestamp
    subject: str | None = None
    error_message: str | None = None
    updated_at: Timestamp | None = None

    @property
    def is_inbound(self) -> bool:
        """Sent by the contact."""
        return self.direction == MessageDirection.INBOUND

    @property
    def is_failed(self) -> bool:
        """Delivery failed or bounced."""
        return self.status in (MessageStatus.FAILED, MessageStatus.BOUNCED)


# -- calendars ----------------------------------------------------------------------------


class Calendar(WireModel):
    """An active calendar of the sub-account. ``timezone`` is an IANA name."""

    resource_name: ClassVar[str] = "calendar"

    id: str
    name: Text = ""
    type: OpenCalendarType | None = None
    timezone: str | None = None


class AppointmentType(WireModel):
    """A bookable appointment type; ``duration`` is in minutes."""

    resource_name: ClassVar[str] = "appointment type"

    id: str
    calendar_id: str | None = None
    name: Text = ""
    duration: int | None = None
    slug: str | None = None


class Appointment(WireModel):
    """An appointment (docs/api/seedly-crm.md §6)."""

    resource_name: ClassVar[str] = "appointment"

    id: str
    calendar_id: str
    appointment_type_id: str | None = None
    contact_id: str | None = None
    title: str | None = None
    start_time: Timestamp
    end_time: Timestamp
    status: OpenAppointmentStatus = "scheduled"
    assigned_to: str | None = None
    notes: str | None = None
    created_at: Timestamp | None = None
    contact: ContactSummary | None = None
    # Not in the API's table; sent by the sandbox.
    updated_at: Timestamp | None = None
    cancelled_at: Timestamp | None = None
    cancellation_reason: str | None = None


class AppointmentCancellation(WireModel):
    """The answer to ``DELETE /calendars/appointments/{id}``."""

    resource_name: ClassVar[str] = "appointment cancellation"

    id: str
    cancelled: bool


class AvailabilitySlot(WireModel):
    """A free slot; times keep the offset the server gave (the calendar's zone).
    ``seats_remaining`` is only sent for seat-limited (class) types."""

    resource_name: ClassVar[str] = "availability slot"

    start: Timestamp
    end: Timestamp
    seats_remaining: int | None = None


# -- webhooks and sub-accounts ------------------------------------------------------------


class WebhookSubscription(WireModel):
    """A webhook subscription. The API gives no table for it
    (docs/api/seedly-crm.md §7): ``id`` and ``url`` are required, the rest optional.
    ``secret`` is only in the create answer and is kept out of ``repr`` so it cannot
    reach a log by accident."""

    resource_name: ClassVar[str] = "webhook subscription"

    id: str
    url: str
    events: Annotated[list[OpenEventType], BeforeValidator(_null_as_list)] = Field(
        default_factory=list
    )
    description: str | None = None
    secret: str | None = Field(default=None, repr=False)
    is_active: bool | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class WebhookSecret(WireModel):
    """The answer to ``POST /webhooks/{id}/regenerate-secret``."""

    resource_name: ClassVar[str] = "webhook secret"

    secret: str = Field(repr=False)


class SubAccount(WireModel):
    """A sub-account an agency key can act on."""

    resource_name: ClassVar[str] = "sub-account"

    id: str
    name: Text = ""


# -- envelopes ----------------------------------------------------------------------------


class ErrorBody(WireModel):
    """The ``error`` object of the error envelope. ``field`` is not in the API's envelope
    (docs/api/seedly-crm.md §1); servers that send it name the offending request field."""

    resource_name: ClassVar[str] = "error"

    code: str | None = None
    message: Text = ""
    field: str | None = None


class ErrorEnvelope(WireModel):
    """``{"error": {...}}``."""

    resource_name: ClassVar[str] = "error"

    error: ErrorBody


class PageMeta(WireModel):
    """``meta`` of a list answer. ``total`` is absent on some lists (messages)."""

    resource_name: ClassVar[str] = "page meta"

    total: int | None = None
    has_more: Flag = False
    cursor: str | None = None


class Page(WireModel, Generic[T]):
    """One page of a cursor-paginated list. Build it with ``parse_page``."""

    resource_name: ClassVar[str] = "page"

    data: list[T] = Field(default_factory=list)
    meta: PageMeta = Field(default_factory=PageMeta)
    _skipped: list[InvalidResponse] = PrivateAttr(default_factory=list)

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, or None when this is the last one."""
        return self.meta.cursor if self.meta.has_more and self.meta.cursor else None

    @property
    def skipped(self) -> list[InvalidResponse]:
        """Items left out by ``parse_page(..., skip_invalid=True)``, one error each."""
        return list(self._skipped)


# -- webhook events -----------------------------------------------------------------------


class EventData(WireModel):
    """``data`` of a webhook event: ``subAccountId`` always, ``contactId`` and ``tags``
    when the event concerns a contact; everything else is kept as extra fields
    (use ``WebhookEvent.data_as`` for a typed view)."""

    resource_name: ClassVar[str] = "event data"

    sub_account_id: str
    contact_id: str | None = None
    tags: StrList = Field(default_factory=list)


class MessageEventData(EventData):
    """``data`` of the ``message.*`` events (docs/api/seedly-crm.md §3, step 1)."""

    resource_name: ClassVar[str] = "message event data"

    message_id: str | None = None
    conversation_id: str | None = None
    channel: OpenChannel | None = None
    body_text: str | None = None
    from_address: str | None = None
    to_address: str | None = None
    direction: OpenMessageDirection | None = None


class ContactEventData(EventData):
    """``data`` of the ``contact.*`` events (docs/api/seedly-crm.md §7, payload)."""

    resource_name: ClassVar[str] = "contact event data"

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


class WebhookEvent(WireModel):
    """The payload Seedly POSTs to a webhook URL."""

    resource_name: ClassVar[str] = "webhook event"

    event: OpenEventType
    timestamp: Timestamp
    data: EventData

    def data_as(self, model_type: type[M]) -> M:
        """``data`` read as a more specific model (e.g. ``MessageEventData``)."""
        return parse(model_type, self.data.to_wire())


# -- parsing ------------------------------------------------------------------------------

# Union branch tags pydantic adds to error locations ("str-enum[Channel]", "int", …).
_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "none", "list", "dict"})


def _resource(model_type: type[BaseModel]) -> str:
    name = getattr(model_type, "resource_name", None)
    return name if isinstance(name, str) else model_type.__name__


def _loc_path(loc: Sequence[int | str], prefix: str) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part or part in _TYPE_TAGS or part.startswith("function-"):
            continue
        else:
            path = f"{path}.{part}" if path else part
    return path


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _invalid(
    model_type: type[BaseModel], exc: ValidationError, prefix: str = ""
) -> InvalidResponse:
    """An ``InvalidResponse`` naming the resource and the first offending field.

    pydantic reports each branch of a union separately; the last report for a
    field is the most general one ("should be a valid string"), so it wins."""
    problems: dict[str, tuple[str, Any]] = {}
    for error in exc.errors(include_url=False):
        path = _loc_path(error["loc"], prefix) or "(the whole object)"
        problems[path] = (error["msg"], error.get("input"))
    resource = _resource(model_type)
    field, (msg, got) = next(iter(problems.items()))
    more = (
        f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        if len(problems) > 1
        else ""
    )
    got_text = "" if msg.startswith("Field required") else f", got {_short(got)}"
    message = (
        f"Seedly sent {with_article(resource)} that does not match the contract: "
        f"{field}: {msg}{got_text}{more}"
    )
    return InvalidResponse(
        message,
        resource=resource,
        field=field,
        details={"problems": {k: v[0] for k, v in problems.items()}},
    )


MAX_FIELD_CHARS = 2_000_000
"""The longest text of one field the app reads and stores (an email body at the API's own
size limit is a quarter of it); a longer one makes its record invalid."""


def _oversized(value: Any, path: str, depth: int = 0) -> tuple[str, int] | None:
    """The path and length of the first text longer than ``MAX_FIELD_CHARS`` in ``value``."""
    if isinstance(value, str):
        return (path, len(value)) if len(value) > MAX_FIELD_CHARS else None
    if depth > 32:
        return None  # JSON this deep is refused by the decoder's own limits long before
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and len(key) > MAX_FIELD_CHARS:
                return (f"{path}.<key>", len(key))
            found = _oversized(item, f"{path}.{key}" if path else str(key), depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _oversized(item, f"{path}[{index}]", depth + 1)
            if found:
                return found
    return None


def parse(model_type: type[M], data: Any, *, where: str = "") -> M:
    """``data`` (decoded JSON) as a ``model_type``; ``InvalidResponse`` when it is not one
    (wrong types, missing fields, or a text longer than ``MAX_FIELD_CHARS``).

    ``where`` prefixes field paths in the message (``"data"`` → ``data.createdAt``)."""
    too_long = _oversized(data, where)
    if too_long is not None:
        field, length = too_long
        raise InvalidResponse(
            f"Seedly sent {with_article(_resource(model_type))} whose {field} is "
            f"{length / 1_000_000:.1f} million characters long; the app reads at most "
            f"{MAX_FIELD_CHARS // 1_000_000} million per field.",
            resource=_resource(model_type),
            field=field,
        )
    try:
        return model_type.model_validate(data)
    except ValidationError as exc:
        raise _invalid(model_type, exc, where) from exc


def _envelope_data(model_type: type[BaseModel], body: Any) -> Any:
    if not isinstance(body, Mapping) or "data" not in body:
        raise InvalidResponse(
            f"Seedly's answer has no data envelope where {with_article(_resource(model_type))} "
            "was expected "
            f"(got {_short(body)}).",
            resource=_resource(model_type),
            field="data",
        )
    return body["data"]


def parse_data(model_type: type[M], body: Any) -> M:
    """The ``data`` object of an envelope ``{"data": {...}}`` as a ``model_type``."""
    return parse(model_type, _envelope_data(model_type, body), where="data")


def _parse_items(
    item_type: type[M], items: Any, skip_invalid: bool, skipped: list[InvalidResponse]
) -> list[M]:
    if not isinstance(items, list):
        raise InvalidResponse(
            f"Seedly sent {_short(items)} where a list of {_resource(item_type)} records was "
            "expected.",
            resource=_resource(item_type),
            field="data",
        )
    result: list[M] = []
    for index, item in enumerate(items):
        try:
            result.append(parse(item_type, item, where=f"data[{index}]"))
        except InvalidResponse as exc:
            if not skip_invalid:
                raise
            skipped.append(exc)
    return result


def parse_list(item_type: type[M], body: Any, *, skip_invalid: bool = False) -> list[M]:
    """A list answer (``{"data": [...]}``, or a bare list) as ``item_type`` records.

    With ``skip_invalid`` a bad item is dropped instead of failing the whole list."""
    items = body if isinstance(body, list) else _envelope_data(item_type, body)
    return _parse_items(item_type, items, skip_invalid, [])


def parse_page(item_type: type[M], body: Any, *, skip_invalid: bool = False) -> Page[M]:
    """A paginated answer (``{"data": [...], "meta": {...}}``) as a ``Page``.

    A missing ``meta`` means a single, last page. With ``skip_invalid`` bad
    items are dropped and reported in ``page.skipped`` — for bulk sync, where
    one malformed record should not stop thousands of good ones."""
    items = _envelope_data(item_type, body)
    skipped: list[InvalidResponse] = []
    records = _parse_items(item_type, items, skip_invalid, skipped)
    meta = parse(PageMeta, body.get("meta") or {}, where="meta")
    extras = {k: v for k, v in body.items() if k not in ("data", "meta")}
    # Items are validated already; construct the page rather than validate them again.
    page = cast(Page[M], Page.model_construct(data=records, meta=meta, **extras))
    page._skipped = skipped
    return page


def parse_event(raw: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """A webhook delivery's body (raw bytes as received, or decoded JSON)."""
    data: Any = raw
    if isinstance(raw, bytes | str):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise InvalidResponse(
                "The webhook body is not JSON.", resource=WebhookEvent.resource_name
            ) from exc
    return parse(WebhookEvent, data)


def build_schemas(*models: type[BaseModel]) -> None:
    """Build the validators of ``models`` now (on a worker at start-up): a wire model builds
    its schema on first use, and the first use of ``Contact`` on the GUI thread (the
    contact pane) would otherwise stall the window for tens of milliseconds."""
    for model in models:
        if not model.__pydantic_complete__:
            model.model_rebuild()


FIRST_SCREEN_MODELS: tuple[type[BaseModel], ...] = (Contact, CustomFieldDefinition)
"""The models the first screens parse on the GUI thread (warmed by ``build_schemas``)."""


__all__ = [
    "Appointment",
    "AppointmentCancellation",
    "AppointmentType",
    "AvailabilitySlot",
    "Calendar",
    "Channel",
    "Contact",
    "ContactEventData",
    "ContactSummary",
    "Conversation",
    "CustomFieldDefinition",
    "ErrorBody",
    "ErrorEnvelope",
    "EventData",
    "Message",
    "MessageEventData",
    "Page",
    "PageMeta",
    "SubAccount",
    "Timestamp",
    "WebhookEvent",
    "WebhookSecret",
    "WebhookSubscription",
    "FIRST_SCREEN_MODELS",
    "WireModel",
    "build_schemas",
    "parse",
    "parse_data",
    "parse_event",
    "parse_list",
    "parse_page",
]
