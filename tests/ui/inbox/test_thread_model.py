"""MessageListModel: cache pages upwards, server pages when the cache is done, live
updates in place, the outbox merged in and replaced by the server copy, scope checks;
and the thread view keeping the reader's place when older pages go on top."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication

from app.services.ports.inbox import InboxReader
from app.services.bus import MessagesChanged, OutboxChanged, Recorder
from app.storage import Database, OutboxState, Partition
from app.ui.async_qt import TaskSet
from app.ui.inbox.thread import ThreadView
from app.ui.inbox.thread_model import MessageListModel, Role
from tests.ui.inbox.thread_fixtures import (
    BASE_MS,
    CONV,
    OTHER_SCOPE,
    SCOPE,
    FakeSync,
    iso,
    seed_partition,
    thread_docs,
)
from tests.unit.storage.docs import message

ROOT = QModelIndex()


@pytest.fixture
def tdb(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "thread.db")
    yield database
    database.close()


@pytest.fixture
def tpart(tdb: Database) -> Partition:
    return seed_partition(tdb, messages=12)


@pytest.fixture
def tmodel(qapp: Any) -> Iterator[MessageListModel]:
    model = MessageListModel(page_size=5)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    yield model
    model.clear()
    del tester


class Spy:
    """The model's structural and data signals, in order."""

    def __init__(self, model: MessageListModel) -> None:
        self.events: list[tuple[str, int, int]] = []
        model.rowsInserted.connect(lambda _p, a, b: self.events.append(("insert", a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.events.append(("remove", a, b)))
        model.dataChanged.connect(lambda a, b, *_: self.events.append(("data", a.row(), b.row())))
        model.modelReset.connect(lambda: self.events.append(("reset", 0, 0)))


def keys(model: MessageListModel) -> list[str]:
    return [r.key for r in model.rows()]


def bodies(model: MessageListModel) -> list[str]:
    return [r.body_text for r in model.rows()]


def sender_for(part: Partition, bus: Any) -> Any:
    from app.services.outbox import OutboxSender

    return OutboxSender(part.outbox, None, bus, SCOPE)


def test_first_page_is_the_newest_oldest_on_top(tmodel: MessageListModel, tpart: Partition) -> None:
    tmodel.set_thread(InboxReader(tpart), CONV)
    assert keys(tmodel) == [f"m:m_{i:05d}" for i in range(7, 12)]
    assert tmodel.canFetchMore(ROOT)
    index = tmodel.index(0)
    assert index.data(Role.DIRECTION) == "outbound"  # message 7
    assert index.data(Role.BODY_TEXT) == "Message 7 of the thread"
    assert index.data(Role.STATUS) == "delivered"
    assert index.data(Role.MESSAGE_ID) == "m_00007"
    assert index.data(Role.CLIENT_ID) is None
    assert index.data(Role.IS_NOTE) is False


def test_older_pages_from_the_cache_until_the_start(
    tmodel: MessageListModel, tpart: Partition
) -> None:
    spy = Spy(tmodel)
    tmodel.set_thread(InboxReader(tpart), CONV)
    tmodel.fetchMore(ROOT)
    # Inserted at the top, in order; the second page is as large as what is loaded.
    assert ("insert", 0, 4) in spy.events
    assert keys(tmodel) == [f"m:m_{i:05d}" for i in range(2, 12)]
    tmodel.fetchMore(ROOT)
    assert keys(tmodel) == [f"m:m_{i:05d}" for i in range(12)]
    assert not tmodel.canFetchMore(ROOT) and tmodel.at_start


def test_server_pages_once_the_cache_is_done(
    tmodel: MessageListModel, tpart: Partition, run: Any
) -> None:
    from app.services.bus import EventBus

    older = thread_docs(CONV, 8, start_ms=BASE_MS - 100 * 60_000, prefix="old")
    sync = FakeSync(tpart, EventBus(), SCOPE, older=older, page=5)
    sync.gate = asyncio.Event()
    tasks = TaskSet("test")
    model = MessageListModel(tasks, page_size=20)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    loading: list[bool] = []
    model.loadingChanged.connect(loading.append)
    started: list[bool] = []
    model.reachedStart.connect(lambda: started.append(True))

    async def scenario() -> None:
        model.set_thread(InboxReader(tpart), CONV, load_older=sync.load_older)
        assert model.message_count == 12 and model.canFetchMore(ROOT)
        model.fetchMore(ROOT)  # the cache is exhausted: a server page is asked for
        assert model.loading and not model.canFetchMore(ROOT)
        model.fetchMore(ROOT)  # guarded: no second request while one is in flight
        sync.gate.set()
        while model.loading:
            await asyncio.sleep(0.01)
        assert sync.calls == 1
        assert [r.key for r in model.rows()][:5] == [f"m:old_{i:05d}" for i in range(3, 8)]
        model.fetchMore(ROOT)
        while model.loading:
            await asyncio.sleep(0.01)
        model.fetchMore(ROOT)  # the server has nothing older: the start is reached
        while model.loading:
            await asyncio.sleep(0.01)
        assert model.at_start and not model.canFetchMore(ROOT)
        assert [r.key for r in model.rows()][:8] == [f"m:old_{i:05d}" for i in range(8)]

    run(scenario(), timeout=10)
    assert loading[:2] == [True, False] and started == [True]
    assert sync.calls == 3
    model.clear()
    del tester


def test_server_page_failure_is_reported_and_can_be_retried(
    tpart: Partition, run: Any, qapp: Any
) -> None:
    from app.core.errors import NetworkError
    from app.services.bus import EventBus

    sync = FakeSync(tpart, EventBus(), SCOPE, older=thread_docs(CONV, 2, start_ms=1, prefix="o"))
    sync.fail = NetworkError("The server could not be reached.")
    now = [100.0]
    model = MessageListModel(TaskSet("test"), page_size=50, retry_pause=5.0, clock=lambda: now[0])
    failures: list[str] = []
    model.olderLoadFailed.connect(failures.append)

    async def scenario() -> None:
        model.set_thread(InboxReader(tpart), CONV, load_older=sync.load_older)
        model.fetchMore(ROOT)
        while model.loading:
            await asyncio.sleep(0.01)
        assert failures and failures[0].startswith("Older messages could not be loaded")
        # Not marked as the start, but the view may not ask again at once (offline, the
        # layout after the banner would retry in a loop).
        assert not model.at_start and not model.canFetchMore(ROOT)
        now[0] += 6
        assert model.canFetchMore(ROOT)
        sync.fail = None
        model.fetchMore(ROOT)
        while model.loading:
            await asyncio.sleep(0.01)

    run(scenario(), timeout=10)
    assert model.rows()[0].key == "m:o_00000"


def test_live_status_change_updates_the_row_in_place(
    tmodel: MessageListModel, tpart: Partition
) -> None:
    tmodel.set_thread(InboxReader(tpart), CONV)
    spy = Spy(tmodel)
    doc = tpart.messages.message_by_id("m_00011")
    assert doc is not None
    tpart.messages.upsert_messages(
        [{**doc, "direction": "outbound", "status": "failed", "errorMessage": "Carrier said no."}]
    )
    tmodel.messages_changed(MessagesChanged(SCOPE, CONV, frozenset({"m_00011"})))
    assert spy.events == [("data", 4, 4)]
    row = tmodel.row_at(4)
    assert row is not None and row.status == "failed" and row.reason == "Carrier said no."
    # The same event again changes nothing.
    tmodel.messages_changed(MessagesChanged(SCOPE, CONV, frozenset({"m_00011"})))
    assert spy.events == [("data", 4, 4)]


def test_new_messages_go_to_the_bottom_older_ones_wait_for_paging(
    tmodel: MessageListModel, tpart: Partition
) -> None:
    tmodel.set_thread(InboxReader(tpart), CONV)
    newer = message("new_1", CONV, iso(BASE_MS + 50 * 60_000), "Are you open Saturday?")
    older = message("old_1", CONV, iso(BASE_MS - 60_000), "Way back")
    tpart.messages.upsert_messages([newer, older])
    tmodel.messages_changed(MessagesChanged(SCOPE, CONV, frozenset({"new_1", "old_1"})))
    assert keys(tmodel)[-1] == "m:new_1"
    assert "m:old_1" not in keys(tmodel)
    while tmodel.canFetchMore(ROOT):
        tmodel.fetchMore(ROOT)
    assert keys(tmodel)[0] == "m:old_1"  # paging brings it, once
    assert len(keys(tmodel)) == len(set(keys(tmodel))) == 14


def test_events_of_another_sub_account_or_conversation_are_ignored(
    tmodel: MessageListModel, tpart: Partition
) -> None:
    tmodel.set_thread(InboxReader(tpart), CONV)
    spy = Spy(tmodel)
    tpart.messages.upsert_messages([message("x_1", CONV, iso(BASE_MS + 90 * 60_000), "Hi")])
    tmodel.messages_changed(MessagesChanged(OTHER_SCOPE, CONV, frozenset({"x_1"})))
    tmodel.messages_changed(MessagesChanged(SCOPE, "conv_other", frozenset({"x_1"})))
    tmodel.outbox_changed(OutboxChanged(OTHER_SCOPE, "c1", CONV, "queued"))
    assert spy.events == []


def test_outbox_item_shows_at_once_and_is_replaced_by_the_server_copy(
    tmodel: MessageListModel, tpart: Partition
) -> None:
    from app.services.bus import EventBus

    bus = EventBus()
    bus.subscribe(OutboxChanged, tmodel.outbox_changed)
    bus.subscribe(MessagesChanged, tmodel.messages_changed)
    sender = sender_for(tpart, bus)
    tmodel.set_thread(InboxReader(tpart), CONV)
    before = tmodel.rowCount()
    item = sender.compose(CONV, {"bodyText": "See you at 3, {{firstName}}", "channel": "sms"})
    assert tmodel.rowCount() == before + 1
    last = tmodel.row_at(tmodel.rowCount() - 1)
    assert last is not None and last.key == f"o:{item.client_id}" and last.status == "queued"
    assert last.can_cancel and not last.can_retry

    tpart.outbox.mark_sending(item.client_id)
    sender._publish(tpart.outbox.get(item.client_id))
    assert tmodel.row_at(tmodel.rowCount() - 1).status == "sending"  # type: ignore[union-attr]

    sent = tpart.outbox.mark_sent(item.client_id, "srv_1")
    sender._publish(sent)
    # Sent, but the server copy is not cached yet: still the outbox row, not a gap.
    assert tmodel.rowCount() == before + 1
    assert tmodel.row_at(tmodel.rowCount() - 1).status == "sent"  # type: ignore[union-attr]

    server_copy = message(
        "srv_1",
        CONV,
        iso(BASE_MS + 30 * 60_000),
        "See you at 3, Kim",
        direction="outbound",
        status="delivered",
    )
    tpart.messages.upsert_messages([server_copy])
    bus.publish(MessagesChanged(SCOPE, CONV, frozenset({"srv_1"})))
    assert tmodel.rowCount() == before + 1  # replaced, not duplicated
    assert [k for k in keys(tmodel) if item.client_id in k] == []
    row = tmodel.row_at(tmodel.row_of("m:srv_1"))  # type: ignore[arg-type]
    assert row is not None and row.client_id == item.client_id and row.status == "delivered"
    # Reopening the thread shows the same single row.
    tmodel.set_thread(InboxReader(tpart), CONV)
    assert keys(tmodel).count("m:srv_1") == 1
    assert not any(k.startswith("o:") for k in keys(tmodel))


def test_unknown_send_is_hidden_when_its_server_copy_arrives_before_reconciliation(
    tmodel: MessageListModel, tpart: Partition
) -> None:
    from app.services.bus import EventBus

    bus = EventBus()
    sender = sender_for(tpart, bus)
    item = sender.compose(CONV, {"bodyText": "Hello {{firstName}}!", "channel": "sms"})
    tpart.outbox.mark_sending(item.client_id)
    tpart.outbox.mark_unknown(item.client_id)
    tmodel.set_thread(InboxReader(tpart), CONV)
    assert keys(tmodel)[-1] == f"o:{item.client_id}"
    assert tmodel.row_at(tmodel.rowCount() - 1).status == "unknown"  # type: ignore[union-attr]
    copy = message("srv_9", CONV, iso(item.created_ms + 500), "Hello Kim!", direction="outbound")
    tpart.messages.upsert_messages([copy])
    tmodel.messages_changed(MessagesChanged(SCOPE, CONV, frozenset({"srv_9"})))
    assert keys(tmodel)[-1] == "m:srv_9"
    assert f"o:{item.client_id}" not in keys(tmodel)
    # An inbound message with the same text is never taken for it.
    tmodel.set_thread(InboxReader(tpart), CONV)
    assert f"o:{item.client_id}" not in keys(tmodel)


def test_failed_item_offers_retry_and_cancel_and_a_bounce_links_the_server_copy(
    tmodel: MessageListModel, tpart: Partition
) -> None:
    from app.services.bus import EventBus

    bus = EventBus()
    bus.subscribe(OutboxChanged, tmodel.outbox_changed)
    sender = sender_for(tpart, bus)
    tmodel.set_thread(InboxReader(tpart), CONV)
    failed = sender.compose(CONV, {"bodyText": "Invalid one", "channel": "sms"})
    tpart.outbox.mark_sending(failed.client_id)
    sender._publish(tpart.outbox.mark_failed(failed.client_id, "The number is not valid."))
    row = tmodel.row_at(tmodel.row_of(f"o:{failed.client_id}"))  # type: ignore[arg-type]
    assert row is not None and row.status == "failed" and row.reason == "The number is not valid."
    assert row.can_retry and row.can_cancel
    sender.cancel(failed.client_id)
    assert tmodel.row_of(f"o:{failed.client_id}") is None  # cancelled items leave the thread

    # A sent email the server bounced: the server's row gets the item's Retry.
    doc = tpart.messages.message_by_id("m_00011")
    assert doc is not None
    tpart.messages.upsert_messages(
        [{**doc, "direction": "outbound", "status": "bounced", "errorMessage": "550 mailbox"}]
    )
    item = sender.compose(CONV, {"bodyText": "Message 11 of the thread", "channel": "sms"})
    tpart.outbox.mark_sending(item.client_id)
    tpart.outbox.mark_sent(item.client_id, "m_00011")
    sender._publish(tpart.outbox.mark_status(item.client_id, "bounced", "550 mailbox"))
    tmodel.messages_changed(MessagesChanged(SCOPE, CONV, frozenset({"m_00011"})))
    row = tmodel.row_at(tmodel.row_of("m:m_00011"))  # type: ignore[arg-type]
    assert row is not None and row.client_id == item.client_id
    assert row.status == "bounced" and row.can_retry and row.can_cancel
    assert tmodel.row_of(f"o:{item.client_id}") is None
    # Retry puts a new queued row at the bottom; the bounced copy keeps no buttons.
    sender.retry(item.client_id)
    assert keys(tmodel)[-1] == f"o:{item.client_id}"
    assert tmodel.row_at(tmodel.rowCount() - 1).status == str(OutboxState.QUEUED)  # type: ignore[union-attr]
    bounced = tmodel.row_at(tmodel.row_of("m:m_00011"))  # type: ignore[arg-type]
    assert bounced is not None and not bounced.can_retry and not bounced.can_cancel


def test_notes_are_marked(tmodel: MessageListModel, tpart: Partition) -> None:
    note = message(
        "note_1",
        CONV,
        iso(BASE_MS + 40 * 60_000),
        "Called, no answer",
        direction="outbound",
        status="sent",
        isInternal=True,
    )
    tpart.messages.upsert_messages([note])
    tmodel.set_thread(InboxReader(tpart), CONV)
    index = tmodel.index(tmodel.row_of("m:note_1"))  # type: ignore[arg-type]
    assert index.data(Role.IS_NOTE) is True
    assert index.data(Role.CAN_RETRY) is False


def test_older_pages_keep_the_scroll_anchor(qapp: QApplication, tpart: Partition) -> None:
    tpart.messages.upsert_messages(
        thread_docs(CONV, 120, start_ms=BASE_MS - 10_000_000, prefix="a")
    )
    view = ThreadView()
    view.resize(480, 400)
    model = MessageListModel(page_size=30)
    view.set_thread_model(model)
    model.set_thread(InboxReader(tpart), CONV)
    view.show()
    for _ in range(5):
        qapp.processEvents()
    assert view.at_bottom()
    # Scroll up a little below the fetch margin: the row at the top must stay where it is
    # while older pages are inserted above it.
    bar = view.verticalScrollBar()
    bar.setValue(bar.value() - 3 * view.viewport().height())
    for _ in range(3):
        qapp.processEvents()
    loaded = model.message_count
    view.FETCH_MARGIN = 10**6  # any position asks for older messages
    key, offset = view.anchor_row()
    assert key is not None
    view._fetch_if_near_top()
    for _ in range(5):
        qapp.processEvents()
    assert model.message_count > loaded
    assert view.anchor_row() == (key, offset)
    # At the bottom, a new message is followed.
    view.FETCH_MARGIN = 400
    view.scroll_to_bottom()
    qapp.processEvents()
    tpart.messages.upsert_messages(
        [message("late", CONV, iso(BASE_MS + 10**8), "Late news " * 30, direction="inbound")]
    )
    model.messages_changed(MessagesChanged(SCOPE, CONV, frozenset({"late"})))
    for _ in range(5):
        qapp.processEvents()
    assert view.at_bottom()
    last = view.visualRect(view.source_index(model.rowCount() - 1))
    assert last.bottom() <= view.viewport().height() + 1
    view.close()
    model.clear()


def test_recorder_sees_outbox_events_as_the_model_does(tpart: Partition) -> None:
    """The sender publishes what the model listens to (guards the wiring both rely on)."""
    from app.services.bus import EventBus

    bus = EventBus()
    recorder = Recorder().attach(bus, OutboxChanged)
    sender_for(tpart, bus).compose(CONV, {"bodyText": "x", "channel": "sms"})
    assert [(e.conversation_id, e.state) for e in recorder.of(OutboxChanged)] == [(CONV, "queued")]
