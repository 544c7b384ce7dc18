"""Typed errors of the Seedly API and the pure mapping from an HTTP answer to one of them.

Every error carries what the code needs to decide (``retryable``,
``is_auth_failure``, ``needs_reconcile``, ``retry_after``) and what the user
needs to read (``user_message``: what happened and what to do). ``str(error)``
is the technical message for logs (keys redacted).

The hierarchy is shaped by the decisions callers make:

- ``Unauthorized`` is every 401; ``KeyExpired`` and ``KeyRevoked`` are its
  subclasses, so ``except Unauthorized`` stops polling for all three.
- ``RequestTimeout`` is a ``NetworkError`` (the request certainly had no
  effect, or was idempotent), but ``OutcomeUnknown`` deliberately is not:
  code that retries on network errors must never resend a write that may
  already have been applied.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, ClassVar

from app.core.keys import redact

# Longest wait taken from a server's Retry-After / X-RateLimit-Reset. A broken or hostile
# header must not park the app for hours; retrying early only costs another 429.
RETRY_AFTER_CAP = 300.0

# Where keys are managed in the Seedly dashboard (docs/api/seedly-crm.md §2), in the app's
# arrow style.
KEYS_PATH = "Settings → Integrations → API Keys"

_SCOPE_RE = re.compile(r"missing required scope:\s*([A-Za-z_]+:[A-Za-z_]+)", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")
_MAX_TEXT = 200


def _sentence(text: str) -> str:
    """``text`` ending with exactly one full stop (server messages come with or without)."""
    text = text.strip()
    if not text:
        return text
    return text if text[-1] in ".!?" else text + "."


def with_article(noun: str) -> str:
    """``noun`` with "a" or "an" ("an appointment", "a contact")."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _wait_words(seconds: float) -> str:
    whole = max(1, math.ceil(seconds))
    if whole < 90:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(whole / 60)
    return f"{minutes} minutes"


