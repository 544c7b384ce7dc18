"""The ``contact-researched`` / ``company-researched`` webhooks: subscriptions and delivery.

Subscriptions are set per organisation through ``/_sandbox/seamless/webhooks``
(in the real service: the Seamless web app). When a research ends ``done``, one
delivery per subscription to its type is queued in the same transaction; a
background dispatcher POSTs the full record as the JSON body with the header
``x-seamless-webhook-secret: <secret>`` (plus ``x-seamless-webhook-type`` and
``x-seamless-delivery-id``, the same on every attempt). Any answer but a 2xx
is a failure: retried after 2 s, 10 s and 30 s of sandbox time (four attempts),
then the delivery is ``failed``. Targets follow the CRM webhooks' SSRF rules
(``crm/ssrf.py``): public https only, or ``http://127.0.0.1`` with
``--allow-loopback-webhooks``; each attempt connects to the address it vetted.
Duplicates, ``missing`` and ``error`` outcomes send nothing (no record was made).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any

import httpx

from app.sandbox import clock
from app.sandbox.crm import ssrf
from app.sandbox.crm.webhooks import DeliveryRefused, build_client, post_pinned
from app.sandbox.http import ApiError, Ctx, Param, Reply, not_found, validation
from app.sandbox.registry import Registry
from app.sandbox.seamless import accounts
from app.sandbox.state import SandboxState
from app.sandbox.store import Store, dumps, loads, new_id

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sl_webhooks (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
    types TEXT NOT NULL, active INTEGER NOT NULL, created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sl_webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    webhook_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts TEXT NOT NULL,
    next_attempt_ms INTEGER,
    in_flight INTEGER NOT NULL DEFAULT 0,
    final_error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sl_webhook_deliveries_due
    ON sl_webhook_deliveries (status, in_flight, next_attempt_ms);
"""

TYPES = ("contact-researched", "company-researched")
SECRET_HEADER = "x-seamless-webhook-secret"
RETRY_DELAYS_MS = (2_000, 10_000, 30_000)
MAX_ATTEMPTS = len(RETRY_DELAYS_MS) + 1
ATTEMPT_DEADLINE_S = 15.0
POLL_INTERVAL_S = 0.2
MAX_PARALLEL = 8
USER_AGENT = "Seamless.AI-Webhooks/1.0 (Seedly Desk sandbox)"
WAKERS = "seamless.webhooks"


def queue(store: Store, kind: str, org_id: str, record: dict[str, Any]) -> None:
    """Research listener: one delivery per active subscription of the organisation."""
    event = f"{kind}-researched"
    hooks = store.all(
        "SELECT id FROM sl_webhooks WHERE org_id = ? AND active = 1 "
        "AND EXISTS (SELECT 1 FROM json_each(sl_webhooks.types) WHERE value = ?)",
        (org_id, event),
    )
    if not hooks:
        return
    now = store.clock.now_ms()
    body = dumps(record)
    store.many(
        "INSERT INTO sl_webhook_deliveries (id, webhook_id, org_id, type, body, status, attempts, "
        "next_attempt_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, 'pending', '[]', ?, ?, ?)",
        [(new_id("slwd"), h["id"], org_id, event, body, now, now, now) for h in hooks],
    )
    store.hooks.wake(WAKERS)


def record_attempt(store: Store, delivery_id: str, attempt: dict[str, Any], ok: bool) -> str:
    """Store an attempt; the delivery's new status (``pending`` means a retry is due)."""
    row = store.one("SELECT attempts FROM sl_webhook_deliveries WHERE id = ?", (delivery_id,))
    attempts = [*(loads(row["attempts"]) if row else []), attempt]
    now = store.clock.now_ms()
    next_ms = None
    final = None
    if ok:
        status = "succeeded"
    elif len(attempts) >= MAX_ATTEMPTS:
        status, final = "failed", f"gave up after {len(attempts)} attempts"
    else:
        status, next_ms = "pending", now + RETRY_DELAYS_MS[len(attempts) - 1]
    store.run(
        "UPDATE sl_webhook_deliveries SET attempts = ?, status = ?, next_attempt_ms = ?, "
        "in_flight = 0, final_error = ?, updated_ms = ? WHERE id = ?",
        (dumps(attempts), status, next_ms, final, now, delivery_id),
    )
    return status


