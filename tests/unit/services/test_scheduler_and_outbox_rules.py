"""Poll planning, task scopes and the outbox's matching rule, without a server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.services.outbox import body_pattern
from app.services.scheduler import PollScheduler, StopPolling
from app.services.tasks import ScopeClosed, TaskScope


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _noop() -> None:
    return None


def test_visible_jobs_poll_faster_and_activity_slows_everything() -> None:
    s = PollScheduler(clock=FakeClock())
    job = s.add("inbox", _noop, interval=10, background_interval=60)
    assert s.effective_interval(job) == 60
    s.set_visible("inbox", True)
    assert s.effective_interval(job) == 10
    s.set_activity(idle=True)
    assert s.effective_interval(job) == 30
    s.set_activity(minimised=True)
    assert s.effective_interval(job) == 60


def test_polling_stays_within_its_share_of_the_budget() -> None:
    s = PollScheduler(clock=FakeClock(), budget_probe=lambda: (120, 120), budget_share=0.25)
    for i in range(10):
        s.add(f"j{i}", _noop, interval=1, background_interval=1)
    # 10 jobs a second = 600/min against an allowance of 30/min: stretched 20x.
    assert s.budget_scale() == pytest.approx(20)
    assert s.planned_per_minute() / s.budget_scale() <= 30 + 1e-9
    healthy = PollScheduler(clock=FakeClock(), budget_probe=lambda: (100, 120))
    low = PollScheduler(clock=FakeClock(), budget_probe=lambda: (5, 120))
    for s2 in (healthy, low):
        s2.add("a", _noop, interval=1, background_interval=4)  # 15 requests a minute
    assert healthy.budget_scale() == 1
    assert low.budget_scale() == pytest.approx(2)  # someone else is spending the budget


@pytest.mark.asyncio
async def test_failures_back_off_and_recover() -> None:
    clock = FakeClock()
    s = PollScheduler(clock=clock)
    outcomes = [RuntimeError("boom"), RuntimeError("boom"), None]

    async def flaky() -> None:
        outcome = outcomes.pop(0)
        if outcome:
            raise outcome

    job = s.add("x", flaky, interval=10, background_interval=10)
    await s.run_once(job)
    assert job.failures == 1 and job.next_due == clock.now + 20
    await s.run_once(job)
    assert job.failures == 2 and job.next_due == clock.now + 40
    await s.run_once(job)
    assert job.failures == 0 and job.next_due == clock.now + 10


@pytest.mark.asyncio
async def test_stop_polling_pauses_until_resumed() -> None:
    s = PollScheduler(clock=FakeClock())

    async def revoked() -> None:
        raise StopPolling("key revoked")

    job = s.add("x", revoked, interval=1)
    await s.run_once(job)
    assert s.paused_reason == "key revoked" and s._next() is None
    s.resume()
    assert s.paused_reason is None and s._next() is job


@pytest.mark.asyncio
async def test_scheduler_runs_due_jobs_in_real_time() -> None:
    s = PollScheduler()
    runs: list[str] = []

    async def a() -> None:
        runs.append("a")

    s.add("a", a, interval=0.05, background_interval=0.05)
    task = asyncio.create_task(s.run())
    await asyncio.sleep(0.3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert 3 <= len(runs) <= 8


@pytest.mark.asyncio
async def test_task_scope_cancels_everything_and_replaces_named_tasks() -> None:
    scope = TaskScope("t")
    cancelled: list[str] = []

    async def forever(name: str) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    first = scope.spawn(forever("q1"), "search", replace=True)
    await asyncio.sleep(0)
    scope.spawn(forever("q2"), "search", replace=True)
    await asyncio.sleep(0.01)
    assert first.cancelled() and cancelled == ["q1"]
    scope.spawn(forever("other"), "poll")
    await asyncio.sleep(0)
    await scope.close()
    assert sorted(cancelled) == ["other", "q1", "q2"] and len(scope) == 0
    with pytest.raises(ScopeClosed):
        scope.spawn(forever("late"))


@pytest.mark.parametrize(
    ("template", "rendered", "matches"),
    [
        ("Hello {{firstName}}, see you", "Hello Jane, see you", True),
        ("Hello {{ firstName }}!", "Hello !", True),
        ("Total: {{custom_values.amount}} (USD)", "Total: 42 (USD)", True),
        ("Hello {{firstName}}", "Hello Jane, extra", True),
        ("Plain text.", "Plain text.", True),
        ("Plain text.", "Plain text!", False),
        ("a.b*c", "aXbbbc", False),
        ("Line one\nline two", "Line one\nline two", True),
    ],
)
def test_body_pattern_treats_merge_fields_as_wildcards(
    template: str, rendered: str, matches: bool
) -> None:
    assert (body_pattern(template).fullmatch(rendered) is not None) is matches


@pytest.mark.asyncio
async def test_going_idle_replans_at_once() -> None:
    clock = FakeClock()
    s = PollScheduler(clock=clock)
    job = s.add("inbox", _noop, interval=10, background_interval=60)
    await s.run_once(job)
    assert job.next_due == clock.now + 60
    s.set_activity(minimised=True)
    assert job.next_due == clock.now + 360
    s.set_activity(minimised=False)
    assert job.next_due == clock.now + 60


@pytest.mark.asyncio
async def test_a_send_whose_answer_was_lost_is_reconciled_after_the_delay(tmp_path: Path) -> None:
    """The sender's next pass comes after ``reconcile_delay``, not after its idle wait."""
    from app.core.errors import OutcomeUnknown
    from app.services.bus import EventBus, ScopeKey
    from app.services.outbox import OutboxSender
    from app.storage import Database, OutboxState

    class AnswerLost:
        async def send_message(self, conversation_id: str, payload: dict) -> None:  # type: ignore[type-arg]
            raise OutcomeUnknown("the answer was lost")

    db = Database.open(tmp_path / "cache.sqlite3")
    try:
        partition = db.partition("https://crm.example", "sub_1")
        scope = ScopeKey("https://crm.example", "sub_1")
        sender = OutboxSender(
            partition.outbox, AnswerLost(), EventBus(), scope, reconcile_delay=3.0
        )
        item = sender.compose("conv_1", {"bodyText": "hello", "channel": "sms"})
        wait = await sender.drain()
        current = partition.outbox.get(item.client_id)
        assert current is not None and current.state is OutboxState.UNKNOWN
        assert wait == pytest.approx(3.0)
    finally:
        db.close()


