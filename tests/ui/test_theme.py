"""The theme: light and dark applied to the whole application, and nothing re-applied
(a re-polish of every widget) when nothing changed."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.ui.theme import DARK, LIGHT, Theme


def test_switching_modes_changes_palette_and_sheet(qapp: QApplication) -> None:
    theme = Theme(qapp, "light")
    try:
        light_sheet = qapp.styleSheet()
        assert qapp.palette().color(QPalette.ColorRole.Window).name() == LIGHT.window.lower()
        changes: list[bool] = []
        theme.changed.connect(changes.append)
        theme.set_mode("dark")
        assert changes == [True] and theme.is_dark
        assert qapp.palette().color(QPalette.ColorRole.Window).name() == DARK.window.lower()
        assert qapp.styleSheet() != light_sheet
    finally:
        theme.set_mode("light")
        theme.close()


def test_a_second_theme_with_the_same_mode_leaves_the_application_alone(
    qapp: QApplication,
) -> None:
    first = Theme(qapp, "light")
    sheet_changes: list[int] = []
    try:
        # QApplication re-polishes every widget on setStyleSheet/setStyle: count the calls.
        original, original_style = qapp.setStyleSheet, qapp.setStyle
        qapp.setStyleSheet = lambda sheet: (sheet_changes.append(1), original(sheet))  # type: ignore[method-assign]
        qapp.setStyle = lambda style: (sheet_changes.append(2), original_style(style))  # type: ignore[method-assign,assignment]
        second = Theme(qapp, "light")
        second.close()
        assert sheet_changes == []
        assert qapp.property("seedlyFusionStyle") is True
    finally:
        del qapp.setStyleSheet
        del qapp.setStyle
        first.close()
