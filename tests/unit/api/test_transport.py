"""``Transport`` against ``httpx.MockTransport``: retries and back-off, the POST rule
(never repeated once it may have been sent), 429 waits, typed errors, pacing from
``X-RateLimit-*``, and what every request carries (auth, agency header, timeouts, HTTP/1.1).

No test sleeps: every wait goes to a ``FakeClock`` that records it and moves time."""

from __future__ import annotations

import asyncio
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from app.api.seedly import SeedlyClient
from app.api.transport import RetryPolicy, Timeouts, Transport
from app.core.errors import (
    ApiError,
    Forbidden,
    KeyExpired,
    KeyRevoked,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RequestTimeout,
    ServerError,
    Unauthorized,
    ValidationFailed,
)
from tests.unit.api.fakes import BASE, FakeClock, Script, make_transport

pytestmark = pytest.mark.timeout(10)

AGENCY_KEY = "sk_agency_test_abcdefghijklmnop"
SUB_KEY = "sk_test_abcdefghijklmnopqrst"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


# -- retries of idempotent requests -------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_get_is_retried_on_server_errors_then_succeeds(status: int) -> None:
    server = Script(status, status, 200)
    transport, clock = make_transport(server)
    response = await transport.request("GET", "/api/v1/contacts")
    assert response.status_code == 200
    assert server.calls == 3
    assert clock.sleeps == [0.5, 1.0]  # base 0.5 s, doubling (jitter pinned to its top)
    await transport.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_get_gives_up_after_the_bounded_attempts_with_growing_back_off(status: int) -> None:
    server = Script(status)
    transport, clock = make_transport(server)
    with pytest.raises(ServerError) as caught:
        await transport.request("GET", "/api/v1/contacts")
    assert caught.value.status == status
    assert server.calls == RetryPolicy().attempts == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    await transport.aclose()


@pytest.mark.asyncio
async def test_back_off_is_capped_and_jittered_below_its_ceiling() -> None:
    server = Script(503)
    transport, clock = make_transport(
        server, retry=RetryPolicy(attempts=7, base_delay=1.0, max_delay=3.0)
    )
    with pytest.raises(ServerError):
        await transport.request("GET", "/x")
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0, 3.0, 3.0]
    # With real randomness every wait lies in [half, all] of its ceiling.
    real = Transport(
        BASE,
        transport=httpx.MockTransport(Script(503)),
        sleep=clock.sleep,
        clock=clock.time,
        monotonic=clock.monotonic,
        retry=RetryPolicy(attempts=6, base_delay=1.0, max_delay=8.0),
    )
    clock.sleeps.clear()
    with pytest.raises(ServerError):
        await real.request("GET", "/x")
    for waited, ceiling in zip(clock.sleeps, [1.0, 2.0, 4.0, 8.0, 8.0], strict=True):
        assert ceiling / 2 <= waited <= ceiling
    await transport.aclose()
    await real.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError,
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
    ],
)
async def test_get_is_retried_on_network_failures_then_succeeds(failure: type[Exception]) -> None:
    server = Script(failure, failure, 200)
    transport, clock = make_transport(server)
    response = await transport.request("GET", "/api/v1/contacts")
    assert response.status_code == 200 and server.calls == 3
    assert clock.sleeps == [0.5, 1.0]
    await transport.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ConnectError, NetworkError),
        (httpx.RemoteProtocolError, NetworkError),
        (httpx.ReadTimeout, RequestTimeout),
        (httpx.ConnectTimeout, RequestTimeout),
        (httpx.PoolTimeout, RequestTimeout),
    ],
)
async def test_get_network_failures_end_in_their_typed_error(
    failure: type[Exception], expected: type[ApiError]
) -> None:
    server = Script(failure)
    transport, clock = make_transport(server)
    with pytest.raises(expected) as caught:
        await transport.request("GET", "/api/v1/contacts")
    assert type(caught.value) is expected
    assert caught.value.is_network_failure and not caught.value.needs_reconcile
    assert server.calls == 4 and clock.sleeps == [0.5, 1.0, 2.0]
    await transport.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["PATCH", "DELETE", "PUT"])
