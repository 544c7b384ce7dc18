"""The Contacts tab shows its cached rows while it is still building (its pane's form is
the slow part), in the order the user saved, and hands them to the pane once built."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.services.ports.contacts import ContactQuery
from tests.support.sandbox_process import Sandbox
from tests.ui.contacts.support import contacts_tab
from tests.ui.leads.conftest import until

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]


def test_rows_show_before_the_pane_is_built_in_the_saved_order(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with contacts_tab(tmp_path, sandbox, built=False) as tab:
            saved = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
            saved.setValue("contacts/sort", json.dumps(["name", True]))  # Z to A
            tab.prepare_restore(saved)
            resets: list[int] = []
            while not hasattr(tab, "table") or tab.model.rowCount() == 0:
                assert tab.build_next_step(), "built without ever showing rows"
                if hasattr(tab, "model") and not resets:
                    tab.model.modelReset.connect(lambda: resets.append(1))
            # The cache's own order by name, Z to A (its collation, not Python's), read
            # before any event runs: the session's sync may add contacts once one does.
            reader = tab.port.reader()
            assert reader is not None
            expected = reader.page(ContactQuery(sort_key="name", descending=True), limit=50)
            shown = [tab.model.id_at(r) for r in range(50)]
            QApplication.processEvents()
            assert not tab.is_built and not hasattr(tab, "detail"), "rows before the pane"
            assert tab.table.isVisible() and tab.table.model() is tab.model
            assert shown == [row.id for row in expected], "in the saved order"
            assert expected[0].id != reader.page(ContactQuery(), limit=1)[0].id
            assert tab.count_label.text().endswith("contacts")
            first = tab.model.id_at(0)
            shown_at = len(resets)
            tab.build()
            tab.restore_state(saved)  # as the window does once it is built
            QApplication.processEvents()
            assert len(resets) == shown_at, "the rows shown are kept, not read again at the end"
            await until(lambda: tab.detail.contact_id == first)
            assert tab.selected_ids() == [first]

    run(flow(), timeout=80)
