"""Contacts and custom field definitions (docs/api/seedly-crm.md §5).

Also the helpers other areas use: find-or-create by email (booking, live chat,
forms), the embedded contact summary, and the delete cascade hooks.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlparse

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.core.constants import CUSTOM_FIELD_TYPES, LIFECYCLE_STAGES, LIST_LIMITS
from app.sandbox import clock, events
from app.sandbox.http import (
    ApiError,
    Body,
    Ctx,
    Param,
    Reply,
    keyset_page,
    not_found,
    page_query,
    validation,
)
from app.sandbox.names import (
    CITIES,
    COMPANY_SUFFIXES,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    SOURCES,
    STREETS,
    TAGS,
    TITLES,
)
from app.sandbox.registry import Registry
from app.sandbox.seed import SeedContext
from app.sandbox.store import Store, dumps, loads, new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    email_lower TEXT,
    search_text TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL,
    source TEXT,
    assigned_to TEXT,
    has_phone INTEGER NOT NULL,
    tags TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    deleted_ms INTEGER
);
CREATE INDEX IF NOT EXISTS contacts_by_update ON contacts (sub_account_id, updated_ms DESC, id DESC);
CREATE UNIQUE INDEX IF NOT EXISTS contacts_unique_email
    ON contacts (sub_account_id, email_lower) WHERE deleted_ms IS NULL AND email_lower IS NOT NULL;
CREATE TABLE IF NOT EXISTS custom_fields (
    sub_account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    type TEXT NOT NULL,
    options TEXT,
    is_required INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (sub_account_id, name)
);
"""

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAME_MAX = 100
TEXT_MAX = 500
MAX_TAGS = 100
TAG_MAX = 50

# Order of the fields in the contact object (docs/api/seedly-crm.md §5 data model).
FIELDS = (
    "id",
    "firstName",
    "lastName",
    "email",
    "phone",
    "company",
    "title",
    "source",
    "tags",
    "lifecycleStage",
    "engagementScore",
    "assignedTo",
    "additionalEmails",
    "additionalPhones",
    "addressLine1",
    "city",
    "state",
    "postalCode",
    "country",
    "dateOfBirth",
    "customFields",
    "createdAt",
    "updatedAt",
)
READ_ONLY = ("id", "engagementScore", "createdAt", "updatedAt")
PLAIN_TEXT = (
    "company",
    "title",
    "source",
    "addressLine1",
    "city",
    "state",
    "postalCode",
    "country",
)

# -- validation rules ------------------------------------------------------------------


def normalise_email(value: str, field: str) -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise validation(f"{field} is not a valid email address: {exc}", field) from None
    return result.normalized


def check_phone(value: str, field: str) -> str:
    compact = value.strip()
    if not E164.match(compact):
        raise validation(f"{field} must be in E.164 format, e.g. +15551234567", field)
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise validation(f"{field} must be in E.164 format, e.g. +15551234567", field) from None
    if not phonenumbers.is_possible_number(parsed):
        raise validation(f"{field} is not a possible phone number: {compact}", field)
    return compact


def check_date(value: str, field: str) -> str:
    if not DATE.match(value):
        raise validation(f"{field} must be a date in YYYY-MM-DD format", field)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise validation(f"{field} is not a real date: {value}", field) from None
    return value


