"""``/_sandbox/...``: control endpoints for tools and tests (not part of either API).

They let a test change fault injection at runtime, move sandbox time, mint or
revoke keys, and read what the server did (events, counters).
"""

from __future__ import annotations

import json
import secrets

from app.core.constants import SCOPES
from app.sandbox import clock
from app.sandbox.http import ApiError, Ctx, Param, Reply, validation
from app.sandbox.registry import Registry
from app.sandbox.state import TargetedFault
from app.sandbox.store import loads


MAX_ADVANCE_MS = 10 * 365 * 86_400_000


def health(ctx: Ctx) -> Reply:
    return Reply(
        {"ok": True, "now": clock.iso(ctx.now()), "clockOffsetMs": ctx.state.clock.offset_ms}
    )


def get_faults(ctx: Ctx) -> Reply:
    f = ctx.state.faults
    return Reply(
        {
            "rate": f.rate,
            "kinds": f.kinds,
            "timeoutSeconds": f.timeout_seconds,
            "slowSeconds": f.slow_seconds,
            "targeted": [
                {"method": t.method, "path": t.path, "kind": t.kind, "times": t.times}
                for t in f.targeted
            ],
        }
    )


def put_faults(ctx: Ctx) -> Reply:
    body = ctx.body
    f = ctx.state.faults
    if "rate" in body:
        rate = body.raw("rate")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise validation("rate must be a number between 0 and 1")
        f.rate = float(rate)
    kinds = body.obj("kinds")
    if kinds is not None:
        for name, weight in kinds.items():
            if name not in f.kinds:
                raise validation(f"kinds: unknown fault kind {name}; known: {', '.join(f.kinds)}")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise validation(f"kinds.{name} must be a non-negative number")
        f.kinds.update({k: float(v) for k, v in kinds.items()})
    for name, attr in (("timeoutSeconds", "timeout_seconds"), ("slowSeconds", "slow_seconds")):
        if name in body:
            value = body.raw(name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= 300
            ):
                raise validation(f"{name} must be a number of seconds from 0 to 300")
            setattr(f, attr, float(value))
    return get_faults(ctx)


def add_targeted_fault(ctx: Ctx) -> Reply:
    """Aim a fault at the next ``times`` requests of ``method`` and ``path`` (exact, no query):
    ``{"method", "path", "kind", "times"?}``; answers the fault settings."""
    body = ctx.body
    f = ctx.state.faults
    method = (body.str("method", required=True, max_len=10) or "").upper()
    path = body.str("path", required=True, max_len=500) or ""
    kind = body.str("kind", required=True, max_len=40) or ""
    times = body.int("times", minimum=1, maximum=1000) or 1
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise validation("method must be GET, POST, PUT, PATCH or DELETE", "method")
    if not path.startswith("/"):
        raise validation("path must start with /", "path")
    if kind not in f.kinds:
        raise validation(f"kind: unknown fault kind {kind}; known: {', '.join(f.kinds)}", "kind")
    f.targeted.append(TargetedFault(method, path, kind, times))
    return Reply(get_faults(ctx).data, status=201)


def clear_targeted_faults(ctx: Ctx) -> Reply:
    """Forget every targeted fault not used up yet."""
    ctx.state.faults.targeted.clear()
    return get_faults(ctx)


def stats(ctx: Ctx) -> Reply:
    return Reply(dict(ctx.state.stats))


def reset_rate_limits(ctx: Ctx) -> Reply:
    ctx.state.limiter.reset()
    return Reply({"reset": True})


def advance_clock(ctx: Ctx) -> Reply:
    ms = ctx.body.int("ms", required=True, minimum=0, maximum=MAX_ADVANCE_MS)
    assert ms is not None
    ctx.state.clock.advance(ms)
    return Reply({"now": clock.iso(ctx.now()), "clockOffsetMs": ctx.state.clock.offset_ms})


