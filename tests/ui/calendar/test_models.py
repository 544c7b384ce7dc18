"""The Calendar tab's models under ``QAbstractItemModelTester``: the calendars panel (colours,
show/hide) and the agenda (grouped by day, read on a worker, extended lazily, changed in
place)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import QListView

from app.services.ports.calendar import CalendarReader, CalendarRow
from app.storage import Partition
from app.ui.calendar.agenda import AgendaDelegate, AgendaModel, AgendaRowRole, AppointmentIdRole
from app.ui.calendar.calendars_model import CalendarIdRole, CalendarListModel
from app.ui.calendar.info import ViewInfo
from tests.ui.calendar.views_support import ZONE, appointment, db, part_a, reader_a, tested

__all__ = ["db", "part_a", "reader_a", "tested"]  # fixtures

Tested = Callable[[QAbstractItemModel], QAbstractItemModel]


def calendars(*specs: tuple[str, str, str]) -> list[CalendarRow]:
    return [CalendarRow(cid, name, kind, ZONE) for cid, name, kind in specs]


def test_calendars_are_listed_with_stable_colours_and_check_boxes(
    qapp: Any, tested: Tested
) -> None:
    model = CalendarListModel()
    tested(model)
    model.set_calendars(
        calendars(("cal_b", "Hygiene", "round_robin"), ("cal_a", "Dr. Ortiz", "personal")),
        also_ids=["cal_a", "cal_unsynced"],
    )
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == ["Hygiene", "Dr. Ortiz", "Calendar unsynced"]
    assert model.index(2, 0).data(CalendarIdRole) == "cal_unsynced"
    hues = {e.id: e.hue for e in model.calendars}
    assert len(set(hues.values())) == 3, "calendars of one sub-account get distinct colours"
    # The same calendars again, in another order and with one more: colours stay.
    model.set_calendars(
        calendars(
            ("cal_a", "Dr. Ortiz", "personal"),
            ("cal_b", "Hygiene", "round_robin"),
            ("cal_c", "Welcome", "collective"),
        ),
        also_ids=["cal_unsynced"],
    )
    again = {e.id: e.hue for e in model.calendars}
    assert {k: again[k] for k in hues} == hues
    for row in range(model.rowCount()):
        assert (
            model.index(row, 0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked.value
        )
        assert "calendar" in model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole).lower()
    assert "Round robin" in model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_unchecking_a_calendar_hides_it_and_says_so(qapp: Any, tested: Tested) -> None:
    model = CalendarListModel()
    tested(model)
    model.set_calendars(calendars(("cal_a", "A", "personal"), ("cal_b", "B", "class")))
    signals: list[int] = []
    model.hiddenChanged.connect(lambda: signals.append(1))
    index = model.index(1, 0)
    assert model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.hidden == {"cal_b"} and signals == [1]
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked.value
    model.set_shown("cal_b", True)
    assert model.hidden == set() and signals == [1, 1]
    # A remembered choice is applied without announcing it.
    model.set_hidden(["cal_a"])
    assert model.hidden == {"cal_a"} and signals == [1, 1]
    model.clear()
    assert model.rowCount() == 0


def test_a_click_anywhere_on_a_calendar_row_toggles_it(qapp: Any, qtbot: Any) -> None:
    from PySide6.QtTest import QTest

    from app.ui.calendar.panel import CalendarsPanel

    model = CalendarListModel()
    model.set_calendars(calendars(("cal_a", "Dr. Ortiz", "personal")))
    panel = CalendarsPanel(model)
    qtbot.addWidget(panel)
    panel.resize(240, 500)
    panel.show()
    rect = panel.list.visualRect(model.index(0, 0))
    QTest.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert model.hidden == {"cal_a"}
    QTest.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert model.hidden == set()


def fill(part: Partition) -> None:
    part.calendars.upsert_appointments(
        [
            appointment("a1", "2026-06-15T14:00", name="Ana Lima"),
            appointment("a2", "2026-06-15T16:00", calendar_id="cal_b", name="Ben Otto"),
            appointment("a3", "2026-06-16T13:00", status="cancelled", name="Cy Pratt"),
            appointment("a4", "2026-06-18T15:00", status="confirmed", name="Di Moss"),
            # One class session with three attendees.
            *(
                appointment(
                    f"c{i}",
                    "2026-06-17T20:00",
                    60,
                    calendar_id="cal_class",
                    type_id="type_class",
                    name=n,
                )
                for i, n in enumerate(["Eve Stone", "Fay Wong", "Gus Hale"])
            ),
            # Before the first day: never listed.
            appointment("old", "2026-06-10T14:00"),
        ]
    )


def agenda_of(
    qtbot: Any, reader: CalendarReader, tested: Tested, min_rows: int = 25
) -> AgendaModel:
    model = AgendaModel(min_rows=min_rows)
    tested(model)
    model.set_filter(ViewInfo(ZONE), (), False, {"cal_class"})
    model.show(reader, date(2026, 6, 15))
    qtbot.waitUntil(lambda: model.loaded_once, timeout=5000)
    return model


def headers(model: AgendaModel) -> list[str]:
    return [
        model.index(r, 0).data()
        for r in range(model.rowCount())
        if model.index(r, 0).data(AgendaRowRole).entry is None
    ]


def test_the_agenda_groups_appointments_by_day_from_the_chosen_day(
    qapp: Any, qtbot: Any, part_a: Partition, reader_a: CalendarReader, tested: Tested
) -> None:
    fill(part_a)
    model = agenda_of(qtbot, reader_a, tested)
    try:
        assert headers(model) == [
            "Monday 15 June 2026",
            "Wednesday 17 June 2026",
            "Thursday 18 June 2026",
        ]
        assert model.appointment_ids() == ["a1", "a2", "c0", "c1", "c2", "a4"]
        # The class session is one row.
        session_row = model.row_of_appointment("c1")
        assert model.row_of_appointment("c0") == session_row
        assert model.index(session_row, 0).data(AgendaRowRole).entry.is_session
        # Headers cannot be selected; appointments can.
        assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
        assert model.flags(model.index(1, 0)) & Qt.ItemFlag.ItemIsSelectable
        assert model.index(1, 0).data(AppointmentIdRole) == "a1"
        assert "Consultation" in model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    finally:
        model.close()


def test_agenda_filters_change_rows_in_place(
    qapp: Any, qtbot: Any, part_a: Partition, reader_a: CalendarReader, tested: Tested
) -> None:
    fill(part_a)
    model = agenda_of(qtbot, reader_a, tested)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    try:
        model.set_filter(ViewInfo(ZONE), {"cal_b"}, True, {"cal_class"})
        assert "a2" not in model.appointment_ids()
        assert "a3" in model.appointment_ids(), "cancelled ones when asked for"
        assert "Tuesday 16 June 2026" in headers(model)
        model.set_filter(ViewInfo(ZONE), (), False, {"cal_class"})
        assert model.appointment_ids() == ["a1", "a2", "c0", "c1", "c2", "a4"]
        assert resets == [], "filters never reset the list (the selection stays)"
    finally:
        model.close()


def test_agenda_reads_changes_and_further_days_without_a_reset(
    qapp: Any, qtbot: Any, part_a: Partition, reader_a: CalendarReader, tested: Tested
) -> None:
    fill(part_a)
    # Enough rows at once: the first read stops after its first weeks.
    model = agenda_of(qtbot, reader_a, tested, min_rows=3)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    try:
        assert model.canFetchMore(QModelIndex())
        part_a.calendars.upsert_appointments(
            [appointment("new", "2026-06-15T18:00", name="Hal Ng")]
        )
        model.refresh()
        qtbot.waitUntil(lambda: "new" in model.appointment_ids(), timeout=5000)
        assert model.appointment_ids()[:3] == ["a1", "a2", "new"]
        # Far ahead, beyond what was read: the view scrolling to the end reads on.
        part_a.calendars.upsert_appointments([appointment("far", "2026-11-20T15:00")])
        root = QModelIndex()
        for _ in range(40):
            if "far" in model.appointment_ids():
                break
            if model.canFetchMore(root):
                model.fetchMore(root)
            qtbot.waitUntil(lambda: not model.loading, timeout=5000)
        assert "far" in model.appointment_ids()
        assert resets == []
    finally:
        model.close()


def test_the_agenda_delegate_paints_both_kinds_of_row(
    qapp: Any, qtbot: Any, part_a: Partition, reader_a: CalendarReader, tested: Tested
) -> None:
    fill(part_a)
    model = agenda_of(qtbot, reader_a, tested)
    view = QListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(AgendaDelegate(view, clock=lambda: 1781539200.0))
    view.resize(600, 400)
    view.show()
    try:
        image = view.grab().toImage()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 5) for y in range(0, 200, 5)}
        assert len(colours) > 10
        header = view.visualRect(model.index(0, 0)).height()
        row = view.visualRect(model.index(1, 0)).height()
        assert header < row
    finally:
        model.close()
