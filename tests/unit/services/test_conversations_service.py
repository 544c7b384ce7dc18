"""ConversationService against a fake API client: cache, events, local snoozes and marks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import KeyRevoked, NotFound, ServerError, ValidationFailed
from app.core.models import Conversation, parse
from app.services.bus import ConversationsChanged, EventBus, Recorder, ScopeKey
from app.services.conversations import (
    READ_STATE_KEY,
    SNOOZE_STATE_KEY,
    UNREAD_STATE_KEY,
    ConversationBulkReport,
    ConversationService,
)
from app.storage import Database, Partition
from tests.unit.storage.docs import conversation

DEPLOYMENT = "https://crm.example.com"
SCOPE = ScopeKey(DEPLOYMENT, "sub_a")
T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC).timestamp()


class FakeClient:
    """The two conversation writes of ``SeedlyClient``, over an in-memory server."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.server = {d["id"]: dict(d) for d in docs}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.fail: dict[str, Exception] = {}
        self.team = {"usr_ana", "usr_ben"}

    async def update_conversation(self, conversation_id: str, **changes: Any) -> Conversation:
        self.calls.append(("patch", conversation_id, changes))
        await asyncio.sleep(0)
        if conversation_id in self.fail:
            raise self.fail[conversation_id]
        doc = self.server.get(conversation_id)
        if doc is None:
            raise NotFound("Conversation not found", status=404)
        if "assigned_to" in changes:
            member = changes["assigned_to"]
            if member is not None and member not in self.team:
                raise ValidationFailed(
                    f"assignedTo is not a team member of this sub-account: {member}",
                    status=400,
                    field="assignedTo",
                )
            doc["assignedTo"] = member
        if "status" in changes:
            doc["status"] = changes["status"]
        return parse(Conversation, doc)

    async def create_conversation(
        self, contact_id: str, channel: str, subject: str | None = None
    ) -> Conversation:
        self.calls.append(("create", contact_id, {"channel": channel, "subject": subject}))
        for doc in self.server.values():
            if (doc["contactId"], doc["channel"], doc["status"]) == (contact_id, channel, "open"):
                return parse(Conversation, {**doc, "created": False})
        doc = conversation(f"conv_new_{len(self.server)}", contactId=contact_id, channel=channel)
        doc["subject"] = subject
        self.server[doc["id"]] = doc
        return parse(Conversation, {**doc, "created": True})


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def part(tmp_path: Path) -> Iterator[Partition]:
    db = Database.open(tmp_path / "c.db")
    partition = db.partition(DEPLOYMENT, "sub_a")
    docs = [
        conversation("c1", "Ana Lima", "2026-06-15T10:00:00.000Z"),
        conversation("c2", "Ben Otto", "2026-06-15T09:00:00.000Z", assignedTo="usr_ana"),
        conversation("c3", "Cy Pratt", "2026-06-15T08:00:00.000Z", status="closed"),
        conversation("c4", "Di Moss", "2026-06-15T07:00:00.000Z", unreadCount=2),
    ]
    partition.conversations.upsert_conversations(docs)
    yield partition
    db.close()


@pytest.fixture
def client(part: Partition) -> FakeClient:
    return FakeClient(part.conversations.list_conversations(limit=100))


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(
    part: Partition, client: FakeClient, bus: EventBus, clock: Clock
) -> ConversationService:
    return ConversationService(part, client, bus, SCOPE, clock=clock)


def events(recorder: Recorder) -> list[ConversationsChanged]:
    return recorder.of(ConversationsChanged)


