"""Qt test fixtures shared by tests/ui and tests/e2e: one qasync loop per test.

pytest-qt does not run coroutines, and a second asyncio loop beside Qt's would
never see Qt events, so async Qt tests run on a ``qasync.QEventLoop`` made by
the app's own ``create_loop``: ``run(coro)`` drives it until the coroutine is
done. At teardown every task still pending is cancelled and awaited (bounded),
the loop is closed and the thread's current loop reset, so nothing of one test
runs into the next. Never call ``qtbot.wait*`` inside a coroutine.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import qasync

from app.ui.async_qt import create_loop

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _no_quit_on_last_window(qapp: Any) -> Iterator[None]:
    # Closing a test's window must never end the application of the whole session.
    qapp.setQuitOnLastWindowClosed(False)
    yield
    # Collect the test's parentless Qt objects now, on this thread: left to the cycle
    # collector they may be freed on a worker thread ("Timers cannot be stopped from
    # another thread"), which fails a later test on its Qt warning.
    gc.collect()


@pytest.fixture
def qloop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    """A qasync loop over the test's QApplication, torn down cleanly after the test."""
    loop = create_loop(qapp)
    yield loop
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=5))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def run(qloop: qasync.QEventLoop) -> Callable[..., Any]:
    """``run(coro, timeout=30)``: drive the qasync loop until ``coro`` finishes; its result."""

    def run_coroutine(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return qloop.run_until_complete(asyncio.wait_for(coro, timeout))

    return run_coroutine
