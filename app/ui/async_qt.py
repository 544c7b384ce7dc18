"""The glue between asyncio (qasync) and Qt: one loop, owned tasks, awaitable signals.

Everything the UI starts asynchronously goes through this module:

- ``create_loop(app)`` is the only place a ``qasync.QEventLoop`` is made. It
  installs an exception handler that logs unhandled errors through ``logging``
  and keeps the loop running.
- ``TaskSet`` owns the tasks started from Qt slots. qasync's ``asyncSlot``
  keeps no reference to the task it starts, so a task can be garbage collected
  mid-flight and its failure is only printed by ``sys.excepthook``; a
  ``TaskSet`` holds every task until it finishes, logs failures, and cancels
  and awaits them all on ``shutdown``.
- ``connect_async(signal, coro_fn, tasks)`` replaces ``qasync.asyncSlot``.
- ``await_signal(signal)`` awaits a signal's next emission (e.g. a dialog's
  ``finished``) instead of a nested ``exec()`` loop inside a coroutine.
- ``sleep_until(deadline)`` sleeps to a ``time.monotonic()`` deadline even
  though Qt timers may fire early.
- ``BusBridge`` turns the services' plain-Python ``EventBus`` events into Qt
  signals delivered on the GUI thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import qasync
import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal, SignalInstance, Slot

from app.services.tasks import ScopeClosed, TaskScope
from app.services.bus import (
    AppointmentsChanged,
    BudgetChanged,
    ContactsChanged,
    ConversationsChanged,
    CreditsChanged,
    EventBus,
    KeyProblem,
    LeadPushProgress,
    MessagesChanged,
    OutboxChanged,
    ResearchJobChanged,
    ResearchResultsArrived,
    SessionChanged,
    SubAccountsChanged,
    SyncStatus,
    WebhookBenchChanged,
    WebhookDeliveryReceived,
    WebhooksChanged,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


# --- the loop ---------------------------------------------------------------


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Log what asyncio could not hand to anybody, and keep the loop alive.

    Reached for callbacks that raise, tasks that fail with nobody awaiting them
    ("Task exception was never retrieved") and transport errors. Returning
    normally is what keeps the loop running.
    """
    message = context.get("message") or "unhandled exception in the event loop"
    exception = context.get("exception")
    details = ", ".join(
        f"{key}={value!r}"
        for key, value in sorted(context.items())
        if key not in {"message", "exception"}
    )
    if details:
        message = f"{message} ({details})"
    exc_info = (type(exception), exception, exception.__traceback__) if exception else None
    log.error("%s", message, exc_info=exc_info)


