"""``SeamlessClient`` against ``httpx.MockTransport``: auth headers (key and OAuth), token
refresh before expiry and once on an expired-token 401, nextToken paging, one rate budget
per endpoint, 429 waits, Seamless's error shapes as typed errors, the credits header of
every answer, and research/search POSTs never repeated when their outcome is unknown.

No test sleeps: every wait goes to a ``FakeClock``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.api.seamless import (
    REFRESH_MARGIN,
    CreditsReading,
    OAuth,
    OAuthApp,
    OAuthTokens,
    SeamlessClient,
    seamless_bucket,
)
from app.core.errors import ValidationFailed
from app.core.seamless import company_research, company_search, contact_research, contact_search
from app.core.seamless_errors import (
    InsufficientCredits,
    MissingLicense,
    SeamlessInvalidResponse,
    SeamlessNetworkError,
    SeamlessOutcomeUnknown,
    SeamlessRateLimited,
    SeamlessServerError,
    SeamlessTokenExpired,
    SeamlessUnauthorized,
)
from tests.unit.api.fakes import START_EPOCH, FakeClock

pytestmark = [pytest.mark.timeout(10), pytest.mark.asyncio]

BASE = "https://seamless.test/api/client/v1"
KEY = "sl-key-0123456789abcdef"
APP = OAuthApp("client-1", "client-secret-xyz", "https://app.example/callback")

Handler = Callable[[httpx.Request], httpx.Response]


def reply(
    status: int = 200, body: Any = None, *, credits: int | None = 1000, **headers: str
) -> httpx.Response:
    all_headers = {"content-type": "application/json", **headers}
    if credits is not None:
        all_headers["X-PublicAPI-Credits"] = str(credits)
    return httpx.Response(status, headers=all_headers, content=json.dumps(body or {}).encode())


class Server:
    """Records requests; answers with ``handler`` (default: 200 with an empty object)."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler or (lambda request: reply(200, {}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/api/client/v1')}" for r in self.requests]


def make_client(
    server: Server, *, clock: FakeClock | None = None, **kwargs: Any
) -> tuple[SeamlessClient, FakeClock]:
    clock = clock or FakeClock()
    if "oauth" not in kwargs:
        kwargs.setdefault("api_key", KEY)
    client = SeamlessClient(
        BASE,
        http_transport=httpx.MockTransport(server),
        sleep=clock.sleep,
        clock=clock.time,
        monotonic=clock.monotonic,
        **kwargs,
    )
    return client, clock


def search_body(ids: list[str], token: str | None = None) -> dict[str, Any]:
    return {
        "data": [{"searchResultId": i, "name": f"Person {i}"} for i in ids],
        "supplementalData": {"isMore": token is not None, "total": 99, "nextToken": token},
    }


# -- auth ---------------------------------------------------------------------------------------


async def test_persistent_key_goes_in_the_token_header() -> None:
    server = Server(lambda r: reply(200, search_body(["a"])))
    client, _ = make_client(server)
    await client.search_contacts(jobTitle=["CEO"])
    request = server.requests[0]
    assert request.headers["Token"] == KEY and "Authorization" not in request.headers
    assert request.url.path == "/api/client/v1/search/contacts"
    assert json.loads(request.content) == {"jobTitle": ["CEO"]}
    assert request.extensions.get("http_version", b"HTTP/1.1") != b"HTTP/2"
    client.set_api_key("sl-key-new")
    await client.search_contacts()
    assert server.requests[1].headers["Token"] == "sl-key-new"
    await client.aclose()


async def test_exactly_one_auth_method() -> None:
    with pytest.raises(ValueError):
        SeamlessClient(BASE)
    with pytest.raises(ValueError):
        SeamlessClient(BASE, api_key=KEY, oauth=OAuth(APP))
    with pytest.raises(ValueError):
        SeamlessClient(BASE, api_key="  ")


def token_answer(access: str, refresh: str, expires_at: float) -> dict[str, Any]:
    return {"access_token": access, "refresh_token": refresh, "expires_at": expires_at}


async def test_oauth_sign_in_then_bearer_and_new_tokens_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/accessToken"):
            return reply(200, token_answer("at-1", "rt-1", START_EPOCH + 3600), credits=None)
        return reply(200, search_body([]))

    server = Server(handler)
    client, _ = make_client(server, oauth=OAuth(APP))
    seen: list[OAuthTokens] = []
    client.on_tokens(seen.append)
    tokens = await client.sign_in("auth-code-9")
    assert tokens.access_token == "at-1" and seen == [tokens]
    assert server.bodies()[0] == {
        "client_id": "client-1",
        "client_secret": "client-secret-xyz",
        "redirect_uri": "https://app.example/callback",
        "grant_type": "authorization_code",
        "code": "auth-code-9",
    }
    await client.search_contacts()
    assert server.requests[1].headers["Authorization"] == "Bearer at-1"
    assert "Token" not in server.requests[1].headers
    assert "rt-1" not in repr(tokens) and "client-secret" not in repr(APP)
    await client.aclose()


