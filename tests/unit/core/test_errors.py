"""Mapping HTTP answers to typed errors: every code, every status, Retry-After forms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest

from app.core.errors import (
    RETRY_AFTER_CAP,
    ApiError,
    Forbidden,
    InvalidResponse,
    KeyExpired,
    KeyRevoked,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RequestTimeout,
    ServerError,
    Unauthorized,
    ValidationFailed,
    error_from_response,
    header_value,
    missing_scope,
    parse_rate_limit_reset,
    parse_retry_after,
    retry_after_from_headers,
)

NOW = 1_795_334_600.0  # a fixed "now" (epoch seconds)


def envelope(code: str | None, message: str, **extra: Any) -> bytes:
    error: dict[str, Any] = {"message": message, **extra}
    if code is not None:
        error["code"] = code
    return json.dumps({"error": error}).encode()


# The API's error examples (docs/api/seedly-crm.md §2, §10) and the sandbox's messages,
# by code.
SEED_CASES = [
    (
        401,
        "UNAUTHORIZED",
        "Missing or invalid API key. Provide a valid key in the Authorization "
        "header: Bearer sk_live_...",
        Unauthorized,
    ),
    (401, "KEY_EXPIRED", "This API key has expired.", KeyExpired),
    (401, "KEY_REVOKED", "This API key was revoked.", KeyRevoked),
    (
        403,
        "FORBIDDEN",
        "API key missing required scope: contacts:write. Update key permissions "
        "in Settings > Integrations > API Keys.",
        Forbidden,
    ),
    (400, "VALIDATION_ERROR", "firstName and lastName are required", ValidationFailed),
    (404, "NOT_FOUND", "Contact not found", NotFound),
    (
        429,
        "RATE_LIMITED",
        "Rate limit exceeded. Retry after the period indicated in the Retry-After header.",
        RateLimited,
    ),
    (500, "INTERNAL_ERROR", "Something broke", ServerError),
]


@pytest.mark.parametrize(("status", "code", "message", "cls"), SEED_CASES)
def test_every_code_maps_to_its_class(
    status: int, code: str, message: str, cls: type[ApiError]
) -> None:
    error = error_from_response(status, envelope(code, message), {}, NOW)
    assert type(error) is cls
    assert error.status == status and error.code == code
    assert error.message.startswith(message[:20])
    assert error.user_message and error.user_message.endswith(".")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationFailed),
        (422, ValidationFailed),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (410, NotFound),
        (408, RequestTimeout),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (409, ApiError),
        (418, ApiError),
    ],
)
def test_status_decides_when_code_is_missing_or_unknown(status: int, cls: type[ApiError]) -> None:
    for body in (envelope(None, "no code here"), envelope("SOMETHING_NEW", "new code"), None, b""):
        error = error_from_response(status, body, {}, NOW)
        assert type(error) is cls, (status, body)
        assert error.status == status


def test_code_wins_over_status() -> None:
    error = error_from_response(403, envelope("KEY_REVOKED", "revoked"), {}, NOW)
    assert isinstance(error, KeyRevoked)


def test_unknown_code_is_kept() -> None:
    error = error_from_response(409, envelope("CONFLICT", "Already booked"), {}, NOW)
    assert type(error) is ApiError and error.code == "CONFLICT"
    assert "Already booked" in error.user_message and "409" in error.user_message


def test_auth_failures_and_flags() -> None:
    for code, cls in (
        ("UNAUTHORIZED", Unauthorized),
        ("KEY_EXPIRED", KeyExpired),
        ("KEY_REVOKED", KeyRevoked),
    ):
        error = error_from_response(401, envelope(code, "x"), {}, NOW)
        assert isinstance(error, Unauthorized) and isinstance(error, cls)
        assert error.is_auth_failure and not error.retryable
    forbidden = error_from_response(403, envelope("FORBIDDEN", "x"), {}, NOW)
    assert not forbidden.is_auth_failure and not forbidden.retryable
    assert error_from_response(500, None, {}, NOW).retryable
    assert error_from_response(429, None, {}, NOW).retryable
    assert not error_from_response(400, None, {}, NOW).retryable
    assert not error_from_response(404, None, {}, NOW).retryable


def test_user_messages_say_what_to_do() -> None:
    revoked = error_from_response(401, envelope("KEY_REVOKED", "x"), {}, NOW)
    assert revoked.user_message == (
        "The API key was revoked. Create a new key in Settings → "
        "Integrations → API Keys and paste it here."
    )
    expired = error_from_response(401, envelope("KEY_EXPIRED", "x"), {}, NOW)
    assert "expired" in expired.user_message and "Create a new key" in expired.user_message
    bad = error_from_response(401, envelope("UNAUTHORIZED", "x"), {}, NOW)
    assert "did not accept the API key" in bad.user_message


def test_forbidden_parses_the_missing_scope() -> None:
    error = error_from_response(403, envelope("FORBIDDEN", SEED_CASES[3][2]), {}, NOW)
    assert isinstance(error, Forbidden)
    assert error.scope == "contacts:write"
    assert "contacts:write" in error.user_message
    vague = error_from_response(403, envelope("FORBIDDEN", "Agency-scoped key required"), {}, NOW)
    assert isinstance(vague, Forbidden) and vague.scope is None
    assert "not allowed" in vague.user_message


@pytest.mark.parametrize(
    ("message", "scope"),
    [
        ("API key missing required scope: webhooks:manage", "webhooks:manage"),
        ("api key MISSING REQUIRED SCOPE:calendars:write.", "calendars:write"),
        ("Forbidden", None),
        (None, None),
    ],
)
def test_missing_scope(message: str | None, scope: str | None) -> None:
    assert missing_scope(message) == scope


def test_validation_error_keeps_server_message_and_field() -> None:
    error = error_from_response(
        400,
        envelope(
            "VALIDATION_ERROR",
            "customFields.visits_per_year must be a number",
            field="customFields.visits_per_year",
        ),
        {},
        NOW,
    )
    assert isinstance(error, ValidationFailed)
    assert error.field == "customFields.visits_per_year"
    assert error.message == "customFields.visits_per_year must be a number"
    assert error.errors == {
        "customFields.visits_per_year": "customFields.visits_per_year must be a number."
    }
    assert "customFields.visits_per_year must be a number." in error.user_message
    without_field = error_from_response(
        400, envelope("VALIDATION_ERROR", "firstName and lastName are required"), {}, NOW
    )
    assert isinstance(without_field, ValidationFailed)
    assert without_field.field is None and without_field.errors == {}
    assert without_field.user_message == (
        "Seedly rejected the request: firstName and lastName "
        "are required. Correct it and try again."
    )


def test_local_validation_failure_lists_every_field() -> None:
    error = ValidationFailed.from_errors({"email": "Bad email.", "phone": "Bad phone."})
    assert error.status is None and error.field == "email"
    assert error.errors == {"email": "Bad email.", "phone": "Bad phone."}
    assert error.user_message == "Bad email."


# -- non-JSON and odd bodies ---------------------------------------------------------------------


def test_html_error_page_falls_back_on_status_phrase() -> None:
    body = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>nginx</body></html>"
    error = error_from_response(502, body, {"Content-Type": "text/html"}, NOW)
    assert isinstance(error, ServerError)
    assert error.message == "HTTP 502 Bad Gateway"
    assert "<html" not in error.user_message


def test_plain_text_body_becomes_the_message() -> None:
    error = error_from_response(503, b"  upstream\n connect   error ", {}, NOW)
    assert isinstance(error, ServerError) and error.message == "upstream connect error"


def test_long_text_body_is_truncated() -> None:
    error = error_from_response(500, b"x" * 5000, {}, NOW)
    assert len(error.message) <= 200


def test_undecodable_bytes_do_not_crash() -> None:
    error = error_from_response(500, b"\xff\xfe\x00garbage", {}, NOW)
    assert isinstance(error, ServerError)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "gateway says no"}, "gateway says no"),
        ({"detail": "Not Found"}, "Not Found"),
        ({"error": "plain string error"}, "plain string error"),
        ({"error": {"code": 5, "message": ["x"]}}, "HTTP 404 Not Found"),
        ([1, 2, 3], "HTTP 404 Not Found"),
        ("null", "HTTP 404 Not Found"),
    ],
)
def test_other_json_shapes(body: Any, message: str) -> None:
    raw = body if isinstance(body, str) else json.dumps(body)
    error = error_from_response(404, raw.encode(), {}, NOW)
    assert isinstance(error, NotFound) and error.message == message


def test_from_envelope_tells_seedly_answers_from_other_servers() -> None:
    seedly = error_from_response(404, envelope("NOT_FOUND", "No endpoint at /api/v1/x"), {}, NOW)
    other = error_from_response(404, b"<html><body>Not Found</body></html>", {}, NOW)
    assert seedly.from_envelope and not other.from_envelope
    assert isinstance(other, NotFound)
    assert not NetworkError("x").from_envelope


def test_decoded_mapping_body_is_accepted() -> None:
    error = error_from_response(404, {"error": {"code": "NOT_FOUND", "message": "gone"}}, {}, NOW)
    assert isinstance(error, NotFound) and error.message == "gone"


def test_request_id_from_header_or_body() -> None:
    error = error_from_response(500, None, {"x-request-id": "req_1"}, NOW)
    assert error.request_id == "req_1"
    error = error_from_response(500, envelope("INTERNAL_ERROR", "x", requestId="req_2"), {}, NOW)
    assert error.request_id == "req_2"


def test_keys_in_error_messages_are_redacted() -> None:
    error = error_from_response(
        401, envelope("UNAUTHORIZED", "Key sk_live_abcdefghijklmnop is not valid"), {}, NOW
    )
    assert "abcdefghijklmnop" not in str(error) and "abcdefghijklmnop" not in repr(error)


def test_extra_error_fields_are_kept_in_details() -> None:
    error = error_from_response(400, envelope("VALIDATION_ERROR", "x", hint="use E.164"), {}, NOW)
    assert error.details == {"hint": "use E.164"}


# -- Retry-After and X-RateLimit-Reset ------------------------------------------------------------


def test_rate_limited_with_sandbox_headers() -> None:
    headers = {
        "retry-after": "60",
        "x-ratelimit-limit": "1",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1795334651",
    }
    error = error_from_response(429, envelope("RATE_LIMITED", "Rate limit exceeded."), headers, NOW)
    assert isinstance(error, RateLimited) and error.retry_after == 60.0
    assert "60 seconds" in error.user_message


def test_retry_after_delta_seconds() -> None:
    assert parse_retry_after("12", NOW) == 12.0
    assert parse_retry_after(" 0 ", NOW) == 0.0
    assert parse_retry_after("1.5", NOW) == 1.5


def test_retry_after_http_date() -> None:
    when = datetime.fromtimestamp(NOW + 30, UTC)
    assert parse_retry_after(format_datetime(when, usegmt=True), NOW) == pytest.approx(30.0)
    past = datetime.fromtimestamp(NOW - 30, UTC)
    assert parse_retry_after(format_datetime(past, usegmt=True), NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "nan", "inf"])
def test_retry_after_garbage(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_rate_limit_reset_forms() -> None:
    assert parse_rate_limit_reset("1795334651", NOW) == pytest.approx(51.0)  # epoch seconds
    assert parse_rate_limit_reset("1795334651000", NOW) == pytest.approx(51.0)  # epoch ms
    assert parse_rate_limit_reset("20", NOW) == 20.0  # delta seconds
    assert parse_rate_limit_reset("1795334000", NOW) == 0.0  # already reset
    assert parse_rate_limit_reset("x", NOW) is None
    assert parse_rate_limit_reset(None, NOW) is None


def test_retry_after_takes_precedence_then_reset_is_used() -> None:
    assert (
        retry_after_from_headers({"Retry-After": "5", "X-RateLimit-Reset": "1795334651"}, NOW)
        == 5.0
    )
    assert retry_after_from_headers({"X-RateLimit-Reset": "1795334651"}, NOW) == pytest.approx(51.0)
    assert retry_after_from_headers({"Retry-After": "junk", "X-RateLimit-Reset": "7"}, NOW) == 7.0
    assert retry_after_from_headers({}, NOW) is None
    error = error_from_response(429, None, {"X-RateLimit-Reset": "1795334651"}, NOW)
    assert isinstance(error, RateLimited) and error.retry_after == pytest.approx(51.0)


def test_retry_after_is_capped() -> None:
    assert retry_after_from_headers({"Retry-After": "86400"}, NOW) == RETRY_AFTER_CAP
    assert retry_after_from_headers({"X-RateLimit-Reset": str(NOW + 99999)}, NOW) == RETRY_AFTER_CAP
    assert retry_after_from_headers({"Retry-After": "86400"}, NOW, cap=10) == 10
    error = error_from_response(429, None, {"Retry-After": "86400"}, NOW)
    assert error.retry_after == RETRY_AFTER_CAP
    assert "5 minutes" in error.user_message


def test_retry_after_on_a_503() -> None:
    error = error_from_response(503, None, {"Retry-After": "3"}, NOW)
    assert isinstance(error, ServerError) and error.retry_after == 3.0


def test_rate_limited_without_headers() -> None:
    error = error_from_response(429, None, {}, NOW)
    assert isinstance(error, RateLimited) and error.retry_after is None
    assert "in a moment" in error.user_message


def test_header_lookup_is_case_insensitive() -> None:
    assert header_value({"RETRY-AFTER": "3"}, "Retry-After") == "3"
    assert header_value({"a": "1"}, "Retry-After") is None


# -- errors raised by the transport ----------------------------------------------------------------


def test_network_family() -> None:
    timeout = RequestTimeout("did not answer")
    assert isinstance(timeout, NetworkError) and timeout.retryable and timeout.is_network_failure
    assert "did not answer in time" in timeout.user_message
    down = NetworkError("Cannot reach http://x")
    assert down.retryable and "could not be reached" in down.user_message
    assert str(down) == "Cannot reach http://x"


def test_outcome_unknown_is_never_a_retryable_network_error() -> None:
    error = OutcomeUnknown("POST /x was sent but no answer arrived")
    assert not isinstance(error, NetworkError)
    assert not error.retryable and error.needs_reconcile
    assert "may already have been applied" in error.user_message


def test_invalid_response_is_an_api_error() -> None:
    error = InvalidResponse("not JSON")
    assert isinstance(error, ApiError) and not error.retryable
    assert "could not read" in error.user_message


def test_repr_and_str() -> None:
    error = error_from_response(
        429, envelope("RATE_LIMITED", "slow down"), {"Retry-After": "2"}, NOW
    )
    assert str(error) == "slow down"
    assert repr(error) == (
        "RateLimited('slow down', status=429, code='RATE_LIMITED', retry_after=2.0)"
    )
    assert str(ServerError()) == "ServerError"
