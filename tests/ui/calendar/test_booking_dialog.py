"""The booking dialog against a sandbox process: booking in a few keystrokes, a slot taken
meanwhile, fields validated in place, no double submit, offline, reschedule with its report,
both zones and the read-back line; and its slot model under QAbstractItemModelTester."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QAbstractItemModelTester, QTest

from app.services.ports.calendar import AppointmentRow, BookingContact, Slot
from app.ui.calendar.booking_dialog import BookingDialog
from app.ui.calendar.booking_slots import SLOT_ROLE, SlotTableModel, slot_time
from tests.support.booking import APPOINTMENTS_PATH
from tests.support.sandbox_process import Sandbox
from tests.ui.calendar.conftest import Opened, opened, until

pytestmark = pytest.mark.timeout(120)

NY = "America/New_York"


def ms(year: int, month: int, day: int, hour: int, minute: int = 0, zone: str = NY) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def email() -> str:
    return f"dialog.{uuid.uuid4().hex[:10]}@example.com"


def contact(address: str | None = None) -> BookingContact:
    return BookingContact("contact_x", "Dana", "Lee", address or email(), "+16175550199")


def posts(o: Opened) -> list[Any]:
    return o.transport.posts()


def server_appointments(o: Opened, **params: Any) -> list[dict[str, Any]]:
    client = o.box.client(o.box.sub_key(o.sub_index))
    answer = client.get(APPOINTMENTS_PATH, params={"limit": 200, **params})
    answer.raise_for_status()
    return list(answer.json()["data"])


def of_email(o: Opened, address: str, slot: Slot) -> list[dict[str, Any]]:
    rows = server_appointments(o, startDate=slot.start_ms, endDate=slot.end_ms)
    return [r for r in rows if ((r.get("contact") or {}).get("email") or "") == address]


def dialog_of(qtbot: Any, o: Opened, **kw: Any) -> BookingDialog:
    dialog = BookingDialog(o.port, o.tasks, **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_into(dialog: BookingDialog, key: str, text: str) -> None:
    editor = dialog.person.editor(key)
    line = editor.focus_target()
    line.setFocus()
    line.clear()  # type: ignore[attr-defined]
    QTest.keyClicks(line, text)
    line.editingFinished.emit()  # type: ignore[attr-defined]


# -- the slot model ------------------------------------------------------------------------------


def test_slot_model_shows_both_zones_and_seats(qapp: Any) -> None:
    model = SlotTableModel(NY, "Europe/Berlin")
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    day = date(2026, 4, 14)
    slots = [
        Slot(ms(2026, 4, 14, 10), ms(2026, 4, 14, 10, 30), None),
        Slot(ms(2026, 4, 14, 19), ms(2026, 4, 14, 19, 30), None),
    ]
    model.set_slots(slots, day, seats=False)
    assert model.columnCount() == 2 and model.rowCount() == 2
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Your time (New York)"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Lead's time (Berlin)"
    assert model.index(0, 0).data() == "10:00–10:30"
    assert model.index(0, 1).data() == "16:00–16:30"
    # 19:00 in New York is already Wednesday in Berlin: the date is said.
    assert model.index(1, 1).data() == "Wed 15 Apr, 01:00–01:30"
    assert model.index(0, 0).data(SLOT_ROLE) == slots[0]
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == (
        "Tue 14 Apr, 10:00–10:30 in New York = 16:00–16:30 in Berlin"
    )
    model.set_zones(NY, "Asia/Tokyo")
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Lead's time (Tokyo)"
    assert model.index(0, 1).data() == "23:00–23:30"  # the same date: no date said
    workshop = [Slot(ms(2026, 4, 16, 18), ms(2026, 4, 16, 19, 30), 7)]
    model.set_slots(workshop, date(2026, 4, 16), seats=True)
    assert model.columnCount() == 3
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Seats left"
    assert model.index(0, 2).data() == "7 left"
    assert model.row_of(workshop[0].start_ms, workshop[0].end_ms) == 0
    model.set_slots([], None, seats=False)
    assert model.rowCount() == 0
    del tester
    assert slot_time(slots[0], NY, None) == "10:00–10:30"


# -- against the sandbox -------------------------------------------------------------------------


def test_with_a_contact_enter_books_the_first_free_time(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            person = contact()
            dialog = dialog_of(qtbot, o, contact=person, lead_zone="Europe/Berlin")
            booked: list[AppointmentRow] = []
            dialog.booked.connect(booked.append)
            # Call mode: the week's first free time is chosen and the slot list has the keys.
            slot = await until(dialog.selected_slot)
            assert dialog.focusWidget() is dialog.slots
            assert dialog.person.values().email == person.email
            line = dialog.read_back.text()
            assert " in Berlin" in line and "=" in line
            assert dialog.type_details.text()  # duration, rules in words
            # Enter books it: one keystroke once the dialog is open.
            QTest.keyClick(dialog.slots, Qt.Key.Key_Return)
            await until(lambda: booked)
            [row] = booked
            assert (row.start_ms, row.end_ms) == (slot.start_ms, slot.end_ms)
            assert row.contact_email == person.email
            assert [a["id"] for a in of_email(o, person.email, slot)] == [row.id]
            assert len(posts(o)) == 1
            assert dialog.result() == BookingDialog.DialogCode.Accepted
            assert o.port.reader().appointment(row.id) is not None  # type: ignore[union-attr]

    run(scenario(), timeout=90)


def test_arrows_pick_another_time_then_enter_books_it(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            person = contact()
            dialog = dialog_of(qtbot, o, contact=person)
            first = await until(dialog.selected_slot)
            booked: list[AppointmentRow] = []
            dialog.booked.connect(booked.append)
            # Three keystrokes: next day, next time, book.
            day = dialog.strip.selected()
            QTest.keyClick(dialog.slots, Qt.Key.Key_Right)
            assert dialog.strip.selected() != day
            await until(lambda: dialog.slot_model.rowCount() > 1 or dialog.day_reason.isVisible())
            if dialog.slot_model.rowCount() < 2:  # that day is closed: back to the first one
                QTest.keyClick(dialog.slots, Qt.Key.Key_Left)
            QTest.keyClick(dialog.slots, Qt.Key.Key_Down)
            chosen = dialog.selected_slot()
            assert chosen is not None and chosen != first
            QTest.keyClick(dialog.slots, Qt.Key.Key_Return)
            await until(lambda: booked)
            assert (booked[0].start_ms, booked[0].end_ms) == (chosen.start_ms, chosen.end_ms)

    run(scenario(), timeout=90)


def test_a_slot_taken_meanwhile_keeps_everything_typed(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            dialog = dialog_of(qtbot, o)
            slot = await until(dialog.selected_slot)
            kind = dialog.appointment_type()
            assert kind is not None
            address = email()
            type_into(dialog, "firstName", "Sam")
            type_into(dialog, "lastName", "Rivera")
            type_into(dialog, "email", address)
            dialog.person.notes.setPlainText("Gate code 1234")
            # Another user books the same time while the form is filled in.
            taken = o.box.client(o.box.sub_key(o.sub_index)).post(
                APPOINTMENTS_PATH,
                json={
                    "appointmentTypeId": kind.id,
                    "startTime": slot.start_ms,
                    "endTime": slot.end_ms,
                    "firstName": "Quick",
                    "lastName": "Other",
                    "email": email(),
                },
            )
            assert taken.status_code == 201, taken.text
            dialog.book_button.click()
            await until(lambda: not dialog.is_busy() and "just taken" in dialog.message.text)
            assert "Everything you typed is kept" in dialog.message.text
            assert dialog.person.values().first_name == "Sam"
            assert dialog.person.values().email == address
            assert dialog.person.notes.toPlainText() == "Gate code 1234"
            assert dialog.slot_model.row_of(slot.start_ms, slot.end_ms) == -1  # refreshed
            assert dialog.selected_slot() is None and not dialog.book_button.isEnabled()
            assert posts(o) == [] and dialog.isVisible()
            # Pick another time and book: it works.
            booked: list[AppointmentRow] = []
            dialog.booked.connect(booked.append)
            if dialog.slot_model.rowCount():
                dialog.slots.selectRow(0)
                dialog.book_button.click()
                await until(lambda: booked)
                assert booked[0].contact_email == address

    run(scenario(), timeout=90)


def test_person_fields_are_validated_in_place_and_nothing_is_sent(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            dialog = dialog_of(qtbot, o)
            await until(dialog.selected_slot)
            # A new person: once a time is chosen the keyboard goes to the first name.
            assert dialog.focusWidget() is dialog.person.editor("firstName").focus_target()
            type_into(dialog, "phone", "12")
            assert "“12” is not a valid" in dialog.person.error_text("phone")
            assert dialog.person.error_text("email") == ""  # not left yet: not shown
            dialog.book_button.click()
            assert dialog.person.error_text("firstName") == "First name is required."
            assert dialog.person.error_text("lastName") == "Last name is required."
            assert dialog.person.error_text("email")
            assert dialog.focusWidget() is dialog.person.editor("firstName").focus_target()
            assert not dialog.is_busy()
            type_into(dialog, "firstName", "Ok")
            assert dialog.person.error_text("firstName") == ""
            assert posts(o) == []

    run(scenario(), timeout=90)


def test_a_contact_without_an_email_is_asked_for_it_then_enter_books(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    """An SMS lead often has no email; Seedly needs one to book. The dialog says so on the
    email field and gives it the keyboard, instead of refusing the first Enter."""

    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            person = BookingContact("contact_x", "Dana", "Lee", None, "+16175550199")
            dialog = dialog_of(qtbot, o, contact=person)
            booked: list[AppointmentRow] = []
            dialog.booked.connect(booked.append)
            await until(dialog.selected_slot)
            email_line = dialog.person.editor("email").focus_target()
            assert dialog.focusWidget() is email_line
            assert dialog.person.error_text("email") == "Email is required."
            assert dialog.person.error_text("firstName") == ""  # the known fields stay quiet
            assert dialog.person.error_text("phone") == ""
            address = email()
            QTest.keyClicks(email_line, address)
            assert dialog.person.error_text("email") == ""
            QTest.keyClick(email_line, Qt.Key.Key_Return)  # Enter in the field books
            await until(lambda: booked)
            assert booked[0].contact_email == address
            assert len(posts(o)) == 1

    run(scenario(), timeout=90)


def test_book_is_sent_once_however_often_enter_is_pressed(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            dialog = dialog_of(qtbot, o, contact=contact())
            await until(dialog.selected_slot)
            booked: list[AppointmentRow] = []
            dialog.booked.connect(booked.append)
            QTest.keyClick(dialog.slots, Qt.Key.Key_Return)
            assert dialog.is_busy() and not dialog.book_button.isEnabled()
            assert dialog.book_button.text() == "Booking…"
            for _ in range(3):
                QTest.keyClick(dialog.slots, Qt.Key.Key_Return)
                dialog.book_button.click()
            dialog.reject()  # closing waits for the outcome
            assert dialog.isVisible()
            await until(lambda: booked)
            assert len(posts(o)) == 1 and len(booked) == 1

    run(scenario(), timeout=90)


def test_offline_the_dialog_says_it_needs_the_connection(
    qtbot: Any, run: Any, sandbox_factory: Any, tmp_path: Path
) -> None:
    from app.api.transport import RetryPolicy

    box: Sandbox = sandbox_factory("--seed", "empty")

    async def scenario() -> None:
        retry = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1)
        async with opened(tmp_path, box, retry=retry) as o:
            dialog = dialog_of(qtbot, o, contact=contact())
            await until(dialog.selected_slot)
            box.stop()
            dialog.book_button.click()
            await until(lambda: not dialog.is_busy())
            assert dialog.message.severity == "warning"
            assert "Booking needs the connection" in dialog.message.text
            assert "Nothing was sent" in dialog.message.text
            assert posts(o) == [] and dialog.isVisible()
            assert dialog.book_button.isEnabled()  # try again once back online

    run(scenario(), timeout=90)


def test_reschedule_asks_why_books_first_and_reports(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            service = o.port.booking()
            reader = o.port.reader()
            assert reader is not None
            calendar = next(c for c in reader.calendars() if c.kind == "personal")
            kind = reader.types(calendar.id)[0]
            week = await service.week_slots(kind.id, date.today())
            later = [s for d in week[3:] for s in d.slots]
            person = contact()
            from app.services.ports.calendar import BookingRequest

            original = await service.book(
                BookingRequest(
                    kind.id,
                    later[0].start_ms,
                    later[0].end_ms,
                    "Dana",
                    "Lee",
                    person.email,
                )
            )
            dialog = dialog_of(qtbot, o, reschedule=original)
            assert dialog.windowTitle() == "Reschedule appointment"
            assert dialog.person.values().email == person.email
            assert dialog.calendar() == calendar and dialog.appointment_type() == kind
            new = await until(dialog.selected_slot)
            dialog.book_button.click()
            assert "Say why" in dialog.reason_message.text() and not dialog.is_busy()
            assert dialog.reason_combo is not None
            dialog.reason_combo.setCurrentIndex(0)
            booked: list[AppointmentRow] = []
            dialog.booked.connect(booked.append)
            dialog.book_button.click()
            await until(lambda: booked and not dialog.is_busy())
            report = dialog.report
            assert report is not None and report.old_cancelled
            assert dialog.message.severity == "success"
            assert "Booked the new time" in dialog.message.text
            assert "Cancelled the original time" in dialog.message.text
            assert dialog.isVisible() and not dialog.book_button.isEnabled()
            assert (booked[0].start_ms, booked[0].end_ms) == (new.start_ms, new.end_ms)
            old = [
                a
                for a in server_appointments(o, startDate=original.start_ms)
                if a["id"] == original.id
            ]
            assert old[0]["status"] == "cancelled"
            assert old[0]["cancellationReason"] == dialog.reason_combo.itemText(0)

    run(scenario(), timeout=90)


def test_zones_days_and_the_read_back_line(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with opened(tmp_path, sandbox) as o:
            dialog = dialog_of(qtbot, o, contact=contact(), user_zone=NY)
            slot = await until(dialog.selected_slot)
            await until(lambda: all(dialog.strip.day_slots(d) for d in dialog.strip.days()))
            dialog.set_lead_zone("Asia/Tokyo")
            assert dialog.lead_zone() == "Asia/Tokyo"
            header = dialog.slot_model.headerData(1, Qt.Orientation.Horizontal)
            assert header == "Lead's time (Tokyo)"
            assert dialog.read_back.text().endswith(" in Tokyo")
            assert dialog.read_back.text().startswith(
                datetime.fromtimestamp(slot.start_ms / 1000, tz=ZoneInfo(NY)).strftime("%a")
            )
            dialog.copy_button.click()
            assert QGuiApplication.clipboard().text() == dialog.read_back.text()
            dialog.set_lead_zone("Not/AZone")  # refused: the previous zone stays
            assert dialog.lead_zone() == "Asia/Tokyo"
            # A day without slots is greyed and says why (the demo calendars close on Sundays).
            empty = [d for d in dialog.strip.days() if not dialog.strip.day_slots(d).slots]  # type: ignore[union-attr]
            assert empty, "a week of the demo calendar has a closed day"
            button = dialog.strip.button(empty[0])
            assert button is not None and button.property("noSlots") is True
            reason = dialog.strip.day_slots(empty[0]).reason  # type: ignore[union-attr]
            assert reason and button.toolTip() == reason
            button.click()
            assert dialog.day_reason.isVisible() and reason in dialog.day_reason.text()
            assert dialog.slot_model.rowCount() == 0 and not dialog.book_button.isEnabled()
            # The next week loads its days; the previous one comes back.
            first = dialog.strip.days()[0]
            dialog.next_week.click()
            assert dialog.strip.days()[0] == first.fromordinal(first.toordinal() + 7)
            assert dialog.previous_week.isEnabled()
            await until(lambda: all(dialog.strip.day_slots(d) for d in dialog.strip.days()))
            dialog.previous_week.click()
            assert dialog.strip.days()[0] == first and not dialog.previous_week.isEnabled()

    run(scenario(), timeout=90)
