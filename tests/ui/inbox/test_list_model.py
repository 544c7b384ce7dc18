"""ConversationListModel: paging, views and filters in SQL, roles, in-place updates that keep
the selection and scroll, and partition switches that never show the old sub-account."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QListView

from app.services.bus import ConversationsChanged, ScopeKey
from app.services.conversations import SNOOZE_STATE_KEY, UNREAD_STATE_KEY
from app.services.ports.inbox import InboxReader
from app.storage import ConversationFilters, ConversationView, Partition
from app.core.team import readable_member
from app.ui.inbox.list_model import (
    ArchivedRole,
    AssigneeLabelRole,
    AssigneeRole,
    ChannelRole,
    ContactIdRole,
    ContactNameRole,
    ConversationIdRole,
    ConversationListModel,
    ConversationRole,
    HasDraftRole,
    InboxQuery,
    LastActivityRole,
    MarkedUnreadRole,
    PreviewDirectionRole,
    PreviewRole,
    RelativeTimeRole,
    SnoozedUntilRole,
    StatusRole,
    SubjectRole,
    UnreadCountRole,
)
from tests.ui.inbox.conftest import DEPLOYMENT, SCOPE_A, SCOPE_B, ids, load_all, reader_of
from tests.unit.storage.docs import conversation

ROOT = QModelIndex()


class Spy:
    """Records the model's structural and data signals."""

    def __init__(self, model: ConversationListModel) -> None:
        self.events: list[tuple[str, Any]] = []
        model.dataChanged.connect(
            lambda a, b, roles=(): self.events.append(("data", (a.row(), b.row())))
        )
        model.rowsInserted.connect(lambda _p, a, b: self.events.append(("insert", (a, b))))
        model.rowsRemoved.connect(lambda _p, a, b: self.events.append(("remove", (a, b))))
        model.layoutChanged.connect(lambda *_: self.events.append(("layout", None)))
        model.modelReset.connect(lambda: self.events.append(("reset", None)))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]


def storage_ids(part: Partition, query: InboxQuery = InboxQuery()) -> list[str]:
    docs = part.conversations.list_conversations(
        query.view, query.filters, query.text, limit=10_000
    )
    return [d["id"] for d in docs]


def changed(model: ConversationListModel, *cids: str, deleted: tuple[str, ...] = ()) -> None:
    model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset(cids), deleted=frozenset(deleted)))
    model.flush_changes()


def test_model_tester_through_every_operation(
    checked: ConversationListModel, part_a: Partition, part_b: Partition
) -> None:
    model = checked
    model.set_reader(reader_of(part_a))
    load_all(model)
    for query in (
        InboxQuery(ConversationView.unread()),
        InboxQuery(ConversationView.mine("usr_ana_ortiz")),
        InboxQuery(ConversationView.unassigned(), ConversationFilters(status="open")),
        InboxQuery(filters=ConversationFilters(channel="sms")),
        InboxQuery(text="ana"),
        InboxQuery(),
    ):
        model.set_query(query)
        model.fetchMore(ROOT)
        for row in range(model.rowCount()):
            for role in model.roleNames():
                model.data(model.index(row, 0), role)
    load_all(model)
    part_a.conversations.upsert_conversations(
        [
            {"id": "a_conv_030", "lastMessageAt": "2026-06-15T11:59:30.000Z"},
            {"id": "a_conv_002", "status": "closed", "assignedTo": "usr_x"},
            conversation("a_new", "New Face", "2026-06-15T11:59:50.000Z"),
        ]
    )
    part_a.conversations.delete_conversations(["a_conv_010", "a_conv_011", "a_conv_039"])
    changed(model, "a_conv_030", "a_conv_002", "a_new", deleted=("a_conv_010", "a_conv_011"))
    assert ids(model) == storage_ids(part_a)
    model.set_query(InboxQuery(filters=ConversationFilters(status="open")))
    load_all(model)
    part_a.conversations.upsert_conversations([{"id": "a_conv_000", "status": "closed"}])
    changed(model, "a_conv_000")
    assert ids(model) == storage_ids(part_a, model.query)
    model.set_reader(reader_of(part_b))
    load_all(model)
    model.set_reader(None)
    assert model.rowCount() == 0


def test_pages_load_one_at_a_time_until_the_end(
    model: ConversationListModel, part_a: Partition
) -> None:
    model.set_reader(reader_of(part_a))
    assert (model.rowCount(), model.total_count) == (10, 40)
    seen = [model.rowCount()]
    while model.canFetchMore(ROOT):
        model.fetchMore(ROOT)
        seen.append(model.rowCount())
    assert seen == [10, 20, 30, 40]
    model.fetchMore(ROOT)
    assert model.rowCount() == 40 and ids(model) == storage_ids(part_a)
    assert not model.canFetchMore(model.index(0, 0))  # a list: no children


