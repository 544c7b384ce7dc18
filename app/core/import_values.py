"""Reading the values other programs write into a contact's fields, for the CSV import.

Exports from address books and CRMs write the same thing many ways: dates as
``15.03.1970``, ``3/15/70``, ``March 15, 1970`` or ``--03-15`` (no year), with
"no date" markers such as Outlook's ``0/0/00``; countries as ``DE``, ``Germany`` or
``Deutschland``; several emails in one cell (Google's `` ::: ``); tags quoted
(Mailchimp) or mixed with system labels (Google's ``* myContacts``); lifecycle
stages under another CRM's names. The functions here turn them into what Seedly
stores, or say why a value cannot be read. They never guess silently: an ambiguous
date is read by the file's date order, which the import states in its preview.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache

import phonenumbers

from app.core.constants import LIFECYCLE_STAGES


def fold(text: str) -> str:
    """``text`` reduced to lower-case letters and digits, accents removed (for matching)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


# -- dates --------------------------------------------------------------------------------


class DateOrder(StrEnum):
    """How a file writes dates whose day and month could be swapped (``03/04/1970``)."""

    DMY = "dmy"
    MDY = "mdy"

    @property
    def label(self) -> str:
        """ "day/month/year" or "month/day/year"."""
        return "day/month/year" if self is DateOrder.DMY else "month/day/year"


MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI", "UM"})
"""Regions whose people write the month first (3/15/1970)."""

EMPTY_MARKERS = frozenset(
    {
        "0/0/00",
        "0/0/0000",
        "00/00/00",
        "00/00/0000",
        "0000-00-00",
        "00.00.0000",
        "00.00.00",
        "0.0.0000",
        "1/0/1900",
        "1900-01-00",
        "-",
        "--",
        "n/a",
        "na",
        "none",
        "null",
        "nil",
        "#n/a",
        "unknown",
    }
)
"""Cells that mean "no value": Outlook's empty birthday ``0/0/00``, Excel's day zero, and the
usual placeholders."""

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("january", "jan", "januar", "janvier", "janv", "enero", "ene", "jänner", "jaen"),
        ("february", "feb", "februar", "fevrier", "fevr", "febrero"),
        ("march", "mar", "marz", "maerz", "mars", "marzo", "mrz"),
        ("april", "apr", "avril", "avr", "abril", "abr"),
        ("may", "mai", "mayo"),
        ("june", "jun", "juni", "juin", "junio"),
        ("july", "jul", "juli", "juillet", "juil", "julio"),
        ("august", "aug", "aout", "agosto", "ago"),
        ("september", "sep", "sept", "septembre", "septiembre"),
        ("october", "oct", "oktober", "okt", "octobre", "octubre"),
        ("november", "nov", "novembre", "noviembre"),
        ("december", "dec", "dez", "dezember", "decembre", "diciembre", "dic"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[fold(_name)] = _number

_ISO_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")
_NUMERIC_RE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?$")
_YEARLESS_RE = re.compile(r"^(?:--(\d{2})-?(\d{2})|(\d{1,2})([/.\-])(\d{1,2})\.?)$")
_WORDS_RE = re.compile(r"[A-Za-zÀ-ÿ]+\.?|\d+")


@dataclass(frozen=True)
class DateReading:
    """A date cell read: ``iso`` (``YYYY-MM-DD``), or empty, or the ``problem`` sentence."""

    iso: str | None = None
    problem: str | None = None
    ambiguous: bool = False
    """Day and month could be swapped; the order decided."""

    @property
    def empty(self) -> bool:
        """The cell means "no date"."""
        return self.iso is None and self.problem is None


def _year(text: str, today: date) -> int:
    year = int(text)
    if len(text) == 2:
        # Birthdays: "70" is 1970, "05" is 2005 unless that is still to come.
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _make(year: int, month: int, day: int, raw: str) -> DateReading:
    try:
        return DateReading(date(year, month, day).isoformat())
    except ValueError:
        return DateReading(problem=f"“{raw}” is not a real date.")


def read_date(raw: str, order: DateOrder, *, today: date | None = None) -> DateReading:
    """Read a date cell in any common form; ``order`` decides ``03/04/1970``.

    A date without a year (``--03-15``, ``12/10``) cannot be stored (Seedly keeps
    ``YYYY-MM-DD``) and is a problem, never a made-up year."""
    text = raw.strip()
    if not text or text.casefold() in EMPTY_MARKERS:
        return DateReading()
    today = today or date.today()
    iso = _ISO_RE.match(text)
    if iso:
        return _make(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), text)
    numeric = _NUMERIC_RE.match(text)
    if numeric:
        first, separator, second = int(numeric.group(1)), numeric.group(2), int(numeric.group(3))
        year = _year(numeric.group(4), today)
        if first == 0 or second == 0:
            return DateReading()  # 0/0/1970-like placeholders
        ambiguous = first <= 12 and second <= 12 and first != second
        day_first = order is DateOrder.DMY or separator == "."
        if first > 12:
            day_first = True
        elif second > 12:
            day_first = False
        day, month = (first, second) if day_first else (second, first)
        reading = _make(year, month, day, text)
        return DateReading(reading.iso, reading.problem, ambiguous and separator != ".")
    if _YEARLESS_RE.match(text):
        return DateReading(
            problem=f"“{text}” has no year, and Seedly stores a full date (YYYY-MM-DD)."
        )
    words = _WORDS_RE.findall(text)
    if 2 <= len(words) <= 4:
        numbers = [w for w in words if w.isdigit()]
        names = [w for w in words if not w.isdigit()]
        months = [_MONTHS[fold(n)] for n in names if fold(n) in _MONTHS]
        if len(months) == 1 and len(names) == 1 and len(numbers) == 2:
            four = [n for n in numbers if len(n) == 4]
            year_text = four[0] if four else numbers[1]
            day_text = numbers[1] if year_text is numbers[0] else numbers[0]
            if len(day_text) <= 2:
                return _make(_year(year_text, today), months[0], int(day_text), text)
        if len(months) == 1 and len(numbers) == 1 and len(numbers[0]) <= 2:
            return DateReading(
                problem=f"“{text}” has no year, and Seedly stores a full date (YYYY-MM-DD)."
            )
    return DateReading(problem=f"“{text}” is not a date this import can read.")


