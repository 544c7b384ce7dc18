"""``/_sandbox/seamless/...``: control endpoints of the Seamless half, for tools and tests.

* ``GET  /_sandbox/seamless`` — organisations, users (balances, licenses, keys),
  the OAuth client, the rate limit and the research timings.
* ``GET  /_sandbox/seamless/credits?key=|userId=`` and ``PUT`` with
  ``{key | userId, credits}`` — read or set a balance.
* ``GET  /_sandbox/seamless/ledger?key=|userId=&limit=`` — every credit movement.
* ``POST /_sandbox/seamless/users`` ``{credits?, licensed?, orgId? | newOrg: true, name?}``
  — a new user with a key (``newOrg`` puts it in an organisation of its own).
* ``POST /_sandbox/seamless/keys/revoke`` ``{key}``.
* ``PUT  /_sandbox/seamless/rate-limit`` ``{limit}``; ``POST .../rate-limits/reset``.
* ``PUT  /_sandbox/seamless/research-pace`` ``{factor}`` — research takes ``factor`` times
  its usual 2–4.5 s (a test sees records arrive poll after poll, however slow the machine).
* ``GET  /_sandbox/seamless/outcomes?type=contacts|companies&status=done|missing|error
  &limit=&offset=`` — records by how their research ends, with identities that
  ``contacts[]`` / ``companies[]`` resolve to them.
* ``GET|POST /_sandbox/seamless/oauth/authorize`` — stand-in for the consent screen.
* ``POST /_sandbox/seamless/oauth/revoke`` ``{userId? | refreshToken?}`` — withdraw sign-ins
  (as a user removing the app's access in the web app): every access and refresh token of
  the user (the demo user by default), or the pair of one refresh token, stops working.
* ``/_sandbox/seamless/webhooks`` and ``/webhook-deliveries`` (``webhooks.py``).
"""

from __future__ import annotations

import secrets

from app.sandbox.http import ApiError, Ctx, Param, Reply, validation
from app.sandbox.registry import Registry
from app.sandbox.seamless import accounts, oauth, research, search
from app.sandbox.seamless import records
from app.sandbox.seamless.records import profile_url, recruiter_url, sales_nav_url, work_email

MAX_CREDITS = 10**9


def _user_id(ctx: Ctx, key: str | None, user_id: str | None) -> str:
    if key:
        found = ctx.store.scalar("SELECT user_id FROM sl_keys WHERE token = ?", (key,))
        if found is None:
            raise ApiError(404, "NOT_FOUND", "No Seamless key like that")
        return str(found)
    if user_id:
        if ctx.store.one("SELECT 1 FROM sl_users WHERE id = ?", (user_id,)) is None:
            raise ApiError(404, "NOT_FOUND", f"Seamless user {user_id} not found")
        return user_id
    raise validation("give key or userId")


def overview(ctx: Ctx) -> Reply:
    """Everything a tool needs to know about the Seamless half of this server."""
    users = []
    for row in ctx.store.all("SELECT * FROM sl_users ORDER BY org_id, id"):
        keys = ctx.store.all(
            "SELECT token, label, status FROM sl_keys WHERE user_id = ? ORDER BY created_ms",
            (row["id"],),
        )
        users.append(
            {
                "id": row["id"],
                "orgId": row["org_id"],
                "name": row["name"],
                "email": row["email"],
                "credits": row["credits"],
                "licensed": bool(row["licensed"]),
                "keys": [
                    {"key": k["token"], "label": k["label"], "status": k["status"]} for k in keys
                ],
            }
        )
    orgs = [
        {"id": r["id"], "name": r["name"]}
        for r in ctx.store.all("SELECT * FROM sl_orgs ORDER BY id")
    ]
    return Reply(
        {
            "orgs": orgs,
            "users": users,
            "oauthClient": oauth.ready_info(ctx.state.base_url),
            "rateLimit": ctx.state.config.seamless_rate_limit,
            "anchor": accounts.anchor_ms(ctx.store),
            "research": {
                "contactStatuses": [
                    "queued",
                    "researching",
                    "done",
                    "missing",
                    "not found",
                    "error",
                ],
                "companyStatuses": ["researching", "done", "missing", "error"],
                "finishedWithinMs": 4500,
            },
        }
    )