@pytest.mark.asyncio
async def test_the_servers_copy_of_a_sent_message_is_cached_at_once(tmp_path: Path) -> None:
    """The thread shows what the server stored (merge fields resolved) without a poll."""
    from app.core.models import Message, parse
    from app.services.bus import EventBus, MessagesChanged, OutboxChanged, ScopeKey
    from app.services.outbox import OutboxSender
    from app.storage import Database, OutboxState

    class Resolving:
        async def send_message(self, conversation_id: str, payload: dict) -> Message:  # type: ignore[type-arg]
            body = str(payload["bodyText"]).replace("{{firstName}}", "Thea")
            return parse(Message, {
                "id": "msg_1", "conversationId": conversation_id, "channel": "sms",
                "direction": "outbound", "bodyText": body, "status": "sent",
                "isInternal": False, "createdAt": "2026-12-01T10:00:00Z",
            })  # fmt: skip

    db = Database.open(tmp_path / "cache.sqlite3")
    try:
        partition = db.partition("https://crm.example", "sub_1")
        scope = ScopeKey("https://crm.example", "sub_1")
        bus, events = EventBus(), []
        for kind in (OutboxChanged, MessagesChanged):
            bus.subscribe(kind, events.append)
        sender = OutboxSender(
            partition.outbox, Resolving(), bus, scope, messages=partition.messages
        )
        item = sender.compose("conv_1", {"bodyText": "Hi {{firstName}}", "channel": "sms"})
        await sender.drain()
        sent = partition.outbox.get(item.client_id)
        assert sent is not None and sent.state is OutboxState.SENT
        cached = partition.messages.message_by_id("msg_1")
        assert cached is not None and cached["bodyText"] == "Hi Thea"
        # The outbox names the message before the thread hears of it.
        assert isinstance(events[-1], MessagesChanged) and events[-1].ids == {"msg_1"}
        assert isinstance(events[-2], OutboxChanged) and events[-2].state == "sent"
    finally:
        db.close()


@pytest.mark.asyncio
async def test_a_failed_look_up_is_tried_again_soon(tmp_path: Path) -> None:
    """When the server cannot be asked whether a lost send arrived, the sender asks again
    after ``retry_delay``, not after its idle wait."""
    from app.core.errors import NetworkError, OutcomeUnknown
    from app.services.bus import EventBus, ScopeKey
    from app.services.outbox import OutboxSender
    from app.storage import Database, OutboxState

    class Unreachable:
        async def send_message(self, conversation_id: str, payload: dict) -> None:  # type: ignore[type-arg]
            raise OutcomeUnknown("the answer was lost")

        async def iter_messages(self, conversation_id: str, limit: int = 100) -> Any:
            raise NetworkError("no route to the server")
            yield  # an async generator

    db = Database.open(tmp_path / "cache.sqlite3")
    try:
        partition = db.partition("https://crm.example", "sub_1")
        scope = ScopeKey("https://crm.example", "sub_1")
        sender = OutboxSender(
            partition.outbox, Unreachable(), EventBus(), scope,
            reconcile_delay=0.0, retry_delay=2.0,
        )  # fmt: skip
        item = sender.compose("conv_1", {"bodyText": "hello", "channel": "sms"})
        await sender.drain()  # the send: outcome unknown
        wait = await sender.drain()  # the look-up: the server cannot be reached
        current = partition.outbox.get(item.client_id)
        assert current is not None and current.state is OutboxState.UNKNOWN
        assert wait == pytest.approx(2.0)
    finally:
        db.close()
