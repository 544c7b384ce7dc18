"""Typed errors of the Seamless.AI API and the pure mapping from an HTTP answer to one.

Seamless answers errors in its own shapes (docs/api/seamless.md, "Rate limits & errors"):

- ``401 {"message": "..."}`` — a bad or missing key or token;
- ``422 {"msg": "...", "code": "insufficientCredits" | "missingLicense",
  "data": {"productCategory": "...", "additionalCreditsNeeded": N}}``;
- ``429`` with a JSON body — wait until ``X-RateLimit-Reset``;
- ``500 {"message": "..."}``.

Every class here is a ``SeamlessError`` *and* the matching class of
``app.core.errors`` (``SeamlessUnauthorized`` is an ``Unauthorized``,
``SeamlessRateLimited`` a ``RateLimited``…), so code that decides on
``retryable`` / ``is_auth_failure`` / ``needs_reconcile`` treats both services
alike, while ``user_message`` names Seamless.AI and says where to fix things.
``credits`` carries the ``X-PublicAPI-Credits`` balance the error answer
reported, when it did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from app.core.errors import (
    ApiError,
    InvalidResponse,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RequestTimeout,
    ServerError,
    Unauthorized,
    ValidationFailed,
    header_value,
    parse_rate_limit_reset,
    retry_after_from_headers,
)

SERVICE = "Seamless.AI"
# Where keys live in the Seamless web app (docs/api/seamless.md, "Basics").
KEYS_PLACE = "Company Settings → Public API Connections in Seamless.AI"
CREDITS_HEADER = "X-PublicAPI-Credits"

INSUFFICIENT_CREDITS = "insufficientCredits"
MISSING_LICENSE = "missingLicense"

_EXPIRED_RE = re.compile(r"\bexpired?\b|\bexpir", re.IGNORECASE)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text if text[-1] in ".!?" else text + "."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def credits_from_headers(headers: Mapping[str, str]) -> int | None:
    """The ``X-PublicAPI-Credits`` balance of an answer, or None when absent or unreadable."""
    raw = header_value(headers, CREDITS_HEADER)
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value)


class SeamlessError(ApiError):
    """Base of every error the Seamless client raises (a plain one for statuses the
    API does not describe)."""

    credits: int | None = None
    """The credit balance the failing answer reported (``X-PublicAPI-Credits``)."""

    @property
    def user_message(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        detail = f": {_sentence(self.message)}" if self.message else "."
        return (
            f"{SERVICE} refused the request{status}{detail} "
            "Try again; if it keeps happening, contact Seamless.AI support with the time of the request."
        )


class SeamlessUnauthorized(SeamlessError, Unauthorized):
    """401: the API key (or OAuth token) is missing, wrong or deactivated."""

    @property
    def user_message(self) -> str:
        return (
            f"{SERVICE} did not accept the API key. Check that the whole key was pasted and that "
            f"it is still active in {KEYS_PLACE}, or create a new key there and paste it here."
        )


class SeamlessTokenExpired(SeamlessUnauthorized):
    """401 saying the OAuth access token expired (refreshed once by the client)."""

    @property
    def user_message(self) -> str:
        return (
            f"The {SERVICE} sign-in has expired and could not be renewed. "
            "Sign in to Seamless.AI again in Settings → Connections."
        )


class SeamlessSignInRequired(SeamlessUnauthorized):
    """The OAuth sign-in ended for good: the refresh token was refused (revoked, expired or
    used), or a fresh access token was refused too. Only signing in again helps."""

    @property
    def user_message(self) -> str:
        return (
            f"Your {SERVICE} sign-in has ended (it was revoked or expired). Sign in again to "
            "go on; nothing queued was lost."
        )


class MissingLicense(SeamlessError):
    """422 ``missingLicense``: the key's owner has no API license."""

    is_auth_failure: ClassVar[bool] = True

    @property
    def user_message(self) -> str:
        return (
            f"The owner of this {SERVICE} key has no API license. Ask your Seamless.AI admin "
            "to assign the API license to that user, then try again."
        )


