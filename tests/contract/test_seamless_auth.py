"""Seamless auth and limits over real HTTP: Token vs Bearer, OAuth (code, refresh, expiry),
the per-organisation per-endpoint rate limit, headers on every answer, restart.

These tests move sandbox time by hours and change the rate limit, so they run on a
sandbox of their own (started with ``--seamless-rate-limit 5``)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.sandbox.seamless.oauth import DEMO_CLIENT
from tests.support.sandbox_process import Sandbox, start_sandbox

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("seamless-auth"), "--seamless-rate-limit", "5")
    # The flag sets the limit every answer reports.
    r = sandbox.seamless().get(
        "/contacts", params={"startDate": "2000-01-01", "endDate": "2000-01-02"}
    )
    assert r.headers["X-RateLimit-Limit"] == "5", r.headers
    yield sandbox
    sandbox.stop()


def limit(box: Sandbox, n: int) -> None:
    box.control("PUT", "seamless/rate-limit", json={"limit": n})
    box.control("POST", "seamless/rate-limits/reset")


@pytest.fixture
def open_limits(box: Sandbox) -> Sandbox:
    limit(box, 1_000_000)
    return box


def mint(box: Sandbox, credits: int = 1000, **kw: Any) -> dict[str, str]:
    return box.control("POST", "seamless/users", json={"credits": credits, **kw})  # type: ignore[no-any-return]


def sandbox_now_s(box: Sandbox) -> float:
    return time.time() + box.control("GET", "health")["clockOffsetMs"] / 1000


def token_request(box: Sandbox, **body: Any) -> httpx.Response:
    return httpx.post(f"{box.seamless_url}/oauth/accessToken", json=body, timeout=30)


def code_for(box: Sandbox, **kw: Any) -> str:
    return str(box.control("POST", "seamless/oauth/authorize", json=kw)["code"])


def exchange(
    box: Sandbox, code: str, redirect_uri: str = DEMO_CLIENT["redirect_uri"]
) -> dict[str, Any]:
    r = token_request(
        box,
        client_id=DEMO_CLIENT["client_id"],
        client_secret=DEMO_CLIENT["client_secret"],
        redirect_uri=redirect_uri,
        grant_type="authorization_code",
        code=code,
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def refresh(box: Sandbox, refresh_token: str) -> httpx.Response:
    return token_request(
        box,
        client_id=DEMO_CLIENT["client_id"],
        client_secret=DEMO_CLIENT["client_secret"],
        grant_type="refresh_token",
        refresh_token=refresh_token,
    )


def cheap(c: httpx.Client) -> httpx.Response:
    """A free request (an empty date range of researched records)."""
    return c.get("/contacts", params={"startDate": "2000-01-01", "endDate": "2000-01-02"})


def unauthorized(r: httpx.Response) -> str:
    assert r.status_code == 401, r.text
    assert set(r.json()) == {"message"} and r.json()["message"]
    assert "X-RateLimit-Limit" in r.headers and "X-PublicAPI-Credits" not in r.headers
    return str(r.json()["message"])


# -- rate limit ----------------------------------------------------------------------------


def test_rate_limit_is_per_organisation_and_endpoint(box: Sandbox) -> None:
    limit(box, 5)
    alice = mint(box, 100, newOrg=True)
    colleague = mint(box, 100, orgId=alice["orgId"])
    stranger = mint(box, 100, newOrg=True)
    a = box.seamless(alice["key"])
    seen = []
    for _ in range(5):
        r = a.post("/search/companies", json={"limit": 1})
        assert r.status_code == 200
        seen.append(int(r.headers["X-RateLimit-Remaining"]))
    assert seen == [4, 3, 2, 1, 0]
    now = sandbox_now_s(box)
    over = a.post("/search/companies", json={"limit": 1})
    assert over.status_code == 429
    assert over.json()["code"] == "rateLimitExceeded" and over.json()["message"]
    assert over.headers["X-RateLimit-Limit"] == "5" and over.headers["X-RateLimit-Remaining"] == "0"
    reset = int(over.headers["X-RateLimit-Reset"])
    assert now < reset <= math.ceil(now) + 61
    assert "Retry-After" not in over.headers  # docs/api/seamless.md, "Rate limits & errors"
    assert over.headers["X-PublicAPI-Credits"] == "95"  # refused requests are free
    # Same organisation, same endpoint: the same budget. Other endpoints and organisations: their own.
    assert (
        box.seamless(colleague["key"]).post("/search/companies", json={"limit": 1}).status_code
        == 429
    )
    assert cheap(a).status_code == 200
    assert (
        box.seamless(stranger["key"]).post("/search/companies", json={"limit": 1}).status_code
        == 200
    )
    box.control("POST", "clock/advance", json={"ms": 61_000})
    again = a.post("/search/companies", json={"limit": 1})
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "4"
    # Raising the limit at run time (tests and tools) takes effect at once.
    box.control("PUT", "seamless/rate-limit", json={"limit": 50})
    assert a.post("/search/companies", json={"limit": 1}).headers["X-RateLimit-Limit"] == "50"


def test_requests_without_an_organisation_count_per_client(box: Sandbox) -> None:
    limit(box, 5)
    anon = box.seamless("")
    answers = [anon.post("/search/contacts", json={}).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    assert (
        box.seamless(mint(box, 10, newOrg=True)["key"])
        .post("/search/contacts", json={"limit": 1})
        .status_code
        == 200
    )


# -- keys and tokens -------------------------------------------------------------------------


def test_token_header_and_bearer_tokens(open_limits: Sandbox) -> None:
    box = open_limits
    assert cheap(box.seamless()).status_code == 200
    unauthorized(cheap(box.seamless("slk_test_nope")))
    unauthorized(cheap(box.seamless("")))
    assert "Token" in unauthorized(
        cheap(box.seamless(bearer=box.seamless_key))
    )  # a key is no token
    r = httpx.get(
        f"{box.seamless_url}/contacts",
        params={"startDate": "2000-01-01", "endDate": "2000-01-02"},
        headers={"Authorization": f"Token {box.seamless_key}"},
    )
    assert "'Token: <key>'" in unauthorized(r)
    minted = mint(box, 10)
    c = box.seamless(minted["key"])
    assert cheap(c).status_code == 200
    box.control("POST", "seamless/keys/revoke", json={"key": minted["key"]})
    assert "revoked" in unauthorized(cheap(c))
    # With a Token header present, the key alone decides.
    access = exchange(box, code_for(box))["access_token"]
    both = httpx.get(
        f"{box.seamless_url}/contacts",
        params={"startDate": "2000-01-01", "endDate": "2000-01-02"},
        headers={"Token": "slk_test_wrong", "Authorization": f"Bearer {access}"},
    )
    unauthorized(both)


def test_oauth_authorization_code_flow(open_limits: Sandbox) -> None:
    box = open_limits
    code = code_for(box)
    tokens = exchange(box, code)
    assert set(tokens) >= {"access_token", "refresh_token", "expires_at"}
    assert tokens["token_type"] == "Bearer"
    assert abs(tokens["expires_at"] - (sandbox_now_s(box) + 3600)) < 30
    bearer = box.seamless(bearer=tokens["access_token"])
    r = bearer.post("/search/contacts", json={"limit": 1})
    assert r.status_code == 200
    owner = box.control("GET", "seamless/credits", params={"key": box.seamless_key})
    assert r.headers["X-PublicAPI-Credits"] == str(owner["credits"])  # the demo user's balance
    # A code works once; replaying it revokes what it issued.
    replay = token_request(
        box,
        client_id=DEMO_CLIENT["client_id"],
        client_secret=DEMO_CLIENT["client_secret"],
        redirect_uri=DEMO_CLIENT["redirect_uri"],
        grant_type="authorization_code",
        code=code,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "revoked" in unauthorized(cheap(bearer))


def test_refresh_tokens_rotate(open_limits: Sandbox) -> None:
    box = open_limits
    user = mint(box, 77)
    first = exchange(box, code_for(box, key=user["key"]))
    assert (
        box.seamless(bearer=first["access_token"])
        .get("/contacts", params={"startDate": "2000-01-01", "endDate": "2000-01-02"})
        .headers["X-PublicAPI-Credits"]
        == "77"
    )
    r = refresh(box, first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert cheap(box.seamless(bearer=second["access_token"])).status_code == 200
    unauthorized(cheap(box.seamless(bearer=first["access_token"])))
    stale = refresh(box, first["refresh_token"])
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"


def test_access_tokens_and_codes_expire_in_sandbox_time(open_limits: Sandbox) -> None:
    box = open_limits
    tokens = exchange(box, code_for(box))
    waiting_code = code_for(box)
    c = box.seamless(bearer=tokens["access_token"])
    assert cheap(c).status_code == 200
    box.control("POST", "clock/advance", json={"ms": 3_601_000})
    assert "expired" in unauthorized(cheap(c)).lower()
    r = refresh(box, tokens["refresh_token"])
    assert r.status_code == 200
    assert abs(r.json()["expires_at"] - (sandbox_now_s(box) + 3600)) < 30
    assert cheap(box.seamless(bearer=r.json()["access_token"])).status_code == 200
    late = token_request(
        box,
        client_id=DEMO_CLIENT["client_id"],
        client_secret=DEMO_CLIENT["client_secret"],
        redirect_uri=DEMO_CLIENT["redirect_uri"],
        grant_type="authorization_code",
        code=waiting_code,
    )
    assert late.status_code == 400 and "expired" in late.json()["message"]


def test_token_endpoint_errors(open_limits: Sandbox) -> None:
    box = open_limits
    good = {
        "client_id": DEMO_CLIENT["client_id"],
        "client_secret": DEMO_CLIENT["client_secret"],
        "redirect_uri": DEMO_CLIENT["redirect_uri"],
        "grant_type": "authorization_code",
    }
    for body, status, error in (
        ({**good, "client_secret": "wrong", "code": "x"}, 401, "invalid_client"),
        ({**good, "client_id": "someone-else", "code": "x"}, 401, "invalid_client"),
        ({**good, "grant_type": "", "code": "x"}, 400, "invalid_request"),
        ({**good, "grant_type": "password", "code": "x"}, 400, "unsupported_grant_type"),
        ({**good, "code": "slc_unknown"}, 400, "invalid_grant"),
        (good, 400, "invalid_request"),
        (
            {**good, "code": code_for(box), "redirect_uri": "https://evil.example/cb"},
            400,
            "invalid_grant",
        ),
        ({**good, "grant_type": "refresh_token"}, 400, "invalid_request"),
    ):
        r = token_request(box, **body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"] == error and r.json()["message"], body
    r = httpx.post(f"{box.seamless_url}/oauth/accessToken", content=b"{oops")
    assert r.status_code == 400 and r.json()["message"]
    assert token_request(box, **good, code="x", scope="all").status_code == 400
    # OAuth's usual form encoding works too; a loopback redirect may use any port (RFC 8252).
    other_port = "http://127.0.0.1:41234/oauth/callback"
    code = code_for(box, redirectUri=other_port)
    r = httpx.post(
        f"{box.seamless_url}/oauth/accessToken",
        data={**good, "redirect_uri": other_port, "code": code},
    )
    assert r.status_code == 200 and r.json()["access_token"]


def test_authorize_redirects_like_an_approved_consent_screen(open_limits: Sandbox) -> None:
    box = open_limits
    url = box.info["seamless_oauth"]["authorize_url"]
    r = httpx.get(
        url,
        params={
            "client_id": DEMO_CLIENT["client_id"],
            "redirect_uri": DEMO_CLIENT["redirect_uri"],
            "state": "xyz",
            "response_type": "code",
        },
    )
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == DEMO_CLIENT["redirect_uri"]
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    assert exchange(box, query["code"][0])["access_token"]
    bad = httpx.get(
        url, params={"client_id": DEMO_CLIENT["client_id"], "redirect_uri": "https://evil.example/"}
    )
    assert bad.status_code == 400


# -- headers, faults, paging expiry, restart ---------------------------------------------------


def test_headers_on_every_answer(open_limits: Sandbox) -> None:
    box = open_limits
    user = mint(box, 3)
    c = box.seamless(user["key"])
    answers = {
        200: c.post("/search/companies", json={"limit": 1}),
        400: c.post("/search/companies", json={"limit": 0}),
        404: c.get("/no/such/path"),
        405: c.put("/search/companies", json={}),
        413: c.post("/search/companies", content=b"x" * 1_000_001),
        422: c.post("/search/companies", json={"limit": 50}),
    }
    for status, r in answers.items():
        assert r.status_code == status, (status, r.text)
        assert r.headers["content-type"].startswith("application/json")
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert name in r.headers, (status, name)
        assert int(r.headers["X-RateLimit-Reset"]) > time.time() - 5
    for status in (200, 400, 422):
        assert answers[status].headers["X-PublicAPI-Credits"] == "2", status


def test_injected_faults_keep_the_seamless_shapes(open_limits: Sandbox) -> None:
    box = open_limits
    box.control(
        "PUT",
        "faults",
        json={
            "rate": 1.0,
            "kinds": {
                k: 0 for k in ("drop_before", "drop_after", "timeout_after", "slow", "rate_limited")
            }
            | {"error_500": 1},
        },
    )
    try:
        r = box.seamless().post("/search/contacts", json={})
        assert r.status_code == 500 and set(r.json()) == {"message"}
    finally:
        box.control("PUT", "faults", json={"rate": 0.0})
    assert box.seamless().post("/search/contacts", json={"limit": 1}).status_code == 200


def test_next_tokens_expire_after_a_day(open_limits: Sandbox) -> None:
    box = open_limits
    c = box.seamless()
    token = c.post("/search/contacts", json={"limit": 1}).json()["supplementalData"]["nextToken"]
    assert c.post("/search/contacts", json={"nextToken": token}).status_code == 200
    box.control("POST", "clock/advance", json={"ms": 24 * 3600 * 1000 + 1000})
    r = c.post("/search/contacts", json={"nextToken": token})
    assert r.status_code == 400 and r.json()["field"] == "nextToken"


def test_restart_keeps_keys_records_and_the_same_database(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    data = tmp_path / "keep"
    first: Sandbox = sandbox_factory("--seed", "empty", data_dir=data)
    c = first.seamless()
    page = c.post("/search/contacts", json={"industry": ["Banking"], "limit": 20}).json()
    ids = [i["searchResultId"] for i in page["data"]]
    requests = c.post("/contacts/research", json={"searchResultIds": ids[:2]}).json()["requestIds"]
    first.control("POST", "clock/advance", json={"ms": 5_000})
    done = c.get("/contacts/research/poll", params={"requestIds": ",".join(requests)}).json()[
        "data"
    ]
    credits = c.get(
        "/contacts", params={"startDate": "2000-01-01", "endDate": "2100-01-01"}
    ).headers["X-PublicAPI-Credits"]
    info = first.info
    first.stop()
    second: Sandbox = sandbox_factory(data_dir=data)
    assert {
        k: v
        for k, v in second.info.items()
        if k in ("seamless_key", "seamless_low_credit_key", "seamless_unlicensed_key")
    } == {
        k: v
        for k, v in info.items()
        if k in ("seamless_key", "seamless_low_credit_key", "seamless_unlicensed_key")
    }
    c2 = second.seamless()
    again = c2.post("/search/contacts", json={"industry": ["Banking"], "limit": 20}).json()

    def same(items: list[dict[str, Any]]) -> list[tuple[str, ...]]:
        return [(i["searchResultId"], i["name"], i["company"], i["lastModifiedAt"]) for i in items]

    assert same(again["data"]) == same(page["data"])  # the same database
    polled = c2.get("/contacts/research/poll", params={"requestIds": ",".join(requests)}).json()[
        "data"
    ]
    assert [p["status"] for p in polled] == [d["status"] for d in done]
    assert [p.get("contact") for p in polled] == [d.get("contact") for d in done]
    listed = c2.get("/contacts", params={"startDate": "2000-01-01", "endDate": "2100-01-01"})
    assert len(listed.json()["data"]) == sum(d["status"] == "done" for d in done)
    assert int(listed.headers["X-PublicAPI-Credits"]) == int(credits) - 2  # the search above
