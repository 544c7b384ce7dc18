"""Helpers of the thread pane, composer and contact panel tests: a small cache, a
workspace stand-in with a real outbox sender on a real bus, and a fake server for older
pages. (The tab's own fixtures live in ``conftest.py``; these names do not clash.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from app.services.bus import EventBus, MessagesChanged, ScopeKey, SessionChanged
from app.services.outbox import OutboxSender
from app.settings.profiles import SubAccountRef
from app.storage import Database, Partition
from tests.unit.storage.docs import contact, conversation, message

DEPLOYMENT = "https://crm.example.com"
SCOPE = ScopeKey(DEPLOYMENT, "sub_t")
OTHER_SCOPE = ScopeKey(DEPLOYMENT, "sub_u")
BASE_MS = 1_780_000_000_000  # 2026-05-28
CONV = "conv_t"
CONTACT = "contact_t"


def iso(ms: int) -> str:
    """An ISO 8601 UTC timestamp with milliseconds, as the API writes them."""
    stamp = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def thread_docs(
    conversation_id: str,
    n: int,
    *,
    start_ms: int = BASE_MS,
    step_ms: int = 60_000,
    prefix: str = "m",
) -> list[dict[str, Any]]:
    """``n`` messages a minute apart, inbound and outbound alternating, oldest first."""
    docs = []
    for i in range(n):
        outbound = i % 2 == 1
        docs.append(
            message(
                f"{prefix}_{i:05d}",
                conversation_id,
                iso(start_ms + i * step_ms),
                f"Message {i} of the thread",
                direction="outbound" if outbound else "inbound",
                status="delivered",
            )
        )
    return docs


def seed_partition(
    db: Database,
    sub: str = SCOPE.sub_account_id,
    *,
    messages: int = 12,
    channel: str = "sms",
    contact_fields: dict[str, Any] | None = None,
    conversation_fields: dict[str, Any] | None = None,
) -> Partition:
    """A partition with one conversation (``conv_t``) of ``messages`` cached messages and
    its contact (Kim Lee, a phone and an email), plus two custom field definitions."""
    part = db.partition(DEPLOYMENT, sub)
    fields = {
        "phone": "+16175550142",
        "email": "kim.lee@example.com",
        "company": "Harbor Dental",
        "tags": ["vip", "cleaning"],
        "lifecycleStage": "customer",
        "customFields": {"preferred_language": "Spanish", "budget": 1200},
        "dndChannels": [],
        **(contact_fields or {}),
    }
    part.contacts.upsert_many([contact(CONTACT, "Kim", "Lee", **fields)])
    part.custom_fields.replace_fields(
        [
            {"name": "preferred_language", "label": "Language", "type": "select"},
            {"name": "budget", "label": "Budget", "type": "number"},
        ]
    )
    conv = conversation(
        CONV,
        "Kim Lee",
        iso(BASE_MS + messages * 60_000),
        channel=channel,
        contactId=CONTACT,
        subject="Your cleaning" if channel in ("email", "gmail") else None,
        **(conversation_fields or {}),
    )
    conv["contact"].update({"id": CONTACT, "phone": fields["phone"], "email": fields["email"]})
    part.conversations.upsert_conversations([conv])
    docs = thread_docs(CONV, messages)
    for doc in docs:
        doc["channel"] = channel
    if docs:
        part.messages.upsert_messages(docs)
    return part


@dataclass
class FakeSync:
    """``SyncService.load_older`` over a list of older server messages (newest first out)."""

    partition: Partition
    bus: EventBus
    scope: ScopeKey
    older: list[dict[str, Any]] = field(default_factory=list)
    page: int = 5
    calls: int = 0
    gate: Any = None
    fail: Exception | None = None

    async def load_older(self, conversation_id: str) -> int:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        page, self.older = self.older[-self.page :], self.older[: -self.page]
        if page:
            self.partition.messages.upsert_messages(page)
            self.bus.publish(
                MessagesChanged(self.scope, conversation_id, frozenset(d["id"] for d in page))
            )
        return len(page)


class FakeSession:
    """What the pane and composer use of ``Session``: a real sender on the real outbox."""

    def __init__(self, partition: Partition, scope: ScopeKey, bus: EventBus, generation: int):
        self.partition = partition
        self.scope_key = scope
        self.generation = generation
        self.sender: Any = OutboxSender(partition.outbox, None, bus, scope)
        self.sync: Any = FakeSync(partition, bus, scope)
        self.opened: list[str | None] = []
        self.open_thread: str | None = None

    def open_conversation(self, conversation_id: str | None) -> None:
        self.open_thread = conversation_id
        self.opened.append(conversation_id)


class ThreadWorkspace:
    """The part of ``Workspace`` the thread pane, composer and panel use."""

    def __init__(self, db: Database, partition: Partition | None, scope: ScopeKey = SCOPE):
        self.db = db
        self.bus = EventBus()
        self.profile = SimpleNamespace(id="p1", name="Test", cache_key=DEPLOYMENT)
        self.session: FakeSession | None = (
            FakeSession(partition, scope, self.bus, 1) if partition is not None else None
        )
        # An agency key's sub-accounts (the "also a contact in" hint); none by default.
        self.subs: list[SubAccountRef] = []
        self.all_sub_accounts = False

    def can_merge(self) -> bool:
        return len(self.subs) > 1

    def merged_members(self) -> list[SubAccountRef]:
        return list(self.subs)

    @property
    def active(self) -> Any:
        session = self.session
        if session is None:
            return None
        return SimpleNamespace(
            profile=self.profile,
            scope=session.scope_key,
            partition=session.partition,
            generation=session.generation,
        )

    def switch(self, partition: Partition, scope: ScopeKey) -> None:
        """Another sub-account, as ``Session.switch`` does it (then ``SessionChanged``)."""
        generation = (self.session.generation if self.session else 0) + 1
        self.session = FakeSession(partition, scope, self.bus, generation)
        self.bus.publish(SessionChanged("p1", scope, generation))