@dataclass(frozen=True)
class DateOrderChoice:
    """The order a file's ambiguous dates are read in, and the sentence saying why."""

    order: DateOrder
    reason: str
    settled: bool
    """The file's own dates show the order (not a default)."""


def detect_date_order(
    values: Iterable[tuple[int, str]], *, region: str | None, semicolons: bool = False
) -> DateOrderChoice:
    """The order of a file's dates, from ``(line, cell)`` values that settle it
    (``15/03/1970`` is day-first), else the file's locale: a semicolon-separated file
    comes from a European Excel (day first), otherwise the phone region's habit."""
    for line, value in values:
        match = _NUMERIC_RE.match(value.strip())
        if not match or match.group(2) == ".":
            continue
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second:
            return DateOrderChoice(
                DateOrder.DMY, f"the file writes “{value.strip()}” (line {line})", True
            )
        if second > 12 >= first:
            return DateOrderChoice(
                DateOrder.MDY, f"the file writes “{value.strip()}” (line {line})", True
            )
    if semicolons:
        return DateOrderChoice(
            DateOrder.DMY, "the file is semicolon-separated, as a European Excel writes it", False
        )
    if region and region.upper() in MONTH_FIRST_REGIONS:
        return DateOrderChoice(DateOrder.MDY, f"the usual order in {region.upper()}", False)
    return DateOrderChoice(
        DateOrder.DMY, f"the usual order in {region.upper() if region else 'most countries'}", False
    )


# -- countries ----------------------------------------------------------------------------

_COUNTRY_ALIASES: dict[str, str] = {
    "usa": "US",
    "us": "US",
    "unitedstatesofamerica": "US",
    "america": "US",
    "uk": "GB",
    "greatbritain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northernireland": "GB",
    "uae": "AE",
    "holland": "NL",
    "southkorea": "KR",
    "korea": "KR",
    "russia": "RU",
    "czechrepublic": "CZ",
    "deu": "DE",
    "fra": "FR",
    "gbr": "GB",
    "esp": "ES",
    "ita": "IT",
    "nld": "NL",
    "che": "CH",
    "aut": "AT",
    "can": "CA",
    "aus": "AU",
    "mex": "MX",
    "bra": "BR",
    "chn": "CN",
    "jpn": "JP",
    "ind": "IN",
}


@cache
def _country_index() -> dict[str, str]:
    """Folded country names in every language phonenumbers knows → region code."""
    # Imported here: the country names of every locale take a second to load, which every
    # start of the app would pay although only a CSV with a country column needs them.
    from phonenumbers.geodata.locale import LOCALE_DATA

    index: dict[str, str] = {}
    supported = phonenumbers.SUPPORTED_REGIONS
    for region, names in LOCALE_DATA.items():
        if region not in supported:
            continue
        for name in names.values():
            if name and not name.startswith("*"):
                index.setdefault(fold(name), region)
    for region in supported:
        index.setdefault(fold(region), region)
    index.update(_COUNTRY_ALIASES)
    return index


