"""E.164 normalisation with a default region, and email validation/normalisation."""

from __future__ import annotations

import pytest

from app.core.emails import InvalidEmail, check_email, email_key, normalize_email
from app.core.phones import (
    InvalidPhone,
    check_phone,
    display_phone,
    format_phone,
    is_e164,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(617) 555-0101", "US", "+16175550101"),
        ("415.555.0101", "US", "+14155550101"),
        ("415-555-0101", "us", "+14155550101"),
        ("1 (415) 555-0101", "US", "+14155550101"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+15551234567", "US", "+15551234567"),  # the API's example: a 555 number is accepted
        ("  +1 617 555 0101  ", "US", "+16175550101"),
        ("1-800-FLOWERS", "US", "+18003569377"),
    ],
)
def test_normalize_phone(raw: str, region: str | None, e164: str) -> None:
    assert normalize_phone(raw, region) == e164
    result = check_phone(raw, region)
    assert result.ok and result.e164 == e164 and result.error is None


def test_likely_valid_is_a_soft_verdict() -> None:
    assert check_phone("(617) 555-0101", "US").likely_valid
    assert not check_phone("+15551234567", "US").likely_valid
    assert check_phone("+44 20 7946 0958").region == "GB"


@pytest.mark.parametrize(
    ("raw", "region", "fragment"),
    [
        ("", "US", "Enter a phone number"),
        ("   ", "US", "Enter a phone number"),
        ("555", "US", "right number of digits"),
        ("hello", "US", "is not a phone number"),
        ("617 555 0101", None, "Start the number with +"),
        ("617 555 0101", "XX", "Start the number with +"),  # unknown region = no region
        ("+999 1234 5678", "US", "country code"),
        ("(617) 555-0101 x23", "US", "Extensions"),
        ("+1 617 555 0101 0101 0101 0101", "US", "phone number"),
    ],
)
def test_invalid_phones_give_a_sentence(raw: str, region: str | None, fragment: str) -> None:
    result = check_phone(raw, region)
    assert not result.ok and result.e164 is None
    assert result.error is not None and fragment in result.error and result.error.endswith(".")
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw, region)
    assert str(info.value) == result.error and info.value.raw == raw
    assert isinstance(info.value, ValueError)


def test_is_e164() -> None:
    assert is_e164("+15551234567")
    assert not is_e164("15551234567") and not is_e164("+0123") and not is_e164("+1 555 123")
    assert not is_e164("+1234567890123456")


def test_format_phone() -> None:
    assert format_phone("+16175550101") == "(617) 555-0101"
    assert format_phone("+16175550101", international=True) == "+1 617-555-0101"
    assert format_phone("+442079460958") == "+44 20 7946 0958"
    assert format_phone("+442079460958", home_region="GB") == "020 7946 0958"
    assert format_phone("not a number") == "not a number"


@pytest.mark.parametrize(
    "written",
    ["+13035553164", "(303) 555-3164", "303.555.3164", "1-303-555-3164", "+1 303 555 3164 "],
)
def test_display_phone_shows_every_spelling_of_a_home_number_the_same_way(written: str) -> None:
    assert display_phone(written) == "(303) 555-3164"


def test_a_number_of_no_known_region_with_the_home_country_code_is_national() -> None:
    # +1 555 numbers (the API's examples) belong to no region but are dialled the US way.
    assert format_phone("+15552530955") == "(555) 253-0955"
    assert display_phone("+15552530955") == "(555) 253-0955"
    assert format_phone("+15552530955", home_region="GB") == "+1 555-253-0955"


def test_display_phone_is_international_outside_the_home_region() -> None:
    assert display_phone("+442079460958") == "+44 20 7946 0958"
    assert display_phone("+44 (0)20 7946 0958") == "+44 20 7946 0958"
    assert display_phone("+13035553164", home_region="GB") == "+1 303-555-3164"
    assert display_phone("020 7946 0958", home_region="GB") == "020 7946 0958"


@pytest.mark.parametrize(
    "text", ["ana@example.com", "Room 12", "12345", "call me", "", "555-CALL-NOW"]
)
def test_display_phone_leaves_what_is_not_a_phone_number_as_it_is(text: str) -> None:
    assert display_phone(text) == text


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("jane@example.com", "jane@example.com"),
        ("Jane.Doe@Quantum.Example.COM", "Jane.Doe@quantum.example.com"),
        ("  jason.larsen@proton.me \n", "jason.larsen@proton.me"),
        ("user+tag@sub.example.co.uk", "user+tag@sub.example.co.uk"),
        ("josé@bücher.example", "josé@bücher.example"),
    ],
)
def test_valid_emails(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized
    assert check_email(raw).ok


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "Enter an email address"),
        ("jane", "@-sign"),
        ("jane@", "after the @-sign"),
        ("@example.com", "before the @-sign"),
        ("jane@localhost", "after the @-sign"),
        ("jane doe@example.com", "not a valid email address"),
        ("jane@@example.com", "not a valid email address"),
    ],
)
def test_invalid_emails_give_a_sentence(raw: str, fragment: str) -> None:
    result = check_email(raw)
    assert not result.ok and result.error is not None and fragment in result.error
    with pytest.raises(InvalidEmail) as info:
        normalize_email(raw)
    assert str(info.value) == result.error


def test_no_dns_lookup_for_unresolvable_domains() -> None:
    # A domain that cannot exist in DNS still passes: deliverability is not checked.
    assert normalize_email("a@no-such-domain-for-seedly-desk-tests.com")


def test_email_key() -> None:
    assert email_key(" Jane@Example.com ") == email_key("jane@example.COM") == "jane@example.com"
