"""ContactsTableModel: paging, SQL sorting, queries, in-place refresh, partition isolation."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    Qt,
)
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QTableView

from app.services.bus import ContactsChanged, ScopeKey
from app.services.ports.contacts import ContactsReader
from app.storage import ContactFilters, Database, Partition
from app.ui.contacts.model import (
    FIXED_COLUMNS,
    Column,
    ColumnKeyRole,
    ContactIdRole,
    ContactRole,
    ContactsTableModel,
    SortableRole,
)
from app.ui.common.time_format import relative_time
from tests.ui.contacts.conftest import DEPLOYMENT, NOW, fixture_contacts, ids, load_all
from tests.unit.storage.docs import contact

ROOT = QModelIndex()


class Spy:
    """Records the model's structural and data signals."""

    def __init__(self, model: ContactsTableModel) -> None:
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


def storage_ids(part: Partition, **kwargs: Any) -> list[str]:
    return [d["id"] for d in part.contacts.search(limit=10_000, **kwargs)]


def test_model_tester_through_every_operation(
    checked: ContactsTableModel, part_a: Partition, part_b: Partition, scope_a: ScopeKey
) -> None:
    model = checked
    model.set_reader(ContactsReader(part_a))
    load_all(model)
    for column in range(model.columnCount()):
        model.sort(column, Qt.SortOrder.DescendingOrder)
        model.fetchMore(ROOT)
    model.sort(Column.NAME, Qt.SortOrder.AscendingOrder)
    load_all(model)
    model.set_query("smith", ContactFilters(has_phone=True))
    model.set_query(None)
    load_all(model)
    part_a.contacts.upsert_many(
        [
            contact("a_contact_002", "Aaron", "Aardvark", updatedAt="2026-07-01T00:00:00.000Z"),
            contact("a_new", "Abe", "Able"),
        ]
    )
    part_a.contacts.delete_ids(["a_contact_010", "a_contact_011", "a_contact_040"])
    model.refresh(
        ContactsChanged(
            scope_a,
            ids=frozenset({"a_contact_002", "a_new"}),
            deleted=frozenset({"a_contact_010", "a_contact_011", "a_contact_040"}),
        )
    )
    model.flush_changes()
    assert ids(model) == storage_ids(part_a)
    model.refresh(ContactsChanged(scope_a, full=True))
    model.flush_changes()
    model.set_reader(ContactsReader(part_b))
    load_all(model)
    model.set_reader(None)
    assert model.rowCount() == 0


def test_pages_load_one_at_a_time_until_the_end(
    model: ContactsTableModel, part_a: Partition
) -> None:
    model.set_reader(ContactsReader(part_a))
    assert (model.rowCount(), model.total_count) == (10, 50)
    seen = [model.rowCount()]
    while model.canFetchMore(ROOT):
        model.fetchMore(ROOT)
        seen.append(model.rowCount())
    assert seen == [10, 20, 30, 40, 50]
    assert not model.canFetchMore(ROOT)
    model.fetchMore(ROOT)  # past the end: nothing happens
    assert model.rowCount() == 50
    assert ids(model) == storage_ids(part_a)
    assert not model.canFetchMore(model.index(0, 0))  # a table: no children


def test_fetch_more_is_guarded_against_reentry(
    model: ContactsTableModel, part_a: Partition
) -> None:
    model.set_reader(ContactsReader(part_a))
    # A view re-checks for more rows while rows are being inserted.
    model.rowsAboutToBeInserted.connect(lambda *_: model.fetchMore(ROOT))
    model.fetchMore(ROOT)
    assert model.rowCount() == 20
    assert len(set(ids(model))) == 20


@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_sorting_by_each_column_is_the_storage_order(
    model: ContactsTableModel, part_a: Partition, order: Qt.SortOrder
) -> None:
    model.set_reader(ContactsReader(part_a))
    descending = order == Qt.SortOrder.DescendingOrder
    for column, spec in enumerate(model.columns):
        assert model.headerData(column, Qt.Orientation.Horizontal, SortableRole) is spec.sortable
        if not spec.sortable:
            continue
        model.sort(column, order)
        assert model.sort_column == column and model.sort_order == order
        assert model.rowCount() == 10  # a re-query starts from the first page
        load_all(model)
        assert ids(model) == storage_ids(part_a, sort_key=spec.sort_key, descending=descending)


