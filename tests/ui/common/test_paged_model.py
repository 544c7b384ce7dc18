"""The generic paged models and the worker reads, over a tiny in-memory source."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import pytest
from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtTest import QAbstractItemModelTester

from app.services.bus import ScopeKey
from app.ui.common.paged_model import (
    Intern,
    KeyedListModel,
    KeyedRows,
    KeyedRowsModel,
    PagedCacheModel,
    PagedListModel,
    ReadWorker,
    runs,
)

ROOT = QModelIndex()
SCOPE = ScopeKey("https://crm.example.com", "sub_a")


@dataclass(frozen=True)
class Item:
    key: str
    text: str


@dataclass
class Source:
    """A reader of one sub-account: items filtered by a prefix, in list order."""

    items: list[Item]
    scope: ScopeKey = SCOPE
    reads: int = 0
    fail: bool = False

    def covers(self, scope: ScopeKey | None) -> bool:
        return scope == self.scope

    def select(self, prefix: str) -> list[Item]:
        self.reads += 1
        if self.fail:
            raise OSError("disk gone")
        return [i for i in self.items if i.text.startswith(prefix)]


@dataclass(frozen=True)
class Changed:
    scope: ScopeKey
    ids: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()
    full: bool = False


class ItemModel(PagedCacheModel[Source, str, Item]):
    noun = "items"
    read_errors = (OSError,)

    def row_key(self, row: Item) -> str:
        return row.key

    def read_first(
        self, source: Source, query: str, limit: int, intern: Intern
    ) -> tuple[list[Item], int]:
        found = source.select(query)
        return found[:limit], len(found)

    def read_page(
        self, source: Source, query: str, limit: int, offset: int, intern: Intern
    ) -> list[Item]:
        return source.select(query)[offset : offset + limit]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        return row.text


class InlineExecutor(Executor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@dataclass
class ManualExecutor(Executor):
    jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = field(default_factory=list)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs.append((fn, args))
        return Future()

    def run(self, index: int) -> None:
        fn, args = self.jobs[index]
        fn(*args)


def items(n: int, prefix: str = "a") -> list[Item]:
    return [Item(f"k{i:03d}", f"{prefix}{i:03d}") for i in range(n)]


@pytest.fixture
def model(qapp: Any) -> Iterator[ItemModel]:
    m = ItemModel("", page_size=10, coalesce_ms=5)
    tester = QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    yield m
    del tester
    m.close()


def keys(model: KeyedRows[Any]) -> list[str]:
    return model.loaded_ids()


def test_pages_load_on_demand_without_duplicates(model: ItemModel) -> None:
    source = Source(items(25))
    model.set_source(source)
    assert model.rowCount() == 10 and model.total_count == 25 and model.canFetchMore(ROOT)
    # A change shifts the next page by one: the repeated row is not listed twice.
    source.items.insert(0, Item("new", "a-new"))
    model.fetchMore(ROOT)
    assert model.rowCount() == 19 and len(set(keys(model))) == 19
    model.fetchMore(ROOT)
    model.fetchMore(ROOT)
    assert not model.canFetchMore(ROOT) and model.row_of("k024") == model.rowCount() - 1


def test_changes_are_coalesced_and_applied_in_place(model: ItemModel, qtbot: Any) -> None:
    source = Source(items(5))
    model.set_source(source)
    reset_epoch = model.epoch
    persistent = QPersistentModelIndex(model.index(3, 0))  # k003
    source.items = [source.items[4], *source.items[:3], Item("k009", "a009")]
    model.refresh(Changed(SCOPE, ids=frozenset({"k004", "k009"})))
    model.refresh(Changed(ScopeKey(SCOPE.deployment, "other"), full=True))  # ignored
    assert model.has_pending_changes and keys(model)[0] == "k000"
    qtbot.waitUntil(lambda: not model.has_pending_changes, timeout=2000)
    assert keys(model) == ["k004", "k000", "k001", "k002", "k009"]
    assert model.epoch == reset_epoch  # no reset: the view keeps selection and scroll
    assert not persistent.isValid()  # k003 left; its index went with it
    kept = QPersistentModelIndex(model.index(1, 0))
    source.items.reverse()
    model.refresh(Changed(SCOPE, full=True))
    model.flush_changes()
    assert kept.row() == model.row_of("k000") == 3


def test_a_large_window_is_re_read_on_the_worker(qapp: Any) -> None:
    m = ItemModel("", page_size=5, background_window=4)
    tester = QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    jobs = ManualExecutor()
    m._reads = ReadWorker(m, name="test", executor=jobs)
    source = Source(items(5))
    m.set_source(source)
    source.items.pop(0)
    m.refresh(Changed(SCOPE, deleted=frozenset({"k000"})))
    m.flush_changes()
    assert m.requery_running and keys(m)[0] == "k000"  # not applied yet
    m.refresh_all()  # a second burst while the read runs: read once more afterwards
    jobs.run(0)
    assert keys(m)[0] == "k001" and m.requery_running and len(jobs.jobs) == 2
    m.set_source(Source(items(3, "b")))  # a reset abandons the read in flight
    jobs.run(1)
    assert not m.requery_running and m.loaded_ids() == ["k000", "k001", "k002"]
    del tester


def test_a_failed_read_is_reported_and_stops_paging(model: ItemModel) -> None:
    failures: list[str] = []
    model.loadFailed.connect(failures.append)
    source = Source(items(30))
    model.set_source(source)
    source.fail = True
    model.fetchMore(ROOT)
    assert failures and "read the next items" in failures[0]
    assert not model.canFetchMore(ROOT)
    model.set_source(source)
    assert model.rowCount() == 0 and "read the items" in failures[-1]


def test_first_page_from_elsewhere_only_for_the_current_source(model: ItemModel) -> None:
    source = Source(items(3))
    model.set_source(source)
    assert not model.apply_first_page(Source(items(2)), "a", [Item("x", "ax")], 1)
    assert model.apply_first_page(source, "a00", [Item("k001", "a001")], 1)
    assert model.query == "a00" and keys(model) == ["k001"]


def test_rows_can_be_inserted_at_the_top(qapp: Any) -> None:
    class Thread(KeyedRowsModel[Item]):
        def row_key(self, row: Item) -> str:
            return row.key

        def data(
            self,
            index: QModelIndex | QPersistentModelIndex,
            role: int = Qt.ItemDataRole.DisplayRole,
        ) -> Any:
            row = self.row_at(index.row()) if index.isValid() else None
            return row.text if row is not None and role == Qt.ItemDataRole.DisplayRole else None

    m = Thread()
    tester = QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    m.beginResetModel()
    m._set_rows([Item("m3", "c"), Item("m4", "d"), Item("m3", "again")])
    m._end_reset()
    assert m.loaded_ids() == ["m3", "m4"]
    inserted = m._insert_rows(0, [Item("m1", "a"), Item("m2", "b"), Item("m3", "dup")])
    assert [r.key for r in inserted] == ["m1", "m2"]
    assert m.loaded_ids() == ["m1", "m2", "m3", "m4"] and m.row_of("m4") == 3
    del tester


def test_read_worker_delivers_only_the_newest_answer(qapp: Any, qtbot: Any) -> None:
    jobs = ManualExecutor()
    worker = ReadWorker(name="test", executor=jobs)
    got: list[Any] = []
    worker.submit(lambda: "old", got.append, got.append)
    worker.submit(lambda: "new", got.append, got.append)
    jobs.run(1)
    jobs.run(0)  # superseded before it started: never read
    assert got == ["new"] and not worker.busy
    worker.submit(lambda: 1 / 0, got.append, got.append)
    jobs.run(2)
    assert isinstance(got[-1], ZeroDivisionError)
    # An answer that arrives after a newer request is dropped (and counted).
    inline = ReadWorker(name="inline", executor=InlineExecutor())

    def read_then_supersede() -> str:
        inline.void()
        return "late"

    inline.submit(read_then_supersede, got.append, got.append)
    assert got[-1] != "late" and inline.stale_dropped == 1
    worker.close()
    worker.submit(lambda: "after close", got.append, got.append)
    assert len(jobs.jobs) == 3 and worker.closed


def test_runs_groups_consecutive_rows() -> None:
    assert runs([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]
    assert runs([]) == []


def test_unused_mapping_hook_default(model: ItemModel) -> None:
    source = Source(items(3))
    previous: Mapping[str, Item] = {}
    assert model.read_window(source, "", 10, previous, model.intern) == (source.items, 3)


class ItemList(PagedListModel[Source, str, Item]):
    """``ItemModel`` as a one-column list."""

    noun = "items"
    read_errors = (OSError,)

    def row_key(self, row: Item) -> str:
        return row.key

    def read_first(
        self, source: Source, query: str, limit: int, intern: Intern
    ) -> tuple[list[Item], int]:
        found = source.select(query)
        return found[:limit], len(found)

    def read_page(
        self, source: Source, query: str, limit: int, offset: int, intern: Intern
    ) -> list[Item]:
        return source.select(query)[offset : offset + limit]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        return row.text if row is not None and role == Qt.ItemDataRole.DisplayRole else None


def test_a_list_model_pages_and_applies_changes_like_the_table(qapp: Any) -> None:
    m = ItemList("", page_size=10, coalesce_ms=5)
    tester = QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    # A list keeps Qt's list base (its column count is not a Python call per index).
    assert isinstance(m, QAbstractListModel) and not isinstance(m, QAbstractTableModel)
    source = Source(items(25))
    m.set_source(source)
    m.fetchMore(ROOT)
    assert m.rowCount() == 20 and m.index(3).data() == "a003"  # a list's index(row)
    kept = QPersistentModelIndex(m.index(5))  # k005
    source.items = [Item("new", "a-new"), *reversed(source.items[1:20]), *source.items[20:]]
    m.refresh(Changed(SCOPE, ids=frozenset({"new"}), deleted=frozenset({"k000"})))
    m.flush_changes()
    assert keys(m) == [i.key for i in source.items[:20]] and m.row_of("k000") == -1
    assert kept.isValid() and kept.row() == m.row_of("k005")
    m.set_source(None)
    assert m.rowCount() == 0 and not m.canFetchMore(ROOT)
    m.close()
    del tester


def test_a_keyed_list_inserts_above_and_between_rows(qapp: Any) -> None:
    class Thread(KeyedListModel[Item]):
        def row_key(self, row: Item) -> str:
            return row.key

        def row_of(self, key: str) -> int | None:
            return self._row_of.get(key)

        def data(
            self,
            index: QModelIndex | QPersistentModelIndex,
            role: int = Qt.ItemDataRole.DisplayRole,
        ) -> Any:
            row = self.row_at(index.row()) if index.isValid() else None
            return row.text if row is not None and role == Qt.ItemDataRole.DisplayRole else None

    m = Thread()
    tester = QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    m.beginResetModel()
    m._set_rows([Item("m3", "c"), Item("m5", "e")])
    m._end_reset()
    m._insert_rows(1, [Item("m4", "d")])
    m._insert_rows(0, [Item("m1", "a"), Item("m2", "b"), Item("m5", "dup")])
    m._insert_rows(m.rowCount(), [Item("m6", "f")])
    assert m.loaded_ids() == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert [m.row_of(k) for k in m.loaded_ids()] == list(range(6)) and m.row_of("x") is None
    m.beginResetModel()
    m._set_rows([])
    m._end_reset()
    m._reconcile([Item("m1", "a"), Item("m2", "b")], set())
    assert m.loaded_ids() == ["m1", "m2"] and m.index(1).data() == "b"
    del tester


def test_closing_a_worker_can_wait_for_the_read_in_flight(qapp: Any) -> None:
    worker = ReadWorker(name="closing")
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_read() -> str:
        started.set()
        release.wait(5)
        finished.set()
        return "late"

    got: list[Any] = []
    worker.submit(slow_read, got.append, got.append)
    assert started.wait(5)
    threading.Timer(0.2, release.set).start()
    worker.close(wait=True)
    # The read ended before close() returned (what it read may be closed now); its
    # answer is dropped.
    assert finished.is_set()
    qapp.processEvents()
    assert got == []
