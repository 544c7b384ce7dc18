"""Sandbox time: wall-clock milliseconds plus an offset tests can move forward."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """The time of one sandbox server; ``/_sandbox/clock/advance`` moves only this one."""

    def __init__(self) -> None:
        self._offset_ms = 0

    def now_ms(self) -> int:
        """Current sandbox time in Unix milliseconds."""
        return int(time.time() * 1000) + self._offset_ms

    def advance(self, ms: int) -> int:
        """Move sandbox time forward (tests of notice windows, expiries); returns the new offset."""
        if ms < 0:
            raise ValueError("time only moves forward")
        self._offset_ms += ms
        return self._offset_ms

    @property
    def offset_ms(self) -> int:
        """How far this clock is ahead of the wall clock."""
        return self._offset_ms


def iso(ms: int) -> str:
    """ISO 8601 in UTC with milliseconds, as the API's examples: 2026-03-27T14:30:00.000Z."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(text: str) -> int:
    """ISO 8601 (with Z or an offset) to Unix milliseconds; ValueError when malformed."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)
