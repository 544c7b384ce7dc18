"""``--screenshot DIR``: one PNG of the window per tab, named after the tab in lower case,
then — when the window is not dark already — the theme is switched to dark while the app runs
and every tab is written again as ``<tab>-dark.png`` (what a user sees after switching).

For an agency connection with several sub-accounts the merged Inbox is written too, as
``agency-inbox.png`` (and ``agency-inbox-dark.png``): each sub-account not cached yet is
opened once first (bounded), then "All sub-accounts" is shown; the sub-account open before
is open again afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.ui.main_window import MainWindow

SETTLE_SECONDS = 0.3
"""Time for a newly shown tab to lay out and paint before it is grabbed."""
AGENCY_SYNC_SECONDS = 60.0
"""How long each sub-account not cached yet may take to bring its conversations in."""
AGENCY_FILE = "agency-inbox"


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
    original = await _enter_agency_view(window)
    try:
        if original is not None:
            written.append(await _grab_agency(window, directory, ""))
        theme = window.theme
        if not theme.is_dark:
            previous = theme.mode
            theme.set_mode("dark")  # for this run only: the saved choice is not touched
            try:
                if original is not None:
                    written.append(await _grab_agency(window, directory, "-dark"))
                    window.switch_to(original)  # the tabs as the user left them
                    await _settled_on(window, original)
                written += await _grab_tabs(window, directory, "-dark")
            finally:
                theme.set_mode(previous)
    finally:
        if original is not None and window.all_mode:
            window.switch_to(original)
            await _settled_on(window, original)
    if current is not None:
        window.show_area(current.area_name)
    return written


async def _enter_agency_view(window: MainWindow) -> str | None:
    """Open each member sub-account not cached yet once, then "All sub-accounts"; the
    sub-account open before (None: not an agency connection with several)."""
    workspace = window.workspace
    active = workspace.active
    if active is None or not workspace.can_merge():
        return None
    original = active.scope.sub_account_id
    loop = asyncio.get_running_loop()
    for ref in workspace.merged_members():
        if workspace.conversations_cached(ref.id):
            continue
        window.switch_to(ref.id)
        deadline = loop.time() + AGENCY_SYNC_SECONDS
        while not workspace.conversations_cached(ref.id) and loop.time() < deadline:
            await asyncio.sleep(0.1)
    if workspace.active is not None and workspace.active.scope.sub_account_id != original:
        window.switch_to(original)
        await _settled_on(window, original)
    window.show_all()
    return original


async def _settled_on(window: MainWindow, sub_account_id: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        active = window.workspace.active
        if active is not None and active.scope.sub_account_id == sub_account_id:
            return
        await asyncio.sleep(0.05)


async def _grab_agency(window: MainWindow, directory: Path, suffix: str) -> Path:
    if not window.all_mode:
        window.show_all()
    window.show_area("inbox")
    inbox = window.area("inbox")
    if inbox is not None:
        # A thread open beside the merged list (opening its row may switch sub-account).
        await asyncio.wait_for(inbox.prepare_screenshot(), 30.0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10.0
        while getattr(inbox, "open_conversation_id", "") is None and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.wait_for(inbox.prepare_screenshot(), 30.0)
    await asyncio.sleep(SETTLE_SECONDS)
    path = directory / file_name(AGENCY_FILE, suffix)
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path
