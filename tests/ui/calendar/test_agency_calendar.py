"""The Calendar tab in "All sub-accounts" over the sandbox's two sub-accounts: the week and
the agenda merge both, every row tagged with (and read from) its owner and painted with
its chip; cancelling a row of the other sub-account opens that one first and cancels
there only; booking asks which sub-account and books in the one chosen."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from app.api.seedly import SeedlyClient
from app.services.bus import AppointmentsChanged
from app.services.ports.calendar import (
    AppointmentRow,
    CalendarPort,
    CalendarReader,
    MergedCalendarReader,
    merged_key,
    split_key,
    uid_of,
)
from app.services.workspace import Workspace
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.calendar.agenda import AgendaDelegate, AppointmentIdRole, OwnerNameRole
from app.ui.calendar.layout import day_range_ms
from app.ui.calendar.tab import CalendarTab
from app.ui.common.owner_chip import owner_colour
from tests.support.areas import build_area
from tests.support.booking import APPOINTMENTS_PATH
from tests.support.sandbox_process import Sandbox
from tests.ui.calendar.views_support import (
    ZONE,
    RecordingNavigator,
    make_workspace,
    sync_calendar,
    until,
)

pytestmark = pytest.mark.timeout(150)

Run = Callable[..., Any]


@contextlib.asynccontextmanager
async def merged(tmp: Path, box: Sandbox) -> AsyncIterator[tuple[CalendarTab, Workspace]]:
    """The Calendar tab in All sub-accounts: each sub-account opened and synced once (its
    cache holds its appointments), the last one left open."""
    workspace, profile = make_workspace(tmp, box)
    await workspace.activate(profile.id, box.sub_ids[0])
    await sync_calendar(workspace)
    await workspace.switch_sub_account(box.sub_ids[1])
    await sync_calendar(workspace)
    workspace.all_sub_accounts = True
    assert workspace.can_merge()
    bridge = BusBridge(workspace.bus)
    tasks = TaskSet("agency-calendar-test")
    tab = build_area(
        CalendarTab,
        CalendarPort(workspace),
        bridge,
        tasks,
        navigator=RecordingNavigator(),
        zone_name=ZONE,
    )
    tab.resize(1360, 820)
    tab.show()
    try:
        await until(lambda: tab.is_loaded() and not tab.loader.busy and not tab.period_loading())
        yield tab, workspace
    finally:
        await tab.shutdown()
        await tasks.shutdown(5)
        await workspace.shutdown(5)
        bridge.detach()
        tab.deleteLater()


def owner_rows(tab: CalendarTab, workspace: Workspace) -> dict[str, AppointmentRow]:
    """Every appointment of the week in each sub-account's own cache, by merged key."""
    profile = workspace.profile
    assert profile is not None
    days = tab.period_days()
    start, end = day_range_ms(days[0], days[-1], tab.info.zone)
    found: dict[str, AppointmentRow] = {}
    for ref in workspace.merged_members():
        reader = CalendarReader(workspace.db.partition(profile.cache_key, ref.id))
        for row in reader.appointments_between(start, end):
            found[merged_key(ref.id, row.id)] = row
    return found


def names_of(workspace: Workspace) -> dict[str, str]:
    return {ref.id: ref.name for ref in workspace.merged_members()}