def get_credits(ctx: Ctx) -> Reply:
    """A user's balance: ``?key=`` or ``?userId=``."""
    user_id = _user_id(ctx, ctx.query.str("key"), ctx.query.str("userId"))
    return Reply({"userId": user_id, "credits": accounts.balance(ctx.store, user_id)})


def put_credits(ctx: Ctx) -> Reply:
    """Set a user's balance: ``{key | userId, credits}``."""
    body = ctx.body
    user_id = _user_id(ctx, body.str("key"), body.str("userId"))
    credits = body.int("credits", required=True, minimum=0, maximum=MAX_CREDITS)
    assert credits is not None
    accounts.set_balance(ctx.store, user_id, credits)
    return Reply({"userId": user_id, "credits": credits})


def ledger(ctx: Ctx) -> Reply:
    """A user's credit movements, newest first."""
    user_id = _user_id(ctx, ctx.query.str("key"), ctx.query.str("userId"))
    limit = ctx.query.int("limit", default=200, minimum=1, maximum=5000)
    rows = ctx.store.all(
        "SELECT * FROM sl_ledger WHERE user_id = ? ORDER BY seq DESC LIMIT ?", (user_id, limit)
    )
    return Reply(
        [
            {
                "delta": r["delta"],
                "balance": r["balance"],
                "reason": r["reason"],
                "ref": r["ref"],
                "atMs": r["at_ms"],
            }
            for r in rows
        ]
    )


def create_user(ctx: Ctx) -> Reply:
    """A new user with one key: ``{credits?, licensed?, orgId? | newOrg?, name?}``."""
    body = ctx.body
    credits = body.int("credits", minimum=0, maximum=MAX_CREDITS)
    licensed = body.bool("licensed")
    org_id = body.str("orgId", max_len=100)
    if body.bool("newOrg"):
        if org_id:
            raise validation("give orgId or newOrg, not both")
        org_id = f"sl_org_{secrets.token_hex(4)}"
        ctx.store.run(
            "INSERT INTO sl_orgs (id, name) VALUES (?, ?)",
            (org_id, f"Test organisation {org_id[-8:]}"),
        )
    org_id = org_id or accounts.DEMO_ORG[0]
    if ctx.store.one("SELECT 1 FROM sl_orgs WHERE id = ?", (org_id,)) is None:
        raise ApiError(404, "NOT_FOUND", f"Seamless organisation {org_id} not found")
    name = body.str("name", max_len=100) or "Test User"
    user_id, key = accounts.create_user(
        ctx.store,
        org_id=org_id,
        name=name,
        email=f"{secrets.token_hex(3)}@test.example",
        credits=1000 if credits is None else credits,
        licensed=True if licensed is None else licensed,
        label="minted",
    )
    return Reply({"userId": user_id, "orgId": org_id, "key": key}, status=201)


def revoke_key(ctx: Ctx) -> Reply:
    """Revoke a Seamless key: ``{key}`` (the next request with it gets 401)."""
    key = ctx.body.str("key", required=True)
    if not ctx.store.run("UPDATE sl_keys SET status = 'revoked' WHERE token = ?", (key,)):
        raise ApiError(404, "NOT_FOUND", "No Seamless key like that")
    return Reply({"revoked": True})


def put_rate_limit(ctx: Ctx) -> Reply:
    """Change the per-organisation, per-endpoint limit (requests per minute) at run time."""
    limit = ctx.body.int("limit", required=True, minimum=1, maximum=10**9)
    assert limit is not None
    ctx.state.config.seamless_rate_limit = limit
    return Reply({"limit": limit})


