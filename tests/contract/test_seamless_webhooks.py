"""Seamless research webhooks over real HTTP, delivered to a receiver on 127.0.0.1: the
secret header, the full record as body, types, retries, the delivery log, SSRF rules."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: Any


class Receiver:
    """Records POSTs; answers each path from a script of statuses (then 200, or ``always``)."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.scripts: dict[str, list[int]] = {}
        self.always: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.hits.append(
                        Hit(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            json.loads(body),
                        )
                    )
                    script = receiver.scripts.get(self.path)
                    status = script.pop(0) if script else receiver.always.get(self.path, 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def got(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def wait(self, path: str, count: int, timeout: float = 8.0) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.got(path)) >= count:
                return self.got(path)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} deliveries on {path}, got {len(self.got(path))}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def org_user(box: Sandbox, credits: int = 100) -> dict[str, str]:
    """A user in an organisation of its own, so other tests' research never reaches its hooks."""
    return box.control("POST", "seamless/users", json={"credits": credits, "newOrg": True})  # type: ignore[no-any-return]


def hook(box: Sandbox, url: str, org_id: str, **kw: Any) -> dict[str, Any]:
    return box.control("POST", "seamless/webhooks", json={"url": url, "orgId": org_id, **kw})  # type: ignore[no-any-return]


def done_ids(box: Sandbox, n: int, offset: int, kind: str = "contacts") -> list[str]:
    found = box.control(
        "GET",
        "seamless/outcomes",
        params={"type": kind, "status": "done", "limit": n, "offset": offset},
    )
    return [o["searchResultId"] for o in found]


def advance(box: Sandbox, ms: int) -> None:
    box.control("POST", "clock/advance", json={"ms": ms})


def deliveries(box: Sandbox, webhook_id: str) -> list[dict[str, Any]]:
    return box.control("GET", "seamless/webhook-deliveries", params={"webhookId": webhook_id})  # type: ignore[no-any-return]


