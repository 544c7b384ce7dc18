"""A Contacts tab on the session's sandbox, for the tests of the tab itself."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from app.services.ports.contacts import ContactsPort
from app.ui.area import AreaContext
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.contacts.tab import ContactsTab
from tests.support.areas import RecordingNavigator, build_area
from tests.support.sandbox_process import Sandbox
from tests.ui.leads.conftest import make_workspace, until


@contextlib.asynccontextmanager
async def contacts_tab(
    tmp: Path, box: Sandbox, *, built: bool = True
) -> AsyncIterator[ContactsTab]:
    """A Contacts tab at the default window size over the sandbox, with its rows shown.

    ``built=False``: shown but not built yet, once the sandbox's contacts are in the cache
    (the test runs the building steps)."""
    workspace, profile = make_workspace(tmp, box)
    await workspace.activate(profile.id)
    port = ContactsPort(workspace)
    bridge = BusBridge(workspace.bus)
    tasks = TaskSet("contacts-test")
    if built:
        tab = build_area(ContactsTab, port, bridge, tasks)
    else:
        context = AreaContext(port=port, bridge=bridge, tasks=tasks, navigator=RecordingNavigator())
        tab = ContactsTab(context)
    tab.resize(1360, 860)
    tab.show()
    try:
        await until(lambda: port.reader() is not None)
        if built:
            tab.set_reader(port.reader())
            await until(lambda: tab.model.rowCount() > 0, timeout=40)
        else:
            reader = port.reader()
            assert reader is not None
            await until(lambda: reader.count() > 3, timeout=40)
        yield tab
    finally:
        await tab.shutdown()
        await tasks.shutdown(5)
        await workspace.shutdown(5)
        bridge.detach()
        tab.deleteLater()


__all__ = ["contacts_tab"]