async def test_other_idempotent_methods_are_retried_after_sending(method: str) -> None:
    server = Script(httpx.ReadTimeout, 503, 200)
    transport, _ = make_transport(server)
    assert (await transport.request(method, "/api/v1/contacts/c1", json_body={})).status_code == 200
    assert server.calls == 3
    await transport.aclose()


# -- the POST rule -----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.WriteTimeout,
        httpx.WriteError,
    ],
)
async def test_post_whose_outcome_is_unknown_is_never_repeated(failure: type[Exception]) -> None:
    server = Script(failure, 201)
    transport, clock = make_transport(server)
    with pytest.raises(OutcomeUnknown) as caught:
        await transport.request(
            "POST", "/api/v1/conversations/c1/messages", json_body={"bodyText": "hi"}
        )
    assert server.calls == 1 and clock.sleeps == []
    assert caught.value.needs_reconcile
    # Code that retries network errors must not catch it as one.
    assert not isinstance(caught.value, NetworkError)
    await transport.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 503])
async def test_post_server_error_is_raised_not_retried(status: int) -> None:
    server = Script(status, 201)
    transport, clock = make_transport(server)
    with pytest.raises(ServerError) as caught:
        await transport.request("POST", "/api/v1/contacts", json_body={"firstName": "a"})
    assert caught.value.status == status
    assert server.calls == 1 and clock.sleeps == []
    await transport.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_post_that_never_left_is_retried(failure: type[Exception]) -> None:
    server = Script(failure, 201)
    transport, clock = make_transport(server)
    response = await transport.request("POST", "/api/v1/contacts", json_body={"firstName": "a"})
    assert response.status_code == 201 and server.calls == 2 and clock.sleeps == [0.5]
    # The same body went out both times.
    assert server.requests[0].content == server.requests[1].content == b'{"firstName": "a"}'
    await transport.aclose()


@pytest.mark.asyncio
async def test_post_that_never_left_ends_in_network_error_not_outcome_unknown() -> None:
    server = Script(httpx.ConnectError)
    transport, _ = make_transport(server)
    with pytest.raises(NetworkError) as caught:
        await transport.request("POST", "/api/v1/contacts", json_body={})
    assert not caught.value.needs_reconcile and server.calls == 4
    await transport.aclose()


@pytest.mark.asyncio
async def test_idempotence_can_be_declared_per_call() -> None:
    server = Script(httpx.ReadTimeout, 200)
    transport, _ = make_transport(server)
    await transport.request("POST", "/api/v1/conversations", json_body={}, idempotent=True)
    assert server.calls == 2
    server = Script(httpx.ReadTimeout, 200)
    transport2, _ = make_transport(server)
    with pytest.raises(OutcomeUnknown):
        await transport2.request("PATCH", "/x", json_body={}, idempotent=False)
    assert server.calls == 1
    await transport.aclose()
    await transport2.aclose()


# -- 429 ---------------------------------------------------------------------------------------