def test_close_reopen_assign_unassign_update_the_cache_and_publish(
    service: ConversationService, part: Partition, client: FakeClient, bus: EventBus
) -> None:
    recorder = Recorder().attach(bus, ConversationsChanged)

    async def scenario() -> None:
        doc = await service.close("c1")
        assert doc["status"] == "closed"
        assert part.conversations.get_conversation("c1")["status"] == "closed"  # type: ignore[index]
        await service.reopen("c3")
        await service.assign("c1", " usr_ben ")
        await service.unassign("c2")

    asyncio.run(scenario())
    assert [(c[1], c[2]) for c in client.calls] == [
        ("c1", {"status": "closed"}),
        ("c3", {"status": "open"}),
        ("c1", {"assigned_to": "usr_ben"}),
        ("c2", {"assigned_to": None}),
    ]
    cache = {d["id"]: d for d in part.conversations.list_conversations(limit=10)}
    assert cache["c3"]["status"] == "open" and cache["c1"]["assignedTo"] == "usr_ben"
    assert cache["c2"]["assignedTo"] is None
    # The embedded contact survives the PATCH answer (the cache merges).
    assert cache["c1"]["contact"]["firstName"] == "Ana"
    assert [sorted(e.ids) for e in events(recorder)] == [["c1"], ["c3"], ["c1"], ["c2"]]
    assert all(e.scope == SCOPE for e in events(recorder))


def test_errors_are_typed_and_leave_the_cache_alone(
    service: ConversationService, part: Partition, client: FakeClient
) -> None:
    client.fail["c1"] = ServerError("boom", status=503)
    with pytest.raises(ServerError) as info:
        asyncio.run(service.close("c1"))
    assert "Seedly had a problem" in info.value.user_message
    assert part.conversations.get_conversation("c1")["status"] == "open"  # type: ignore[index]
    del client.fail["c1"]
    with pytest.raises(ValidationFailed) as bad:
        asyncio.run(service.assign("c1", "usr_nobody"))
    assert "not a team member" in bad.value.user_message
    with pytest.raises(ValidationFailed) as empty:
        asyncio.run(service.assign("c1", "  "))
    assert empty.value.status is None and "team member" in empty.value.user_message
    assert len([c for c in client.calls if c[1] == "c1"]) == 2  # nothing sent for the blank id


def test_a_conversation_gone_from_the_server_leaves_the_cache(
    service: ConversationService, part: Partition, client: FakeClient, bus: EventBus
) -> None:
    recorder = Recorder().attach(bus, ConversationsChanged)
    del client.server["c2"]
    with pytest.raises(NotFound):
        asyncio.run(service.close("c2"))
    assert part.conversations.get_conversation("c2") is None
    assert events(recorder)[-1].deleted == frozenset({"c2"})


def test_snooze_keeps_the_time_locally_and_wakes_when_due(
    service: ConversationService, part: Partition, client: FakeClient, clock: Clock
) -> None:
    until = datetime.fromtimestamp(T0, UTC) + timedelta(hours=2)

    async def scenario() -> None:
        await service.snooze("c1", until)
        assert client.server["c1"]["status"] == "snoozed"
        assert service.snoozed_until("c1") == int(until.timestamp() * 1000)
        assert await service.wake_due() == []  # not yet
        clock.now += 2 * 3600 + 1
        assert await service.wake_due() == ["c1"]

    asyncio.run(scenario())
    assert client.server["c1"]["status"] == "open"
    assert part.conversations.get_conversation("c1")["status"] == "open"  # type: ignore[index]
    assert service.snoozed_until("c1") is None
    assert part.state.get_state(SNOOZE_STATE_KEY) == {}


def test_snooze_in_the_past_is_refused_before_sending(
    service: ConversationService, client: FakeClient
) -> None:
    with pytest.raises(ValidationFailed) as info:
        asyncio.run(service.snooze("c1", int(T0 * 1000) - 1))
    assert "already passed" in info.value.user_message
    assert client.calls == []
    with pytest.raises(ValueError):
        asyncio.run(service.snooze("c1", datetime(2030, 1, 1)))  # naive


def test_a_failed_snooze_keeps_no_wake_up_time(
    service: ConversationService, client: FakeClient
) -> None:
    client.fail["c1"] = ServerError("boom", status=500)
    with pytest.raises(ServerError):
        asyncio.run(service.snooze("c1", int(T0 * 1000) + 60_000))
    assert service.snoozed_until("c1") is None


