"""Fixed-window rate limiting with the X-RateLimit-* headers of docs/api/seedly-crm.md §11."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Window:
    start_ms: int
    count: int


@dataclass(frozen=True)
class Verdict:
    """The outcome of one request against a bucket, ready to become headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    def headers(self, now_ms: int) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_ms / 1000)),
        }
        if not self.allowed:
            out["Retry-After"] = str(max(1, math.ceil((self.reset_ms - now_ms) / 1000)))
        return out


class RateLimiter:
    """Counts requests per bucket in windows of ``window_ms``."""

    def __init__(self, window_ms: int = 60_000) -> None:
        self.window_ms = window_ms
        self._windows: dict[tuple[str, ...], Window] = {}

    def hit(self, bucket: tuple[str, ...], limit: int, now_ms: int) -> Verdict:
        """Count one request; a refused request does not use up budget."""
        window = self._windows.get(bucket)
        if window is None or now_ms >= window.start_ms + self.window_ms:
            window = Window(now_ms, 0)
            self._windows[bucket] = window
        reset = window.start_ms + self.window_ms
        if window.count >= limit:
            return Verdict(False, limit, 0, reset)
        window.count += 1
        return Verdict(True, limit, limit - window.count, reset)

    def peek(self, bucket: tuple[str, ...], limit: int, now_ms: int) -> Verdict:
        window = self._windows.get(bucket)
        if window is None or now_ms >= window.start_ms + self.window_ms:
            return Verdict(True, limit, limit, now_ms + self.window_ms)
        return Verdict(
            window.count < limit,
            limit,
            max(0, limit - window.count),
            window.start_ms + self.window_ms,
        )

    def reset(self) -> None:
        self._windows.clear()
