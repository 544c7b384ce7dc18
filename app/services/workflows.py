"""Workflow triggers (docs/api/seedly-crm.md §8): the workflows the user keeps, triggering
one for a contact, injecting an event into waiting runs, and the local history.

The API has no list of workflows, so the user keeps the slugs they use per
sub-account (name, slug, and optionally the workflow's signing secret, which goes
to the system keyring only). A trigger or an injected event is signed when the
workflow has a secret. Both endpoints are limited per endpoint (docs/api/seedly-crm.md §11): a 429 is
shown at once ("try again in N seconds") instead of being waited out behind a
spinner. A trigger whose answer was lost may or may not have started the
workflow: it is recorded as "unknown" and never repeated by itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.errors import (
    ApiError,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from app.services.bus import EventBus, ScopeKey, WebhookBenchChanged
from app.settings.secrets import KeyringUnavailable, Secrets
from app.storage import KeptWorkflow, Partition, WorkflowRun

log = logging.getLogger(__name__)

MAX_LIMIT_WAIT = 30.0
"""Seconds a run for several contacts waits for the endpoint's limit before one retry."""

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


class WorkflowInputError(ValueError):
    """A value refused before anything is sent (``field``: slug, name, data, contact...)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class ContactTarget:
    """Who a trigger is for: a cached contact (id and a label to show) or an email."""

    contact_id: str | None = None
    label: str | None = None
    email: str | None = None


def workflow_secret_account(partition: Partition, slug: str) -> str:
    """The keyring account of a workflow's signing secret."""
    return f"workflow:{partition.deployment}|{partition.sub_account_id}|{slug}"