def test_a_conversation_reopened_elsewhere_forgets_its_wake_up_time(
    service: ConversationService, part: Partition, client: FakeClient, clock: Clock
) -> None:
    asyncio.run(service.snooze("c1", int(T0 * 1000) + 60_000))
    # The contact wrote back: the next sync stores it open again.
    part.conversations.upsert_conversations(
        [{"id": "c1", "status": "open", "lastMessageAt": "2026-06-15T12:00:30.000Z"}]
    )
    service.apply_changes(ConversationsChanged(SCOPE, ids=frozenset({"c1"})))
    assert service.snoozed_until("c1") is None
    # A wake-up of a conversation no longer snoozed sends nothing.
    asyncio.run(service.snooze("c2", int(T0 * 1000) + 60_000))
    part.conversations.upsert_conversations([{"id": "c2", "status": "closed"}])
    clock.now += 120
    sent = len(client.calls)
    assert asyncio.run(service.wake_due()) == []
    assert len(client.calls) == sent and service.snoozes() == {}


def test_a_failing_wake_up_is_kept_for_the_next_round(
    service: ConversationService, client: FakeClient, clock: Clock
) -> None:
    asyncio.run(service.snooze("c1", int(T0 * 1000) + 1000))
    clock.now += 5
    client.fail["c1"] = ServerError("down", status=502)
    assert asyncio.run(service.wake_due()) == []
    assert service.snoozed_until("c1") is not None
    del client.fail["c1"]
    assert asyncio.run(service.wake_due()) == ["c1"]
    client.fail["c2"] = KeyRevoked("revoked", status=401)
    asyncio.run(service.snooze("c3", int(T0 * 1000) + 6000))
    client.fail["c3"] = KeyRevoked("revoked", status=401)
    clock.now += 10
    with pytest.raises(KeyRevoked):
        asyncio.run(service.wake_due())


def test_the_snooze_timer_wakes_at_the_time(
    part: Partition, client: FakeClient, bus: EventBus
) -> None:
    service = ConversationService(part, client, bus, SCOPE)  # the real clock

    async def scenario() -> None:
        timer = asyncio.create_task(service.run_snooze_timer(max_wait=5))
        await asyncio.sleep(0.05)
        await service.snooze("c1", service.now_ms() + 300)
        for _ in range(100):
            if client.server["c1"]["status"] == "open":
                break
            await asyncio.sleep(0.02)
        timer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await timer

    asyncio.run(scenario())
    assert client.server["c1"]["status"] == "open"


def test_mark_unread_is_local_and_clears_on_new_activity(
    service: ConversationService, part: Partition, client: FakeClient, bus: EventBus
) -> None:
    recorder = Recorder().attach(bus, ConversationsChanged)
    bus.subscribe(ConversationsChanged, service.apply_changes)
    assert service.mark_unread("c1") is True
    assert client.calls == []  # the API has no such call
    assert [d["id"] for d in part.conversations.list_conversations("unread")] == ["c1", "c4"]
    assert part.conversations.unread_total() == 3
    assert service.mark_unread("c1") is False and service.mark_unread("c4") is False
    assert "c1" in events(recorder)[-1].ids

    # A full reconcile re-stores the server's copy (unreadCount 0): the mark stays on.
    part.conversations.upsert_conversations([client.server["c1"]])
    bus.publish(ConversationsChanged(SCOPE, ids=frozenset({"c1"})))
    assert part.conversations.get_conversation("c1")["unreadCount"] == 1  # type: ignore[index]
    assert service.is_marked_unread("c1")

    # New activity: the mark goes and the server's count stands.
    part.conversations.upsert_conversations(
        [{**client.server["c1"], "lastMessageAt": "2026-06-15T12:30:00.000Z", "unreadCount": 0}]
    )
    bus.publish(ConversationsChanged(SCOPE, ids=frozenset({"c1"})))
    assert not service.is_marked_unread("c1")
    assert part.conversations.get_conversation("c1")["unreadCount"] == 0  # type: ignore[index]
    assert part.state.get_state(UNREAD_STATE_KEY) == {}


def test_opening_a_marked_conversation_clears_the_mark(
    service: ConversationService, part: Partition
) -> None:
    service.mark_unread("c2")
    assert service.marked_unread() == {"c2"}
    assert service.clear_unread_mark("c2") is True
    assert part.conversations.get_conversation("c2")["unreadCount"] == 0  # type: ignore[index]
    assert service.clear_unread_mark("c2") is False
    assert service.mark_unread("missing") is False


