"""OAuth 2.0 authorization code flow: ``POST /oauth/accessToken`` and the tokens it issues.

docs/api/seamless.md (basics) documents the token endpoint only; authorising happens in the
Seamless web app. The sandbox stands in for that step with
``/_sandbox/seamless/oauth/authorize`` (``GET`` redirects to the client's
redirect URI with ``?code=&state=`` like a consent screen that said yes;
``POST`` answers the code as JSON, for tests).

Choices where the notes are silent:

* One demo client, fixed so the desktop app can ship it: ``DEMO_CLIENT``.
  Its redirect URI is ``http://127.0.0.1:53682/oauth/callback``; as RFC 8252
  allows for native apps, any port of ``127.0.0.1``/``localhost`` with that
  path is accepted too.
* Codes live 10 minutes and work once; a second use is refused and revokes
  the tokens the first use issued. Access tokens live 1 hour (``expires_at``
  is epoch seconds; ``expires_in`` and ``token_type`` are added); refresh tokens
  30 days, and rotate: each refresh issues a new pair and the old refresh token
  stops working. Errors: ``401 {"message", "error": "invalid_client"}`` for bad
  client credentials, ``400 {"message", "error": "invalid_grant" |
  "invalid_request" | "unsupported_grant_type"}`` otherwise.
* The body may also be ``application/x-www-form-urlencoded`` (the OAuth norm).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from app.sandbox.http import ApiError, Ctx, Param, Reply
from app.sandbox.registry import Registry
from app.sandbox.seamless import errors
from app.sandbox.seamless.caller import KEY_PREFIX, Caller
from app.sandbox.seamless.routes import add_seamless_route
from app.sandbox.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS sl_oauth_clients (
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sl_oauth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, expires_ms INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sl_oauth_tokens (
    access_token TEXT PRIMARY KEY, refresh_token TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,
    user_id TEXT NOT NULL, code TEXT, expires_ms INTEGER NOT NULL,
    refresh_expires_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
"""

DEMO_CLIENT = {
    "client_id": "seedly-desk-demo",
    "client_secret": "seedly-desk-demo-secret",
    "redirect_uri": "http://127.0.0.1:53682/oauth/callback",
}
DEMO_USER = "sl_usr_ana"
CODE_TTL_MS = 10 * 60 * 1000
ACCESS_TTL_MS = 3600 * 1000
REFRESH_TTL_MS = 30 * 24 * 3600 * 1000
FIELDS = ("client_id", "client_secret", "redirect_uri", "grant_type", "code", "refresh_token")
GRANT_TYPES = ("authorization_code", "refresh_token")


def seed_client(store: Store) -> None:
    """Register the demo OAuth client (idempotent)."""
    store.run(
        "INSERT OR IGNORE INTO sl_oauth_clients (client_id, client_secret, redirect_uri, name) "
        "VALUES (?, ?, ?, 'Seedly Desk (demo)')",
        (DEMO_CLIENT["client_id"], DEMO_CLIENT["client_secret"], DEMO_CLIENT["redirect_uri"]),
    )


def ready_info(base_url: str) -> dict[str, str]:
    """The ready line's ``seamless_oauth``: the demo client and where to authorise."""
    return {**DEMO_CLIENT, "authorize_url": f"{base_url}/_sandbox/seamless/oauth/authorize"}


def redirect_matches(registered: str, given: str) -> bool:
    """Exact match, or (native apps, RFC 8252 §7.3) the same loopback URI on another port."""
    if given == registered:
        return True
    a, b = urlsplit(registered), urlsplit(given)
    loopback = ("127.0.0.1", "localhost", "[::1]", "::1")
    return (
        a.hostname in loopback
        and b.hostname in loopback
        and a.scheme == b.scheme == "http"
        and a.path == b.path
    )


def _oauth_error(status: int, kind: str, message: str) -> ApiError:
    return ApiError(status, kind, message, body={"message": message, "error": kind})


def issue_code(store: Store, client_id: str, redirect_uri: str, user_id: str) -> str:
    """A fresh authorization code (what the consent screen would hand the client)."""
    client = store.one("SELECT * FROM sl_oauth_clients WHERE client_id = ?", (client_id,))
    if client is None:
        raise errors.bad_request(f"Unknown client_id {client_id}", "client_id")
    if not redirect_matches(client["redirect_uri"], redirect_uri):
        raise errors.bad_request("redirect_uri does not match the client's", "redirect_uri")
    if store.one("SELECT 1 FROM sl_users WHERE id = ?", (user_id,)) is None:
        raise errors.bad_request(f"Unknown user {user_id}", "userId")
    code = "slc_" + secrets.token_urlsafe(24)
    store.run(
        "INSERT INTO sl_oauth_codes (code, client_id, user_id, redirect_uri, expires_ms) "
        "VALUES (?, ?, ?, ?, ?)",
        (code, client_id, user_id, redirect_uri, store.clock.now_ms() + CODE_TTL_MS),
    )
    return code


def authorize_redirect(redirect_uri: str, code: str, state: str | None) -> str:
    """Where the consent screen sends the browser: ``redirect_uri?code=&state=``."""
    query = {"code": code, **({"state": state} if state else {})}
    sep = "&" if "?" in redirect_uri else "?"
    return f"{redirect_uri}{sep}{urlencode(query)}"


