"""Contacts in All sub-accounts end to end: in the real window against a sandbox with two
sub-accounts, the search box finds contacts of both (each row with its owner's chip, the
counts per sub-account), and opening a result of the other sub-account makes it the
session's, then shows that very contact (the server's record) in the normal pane."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.bootstrap import SCREENSHOT_SIZE, Application
from app.services.ports.contacts import ContactFilters
from app.storage import SyncKind
from app.ui.common.owner_chip import OwnerNameRole
from app.ui.contacts.agency_search import ContactIdRole, OwnerIdRole
from app.ui.contacts.tab import ContactsTab
from app.ui.main_window import ALL_SUB_ACCOUNTS
from tests.e2e.conftest import save_connection, until
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(180)


def _tab(app: Application) -> ContactsTab:
    tab = app.window.area("contacts")
    assert isinstance(tab, ContactsTab)
    return tab


def _active_sub(app: Application) -> str | None:
    active = app.workspace.active
    return None if active is None else active.scope.sub_account_id


def _on_server(box: Sandbox, sub: str, contact_id: str) -> dict[str, Any] | None:
    headers = {"Authorization": f"Bearer {box.info['agency_key']}", "X-Sub-Account-Id": sub}
    with httpx.Client(base_url=box.url, headers=headers, timeout=30) as client:
        answer = client.get(f"/api/v1/contacts/{contact_id}")
    if answer.status_code == 404:
        return None
    body = answer.json()
    return dict(body.get("data", body))


def test_searching_every_sub_account_and_opening_a_contact_of_another(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)
    first, second = sandbox.sub_ids[0], sandbox.sub_ids[1]

    async def scenario() -> None:
        async with open_desk() as desk:
            window, tab = desk.window, _tab(desk)
            window.resize(*SCREENSHOT_SIZE)
            window.show()
            window.show_area("contacts")
            await until(lambda: _active_sub(desk) == first, timeout=60)
            # Opening each sub-account once fills its contacts cache.
            for sub in (second, first):
                window.switch_to(sub)
                await until(lambda s=sub: _active_sub(desk) == s, timeout=60)
                marks = desk.workspace.partition_of(sub).marks
                await until(lambda m=marks: m.full_sync_ms(SyncKind.CONTACTS), timeout=60)
            QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: tab.all_mode)
            assert window.sub_account_picker.currentData() == ALL_SUB_ACCOUNTS
            assert tab.agency_hint.isVisible()

            # A first name both sub-accounts know.
            part_a = desk.workspace.partition_of(first)
            part_b = desk.workspace.partition_of(second)
            word = next(
                str(doc.get("firstName"))
                for doc in part_b.contacts.search(None, ContactFilters(), limit=500)
                if doc.get("firstName")
                and part_a.contacts.count(str(doc["firstName"]), ContactFilters())
            )
            tab.search_box.setText(word)
            model = tab.agency_model
            await until(lambda: model.rowCount() > 0 and tab.stack.currentWidget() is not tab.table)
            await asyncio.sleep(0.3)  # laid out, as --screenshot waits
            results = tab.agency_results  # fits the default window without sideways scrolling
            assert results.horizontalHeader().length() <= results.viewport().width()
            rows = range(model.rowCount())
            owners = {model.index(r, 0).data(OwnerIdRole) for r in rows}
            assert owners == {first, second}
            names = {s.id: s.name for s in desk.workspace.sub_accounts()}
            for r in rows:  # every row is its owner's, in its owner's cache
                owner = model.index(r, 0).data(OwnerIdRole)
                assert model.index(r, 0).data(OwnerNameRole) == names[owner]
                cid = model.index(r, 0).data(ContactIdRole)
                assert desk.workspace.partition_of(owner).contacts.get(cid) is not None
            count_a = part_a.contacts.count(word, ContactFilters())
            count_b = part_b.contacts.count(word, ContactFilters())
            assert tab.agency_hint.label.text().startswith(
                f"{count_a} in {names[first]}, {count_b} in {names[second]}"
            )

            # A contact of the second sub-account, opened while the first one is open.
            row = next(r for r in rows if model.index(r, 0).data(OwnerIdRole) == second)
            contact_id = str(model.index(row, 0).data(ContactIdRole))
            assert tab.agency_results.open_row(row)
            await until(lambda: tab.detail.contact_id == contact_id, timeout=30)
            assert _active_sub(desk) == second
            assert tab.selected_ids() == [contact_id]
            assert tab.all_mode and window.sub_account_picker.currentData() == ALL_SUB_ACCOUNTS
            server = _on_server(sandbox, second, contact_id)
            assert server is not None and server.get("firstName") == word

    run(scenario(), timeout=170)
