"""200 sub-account switches of an agency while the other sub-accounts are polled in the
background and traffic arrives: no row and no event of one sub-account under another."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.services.bus import ConversationsChanged, InboundArrived, Recorder
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets, account_name
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(300)

SWITCHES = 200
FAST = PollPlan(
    inbox=(0.05, 0.05),
    thread=(3600, 3600),
    contacts=(3600, 3600),
    appointments=(3600, 3600),
    others=0.02,
)


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


def test_switching_with_background_polls_in_flight_never_mixes_sub_accounts(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    box = sandbox_factory(
        "--subaccounts", "4", "--conversations-per-subaccount", "15", *GENEROUS_LIMITS
    )

    async def run() -> dict[str, Any]:
        paths = AppPaths.under(tmp_path / "home")
        workspace = Workspace.open(paths, secrets=Secrets(persistent=SessionSecrets()), plan=FAST)
        events = Recorder().attach(workspace.bus, ConversationsChanged, InboundArrived)
        profile = Profile(name="Agency", deployment_url=box.url, key_kind="agency")
        workspace.profiles.upsert(profile)
        workspace.secrets.save(account_name(profile.id), box.info["agency_key"])
        await workspace.activate(profile.id, box.sub_ids[0])
        rng = random.Random(11)
        for n in range(SWITCHES):
            if n % 20 == 0:
                await asyncio.to_thread(box.control, "POST", "traffic/step", json={"count": 20})
            await workspace.switch_sub_account(rng.choice(box.sub_ids))
            await asyncio.sleep(rng.uniform(0, 0.03))
        assert workspace.watch is not None
        polled = dict(workspace.watch.requests)
        assert await workspace.catch_up_sub_accounts(60)
        stored = {
            sub: workspace.db.partition(profile.cache_key, sub).conversations.all_conversation_ids()
            for sub in box.sub_ids
        }
        await workspace.shutdown()
        return {"events": events, "polled": polled, "stored": stored}

    result = asyncio.run(run())
    server = {sub: _server_ids(box, i) for i, sub in enumerate(box.sub_ids)}
    assert sum(result["polled"].values()) >= 20, "background polls must have been in flight"
    for sub, ids in result["stored"].items():
        assert ids, f"{sub} cached nothing"
        assert ids <= server[sub], f"rows of another sub-account in {sub}"
    events: Recorder = result["events"]
    for event in events.of(ConversationsChanged):
        assert event.ids <= server[event.scope.sub_account_id], "an event under the wrong scope"
    for arrived in events.of(InboundArrived):
        ids = {str(doc["id"]) for doc in arrived.conversations}
        assert ids <= server[arrived.scope.sub_account_id], "an alert under the wrong scope"
