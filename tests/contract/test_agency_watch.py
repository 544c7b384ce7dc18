"""The agency watcher against a sandbox of several sub-accounts on one agency key: each one
polled into its own partition, new inbound messages announced with their scope, unread
counts from the caches, and a reply left queued in a sub-account sent once after a switch."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.services.bus import (
    ConversationsChanged,
    InboundArrived,
    PollBudgetChanged,
    Recorder,
    UnreadCounts,
)
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets, account_name
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(180)

Factory = Callable[..., Sandbox]

# The open sub-account polls (almost) nothing; the others every 0.2 s.
WATCHING = PollPlan(
    inbox=(3600, 3600),
    thread=(3600, 3600),
    contacts=(3600, 3600),
    appointments=(3600, 3600),
    others=0.2,
)


def _workspace(tmp_path: Path, plan: PollPlan = WATCHING) -> Workspace:
    paths = AppPaths.under(tmp_path / "home")
    return Workspace.open(paths, secrets=Secrets(persistent=SessionSecrets()), plan=plan)


def _agency(workspace: Workspace, box: Sandbox) -> Profile:
    profile = Profile(name="Agency", deployment_url=box.url, key_kind="agency")
    workspace.profiles.upsert(profile)
    workspace.secrets.save(account_name(profile.id), box.info["agency_key"])
    return profile


def _server_ids(box: Sandbox, index: int) -> set[str]:
    client = box.client(box.sub_key(index))
    ids: set[str] = set()
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/conversations", params=params).json()
        ids |= {c["id"] for c in body["data"]}
        cursor = body["meta"].get("cursor")
        if not body["meta"].get("hasMore"):
            return ids


async def _until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def _assert_isolated(workspace: Workspace, box: Sandbox, deployment: str) -> None:
    server = {sub: _server_ids(box, i) for i, sub in enumerate(box.sub_ids)}
    for sub in box.sub_ids:
        cached = workspace.db.partition(deployment, sub).conversations.all_conversation_ids()
        strangers = cached - server[sub]
        assert not strangers, f"{len(strangers)} rows of another sub-account in {sub}"


def test_each_background_sub_account_is_polled_into_its_own_partition(
    sandbox_factory: Factory, tmp_path: Path
) -> None:
    box = sandbox_factory(
        "--subaccounts", "4", "--conversations-per-subaccount", "12", *GENEROUS_LIMITS
    )

    async def run() -> None:
        workspace = _workspace(tmp_path)
        changes = Recorder().attach(
            workspace.bus, ConversationsChanged, UnreadCounts, PollBudgetChanged
        )
        profile = _agency(workspace, box)
        await workspace.activate(profile.id, box.sub_ids[0])
        assert workspace.watch is not None
        assert [ref.id for ref, _ in workspace.included_sub_accounts()] == box.sub_ids
        assert await workspace.catch_up_sub_accounts(30)
        for index, sub in enumerate(box.sub_ids[1:], start=1):
            cached = workspace.db.partition(profile.cache_key, sub)
            assert cached.conversations.all_conversation_ids() == _server_ids(box, index)
        _assert_isolated(workspace, box, profile.cache_key)
        # Every change event names the sub-account whose partition holds those rows.
        for event in changes.of(ConversationsChanged):
            held = workspace.db.partition(
                profile.cache_key, event.scope.sub_account_id
            ).conversations.all_conversation_ids()
            assert event.ids <= held

        def cached_unread(sub: str) -> int:
            return workspace.db.partition(profile.cache_key, sub).conversations.unread_total()

        # The open one's count follows its own polls (a moment after each change).
        await _until(
            lambda: (
                (c := workspace.unread_counts()) is not None
                and {s for s, _ in c.counts} == set(box.sub_ids)
                and all(n == cached_unread(s) for s, n in c.counts)
            )
        )
        assert changes.of(UnreadCounts)[-1] == workspace.unread_counts()
        budget = workspace.poll_budget()
        assert budget is not None and budget.background == 3
        assert changes.of(PollBudgetChanged)
        await workspace.shutdown()

    asyncio.run(run())


def test_new_inbound_message_in_a_background_sub_account_is_announced(
    sandbox_factory: Factory, tmp_path: Path
) -> None:
    box = sandbox_factory(
        "--subaccounts", "3", "--conversations-per-subaccount", "8", *GENEROUS_LIMITS
    )

    async def run() -> None:
        workspace = _workspace(tmp_path)
        arrived = Recorder().attach(workspace.bus, InboundArrived, UnreadCounts)
        profile = _agency(workspace, box)
        await workspace.activate(profile.id, box.sub_ids[0])
        # The third one only observed: polled and counted, no notification.
        workspace.set_sub_account_inclusion(profile.id, None, [box.sub_ids[2]])
        assert await workspace.catch_up_sub_accounts(30)
        target = sorted(_server_ids(box, 1))[0]
        unread_before = workspace.db.partition(
            profile.cache_key, box.sub_ids[1]
        ).conversations.unread_total()
        text = f"Background hello {uuid.uuid4().hex[:6]}"
        box.control(
            "POST",
            "inbound",
            json={"subAccountId": box.sub_ids[1], "conversationId": target, "bodyText": text},
        )
        event = await _until(
            lambda: next(
                (e for e in arrived.of(InboundArrived) if e.scope.sub_account_id == box.sub_ids[1]),
                None,
            )
        )
        assert event.sub_account_name == box.info["subaccounts"][1]["name"]
        assert event.notify is True
        assert [c["id"] for c in event.conversations] == [target]
        assert text[:20] in event.conversations[0]["lastMessagePreview"]
        await _until(
            lambda: (
                (counts := workspace.unread_counts()) is not None
                and counts.count(box.sub_ids[1]) > unread_before
            )
        )
        # An observed sub-account is announced without notification.
        other = sorted(_server_ids(box, 2))[0]
        box.control(
            "POST",
            "inbound",
            json={"subAccountId": box.sub_ids[2], "conversationId": other, "bodyText": "hi"},
        )
        quiet = await _until(
            lambda: next(
                (e for e in arrived.of(InboundArrived) if e.scope.sub_account_id == box.sub_ids[2]),
                None,
            )
        )
        assert quiet.notify is False
        counts = workspace.unread_counts()
        assert counts is not None and box.sub_ids[2] not in counts.notify
        # Settings are kept with the connection.
        saved = workspace.profiles.get(profile.id)
        assert saved is not None and saved.observe_only == [box.sub_ids[2]]
        await workspace.shutdown()

    asyncio.run(run())


def test_excluded_sub_accounts_are_not_polled(sandbox_factory: Factory, tmp_path: Path) -> None:
    box = sandbox_factory(
        "--subaccounts", "3", "--conversations-per-subaccount", "5", *GENEROUS_LIMITS
    )

    async def run() -> None:
        workspace = _workspace(tmp_path)
        profile = _agency(workspace, box)
        workspace.preferences.set_sub_account_inclusion(profile.id, [box.sub_ids[1]])
        await workspace.activate(profile.id, box.sub_ids[0])
        assert [ref.id for ref, _ in workspace.included_sub_accounts()] == [box.sub_ids[1]]
        assert await workspace.catch_up_sub_accounts(30)
        await asyncio.sleep(0.5)
        skipped = workspace.db.partition(profile.cache_key, box.sub_ids[2])
        assert skipped.conversations.all_conversation_ids() == set()
        assert workspace.watch is not None and box.sub_ids[2] not in workspace.watch.requests
        await workspace.shutdown()

    asyncio.run(run())


def test_a_reply_left_queued_at_a_switch_is_sent_once_by_the_watcher(
    sandbox_factory: Factory, tmp_path: Path
) -> None:
    box = sandbox_factory(
        "--subaccounts", "2", "--conversations-per-subaccount", "5", *GENEROUS_LIMITS
    )

    async def run() -> None:
        workspace = _workspace(tmp_path)
        profile = _agency(workspace, box)
        # Nothing included: the reply goes out because it is pending, not because of a poll.
        workspace.preferences.set_sub_account_inclusion(profile.id, [])
        await workspace.activate(profile.id, box.sub_ids[1])
        sms = box.client(box.sub_key(1)).get(
            "/api/v1/conversations", params={"limit": 100, "channel": "sms"}
        )
        target = sms.json()["data"][0]["id"]
        text = f"Queued before the switch {uuid.uuid4().hex[:8]}"
        await asyncio.sleep(0.5)  # the session's sender has looked and found nothing
        # Stored without waking the session's sender: still queued when the switch comes.
        outbox = workspace.db.partition(profile.cache_key, box.sub_ids[1]).outbox
        item = outbox.enqueue(uuid.uuid4().hex, target, {"channel": "sms", "bodyText": text})
        await workspace.switch_sub_account(box.sub_ids[0])
        # Sent (or refused by the server, a contact that opted out): either way one POST.
        done = await _until(
            lambda: (
                (o := outbox.get(item.client_id)) is not None
                and o.state in ("sent", "failed")
                and o
            )
        )
        assert done.attempts == 1 and done.message_id
        assert workspace.watch is not None and workspace.watch.requests.get(box.sub_ids[1])
        await asyncio.sleep(1.0)
        messages = (
            box.client(box.sub_key(1))
            .get(f"/api/v1/conversations/{target}/messages", params={"limit": 50})
            .json()["data"]
        )
        assert sum(1 for m in messages if text in str(m)) == 1
        await workspace.shutdown()

    asyncio.run(run())
