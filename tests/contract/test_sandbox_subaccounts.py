"""``seedly-desk sandbox --subaccounts N``: an agency of N seeded clients, isolated per key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox


Factory = Callable[..., Sandbox]


def _total(client: Any, path: str) -> int:
    body = client.get(path, params={"limit": 1}).json()
    return int(body["meta"]["total"])


def test_n_sub_accounts_each_with_its_own_seeded_data(sandbox_factory: Factory) -> None:
    box = sandbox_factory(
        "--subaccounts", "5", "--conversations-per-subaccount", "30", *GENEROUS_LIMITS
    )
    subs = box.info["subaccounts"]
    assert len(subs) == 5
    # The demo's two first (existing demo data and tests keep working), then new clients.
    assert [s["name"] for s in subs[:2]] == ["Harbor Dental Group", "Summit Roofing Co"]
    assert len({s["id"] for s in subs}) == 5 and len({s["name"] for s in subs}) == 5
    agency = box.client(box.info["agency_key"])
    listed = agency.get("/api/v1/sub-accounts").json()["data"]
    assert [s["id"] for s in listed] == [s["id"] for s in subs]
    conversation_ids: set[str] = set()
    for sub in subs:
        own = box.client(sub["key"])
        assert _total(own, "/api/v1/conversations") == 30
        assert _total(own, "/api/v1/contacts") >= 30
        assert own.get("/api/v1/calendars").json()["data"], sub["name"]
        page = own.get("/api/v1/conversations", params={"limit": 100}).json()["data"]
        ids = {c["id"] for c in page}
        assert not ids & conversation_ids, "a conversation listed under two sub-accounts"
        conversation_ids |= ids
        # The agency key with the sub-account header sees the same records as its own key.
        via_agency = box.client(box.info["agency_key"], sub_account=sub["id"])
        assert {
            c["id"]
            for c in via_agency.get("/api/v1/conversations", params={"limit": 100}).json()["data"]
        } == ids


def test_the_same_n_seeds_the_same_agency(sandbox_factory: Factory) -> None:
    first = sandbox_factory("--subaccounts", "4", "--conversations-per-subaccount", "5")
    second = sandbox_factory("--subaccounts", "4", "--conversations-per-subaccount", "5")
    names = lambda box: [(s["id"], s["name"]) for s in box.info["subaccounts"]]  # noqa: E731
    assert names(first) == names(second)
    last = first.info["subaccounts"][3]["id"]
    a = first.client(first.sub_key(3)).get("/api/v1/conversations", params={"limit": 5})
    b = second.client(second.sub_key(3)).get("/api/v1/conversations", params={"limit": 5})
    assert [c["id"] for c in a.json()["data"]] == [c["id"] for c in b.json()["data"]], last


def test_default_demo_keeps_its_two_sub_accounts(sandbox: Sandbox) -> None:
    assert [s["name"] for s in sandbox.info["subaccounts"]] == [
        "Harbor Dental Group",
        "Summit Roofing Co",
    ]


def test_traffic_reaches_every_sub_account(sandbox_factory: Factory) -> None:
    box = sandbox_factory(
        "--subaccounts", "6", "--conversations-per-subaccount", "10", *GENEROUS_LIMITS
    )
    for _ in range(3):
        box.control("POST", "traffic/step", json={"count": 150})
    reached = box.control("GET", "traffic")["subAccounts"]
    assert set(reached) == set(box.sub_ids)
    assert all(n > 0 for n in reached.values())


def test_too_many_sub_accounts_is_refused(tmp_path: Any) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "app", "sandbox", "--subaccounts", "999", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--subaccounts is at most" in done.stderr


def test_generated_team_members_read_as_names() -> None:
    """The API has no users endpoint: the app shows a member's id, read as a name when it
    reads like one. Generated clients' teams have ids like the demo's own."""
    from app.core.team import readable_member
    from app.sandbox.seed import demo_accounts

    for account in demo_accounts(12):
        for user in account.users:
            assert readable_member(user["id"]) == user["name"], (account.name, user["id"])
