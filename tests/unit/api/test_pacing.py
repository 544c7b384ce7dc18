"""``RateBudget`` on its own: what it learns from ``X-RateLimit-*``, how it counts the
requests it let go, window roll-over, spreading, the cap, and its waits (fake clock)."""

from __future__ import annotations

import asyncio

import pytest

from app.api.pacing import RESET_MARGIN, RateBudget, bulk, in_bulk
from tests.unit.api.fakes import FakeClock

pytestmark = pytest.mark.timeout(10)


def budget(clock: FakeClock, **kw: object) -> RateBudget:
    return RateBudget("read", clock=clock.time, monotonic=clock.monotonic, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def headers(clock: FakeClock, limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(clock.time() + reset_in)),
    }


def test_unknown_until_an_answer_reports_it() -> None:
    clock = FakeClock()
    b = budget(clock)
    assert b.available() is None and b.delay() == 0.0
    b.update({"Content-Type": "application/json"})  # an answer without the headers
    assert b.available() is None and b.delay() == 0.0
    b.update(headers(clock, 120, 80, 60))
    assert (b.limit, b.remaining, b.available()) == (120, 80, 80)
    assert b.reset_epoch == clock.time() + 60
    assert b.snapshot() == {"limit": 120, "remaining": 80, "reset": clock.time() + 60}


def test_header_names_are_case_insensitive_in_plain_dicts() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update(
        {
            "x-ratelimit-limit": "10",
            "x-ratelimit-remaining": "3",
            "x-ratelimit-reset": str(int(clock.time()) + 5),
        }
    )
    assert (b.limit, b.available()) == (10, 3)


def test_unreadable_headers_are_ignored() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update({"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "", "X-RateLimit-Reset": "?"})
    assert (b.limit, b.remaining, b.reset_epoch) == (None, None, None)


@pytest.mark.asyncio
async def test_available_counts_requests_sent_and_not_yet_answered() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update(headers(clock, 100, 90, 60))
    for expected in (89, 88, 87):
        await b.acquire()
        assert b.available() == expected
    assert b.in_flight == 3
    # An answer reports a count that includes its own request: that one stops counting.
    b.update(headers(clock, 100, 89, 60))
    assert b.in_flight == 2 and b.available() == 87
    b.release()  # one failed without an answer
    b.release()
    assert b.in_flight == 0 and b.available() == 89
    b.release()  # never below zero
    assert b.in_flight == 0


def test_a_late_answer_of_the_same_window_does_not_raise_the_count() -> None:
    clock = FakeClock()
    b = budget(clock)
    same = headers(clock, 100, 40, 60)
    b.update(same)
    b.update({**same, "X-RateLimit-Remaining": "42"})  # answered out of order
    assert b.remaining == 40
    b.update({**same, "X-RateLimit-Remaining": "39"})
    assert b.remaining == 39
    # A new window (another reset) is adopted even though it reports more.
    b.update(headers(clock, 100, 99, 61))
    assert b.remaining == 99


@pytest.mark.asyncio
async def test_window_roll_over_gives_the_whole_limit_less_what_went_since() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update(headers(clock, 10, 0, 5))
    assert b.available() == 0
    clock.advance(5)
    assert b.available() == 10 and b.delay() == 0.0
    # Requests sent in the new window count before any answer arrives.
    for _ in range(10):
        await b.acquire()
    assert b.available() == 0
    assert b.delay() == 0.05  # nothing left and no known reset: only a short wait
    b.update(headers(clock, 10, 9, 60))
    assert b.available() == 0  # the 9 others are still in flight
    for _ in range(9):
        b.update(headers(clock, 10, 0, 60))
    assert b.available() == 0 and b.in_flight == 0
    assert b.delay() == pytest.approx(60 + RESET_MARGIN)


def test_roll_over_without_a_known_limit_is_unknown() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.time()) + 3)})
    assert b.available() == 0 and b.delay() == pytest.approx(3 + RESET_MARGIN)
    clock.advance(3)
    assert b.available() is None and b.delay() == 0.0


