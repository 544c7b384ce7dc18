"""API key authentication for the Seedly CRM half: prefixes, states, scopes, agency keys."""

from __future__ import annotations

import json

from app.sandbox.http import ApiError, Ctx, RouteSpec, validation
from app.sandbox.keys import KeyInfo
from app.sandbox.store import Store

MISSING_KEY_MESSAGE = (
    "Missing or invalid API key. Provide a valid key in the Authorization header: "
    "Bearer sk_live_..."
)
AGENCY_HEADER = "X-Sub-Account-Id"


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def lookup_key(store: Store, token: str) -> KeyInfo:
    """The active key for ``token``; 401 with the codes of docs/api/seedly-crm.md §2 otherwise."""
    row = store.one("SELECT * FROM api_keys WHERE token = ?", (token,))
    if row is None:
        raise ApiError(401, "UNAUTHORIZED", MISSING_KEY_MESSAGE)
    if row["status"] == "revoked":
        raise ApiError(
            401,
            "KEY_REVOKED",
            "This API key was revoked. Create a new key in Settings > Integrations > API Keys.",
        )
    if row["expires_ms"] is not None and row["expires_ms"] <= store.clock.now_ms():
        raise ApiError(
            401,
            "KEY_EXPIRED",
            "This API key has expired. Create a new key in Settings > Integrations > API Keys.",
        )
    return KeyInfo(
        id=row["id"],
        kind=row["kind"],
        agency_id=row["agency_id"],
        sub_account_id=row["sub_account_id"],
        scopes=frozenset(json.loads(row["scopes"])),
    )


def authenticate(ctx: Ctx, spec: RouteSpec) -> None:
    """Resolve the key and the sub-account of a request, and check the route's scope."""
    token = bearer_token(ctx.request.headers.get("authorization"))
    if token is None:
        raise ApiError(401, "UNAUTHORIZED", MISSING_KEY_MESSAGE)
    key = lookup_key(ctx.store, token)
    ctx.key = key
    header = (ctx.request.headers.get(AGENCY_HEADER) or "").strip()
    if spec.auth == "agency":
        if key.kind != "agency":
            raise ApiError(
                403,
                "FORBIDDEN",
                "This endpoint requires an agency-scoped API key (sk_agency_live_...). "
                "Sub-account keys cannot list sub-accounts.",
            )
        return
    if key.kind == "agency":
        if not header:
            raise validation("X-Sub-Account-Id header is required for agency-scoped API keys")
        owner = ctx.store.scalar("SELECT agency_id FROM sub_accounts WHERE id = ?", (header,))
        if owner != key.agency_id:
            raise ApiError(
                403,
                "FORBIDDEN",
                f"This agency key has no access to sub-account {header}. "
                "List the available ones with GET /api/v1/sub-accounts.",
            )
        ctx.sub_account_id = header
    else:
        if header and header != key.sub_account_id:
            raise ApiError(
                403,
                "FORBIDDEN",
                "This API key is scoped to another sub-account; it cannot act on "
                f"{header}. Use that sub-account's key or an agency key.",
            )
        ctx.sub_account_id = key.sub_account_id
    if spec.scope and spec.scope not in key.scopes:
        raise ApiError(
            403,
            "FORBIDDEN",
            f"API key missing required scope: {spec.scope}. "
            "Update key permissions in Settings > Integrations > API Keys.",
        )