async def test_oauth_token_is_refreshed_before_it_expires() -> None:
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/accessToken"):
            return reply(200, token_answer("at-2", "rt-2", clock.time() + 3600), credits=None)
        return reply(200, search_body([]))

    server = Server(handler)
    tokens = OAuthTokens("at-1", "rt-1", START_EPOCH + REFRESH_MARGIN + 100)
    client, _ = make_client(server, clock=clock, oauth=OAuth(APP, tokens))
    await client.search_contacts()
    assert server.paths() == ["POST /search/contacts"]  # still fresh
    clock.advance(150)  # now within the margin before expires_at
    await client.search_contacts()
    assert server.paths()[1:] == ["POST /oauth/accessToken", "POST /search/contacts"]
    assert server.bodies()[1]["grant_type"] == "refresh_token"
    assert server.bodies()[1]["refresh_token"] == "rt-1"
    assert server.requests[2].headers["Authorization"] == "Bearer at-2"
    assert client.tokens is not None and client.tokens.refresh_token == "rt-2"
    await client.aclose()


async def test_oauth_refreshes_once_on_an_expired_token_401_and_resends() -> None:
    state = {"refreshed": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/accessToken"):
            state["refreshed"] = True
            # No new refresh token in the answer: the old one is kept.
            return reply(200, {"access_token": "at-2", "expires_at": START_EPOCH + 7200})
        if request.headers["Authorization"] == "Bearer at-1":
            return reply(401, {"message": "Token expired"}, credits=None)
        return reply(202, {"success": True, "requestIds": ["r1"]})

    server = Server(handler)
    client, _ = make_client(server, oauth=OAuth(APP, OAuthTokens("at-1", "rt-1", None)))
    accepted = await client.research_contacts(contact_research(["sr1"]))
    assert accepted.request_ids == ["r1"]
    assert server.paths() == [
        "POST /contacts/research",
        "POST /oauth/accessToken",
        "POST /contacts/research",
    ]
    assert client.tokens is not None and client.tokens.refresh_token == "rt-1"
    await client.aclose()


async def test_a_second_expired_401_is_raised_not_looped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/accessToken"):
            return reply(200, token_answer("at-2", "rt-2", START_EPOCH + 7200))
        return reply(401, {"message": "jwt expired"})

    server = Server(handler)
    client, _ = make_client(server, oauth=OAuth(APP, OAuthTokens("at-1", "rt-1", None)))
    with pytest.raises(SeamlessTokenExpired) as caught:
        await client.search_contacts()
    assert len(server.requests) == 3  # request, refresh, request again: then it stops
    assert "Sign in to Seamless.AI again" in caught.value.user_message
    await client.aclose()


async def test_a_plain_401_does_not_refresh() -> None:
    server = Server(lambda r: reply(401, {"message": "Invalid token"}))
    client, _ = make_client(server, oauth=OAuth(APP, OAuthTokens("at-1", "rt-1", None)))
    with pytest.raises(SeamlessUnauthorized) as caught:
        await client.search_contacts()
    assert not isinstance(caught.value, SeamlessTokenExpired)
    assert server.paths() == ["POST /search/contacts"]
    await client.aclose()


# -- paging --------------------------------------------------------------------------------------


async def test_search_pages_follow_next_token() -> None:
    pages = {None: (["a", "b"], "t1"), "t1": (["c"], "t2"), "t2": (["d"], None)}

    def handler(request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content).get("nextToken")
        ids, nxt = pages[token]
        return reply(200, search_body(ids, nxt))

    server = Server(handler)
    client, _ = make_client(server)
    query = contact_search(seniority=["VP"], limit=2)
    names = [r.search_result_id async for r in client.iter_contacts(query)]
    assert names == ["a", "b", "c", "d"]
    assert [b.get("nextToken") for b in server.bodies()] == [None, "t1", "t2"]
    assert all(b["seniority"] == ["VP"] and b["limit"] == 2 for b in server.bodies())
    limited = [p async for p in client.iter_contact_pages(query, max_pages=1)]
    assert len(limited) == 1
    await client.aclose()


async def test_a_repeated_cursor_stops_paging() -> None:
    server = Server(lambda r: reply(200, search_body(["x"], "same")))
    client, _ = make_client(server)
    pages = [p async for p in client.iter_company_pages(company_search())]
    assert len(pages) == 2 and len(server.requests) == 2
    await client.aclose()


async def test_org_contacts_pages_by_number() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        data = [{"contactId": f"c{page}-{i}"} for i in range(2 if page < 3 else 1)]
        return reply(200, {"data": data})

    server = Server(handler)
    client, _ = make_client(server)
    ids = [
        c.contact_id async for c in client.iter_org_contacts("2026-01-01", "2026-01-31", limit=2)
    ]
    assert ids == ["c1-0", "c1-1", "c2-0", "c2-1", "c3-0"]
    params = server.requests[0].url.params
    assert (params["startDate"], params["endDate"], params["page"], params["limit"]) == (
        "2026-01-01",
        "2026-01-31",
        "1",
        "2",
    )
    with pytest.raises(ValidationFailed):
        await client.org_contacts("2026-01-01", "2026-01-02", limit=501)
    await client.aclose()


async def test_poll_sends_comma_separated_ids_one_to_a_hundred() -> None:
    server = Server(
        lambda r: reply(200, {"success": True, "data": [{"requestId": "r1", "status": "done"}]})
    )
    client, _ = make_client(server)
    items = await client.poll_contacts(["r1", "r2", "r1"])
    assert items[0].request_id == "r1"
    assert server.requests[0].url.params["requestIds"] == "r1,r2"
    assert server.requests[0].url.path.endswith("/contacts/research/poll")
    await client.poll_companies(["k1"])
    assert server.requests[1].url.path.endswith("/companies/research/poll")
    for bad in ([], [f"r{i}" for i in range(101)]):
        with pytest.raises(ValidationFailed):
            await client.poll_contacts(bad)
    assert len(server.requests) == 2
    await client.aclose()


# -- rate limits ---------------------------------------------------------------------------------


async def test_one_budget_per_endpoint() -> None:
    assert seamless_bucket("POST", "/search/contacts") != seamless_bucket(
        "POST", "/contacts/research"
    )
    assert seamless_bucket("get", "/contacts/research/poll?requestIds=a") == (
        "GET /contacts/research/poll"
    )


async def test_pacing_is_per_endpoint() -> None:
    clock = FakeClock()
    reset = str(int(START_EPOCH + 30))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/search/contacts"):
            return reply(
                200,
                search_body([]),
                **{
                    "X-RateLimit-Limit": "60",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                },
            )
        return reply(
            200,
            {"data": []},
            **{
                "X-RateLimit-Limit": "60",
                "X-RateLimit-Remaining": "59",
                "X-RateLimit-Reset": reset,
            },
        )

    server = Server(handler)
    client, _ = make_client(server, clock=clock)
    await client.search_contacts()
    await client.poll_contacts(["r1"])  # another endpoint: its own budget, no wait
    assert clock.slept == 0
    await client.search_contacts()  # this endpoint's window is used up: wait for the reset
    assert 29.9 < clock.slept < 31
    await client.aclose()


async def test_429_waits_for_the_reset_then_retries() -> None:
    clock = FakeClock()
    answers = iter(
        [
            reply(
                429,
                {"message": "Too many requests"},
                credits=50,
                **{
                    "X-RateLimit-Limit": "60",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(int(START_EPOCH + 12)),
                },
            ),
            reply(202, {"success": True, "requestIds": ["r1"]}, credits=49),
        ]
    )
    server = Server(lambda r: next(answers))
    client, _ = make_client(server, clock=clock)
    readings: list[CreditsReading] = []
    client.on_credits(readings.append)
    accepted = await client.research_contacts(contact_research(["sr1"]))
    assert accepted.request_ids == ["r1"] and len(server.requests) == 2
    assert 11.9 < clock.slept < 13  # a refused request did nothing: safe to send again
    assert [r.balance for r in readings] == [50, 49] and readings[0].status == 429
    await client.aclose()


async def test_429s_that_do_not_end_become_a_typed_error() -> None:
    server = Server(
        lambda r: reply(
            429, {"message": "slow down"}, **{"X-RateLimit-Reset": str(int(START_EPOCH + 5))}
        )
    )
    client, clock = make_client(server)
    with pytest.raises(SeamlessRateLimited) as caught:
        await client.search_contacts()
    assert caught.value.status == 429 and len(server.requests) == 6  # 5 waits, then give up
    assert "Try again in" in caught.value.user_message
    await client.aclose()


# -- errors and credits ----------------------------------------------------------------------------


async def test_error_shapes_through_the_client() -> None:
    answers = {
        "/search/contacts": reply(401, {"message": "Invalid API key"}, credits=None),
        "/search/companies": reply(
            422,
            {
                "msg": "Insufficient credits",
                "code": "insufficientCredits",
                "data": {"productCategory": "universal", "additionalCreditsNeeded": 12},
            },
            credits=3,
        ),
        "/contacts/research": reply(
            422, {"msg": "No API license", "code": "missingLicense", "data": {}}
        ),
        "/companies/research": reply(500, {"message": "Internal error"}),
    }
    server = Server(lambda r: answers[r.url.path.removeprefix("/api/client/v1")])
    client, _ = make_client(server)
    with pytest.raises(SeamlessUnauthorized):
        await client.search_contacts()
    with pytest.raises(InsufficientCredits) as short:
        await client.search_companies()
    assert short.value.additional_credits_needed == 12 and short.value.credits == 3
    assert client.credits is not None and client.credits.balance == 3  # read from the error too
    with pytest.raises(MissingLicense):
        await client.research_contacts(contact_research(["a"]))
    with pytest.raises(SeamlessServerError):
        await client.research_companies(company_research(["c"]))
    # a POST answered 500 is not repeated (the research may have started)
    assert server.paths().count("POST /companies/research") == 1
    await client.aclose()


async def test_an_answer_that_is_not_json_is_a_typed_error() -> None:
    server = Server(lambda r: httpx.Response(200, content=b"<html>maintenance</html>"))
    client, _ = make_client(server)
    with pytest.raises(SeamlessInvalidResponse) as caught:
        await client.search_contacts()
    assert "Seamless.AI sent" in caught.value.user_message
    await client.aclose()


async def test_credits_header_of_every_answer_is_reported() -> None:
    balances = iter([900, 890])
    server = Server(lambda r: reply(200, search_body(["a"]), credits=next(balances)))
    client, clock = make_client(server)
    readings: list[CreditsReading] = []
    unsubscribe = client.on_credits(readings.append)
    await client.search_contacts()
    clock.advance(5)
    await client.search_contacts()
    assert [(r.balance, r.path, r.method) for r in readings] == [
        (900, "/api/client/v1/search/contacts", "POST"),
        (890, "/api/client/v1/search/contacts", "POST"),
    ]
    assert readings[1].at == START_EPOCH + 5 and client.credits == readings[1]
    unsubscribe()
    assert client.requests_sent == 2
    await client.aclose()


# -- unknown outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
async def test_research_post_is_never_resent_when_its_outcome_is_unknown(
    failure: type[Exception],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure("lost", request=request)

    server = Server(handler)
    client, _ = make_client(server)
    with pytest.raises(SeamlessOutcomeUnknown) as caught:
        await client.research_contacts(contact_research(["sr1", "sr2"]))
    assert len(server.requests) == 1
    assert caught.value.needs_reconcile and "may have been accepted" in caught.value.user_message
    with pytest.raises(SeamlessOutcomeUnknown):
        await client.search_contacts()  # search spends credits too
    assert len(server.requests) == 2
    await client.aclose()


async def test_a_post_that_never_left_is_retried_and_polls_are_retried() -> None:
    attempts = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise httpx.ConnectError("refused", request=request)  # certainly not sent
        if attempts["n"] == 3:
            raise httpx.ReadTimeout("slow", request=request)  # a GET: safe to repeat
        if request.method == "POST":
            return reply(202, {"success": True, "requestIds": ["r1"]})
        return reply(200, {"success": True, "data": [{"requestId": "r1", "status": "done"}]})

    server = Server(handler)
    client, _ = make_client(server)
    await client.research_contacts(contact_research(["sr1"]))
    assert server.paths() == ["POST /contacts/research", "POST /contacts/research"]
    items = await client.poll_contacts(["r1"])
    assert items[0].status == "done" and len(server.requests) == 4
    await client.aclose()


async def test_unreachable_is_a_network_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = make_client(Server(handler))
    with pytest.raises(SeamlessNetworkError) as caught:
        await client.poll_contacts(["r1"])
    assert "could not be reached" in caught.value.user_message
    await client.aclose()


async def test_secrets_never_reach_logs_or_messages(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/accessToken"):
            return reply(200, token_answer("at-very-secret", "rt-very-secret", START_EPOCH + 3600))
        return reply(401, {"message": "Invalid token"})

    client, _ = make_client(Server(handler), oauth=OAuth(APP))
    await client.sign_in("code-1")
    with pytest.raises(SeamlessUnauthorized) as caught:
        await client.search_contacts()
    text = caplog.text + str(caught.value) + caught.value.user_message + repr(client.tokens)
    for secret in ("at-very-secret", "rt-very-secret", "client-secret-xyz", KEY):
        assert secret not in text
    await client.aclose()