def test_the_week_and_the_agenda_merge_both_sub_accounts_with_chips(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with merged(tmp_path, sandbox) as (tab, workspace):
            assert isinstance(tab.merged, MergedCalendarReader)
            expected = owner_rows(tab, workspace)
            owners = {split_key(key)[0] for key in expected}
            assert owners == set(sandbox.sub_ids), "both demo sub-accounts have this week"
            assert set(tab.visible_appointment_ids()) == set(expected)
            names = names_of(workspace)
            for entry in tab.visible_entries():
                for row in entry.rows:
                    # The owner of every row: tagged with it, and the row is its record.
                    owner, bare = split_key(row.id)
                    member = tab.info.owner_of(row)
                    assert member is not None and member.sub_account_id == owner
                    assert member.name == names[str(owner)]
                    own = expected[row.id]
                    assert (bare, own.start_ms, own.contact_name) == (
                        own.id,
                        row.start_ms,
                        row.contact_name,
                    )
                    assert row.calendar_id is not None
                    assert split_key(row.calendar_id)[0] == owner
            # The blocks on screen carry their owner's chip, both sub-accounts' chips drawn.
            canvas = tab.grid.canvas
            for entry in tab.visible_entries():
                tab.grid.ensure_visible(entry.primary.id)
                canvas.repaint()
                if len(set(canvas.painted_chips)) == 2:
                    break
            assert set(canvas.painted_chips) == set(names.values())
            assert "Sub-account: " in tab.info.describe(tab.visible_entries()[0])

            tab.set_view("agenda")
            model = tab.agenda_model
            await until(lambda: model.loaded_once and not model.loading)
            seen: set[str] = set()
            for index in range(model.rowCount()):
                item = model.index(index, 0)
                key = item.data(AppointmentIdRole)
                if key is None:
                    continue
                owner = split_key(key)[0]
                assert item.data(OwnerNameRole) == names[str(owner)]
                seen.add(str(owner))
            assert seen == set(sandbox.sub_ids)
            # The chip is painted in the owner's colour (the Inbox's colours).
            row = next(
                i for i in range(model.rowCount()) if model.index(i, 0).data(AppointmentIdRole)
            )
            index = model.index(row, 0)
            member = tab.info.owner_of(model.row_at(row).entry.primary)  # type: ignore[union-attr]
            assert member is not None
            image = QImage(700, 46, QImage.Format.Format_ARGB32)
            image.fill(tab.agenda.palette().base().color())
            painter = QPainter(image)
            option = QStyleOptionViewItem()
            option.initFrom(tab.agenda)
            option.rect = image.rect()
            AgendaDelegate().paint(painter, option, index)
            painter.end()
            dark = tab.agenda.palette().base().color().lightness() < 128
            tone = owner_colour(member.colour, dark).rgb()
            assert any(image.pixel(x, y) == tone for x in range(image.width()) for y in range(46))

    run(flow(), timeout=120)


def test_cancelling_a_row_of_the_other_sub_account_opens_it_first_and_cancels_there(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with merged(tmp_path, sandbox) as (tab, workspace):
            open_now = tab.port.open_sub_account()
            other = next(s for s in sandbox.sub_ids if s != open_now)
            target = next(
                row
                for entry in tab.visible_entries()
                for row in entry.rows
                if row.active and split_key(row.id)[0] == other and not entry.is_session
            )
            bare = split_key(target.id)[1]
            tab.select([target.id])
            dialog = tab.request_cancel()
            assert dialog is not None
            dialog.choose("Schedule conflict")
            dialog.confirm.click()
            await until(lambda: tab.port.open_sub_account() == other)
            assert tab.owner_switches == 1
            assert tab.merged is not None, "the switch keeps the merged view"
            await until(lambda: tab.banner.severity == "success" and tab.banner.isVisible())
            # On the server: cancelled in its owner, and nothing of the other touched.
            index = sandbox.sub_ids.index(other)
            client = SeedlyClient(sandbox.url, sandbox.sub_key(index))
            try:
                statuses = {
                    a.id: a.status
                    async for a in client.iter_appointments(
                        start_ms=target.start_ms - 1, end_ms=target.end_ms + 1
                    )
                }
            finally:
                await client.aclose()
            assert statuses.get(bare) == "cancelled"
            first = SeedlyClient(sandbox.url, sandbox.sub_key(1 - index))
            try:
                theirs = {
                    a.id: a.status
                    async for a in first.iter_appointments(
                        start_ms=target.start_ms - 1, end_ms=target.end_ms + 1
                    )
                }
            finally:
                await first.aclose()
            assert bare not in theirs or theirs[bare] != "cancelled"

    run(flow(), timeout=120)


def test_booking_asks_which_sub_account_and_books_in_the_one_chosen(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with merged(tmp_path, sandbox) as (tab, workspace):
            open_now = tab.port.open_sub_account()
            other = next(s for s in sandbox.sub_ids if s != open_now)
            names = names_of(workspace)
            dialog = tab.commands.book()
            assert dialog is not None
            # Preselected: the open sub-account (no contact given).
            assert dialog.chosen_owner() == open_now
            assert dialog.owner_combo.currentText() == names[str(open_now)]
            assert [dialog.owner_combo.itemData(i) for i in range(dialog.owner_combo.count())] == [
                ref.id for ref in workspace.merged_members()
            ]
            dialog.owner_combo.setCurrentIndex(sandbox.sub_ids.index(other))
            await until(lambda: tab.port.open_sub_account() == other)
            assert tab.merged is not None, "the switch keeps the merged view"
            profile = workspace.profile
            assert profile is not None
            own = CalendarReader(workspace.db.partition(profile.cache_key, other)).calendars()
            await until(lambda: dialog.calendar() is not None)
            assert dialog.calendar() in own, "the calendars are the chosen sub-account's"
            slot = await until(dialog.selected_slot, timeout=40)
            address = f"agency.{uuid.uuid4().hex[:10]}@example.com"
            dialog.person.set_values("Dana", "Lee", address, "+16175550199")
            booked: list[AppointmentRow] = []
            dialog.booked.connect(booked.append)
            dialog.book_button.click()
            await until(lambda: booked, timeout=40)
            [row] = booked

            def on_server(index: int) -> list[dict[str, Any]]:
                client = sandbox.client(sandbox.sub_key(index))
                answer = client.get(
                    APPOINTMENTS_PATH,
                    params={"limit": 200, "startDate": slot.start_ms, "endDate": slot.end_ms},
                )
                answer.raise_for_status()
                return [
                    a
                    for a in answer.json()["data"]
                    if ((a.get("contact") or {}).get("email") or "") == address
                ]

            index = sandbox.sub_ids.index(other)
            assert [a["id"] for a in on_server(index)] == [row.id]
            assert on_server(1 - index) == [], "nothing booked in the other sub-account"
            # The new appointment is selected in the merged view, under its owner.
            await until(lambda: tab.selected_ids == [merged_key(other, row.id)])

    run(flow(), timeout=120)


def test_booking_for_a_contact_preselects_its_sub_account_and_never_sends_it_elsewhere(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with merged(tmp_path, sandbox) as (tab, workspace):
            open_now = tab.port.open_sub_account()
            other = next(s for s in sandbox.sub_ids if s != open_now)
            await workspace.switch_sub_account(other)
            session = workspace.session
            assert session is not None and session.sync is not None
            await session.sync.refresh_contacts()
            await workspace.switch_sub_account(str(open_now))
            profile = workspace.profile
            assert profile is not None
            [doc] = workspace.db.partition(profile.cache_key, other).contacts.search(None, limit=1)
            contact_id = str(doc["id"])
            assert doc.get("email"), "a contact with an email fills the form"
            assert tab.show_record("booking", merged_key(other, contact_id))
            dialog = tab.commands.dialog
            assert dialog is not None and dialog.chosen_owner() == other
            await until(lambda: tab.port.open_sub_account() == other)
            await until(lambda: dialog.person.values().email == doc.get("email"))
            assert dialog._contact_id() == contact_id
            # Booked in another sub-account, the person is a new one there: no foreign id.
            dialog.owner_combo.setCurrentIndex(sandbox.sub_ids.index(str(open_now)))
            await until(lambda: tab.port.open_sub_account() == open_now)
            assert dialog.chosen_owner() == open_now
            assert dialog.person.values().email == doc.get("email")
            assert dialog._contact_id() is None

    run(flow(), timeout=120)


def test_rescheduling_a_row_of_the_other_sub_account_opens_it_first(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with merged(tmp_path, sandbox) as (tab, _workspace):
            open_now = tab.port.open_sub_account()
            target = next(
                row
                for entry in tab.visible_entries()
                for row in entry.rows
                if row.active and split_key(row.id)[0] != open_now and not entry.is_session
            )
            owner, bare = split_key(target.id)
            moved: list[str] = []
            tab.reschedule_requested.connect(moved.append)
            tab.select([target.id])
            tab.details.rescheduleRequested.emit(target.id)
            assert moved == [], "not before its sub-account is open"
            await until(lambda: moved)
            assert moved == [bare] and tab.port.open_sub_account() == owner
            dialog = await until(lambda: tab.commands.dialog)
            assert dialog._original is not None and dialog._original.id == bare
            assert not dialog._owners, "a move stays in its own sub-account"

    run(flow(), timeout=120)


def test_a_members_booking_is_notified_and_exported_under_its_own_id(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with merged(tmp_path, sandbox) as (tab, workspace):
            open_now = tab.port.open_sub_account()
            row = next(
                r
                for entry in tab.visible_entries()
                for r in entry.rows
                if split_key(r.id)[0] != open_now and r.calendar_id
            )
            owner, bare = split_key(row.id)
            assert owner is not None and row.calendar_id is not None
            tab.commands.set_notified(row.calendar_id, True)
            member = next(m for m in tab.info.members.values() if m.sub_account_id == owner)
            workspace.bus.publish(AppointmentsChanged(member.scope, booked=(bare,)))
            await until(lambda: tab.commands.notices)
            assert [n[2] for n in tab.commands.notices] == [row.id]
            # Its notification opens it in the merged view.
            tab.select([])
            assert tab.show_record("appointment", row.id)
            assert tab.selected_ids == [row.id]
            # The .ics carries the appointment's own id, as a single view's export does.
            target = tmp_path / "one.ics"
            task = tab.export_appointment(row.id, path=target)
            assert task is not None
            assert await task == target
            text = target.read_text()
            assert f"UID:{uid_of(bare)}" in text.replace("\r\n ", "")
            assert owner not in text.split("UID:")[1].splitlines()[0]

    run(flow(), timeout=120)


def test_a_bare_id_of_the_open_sub_account_finds_its_row_in_the_merged_view(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with merged(tmp_path, sandbox) as (tab, _workspace):
            open_now = tab.port.open_sub_account()
            row = next(
                r
                for entry in tab.visible_entries()
                for r in entry.rows
                if split_key(r.id)[0] == open_now
            )
            found = tab._row(split_key(row.id)[1])
            assert found is not None and found.id == row.id
            other = next(
                r
                for entry in tab.visible_entries()
                for r in entry.rows
                if split_key(r.id)[0] != open_now
            )
            bare = split_key(other.id)[1]
            assert tab._row(bare) is None or tab._row(bare).id != other.id  # type: ignore[union-attr]

    run(flow(), timeout=120)