def test_fetch_more_is_guarded_against_reentry(
    model: ConversationListModel, part_a: Partition
) -> None:
    model.set_reader(reader_of(part_a))
    model.rowsAboutToBeInserted.connect(lambda *_: model.fetchMore(ROOT))
    model.fetchMore(ROOT)
    assert model.rowCount() == 20 and len(set(ids(model))) == 20


def test_views_filters_and_search_are_the_storage_order(
    model: ConversationListModel, part_a: Partition
) -> None:
    model.set_reader(reader_of(part_a))
    queries = [
        InboxQuery(ConversationView.unread()),
        InboxQuery(ConversationView.mine("usr_ben_carter")),
        InboxQuery(ConversationView.unassigned()),
        InboxQuery(filters=ConversationFilters(status="snoozed")),
        InboxQuery(filters=ConversationFilters(channel="email", assigned_to="usr_ana_ortiz")),
        InboxQuery(text="Fay"),
        InboxQuery(text="5550012"),  # a phone suffix
        InboxQuery(text="cached text"),  # a message body
    ]
    for query in queries:
        model.set_query(query)
        load_all(model)
        assert ids(model) == storage_ids(part_a, query), query
        assert model.total_count == len(ids(model))
    model.set_query(InboxQuery(text="cached text"))
    assert ids(model) == ["a_conv_005"]


def test_roles_carry_what_the_delegate_paints(
    model: ConversationListModel, part_a: Partition
) -> None:
    part_a.drafts.save_draft("a_conv_001", {"body": "half written"})
    part_a.state.set_state(SNOOZE_STATE_KEY, {"a_conv_003": 1_781_600_000_000})
    part_a.state.set_state(UNREAD_STATE_KEY, {"a_conv_000": {"at": None, "was": 0}})
    model.set_reader(reader_of(part_a))
    model.set_assignee_names({"usr_ben_carter": "Benjamin C."})

    def value(row: int, role: int) -> Any:
        return model.data(model.index(row, 0), role)

    assert value(0, Qt.ItemDataRole.DisplayRole) == value(0, ContactNameRole) == "Ana Lima"
    assert value(0, ConversationIdRole) == "a_conv_000"
    assert value(0, ContactIdRole) == "contact_a_conv_000"
    assert value(0, ChannelRole) == "sms" and value(1, ChannelRole) == "email"
    assert [value(r, StatusRole) for r in range(4)] == ["open", "open", "closed", "snoozed"]
    assert value(1, UnreadCountRole) == 2 and value(0, UnreadCountRole) == 0
    assert value(0, PreviewRole) == "Message number 0 from a"
    assert (
        value(0, PreviewDirectionRole) == "inbound" and value(1, PreviewDirectionRole) == "outbound"
    )
    assert value(5, PreviewRole) == "Cached text of five"  # no preview sent: the cached message
    assert value(1, SubjectRole) == "Your estimate" and value(0, SubjectRole) is None
    assert value(0, AssigneeRole) is None and value(1, AssigneeRole) == "usr_ana_ortiz"
    assert value(1, AssigneeLabelRole) == "Ana Ortiz"  # read from the id
    assert value(2, AssigneeLabelRole) == "Benjamin C."  # a known name
    assert value(0, RelativeTimeRole) == "1 min ago"
    assert value(0, LastActivityRole) == 1_781_524_740_000
    assert value(1, HasDraftRole) is True and value(0, HasDraftRole) is False
    assert value(3, SnoozedUntilRole) == 1_781_600_000_000 and value(2, SnoozedUntilRole) is None
    assert value(0, MarkedUnreadRole) is True and value(1, MarkedUnreadRole) is False
    assert value(0, ArchivedRole) is False
    assert value(0, ConversationRole)["contact"]["firstName"] == "Ana"
    tooltip = value(1, Qt.ItemDataRole.ToolTipRole)
    assert "Ben Otto" in tooltip and "Your estimate" in tooltip and "email" in tooltip
    assert "2 unread" in value(1, Qt.ItemDataRole.AccessibleTextRole)
    assert model.data(model.index(99, 0), ContactNameRole) is None
    names = {bytes(name.data()) for name in model.roleNames().values()}
    assert names >= {b"conversationId", b"preview", b"hasDraft"}