def settle_log(
    box: Sandbox, webhook_id: str, count: int, timeout: float = 5.0
) -> list[dict[str, Any]]:
    """The log once ``count`` deliveries have stopped being in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = deliveries(box, webhook_id)
        if len(log) >= count and all(d["status"] != "pending" or d["attempts"] for d in log):
            return log
        time.sleep(0.05)
    return deliveries(box, webhook_id)


def test_research_results_are_pushed_with_the_secret(sandbox: Sandbox, receiver: Receiver) -> None:
    user = org_user(sandbox)
    sub = hook(sandbox, receiver.url("/all"), user["orgId"], secret="s3cret-value")
    assert (
        sub["types"] == ["contact-researched", "company-researched"]
        and sub["secret"] == "s3cret-value"
    )
    c = sandbox.seamless(user["key"])
    missing = sandbox.control("GET", "seamless/outcomes", params={"status": "missing", "limit": 1})[
        0
    ]
    contact_ids = c.post(
        "/contacts/research",
        json={"searchResultIds": [*done_ids(sandbox, 2, 700), missing["searchResultId"]]},
    ).json()["requestIds"]
    company_ids = c.post(
        "/companies/research", json={"searchResultIds": done_ids(sandbox, 1, 40, "companies")}
    ).json()["requestIds"]
    advance(sandbox, 5_000)
    hits = receiver.wait("/all", 3)
    time.sleep(0.3)
    assert len(receiver.got("/all")) == 3  # nothing for the 'missing' one
    contacts = {
        i["requestId"]: i
        for i in c.get(
            "/contacts/research/poll", params={"requestIds": ",".join(contact_ids)}
        ).json()["data"]
    }
    company = c.get("/companies/research/poll", params={"requestIds": company_ids[0]}).json()[
        "data"
    ][0]
    for hit in hits:
        assert hit.headers["x-seamless-webhook-secret"] == "s3cret-value"
        assert hit.headers["content-type"] == "application/json"
        if hit.headers["x-seamless-webhook-type"] == "contact-researched":
            assert hit.body == contacts[hit.body["apiResearchId"]]["contact"]  # the full record
        else:
            assert hit.headers["x-seamless-webhook-type"] == "company-researched"
            assert hit.body == company["company"]
    assert sorted(h.headers["x-seamless-webhook-type"] for h in hits) == [
        "company-researched",
        "contact-researched",
        "contact-researched",
    ]
    log = settle_log(sandbox, sub["id"], 3)
    assert [d["status"] for d in log] == ["succeeded"] * 3
    assert all(len(d["attempts"]) == 1 and d["attempts"][0]["statusCode"] == 200 for d in log)
    # Duplicates make no new record, so they send nothing.
    c.post("/contacts/research", json={"searchResultIds": done_ids(sandbox, 2, 700)})
    advance(sandbox, 5_000)
    time.sleep(0.5)
    assert len(receiver.got("/all")) == 3


def test_subscriptions_choose_their_types_and_organisation(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    user = org_user(sandbox)
    companies_only = hook(
        sandbox, receiver.url("/companies-only"), user["orgId"], types=["company-researched"]
    )
    stranger = org_user(sandbox)
    c = sandbox.seamless(user["key"])
    c.post("/contacts/research", json={"searchResultIds": done_ids(sandbox, 1, 720)})
    c.post("/companies/research", json={"searchResultIds": done_ids(sandbox, 1, 45, "companies")})
    sandbox.seamless(stranger["key"]).post(
        "/companies/research", json={"searchResultIds": done_ids(sandbox, 1, 46, "companies")}
    )
    advance(sandbox, 5_000)
    receiver.wait("/companies-only", 1)
    time.sleep(0.4)
    hits = receiver.got("/companies-only")
    assert [h.headers["x-seamless-webhook-type"] for h in hits] == ["company-researched"]
    assert hits[0].headers["x-seamless-webhook-secret"] == companies_only["secret"]  # generated
    assert companies_only["secret"].startswith("slwh_") and len(companies_only["secret"]) > 20
    listed = sandbox.control("GET", "seamless/webhooks")
    assert companies_only["id"] in [w["id"] for w in listed]
    sandbox.control("DELETE", f"seamless/webhooks/{companies_only['id']}")
    c.post("/companies/research", json={"searchResultIds": done_ids(sandbox, 1, 47, "companies")})
    advance(sandbox, 5_000)
    time.sleep(0.5)
    assert len(receiver.got("/companies-only")) == 1
    assert companies_only["id"] not in [
        w["id"] for w in sandbox.control("GET", "seamless/webhooks")
    ]


def test_failed_deliveries_are_retried_then_given_up(sandbox: Sandbox, receiver: Receiver) -> None:
    user = org_user(sandbox)
    flaky = hook(sandbox, receiver.url("/flaky"), user["orgId"], types=["contact-researched"])
    receiver.scripts["/flaky"] = [500, 503]
    c = sandbox.seamless(user["key"])
    c.post("/contacts/research", json={"searchResultIds": done_ids(sandbox, 1, 740)})
    advance(sandbox, 5_000)
    receiver.wait("/flaky", 1)
    advance(sandbox, 2_100)  # first retry after 2 s
    receiver.wait("/flaky", 2)
    advance(sandbox, 10_100)  # second after 10 s more
    hits = receiver.wait("/flaky", 3)
    assert len({h.headers["x-seamless-delivery-id"] for h in hits}) == 1  # one delivery, retried
    assert hits[0].body == hits[2].body
    log = settle_log(sandbox, flaky["id"], 1)
    deadline = time.monotonic() + 5
    while log[0]["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
        log = deliveries(sandbox, flaky["id"])
    assert log[0]["status"] == "succeeded"
    assert [a["statusCode"] for a in log[0]["attempts"]] == [500, 503, 200]

    broken = hook(sandbox, receiver.url("/broken"), user["orgId"], types=["contact-researched"])
    receiver.always["/broken"] = 500
    c.post("/contacts/research", json={"searchResultIds": done_ids(sandbox, 1, 760)})
    advance(sandbox, 5_000)
    for count, wait_ms in ((1, 2_100), (2, 10_100), (3, 30_100)):
        receiver.wait("/broken", count)
        time.sleep(0.1)
        advance(sandbox, wait_ms)
    receiver.wait("/broken", 4)
    deadline = time.monotonic() + 5
    log = deliveries(sandbox, broken["id"])
    while log[0]["status"] != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
        log = deliveries(sandbox, broken["id"])
    assert log[0]["status"] == "failed" and len(log[0]["attempts"]) == 4
    assert "4 attempts" in log[0]["finalError"]
    advance(sandbox, 120_000)
    time.sleep(0.4)
    assert len(receiver.got("/broken")) == 4  # no fifth attempt


def test_webhook_targets_follow_the_ssrf_rules(sandbox: Sandbox) -> None:
    user = org_user(sandbox)
    for url in (
        "http://10.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://169.254.169.254/latest",
        "https://127.0.0.2/hook",
        "ftp://127.0.0.1/hook",
    ):
        r = httpx.post(
            f"{sandbox.url}/_sandbox/seamless/webhooks", json={"url": url, "orgId": user["orgId"]}
        )
        assert r.status_code == 400, (url, r.text)
    r = httpx.post(
        f"{sandbox.url}/_sandbox/seamless/webhooks",
        json={"url": "http://127.0.0.1:9/x", "types": ["contact-updated"], "orgId": user["orgId"]},
    )
    assert r.status_code == 400