def test_unsortable_columns_keep_the_order(model: ContactsTableModel, part_a: Partition) -> None:
    model.set_reader(ContactsReader(part_a))
    model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    before = ids(model)
    spy = Spy(model)
    for column in (Column.TITLE, Column.TAGS, Column.ASSIGNED_TO, Column.CITY, 99):
        model.sort(column, Qt.SortOrder.AscendingOrder)
    assert spy.events == [] and ids(model) == before
    assert model.sort_column == Column.SCORE


def test_columns_have_stable_unique_keys_and_custom_fields_follow(
    model: ContactsTableModel, part_a: Partition
) -> None:
    model.set_reader(ContactsReader(part_a))
    keys = [model.headerData(c, Qt.Orientation.Horizontal, ColumnKeyRole) for c in range(13)]
    assert keys == [spec.key for spec in FIXED_COLUMNS]
    assert [c.key for c in model.columns[len(FIXED_COLUMNS) :]] == [
        "customFields.preferred_language",
        "customFields.budget",
    ]
    assert len({c.key for c in model.columns}) == model.columnCount()
    assert model.column_of("engagementScore") == Column.SCORE
    assert model.headerData(Column.UPDATED, Qt.Orientation.Horizontal) == "Updated"
    assert model.headerData(
        Column.TAGS, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    ) == ("Tags (not sortable)")


def test_display_roles(model: ContactsTableModel, part_a: Partition) -> None:
    model.set_reader(ContactsReader(part_a))
    model.set_query(None, ContactFilters(lifecycle_stage="qualified"))
    load_all(model)
    row = model.row_of("a_contact_013")
    assert row >= 0
    name = model.index(row, Column.NAME)
    assert name.data() == "(no name)"
    assert name.data(Qt.ItemDataRole.FontRole).italic()
    assert name.data(ContactIdRole) == "a_contact_013"
    doc = name.data(ContactRole)
    assert doc["id"] == "a_contact_013" and doc["customFields"]["budget"] == 130
    assert model.index(row, Column.PHONE).data() == "(617) 555-0013"
    assert model.index(row, Column.PHONE).data(Qt.ItemDataRole.ToolTipRole) == "+16175550013"
    assert model.index(row, Column.STAGE).data() == "Qualified"
    assert model.index(row, Column.TAGS).data() == "vip, churn-risk, webinar"
    assert (
        model.index(row, Column.TAGS).data(Qt.ItemDataRole.ToolTipRole)
        == "vip\nchurn-risk\nwebinar"
    )
    score = model.index(row, Column.SCORE)
    assert score.data() == str((13 * 37) % 101)
    assert score.data(Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    )
    assert model.index(row, Column.EMAIL).data(Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    )
    assert model.index(row, Column.UPDATED).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(row, model.column_of("customFields.budget")).data() == "130"
    assert model.index(row, model.column_of("customFields.preferred_language")).data() == "Spanish"
    model.set_assignee_names({"usr_ana": "Ana Lima"})
    ana = model.row_of("a_contact_001")
    assert ana >= 0 and model.index(ana, Column.ASSIGNED_TO).data() == "Ana Lima"
    assert model.index(model.rowCount(), 0).data() is None


def test_a_cell_asked_for_many_roles_at_once_answers_as_data_does(
    model: ContactsTableModel, part_a: Partition, qtbot: Any
) -> None:
    """Views paint a cell with one ``multiData`` call: every role answers exactly what
    ``data`` does (None as no value), and a table drawn that way looks the same."""
    model.set_reader(ContactsReader(part_a))
    load_all(model)
    roles = [
        int(r)
        for r in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.FontRole,
            Qt.ItemDataRole.TextAlignmentRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.ForegroundRole,
            ContactIdRole,
        )
    ]
    answered = 0
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role in roles:
                entry = QModelRoleData(role)
                model.multiData(index, QModelRoleDataSpan(entry))
                expected = index.data(role)
                got = entry.data()
                if expected is None:
                    assert got is None, (row, column, role)
                else:
                    assert got == expected, (row, column, role)
                    answered += 1
    assert answered > model.rowCount() * 4

    class DataOnly(ContactsTableModel):
        def multiData(self, index: Any, roleDataSpan: Any) -> None:
            QAbstractItemModel.multiData(self, index, roleDataSpan)

    def drawn(table_model: ContactsTableModel) -> QImage:
        table_model.set_reader(ContactsReader(part_a))
        load_all(table_model)
        view = QTableView()
        qtbot.addWidget(view)
        view.resize(900, 500)
        view.setModel(table_model)
        return view.grab().toImage()

    class Counting(ContactsTableModel):
        calls = 0

        def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            Counting.calls += 1
            return super().data(index, role)

    picture = drawn(Counting())
    assert Counting.calls == 0  # painted through multiData alone
    assert picture == drawn(DataOnly())