def test_readable_member_names() -> None:
    assert readable_member("usr_ana_ortiz") == "Ana Ortiz"
    assert readable_member("user_kim") == "Kim"
    assert readable_member("u_8f3k2") == "u_8f3k2"
    assert readable_member("ana") == "ana"


def test_changes_apply_in_place_and_keep_selection_and_scroll(
    qapp: QApplication, model: ConversationListModel, part_a: Partition
) -> None:
    view = QListView()
    view.setUniformItemSizes(True)
    view.resize(320, 200)
    view.setModel(model)
    model.set_reader(reader_of(part_a))
    load_all(model)
    view.show()
    qapp.processEvents()
    selected = "a_conv_020"
    view.selectionModel().setCurrentIndex(
        model.index(model.row_of(selected), 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    view.scrollTo(model.index(25, 0), QListView.ScrollHint.PositionAtTop)
    qapp.processEvents()
    scroll = view.verticalScrollBar().value()
    assert scroll > 0
    spy = Spy(model)
    # New activity moves one up to the top; another changes status; one arrives; one goes.
    part_a.conversations.upsert_conversations(
        [
            {"id": "a_conv_035", "lastMessageAt": "2026-06-15T11:59:59.000Z", "unreadCount": 1},
            {"id": "a_conv_021", "status": "closed"},
            conversation("a_new", "Newcomer", "2026-06-15T11:59:58.000Z"),
        ]
    )
    part_a.conversations.delete_conversations(["a_conv_022"])
    for cid in ("a_conv_035", "a_conv_021", "a_new"):
        model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset({cid})))
    model.refresh(ConversationsChanged(SCOPE_A, deleted=frozenset({"a_conv_022"})))
    assert model.has_pending_changes and spy.events == []  # coalesced
    model.flush_changes()
    assert "reset" not in spy.kinds()
    assert spy.kinds().count("layout") == 1 and spy.kinds().count("insert") == 1
    assert ids(model)[:2] == ["a_conv_035", "a_new"] and ids(model) == storage_ids(part_a)
    assert view.currentIndex().data(ConversationIdRole) == selected
    assert [i.data(ConversationIdRole) for i in view.selectionModel().selectedIndexes()] == [
        selected
    ]
    assert model.data(model.index(model.row_of("a_conv_021"), 0), StatusRole) == "closed"
    qapp.processEvents()
    assert view.verticalScrollBar().value() == scroll  # not thrown back to the top
    view.close()


def test_unchanged_rows_emit_nothing_and_local_state_repaints_its_rows(
    model: ConversationListModel, part_a: Partition
) -> None:
    model.set_reader(reader_of(part_a))
    spy = Spy(model)
    changed(model, "a_conv_001")
    assert spy.events == []
    part_a.drafts.save_draft("a_conv_004", {"body": "x"})
    model.refresh_drafts()
    assert spy.events == [("data", (4, 4))]
    part_a.state.set_state(SNOOZE_STATE_KEY, {"a_conv_003": 1_781_600_000_000})
    spy.events.clear()
    changed(model, "a_conv_003")
    assert spy.events == [("data", (3, 3))]


def test_a_partition_switch_never_shows_the_old_rows(
    model: ConversationListModel, part_a: Partition, part_b: Partition
) -> None:
    model.set_reader(reader_of(part_a))
    load_all(model)
    seen: list[list[str]] = []
    model.modelReset.connect(lambda: seen.append(ids(model)))
    model.rowsInserted.connect(lambda *_: seen.append(ids(model)))
    # A change of the old partition is pending when the switch happens.
    part_a.conversations.upsert_conversations([{"id": "a_conv_001", "status": "closed"}])
    model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset({"a_conv_001"})))
    model.set_reader(reader_of(part_b))
    assert not model.has_pending_changes
    load_all(model)
    assert seen and all(cid.startswith("b_") for snapshot in seen for cid in snapshot)
    assert model.total_count == 12 and ids(model) == storage_ids(part_b)
    # A late event of the old sub-account (or another deployment) is ignored.
    model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset({"a_conv_001"})))
    model.refresh(
        ConversationsChanged(ScopeKey("https://other.example", "sub_b"), ids=frozenset({"x"}))
    )
    assert not model.has_pending_changes
    model.refresh(ConversationsChanged(ScopeKey(DEPLOYMENT + "/", "sub_b"), full=True))
    assert model.has_pending_changes  # the same deployment, spelled differently
    model.flush_changes()
    model.refresh(ConversationsChanged(SCOPE_B, ids=frozenset({"b_conv_000"})))
    model.flush_changes()


