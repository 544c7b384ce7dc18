"""Pure pieces of the sandbox framework: rate windows, cursors, time, body validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.sandbox import clock
from app.sandbox.http import (
    ApiError,
    Body,
    Ctx,
    Param,
    Query,
    Reply,
    RouteSpec,
    decode_cursor,
    encode_cursor,
    parse_json_object,
)
from app.sandbox.ratelimit import RateLimiter
from app.sandbox.store import Store, UnstorableValue

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


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"n": ' + b"9" * 5000 + b"}", None),  # int() refuses over 4,300 digits
        (b'{"n": 99999999999999999999}', "n"),  # past 64 bits: SQLite would overflow
        (b'{"n": -9223372036854775809}', "n"),
        (b'{"d": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", None),  # RecursionError in json
        (b'{"d": ' + b'{"a":' * 80 + b"1" + b"}" * 80 + b"}", "d"),  # deep but decodable
        (b'{"s": "\\ud800"}', "s"),  # a lone surrogate as a JSON escape
        (b'{"s": ["ok", "a\xed\xa0\x80"]}', "s"),  # ... and as raw bytes, in a list
        (b'{"\\udfff": 1}', None),  # ... in a key
        (b'{"x": NaN}', None),
        (b'{"x": -Infinity}', None),
        (b'{"x": 1e999}', None),
    ],
)
def test_json_bodies_that_cannot_be_held_are_validation_errors(
    raw: bytes, field: str | None
) -> None:
    with pytest.raises(ApiError) as info:
        parse_json_object(raw)
    assert info.value.status == 400 and info.value.code == "VALIDATION_ERROR"
    assert info.value.field == field or (field is None and not info.value.field)


def test_json_bodies_within_the_limits_decode_unchanged() -> None:
    raw = (
        b'{"n": 9223372036854775807, "m": -9223372036854775808, "f": 2.5, "t": "\xc3\xa9\\ud83d\\ude00", "d": '
        + b"[" * 60
        + b"]" * 60
        + b"}"
    )
    body = parse_json_object(raw)
    assert body["n"] == 2**63 - 1 and body["m"] == -(2**63) and body["t"] == "é😀"


@pytest.mark.parametrize(
    "text",
    [
        "99999999999999999999999",
        "-99999999999999999999999",
        "9" * 5000,
        "²",
        "١٢",
        "1_0",
        "1e3",
        "0x10",
    ],
)
def test_query_integers_are_ascii_and_64_bit(text: str) -> None:
    with pytest.raises(ApiError) as info:
        Query({"after": text}).int("after", minimum=0)
    assert info.value.status == 400 and info.value.field == "after"
    assert Query({"after": " 42 "}).int("after") == 42


def test_body_integers_stay_within_64_bits() -> None:
    with pytest.raises(ApiError):
        Body({"n": 1e300}).int("n")
    assert Body({"n": 2**63 - 1}).int("n") == 2**63 - 1


def test_the_store_refuses_unbindable_values_with_its_own_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    store.run("CREATE TABLE t (v)")
    for value in (2**64, "a\ud800"):
        with pytest.raises(UnstorableValue):
            store.run("INSERT INTO t VALUES (?)", (value,))
        with pytest.raises(UnstorableValue):
            store.all("SELECT * FROM t WHERE v = ?", (value,))
    store.close()


def test_a_route_names_the_inputs_its_handler_read_without_declaring() -> None:
    spec = RouteSpec(
        "POST",
        "/x",
        lambda ctx: Reply(),
        "public",
        None,
        None,
        query=(Param.integer("limit"),),
        body=(Param.text("name"),),
    )
    query = Query({"limit": "5", "sort": "a"})
    ctx = Ctx(request=None, state=None, path={}, query=query, raw_body=b'{"name": "n", "x": 1}')  # type: ignore[arg-type]
    query.int("limit")
    query.str("sort")
    ctx.body.str("name")
    ctx.body.int("x")
    assert "secret" not in ctx.body  # testing a refused name is not a read
    assert spec.undeclared(ctx) == ["query.sort", "body.x"]
