"""Named, owned asyncio tasks: nothing runs that nobody can cancel.

Each sub-account's work runs in a ``TaskScope``; switching sub-account closes
the old scope, which cancels every task in it and waits for them, so no late
response of the old sub-account can be applied after the switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class ScopeClosed(RuntimeError):
    """Work was offered to a scope that has been closed."""


class TaskScope:
    """A set of tasks that live and die together."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._named: dict[str, asyncio.Task[Any]] = {}
        self.closed = False

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        """The loop new tasks go on (the running one; the UI's task set may have one set)."""
        return asyncio.get_running_loop()

    def spawn(
        self, coro: Coroutine[Any, Any, T], name: str | None = None, *, replace: bool = False
    ) -> asyncio.Task[T]:
        """Start ``coro`` in this scope. With ``replace``, a running task of the same name is
        cancelled first (search-as-you-type: a new query cancels the previous one)."""
        if self.closed:
            coro.close()  # never awaited otherwise: avoid the "never awaited" warning
            raise ScopeClosed(f"scope {self.name} is closed")
        try:
            loop = self._event_loop()
        except RuntimeError:
            coro.close()
            raise
        if name and replace and (old := self._named.get(name)) is not None and not old.done():
            old.cancel()
        task = loop.create_task(coro, name=f"{self.name}:{name or 'task'}")
        self._tasks.add(task)
        if name:
            self._named[name] = task
        task.add_done_callback(self._finished)
        return task

    def running(self, name: str) -> bool:
        """Whether a task called ``name`` is still running."""
        task = self._named.get(name)
        return task is not None and not task.done()

    def cancel(self, name: str) -> bool:
        """Cancel the running task called ``name``; True if there was one."""
        task = self._named.get(name)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        for key, value in list(self._named.items()):
            if value is task:
                del self._named[key]
        # Asking for the exception also marks it retrieved, so asyncio does not
        # report it a second time when the task is garbage collected.
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("task %s failed", task.get_name(), exc_info=exc)

    async def close(self, timeout: float = 5.0) -> None:
        """Cancel every task and wait (bounded) until they have finished."""
        self.closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait(tasks, timeout=timeout)

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, task: object) -> bool:
        return task in self._tasks
