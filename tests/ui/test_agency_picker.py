"""The window's sub-account picker for the agency view, over a real workspace and cache (the
connection previewed from the cache, so no server is needed): "All sub-accounts" at its
top for an agency key only, each sub-account's unread count read from its cache, Ctrl+0,
the window title, and the choice kept across windows in the window's settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.services.bus import ConversationsChanged, ScopeKey
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore, SubAccountRef
from app.settings.secrets import Secrets, SessionSecrets
from app.storage import Database
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.main_window import ALL_SUB_ACCOUNTS, MainWindow
from app.ui.theme import Theme
from tests.unit.storage.docs import conversation

pytestmark = pytest.mark.timeout(60)

DEPLOYMENT = "https://crm.example.com"


@pytest.fixture
def space(tmp_path: Path) -> Iterator[Workspace]:
    db = Database.open(tmp_path / "cache.db")
    store = ProfileStore(tmp_path / "profiles.json")
    workspace = Workspace(
        AppPaths.under(tmp_path).ensure(),
        db,
        store,
        Secrets(persistent=SessionSecrets()),
        persist=False,
    )
    db.partition(DEPLOYMENT, "sub_b").conversations.upsert_conversations(
        [conversation(f"b{i}", unreadCount=1) for i in range(3)]
    )
    yield workspace
    db.close()


def _agency() -> Profile:
    return Profile(
        id="agency1",
        name="Agency",
        deployment_url=DEPLOYMENT,
        key_kind="agency",
        sub_accounts=[
            SubAccountRef(id="sub_a", name="Alpha Roofing"),
            SubAccountRef(id="sub_b", name="Bravo Dental"),
        ],
    )


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not met in time"
        await asyncio.sleep(0.02)


def _window(qapp: QApplication, space: Workspace, settings: QSettings, loop: Any) -> MainWindow:
    window = MainWindow(Theme(qapp, "light"), settings)
    bridge = BusBridge(space.bus)
    window.destroyed.connect(lambda *_: bridge.detach())
    window.attach(space, bridge, TaskSet("picker-test", loop=loop))
    window.show()  # shortcuts reach a shown window only
    window.activateWindow()
    return window


def test_all_sub_accounts_in_the_picker_with_unread_counts(
    qapp: QApplication, space: Workspace, tmp_path: Path, qloop: Any, run: Any
) -> None:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    profile = _agency()
    space.profiles.upsert(profile)

    async def scenario() -> None:
        window = _window(qapp, space, settings, qloop)
        space.preview(profile, "sub_a")
        await _until(lambda: window.windowTitle() == "Alpha Roofing — Seedly Desk")
        picker = window.sub_account_picker
        assert [picker.itemData(i) for i in range(picker.count())] == [
            ALL_SUB_ACCOUNTS,
            "sub_a",
            "sub_b",
        ]
        assert picker.itemText(0) == "All sub-accounts"
        # The counts come from each cache, read on a worker.
        await _until(lambda: picker.itemText(2) == "Bravo Dental · 3")
        assert picker.itemText(1) == "Alpha Roofing"
        assert window.unread_counts() == {"sub_a": 0, "sub_b": 3}
        # A conversation event brings them up to date.
        space.db.partition(DEPLOYMENT, "sub_a").conversations.upsert_conversations(
            [conversation("a1", unreadCount=2)]
        )
        space.bus.publish(ConversationsChanged(ScopeKey(DEPLOYMENT, "sub_a"), frozenset({"a1"})))
        await _until(lambda: picker.itemText(1) == "Alpha Roofing · 1")

        caught_up: list[bool] = []

        async def catch_up(timeout: float = 60.0) -> bool:
            caught_up.append(True)
            return True

        space.catch_up_sub_accounts = catch_up  # type: ignore[method-assign]
        QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
        assert window.all_mode and space.all_sub_accounts
        assert picker.currentData() == ALL_SUB_ACCOUNTS
        assert window.windowTitle() == "All sub-accounts — Seedly Desk"
        # Choosing All asks every other sub-account for its news at once.
        await _until(lambda: caught_up == [True])
        settings.sync()
        window.close()

        # Another window (the next start) finds the choice again.
        space.all_sub_accounts = False
        again = _window(qapp, space, settings, qloop)
        space.preview(profile, "sub_a")  # no session yet: the preview publishes again
        space.bus.publish(ConversationsChanged(ScopeKey(DEPLOYMENT, "sub_a")))
        await _until(lambda: again.all_mode)
        assert again.sub_account_picker.currentData() == ALL_SUB_ACCOUNTS
        assert again.windowTitle() == "All sub-accounts — Seedly Desk"
        # Choosing the sub-account already open leaves All mode at once.
        again.switch_to("sub_a")
        assert not again.all_mode and not space.all_sub_accounts
        assert again.sub_account_picker.currentData() == "sub_a"
        assert again.windowTitle() == "Alpha Roofing — Seedly Desk"
        again.close()

    run(scenario())


def test_a_sub_account_key_has_no_all_entry(
    qapp: QApplication, space: Workspace, tmp_path: Path, qloop: Any, run: Any
) -> None:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    profile = Profile(id="one", name="Solo", deployment_url=DEPLOYMENT, sub_account_id="sub_b")
    space.profiles.upsert(profile)

    async def scenario() -> None:
        window = _window(qapp, space, settings, qloop)
        space.preview(profile, "sub_b")
        await _until(lambda: window.windowTitle() == "Solo — Seedly Desk")
        picker = window.sub_account_picker
        assert [picker.itemData(i) for i in range(picker.count())] == ["sub_b"]
        QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
        assert not window.all_mode and not space.all_sub_accounts
        window.close()

    run(scenario())
