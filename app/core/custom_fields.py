"""Validation of contact custom-field values against the sub-account's definitions
(``GET /contacts/fields``), the same rule for the detail form, CSV import and the
service before a request.

The API says only that the server "validates custom field schemas" and that
``isRequired`` applies "when creating/updating contacts". Decisions:

- Creating: every required field must have a non-blank value.
  Updating (PATCH): only fields present in the change are checked, and a
  required one may not be emptied.
- Values are normalised to their JSON type: numbers from text (``"29"`` → 29),
  booleans from yes/no words (CSV), dates to ``YYYY-MM-DD``, emails and phones
  like the contact's own, select values to the option's exact spelling, URLs
  without a scheme get ``https://``.
- A key with no definition is passed through untouched: the server is the
  judge of fields this client has not loaded.
- Blank values (``None``, ``""``) become ``None`` (clears the field).
- Text values longer than ``CUSTOM_TEXT_MAX`` characters are refused with the limit
  (``app.core.contact_limits``), never cut.

Errors are keyed ``customFields.<name>``, the spelling the server uses in its
error ``field``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from app.core.contact_limits import CUSTOM_TEXT_MAX, too_long
from app.core.emails import InvalidEmail, normalize_email
from app.core.enums import CustomFieldType
from app.core.models import CustomFieldDefinition
from app.core.phones import DEFAULT_REGION, InvalidPhone, normalize_phone

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
_INT_RE = re.compile(r"^[+-]?\d+$")
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/.*)?$")


def field_path(name: str) -> str:
    """The wire path of a custom field (``customFields.<name>``)."""
    return f"customFields.{name}"


def is_blank(value: Any) -> bool:
    """``None`` or a string of only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class CustomFieldsCheck:
    """Normalised ``values`` and any ``errors`` (``customFields.<name>`` → sentence)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No value was rejected."""
        return not self.errors


class _Rejected(ValueError):
    """A value does not fit its field; the message is the sentence for the user."""


def _number(value: Any, label: str) -> int | float:
    if isinstance(value, bool):
        raise _Rejected(f"{label} must be a number.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Rejected(f"{label} must be a number.")
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INT_RE.match(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            raise _Rejected(f"{label} must be a number.") from None
        if not math.isfinite(number):
            raise _Rejected(f"{label} must be a number.")
        return number
    raise _Rejected(f"{label} must be a number.")


def _boolean(value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise _Rejected(f"{label} must be yes or no.")


def _date(value: Any, label: str) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise _Rejected(f"{label} must be a date written as YYYY-MM-DD.")


def _url(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise _Rejected(f"{label} must be a web address.")
    text = value.strip()
    if "://" not in text and _DOMAIN_RE.match(text):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in text:
        raise _Rejected(f"{label} must be a web address starting with https://.")
    return text


def _select(value: Any, label: str, options: Sequence[str]) -> str:
    text = value if isinstance(value, str) else str(value)
    if not options:
        return text
    for option in options:
        if option == text:
            return option
    folded = text.strip().casefold()
    for option in options:
        if option.casefold() == folded:
            return option
    raise _Rejected(f"{label} must be one of: {', '.join(options)}.")


def check_custom_value(
    definition: CustomFieldDefinition, value: Any, *, default_region: str | None = DEFAULT_REGION
) -> tuple[Any, str | None]:
    """``(normalised value, None)`` or ``(value, sentence)`` for one non-blank value."""
    label = definition.display_label
    kind = definition.type
    try:
        if kind == CustomFieldType.NUMBER:
            return _number(value, label), None
        if kind == CustomFieldType.BOOLEAN:
            return _boolean(value, label), None
        if kind == CustomFieldType.DATE:
            return _date(value, label), None
        if kind == CustomFieldType.URL:
            return _url(value, label), None
        if kind == CustomFieldType.SELECT:
            return _select(value, label, definition.options), None
        if kind == CustomFieldType.EMAIL:
            if not isinstance(value, str):
                raise _Rejected(f"{label} must be an email address.")
            return normalize_email(value), None
        if kind == CustomFieldType.PHONE:
            if not isinstance(value, str):
                raise _Rejected(f"{label} must be a phone number.")
            return normalize_phone(value, default_region), None
        if kind == CustomFieldType.TEXT:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise _Rejected(f"{label} must be text.")
            text = value if isinstance(value, str) else str(value)
            problem = too_long(label, text, CUSTOM_TEXT_MAX)
            if problem:
                raise _Rejected(problem)
            return text, None
    except (_Rejected, InvalidEmail, InvalidPhone) as exc:
        message = str(exc)
        if isinstance(exc, InvalidEmail | InvalidPhone):
            message = f"{label}: {message}"
        return value, message
    # A type this build does not know: the server validates it.
    return value, None


def check_custom_fields(
    values: Mapping[str, Any],
    definitions: Sequence[CustomFieldDefinition],
    *,
    creating: bool,
    default_region: str | None = DEFAULT_REGION,
) -> CustomFieldsCheck:
    """Check and normalise ``values`` (a contact's ``customFields`` or a change to them)."""
    by_name = {d.name: d for d in definitions}
    result: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        definition = by_name.get(name)
        if definition is None:
            result[name] = value
            continue
        if is_blank(value):
            result[name] = None
            if definition.is_required:
                errors[field_path(name)] = f"{definition.display_label} is required."
            continue
        normalised, error = check_custom_value(definition, value, default_region=default_region)
        result[name] = normalised
        if error:
            errors[field_path(name)] = error
    if creating:
        for definition in definitions:
            if definition.is_required and definition.name not in values:
                errors[field_path(definition.name)] = f"{definition.display_label} is required."
    return CustomFieldsCheck(result, errors)


__all__ = [
    "CustomFieldsCheck",
    "check_custom_fields",
    "check_custom_value",
    "field_path",
    "is_blank",
]
