"""SMS segment counting: GSM-7 (extension chars count double) and UCS-2."""

from __future__ import annotations

import pytest

from app.core.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    GSM7_LOOKALIKES,
    SmsEncoding,
    count_sms,
    is_gsm7,
    replace_lookalikes,
)


def test_alphabet_sizes() -> None:
    # 128 code points in GSM 03.38 minus ESC; ten extension characters incl. form feed.
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_empty_message() -> None:
    c = count_sms("")
    assert (c.encoding, c.segments, c.units, c.remaining, c.per_segment) == (
        SmsEncoding.GSM7,
        0,
        0,
        160,
        160,
    )


def test_exactly_160_gsm_chars_is_one_segment() -> None:
    c = count_sms("a" * 160)
    assert (c.encoding, c.segments, c.units, c.characters, c.remaining, c.per_segment) == (
        SmsEncoding.GSM7,
        1,
        160,
        160,
        0,
        160,
    )
    assert not c.is_multipart


def test_161_gsm_chars_is_two_segments() -> None:
    c = count_sms("a" * 161)
    assert c.segments == 2 and c.is_multipart
    assert c.per_segment == 153
    assert c.remaining == 153 - 8  # 153 in the first, 8 in the second


def test_306_and_307_gsm_chars() -> None:
    assert count_sms("a" * 306).segments == 2
    assert count_sms("a" * 307).segments == 3


def test_euro_counts_two() -> None:
    c = count_sms("€")
    assert c.encoding is SmsEncoding.GSM7
    assert (c.units, c.characters, c.remaining) == (2, 1, 158)
    assert count_sms("€" * 80).segments == 1
    eighty_one = count_sms("€" * 81)
    assert eighty_one.segments == 2 and eighty_one.units == 162
    # 76 euros (152 septets) fill the first segment: a 77th would not fit in 153.
    assert eighty_one.remaining == 153 - 10


@pytest.mark.parametrize("ch", list("^{}\\[~]|€\f"))
def test_every_extension_char_counts_two(ch: str) -> None:
    c = count_sms("a" * 158 + ch)
    assert c.units == 160 and c.segments == 1 and c.encoding is SmsEncoding.GSM7
    assert count_sms("a" * 159 + ch).segments == 2


def test_escape_pair_is_not_split_across_segments() -> None:
    text = "a" * 152 + "€" + "a" * 152  # 306 septets: 2 segments if a pair could be split
    c = count_sms(text)
    assert c.units == 306
    assert c.segments == 3
    assert c.remaining == 152


def test_gsm_basic_accents_and_newlines_stay_gsm() -> None:
    c = count_sms("Café déjà vu? ¿Año? Ünïcödé\r\n@£$¥ ÆØÅ ß Δ")
    # ï is not in the GSM alphabet, so this one is UCS-2; the rest alone is GSM-7.
    assert c.encoding is SmsEncoding.UCS2 and c.non_gsm == ("ï",)
    assert count_sms("Café? ¿Año? Ü\r\n@£$¥ ÆØÅ ß Δ").encoding is SmsEncoding.GSM7


def test_emoji_switches_to_ucs2() -> None:
    c = count_sms("Hi 😀")
    assert c.encoding is SmsEncoding.UCS2
    assert c.units == 5  # the emoji is a surrogate pair
    assert c.per_segment == 70 and c.remaining == 65
    assert c.non_gsm == ("😀",)


def test_ucs2_70_single_67_concatenated() -> None:
    assert count_sms("’" * 70).segments == 1
    c = count_sms("’" * 71)
    assert c.segments == 2 and c.per_segment == 67 and c.remaining == 67 - 4
    assert count_sms("’" * 134).segments == 2
    assert count_sms("’" * 135).segments == 3


def test_emoji_at_the_70_boundary() -> None:
    assert count_sms("a" * 68 + "😀").segments == 1  # 70 code units
    c = count_sms("a" * 69 + "😀")  # 71 code units
    assert c.segments == 2 and c.units == 71
    assert c.remaining == 67 - 4  # 67 a's, then 2 a's + the emoji


def test_surrogate_pair_is_not_split() -> None:
    c = count_sms("a" * 66 + "😀" + "a" * 10)
    assert c.segments == 2 and c.remaining == 67 - 12


def test_non_gsm_chars_listed_once_in_order() -> None:
    assert count_sms("It’s “fine” — ’").non_gsm == ("’", "“", "”", "—")


def test_is_gsm7() -> None:
    assert is_gsm7("Hello {name} €5")
    assert not is_gsm7("ç")  # only the capital Ç is in the alphabet
    assert is_gsm7("")


def test_lookalikes_are_gsm7_and_replace_only_what_has_one() -> None:
    assert all(not is_gsm7(k) and is_gsm7(v) for k, v in GSM7_LOOKALIKES.items())
    assert replace_lookalikes("It’s “ok” – fine…") == 'It\'s "ok" - fine...'
    assert replace_lookalikes("Hi 😀 é") == "Hi 😀 é"  # no look-alike: kept
