"""``--screenshot DIR``: one PNG of the window per tab, named after the tab in lower case."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.ui.main_window import MainWindow

SETTLE_SECONDS = 0.3
"""Time for a newly shown tab to lay out and paint before it is grabbed."""


def file_name(area_name: str) -> str:
    """``contacts.png``, ``leads.png``, ``inbox.png``, ``calendar.png``, ``webhooks.png``."""
    return f"{area_name.lower()}.png"


async def save_tab_screenshots(window: MainWindow, directory: Path) -> list[Path]:
    """Show each tab in turn and write the whole window to ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    current = window.current_area()
    for area in window.areas.values():
        window.show_area(area.area_name)
        # The loop lays out and paints the tab meanwhile (never processEvents() inside a
        # task: it would run other tasks' steps nested in this one).
        await asyncio.sleep(SETTLE_SECONDS)
        path = directory / file_name(area.area_name)
        if not window.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    if current is not None:
        window.show_area(current.area_name)
    return written
