"""Settings → Connections → Sub-accounts…: choosing which sub-accounts of an agency
connection are included and which only observed, kept in the settings file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.services.connection_store import ConnectionStore
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore, SubAccountRef
from app.settings.secrets import Secrets
from app.ui.connections import ConnectionsPage

pytestmark = pytest.mark.timeout(60)

SUBS = [
    SubAccountRef(id="sub_a", name="Harbor Dental Group"),
    SubAccountRef(id="sub_b", name="Summit Roofing Co"),
    SubAccountRef(id="sub_c", name="Maple Street Bakery"),
]


def test_the_choice_is_kept_with_the_connection(qtbot: Any, run: Callable[..., Any]) -> None:
    paths = AppPaths.default()
    workspace = Workspace.open(paths)
    profile = Profile(
        name="Agency", deployment_url="https://crm.example", key_kind="agency", sub_accounts=SUBS
    )
    sub_key = Profile(name="One", deployment_url="https://crm.example", sub_account_id="local-1")
    workspace.profiles.upsert(profile)
    workspace.profiles.upsert(sub_key)
    store = ConnectionStore(workspace.profiles, workspace.secrets)
    page = ConnectionsPage(store, inclusion=workspace)
    qtbot.addWidget(page)
    page.show()
    assert page.sub_accounts_button.isVisible()
    page.select(sub_key.id)
    assert not page.sub_accounts_button.isEnabled()  # a sub-account key has only its own
    page.select(profile.id)
    assert page.sub_accounts_button.isEnabled()
    chosen: list[str] = []
    page.subAccountsChosen.connect(chosen.append)

    async def choose(accept: bool) -> bool:
        page.sub_accounts_button.click()
        while page.sub_accounts_dialog is None:
            await asyncio.sleep(0.01)
        dialog = page.sub_accounts_dialog
        names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
        assert names == [s.name for s in SUBS]  # names, never ids
        assert dialog.all_box.isChecked()  # the default: every sub-account
        dialog.all_box.setChecked(False)
        dialog.set_row("sub_c", included=False, notify=True)
        dialog.set_row("sub_b", included=True, notify=False)
        if accept:
            dialog.accept()
        else:
            dialog.reject()
        while page.sub_accounts_dialog is not None:
            await asyncio.sleep(0.01)
        return True

    run(choose(accept=False))
    assert profile.included_sub_accounts is None and profile.observe_only == []
    run(choose(accept=True))
    assert chosen == [profile.id]
    assert profile.included_sub_accounts == ["sub_a", "sub_b"]
    assert profile.observe_only == ["sub_b"]

    # Kept across restarts: a fresh read of the settings file.
    again = ProfileStore(paths.profiles_file)
    again.load()
    saved = again.get(profile.id)
    assert saved is not None
    assert saved.included_sub_accounts == ["sub_a", "sub_b"]
    assert saved.observe_only == ["sub_b"]

    # Reopened, the dialog shows what was kept; "every sub-account" again clears the list.
    async def back_to_all() -> None:
        page.sub_accounts_button.click()
        while page.sub_accounts_dialog is None:
            await asyncio.sleep(0.01)
        dialog = page.sub_accounts_dialog
        assert not dialog.all_box.isChecked()
        include = dialog.table.item(2, 1)
        assert include is not None and include.checkState() == Qt.CheckState.Unchecked
        dialog.all_box.setChecked(True)
        assert include.checkState() == Qt.CheckState.Checked
        dialog.accept()
        while page.sub_accounts_dialog is not None:
            await asyncio.sleep(0.01)

    run(back_to_all())
    assert profile.included_sub_accounts is None and profile.observe_only == ["sub_b"]
    workspace.db.close()


def test_without_an_inclusion_keeper_there_is_no_button(qtbot: Any) -> None:
    paths = AppPaths.default().ensure()
    profiles = ProfileStore(paths.profiles_file)
    profiles.load()
    page = ConnectionsPage(ConnectionStore(profiles, Secrets()))
    qtbot.addWidget(page)
    page.show()
    assert not page.sub_accounts_button.isVisible()
