"""Workflow triggers through the app's service against a sandbox process
(docs/api/seedly-crm.md §8, §11): kept slugs and secrets, triggers signed when needed, events
injected, every answer in words (404, 401, the endpoint's rate limit, a lost answer), and the
local history with re-run."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api.seedly import SeedlyClient
from app.services.bus import EventBus, Recorder, ScopeKey, WebhookBenchChanged
from app.services.workflows import (
    ContactTarget,
    WorkflowInputError,
    WorkflowService,
    workflow_secret_account,
)
from app.settings.secrets import Secrets, SessionSecrets
from app.storage import Database
from tests.contract.test_webhook_service import NO_FAULTS
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(150)


def demo_workflows(box: Sandbox, sub: str) -> dict[str, dict[str, Any]]:
    prefix = sub.removeprefix("sub_").replace("_", "-") + "-"
    return {
        w["slug"].removeprefix(prefix): w
        for w in box.control("GET", "workflows", params={"subAccountId": sub})
    }


def new_contact(box: Sandbox, name: str = "Flow") -> dict[str, Any]:
    client = box.client()
    email = f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com"
    r = client.post(
        "/api/v1/contacts", json={"firstName": name, "lastName": "Test", "email": email}
    )
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


def _service(box: Sandbox, tmp_path: Path) -> tuple[WorkflowService, Database, SeedlyClient]:
    db = Database.open(tmp_path / "cache.sqlite3")
    sub = box.sub_ids[0]
    client = SeedlyClient(box.url, box.sub_key(0))
    service = WorkflowService(
        db.partition(box.url, sub),
        client,
        EventBus(),
        ScopeKey(box.url, sub),
        Secrets(persistent=SessionSecrets()),
    )
    return service, db, client


def test_trigger_sign_inject_and_rerun(sandbox: Sandbox, tmp_path: Path) -> None:
    flows = demo_workflows(sandbox, sandbox.sub_ids[0])
    person = new_contact(sandbox)

    async def run() -> None:
        service, db, client = _service(sandbox, tmp_path)
        recorder = Recorder().attach(service.bus, WebhookBenchChanged)
        intake = await service.keep("  " + flows["new-lead-intake"]["triggerUrl"], "Lead intake")
        assert intake.slug == flows["new-lead-intake"]["slug"]  # the slug from a pasted URL
        started = await service.trigger(
            intake.slug, ContactTarget(person["id"], "Flow Test"), {"plan": "gold"}
        )
        assert (started.outcome, started.count, started.status) == ("ok", 1, 200)
        assert started.message == "Started 1 run." and not started.signed
        assert '"customData":{"plan":"gold"}' in started.body
        by_email = await service.trigger(intake.slug, ContactTarget(email=person["email"]))
        assert by_email.outcome == "ok" and by_email.contact_label == person["email"]

        # A workflow with a signing secret: refused until the secret is kept, then signed.
        payment = flows["payment-received"]
        await service.keep(payment["slug"], "Payment")
        refused = await service.trigger(payment["slug"], ContactTarget(person["id"]))
        assert refused.outcome == "failed" and refused.status == 401
        assert "has a signing secret" in refused.message
        kept = await service.keep(payment["slug"], "Payment", payment["secret"])
        assert kept.has_secret
        assert service.secrets.get(workflow_secret_account(service.partition, kept.slug))
        assert service.partition.workflows.get(kept.slug) == kept  # no secret in the cache
        signed = await service.trigger(payment["slug"], ContactTarget(person["id"]))
        assert signed.outcome == "ok" and signed.signed
        await service.keep(payment["slug"], "Payment", "whsec_not_the_right_one")
        wrong = await service.trigger(payment["slug"], ContactTarget(person["id"]))
        assert wrong.status == 401 and "kept signing secret is not the workflow's" in wrong.message

        # A run waiting at its goal gets the injected event.
        quote = flows["quote-follow-up"]["slug"]
        waiting = await service.trigger(quote, ContactTarget(person["id"]))
        assert waiting.count == 1
        injected = await service.inject(
            quote, "quote_accepted", ContactTarget(person["id"]), {"amount": 900}
        )
        assert injected.outcome == "ok" and injected.message == "Delivered to 1 waiting run."
        nothing = await service.inject(quote, "quote_accepted", ContactTarget(person["id"]))
        assert "no run was waiting" in nothing.message

        # Unknown slug, unknown contact.
        missing = await service.trigger("no-such-workflow-here", ContactTarget(person["id"]))
        assert missing.status == 404 and "No workflow has the slug" in missing.message
        ghost = await service.trigger(intake.slug, ContactTarget("contact_does_not_exist"))
        assert ghost.status == 404 and "Contact contact_does_not_exist" in ghost.message
        with pytest.raises(WorkflowInputError):
            await service.trigger(intake.slug, ContactTarget())
        with pytest.raises(WorkflowInputError):
            await service.keep("has spaces/slash", "Bad")

        # The history, newest first, and a re-run of the first trigger.
        history = service.partition.workflows.runs()
        assert history[-1] == started and history[0] == ghost
        again = await service.rerun(started.seq)
        assert again.outcome == "ok" and again.body == started.body
        many = await service.trigger_many(
            intake.slug, [ContactTarget(person["id"], "Flow"), ContactTarget(email=person["email"])]
        )
        assert [r.outcome for r in many] == ["ok", "ok"]
        assert [e.what for e in recorder.of(WebhookBenchChanged)].count("workflow") >= 10
        await service.forget(payment["slug"])
        assert service.partition.workflows.get(payment["slug"]) is None
        assert (
            service.secrets.get(workflow_secret_account(service.partition, payment["slug"])) is None
        )
        db.close()
        await client.aclose()

    asyncio.run(run())


def test_the_endpoints_own_rate_limit_is_shown_not_waited_out(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    slug = f"limit-probe-{uuid.uuid4().hex[:8]}"
    # The endpoint allows 60 requests a minute; spend them (unknown slug: 404s count too).
    with httpx.Client(base_url=sandbox.url, timeout=30) as raw:
        codes = {raw.post(f"/webhooks/workflow/{slug}", json={}).status_code for _ in range(60)}
    assert codes == {404}

    async def run() -> None:
        service, db, client = _service(sandbox, tmp_path)
        started = asyncio.get_running_loop().time()
        limited = await service.trigger(slug, ContactTarget(email="a@example.com"))
        assert asyncio.get_running_loop().time() - started < 5  # not waited out
        assert limited.status == 429 and limited.outcome == "failed"
        assert "Try again in" in limited.message and "its own limit" in limited.message
        db.close()
        await client.aclose()

    asyncio.run(run())


def test_a_lost_trigger_answer_is_recorded_as_unknown_and_not_repeated(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo")
    flows = demo_workflows(box, box.sub_ids[0])
    person = new_contact(box, "Lost")

    async def run() -> None:
        service, db, client = _service(box, tmp_path)
        box.control("PUT", "faults", json={"rate": 1.0, "kinds": {**NO_FAULTS, "drop_after": 1}})
        try:
            lost = await service.trigger(
                flows["new-lead-intake"]["slug"], ContactTarget(person["id"])
            )
        finally:
            box.control("PUT", "faults", json={"rate": 0})
        assert lost.outcome == "unknown" and lost.status is None
        assert "may have started" in lost.message
        executions = box.control("GET", "workflow-executions", params={"contactId": person["id"]})
        assert len(executions) == 1  # done once by the server, and not sent again
        db.close()
        await client.aclose()

    asyncio.run(run())
