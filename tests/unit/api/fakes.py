"""Test doubles for the API layer: a fake clock whose ``sleep`` records waits and moves
time instead of sleeping, and a scripted ``httpx.MockTransport`` server."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import httpx

from app.api.transport import RetryPolicy, Timeouts, Transport

BASE = "https://seedly.test"
START_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: whole seconds, like HTTP-dates


class FakeClock:
    """Wall and monotonic time that only move when something sleeps.

    ``sleeps`` records every requested wait. With ``early`` > 0 a sleep longer than
    twice that wakes ``early`` seconds before its time, as a Qt timer can."""

    def __init__(self, early: float = 0.0) -> None:
        self.wall = START_EPOCH
        self.mono = 1_000.0
        self.early = early
        self.sleeps: list[float] = []
        self.slept = 0.0
        """Total time that passed in sleeps."""

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        passed = seconds - self.early if seconds > 2 * self.early else seconds
        self.slept += passed
        self.advance(passed)
        await asyncio.sleep(0)


class UpperJitter(random.Random):
    """Jitter that always picks the top of its range, so back-off is deterministic."""

    def uniform(self, a: float, b: float) -> float:
        return b


Step = Any  # an int status, (status, headers[, body]), an httpx exception type, or a callable


class Script:
    """A server answering from a list of steps (the last one repeats), recording requests."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps) or [200]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if callable(step) and not isinstance(step, type):
            return step(request)
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("scripted failure", request=request)
        if isinstance(step, int):
            step = (step,)
        status, headers, body = (*step, None, None)[:3]
        if body is None:
            body = (
                {"data": {"ok": True}}
                if status < 400
                else {"error": {"code": "INTERNAL_ERROR", "message": "boom"}}
            )
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"content-type": "application/json", **(headers or {})}
        return httpx.Response(status, headers=all_headers, content=content)

    @property
    def calls(self) -> int:
        return len(self.requests)


def make_transport(
    handler: Callable[[httpx.Request], Any],
    clock: FakeClock | None = None,
    *,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Transport, FakeClock]:
    """A ``Transport`` over ``handler`` whose every wait goes to the fake clock."""
    clock = clock or FakeClock()
    transport = Transport(
        BASE,
        headers=headers,
        timeouts=timeouts or Timeouts(),
        retry=retry or RetryPolicy(),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock.time,
        monotonic=clock.monotonic,
        rng=UpperJitter(),
    )
    return transport, clock
