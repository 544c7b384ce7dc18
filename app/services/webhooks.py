"""Webhook subscriptions of one sub-account (docs/api/seedly-crm.md §7): read, create, edit,
delete, regenerate the signing secret, and keep a secret in the system keyring.

- ``refresh_subscriptions`` is the poll job (the scheduler owns the timing): it
  re-reads the list into the cache, or records why it could not (a key without
  the ``webhooks:manage`` permission is a state to show, not an error to retry).
- A URL is checked before anything is sent (``app.core.webhook_urls``, plus the
  addresses a host name resolves to); the server's own refusal comes back as a
  ``ValidationFailed`` naming the ``url`` field, shown in place too.
- An edit sends only the fields that changed.
- The secret is only in the answers to create and regenerate. The app never
  stores it on disk; the user may keep it in the system keyring for the test
  bench. A create whose answer was lost (``OutcomeUnknown``) is looked up
  (same URL and events, not there before): when found, its secret is
  regenerated so the user still gets one. A regenerate whose answer was lost is
  simply repeated: the last secret made is the one in force.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.core.constants import WEBHOOK_EVENTS
from app.core.errors import (
    ApiError,
    Forbidden,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    ServerError,
    ValidationFailed,
)
from app.core.models import WebhookSubscription
from app.core.webhook_urls import address_problem, webhook_url_problem
from app.services.bus import EventBus, ScopeKey, WebhooksChanged
from app.services.sync import Stale
from app.settings.secrets import KeyringUnavailable, Secrets
from app.storage import Partition

log = logging.getLogger(__name__)

RESOLVE_TIMEOUT_S = 2.0
REGENERATE_ATTEMPTS = 3

Resolver = Callable[[str, int], Awaitable[list[str]]]


class WebhookInputError(ValueError):
    """A subscription form value the app refuses before sending (``field``: url or events)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription as the tab shows it (never its secret)."""

    id: str
    url: str
    events: tuple[str, ...]
    description: str | None
    active: bool | None
    created_at: str | None
    last_delivery_at: str | None = None
    last_delivery_status: str | None = None


def subscription_row(doc: Mapping[str, Any]) -> SubscriptionRow:
    """The row of a cached (or received) subscription document."""
    events = doc.get("events")
    description = doc.get("description")
    active = doc.get("isActive")
    return SubscriptionRow(
        id=str(doc["id"]),
        url=str(doc.get("url") or ""),
        events=tuple(str(e) for e in events) if isinstance(events, list) else (),
        description=description if isinstance(description, str) and description else None,
        active=active if isinstance(active, bool) else None,
        created_at=_text(doc.get("createdAt")),
        last_delivery_at=_text(doc.get("lastDeliveryAt")),
        last_delivery_status=_text(doc.get("lastDeliveryStatus")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class CreatedSubscription:
    """A new subscription and its secret (shown once). ``recovered`` says the create's
    answer was lost and the secret was regenerated to have one."""

    row: SubscriptionRow
    secret: str = field(repr=False)
    recovered: bool = False


def secret_account(partition: Partition, webhook_id: str) -> str:
    """The keyring account of a subscription's signing secret."""
    return f"webhook:{partition.deployment}|{partition.sub_account_id}|{webhook_id}"


def _wire(subscription: WebhookSubscription) -> dict[str, Any]:
    doc = subscription.to_wire()
    doc.pop("secret", None)
    return doc


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, through the event loop's resolver (no blocking)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_url(
    url: str, *, allow_loopback: bool, resolver: Resolver = system_resolver
) -> str | None:
    """Why ``url`` cannot be a subscription's URL, or None. A host name is resolved (briefly)
    and refused when it leads to a private address; one that does not resolve is left to
    the server, which checks again on every delivery."""
    problem = webhook_url_problem(url, allow_loopback=allow_loopback)
    if problem is not None:
        return problem
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return None  # a literal: the rule above judged it already
    except ValueError:
        pass
    try:
        found = await asyncio.wait_for(
            resolver(host, parts.port or (443 if parts.scheme == "https" else 80)),
            RESOLVE_TIMEOUT_S,
        )
    except (OSError, TimeoutError, UnicodeError):
        return None
    for text in found:
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        reason = address_problem(ip)
        if reason is not None:
            return (
                f"{host} leads to {ip}, {reason}. Seedly refuses webhook URLs that point to "
                "private or reserved addresses; use a public https:// address."
            )
    return None


