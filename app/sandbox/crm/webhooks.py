"""Webhooks (docs/api/seedly-crm.md §7): subscriptions, signed deliveries with retries, and
their log.

Subscriptions live per sub-account. Every recorded event (``events.emit``)
queues one delivery per active subscription to that event, in the same
transaction as the change that caused it. A background dispatcher posts each
delivery's exact JSON body with the documented headers, signed with the
subscription's *current* secret, and retries failures with growing back-off:
about 2 s, 10 s, 30 s, 2 min and 10 min (±20 % jitter), six attempts in all,
then the delivery is ``failed``. The ``X-Webhook-Delivery`` id is the same on
every attempt of one delivery. Deliveries are rows in SQLite, so pending ones
resume after a restart.

Choices where the API notes are silent:

* ``POST`` answers 201 with the subscription and its ``secret``; ``GET
  /api/v1/webhooks/{id}`` exists as an addition; list/get/patch never show the
  secret. ``lastDeliveryAt``/``lastDeliveryStatus`` are additions.
* At most ``MAX_SUBSCRIPTIONS`` per sub-account.
* A host name that does not resolve when the subscription is saved is accepted
  (it may be registered later); deliveries to it fail and are retried. Every
  delivery resolves the host again and connects only to the vetted address
  (DNS rebinding cannot steer it somewhere private).
* Disabling (``isActive: false``) or deleting a subscription stops its pending
  deliveries: they become ``failed`` with ``finalError`` saying why, and are
  not resumed by re-enabling it. A URL change applies to pending retries.
* ``3xx`` answers count as failures: redirects are never followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import random
import secrets
import time
from typing import Any

import httpx

from app.core.constants import (
    WEBHOOK_DELIVERY_HEADER,
    WEBHOOK_EVENT_HEADER,
    WEBHOOK_EVENTS,
    WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_USER_AGENT,
)
from app.sandbox import clock, events
from app.sandbox.crm import ssrf
from app.sandbox.http import ApiError, Body, Ctx, Param, Reply, not_found, validation
from app.sandbox.registry import Registry
from app.sandbox.state import SandboxState
from app.sandbox.store import Store, dumps, loads, new_id

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT,
    is_active INTEGER NOT NULL,
    secret TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    last_delivery_ms INTEGER,
    last_delivery_status TEXT
);
CREATE INDEX IF NOT EXISTS webhook_subscriptions_by_account
    ON webhook_subscriptions (sub_account_id, created_ms);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    subscription_id TEXT NOT NULL,
    sub_account_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts TEXT NOT NULL,
    next_attempt_ms INTEGER,
    in_flight INTEGER NOT NULL DEFAULT 0,
    final_error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries (status, in_flight, next_attempt_ms);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_subscription
    ON webhook_deliveries (subscription_id, seq);
"""

SCOPE = "webhooks:manage"
MAX_SUBSCRIPTIONS = 50
SECRET_PREFIX = "whsec_"
# Delays before retries 1..5 (so six attempts in all). The first is short so
# tools and tests can watch a retry happen.
RETRY_DELAYS_MS = (2_000, 10_000, 30_000, 120_000, 600_000)
MAX_ATTEMPTS = len(RETRY_DELAYS_MS) + 1
JITTER = 0.2
REQUEST_TIMEOUT_S = 10.0
ATTEMPT_DEADLINE_S = 15.0  # covers DNS, connect and a slow-dripping answer
RESOLVE_TIMEOUT_S = 5.0
MAX_PARALLEL = 16
POLL_INTERVAL_S = 0.25
RESPONSE_SNIPPET_BYTES = 512
WAKERS = "crm.webhooks"


# -- subscriptions -----------------------------------------------------------------------


def new_secret() -> str:
    """A fresh, unguessable signing secret (``whsec_`` + 256 random bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    """The ``X-Webhook-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def render(row: Any) -> dict[str, Any]:
    """The public subscription object (never the secret)."""
    return {
        "id": row["id"],
        "url": row["url"],
        "events": loads(row["events"]),
        "description": row["description"],
        "isActive": bool(row["is_active"]),
        "createdAt": clock.iso(row["created_ms"]),
        "updatedAt": clock.iso(row["updated_ms"]),
        "lastDeliveryAt": clock.iso(row["last_delivery_ms"]) if row["last_delivery_ms"] else None,
        "lastDeliveryStatus": row["last_delivery_status"],
    }


