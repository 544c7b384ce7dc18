"""The window end to end: opening a saved connection, switching sub-accounts with data in
flight, a key revoked mid-session, Ctrl+K, and state restored on the next start."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app import bootstrap
from app.bootstrap import Application, LaunchOptions, open_window, window_settings_path
from app.settings.paths import AppPaths
from app.settings.profiles import ProfileStore
from app.settings.secrets import Secrets, account_name
from app.ui.connections import ConnectionDialog, DialogMode
from app.ui.contacts.tab import ContactsTab
from app.ui.area import Area
from app.ui.main_window import ALL_SUB_ACCOUNTS, MainWindow
from app.ui.common.widgets import EmptyState
from app.ui.webhooks.tab import WebhooksTab
from tests.e2e.conftest import save_connection, until
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(180)


def _server_contact_ids(box: Sandbox, index: int) -> set[str]:
    ids: set[str] = set()
    cursor = None
    headers = {"Authorization": f"Bearer {box.sub_key(index)}"}
    with httpx.Client(base_url=box.url, headers=headers) as client:
        while True:
            params: dict[str, Any] = {"limit": 100}
            if cursor:
                params["cursor"] = cursor
            body = client.get("/api/v1/contacts", params=params).json()
            ids |= {d["id"] for d in body["data"]}
            cursor = body["meta"].get("cursor")
            if not body["meta"].get("hasMore"):
                return ids


def _tab(app: Application) -> ContactsTab:
    tab = app.window.area("contacts")
    assert isinstance(tab, ContactsTab)
    return tab


def _shown_ids(tab: ContactsTab) -> set[str]:
    return {tab.model.id_at(r) or "" for r in range(tab.model.rowCount())}


def _active_sub(app: Application) -> str | None:
    active = app.workspace.active
    return None if active is None else active.scope.sub_account_id


def test_opens_the_saved_connection_and_shows_its_contacts(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)
    server_ids = _server_contact_ids(sandbox, 0)

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = _tab(desk)
            window = desk.window
            await until(lambda: tab.model.total_count >= len(server_ids), timeout=60)
            assert window.pages.currentWidget() is window.tabs
            # A first start with a CRM connection and no Seamless.AI opens on Contacts.
            assert window.current_area() is tab
            # "All sub-accounts" first (an agency key with several), then each one.
            assert window.sub_account_picker.count() == len(sandbox.sub_ids) + 1
            assert window.sub_account_picker.itemData(0) == ALL_SUB_ACCOUNTS
            assert window.sub_account_picker.currentData() == sandbox.sub_ids[0]
            assert _shown_ids(tab) <= server_ids
            assert tab.count_label.text() == f"{len(server_ids):,} contacts"
            assert tab.stack.currentWidget() is tab.table
            await until(lambda: window.connection_label.text().startswith("Connected"))
            assert "Synced" in window.sync_button.text()

    run(scenario(), timeout=120)


def test_switching_never_shows_a_record_of_the_other_sub_account(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)
    first, second = (_server_contact_ids(sandbox, i) for i in (0, 1))

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = _tab(desk)
            window = desk.window
            leaks: list[str] = []

            def check_rows(*_: Any) -> None:
                sub = _active_sub(desk)
                if sub is None:
                    return
                allowed = first if sub == sandbox.sub_ids[0] else second
                leaks.extend(cid for cid in _shown_ids(tab) if cid not in allowed)

            for signal in (tab.model.modelReset, tab.model.rowsInserted, tab.model.dataChanged):
                signal.connect(check_rows)
            await until(lambda: _active_sub(desk) is not None)
            # Back and forth with the keyboard while the first syncs are still running.
            for i in range(12):
                key = Qt.Key.Key_1 if i % 2 else Qt.Key.Key_2
                QTest.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
                await asyncio.sleep(0.05 * (i % 3))
            await until(lambda: _active_sub(desk) == sandbox.sub_ids[0])
            QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: _active_sub(desk) == sandbox.sub_ids[1])
            await until(lambda: tab.model.total_count >= len(second), timeout=60)
            assert leaks == []
            assert _shown_ids(tab) <= second
            assert window.sub_account_picker.currentData() == sandbox.sub_ids[1]
            assert desk.workspace.profile is not None
            assert desk.workspace.profile.last_sub_account_id == sandbox.sub_ids[1]

    run(scenario(), timeout=150)


def test_a_revoked_key_shows_the_banner_and_a_new_key_resumes(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    minted = sandbox.control("POST", "keys", json={"agency": True})["key"]
    save_connection(home, sandbox, minted)

    async def scenario() -> None:
        async with open_desk() as desk:
            window = desk.window
            await until(lambda: desk.workspace.active is not None)
            sandbox.control("POST", "keys/revoke", json={"key": minted})
            desk.workspace.refresh_now()
            await until(lambda: window.key_banner.isVisible(), timeout=30)
            assert "revoked" in window.key_banner.text
            # The window agrees with its banner: no "Synced just now" under it.
            assert window.sync_button.text() == "Sync paused"
            window._tick()  # the clock's re-render keeps it
            assert window.sync_button.text() == "Sync paused"
            session = desk.workspace.session
            assert session is not None and session.scheduler is not None
            assert session.scheduler.paused_reason  # polling stopped
            # The user follows the banner: a new key, checked, saved; syncing resumes.
            fresh = sandbox.control("POST", "keys", json={"agency": True})["key"]
            window.key_banner.action_button.click()
            dialog = await until(lambda: window.findChild(ConnectionDialog))
            assert dialog.mode is DialogMode.REPLACE_KEY
            dialog.key_edit.setText(fresh)
            dialog.check_button.click()
            await until(lambda: dialog.check_result is not None and dialog.check_result.ok, 30)
            dialog.save_button.click()
            await until(lambda: not window.key_banner.isVisible(), timeout=30)
            resumed = await until(lambda: desk.workspace.session)
            assert resumed.key_problem is None
            await until(
                lambda: resumed.scheduler is not None and not resumed.scheduler.paused_reason
            )
            await until(lambda: window.sync_button.text().startswith("Sync"), timeout=30)
            await until(lambda: window.sync_button.text() != "Sync paused", timeout=30)
            assert desk.workspace.profile is not None
            assert Secrets().get(account_name(desk.workspace.profile.id)) == fresh

    run(scenario(), timeout=120)


def test_ctrl_k_jumps_to_a_contact_not_loaded_yet(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = _tab(desk)
            window = desk.window
            await until(lambda: tab.model.total_count >= 2000, timeout=60)
            active = desk.workspace.active
            assert active is not None
            # The last contact by name: far below the first loaded page.
            target = active.partition.contacts.search(
                None, sort_key="name", descending=True, limit=1
            )[0]
            assert tab.model.row_of(target["id"]) < 0
            QTest.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
            QTest.keyClicks(window.global_search, str(target["email"]))
            await until(lambda: window.global_search.model.rowCount() > 0)
            results = window.global_search.model.results
            QTest.keyClick(window.global_search, Qt.Key.Key_Return)
            try:
                await until(lambda: tab.selected_ids() == [target["id"]])
            except AssertionError:
                raise AssertionError(
                    f"selected {tab.selected_ids()} shown {tab.detail.contact_id} "
                    f"row {tab.model.row_of(target['id'])} of {tab.model.rowCount()} "
                    f"target {target['id']} results {[r.id for r in results]}"
                ) from None
            assert window.current_area() is tab
            assert tab.detail.contact_id == target["id"]

    run(scenario(), timeout=120)


def test_ctrl_k_to_a_contact_the_filters_hide_clears_them(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = _tab(desk)
            await until(lambda: tab.model.total_count >= 2000, timeout=60)
            active = desk.workspace.active
            assert active is not None
            target = active.partition.contacts.search(None, sort_key="name", limit=1)[0]
            # A stage filter that hides the target (the table then lists other stages only).
            other_stage = next(
                tab.stage_filter.itemData(i)
                for i in range(1, tab.stage_filter.count())
                if tab.stage_filter.itemData(i) != target.get("lifecycleStage")
            )
            tab.stage_filter.setCurrentIndex(tab.stage_filter.findData(other_stage))
            await until(
                lambda: (
                    tab.search.filters.lifecycle_stage == other_stage
                    and tab.model.row_of(target["id"]) < 0
                    and tab.model.rowCount() > 0
                )
            )
            assert desk.window.show_record("contact", target["id"])
            await until(lambda: tab.selected_ids() == [target["id"]])
            assert tab.detail.contact_id == target["id"]
            assert tab.stage_filter.currentIndex() == 0  # the widget says what is applied
            assert tab.search.filters.lifecycle_stage is None

    run(scenario(), timeout=120)


def test_window_state_is_restored_on_the_next_start(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)

    async def scenario() -> None:
        size: tuple[int, int]
        async with open_desk() as first:
            tab = _tab(first)
            await until(lambda: first.workspace.active is not None)
            await until(lambda: tab.is_loaded() and first.window.last_sync_label.text(), 60)
            # The offscreen screen is 800x600: keep near the narrowest the window allows
            # (with room for status texts that grow between runs, e.g. "3 s ago").
            # Within the screen: Qt fits a restored window inside it (less its frame).
            await until(lambda: all(a.is_built for a in first.window.areas.values()))
            screen_width = first.window.screen().availableGeometry().width()
            first.window.resize(
                min(first.window.minimumSizeHint().width() + 80, screen_width - 20), 544
            )
            size = (first.window.width(), first.window.height())
            tab.table.horizontalHeader().resizeSection(tab.model.column_of("email"), 333)
            tab._toggle_column(tab.model.column_of("phone"), False)
        async with open_desk() as second:
            tab2 = _tab(second)
            await until(lambda: second.workspace.active is not None)
            # The window's minimum width grows as the areas are built (in slices).
            await until(lambda: all(a.is_built for a in second.window.areas.values()))
            # Qt keeps a restored window on its screen (offscreen: 800 wide) and no
            # narrower than its minimum, which the second run's texts may widen.
            screen = second.window.screen().availableGeometry().width()
            width = max(min(size[0], screen), second.window.minimumSizeHint().width())
            assert (second.window.width(), second.window.height()) == (width, size[1])
            header = tab2.table.horizontalHeader()
            assert header.sectionSize(tab2.model.column_of("email")) == 333
            assert tab2.table.isColumnHidden(tab2.model.column_of("phone"))
            assert not tab2.table.isColumnHidden(tab2.model.column_of("name"))

    run(scenario(), timeout=120)


def test_the_chosen_theme_is_saved_and_the_next_start_paints_in_it(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)

    async def scenario() -> None:
        async with open_desk() as first:
            await until(lambda: first.workspace.active is not None)
            menu = first.window.settings_menu
            appearance = next(a.menu() for a in menu.actions() if a.text() == "Appearance")
            dark = next(a for a in appearance.actions() if a.text() == "Dark")
            dark.trigger()
            assert first.theme.mode == "dark"
            assert first.workspace.profiles.data.preferences.theme == "dark"
        # The next start: the frame, made before the saved preferences are read, is dark.
        paths = AppPaths.under(home)
        frame = open_window(QApplication.instance(), LaunchOptions(), paths)  # type: ignore[arg-type]
        try:
            assert frame.theme.mode == "dark"
            assert ProfileStore(paths.profiles_file).load().preferences.theme == "dark"
        finally:
            frame.theme.close()
            frame.deleteLater()

    run(scenario(), timeout=120)


def _start_on_tab(home: Path, box: Sandbox, name: str) -> None:
    """A saved connection, and ``name`` as the tab in front when the window last closed."""
    save_connection(home, box)
    paths = AppPaths.under(home).ensure()
    settings = QSettings(
        str(window_settings_path(LaunchOptions(), paths)), QSettings.Format.IniFormat
    )
    settings.setValue("window/lastTab", name)
    settings.sync()


def test_the_tab_used_last_is_built_before_the_others_are_added(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up builds the tab in front first; the other tabs' code is imported and their
    areas added only after it, and the connection opens once every tab is in."""
    _start_on_tab(home, sandbox, "inbox")
    events: list[tuple[str, str]] = []
    real_add_area = MainWindow.add_area

    def add_area(window: MainWindow, area: Area) -> None:
        events.append(("added", area.area_name))
        area.buildFinished.connect(lambda n=area.area_name: events.append(("built", n)))
        real_add_area(window, area)

    monkeypatch.setattr(MainWindow, "add_area", add_area)
    opened_with: list[set[str]] = []
    real_activate = MainWindow.activate

    async def activate(window: MainWindow, profile_id: str) -> bool:
        opened_with.append(set(window.areas))
        return await real_activate(window, profile_id)

    monkeypatch.setattr(MainWindow, "activate", activate)

    async def scenario() -> None:
        async with open_desk() as desk:
            assert desk.window.current_area() is desk.window.areas["inbox"]
            await until(lambda: desk.workspace.active is not None)
            await until(lambda: all(a.is_built for a in desk.window.areas.values()))
            assert events[:2] == [("added", "inbox"), ("built", "inbox")]
            assert {name for kind, name in events[2:] if kind == "added"} == {
                "leads",
                "contacts",
                "calendar",
                "webhooks",
            }
            assert opened_with == [{"leads", "contacts", "inbox", "calendar", "webhooks"}]

    run(scenario(), timeout=120)


