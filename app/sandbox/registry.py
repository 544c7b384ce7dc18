"""What the areas of one server declare: routes, tables, seeders, hooks, background tasks.

``server.build_sandbox`` makes one ``Registry`` per server and hands it to each
area's ``register(registry)`` in turn; nothing is declared at import time, so
two servers in one process share no route table, hook or task list.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.hooks import Hooks
from app.sandbox.http import Router
from app.sandbox.seed import ReadyExtra, Seeder
from app.sandbox.state import SandboxState

BackgroundTask = Callable[[SandboxState], Coroutine[Any, Any, None]]
# factory(app, state) -> app: middleware of one API area, applied inside the Seedly headers
# middleware (which leaves the other area's paths alone).
AreaMiddleware = Callable[[Any, SandboxState], Any]


@dataclass
class Registry:
    """The declarations of one server's areas, in the order they were made."""

    router: Router = field(default_factory=Router)
    schemas: list[str] = field(default_factory=list)
    seeders: list[tuple[int, Seeder]] = field(default_factory=list)
    ready_extras: list[ReadyExtra] = field(default_factory=list)
    background: list[BackgroundTask] = field(default_factory=list)
    middlewares: list[AreaMiddleware] = field(default_factory=list)
    hooks: Hooks = field(default_factory=Hooks)

    def schema(self, ddl: str) -> None:
        """Tables (``CREATE ... IF NOT EXISTS``) created when the store opens."""
        self.schemas.append(ddl)

    def seeder(self, order: int, fn: Seeder) -> None:
        """Seed demo data into a new store; lower ``order`` runs first."""
        self.seeders.append((order, fn))

    def ordered_seeders(self) -> list[Seeder]:
        """The seeders by ``order`` (ties keep the order they were added in)."""
        return [fn for _, fn in sorted(self.seeders, key=lambda item: item[0])]
