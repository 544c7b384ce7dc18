"""Notifications across an agency's sub-accounts, through the real window: a message in a
sub-account polled in the background raises a notice naming that sub-account, the tray
counts every notifying sub-account, and clicking the notice opens that sub-account and
then that thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.bootstrap import Application
from app.ui.inbox.notifications import InboundNotice
from app.ui.inbox.tab import InboxTab
from tests.e2e.conftest import save_connection, until
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(240)


def _inbox(app: Application) -> InboxTab:
    tab = app.window.area("inbox")
    assert isinstance(tab, InboxTab)
    return tab


def test_a_notice_of_a_background_sub_account_opens_it_and_its_thread(
    open_desk: Any, home: Path, sandbox_factory: Callable[..., Sandbox], run: Any
) -> None:
    box = sandbox_factory(
        "--subaccounts", "3", "--conversations-per-subaccount", "12", *GENEROUS_LIMITS
    )
    save_connection(home, box)
    first, second, third = box.sub_ids

    async def scenario() -> None:
        async with open_desk() as desk:
            tab = _inbox(desk)
            workspace = desk.workspace
            desk.window.show_area("inbox")
            await until(lambda: tab.is_loaded() and tab.model.rowCount() > 3, timeout=60)
            active = workspace.active
            assert active is not None and active.scope.sub_account_id == first
            deployment = active.scope.deployment
            await until(lambda: workspace.watch is not None, timeout=30)
            # The merged view's way in: every other sub-account polled now.
            assert await workspace.catch_up_sub_accounts(60)
            # The status bar says how the shared budget is spent.
            await until(lambda: "2 other sub-accounts every" in desk.window.budget_label.text())
            summit = workspace.db.partition(deployment, second)
            target = sorted(summit.conversations.all_conversation_ids())[0]
            box.control(
                "POST",
                "inbound",
                json={
                    "subAccountId": second,
                    "conversationId": target,
                    "bodyText": "Can you come look at the gutters?",
                },
            )
            assert await workspace.catch_up_sub_accounts(60)

            def notice_for_target() -> InboundNotice | None:
                return next(
                    (
                        n
                        for n in tab.notifier.history
                        if n.scope is not None
                        and n.scope.sub_account_id == second
                        and n.conversation_id == target
                    ),
                    None,
                )

            notice = await until(notice_for_target, timeout=20)
            assert notice.title.startswith("Summit Roofing Co · ")
            assert "gutters" in notice.preview

            # The tray sums the unread of every sub-account that notifies.
            def tray_matches() -> bool:
                total = sum(
                    workspace.db.partition(deployment, s).conversations.unread_total()
                    for s in (first, second, third)
                )
                return bool(tab.notifier.tray_count == total)

            await until(tray_matches, timeout=20)
            assert tab.notifier.tray_count > tab.notifier.unread

            # The click, through the tray's own slot.
            assert tab.notifier._last == notice
            tab.notifier._message_clicked()
            await until(
                lambda: (
                    (a := workspace.active) is not None
                    and a.scope.sub_account_id == second
                    and tab.open_conversation_id == target
                ),
                timeout=30,
            )
            # The open thread is the one of the sub-account that is open, from its cache.
            reader = tab.port.reader()
            assert reader is not None and reader.sub_account_id == second
            assert reader.conversation(target) is not None
            assert (
                target
                not in workspace.db.partition(
                    deployment, first
                ).conversations.all_conversation_ids()
            )
            assert desk.window.sub_account_picker.currentData() == second

    run(scenario())