class _QEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop with one gap closed.

    ``run_until_complete`` processes pending Qt events once more after the loop
    stopped, with no running loop set: a task stepped in that pass fails at its
    first asyncio call ("no running event loop"), and anyio/httpx under it raise
    ``NoEventLoopError``. That pass now runs with this loop as the running one.
    """

    def run_until_complete(self, future: Any) -> Any:
        future = asyncio.ensure_future(future, loop=self)

        def stop(*_: Any) -> None:
            self.stop()

        future.add_done_callback(stop)
        try:
            self.run_forever()
        finally:
            future.remove_done_callback(stop)
        previous = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(self)
        try:
            QCoreApplication.processEvents()
        finally:
            asyncio.events._set_running_loop(previous)
        if not future.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return future.result()


def create_loop(app: QCoreApplication) -> qasync.QEventLoop:
    """Create the application's event loop: a ``qasync.QEventLoop`` over ``app``.

    The loop becomes the current event loop of this thread (so code that runs
    before ``run_forever`` can schedule work on it) and logs unhandled errors
    through ``logging`` instead of printing them. Call it once per application
    (``bootstrap.py``); tests get it through the ``tests/ui`` loop factory.
    """
    loop = _QEventLoop(app)
    loop.set_exception_handler(_log_loop_exception)
    # asyncio.to_thread work (cache writes, keyring calls) on plain Python threads: qasync's
    # default QThread pool aborts the process ("QThread: Destroyed while thread is still
    # running") when the interpreter exits without the loop having been closed.
    loop.set_default_executor(
        concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="loop-worker")
    )
    asyncio.set_event_loop(loop)
    return loop


# --- owned tasks ------------------------------------------------------------


TaskSetClosed = ScopeClosed
"""Work was offered to a ``TaskSet`` after ``shutdown``."""


class TaskSet(TaskScope):
    """Strong references to the tasks a part of the UI started, until they finish.

    A ``TaskScope`` (``spawn``, ``running``, ``cancel``; a finished task leaves
    the set and a failure is logged with its traceback) with what the UI needs
    on top: ``slot`` for signal connections, ``cancel_all`` for synchronous
    close handlers and ``shutdown``, which cancels everything and waits,
    bounded, logging what would not stop; afterwards the set refuses new work.

    ``loop`` is only needed when tasks may be spawned before the loop runs
    (a signal fired while the window is being built); while the loop runs, the
    running loop is used.
    """

    def __init__(self, name: str = "ui", *, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(name)
        self._loop = loop

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            if self._loop is None or self._loop.is_closed():
                raise RuntimeError(
                    f"task set {self.name!r}: no running event loop; create the loop with "
                    "create_loop() and pass it as TaskSet(loop=...)"
                ) from None
            return self._loop

    def slot(
        self,
        coro_fn: Callable[..., Awaitable[Any]],
        name: str | None = None,
        *,
        replace: bool = False,
    ) -> Callable[..., asyncio.Task[Any] | None]:
        """A plain callable for ``signal.connect`` that spawns ``coro_fn(*args)`` here.

        Like Qt, trailing signal arguments the coroutine function does not take
        are dropped (``clicked(bool)`` can start ``async def refresh(self)``).
        When ``coro_fn`` is a method of a ``QObject`` that has been deleted, the
        emission is ignored instead of failing inside the task.
        """
        limit = _positional_limit(coro_fn)
        owner = getattr(coro_fn, "__self__", None)
        label = name or getattr(coro_fn, "__qualname__", None) or repr(coro_fn)

        def start(*args: Any) -> asyncio.Task[Any] | None:
            if isinstance(owner, QObject) and not shiboken6.isValid(owner):
                log.debug("ignored a signal for deleted %r", label)
                return None
            try:
                coro = coro_fn(*(args if limit is None else args[:limit]))
                if not inspect.iscoroutine(coro):
                    raise TypeError(f"{label} did not return a coroutine")
                return self.spawn(coro, name=label, replace=replace)
            except Exception:
                # Raising here would reach Qt's signal dispatch, which only prints it.
                log.exception("could not start %s", label)
                return None

        return start

    def cancel_all(self) -> None:
        """Cancel every running task without waiting (for synchronous close handlers)."""
        for task in list(self._tasks):
            task.cancel()

    async def shutdown(self, timeout: float = 5.0) -> bool:
        """Refuse new work, cancel every task and wait up to ``timeout`` seconds.

        Returns True when every task has finished; tasks still running after
        the timeout are logged by name. The calling task is left alone, so a
        task of this set may shut its own set down.
        """
        self.closed = True
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            log.warning(
                "task set %s: %d task(s) still running %.1f s after cancellation: %s",
                self.name,
                len(pending),
                timeout,
                ", ".join(sorted(task.get_name() for task in pending)),
            )
        return not pending


def _positional_limit(fn: Callable[..., Any]) -> int | None:
    """How many positional arguments ``fn`` accepts (None: any number)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            count += 1
    return count


def connect_async(
    signal: SignalInstance,
    coro_fn: Callable[..., Awaitable[Any]],
    tasks: TaskSet,
    *,
    name: str | None = None,
    replace: bool = False,
) -> Callable[..., asyncio.Task[Any] | None]:
    """Connect ``signal`` to the coroutine function ``coro_fn``; each emission spawns a task.

    The task is owned by ``tasks`` (kept alive, failures logged, cancelled on
    shutdown). ``name``/``replace`` as in ``TaskSet.spawn``: with
    ``replace=True`` a new emission cancels the previous run that is still in
    flight. Returns the connected callable, for ``signal.disconnect``.
    """
    start = tasks.slot(coro_fn, name, replace=replace)
    signal.connect(start)
    return start


# --- awaiting Qt ------------------------------------------------------------


async def await_signal(signal: SignalInstance, timeout: float | None = None) -> Any:
    """Wait for the next emission of ``signal`` and return its arguments.

    No arguments give ``None``, one argument gives that value, several give a
    tuple: ``await await_signal(dialog.finished)`` returns the dialog's result
    code. Connect before triggering the emission (open the dialog, then await).
    Raises ``TimeoutError`` after ``timeout`` seconds; the connection is removed
    in every case.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[tuple[Any, ...]] = loop.create_future()
    loop_thread = threading.get_ident()

    def resolve(args: tuple[Any, ...]) -> None:
        if not future.done():
            future.set_result(args)

    def on_emit(*args: Any) -> None:
        # A plain callable runs in the emitting thread; futures are not thread-safe.
        if threading.get_ident() == loop_thread:
            resolve(args)
        else:
            loop.call_soon_threadsafe(resolve, args)

    signal.connect(on_emit)
    try:
        args = await asyncio.wait_for(future, timeout)
    finally:
        # The sender may already be gone (a dialog deleted on close).
        with contextlib.suppress(RuntimeError, TypeError):
            signal.disconnect(on_emit)
    if not args:
        return None
    return args[0] if len(args) == 1 else args


async def sleep_until(deadline: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``deadline``.

    A single ``asyncio.sleep`` is not enough on qasync: its timers are whole
    milliseconds (truncated) and Qt's coarse timers may fire a few percent
    early, so waiting out a ``Retry-After`` could hit the server too soon.
    """
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(remaining)


# --- services' events as Qt signals -----------------------------------------