@pytest.mark.asyncio
async def test_spreading_starts_below_half_the_window() -> None:
    clock = FakeClock()
    b = budget(clock)

    async def answered(remaining: int) -> None:
        await b.acquire()
        b.update(headers(clock, 100, remaining, 20))

    await answered(50)
    assert b.delay() == 0.0
    await answered(10)
    assert b.delay() == pytest.approx(20 / 10)
    await answered(4)
    assert b.delay() == pytest.approx(20 / 4)
    other = budget(clock, spread_below=0.05)
    await other.acquire()
    other.update(headers(clock, 100, 10, 20))
    assert other.delay() == 0.0


@pytest.mark.asyncio
async def test_a_bulk_job_uses_the_window_at_once_and_still_waits_at_zero() -> None:
    clock = FakeClock()
    b = budget(clock)
    await b.acquire()
    b.update(headers(clock, 100, 10, 20))
    assert b.delay() == pytest.approx(20 / 10)  # background work spreads what is left
    with bulk():
        assert in_bulk() and b.delay() == 0.0  # a job the user waits for does not

        async def in_a_task() -> float:
            return b.delay()

        assert await asyncio.create_task(in_a_task()) == 0.0  # tasks started inside too
        for _ in range(10):
            await b.acquire()
        assert b.available() == 0
        assert b.delay() == pytest.approx(20 + RESET_MARGIN)  # never past the window
    assert not in_bulk()


@pytest.mark.asyncio
async def test_time_since_the_last_request_counts_toward_the_interval() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update(headers(clock, 100, 10, 20))
    await b.acquire()
    b.update(headers(clock, 100, 10, 20))
    clock.advance(1.5)
    assert b.delay() == pytest.approx(18.5 / 10 - 1.5)
    clock.advance(1.0)
    assert b.delay() == 0.0


def test_nothing_left_waits_for_the_reset_and_the_wait_is_capped() -> None:
    clock = FakeClock()
    b = budget(clock, max_wait=30.0)
    b.update(headers(clock, 100, 0, 12))
    assert b.delay() == pytest.approx(12 + RESET_MARGIN)
    b.update(headers(clock, 100, 0, 3600))
    assert b.delay() == 30.0
    b.update(headers(clock, 100, 1, 3601))  # a new window with one request left
    assert b.available() == 1 and b.delay() == 30.0  # spreading is capped too


def test_reset_in_milliseconds_or_as_a_delta() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update(
        {
            "X-RateLimit-Limit": "10",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int((clock.time() + 8) * 1000)),
        }
    )
    assert b.reset_epoch == pytest.approx(clock.time() + 8)
    b.update({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4"})
    assert b.reset_epoch == pytest.approx(clock.time() + 4)


def test_a_429_holds_the_budget_for_its_retry_after_only() -> None:
    clock = FakeClock()
    b = budget(clock)
    b.update(headers(clock, 10, 0, 3600))
    b.retry_at(20.0)
    assert b.available() == 0 and b.delay() == pytest.approx(20 + RESET_MARGIN)
    clock.advance(20)
    assert b.available() == 10 and b.delay() == 0.0


@pytest.mark.asyncio
async def test_acquire_sleeps_through_the_injected_sleep_to_a_monotonic_deadline() -> None:
    clock = FakeClock(early=0.3)
    b = budget(clock)
    b.update(headers(clock, 100, 0, 6))
    waited = await b.acquire()
    assert len(clock.sleeps) > 1  # each early wake-up sleeps again
    assert waited == pytest.approx(6 + RESET_MARGIN, abs=0.01)
    assert clock.slept == pytest.approx(6 + RESET_MARGIN, abs=0.01)


@pytest.mark.asyncio
async def test_until_the_first_answer_only_one_request_goes() -> None:
    clock = FakeClock()
    b = budget(clock)
    await b.acquire()
    second = asyncio.create_task(b.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done() and b.in_flight == 1
    b.update(headers(clock, 100, 99, 60))
    await asyncio.wait_for(second, 1)
    assert b.in_flight == 1
    # From then on requests overlap freely.
    await asyncio.wait_for(asyncio.gather(b.acquire(), b.acquire()), 1)
    assert b.in_flight == 3


@pytest.mark.asyncio
async def test_a_failed_first_request_also_lets_the_others_go() -> None:
    clock = FakeClock()
    b = budget(clock)
    await b.acquire()
    second = asyncio.create_task(b.acquire())
    await asyncio.sleep(0)
    b.release()
    await asyncio.wait_for(second, 1)
    assert b.available() is None
