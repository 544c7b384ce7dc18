"""The test bench: the local receiver's deliveries verified and recorded, and signed test
deliveries sent to any URL.

Receiving: ``WebhookReceiver`` hands each POST here. The body's
``data.subAccountId`` says which sub-account it belongs to (the active one when
it names none the connection knows); its signature is checked against the secrets
kept for that sub-account's subscriptions to the event (and against secrets
replaced this session, to say "signed with the old secret"); a delivery id seen
before is a duplicate — a retry, to deduplicate by ``X-Webhook-Delivery``
(docs/api/seedly-crm.md §11). The result is stored in that sub-account's history
and published as ``WebhookDeliveryReceived``; nothing of one sub-account is
recorded under another. Keyring reads and SQLite writes run on workers; the
signature check itself is microseconds.

Sending: a test delivery carries the real deliveries' headers
(docs/api/seedly-crm.md §7) with a fresh ``X-Webhook-Delivery`` id, signed with the
chosen subscription's kept secret; the answer (status, time, headers, start of the body) is recorded and published as
``WebhookBenchChanged(scope, "test")``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.api.test_delivery import post_delivery
from app.core.constants import (
    WEBHOOK_DELIVERY_HEADER,
    WEBHOOK_EVENT_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_USER_AGENT,
)
from app.services.bus import (
    EventBus,
    ScopeKey,
    WebhookBenchChanged,
    WebhookDeliveryReceived,
    WebhooksChanged,
)
from app.services.tasks import TaskScope
from app.services.webhook_receiver import IncomingRequest, ReceiverError, Reply, WebhookReceiver
from app.services.webhook_signing import Check, KnownSecret, Verification, sign, verify
from app.services.webhooks import secret_account, subscription_row
from app.settings.secrets import KeyringUnavailable, Secrets
from app.storage import Partition, ReceivedDelivery, TestDelivery

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
STALE_AFTER_S = 300
"""A delivery whose event is older than this is called out as a late retry."""
SEEN_MEMORY = 20_000
"""Delivery ids remembered in memory for the duplicate check (the history has the rest)."""

Route = Callable[[str | None], tuple[ScopeKey, Partition] | None]
"""The sub-account (scope and cache) a delivery naming ``subAccountId`` belongs to."""


@dataclass(frozen=True)
class _Kept:
    webhook_id: str
    events: tuple[str, ...]
    secret: str


@dataclass(frozen=True)
class _Arrival:
    """A received delivery waiting to be written."""

    delivery_id: str | None
    event: str | None
    verification: Verification
    headers: dict[str, str]
    body: str
    body_size: int
    received_ms: int


def _write_batch(
    batch: list[tuple[Partition, _Arrival]],
) -> list[ReceivedDelivery]:
    """Store arrivals, one transaction per sub-account (a busy sender's deliveries are
    written together instead of one commit each); a valid delivery whose id was stored
    before becomes a duplicate."""
    stored: list[ReceivedDelivery | None] = [None] * len(batch)
    by_partition: dict[Partition, list[int]] = {}
    for index, (partition, _arrival) in enumerate(batch):
        by_partition.setdefault(partition, []).append(index)
    for partition, indexes in by_partition.items():
        with partition.database.transaction():
            for index in indexes:
                arrival = batch[index][1]
                outcome = arrival.verification
                if arrival.delivery_id and outcome.check is Check.VALID:
                    first = partition.received.first_seen(arrival.delivery_id)
                    if first is not None:
                        outcome = _duplicate(outcome, first)
                stored[index] = partition.received.add(
                    delivery_id=arrival.delivery_id,
                    event=arrival.event,
                    webhook_id=outcome.matched,
                    result=outcome.check.value,
                    message=outcome.message,
                    headers=arrival.headers,
                    body=arrival.body,
                    body_size=arrival.body_size,
                    received_ms=arrival.received_ms,
                    prune=False,
                )
            partition.received.prune()
    return [row for row in stored if row is not None]


class BodyError(ValueError):
    """A test delivery's body is not valid JSON; the message says where."""