def limited(headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
    return 429, headers, error_body("RATE_LIMITED", "Rate limit exceeded.")


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_429_waits_retry_after_seconds_then_succeeds(method: str) -> None:
    server = Script(limited({"Retry-After": "7"}), 200)
    transport, clock = make_transport(server)
    response = await transport.request(method, "/api/v1/contacts", json_body={"a": 1})
    assert response.status_code == 200 and server.calls == 2
    assert clock.slept == pytest.approx(7.0, abs=0.1)
    await transport.aclose()


@pytest.mark.asyncio
async def test_429_waits_an_http_date_retry_after() -> None:
    clock = FakeClock()
    date = formatdate(clock.time() + 30, usegmt=True)
    server = Script(limited({"Retry-After": date}), 200)
    transport, _ = make_transport(server, clock)
    assert (await transport.request("GET", "/api/v1/contacts")).status_code == 200
    assert clock.slept == pytest.approx(30.0, abs=0.1)
    await transport.aclose()


@pytest.mark.asyncio
async def test_429_without_retry_after_waits_until_the_reset() -> None:
    clock = FakeClock()
    reset = str(int(clock.time()) + 12)
    server = Script(
        limited(
            {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
        ),
        200,
    )
    transport, _ = make_transport(server, clock)
    assert (await transport.request("GET", "/api/v1/contacts")).status_code == 200
    assert clock.slept == pytest.approx(12.0, abs=0.1)
    await transport.aclose()


@pytest.mark.asyncio
async def test_429_wait_is_capped_even_when_the_reset_is_far() -> None:
    clock = FakeClock()
    far = str(int(clock.time()) + 100_000)
    server = Script(
        limited(
            {
                "Retry-After": "100000",
                "X-RateLimit-Limit": "10",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": far,
            }
        ),
        200,
    )
    retry = RetryPolicy(max_retry_after=30.0)
    transport, _ = make_transport(server, clock, retry=retry)
    assert (await transport.request("GET", "/api/v1/contacts")).status_code == 200
    # One capped wait, not the cap followed by pacing until the announced reset.
    assert clock.slept == pytest.approx(30.0, abs=0.1)
    await transport.aclose()


@pytest.mark.asyncio
async def test_a_refused_request_is_not_counted_as_an_attempt() -> None:
    server = Script(
        limited({"Retry-After": "1"}),
        limited({"Retry-After": "1"}),
        500,
        limited({"Retry-After": "1"}),
        200,
    )
    transport, _ = make_transport(server, retry=RetryPolicy(attempts=2))
    assert (await transport.request("GET", "/api/v1/contacts")).status_code == 200
    assert server.calls == 5
    await transport.aclose()


@pytest.mark.asyncio
async def test_429s_beyond_the_tolerated_number_raise_rate_limited() -> None:
    server = Script(limited({"Retry-After": "3"}))
    transport, clock = make_transport(server, retry=RetryPolicy(rate_limit_waits=2))
    with pytest.raises(RateLimited) as caught:
        await transport.request("GET", "/api/v1/contacts")
    assert caught.value.retry_after == 3.0 and caught.value.status == 429
    assert server.calls == 3 and clock.slept == pytest.approx(6.0, abs=0.2)
    await transport.aclose()


@pytest.mark.asyncio
async def test_waits_hold_a_monotonic_deadline_when_sleep_wakes_early() -> None:
    clock = FakeClock(early=0.3)
    server = Script(limited({"Retry-After": "8"}), 200)
    transport, _ = make_transport(server, clock)
    await transport.request("GET", "/api/v1/contacts")
    assert len(clock.sleeps) > 1  # woke early and went back to sleep
    assert clock.slept == pytest.approx(8.0, abs=0.1)  # and still waited the whole time
    await transport.aclose()


# -- error mapping -----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "body", "expected", "attrs"),
    [
        (401, error_body("UNAUTHORIZED", "Missing or invalid API key."), Unauthorized, {}),
        (401, error_body("KEY_EXPIRED", "API key has expired"), KeyExpired, {}),
        (401, error_body("KEY_REVOKED", "API key was revoked"), KeyRevoked, {}),
        (
            403,
            error_body(
                "FORBIDDEN",
                "API key missing required scope: contacts:write. Update "
                "key permissions in Settings > Integrations > API Keys.",
            ),
            Forbidden,
            {"scope": "contacts:write"},
        ),
        (
            400,
            error_body("VALIDATION_ERROR", "email is not a valid email address", field="email"),
            ValidationFailed,
            {"field": "email"},
        ),
        (
            404,
            error_body("NOT_FOUND", "Contact not found"),
            NotFound,
            {"message": "Contact not found"},
        ),
    ],
)
async def test_error_codes_map_to_typed_errors_without_retries(
    status: int, body: dict[str, Any], expected: type[ApiError], attrs: dict[str, Any]
) -> None:
    server = Script((status, {}, body))
    transport, clock = make_transport(server)
    with pytest.raises(expected) as caught:
        await transport.request("GET", "/api/v1/contacts/c1")
    assert type(caught.value) is expected
    assert caught.value.status == status and caught.value.code == body["error"]["code"]
    for name, value in attrs.items():
        assert getattr(caught.value, name) == value
    assert server.calls == 1 and clock.sleeps == []
    await transport.aclose()


@pytest.mark.asyncio
async def test_auth_failures_are_all_unauthorized() -> None:
    for code in ("UNAUTHORIZED", "KEY_EXPIRED", "KEY_REVOKED"):
        transport, _ = make_transport(Script((401, {}, error_body(code, "no"))))
        with pytest.raises(Unauthorized) as caught:
            await transport.request("GET", "/api/v1/contacts")
        assert caught.value.is_auth_failure
        await transport.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "body", "expected", "message"),
    [
        (
            502,
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            ServerError,
            "HTTP 502 Bad Gateway",
        ),
        (500, b"upstream exploded", ServerError, "upstream exploded"),
        (404, b"Not Found", NotFound, "Not Found"),
        (400, b"", ValidationFailed, "HTTP 400 Bad Request"),
        (403, b'{"message": "blocked by policy"}', Forbidden, "blocked by policy"),
    ],
)
async def test_non_json_error_bodies_still_give_typed_errors(
    status: int, body: bytes, expected: type[ApiError], message: str
) -> None:
    server = Script((status, {"content-type": "text/html"}, body))
    transport, _ = make_transport(server, retry=RetryPolicy(attempts=2))
    with pytest.raises(expected) as caught:
        await transport.request("GET", "/api/v1/contacts")
    assert caught.value.status == status and caught.value.message == message
    await transport.aclose()


