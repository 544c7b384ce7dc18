"""Rate-limit pacing from the server's ``X-RateLimit-*`` headers.

Each budget (Seedly: read and write per key; Seamless: per endpoint) follows
what the last response said, counts the requests sent since, and spreads the
remaining ones over the time left in the window, so that normal use never
meets a 429. Waits use monotonic deadlines: Qt-driven event loops may wake a
sleep early.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
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
    limit: int | None = None
    remaining: int | None = None
    reset_epoch: float | None = None
    sent_since_update: int = 0
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    _last_sent: float = field(default=0.0)
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    def update(self, headers: Mapping[str, str]) -> None:
        """Adopt the budget a response reports (headers of any status, 429 included)."""
        limit = _int_header(headers, "X-RateLimit-Limit")
        remaining = _int_header(headers, "X-RateLimit-Remaining")
        reset = _int_header(headers, "X-RateLimit-Reset")
        if limit is not None:
            self.limit = limit
        if remaining is not None:
            self.remaining = remaining
            self.sent_since_update = 0
        if reset is not None:
            self.reset_epoch = float(reset)

    def available(self) -> int | None:
        """Requests left in this window by our count, or None while unknown."""
        if self.remaining is None:
            return None
        if self.reset_epoch is not None and self.clock() >= self.reset_epoch:
            return self.limit  # the window has rolled over
        return self.remaining - self.sent_since_update

    def delay(self) -> float:
        """Seconds to wait before the next request (0 when it may go now)."""
        available = self.available()
        if available is None or self.limit is None:
            return 0.0
        now = self.clock()
        to_reset = max(0.0, (self.reset_epoch or now) - now)
        if available <= 0:
            return to_reset + 0.05
        if available >= self.limit * self.spread_below:
            return 0.0
        # Spread what is left evenly over the rest of the window.
        interval = to_reset / available
        since_last = self.monotonic() - self._last_sent
        return max(0.0, interval - since_last)

    async def acquire(self) -> float:
        """Wait until a request may be sent under this budget; returns the time waited."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        start = self.monotonic()
        async with self._lock:
            deadline = self.monotonic() + self.delay()
            while (left := deadline - self.monotonic()) > 0:
                await asyncio.sleep(left)
            waited = self.monotonic() - start
            self.sent_since_update += 1
            self._last_sent = self.monotonic()
        return waited

    def snapshot(self) -> dict[str, int | float | None]:
        return {"limit": self.limit, "remaining": self.available(), "reset": self.reset_epoch}
