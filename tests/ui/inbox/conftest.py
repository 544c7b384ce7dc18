"""Fixtures of the Inbox tests: small caches of two sub-accounts, a fake API client and
workspace, and stand-ins for the thread pane and contact panel (built by another
engineer; the tab hosts whatever it is given)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from collections.abc import Iterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from weakref import WeakKeyDictionary
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.services.workspace import Workspace
from app.core.errors import NotFound
from app.core.models import Conversation, parse
from app.services.bus import EventBus, ScopeKey, SessionChanged
from app.services.preferences import Preferences as WorkspacePreferences
from app.settings.profiles import ProfileStore, SubAccountRef
from app.services.ports.inbox import InboxReader
from app.storage import Database, Partition
from app.ui.inbox.list_model import ConversationListModel
from tests.unit.storage.docs import conversation, message

DEPLOYMENT = "https://crm.example.com"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
SCOPE_A = ScopeKey(DEPLOYMENT, "sub_a")
SCOPE_B = ScopeKey(DEPLOYMENT, "sub_b")

NAMES = ["Ana Lima", "Ben Otto", "Cy Pratt", "Di Moss", "Eve Stone", "Fay Wong", "Gus Hale"]
CHANNELS = ["sms", "email", "messenger", "instagram", "gmail", "live_chat", "social_dm"]
STATUSES = ["open", "open", "closed", "snoozed"]
USERS = [None, "usr_ana_ortiz", "usr_ben_carter"]


def iso(day: int, hour: int, minute: int = 0) -> str:
    return f"2026-06-{day:02d}T{hour:02d}:{minute:02d}:00.000Z"


def fixture_conversations(prefix: str, n: int) -> list[dict[str, Any]]:
    """``n`` varied conversations, newest first by index (the list order)."""
    docs = []
    for i in range(n):
        last = (NOW - timedelta(minutes=1 + i * 97)).strftime("%Y-%m-%dT%H:%M:00.000Z")
        channel = CHANNELS[i % len(CHANNELS)]
        docs.append(
            conversation(
                f"{prefix}_conv_{i:03d}",
                NAMES[i % len(NAMES)],
                last,
                channel=channel,
                status=STATUSES[i % len(STATUSES)],
                assignedTo=USERS[i % len(USERS)],
                unreadCount=[0, 2, 0, 0, 1][i % 5],
                subject="Your estimate" if channel in ("email", "gmail") else None,
                lastMessagePreview=None if i % 6 == 5 else f"Message number {i} from {prefix}",
                lastMessageDirection="inbound" if i % 2 == 0 else "outbound",
            )
        )
    for k, doc in enumerate(docs):
        doc["contact"]["phone"] = f"+1617555{k:04d}"
    return docs


_READERS: WeakKeyDictionary[Partition, InboxReader] = WeakKeyDictionary()


def reader_of(part: Partition) -> InboxReader:
    """The one reader of ``part`` (the model tells sub-accounts apart by reader identity)."""
    reader = _READERS.get(part)
    if reader is None:
        reader = _READERS[part] = InboxReader(part)
    return reader


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "inbox.db")
    yield database
    database.close()


@pytest.fixture
def part_a(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_a")
    part.conversations.upsert_conversations(fixture_conversations("a", 40))
    # Conversation 5 has no preview: the newest cached message stands in.
    part.messages.upsert_messages(
        [message("a_msg_5", "a_conv_005", "2026-06-14T08:00:00.000Z", "Cached text of five")]
    )
    return part


@pytest.fixture
def part_b(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_b")
    part.conversations.upsert_conversations(fixture_conversations("b", 12))
    return part


@pytest.fixture
def model(qapp: Any) -> Iterator[ConversationListModel]:
    m = ConversationListModel(page_size=10, coalesce_ms=5, now=lambda: NOW)
    yield m
    m.set_reader(None)
    m.close()  # before the cache closes: no background read may outlive it


@pytest.fixture
def checked(model: ConversationListModel) -> Iterator[ConversationListModel]:
    """The model under ``QAbstractItemModelTester`` (Fatal: any violation aborts)."""
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    yield model
    del tester


def load_all(model: ConversationListModel) -> None:
    root = QModelIndex()
    while model.canFetchMore(root):
        model.fetchMore(root)


def ids(model: ConversationListModel) -> list[str]:
    return model.loaded_ids()


# -- the tab's collaborators ------------------------------------------------------------------


class StandInThreadPane(QWidget):
    """What the tab needs of ``app.ui.inbox.thread.ThreadPane`` (tests only)."""

    contactLinkActivated = Signal(str)

    def __init__(self, workspace: Any, bridge: Any, tasks: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.shown: list[str | None] = []
        self.composer_focused = 0
        layout = QVBoxLayout(self)
        self.label = QLabel("Thread", self)
        layout.addWidget(self.label)

    def set_conversation(self, conversation_id: str | None) -> None:
        self.shown.append(conversation_id)
        self.label.setText(conversation_id or "No conversation")

    def focus_composer(self) -> None:
        self.composer_focused += 1


class StandInContactPanel(QWidget):
    """What the tab needs of ``app.ui.inbox.contact_panel.ContactSidePanel`` (tests only)."""

    def __init__(self, workspace: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.shown: list[str | None] = []

    def set_conversation(self, conversation_id: str | None) -> None:
        self.shown.append(conversation_id)


class FakeClient:
    """``update_conversation``/``create_conversation`` over an in-memory server."""

    def __init__(self, part: Partition) -> None:
        self.server = {d["id"]: dict(d) for d in part.conversations.list_conversations(limit=999)}
        self.fail: dict[str, Exception] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gate: asyncio.Event | None = None

    async def update_conversation(self, conversation_id: str, **changes: Any) -> Conversation:
        self.calls.append((conversation_id, changes))
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(0)
        if conversation_id in self.fail:
            raise self.fail[conversation_id]
        doc = self.server.get(conversation_id)
        if doc is None:
            raise NotFound("Conversation not found", status=404)
        if "status" in changes:
            doc["status"] = changes["status"]
        if "assigned_to" in changes:
            doc["assignedTo"] = changes["assigned_to"]
        return parse(Conversation, doc)

    async def create_conversation(
        self, contact_id: str, channel: str, subject: str | None = None
    ) -> Conversation:
        self.calls.append((contact_id, {"create": channel}))
        for doc in self.server.values():
            if (doc["contactId"], doc["channel"], doc["status"]) == (contact_id, channel, "open"):
                return parse(Conversation, {**doc, "created": False})
        doc = conversation(f"new_{len(self.server)}", "New Person", iso(15, 12), channel=channel)
        doc["contactId"] = contact_id
        self.server[doc["id"]] = doc
        return parse(Conversation, {**doc, "created": True})


class FakeSession:
    def __init__(self, part: Partition, scope: ScopeKey, client: FakeClient) -> None:
        self.partition = part
        self.scope_key = scope
        self.view = client
        self.generation = 1
        self.open_thread: str | None = None
        self.opened: list[str | None] = []

    def open_conversation(self, conversation_id: str | None) -> None:
        self.open_thread = conversation_id
        self.opened.append(conversation_id)


class FakeWorkspace:
    """The part of ``Workspace`` the Inbox tab uses, over a real cache and a fake client."""

    def __init__(self, db: Database, bus: EventBus, part: Partition | None, scope: ScopeKey):
        self.db = db
        self.bus = bus
        self.persist = False
        self.visible: list[tuple[str, bool]] = []
        # Beside the test's cache (written only if a test makes the workspace persist).
        self.profiles = ProfileStore(Path(db.path).parent / "profiles.json")
        self.preferences = WorkspacePreferences(self.profiles, lambda: self.persist)
        self.profile = SimpleNamespace(id="p1", name="Test", cache_key=DEPLOYMENT)
        self.client = FakeClient(part) if part is not None else None
        self.session = FakeSession(part, scope, self.client) if part is not None else None
        # The agency view: off until a test lists sub-accounts (``make_agency``).
        self.all_sub_accounts = False
        self.subs: list[SubAccountRef] = []
        self.parts: dict[str, Partition] = {}
        self.switches: list[str] = []
        self.before_owner_switch: Callable[[], Awaitable[bool]] | None = None

    def make_agency(self, parts: dict[str, tuple[str, Partition]]) -> None:
        """An agency key reaching these sub-accounts (id → name and cache)."""
        self.subs = [SubAccountRef(id=sub, name=name) for sub, (name, _p) in parts.items()]
        self.parts = {sub: part for sub, (_n, part) in parts.items()}

    def can_merge(self) -> bool:
        return len(self.subs) > 1

    def merged_members(self) -> list[SubAccountRef]:
        return list(self.subs)

    # The real rule of opening a record's sub-account, over this fake's switch.
    open_owner = Workspace.open_owner

    async def switch_sub_account(self, sub_account_id: str) -> Any:
        """As ``Workspace.switch_sub_account``: the session moves, then the event."""
        await asyncio.sleep(0)
        self.switches.append(sub_account_id)
        scope = ScopeKey(DEPLOYMENT, sub_account_id)
        generation = (self.session.generation if self.session else 0) + 1
        self.switch_to(self.parts[sub_account_id], scope)
        assert self.session is not None
        self.session.generation = generation
        self.bus.publish(SessionChanged("p1", scope, generation))
        return self.active

    @property
    def active(self) -> Any:
        if self.session is None:
            return None
        return SimpleNamespace(
            profile=self.profile,
            scope=self.session.scope_key,
            partition=self.session.partition,
            generation=self.session.generation,
        )

    def switch_to(self, part: Partition, scope: ScopeKey) -> None:
        self.client = FakeClient(part)
        self.session = FakeSession(part, scope, self.client)

    def set_visible(self, area: str, visible: bool) -> None:
        self.visible.append((area, visible))
