"""The Calendar in "All sub-accounts" end to end in the real window against a sandbox with
two sub-accounts: the week lists both sub-accounts' appointments with their chips, and an
appointment of the second sub-account, cancelled while the first one is open, is cancelled
in its own sub-account on the server (the session follows first) and the view stays
merged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.bootstrap import Application
from app.services.ports.calendar import split_key
from app.ui.calendar.tab import CalendarTab
from app.ui.main_window import ALL_SUB_ACCOUNTS
from tests.e2e.conftest import save_connection, until
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(240)


def _active_sub(app: Application) -> str | None:
    active = app.workspace.active
    return None if active is None else active.scope.sub_account_id


def _server_status(box: Sandbox, sub: str, appointment_id: str, start: int, end: int) -> str | None:
    """The appointment's status on the server as ``sub`` sees it (None: not there)."""
    headers = {"Authorization": f"Bearer {box.info['agency_key']}", "X-Sub-Account-Id": sub}
    params = {"startDate": start, "endDate": end, "limit": 200}
    with httpx.Client(base_url=box.url, headers=headers, timeout=30) as client:
        answer = client.get("/api/v1/calendars/appointments", params=params).json()
    found = [a for a in answer["data"] if a["id"] == appointment_id]
    return str(found[0]["status"]) if found else None


def test_the_merged_week_shows_both_and_a_cancel_lands_in_its_owner(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)
    first, second = sandbox.sub_ids[0], sandbox.sub_ids[1]

    async def scenario() -> None:
        async with open_desk() as desk:
            window = desk.window
            tab = window.area("calendar")
            assert isinstance(tab, CalendarTab)
            window.show_area("calendar")
            await until(lambda: _active_sub(desk) == first, timeout=60)
            # Each sub-account opened once with the Calendar on screen: its cache holds
            # its appointments.
            for sub in (second, first):
                window.switch_to(sub)
                await until(lambda s=sub: _active_sub(desk) == s, timeout=60)
                await until(lambda: tab.is_loaded() and tab.visible_entries(), timeout=60)

            QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: tab.merged is not None, timeout=30)
            assert window.sub_account_picker.currentData() == ALL_SUB_ACCOUNTS
            assert _active_sub(desk) == first
            await until(
                lambda: {split_key(i)[0] for i in tab.visible_appointment_ids()} == {first, second},
                timeout=30,
            )
            names = {s.name for s in desk.workspace.sub_accounts()}
            canvas = tab.grid.canvas
            for entry in tab.visible_entries():
                tab.grid.ensure_visible(entry.primary.id)
                canvas.repaint()
                if set(canvas.painted_chips) == names:
                    break
            assert set(canvas.painted_chips) == names

            target = next(
                row
                for entry in tab.visible_entries()
                for row in entry.rows
                if row.active and split_key(row.id)[0] == second and not entry.is_session
            )
            bare = split_key(target.id)[1]
            tab.select([target.id])
            dialog = tab.request_cancel()
            assert dialog is not None
            dialog.choose("Schedule conflict")
            dialog.confirm.click()
            await until(lambda: _active_sub(desk) == second, timeout=30)
            window_ms = (target.start_ms - 1, target.end_ms + 1)
            await until(
                lambda: _server_status(sandbox, second, bare, *window_ms) == "cancelled",
                timeout=30,
            )
            assert _server_status(sandbox, first, bare, *window_ms) in (None, target.status)
            assert tab.merged is not None
            assert window.sub_account_picker.currentData() == ALL_SUB_ACCOUNTS

    run(scenario(), timeout=220)
