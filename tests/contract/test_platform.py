"""The sandbox as a whole: CLI contract, auth and key states, envelope, headers, limits, faults."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(180)


def error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


# -- the CLI contract ---------------------------------------------------------------------


def test_ready_line_has_every_documented_key(sandbox: Sandbox) -> None:
    info = sandbox.info
    assert info["seedly_url"].startswith("http://127.0.0.1:")
    assert info["agency_key"].startswith("sk_agency_test_")
    assert len(info["subaccounts"]) >= 2
    for sub in info["subaccounts"]:
        assert set(sub) == {"id", "name", "key"} and sub["key"].startswith("sk_test_")
    for name in ("readonly_key", "revoked_key", "expired_key"):
        assert info[name].startswith("sk_test_")
    keys = [
        info["agency_key"],
        info["readonly_key"],
        info["revoked_key"],
        info["expired_key"],
        *(s["key"] for s in info["subaccounts"]),
    ]
    assert len(set(keys)) == len(keys)


def test_stdout_is_one_json_line_and_sigterm_stops_cleanly(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    assert box.proc.poll() is None
    assert box.stop() == 0
    assert box.proc.stdout is not None
    assert box.proc.stdout.read() == ""  # nothing after the ready line


def test_restart_on_same_data_keeps_everything(sandbox_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "keep"
    first: Sandbox = sandbox_factory("--seed", "empty", data_dir=data)
    c = first.client()
    made = c.post("/api/v1/contacts", json={"firstName": "Keep", "lastName": "Me"}).json()["data"]
    info = first.info
    first.stop()
    second: Sandbox = sandbox_factory("--seed", "demo", data_dir=data)  # no reseed on restart
    assert second.info["agency_key"] == info["agency_key"]
    c2 = second.client()
    assert c2.get(f"/api/v1/contacts/{made['id']}").json()["data"]["firstName"] == "Keep"
    assert c2.get("/api/v1/contacts").json()["meta"]["total"] == 1


def test_empty_seed_has_accounts_and_keys_but_no_contacts(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    r = box.client().get("/api/v1/contacts")
    assert r.status_code == 200 and r.json()["data"] == [] and r.json()["meta"]["total"] == 0


def test_cli_rejects_bad_flags() -> None:
    for args in (
        ["--faults", "2"],
        ["--port", "70000"],
        ["--seed", "huge"],
        ["--rate-limit-read", "0"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "app", "sandbox", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, args
        assert proc.stdout == ""
        assert "error" in proc.stderr


# -- authentication and keys -------------------------------------------------------------


def test_missing_and_unknown_keys(sandbox: Sandbox) -> None:
    anon = sandbox.client(key="")
    msg = error(anon.get("/api/v1/contacts"), 401, "UNAUTHORIZED")
    assert "Authorization" in msg
    error(sandbox.client(key="sk_test_nope").get("/api/v1/contacts"), 401, "UNAUTHORIZED")
    r = httpx.get(f"{sandbox.url}/api/v1/contacts", headers={"Authorization": "Basic abc"})
    error(r, 401, "UNAUTHORIZED")


def test_revoked_and_expired_keys(sandbox: Sandbox) -> None:
    error(sandbox.client(sandbox.info["revoked_key"]).get("/api/v1/contacts"), 401, "KEY_REVOKED")
    error(sandbox.client(sandbox.info["expired_key"]).get("/api/v1/contacts"), 401, "KEY_EXPIRED")


def test_revocation_is_immediate(sandbox: Sandbox) -> None:
    minted = sandbox.control("POST", "keys", json={"subAccountId": sandbox.sub_ids[0]})
    c = sandbox.client(minted["key"])
    assert c.get("/api/v1/contacts?limit=1").status_code == 200
    sandbox.control("POST", "keys/revoke", json={"key": minted["key"]})
    error(c.get("/api/v1/contacts?limit=1"), 401, "KEY_REVOKED")


def test_scope_errors_name_the_missing_scope(sandbox: Sandbox) -> None:
    ro = sandbox.client(sandbox.info["readonly_key"])
    assert ro.get("/api/v1/contacts?limit=1").status_code == 200
    msg = error(
        ro.post("/api/v1/contacts", json={"firstName": "a", "lastName": "b"}), 403, "FORBIDDEN"
    )
    assert "contacts:write" in msg
    assert "webhooks:manage" in error(ro.get("/api/v1/webhooks"), 403, "FORBIDDEN")


def test_agency_key_needs_the_sub_account_header(sandbox: Sandbox) -> None:
    agency = sandbox.client(sandbox.info["agency_key"])
    msg = error(agency.get("/api/v1/contacts"), 400, "VALIDATION_ERROR")
    assert msg == "X-Sub-Account-Id header is required for agency-scoped API keys"
    error(
        agency.get("/api/v1/contacts", headers={"X-Sub-Account-Id": "sub_other_agency"}),
        403,
        "FORBIDDEN",
    )
    ok = agency.get("/api/v1/contacts?limit=1", headers={"X-Sub-Account-Id": sandbox.sub_ids[1]})
    assert ok.status_code == 200


def test_sub_accounts_endpoint_is_agency_only(sandbox: Sandbox) -> None:
    r = sandbox.client(sandbox.info["agency_key"]).get("/api/v1/sub-accounts")
    assert r.status_code == 200
    assert r.json()["data"] == [
        {"id": s["id"], "name": s["name"]} for s in sandbox.info["subaccounts"]
    ]
    error(sandbox.client().get("/api/v1/sub-accounts"), 403, "FORBIDDEN")


# -- envelope, headers, malformed requests ------------------------------------------------


def test_every_response_carries_version_and_rate_headers(sandbox: Sandbox) -> None:
    c = sandbox.client()
    for r in (
        c.get("/api/v1/contacts?limit=1"),
        c.get("/api/v1/nothing-here"),
        sandbox.client(key="").get("/api/v1/contacts"),
        c.post("/api/v1/contacts", content=b"{oops"),
    ):
        assert r.headers["X-API-Version"] == "v1"
        for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert r.headers[h].isdigit(), (h, r.headers)
        assert r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("method", "path", "content", "status"),
    [
        ("POST", "/api/v1/contacts", b"{not json", 400),
        ("POST", "/api/v1/contacts", b"[1, 2]", 400),
        ("POST", "/api/v1/contacts", b"\xff\xfe", 400),
        ("POST", "/api/v1/contacts", b'"text"', 400),
        ("PATCH", "/api/v1/contacts/contact_x", b"null", 404),
        ("GET", "/api/v1/no/such/path", None, 404),
        ("PUT", "/api/v1/contacts", b"{}", 405),
        ("POST", "/api/v1/contacts", b'{"firstName": "' + b"a" * 1_100_000 + b'"}', 413),
    ],
)
def test_malformed_requests_get_the_envelope(
    sandbox: Sandbox, method: str, path: str, content: bytes | None, status: int
) -> None:
    r = sandbox.client().request(method, path, content=content)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message"}
    assert body["error"]["code"] in ("VALIDATION_ERROR", "NOT_FOUND")
    assert "Traceback" not in r.text


# -- rate limits --------------------------------------------------------------------------


def test_read_and_write_budgets_are_separate_and_429_has_retry_after(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory(
        "--seed", "empty", "--rate-limit-read", "5", "--rate-limit-write", "3"
    )
    c = box.client()
    remaining = [int(c.get("/api/v1/contacts").headers["X-RateLimit-Remaining"]) for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    r = c.get("/api/v1/contacts")
    error(r, 429, "RATE_LIMITED")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert int(r.headers["X-RateLimit-Reset"]) >= int(time.time())
    # Writes have their own budget.
    w = c.post("/api/v1/contacts", json={"firstName": "a", "lastName": "b"})
    assert w.status_code == 201 and w.headers["X-RateLimit-Limit"] == "3"
    # Budgets are per key: another key is unaffected.
    other = box.client(box.sub_key(1))
    assert other.get("/api/v1/contacts").status_code == 200
    # A refused request changes nothing.
    for _ in range(2):
        c.post("/api/v1/contacts", json={"firstName": "a", "lastName": "b"})
    refused = c.post("/api/v1/contacts", json={"firstName": "late", "lastName": "b"})
    error(refused, 429, "RATE_LIMITED")
    box.control("POST", "rate-limits/reset")
    assert c.get("/api/v1/contacts", params={"search": "late"}).json()["data"] == []


def test_public_endpoints_are_limited_per_endpoint(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    statuses = Counter(
        httpx.post(f"{box.url}/webhooks/workflow/no-such-flow", json={}).status_code
        for _ in range(62)
    )
    assert statuses[429] == 2 and statuses[404] == 60


# -- faults ---------------------------------------------------------------------------------


def test_faults_at_runtime(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    box.control(
        "PUT",
        "faults",
        json={
            "rate": 1.0,
            "kinds": {
                "error_500": 1,
                "drop_before": 0,
                "drop_after": 0,
                "timeout_after": 0,
                "slow": 0,
                "rate_limited": 0,
            },
        },
    )
    c = box.client()
    error(c.get("/api/v1/contacts"), 500, "INTERNAL_ERROR")
    # A dropped connection after the work was done: the client sees a protocol error,
    # and the contact exists anyway (the case a client must reconcile).
    box.control("PUT", "faults", json={"kinds": {"error_500": 0, "drop_after": 1}})
    with pytest.raises(httpx.TransportError):
        c.post("/api/v1/contacts", json={"firstName": "Ghost", "lastName": "Write"})
    box.control("PUT", "faults", json={"kinds": {"drop_after": 0, "rate_limited": 1}})
    r = c.get("/api/v1/contacts")
    error(r, 429, "RATE_LIMITED")
    assert r.headers["Retry-After"] == "1"
    box.control("PUT", "faults", json={"rate": 0})
    found = c.get("/api/v1/contacts", params={"search": "ghost"}).json()["data"]
    assert [x["firstName"] for x in found] == ["Ghost"]
    stats = box.control("GET", "stats")
    assert stats["fault.error_500"] == 1 and stats["fault.drop_after"] == 1
    assert stats["fault.rate_limited"] == 1 and stats["faults"] == 3
    # Control endpoints are never faulted.
    error(httpx.put(f"{box.url}/_sandbox/faults", json={"rate": 3}), 400, "VALIDATION_ERROR")


def test_fault_flag_applies_from_start(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", "--faults", "0.5")
    assert box.control("GET", "faults")["rate"] == 0.5
    box.control("PUT", "faults", json={"kinds": {"timeout_after": 0, "slow": 0}})
    outcomes = Counter()
    c = box.client(timeout=5)
    for _ in range(60):
        try:
            outcomes[c.get("/api/v1/contacts").status_code] += 1
        except httpx.TransportError:
            outcomes["dropped"] += 1
    assert outcomes[200] >= 10 and sum(v for k, v in outcomes.items() if k != 200) >= 10
    assert box.control("GET", "stats")["faults"] == 60 - outcomes[200]


def test_ready_line_is_json_parsable_by_tools(sandbox: Sandbox) -> None:
    assert json.loads(json.dumps(sandbox.info)) == sandbox.info