def _count(part: Partition, conversation_id: str) -> int:
    doc = part.conversations.get_conversation(conversation_id)
    assert doc is not None
    return int(doc["unreadCount"])


def _server_store(part: Partition, bus: EventBus, *docs: dict[str, Any]) -> None:
    """What a sync does: store the server's copies, then publish."""
    part.conversations.upsert_conversations(list(docs))
    bus.publish(ConversationsChanged(SCOPE, ids=frozenset(d["id"] for d in docs)))


def test_opening_marks_read_locally_until_a_new_message(
    service: ConversationService, part: Partition, client: FakeClient, bus: EventBus
) -> None:
    recorder = Recorder().attach(bus, ConversationsChanged)
    bus.subscribe(ConversationsChanged, service.apply_changes)
    assert _count(part, "c4") == 2 and part.conversations.unread_total() == 2
    assert service.mark_read("c4") is True
    assert client.calls == []  # the API has no such call
    assert _count(part, "c4") == 0 and part.conversations.unread_total() == 0
    assert [d["id"] for d in part.conversations.list_conversations("unread")] == []
    assert "c4" in events(recorder)[-1].ids
    assert part.state.get_state(READ_STATE_KEY) == {
        "c4": {"at": "2026-06-15T07:00:00.000Z", "was": 2}
    }
    assert service.mark_read("c4") is False  # already read
    assert service.mark_read("c1") is False  # nothing unread to hide

    # A poll re-stores the server's copy (still unreadCount 2): the 0 is laid over again.
    _server_store(part, bus, client.server["c4"])
    assert _count(part, "c4") == 0 and service.is_marked_read("c4")

    # A restart: a new service over the same cache keeps it read through the next sync.
    again = ConversationService(part, client, bus, SCOPE, clock=service.clock)
    bus.subscribe(ConversationsChanged, again.apply_changes)
    assert again.is_marked_read("c4")
    _server_store(part, bus, client.server["c4"])
    assert _count(part, "c4") == 0

    # A new inbound message: the mark goes and the server's count shows.
    client.server["c4"].update(
        lastMessageAt="2026-06-15T12:30:00.000Z", unreadCount=3, lastMessageDirection="inbound"
    )
    _server_store(part, bus, client.server["c4"])
    assert _count(part, "c4") == 3 and not again.is_marked_read("c4")
    assert part.state.get_state(READ_STATE_KEY) == {}


def test_a_new_message_read_as_it_arrives_stays_read(
    service: ConversationService, part: Partition, client: FakeClient, bus: EventBus
) -> None:
    service.mark_read("c4")
    # The user is looking at c4 when the contact writes again: read too.
    client.server["c4"].update(lastMessageAt="2026-06-15T12:30:00.000Z", unreadCount=3)
    part.conversations.upsert_conversations([client.server["c4"]])
    event = ConversationsChanged(SCOPE, ids=frozenset({"c4"}))
    service.apply_changes(event, reading="c4")
    assert _count(part, "c4") == 0
    assert part.state.get_state(READ_STATE_KEY) == {
        "c4": {"at": "2026-06-15T12:30:00.000Z", "was": 3}
    }
    # Reading another conversation does not read this one.
    client.server["c4"].update(lastMessageAt="2026-06-15T12:40:00.000Z", unreadCount=4)
    part.conversations.upsert_conversations([client.server["c4"]])
    service.apply_changes(event, reading="c1")
    assert _count(part, "c4") == 4 and not service.is_marked_read("c4")
    # A conversation opened with nothing unread (no mark) that gets a message while read.
    client.server["c1"].update(lastMessageAt="2026-06-15T12:50:00.000Z", unreadCount=1)
    part.conversations.upsert_conversations([client.server["c1"]])
    service.apply_changes(ConversationsChanged(SCOPE, ids=frozenset({"c1"})), reading="c1")
    assert _count(part, "c1") == 0 and service.is_marked_read("c1")
    # An answer (from a teammate, say) while nobody looks: it was read, the mark moves on.
    client.server["c1"].update(
        lastMessageAt="2026-06-15T13:00:00.000Z", unreadCount=1, lastMessageDirection="outbound"
    )
    part.conversations.upsert_conversations([client.server["c1"]])
    service.apply_changes(ConversationsChanged(SCOPE, ids=frozenset({"c1"})))
    assert _count(part, "c1") == 0 and service.is_marked_read("c1")