class Dispatcher:
    """Posts due deliveries for one server, a bounded number at a time."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = state.store
        self.wake = asyncio.Event()
        self.running: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Deliver until cancelled (the server's lifetime)."""
        self.store.hooks.waiting(WAKERS).add(self.wake)
        client = build_client()
        try:
            with self.store.transaction():
                self.store.run("UPDATE sl_webhook_deliveries SET in_flight = 0 WHERE in_flight = 1")
            while True:
                self.wake.clear()
                try:
                    self.start_due(client)
                except Exception:
                    log.exception("Seamless webhook dispatcher pass failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), POLL_INTERVAL_S)
        finally:
            self.store.hooks.waiting(WAKERS).discard(self.wake)
            for task in self.running:
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)
            await client.aclose()

    def start_due(self, client: httpx.AsyncClient) -> None:
        """Start an attempt for each due delivery, as many as free slots allow."""
        free = MAX_PARALLEL - len(self.running)
        if free <= 0:
            return
        with self.store.transaction():
            rows = self.store.all(
                "SELECT id FROM sl_webhook_deliveries WHERE status = 'pending' AND in_flight = 0 "
                "AND next_attempt_ms <= ? ORDER BY next_attempt_ms, seq LIMIT ?",
                (self.store.clock.now_ms(), free),
            )
            for row in rows:
                self.store.run(
                    "UPDATE sl_webhook_deliveries SET in_flight = 1 WHERE id = ?", (row["id"],)
                )
        for row in rows:
            task = asyncio.create_task(self.attempt(client, row["id"]))
            self.running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        self.wake.set()

    async def attempt(self, client: httpx.AsyncClient, delivery_id: str) -> None:
        """One attempt of one delivery, recorded in the log."""
        row = self.store.one(
            "SELECT d.type, d.body, w.url, w.secret, w.active FROM sl_webhook_deliveries d "
            "LEFT JOIN sl_webhooks w ON w.id = d.webhook_id WHERE d.id = ?",
            (delivery_id,),
        )
        if row is None:
            return
        if row["url"] is None or not row["active"]:
            with self.store.transaction():
                self.store.run(
                    "UPDATE sl_webhook_deliveries SET status = 'failed', in_flight = 0, "
                    "next_attempt_ms = NULL, final_error = 'subscription removed' WHERE id = ?",
                    (delivery_id,),
                )
            return
        body = row["body"].encode()
        headers = {
            "Content-Type": "application/json",
            SECRET_HEADER: row["secret"],
            "x-seamless-webhook-type": row["type"],
            "x-seamless-delivery-id": delivery_id,
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "identity",
        }
        at, started = self.store.clock.now_ms(), time.monotonic()
        status_code: int | None = None
        error: str | None = None
        try:
            status_code, _ = await asyncio.wait_for(
                post_pinned(
                    client, row["url"], body, headers, self.state.config.allow_loopback_webhooks
                ),
                ATTEMPT_DEADLINE_S,
            )
        except DeliveryRefused as exc:
            error = str(exc)
        except (httpx.TimeoutException, TimeoutError):
            error = "timed out"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:
            log.exception("Seamless webhook delivery %s failed unexpectedly", delivery_id)
            error = f"{type(exc).__name__}: {exc}"
        ok = status_code is not None and 200 <= status_code < 300
        if status_code is not None and not ok:
            error = f"HTTP {status_code}: a 2xx answer is required"
        attempt = {
            "at": clock.iso(at),
            "statusCode": status_code,
            "error": error,
            "durationMs": int((time.monotonic() - started) * 1000),
        }
        with self.store.transaction():
            status = record_attempt(self.store, delivery_id, attempt, ok)
        self.state.stats["seamless.webhooks.attempts"] += 1
        if status != "pending":
            self.state.stats[f"seamless.webhooks.{status}"] += 1


async def deliver_seamless_webhooks(state: SandboxState) -> None:
    """Background task: the Seamless webhook dispatcher."""
    await Dispatcher(state).run()


# -- /_sandbox/seamless/webhooks -------------------------------------------------------------


def render(row: Any) -> dict[str, Any]:
    """A subscription as the control endpoint shows it (secret included)."""
    return {
        "id": row["id"],
        "orgId": row["org_id"],
        "url": row["url"],
        "secret": row["secret"],
        "types": loads(row["types"]),
        "active": bool(row["active"]),
        "createdAt": clock.iso(row["created_ms"]),
    }