def check_json(text: str) -> None:
    """``BodyError`` with the line and column when ``text`` is not JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"The body is not valid JSON: {exc.msg.lower()} at line {exc.lineno}, "
            f"column {exc.colno}."
        ) from None


class WebhookBench:
    """The local receiver and the test sender of one app run (see the module docstring)."""

    def __init__(
        self,
        bus: EventBus,
        secrets: Secrets,
        route: Route,
        *,
        post: Callable[..., Any] = post_delivery,
    ) -> None:
        self.bus = bus
        self.secrets = secrets
        self.route = route
        self._post = post
        self.receiver = WebhookReceiver(self._handle)
        self.refuse_unverified = False
        """Answer 401 to a delivery whose signature fails (Seedly then retries it)."""
        self._kept: dict[ScopeKey, list[_Kept]] = {}
        self._replaced: dict[ScopeKey, list[KnownSecret]] = {}
        self._seen: dict[tuple[ScopeKey, str], int] = {}
        self._waiting: list[tuple[Partition, _Arrival, asyncio.Future[ReceivedDelivery]]] = []
        self._writes = TaskScope("webhook-bench")
        self.received_count = 0
        self._unsubscribe = bus.subscribe(WebhooksChanged, self._subscriptions_changed)

    # -- the receiver ------------------------------------------------------------------------
    @property
    def receiving(self) -> bool:
        """Whether the receiver listens."""
        return self.receiver.running

    @property
    def receiver_url(self) -> str | None:
        """Where the receiver listens (``http://127.0.0.1:PORT/``), or None."""
        return self.receiver.url

    async def start_receiver(self, port: int = DEFAULT_PORT) -> int:
        """Start listening on ``port`` (``ReceiverError`` says why it could not)."""
        bound = await self.receiver.start(port)
        self.bus.publish(WebhookBenchChanged(None, "receiver"))
        return bound

    async def stop_receiver(self) -> None:
        """Stop listening (the history stays)."""
        was_running = self.receiver.running
        await self.receiver.stop()
        if was_running:
            self.bus.publish(WebhookBenchChanged(None, "receiver"))

    async def close(self) -> None:
        """Stop the receiver and stop following subscription changes (on quit)."""
        self._unsubscribe()
        await self.stop_receiver()
        await self._writes.close()

    async def _store(self, partition: Partition, arrival: _Arrival) -> ReceivedDelivery:
        """Queue one arrival for the writer and wait until it is stored."""
        future: asyncio.Future[ReceivedDelivery] = asyncio.get_running_loop().create_future()
        self._waiting.append((partition, arrival, future))
        if not self._writes.running("writer"):
            self._writes.spawn(self._write_waiting(), "writer")
        return await future

    async def _write_waiting(self) -> None:
        """Write what is waiting, batch after batch, until nothing is."""
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                rows = await asyncio.to_thread(_write_batch, [(p, a) for p, a, _f in batch])
            except Exception as exc:
                for _p, _a, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_p, _a, future), row in zip(batch, rows, strict=True):
                if not future.done():
                    future.set_result(row)

    # -- secrets the checks use -------------------------------------------------------------
    def _subscriptions_changed(self, event: WebhooksChanged) -> None:
        self._kept.pop(event.scope, None)  # re-read on the next delivery

    def secret_replaced(self, scope: ScopeKey, webhook_id: str, old_secret: str | None) -> None:
        """A subscription's secret was regenerated: remember the old one for this session
        only, to say so when a delivery still carries it."""
        self._kept.pop(scope, None)
        if old_secret:
            replaced = self._replaced.setdefault(scope, [])
            replaced.append(KnownSecret(webhook_id, old_secret, current=False))
            del replaced[:-20]

    def secret_kept(self, scope: ScopeKey) -> None:
        """A secret of ``scope`` was kept or forgotten: read them again on the next delivery."""
        self._kept.pop(scope, None)

    def _read_kept(self, partition: Partition) -> list[_Kept]:
        """The kept secrets of the partition's subscriptions (blocking: keyring reads)."""
        kept: list[_Kept] = []
        for doc in partition.webhooks.webhooks():
            row = subscription_row(doc)
            account = secret_account(partition, row.id)
            try:
                secret = self.secrets.get(account)
            except KeyringUnavailable:
                secret = self.secrets.session.get(account)
            if secret:
                kept.append(_Kept(row.id, row.events, secret))
        return kept

    async def _secrets_for(
        self, scope: ScopeKey, partition: Partition, event: str | None
    ) -> list[KnownSecret]:
        kept = self._kept.get(scope)
        if kept is None:
            kept = await asyncio.to_thread(self._read_kept, partition)
            self._kept[scope] = kept
        # Subscriptions to this event first; a secret of another subscription of the same
        # sub-account still verifies (the user may have changed its events since).
        ordered = sorted(kept, key=lambda k: event not in k.events)
        current = [KnownSecret(k.webhook_id, k.secret) for k in ordered]
        return current + self._replaced.get(scope, [])

    # -- receiving ---------------------------------------------------------------------------
    async def _handle(self, request: IncomingRequest) -> Reply:
        payload = _json_object(request.body)
        data = payload.get("data") if payload is not None else None
        named = data.get("subAccountId") if isinstance(data, dict) else None
        routed = self.route(named if isinstance(named, str) else None)
        if routed is None:
            return Reply(503, b'{"error":"Seedly Desk has no sub-account open"}')
        scope, partition = routed
        event = request.header(WEBHOOK_EVENT_HEADER) or (
            str(payload.get("event")) if payload and payload.get("event") else None
        )
        delivery_id = request.header(WEBHOOK_DELIVERY_HEADER)
        known = await self._secrets_for(scope, partition, event)
        verification = verify(request.body, request.header(WEBHOOK_SIGNATURE_HEADER), known)
        verification = self._annotate(scope, delivery_id, payload, verification, request)
        headers = request.header_map()
        text = request.body.decode("utf-8", "replace")

        stored = await self._store(
            partition,
            _Arrival(
                delivery_id,
                event,
                verification,
                headers,
                text,
                len(request.body),
                request.received_ms,
            ),
        )
        self.received_count += 1
        if delivery_id:
            self._remember(scope, delivery_id, request.received_ms)
        self.bus.publish(WebhookDeliveryReceived(scope, stored.seq, stored.result))
        if self.refuse_unverified and not verification.ok:
            body = json.dumps({"error": verification.message}).encode()
            return Reply(401, body)
        return Reply(200, json.dumps({"received": True, "verified": verification.ok}).encode())

    def _annotate(
        self,
        scope: ScopeKey,
        delivery_id: str | None,
        payload: dict[str, Any] | None,
        verification: Verification,
        request: IncomingRequest,
    ) -> Verification:
        result = verification
        if delivery_id and result.check is Check.VALID:
            first = self._seen.get((scope, delivery_id))
            if first is not None:
                result = _duplicate(result, first)
        stamp = payload.get("timestamp") if payload else None
        if isinstance(stamp, str):
            try:
                happened = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                happened = None
            if happened is not None and happened.tzinfo is not None:
                age = request.received_ms / 1000 - happened.timestamp()
                if age > STALE_AFTER_S:
                    minutes = int(age // 60)
                    result = Verification(
                        result.check,
                        f"{result.message} The event happened {minutes} minutes ago: a late "
                        "retry after earlier attempts failed.",
                        result.matched,
                    )
        return result

    def _remember(self, scope: ScopeKey, delivery_id: str, at_ms: int) -> None:
        self._seen.setdefault((scope, delivery_id), at_ms)
        if len(self._seen) > SEEN_MEMORY:
            for key in list(self._seen)[: SEEN_MEMORY // 10]:
                del self._seen[key]

    # -- sending -----------------------------------------------------------------------------
    async def send_test(
        self,
        scope: ScopeKey,
        partition: Partition,
        *,
        url: str,
        event: str,
        body: str,
        secret: str | None,
        webhook_id: str | None = None,
    ) -> TestDelivery:
        """Sign ``body`` (as typed: the exact bytes sent are the bytes signed) and POST it to
        ``url`` with the real deliveries' headers; the recorded delivery and its answer."""
        check_json(body)
        raw = body.encode("utf-8")
        delivery_id = f"test_{uuid.uuid4().hex}"
        headers = {
            "Content-Type": "application/json",
            WEBHOOK_EVENT_HEADER: event,
            WEBHOOK_DELIVERY_HEADER: delivery_id,
            "User-Agent": WEBHOOK_USER_AGENT,
        }
        if secret:
            headers[WEBHOOK_SIGNATURE_HEADER] = sign(raw, secret)
        answer = await self._post(url.strip(), raw, headers)
        recorded = await asyncio.to_thread(
            partition.test_deliveries.add,
            delivery_id=delivery_id,
            webhook_id=webhook_id,
            event=event,
            url=url.strip(),
            request_headers=headers,
            body=body,
            status=answer.status,
            error=answer.error,
            duration_ms=answer.duration_ms,
            response_headers=answer.headers,
            response_body=answer.body,
            response_truncated=answer.truncated,
        )
        self.bus.publish(WebhookBenchChanged(scope, "test"))
        return recorded


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _duplicate(verification: Verification, first_ms: int) -> Verification:
    when = datetime.fromtimestamp(first_ms / 1000, UTC).astimezone().strftime("%H:%M:%S")
    return Verification(
        Check.DUPLICATE,
        f"Signature valid. Already received at {when}: the same delivery again (a retry). "
        "Handle it once: deduplicate by X-Webhook-Delivery.",
        verification.matched,
    )


def answer_summary(delivery: TestDelivery) -> str:
    """One line for a test delivery's answer: "200 OK in 34 ms", or why there was none."""
    if delivery.status is None:
        return delivery.error or "No answer."
    timing = f" in {delivery.duration_ms} ms" if delivery.duration_ms is not None else ""
    return f"HTTP {delivery.status}{timing}"


def now_ms() -> int:
    """Epoch milliseconds (for tests and rows made outside the cache)."""
    return int(time.time() * 1000)


def headers_text(headers: Mapping[str, str]) -> str:
    """Headers as lines of ``Name: value``."""
    return "\n".join(f"{k}: {v}" for k, v in headers.items())


__all__ = [
    "DEFAULT_PORT",
    "BodyError",
    "ReceiverError",
    "Route",
    "WebhookBench",
    "answer_summary",
    "check_json",
    "headers_text",
]
