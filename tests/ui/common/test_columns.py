"""Saved column layouts: a layout of an older version gives way to the new defaults, and
restored widths never overflow the table (they shrink to fit, and grow back with it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

from app.ui.common.columns import (
    DEFAULT_WINDOW_WIDTH,
    MIN_COLUMN,
    ColumnFitter,
    columns_overflow,
    set_versioned_value,
    versioned_value,
)


def test_a_value_of_another_layout_version_is_ignored(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("header", "saved by an older version")
    assert versioned_value(settings, "header", 2) is None
    set_versioned_value(settings, "header", "current", 2)
    assert versioned_value(settings, "header", 2) == "current"
    assert versioned_value(settings, "header", 3) is None


def table(columns: int) -> QTableView:
    model = QStandardItemModel(3, columns)
    view = QTableView()
    view.setModel(model)
    model.setParent(view)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def test_restored_widths_shrink_to_fit_and_grow_back(qapp: Any) -> None:
    view = table(8)
    for column in range(8):
        view.horizontalHeader().resizeSection(column, 250)  # 2,000 px of columns
    fitter = ColumnFitter(view)
    fitter.arm()  # not shown yet: nothing to fit against
    assert view.horizontalHeader().sectionSize(0) == 250
    view.resize(DEFAULT_WINDOW_WIDTH, 300)
    view.show()
    QApplication.processEvents()
    assert columns_overflow(view) == 0
    assert not view.horizontalScrollBar().isVisible()
    assert MIN_COLUMN <= view.horizontalHeader().sectionSize(0) < 250
    # Wider again: the restored widths come back.
    view.resize(2400, 300)
    QApplication.processEvents()
    assert view.horizontalHeader().sectionSize(0) == 250
    # A window the user made narrower than the default keeps the user's widths.
    view.resize(900, 300)
    QApplication.processEvents()
    assert view.horizontalHeader().sectionSize(0) == 250
    view.close()