def _load(store: Store, sub_account_id: str, subscription_id: str) -> Any:
    row = store.one(
        "SELECT * FROM webhook_subscriptions WHERE id = ? AND sub_account_id = ?",
        (subscription_id, sub_account_id),
    )
    if row is None:
        raise not_found("Webhook subscription")
    return row


def _event_names(body: Body) -> list[str]:
    names = body.str_list("events", required=True, max_items=len(WEBHOOK_EVENTS), max_len=100)
    assert names is not None
    if not names:
        raise validation("events must list at least one event", "events")
    for name in names:
        if name not in WEBHOOK_EVENTS:
            raise validation(
                f"events contains an unknown event: {name}. "
                f"Known events: {', '.join(WEBHOOK_EVENTS)}",
                "events",
            )
    return names


async def _vetted_url(ctx: Ctx, url: str) -> str:
    try:
        target = await ssrf.check_url(url, allow_loopback=ctx.state.config.allow_loopback_webhooks)
    except ssrf.UnsafeTarget as exc:
        raise validation(str(exc), "url") from None
    return target.url


def _refuse_secret(body: Body) -> None:
    if "secret" in body:
        raise validation(
            "secret is generated by the server; use POST "
            "/api/v1/webhooks/{id}/regenerate-secret to replace it",
            "secret",
        )


def _stop_pending(store: Store, subscription_id: str, reason: str) -> int:
    """End the pending deliveries of a subscription (disabled or deleted)."""
    now = store.clock.now_ms()
    return store.run(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_ms = NULL, final_error = ?, "
        "updated_ms = ? WHERE subscription_id = ? AND status = 'pending'",
        (reason, now, subscription_id),
    )


def list_subscriptions(ctx: Ctx) -> Reply:
    rows = ctx.store.all(
        "SELECT * FROM webhook_subscriptions WHERE sub_account_id = ? "
        "ORDER BY created_ms DESC, id DESC",
        (ctx.account,),
    )
    return Reply([render(r) for r in rows], meta={"total": len(rows)})


def get_subscription(ctx: Ctx) -> Reply:
    return Reply(render(_load(ctx.store, ctx.account, ctx.path["id"])))


async def create_subscription(ctx: Ctx) -> Reply:
    """Create a subscription; the answer is the only place its secret is shown."""
    body = ctx.body
    _refuse_secret(body)
    url = body.str("url", required=True, max_len=ssrf.MAX_URL_LENGTH)
    assert url is not None
    names = _event_names(body)
    description = body.str("description", max_len=500)
    active = body.bool("isActive")
    url = await _vetted_url(ctx, url)
    with ctx.store.transaction():
        count = ctx.store.scalar(
            "SELECT COUNT(*) FROM webhook_subscriptions WHERE sub_account_id = ?", (ctx.account,)
        )
        if count >= MAX_SUBSCRIPTIONS:
            raise validation(
                f"This sub-account already has {MAX_SUBSCRIPTIONS} webhook subscriptions "
                "(the maximum); delete one first"
            )
        now = ctx.now()
        sub_id = new_id("wh")
        secret = new_secret()
        ctx.store.run(
            "INSERT INTO webhook_subscriptions (id, sub_account_id, url, events, description, "
            "is_active, secret, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sub_id,
                ctx.account,
                url,
                dumps(names),
                description or None,
                0 if active is False else 1,
                secret,
                now,
                now,
            ),
        )
        row = _load(ctx.store, ctx.account, sub_id)
    return Reply({**render(row), "secret": secret}, status=201)


async def update_subscription(ctx: Ctx) -> Reply:
    """Change url, events, description or isActive; disabling stops pending deliveries."""
    _load(ctx.store, ctx.account, ctx.path["id"])  # 404 before any validation
    body = ctx.body
    _refuse_secret(body)
    changes: dict[str, Any] = {}
    if "url" in body:
        url = body.str("url", required=True, max_len=ssrf.MAX_URL_LENGTH)
        assert url is not None
        changes["url"] = url
    if "events" in body:
        changes["events"] = dumps(_event_names(body))
    if "description" in body:
        changes["description"] = body.str("description", max_len=500) or None
    if "isActive" in body:
        active = body.bool("isActive")
        if active is None:
            raise validation("isActive must be true or false", "isActive")
        changes["is_active"] = 1 if active else 0
    if "url" in changes:
        changes["url"] = await _vetted_url(ctx, changes["url"])
    with ctx.store.transaction():
        row = _load(ctx.store, ctx.account, ctx.path["id"])  # it may have gone while resolving
        if changes:
            sets = ", ".join(f"{column} = ?" for column in changes)
            ctx.store.run(
                f"UPDATE webhook_subscriptions SET {sets}, updated_ms = ? WHERE id = ?",
                (*changes.values(), ctx.now(), row["id"]),
            )
            if changes.get("is_active") == 0:
                _stop_pending(ctx.store, row["id"], "subscription disabled")
            row = _load(ctx.store, ctx.account, row["id"])
    return Reply(render(row))


