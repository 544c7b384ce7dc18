"""``--screenshot DIR``: one PNG of the window per tab, named after the tab in lower case,
then — when the window is not dark already — the theme is switched to dark while the app runs
and every tab is written again as ``<tab>-dark.png`` (what a user sees after switching)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.ui.main_window import MainWindow

SETTLE_SECONDS = 0.3
"""Time for a newly shown tab to lay out and paint before it is grabbed."""


def file_name(area_name: str, suffix: str = "") -> str:
    """``contacts.png``, ``leads.png``…; with ``suffix`` "-dark": ``contacts-dark.png``."""
    return f"{area_name.lower()}{suffix}.png"


async def _grab_tabs(window: MainWindow, directory: Path, suffix: str) -> list[Path]:
    written: list[Path] = []
    for area in window.areas.values():
        window.show_area(area.area_name)
        # The loop lays out and paints the tab meanwhile (never processEvents() inside a
        # task: it would run other tasks' steps nested in this one).
        await asyncio.sleep(SETTLE_SECONDS)
        path = directory / file_name(area.area_name, suffix)
        if not window.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


async def save_tab_screenshots(window: MainWindow, directory: Path) -> list[Path]:
    """Show each tab in turn and write the whole window to ``directory`` (and, switched to
    dark while running, each again as ``-dark``); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    current = window.current_area()
    written = await _grab_tabs(window, directory, "")
    theme = window.theme
    if not theme.is_dark:
        previous = theme.mode
        theme.set_mode("dark")  # for this run only: the saved choice is not touched
        try:
            written += await _grab_tabs(window, directory, "-dark")
        finally:
            theme.set_mode(previous)
    if current is not None:
        window.show_area(current.area_name)
    return written