class BusBridge(QObject):
    """Re-emits the services' ``EventBus`` events as Qt signals on the GUI thread.

    One signal per event type; each carries the event object itself (a frozen
    dataclass from ``app.services.bus``). Events published from another thread
    are queued to the thread this bridge lives in, so receivers may touch
    widgets and models. ``detach()`` (or deleting the bridge) unsubscribes from
    the bus.
    """

    contactsChanged = Signal(object)
    """``ContactsChanged``: contacts of ``scope`` were upserted (``ids``) or deleted
    (``deleted``); ``full`` means re-query everything."""

    conversationsChanged = Signal(object)
    """``ConversationsChanged``: conversations of ``scope`` were upserted or deleted;
    ``full`` means re-query everything."""

    messagesChanged = Signal(object)
    """``MessagesChanged``: messages ``ids`` of conversation ``conversation_id`` changed."""

    appointmentsChanged = Signal(object)
    """``AppointmentsChanged``: appointments of ``scope`` changed; re-query them."""

    outboxChanged = Signal(object)
    """``OutboxChanged``: an outgoing message (``client_id``) moved to ``state``;
    ``reason`` says why when it failed."""

    syncStatusChanged = Signal(object)
    """``SyncStatus``: what the sync indicator and status bar show (``state`` is
    idle, syncing, error, offline or paused; ``last_success_ms``; ``message``)."""

    budgetChanged = Signal(object)
    """``BudgetChanged``: API budget left in ``bucket`` (``remaining`` of ``limit``)."""

    keyProblem = Signal(object)
    """``KeyProblem``: the active key was revoked or expired; polling stopped and
    queued work is kept. Show the banner with ``message``."""

    creditsChanged = Signal(object)
    """``CreditsChanged``: the Seamless credit meter moved (balance, spent, budget, rules)."""

    researchJobChanged = Signal(object)
    """``ResearchJobChanged``: a research job was queued, sent, polled, finished or failed."""

    researchResultsArrived = Signal(object)
    """``ResearchResultsArrived``: researched records were stored (free to reopen)."""

    leadPushProgress = Signal(object)
    """``LeadPushProgress``: adding researched contacts to a sub-account moved on."""

    subAccountsChanged = Signal(object)
    """``SubAccountsChanged``: the agency key's sub-account list was read again."""

    webhooksChanged = Signal(object)
    """``WebhooksChanged``: the cached webhook subscriptions of ``scope`` changed."""

    webhookDeliveryReceived = Signal(object)
    """``WebhookDeliveryReceived``: the local webhook receiver recorded a delivery."""

    webhookBenchChanged = Signal(object)
    """``WebhookBenchChanged``: a test delivery, a workflow run or the receiver changed."""

    sessionChanged = Signal(object)
    """``SessionChanged``: the profile or sub-account switched; ``generation``
    increases with every switch. Views clear and reload for ``scope``."""

    # Internal: carries events from the publishing thread to this object's thread.
    _relay = Signal(object)

    SIGNAL_FOR_EVENT: dict[type[Any], str] = {
        ContactsChanged: "contactsChanged",
        ConversationsChanged: "conversationsChanged",
        MessagesChanged: "messagesChanged",
        AppointmentsChanged: "appointmentsChanged",
        OutboxChanged: "outboxChanged",
        SyncStatus: "syncStatusChanged",
        BudgetChanged: "budgetChanged",
        KeyProblem: "keyProblem",
        SessionChanged: "sessionChanged",
        CreditsChanged: "creditsChanged",
        ResearchJobChanged: "researchJobChanged",
        ResearchResultsArrived: "researchResultsArrived",
        LeadPushProgress: "leadPushProgress",
        SubAccountsChanged: "subAccountsChanged",
        WebhooksChanged: "webhooksChanged",
        WebhookDeliveryReceived: "webhookDeliveryReceived",
        WebhookBenchChanged: "webhookBenchChanged",
    }
    """Which signal each event type is re-emitted as."""

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # A bound method of this QObject: Qt queues the call when the relay is
        # emitted from another thread, and runs it directly on this one.
        self._relay.connect(self._dispatch)
        self._unsubscribers: list[Callable[[], None]] = [
            bus.subscribe(event_type, self._relay.emit) for event_type in self.SIGNAL_FOR_EVENT
        ]
        # The bus must not call into a deleted C++ object. The closure must not
        # hold ``self``: it runs while the object is being destroyed.
        unsubscribers = self._unsubscribers
        self.destroyed.connect(lambda *_: _unsubscribe_all(unsubscribers))

    def detach(self) -> None:
        """Stop listening to the bus (idempotent)."""
        _unsubscribe_all(self._unsubscribers)

    @Slot(object)
    def _dispatch(self, event: object) -> None:
        signal_name = self.SIGNAL_FOR_EVENT.get(type(event))
        if signal_name is None:  # subscribed by type, so only a subclass could get here
            log.warning("no signal for event %s", type(event).__name__)
            return
        getattr(self, signal_name).emit(event)


def _unsubscribe_all(unsubscribers: list[Callable[[], None]]) -> None:
    while unsubscribers:
        unsubscribers.pop()()