def delete_subscription(ctx: Ctx) -> Reply:
    row = _load(ctx.store, ctx.account, ctx.path["id"])
    ctx.store.run("DELETE FROM webhook_subscriptions WHERE id = ?", (row["id"],))
    _stop_pending(ctx.store, row["id"], "subscription deleted")
    return Reply({"id": row["id"], "deleted": True})


def regenerate_secret(ctx: Ctx) -> Reply:
    """A new secret, effective at once: every later attempt (retries included) is signed with it."""
    row = _load(ctx.store, ctx.account, ctx.path["id"])
    secret = new_secret()
    ctx.store.run(
        "UPDATE webhook_subscriptions SET secret = ?, updated_ms = ? WHERE id = ?",
        (secret, ctx.now(), row["id"]),
    )
    return Reply({"secret": secret})


# -- queueing deliveries -----------------------------------------------------------------


def queue_deliveries(
    store: Store, sub_account_id: str, event_id: str, payload: dict[str, Any]
) -> None:
    """Event listener: one delivery per active subscription of the sub-account to this event."""
    rows = store.all(
        "SELECT id FROM webhook_subscriptions WHERE sub_account_id = ? AND is_active = 1 "
        "AND EXISTS (SELECT 1 FROM json_each(webhook_subscriptions.events) WHERE value = ?)",
        (sub_account_id, payload["event"]),
    )
    if not rows:
        return
    body = dumps(payload)  # the exact bytes every attempt posts and signs
    now = store.clock.now_ms()
    store.many(
        "INSERT INTO webhook_deliveries (id, subscription_id, sub_account_id, event_id, event, "
        "body, status, attempts, next_attempt_ms, created_ms, updated_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', '[]', ?, ?, ?)",
        [
            (
                new_id("whd"),
                r["id"],
                sub_account_id,
                event_id,
                payload["event"],
                body,
                now,
                now,
                now,
            )
            for r in rows
        ],
    )
    # The dispatcher only runs once this (synchronous) transaction has committed.
    store.hooks.wake(WAKERS)


# -- delivering ----------------------------------------------------------------------------


def retry_delay_ms(attempts_made: int, rng: random.Random | None = None) -> int:
    """Back-off before the next attempt after ``attempts_made`` failed ones (with jitter)."""
    base = RETRY_DELAYS_MS[min(attempts_made, len(RETRY_DELAYS_MS)) - 1]
    return int(base * (rng or random).uniform(1 - JITTER, 1 + JITTER))


class DeliveryRefused(Exception):
    """The target cannot be reached safely (SSRF rules) or at all (no address)."""


async def _vetted_addresses(host: str, port: int, allow_loopback: bool) -> list[str]:
    """The addresses to connect to for ``host``; refuses when any of them is not public."""
    literal = None
    with contextlib.suppress(ValueError):
        literal = ipaddress.ip_address(host)
    if literal is not None:
        found = [str(literal)]
    else:
        try:
            found = await asyncio.wait_for(ssrf.system_resolver(host, port), RESOLVE_TIMEOUT_S)
        except (OSError, TimeoutError, UnicodeError) as exc:
            why = str(exc) or "timed out"
            raise DeliveryRefused(f"could not resolve {host}: {why}") from None
    if not found:
        raise DeliveryRefused(f"{host} has no address")
    for text in found:
        reason = ssrf.connect_refusal(
            host, ipaddress.ip_address(text.split("%", 1)[0]), allow_loopback
        )
        if reason is not None:
            raise DeliveryRefused(f"blocked by SSRF protection: {reason}")
    return found


