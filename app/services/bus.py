"""Change events the services publish; the UI adapts them to Qt signals.

Plain callbacks on the event loop thread: a service calls ``publish`` after
storage has committed, and every subscriber of that event type runs in order.
A failing subscriber is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass(frozen=True)
class ScopeKey:
    """Which data an event belongs to: a deployment and a sub-account."""

    deployment: str
    sub_account_id: str


@dataclass(frozen=True)
class ContactsChanged:
    scope: ScopeKey
    ids: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()
    full: bool = False  # a full (re)load: views should re-query everything


@dataclass(frozen=True)
class ConversationsChanged:
    scope: ScopeKey
    ids: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()
    full: bool = False


@dataclass(frozen=True)
class MessagesChanged:
    scope: ScopeKey
    conversation_id: str
    ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AppointmentsChanged:
    """Appointments of ``scope`` changed in the cache: re-query them.

    ``booked``, ``cancelled`` and ``moved`` name what changed on the server since the
    previous poll of that sub-account (new bookings, cancellations, new start or end),
    and what the user's own booking, rescheduling or cancelling did; the first poll of
    a sub-account reports nothing (there is nothing to compare with). ``own`` marks the
    user's own actions (no notification needed). ``calendars``: the calendars or their
    appointment types were read again and differ from the cached ones."""

    scope: ScopeKey
    full: bool = True
    booked: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    own: bool = False
    calendars: bool = False


@dataclass(frozen=True)
class OutboxChanged:
    scope: ScopeKey
    client_id: str
    conversation_id: str
    state: str
    reason: str | None = None


@dataclass(frozen=True)
class SyncStatus:
    """What the sync indicator and status bar show."""

    scope: ScopeKey | None
    state: str  # idle | syncing | error | offline | paused
    last_success_ms: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class BudgetChanged:
    bucket: str
    remaining: int | None
    limit: int | None


@dataclass(frozen=True)
class KeyProblem:
    """The active key was revoked or expired: polling stopped; queued work kept."""

    profile_id: str
    code: str
    message: str


@dataclass(frozen=True)
class SessionChanged:
    profile_id: str | None
    scope: ScopeKey | None
    generation: int


@dataclass(frozen=True)
class SubAccountsChanged:
    """The agency key's sub-account list was (re)read: ``sub_accounts`` is (id, name) pairs."""

    profile_id: str
    sub_accounts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class WebhooksChanged:
    """The cached webhook subscriptions of ``scope`` were re-read or changed; ``problem``
    says why they could not be read (a key without the webhooks permission), else None."""

    scope: ScopeKey
    problem: str | None = None


@dataclass(frozen=True)
class WebhookDeliveryReceived:
    """The local webhook receiver recorded a delivery for ``scope`` (row ``seq`` of its
    history); ``check`` is how its signature check ended (``Check`` value)."""

    scope: ScopeKey
    seq: int
    check: str


@dataclass(frozen=True)
class WebhookBenchChanged:
    """Something of the Webhooks tab's own work changed: ``what`` is "test" (a test
    delivery was recorded), "workflow" (a workflow run or the kept list), "secret" (a
    signing secret was kept, forgotten or replaced) or "receiver" (the local receiver
    started or stopped; ``scope`` is None then)."""

    scope: ScopeKey | None
    what: str


@dataclass(frozen=True)
class UnreadCounts:
    """Unread messages per sub-account of ``profile_id``, read from each one's cache: the
    open sub-account and every included one, as (sub-account id, count) pairs in the
    picker's order. ``notify`` names those whose new messages raise notifications (not
    "observe only"); the open one is always among them."""

    profile_id: str
    counts: tuple[tuple[str, int], ...]
    notify: frozenset[str] = frozenset()

    def count(self, sub_account_id: str) -> int:
        """The unread count of one sub-account (0 when it is not listed)."""
        return next((n for sub, n in self.counts if sub == sub_account_id), 0)

    @property
    def alerting_total(self) -> int:
        """Unread messages over the sub-accounts that notify (the tray badge)."""
        return sum(n for sub, n in self.counts if sub in self.notify)


@dataclass(frozen=True)
class InboundArrived:
    """A background poll of ``scope`` (not the open sub-account) brought new inbound
    messages: ``conversations`` are the cached documents of the conversations whose newest
    message is one, newest first. ``notify`` is False for an "observe only" sub-account."""

    scope: ScopeKey
    sub_account_name: str
    conversations: tuple[dict[str, Any], ...]
    notify: bool = True


@dataclass(frozen=True)
class PollBudgetChanged:
    """How polling spends the agency key's read budget (the status bar).

    ``open_per_minute``: reads a minute the open sub-account's plan makes;
    ``background_per_minute``: what the round over the ``background`` other included
    sub-accounts makes, each polled every ``cycle_seconds``; ``limit``: the key's reads
    a minute (None while unknown); ``waiting_seconds``: polling of the others waits this
    long after a 429 (None when it does not)."""

    profile_id: str
    limit: int | None
    open_per_minute: float
    background_per_minute: float
    background: int
    cycle_seconds: float | None
    waiting_seconds: float | None = None


class EventBus:
    """Type-keyed publish/subscribe."""

    def __init__(self) -> None:
        self._subscribers: dict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)
        self.published: int = 0

    def subscribe(self, event_type: type[E], callback: Callable[[E], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for each event of that type; returns an unsubscribe function."""
        self._subscribers[event_type].append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers[event_type]:
                self._subscribers[event_type].remove(callback)

        return unsubscribe

    def publish(self, event: object) -> None:
        self.published += 1
        for callback in list(self._subscribers.get(type(event), ())):
            try:
                callback(event)
            except Exception:
                log.exception("subscriber %r failed on %s", callback, type(event).__name__)


@dataclass
class Recorder:
    """Collects published events (tests and diagnostics)."""

    events: list[object] = field(default_factory=list)

    def attach(self, bus: EventBus, *types: type[Any]) -> Recorder:
        for event_type in types:
            bus.subscribe(event_type, self.events.append)
        return self

    def of(self, event_type: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, event_type)]


# -- Seamless: credits, research queue, lead push ----------------------------------------------


@dataclass(frozen=True)
class CreditsChanged:
    """The Seamless credit meter changed (a new balance, a spend, the budget or the rules).

    ``balance`` is the latest ``X-PublicAPI-Credits`` (None before the first answer);
    ``committed`` the estimates of confirmed research not settled yet."""

    account_key_id: str
    balance: int | None
    spent_today: int
    spent_session: int
    committed: int
    daily_budget: int | None


@dataclass(frozen=True)
class ResearchJobChanged:
    """A research job moved (queued, sent, polled, finished, failed or unknown).

    ``eta_seconds`` is None when the job is finished or waits for the user."""

    account_key_id: str
    job_id: int
    kind: str
    state: str
    total: int
    finished: int
    found: int
    failed: int
    eta_seconds: float | None
    message: str | None = None


@dataclass(frozen=True)
class ResearchResultsArrived:
    """Research results were stored in the ledger (free to reopen): the ids are the search
    result ids (or other ledger keys) whose record arrived."""

    account_key_id: str
    kind: str
    ids: frozenset[str]


@dataclass(frozen=True)
class LeadPushProgress:
    """Adding researched contacts to a Seedly sub-account: ``done`` of ``total`` handled."""

    scope: ScopeKey
    done: int
    total: int
