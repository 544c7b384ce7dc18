"""The Calendar tab against a workspace on the session's sandbox: the week's appointments
from the cache, switching weeks (the neighbours drawn at once), hiding calendars and
showing cancelled ones (remembered per sub-account), the keyboard, ``show_record``, changes
brought by the poller applied in place, and nothing of one sub-account after a switch."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.api.transport import RetryPolicy
from app.services.bus import AppointmentsChanged
from app.services.ports.calendar import AppointmentRow, BookingRequest, CalendarReader
from app.services.workspace import Workspace
from app.ui.calendar.layout import day_range_ms, week_days
from app.ui.calendar.tab import CalendarTab
from app.ui.common.report import ReportDialog
from tests.support.booking import APPOINTMENTS_PATH
from tests.support.sandbox_process import Sandbox
from tests.ui.calendar.views_support import appointment, iso, opened, sync_calendar, until

pytestmark = pytest.mark.timeout(120)

Run = Callable[..., Any]


def reader_of(workspace: Workspace) -> CalendarReader:
    active = workspace.active
    assert active is not None
    return CalendarReader(active.partition)


def week_rows(
    tab: CalendarTab, workspace: Workspace, *, cancelled: bool = False
) -> list[AppointmentRow]:
    days = tab.period_days()
    start, end = day_range_ms(days[0], days[-1], tab.info.zone)
    return reader_of(workspace).appointments_between(start, end, include_cancelled=cancelled)


def press(tab: CalendarTab, key: Qt.Key) -> None:
    target = QApplication.focusWidget()
    if target is None or not tab.isAncestorOf(target):
        tab.grid.canvas.setFocus()
        target = tab.grid.canvas
    QTest.keyClick(target, key)


async def next_week(tab: CalendarTab) -> None:
    """Show next week (wholly ahead: its appointments are still scheduled or confirmed)."""
    tab.step(1)
    await settled(tab)


async def settled(tab: CalendarTab) -> None:
    """The period shown is the one read (no read in flight for it)."""
    await until(lambda: tab.is_loaded() and not tab.loader.busy and not tab.period_loading())


def test_the_week_shows_the_open_sub_accounts_appointments(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, _navigator):
            await settled(tab)
            assert tab.view == "week"
            assert tab._today() in tab.period_days()
            expected = {row.id for row in week_rows(tab, workspace)}
            assert expected, "the demo has appointments this week"
            assert set(tab.visible_appointment_ids()) == expected
            assert tab.grid.isVisibleTo(tab)
            tab.grid.canvas.repaint()
            assert tab.grid.canvas.painted_blocks > 0
            # Only what is on screen is painted.
            assert tab.grid.canvas.painted_blocks <= len(tab.visible_entries())
            # The calendars panel lists the sub-account's calendars, each shown.
            names = [c.name for c in tab.calendars_model.calendars]
            assert "Hygiene Team" in names and tab.calendars_model.hidden == set()
            assert "Harbor" not in tab.period_label.text() and "–" in tab.period_label.text()

    run(flow(), timeout=90)


def test_switching_weeks_draws_the_neighbours_at_once_and_keeps_the_selection(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, _navigator):
            await settled(tab)
            # A click on a block selects it and shows it in the details.
            canvas = tab.grid.canvas
            placed = next(p for day in canvas.grid_layout.timed for p in day)
            tab.grid.ensure_visible(placed.entry.primary.id)
            rect = canvas.block_rect(placed)
            QTest.mouseClick(
                canvas,
                Qt.MouseButton.LeftButton,
                pos=QPoint(int(rect.center().x()), int(rect.top() + 4)),
            )
            chosen = placed.entry.primary.id
            assert tab.selected_ids == [chosen]
            assert tab.details.appointment is not None and tab.details.appointment.id == chosen
            scroll = tab.grid.scroll_area.verticalScrollBar().value()
            # The next week was read ahead: the step draws it from memory, at once.
            this_week = tab.period_days()
            next_week = week_days(this_week[0] + timedelta(days=7))
            ahead = day_range_ms(next_week[0], next_week[-1], tab.info.zone)
            reader = tab._reader
            assert reader is not None
            await until(lambda: tab.loader.cached(reader, *ahead) is not None)
            press(tab, Qt.Key.Key_Right)
            assert tab.period_days() == next_week
            assert set(tab.visible_appointment_ids()) == {r.id for r in week_rows(tab, workspace)}
            assert not tab.period_loading()
            press(tab, Qt.Key.Key_Left)
            assert tab.period_days() == this_week
            await settled(tab)
            assert tab.selected_ids == [chosen]
            assert tab.details.appointment is not None and tab.details.appointment.id == chosen
            assert tab.grid.scroll_area.verticalScrollBar().value() == scroll

    run(flow(), timeout=90)


def test_hidden_calendars_and_cancelled_ones_are_remembered_per_sub_account(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, _navigator):
            await next_week(tab)
            rows = week_rows(tab, workspace)
            active = next(r for r in rows if r.active)
            hidden = next(r.calendar_id for r in rows if r.calendar_id != active.calendar_id)
            assert hidden is not None
            tab.set_calendar_shown(hidden, False)
            assert tab.visible_appointment_ids()
            assert all(
                row.calendar_id != hidden for entry in tab.visible_entries() for row in entry.rows
            )
            row = tab.calendars_model.row_of(hidden)
            index = tab.calendars_model.index(row, 0)
            assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked.value

            # A cancellation arrives (as the poller stores it): hidden until asked for.
            doc = appointment(
                active.id,
                iso(_utc(active.start_ms))[:16],
                (active.end_ms - active.start_ms) // 60_000,
                calendar_id=active.calendar_id or "",
                status="cancelled",
                cancellationReason="Schedule conflict",
            )
            partition = workspace.active.partition  # type: ignore[union-attr]
            partition.calendars.upsert_appointments([doc])
            workspace.bus.publish(AppointmentsChanged(workspace.active.scope))  # type: ignore[union-attr]
            await until(lambda: active.id not in tab.visible_appointment_ids())
            tab.panel.show_cancelled.click()
            assert tab.show_cancelled
            await until(lambda: active.id in tab.visible_appointment_ids())
            entry = next(e for e in tab.visible_entries() if active.id in e.ids)
            assert entry.status == "cancelled"

            # Another sub-account has its own choice; coming back restores this one.
            settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
            first_sub = workspace.active.scope.sub_account_id  # type: ignore[union-attr]
            other = next(s for s in sandbox.sub_ids if s != first_sub)
            await workspace.switch_sub_account(other)
            assert tab.calendars_model.hidden == set()
            tab.save_state(settings)
            await workspace.switch_sub_account(first_sub)
            assert tab.calendars_model.hidden == {hidden}
            # Saved and read back by a later run.
            tab.set_calendar_shown(hidden, True)
            tab.restore_state(settings)
            assert tab.calendars_model.hidden == {hidden}
            assert tab.show_cancelled

    run(flow(), timeout=90)


def _utc(ms: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC)


def test_the_keyboard_drives_the_views_booking_and_cancelling(
    sandbox: Sandbox, tmp_path: Path, run: Run, qtbot: Any
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, _navigator):
            await settled(tab)
            tab.activateWindow()
            today = tab._today()
            press(tab, Qt.Key.Key_M)
            assert tab.view == "month" and tab.month.isVisibleTo(tab)
            assert tab.view_buttons["month"].isChecked()
            press(tab, Qt.Key.Key_D)
            assert tab.view == "day" and tab.period_days() == [today]
            press(tab, Qt.Key.Key_Right)
            assert tab.period_days() == [today + timedelta(days=1)]
            press(tab, Qt.Key.Key_T)
            assert tab.period_days() == [today]
            press(tab, Qt.Key.Key_A)
            assert tab.view == "agenda" and tab.agenda.isVisibleTo(tab)
            await until(lambda: tab.agenda_model.loaded_once)
            press(tab, Qt.Key.Key_W)
            assert tab.view == "week"
            await next_week(tab)

            booked: list[int] = []
            tab.new_booking_requested.connect(lambda: booked.append(1))
            press(tab, Qt.Key.Key_N)
            assert booked == [1]

            target = next(r for r in week_rows(tab, workspace) if r.active)
            tab.select([target.id])
            press(tab, Qt.Key.Key_Return)
            assert tab.details.open_contact.hasFocus()
            requests: list[tuple[list[str], str]] = []
            tab.cancel_requested.connect(lambda ids, reason: requests.append((ids, reason)))
            tab.grid.canvas.setFocus()
            press(tab, Qt.Key.Key_Delete)
            dialog = await until(lambda: tab.cancel_dialog)
            assert not dialog.confirm.isEnabled(), "a reason first"
            dialog.choose("Rescheduled")
            assert dialog.confirm.isEnabled()
            dialog.confirm.click()
            await until(lambda: requests)
            assert requests == [([target.id], "Rescheduled")]

    run(flow(), timeout=90)


def test_show_record_opens_the_week_of_an_appointment(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, _navigator):
            await settled(tab)
            days = tab.period_days()
            _start, end = day_range_ms(days[0], days[-1], tab.info.zone)
            later = [
                r
                for r in reader_of(workspace).appointments_between(
                    end + 7 * 86_400_000, end + 21 * 86_400_000
                )
                if r.active
            ]
            assert later, "the demo has appointments in the coming weeks"
            target = later[0]
            tab.set_view("agenda")
            assert tab.show_record("appointment", target.id)
            assert tab.view == "week"
            assert tab.period_days()[0] >= days[0] + timedelta(days=14)
            await settled(tab)
            assert target.id in tab.visible_appointment_ids()
            assert tab.selected_ids == [target.id]
            assert tab.details.appointment is not None and tab.details.appointment.id == target.id
            assert not tab.show_record("appointment", "appt_missing")
            assert not tab.show_record("contact", target.contact_id or "x")

    run(flow(), timeout=90)


def test_poller_changes_appear_in_place_and_the_details_follow(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, navigator):
            await next_week(tab)
            rows = week_rows(tab, workspace)
            chosen = next(r for r in rows if r.active and r.contact_id)
            tab.select([chosen.id])
            bar = tab.grid.scroll_area.verticalScrollBar()
            bar.setValue(bar.maximum() // 3)
            scroll = bar.value()
            day = tab.period_days()[2]
            start = day_range_ms(day, day, tab.info.zone)[0] + 6 * 3_600_000  # 06:00 local
            new = appointment(
                "appt_new_in_place",
                iso(_utc(start))[:16],
                45,
                calendar_id=rows[0].calendar_id or "",
            )
            active = workspace.active
            assert active is not None
            active.partition.calendars.upsert_appointments([new])
            workspace.bus.publish(AppointmentsChanged(active.scope))
            await until(lambda: "appt_new_in_place" in tab.visible_appointment_ids())
            assert bar.value() == scroll, "no jump"
            assert tab.selected_ids == [chosen.id]

            # The details' actions.
            tab.details.open_contact.click()
            assert navigator.records[-1] == ("contact", chosen.contact_id)
            # The reader finds the contact's conversation in the cache.
            assert not tab.details.open_conversation.isHidden()
            reader = tab.port.reader()
            assert reader is not None and chosen.contact_id is not None
            expected = reader.conversation_of_contact(chosen.contact_id)
            if expected is not None:
                tab.details.open_conversation.click()
                assert navigator.records[-1] == ("conversation", expected)
            else:
                assert tab.details.open_conversation.text() == "No conversation yet"
            tab.details.set_conversation_finder(lambda _cid: "conv_1")
            assert tab.details.open_conversation.isEnabled()
            tab.details.open_conversation.click()
            assert navigator.records[-1] == ("conversation", "conv_1")
            tab.details.set_conversation_finder(lambda _cid: None)
            assert not tab.details.open_conversation.isEnabled()
            assert tab.details.open_conversation.text() == "No conversation yet"
            tab.details.copy_button.click()
            line = QApplication.clipboard().text()
            assert line == tab.details.read_back_line() and line.endswith("in New York")

    run(flow(), timeout=90)


def test_a_switch_never_shows_the_other_sub_accounts_appointments(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, _navigator):
            await settled(tab)
            first = set(tab.visible_appointment_ids())
            assert first
            scope = workspace.active.scope  # type: ignore[union-attr]
            other = next(s for s in sandbox.sub_ids if s != scope.sub_account_id)
            await workspace.switch_sub_account(other)
            # At once: nothing of the first sub-account, before anything is read.
            assert not set(tab.visible_appointment_ids()) & first
            assert tab.details.appointment is None
            # A late change event of the first sub-account is ignored.
            workspace.bus.publish(AppointmentsChanged(scope))
            await sync_calendar(workspace)
            await until(lambda: tab.visible_appointment_ids())
            await settled(tab)
            shown = set(tab.visible_appointment_ids())
            assert not shown & first
            assert shown == {r.id for r in week_rows(tab, workspace)}

    run(flow(), timeout=90)


def test_an_empty_week_says_so_and_goes_back_to_today(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, _workspace, _navigator):
            await settled(tab)
            tab.go_to(tab._today() - timedelta(days=200))
            await settled(tab)
            assert tab.visible_appointment_ids() == []
            assert tab.notice.isVisible()
            assert tab.notice_label.text().startswith("No appointments this week.")
            assert tab.go_today_button.isVisible()
            tab.go_today_button.click()
            assert tab._today() in tab.period_days()

    run(flow(), timeout=90)


def test_cancelling_several_appointments_offers_the_report(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    retry = RetryPolicy()  # the app's: the fault outlasts every try

    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, workspace, _navigator):
            await settled(tab)
            await next_week(tab)
            active = [r for r in week_rows(tab, workspace) if r.active]
            kept, cancelled = active[0], active[1]
            # Seedly fails to cancel one of them: not a success, and the reason is named.
            sandbox.control(
                "POST",
                "faults/targeted",
                json={
                    "method": "DELETE",
                    "path": f"{APPOINTMENTS_PATH}/{kept.id}",
                    "kind": "error_500",
                    "times": retry.attempts,
                },
            )
            tab.commands.cancel([kept.id, cancelled.id, "no-such-appointment"], "Rescheduled")
            await until(lambda: not tab.tasks.running("calendar-cancel"))
            await until(lambda: tab.banner.isVisible())
            assert tab.banner.severity == "danger"
            assert "could not be cancelled" in tab.banner.text
            assert "already gone" in tab.banner.text
            assert tab.banner.report_button.isVisible()
            tab.banner.report_button.click()
            QApplication.processEvents()
            dialog = next(d for d in tab.findChildren(ReportDialog) if d.isVisible())
            assert dialog.windowTitle() == "Cancellation report"
            lines = dialog.text.splitlines()
            failed = [line for line in lines if ": Not cancelled: " in line]
            assert len(failed) == 1 and (kept.contact_name or kept.title or "") in failed[0]
            assert failed[0].split(": Not cancelled: ", 1)[1]  # the reason, in full
            assert sum(": Cancelled" in line for line in lines) == 1
            assert "An appointment: Already gone" in lines
            dialog.close()

    run(flow(), timeout=90)


def test_a_reschedule_that_left_two_bookings_is_not_a_success(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as (tab, _workspace, _navigator):
            await settled(tab)
            service = tab.port.booking()
            reader = tab.port.reader()
            assert reader is not None
            calendar = next(c for c in reader.calendars() if c.kind == "personal")
            kind = reader.types(calendar.id)[0]
            week = await service.week_slots(kind.id, date.today())
            later = [s for day in week[3:] for s in day.slots]
            email = f"dana-{uuid.uuid4().hex[:8]}@example.com"
            original = await service.book(
                BookingRequest(kind.id, later[0].start_ms, later[0].end_ms, "Dana", "Lee", email)
            )
            # Seedly fails to cancel the original: the contact ends with two bookings.
            sandbox.control(
                "POST",
                "faults/targeted",
                json={
                    "method": "DELETE",
                    "path": f"{APPOINTMENTS_PATH}/{original.id}",
                    "kind": "error_500",
                    "times": RetryPolicy().attempts,
                },
            )
            dialog = await until(lambda: tab.commands.reschedule(original.id))
            await until(dialog.selected_slot)
            dialog.book_button.click()
            assert dialog.reason_combo is not None
            dialog.reason_combo.setCurrentIndex(0)
            dialog.book_button.click()
            await until(lambda: dialog.report is not None and not dialog.is_busy(), timeout=40)
            assert dialog.report is not None and dialog.report.two_bookings
            dialog.reject()
            await until(lambda: tab.banner.isVisible() and "two bookings" in tab.banner.text)
            assert tab.banner.severity == "warning"
            tab.banner.report_button.click()
            QApplication.processEvents()
            report = next(d for d in tab.findChildren(ReportDialog) if d.isVisible())
            assert report.windowTitle() == "Reschedule report"
            assert ": Booked" in report.text
            assert ": Not cancelled: Could not cancel the original time" in report.text
            report.close()

    run(flow(), timeout=90)
