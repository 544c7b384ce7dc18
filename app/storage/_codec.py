"""Small pure helpers shared by the repositories: JSON, timestamps, sort keys.

Nothing here touches SQLite; everything is deterministic and cheap, because the
contact upsert calls these helpers for every one of 100,000 documents.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

JSONDict = dict[str, Any]
"""A wire object as the API sends it (camelCase keys, JSON values)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_TAG_RE = re.compile(r"<[^>]*>")
_NON_DIGITS = re.compile(r"[^0-9]+")
_T = TypeVar("_T")


def dumps(value: Any) -> str:
    """Serialise ``value`` compactly and deterministically (sorted keys).

    Determinism matters: upserts compare the stored text with the new text to
    skip rewriting unchanged rows (and their FTS entries).
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loads_dict(text: str) -> JSONDict:
    """Parse a stored JSON object."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError("stored document is not a JSON object")
    return value


def to_ms(value: object) -> int | None:
    """Epoch milliseconds from an ISO 8601 string, a datetime/date or a number.

    Returns None for missing or unparseable values (the document is still
    stored; only its sort/range column stays empty).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (dt - _EPOCH) // _MS
    if isinstance(value, date):
        return to_ms(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return to_ms(parsed)
    return None


def text_or_none(value: object) -> str | None:
    """The stripped string, or None for non-strings and empty strings."""
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def strings(value: object) -> list[str]:
    """The non-empty strings of a JSON array (anything else is ignored)."""
    if not isinstance(value, list):
        return []
    return [s for s in (text_or_none(v) for v in value) if s is not None]


def fold_key(value: object) -> str | None:
    """A case- and width-insensitive sort key, None when there is no value.

    ``casefold`` rather than ``COLLATE NOCASE`` because NOCASE folds ASCII only.
    """
    text = text_or_none(value)
    if text is None:
        return None
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def collation_key(value: object) -> str | None:
    """A sort key that ignores case and accents ("Álvaro" sorts with "alvaro").

    Used for names and companies, which users expect in dictionary order
    whatever their diacritics; None when there is no value.
    """
    text = text_or_none(value)
    if text is None:
        return None
    if text.isascii():  # the common case, 10x faster than decomposing
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def digits(text: str) -> str:
    """The ASCII digits of ``text`` in order."""
    return _NON_DIGITS.sub("", text)


MIN_PHONE_SUFFIX = 4
"""Shortest phone-number suffix indexed for search ("0101" finds "+16175550101")."""


def phone_terms(phones: Iterable[str]) -> str:
    """Search text for phone numbers: the number, its digits and digit suffixes.

    FTS5 matches prefixes of tokens, while people search phone numbers by
    their end ("5550101", "0101") or without the country code. Indexing every
    suffix of the digit string (down to ``MIN_PHONE_SUFFIX`` digits) turns a
    suffix search into a prefix search.
    """
    terms: list[str] = []
    seen: set[str] = set()
    for phone in phones:
        terms.append(phone)
        number = digits(phone)
        suffixes = [number[i:] for i in range(max(1, len(number) - MIN_PHONE_SUFFIX + 1))]
        for suffix in suffixes:
            if suffix and suffix not in seen:
                seen.add(suffix)
                terms.append(suffix)
    return " ".join(terms)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body, good enough for a search index."""
    return html.unescape(_TAG_RE.sub(" ", markup))


def chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """Consecutive slices of at most ``size`` items (for bounded IN lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def require_id(doc: JSONDict, what: str) -> str:
    """The document's non-empty string ``id``; ValueError otherwise."""
    ident = doc.get("id")
    if not isinstance(ident, str) or not ident:
        raise ValueError(f"{what} document without a string 'id': {doc!r:.200}")
    return ident
