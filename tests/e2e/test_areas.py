"""The areas together in the demo window: their order, the credit badge, the Settings menu
entries they add, Ctrl+K into a conversation and the thread's link to its contact."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from app.bootstrap import Application, LaunchOptions
from app.ui.contacts.tab import ContactsTab
from app.ui.inbox.tab import InboxTab
from app.ui.leads.tab import LeadsTab
from tests.e2e.conftest import until

pytestmark = pytest.mark.timeout(240)

DEMO = LaunchOptions(demo=True, traffic_seconds=None)


def _areas(desk: Application) -> tuple[LeadsTab, ContactsTab, InboxTab]:
    leads, contacts, inbox = (desk.window.area(n) for n in ("leads", "contacts", "inbox"))
    assert isinstance(leads, LeadsTab)
    assert isinstance(contacts, ContactsTab)
    assert isinstance(inbox, InboxTab)
    return leads, contacts, inbox


def _menu_texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_the_demo_window_has_its_areas_the_badge_and_their_settings(
    open_desk: Any, home: Path, run: Any
) -> None:
    async def scenario() -> None:
        async with open_desk(DEMO) as desk:
            window = desk.window
            leads, _contacts, inbox = _areas(desk)
            # A tab's text doubles "&" (a single one would mark a keyboard mnemonic).
            titles = [window.tabs.tabText(i).replace("&&", "&") for i in range(window.tabs.count())]
            assert titles == ["Leads", "Contacts", "Inbox", "Calendar", "Webhooks & Automations"]

            # The status bar's badge follows the Seamless balance of the demo user.
            badge = leads.credit_status_widget()
            await until(
                lambda: (
                    desk.workspace.leads.credits is not None
                    and desk.workspace.leads.credits.balance is not None
                ),
                timeout=60,
            )
            balance = desk.workspace.leads.credits.balance  # type: ignore[union-attr]
            await until(lambda: f"{balance:,}" in badge.text())
            assert badge.isVisibleTo(window.statusBar())
            badge.click()
            assert window.current_area() is leads

            texts = _menu_texts(window.settings_menu)
            assert "Seamless.AI connection…" in texts
            # Grouped with separators: connections, appearance, then each tab's entries.
            groups: list[list[str]] = [[]]
            for action in window.settings_menu.actions():
                if action.isSeparator():
                    groups.append([])
                else:
                    groups[-1].append(action.text())
            assert all(groups), groups  # no leading, trailing or doubled separator
            assert groups[:2] == [["Connections…", "Add a connection…"], ["Appearance"]]
            assert ["Seamless.AI connection…"] in groups and ["Notifications"] in groups
            notifications = next(
                a.menu() for a in window.settings_menu.actions() if a.text() == "Notifications"
            )
            assert isinstance(notifications, QMenu)
            assert "Notify for SMS" in _menu_texts(notifications)
            assert "conversation" in window.global_search.placeholderText()
            # The user's input anywhere is noticed (polling slows down when they are away).
            before = window._activity.last_input
            await asyncio.sleep(0.01)
            QTest.keyClick(window.global_search, Qt.Key.Key_A)
            assert window._activity.last_input > before
        # Closed and shut down: the window and its tabs are gone from the process (left
        # behind, every later style change would re-polish them all).
        assert not shiboken6.isValid(window) and not shiboken6.isValid(leads)

    run(scenario(), timeout=200)


def test_ctrl_k_opens_a_conversation_and_its_contact_link_opens_the_contact(
    open_desk: Any, home: Path, run: Any
) -> None:
    async def scenario() -> None:
        async with open_desk(DEMO) as desk:
            window = desk.window
            _leads, contacts, inbox = _areas(desk)
            await until(inbox.is_loaded, timeout=90)
            active = desk.workspace.active
            assert active is not None
            # The oldest conversation: not the one any view would have open by itself.
            docs = active.partition.conversations.list_conversations(limit=1000)
            target = docs[-1]
            email = str(target["contact"]["email"])
            QTest.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
            QTest.keyClicks(window.global_search, email)
            await until(
                lambda: any(
                    r.kind == "conversation" and r.id == target["id"]
                    for r in window.global_search.model.results
                )
            )
            results = window.global_search.model.results
            for _ in range(
                next(
                    i
                    for i, r in enumerate(results)
                    if r.kind == "conversation" and r.id == target["id"]
                )
            ):
                QTest.keyClick(window.global_search, Qt.Key.Key_Down)
            QTest.keyClick(window.global_search, Qt.Key.Key_Return)
            await until(lambda: inbox.open_conversation_id == target["id"])
            assert window.current_area() is inbox

            thread = inbox.thread_pane
            await until(lambda: thread.model.rowCount() > 0)  # type: ignore[attr-defined]
            contact_id = str(target["contactId"])
            await until(lambda: active.partition.contacts.get(contact_id) is not None, 90)
            thread.contact_button.click()  # type: ignore[attr-defined]
            await until(lambda: window.current_area() is contacts)
            await until(lambda: contacts.detail.contact_id == contact_id)
            assert contacts.selected_ids() == [contact_id]

    run(scenario(), timeout=200)


def test_a_warm_demo_start_shows_the_cache_before_the_sandbox_is_up(
    open_desk: Any, home: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import demo

    real_start = demo.DemoSandbox.start
    sandbox_may_start = threading.Event()

    def slow_start(self: demo.DemoSandbox) -> demo.DemoInfo:
        sandbox_may_start.wait(60)  # a slow machine: the sandbox takes its time
        return real_start(self)

    async def scenario() -> None:
        async with open_desk(DEMO) as first:
            contacts = first.window.area("contacts")
            assert isinstance(contacts, ContactsTab)
            first.window.show_area("contacts")
            await until(lambda: contacts.model.rowCount() > 0, timeout=90)
            active = first.workspace.active
            assert active is not None
            opened_sub = active.scope.sub_account_id
        monkeypatch.setattr(demo.DemoSandbox, "start", slow_start)
        async with open_desk(DEMO) as second:
            contacts = second.window.area("contacts")
            assert isinstance(contacts, ContactsTab)
            second.window.show_area("contacts")
            # The sandbox has not started, yet the last sub-account's contacts are there.
            await until(lambda: contacts.model.rowCount() > 0, timeout=30)
            assert second.workspace.previewing and second.demo is not None
            previewed = second.workspace.active
            assert previewed is not None and previewed.scope.sub_account_id == opened_sub
            shown = contacts.model.loaded_ids()
            assert all(previewed.partition.contacts.get(i) is not None for i in shown[:50])
            assert "Starting the demo sandbox" in second.window.connection_label.text()
            assert not second.window.sub_account_picker.isEnabled()
            sandbox_may_start.set()
            await until(lambda: not second.workspace.previewing, timeout=90)
            await until(lambda: second.workspace.session is not None)
            opened = second.workspace.active
            assert opened is not None and opened.scope.sub_account_id == opened_sub
            await until(lambda: "Starting" not in second.window.connection_label.text())

    try:
        run(scenario(), timeout=230)
    finally:
        sandbox_may_start.set()
