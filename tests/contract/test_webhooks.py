"""Webhook subscriptions and signed deliveries over real HTTP (docs/api/seedly-crm.md §7).

A real receiver listens on 127.0.0.1 (the shared sandbox runs with
``--allow-loopback-webhooks``); every test uses its own path on it, so
deliveries of one test never satisfy another's expectations.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(90)

HOLD = -1  # a scripted "status" that keeps the request hanging until released


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic()

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records requests and answers from a script."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.scripts: dict[str, list[int]] = {}
        self.always: dict[str, int] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    script = receiver.scripts.get(self.path)
                    status = script.pop(0) if script else receiver.always.get(self.path, 200)
                if status == HOLD:
                    receiver.release.wait(30)
                    status = 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", self.path + "-moved")
                self.send_header("Content-Length", "2")
                self.end_headers()
                with contextlib.suppress(OSError):  # the sandbox may be gone after a HOLD
                    self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def got(self, path: str, where: Callable[[Received], bool] = lambda r: True) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path and where(r)]

    def wait(
        self,
        path: str,
        count: int = 1,
        timeout: float = 8.0,
        where: Callable[[Received], bool] = lambda r: True,
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.got(path, where)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} request(s) on {path}, got {len(self.got(path, where))}"
        )

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def subs(sandbox: Sandbox) -> Iterator[list[tuple[httpx.Client, str]]]:
    """Subscriptions a test made, deleted afterwards so they stop receiving events."""
    made: list[tuple[httpx.Client, str]] = []
    yield made
    for client, sub_id in made:
        client.delete(f"/api/v1/webhooks/{sub_id}")


def new_path() -> str:
    return f"/hook-{uuid.uuid4().hex[:12]}"


def subscribe(
    client: httpx.Client, url: str, events: list[str], made: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    r = client.post("/api/v1/webhooks", json={"url": url, "events": events, **extra})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    if made is not None:
        made.append((client, data["id"]))
    return data


def create_contact(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {
        "firstName": "Hook",
        "lastName": "Test",
        "email": f"hook.{uuid.uuid4().hex[:10]}@example.com",
        **fields,
    }
    r = client.post("/api/v1/contacts", json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verifies(req: Received, secret: str) -> bool:
    return hmac.compare_digest(req.headers["x-webhook-signature"], signature(secret, req.body))


def for_contact(contact_id: str) -> Callable[[Received], bool]:
    return lambda r: r.json()["data"].get("contactId") == contact_id


def deliveries(box: Sandbox, **params: str) -> list[dict[str, Any]]:
    return box.control("GET", "webhook-deliveries", params=params)


def error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return str(body["error"]["message"])


def wait_until(check: Callable[[], Any], timeout: float = 8.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


# -- delivery ------------------------------------------------------------------------------


def test_contact_created_is_delivered_signed(
    sandbox: Sandbox, receiver: Receiver, subs: list[Any]
) -> None:
    c = sandbox.client()
    path = new_path()
    sub = subscribe(c, receiver.url(path), ["contact.created"], subs, description="chatbot")
    assert set(sub) >= {
        "id",
        "url",
        "events",
        "description",
        "isActive",
        "createdAt",
        "updatedAt",
        "secret",
    }
    assert sub["secret"].startswith("whsec_") and len(sub["secret"]) >= 30
    assert sub["events"] == ["contact.created"] and sub["isActive"] is True
    first = create_contact(c, tags=["website-lead"])
    second = create_contact(c)
    [req] = receiver.wait(path, where=for_contact(first["id"]))
    [other] = receiver.wait(path, where=for_contact(second["id"]))

    assert req.headers["content-type"] == "application/json"
    assert req.headers["x-webhook-event"] == "contact.created"
    assert req.headers["user-agent"] == "Seedly-CRM-Webhook/1.0"
    assert (
        req.headers["x-webhook-delivery"]
        and req.headers["x-webhook-delivery"] != other.headers["x-webhook-delivery"]
    )
    assert verifies(req, sub["secret"]) and verifies(other, sub["secret"])
    assert not verifies(req, sub["secret"] + "x")
    payload = req.json()
    assert set(payload) == {"event", "timestamp", "data"}
    assert payload["event"] == "contact.created" and payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert data["subAccountId"] == sandbox.sub_ids[0]
    assert data["contactId"] == first["id"] and data["email"] == first["email"]
    assert data["tags"] == ["website-lead"]

    logged = wait_until(
        lambda: [
            d
            for d in deliveries(sandbox, subscriptionId=sub["id"], status="succeeded")
            if d["id"] == req.headers["x-webhook-delivery"]
        ]
    )[0]
    assert logged["event"] == "contact.created" and logged["subAccountId"] == sandbox.sub_ids[0]
    assert logged["payload"] == payload and logged["nextAttemptAt"] is None
    [attempt] = logged["attempts"]
    assert attempt["statusCode"] == 200 and attempt["error"] is None and attempt["durationMs"] >= 0
    listed = c.get(f"/api/v1/webhooks/{sub['id']}").json()["data"]
    assert listed["lastDeliveryStatus"] == "succeeded" and listed["lastDeliveryAt"]


def test_failed_delivery_is_retried_with_the_same_delivery_id(
    sandbox: Sandbox, receiver: Receiver, subs: list[Any]
) -> None:
    c = sandbox.client()
    path = new_path()
    receiver.scripts[path] = [500]  # first attempt fails, the retry succeeds
    sub = subscribe(c, receiver.url(path), ["contact.created"], subs)
    contact = create_contact(c)
    first, retry = receiver.wait(path, count=2, timeout=10, where=for_contact(contact["id"]))
    assert first.headers["x-webhook-delivery"] == retry.headers["x-webhook-delivery"]
    assert first.body == retry.body
    assert verifies(first, sub["secret"]) and verifies(retry, sub["secret"])
    assert 1.0 <= retry.at - first.at <= 6.0
    delivery_id = first.headers["x-webhook-delivery"]

    def settled() -> dict[str, Any] | None:
        found = [d for d in deliveries(sandbox, subscriptionId=sub["id"]) if d["id"] == delivery_id]
        return found[0] if found and found[0]["status"] == "succeeded" else None

    logged = wait_until(settled)
    assert [a["statusCode"] for a in logged["attempts"]] == [500, 200]
    assert "500" in logged["attempts"][0]["error"]
    assert len(receiver.got(path, for_contact(contact["id"]))) == 2


def test_regenerated_secret_signs_the_next_delivery(
    sandbox: Sandbox, receiver: Receiver, subs: list[Any]
) -> None:
    c = sandbox.client()
    path = new_path()
    sub = subscribe(c, receiver.url(path), ["contact.created"], subs)
    r = c.post(f"/api/v1/webhooks/{sub['id']}/regenerate-secret")
    assert r.status_code == 200, r.text
    assert set(r.json()["data"]) == {"secret"}
    new_secret = r.json()["data"]["secret"]
    assert new_secret.startswith("whsec_") and new_secret != sub["secret"]
    contact = create_contact(c)
    [req] = receiver.wait(path, where=for_contact(contact["id"]))
    assert verifies(req, new_secret)
    assert not verifies(req, sub["secret"])
    for text in (c.get("/api/v1/webhooks").text, c.get(f"/api/v1/webhooks/{sub['id']}").text):
        assert new_secret not in text and sub["secret"] not in text


def test_list_get_and_patch_never_show_the_secret(
    sandbox: Sandbox, receiver: Receiver, subs: list[Any]
) -> None:
    c = sandbox.client()
    sub = subscribe(c, receiver.url(new_path()), ["contact.created"], subs)
    listed = c.get("/api/v1/webhooks")
    assert listed.status_code == 200
    mine = [s for s in listed.json()["data"] if s["id"] == sub["id"]]
    assert len(mine) == 1 and "secret" not in mine[0]
    got = c.get(f"/api/v1/webhooks/{sub['id']}").json()["data"]
    assert "secret" not in got and got == mine[0]
    patched = c.patch(f"/api/v1/webhooks/{sub['id']}", json={"description": "renamed"})
    assert patched.status_code == 200 and "secret" not in patched.json()["data"]
    assert sub["secret"] not in listed.text + patched.text
    msg = error(
        c.patch(f"/api/v1/webhooks/{sub['id']}", json={"secret": "whsec_mine"}),
        400,
        "VALIDATION_ERROR",
    )
    assert "regenerate-secret" in msg


def test_patch_events_and_is_active_decide_what_is_queued(
    sandbox: Sandbox, receiver: Receiver, subs: list[Any]
) -> None:
    c = sandbox.client()
    path = new_path()
    sub = subscribe(c, receiver.url(path), ["contact.created"], subs)
    r = c.patch(
        f"/api/v1/webhooks/{sub['id']}", json={"events": ["contact.updated", "contact.tag_added"]}
    )
    assert r.status_code == 200 and r.json()["data"]["events"] == [
        "contact.updated",
        "contact.tag_added",
    ]
    contact = create_contact(c)
    # Deliveries are queued in the same transaction as the event, so the log is already final.
    assert deliveries(sandbox, subscriptionId=sub["id"]) == []
    assert c.patch(f"/api/v1/contacts/{contact['id']}", json={"tags": ["vip"]}).status_code == 200
    assert sorted(d["event"] for d in deliveries(sandbox, subscriptionId=sub["id"])) == [
        "contact.tag_added",
        "contact.updated",
    ]
    receiver.wait(path, count=2, where=for_contact(contact["id"]))

    r = c.patch(f"/api/v1/webhooks/{sub['id']}", json={"isActive": False})
    assert r.status_code == 200 and r.json()["data"]["isActive"] is False
    assert (
        c.patch(f"/api/v1/contacts/{contact['id']}", json={"company": "Paused Co"}).status_code
        == 200
    )
    assert len(deliveries(sandbox, subscriptionId=sub["id"])) == 2
    assert c.patch(f"/api/v1/webhooks/{sub['id']}", json={"isActive": True}).status_code == 200
    assert (
        c.patch(f"/api/v1/contacts/{contact['id']}", json={"company": "Live Co"}).status_code == 200
    )
    assert len(deliveries(sandbox, subscriptionId=sub["id"], event="contact.updated")) == 2
    error(
        c.patch(f"/api/v1/webhooks/{sub['id']}", json={"isActive": "no"}), 400, "VALIDATION_ERROR"
    )


def test_disabling_a_subscription_stops_its_retries(
    sandbox: Sandbox, receiver: Receiver, subs: list[Any]
) -> None:
    c = sandbox.client()
    path = new_path()
    receiver.always[path] = 503
    sub = subscribe(c, receiver.url(path), ["contact.created"], subs)
    contact = create_contact(c)
    receiver.wait(path, where=for_contact(contact["id"]))
    wait_until(lambda: [d for d in deliveries(sandbox, subscriptionId=sub["id"]) if d["attempts"]])
    assert c.patch(f"/api/v1/webhooks/{sub['id']}", json={"isActive": False}).status_code == 200
    [logged] = deliveries(sandbox, subscriptionId=sub["id"])
    assert logged["status"] == "failed" and logged["finalError"] == "subscription disabled"
    assert logged["nextAttemptAt"] is None
    time.sleep(3)  # longer than the first retry's back-off: it must not come
    assert len(receiver.got(path)) == 1


def test_delete_subscription(sandbox: Sandbox, receiver: Receiver) -> None:
    c = sandbox.client()
    sub = subscribe(c, receiver.url(new_path()), ["contact.created"])
    r = c.delete(f"/api/v1/webhooks/{sub['id']}")
    assert r.status_code == 200 and r.json()["data"] == {"id": sub["id"], "deleted": True}
    error(c.get(f"/api/v1/webhooks/{sub['id']}"), 404, "NOT_FOUND")
    error(c.delete(f"/api/v1/webhooks/{sub['id']}"), 404, "NOT_FOUND")
    error(c.post(f"/api/v1/webhooks/{sub['id']}/regenerate-secret"), 404, "NOT_FOUND")
    assert sub["id"] not in c.get("/api/v1/webhooks").text
    create_contact(c)
    assert deliveries(sandbox, subscriptionId=sub["id"]) == []


# -- validation ----------------------------------------------------------------------------


def test_event_names_are_validated(sandbox: Sandbox, receiver: Receiver, subs: list[Any]) -> None:
    c = sandbox.client()
    url = receiver.url(new_path())
    before = len(c.get("/api/v1/webhooks").json()["data"])
    msg = error(
        c.post(
            "/api/v1/webhooks", json={"url": url, "events": ["contact.created", "contact.create"]}
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert "contact.create" in msg and "events" in msg
    error(c.post("/api/v1/webhooks", json={"url": url, "events": []}), 400, "VALIDATION_ERROR")
    error(c.post("/api/v1/webhooks", json={"url": url}), 400, "VALIDATION_ERROR")
    error(
        c.post("/api/v1/webhooks", json={"url": url, "events": "contact.created"}),
        400,
        "VALIDATION_ERROR",
    )
    error(c.post("/api/v1/webhooks", json={"events": ["contact.created"]}), 400, "VALIDATION_ERROR")
    error(
        c.post(
            "/api/v1/webhooks", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert len(c.get("/api/v1/webhooks").json()["data"]) == before
    sub = subscribe(c, url, ["invoice.paid", "task.completed", "form.submitted"], subs)
    msg = error(
        c.patch(f"/api/v1/webhooks/{sub['id']}", json={"events": ["invoice.pay"]}),
        400,
        "VALIDATION_ERROR",
    )
    assert "invoice.pay" in msg
    error(c.patch(f"/api/v1/webhooks/{sub['id']}", json={"events": []}), 400, "VALIDATION_ERROR")
    assert c.get(f"/api/v1/webhooks/{sub['id']}").json()["data"]["events"] == [
        "invoice.paid",
        "task.completed",
        "form.submitted",
    ]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.1.1/hook", "private"),
        ("https://172.16.0.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://100.64.0.1/hook", "carrier-grade NAT"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://[fd00::1]/hook", "private"),
        ("https://localhost/hook", "loopback"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://0x7f000001/hook", "loopback"),
        ("https://2130706433/hook", "loopback"),
        ("http://127.0.0.2:8080/hook", "loopback"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("http://example.com/hook", "https"),
        ("ftp://example.com/hook", "https"),
        ("https://user:pw@example.com/hook", "credentials"),
    ],
)
def test_ssrf_targets_are_refused(sandbox: Sandbox, url: str, reason: str) -> None:
    c = sandbox.client()
    before = c.get("/api/v1/webhooks").json()["data"]
    r = c.post("/api/v1/webhooks", json={"url": url, "events": ["contact.created"]})
    msg = error(r, 400, "VALIDATION_ERROR")
    assert reason in msg, msg
    assert r.json()["error"].get("field") == "url"
    assert c.get("/api/v1/webhooks").json()["data"] == before


def test_patch_url_is_checked_too(sandbox: Sandbox, receiver: Receiver, subs: list[Any]) -> None:
    c = sandbox.client()
    sub = subscribe(c, receiver.url(new_path()), ["contact.created"], subs)
    msg = error(
        c.patch(f"/api/v1/webhooks/{sub['id']}", json={"url": "https://192.168.0.10/x"}),
        400,
        "VALIDATION_ERROR",
    )
    assert "private" in msg
    assert c.get(f"/api/v1/webhooks/{sub['id']}").json()["data"]["url"] == sub["url"]
    moved = receiver.url(new_path())
    r = c.patch(f"/api/v1/webhooks/{sub['id']}", json={"url": moved})
    assert r.status_code == 200 and r.json()["data"]["url"] == moved


def test_public_https_hosts_are_accepted(sandbox: Sandbox, subs: list[Any]) -> None:
    c = sandbox.client()
    # A public address, and a name that may not resolve here: both are accepted
    # (the delivery re-checks the address it actually connects to).
    # invoice.paid: nothing in this test fires it, so nothing is sent to these hosts.
    for url in (
        "https://93.184.215.14/hooks/seedly",
        "https://hooks.seedly-sandbox-test.invalid/x",
    ):
        sub = subscribe(c, url, ["invoice.paid"], subs)
        assert sub["url"] == url


def test_loopback_is_refused_without_the_flag(sandbox_factory: Any, receiver: Receiver) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    c = box.client()
    for url in (receiver.url("/x"), receiver.url("/x").replace("http:", "https:")):
        msg = error(
            c.post("/api/v1/webhooks", json={"url": url, "events": ["contact.created"]}),
            400,
            "VALIDATION_ERROR",
        )
        assert "loopback" in msg
    assert c.get("/api/v1/webhooks").json()["data"] == []


def test_redirects_are_not_followed(sandbox: Sandbox, receiver: Receiver, subs: list[Any]) -> None:
    c = sandbox.client()
    path = new_path()
    receiver.scripts[path] = [302]
    sub = subscribe(c, receiver.url(path), ["contact.created"], subs)
    contact = create_contact(c)
    receiver.wait(path, where=for_contact(contact["id"]))
    [logged] = wait_until(
        lambda: [d for d in deliveries(sandbox, subscriptionId=sub["id"]) if d["attempts"]]
    )
    assert logged["attempts"][0]["statusCode"] == 302
    assert "redirect" in logged["attempts"][0]["error"]
    assert logged["status"] == "pending" and logged["nextAttemptAt"]
    assert receiver.got(path + "-moved") == []


# -- scope and isolation ---------------------------------------------------------------------


def test_webhooks_need_the_manage_scope(sandbox: Sandbox) -> None:
    minted = sandbox.control(
        "POST",
        "keys",
        json={"subAccountId": sandbox.sub_ids[0], "scopes": ["contacts:read", "contacts:write"]},
    )
    c = sandbox.client(minted["key"])
    calls = [
        ("GET", "/api/v1/webhooks", None),
        (
            "POST",
            "/api/v1/webhooks",
            {"url": "https://93.184.215.14/x", "events": ["contact.created"]},
        ),
        ("GET", "/api/v1/webhooks/wh_x", None),
        ("PATCH", "/api/v1/webhooks/wh_x", {"isActive": False}),
        ("DELETE", "/api/v1/webhooks/wh_x", None),
        ("POST", "/api/v1/webhooks/wh_x/regenerate-secret", None),
    ]
    for method, path, body in calls:
        msg = error(c.request(method, path, json=body), 403, "FORBIDDEN")
        assert "webhooks:manage" in msg, (method, path)
    only = sandbox.control(
        "POST", "keys", json={"subAccountId": sandbox.sub_ids[0], "scopes": ["webhooks:manage"]}
    )
    assert sandbox.client(only["key"]).get("/api/v1/webhooks").status_code == 200


def test_sub_accounts_are_isolated(sandbox: Sandbox, receiver: Receiver, subs: list[Any]) -> None:
    a = sandbox.client()
    b = sandbox.client(sandbox.sub_key(1))
    agency_b = sandbox.client(sandbox.info["agency_key"], sub_account=sandbox.sub_ids[1])
    path = new_path()
    sub = subscribe(a, receiver.url(path), ["contact.created"], subs)
    for other in (b, agency_b):
        assert sub["id"] not in other.get("/api/v1/webhooks").text
        error(other.get(f"/api/v1/webhooks/{sub['id']}"), 404, "NOT_FOUND")
        error(
            other.patch(f"/api/v1/webhooks/{sub['id']}", json={"isActive": False}), 404, "NOT_FOUND"
        )
        error(other.post(f"/api/v1/webhooks/{sub['id']}/regenerate-secret"), 404, "NOT_FOUND")
        error(other.delete(f"/api/v1/webhooks/{sub['id']}"), 404, "NOT_FOUND")
    in_b = create_contact(b, customFields={"property_type": "Residential"})
    assert deliveries(sandbox, subscriptionId=sub["id"]) == []
    in_a = create_contact(a)
    [queued] = deliveries(sandbox, subscriptionId=sub["id"])
    assert queued["payload"]["data"]["contactId"] == in_a["id"]
    receiver.wait(path, where=for_contact(in_a["id"]))
    assert receiver.got(path, for_contact(in_b["id"])) == []
    assert a.get(f"/api/v1/webhooks/{sub['id']}").json()["data"]["isActive"] is True


# -- events without sandbox activity ---------------------------------------------------------


def test_emitted_invoice_paid_reaches_its_subscriber(
    sandbox: Sandbox, receiver: Receiver, subs: list[Any]
) -> None:
    c = sandbox.client()
    path = new_path()
    sub = subscribe(c, receiver.url(path), ["invoice.paid"], subs)
    invoice = f"inv_{uuid.uuid4().hex[:8]}"
    emitted = sandbox.control(
        "POST",
        "events/emit",
        json={
            "subAccountId": sandbox.sub_ids[0],
            "event": "invoice.paid",
            "data": {"invoiceId": invoice, "amount": 129.5, "currency": "USD"},
        },
    )
    assert emitted["event"] == "invoice.paid" and emitted["deliveries"] >= 1
    [req] = receiver.wait(path, where=lambda r: r.json()["data"].get("invoiceId") == invoice)
    assert req.headers["x-webhook-event"] == "invoice.paid"
    assert verifies(req, sub["secret"])
    assert req.json()["data"] == {
        "subAccountId": sandbox.sub_ids[0],
        "invoiceId": invoice,
        "amount": 129.5,
        "currency": "USD",
    }
    # Contact events do not go to an invoice-only subscription.
    create_contact(c)
    assert {d["event"] for d in deliveries(sandbox, subscriptionId=sub["id"])} == {"invoice.paid"}


def test_emit_validates_its_input(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.url) as c:
        r = c.post(
            "/_sandbox/events/emit",
            json={"subAccountId": sandbox.sub_ids[0], "event": "invoice.unpaid"},
        )
        assert "invoice.unpaid" in error(r, 400, "VALIDATION_ERROR")
        r = c.post(
            "/_sandbox/events/emit", json={"subAccountId": "sub_nope", "event": "task.created"}
        )
        error(r, 404, "NOT_FOUND")
        r = c.post(
            "/_sandbox/events/emit",
            json={
                "subAccountId": sandbox.sub_ids[0],
                "event": "task.created",
                "data": {"subAccountId": sandbox.sub_ids[1]},
            },
        )
        error(r, 400, "VALIDATION_ERROR")


# -- durability and the end of the retry schedule (private sandboxes) -----------------------


def test_pending_delivery_resumes_after_a_restart(
    sandbox_factory: Any, receiver: Receiver, tmp_path: Path
) -> None:
    data = tmp_path / "restart"
    box: Sandbox = sandbox_factory("--seed", "empty", "--allow-loopback-webhooks", data_dir=data)
    path = new_path()
    receiver.release.clear()
    receiver.scripts[path] = [HOLD]  # the first attempt hangs until the server is gone
    sub = subscribe(box.client(), receiver.url(path), ["contact.created"])
    contact = create_contact(box.client())
    [first] = receiver.wait(path)
    box.stop()
    receiver.release.set()
    again: Sandbox = sandbox_factory("--seed", "empty", "--allow-loopback-webhooks", data_dir=data)
    _, resumed = receiver.wait(path, count=2, timeout=10)
    assert resumed.headers["x-webhook-delivery"] == first.headers["x-webhook-delivery"]
    assert resumed.json()["data"]["contactId"] == contact["id"]
    assert verifies(resumed, sub["secret"])
    logged = wait_until(lambda: deliveries(again, subscriptionId=sub["id"], status="succeeded"))
    assert logged[0]["id"] == first.headers["x-webhook-delivery"]


def test_retries_back_off_then_the_delivery_fails(sandbox_factory: Any, receiver: Receiver) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", "--allow-loopback-webhooks")
    path = new_path()
    receiver.always[path] = 500
    c = box.client()
    sub = subscribe(c, receiver.url(path), ["contact.created"])
    create_contact(c)
    delays: list[float] = []
    for attempt in range(1, 7):
        receiver.wait(path, count=attempt, timeout=8)
        logged = wait_until(
            lambda n=attempt: [
                d for d in deliveries(box, subscriptionId=sub["id"]) if len(d["attempts"]) == n
            ]
        )[0]
        if attempt < 6:
            assert logged["status"] == "pending"
            last = logged["attempts"][-1]["at"]
            delays.append(_ms(logged["nextAttemptAt"]) - _ms(last))
            # Move sandbox time past the back-off instead of waiting for it.
            box.control("POST", "clock/advance", json={"ms": int(delays[-1]) + 1000})
    assert logged["status"] == "failed" and logged["nextAttemptAt"] is None
    assert "6 attempts" in logged["finalError"]
    assert len(logged["attempts"]) == 6 and all(a["statusCode"] == 500 for a in logged["attempts"])
    assert 1000 <= delays[0] <= 5000
    assert delays == sorted(delays) and len(set(delays)) == 5
    ids = {r.headers["x-webhook-delivery"] for r in receiver.got(path)}
    assert len(ids) == 1
    assert c.get(f"/api/v1/webhooks/{sub['id']}").json()["data"]["lastDeliveryStatus"] == "failed"


def _ms(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000
