"""Contacts end to end through the window against a sandbox: create, edit, delete, bulk,
CSV import and export. Every change is checked on the server, not only on screen."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from app.bootstrap import Application
from app.core.contact_csv import RowStatus, parse_csv
from app.ui.contacts.detail import PaneMode
from app.ui.contacts.export import export_to_csv
from app.ui.contacts.import_dialog import ContactImportDialog, Page
from app.ui.contacts.tab import ContactsTab
from tests.e2e.conftest import save_connection, until
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(240)


def _tab(app: Application) -> ContactsTab:
    tab = app.window.area("contacts")
    assert isinstance(tab, ContactsTab)
    return tab


def _server(box: Sandbox) -> httpx.Client:
    return httpx.Client(
        base_url=box.url, headers={"Authorization": f"Bearer {box.sub_key(0)}"}, timeout=30
    )


def _by_email(box: Sandbox, email: str) -> dict[str, Any] | None:
    with _server(box) as client:
        found = client.get("/api/v1/contacts", params={"email": email}).json()["data"]
    return found[0] if found else None


def _type(tab: ContactsTab, key: str, text: str) -> None:
    editor = tab.detail.editor(key)
    assert editor is not None, key
    field = editor.line  # type: ignore[attr-defined]
    field.selectAll()
    QTest.keyClick(field, Qt.Key.Key_Delete)
    QTest.keyClicks(field, text)
    field.editingFinished.emit()


async def _ready(app: Application) -> ContactsTab:
    tab = _tab(app)
    await until(lambda: tab.is_loaded() and tab.model.total_count > 0, timeout=60)
    return tab


def test_create_edit_and_delete_a_contact(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = await _ready(desk)
            tab.new_button.click()
            await until(lambda: tab.detail.mode is PaneMode.NEW)
            _type(tab, "firstName", "Edda")
            _type(tab, "lastName", "Endtoend")
            _type(tab, "email", email)
            _type(tab, "phone", "(617) 555-0142")
            QTest.keyClick(tab.detail, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: tab.detail.mode is PaneMode.VIEW, timeout=30)
            created = _by_email(sandbox, email)
            assert created is not None and created["phone"] == "+16175550142"
            # The new contact is selected in the table, its row came from the cache.
            await until(lambda: tab.selected_ids() == [created["id"]])

            tab.detail.begin_edit()
            _type(tab, "title", "Chief Tester")
            assert tab.detail.save()
            await until(lambda: tab.detail.mode is PaneMode.VIEW, timeout=30)
            edited = _by_email(sandbox, email)
            assert edited is not None and edited["title"] == "Chief Tester"
            assert {k: v for k, v in edited.items() if k not in ("title", "updatedAt")} == {
                k: v for k, v in created.items() if k not in ("title", "updatedAt")
            }

            tab.detail.request_delete()
            box = await until(
                lambda: next((b for b in tab.findChildren(QMessageBox) if b.isVisible()), None)
            )
            assert "upcoming appointments" in (box.text() + box.informativeText())
            destructive = next(
                b
                for b in box.buttons()
                if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
            )
            destructive.click()
            await until(lambda: _by_email(sandbox, email) is None, timeout=30)
            await until(lambda: tab.model.row_of(created["id"]) < 0)

    run(scenario(), timeout=180)


def test_bulk_stage_change_over_a_selection(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)
    marker = uuid.uuid4().hex[:8]
    with _server(sandbox) as client:
        ids = [
            client.post(
                "/api/v1/contacts",
                json={
                    "firstName": "Bulk",
                    "lastName": f"Row{i}",
                    "email": f"bulk-{marker}-{i}@example.com",
                    "lifecycleStage": "lead",
                },
            ).json()["data"]["id"]
            for i in range(3)
        ]

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = await _ready(desk)
            QTest.keyClicks(tab.search_box, f"bulk-{marker}")
            await until(lambda: tab.model.total_count == 3, timeout=30)
            selection = QItemSelection(
                tab.model.index(0, 0), tab.model.index(2, tab.model.columnCount() - 1)
            )
            tab.table.selectionModel().select(
                selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            assert sorted(tab.selected_ids()) == sorted(ids)
            assert tab.selection_label.text() == "3 selected"
            customer = next(a for a in tab.stage_button.menu().actions() if a.text() == "Customer")
            customer.trigger()
            await until(lambda: getattr(tab, "last_report", None) is not None, timeout=60)
            assert sorted(tab.last_report.changed) == sorted(ids)
            assert tab.banner.isVisible() and "3 changed" in tab.banner.text
            with _server(sandbox) as client:
                for contact_id in ids:
                    doc = client.get(f"/api/v1/contacts/{contact_id}").json()["data"]
                    assert doc["lifecycleStage"] == "customer"

            # "Run workflow…" hands the selection to Webhooks & Automations.
            await until(tab.workflow_button.isEnabled)
            tab.workflow_button.click()
            webhooks = desk.window.area("webhooks")
            assert desk.window.current_area() is webhooks
            workflows = webhooks.workflows  # type: ignore[union-attr]
            assert workflows.isVisible()
            await until(lambda: sorted(c.id for c in workflows.chosen) == sorted(ids))

    run(scenario(), timeout=180)


def test_csv_import_updates_by_email_and_export_writes_the_filter(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any, tmp_path: Path
) -> None:
    save_connection(home, sandbox)
    marker = uuid.uuid4().hex[:8]
    existing = f"csv-{marker}-old@example.com"
    with _server(sandbox) as client:
        client.post(
            "/api/v1/contacts",
            json={"firstName": "Old", "lastName": "Row", "email": existing, "title": "Before"},
        )
    source = tmp_path / "people.csv"
    source.write_text(
        "First Name,Last Name,E-mail,Job Title,Tags\n"
        f"Old,Row,{existing},After,csv-{marker}\n"
        f"New,Person,csv-{marker}-new@example.com,Buyer,csv-{marker}\n"
        f"NoLast,,csv-{marker}-bad@example.com,,\n",
        encoding="utf-8",
    )

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = await _ready(desk)
            dialog = tab.open_import(source)
            assert isinstance(dialog, ContactImportDialog)
            await until(lambda: dialog.plan is not None, timeout=30)
            task = dialog.start_import()
            assert task is not None
            report = await task
            assert report is not None and dialog.page is Page.REPORT
            assert report.count(RowStatus.UPDATED) == 1
            assert report.count(RowStatus.CREATED) == 1
            assert report.count(RowStatus.SKIPPED) == 1
            dialog.close_button.click()
            updated = _by_email(sandbox, existing)
            assert updated is not None and updated["title"] == "After"
            assert f"csv-{marker}" in updated["tags"]
            assert _by_email(sandbox, f"csv-{marker}-new@example.com") is not None
            assert _by_email(sandbox, f"csv-{marker}-bad@example.com") is None
            with _server(sandbox) as client:
                same = client.get("/api/v1/contacts", params={"search": f"csv-{marker}"}).json()
            assert len([d for d in same["data"] if d["email"] == existing]) == 1  # no duplicate

            # Export what the search shows: exactly the imported people.
            QTest.keyClicks(tab.search_box, f"csv-{marker}")
            await until(lambda: tab.model.total_count == 2, timeout=30)
            target = tmp_path / "out.csv"
            outcome = await export_to_csv(
                tab, tab.model.reader, tab.model.query, path=target, notify=False
            )
            assert outcome.count == 2 and outcome.error is None
            table = parse_csv(target.read_bytes())
            emails = {row.cells[table.header.index("Email")] for row in table.rows}
            assert emails == {existing, f"csv-{marker}-new@example.com"}

    run(scenario(), timeout=180)