async def post_pinned(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], allow_loopback: bool
) -> tuple[int, str]:
    """POST ``body`` to ``url``, connecting only to an address that passed the SSRF rules.

    The host is resolved here and the request goes to the vetted IP, with the
    original ``Host`` header and TLS server name, so the address checked is the
    address used (no second lookup for a rebinding DNS server to answer).
    Returns (status code, the start of the answer's body).
    """
    target = httpx.URL(url)
    addresses = await _vetted_addresses(
        target.host, target.port or (443 if target.scheme == "https" else 80), allow_loopback
    )
    last_error: Exception | None = None
    for address in addresses:
        pinned = target.copy_with(host=address)
        try:
            async with client.stream(
                "POST",
                pinned,
                content=body,
                headers={**headers, "Host": target.netloc.decode("ascii")},
                extensions={"sni_hostname": target.host},
            ) as response:
                snippet = b""
                async for chunk in response.aiter_bytes():
                    snippet += chunk
                    if len(snippet) >= RESPONSE_SNIPPET_BYTES:
                        break
                return response.status_code, snippet[:RESPONSE_SNIPPET_BYTES].decode(
                    "utf-8", "replace"
                )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            last_error = exc  # try the host's next address
    assert last_error is not None
    raise last_error


def delivery_headers(delivery_id: str, event: str, secret: str, body: bytes) -> dict[str, str]:
    """The documented request headers of one attempt."""
    return {
        "Content-Type": "application/json",
        WEBHOOK_SIGNATURE_HEADER: sign(secret, body),
        WEBHOOK_EVENT_HEADER: event,
        WEBHOOK_DELIVERY_HEADER: delivery_id,
        "User-Agent": WEBHOOK_USER_AGENT,
        # Only the start of the answer is logged; an uncompressed one cannot balloon.
        "Accept-Encoding": "identity",
    }


def build_client() -> httpx.AsyncClient:
    """The dispatcher's one HTTP client: no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=5.0),
        follow_redirects=False,
        trust_env=False,  # a proxy would make the connection somewhere the SSRF check never saw
        # No keep-alive: connections are keyed by the pinned IP, and one made for one
        # host name (TLS verified for it) must never carry a request for another.
        limits=httpx.Limits(max_connections=MAX_PARALLEL * 2, max_keepalive_connections=0),
    )


def record_attempt(
    store: Store,
    delivery_id: str,
    attempt: dict[str, Any],
    ok: bool,
    rng: random.Random | None = None,
) -> str | None:
    """Store one attempt's outcome and decide what comes next; returns the new status."""
    row = store.one(
        "SELECT d.attempts, d.subscription_id, s.is_active FROM webhook_deliveries d "
        "LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = ?",
        (delivery_id,),
    )
    if row is None:
        return None
    attempts = [*loads(row["attempts"]), attempt]
    now = store.clock.now_ms()
    final_error = None
    next_ms = None
    if ok:
        status = "succeeded"
    elif row["is_active"] is None:
        status, final_error = "failed", "subscription deleted"
    elif not row["is_active"]:
        status, final_error = "failed", "subscription disabled"
    elif len(attempts) >= MAX_ATTEMPTS:
        status, final_error = "failed", f"gave up after {len(attempts)} attempts"
    else:
        status, next_ms = "pending", now + retry_delay_ms(len(attempts), rng)
    store.run(
        "UPDATE webhook_deliveries SET attempts = ?, status = ?, next_attempt_ms = ?, "
        "in_flight = 0, final_error = ?, updated_ms = ? WHERE id = ?",
        (dumps(attempts), status, next_ms, final_error, now, delivery_id),
    )
    store.run(
        "UPDATE webhook_subscriptions SET last_delivery_ms = ?, last_delivery_status = ? "
        "WHERE id = ?",
        (now, "succeeded" if ok else "failed", row["subscription_id"]),
    )
    return status


