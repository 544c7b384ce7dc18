"""The Webhooks & Automations tab's port: subscriptions, the test bench and workflow triggers.

``WebhooksPort`` is built from the ``Workspace`` by the bootstrap. It gives the tab:

- the active scope and a ``WebhooksReader`` bound to one sub-account, whose
  queries (cached subscriptions, the local histories, kept workflows, sample
  records, contacts for the pickers) return typed rows, raise only
  ``StorageError`` and are safe on worker threads;
- subscription commands through a ``WebhookService`` (of the open sub-account, or
  of another one for the agency-wide table and "copy to other sub-accounts");
- the test bench (``WebhookBench``: the local receiver and the test sender),
  one per app run, shared by every sub-account;
- workflow triggers through a ``WorkflowService``.

What the user sees is what the app did itself: the API has no delivery log
(docs/api/seedly-crm.md §7), so histories here are labelled as local. Types the tab
needs from below are re-exported, so the UI imports only ``app.services`` and
``app.core``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.core.errors import ApiError, Forbidden
from app.services.bus import ScopeKey, WebhookBenchChanged
from app.services.ports.reader import SubAccountReader
from app.services.webhook_bench import (
    DEFAULT_PORT,
    BodyError,
    ReceiverError,
    WebhookBench,
    answer_summary,
    check_json,
    headers_text,
)
from app.services.webhook_samples import SampleRecords, sample_body, sample_records
from app.services.webhook_signing import Check, Verification, verify_pasted
from app.services.webhooks import (
    CreatedSubscription,
    SubscriptionRow,
    WebhookInputError,
    WebhookService,
    describe_failure,
    secret_account,
    subscription_row,
)
from app.services.workflows import (
    ContactTarget,
    WorkflowInputError,
    WorkflowService,
    parse_json_object,
)
from app.api.sandbox_control import demo_workflows
from app.services.workspace import NotActive
from app.settings.secrets import KeyringUnavailable
from app.storage import (
    KeptWorkflow,
    Partition,
    ReceivedDelivery,
    StorageError,
    TestDelivery,
    WorkflowRun,
)

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PORT",
    "AgencyRow",
    "BodyError",
    "Check",
    "ContactChoice",
    "ContactTarget",
    "CopyResult",
    "CreatedSubscription",
    "KeptWorkflow",
    "NotActive",
    "ReceivedDelivery",
    "ReceiverError",
    "SampleRecords",
    "StorageError",
    "SubscriptionRow",
    "TestDelivery",
    "Verification",
    "WebhookInputError",
    "WebhooksPort",
    "WebhooksReader",
    "WorkflowInputError",
    "WorkflowRun",
    "answer_summary",
    "check_json",
    "describe_failure",
    "headers_text",
    "parse_json_object",
    "sample_body",
    "verify_pasted",
]


@dataclass(frozen=True)
class ContactChoice:
    """A cached contact offered by a picker: id, a name to show, and the email."""

    id: str
    label: str
    email: str | None


def _contact_choice(doc: dict[str, Any]) -> ContactChoice:
    name = " ".join(
        str(doc.get(k) or "").strip() for k in ("firstName", "lastName") if doc.get(k)
    ).strip()
    email = doc.get("email") if isinstance(doc.get("email"), str) else None
    return ContactChoice(str(doc["id"]), name or email or str(doc["id"]), email)


@dataclass(frozen=True)
class AgencyRow:
    """One sub-account in the agency-wide table: its subscriptions, or why they are unknown."""

    sub_account_id: str
    name: str
    subscriptions: tuple[SubscriptionRow, ...]
    problem: str | None = None
    from_cache: bool = False


@dataclass(frozen=True)
class CopyResult:
    """How copying a subscription to one sub-account went (its own secret when it worked)."""

    sub_account_id: str
    name: str
    ok: bool
    message: str
    webhook_id: str | None = None
    secret: str | None = field(default=None, repr=False)


class WebhooksReader(SubAccountReader):
    """Reads one sub-account's webhook data from the cache (any thread; ``StorageError``)."""

    def subscriptions(self) -> list[SubscriptionRow]:
        """The cached subscriptions, oldest first."""
        return [subscription_row(d) for d in self._partition.webhooks.webhooks()]

    def subscription(self, webhook_id: str) -> SubscriptionRow | None:
        """One cached subscription, or None."""
        doc = self._partition.webhooks.get_webhook(webhook_id)
        return None if doc is None else subscription_row(doc)

    def problem(self) -> str | None:
        """Why the subscriptions could not be read (a key without the permission), or None."""
        return self._partition.marks.webhooks_problem()

    def last_read_ms(self) -> int | None:
        """When the subscriptions were last read from the server (epoch ms), or None."""
        return self._partition.marks.webhooks_read_ms()

    def received(self, limit: int = 200) -> list[ReceivedDelivery]:
        """Deliveries the local receiver got for this sub-account, newest first."""
        return self._partition.received.recent(limit)

    def test_deliveries(self, limit: int = 200) -> list[TestDelivery]:
        """Test deliveries sent from this sub-account's bench, newest first."""
        return self._partition.test_deliveries.recent(limit)

    def test_delivery(self, seq: int) -> TestDelivery | None:
        """One test delivery, or None."""
        return self._partition.test_deliveries.get(seq)

    def kept_workflows(self) -> list[KeptWorkflow]:
        """The workflows the user keeps for this sub-account, by name."""
        return self._partition.workflows.kept()

    def workflow_runs(self, limit: int = 200) -> list[WorkflowRun]:
        """Triggers and events the app sent, newest first."""
        return self._partition.workflows.runs(limit)

    def sample_records(self) -> SampleRecords:
        """Real ids for sample payloads (a contact, a conversation, an appointment)."""
        return sample_records(self._partition)

    def find_contacts(self, text: str, limit: int = 20) -> list[ContactChoice]:
        """Cached contacts matching ``text`` (names, emails, phones), for a picker."""
        docs = self._partition.contacts.search(text.strip() or None, limit=limit)
        return [_contact_choice(d) for d in docs]

    def contacts(self, contact_ids: Sequence[str]) -> list[ContactChoice]:
        """The cached contacts among ``contact_ids``, in that order (unknown ones skipped)."""
        by_id = {str(d["id"]): d for d in self._partition.contacts.get_many(list(contact_ids))}
        return [_contact_choice(by_id[i]) for i in contact_ids if i in by_id]

    def clear_received(self) -> int:
        """Forget the received deliveries of this sub-account."""
        return self._partition.received.clear()

    def clear_test_deliveries(self) -> int:
        """Forget the test deliveries of this sub-account."""
        return self._partition.test_deliveries.clear()


