"""The Inbox end to end through the real window against a sandbox: a message the contact
sends shows up by itself within two poll intervals, the selection stays put, and an action
taken in the tab reaches the server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QItemSelectionModel

from app.bootstrap import Application
from app.services.bus import ConversationsChanged
from app.ui.inbox.list_model import ConversationIdRole, PreviewRole, StatusRole, UnreadCountRole
from app.ui.inbox.tab import InboxTab
from tests.e2e.conftest import FAST, save_connection, until
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(180)


def _inbox(app: Application) -> InboxTab:
    tab = app.window.area("inbox")
    assert isinstance(tab, InboxTab)
    return tab


def _server(box: Sandbox, sub: str, conversation_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {box.info['agency_key']}", "X-Sub-Account-Id": sub}
    with httpx.Client(base_url=box.url, headers=headers, timeout=30) as client:
        return dict(client.get(f"/api/v1/conversations/{conversation_id}").json()["data"])


def test_an_inbound_message_appears_by_itself_and_the_selection_stays(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    save_connection(home, sandbox)

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = _inbox(desk)
            desk.window.show_area("inbox")
            await until(lambda: tab.is_loaded() and tab.model.rowCount() > 6, timeout=60)
            active = desk.workspace.active
            assert active is not None
            # The first sync of the other areas (one poll at a time) has finished too.
            state = active.partition.state
            await until(lambda: state.get_state("contacts_full_ms") is not None, timeout=60)
            tab.set_filters(status=None)  # every conversation, whatever its status
            model = tab.model
            selected = model.id_at(2)
            assert selected is not None
            tab.list.selectionModel().setCurrentIndex(
                model.index(2, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            tab.open_index(model.index(2, 0))
            target = model.id_at(5)
            assert target is not None and target != selected
            sub = active.scope.sub_account_id
            injected = time.monotonic()
            sandbox.control(
                "POST",
                "inbound",
                json={
                    "subAccountId": sub,
                    "conversationId": target,
                    "bodyText": "Are you open Saturday?",
                },
            )
            interval = FAST.inbox[0]
            await until(lambda: model.id_at(0) == target, timeout=2 * interval + 0.5)
            elapsed = time.monotonic() - injected
            assert elapsed <= 2 * interval + 0.5, elapsed
            row = model.index(0, 0)
            assert row.data(ConversationIdRole) == target
            assert "Saturday" in str(row.data(PreviewRole))
            # The user's selection and open thread did not move.
            assert tab.list.currentIndex().data(ConversationIdRole) == selected
            assert [i.data(ConversationIdRole) for i in tab.list.selectedIndexes()] == [selected]
            assert tab.open_conversation_id == selected
            # A notification was raised for it (the open thread is another one).
            assert any(n.conversation_id == target for n in tab.notifier.history)

            # Opening it reads it: the badge goes, locally (the server still counts it
            # unread), and stays gone through the polls that re-store the server's copy.
            assert int(row.data(UnreadCountRole)) >= 1
            desk.window.activateWindow()
            await until(lambda: desk.window.isActiveWindow(), timeout=5)
            tab.list.selectionModel().setCurrentIndex(
                model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            tab.open_index(model.index(0, 0))
            assert tab.notifier.reading_conversation() == target
            model.flush_changes(background=False)
            # At once, not with the next poll.
            assert model.index(model.row_of(target), 0).data(UnreadCountRole) == 0
            restored: list[ConversationsChanged] = []
            stop = desk.workspace.bus.subscribe(
                ConversationsChanged, lambda e: restored.append(e) if target in e.ids else None
            )
            try:  # a list poll re-stores the newest conversation, this one
                await until(lambda: restored, timeout=4 * interval + 5)
                await asyncio.sleep(0.2)
            finally:
                stop()
            model.flush_changes()
            assert model.index(model.row_of(target), 0).data(UnreadCountRole) == 0
            assert int(_server(sandbox, sub, target)["unreadCount"]) >= 1

            # A message into the open thread while the user reads it: it shows in the
            # tab's own thread pane within two poll intervals, read, with no notification.
            notices = len(tab.notifier.history)
            injected = time.monotonic()
            sandbox.control(
                "POST",
                "inbound",
                json={"subAccountId": sub, "conversationId": target, "bodyText": "Or Sunday?"},
            )
            thread_rows = tab.thread_pane.model.rows  # type: ignore[attr-defined]
            await until(
                lambda: any(r.body_text == "Or Sunday?" for r in thread_rows()),
                timeout=2 * interval + 0.5,
            )
            assert time.monotonic() - injected <= 2 * interval + 0.5
            await until(lambda: "Sunday" in str(model.index(0, 0).data(PreviewRole)))
            assert model.index(model.row_of(target), 0).data(UnreadCountRole) == 0
            assert len(tab.notifier.history) == notices

            # Closing from the tab reaches the server and the list at once.
            tab.list.selectionModel().setCurrentIndex(
                model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            report = await tab.run_action("close", [target])
            assert report is not None and report.changed == [target]
            assert _server(sandbox, sub, target)["status"] == "closed"
            assert model.index(model.row_of(target), 0).data(StatusRole) == "closed"

    run(scenario(), timeout=150)
