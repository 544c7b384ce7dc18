"""Runtime state of one sandbox server: its store, settings, limiters and counters."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.sandbox.clock import Clock
from app.sandbox.ratelimit import RateLimiter
from app.sandbox.store import Store


@dataclass
class SandboxConfig:
    """The server's settings, from the CLI flags."""

    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | None = None
    seed: str = "demo"
    subaccounts: int | None = None
    """How many sub-accounts a new store's agency gets (None: the demo's two)."""
    conversations_per_subaccount: int | None = None
    """Conversations seeded in each sub-account (None: each one's demo size)."""
    traffic_seconds: float | None = None
    fault_rate: float = 0.0
    rate_limit_read: int = 120
    rate_limit_write: int = 60
    rate_limit_public: int = 120
    rate_limit_workflow: int = 60
    seamless_rate_limit: int = 60
    research_pace: float = 1.0
    """How long a Seamless research takes, as a multiple of its usual 2–4.5 s."""
    allow_loopback_webhooks: bool = False


@dataclass
class TargetedFault:
    """A fault for the next ``times`` requests of one method and path (tests use it to make
    one chosen request fail, e.g. drop the answer of a booking after it was stored)."""

    method: str
    path: str
    kind: str
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        """Whether a request of ``method`` to ``path`` (no query) is one of those aimed at."""
        return self.times > 0 and self.method == method.upper() and self.path == path


@dataclass
class FaultSettings:
    """Fault injection, changeable at runtime through ``/_sandbox/faults``."""

    rate: float = 0.0
    # Relative weights of each kind of fault.
    kinds: dict[str, float] = field(
        default_factory=lambda: {
            "error_500": 3.0,
            "drop_before": 2.0,
            "drop_after": 2.0,
            "timeout_after": 1.0,
            "slow": 2.0,
            "rate_limited": 1.0,
        }
    )
    timeout_seconds: float = 20.0
    slow_seconds: float = 1.5
    targeted: list[TargetedFault] = field(default_factory=list)
    """Faults aimed at given requests, used up in order before any random one."""

    def take_targeted(self, method: str, path: str) -> str | None:
        """The kind of the first targeted fault aimed at this request (one use of it)."""
        for fault in self.targeted:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.targeted.remove(fault)
                return fault.kind
        return None


@dataclass
class SandboxState:
    """Everything one server owns: shared by its request handlers and background tasks.

    Nothing here is shared with another server in the same process: each has its
    own store (with its clock and hooks), settings, rate limiters and counters.
    """

    store: Store
    config: SandboxConfig
    base_url: str = ""
    faults: FaultSettings = field(default_factory=FaultSettings)
    stats: Counter[str] = field(default_factory=Counter)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    # Seedly CRM buckets (per key, IP or endpoint) and Seamless ones (per organisation).
    limiter: RateLimiter = field(default_factory=RateLimiter)
    seamless_limiter: RateLimiter = field(default_factory=RateLimiter)

    def __post_init__(self) -> None:
        self.faults.rate = self.config.fault_rate

    @property
    def clock(self) -> Clock:
        """This server's sandbox time."""
        return self.store.clock
