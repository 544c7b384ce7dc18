"""The qasync glue: owned tasks, signal slots, awaitable signals, the bus bridge, the loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest
from PySide6.QtCore import QObject, QTimer, Signal

from app.services.bus import (
    ContactsChanged,
    EventBus,
    KeyProblem,
    ScopeKey,
    SessionChanged,
    SubAccountsChanged,
)
from app.ui.async_qt import (
    BusBridge,
    TaskSet,
    TaskSetClosed,
    await_signal,
    connect_async,
    sleep_until,
)

SCOPE = ScopeKey("https://crm.example.com", "sub_a")


class Emitter(QObject):
    fired = Signal(int, str)
    bare = Signal()


def test_spawned_tasks_are_kept_until_done_and_failures_logged(
    run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    tasks = TaskSet("t")

    async def boom() -> None:
        raise ValueError("broken on purpose")

    async def scenario() -> None:
        task = tasks.spawn(boom(), "boom")
        assert task in tasks and len(tasks) == 1
        await asyncio.wait([task])
        await asyncio.sleep(0)

    with caplog.at_level(logging.ERROR):
        run(scenario())
    assert len(tasks) == 0
    assert any("t:boom failed" in r.getMessage() for r in caplog.records)


def test_replace_cancels_the_previous_task_of_that_name(run: Any) -> None:
    tasks = TaskSet("t")

    async def scenario() -> tuple[bool, bool]:
        first = tasks.spawn(asyncio.sleep(10), "search", replace=True)
        second = tasks.spawn(asyncio.sleep(10), "search", replace=True)
        await asyncio.sleep(0)
        cancelled = first.cancelled()
        assert tasks.running("search") and tasks.cancel("search")
        await asyncio.sleep(0)
        return cancelled, second.cancelled()

    assert run(scenario()) == (True, True)


def test_shutdown_cancels_everything_and_refuses_new_work(
    run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    tasks = TaskSet("t")

    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(0.5)  # ignores the first cancellation for a while

    async def scenario() -> bool:
        tasks.spawn(asyncio.sleep(10), "quiet")
        tasks.spawn(stubborn(), "stubborn")
        await asyncio.sleep(0)
        return await tasks.shutdown(timeout=0.05)

    with caplog.at_level(logging.WARNING):
        finished = run(scenario())
    assert finished is False
    assert any("stubborn" in r.getMessage() for r in caplog.records)

    async def later() -> None:
        with pytest.raises(TaskSetClosed):
            tasks.spawn(asyncio.sleep(0))

    run(later())


def test_slots_drop_extra_signal_arguments_and_ignore_deleted_owners(qtbot: Any, run: Any) -> None:
    tasks = TaskSet("t")
    emitter = Emitter()
    seen: list[int] = []

    async def takes_one(number: int) -> None:
        seen.append(number)

    connect_async(emitter.fired, takes_one, tasks)

    class Owner(QObject):
        async def handler(self) -> None:
            seen.append(-1)

    owner = Owner()
    start = tasks.slot(owner.handler)

    async def scenario() -> None:
        emitter.fired.emit(7, "dropped")
        await asyncio.sleep(0.01)
        import shiboken6

        shiboken6.delete(owner)
        assert start() is None  # a deleted owner: nothing runs

    run(scenario())
    assert seen == [7]


def test_await_signal_returns_its_arguments_and_times_out(run: Any) -> None:
    emitter = Emitter()

    async def scenario() -> tuple[Any, Any]:
        QTimer.singleShot(5, lambda: emitter.fired.emit(3, "x"))
        both = await await_signal(emitter.fired, timeout=2)
        QTimer.singleShot(5, emitter.bare.emit)
        none = await await_signal(emitter.bare, timeout=2)
        with pytest.raises(TimeoutError):
            await await_signal(emitter.bare, timeout=0.02)
        return both, none

    assert run(scenario()) == ((3, "x"), None)


def test_sleep_until_reaches_the_monotonic_deadline(run: Any) -> None:
    async def scenario() -> float:
        deadline = time.monotonic() + 0.12
        await sleep_until(deadline)
        return time.monotonic() - deadline

    assert run(scenario()) >= 0


def test_bus_events_become_signals_on_the_gui_thread(qtbot: Any, run: Any) -> None:
    bus = EventBus()
    bridge = BusBridge(bus)
    got: list[tuple[str, Any, bool]] = []
    main = threading.get_ident()
    bridge.contactsChanged.connect(
        lambda e: got.append(("contacts", e, threading.get_ident() == main))
    )
    bridge.keyProblem.connect(lambda e: got.append(("key", e, threading.get_ident() == main)))
    bridge.sessionChanged.connect(
        lambda e: got.append(("session", e, threading.get_ident() == main))
    )
    bus.subscribe(SubAccountsChanged, lambda e: got.append(("plain", e, True)))

    async def scenario() -> None:
        bus.publish(ContactsChanged(SCOPE, ids=frozenset({"c1"})))
        worker = threading.Thread(
            target=lambda: bus.publish(KeyProblem("p", "KEY_REVOKED", "revoked"))
        )
        worker.start()
        worker.join()
        for _ in range(50):
            if len(got) >= 2:
                break
            await asyncio.sleep(0.01)

    run(scenario())
    kinds = [(kind, on_main) for kind, _, on_main in got]
    assert kinds == [
        ("contacts", True),
        ("key", True),
    ]  # the worker's event arrived on the GUI thread
    bridge.detach()
    bus.publish(SessionChanged("p", SCOPE, 2))
    assert [k for k, _, _ in got] == ["contacts", "key"]  # detached: no more signals


def test_the_pass_after_a_stop_has_a_running_loop(qloop: Any) -> None:
    """qasync processes Qt events once more after stopping; a task stepped there must
    still find the running loop (every asyncio call needs it)."""
    seen: list[object] = []

    async def background() -> None:
        await asyncio.sleep(0)
        seen.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        seen.append(asyncio.get_running_loop())

    async def short() -> None:
        qloop.create_task(background())

    qloop.run_until_complete(short())
    qloop.run_until_complete(asyncio.sleep(0.05))
    assert seen == [qloop, qloop]
