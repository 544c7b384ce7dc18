"""Phone numbers: normalisation to E.164 (what Seedly stores and SMS needs,
docs/api/seedly-crm.md §11) with a default region for numbers typed without a country
code.

A number written with its country (``+33 1 42 68 53 00``, ``0033 …``) is accepted when
``phonenumbers.is_possible_number`` (right length for the country), not only when
``is_valid_number``: the latter rejects the 555 numbers the API's own examples use
(``+15551234567``) and any range allocated after the installed metadata;
``PhoneCheck.likely_valid`` carries that stricter verdict for a soft note.

A number written *without* its country is read as a number of the default region, and
that is only a guess: it must then be a valid number of that region. Otherwise a French
``01 42 68 53 00`` read as American would be stored as ``+10142685300``, a number that
reaches nobody. Such a number is refused with a sentence asking for the country code
(the CSV import reads it by the row's country column first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

DEFAULT_REGION = "US"
_E164_RE = re.compile(r"^\+[1-9]\d{1,14}$")


class InvalidPhone(ValueError):
    """A number that cannot be normalised; ``str(exc)`` is a sentence for the user."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw


@dataclass(frozen=True)
class PhoneCheck:
    """Outcome of ``check_phone``: either ``e164`` or an ``error`` sentence."""

    raw: str
    e164: str | None
    error: str | None
    region: str | None = None
    """Region the number belongs to (``"GB"``), when known."""
    likely_valid: bool = False
    """The number is in an allocated range per phonenumbers' metadata."""

    @property
    def ok(self) -> bool:
        """The number was normalised."""
        return self.e164 is not None


def is_e164(value: str) -> bool:
    """Whether ``value`` is already written in E.164 (``+`` and up to 15 digits)."""
    return bool(_E164_RE.match(value))


def _region(default_region: str | None) -> str | None:
    if not default_region:
        return None
    region = default_region.strip().upper()
    # An unknown region would make phonenumbers fail every national number with a
    # confusing error; treat it as "no default region" instead.
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def region_name(region: str) -> str:
    """The English name of a region ("France" for ``"FR"``), or the code itself."""
    # Imported on first use: the names of every locale take a second to load at start-up,
    # and only a message about a foreign number needs them.
    from phonenumbers.geodata.locale import LOCALE_DATA

    names = LOCALE_DATA.get(region.upper(), {})
    name = names.get("en", "")
    while name.startswith("*"):  # the metadata points at another language's spelling
        name = names.get(name[1:], "")
    return name or region.upper()


_COUNTRY_GIVEN = frozenset(
    {
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
        phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD,
    }
)


_CACHE_SIZE = 4096
_checked: dict[tuple[str, str | None], PhoneCheck] = {}
"""Recent verdicts: an import checks each number when it reads the row and again, in its
E.164 form, when the row is validated; parsing is the costly part of both."""


def check_phone(raw: str, default_region: str | None = DEFAULT_REGION) -> PhoneCheck:
    """Normalise ``raw`` to E.164 without raising; for inline validation.

    ``"(617) 555-0101"`` with region ``"US"`` gives ``"+16175550101"``;
    numbers starting with ``+`` ignore the region. A number without its country
    must be valid in ``default_region`` (see the module docstring)."""
    text = raw.strip()
    if not text:
        return PhoneCheck(raw, None, "Enter a phone number.")
    region = _region(default_region)
    key = (text, None if text.startswith("+") else region)
    known = _checked.get(key)
    if known is not None:
        return known if known.raw == raw else replace(known, raw=raw)
    result = _check(raw, text, region)
    if len(_checked) >= _CACHE_SIZE:
        _checked.clear()
    _checked[key] = result
    if result.e164 is not None:
        _checked[(result.e164, None)] = replace(result, raw=result.e164)
    return result