def parse_json_object(text: str, field_name: str = "data") -> dict[str, Any] | None:
    """``text`` as a JSON object (None when blank); ``WorkflowInputError`` says what is wrong."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowInputError(
            field_name,
            f"Not valid JSON: {exc.msg.lower()} at line {exc.lineno}, column {exc.colno}.",
        ) from None
    if not isinstance(value, dict):
        raise WorkflowInputError(field_name, 'Write an object in braces, like {"plan": "gold"}.')
    return value


def check_slug(slug: str) -> str:
    """The slug trimmed (a pasted trigger URL is reduced to its slug); ``WorkflowInputError``
    when it cannot be one."""
    text = slug.strip().rstrip("/")
    for marker in ("/webhooks/workflow/", "/webhooks/event/"):
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    if not text:
        raise WorkflowInputError("slug", "Paste the workflow's slug (from its trigger in Seedly).")
    if not _SLUG.match(text):
        raise WorkflowInputError(
            "slug", "A slug has letters, digits, dashes and underscores only (no spaces or /)."
        )
    return text


class WorkflowService:
    """The kept workflows and triggers of one sub-account."""

    def __init__(
        self,
        partition: Partition,
        client: Any,
        bus: EventBus,
        scope: ScopeKey,
        secrets: Secrets,
    ) -> None:
        self.partition = partition
        self.client = client
        self.bus = bus
        self.scope = scope
        self.secrets = secrets

    # -- the kept list -----------------------------------------------------------------------
    def kept(self) -> list[KeptWorkflow]:
        """The kept workflows, by name (blocking: a cache read)."""
        return self.partition.workflows.kept()

    async def keep(
        self,
        slug: str,
        name: str,
        secret: str | None = None,
        *,
        keep_secret: bool = True,
        announce: bool = True,
    ) -> KeptWorkflow:
        """Keep a workflow. ``secret``: a new signing secret (stored in the keyring, or for
        this session when there is none); "" removes the kept one; None with
        ``keep_secret`` leaves it as it is. ``announce=False`` publishes nothing (a caller
        keeping several announces once)."""
        clean = check_slug(slug)
        label = name.strip() or clean
        account = workflow_secret_account(self.partition, clean)
        if secret is not None and secret.strip():
            try:
                await asyncio.to_thread(self.secrets.save, account, secret.strip())
            except KeyringUnavailable:
                self.secrets.use_for_session(account, secret.strip())
            has_secret = True
        elif secret is not None or not keep_secret:
            await asyncio.to_thread(self._delete_secret, account)
            has_secret = False
        else:
            existing = await asyncio.to_thread(self.partition.workflows.get, clean)
            has_secret = existing.has_secret if existing is not None else False
        kept = await asyncio.to_thread(self.partition.workflows.save, clean, label, has_secret)
        if announce:
            self.bus.publish(WebhookBenchChanged(self.scope, "workflow"))
        return kept

    async def forget(self, slug: str) -> None:
        """Stop keeping a workflow and remove its secret (its runs stay in the history)."""

        def remove() -> None:
            self.partition.workflows.remove(slug)
            self._delete_secret(workflow_secret_account(self.partition, slug))

        await asyncio.to_thread(remove)
        self.bus.publish(WebhookBenchChanged(self.scope, "workflow"))

    def _delete_secret(self, account: str) -> None:
        try:
            self.secrets.delete(account)
        except KeyringUnavailable:
            self.secrets.session.delete(account)

    async def _secret(self, slug: str) -> str | None:
        account = workflow_secret_account(self.partition, slug)
        try:
            return await asyncio.to_thread(self.secrets.get, account)
        except KeyringUnavailable:
            return self.secrets.session.get(account)

    # -- sending -----------------------------------------------------------------------------
    async def trigger(
        self,
        slug: str,
        target: ContactTarget,
        custom_data: Mapping[str, Any] | None = None,
    ) -> WorkflowRun:
        """Start the workflow for a contact (or by email) with optional custom data."""
        clean = check_slug(slug)
        body = self._trigger_body(target, custom_data)
        label = target.label or target.email
        return await self._send("trigger", clean, body, target.contact_id, label)

    @staticmethod
    def _trigger_body(
        target: ContactTarget, custom_data: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if target.contact_id:
            body["contactId"] = target.contact_id
        elif target.email and target.email.strip():
            body["email"] = target.email.strip()
        else:
            raise WorkflowInputError("contact", "Choose a contact or enter an email address.")
        if custom_data:
            body["customData"] = dict(custom_data)
        return body

    async def inject(
        self,
        slug: str,
        event_type: str,
        target: ContactTarget | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> WorkflowRun:
        """Hand an event (``eventType``) to the workflow's runs waiting for it; with a
        contact, only that contact's runs."""
        clean = check_slug(slug)
        kind = event_type.strip()
        if not kind:
            raise WorkflowInputError("event", "Enter the event type the workflow waits for.")
        body: dict[str, Any] = {"eventType": kind}
        contact_id = target.contact_id if target is not None else None
        if contact_id:
            body["contactId"] = contact_id
        if data:
            body["data"] = dict(data)
        label = target.label if target is not None else None
        return await self._send("event", clean, body, contact_id, label)

    async def rerun(self, seq: int) -> WorkflowRun:
        """Send a recorded run's request again, exactly (signed with the current secret)."""
        run = await asyncio.to_thread(self.partition.workflows.run, seq)
        if run is None:
            raise WorkflowInputError("run", "That run is no longer in the history.")
        body = json.loads(run.body)
        return await self._send(run.kind, run.slug, body, run.contact_id, run.contact_label)

    async def trigger_many(
        self,
        slug: str,
        targets: Sequence[ContactTarget],
        custom_data: Mapping[str, Any] | None = None,
    ) -> list[WorkflowRun]:
        """Trigger the workflow for each contact in turn, one run each. The endpoint's own
        limit is waited out once per contact (up to ``MAX_LIMIT_WAIT`` seconds) rather than
        failing the rest."""
        clean = check_slug(slug)
        runs: list[WorkflowRun] = []
        for target in targets:
            body = self._trigger_body(target, custom_data)
            label = target.label or target.email
            run, retry_after = await self._attempt("trigger", clean, body, target.contact_id, label)
            if retry_after is not None:
                await asyncio.sleep(min(MAX_LIMIT_WAIT, retry_after))
                run, _ = await self._attempt("trigger", clean, body, target.contact_id, label)
            runs.append(run)
        return runs

    async def _send(
        self,
        kind: str,
        slug: str,
        body: dict[str, Any],
        contact_id: str | None,
        label: str | None,
    ) -> WorkflowRun:
        run, _retry_after = await self._attempt(kind, slug, body, contact_id, label)
        return run

    async def _attempt(
        self,
        kind: str,
        slug: str,
        body: dict[str, Any],
        contact_id: str | None,
        label: str | None,
    ) -> tuple[WorkflowRun, float | None]:
        """Send once and record the run; with the wait a 429 asked for (else None)."""
        secret = await self._secret(slug)
        retry_after: float | None = None
        call = (
            self.client.trigger_workflow if kind == "trigger" else self.client.inject_workflow_event
        )
        status: int | None = 200
        count: int | None = None
        try:
            answer = await call(slug, body, secret, wait_on_rate_limit=False)
            raw = answer.get("triggered" if kind == "trigger" else "matched")
            count = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
            outcome, message = "ok", _success(kind, count, body)
        except OutcomeUnknown:
            status = None
            outcome = "unknown"
            message = (
                "Sent, but the answer was lost: the workflow may have started. Check in "
                "Seedly before running it again."
            )
        except ApiError as exc:
            status = exc.status
            outcome, message = "failed", _failure(exc, slug, has_secret=bool(secret))
            if isinstance(exc, RateLimited):
                retry_after = exc.retry_after or 1.0
        run = await asyncio.to_thread(
            self.partition.workflows.add_run,
            kind=kind,
            slug=slug,
            contact_id=contact_id,
            contact_label=label,
            body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            signed=bool(secret),
            outcome=outcome,
            status=status,
            count=count,
            message=message,
        )
        self.bus.publish(WebhookBenchChanged(self.scope, "workflow"))
        return run, retry_after


