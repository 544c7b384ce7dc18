"""Switching the theme while the app runs: every icon drawn as a picture follows the new
palette (an icon kept in the light palette's colour vanishes on a dark background)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.common.messages import FieldMessage
from app.ui.common.widgets import Banner, EmptyState, IconLabel
from app.ui.theme import Theme
from tests.support.theme_checks import ink_lightness


@pytest.fixture
def theme(qapp: QApplication) -> Iterator[Theme]:
    made = Theme(qapp, "light")
    yield made
    made.set_mode("light")
    made.close()


KEEP: list[QWidget] = []


def _widgets() -> dict[str, QWidget]:
    label = IconLabel("warning", 24)
    banner = Banner()
    banner.show_message("warning", "Something to know")
    empty = EmptyState()
    empty.set_content("contacts", "No contacts", "Nothing here yet.")
    message = FieldMessage()
    KEEP[:] = [label, banner, empty, message]
    return {"icon": label, "banner icon": banner._icon, "empty picture": empty._icon,
            "message icon": message._icon}  # fmt: skip


def test_icons_follow_a_theme_switch(theme: Theme, qapp: QApplication) -> None:
    widgets = _widgets()
    for widget in widgets.values():
        widget.window().resize(400, 300)
        widget.window().show()
    qapp.processEvents()
    light = {name: ink_lightness(w) for name, w in widgets.items()}
    assert all(value < 110 for value in light.values()), light  # dark ink on light
    theme.set_mode("dark")
    qapp.processEvents()
    dark = {name: ink_lightness(w) for name, w in widgets.items()}
    assert all(value > 150 for value in dark.values()), dark  # light ink on dark
    for widget in widgets.values():
        widget.window().close()


def test_an_icon_label_built_in_dark_is_light(theme: Theme, qapp: QApplication) -> None:
    theme.set_mode("dark")
    label = IconLabel("info", 24)
    label.show()
    qapp.processEvents()
    assert ink_lightness(label) > 150
    label.set_icon("error")
    assert ink_lightness(label) > 150
    label.close()
