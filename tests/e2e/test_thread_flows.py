"""The thread pane end to end, in the real app against sandbox processes: an inbound
message shows in the open thread within two poll intervals, and a reply sent while the
server drops half the requests reaches it exactly once.

The Inbox tab that hosts the pane is built in parallel with it, so the pane runs in a
plain ``QMainWindow`` beside the real window, on the app's own workspace, bus bridge
and task set (what the tab gives it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QMainWindow

from app.services.ports.inbox import InboxPort
from app.bootstrap import Application
from app.storage import OutboxState
from app.ui.inbox.thread import ThreadPane
from tests.e2e.conftest import FAST, save_connection, until
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(180)


def _server(box: Sandbox) -> httpx.Client:
    return httpx.Client(
        base_url=box.url, headers={"Authorization": f"Bearer {box.sub_key(0)}"}, timeout=30
    )


def _new_sms_conversation(box: Sandbox) -> tuple[str, str]:
    """A fresh contact and SMS conversation on the first sub-account: (conversation, contact)."""
    tag = uuid.uuid4().hex[:8]
    with _server(box) as client:
        contact = client.post(
            "/api/v1/contacts",
            json={
                "firstName": "Thea",
                "lastName": f"Thread{tag}",
                "email": f"thea-{tag}@example.com",
                "phone": f"+1617555{int(tag[:4], 16) % 10000:04d}",
            },
        ).json()["data"]
        conv = client.post(
            "/api/v1/conversations", json={"contactId": contact["id"], "channel": "sms"}
        ).json()["data"]
    return conv["id"], contact["id"]


def _server_bodies(box: Sandbox, conversation_id: str) -> list[str]:
    with _server(box) as client:
        body = client.get(
            f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 100}
        ).json()
    return [m.get("bodyText") or "" for m in body["data"]]


def _pane(desk: Application) -> tuple[QMainWindow, ThreadPane]:
    window = QMainWindow()
    pane = ThreadPane(InboxPort(desk.workspace), desk.bridge, desk.tasks, window)
    window.setCentralWidget(pane)
    window.resize(900, 720)
    window.show()
    return window, pane


async def _ready(desk: Application, conversation_id: str) -> None:
    """Until the app is connected, its inbox sync has cached the conversation and the first
    full syncs are over: polls run one at a time, so a thread poll waits behind a walk of
    every contact (seconds on a slow machine), and a timed poll would measure that."""

    def cached() -> bool:
        active = desk.workspace.active
        return (
            active is not None
            and active.partition.conversations.get_conversation(conversation_id) is not None
        )

    await until(cached, timeout=60)
    active = desk.workspace.active
    assert active is not None
    state = active.partition.state
    await until(
        lambda: all(
            state.get_state(key) is not None
            for key in ("contacts_full_ms", "conversations_full_ms")
        ),
        timeout=60,
    )


def test_an_inbound_message_shows_within_two_poll_intervals(
    open_desk: Any, home: Path, sandbox: Sandbox, run: Any
) -> None:
    conversation_id, _ = _new_sms_conversation(sandbox)
    save_connection(home, sandbox)
    text = f"Is there parking nearby? {uuid.uuid4().hex[:6]}"

    async def scenario() -> None:
        async with open_desk() as desk:
            await _ready(desk, conversation_id)
            window, pane = _pane(desk)
            try:
                pane.set_conversation(conversation_id)
                session = desk.workspace.session
                assert session is not None and session.open_thread == conversation_id
                # Let the first poll of the thread go by, so the next one is a timed one.
                await asyncio.sleep(FAST.thread[0])
                sandbox.control(
                    "POST",
                    "inbound",
                    json={
                        "subAccountId": sandbox.sub_ids[0],
                        "conversationId": conversation_id,
                        "bodyText": text,
                    },
                )
                started = time.monotonic()
                shown = lambda: any(  # noqa: E731
                    r.body_text == text and not r.is_outbound for r in pane.model.rows()
                )
                await until(shown, timeout=2 * FAST.thread[0] + 1.0, step=0.02)
                elapsed = time.monotonic() - started
                print(f"\ninbound shown {elapsed * 1000:.0f} ms after it was received")
                assert pane.model.rows()[-1].body_text == text  # at the bottom
                assert pane.view.at_bottom()
            finally:
                pane.set_conversation(None)
                window.close()

    run(scenario(), timeout=150)


ANSWER_LOST = {
    "error_500": 0,
    "drop_before": 0,
    "drop_after": 2,
    "timeout_after": 1,
    "slow": 0,
    "rate_limited": 0,
}
"""The faults where exactly-once is at stake: the server did the work, the answer is lost.
(Refused requests are simply sent again; they prove nothing about duplicates.)"""
MAX_REPLIES = 10


def test_a_reply_sent_while_the_server_drops_requests_arrives_exactly_once(
    open_desk: Any, home: Path, sandbox_factory: Any, run: Any
) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    conversation_id, _ = _new_sms_conversation(box)
    save_connection(home, box)
    run_id = uuid.uuid4().hex[:6]

    async def scenario() -> None:
        async with open_desk() as desk:
            await _ready(desk, conversation_id)
            session = desk.workspace.session
            assert session is not None and session.sender is not None
            sender = session.sender
            # The sender's waits, shortened for the test: a lost answer is reconciled after
            # 1.5 s instead of 10 (the faults' own timeout is 1 s, so the server is done
            # with the request by then), a refused one retried after 0.3 s.
            sender.reconcile_delay = 1.5
            sender.retry_delay = 0.3
            window, pane = _pane(desk)
            sent: dict[str, str] = {}  # client id -> the text as the server renders it
            try:
                pane.set_conversation(conversation_id)
                composer = pane.composer
                await until(lambda: composer.isEnabled() and composer.channel == "sms")
                box.control(
                    "PUT",
                    "faults",
                    json={"rate": 0.5, "kinds": ANSWER_LOST, "timeoutSeconds": 1},
                )
                faults_before = box.control("GET", "stats").get("faults", 0)
                # Replies one after the other until one of them lost its answer (each does
                # with a chance of one in two): the test must meet the dangerous case.
                for n in range(MAX_REPLIES):
                    text = f"Confirmed for Thursday, {{{{firstName}}}}. Ref {run_id}-{n}"
                    composer.body_edit.setPlainText(text)
                    composer.send_button.click()
                    item = session.partition.outbox.items_for(conversation_id)[-1]  # type: ignore[union-attr]
                    assert item.payload["bodyText"] == text
                    # Shown at once, before anything reached the server.
                    assert any(r.client_id == item.client_id for r in pane.model.rows())
                    sent[item.client_id] = text.replace("{{firstName}}", "Thea")

                    def done(client_id: str = item.client_id) -> bool:
                        current = session.partition.outbox.get(client_id)  # type: ignore[union-attr]
                        return current is not None and not current.pending

                    await until(done, timeout=60, step=0.25)
                    if sender.stats["unknown"]:
                        break
                faults = box.control("GET", "stats").get("faults", 0) - faults_before
                box.control("PUT", "faults", json={"rate": 0})
                print(
                    f"\n{len(sent)} replies, {faults} faults injected; sender stats {sender.stats}"
                )
                assert sender.stats["unknown"] >= 1, "no reply lost its answer: nothing was tested"
                bodies = _server_bodies(box, conversation_id)
                for client_id, resolved in sent.items():
                    item = session.partition.outbox.get(client_id)  # type: ignore[union-attr]
                    assert item is not None and item.state in (
                        OutboxState.SENT,
                        OutboxState.DELIVERED,
                        OutboxState.READ,
                    )
                    assert bodies.count(resolved) == 1, resolved
                # On screen: one row per reply, the server's copy, once the thread is read
                # again (the polls backed off while the server was failing: refresh now).
                desk.workspace.refresh_now()

                def one_row_each() -> bool:
                    rows = pane.model.rows()
                    return all(
                        [r.key[:2] for r in rows if r.body_text == resolved] == ["m:"]
                        for resolved in sent.values()
                    )

                await until(one_row_each, timeout=30)
                assert not any(r.key.startswith("o:") for r in pane.model.rows())
            finally:
                box.control("PUT", "faults", json={"rate": 0})
                pane.set_conversation(None)
                window.close()

    run(scenario(), timeout=170)