# -- pacing ------------------------------------------------------------------------------------


class Window:
    """A server that reports a fixed window: ``remaining`` left after the first answer,
    counting down by one per request, resetting at ``reset_in`` seconds."""

    def __init__(self, clock: FakeClock, limit: int, remaining: int, reset_in: float) -> None:
        self.clock = clock
        self.limit = limit
        self.left = remaining + 1
        self.reset = int(clock.time() + reset_in)
        self.sent_at: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent_at.append(self.clock.time())
        if self.clock.time() >= self.reset:
            self.left = self.limit
            self.reset = int(self.clock.time() + 60)
        self.left = max(0, self.left - 1)
        return httpx.Response(
            200,
            json={"data": []},
            headers={
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(self.left),
                "X-RateLimit-Reset": str(self.reset),
            },
        )


@pytest.mark.asyncio
async def test_pacing_spreads_requests_when_few_remain() -> None:
    clock = FakeClock()
    server = Window(clock, limit=100, remaining=2, reset_in=10)
    transport, _ = make_transport(server, clock)
    await transport.request("GET", "/api/v1/contacts")  # learns: 2 left, reset in 10 s
    assert clock.sleeps == []
    await transport.request("GET", "/api/v1/contacts")
    assert clock.sleeps == [pytest.approx(10 / 2)]
    await transport.request("GET", "/api/v1/contacts")  # 1 left, 5 s to go
    assert clock.sleeps[1] == pytest.approx(5 / 1)
    # That one went at the reset, so it opened a new window: no more waiting.
    assert transport.budgets["read"].available() == 99
    await transport.request("GET", "/api/v1/contacts")
    assert len(clock.sleeps) == 2
    assert transport.budgets["read"].available() == 98
    await transport.aclose()


@pytest.mark.asyncio
async def test_pacing_does_not_slow_a_fresh_window() -> None:
    clock = FakeClock()
    transport, _ = make_transport(Window(clock, limit=100, remaining=90, reset_in=60), clock)
    for _ in range(30):
        await transport.request("GET", "/api/v1/contacts")
    assert clock.sleeps == []
    await transport.aclose()