def put_research_pace(ctx: Ctx) -> Reply:
    """Make research take ``factor`` times as long from now on (1: the usual 2–4.5 s)."""
    factor = ctx.body.raw("factor")
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0.1 <= factor <= 100:
        raise validation("factor must be a number between 0.1 and 100")
    ctx.state.config.research_pace = float(factor)
    return Reply({"factor": float(factor)})


def reset_rate_limits(ctx: Ctx) -> Reply:
    """Forget every Seamless rate window."""
    ctx.state.seamless_limiter.reset()
    return Reply({"reset": True})


def outcomes(ctx: Ctx) -> Reply:
    """Records whose research ends ``status``, in database order, with their identities."""
    kind = ctx.query.str("type", choices=("contacts", "companies")) or "contacts"
    status = ctx.query.str("status", choices=("done", "missing", "error")) or "done"
    limit = ctx.query.int("limit", default=20, minimum=1, maximum=1000)
    offset = ctx.query.int("offset", default=0, minimum=0)
    assert limit is not None and offset is not None
    ds = search.dataset(ctx.store)
    out = []
    skipped = 0
    if kind == "contacts":
        index = records.identity_index(ds)
        for person in ds.people:
            if research.outcome_of("contact", person.id) != status:
                continue
            if skipped < offset:
                skipped += 1
                continue
            email = work_email(person)
            out.append(
                {
                    "searchResultId": person.id,
                    "status": status,
                    "identity": {
                        "contactName": f"{person.first} {person.last}",
                        "companyName": person.company.name,
                        "domain": person.company.domain,
                        # Colleagues can share an address pattern's result; only a unique one is listed.
                        "email": email if index.email.get(email) is person else None,
                        "liProfileUrl": profile_url(person),
                        "liSalesNavUrl": sales_nav_url(person),
                        "liRecruiterUrl": recruiter_url(person),
                    },
                    "pastCompanies": [name for name, _, _, _ in person.past],
                }
            )
            if len(out) >= limit:
                break
    else:
        if status == "missing":
            raise validation(
                "companies end 'missing' only when no company matches: use any unknown domain"
            )
        for company in ds.companies:
            if research.outcome_of("company", company.id) != status:
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(
                {
                    "searchResultId": company.id,
                    "status": status,
                    "identity": {"domain": company.domain, "companyName": company.name},
                }
            )
            if len(out) >= limit:
                break
    return Reply(out)


def _authorize(
    ctx: Ctx, client_id: str | None, redirect_uri: str | None, user: str | None, key: str | None
) -> tuple[str, str]:
    client_id = client_id or oauth.DEMO_CLIENT["client_id"]
    redirect_uri = redirect_uri or oauth.DEMO_CLIENT["redirect_uri"]
    user_id = _user_id(ctx, key, user) if (user or key) else oauth.DEMO_USER
    return oauth.issue_code(ctx.store, client_id, redirect_uri, user_id), redirect_uri


def authorize_json(ctx: Ctx) -> Reply:
    """An authorization code as JSON: ``{clientId?, redirectUri?, userId? | key?, state?}``."""
    body = ctx.body
    try:
        code, redirect_uri = _authorize(
            ctx, body.str("clientId"), body.str("redirectUri"), body.str("userId"), body.str("key")
        )
    except ApiError as exc:
        raise validation(exc.message) from None
    state = body.str("state")
    return Reply(
        {
            "code": code,
            "redirectUri": redirect_uri,
            "redirectUrl": oauth.authorize_redirect(redirect_uri, code, state),
            "expiresInSeconds": oauth.CODE_TTL_MS // 1000,
        },
        status=201,
    )


