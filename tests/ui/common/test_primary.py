"""A screen's main action: one shared style (the theme's ``primary`` rule) and Enter."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.common.widgets import EmptyState, set_primary
from app.ui.theme import DARK, LIGHT, build_stylesheet


def _accent_share(button: QPushButton, accent: str) -> float:
    """The share of the button's pixels drawn in ``accent``."""
    image = button.grab().toImage()
    target = QColor(accent)
    hits = total = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            total += 1
            if image.pixelColor(x, y).rgb() == target.rgb():
                hits += 1
    return hits / max(total, 1)


def test_a_primary_button_is_drawn_in_the_accent_in_both_themes(qapp: QApplication) -> None:
    for colors in (LIGHT, DARK):
        host = QWidget()
        host.setStyleSheet(build_stylesheet(colors))
        layout = QVBoxLayout(host)
        main, other = QPushButton("Import", host), QPushButton("Cancel", host)
        layout.addWidget(main)
        layout.addWidget(other)
        set_primary(main)
        host.resize(200, 80)
        host.show()
        assert main.property("primary") is True
        assert _accent_share(main, colors.accent) > 0.5
        assert _accent_share(other, colors.accent) < 0.05
        set_primary(main, False)  # no longer the main action: drawn like the others
        assert _accent_share(main, colors.accent) < 0.05 and not main.isDefault()
        host.close()


def test_enter_presses_the_primary_of_the_page_in_view(qtbot: Any, qapp: QApplication) -> None:
    dialog = QDialog()
    pages = QStackedWidget(dialog)
    QVBoxLayout(dialog).addWidget(pages)
    first, second = QWidget(), QWidget()
    start = QPushButton("Choose a file…", first)
    finish = QPushButton("Import", second)
    close = QPushButton("Close", second)
    pages.addWidget(first)
    pages.addWidget(second)
    set_primary(start)
    set_primary(finish)
    close.setDefault(True)  # built last, as a wizard's last page is
    pressed: list[str] = []
    for button in (start, finish, close):
        button.clicked.connect(lambda _=False, b=button: pressed.append(b.text()))
    dialog.show()
    assert start.isDefault()
    pages.setCurrentIndex(1)
    assert finish.isDefault() and not close.isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert pressed == ["Import"]
    dialog.close()


def test_an_empty_state_s_button_is_the_main_action(qapp: QApplication) -> None:
    panel = EmptyState()
    panel.set_content("sync", "No connection", "Add one.", "Add a connection…")
    assert panel.button.property("primary") is True


def test_a_primary_buttons_icon_is_drawn_for_the_accent(qapp: QApplication) -> None:
    from PySide6.QtGui import QIcon, QPalette

    from app.ui.theme import Theme, icon
    from tests.support.theme_checks import icon_contrast, icon_lightness

    theme = Theme(qapp, "light")
    try:
        button = QPushButton(icon("search"), "Search")
        set_primary(button)
        button.show()
        QApplication.processEvents()
        palette = qapp.palette()
        on_accent = palette.color(QPalette.ColorRole.HighlightedText).lightness()
        window_text = palette.color(QPalette.ColorRole.WindowText).lightness()
        drawn = icon_lightness(button, QIcon.Mode.Normal)
        assert drawn is not None and abs(drawn - on_accent) < abs(drawn - window_text)
        assert (icon_contrast(button) or 0) > 60, "it reads on the accent"
        theme.set_mode("dark")  # follows a switch, still on the accent
        QApplication.processEvents()
        assert (icon_contrast(button) or 0) > 60
        set_primary(button, False)  # its own icon back, in the window's text colour
        back = icon_lightness(button, QIcon.Mode.Normal)
        text = qapp.palette().color(QPalette.ColorRole.WindowText).lightness()
        assert back is not None and abs(back - text) < 40
        button.close()
    finally:
        theme.set_mode("light")
        theme.close()