def create_key(ctx: Ctx) -> Reply:
    """Mint a key: ``{subAccountId | agency: true, scopes?, expiresInMs?}``."""
    body = ctx.body
    agency = body.bool("agency") or False
    sub = body.str("subAccountId")
    scopes = body.str_list("scopes", choices=SCOPES)
    if scopes is None:
        scopes = list(SCOPES)
    expires_in = body.int("expiresInMs", minimum=0)
    if agency == bool(sub):
        raise validation("give either subAccountId or agency: true")
    agency_id = ctx.store.scalar("SELECT id FROM agencies LIMIT 1")
    if sub and ctx.store.one("SELECT 1 FROM sub_accounts WHERE id = ?", (sub,)) is None:
        raise ApiError(404, "NOT_FOUND", "Sub-account not found")
    token = ("sk_agency_test_" if agency else "sk_test_") + secrets.token_urlsafe(24).replace(
        "-", "x"
    ).replace("_", "y")
    key_id = f"key_{secrets.token_hex(6)}"
    expires = None if expires_in is None else ctx.now() + expires_in
    ctx.store.run(
        "INSERT INTO api_keys (id, token, label, kind, agency_id, sub_account_id, scopes, status, expires_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)",
        (
            key_id,
            token,
            f"minted:{key_id}",
            "agency" if agency else "sub_account",
            agency_id,
            sub,
            json.dumps(scopes),
            expires,
        ),
    )
    return Reply({"id": key_id, "key": token, "scopes": scopes}, status=201)


def revoke_key(ctx: Ctx) -> Reply:
    """Revoke a key by its token: ``{key}`` (takes effect on the next request)."""
    token = ctx.body.str("key", required=True)
    changed = ctx.store.run("UPDATE api_keys SET status = 'revoked' WHERE token = ?", (token,))
    if not changed:
        raise ApiError(404, "NOT_FOUND", "Key not found")
    return Reply({"revoked": True})


def list_events(ctx: Ctx) -> Reply:
    """Recorded events, oldest first: ``?subAccountId=&name=&after=SEQ&limit=``."""
    where, params = ctx.query.equals((("subAccountId", "sub_account_id"), ("name", "name")))
    after = ctx.query.int("after", default=0, minimum=0)
    where.append("seq > ?")
    params.append(after)
    limit = ctx.query.int("limit", default=500, minimum=1, maximum=5000)
    rows = ctx.store.all(
        f"SELECT seq, id, body FROM events WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?",
        [*params, limit],
    )
    return Reply([{"seq": r["seq"], "id": r["id"], **loads(r["body"])} for r in rows])


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    router.add("GET", "/_sandbox/health", health, auth="control")
    router.add("GET", "/_sandbox/faults", get_faults, auth="control")
    router.add(
        "PUT",
        "/_sandbox/faults",
        put_faults,
        auth="control",
        body=(
            Param.number("rate", minimum=0, maximum=1),
            Param.object("kinds"),
            Param.number("timeoutSeconds", minimum=0, maximum=300),
            Param.number("slowSeconds", minimum=0, maximum=300),
        ),
    )
    router.add(
        "POST",
        "/_sandbox/faults/targeted",
        add_targeted_fault,
        auth="control",
        body=(
            Param.text("method", required=True, max_len=10),
            Param.text("path", required=True, max_len=500),
            Param.text("kind", required=True, max_len=40),
            Param.integer("times", minimum=1, maximum=1000),
        ),
    )
    router.add("DELETE", "/_sandbox/faults/targeted", clear_targeted_faults, auth="control")
    router.add("GET", "/_sandbox/stats", stats, auth="control")
    router.add("POST", "/_sandbox/rate-limits/reset", reset_rate_limits, auth="control")
    router.add(
        "POST",
        "/_sandbox/clock/advance",
        advance_clock,
        auth="control",
        body=(Param.integer("ms", required=True, minimum=0, maximum=MAX_ADVANCE_MS),),
    )
    router.add(
        "POST",
        "/_sandbox/keys",
        create_key,
        auth="control",
        body=(
            Param.flag("agency"),
            Param.text("subAccountId"),
            Param.texts("scopes", choices=SCOPES),
            Param.integer("expiresInMs", minimum=0),
        ),
    )
    router.add(
        "POST",
        "/_sandbox/keys/revoke",
        revoke_key,
        auth="control",
        body=(Param.text("key", required=True),),
    )
    router.add(
        "GET",
        "/_sandbox/events",
        list_events,
        auth="control",
        query=(
            Param.text("subAccountId", max_len=200),
            Param.text("name", max_len=200),
            Param.integer("after", minimum=0),
            Param.integer("limit", minimum=1, maximum=5000),
        ),
    )
