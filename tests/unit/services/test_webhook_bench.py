"""The local receiver and the test bench over real loopback HTTP and a real SQLite cache:
deliveries verified with the kept secrets, recorded under their own sub-account only,
duplicates and replaced secrets named, and signed test deliveries sent and recorded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.services.bus import (
    EventBus,
    Recorder,
    ScopeKey,
    WebhookBenchChanged,
    WebhookDeliveryReceived,
    WebhooksChanged,
)
from app.services.webhook_bench import BodyError, WebhookBench
from app.services.webhook_receiver import IncomingRequest, ReceiverError, Reply, WebhookReceiver
from app.services.webhook_signing import Check, sign
from app.services.webhooks import secret_account
from app.settings.secrets import Secrets, SessionSecrets
from app.storage import Database, Partition
from tests.support.local_servers import closed_port_url

pytestmark = pytest.mark.asyncio

DEPLOYMENT = "https://crm.example.com"
SECRET_A = "whsec_secret_of_harbor_subscription_000001"
SECRET_B = "whsec_secret_of_summit_subscription_000002"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "cache.sqlite3")
    yield database
    database.close()


class Setup:
    """Two sub-accounts with one subscription each, secrets kept, and a bench routing to them."""

    def __init__(self, db: Database) -> None:
        self.bus = EventBus()
        self.secrets = Secrets(persistent=SessionSecrets())
        self.a = db.partition(DEPLOYMENT, "sub_a")
        self.b = db.partition(DEPLOYMENT, "sub_b")
        self.scope_a = ScopeKey(DEPLOYMENT, "sub_a")
        self.scope_b = ScopeKey(DEPLOYMENT, "sub_b")
        for part, wid, secret in ((self.a, "wh_a", SECRET_A), (self.b, "wh_b", SECRET_B)):
            part.webhooks.upsert_webhook(
                {"id": wid, "url": "http://127.0.0.1/", "events": ["contact.created"]}
            )
            self.secrets.save(secret_account(part, wid), secret)
        self.active = "sub_a"
        self.recorder = Recorder().attach(self.bus, WebhookDeliveryReceived, WebhookBenchChanged)
        self.bench = WebhookBench(self.bus, self.secrets, self.route)

    def route(self, sub: str | None) -> tuple[ScopeKey, Partition] | None:
        chosen = sub if sub in ("sub_a", "sub_b") else self.active
        return (self.scope_a, self.a) if chosen == "sub_a" else (self.scope_b, self.b)


def payload(sub: str, event: str = "contact.created", **data: Any) -> bytes:
    body = {
        "event": event,
        "timestamp": "2099-01-01T00:00:00.000Z",
        "data": {"subAccountId": sub, "contactId": "c1", **data},
    }
    return json.dumps(body, separators=(",", ":")).encode()


async def deliver(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    secret: str | None,
    delivery_id: str,
    event: str = "contact.created",
) -> httpx.Response:
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Event": event,
        "X-Webhook-Delivery": delivery_id,
        "User-Agent": "Seedly-CRM-Webhook/1.0",
    }
    if secret is not None:
        headers["X-Webhook-Signature"] = sign(body, secret)
    return await client.post(url, content=body, headers=headers)


async def test_deliveries_are_verified_and_kept_under_their_own_sub_account(db: Database) -> None:
    s = Setup(db)
    port = await s.bench.start_receiver(0)
    url = f"http://127.0.0.1:{port}/hooks"
    try:
        async with httpx.AsyncClient() as client:
            ok = await deliver(client, url, payload("sub_a"), SECRET_A, "whd_1")
            assert ok.status_code == 200 and ok.json() == {"received": True, "verified": True}
            await deliver(client, url, payload("sub_b"), SECRET_B, "whd_2")
            # Seedly retries: the same delivery id again is a duplicate, still verified.
            await deliver(client, url, payload("sub_a"), SECRET_A, "whd_1")
            # Signed with the other sub-account's secret: wrong secret, named.
            await deliver(client, url, payload("sub_a"), SECRET_B, "whd_3")
            await deliver(client, url, payload("sub_a"), None, "whd_4")
    finally:
        await s.bench.stop_receiver()
    in_a = s.a.received.recent()
    assert [(d.delivery_id, d.result) for d in in_a] == [
        ("whd_4", Check.MISSING_HEADER.value),
        ("whd_3", Check.WRONG_SECRET.value),
        ("whd_1", Check.DUPLICATE.value),
        ("whd_1", Check.VALID.value),
    ]
    assert in_a[-1].webhook_id == "wh_a" and in_a[-1].event == "contact.created"
    assert "deduplicate by X-Webhook-Delivery" in in_a[2].message
    assert in_a[-1].headers["X-Webhook-Delivery"] == "whd_1"
    # Nothing of sub_b under sub_a, and sub_b's own delivery verified with its own secret.
    in_b = s.b.received.recent()
    assert [(d.delivery_id, d.result, d.webhook_id) for d in in_b] == [("whd_2", "valid", "wh_b")]
    events = s.recorder.of(WebhookDeliveryReceived)
    assert [e.scope.sub_account_id for e in events] == ["sub_a", "sub_b", "sub_a", "sub_a", "sub_a"]
    assert s.bench.received_count == 5


async def test_a_regenerated_secret_is_followed_and_the_old_one_named(db: Database) -> None:
    s = Setup(db)
    port = await s.bench.start_receiver(0)
    url = f"http://127.0.0.1:{port}/"
    new_secret = "whsec_brand_new_after_regeneration_0003"
    try:
        async with httpx.AsyncClient() as client:
            # Cached before the regeneration: the bench read the kept secrets once.
            await deliver(client, url, payload("sub_a"), SECRET_A, "whd_1")
            s.secrets.save(secret_account(s.a, "wh_a"), new_secret)
            s.bench.secret_replaced(s.scope_a, "wh_a", SECRET_A)
            await deliver(client, url, payload("sub_a"), SECRET_A, "whd_2")
            await deliver(client, url, payload("sub_a"), new_secret, "whd_3")
            # A subscription created meanwhile is found once the list changes.
            s.a.webhooks.upsert_webhook({"id": "wh_new", "url": url, "events": ["form.submitted"]})
            s.secrets.save(secret_account(s.a, "wh_new"), "whsec_for_the_new_subscription")
            s.bus.publish(WebhooksChanged(s.scope_a))
            await deliver(
                client,
                url,
                payload("sub_a", "form.submitted"),
                "whsec_for_the_new_subscription",
                "whd_4",
                "form.submitted",
            )
    finally:
        await s.bench.close()
    results = [(d.delivery_id, d.result, d.webhook_id) for d in s.a.received.recent()]
    assert results == [
        ("whd_4", "valid", "wh_new"),
        ("whd_3", "valid", "wh_a"),
        ("whd_2", "old_secret", "wh_a"),
        ("whd_1", "valid", "wh_a"),
    ]


async def test_refusing_unverified_deliveries_answers_401(db: Database) -> None:
    s = Setup(db)
    s.bench.refuse_unverified = True
    port = await s.bench.start_receiver(0)
    try:
        async with httpx.AsyncClient() as client:
            bad = await deliver(client, f"http://127.0.0.1:{port}/", payload("sub_a"), "x", "d1")
            good = await deliver(
                client, f"http://127.0.0.1:{port}/", payload("sub_a"), SECRET_A, "d2"
            )
    finally:
        await s.bench.close()
    assert bad.status_code == 401 and "does not match" in bad.json()["error"]
    assert good.status_code == 200


async def test_a_test_delivery_is_signed_sent_and_recorded(db: Database) -> None:
    s = Setup(db)
    port = await s.bench.start_receiver(0)
    body = json.dumps(json.loads(payload("sub_a")), indent=2)
    try:
        sent = await s.bench.send_test(
            s.scope_a,
            s.a,
            url=f"http://127.0.0.1:{port}/mine",
            event="contact.created",
            body=body,
            secret=SECRET_A,
            webhook_id="wh_a",
        )
        unsigned = await s.bench.send_test(
            s.scope_a, s.a, url=closed_port_url(), event="contact.created", body=body, secret=None
        )
        with pytest.raises(BodyError, match="line 1, column 2"):
            await s.bench.send_test(
                s.scope_a, s.a, url="http://x", event="contact.created", body="{oops", secret=None
            )
    finally:
        await s.bench.close()
    assert sent.ok and sent.status == 200 and sent.duration_ms is not None
    headers = sent.request_headers
    assert headers["X-Webhook-Signature"] == sign(body.encode(), SECRET_A)
    assert headers["X-Webhook-Event"] == "contact.created"
    assert headers["User-Agent"] == "Seedly-CRM-Webhook/1.0"
    assert headers["X-Webhook-Delivery"].startswith("test_")
    assert json.loads(sent.response_body or "") == {"received": True, "verified": True}
    # The bench's own receiver got it, byte for byte, and verified it.
    (received,) = s.a.received.recent()
    assert received.result == "valid" and received.body == body
    assert received.delivery_id == headers["X-Webhook-Delivery"]
    assert unsigned.status is None and "is the receiver running" in (unsigned.error or "")
    assert "X-Webhook-Signature" not in unsigned.request_headers
    assert [d.seq for d in s.a.test_deliveries.recent()] == [unsigned.seq, sent.seq]
    assert [e.what for e in s.recorder.of(WebhookBenchChanged)].count("test") == 2


async def test_the_receiver_speaks_enough_http() -> None:
    got: list[IncomingRequest] = []

    async def handler(request: IncomingRequest) -> Reply:
        got.append(request)
        return Reply(202, b'{"ok":true}')

    receiver = WebhookReceiver(handler, max_body=1000)
    port = await receiver.start(0)
    assert receiver.url == f"http://127.0.0.1:{port}/"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            first = await client.post("/a", content=b'{"n":1}', headers={"X-Test": "1"})
            second = await client.post("/b", content=b'{"n":2}')  # same connection
            chunked = await client.post("/c", content=_chunks())
            page = await client.get("/")
            wrong = await client.put("/", content=b"{}")
            big = await client.post("/", content=b"x" * 1001)
        assert [r.status_code for r in (first, second, chunked)] == [202, 202, 202]
        assert page.status_code == 200 and "POST deliveries here" in page.text
        assert wrong.status_code == 405 and big.status_code == 413
        assert [(r.path, r.body) for r in got] == [
            ("/a", b'{"n":1}'),
            ("/b", b'{"n":2}'),
            ("/c", b"chunk one, chunk two"),
        ]
        assert got[0].header("x-test") == "1"
        # Loopback only: nothing listens on the machine's other addresses.
        (sock,) = receiver._server.sockets  # type: ignore[union-attr]
        assert sock.getsockname()[0] == "127.0.0.1"
        taken = WebhookReceiver(handler)
        with pytest.raises(ReceiverError, match=f"Port {port} is already in use"):
            await taken.start(port)
    finally:
        await receiver.stop()
    assert not receiver.running and receiver.url is None


async def _chunks() -> Any:
    for part in (b"chunk one, ", b"chunk two"):
        yield part
        await asyncio.sleep(0)


async def test_a_slow_or_broken_request_does_not_hold_the_receiver() -> None:
    async def handler(request: IncomingRequest) -> Reply:
        return Reply(200, b"{}")

    receiver = WebhookReceiver(handler)
    port = await receiver.start(0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"NONSENSE\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.startswith(b"HTTP/1.1 400")
        writer.close()
        # Meanwhile another sender is served normally.
        async with httpx.AsyncClient() as client:
            ok = await client.post(f"http://127.0.0.1:{port}/", content=b"{}")
        assert ok.status_code == 200
    finally:
        await receiver.stop()