def check_events(events: Iterable[str]) -> tuple[str, ...]:
    """The chosen events in the API's order; ``WebhookInputError`` when none (or an unknown
    one) is chosen."""
    chosen = set(events)
    unknown = chosen - set(WEBHOOK_EVENTS)
    if unknown:
        raise WebhookInputError("events", f"Unknown events: {', '.join(sorted(unknown))}.")
    if not chosen:
        raise WebhookInputError("events", "Choose at least one event to receive.")
    return tuple(e for e in WEBHOOK_EVENTS if e in chosen)


async def refresh_subscriptions(
    partition: Partition,
    view: Any,
    bus: EventBus,
    scope: ScopeKey,
    is_current: Callable[[], bool] = lambda: True,
) -> int:
    """Re-read the sub-account's subscriptions into the cache (the poll job); how many.

    A key without the webhooks permission is recorded as the tab's state (and not
    raised: polling it again changes nothing until the key changes)."""
    try:
        found = await view.list_webhooks()
    except Forbidden as exc:
        if not is_current():
            raise Stale(scope.sub_account_id) from None
        await asyncio.to_thread(partition.marks.set_webhooks_problem, exc.user_message)
        bus.publish(WebhooksChanged(scope, exc.user_message))
        return 0
    if not is_current():
        raise Stale(scope.sub_account_id)
    docs = [_wire(s) for s in found]

    def store() -> None:
        with partition.database.transaction():
            partition.webhooks.replace_webhooks(docs)
            partition.marks.set_webhooks_read(partition.database.now_ms())

    await asyncio.to_thread(store)
    if not is_current():
        raise Stale(scope.sub_account_id)  # stored in its own cache; nobody shows it now
    bus.publish(WebhooksChanged(scope))
    return len(docs)


