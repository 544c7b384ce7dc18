"""The agency view end to end in the real window against a sandbox with two sub-accounts:
"All sub-accounts" (Ctrl+0) lists both sub-accounts' conversations with their chips, the
picker shows unread counts, and a reply written in a conversation of the second
sub-account, opened from the merged list while the first one was open, lands in that
sub-account's conversation on the server and nowhere else."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtTest import QTest

from app.bootstrap import Application
from app.ui.inbox.list_model import ConversationIdRole, OwnerNameRole, OwnerRole
from app.ui.inbox.tab import InboxTab
from app.ui.main_window import ALL_SUB_ACCOUNTS
from tests.e2e.conftest import save_connection, until
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(180)


def _inbox(app: Application) -> InboxTab:
    tab = app.window.area("inbox")
    assert isinstance(tab, InboxTab)
    return tab


def _bodies(box: Sandbox, sub: str, conversation_id: str) -> list[str] | None:
    """Texts of a conversation's messages on the server as ``sub`` sees it (None: not
    found there)."""
    headers = {"Authorization": f"Bearer {box.info['agency_key']}", "X-Sub-Account-Id": sub}
    with httpx.Client(base_url=box.url, headers=headers, timeout=30) as client:
        answer = client.get(
            f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 100}
        )
    if answer.status_code == 404:
        return None
    return [str(m.get("bodyText") or "") for m in answer.json()["data"]]


def _active_sub(app: Application) -> str | None:
    active = app.workspace.active
    return None if active is None else active.scope.sub_account_id


def test_all_sub_accounts_lists_both_and_a_reply_lands_in_its_owner(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)
    first, second = sandbox.sub_ids[0], sandbox.sub_ids[1]

    async def scenario() -> None:
        async with open_desk() as desk:
            window, tab = desk.window, _inbox(desk)
            window.show_area("inbox")
            await until(lambda: _active_sub(desk) == first, timeout=60)
            # Opening each sub-account once fills its cache.
            for sub in (second, first):
                window.switch_to(sub)
                await until(lambda s=sub: _active_sub(desk) == s, timeout=60)
                active = desk.workspace.active
                assert active is not None
                state = active.partition.state
                await until(lambda st=state: st.get_state("conversations_full_ms"), timeout=60)
            picker = window.sub_account_picker
            assert picker.itemData(0) == ALL_SUB_ACCOUNTS
            assert picker.count() == len(sandbox.sub_ids) + 1

            QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: tab.all_mode)
            assert picker.currentData() == ALL_SUB_ACCOUNTS
            assert window.windowTitle() == "All sub-accounts — Seedly Desk"
            assert _active_sub(desk) == first  # the session stays where it was
            # The picker's unread counts come from the caches, off the GUI thread.
            await until(lambda: window.unread_counts().keys() >= {first, second})

            def cached_unread() -> dict[str, int]:
                return {
                    s.id: desk.workspace.partition_of(s.id).conversations.count_conversations(
                        "unread"
                    )
                    for s in desk.workspace.sub_accounts()
                }

            # Within a poll or two of the last change (the counts follow the bus's events).
            await until(lambda: window.unread_counts() == cached_unread(), timeout=20)
            counts = window.unread_counts()
            for sub in desk.workspace.sub_accounts():
                text = picker.itemText(picker.findData(sub.id))
                assert text == (f"{sub.name} · {counts[sub.id]}" if counts[sub.id] else sub.name)
            assert any(counts.values()), "the demo has unread conversations"

            tab.set_filters(status=None)
            model = tab.model
            root = QModelIndex()
            while model.canFetchMore(root):
                model.fetchMore(root)
            owners = {model.index(r, 0).data(OwnerRole) for r in range(model.rowCount())}
            assert owners == {first, second}
            names = {model.index(r, 0).data(OwnerNameRole) for r in range(model.rowCount())}
            expected_names = {s.name for s in desk.workspace.sub_accounts()}
            assert names == expected_names
            total = sum(
                desk.workspace.partition_of(s).conversations.count_conversations()
                for s in (first, second)
            )
            assert model.total_count == total

            # A conversation of the second sub-account, opened from the merged list.
            row = next(
                r for r in range(model.rowCount()) if model.index(r, 0).data(OwnerRole) == second
            )
            conversation_id = str(model.index(row, 0).data(ConversationIdRole))
            tab.list.selectionModel().setCurrentIndex(
                model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            tab.open_index(model.index(row, 0))
            await until(lambda: tab.open_conversation_id == conversation_id, timeout=30)
            assert _active_sub(desk) == second
            assert tab.all_mode and picker.currentData() == ALL_SUB_ACCOUNTS
            composer = tab.thread_pane.composer  # type: ignore[attr-defined]
            await until(lambda: composer.isEnabled(), timeout=30)
            text = f"Agency view reply {uuid.uuid4().hex[:8]}"
            composer.body_edit.setPlainText(text)
            composer.send_button.click()
            await until(lambda: text in (_bodies(sandbox, second, conversation_id) or []), 60)
            # Nowhere else: the first sub-account has no such conversation, or not the text.
            assert text not in (_bodies(sandbox, first, conversation_id) or [])

        # The choice survives a restart, like the last sub-account does.
        async with open_desk() as desk:
            window, tab = desk.window, _inbox(desk)
            window.show_area("inbox")
            await until(lambda: tab.all_mode, timeout=60)
            assert window.sub_account_picker.currentData() == ALL_SUB_ACCOUNTS
            assert window.windowTitle() == "All sub-accounts — Seedly Desk"
            await until(lambda: tab.model.rowCount() > 0, timeout=30)
            rows = range(tab.model.rowCount())
            assert {tab.model.index(r, 0).data(OwnerRole) for r in rows} == {first, second}
            picker = window.sub_account_picker
            # Choosing one sub-account leaves All mode.
            QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: not tab.all_mode and _active_sub(desk) == first, timeout=30)
            assert picker.currentData() == first

    run(scenario(), timeout=170)