def check_url(value: str, field: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise validation(f"{field} must be an http(s) URL", field)
    return value


def field_definitions(store: Store, sub_account_id: str) -> list[dict[str, Any]]:
    rows = store.all(
        "SELECT * FROM custom_fields WHERE sub_account_id = ? ORDER BY position", (sub_account_id,)
    )
    return [
        {
            "name": r["name"],
            "label": r["label"],
            "type": r["type"],
            "options": loads(r["options"]),
            "isRequired": bool(r["is_required"]),
        }
        for r in rows
    ]


def _custom_value(definition: dict[str, Any], value: Any) -> Any:
    name = definition["name"]
    label = f"customFields.{name}"
    kind = definition["type"]
    if value is None or value == "":
        return None
    if kind == "text":
        if not isinstance(value, str):
            raise validation(f"{label} must be text", label)
        if len(value) > 2000:
            raise validation(f"{label} is too long (at most 2000 characters)", label)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise validation(f"{label} must be a number", label)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise validation(f"{label} must be true or false", label)
        return value
    if not isinstance(value, str):
        raise validation(f"{label} must be a string", label)
    if kind == "select":
        options = definition["options"] or []
        if value not in options:
            raise validation(f"{label} must be one of: {', '.join(options)}", label)
        return value
    if kind == "date":
        return check_date(value, label)
    if kind == "url":
        return check_url(value, label)
    if kind == "email":
        return normalise_email(value, label)
    if kind == "phone":
        return check_phone(value, label)
    raise ApiError(500, "INTERNAL_ERROR", f"unknown custom field type {kind}")


def validate_custom_fields(
    definitions: list[dict[str, Any]],
    given: dict[str, Any] | None,
    current: dict[str, Any],
    *,
    creating: bool,
) -> dict[str, Any]:
    """The merged custom fields after applying ``given``; VALIDATION_ERROR on the first problem."""
    by_name = {d["name"]: d for d in definitions}
    merged = dict(current)
    for key, value in (given or {}).items():
        if key not in by_name:
            raise validation(
                f"customFields.{key} is not a custom field of this sub-account "
                "(see GET /api/v1/contacts/fields)",
                f"customFields.{key}",
            )
        cleaned = _custom_value(by_name[key], value)
        if cleaned is None:
            merged.pop(key, None)
        else:
            merged[key] = cleaned
    for definition in definitions:
        if not definition["isRequired"]:
            continue
        name = definition["name"]
        touched = given is not None and name in given
        if (creating or touched) and merged.get(name) is None:
            raise validation(
                f"customFields.{name} ({definition['label']}) is required", f"customFields.{name}"
            )
    return merged


def _known_user(store: Store, sub_account_id: str, user_id: str) -> bool:
    return (
        store.one(
            "SELECT 1 FROM users WHERE id = ? AND sub_account_id = ?", (user_id, sub_account_id)
        )
        is not None
    )


def clean_fields(
    store: Store, sub_account_id: str, body: Body, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Validate a create (``current`` None) or update body; returns the changed fields."""
    creating = current is None
    out: dict[str, Any] = {}
    if creating:
        missing = [
            n
            for n in ("firstName", "lastName")
            if not isinstance(body.raw(n), str) or not body.raw(n).strip()
        ]
        if missing and all(body.raw(n) is None or isinstance(body.raw(n), str) for n in missing):
            raise validation("firstName and lastName are required", missing[0])
    for name in ("firstName", "lastName"):
        if creating or name in body:
            value = body.str(name, required=True, max_len=NAME_MAX)
            out[name] = value
    if "email" in body:
        value = body.str("email", max_len=320)
        out["email"] = normalise_email(value, "email") if value else None
    if "phone" in body:
        value = body.str("phone", max_len=32)
        out["phone"] = check_phone(value, "phone") if value else None
    for name in PLAIN_TEXT:
        if name in body:
            value = body.str(name, max_len=TEXT_MAX)
            out[name] = value or None
    if "tags" in body:
        tags = body.str_list("tags", max_items=MAX_TAGS, max_len=TAG_MAX) or []
        out["tags"] = tags
    if "lifecycleStage" in body or creating:
        stage = body.str("lifecycleStage", choices=LIFECYCLE_STAGES)
        if stage is None and not creating:
            raise validation("lifecycleStage cannot be empty")
        out["lifecycleStage"] = stage or "lead"
    if "assignedTo" in body:
        user = body.str("assignedTo", max_len=100)
        if user and not _known_user(store, sub_account_id, user):
            raise validation(f"assignedTo is not a team member of this sub-account: {user}")
        out["assignedTo"] = user or None
    if "additionalEmails" in body:
        emails = body.str_list("additionalEmails", max_items=20, max_len=320) or []
        out["additionalEmails"] = [normalise_email(e, "additionalEmails") for e in emails]
    if "additionalPhones" in body:
        phones = body.str_list("additionalPhones", max_items=20, max_len=32) or []
        out["additionalPhones"] = [check_phone(p, "additionalPhones") for p in phones]
    if "dateOfBirth" in body:
        value = body.str("dateOfBirth", max_len=10)
        if value:
            check_date(value, "dateOfBirth")
            if value > clock.iso(store.clock.now_ms())[:10]:
                raise validation("dateOfBirth cannot be in the future")
        out["dateOfBirth"] = value or None
    given_custom = body.obj("customFields") if "customFields" in body else None
    if given_custom is not None or creating:
        out["customFields"] = validate_custom_fields(
            field_definitions(store, sub_account_id),
            given_custom,
            (current or {}).get("customFields") or {},
            creating=creating,
        )
    return out


# -- storage ---------------------------------------------------------------------------


def _search_text(doc: dict[str, Any]) -> str:
    parts = [doc.get("firstName"), doc.get("lastName"), doc.get("email"), doc.get("company")]
    return " ".join(p for p in parts if p).lower()


def _write(
    store: Store,
    sub_account_id: str,
    doc: dict[str, Any],
    created_ms: int,
    updated_ms: int,
    *,
    insert: bool,
) -> None:
    email = doc.get("email")
    values = (
        dumps(doc),
        email.lower() if email else None,
        _search_text(doc),
        doc["lifecycleStage"],
        doc.get("source"),
        doc.get("assignedTo"),
        1 if doc.get("phone") else 0,
        dumps(doc.get("tags") or []),
        updated_ms,
    )
    if insert:
        store.run(
            "INSERT INTO contacts (doc, email_lower, search_text, lifecycle_stage, source, "
            "assigned_to, has_phone, tags, updated_ms, id, sub_account_id, created_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, doc["id"], sub_account_id, created_ms),
        )
    else:
        store.run(
            "UPDATE contacts SET doc = ?, email_lower = ?, search_text = ?, lifecycle_stage = ?, "
            "source = ?, assigned_to = ?, has_phone = ?, tags = ?, updated_ms = ? WHERE id = ?",
            (*values, doc["id"]),
        )


def _email_taken(
    store: Store, sub_account_id: str, email: str | None, except_id: str | None
) -> None:
    if not email:
        return
    row = store.one(
        "SELECT id FROM contacts WHERE sub_account_id = ? AND email_lower = ? AND deleted_ms IS NULL",
        (sub_account_id, email.lower()),
    )
    if row is not None and row["id"] != except_id:
        raise validation(
            f"email is already used by contact {row['id']} in this sub-account", "email"
        )


def render(doc: dict[str, Any]) -> dict[str, Any]:
    """The public contact object (every documented field, plus ``dndChannels``)."""
    out = {name: doc.get(name) for name in FIELDS}
    for name in ("tags", "additionalEmails", "additionalPhones"):
        out[name] = out[name] or []
    out["customFields"] = out["customFields"] or {}
    out["dndChannels"] = doc.get("dndChannels") or []
    return out


def load(store: Store, sub_account_id: str, contact_id: str) -> dict[str, Any] | None:
    """A live (not deleted) contact document of this sub-account, or None."""
    row = store.one(
        "SELECT doc FROM contacts WHERE id = ? AND sub_account_id = ? AND deleted_ms IS NULL",
        (contact_id, sub_account_id),
    )
    return None if row is None else loads(row["doc"])


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The embedded contact summary of conversations and appointments."""
    first, last = doc.get("firstName") or "", doc.get("lastName") or ""
    return {
        "id": doc["id"],
        "firstName": first,
        "lastName": last,
        "name": f"{first} {last}".strip(),
        "email": doc.get("email"),
        "phone": doc.get("phone"),
    }


def summary_by_id(
    store: Store, sub_account_id: str, contact_id: str | None
) -> dict[str, Any] | None:
    """Summary of a contact, deleted ones included (history keeps its names)."""
    if not contact_id:
        return None
    row = store.one(
        "SELECT doc FROM contacts WHERE id = ? AND sub_account_id = ?", (contact_id, sub_account_id)
    )
    return None if row is None else summary(loads(row["doc"]))


def insert_contact(
    store: Store,
    sub_account_id: str,
    fields: dict[str, Any],
    *,
    now_ms: int | None = None,
    contact_id: str | None = None,
    emit: bool = True,
) -> dict[str, Any]:
    """Store a new contact from already validated fields; fires ``contact.created``."""
    now = store.clock.now_ms() if now_ms is None else now_ms
    doc: dict[str, Any] = {name: None for name in FIELDS}
    doc.update(
        {
            "tags": [],
            "additionalEmails": [],
            "additionalPhones": [],
            "customFields": {},
            "lifecycleStage": "lead",
            "engagementScore": 0,
            "dndChannels": [],
        }
    )
    doc.update(fields)
    doc["id"] = contact_id or new_id("contact")
    doc["createdAt"] = doc["updatedAt"] = clock.iso(now)
    _write(store, sub_account_id, doc, now, now, insert=True)
    if emit:
        data = {
            "contactId": doc["id"],
            "firstName": doc["firstName"],
            "lastName": doc["lastName"],
            "email": doc.get("email"),
            "phone": doc.get("phone"),
            "lifecycleStage": doc["lifecycleStage"],
            "source": doc.get("source"),
        }
        if doc["tags"]:
            data["tags"] = doc["tags"]
        events.emit(store, sub_account_id, "contact.created", data)
    return doc


def update_contact(
    store: Store, sub_account_id: str, doc: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply validated changes; fires updated / tag_added / lifecycle_changed as the API
    notes say."""
    changed = [k for k, v in changes.items() if doc.get(k) != v]
    if not changed:
        return doc
    before = dict(doc)
    doc = {**doc, **changes}
    now = store.clock.now_ms()
    doc["updatedAt"] = clock.iso(now)
    _write(store, sub_account_id, doc, 0, now, insert=False)
    base = {"contactId": doc["id"]}
    if doc.get("tags"):
        base["tags"] = doc["tags"]
    events.emit(
        store,
        sub_account_id,
        "contact.updated",
        {
            **base,
            "firstName": doc["firstName"],
            "lastName": doc["lastName"],
            "email": doc.get("email"),
            "changedFields": changed,
        },
    )
    if "tags" in changed:
        for tag in doc["tags"]:
            if tag not in (before.get("tags") or []):
                events.emit(store, sub_account_id, "contact.tag_added", {**base, "tag": tag})
    if "lifecycleStage" in changed:
        events.emit(
            store,
            sub_account_id,
            "contact.lifecycle_changed",
            {
                **base,
                "previousStage": before.get("lifecycleStage"),
                "lifecycleStage": doc["lifecycleStage"],
            },
        )
    return doc


def touch(store: Store, sub_account_id: str, contact_id: str, **changes: Any) -> None:
    """Internal change without events (DND flags, engagement score); bumps ``updatedAt``."""
    doc = load(store, sub_account_id, contact_id)
    if doc is None:
        return
    doc.update(changes)
    now = store.clock.now_ms()
    doc["updatedAt"] = clock.iso(now)
    _write(store, sub_account_id, doc, 0, now, insert=False)


def find_or_create(
    store: Store,
    sub_account_id: str,
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str | None = None,
    source: str | None = None,
    tags: list[str] | None = None,
) -> tuple[dict[str, Any], bool]:
    """The live contact with ``email`` (exact, case-insensitive), or a new one.

    Used by booking, live chat and forms. Creations here are the system's own, so
    required custom fields do not block them. Returns (contact, created).
    """
    email = normalise_email(email, "email")
    row = store.one(
        "SELECT doc FROM contacts WHERE sub_account_id = ? AND email_lower = ? AND deleted_ms IS NULL",
        (sub_account_id, email.lower()),
    )
    if row is not None:
        return loads(row["doc"]), False
    fields: dict[str, Any] = {
        "firstName": first_name,
        "lastName": last_name,
        "email": email,
        "source": source,
        "tags": tags or [],
    }
    if phone:
        fields["phone"] = check_phone(phone, "phone")
    return insert_contact(store, sub_account_id, fields), True


# -- routes ----------------------------------------------------------------------------


def get_fields(ctx: Ctx) -> Reply:
    return Reply(field_definitions(ctx.store, ctx.account))


def list_contacts(ctx: Ctx) -> Reply:
    q = ctx.query
    default, maximum = LIST_LIMITS["contacts"]
    limit = q.limit(default, maximum)
    where = ["sub_account_id = ?", "deleted_ms IS NULL"]
    params: list[Any] = [ctx.account]
    filters: list[Any] = [ctx.account]
    email = q.str("email", max_len=320)
    if email is not None:
        where.append("email_lower = ?")
        params.append(email.strip().lower())
    search = q.str("search", max_len=200)
    if search:
        for term in search.lower().split():
            where.append("instr(search_text, ?) > 0")
            params.append(term)
    stage = q.str("lifecycleStage", choices=LIFECYCLE_STAGES)
    if stage:
        where.append("lifecycle_stage = ?")
        params.append(stage)
    source = q.str("source", max_len=100)
    if source:
        where.append("source = ?")
        params.append(source)
    tags = q.str("tags", max_len=1000)
    tag_list = [t.strip() for t in (tags or "").split(",") if t.strip()]
    for tag in tag_list:  # every listed tag must be present
        where.append("EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE value = ?)")
        params.append(tag)
    assigned = q.str("assignedTo", max_len=100)
    if assigned:
        where.append("assigned_to = ?")
        params.append(assigned)
    has_phone = q.bool("hasPhone")
    if has_phone is not None:
        where.append("has_phone = ?")
        params.append(1 if has_phone else 0)
    filters += [email, search, stage, source, tag_list, assigned, has_phone]
    return keyset_page(
        ctx,
        kind="contacts",
        table_sql="contacts",
        where=where,
        params=params,
        sort_col="updated_ms",
        id_col="id",
        limit=limit,
        filters=filters,
        render=lambda row: render(loads(row["doc"])),
    )


def get_contact(ctx: Ctx) -> Reply:
    doc = load(ctx.store, ctx.account, ctx.path["id"])
    if doc is None:
        raise not_found("Contact")
    return Reply(render(doc))


def create_contact(ctx: Ctx) -> Reply:
    fields = clean_fields(ctx.store, ctx.account, ctx.body, None)
    _email_taken(ctx.store, ctx.account, fields.get("email"), None)
    fields.setdefault("source", "api")
    doc = insert_contact(ctx.store, ctx.account, fields)
    return Reply(render(doc), status=201)


def patch_contact(ctx: Ctx) -> Reply:
    doc = load(ctx.store, ctx.account, ctx.path["id"])
    if doc is None:
        raise not_found("Contact")
    changes = clean_fields(ctx.store, ctx.account, ctx.body, doc)
    if "email" in changes:
        _email_taken(ctx.store, ctx.account, changes["email"], doc["id"])
    return Reply(render(update_contact(ctx.store, ctx.account, doc, changes)))


def delete_contact(ctx: Ctx) -> Reply:
    doc = load(ctx.store, ctx.account, ctx.path["id"])
    if doc is None:
        raise not_found("Contact")
    now = ctx.now()
    ctx.store.run(
        "UPDATE contacts SET deleted_ms = ?, updated_ms = ? WHERE id = ?", (now, now, doc["id"])
    )
    # Cascades (conversations, appointments, workflow runs) join the delete's transaction.
    for hook in ctx.store.hooks.contact_deleted:
        hook(ctx.store, ctx.account, doc["id"])
    return Reply({"id": doc["id"], "deleted": True})


# -- demo seed -------------------------------------------------------------------------

DEMO_FIELDS = {
    # Every type appears in each sub-account; only the second has a required field.
    "sub_harbor_dental": [
        (
            "preferred_language",
            "Preferred Language",
            "select",
            ["English", "Spanish", "French"],
            False,
        ),
        ("insurance_provider", "Insurance Provider", "text", None, False),
        ("patient_since", "Patient Since", "date", None, False),
        ("visits_per_year", "Visits per Year", "number", None, False),
        ("sms_reminders", "SMS Reminders", "boolean", None, False),
        ("referral_url", "Referral Page", "url", None, False),
        ("billing_email", "Billing Email", "email", None, False),
        ("emergency_phone", "Emergency Phone", "phone", None, False),
    ],
    "sub_summit_roofing": [
        (
            "property_type",
            "Property Type",
            "select",
            ["Residential", "Commercial", "Industrial"],
            True,
        ),
        ("roof_age_years", "Roof Age (years)", "number", None, False),
        ("inspection_date", "Inspection Date", "date", None, False),
        ("insurance_claim", "Insurance Claim", "boolean", None, False),
        ("gate_code", "Gate Code", "text", None, False),
        ("photos_url", "Photos Link", "url", None, False),
        ("adjuster_email", "Adjuster Email", "email", None, False),
        ("site_phone", "Site Phone", "phone", None, False),
    ],
}


def _demo_custom_values(
    rng: Any, definitions: list[tuple[Any, ...]], now_ms: int
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, _label, kind, options, required in definitions:
        if not required and rng.random() < 0.45:
            continue
        if kind == "select":
            values[name] = rng.choice(options)
        elif kind == "number":
            values[name] = rng.randint(0, 30)
        elif kind == "date":
            values[name] = clock.iso(now_ms - rng.randint(30, 3000) * 86_400_000)[:10]
        elif kind == "boolean":
            values[name] = rng.random() < 0.6
        elif kind == "text":
            values[name] = rng.choice(
                ["Delta Dental", "Aetna", "Cigna", "MetLife", "Gate 4471", "Guardian", "Blue Cross"]
            )
        elif kind == "url":
            values[name] = f"https://files.example.com/{rng.getrandbits(32):08x}"
        elif kind == "email":
            values[name] = f"billing{rng.randint(1, 999)}@example.com"
        elif kind == "phone":
            values[name] = f"+1555{rng.randint(1000000, 9999999)}"
    return values


def demo_company(rng: Any) -> str:
    suffix = rng.choice(COMPANY_SUFFIXES)
    name = f"{rng.choice(COMPANY_WORDS_A)} {rng.choice(COMPANY_WORDS_B)}"
    return f"{name} {suffix}".strip()


def seed_contacts(store: Store, ctx: SeedContext) -> None:
    """Custom fields always; contacts only in the demo seed."""
    for acct in ctx.accounts:
        definitions = DEMO_FIELDS.get(acct.id, DEMO_FIELDS["sub_harbor_dental"])
        for pos, (name, label, kind, options, required) in enumerate(definitions):
            assert kind in CUSTOM_FIELD_TYPES
            store.run(
                "INSERT INTO custom_fields VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    acct.id,
                    name,
                    label,
                    kind,
                    dumps(options) if options else None,
                    int(required),
                    pos,
                ),
            )
        if not ctx.demo:
            continue
        rng = ctx.rng("contacts", acct.id)
        used_emails: set[str] = set()
        user_ids = [u["id"] for u in acct.users]
        for _ in range(acct.contacts):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company = demo_company(rng) if rng.random() < 0.7 else None
            email = None
            if rng.random() < 0.93:
                local = f"{first}.{last}".lower()
                domain = (
                    (company.split()[0].lower() + ".example.com")
                    if company and rng.random() < 0.5
                    else rng.choice(EMAIL_DOMAINS)
                )
                email = f"{local}@{domain}"
                n = 2
                while email in used_emails:
                    email = f"{local}{n}@{domain}"
                    n += 1
                used_emails.add(email)
            phone = (
                f"+1{rng.choice(['617', '212', '303', '720', '512', '206', '305'])}555{rng.randint(1000, 9999):04d}"
                if rng.random() < 0.8
                else None
            )
            city, state, postal, country = rng.choice(CITIES)
            created = ctx.now_ms - rng.randint(1, 700) * 86_400_000 - rng.randint(0, 86_399_999)
            updated = min(
                ctx.now_ms - rng.randint(0, 3_600_000), created + rng.randint(0, 300) * 86_400_000
            )
            fields = {
                "firstName": first,
                "lastName": last,
                "email": email,
                "phone": phone,
                "company": company,
                "title": rng.choice(TITLES) if company else None,
                "source": rng.choice(SOURCES),
                "tags": sorted(set(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2, 3])))),
                "lifecycleStage": rng.choices(LIFECYCLE_STAGES, weights=[40, 20, 25, 10, 5])[0],
                "engagementScore": rng.randint(0, 100),
                "assignedTo": rng.choice(user_ids) if rng.random() < 0.6 else None,
                "additionalEmails": [
                    f"{first.lower()}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
                ]
                if rng.random() < 0.1
                else [],
                "additionalPhones": [f"+1555{rng.randint(1000000, 9999999)}"]
                if rng.random() < 0.08
                else [],
                "addressLine1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
                if rng.random() < 0.6
                else None,
                "city": city,
                "state": state or None,
                "postalCode": postal,
                "country": country,
                "dateOfBirth": f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if rng.random() < 0.3
                else None,
                "customFields": _demo_custom_values(rng, definitions, ctx.now_ms),
            }
            doc = insert_contact(
                store,
                acct.id,
                fields,
                now_ms=created,
                contact_id=ctx.make_id(rng, "contact"),
                emit=False,
            )
            if updated != created:
                doc["updatedAt"] = clock.iso(updated)
                _write(store, acct.id, doc, created, updated, insert=False)


LIST_QUERY = (
    *page_query(LIST_LIMITS["contacts"][1]),
    Param.text("email", max_len=320),
    Param.text("search", max_len=200),
    Param.text("lifecycleStage", choices=LIFECYCLE_STAGES),
    Param.text("source", max_len=100),
    Param.text("tags", max_len=1000),
    Param.text("assignedTo", max_len=100),
    Param.flag("hasPhone"),
)


def contact_body(*, creating: bool) -> tuple[Param, ...]:
    """The fields ``clean_fields`` reads from a create (``creating``) or update body."""
    return (
        Param.text("firstName", required=creating, max_len=NAME_MAX),
        Param.text("lastName", required=creating, max_len=NAME_MAX),
        Param.text("email", max_len=320),
        Param.text("phone", max_len=32),
        *(Param.text(name, max_len=TEXT_MAX) for name in PLAIN_TEXT),
        Param.texts("tags", max_items=MAX_TAGS, max_len=TAG_MAX),
        Param.text("lifecycleStage", choices=LIFECYCLE_STAGES),
        Param.text("assignedTo", max_len=100),
        Param.texts("additionalEmails", max_items=20, max_len=320),
        Param.texts("additionalPhones", max_items=20, max_len=32),
        Param.text("dateOfBirth", max_len=10),
        Param.object("customFields"),
    )


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    router.add("GET", "/api/v1/contacts/fields", get_fields, scope="contacts:read")
    router.add("GET", "/api/v1/contacts", list_contacts, scope="contacts:read", query=LIST_QUERY)
    router.add("GET", "/api/v1/contacts/{id}", get_contact, scope="contacts:read")
    router.add(
        "POST",
        "/api/v1/contacts",
        create_contact,
        scope="contacts:write",
        body=contact_body(creating=True),
    )
    router.add(
        "PATCH",
        "/api/v1/contacts/{id}",
        patch_contact,
        scope="contacts:write",
        body=contact_body(creating=False),
    )
    router.add("DELETE", "/api/v1/contacts/{id}", delete_contact, scope="contacts:write")
    registry.seeder(10, seed_contacts)