def test_mark_unread_after_opening_brings_the_count_back(
    service: ConversationService, part: Partition, client: FakeClient, bus: EventBus
) -> None:
    bus.subscribe(ConversationsChanged, service.apply_changes)
    service.mark_read("c4")
    assert service.mark_unread("c4") is True
    assert _count(part, "c4") == 2  # the server's count, not a made-up 1
    assert not service.is_marked_read("c4") and service.is_marked_unread("c4")
    _server_store(part, bus, client.server["c4"])
    assert _count(part, "c4") == 2  # no read mark left to lay a 0 over it
    # Being looked at while marked unread (open in the active window) does not read it.
    service.apply_changes(ConversationsChanged(SCOPE, ids=frozenset({"c4"})), reading="c4")
    assert _count(part, "c4") == 2
    assert service.mark_unread("c4") is False  # already marked
    # Opening it again reads it again; a conversation read on the server gets an unread
    # mark, and opening clears that one and sets no read mark (nothing to hide).
    assert service.mark_read("c4") is True and _count(part, "c4") == 0
    assert service.mark_unread("c1") is True and _count(part, "c1") == 1
    assert service.mark_read("c1") is True
    assert _count(part, "c1") == 0 and service.marked_read() == {"c4"}
    assert service.marked_unread() == set()
    # Marked unread while open: coming back to the window does not read it over the mark.
    service.mark_unread("c2")
    assert service.mark_read("c2", keep_unread_mark=True) is False
    assert _count(part, "c2") == 1
    # ... and a poll of it while the user looks at it keeps the mark too.
    _server_store(part, bus, client.server["c2"])
    service.apply_changes(ConversationsChanged(SCOPE, ids=frozenset({"c2"})), reading="c2")
    assert _count(part, "c2") == 1 and service.is_marked_unread("c2")


def test_mark_unread_over_a_stale_read_mark_keeps_the_servers_count(
    service: ConversationService, part: Partition, client: FakeClient
) -> None:
    service.mark_read("c4")
    # A sync stored newer activity (three unread) before the change event was applied.
    part.conversations.upsert_conversations(
        [{**client.server["c4"], "lastMessageAt": "2026-06-15T12:30:00.000Z", "unreadCount": 3}]
    )
    assert service.mark_unread("c4") is False  # unread on the server already
    assert _count(part, "c4") == 3 and not service.is_marked_read("c4")
    assert not service.is_marked_unread("c4")


def test_a_conversation_gone_from_the_server_loses_its_read_mark(
    service: ConversationService, part: Partition, client: FakeClient
) -> None:
    service.mark_read("c4")
    del client.server["c4"]
    with pytest.raises(NotFound):
        asyncio.run(service.close("c4"))
    assert part.state.get_state(READ_STATE_KEY) == {}
    # A deletion seen by the sync drops it as well.
    part.conversations.upsert_conversations([{**client.server["c2"], "unreadCount": 1}])
    assert service.mark_read("c2") is True
    part.conversations.delete_conversations(["c2"])
    service.apply_changes(ConversationsChanged(SCOPE, deleted=frozenset({"c2"})))
    assert not service.is_marked_read("c2")


def test_events_of_another_scope_are_ignored(service: ConversationService, part: Partition) -> None:
    service.mark_unread("c1")
    part.conversations.upsert_conversations(
        [{"id": "c1", "lastMessageAt": "2026-06-16T00:00:00.000Z"}]
    )
    service.apply_changes(
        ConversationsChanged(ScopeKey(DEPLOYMENT, "sub_b"), ids=frozenset({"c1"}))
    )
    assert service.is_marked_unread("c1")