class Dispatcher:
    """Posts due deliveries, a bounded number at a time, for one sandbox server."""

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
                # Attempts cut short by a stop are simply due again.
                self.store.run("UPDATE webhook_deliveries SET in_flight = 0 WHERE in_flight = 1")
            while True:
                self.wake.clear()
                try:
                    self.start_due(client)
                except Exception:
                    log.exception("webhook dispatcher pass failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), POLL_INTERVAL_S)
        finally:
            self.store.hooks.waiting(WAKERS).discard(self.wake)
            for task in self.running:
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)
            await client.aclose()

    def start_due(self, client: httpx.AsyncClient) -> int:
        free = MAX_PARALLEL - len(self.running)
        if free <= 0:
            return 0
        with self.store.transaction():
            rows = self.store.all(
                "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND in_flight = 0 "
                "AND next_attempt_ms <= ? ORDER BY next_attempt_ms, seq LIMIT ?",
                (self.store.clock.now_ms(), free),
            )
            for row in rows:
                self.store.run(
                    "UPDATE webhook_deliveries SET in_flight = 1 WHERE id = ?", (row["id"],)
                )
        for row in rows:
            task = asyncio.create_task(self.attempt(client, row["id"]), name=f"webhook-{row['id']}")
            self.running.add(task)
            task.add_done_callback(self._finished)
        return len(rows)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        self.wake.set()  # a slot is free again

    async def attempt(self, client: httpx.AsyncClient, delivery_id: str) -> None:
        """One attempt of one delivery, recorded in the log."""
        with self.store.transaction():
            row = self.store.one(
                "SELECT d.event, d.body, s.url, s.secret, s.is_active FROM webhook_deliveries d "
                "LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = ?",
                (delivery_id,),
            )
            if row is None:
                return
            if row["url"] is None or not row["is_active"]:
                _stop_pending_one(
                    self.store,
                    delivery_id,
                    "subscription deleted" if row["url"] is None else "subscription disabled",
                )
                return
        body = row["body"].encode("utf-8")
        headers = delivery_headers(delivery_id, row["event"], row["secret"], body)
        at = self.store.clock.now_ms()
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        snippet: str | None = None
        try:
            status_code, snippet = await asyncio.wait_for(
                post_pinned(
                    client, row["url"], body, headers, self.state.config.allow_loopback_webhooks
                ),
                ATTEMPT_DEADLINE_S,
            )
        except DeliveryRefused as exc:
            error = str(exc)
        except (httpx.TimeoutException, TimeoutError):
            error = f"timed out (no answer within {REQUEST_TIMEOUT_S:g} s)"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:
            log.exception("webhook delivery %s failed unexpectedly", delivery_id)
            error = f"{type(exc).__name__}: {exc}"
        ok = status_code is not None and 200 <= status_code < 300
        if status_code is not None and 300 <= status_code < 400:
            error = (
                f"redirect ({status_code}) not followed; point the subscription at the final URL"
            )
        elif status_code is not None and not ok:
            error = f"HTTP {status_code}: a 2xx answer is required"
        attempt = {
            "at": clock.iso(at),
            "statusCode": status_code,
            "error": error,
            "durationMs": int((time.monotonic() - started) * 1000),
            "responseBody": snippet,
        }
        with self.store.transaction():
            status = record_attempt(self.store, delivery_id, attempt, ok)
        self.state.stats["webhooks.attempts"] += 1
        if status in ("succeeded", "failed"):
            self.state.stats[f"webhooks.{status}"] += 1


def _stop_pending_one(store: Store, delivery_id: str, reason: str) -> None:
    store.run(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_ms = NULL, in_flight = 0, "
        "final_error = ?, updated_ms = ? WHERE id = ? AND status = 'pending'",
        (reason, store.clock.now_ms(), delivery_id),
    )


async def deliver_webhooks(state: SandboxState) -> None:
    """Background task: the webhook dispatcher of this server."""
    await Dispatcher(state).run()


# -- /_sandbox/: the delivery log and event injection -------------------------------------


def render_delivery(row: Any) -> dict[str, Any]:
    """One delivery as the log shows it (attempts oldest first)."""
    return {
        "id": row["id"],
        "subscriptionId": row["subscription_id"],
        "subAccountId": row["sub_account_id"],
        "eventId": row["event_id"],
        "event": row["event"],
        "status": row["status"],
        "attempts": loads(row["attempts"]),
        "nextAttemptAt": clock.iso(row["next_attempt_ms"]) if row["next_attempt_ms"] else None,
        "finalError": row["final_error"],
        "createdAt": clock.iso(row["created_ms"]),
        "updatedAt": clock.iso(row["updated_ms"]),
        "payload": loads(row["body"]),
    }