@pytest.mark.asyncio
async def test_pacing_waits_for_the_reset_when_nothing_remains() -> None:
    clock = FakeClock()
    server = Window(clock, limit=100, remaining=0, reset_in=10)
    transport, _ = make_transport(server, clock)
    await transport.request("GET", "/api/v1/contacts")
    await transport.request("GET", "/api/v1/contacts")
    assert clock.slept == pytest.approx(10.0, abs=0.1)
    assert server.sent_at[1] >= server.reset - 60  # sent in the new window, no 429 needed
    await transport.aclose()


@pytest.mark.asyncio
async def test_reset_in_epoch_milliseconds_is_not_read_as_seconds() -> None:
    clock = FakeClock()
    reset_ms = str(int((clock.time() + 10) * 1000))
    server = Script(
        (
            200,
            {
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset_ms,
            },
        ),
        200,
    )
    transport, _ = make_transport(server, clock)
    await transport.request("GET", "/x")
    await transport.request("GET", "/x")
    assert clock.slept == pytest.approx(10.0, abs=0.1)
    await transport.aclose()


@pytest.mark.asyncio
async def test_read_and_write_budgets_are_separate() -> None:
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        spent = request.method == "GET"
        return httpx.Response(
            200,
            json={"data": {}},
            headers={
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0" if spent else "99",
                "X-RateLimit-Reset": str(int(clock.time()) + 10),
            },
        )

    transport, _ = make_transport(handler, clock)
    await transport.request("GET", "/api/v1/contacts")  # the read budget is spent
    await transport.request("POST", "/api/v1/contacts", json_body={})
    await transport.request("PATCH", "/api/v1/contacts/c1", json_body={})
    await transport.request("DELETE", "/api/v1/contacts/c1")
    assert clock.sleeps == []  # writes are not held by the read budget
    assert set(transport.budgets) == {"read", "write"}
    assert transport.budgets["write"].available() == 99
    await transport.request("GET", "/api/v1/contacts")
    assert clock.slept == pytest.approx(10.0, abs=0.1)
    await transport.aclose()


@pytest.mark.asyncio
async def test_public_endpoints_have_their_own_budget_per_path() -> None:
    clock = FakeClock()
    transport, _ = make_transport(Script(200), clock)
    await transport.request("POST", "/webhooks/workflow/a", json_body={})
    await transport.request("POST", "/webhooks/workflow/b", json_body={})
    assert set(transport.budgets) == {"public:/webhooks/workflow/a", "public:/webhooks/workflow/b"}
    await transport.aclose()


