"""The workspace against a sandbox: activating connections, switching sub-accounts, bulk runs."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from app.api.seedly import SeedlyClient
from app.services.bulk import BulkAction, BulkKind, BulkProgress, BulkRunner
from app.services.bus import ContactsChanged, Recorder, SessionChanged, SubAccountsChanged
from app.services.session import PollPlan
from app.services.workspace import NoKey, NotActive, Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets, account_name
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)

QUIET = PollPlan(
    inbox=(3600, 3600), thread=(3600, 3600), contacts=(3600, 3600), appointments=(3600, 3600)
)


def _workspace(tmp_path: Path) -> Workspace:
    paths = AppPaths.under(tmp_path / "home")
    return Workspace.open(paths, secrets=Secrets(persistent=SessionSecrets()), plan=QUIET)


def _add(workspace: Workspace, box: Sandbox, key: str, kind: str, **extra: object) -> Profile:
    profile = Profile(name="Sandbox", deployment_url=box.url, key_kind=kind, **extra)  # type: ignore[arg-type]
    workspace.profiles.upsert(profile)
    workspace.secrets.save(account_name(profile.id), key)
    return profile


def test_agency_profile_opens_lists_and_switches_sub_accounts(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def run() -> None:
        workspace = _workspace(tmp_path)
        recorder = Recorder().attach(workspace.bus, SessionChanged, SubAccountsChanged)
        profile = _add(workspace, sandbox, sandbox.info["agency_key"], "agency")
        first = await workspace.activate(profile.id)
        # The list came from the server and is kept on the profile (and in the file).
        assert [s.id for s in profile.sub_accounts] == sandbox.sub_ids
        assert first.scope.sub_account_id == sandbox.sub_ids[0]
        assert recorder.of(SubAccountsChanged)
        second = await workspace.switch_sub_account(sandbox.sub_ids[1])
        assert second.scope.sub_account_id == sandbox.sub_ids[1]
        assert second.generation > first.generation
        assert second.partition != first.partition
        assert profile.last_sub_account_id == sandbox.sub_ids[1]
        with pytest.raises(NotActive):
            await workspace.switch_sub_account("sub_not_in_this_agency")
        await workspace.shutdown()

        # A new run remembers the connection, the list and the last choice.
        again = _workspace(tmp_path)
        again.secrets = workspace.secrets
        assert again.profiles.data.active_profile_id == profile.id
        saved = again.profiles.get(profile.id)
        assert saved is not None and saved.last_sub_account_id == sandbox.sub_ids[1]
        reopened = await again.activate(profile.id)
        assert reopened.scope.sub_account_id == sandbox.sub_ids[1]
        await again.shutdown()

    asyncio.run(run())


def test_sub_account_key_profile_uses_its_own_partition_id(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def run() -> None:
        workspace = _workspace(tmp_path)
        profile = _add(
            workspace, sandbox, sandbox.sub_key(1), "sub_account", sub_account_id="local-part-1"
        )
        active = await workspace.activate(profile.id)
        assert active.scope.sub_account_id == "local-part-1"
        assert [s.id for s in workspace.sub_accounts()] == ["local-part-1"]
        service = workspace.contact_service()
        assert service.partition == active.partition
        await workspace.shutdown()

    asyncio.run(run())


def test_missing_key_is_reported_not_crashed(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        workspace = _workspace(tmp_path)
        profile = Profile(name="No key", deployment_url=sandbox.url, key_kind="agency")
        workspace.profiles.upsert(profile)
        with pytest.raises(NoKey, match="missing from the system keyring"):
            await workspace.activate(profile.id)
        await workspace.shutdown()

    asyncio.run(run())


async def _contact(box: Sandbox, **fields: object) -> str:
    client = SeedlyClient(box.url, box.sub_key(0))
    email = f"bulk-{uuid.uuid4().hex[:10]}@example.com"
    created = await client.create_contact(
        {"firstName": "Bulk", "lastName": "Test", "email": email, **fields}
    )
    await client.aclose()
    return created.id


def test_bulk_tags_stage_and_delete_against_the_server(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        workspace = _workspace(tmp_path)
        profile = _add(workspace, sandbox, sandbox.info["agency_key"], "agency")
        await workspace.activate(profile.id, sandbox.sub_ids[0])
        ids = [await _contact(sandbox, tags=["keep"]) for _ in range(3)]
        service = workspace.contact_service()
        for cid in ids:  # the cache knows them (as a sync would have stored them)
            service.partition.contacts.upsert_many(
                [(await service.client.get_contact(cid)).to_wire()]
            )
        recorder = Recorder().attach(workspace.bus, ContactsChanged)
        progress: list[BulkProgress] = []

        report = await BulkRunner(service).run(
            BulkAction(BulkKind.ADD_TAGS, tags=("vip", "Keep")), ids, progress.append
        )
        assert sorted(report.changed) == sorted(ids) and not report.failed
        assert [p.done for p in progress] == [1, 2, 3] and progress[-1].eta_seconds == 0
        for cid in ids:
            tags = (await service.client.get_contact(cid)).tags
            assert tags == ["keep", "vip"]  # "Keep" was already there, case-insensitively

        again = await BulkRunner(service).run(BulkAction(BulkKind.ADD_TAGS, tags=("vip",)), ids)
        assert sorted(again.unchanged) == sorted(ids) and not again.changed  # nothing sent

        stage = await BulkRunner(service).run(BulkAction(BulkKind.SET_STAGE, stage="customer"), ids)
        assert len(stage.changed) == 3
        for cid in ids:
            assert (await service.client.get_contact(cid)).lifecycle_stage == "customer"

        # One id the sub-account does not have: reported with a reason, the rest proceed.
        mixed = [ids[0], "contact_does_not_exist", ids[1]]
        removed = await BulkRunner(service).run(
            BulkAction(BulkKind.REMOVE_TAGS, tags=("vip",)), mixed
        )
        assert removed.changed == [ids[0], ids[1]]
        assert [cid for cid, _ in removed.failed] == ["contact_does_not_exist"]
        assert "no longer exists" in removed.failed[0][1]

        runner = BulkRunner(service)
        runner.cancel()
        cancelled = await runner.run(BulkAction(BulkKind.DELETE), ids)
        assert cancelled.cancelled and cancelled.not_reached == 3

        deleted = await BulkRunner(service).run(BulkAction(BulkKind.DELETE), ids)
        assert len(deleted.changed) == 3
        for cid in ids:
            assert service.partition.contacts.get(cid) is None
        assert any(e.deleted for e in recorder.of(ContactsChanged))
        await workspace.shutdown()

    asyncio.run(run())


def test_bulk_stops_when_the_key_is_revoked(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        workspace = _workspace(tmp_path)
        profile = _add(
            workspace, sandbox, sandbox.info["revoked_key"], "sub_account", sub_account_id="revoked"
        )
        await workspace.activate(profile.id)
        service = workspace.contact_service()
        report = await BulkRunner(service).run(BulkAction(BulkKind.DELETE), ["a", "b", "c"])
        assert report.stopped_reason is not None and "revoked" in report.stopped_reason
        assert len(report.failed) == 1 and report.not_reached == 2
        assert "Stopped" in report.summary()
        await workspace.shutdown()

    asyncio.run(run())