class InsufficientCredits(SeamlessError):
    """422 ``insufficientCredits``: not enough credits; ``additional_credits_needed`` is the
    shortfall when the server said it."""

    def __init__(
        self,
        message: str = "",
        *,
        additional_credits_needed: int | None = None,
        product_category: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.additional_credits_needed = additional_credits_needed
        self.product_category = product_category

    @property
    def user_message(self) -> str:
        if self.additional_credits_needed:
            short = _plural(self.additional_credits_needed, "more credit")
            return (
                f"{SERVICE} has not enough credits for this: {short} "
                f"{'is' if self.additional_credits_needed == 1 else 'are'} needed. "
                "Buy credits in Seamless.AI or select fewer records."
            )
        return (
            f"{SERVICE} has not enough credits for this. "
            "Buy credits in Seamless.AI or select fewer records."
        )


class SeamlessRejected(SeamlessError, ValidationFailed):
    """400/422 with another code: the request was refused as invalid."""

    @property
    def user_message(self) -> str:
        if self.message:
            return (
                f"{SERVICE} rejected the request: {_sentence(self.message)} "
                "Change the filters or the selection and try again."
            )
        return f"{SERVICE} rejected the request as invalid. Change the filters and try again."


class SeamlessNotFound(SeamlessError, NotFound):
    """404: usually a wrong base URL (the paths are fixed by the contract)."""

    @property
    def user_message(self) -> str:
        return (
            f"{SERVICE} answered that this address does not exist. Check the Seamless.AI API "
            "URL in Settings → Connections."
        )


class SeamlessRateLimited(SeamlessError, RateLimited):
    """429: this endpoint's per-organisation limit is used up; ``retry_after`` is the wait in
    seconds and ``reset_epoch`` the time the window resets (``X-RateLimit-Reset``)."""

    def __init__(self, message: str = "", *, reset_epoch: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.reset_epoch = reset_epoch

    @property
    def user_message(self) -> str:
        if self.retry_after:
            seconds = max(1, round(self.retry_after))
            return (
                f"{SERVICE} limits how often each action may be used per minute, and the limit is "
                f"reached. Try again in {_plural(seconds, 'second')}."
            )
        return (
            f"{SERVICE} limits how often each action may be used per minute, and the limit is "
            "reached. Try again in a minute."
        )


class SeamlessServerError(SeamlessError, ServerError):
    """5xx: a failure on Seamless's side."""

    @property
    def user_message(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return (
            f"{SERVICE} had a problem on its side{status}. Try again in a moment; if it keeps "
            "happening, the service may be down."
        )


class SeamlessNetworkError(SeamlessError, NetworkError):
    """Seamless could not be reached (or a request safe to repeat kept failing)."""

    @property
    def user_message(self) -> str:
        return (
            f"{SERVICE} could not be reached. Check your internet connection and the "
            "Seamless.AI API URL in Settings → Connections."
        )


class SeamlessTimeout(SeamlessNetworkError, RequestTimeout):
    """Seamless did not answer in time (and the request was safe to give up on)."""

    @property
    def user_message(self) -> str:
        return f"{SERVICE} did not answer in time. Check your internet connection and try again."


class SeamlessOutcomeUnknown(SeamlessError, OutcomeUnknown):
    """A search or research request was sent and no answer came: it may have been accepted
    and charged. Never resent blindly; the research queue records it as unknown."""

    @property
    def user_message(self) -> str:
        return (
            f"The connection dropped before {SERVICE} answered, so the request may have been "
            "accepted and its credits spent. Check the research queue before sending it again; "
            "with deduplication on, records already researched are not charged twice."
        )


class SeamlessInvalidResponse(SeamlessError, InvalidResponse):
    """An answer that does not match the Seamless contract (not JSON, wrong types)."""

    @property
    def user_message(self) -> str:
        what = f" {self.resource}" if self.resource else " an answer"
        return (
            f"{SERVICE} sent{what} this app could not read. Try again; if it keeps happening, "
            "this version of the app may be out of date."
        )


def _decode(body: bytes | str | Mapping[str, Any] | None) -> Any:
    if body is None:
        return None
    if isinstance(body, Mapping):
        return body
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value:
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def seamless_error_from_response(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str],
    now: float,
) -> SeamlessError:
    """Map a failed Seamless answer to a typed error (never raises).

    ``now`` is epoch seconds, to read ``X-RateLimit-Reset`` (epoch seconds) as a wait."""
    payload = _decode(body)
    message = ""
    code: str | None = None
    data: dict[str, Any] = {}
    if isinstance(payload, Mapping):
        message = _text(payload.get("msg")) or _text(payload.get("message"))
        error = payload.get("error")
        if not message and isinstance(error, str):
            message = error.strip()
        code = _text(payload.get("code")) or None
        raw_data = payload.get("data")
        if isinstance(raw_data, Mapping):
            data = dict(raw_data)
    if not message:
        try:
            message = f"HTTP {status} {HTTPStatus(status).phrase}"
        except ValueError:
            message = f"HTTP {status}"
    common: dict[str, Any] = {"status": status, "code": code, "details": data}
    error_obj: SeamlessError
    if status == 401:
        cls = SeamlessTokenExpired if _EXPIRED_RE.search(message) else SeamlessUnauthorized
        error_obj = cls(message, **common)
    elif code == INSUFFICIENT_CREDITS:
        error_obj = InsufficientCredits(
            message,
            additional_credits_needed=_int_or_none(data.get("additionalCreditsNeeded")),
            product_category=_text(data.get("productCategory")) or None,
            **common,
        )
    elif code == MISSING_LICENSE:
        error_obj = MissingLicense(message, **common)
    elif status == 429:
        until = parse_rate_limit_reset(header_value(headers, "X-RateLimit-Reset"), now)
        error_obj = SeamlessRateLimited(
            message,
            retry_after=retry_after_from_headers(headers, now),
            reset_epoch=None if until is None else now + until,
            **common,
        )
    elif status in (400, 422):
        error_obj = SeamlessRejected(message, **common)
    elif status in (404, 410):
        error_obj = SeamlessNotFound(message, **common)
    elif status >= 500:
        error_obj = SeamlessServerError(message, **common)
    else:
        error_obj = SeamlessError(message, **common)
    error_obj.credits = credits_from_headers(headers)
    return error_obj


def seamless_error_from(exc: ApiError) -> SeamlessError:
    """The Seamless flavour of a transport-level error that carries no answer (network
    failures, timeouts, unknown outcomes, unreadable answers)."""
    if isinstance(exc, SeamlessError):
        return exc
    cls: type[SeamlessError]
    if isinstance(exc, OutcomeUnknown):
        cls = SeamlessOutcomeUnknown
    elif isinstance(exc, RequestTimeout):
        cls = SeamlessTimeout
    elif isinstance(exc, NetworkError):
        cls = SeamlessNetworkError
    elif isinstance(exc, InvalidResponse):
        converted = SeamlessInvalidResponse(
            exc.message, resource=exc.resource, field=exc.field, details=exc.details
        )
        return converted
    elif isinstance(exc, RateLimited):
        cls = SeamlessRateLimited
    elif isinstance(exc, ServerError):
        cls = SeamlessServerError
    elif isinstance(exc, Unauthorized):
        cls = SeamlessUnauthorized
    else:
        cls = SeamlessError
    return cls(exc.message, status=exc.status, code=exc.code, retry_after=exc.retry_after)


__all__ = [
    "CREDITS_HEADER",
    "INSUFFICIENT_CREDITS",
    "KEYS_PLACE",
    "MISSING_LICENSE",
    "InsufficientCredits",
    "MissingLicense",
    "SeamlessError",
    "SeamlessInvalidResponse",
    "SeamlessNetworkError",
    "SeamlessNotFound",
    "SeamlessOutcomeUnknown",
    "SeamlessRateLimited",
    "SeamlessRejected",
    "SeamlessServerError",
    "SeamlessTimeout",
    "SeamlessSignInRequired",
    "SeamlessTokenExpired",
    "SeamlessUnauthorized",
    "credits_from_headers",
    "seamless_error_from",
    "seamless_error_from_response",
]