class WebhookService:
    """Subscription commands of one sub-account (through its client view)."""

    def __init__(
        self,
        partition: Partition,
        view: Any,
        bus: EventBus,
        scope: ScopeKey,
        secrets: Secrets,
        *,
        allow_loopback: bool = False,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.partition = partition
        self.view = view
        self.bus = bus
        self.scope = scope
        self.secrets = secrets
        self.allow_loopback = allow_loopback
        self.resolver = resolver

    async def refresh(self) -> list[SubscriptionRow]:
        """Read the subscriptions now; the rows (``Forbidden`` leaves them as cached)."""
        await refresh_subscriptions(self.partition, self.view, self.bus, self.scope)
        return await asyncio.to_thread(self.cached)

    def cached(self) -> list[SubscriptionRow]:
        """The cached subscriptions (blocking: call on a worker for large caches)."""
        return [subscription_row(d) for d in self.partition.webhooks.webhooks()]

    async def check_url(self, url: str) -> str | None:
        """Why ``url`` cannot be used, or None (see ``check_url``)."""
        return await check_url(url, allow_loopback=self.allow_loopback, resolver=self.resolver)

    async def _vetted(self, url: str) -> str:
        problem = await self.check_url(url)
        if problem is not None:
            raise WebhookInputError("url", problem)
        return url.strip()

    def _stored(self, doc: dict[str, Any]) -> SubscriptionRow:
        stored = self.partition.webhooks.upsert_webhook(doc)
        return subscription_row(stored)

    # -- create ------------------------------------------------------------------------------
    async def create(
        self, url: str, events: Iterable[str], description: str | None = None
    ) -> CreatedSubscription:
        """Create a subscription; its secret is in the result (shown once, never stored)."""
        target = await self._vetted(url)
        chosen = check_events(events)
        body: dict[str, Any] = {"url": target, "events": list(chosen)}
        if description and description.strip():
            body["description"] = description.strip()
        before = {s.id for s in await asyncio.to_thread(self.cached)}
        try:
            created = await self.view.create_webhook(body)
        except OutcomeUnknown:
            return await self._recover_create(target, chosen, before)
        if not created.secret:
            raise ApiError(
                "Seedly created the subscription but did not return its signing secret.",
            )
        row = await asyncio.to_thread(self._stored, _wire(created))
        self.bus.publish(WebhooksChanged(self.scope))
        return CreatedSubscription(row, created.secret)

    async def _recover_create(
        self, url: str, events: tuple[str, ...], before: set[str]
    ) -> CreatedSubscription:
        """The create's answer was lost: find what it made and give it a known secret."""
        found = await self.view.list_webhooks()
        matches = [
            s for s in found if s.id not in before and s.url == url and tuple(s.events) == events
        ]
        if not matches:
            raise OutcomeUnknown(
                "The subscription may not have been created (the answer was lost and it is "
                "not in the list). Check the list and try again."
            )
        subscription = matches[-1]
        secret = await self.regenerate(subscription.id)
        row = await asyncio.to_thread(self._stored, _wire(subscription))
        self.bus.publish(WebhooksChanged(self.scope))
        return CreatedSubscription(row, secret, recovered=True)

    # -- edit and delete ---------------------------------------------------------------------
    async def update(
        self,
        original: SubscriptionRow,
        *,
        url: str | None = None,
        events: Iterable[str] | None = None,
        description: str | None = None,
        active: bool | None = None,
    ) -> SubscriptionRow:
        """Send only what differs from ``original``; the updated row (unchanged: no call)."""
        changes: dict[str, Any] = {}
        if url is not None and url.strip() != original.url:
            changes["url"] = await self._vetted(url)
        if events is not None:
            chosen = check_events(events)
            if chosen != original.events:
                changes["events"] = list(chosen)
        if description is not None and (description.strip() or None) != original.description:
            changes["description"] = description.strip()
        if active is not None and active != original.active:
            changes["isActive"] = active
        if not changes:
            return original
        updated = await self.view.update_webhook(original.id, changes)
        row = await asyncio.to_thread(self._stored, _wire(updated))
        self.bus.publish(WebhooksChanged(self.scope))
        return row

    async def delete(self, webhook_id: str) -> None:
        """Delete a subscription (one already gone counts as deleted) and forget its secret."""
        try:
            await self.view.delete_webhook(webhook_id)
        except NotFound:
            log.info("subscription %s was already deleted", webhook_id)

        def forget() -> None:
            self.partition.webhooks.delete_webhook(webhook_id)
            self._delete_secret(webhook_id)

        await asyncio.to_thread(forget)
        self.bus.publish(WebhooksChanged(self.scope))

    # -- secrets -----------------------------------------------------------------------------
    async def regenerate(self, webhook_id: str) -> str:
        """A new signing secret (the old one stops at once). Repeated when the answer was
        lost or the server failed: the last secret made is the one in force."""
        for attempt in range(1, REGENERATE_ATTEMPTS + 1):
            try:
                return str(await self.view.regenerate_webhook_secret(webhook_id))
            except (OutcomeUnknown, ServerError, NetworkError):
                if attempt == REGENERATE_ATTEMPTS:
                    raise
                log.info("regenerating the secret of %s failed; repeating it", webhook_id)
                await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    async def keep_secret(self, webhook_id: str, secret: str) -> bool:
        """Keep ``secret`` for the test bench: in the system keyring (True), or, when there
        is none, for this session only (False)."""
        account = secret_account(self.partition, webhook_id)
        try:
            await asyncio.to_thread(self.secrets.save, account, secret)
            return True
        except KeyringUnavailable as exc:
            log.info("no keyring for the webhook secret; kept for this session: %s", exc)
            self.secrets.use_for_session(account, secret)
            return False

    async def kept_secret(self, webhook_id: str) -> str | None:
        """The secret kept for a subscription, or None (read on a worker: keyring calls block)."""
        account = secret_account(self.partition, webhook_id)
        try:
            return await asyncio.to_thread(self.secrets.get, account)
        except KeyringUnavailable:
            return self.secrets.session.get(account)

    async def forget_secret(self, webhook_id: str) -> None:
        """Remove a kept secret (keyring and session)."""
        await asyncio.to_thread(self._delete_secret, webhook_id)

    def _delete_secret(self, webhook_id: str) -> None:
        try:
            self.secrets.delete(secret_account(self.partition, webhook_id))
        except KeyringUnavailable:
            self.secrets.session.delete(secret_account(self.partition, webhook_id))


def describe_failure(exc: BaseException) -> str:
    """A sentence for a failed subscription command (the API's typed errors carry one)."""
    if isinstance(exc, WebhookInputError):
        return exc.message
    if isinstance(exc, ValidationFailed) and exc.status is not None and exc.message:
        return f"Seedly refused it: {exc.message}"
    if isinstance(exc, ApiError):
        return exc.user_message
    return f"Unexpected failure: {type(exc).__name__}."


__all__ = [
    "CreatedSubscription",
    "SubscriptionRow",
    "WebhookInputError",
    "WebhookService",
    "check_events",
    "check_url",
    "describe_failure",
    "refresh_subscriptions",
    "secret_account",
    "subscription_row",
    "system_resolver",
]
