"""The Webhooks tab's services against a sandbox process over real HTTP: subscriptions
created, edited, regenerated and deleted; the built-in receiver getting the sandbox's
real deliveries and verifying them; lost answers and injected faults
(docs/api/seedly-crm.md §7, §10, §11)."""

from __future__ import annotations

from functools import partial

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.api.transport import RetryPolicy
from app.core.errors import OutcomeUnknown, ServerError, ValidationFailed
from app.services.bus import EventBus, ScopeKey, WebhooksChanged
from app.services.ports.webhooks import WebhooksPort
from app.services.session import PollPlan
from app.services.webhook_bench import WebhookBench
from app.services.webhook_signing import Check
from app.services.webhooks import (
    WebhookInputError,
    WebhookService,
    describe_failure,
    refresh_subscriptions,
)
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets, account_name
from app.storage import Database, Partition
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(150)

QUIET = PollPlan(
    inbox=(3600, 3600),
    thread=(3600, 3600),
    contacts=(3600, 3600),
    appointments=(3600, 3600),
    webhooks=(3600, 3600),
)
NO_FAULTS = {
    "error_500": 0,
    "drop_before": 0,
    "drop_after": 0,
    "timeout_after": 0,
    "slow": 0,
    "rate_limited": 0,
}


async def until(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s: {condition}")
        await asyncio.sleep(0.05)


def emit(box: Sandbox, sub: str, event: str, marker: str) -> None:
    box.control(
        "POST",
        "events/emit",
        json={"subAccountId": sub, "event": event, "data": {"contactId": "c1", "marker": marker}},
    )


def received_with(partition: Partition, marker: str) -> list[Any]:
    return [d for d in partition.received.recent() if marker in d.body]


def _workspace(tmp_path: Path, box: Sandbox) -> tuple[Workspace, Profile]:
    paths = AppPaths.under(tmp_path / "home")
    workspace = Workspace.open(paths, secrets=Secrets(persistent=SessionSecrets()), plan=QUIET)
    # demo=True: this sandbox, like the demo's, accepts 127.0.0.1 (the built-in receiver).
    profile = Profile(name="Sandbox", deployment_url=box.url, key_kind="agency", demo=True)
    workspace.profiles.upsert(profile)
    workspace.secrets.save(account_name(profile.id), box.info["agency_key"])
    return workspace, profile


def test_the_receiver_gets_real_deliveries_verified_and_follows_a_regeneration(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def run() -> None:
        workspace, profile = _workspace(tmp_path, sandbox)
        active = await workspace.activate(profile.id)
        port = WebhooksPort(workspace)
        sub = active.scope.sub_account_id
        await port.start_receiver(0)
        url = f"{port.receiver_url}hooks"
        service = port.service()
        created = await service.create(url, ["task.created", "contact.created"], "Contract")
        row = created.row
        try:
            assert created.secret.startswith("whsec_") and not created.recovered
            assert row.url == url and row.events == ("contact.created", "task.created")
            reader = port.reader()
            assert reader is not None and row.id in [r.id for r in reader.subscriptions()]
            # Not kept yet: the delivery arrives, and says it cannot be checked.
            first = uuid.uuid4().hex
            emit(sandbox, sub, "task.created", first)
            (unchecked,) = await until(lambda: received_with(active.partition, first))
            assert unchecked.result == Check.NO_SECRET.value
            assert await port.keep_secret(row.id, created.secret) is True
            assert await port.kept_secret_ids([row.id, "wh_other"]) == {row.id}
            second = uuid.uuid4().hex
            emit(sandbox, sub, "task.created", second)
            (valid,) = await until(lambda: received_with(active.partition, second))
            assert (valid.result, valid.webhook_id, valid.event) == (
                "valid",
                row.id,
                "task.created",
            )
            assert valid.headers["User-Agent"] == "Seedly-CRM-Webhook/1.0"
            # A new secret: the kept one is dropped, and the next delivery verifies with the
            # new secret once it is kept.
            new_secret = await port.regenerate(row)
            assert new_secret != created.secret and new_secret.startswith("whsec_")
            assert await port.kept_secret_ids([row.id]) == set()
            await port.keep_secret(row.id, new_secret)
            third = uuid.uuid4().hex
            emit(sandbox, sub, "contact.created", third)
            (after,) = await until(lambda: received_with(active.partition, third))
            assert (after.result, after.webhook_id) == ("valid", row.id)
            # Nothing of this sub-account reached the other one's history.
            other = workspace.db.partition(profile.cache_key, sandbox.sub_ids[1])
            assert not [d for d in other.received.recent() if first in d.body]
            # The secrets never reached the cache file.
            files = [p for p in (tmp_path / "home").rglob("cache.sqlite3*") if p.is_file()]
            on_disk = b"".join(p.read_bytes() for p in files)
            assert row.id.encode() in on_disk  # the check reads the real cache
            assert created.secret.encode() not in on_disk and new_secret.encode() not in on_disk
        finally:
            await service.delete(row.id)
            await port.close()
            await workspace.shutdown()
        listed = (
            await SeedlyClient(sandbox.url, sandbox.info["agency_key"])
            .for_sub_account(sub)
            .list_webhooks()
        )
        assert row.id not in [s.id for s in listed]

    asyncio.run(run())


class RecordingView:
    """A client view that remembers the changes every PATCH sent."""

    def __init__(self, view: Any) -> None:
        self._view = view
        self.patches: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    async def update_webhook(self, webhook_id: str, changes: dict[str, Any]) -> Any:
        self.patches.append(dict(changes))
        return await self._view.update_webhook(webhook_id, changes)


def _service(
    box: Sandbox, db: Database, view: Any, *, allow_loopback: bool = True
) -> WebhookService:
    sub = box.sub_ids[0]
    partition = db.partition(box.url, sub)
    return WebhookService(
        partition,
        view,
        EventBus(),
        ScopeKey(box.url, sub),
        Secrets(persistent=SessionSecrets()),
        allow_loopback=allow_loopback,
    )


def test_an_edit_sends_only_what_changed_and_delete_forgets(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def run() -> None:
        client = SeedlyClient(sandbox.url, sandbox.sub_key(0))
        view = RecordingView(client)
        db = Database.open(tmp_path / "cache.sqlite3")
        service = _service(sandbox, db, view)
        created = await service.create("http://127.0.0.1:9/edit", ["contact.created"], "Before")
        row = created.row
        same = await service.update(row, url=row.url, events=row.events, description="Before")
        assert same == row and view.patches == []  # nothing changed, nothing sent
        changed = await service.update(
            row, url=row.url, events=["contact.created", "form.submitted"], description="Before"
        )
        assert view.patches == [{"events": ["contact.created", "form.submitted"]}]
        assert changed.events == ("contact.created", "form.submitted")
        await service.update(changed, description="After", active=False)
        assert view.patches[-1] == {"description": "After", "isActive": False}
        cached = service.partition.webhooks.get_webhook(row.id)
        assert cached is not None and cached["description"] == "After" and "secret" not in cached
        await service.keep_secret(row.id, created.secret)
        await service.delete(row.id)
        assert service.partition.webhooks.get_webhook(row.id) is None
        assert await service.kept_secret(row.id) is None
        await service.delete(row.id)  # already gone: still fine
        db.close()
        await client.aclose()

    asyncio.run(run())


def test_unsafe_urls_are_refused_here_first_and_the_servers_refusal_is_shown(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """The default sandbox refuses loopback targets; the demo's (with the flag) accepts them."""
    strict: Sandbox = sandbox_factory("--seed", "empty")

    async def run() -> None:
        client = SeedlyClient(strict.url, strict.sub_key(0))
        db = Database.open(tmp_path / "cache.sqlite3")
        # The app's own rule: refused before any request.
        app_rule = _service(strict, db, client, allow_loopback=False)
        sent = client.transport.requests_sent
        with pytest.raises(WebhookInputError) as refused:
            await app_rule.create("https://2130706433/hook", ["contact.created"])
        assert refused.value.field == "url" and "127.0.0.1" in refused.value.message
        with pytest.raises(WebhookInputError, match="Choose at least one event"):
            await app_rule.create("https://hooks.example.com/in", [])
        assert client.transport.requests_sent == sent
        # A demo-minded app lets 127.0.0.1 through; this sandbox (no flag) refuses it, and
        # its SSRF answer comes back for the URL field.
        lenient = _service(strict, db, client, allow_loopback=True)
        with pytest.raises(ValidationFailed) as server:
            await lenient.create("http://127.0.0.1:9/hook", ["contact.created"])
        assert server.value.field == "url"
        assert "loopback" in server.value.message.lower()
        assert describe_failure(server.value).startswith("Seedly refused it:")
        db.close()
        await client.aclose()

    asyncio.run(run())


class FaultOnce:
    """A view that turns one kind of injected fault on for exactly the next call of a method."""

    def __init__(self, view: Any, box: Sandbox) -> None:
        self._view = view
        self._box = box
        self.armed: dict[str, list[str]] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._view, name)
        kinds = self.armed.get(name)
        if not kinds:
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            kind = kinds.pop(0)
            faults = {"rate": 1.0, "kinds": {**NO_FAULTS, kind: 1}}
            await asyncio.to_thread(self._box.control, "PUT", "faults", json=faults)
            try:
                return await target(*args, **kwargs)
            finally:
                await asyncio.to_thread(self._box.control, "PUT", "faults", json={"rate": 0})

        return call


def test_a_lost_create_answer_and_a_failed_regenerate_still_leave_a_known_secret(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", "--allow-loopback-webhooks")

    async def run() -> None:
        client = SeedlyClient(box.url, box.sub_key(0))
        view = FaultOnce(client, box)
        db = Database.open(tmp_path / "cache.sqlite3")
        service = _service(box, db, view)
        bench = WebhookBench(
            service.bus, service.secrets, lambda _s: (service.scope, service.partition)
        )
        port = await bench.start_receiver(0)
        url = f"http://127.0.0.1:{port}/faults"
        # The create is done, then the connection drops: the service finds it and gives it
        # a secret it knows (the one the create made is lost with the answer).
        view.armed["create_webhook"] = ["drop_after"]
        created = await service.create(url, ["task.created"], "Lost answer")
        assert created.recovered and created.secret.startswith("whsec_")
        listed = await client.list_webhooks()
        assert [s.id for s in listed] == [created.row.id]  # created once, not twice
        # A regenerate refused by a server error is repeated.
        view.armed["regenerate_webhook_secret"] = ["error_500"]
        secret = await service.regenerate(created.row.id)
        await service.keep_secret(created.row.id, secret)
        bench.secret_kept(service.scope)
        marker = uuid.uuid4().hex
        emit(box, box.sub_ids[0], "task.created", marker)
        (delivery,) = await until(lambda: received_with(service.partition, marker))
        assert delivery.result == "valid" and delivery.webhook_id == created.row.id
        stats = box.control("GET", "stats")
        assert stats["fault.drop_after"] == 1 and stats["fault.error_500"] == 1
        await bench.close()
        db.close()
        await client.aclose()

    asyncio.run(run())


def test_the_flows_hold_under_random_faults(sandbox_factory: Any, tmp_path: Path) -> None:
    """``--faults``: a share of requests fail (500s, drops before and after the work, 429s);
    reads are retried by the client, a refused write is repeated by the user, a lost one is
    reconciled: the server ends with exactly what was asked for."""
    box: Sandbox = sandbox_factory(
        "--seed", "empty", "--allow-loopback-webhooks", "--faults", "0.3"
    )
    kinds = {**NO_FAULTS, "error_500": 1, "drop_before": 1, "drop_after": 1, "rate_limited": 1}
    box.control("PUT", "faults", json={"rate": 0.3, "kinds": kinds})
    # A random share can miss a short run by chance (0.7**10 ≈ 3 %): aim one of each kind
    # at the writes too, so every run is proven under every fault.
    for kind in ("drop_after", "error_500", "drop_before"):
        box.control(
            "POST",
            "faults/targeted",
            json={"method": "POST", "path": "/api/v1/webhooks", "kind": kind},
        )

    async def run() -> None:
        client = SeedlyClient(
            box.url, box.sub_key(0), retry=RetryPolicy(attempts=12, base_delay=0.01, max_delay=0.05)
        )
        db = Database.open(tmp_path / "cache.sqlite3")
        service = _service(box, db, client)
        recorder: list[WebhooksChanged] = []
        service.bus.subscribe(WebhooksChanged, recorder.append)

        async def persist(action: Callable[[], Any], *, again_if_lost: bool = False) -> Any:
            for _ in range(20):  # the user presses the button again after a refusal
                try:
                    return await action()
                except (ServerError, ValidationFailed) as exc:
                    if isinstance(exc, ValidationFailed) and exc.status != 500:
                        raise
                except OutcomeUnknown as exc:
                    # A lost answer to an edit, a delete or a new secret: doing it again is
                    # what the user does, and does no harm. A create is repeated only when
                    # the service, having looked, says it may not have been made (the check
                    # below finds any twin).
                    if not again_if_lost and "may not have been created" not in str(exc):
                        raise
            raise AssertionError("20 refusals in a row")

        made = []
        for n in range(4):
            created = await persist(
                partial(service.create, f"http://127.0.0.1:9/f{n}", ["task.created"], f"F{n}")
            )
            made.append(created)
        await persist(lambda: service.regenerate(made[0].row.id), again_if_lost=True)
        await persist(lambda: service.update(made[1].row, description="Edited"), again_if_lost=True)
        await persist(lambda: service.delete(made[2].row.id), again_if_lost=True)
        await persist(service.refresh)
        box.control("PUT", "faults", json={"rate": 0})
        server = {s.id: s for s in await client.list_webhooks()}
        # Exactly the subscriptions asked for: none twice, the deleted one gone.
        urls = sorted(s.url for s in server.values())
        assert urls == ["http://127.0.0.1:9/f0", "http://127.0.0.1:9/f1", "http://127.0.0.1:9/f3"]
        assert server[made[1].row.id].description == "Edited"
        cached = {r.id for r in service.cached()}
        assert cached == set(server)
        stats = box.control("GET", "stats")
        assert recorder
        assert all(stats[f"fault.{k}"] >= 1 for k in ("drop_after", "error_500", "drop_before"))
        db.close()
        await client.aclose()

    asyncio.run(run())


def test_a_key_without_the_webhooks_permission_is_a_state_not_an_error(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def run() -> None:
        client = SeedlyClient(sandbox.url, sandbox.info["readonly_key"])
        db = Database.open(tmp_path / "cache.sqlite3")
        partition = db.partition(sandbox.url, "sub_readonly")
        bus = EventBus()
        seen: list[WebhooksChanged] = []
        bus.subscribe(WebhooksChanged, seen.append)
        count = await refresh_subscriptions(
            partition, client, bus, ScopeKey(sandbox.url, "sub_readonly")
        )
        assert count == 0 and seen and "webhooks:manage" in (seen[0].problem or "")
        assert "webhooks:manage" in (partition.marks.webhooks_problem() or "")
        db.close()
        await client.aclose()

    asyncio.run(run())
