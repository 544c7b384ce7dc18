"""Merge fields: the tokens the server resolves at send time (docs/api/seedly-crm.md §4), previewed
against a contact in the composer, and listed for its insert menu.

Tokens: ``{{firstName}}``, ``{{lastName}}``, ``{{email}}``, ``{{phone}}``,
``{{company}}``, ``{{fullName}}`` and ``{{custom_values.<key>}}``.

Decisions where the API is silent:

- ``custom_values.<key>`` is read from the contact's ``customFields[<key>]``:
  the API lists it among the contact merge fields and exposes no other
  source of "custom values".
- Names are case-sensitive, as the API writes them; spaces inside the braces
  are tolerated (``{{ firstName }}``).
- A known token without a value renders as empty text (and is listed in
  ``MergePreview.empty`` so the UI can say so). An unknown token is left as
  written, so the user sees it, and reported in ``MergePreview.unknown`` with a
  suggestion when it looks like a known one (``{{first_name}}``).
- Values render as JSON would print them: ``true``/``false``, ``29`` (not
  ``29.0``), lists joined with ", ".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.models import Contact, ContactSummary, CustomFieldDefinition

CUSTOM_PREFIX = "custom_values."
_TOKEN_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class MergeField:
    """An insertable merge field."""

    key: str
    """What goes between the braces: ``firstName``, ``custom_values.company_size``."""
    label: str
    """Name for the insert menu."""

    @property
    def token(self) -> str:
        """The token as inserted: ``{{firstName}}``."""
        return "{{" + self.key + "}}"


STANDARD_FIELDS: tuple[MergeField, ...] = (
    MergeField("firstName", "First name"),
    MergeField("lastName", "Last name"),
    MergeField("fullName", "Full name"),
    MergeField("email", "Email"),
    MergeField("phone", "Phone"),
    MergeField("company", "Company"),
)
_STANDARD_KEYS = frozenset(f.key for f in STANDARD_FIELDS)


def available_merge_fields(
    custom_fields: Sequence[CustomFieldDefinition] = (),
) -> list[MergeField]:
    """Fields for the insert menu: the standard ones, then one per custom field
    definition of the sub-account (labelled after the definition)."""
    fields = list(STANDARD_FIELDS)
    for definition in custom_fields:
        fields.append(MergeField(CUSTOM_PREFIX + definition.name, definition.display_label))
    return fields


@dataclass(frozen=True)
class TokenMatch:
    """A ``{{…}}`` token found in a text (for highlighting in the editor)."""

    start: int
    end: int
    text: str
    """The token as written, braces included."""
    key: str
    """The name inside the braces, without surrounding spaces."""


def find_tokens(template: str) -> list[TokenMatch]:
    """Every ``{{…}}`` token in ``template``, in order."""
    return [
        TokenMatch(m.start(), m.end(), m.group(0), m.group(1)) for m in _TOKEN_RE.finditer(template)
    ]


@dataclass(frozen=True)
class UnknownToken:
    """A token the server will not resolve."""

    text: str
    key: str
    suggestion: str | None
    """The token probably meant (``{{firstName}}``), when one is close."""


@dataclass(frozen=True)
class MergePreview:
    """``template`` with its merge fields resolved against one contact."""

    text: str
    unknown: tuple[UnknownToken, ...]
    empty: tuple[str, ...]
    """Known keys that resolved to nothing for this contact (each listed once)."""

    @property
    def ok(self) -> bool:
        """Every token is one the server knows."""
        return not self.unknown


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(_as_text(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


ContactLike = Contact | ContactSummary | Mapping[str, Any] | None


def _values(contact: ContactLike) -> tuple[dict[str, str], Mapping[str, Any]]:
    """Standard values by merge key, and the custom-field mapping."""
    if contact is None:
        return {}, {}
    if isinstance(contact, Contact | ContactSummary):
        first, last = contact.first_name or "", contact.last_name or ""
        email, phone = contact.email, contact.phone
        company = (
            contact.company if isinstance(contact, Contact) else getattr(contact, "company", None)
        )
        custom: Mapping[str, Any] = contact.custom_fields if isinstance(contact, Contact) else {}
        full = contact.full_name
    else:

        def pick(wire: str, python: str) -> Any:
            return contact.get(wire, contact.get(python))

        first, last = (
            _as_text(pick("firstName", "first_name")),
            _as_text(pick("lastName", "last_name")),
        )
        email, phone = pick("email", "email"), pick("phone", "phone")
        company = pick("company", "company")
        raw_custom = pick("customFields", "custom_fields")
        custom = raw_custom if isinstance(raw_custom, Mapping) else {}
        full = " ".join(p.strip() for p in (first, last) if p and p.strip())
    values = {
        "firstName": _as_text(first),
        "lastName": _as_text(last),
        "fullName": full,
        "email": _as_text(email),
        "phone": _as_text(phone),
        "company": _as_text(company),
    }
    return values, custom


def _squash(key: str) -> str:
    return key.replace("_", "").replace(" ", "").replace("-", "").casefold()


def _suggest(key: str, custom_names: Iterable[str] | None) -> str | None:
    bare = key.split(".", 1)[1] if key.lower().startswith("contact.") else key
    for known in _STANDARD_KEYS:
        if _squash(known) == _squash(bare):
            return "{{" + known + "}}"
    if _squash(bare) == "name":
        return "{{fullName}}"
    lowered = key.casefold()
    if lowered.startswith(
        ("custom_values.", "customvalues.", "custom_fields.", "customfields.", "custom.")
    ):
        name = key.split(".", 1)[1].strip()
        for known_name in custom_names or ():
            if known_name.casefold() == name.casefold():
                return "{{" + CUSTOM_PREFIX + known_name + "}}"
        if custom_names is None and name:
            return "{{" + CUSTOM_PREFIX + name + "}}"
    return None


def render_merge_fields(
    template: str, contact: ContactLike, *, custom_field_names: Iterable[str] | None = None
) -> MergePreview:
    """Preview ``template`` for ``contact`` (a ``Contact``, an embedded summary, a wire
    mapping, or None for "no contact": every field empty).

    ``custom_field_names`` (the sub-account's custom field keys), when given,
    makes ``{{custom_values.x}}`` with an undefined ``x`` an unknown token;
    without it any custom key is accepted."""
    values, custom = _values(contact)
    names = None if custom_field_names is None else frozenset(custom_field_names)
    unknown: list[UnknownToken] = []
    empty: list[str] = []

    def resolve(match: re.Match[str]) -> str:
        key = match.group(1)
        value: str | None = None
        if key in _STANDARD_KEYS:
            value = values.get(key, "")
        elif key.startswith(CUSTOM_PREFIX):
            name = key[len(CUSTOM_PREFIX) :].strip()
            if name and (names is None or name in names):
                key = CUSTOM_PREFIX + name
                value = _as_text(custom.get(name))
        if value is None:
            unknown.append(UnknownToken(match.group(0), key, _suggest(key, names)))
            return match.group(0)
        if not value and key not in empty:
            empty.append(key)
        return value

    text = _TOKEN_RE.sub(resolve, template)
    return MergePreview(text, tuple(unknown), tuple(empty))


__all__ = [
    "CUSTOM_PREFIX",
    "STANDARD_FIELDS",
    "MergeField",
    "MergePreview",
    "TokenMatch",
    "UnknownToken",
    "available_merge_fields",
    "find_tokens",
    "render_merge_fields",
]
