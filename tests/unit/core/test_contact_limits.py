"""The server's limits on contact fields, checked before a request: lengths, counts, names
that show nothing, and national phone numbers that are not valid where they are read."""

from __future__ import annotations

import pytest

from app.core.contact_limits import (
    NAME_MAX,
    TAG_MAX,
    TEXT_MAX,
    has_visible_text,
    limit_hint,
    too_long,
)
from app.core.custom_fields import check_custom_value
from app.core.errors import ValidationFailed
from app.core.models import CustomFieldDefinition
from app.core.payloads import ContactCreate, ContactUpdate, build
from app.core.phones import check_phone


@pytest.mark.parametrize(
    ("value", "visible"),
    [
        ("Zoë", True),
        ("李", True),
        ("محمد", True),
        ("👩\u200d💻", True),  # an emoji joined by a zero-width joiner is still seen
        ("\u200b", False),
        ("\u200b\u200c\u200d\u2060\ufeff", False),
        ("\u3164", False),  # Hangul filler
        ("\u0301", False),  # a combining accent on nothing
        (" \u00a0\t", False),
    ],
)
def test_visible_text(value: str, visible: bool) -> None:
    assert has_visible_text(value) is visible


def test_invisible_names_are_refused_for_creates_and_edits() -> None:
    with pytest.raises(ValidationFailed) as info:
        build(ContactCreate, firstName="\u200b\u200b", lastName="Doe")
    assert info.value.errors == {
        "firstName": "First name has no visible characters; type the name itself."
    }
    with pytest.raises(ValidationFailed) as info:
        build(ContactUpdate, lastName="\u2060")
    assert "Last name has no visible characters" in info.value.errors["lastName"]
    assert build(ContactCreate, firstName="👩\u200d💻", lastName="李").first_name == "👩\u200d💻"


def test_over_long_values_are_refused_with_the_limit_never_cut() -> None:
    pasted = "x" * 10_000
    with pytest.raises(ValidationFailed) as info:
        build(ContactCreate, firstName=pasted, lastName="Doe", company=pasted, title="y" * 501)
    errors = info.value.errors
    assert errors["firstName"] == (
        "First name is 10,000 characters long; Seedly takes at most 100. "
        "Shorten it (nothing was cut)."
    )
    assert "Company is 10,000 characters long; Seedly takes at most 500." in errors["company"]
    assert "Job title is 501 characters long" in errors["title"]
    at_limit = build(ContactCreate, firstName="a" * NAME_MAX, lastName="b", company="c" * TEXT_MAX)
    assert at_limit.first_name == "a" * NAME_MAX and at_limit.company == "c" * TEXT_MAX


def test_tags_and_lists_over_their_limits() -> None:
    with pytest.raises(ValidationFailed) as info:
        build(ContactUpdate, tags=["ok", "t" * (TAG_MAX + 1)])
    assert "is 51 characters long; Seedly takes at most 50" in info.value.errors["tags"]
    with pytest.raises(ValidationFailed) as info:
        build(ContactUpdate, tags=[f"t{i}" for i in range(101)])
    assert "Tags has 101 values; Seedly takes at most 100." in info.value.errors["tags"]
    with pytest.raises(ValidationFailed) as info:
        build(ContactUpdate, additionalEmails=[f"a{i}@x.com" for i in range(21)])
    assert "at most 20" in info.value.errors["additionalEmails"]
    assert build(ContactUpdate, tags=["t" * TAG_MAX]).tags == ["t" * TAG_MAX]


def test_custom_text_is_checked_against_its_limit() -> None:
    note = CustomFieldDefinition(name="notes", label="Notes", type="text")
    assert check_custom_value(note, "n" * 2000) == ("n" * 2000, None)
    _, error = check_custom_value(note, "n" * 2001)
    assert error is not None and "Notes is 2,001 characters long" in error


def test_limit_messages() -> None:
    assert too_long("Company", "abc", 3) is None
    assert limit_hint("Company", "a" * 79, 100) is None
    assert limit_hint("Company", "a" * 92, 100) == "92 of 100 characters."
    assert limit_hint("Company", "a" * 101, 100) is None  # that is an error, not a hint


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("01 42 68 53 00", "FR", "+33142685300"),
        ("+33 1 42 68 53 00", "US", "+33142685300"),
        ("011 33 1 42 68 53 00", "US", "+33142685300"),  # the US way to dial abroad
        ("030 901820", "DE", "+4930901820"),
        ("(617) 555-0101", "US", "+16175550101"),
        ("+15551234567", "US", "+15551234567"),  # with its country: possible is enough
    ],
)
def test_phone_numbers_valid_where_they_are_read(raw: str, region: str, e164: str) -> None:
    assert check_phone(raw, region).e164 == e164


@pytest.mark.parametrize("raw", ["01 42 68 53 00", "(555) 123-4567", "030 901820"])
def test_a_number_not_valid_in_the_default_region_is_never_stored_as_one(raw: str) -> None:
    # 01 42 68 53 00 has a US number's length: it used to become +10142685300.
    result = check_phone(raw, "US")
    assert result.e164 is None
    assert result.error is not None
    assert "is not a valid United States number" in result.error
    assert "write it with + and its country code" in result.error
    with pytest.raises(ValidationFailed) as info:
        build(ContactCreate, firstName="A", lastName="B", phone=raw, default_region="US")
    assert "phone" in info.value.errors