def list_deliveries(ctx: Ctx) -> Reply:
    """Deliveries, newest first: ``?subscriptionId=&subAccountId=&event=&status=&limit=``."""
    q = ctx.query
    where, params = q.equals(
        (
            ("subscriptionId", "subscription_id"),
            ("subAccountId", "sub_account_id"),
            ("event", "event"),
        )
    )
    status = q.str("status", choices=("pending", "succeeded", "failed"))
    if status:
        where.append("status = ?")
        params.append(status)
    limit = q.int("limit", default=200, minimum=1, maximum=2000)
    rows = ctx.store.all(
        f"SELECT * FROM webhook_deliveries WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
        [*params, limit],
    )
    return Reply([render_delivery(r) for r in rows])


def get_delivery(ctx: Ctx) -> Reply:
    row = ctx.store.one("SELECT * FROM webhook_deliveries WHERE id = ?", (ctx.path["id"],))
    if row is None:
        raise not_found("Webhook delivery")
    return Reply(render_delivery(row))


def emit_event(ctx: Ctx) -> Reply:
    """Emit any of the 26 events: ``{subAccountId, event, data?}`` (webhooks and workflows react).

    For events the sandbox has no activity of its own for (opportunity.*,
    invoice.paid, task.*). Answers the recorded payload, its id and how many
    deliveries it queued.
    """
    body = ctx.body
    sub = body.str("subAccountId", required=True, max_len=100)
    name = body.str("event", required=True, max_len=100)
    data = body.obj("data") or {}
    if ctx.store.one("SELECT 1 FROM sub_accounts WHERE id = ?", (sub,)) is None:
        raise ApiError(404, "NOT_FOUND", f"Sub-account {sub} not found")
    if name not in WEBHOOK_EVENTS:
        raise validation(f"event is not one of the 26 webhook events: {name}", "event")
    if data.get("subAccountId", sub) != sub:
        raise validation("data.subAccountId must match subAccountId", "data.subAccountId")
    data = {k: v for k, v in data.items() if k != "subAccountId"}
    assert sub is not None and name is not None
    payload = events.emit(ctx.store, sub, name, data)
    event_id = ctx.store.scalar(
        "SELECT id FROM events WHERE sub_account_id = ? AND name = ? ORDER BY seq DESC LIMIT 1",
        (sub, name),
    )
    queued = ctx.store.scalar(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = ?", (event_id,)
    )
    return Reply({"id": event_id, **payload, "deliveries": queued}, status=201)


def subscription_body(creating: bool) -> tuple[Param, ...]:
    """The fields a create (``creating``) or update body may carry (``secret`` is refused)."""
    return (
        Param.text("url", required=creating, max_len=ssrf.MAX_URL_LENGTH),
        Param.texts("events", required=creating, max_items=len(WEBHOOK_EVENTS), max_len=100),
        Param.text("description", max_len=500),
        Param.flag("isActive"),
    )


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    router.add("GET", "/api/v1/webhooks", list_subscriptions, scope=SCOPE)
    router.add("GET", "/api/v1/webhooks/{id}", get_subscription, scope=SCOPE)
    router.add(
        "POST", "/api/v1/webhooks", create_subscription, scope=SCOPE, body=subscription_body(True)
    )
    router.add(
        "PATCH",
        "/api/v1/webhooks/{id}",
        update_subscription,
        scope=SCOPE,
        body=subscription_body(False),
    )
    router.add("DELETE", "/api/v1/webhooks/{id}", delete_subscription, scope=SCOPE)
    router.add("POST", "/api/v1/webhooks/{id}/regenerate-secret", regenerate_secret, scope=SCOPE)
    registry.hooks.event_listeners.append(queue_deliveries)
    registry.background.append(deliver_webhooks)
    router.add(
        "GET",
        "/_sandbox/webhook-deliveries",
        list_deliveries,
        auth="control",
        query=(
            Param.text("subscriptionId", max_len=200),
            Param.text("subAccountId", max_len=200),
            Param.text("event", max_len=200),
            Param.text("status", choices=("pending", "succeeded", "failed")),
            Param.integer("limit", minimum=1, maximum=2000),
        ),
    )
    router.add("GET", "/_sandbox/webhook-deliveries/{id}", get_delivery, auth="control")
    router.add(
        "POST",
        "/_sandbox/events/emit",
        emit_event,
        auth="control",
        body=(
            Param.text("subAccountId", required=True, max_len=100),
            Param.text("event", required=True, max_len=100),
            Param.object("data"),
        ),
    )