@pytest.mark.qt_no_exception_capture
def test_a_front_tab_that_fails_to_build_does_not_keep_the_others_away(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A building step that raises stops that tab only (never marked built half-made, and
    said in the window); the other tabs are added and the connection opens."""
    _start_on_tab(home, sandbox, "webhooks")
    monkeypatch.setattr(bootstrap, "FRONT_BUILD_SECONDS", 30.0)  # the failure ends the wait

    def broken_steps(self: Area) -> Any:
        yield
        raise RuntimeError("a building step failed")

    monkeypatch.setattr(WebhooksTab, "build_steps", broken_steps)

    async def scenario() -> None:
        async with open_desk() as desk:
            await until(lambda: desk.workspace.active is not None)
            assert set(desk.window.areas) == {"leads", "contacts", "inbox", "calendar", "webhooks"}
            await until(
                lambda: all(a.is_built for n, a in desk.window.areas.items() if n != "webhooks")
            )
            broken = desk.window.areas["webhooks"]
            assert broken.build_failed and not broken.is_built
            assert not broken.build_next_step(), "never built half-made"
            page = desk.window.areas["webhooks"].parentWidget()
            assert page is not None
            notice = page.findChild(EmptyState, "areaFailed")
            assert notice is not None and not broken.isVisibleTo(page)
            assert notice.title == "The Webhooks & Automations tab could not be opened"

    run(scenario(), timeout=120)
