"""Organisations, users, persistent keys, credits and the credit ledger.

Credits belong to the user who owns the key (docs/api/seamless.md, credits:
"Credit usage is tied to the owner of the API key"); rate limits and researched
records belong to the organisation. The demo organisation has three users: one
with plenty of credits, one with 5, and one without an API license.
"""

from __future__ import annotations

import secrets
from typing import Any

from app.sandbox.registry import Registry
from app.sandbox.seamless import errors, oauth
from app.sandbox.seamless.caller import KEY_PREFIX, Caller
from app.sandbox.seed import SeedContext
from app.sandbox.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS sl_orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sl_users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    credits INTEGER NOT NULL CHECK (credits >= 0),
    licensed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sl_keys (
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sl_keys_by_label ON sl_keys (label);
CREATE TABLE IF NOT EXISTS sl_ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    delta INTEGER NOT NULL,
    balance INTEGER NOT NULL,
    reason TEXT NOT NULL,
    ref TEXT,
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sl_ledger_by_user ON sl_ledger (user_id, seq);
"""

DEMO_ORG = ("sl_org_northwind", "Northwind Growth Agency")
# (id, name, email, credits, licensed, key label)
DEMO_USERS = (
    ("sl_usr_ana", "Ana Ortiz", "ana@northwind.example", 100_000, True, "main"),
    ("sl_usr_ben", "Ben Carter", "ben@northwind.example", 5, True, "low_credit"),
    ("sl_usr_cora", "Cora Lin", "cora@northwind.example", 1_000, False, "unlicensed"),
)
ANCHOR_META = "seamless_anchor_ms"


def new_key() -> str:
    """A fresh persistent key."""
    return KEY_PREFIX + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


def create_user(
    store: Store,
    *,
    org_id: str,
    name: str,
    email: str,
    credits: int,
    licensed: bool,
    label: str,
    user_id: str | None = None,
) -> tuple[str, str]:
    """Add a user with one persistent key; returns (user id, key)."""
    user_id = user_id or f"sl_usr_{secrets.token_hex(5)}"
    store.run(
        "INSERT INTO sl_users (id, org_id, name, email, credits, licensed) VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, org_id, name, email, credits, 1 if licensed else 0),
    )
    key = new_key()
    store.run(
        "INSERT INTO sl_keys (token, user_id, label, status, created_ms) VALUES (?, ?, ?, 'active', ?)",
        (key, user_id, label, store.clock.now_ms()),
    )
    record(store, user_id, credits, "initial balance")
    return user_id, key


def seed_accounts(store: Store, now_ms: int) -> None:
    """The demo organisation and its users (idempotent: stores from before the Seamless
    half existed get them on their next start)."""
    if store.meta(ANCHOR_META) is not None:
        return
    with store.transaction():
        store.run("INSERT OR IGNORE INTO sl_orgs (id, name) VALUES (?, ?)", DEMO_ORG)
        for user_id, name, email, credits, licensed, label in DEMO_USERS:
            create_user(
                store,
                org_id=DEMO_ORG[0],
                name=name,
                email=email,
                credits=credits,
                licensed=licensed,
                label=label,
                user_id=user_id,
            )
        oauth.seed_client(store)
        store.set_meta(ANCHOR_META, str(now_ms))


def _seed(store: Store, ctx: SeedContext) -> None:
    # Both seeds get the accounts: "empty" means no CRM data, not a Seamless without users.
    seed_accounts(store, ctx.now_ms)


def anchor_ms(store: Store) -> int:
    """The moment the demo database is laid out from (fixed when the store was seeded)."""
    value = store.meta(ANCHOR_META)
    if value is None:
        seed_accounts(store, store.clock.now_ms())
        value = store.meta(ANCHOR_META)
    return int(value or 0)


def key_for(store: Store, label: str) -> str:
    """The token of the first key with ``label`` (the ready line's keys)."""
    token = store.scalar(
        "SELECT token FROM sl_keys WHERE label = ? ORDER BY created_ms LIMIT 1", (label,)
    )
    if token is None:
        raise KeyError(label)
    return str(token)


def _ready(store: Store, base_url: str) -> dict[str, Any]:
    seed_accounts(store, store.clock.now_ms())
    return {
        "seamless_url": f"{base_url}/api/client/v1",
        "seamless_key": key_for(store, "main"),
        "seamless_low_credit_key": key_for(store, "low_credit"),
        "seamless_unlicensed_key": key_for(store, "unlicensed"),
        "seamless_oauth": oauth.ready_info(base_url),
    }


# -- authentication ------------------------------------------------------------------------


def caller_for_user(store: Store, user_id: str, via: str) -> Caller:
    """The ``Caller`` for a key's or token's owner; 401 when the user is gone."""
    row = store.one("SELECT id, org_id, licensed FROM sl_users WHERE id = ?", (user_id,))
    if row is None:
        raise errors.unauthorized("The owner of this key or token no longer exists.")
    return Caller(row["id"], row["org_id"], bool(row["licensed"]), via)


def authenticate(store: Store, headers: dict[str, str]) -> Caller:
    """The caller of a request: ``Token: <key>``, else ``Authorization: Bearer <token>``.

    When a ``Token`` header is present it decides alone (a bad one is not rescued
    by a valid Bearer token).
    """
    token = (headers.get("token") or "").strip()
    if token:
        row = store.one("SELECT user_id, status FROM sl_keys WHERE token = ?", (token,))
        if row is None:
            raise errors.unauthorized("Invalid API key. Check the Token header.")
        if row["status"] != "active":
            raise errors.unauthorized(
                "This API key was revoked. Create a new key under Public API Connections."
            )
        return caller_for_user(store, row["user_id"], "key")
    auth = (headers.get("authorization") or "").strip()
    scheme, _, value = auth.partition(" ")
    if auth and scheme.lower() == "bearer" and value.strip():
        return caller_for_user(store, oauth.user_for_access_token(store, value.strip()), "oauth")
    if auth and scheme.lower() == "token" and value.strip():
        raise errors.unauthorized(
            "API keys go in their own header: 'Token: <key>' (not Authorization)."
        )
    raise errors.unauthorized(
        "Missing credentials: send 'Token: <API key>' or 'Authorization: Bearer <access token>'."
    )


# -- credits -------------------------------------------------------------------------------


def search_cost(results: int) -> int:
    """Credits for a search page: 1 per 10 returned results, rounded up (0 → 0, 11 → 2)."""
    return (max(0, results) + 9) // 10


def balance(store: Store, user_id: str) -> int:
    """A user's remaining credits."""
    return int(store.scalar("SELECT credits FROM sl_users WHERE id = ?", (user_id,)) or 0)


def record(store: Store, user_id: str, delta: int, reason: str, ref: str | None = None) -> None:
    """Write one credit movement to the ledger (after the balance changed)."""
    store.run(
        "INSERT INTO sl_ledger (user_id, delta, balance, reason, ref, at_ms) "
        "VALUES (?, ?, (SELECT credits FROM sl_users WHERE id = ?), ?, ?, ?)",
        (user_id, delta, user_id, reason, ref, store.clock.now_ms()),
    )


def charge(store: Store, user_id: str, amount: int, reason: str, ref: str | None = None) -> None:
    """Take ``amount`` credits or refuse with 422 ``insufficientCredits`` (taking nothing).

    Runs inside the request's transaction: whatever else the request does is
    undone with it when something later fails.
    """
    if amount <= 0:
        return
    have = balance(store, user_id)
    if have < amount:
        raise errors.insufficient_credits(amount, have)
    store.run("UPDATE sl_users SET credits = credits - ? WHERE id = ?", (amount, user_id))
    record(store, user_id, -amount, reason, ref)


def refund(store: Store, user_id: str, amount: int, reason: str, ref: str | None = None) -> None:
    """Give back ``amount`` credits (a research that ended in ``error``)."""
    if amount <= 0:
        return
    store.run("UPDATE sl_users SET credits = credits + ? WHERE id = ?", (amount, user_id))
    record(store, user_id, amount, reason, ref)


def set_balance(store: Store, user_id: str, credits: int) -> None:
    """Set a balance outright (control endpoint, for tests)."""
    delta = credits - balance(store, user_id)
    store.run("UPDATE sl_users SET credits = ? WHERE id = ?", (credits, user_id))
    record(store, user_id, delta, "set by /_sandbox/seamless/credits")


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    registry.schema(SCHEMA)
    registry.seeder(60, _seed)
    registry.ready_extras.append(_ready)
