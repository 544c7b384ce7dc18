"""The API layer against a real server that misbehaves: answers that trickle, answers far
too big, and a slow endpoint among healthy ones (the poller must keep polling the rest)."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.api.transport import RetryPolicy, Timeouts, Transport
from app.core.errors import OutcomeUnknown, RequestTimeout, ResponseTooLarge
from app.services.scheduler import PollScheduler
from tests.support.hostile_server import hostile_server, huge, json_answer, trickle

pytestmark = pytest.mark.timeout(60)

# Per-read timeout far above the trickle's gap (0.3 s), so only the overall deadline can end it.
TRICKLE_TIMEOUTS = Timeouts(connect=2.0, read=5.0, write=5.0, pool=1.0, total=1.5)


@pytest.mark.asyncio
async def test_a_trickling_answer_ends_at_the_overall_deadline_and_is_not_retried() -> None:
    with hostile_server() as server:
        server.routes["/api/v1/contacts"] = trickle(every=0.3)
        transport = Transport(server.url, timeouts=TRICKLE_TIMEOUTS)
        started = time.monotonic()
        with pytest.raises(RequestTimeout, match="longer than 2 s"):
            await transport.request("GET", "/api/v1/contacts")
        elapsed = time.monotonic() - started
        await transport.aclose()
    assert 1.4 < elapsed < 3.0
    assert server.count("/api/v1/contacts") == 1  # a slow server is not asked again at once


@pytest.mark.asyncio
async def test_a_trickling_answer_to_a_post_is_an_unknown_outcome() -> None:
    with hostile_server() as server:
        server.routes["/api/v1/contacts"] = trickle(every=0.3)
        transport = Transport(server.url, timeouts=TRICKLE_TIMEOUTS)
        with pytest.raises(OutcomeUnknown):
            await transport.request("POST", "/api/v1/contacts", json_body={"email": "a@b.co"})
        await transport.aclose()
    assert server.count("/api/v1/contacts") == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("declare_length", [True, False])
async def test_an_answer_bigger_than_the_cap_is_dropped_unread(declare_length: bool) -> None:
    with hostile_server() as server:
        server.routes["/api/v1/contacts"] = huge(50_000_000, declare_length=declare_length)
        transport = Transport(
            server.url, timeouts=Timeouts(max_body_bytes=2_000_000), retry=RetryPolicy(attempts=1)
        )
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge) as caught:
            await transport.request("GET", "/api/v1/contacts")
        await transport.aclose()
    assert time.monotonic() - started < 10
    assert "more than 2 MB" in caught.value.user_message


@pytest.mark.asyncio
async def test_an_answer_under_the_cap_is_read_whole() -> None:
    with hostile_server() as server:
        server.routes["/api/v1/contacts"] = json_answer({"data": ["x" * 100_000]})
        transport = Transport(server.url, timeouts=Timeouts(max_body_bytes=2_000_000))
        response = await transport.request("GET", "/api/v1/contacts")
        await transport.aclose()
    assert response.json() == {"data": ["x" * 100_000]}


@pytest.mark.asyncio
async def test_one_trickling_endpoint_does_not_starve_the_other_polls() -> None:
    with hostile_server() as server:
        server.routes["/slow"] = trickle(every=0.3)
        server.routes["/fast"] = json_answer({"data": []})
        transport = Transport(server.url, timeouts=TRICKLE_TIMEOUTS)

        async def poll(path: str) -> None:
            await transport.request("GET", path)

        scheduler = PollScheduler()
        scheduler.add("slow", lambda: poll("/slow"), interval=0.2, background_interval=0.2)
        scheduler.add("fast", lambda: poll("/fast"), interval=0.2, background_interval=0.2)
        runner = asyncio.ensure_future(scheduler.run())
        await asyncio.sleep(5.0)
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        await transport.aclose()
    # The slow poll holds the one poll slot at most 1.5 s a time and then backs off.
    assert server.count("/fast") >= 5
    assert server.count("/slow") <= 3
    assert scheduler.jobs["slow"].failures >= 1