class WebhooksPort:
    """Queries and commands of the Webhooks & Automations tab (see the module docstring)."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._reader: WebhooksReader | None = None
        self._bench: WebhookBench | None = None
        self._partitions: dict[ScopeKey, Partition] = {}

    # -- scope -------------------------------------------------------------------------------
    def active_scope(self) -> ScopeKey | None:
        """The sub-account being worked on, or None before a connection is opened."""
        active = self._workspace.active
        return None if active is None else active.scope

    def reader(self, scope: ScopeKey | None = None) -> WebhooksReader | None:
        """A reader of the active sub-account (or of ``scope``); the same sub-account gives
        the same reader until another is asked for."""
        active = self._workspace.active
        if scope is None:
            if active is None:
                return None
            scope = active.scope
        current = self._reader
        if current is not None and current.covers(scope):
            return current
        self._reader = WebhooksReader(self._partition(scope))
        return self._reader

    def _partition(self, scope: ScopeKey) -> Partition:
        active = self._workspace.active
        if active is not None and active.scope == scope:
            return active.partition
        found = self._partitions.get(scope)
        if found is None:
            found = self._workspace.db.partition(scope.deployment, scope.sub_account_id)
            self._partitions[scope] = found
        return found

    @property
    def is_demo(self) -> bool:
        """Whether the open connection is the demo (subscriptions to 127.0.0.1 allowed)."""
        profile = self._workspace.profile
        return bool(profile is not None and profile.demo)

    def sub_accounts(self) -> list[tuple[str, str]]:
        """The sub-accounts of the open connection as (id, name)."""
        return [(s.id, s.name or s.id) for s in self._workspace.sub_accounts()]

    def sub_account_name(self, sub_account_id: str) -> str:
        """The name of a sub-account of the open connection (its id when unknown)."""
        return dict(self.sub_accounts()).get(sub_account_id, sub_account_id)

    # -- subscriptions -----------------------------------------------------------------------
    def service(self) -> WebhookService:
        """Subscription commands of the open sub-account (``NotActive`` when none)."""
        session, active = self._workspace.session, self._workspace.active
        if session is None or active is None or session.view is None:
            raise NotActive("Open a connection first.")
        return WebhookService(
            active.partition,
            session.view,
            self._workspace.bus,
            active.scope,
            self._workspace.secrets,
            allow_loopback=self.is_demo,
        )

    def service_for(self, sub_account_id: str) -> WebhookService:
        """Subscription commands of any sub-account of the open connection."""
        active = self._workspace.active
        if active is not None and active.scope.sub_account_id == sub_account_id:
            return self.service()
        profile = self._workspace.profile
        if profile is None or self._workspace.session is None:
            raise NotActive("Open a connection first.")
        if sub_account_id not in {s.id for s in self._workspace.sub_accounts()}:
            raise NotActive(f"The sub-account {sub_account_id} is not reachable with this key.")
        client = self._workspace.client_for(profile)
        view = client.for_sub_account(sub_account_id) if client.is_agency else client
        scope = ScopeKey(profile.cache_key, sub_account_id)
        return WebhookService(
            self._partition(scope),
            view,
            self._workspace.bus,
            scope,
            self._workspace.secrets,
            allow_loopback=self.is_demo,
        )

    def refresh_soon(self) -> None:
        """Ask the poll scheduler to re-read the subscriptions now."""
        session = self._workspace.session
        if session is not None and session.scheduler is not None:
            session.scheduler.trigger("webhooks")

    async def regenerate(self, row: SubscriptionRow) -> str:
        """A new secret for ``row`` (the old one stops at once). A kept old secret is
        removed from the keyring and remembered for this session only, so a delivery
        still signed with it is recognised."""
        service = self.service()
        old = await service.kept_secret(row.id)
        secret = await service.regenerate(row.id)
        if old:
            await service.forget_secret(row.id)
        self.bench.secret_replaced(service.scope, row.id, old)
        self._workspace.bus.publish(WebhookBenchChanged(service.scope, "secret"))
        return secret

    async def keep_secret(
        self, webhook_id: str, secret: str, sub_account_id: str | None = None
    ) -> bool:
        """Keep a subscription's secret for the test bench (True: in the keyring; False:
        for this session only, there is no keyring)."""
        service = self.service() if sub_account_id is None else self.service_for(sub_account_id)
        kept = await service.keep_secret(webhook_id, secret)
        self.bench.secret_kept(service.scope)
        self._workspace.bus.publish(WebhookBenchChanged(service.scope, "secret"))
        return kept

    async def kept_secret_ids(self, webhook_ids: Iterable[str]) -> set[str]:
        """Which of the open sub-account's subscriptions have a secret kept here."""
        active = self._workspace.active
        if active is None:
            return set()
        secrets = self._workspace.secrets
        partition = active.partition

        def read() -> set[str]:
            found: set[str] = set()
            for webhook_id in webhook_ids:
                account = secret_account(partition, webhook_id)
                try:
                    value = secrets.get(account)
                except KeyringUnavailable:
                    value = secrets.session.get(account)
                if value:
                    found.add(webhook_id)
            return found

        return await asyncio.to_thread(read)

    async def agency_table(self) -> list[AgencyRow]:
        """Every sub-account's subscriptions, read from the server (one request each); a
        sub-account that cannot be read shows its cached list and why."""
        rows: list[AgencyRow] = []
        for sub_id, name in self.sub_accounts():
            try:
                service = self.service_for(sub_id)
                subscriptions = await service.refresh()
                problem = await asyncio.to_thread(WebhooksReader(service.partition).problem)
                rows.append(AgencyRow(sub_id, name, tuple(subscriptions), problem))
            except (ApiError, NotActive, StorageError) as exc:
                cached: list[SubscriptionRow] = []
                try:
                    cached = await asyncio.to_thread(
                        WebhooksReader(self._partition(self._scope_of(sub_id))).subscriptions
                    )
                except (StorageError, NotActive):
                    pass
                message = exc.user_message if isinstance(exc, ApiError) else str(exc)
                rows.append(AgencyRow(sub_id, name, tuple(cached), message, from_cache=True))
        return rows

    def _scope_of(self, sub_account_id: str) -> ScopeKey:
        profile = self._workspace.profile
        if profile is None:
            raise NotActive("Open a connection first.")
        return ScopeKey(profile.cache_key, sub_account_id)

    async def copy_subscription(
        self, row: SubscriptionRow, sub_account_ids: Sequence[str]
    ) -> list[CopyResult]:
        """Create the same subscription (URL, events, description) in each sub-account, one
        after the other; each gets its own secret, returned once in its result."""
        results: list[CopyResult] = []
        for sub_id in sub_account_ids:
            name = self.sub_account_name(sub_id)
            try:
                created = await self.service_for(sub_id).create(
                    row.url, row.events, row.description
                )
            except (ApiError, WebhookInputError, NotActive) as exc:
                message = describe_failure(exc) if not isinstance(exc, NotActive) else str(exc)
                if isinstance(exc, Forbidden):
                    message = exc.user_message
                results.append(CopyResult(sub_id, name, False, message))
                continue
            note = " (its answer was lost; the secret was regenerated)" if created.recovered else ""
            results.append(
                CopyResult(sub_id, name, True, f"Created{note}.", created.row.id, created.secret)
            )
        return results

    # -- the test bench ----------------------------------------------------------------------
    @property
    def bench(self) -> WebhookBench:
        """The receiver and the test sender (made on first use)."""
        if self._bench is None:
            workspace = self._workspace
            self._bench = WebhookBench(workspace.bus, workspace.secrets, self._route)
        return self._bench

    def _route(self, sub_account_id: str | None) -> tuple[ScopeKey, Partition] | None:
        active = self._workspace.active
        if active is None:
            return None
        known = {s.id for s in self._workspace.sub_accounts()}
        if sub_account_id and sub_account_id in known:
            scope = ScopeKey(active.scope.deployment, sub_account_id)
            return scope, self._partition(scope)
        return active.scope, active.partition

    async def send_test(
        self, *, url: str, event: str, body: str, webhook_id: str | None
    ) -> TestDelivery:
        """Send a test delivery from the open sub-account's bench, signed with the kept
        secret of ``webhook_id`` (unsigned without one)."""
        active = self._workspace.active
        if active is None:
            raise NotActive("Open a connection first.")
        secret = None
        if webhook_id:
            secret = await self._kept(active.partition, webhook_id)
        return await self.bench.send_test(
            active.scope,
            active.partition,
            url=url,
            event=event,
            body=body,
            secret=secret,
            webhook_id=webhook_id,
        )

    async def resend(self, delivery: TestDelivery) -> TestDelivery:
        """Send a recorded test delivery again (a new delivery id, the current secret)."""
        if delivery.body_truncated:
            raise BodyError("This body was too large to keep whole, so it cannot be resent.")
        return await self.send_test(
            url=delivery.url,
            event=delivery.event,
            body=delivery.body,
            webhook_id=delivery.webhook_id,
        )

    async def _kept(self, partition: Partition, webhook_id: str) -> str | None:
        secrets = self._workspace.secrets
        account = secret_account(partition, webhook_id)
        try:
            return await asyncio.to_thread(secrets.get, account)
        except KeyringUnavailable:
            return secrets.session.get(account)

    async def start_receiver(self, port: int = DEFAULT_PORT) -> int:
        """Start the local receiver on ``port`` (``ReceiverError`` says why it cannot)."""
        return await self.bench.start_receiver(port)

    async def stop_receiver(self) -> None:
        """Stop the local receiver."""
        if self._bench is not None:
            await self._bench.stop_receiver()

    @property
    def receiver_url(self) -> str | None:
        """Where the receiver listens, or None."""
        return None if self._bench is None else self._bench.receiver_url

    def set_refuse_unverified(self, refuse: bool) -> None:
        """Answer 401 to deliveries that fail verification (Seedly retries them)."""
        self.bench.refuse_unverified = refuse

    @staticmethod
    def verify(body: str, header: str, secret: str) -> Verification:
        """The verifier: valid, or the likely mistake."""
        return verify_pasted(body, header, secret)

    # -- workflows ---------------------------------------------------------------------------
    async def fill_demo_workflows(self) -> int:
        """The demo only, once per sub-account: keep the demo's workflows (name, slug and
        signing secret, the secret for this session only) so a trigger can be tried at
        once; how many were added."""
        active, profile = self._workspace.active, self._workspace.profile
        if active is None or profile is None or not profile.demo:
            return 0
        partition = active.partition
        if await asyncio.to_thread(partition.marks.demo_workflows_added):
            return 0
        found = await asyncio.to_thread(
            demo_workflows, profile.deployment_url, active.scope.sub_account_id
        )
        service = self.workflows()
        added = 0
        for workflow in found:
            slug, name = workflow.get("slug"), workflow.get("name")
            if not isinstance(slug, str) or not isinstance(name, str):
                continue
            secret = workflow.get("secret")
            await service.keep(
                slug, name, secret if isinstance(secret, str) else None, announce=False
            )
            added += 1
        if found:
            await asyncio.to_thread(partition.marks.set_demo_workflows_added)
            self._workspace.bus.publish(WebhookBenchChanged(active.scope, "workflow"))
        return added

    def workflows(self) -> WorkflowService:
        """Workflow triggers of the open sub-account (``NotActive`` when none)."""
        session, active = self._workspace.session, self._workspace.active
        if session is None or active is None or session.view is None:
            raise NotActive("Open a connection first.")
        return WorkflowService(
            active.partition,
            session.view,
            self._workspace.bus,
            active.scope,
            self._workspace.secrets,
        )

    async def close(self) -> None:
        """Stop the receiver (on quit)."""
        if self._bench is not None:
            await self._bench.close()