def test_bulk_close_reports_each_failure_and_skips_what_is_done(
    service: ConversationService, client: FakeClient, part: Partition
) -> None:
    client.fail["c2"] = ServerError("boom", status=500)
    del client.server["c4"]
    progress: list[tuple[int, int]] = []
    report = asyncio.run(
        service.bulk(
            "close",
            ["c1", "c2", "c3", "c4", "c1"],
            on_progress=lambda d, t: progress.append((d, t)),
        )
    )
    assert isinstance(report, ConversationBulkReport)
    assert report.changed == ["c1"] and report.unchanged == ["c3"]
    assert [cid for cid, _ in report.failed] == ["c2", "c4"]
    assert progress[-1] == (4, 4)
    text = report.summary()
    assert text.startswith("Close: 2 of 4 conversations done, 2 failed.")
    assert "Seedly had a problem" in text and "no longer exists" in text
    assert [c[1] for c in client.calls] == ["c1", "c2", "c4"]  # c3 was already closed


def test_bulk_assign_stops_when_the_key_is_revoked(
    service: ConversationService, client: FakeClient
) -> None:
    client.fail["c2"] = KeyRevoked("revoked", status=401)
    report = asyncio.run(service.bulk("assign", ["c1", "c2", "c3"], user_id="usr_ben"))
    assert report.changed == ["c1"] and report.failed[0][0] == "c2"
    assert report.stopped_reason and "revoked" in report.stopped_reason
    assert report.not_reached == 1 and "Stopped before 1 conversation." in report.summary()
    ok = asyncio.run(service.bulk("unassign", ["c1", "c3"]))
    assert ok.summary() == "1 conversation unassigned. 1 already was."
    with pytest.raises(ValidationFailed):
        asyncio.run(service.bulk("assign", ["c1"]))
    with pytest.raises(ValueError):
        asyncio.run(service.bulk("explode", ["c1"]))


def test_bulk_snooze_keeps_every_time(service: ConversationService, clock: Clock) -> None:
    until = int(T0 * 1000) + 3_600_000
    report = asyncio.run(service.bulk("snooze", ["c1", "c2"], until=until))
    assert report.changed == ["c1", "c2"]
    assert service.snoozes() == {"c1": until, "c2": until}


def test_start_conversation_returns_the_open_one_or_a_new_one(
    service: ConversationService, client: FakeClient, part: Partition, bus: EventBus
) -> None:
    recorder = Recorder().attach(bus, ConversationsChanged)
    existing = asyncio.run(service.start_conversation("contact_c1", "sms"))
    assert existing == "c1"
    created = asyncio.run(service.start_conversation("contact_c1", "email", "Your quote"))
    assert created != "c1" and client.server[created]["subject"] == "Your quote"
    cached = part.conversations.get_conversation(created)
    assert cached is not None and "created" not in cached
    assert [sorted(e.ids) for e in events(recorder)] == [["c1"], [created]]
    # The subject only applies to email.
    asyncio.run(service.start_conversation("contact_x", "sms", "ignored"))
    assert client.calls[-1][2] == {"channel": "sms", "subject": None}
    with pytest.raises(ValidationFailed) as info:
        asyncio.run(service.start_conversation(" ", "fax"))
    assert set(info.value.errors) == {"contactId", "channel"}


def test_team_member_ids_come_from_the_cache(service: ConversationService, part: Partition) -> None:
    from tests.unit.storage.docs import contact

    part.contacts.upsert_many([contact("k1", assignedTo="usr_cy")])
    assert service.team_member_ids() == ["usr_ana", "usr_cy"]


def test_the_snooze_timer_stops_when_cancelled_right_after_a_snooze(
    part: Partition, client: FakeClient, bus: EventBus
) -> None:
    service = ConversationService(part, client, bus, SCOPE)

    async def scenario() -> None:
        timer = asyncio.create_task(service.run_snooze_timer(max_wait=30))
        await asyncio.sleep(0.01)
        await service.snooze("c1", service.now_ms() + 3_600_000)  # wakes the timer ...
        timer.cancel()  # ... and the cancellation lands in the same step
        done, _ = await asyncio.wait({timer}, timeout=2)
        assert timer in done and timer.cancelled()

    asyncio.run(scenario())
