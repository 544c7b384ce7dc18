"""SMS length: encoding, segment count and what is left in the current segment, for the
composer's counter (docs/api/seedly-crm.md §11: "messages over 160 characters are segmented").

- GSM-7 when every character is in the GSM 03.38 default alphabet or its
  extension table; an extension character (``€ [ ] { } \\ ^ ~ |`` and form
  feed) takes two septets (escape + code). 160 septets fit in one SMS; a
  concatenated message carries 153 per segment (the rest is the UDH header).
- Any other character switches the whole message to UCS-2: 70 UTF-16 code
  units in one SMS, 67 per segment when concatenated. A character outside the
  Basic Multilingual Plane (most emoji) takes two code units.
- Like carriers, a two-unit character (escape pair, surrogate pair) is never
  split across segments: it moves whole to the next one.

National language shift tables (Turkish, Spanish, Portuguese, Indian
languages) are not modelled; providers rarely use them for US/EU traffic, so
such text counts as UCS-2 (an overestimate, never an underestimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# GSM 03.38 default alphabet (without ESC, which is not a character a user types).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + code, two septets.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67


class SmsEncoding(StrEnum):
    """How the message will be encoded."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SmsCount:
    """Size of a message as an SMS."""

    encoding: SmsEncoding
    segments: int
    """SMS parts the message is sent as (0 for an empty message)."""
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2) used in total."""
    characters: int
    """Characters as the user sees them counted by Python (code points)."""
    per_segment: int
    """Capacity of the current segment: 160/70 while the message fits one SMS, else 153/67."""
    remaining: int
    """Units left in the current (last) segment before another segment starts."""
    non_gsm: tuple[str, ...]
    """Characters that forced UCS-2, each once, in order of appearance (e.g. ``’``)."""

    @property
    def is_multipart(self) -> bool:
        """More than one segment."""
        return self.segments > 1


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can be sent in GSM-7."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _pack(units: list[int], single: int, multi: int) -> tuple[int, int, int]:
    """(segments, per_segment, remaining) for characters of the given unit sizes."""
    total = sum(units)
    if total <= single:
        return (1 if total else 0), single, single - total
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments, multi, multi - used


def count_sms(text: str) -> SmsCount:
    """Encoding, segments, and units used/remaining for ``text`` sent as an SMS."""
    non_gsm: dict[str, None] = {}
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION:
            non_gsm.setdefault(ch, None)
    if not non_gsm:
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        encoding, single, multi = SmsEncoding.GSM7, GSM7_SINGLE, GSM7_MULTI
    else:
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        encoding, single, multi = SmsEncoding.UCS2, UCS2_SINGLE, UCS2_MULTI
    segments, per_segment, remaining = _pack(units, single, multi)
    return SmsCount(
        encoding=encoding,
        segments=segments,
        units=sum(units),
        characters=len(text),
        per_segment=per_segment,
        remaining=remaining,
        non_gsm=tuple(non_gsm),
    )


GSM7_LOOKALIKES: dict[str, str] = {
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u2033": '"',  # ″
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2013": "-",  # –
    "\u2014": "-",  # —
    "\u2012": "-",  # ‒
    "\u2212": "-",  # −
    "\u2026": "...",  # …
    "\u00a0": " ",  # no-break space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u2022": "-",  # •
    "\u00b4": "'",  # ´
    "`": "'",
}
"""Typographic characters (often pasted from a word processor) and the GSM-7 character
that looks like each: replacing them keeps a message in GSM-7, 160 characters per SMS."""


def replace_lookalikes(text: str) -> str:
    """``text`` with each character of ``GSM7_LOOKALIKES`` replaced by its GSM-7 look-alike
    (characters without one, such as emoji, are kept)."""
    return "".join(GSM7_LOOKALIKES.get(ch, ch) for ch in text)


__all__ = [
    "GSM7_LOOKALIKES",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "GSM7_MULTI",
    "GSM7_SINGLE",
    "UCS2_MULTI",
    "UCS2_SINGLE",
    "SmsCount",
    "SmsEncoding",
    "count_sms",
    "is_gsm7",
    "replace_lookalikes",
]
