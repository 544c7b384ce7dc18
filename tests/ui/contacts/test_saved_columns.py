"""Saved column widths never override new defaults in the Contacts tab: columns saved by
an older version are ignored, only the widths the user changed are saved, and restored
widths never bring a horizontal scrollbar back at the default window size."""

from __future__ import annotations

import asyncio

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from app.ui.common.columns import set_versioned_value, versioned_value
from app.ui.contacts.tab import COLUMNS_VERSION, ContactsTab
from tests.support.sandbox_process import Sandbox
from tests.ui.contacts.support import contacts_tab

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]
EVERY_COLUMN_WIDE = {
    key: 260
    for key in (
        "name email phone company title lifecycleStage tags source assignedTo "
        "engagementScore city updatedAt createdAt"
    ).split()
}


def column(tab: ContactsTab, key: str) -> int:
    return tab.model.column_of(key)


def test_older_columns_give_way_and_restored_ones_fit(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    async def flow() -> None:
        async with contacts_tab(tmp_path, sandbox) as tab:
            header = tab.table.horizontalHeader()
            default_email = header.sectionSize(column(tab, "email"))
            # Saved by an older version (no layout version): wide, every column shown.
            old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
            old.setValue("contacts/columnWidths", json.dumps(EVERY_COLUMN_WIDE))
            old.setValue("contacts/hiddenColumns", json.dumps([]))
            tab.restore_state(old)
            await asyncio.sleep(0.05)  # Qt runs its events on the loop (processEvents here would
            # step another task inside this one)
            assert tab.table.isColumnHidden(column(tab, "createdAt")), "hidden by default"
            assert header.sectionSize(column(tab, "email")) == default_email
            assert not tab.table.horizontalScrollBar().isVisible()
            # Saved now: only what the user changed.
            header.resizeSection(column(tab, "company"), 201)
            saved = QSettings(str(tmp_path / "saved.ini"), QSettings.Format.IniFormat)
            tab.save_state(saved)
            saved.beginGroup("contacts")
            widths = json.loads(str(versioned_value(saved, "columnWidths", COLUMNS_VERSION)))
            saved.endGroup()
            assert widths == {"company": 201}
            # Saved by this version, too wide for the default size: they shrink to fit.
            wide = QSettings(str(tmp_path / "wide.ini"), QSettings.Format.IniFormat)
            wide.beginGroup("contacts")
            set_versioned_value(
                wide, "columnWidths", json.dumps(EVERY_COLUMN_WIDE), COLUMNS_VERSION
            )
            set_versioned_value(wide, "hiddenColumns", json.dumps([]), COLUMNS_VERSION)
            wide.endGroup()
            tab.restore_state(wide)
            await asyncio.sleep(0.05)  # Qt runs its events on the loop (processEvents here would
            # step another task inside this one)
            assert not tab.table.isColumnHidden(column(tab, "createdAt")), "the user's choice"
            assert not tab.table.horizontalScrollBar().isVisible()
            assert header.length() <= tab.table.viewport().width()

    run(flow(), timeout=80)