def _issue_tokens(store: Store, client_id: str, user_id: str, code: str | None) -> dict[str, Any]:
    now = store.clock.now_ms()
    access, refresh = "sla_" + secrets.token_urlsafe(32), "slr_" + secrets.token_urlsafe(32)
    store.run(
        "INSERT INTO sl_oauth_tokens (access_token, refresh_token, client_id, user_id, code, "
        "expires_ms, refresh_expires_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (access, refresh, client_id, user_id, code, now + ACCESS_TTL_MS, now + REFRESH_TTL_MS, now),
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": (now + ACCESS_TTL_MS) // 1000,
        "expires_in": ACCESS_TTL_MS // 1000,
        "token_type": "Bearer",
    }


def _read(ctx: Ctx) -> dict[str, Any]:
    content_type = ctx.request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        try:
            return dict(parse_qsl(ctx.raw_body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise errors.bad_request("Request body is not UTF-8 text") from None
    return errors.parse_body(ctx.raw_body)


def exchange(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    """The token endpoint's work: check the client, then the grant; the token answer."""
    errors.check_fields(body, FIELDS, "the body")
    for name in FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise _oauth_error(400, "invalid_request", f"{name} must be a string")
    client_id, secret = body.get("client_id") or "", body.get("client_secret") or ""
    client = store.one("SELECT * FROM sl_oauth_clients WHERE client_id = ?", (client_id,))
    if client is None or not hmac.compare_digest(client["client_secret"], secret):
        raise _oauth_error(401, "invalid_client", "Invalid client_id or client_secret.")
    grant = body.get("grant_type") or ""
    now = store.clock.now_ms()
    if grant == "authorization_code":
        code = body.get("code") or ""
        if not code:
            raise _oauth_error(
                400, "invalid_request", "code is required for grant_type authorization_code"
            )
        row = store.one("SELECT * FROM sl_oauth_codes WHERE code = ?", (code,))
        if row is None or row["client_id"] != client_id:
            raise _oauth_error(400, "invalid_grant", "Unknown authorization code.")
        if row["used"]:
            # A replayed code may have been stolen: what it issued is revoked (RFC 6749 §4.1.2),
            # and that must stick although the answer is an error.
            store.run("UPDATE sl_oauth_tokens SET revoked = 1 WHERE code = ?", (code,))
            raise _Committed(
                _oauth_error(400, "invalid_grant", "This authorization code was already used.")
            )
        if row["expires_ms"] <= now:
            raise _oauth_error(400, "invalid_grant", "This authorization code has expired.")
        if (body.get("redirect_uri") or "") != row["redirect_uri"]:
            raise _oauth_error(
                400, "invalid_grant", "redirect_uri differs from the one authorised."
            )
        store.run("UPDATE sl_oauth_codes SET used = 1 WHERE code = ?", (code,))
        return _issue_tokens(store, client_id, row["user_id"], code)
    if grant == "refresh_token":
        refresh = body.get("refresh_token") or ""
        if not refresh:
            raise _oauth_error(
                400, "invalid_request", "refresh_token is required for grant_type refresh_token"
            )
        row = store.one("SELECT * FROM sl_oauth_tokens WHERE refresh_token = ?", (refresh,))
        if row is None or row["client_id"] != client_id:
            raise _oauth_error(400, "invalid_grant", "Unknown refresh token.")
        if row["revoked"]:
            raise _oauth_error(
                400, "invalid_grant", "This refresh token was already used or revoked."
            )
        if row["refresh_expires_ms"] <= now:
            raise _oauth_error(
                400, "invalid_grant", "This refresh token has expired. Authorise again."
            )
        store.run(
            "UPDATE sl_oauth_tokens SET revoked = 1 WHERE access_token = ?", (row["access_token"],)
        )
        return _issue_tokens(store, client_id, row["user_id"], row["code"])
    if not grant:
        raise _oauth_error(400, "invalid_request", "grant_type is required")
    raise _oauth_error(
        400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
    )


class _Committed(Exception):
    """An error answer whose changes are kept (the request's transaction commits)."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def access_token(ctx: Ctx, caller: Caller | None) -> Reply:
    """Exchange an authorization code or a refresh token for tokens."""
    try:
        return Reply(raw=exchange(ctx.store, _read(ctx)))
    except _Committed as done:
        return Reply(raw=done.error.payload(), status=done.error.status)


def user_for_access_token(store: Store, token: str) -> str:
    """The user an access token acts for; 401 when unknown, revoked or expired."""
    row = store.one(
        "SELECT user_id, expires_ms, revoked FROM sl_oauth_tokens WHERE access_token = ?", (token,)
    )
    if row is None:
        if token.startswith(KEY_PREFIX):
            raise errors.unauthorized(
                "This is an API key, not an access token: send it as 'Token: <key>'."
            )
        raise errors.unauthorized("Invalid access token.")
    if row["revoked"]:
        raise errors.unauthorized("This access token was revoked. Authorise again.")
    if row["expires_ms"] <= store.clock.now_ms():
        raise errors.unauthorized(
            "Access token expired. Get a new one with POST /oauth/accessToken "
            "(grant_type refresh_token)."
        )
    return str(row["user_id"])


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    add_seamless_route(
        router,
        "POST",
        "/oauth/accessToken",
        access_token,
        body=tuple(
            Param.text(name, choices=GRANT_TYPES if name == "grant_type" else ()) for name in FIELDS
        ),
        media_types=("application/json", "application/x-www-form-urlencoded"),
    )
