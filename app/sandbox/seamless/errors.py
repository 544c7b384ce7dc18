"""The Seamless.AI error shapes (docs/api/seamless.md, types on the wire) and strict reading
of request bodies.

Documented: ``401 {"message"}``, ``422 {"msg", "code", "data": {"productCategory",
"additionalCreditsNeeded"}}``, ``500 {"message"}``, ``429`` "with a JSON body".
Where the wire contract gives no shape the sandbox answers in the ``{"message"}``
style with a ``code``: ``400 {"message", "code": "badRequest", "field"?}``,
``404 {"message", "code": "notFound"}``, ``405 ... "methodNotAllowed"``,
``413 ... "payloadTooLarge"``, ``429 {"message", "code": "rateLimitExceeded"}``.
"""

from __future__ import annotations

from typing import Any

from app.sandbox.http import ApiError, parse_json_object

CREDIT_CATEGORY = (
    "universal"  # docs/api/seamless.md, credits: "The Seamless API uses Universal Credits only"
)


def _error(status: int, code: str, body: dict[str, Any]) -> ApiError:
    return ApiError(status, code, str(body.get("message") or body.get("msg")), body=body)


def bad_request(message: str, field: str | None = None) -> ApiError:
    """400: the request was refused as malformed; nothing was done or charged."""
    body: dict[str, Any] = {"message": message, "code": "badRequest"}
    if field:
        body["field"] = field
    return _error(400, "badRequest", body)


def unauthorized(message: str) -> ApiError:
    """401 ``{"message"}``: a bad, missing, revoked or expired key or token."""
    return _error(401, "unauthorized", {"message": message})


def insufficient_credits(needed: int, balance: int) -> ApiError:
    """422 ``insufficientCredits``: the balance is short by ``needed - balance``."""
    short = needed - balance
    return _error(
        422,
        "insufficientCredits",
        {
            "msg": f"Insufficient credit amount: this request needs {needed} credit"
            f"{'s' if needed != 1 else ''} and {balance} remain. Nothing was charged.",
            "code": "insufficientCredits",
            "data": {"productCategory": CREDIT_CATEGORY, "additionalCreditsNeeded": short},
        },
    )


def missing_license() -> ApiError:
    """422 ``missingLicense``: the key's owner has no Public API license."""
    return _error(
        422,
        "missingLicense",
        {
            "msg": "Public API requires an active license. Ask your Seamless.AI administrator "
            "to assign an API license to this user.",
            "code": "missingLicense",
            "data": {"productCategory": "publicApi", "additionalCreditsNeeded": 0},
        },
    )


def not_found(message: str) -> ApiError:
    """404: no such endpoint."""
    return _error(404, "notFound", {"message": message, "code": "notFound"})


def method_not_allowed(method: str, path: str, allowed: list[str]) -> ApiError:
    """405: the path exists with other methods."""
    return _error(
        405,
        "methodNotAllowed",
        {
            "message": f"Method {method} is not allowed on {path}; use {', '.join(allowed)}",
            "code": "methodNotAllowed",
        },
    )


def too_large(limit: int) -> ApiError:
    """413: the body is over ``limit`` bytes."""
    return _error(
        413,
        "payloadTooLarge",
        {"message": f"Request body too large (at most {limit} bytes)", "code": "payloadTooLarge"},
    )


def rate_limited() -> ApiError:
    """429: this organisation used up this endpoint's budget for the minute."""
    return _error(
        429,
        "rateLimitExceeded",
        {
            "message": "Rate limit exceeded. Please wait until X-RateLimit-Reset and try again.",
            "code": "rateLimitExceeded",
        },
    )


def server_error() -> ApiError:
    """500 ``{"message"}`` (never a stack trace)."""
    return _error(500, "serverError", {"message": "Internal server error. Retry with backoff."})


def to_seamless(exc: ApiError) -> ApiError:
    """An error raised in the Seedly shape (shared helpers) re-shaped for Seamless."""
    if exc.body is not None:
        return exc
    if exc.status == 401:
        return unauthorized(exc.message)
    if exc.status == 404:
        return not_found(exc.message)
    if exc.status >= 500:
        return server_error()
    return bad_request(exc.message, exc.field)


def parse_body(raw: bytes, *, required: bool = True) -> dict[str, Any]:
    """A request body that must be one JSON object (an empty body is ``{}``).

    Decoded by the sandbox's one JSON decoder (``http.parse_json_object``), its refusals
    re-shaped as Seamless 400s.
    """
    if not raw.strip():
        if required:
            raise bad_request("Request body is required (a JSON object)")
        return {}
    try:
        return parse_json_object(raw)
    except ApiError as exc:
        raise to_seamless(exc) from None


def check_fields(body: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """Refuse fields the wire contract does not name (a typo must not silently change a request)."""
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        raise bad_request(
            f"Unknown field{'s' if len(unknown) > 1 else ''} in {where}: {', '.join(unknown)}. "
            f"Accepted: {', '.join(allowed)}",
            unknown[0],
        )