class ApiError(Exception):
    """Base of every error the API layer raises.

    ``message`` is the server's message when it sent one (else a technical
    description); ``status`` and ``code`` are the HTTP status and envelope
    code when the error came from an answer. A plain ``ApiError`` is used for
    statuses the contract does not describe (e.g. 409). ``from_envelope`` says
    whether the answer carried Seedly's ``{"error": {...}}`` envelope.
    """

    retryable: ClassVar[bool] = False
    """A retry of the same request may succeed without anything changing."""
    is_auth_failure: ClassVar[bool] = False
    """The key itself is the problem: stop using it until the user enters another."""
    is_network_failure: ClassVar[bool] = False
    """Seedly could not be reached or did not answer (offline state in the UI)."""
    needs_reconcile: ClassVar[bool] = False
    """A write may or may not have been applied: look before doing it again."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        field: str | None = None,
        request_id: str | None = None,
        details: Mapping[str, Any] | None = None,
        from_envelope: bool = False,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.field = field
        self.request_id = request_id
        self.details: dict[str, Any] = dict(details or {})
        # False for answers without Seedly's error envelope (a proxy page, another web
        # server): a 404 like that usually means a wrong deployment URL, not a deleted record.
        self.from_envelope = from_envelope
        super().__init__(self.message or self._fallback_text())

    def _fallback_text(self) -> str:
        if self.status:
            return f"HTTP {self.status}"
        return type(self).__name__

    @property
    def user_message(self) -> str:
        """One or two sentences for the user: what happened and what to do."""
        status = f" (HTTP {self.status})" if self.status else ""
        detail = f": {_sentence(self.message)}" if self.message else "."
        return (
            f"Seedly refused the request{status}{detail} "
            "Try again; if it keeps happening, check the record in Seedly."
        )

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        for name in ("status", "code", "field", "retry_after"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class Unauthorized(ApiError):
    """401: the key is missing, malformed or unknown to the server."""

    is_auth_failure = True

    @property
    def user_message(self) -> str:
        return (
            "Seedly did not accept the API key. Check that the whole key was pasted, "
            f"or create a new key in {KEYS_PATH} and paste it here."
        )


class KeyExpired(Unauthorized):
    """401 ``KEY_EXPIRED``: the key passed its expiry date."""

    @property
    def user_message(self) -> str:
        return f"The API key has expired. Create a new key in {KEYS_PATH} and paste it here."


class KeyRevoked(Unauthorized):
    """401 ``KEY_REVOKED``: the key was revoked in the dashboard."""

    @property
    def user_message(self) -> str:
        return f"The API key was revoked. Create a new key in {KEYS_PATH} and paste it here."


class Forbidden(ApiError):
    """403: the key lacks a scope (``scope`` names it when the server said which)."""

    def __init__(self, message: str = "", *, scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scope = scope if scope is not None else missing_scope(message)

    @property
    def user_message(self) -> str:
        if self.scope:
            return (
                f"The API key does not have the {self.scope} permission. Add it to the key "
                f"in {KEYS_PATH}, or create a key that has it and paste it here."
            )
        return f"The API key is not allowed to do this. Check the key's permissions in {KEYS_PATH}."


class ValidationFailed(ApiError):
    """400: the request was refused as invalid. Also raised before a request by the
    payload builders, with every problem in ``errors`` (field path → sentence);
    ``field`` is the first (or the server's) field, in wire spelling (``customFields.x``)."""

    def __init__(
        self, message: str = "", *, errors: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.errors: dict[str, str] = dict(errors or {})
        if self.field is None and self.errors:
            self.field = next(iter(self.errors))
        if self.field is not None and self.field not in self.errors and self.message:
            self.errors[self.field] = _sentence(self.message)

    @classmethod
    def from_errors(cls, errors: Mapping[str, str]) -> ValidationFailed:
        """A local validation failure (no request was sent) listing every field's problem."""
        first = next(iter(errors.values()), "The form has invalid fields.")
        return cls(first, errors=errors)

    @property
    def user_message(self) -> str:
        if self.status is None and self.message:
            return _sentence(self.message)
        if self.message:
            return (
                f"Seedly rejected the request: {_sentence(self.message)} Correct it and try again."
            )
        return "Seedly rejected the request as invalid. Check the fields and try again."


class NotFound(ApiError):
    """404: the record (or the path) does not exist."""

    @property
    def user_message(self) -> str:
        return (
            "This item no longer exists in Seedly; it may have been deleted. "
            "Refresh to update the view."
        )


class RateLimited(ApiError):
    """429: too many requests; ``retry_after`` is the wait in seconds when known."""

    retryable = True

    @property
    def user_message(self) -> str:
        if self.retry_after:
            return (
                "Seedly is receiving too many requests from this key. The app will try "
                f"again in {_wait_words(self.retry_after)}."
            )
        return (
            "Seedly is receiving too many requests from this key. The app will try again "
            "in a moment."
        )


class ServerError(ApiError):
    """5xx or ``INTERNAL_ERROR``: a failure on Seedly's side; retry with back-off."""

    retryable = True

    @property
    def user_message(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return (
            f"Seedly had a problem on its side{status}. Try again in a moment; if it keeps "
            "happening, the service may be down."
        )


class NetworkError(ApiError):
    """Seedly could not be reached (DNS, refused connection, dropped connection on a
    request that is safe to repeat)."""

    retryable = True
    is_network_failure = True

    @property
    def user_message(self) -> str:
        return (
            "Seedly could not be reached. Check your internet connection and the deployment "
            "URL in Settings → Connections."
        )


class RequestTimeout(NetworkError):
    """Seedly did not answer in time (connect or read timeout, or HTTP 408)."""

    @property
    def user_message(self) -> str:
        return (
            "Seedly did not answer in time. Check your internet connection; the app will try again."
        )


class OutcomeUnknown(ApiError):
    """A write was sent but no answer came back: it may or may not have been applied.

    Never retried blindly: the caller looks for the result first (the outbox
    searches the conversation, a contact create looks the email up)."""

    needs_reconcile = True
    is_network_failure = True

    @property
    def user_message(self) -> str:
        return (
            "The connection dropped before Seedly confirmed this change, so it may already "
            "have been applied. Refresh to check before trying again."
        )


class InvalidResponse(ApiError):
    """An answer that does not match the contract (not JSON, wrong types, missing fields).

    ``resource`` names what was being read (``"contact"``) and ``field`` the
    first offending field path (``"data[3].createdAt"``)."""

    def __init__(self, message: str = "", *, resource: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.resource = resource

    @property
    def user_message(self) -> str:
        what = f" {with_article(self.resource)}" if self.resource else " an answer"
        return (
            f"Seedly sent{what} this app could not read. Try again; if it keeps happening, "
            "this version of the app may be out of date."
        )


class ResponseTooLarge(InvalidResponse):
    """An answer bigger than the app reads (``limit`` bytes): it was dropped unread, so a
    hostile or broken server cannot fill the memory or the cache."""

    def __init__(self, message: str = "", *, limit: int = 0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit

    @property
    def user_message(self) -> str:
        size = f" of more than {self.limit // 1_000_000} MB" if self.limit else ""
        return (
            f"The server sent an answer{size}, far more than it should; it was not read. "
            "Try again later; if it keeps happening, tell the server's administrator."
        )


_CLASS_BY_CODE: dict[str, type[ApiError]] = {
    "VALIDATION_ERROR": ValidationFailed,
    "UNAUTHORIZED": Unauthorized,
    "KEY_EXPIRED": KeyExpired,
    "KEY_REVOKED": KeyRevoked,
    "FORBIDDEN": Forbidden,
    "NOT_FOUND": NotFound,
    "RATE_LIMITED": RateLimited,
    "INTERNAL_ERROR": ServerError,
}


def _class_for_status(status: int) -> type[ApiError]:
    """The error class when the body names no code we know (codes may be added:
    docs/api/seedly-crm.md §12)."""
    if status in (400, 422):
        return ValidationFailed
    if status == 401:
        return Unauthorized
    if status == 403:
        return Forbidden
    if status in (404, 410):
        return NotFound
    if status == 408:
        return RequestTimeout
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    return ApiError


def missing_scope(message: str | None) -> str | None:
    """The scope named in "API key missing required scope: X. …", or None."""
    if not message:
        return None
    found = _SCOPE_RE.search(message)
    return found.group(1) if found else None


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively, from any mapping (httpx headers or a plain dict)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    A date in the past gives 0; anything unreadable (or negative) gives None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a date without a zone is read that way.
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def parse_rate_limit_reset(value: str | None, now: float) -> float | None:
    """Seconds until the window resets, from ``X-RateLimit-Reset``.

    The API's example (``1743091200``, docs/api/seedly-crm.md §10) is epoch seconds, and so is the
    sandbox's; some servers send epoch milliseconds or a delta. Values above
    1e12 are read as epoch ms, above 1e9 as epoch seconds, smaller ones as a
    delta in seconds."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    if number > 1e12:
        return max(0.0, number / 1000.0 - now)
    if number > 1e9:
        return max(0.0, number - now)
    return number


def retry_after_from_headers(
    headers: Mapping[str, str], now: float, cap: float = RETRY_AFTER_CAP
) -> float | None:
    """The wait a response asks for: ``Retry-After`` first, else ``X-RateLimit-Reset``;
    capped at ``cap`` seconds. None when neither header is usable."""
    wait = parse_retry_after(header_value(headers, "Retry-After"), now)
    if wait is None:
        wait = parse_rate_limit_reset(header_value(headers, "X-RateLimit-Reset"), now)
    if wait is None:
        return None
    return min(wait, cap)


def _decode_body(body: bytes | str | Mapping[str, Any] | None) -> Any:
    """The body as JSON when it is JSON, else its text (None when empty)."""
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
        return text


def _text_message(text: str) -> str:
    """A short readable message from a non-JSON body (proxy pages, plain text)."""
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")):
        return ""  # an HTML error page says nothing the status does not
    flat = _WS_RE.sub(" ", text).strip()
    return flat if len(flat) <= _MAX_TEXT else flat[: _MAX_TEXT - 1] + "…"


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def error_from_response(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str],
    now: float,
) -> ApiError:
    """Map a failed HTTP answer to a typed error.

    ``body`` is the raw body (or already-decoded JSON); ``now`` is epoch
    seconds, for HTTP-date ``Retry-After`` and epoch ``X-RateLimit-Reset``.
    The envelope's ``code`` decides the class; without a known code the
    status does. Never raises.
    """
    payload = _decode_body(body)
    code: str | None = None
    message = ""
    field: str | None = None
    request_id: str | None = None
    details: dict[str, Any] = {}
    from_envelope = False
    if isinstance(payload, Mapping):
        error = payload.get("error")
        if isinstance(error, Mapping):
            from_envelope = True
            code = _str_or_none(error.get("code"))
            message = _str_or_none(error.get("message")) or ""
            field = _str_or_none(error.get("field"))
            request_id = _str_or_none(error.get("requestId"))
            details = {
                k: v for k, v in error.items() if k not in ("code", "message", "field", "requestId")
            }
        elif isinstance(error, str):
            message = error
        if not message:
            # Not the envelope (a gateway, an older server): common shapes of a message.
            message = (
                _str_or_none(payload.get("message")) or _str_or_none(payload.get("detail")) or ""
            )
    elif isinstance(payload, str):
        message = _text_message(payload)
    if not message:
        try:
            message = f"HTTP {status} {HTTPStatus(status).phrase}"
        except ValueError:
            message = f"HTTP {status}"
    request_id = request_id or header_value(headers, "X-Request-Id")
    cls = _CLASS_BY_CODE.get(code or "") or _class_for_status(status)
    return cls(
        message,
        status=status,
        code=code,
        retry_after=retry_after_from_headers(headers, now),
        field=field,
        request_id=request_id,
        details=details,
        from_envelope=from_envelope,
    )


__all__ = [
    "RETRY_AFTER_CAP",
    "ApiError",
    "Forbidden",
    "InvalidResponse",
    "KeyExpired",
    "KeyRevoked",
    "NetworkError",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "RequestTimeout",
    "ResponseTooLarge",
    "ServerError",
    "Unauthorized",
    "ValidationFailed",
    "error_from_response",
    "header_value",
    "missing_scope",
    "parse_rate_limit_reset",
    "parse_retry_after",
    "retry_after_from_headers",
    "with_article",
]