def test_relative_dates() -> None:
    from datetime import timedelta

    assert relative_time(NOW - timedelta(seconds=20), NOW) == "Just now"
    assert relative_time(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert relative_time(NOW - timedelta(days=1, hours=1), NOW) == "Yesterday"
    three_days = relative_time(NOW - timedelta(days=3), NOW)
    assert three_days and three_days[0].isupper() and "2026" not in three_days
    english = QLocale("en_US")
    assert relative_time(NOW - timedelta(days=30), NOW, english) == "May 16"
    assert relative_time(NOW.replace(year=2025), NOW, english) == "Jun 15 2025"


def test_set_query_filters_in_sql(model: ContactsTableModel, part_a: Partition) -> None:
    model.set_reader(ContactsReader(part_a))
    counts: list[int] = []
    model.countChanged.connect(counts.append)
    filters = ContactFilters(tags=("vip",), has_phone=True)
    model.set_query("o'brien", filters)
    load_all(model)
    expected = storage_ids(part_a, text="o'brien", filters=filters)
    assert expected and ids(model) == expected
    assert model.total_count == len(expected) == counts[-1]
    model.set_query("nobody-like-this")
    assert model.rowCount() == 0 and model.total_count == 0 and not model.canFetchMore(ROOT)


def test_refresh_emits_data_changed_only_for_changed_rows(
    model: ContactsTableModel, part_a: Partition, scope_a: ScopeKey
) -> None:
    model.set_reader(ContactsReader(part_a))
    model.fetchMore(ROOT)  # 20 rows loaded, by name
    target_ids = [model.id_at(3), model.id_at(4), model.id_at(17)]
    docs = {d["id"]: d for d in part_a.contacts.get_many(target_ids)}
    # Same names (same order), new values in other columns.
    part_a.contacts.upsert_many(
        [
            {
                **docs[target_ids[0]],
                "company": "Renamed Co",
                "updatedAt": "2026-06-20T00:00:00.000Z",
            },
            {**docs[target_ids[1]], "engagementScore": 1, "updatedAt": "2026-06-20T00:00:00.000Z"},
            {**docs[target_ids[2]], "city": "Reno", "updatedAt": "2026-06-20T00:00:00.000Z"},
        ]
    )
    spy = Spy(model)
    # The event also names an unchanged loaded contact and one far outside the window.
    event_ids = {*target_ids, model.id_at(9) or "", "a_contact_049"}
    model.refresh(ContactsChanged(scope_a, ids=frozenset(event_ids)))
    assert spy.events == []  # coalesced until the timer or a flush
    model.flush_changes()
    assert spy.events == [("data", (3, 4)), ("data", (17, 17))]
    assert model.index(3, Column.COMPANY).data() == "Renamed Co"
    assert model.index(17, Column.CITY).data() == "Reno"


def test_refresh_keeps_selection_through_inserts_removals_and_moves(
    model: ContactsTableModel, part_a: Partition, scope_a: ScopeKey
) -> None:
    model.set_reader(ContactsReader(part_a))
    model.fetchMore(ROOT)
    selection = QItemSelectionModel(model)
    keep_id = model.id_at(12) or ""
    selection.setCurrentIndex(
        model.index(12, Column.EMAIL),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    before = ids(model)
    mover = part_a.contacts.get(before[15]) or {}
    part_a.contacts.delete_ids([before[2], before[5]])
    part_a.contacts.upsert_many(
        [
            contact("a_first", "Aaa", "Aaa"),  # sorts first
            {**mover, "firstName": "Aab", "updatedAt": "2026-07-01T00:00:00.000Z"},  # moves up
        ]
    )
    spy = Spy(model)
    model.refresh(
        ContactsChanged(
            scope_a,
            ids=frozenset({"a_first", before[15]}),
            deleted=frozenset({before[2], before[5]}),
        )
    )
    model.flush_changes()
    assert "reset" not in spy.kinds()
    assert {"remove", "insert", "layout", "data"} <= set(spy.kinds())
    assert ids(model) == storage_ids(part_a)[:20]
    new_row = model.row_of(keep_id)
    assert selection.currentIndex().row() == new_row
    assert [i.row() for i in selection.selectedRows()] == [new_row]
    assert model.index(model.row_of(before[15]), Column.NAME).data().startswith("Aab")
    assert model.total_count == 49


def test_refresh_brings_in_new_contacts_and_updates_the_count(
    model: ContactsTableModel, part_a: Partition, scope_a: ScopeKey, qtbot: Any
) -> None:
    model.set_reader(ContactsReader(part_a))
    load_all(model)
    part_a.contacts.upsert_many([contact("a_zz", "Zzz", "Last")])
    with qtbot.waitSignal(model.countChanged, timeout=2000) as blocker:
        model.refresh(ContactsChanged(scope_a, ids=frozenset({"a_zz"})))
        model.refresh(ContactsChanged(scope_a, ids=frozenset({"a_contact_001"})))
    assert blocker.args == [51]
    assert not model.has_pending_changes
    # The loaded window keeps its size: the new contact takes its place in the order and
    # the one it pushed past the window's end arrives with the next page, as the view scrolls.
    assert model.rowCount() == 50 and model.canFetchMore(ROOT)
    assert ids(model) == storage_ids(part_a)[:50] and "a_zz" in ids(model)
    model.fetchMore(ROOT)
    assert model.rowCount() == 51 and ids(model) == storage_ids(part_a)


def test_refresh_of_another_scope_is_ignored(model: ContactsTableModel, part_a: Partition) -> None:
    model.set_reader(ContactsReader(part_a))
    for scope in (ScopeKey(DEPLOYMENT, "sub_b"), ScopeKey("https://other.example.com", "sub_a")):
        model.refresh(ContactsChanged(scope, full=True))
        assert not model.has_pending_changes


def test_switching_partition_never_shows_the_old_rows(
    checked: ContactsTableModel, part_a: Partition, part_b: Partition, scope_a: ScopeKey
) -> None:
    model = checked
    model.set_reader(ContactsReader(part_a))
    load_all(model)
    model.refresh(ContactsChanged(scope_a, full=True))  # pending when the switch happens
    seen: list[list[str]] = []
    model.modelReset.connect(lambda: seen.append(ids(model)))
    model.set_reader(ContactsReader(part_b))
    assert len(seen) == 1 and all(i.startswith("b_") for i in seen[0])
    assert not model.has_pending_changes
    model.refresh(ContactsChanged(scope_a, full=True))  # late event of the old partition
    assert not model.has_pending_changes
    load_all(model)
    assert model.total_count == 30 and all(i.startswith("b_") for i in ids(model))
    assert model.columnCount() == len(FIXED_COLUMNS)  # b has no custom fields
    model.set_reader(None)
    assert model.rowCount() == 0 and model.total_count == 0 and not model.canFetchMore(ROOT)


def test_a_closed_cache_is_reported_not_raised(
    model: ContactsTableModel, part_a: Partition, db: Database, qtbot: Any
) -> None:
    model.set_reader(ContactsReader(part_a))
    db.close()
    with qtbot.waitSignal(model.loadFailed, timeout=1000) as blocker:
        model.fetchMore(ROOT)
    assert "local cache" in blocker.args[0]
    assert not model.canFetchMore(ROOT) and model.rowCount() == 10
    with qtbot.waitSignal(model.loadFailed, timeout=1000):
        model.set_query("jane")
    assert model.rowCount() == 0


def test_fixture_has_what_the_tests_rely_on() -> None:
    docs = fixture_contacts("a", 50)
    assert docs[13]["firstName"] == "" and docs[13]["lifecycleStage"] == "qualified"
    assert docs[13]["tags"] == ["vip", "churn-risk", "webinar"]