def authorize_redirect(ctx: Ctx) -> Reply:
    """The consent screen, approved at once: 302 to ``redirect_uri?code=&state=``."""
    q = ctx.query
    try:
        code, redirect_uri = _authorize(
            ctx, q.str("client_id"), q.str("redirect_uri", max_len=2000), q.str("user_id"), None
        )
    except ApiError as exc:
        raise validation(exc.message) from None
    location = oauth.authorize_redirect(redirect_uri, code, q.str("state"))
    return Reply({"redirect": location}, status=302, headers={"Location": location})


def revoke_oauth(ctx: Ctx) -> Reply:
    """Revoke the OAuth tokens of a user (or of one refresh token): ``{userId?, refreshToken?}``."""
    body = ctx.body
    refresh = body.str("refreshToken", max_len=500)
    if refresh:
        count = ctx.store.run(
            "UPDATE sl_oauth_tokens SET revoked = 1 WHERE refresh_token = ?", (refresh,)
        )
    else:
        user_id = body.str("userId", max_len=100) or oauth.DEMO_USER
        count = ctx.store.run(
            "UPDATE sl_oauth_tokens SET revoked = 1 WHERE user_id = ?", (user_id,)
        )
    return Reply({"revoked": count})


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    router.add("GET", "/_sandbox/seamless", overview, auth="control")
    who = (Param.text("key"), Param.text("userId"))  # a user, by one of their keys or by id
    router.add("GET", "/_sandbox/seamless/credits", get_credits, auth="control", query=who)
    router.add(
        "PUT",
        "/_sandbox/seamless/credits",
        put_credits,
        auth="control",
        body=(Param.integer("credits", required=True, minimum=0, maximum=MAX_CREDITS), *who),
    )
    router.add(
        "GET",
        "/_sandbox/seamless/ledger",
        ledger,
        auth="control",
        query=(*who, Param.integer("limit", minimum=1, maximum=5000)),
    )
    router.add(
        "POST",
        "/_sandbox/seamless/users",
        create_user,
        auth="control",
        body=(
            Param.integer("credits", minimum=0, maximum=MAX_CREDITS),
            Param.flag("licensed"),
            Param.text("orgId", max_len=100),
            Param.flag("newOrg"),
            Param.text("name", max_len=100),
        ),
    )
    router.add(
        "POST",
        "/_sandbox/seamless/keys/revoke",
        revoke_key,
        auth="control",
        body=(Param.text("key", required=True),),
    )
    router.add(
        "PUT",
        "/_sandbox/seamless/rate-limit",
        put_rate_limit,
        auth="control",
        body=(Param.integer("limit", required=True, minimum=1, maximum=10**9),),
    )
    router.add("POST", "/_sandbox/seamless/rate-limits/reset", reset_rate_limits, auth="control")
    router.add(
        "PUT",
        "/_sandbox/seamless/research-pace",
        put_research_pace,
        auth="control",
        body=(Param.number("factor", required=True, minimum=0.1, maximum=100),),
    )
    router.add(
        "GET",
        "/_sandbox/seamless/outcomes",
        outcomes,
        auth="control",
        query=(
            Param.text("type", choices=("contacts", "companies")),
            Param.text("status", choices=("done", "missing", "error")),
            Param.integer("limit", minimum=1, maximum=1000),
            Param.integer("offset", minimum=0),
        ),
    )
    router.add(
        "POST",
        "/_sandbox/seamless/oauth/authorize",
        authorize_json,
        auth="control",
        body=(
            Param.text("clientId"),
            Param.text("redirectUri"),
            Param.text("state"),
            *who,
        ),
    )
    router.add(
        "GET",
        "/_sandbox/seamless/oauth/authorize",
        authorize_redirect,
        auth="control",
        query=(
            Param.text("client_id"),
            Param.text("redirect_uri", max_len=2000),
            Param.text("state"),
            Param.text("user_id"),
        ),
    )
    router.add(
        "POST",
        "/_sandbox/seamless/oauth/revoke",
        revoke_oauth,
        auth="control",
        body=(Param.text("refreshToken", max_len=500), Param.text("userId", max_len=100)),
    )