class LimitedServer:
    """Enforces a fixed window of ``limit`` requests per ``window`` seconds (like the
    sandbox: the window starts at the first request after the last one ended) and
    answers with a little latency, so concurrent requests overlap."""

    def __init__(self, clock: FakeClock, limit: int, window: float = 10.0) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self.start: float | None = None
        self.count = 0
        self.refused = 0
        self.ok = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            now = self.clock.time()
            if self.start is None or now >= self.start + self.window:
                self.start, self.count = now, 0
            reset = self.start + self.window
            headers = {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Reset": str(int(-(-reset // 1))),
            }
            if self.count >= self.limit:
                self.refused += 1
                headers.update(
                    {
                        "X-RateLimit-Remaining": "0",
                        "Retry-After": str(max(1, int(-(-(reset - now) // 1)))),
                    }
                )
                return httpx.Response(429, headers=headers, json=error_body("RATE_LIMITED", "x"))
            self.count += 1
            self.ok += 1
            headers["X-RateLimit-Remaining"] = str(self.limit - self.count)
            return httpx.Response(200, headers=headers, json={"data": []})
        finally:
            self.in_flight -= 1


@pytest.mark.asyncio
async def test_a_concurrent_burst_is_paced_without_a_single_429() -> None:
    clock = FakeClock()
    server = LimitedServer(clock, limit=5, window=10.0)
    transport, _ = make_transport(server, clock)
    results = await asyncio.gather(
        *(transport.request("GET", "/api/v1/contacts") for _ in range(12))
    )
    assert all(r.status_code == 200 for r in results)
    assert server.refused == 0 and server.ok == 12
    assert clock.slept >= 20.0  # 12 requests at 5 per 10 s need two roll-overs
    assert transport.budgets["read"].in_flight == 0
    await transport.aclose()


@pytest.mark.asyncio
async def test_the_first_request_of_a_budget_goes_alone() -> None:
    clock = FakeClock()
    server = LimitedServer(clock, limit=1000)
    busy_on_arrival: list[int] = []

    async def tracking(request: httpx.Request) -> httpx.Response:
        busy_on_arrival.append(server.in_flight)
        return await server(request)

    transport, _ = make_transport(tracking, clock)
    await asyncio.gather(*(transport.request("GET", "/x") for _ in range(6)))
    assert server.ok == 6 and clock.sleeps == []
    # Nothing else was on its way while the first (blind) request was: its answer told
    # the budget before the others went. After that they overlap freely.
    assert busy_on_arrival[:2] == [0, 0]
    assert server.max_in_flight > 1
    await transport.aclose()


@pytest.mark.asyncio
async def test_failures_and_cancellations_give_their_budget_back() -> None:
    clock = FakeClock()
    gate = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/hang":
            await gate.wait()
        if request.url.path == "/drop":
            raise httpx.RemoteProtocolError("dropped", request=request)
        return httpx.Response(
            200,
            json={},
            headers={
                "X-RateLimit-Limit": "10",
                "X-RateLimit-Remaining": "9",
                "X-RateLimit-Reset": str(int(clock.time()) + 60),
            },
        )

    transport, _ = make_transport(handler, clock)
    await transport.request("GET", "/ok")
    with pytest.raises(OutcomeUnknown):
        await transport.request("POST", "/drop", json_body={})
    assert transport.budgets["write"].in_flight == 0
    task = asyncio.create_task(transport.request("GET", "/hang"))
    for _ in range(10):
        await asyncio.sleep(0)
    assert transport.budgets["read"].in_flight == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert transport.budgets["read"].in_flight == 0
    assert transport.budgets["read"].available() == 9
    await transport.aclose()


@pytest.mark.asyncio
async def test_budget_listeners_hear_every_answer() -> None:
    clock = FakeClock()
    transport, _ = make_transport(Window(clock, limit=50, remaining=40, reset_in=30), clock)
    heard: list[tuple[str, int | None]] = []
    transport.on_budget(lambda bucket, budget: heard.append((bucket, budget.available())))
    await transport.request("GET", "/a")
    await transport.request("GET", "/a")
    assert heard == [("read", 40), ("read", 39)]
    await transport.aclose()


# -- what every request carries ----------------------------------------------------------------


def recorder() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/sub-accounts":
            return httpx.Response(200, json={"data": [{"id": "sub_a", "name": "A"}]})
        return httpx.Response(200, json={"data": [], "meta": {"total": 0, "hasMore": False}})

    return seen, httpx.MockTransport(handler)


@pytest.mark.asyncio
async def test_agency_view_sends_the_sub_account_header() -> None:
    seen, mock = recorder()
    agency = SeedlyClient(BASE, AGENCY_KEY, http_transport=mock)
    view_a = agency.for_sub_account("sub_a")
    view_b = agency.for_sub_account("sub_b")
    await view_a.list_contacts()
    await view_b.list_conversations()
    await view_a.list_sub_accounts()  # discovery is not scoped to a sub-account
    assert seen[0].headers["X-Sub-Account-Id"] == "sub_a"
    assert seen[1].headers["X-Sub-Account-Id"] == "sub_b"
    assert "X-Sub-Account-Id" not in seen[2].headers
    for request in seen:
        assert request.headers["Authorization"] == f"Bearer {AGENCY_KEY}"
    # Views share the agency client's connection pool and budgets (limits are per key).
    assert view_a.transport is agency.transport is view_b.transport
    await agency.aclose()


@pytest.mark.asyncio
async def test_sub_account_key_never_sends_the_agency_header() -> None:
    seen, mock = recorder()
    client = SeedlyClient(BASE, SUB_KEY, http_transport=mock)
    await client.list_contacts()
    await client.for_sub_account("sub_a").list_contacts()
    assert all("X-Sub-Account-Id" not in r.headers for r in seen)
    assert all(r.headers["Authorization"] == f"Bearer {SUB_KEY}" for r in seen)
    await client.aclose()


@pytest.mark.asyncio
async def test_a_new_key_replaces_the_bearer_header_for_every_view() -> None:
    seen, mock = recorder()
    client = SeedlyClient(BASE, AGENCY_KEY, http_transport=mock)
    view = client.for_sub_account("sub_a")
    client.set_api_key("sk_agency_test_zyxwvutsrqponmlk")
    await view.list_contacts()
    assert seen[0].headers["Authorization"] == "Bearer sk_agency_test_zyxwvutsrqponmlk"
    await client.aclose()


@pytest.mark.asyncio
async def test_timeouts_are_explicit_on_every_request() -> None:
    seen, mock = recorder()
    client = SeedlyClient(BASE, SUB_KEY, http_transport=mock)
    await client.list_contacts()
    assert seen[0].extensions["timeout"] == {
        "connect": 5.0,
        "read": 15.0,
        "write": 15.0,
        "pool": 2.0,
    }
    custom = Transport(
        BASE, transport=mock, timeouts=Timeouts(connect=1.0, read=2.0, write=3.0, pool=0.5)
    )
    await custom.request("GET", "/x")
    assert seen[1].extensions["timeout"] == {"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 0.5}
    # A short pool timeout: cancelled requests must not starve the others for long.
    assert Timeouts().pool < Timeouts().connect
    await client.aclose()
    await custom.aclose()


@pytest.mark.asyncio
async def test_the_real_connection_pool_speaks_http_1_1_only() -> None:
    transport = Transport(BASE)
    pool = transport._client._transport._pool  # type: ignore[attr-defined]
    assert pool._http1 is True and pool._http2 is False
    assert transport._client.follow_redirects is False
    await transport.aclose()
    assert transport.closed


@pytest.mark.asyncio
async def test_json_bodies_and_query_parameters() -> None:
    server = Script(200)
    transport, _ = make_transport(server)
    await transport.request(
        "POST", "/api/v1/contacts", json_body={"firstName": "Ana"}, params={"a": "1", "skip": None}
    )
    request = server.requests[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == b'{"firstName": "Ana"}'
    assert request.url.params.get("a") == "1" and "skip" not in request.url.params
    await transport.aclose()


# -- cancellation never damages the connection pool --------------------------------------------


@pytest.mark.asyncio
async def test_a_cancelled_caller_abandons_the_exchange_which_still_finishes() -> None:
    gate = asyncio.Event()
    finished: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        finished.append(request.url.path)
        return httpx.Response(200, json={})

    transport, _ = make_transport(handler)
    caller = asyncio.create_task(transport.request("GET", "/slow"))
    for _ in range(10):
        await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    # The caller is gone at once; the exchange itself was left to run, not interrupted.
    assert len(transport._orphans) == 1
    gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert finished == ["/slow"] and not transport._orphans
    await transport.aclose()


@pytest.mark.asyncio
async def test_cancelling_many_requests_over_a_real_pool_leaves_it_usable() -> None:
    """The httpcore leak (encode/httpcore#1093) needs a real pool under contention:
    cancel requests while they wait for a connection, many times over, then the pool
    must still serve a request well inside its pool timeout."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = await reader.read(4096)
                    if not chunk:
                        return
                    head += chunk
                await asyncio.sleep(0.005)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = Transport(f"http://127.0.0.1:{port}", timeouts=Timeouts(pool=1.0))
    for round_ in range(40):
        callers = [asyncio.create_task(transport.request("GET", "/x")) for _ in range(20)]
        await asyncio.sleep(0.001 * (round_ % 5))
        for caller in callers:
            caller.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
    response = await asyncio.wait_for(transport.request("GET", "/x"), timeout=5)
    assert response.status_code == 200
    await transport.aclose()
    server.close()
    await server.wait_closed()