def test_a_page_read_for_another_partition_is_refused(
    model: ConversationListModel, part_a: Partition, part_b: Partition
) -> None:
    model.set_reader(reader_of(part_a))
    docs = part_b.conversations.list_conversations(limit=10)
    assert not model.apply_first_page(reader_of(part_b), InboxQuery(), docs, 12)
    assert ids(model)[0].startswith("a_")
    mine = part_a.conversations.list_conversations(text="Ana", limit=10)
    assert model.apply_first_page(reader_of(part_a), InboxQuery(text="Ana"), mine, len(mine))
    assert model.query.text == "Ana" and ids(model) == [d["id"] for d in mine]


def test_a_broken_cache_is_reported(model: ConversationListModel, part_a: Partition) -> None:
    model.set_reader(reader_of(part_a))
    failures: list[str] = []
    model.loadFailed.connect(failures.append)
    part_a.database.close()
    model.fetchMore(ROOT)
    assert failures and "local cache" in failures[0]
    assert not model.canFetchMore(ROOT)
    model.reload()
    assert model.rowCount() == 0 and len(failures) == 2


def _settle(qapp: QApplication, model: ConversationListModel) -> None:
    import time

    deadline = time.monotonic() + 5
    while model.requery_running and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.002)
    qapp.processEvents()


def test_large_windows_are_re_read_on_a_worker(
    qapp: QApplication, model: ConversationListModel, part_a: Partition
) -> None:
    model.set_reader(reader_of(part_a))
    load_all(model)
    spy = Spy(model)
    part_a.conversations.upsert_conversations(
        [{"id": "a_conv_030", "lastMessageAt": "2026-06-15T11:59:59.000Z"}]
    )
    model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset({"a_conv_030"})))
    model.flush_changes(background=True)
    assert model.requery_running and ids(model)[0] == "a_conv_000"  # not applied yet
    # A second burst while the first read runs is read again afterwards.
    part_a.conversations.upsert_conversations([{"id": "a_conv_031", "status": "closed"}])
    model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset({"a_conv_031"})))
    model.flush_changes(background=True)
    _settle(qapp, model)
    assert ids(model) == storage_ids(part_a) and ids(model)[0] == "a_conv_030"
    assert model.data(model.index(model.row_of("a_conv_031"), 0), StatusRole) == "closed"
    assert "reset" not in spy.kinds()
    # A reset while a read runs: the late answer is dropped.
    part_a.conversations.upsert_conversations(
        [{"id": "a_conv_020", "lastMessageAt": "2026-06-15T12:30:00.000Z"}]
    )
    model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset({"a_conv_020"})))
    model.flush_changes(background=True)
    model.set_query(InboxQuery(filters=ConversationFilters(status="closed")))
    _settle(qapp, model)
    assert ids(model) == storage_ids(part_a, model.query)[: model.rowCount()]
    assert all(
        model.data(model.index(r, 0), StatusRole) == "closed" for r in range(model.rowCount())
    )
    model.close()


def test_rows_fetched_during_a_background_read_are_kept(
    qapp: QApplication, model: ConversationListModel, part_a: Partition
) -> None:
    model.set_reader(reader_of(part_a))  # 10 rows loaded
    part_a.conversations.upsert_conversations([{"id": "a_conv_004", "status": "closed"}])
    model.refresh(ConversationsChanged(SCOPE_A, ids=frozenset({"a_conv_004"})))
    model.flush_changes(background=True)
    model.fetchMore(ROOT)  # the user scrolled on meanwhile: 20 rows
    _settle(qapp, model)
    assert model.rowCount() == 20 and ids(model) == storage_ids(part_a)[:20]
    assert model.data(model.index(4, 0), StatusRole) == "closed"
    model.close()


class _GatedReader(InboxReader):
    """A reader whose window reads wait for a gate (a slow cache, from the worker's side)."""

    def __init__(self, part: Partition) -> None:
        super().__init__(part)
        self.gate = threading.Event()
        self.started = threading.Event()
        self.finished = threading.Event()

    def first_page(self, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            return super().first_page(*args, **kwargs)
        self.started.set()
        self.gate.wait(5)
        try:
            return super().first_page(*args, **kwargs)
        finally:
            self.finished.set()


def test_closing_waits_for_a_background_read_so_the_cache_can_close(
    qapp: QApplication, model: ConversationListModel, part_a: Partition
) -> None:
    reader = _GatedReader(part_a)
    model.set_reader(reader)
    model.refresh_all(background=True)
    assert reader.started.wait(5)
    threading.Timer(0.2, reader.gate.set).start()
    model.close()
    # The read in flight ended before close() returned: closing the cache now is safe.
    assert reader.finished.is_set() and not model.requery_running
