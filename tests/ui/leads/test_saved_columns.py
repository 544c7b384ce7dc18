"""Saved column widths never override new defaults in the Leads tab: a header saved by an
older version is ignored, and a restored one never brings a horizontal scrollbar back at
the default window size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QTableView

from app.ui.common.columns import set_versioned_value
from app.ui.leads.models import PeopleColumn
from app.ui.leads.tab import HEADER_LAYOUT_VERSION, LeadsTab
from tests.support.sandbox_process import Sandbox
from tests.ui.leads.conftest import person_result, until
from tests.ui.leads.test_tab_sandbox import new_user, opened

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]


def wide_header(table: QTableView) -> Any:
    """The table's header as an older version saved it: every column shown, and wide."""
    header = table.horizontalHeader()
    saved = header.saveState()
    for column in range(header.count()):
        header.setSectionHidden(column, False)
        header.resizeSection(column, 260)
    state = header.saveState()
    header.restoreState(saved)
    return state


def shows_rows(tab: LeadsTab) -> None:
    tab.people_model.append([person_result(i) for i in range(12)])
    tab.update_results_view()
    QApplication.processEvents()


def test_an_older_header_gives_way_to_the_new_defaults(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    key = new_user(sandbox, 100)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key, seedly=False) as (tab, _workspace):
            shows_rows(tab)
            table = tab.people_table
            default_title = table.horizontalHeader().sectionSize(PeopleColumn.TITLE)
            settings = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
            settings.setValue("leads/header/people", wide_header(table))  # no version
            tab.restore_state(settings)
            QApplication.processEvents()
            assert table.isColumnHidden(PeopleColumn.SENIORITY), "hidden by default now"
            assert table.horizontalHeader().sectionSize(PeopleColumn.TITLE) == default_title
            assert not table.horizontalScrollBar().isVisible()

    run(flow(), timeout=40)


def test_a_restored_header_never_overflows_the_default_size(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    key = new_user(sandbox, 100)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key, seedly=False) as (tab, _workspace):
            shows_rows(tab)
            table = tab.people_table
            settings = QSettings(str(tmp_path / "new.ini"), QSettings.Format.IniFormat)
            settings.beginGroup("leads")
            set_versioned_value(
                settings, "header/people", wide_header(table), HEADER_LAYOUT_VERSION
            )
            settings.endGroup()
            tab.restore_state(settings)
            await until(lambda: table.isVisible())
            QApplication.processEvents()
            # The user's choice of columns is kept; their widths fit the table.
            assert not table.isColumnHidden(PeopleColumn.SENIORITY)
            assert not table.horizontalScrollBar().isVisible()
            header = table.horizontalHeader()
            assert header.length() <= table.viewport().width()

    run(flow(), timeout=40)