def list_webhooks(ctx: Ctx) -> Reply:
    """Every Seamless webhook subscription (with its secret: this is the control plane)."""
    rows = ctx.store.all("SELECT * FROM sl_webhooks ORDER BY created_ms, id")
    return Reply([render(r) for r in rows])


async def create_webhook(ctx: Ctx) -> Reply:
    """Subscribe ``{url, secret?, types?, orgId?}``; types default to both, the secret to a
    fresh one, the organisation to the demo one."""
    body = ctx.body
    url = body.str("url", required=True, max_len=ssrf.MAX_URL_LENGTH)
    secret = body.str("secret", max_len=200) or "slwh_" + secrets.token_urlsafe(24)
    types = body.str_list("types", max_items=2, choices=TYPES) or list(TYPES)
    org_id = body.str("orgId", max_len=100) or accounts.DEMO_ORG[0]
    assert url is not None
    try:
        target = await ssrf.check_url(url, allow_loopback=ctx.state.config.allow_loopback_webhooks)
    except ssrf.UnsafeTarget as exc:
        raise validation(str(exc), "url") from None
    with ctx.store.transaction():
        if ctx.store.one("SELECT 1 FROM sl_orgs WHERE id = ?", (org_id,)) is None:
            raise ApiError(404, "NOT_FOUND", f"Seamless organisation {org_id} not found")
        hook_id = new_id("slwh")
        ctx.store.run(
            "INSERT INTO sl_webhooks (id, org_id, url, secret, types, active, created_ms) "
            "VALUES (?, ?, ?, ?, ?, 1, ?)",
            (hook_id, org_id, target.url, secret, dumps(types), ctx.now()),
        )
        row = ctx.store.one("SELECT * FROM sl_webhooks WHERE id = ?", (hook_id,))
    return Reply(render(row), status=201)


def delete_webhook(ctx: Ctx) -> Reply:
    """Remove a subscription; its pending deliveries end ``failed``."""
    changed = ctx.store.run("DELETE FROM sl_webhooks WHERE id = ?", (ctx.path["id"],))
    if not changed:
        raise not_found("Seamless webhook")
    ctx.store.run(
        "UPDATE sl_webhook_deliveries SET status = 'failed', next_attempt_ms = NULL, "
        "final_error = 'subscription removed' WHERE webhook_id = ? AND status = 'pending'",
        (ctx.path["id"],),
    )
    return Reply({"id": ctx.path["id"], "deleted": True})


def list_deliveries(ctx: Ctx) -> Reply:
    """The delivery log, newest first: ``?webhookId=&type=&status=&limit=``."""
    where, params = ctx.query.equals(
        (("webhookId", "webhook_id"), ("type", "type"), ("status", "status"))
    )
    limit = ctx.query.int("limit", default=200, minimum=1, maximum=2000)
    rows = ctx.store.all(
        f"SELECT * FROM sl_webhook_deliveries WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
        [*params, limit],
    )
    return Reply(
        [
            {
                "id": r["id"],
                "webhookId": r["webhook_id"],
                "orgId": r["org_id"],
                "type": r["type"],
                "status": r["status"],
                "attempts": loads(r["attempts"]),
                "nextAttemptAt": clock.iso(r["next_attempt_ms"]) if r["next_attempt_ms"] else None,
                "finalError": r["final_error"],
                "createdAt": clock.iso(r["created_ms"]),
                "body": loads(r["body"]),
            }
            for r in rows
        ]
    )


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    registry.hooks.researched.append(queue)
    registry.background.append(deliver_seamless_webhooks)
    router.add("GET", "/_sandbox/seamless/webhooks", list_webhooks, auth="control")
    router.add(
        "POST",
        "/_sandbox/seamless/webhooks",
        create_webhook,
        auth="control",
        body=(
            Param.text("url", required=True, max_len=ssrf.MAX_URL_LENGTH),
            Param.text("secret", max_len=200),
            Param.texts("types", max_items=2, choices=TYPES),
            Param.text("orgId", max_len=100),
        ),
    )
    router.add("DELETE", "/_sandbox/seamless/webhooks/{id}", delete_webhook, auth="control")
    router.add(
        "GET",
        "/_sandbox/seamless/webhook-deliveries",
        list_deliveries,
        auth="control",
        query=(
            Param.text("webhookId", max_len=200),
            Param.text("type", max_len=200),
            Param.text("status", max_len=200),
            Param.integer("limit", minimum=1, maximum=2000),
        ),
    )
