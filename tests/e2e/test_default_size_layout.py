"""The demo window at its default size (``SCREENSHOT_SIZE``): the Contacts and Leads tables
fit without a horizontal scrollbar, and several selected rows show their count and the
bulk actions in the details pane instead of one record."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QTableView

from app.bootstrap import SCREENSHOT_SIZE, LaunchOptions
from app.ui.contacts.tab import ContactsTab
from app.ui.leads.tab import LeadsTab
from tests.e2e.conftest import until

pytestmark = pytest.mark.timeout(240)

DEMO = LaunchOptions(demo=True, traffic_seconds=None)
SETTLE = 0.3
"""Time for a tab brought to the front to lay out (as ``--screenshot`` waits)."""


def _fits(table: QTableView) -> bool:
    """No horizontal scrollbar, and the visible columns are no wider than the view."""
    header = table.horizontalHeader()
    return not table.horizontalScrollBar().isVisible() and header.length() <= (
        table.viewport().width()
    )


def _select(table: QTableView, rows: list[int]) -> None:
    selection = table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(table.model().index(row, 0), flags)


def test_contacts_and_leads_fit_the_default_window_size(
    open_desk: Any, home: Path, run: Any
) -> None:
    async def scenario() -> None:
        async with open_desk(DEMO) as desk:
            window = desk.window
            window.resize(*SCREENSHOT_SIZE)
            window.show()
            # The demo sandbox is up and the Seamless balance known, as before --screenshot.
            await until(
                lambda: (
                    desk.workspace.leads.credits is not None
                    and desk.workspace.leads.credits.balance is not None
                ),
                timeout=90,
            )
            await asyncio.wait_for(window.prepare_screenshots(), 150)
            for name in ("contacts", "leads"):
                area = window.area(name)
                assert area is not None
                await until(area.is_loaded, timeout=60)

            contacts = window.area("contacts")
            assert isinstance(contacts, ContactsTab)
            window.show_area("contacts")
            await until(lambda: contacts.model.rowCount() > 10, timeout=60)
            contacts.table.selectRow(0)  # a contact in the pane, as the user sees it
            await asyncio.sleep(SETTLE)
            assert contacts.stack.currentWidget() is contacts.table
            assert contacts.detail.contact_id == contacts.model.id_at(0)
            assert _fits(contacts.table)
            # Several selected: their count and the bulk actions instead of one record.
            _select(contacts.table, [0, 1, 2, 3])
            assert contacts.detail_stack.currentWidget() is contacts.selection_summary
            assert contacts.selection_summary.title == "4 contacts selected"
            assert [b.text() for b in contacts.selection_summary.action_buttons()] == [
                "Tag…",
                "Stage",
                "Run workflow…",
                "Delete…",
            ]
            contacts.table.selectRow(1)
            assert contacts.detail_stack.currentWidget() is contacts.detail
            assert contacts.detail.contact_id == contacts.model.id_at(1)

            leads = window.area("leads")
            assert isinstance(leads, LeadsTab)
            window.show_area("leads")
            await asyncio.sleep(SETTLE)
            table = leads.people_table
            assert leads.people_model.rowCount() > 0
            # The demo researched rows: the Researched column is there, and still it fits.
            assert not table.isColumnHidden(leads.people_model.research_column)
            assert _fits(table)
            assert leads.details.title_text  # the pane says which row it shows

    run(scenario(), timeout=220)