def _check(raw: str, text: str, region: str | None) -> PhoneCheck:
    try:
        number = phonenumbers.parse(text, region, keep_raw_input=True)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            if region is None and not text.startswith("+"):
                return PhoneCheck(
                    raw, None, "Start the number with + and its country code, e.g. +15551234567."
                )
            return PhoneCheck(raw, None, f"“{text}” has a country code that does not exist.")
        if exc.error_type == NumberParseException.TOO_LONG:
            return PhoneCheck(raw, None, f"“{text}” has too many digits for a phone number.")
        return PhoneCheck(raw, None, f"“{text}” is not a phone number.")
    if number.extension:
        # E.164 has no place for an extension; dropping it silently would lose data.
        return PhoneCheck(
            raw,
            None,
            "Extensions cannot be stored with the number; remove "
            f"“{number.extension}” and keep it in a note.",
        )
    possible = phonenumbers.is_possible_number(number)
    valid = possible and phonenumbers.is_valid_number(number)
    if not valid and number.country_code_source not in _COUNTRY_GIVEN and region is not None:
        why = "" if possible else ": it does not have the right number of digits"
        return PhoneCheck(
            raw,
            None,
            f"“{text}” is not a valid {region_name(region)} number{why} (numbers without a "
            f"country code are read as {region} numbers). If it is from another country, "
            "write it with + and its country code.",
            region=region,
        )
    if not possible:
        return PhoneCheck(
            raw,
            None,
            f"“{text}” does not have the right number of digits for a phone number in its country.",
        )
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return PhoneCheck(
        raw,
        e164,
        None,
        region=phonenumbers.region_code_for_number(number),
        likely_valid=valid,
    )


def normalize_phone(raw: str, default_region: str | None = DEFAULT_REGION) -> str:
    """``raw`` in E.164, or ``InvalidPhone`` with a sentence saying what is wrong."""
    result = check_phone(raw, default_region)
    if result.e164 is None:
        raise InvalidPhone(result.error or "Not a phone number.", raw)
    return result.e164


def format_phone(
    e164: str, *, international: bool = False, home_region: str | None = DEFAULT_REGION
) -> str:
    """An E.164 number for display: national style for numbers of ``home_region``,
    international otherwise (or always with ``international``). Unparseable input
    is returned unchanged."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    region = _region(home_region)
    if not international and region and _of_region(number, region):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _of_region(number: phonenumbers.PhoneNumber, region: str) -> bool:
    """Whether ``number`` is written nationally for a user in ``region``: it belongs to
    the region, or to no known region but has the region's country code (a 555 number,
    a range newer than the metadata), which a user there would dial the national way."""
    own = phonenumbers.region_code_for_number(number)
    if own == region:
        return True
    unknown = own is None or own == phonenumbers.UNKNOWN_REGION
    return unknown and number.country_code == phonenumbers.country_code_for_region(region)


def warm_up_phone_rules(home_region: str | None = DEFAULT_REGION) -> None:
    """Load the numbering rules the first numbers shown will need (call on a worker).

    phonenumbers imports a module per region on first use; telling which region a number
    of a shared country code belongs to (a 555 number under +1) loads every region of
    that code: 25 modules, tens of milliseconds that would otherwise fall on the GUI
    thread when the first list of contacts is drawn."""
    region = _region(home_region)
    if region is None:
        return
    code = phonenumbers.country_code_for_region(region)
    for each in phonenumbers.region_codes_for_country_code(code):
        phonenumbers.PhoneMetadata.metadata_for_region(each)
    format_phone(f"+{code}2025550101", home_region=region)


_PHONE_TEXT_RE = re.compile(r"^[+(]?[\d\s().\-/]{6,}$")
"""What a typed number may look like (digits, spaces, brackets, dots, dashes, slashes):
anything else (an email, "Room 12", a sentence) is never read as a phone number."""

_shown: dict[tuple[str, str | None], str] = {}
"""Display texts already worked out: tables and bubbles ask again on every paint."""


def display_phone(text: str, *, home_region: str | None = DEFAULT_REGION) -> str:
    """Any phone number as the app shows it, whatever form it came in.

    The one display format: national for numbers of ``home_region`` (``(303) 555-3164``),
    international otherwise (``+44 20 7946 0958``). E.164 values (what Seedly stores) and
    numbers as people or Seamless.AI write them (``312.555.0143``, ``1-312-555-0143``,
    read as numbers of ``home_region`` when they have no country code) come out the same.
    Text that is not a possible phone number (an email address, a note) is returned as
    it is."""
    key = (text, home_region)
    known = _shown.get(key)
    if known is not None:
        return known
    shown = _display(text.strip(), home_region) or text
    if len(_shown) >= _CACHE_SIZE:
        _shown.clear()
    _shown[key] = shown
    return shown


def _display(text: str, home_region: str | None) -> str | None:
    if not _PHONE_TEXT_RE.match(text):
        return None
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else _region(home_region))
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return format_phone(e164, home_region=home_region)


__all__ = [
    "DEFAULT_REGION",
    "InvalidPhone",
    "PhoneCheck",
    "check_phone",
    "display_phone",
    "format_phone",
    "warm_up_phone_rules",
    "is_e164",
    "normalize_phone",
    "region_name",
]
