"""Pure pieces of the sandbox framework: rate windows, cursors, time, body validation."""

from __future__ import annotations

import pytest

from app.sandbox import clock
from app.sandbox.http import ApiError, Body, Query, decode_cursor, encode_cursor, parse_json_object
from app.sandbox.ratelimit import RateLimiter

NOW = 1_800_000_000_000


def test_rate_window_counts_and_resets() -> None:
    limiter = RateLimiter(window_ms=1000)
    verdicts = [limiter.hit(("k",), 2, now_ms=100) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert [v.remaining for v in verdicts] == [1, 0, 0]
    refused = verdicts[-1].headers(now_ms=100)
    assert refused["Retry-After"] == "1" and refused["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in verdicts[0].headers(now_ms=100)
    assert limiter.hit(("k",), 2, now_ms=1100).allowed  # a new window
    assert limiter.hit(("other",), 2, now_ms=150).remaining == 1  # buckets are separate


def test_cursor_round_trip_and_tampering() -> None:
    secret = b"s" * 32
    cursor = encode_cursor(secret, "contacts", [123, "contact_a"], "f1", NOW)
    assert decode_cursor(secret, cursor, "contacts", "f1", NOW) == [123, "contact_a"]
    for bad_kind, bad_filters, bad_secret in (
        ("messages", "f1", secret),
        ("contacts", "f2", secret),
        ("contacts", "f1", b"x" * 32),
    ):
        with pytest.raises(ApiError) as info:
            decode_cursor(bad_secret, cursor, bad_kind, bad_filters, NOW)
        assert info.value.code == "VALIDATION_ERROR"
    body, sig = cursor.split(".")
    with pytest.raises(ApiError):
        decode_cursor(secret, body[:-2] + "AA." + sig, "contacts", "f1", NOW)


def test_cursor_expires() -> None:
    secret = b"s" * 32
    cursor = encode_cursor(secret, "contacts", [1, "a"], "f", NOW)
    assert decode_cursor(secret, cursor, "contacts", "f", NOW + 23 * 3600 * 1000) == [1, "a"]
    with pytest.raises(ApiError):
        decode_cursor(secret, cursor, "contacts", "f", NOW + 25 * 3600 * 1000)


def test_clock_moves_forward_only_and_per_instance() -> None:
    first, second = clock.Clock(), clock.Clock()
    assert first.advance(5_000) == 5_000 and first.offset_ms == 5_000
    assert second.offset_ms == 0
    assert first.now_ms() - second.now_ms() >= 4_900
    with pytest.raises(ValueError):
        first.advance(-1)


def test_iso_round_trip() -> None:
    assert clock.iso(1743085800000) == "2025-03-27T14:30:00.000Z"
    assert clock.parse_iso("2025-03-27T14:30:00.000Z") == 1743085800000
    assert clock.parse_iso("2025-03-27T10:30:00-04:00") == 1743085800000
    with pytest.raises(ValueError):
        clock.parse_iso("yesterday")


def test_body_validators_name_fields() -> None:
    body = Body({"n": "1", "b": "yes", "l": ["a", "a", " b "], "x": 2.5, "s": "  hi  "})
    assert body.str("s") == "hi"
    assert body.str_list("l") == ["a", "b"]
    for call in (
        lambda: body.int("n"),
        lambda: body.bool("b"),
        lambda: body.int("x"),
        lambda: body.str("missing", required=True),
        lambda: body.obj("s"),
    ):
        with pytest.raises(ApiError) as info:
            call()
        assert info.value.status == 400 and info.value.field in ("n", "b", "x", "missing", "s")


def test_query_limits() -> None:
    assert Query({}).limit(50, 100) == 50
    with pytest.raises(ApiError):
        Query({"limit": "101"}).limit(50, 100)
    with pytest.raises(ApiError):
        Query({"limit": "-1"}).limit(50, 100)


@pytest.mark.parametrize("raw", [b"{", b"[]", b"1", b"\xff", b'"s"'])
def test_json_body_must_be_an_object(raw: bytes) -> None:
    with pytest.raises(ApiError):
        parse_json_object(raw)
    assert parse_json_object(b"  ") == {}
