"""The Calendar tab over a real cache (no server): the neighbours are read ahead and the
filters applied to them, a port that fetches far periods is asked for each period shown,
a port that keeps the user's zone shares it, the status legend and DST days show."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QPointF

from app.core.errors import ApiError
from app.services.bus import EventBus
from app.services.ports.calendar import CalendarPort
from app.storage import Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.calendar.layout import day_range_ms, week_days
from app.ui.calendar.export import IcsExport, appointment_file_name, period_file_name
from app.ui.calendar.tab import CalendarTab
from tests.support.areas import build_area
from tests.ui.calendar.views_support import SCOPE_A, appointment, db, part_a, until

__all__ = ["db", "part_a"]  # fixtures


def clock() -> float:
    """Wednesday 10 June 2026, 11:00 in New York."""
    return datetime.fromisoformat("2026-06-10T15:00:00+00:00").timestamp()


class FetchingPort(CalendarPort):
    """The port as the booking services extend it: far periods fetched, the zone kept."""

    def __init__(self, workspace: Any, *, fail: bool = False) -> None:
        super().__init__(workspace)
        self.fetched: list[tuple[int, int]] = []
        self.zone = "Europe/Berlin"
        self.fail = fail

    async def load_range(self, start_ms: int, end_ms: int) -> int:
        self.fetched.append((start_ms, end_ms))
        if self.fail:
            raise ApiError("the server is down", status=503)
        return 0

    def user_zone(self) -> str:
        return self.zone

    def set_user_zone(self, zone: str | None) -> None:
        self.zone = zone or "UTC"


def workspace_of(db: Database, part: Partition) -> Any:
    return SimpleNamespace(active=SimpleNamespace(scope=SCOPE_A, partition=part), db=db)


def build(port: CalendarPort, qloop: Any, **options: Any) -> tuple[CalendarTab, BusBridge, TaskSet]:
    bridge = BusBridge(EventBus())
    tasks = TaskSet("calendar-cache-test", loop=qloop)
    tab = build_area(CalendarTab, port, bridge, tasks, clock=clock, **options)
    tab.resize(1200, 760)
    tab.show()
    return tab, bridge, tasks


def test_far_periods_are_fetched_and_the_zone_is_shared(
    db: Database, part_a: Partition, qloop: Any, run: Any
) -> None:
    part_a.calendars.upsert_appointments([appointment("a1", "2026-06-10T14:00")])
    port = FetchingPort(workspace_of(db, part_a))
    tab, bridge, tasks = build(port, qloop)

    async def flow() -> None:
        assert tab.zone_name == "Europe/Berlin", "the port's zone is the tab's"
        await until(lambda: port.fetched)
        days = tab.period_days()
        assert port.fetched[-1] == day_range_ms(days[0], days[-1], tab.info.zone)
        tab.step(5)
        await until(lambda: len(port.fetched) >= 2)
        days = tab.period_days()
        assert port.fetched[-1] == day_range_ms(days[0], days[-1], tab.info.zone)
        tab.set_zone("Asia/Tokyo")
        assert port.zone == "Asia/Tokyo"
        await tab.shutdown()
        await tasks.shutdown(5)

    try:
        run(flow())
    finally:
        bridge.detach()
        tab.deleteLater()


def test_a_period_that_cannot_be_fetched_says_so(
    db: Database, part_a: Partition, qloop: Any, run: Any
) -> None:
    port = FetchingPort(workspace_of(db, part_a), fail=True)
    tab, bridge, tasks = build(port, qloop, zone_name="America/New_York")

    async def flow() -> None:
        await until(lambda: tab.banner.isVisible())
        assert tab.banner.severity == "warning"
        assert "could not be fetched" in tab.banner.text
        await tab.shutdown()
        await tasks.shutdown(5)

    try:
        run(flow())
    finally:
        bridge.detach()
        tab.deleteLater()


def test_neighbours_are_read_ahead_with_the_current_filters(
    db: Database, part_a: Partition, qloop: Any, run: Any
) -> None:
    part_a.calendars.upsert_appointments(
        [
            appointment("this", "2026-06-10T14:00"),
            appointment("next_a", "2026-06-17T14:00"),
            appointment("next_b", "2026-06-17T15:00", calendar_id="cal_b"),
        ]
    )
    port = CalendarPort(workspace_of(db, part_a))
    tab, bridge, tasks = build(port, qloop, zone_name="America/New_York")

    async def flow() -> None:
        await until(lambda: tab.visible_appointment_ids() == ["this"])
        tab.set_calendar_shown("cal_b", False)
        following = week_days(date(2026, 6, 17))
        ahead = day_range_ms(following[0], following[-1], tab.info.zone)
        reader = port.reader()
        assert reader is not None
        # A read ahead made before the filter changed is still used: placed again here.
        await until(lambda: tab.loader.cached(reader, *ahead) is not None)
        reads = tab.loader.reads
        tab.step(1)
        assert tab.visible_appointment_ids() == ["next_a"], "drawn at once, filtered"
        assert tab.loader.reads == reads, "from memory: nothing read again"
        await tab.shutdown()
        await tasks.shutdown(5)

    try:
        run(flow())
    finally:
        bridge.detach()
        tab.deleteLater()


def test_dst_days_say_which_hour_changes(
    db: Database, part_a: Partition, qloop: Any, run: Any
) -> None:
    port = CalendarPort(workspace_of(db, part_a))
    tab, bridge, tasks = build(port, qloop, zone_name="America/New_York")

    async def flow() -> None:
        await until(tab.is_loaded)
        tab.go_to(date(2026, 3, 8))  # clocks go forward in New York
        await until(lambda: not tab.period_loading())
        canvas = tab.grid.canvas
        sunday = tab.period_days().index(date(2026, 3, 8))
        columns = canvas.columns()
        x = columns.left(sunday) + columns.column_width / 2
        assert canvas.tooltip_at(QPointF(x, canvas.y_of(150))) == (
            "Clocks go forward: 02:00–03:00 is skipped"
        )
        assert canvas.tooltip_at(QPointF(x, canvas.y_of(600))) == ""
        await tab.shutdown()
        await tasks.shutdown(5)

    try:
        run(flow())
    finally:
        bridge.detach()
        tab.deleteLater()


class WriteFailed(Exception):
    """Stands in for the services' ``ExportFailed`` (its text is the user's sentence)."""


def test_the_period_shown_and_one_appointment_export_to_ics(
    db: Database, part_a: Partition, qloop: Any, run: Any, tmp_path: Any
) -> None:
    part_a.calendars.upsert_appointments(
        [
            appointment("a1", "2026-06-10T14:00", name="Ana Lima"),
            appointment("a2", "2026-06-11T15:00", calendar_id="cal_b", name="Ben Otto"),
            appointment("gone", "2026-06-11T16:00", status="cancelled"),
        ]
    )
    made: list[tuple[list[str], list[str], str]] = []

    def make(rows: Any, calendars: Any, zone: str) -> bytes:
        made.append(([r.id for r in rows], sorted(calendars), zone))
        return b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

    def write(path: Any, data: bytes) -> None:
        if path.name == "readonly.ics":
            raise WriteFailed("Could not write “readonly.ics”: Permission denied.")
        path.write_bytes(data)

    port = CalendarPort(workspace_of(db, part_a))
    tab, bridge, tasks = build(port, qloop, zone_name="America/New_York")

    async def flow() -> None:
        await until(lambda: set(tab.visible_appointment_ids()) == {"a1", "a2"})
        assert tab.export_button.isVisibleTo(tab), "offered with the services' .ics maker"
        tab.set_ics_export(None)
        assert not tab.export_button.isVisibleTo(tab)
        assert tab.export_visible() is None
        tab.set_ics_export(IcsExport(make, write, (WriteFailed,)))
        assert tab.export_button.isVisibleTo(tab)
        task = tab.export_visible(path=tmp_path / "week.ics")
        assert task is not None
        assert await task == tmp_path / "week.ics"
        assert (tmp_path / "week.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
        assert made[-1] == (["a1", "a2"], ["cal_a", "cal_b", "cal_class"], "America/New_York")
        assert tab.banner.severity == "success" and "2 appointments" in tab.banner.text

        tab.select(["a2"])
        assert tab.details.export_button.isVisibleTo(tab.details)
        task = tab.export_appointment("a2", path=tmp_path / "readonly.ics")
        assert task is not None and await task is None
        assert made[-1][0] == ["a2"]
        assert tab.banner.severity == "danger" and "Permission denied" in tab.banner.text
        await tab.shutdown()
        await tasks.shutdown(5)

    try:
        run(flow())
    finally:
        bridge.detach()
        tab.deleteLater()


def test_export_file_names_say_what_and_when() -> None:
    from app.services.ports.calendar import AppointmentRow

    row = AppointmentRow("a1", "cal_a", None, 0, 0, "scheduled", contact_name="Zoë O'Neil")
    assert appointment_file_name(row, date(2026, 4, 14)) == "appointment-zoë-o-neil-2026-04-14.ics"
    assert period_file_name(date(2026, 4, 13), date(2026, 4, 19)) == (
        "calendar-2026-04-13-to-2026-04-19.ics"
    )
    assert period_file_name(date(2026, 4, 14), date(2026, 4, 14)) == "calendar-2026-04-14.ics"
