"""Webhook delivery pieces without a server: signature, back-off, outcome bookkeeping, rebinding."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
from typing import Any

import httpx
import pytest

from app.sandbox.crm import ssrf, webhooks
from app.sandbox.store import Store, dumps


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"event":"contact.created","data":{"subAccountId":"sa_1"}}'
    expected = hmac.new(b"whsec_abc", body, hashlib.sha256).hexdigest()
    assert webhooks.sign("whsec_abc", body) == f"sha256={expected}"
    headers = webhooks.delivery_headers("whd_1", "contact.created", "whsec_abc", body)
    assert headers == {
        "Content-Type": "application/json",
        "X-Webhook-Signature": f"sha256={expected}",
        "X-Webhook-Event": "contact.created",
        "X-Webhook-Delivery": "whd_1",
        "User-Agent": "Seedly-CRM-Webhook/1.0",
        "Accept-Encoding": "identity",
    }


def test_secrets_are_fresh_and_long() -> None:
    made = {webhooks.new_secret() for _ in range(50)}
    assert len(made) == 50 and all(s.startswith("whsec_") and len(s) >= 40 for s in made)


def test_back_off_grows_and_the_first_retry_is_quick() -> None:
    rng = random.Random(7)
    for _ in range(200):
        delays = [webhooks.retry_delay_ms(n, rng) for n in range(1, webhooks.MAX_ATTEMPTS)]
        assert 1000 <= delays[0] <= 5000
        assert delays == sorted(delays) and len(set(delays)) == len(delays)
    assert webhooks.MAX_ATTEMPTS == 6


@pytest.fixture
def store(tmp_path: Any) -> Store:
    s = Store(tmp_path / "unit.sqlite3", schema=[webhooks.SCHEMA])
    with s.transaction():
        s.run(
            "INSERT INTO webhook_subscriptions (id, sub_account_id, url, events, description, "
            "is_active, secret, created_ms, updated_ms) "
            "VALUES ('wh_1', 'sa_1', 'http://127.0.0.1:9/x', ?, NULL, 1, 'whsec_x', 0, 0)",
            (dumps(["contact.created"]),),
        )
        webhooks.queue_deliveries(
            s,
            "sa_1",
            "evt_1",
            {"event": "contact.created", "timestamp": "t", "data": {"subAccountId": "sa_1"}},
        )
        webhooks.queue_deliveries(
            s,
            "sa_1",
            "evt_2",
            {"event": "invoice.paid", "timestamp": "t", "data": {"subAccountId": "sa_1"}},
        )
        webhooks.queue_deliveries(
            s,
            "sa_2",
            "evt_3",
            {"event": "contact.created", "timestamp": "t", "data": {"subAccountId": "sa_2"}},
        )
    return s


def attempt(code: int | None) -> dict[str, Any]:
    return {"at": "t", "statusCode": code, "error": None if code == 200 else "x", "durationMs": 1}


def test_only_matching_active_subscriptions_get_a_delivery(store: Store) -> None:
    rows = store.all("SELECT * FROM webhook_deliveries")
    assert [(r["event_id"], r["status"]) for r in rows] == [("evt_1", "pending")]
    assert rows[0]["body"] == dumps(
        {"event": "contact.created", "timestamp": "t", "data": {"subAccountId": "sa_1"}}
    )


def test_failures_are_retried_until_the_last_attempt(store: Store) -> None:
    delivery_id = store.scalar("SELECT id FROM webhook_deliveries")
    statuses = []
    for _ in range(webhooks.MAX_ATTEMPTS):
        with store.transaction():
            statuses.append(webhooks.record_attempt(store, delivery_id, attempt(500), ok=False))
    assert statuses == ["pending"] * 5 + ["failed"]
    row = store.one("SELECT * FROM webhook_deliveries WHERE id = ?", (delivery_id,))
    assert row["next_attempt_ms"] is None and "6 attempts" in row["final_error"]
    sub = store.one("SELECT * FROM webhook_subscriptions")
    assert sub["last_delivery_status"] == "failed"


def test_success_ends_the_delivery_and_disabling_stops_retries(store: Store) -> None:
    delivery_id = store.scalar("SELECT id FROM webhook_deliveries")
    with store.transaction():
        assert webhooks.record_attempt(store, delivery_id, attempt(500), ok=False) == "pending"
        store.run("UPDATE webhook_subscriptions SET is_active = 0")
        assert webhooks.record_attempt(store, delivery_id, attempt(500), ok=False) == "failed"
    row = store.one("SELECT * FROM webhook_deliveries WHERE id = ?", (delivery_id,))
    assert row["final_error"] == "subscription disabled"
    with store.transaction():
        store.run("UPDATE webhook_deliveries SET status = 'pending'")
        store.run("UPDATE webhook_subscriptions SET is_active = 1")
        assert webhooks.record_attempt(store, delivery_id, attempt(200), ok=True) == "succeeded"


def test_delivery_refuses_a_name_that_now_resolves_somewhere_private(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    monkeypatch.setattr(ssrf, "system_resolver", rebinding)
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))

    async def run() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            await webhooks.post_pinned(
                client, "https://hooks.example.com/in", b"{}", {}, allow_loopback=True
            )

    with pytest.raises(webhooks.DeliveryRefused) as info:
        asyncio.run(run())
    assert "link-local" in str(info.value) and sent == []


def test_delivery_connects_to_the_vetted_address_with_the_original_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    monkeypatch.setattr(ssrf, "system_resolver", public)
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204, content=b"")

    async def run() -> tuple[int, str]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            return await webhooks.post_pinned(
                client,
                "https://hooks.example.com:8443/in?x=1",
                b"{}",
                {"X-Webhook-Event": "task.created"},
                allow_loopback=False,
            )

    status, _ = asyncio.run(run())
    assert status == 204
    [request] = sent
    assert request.url.host == "93.184.215.14" and request.url.port == 8443
    assert request.url.path == "/in" and request.url.query == b"x=1"
    assert request.headers["Host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
