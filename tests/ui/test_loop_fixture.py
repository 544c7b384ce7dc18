"""The qasync test loop runs Qt events and asyncio together, and cleans up after itself."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QTimer

from app.ui.async_qt import TaskSet, await_signal


def test_coroutines_see_qt_timers_fire(run: Any) -> None:
    async def wait_for_timer() -> str:
        timer = QTimer()
        timer.setSingleShot(True)
        timer.setInterval(10)
        timer.start()
        await await_signal(timer.timeout, timeout=2)
        return "fired"

    assert run(wait_for_timer()) == "fired"


def test_pending_tasks_are_cancelled_at_teardown(run: Any, qloop: Any) -> None:
    tasks = TaskSet("test")
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    async def start() -> asyncio.Task[None]:
        task = tasks.spawn(forever(), "forever")
        await started.wait()
        return task

    task = run(start())
    assert not task.done()  # left running: the fixture's teardown must cancel it
