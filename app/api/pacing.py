"""Rate-limit pacing from the server's ``X-RateLimit-*`` headers.

Each budget (Seedly: read and write per key; Seamless: per endpoint) follows
what the last response said, counts the requests sent since that are still
waiting for an answer, and spreads the remaining ones over the time left in the
window, so that normal use never meets a 429. Waits use monotonic deadlines:
Qt-driven event loops may wake a sleep early.

Counting (why ``in_flight`` and not "sent since the last answer"): an answer's
``X-RateLimit-Remaining`` already includes every request the server counted
before it, but not the ones still on their way. With several requests in
flight, forgetting them at each answer overestimated what was left and let a
concurrent burst run into 429s. A request stops counting here when its answer
(or its failure) comes back.

Spreading (below ``spread_below`` of the window) keeps some budget for what the user
does next while background work runs. Work the user is waiting for as a whole — a
bulk push of researched leads — runs inside ``bulk()``: its requests use what is left
of the window at once and wait only when nothing is left (still never past it), because
spreading them can only make the job end later.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

from app.core.errors import RETRY_AFTER_CAP, header_value, parse_rate_limit_reset

# A little past the announced reset: the server's window must really be over.
RESET_MARGIN = 0.05

_BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("rate_budget_bulk", default=False)


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Requests made inside (and in tasks started inside) belong to one job the user waits
    for as a whole: no spreading, the window's budget used as fast as it allows."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def in_bulk() -> bool:
    """Whether the current context is inside ``bulk()``."""
    return _BULK.get()


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = header_value(headers, name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


@dataclass
class RateBudget:
    """The known state of one rate-limit window and the pacing derived from it."""

    name: str
    # Start spreading requests once less than this share of the window is left.
    spread_below: float = 0.5
    # Never pace one request longer than this, whatever a (broken) reset header says.
    max_wait: float = RETRY_AFTER_CAP
    limit: int | None = None
    remaining: int | None = None
    reset_epoch: float | None = None
    in_flight: int = 0
    """Requests sent under this budget whose answer has not come back yet."""
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _window: str | None = field(default=None, repr=False)
    _last_sent: float = field(default=0.0, repr=False)
    _answered: bool = field(default=False, repr=False)
    _answer: asyncio.Event | None = field(default=None, repr=False)
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    def update(self, headers: Mapping[str, str]) -> None:
        """The answer to one of our requests arrived: adopt the budget it reports (headers
        of any status, 429 included); that request no longer counts as in flight."""
        self.release()
        now = self.clock()
        limit = _int_header(headers, "X-RateLimit-Limit")
        remaining = _int_header(headers, "X-RateLimit-Remaining")
        raw_reset = header_value(headers, "X-RateLimit-Reset")
        # Same reading as the 429 handling (epoch s, epoch ms or a delta), so a server that
        # sends milliseconds cannot make pacing wait until the year 50000.
        until = parse_rate_limit_reset(raw_reset, now)
        if limit is not None:
            self.limit = limit
        if remaining is not None:
            same_window = raw_reset is not None and raw_reset == self._window
            # A late answer to an earlier request of the same window reports more than is
            # left by now: keep the lower count.
            if not (same_window and self.remaining is not None and remaining > self.remaining):
                self.remaining = remaining
        if until is not None:
            self.reset_epoch = now + until
            self._window = raw_reset

    def release(self) -> None:
        """A request of ours ended without an answer that reports the budget (a network
        failure, a cancellation): it no longer counts as in flight."""
        self.in_flight = max(0, self.in_flight - 1)
        self._answered = True
        if self._answer is not None:
            self._answer.set()

    def retry_at(self, wait: float) -> None:
        """A 429 said to come back in ``wait`` seconds (already capped by the caller).

        Nothing of this budget goes before then, and then the window counts as new: the
        server's word beats our reckoning, and pacing must not add a second wait (up to
        the reset the 429 announced, which a capped wait deliberately cuts short)."""
        self.remaining = 0
        self.reset_epoch = self.clock() + wait

    def _rolled_over(self) -> bool:
        return self.reset_epoch is not None and self.clock() >= self.reset_epoch

    def available(self) -> int | None:
        """Requests left in this window by our count, or None while unknown."""
        if self.remaining is None:
            return None
        if self._rolled_over():
            # A new window: all of it, less what has been sent and not yet answered since.
            return None if self.limit is None else self.limit - self.in_flight
        return self.remaining - self.in_flight

    def delay(self) -> float:
        """Seconds to wait before the next request (0 when it may go now)."""
        available = self.available()
        if available is None:
            return 0.0
        now = self.clock()
        to_reset = 0.0
        if self.reset_epoch is not None:
            to_reset = max(0.0, self.reset_epoch - now)
        if available <= 0:
            return min(self.max_wait, to_reset + RESET_MARGIN)
        if self.limit is None or available >= self.limit * self.spread_below or in_bulk():
            return 0.0
        # Spread what is left evenly over the rest of the window.
        interval = to_reset / available
        since_last = self.monotonic() - self._last_sent
        return min(self.max_wait, max(0.0, interval - since_last))

    async def _first_answer(self) -> None:
        # Until one answer has told the budget anything, let a single request go and hold
        # the others: a burst sent blind into a nearly spent window would be all 429s.
        while not self._answered and self.in_flight > 0:
            if self._answer is None:
                self._answer = asyncio.Event()
            await self._answer.wait()

    async def acquire(self) -> float:
        """Wait until a request may be sent under this budget; returns the time waited.

        The caller then owes exactly one ``update`` (an answer) or ``release`` (none)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        start = self.monotonic()
        async with self._lock:
            await self._first_answer()
            deadline = self.monotonic() + self.delay()
            while (left := deadline - self.monotonic()) > 0:
                await self.sleep(left)
            self.in_flight += 1
            self._last_sent = self.monotonic()
        return self.monotonic() - start

    def snapshot(self) -> dict[str, int | float | None]:
        return {"limit": self.limit, "remaining": self.available(), "reset": self.reset_epoch}