def _success(kind: str, count: int | None, body: Mapping[str, Any]) -> str:
    if kind == "trigger":
        if count == 0:
            return (
                "Sent, but no run started: the workflow is paused, or this contact already "
                "has a run of it in progress."
            )
        if count is None:
            return "Sent; Seedly accepted it."
        return f"Started {count} run{'s' if count != 1 else ''}."
    waited = body.get("eventType")
    if count == 0:
        return f"Sent, but no run was waiting for “{waited}”."
    if count is None:
        return "Sent; Seedly accepted it."
    return f"Delivered to {count} waiting run{'s' if count != 1 else ''}."


def _failure(exc: ApiError, slug: str, *, has_secret: bool) -> str:
    if isinstance(exc, NotFound):
        detail = exc.message if exc.from_envelope and exc.message else ""
        if detail and "contact" in detail.lower():
            return f"Seedly answered: {detail}"
        return (
            f"No workflow has the slug “{slug}” (or it has no Inbound Webhook trigger). "
            "Copy the slug again from the workflow's trigger in Seedly."
        )
    if isinstance(exc, RateLimited):
        wait = f"{exc.retry_after:g} seconds" if exc.retry_after else "a moment"
        return (
            "This workflow's endpoint is receiving too many requests (it has its own "
            f"limit). Try again in {wait}."
        )
    if isinstance(exc, Unauthorized):
        if has_secret:
            return (
                "The workflow refused the signature: the kept signing secret is not the "
                "workflow's. Copy its secret again from Seedly."
            )
        return (
            "This workflow has a signing secret, so requests must be signed. Add its secret "
            "to the workflow here (Edit…)."
        )
    if isinstance(exc, ValidationFailed):
        return f"Seedly refused it: {exc.message}" if exc.message else exc.user_message
    if isinstance(exc, NetworkError):
        return exc.user_message
    return exc.user_message


__all__ = [
    "ContactTarget",
    "KeptWorkflow",
    "WorkflowInputError",
    "WorkflowRun",
    "WorkflowService",
    "check_slug",
    "parse_json_object",
    "workflow_secret_account",
]