def region_for_country(value: str) -> str | None:
    """The phone region of a country cell (``DE``, ``Germany``, ``Deutschland``,
    ``United States``), or None when it names no country this app knows."""
    key = fold(value)
    if not key:
        return None
    return _country_index().get(key)


# -- several values in one cell -----------------------------------------------------------

GOOGLE_SEPARATOR = " ::: "
"""How Google Contacts separates several values of one field in a cell."""
_EMAIL_SPLIT_RE = re.compile(r"\s*:::\s*|\s*[;,]\s*|\s+")
_PHONE_SPLIT_RE = re.compile(r"\s*:::\s*|\s*;\s*|,\s+")


def split_emails(value: str) -> list[str]:
    """The addresses of an email cell ("a@x.com ::: b@y.com", "a@x.com; b@y.com")."""
    if "@" not in value:
        return [value.strip()] if value.strip() else []
    return [part for part in _EMAIL_SPLIT_RE.split(value.strip()) if part]


def split_phones(value: str) -> list[str]:
    """The numbers of a phone cell ("+1 617 555 0101 ::: 020 7946 0958")."""
    return [part.strip() for part in _PHONE_SPLIT_RE.split(value.strip()) if part.strip()]


def split_multi(value: str) -> list[str]:
    """The values of a cell with Google's separator (one value otherwise)."""
    return [part.strip() for part in value.split(":::") if part.strip()]


# -- tags ---------------------------------------------------------------------------------

_TAG_SPLIT_RE = re.compile(r"\s*(?::::|[;,])\s*")


def is_system_label(label: str) -> bool:
    """Labels the address book makes itself, not the user (Google's ``* myContacts``,
    ``* starred``): never tags."""
    return label.lstrip().startswith("* ") or fold(label) in {"mycontacts", "systemgroupmycontacts"}


def read_tags(value: str) -> tuple[list[str], list[str]]:
    """``(tags, system labels left out)`` of a tags or labels cell.

    Splits on commas, semicolons and Google's `` ::: ``; Mailchimp's quoted tags
    (``"Customer","VIP, Gold"``) lose their quotes and keep commas inside quotes."""
    text = value.strip()
    if not text:
        return [], []
    if text.startswith('"'):
        parts = next(csv.reader([text], skipinitialspace=True), [])
        items = [p for part in parts for p in _TAG_SPLIT_RE.split(part)] if ":::" in text else parts
    else:
        items = _TAG_SPLIT_RE.split(text)
    tags: list[str] = []
    system: list[str] = []
    for item in items:
        tag = item.strip().strip('"').strip()
        if not tag:
            continue
        if is_system_label(tag):
            system.append(tag)
        elif tag not in tags:
            tags.append(tag)
    return tags, system


# -- lifecycle stages ---------------------------------------------------------------------

STAGE_SYNONYMS: dict[str, str] = {
    "subscriber": "lead",
    "prospect": "lead",
    "newlead": "lead",
    "marketingqualifiedlead": "qualified",
    "salesqualifiedlead": "qualified",
    "mql": "qualified",
    "sql": "qualified",
    "opportunity": "qualified",
    "evangelist": "customer",
    "client": "customer",
    "repeatcustomer": "repeat",
    "returningcustomer": "repeat",
    "churned": "inactive",
    "formercustomer": "inactive",
}
"""Other CRMs' lifecycle stages (HubSpot's, mostly) and the Seedly stage meaning the same."""


def read_stage(value: str) -> str | None:
    """The Seedly lifecycle stage a cell names ("Customer", "Marketing Qualified Lead"),
    or None when it names none."""
    key = fold(value)
    if key in LIFECYCLE_STAGES:
        return key
    return STAGE_SYNONYMS.get(key)


# -- owners -------------------------------------------------------------------------------


def match_owner(value: str, team: Mapping[str, str]) -> str | None:
    """The team member id an owner cell names: the id itself, or a member's name
    (``team``: id → name, names compared without case or accents)."""
    text = value.strip()
    if text in team:
        return text
    key = fold(text)
    if not key:
        return None
    found = [member for member, name in team.items() if name and fold(name) == key]
    return found[0] if len(found) == 1 else None


__all__ = [
    "EMPTY_MARKERS",
    "GOOGLE_SEPARATOR",
    "MONTH_FIRST_REGIONS",
    "STAGE_SYNONYMS",
    "DateOrder",
    "DateOrderChoice",
    "DateReading",
    "detect_date_order",
    "fold",
    "is_system_label",
    "match_owner",
    "read_date",
    "read_stage",
    "read_tags",
    "region_for_country",
    "split_emails",
    "split_multi",
    "split_phones",
]
