"""InboxPort and InboxReader over a real Workspace, Session and SQLite cache (the API
client is a stand-in that is never called)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.services.bus import ScopeKey
from app.services.conversations import SNOOZE_STATE_KEY, UNREAD_STATE_KEY, ConversationService
from app.services.ports.inbox import (
    ConversationFilters,
    ConversationView,
    InboxPort,
    InboxReader,
    StorageError,
    created_ms,
    inbox_view,
)
from app.services.session import Session
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore
from app.settings.secrets import Secrets, SessionSecrets
from app.storage import Database, Partition
from tests.unit.storage.docs import contact, conversation, message

DEPLOYMENT = "https://crm.example.com"
SUB = "sub_a"
OTHER = "sub_b"


class UnusedClient:
    """What ``Session`` needs of a client to switch; no request is ever made."""

    is_agency = False
    transport = SimpleNamespace(on_budget=lambda _callback: None)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the client was called ({name})")


def _seed(part: Partition) -> None:
    docs = [
        conversation("c1", "Ana Lima", "2026-06-15T12:00:00.000Z", unreadCount=2, channel="sms"),
        conversation("c2", "Ben Otto", "2026-06-15T11:00:00.000Z", unreadCount=0),
        conversation("c3", "Cy Pratt", "2026-06-15T10:00:00.000Z", unreadCount=1, status="closed"),
    ]
    docs[0]["contactId"] = "k1"
    part.conversations.upsert_conversations(docs)
    part.contacts.upsert_many([contact("k1", "Ana", "Lima", email="ana@example.com")])
    part.messages.upsert_messages(
        [
            message("m1", "c1", "2026-06-15T11:58:00.000Z", "Hello", direction="inbound"),
            message("m2", "c1", "2026-06-15T11:59:00.000Z", "Hi Ana", direction="outbound"),
        ]
    )
    for doc in ("m1", "m2"):
        stored = part.messages.message_by_id(doc)
        assert stored is not None and stored["channel"] == "sms"
    part.custom_fields.replace_fields(
        [
            {"name": "budget", "label": "Budget", "type": "number"},
            {"name": "odd", "options": 5},  # unreadable: options must be a list
        ]
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    paths = AppPaths.under(tmp_path).ensure()
    db = Database.open(tmp_path / "cache.db")
    _seed(db.partition(DEPLOYMENT, SUB))
    store = ProfileStore(tmp_path / "profiles.json")
    space = Workspace(paths, db, store, Secrets(persistent=SessionSecrets()), persist=False)
    yield space
    db.close()


def _activate(space: Workspace, sub: str = SUB) -> Session:
    session = space.session
    if session is None:
        session = Session(
            space.db, space.bus, UnusedClient(), profile_id="p1", deployment=DEPLOYMENT
        )
        space.session = session
        space.profile = Profile(id="p1", name="Test", deployment_url=DEPLOYMENT, sub_account_id=sub)
    asyncio.run(session.switch(sub, start=False))
    return session


def test_no_connection_no_reader_no_commands(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    assert port.scope() is None and port.generation() is None and port.reader() is None
    assert port.conversation_service() is None and port.sender() is None
    assert port.older_loader() is None and port.polled_conversation() is None
    assert port.my_user_id(None) is None
    port.open_conversation("c1")  # nothing to poll: no error


def test_the_reader_is_bound_to_the_active_sub_account(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    _activate(workspace)
    reader = port.reader()
    assert reader is not None and reader is port.reader()  # one object while active
    assert reader.scope == ScopeKey(DEPLOYMENT, SUB) == port.scope()
    assert port.reader_for(ScopeKey(DEPLOYMENT, SUB)) is reader
    assert reader.covers(ScopeKey(DEPLOYMENT + "/", SUB))  # URLs compared normalised
    assert not reader.covers(ScopeKey(DEPLOYMENT, OTHER)) and not reader.covers(None)
    before = port.generation()
    _activate(workspace, OTHER)
    other = port.reader()
    assert other is not None and other is not reader and other != reader
    assert other.sub_account_id == OTHER and port.generation() == (before or 0) + 1
    assert other.count() == 0 and reader.count() == 3  # rows of two sub-accounts never mix
    fresh = port.reader_for(ScopeKey(DEPLOYMENT, SUB))
    assert fresh == reader and fresh is not None and fresh.count() == 3


def test_reader_queries(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    _activate(workspace)
    reader = port.reader()
    assert reader is not None
    everything = reader.conversations(filters=ConversationFilters())
    assert [d["id"] for d in everything] == ["c1", "c2", "c3"]
    open_only = ConversationFilters(status="open")
    assert reader.count(ConversationView.all(), open_only) == 2
    docs, total = reader.first_page(ConversationView.unread(), ConversationFilters(), None, 1)
    assert [d["id"] for d in docs] == ["c1"] and total == 2  # counted: more than a page
    docs, total = reader.first_page(ConversationView.all(), ConversationFilters(), "Otto", 10)
    assert [d["id"] for d in docs] == ["c2"] and total == 1
    assert reader.conversation("c2") is not None and reader.conversation("nope") is None
    assert reader.unread_total() == 3
    assert reader.newest_activity_ms() == created_ms("2026-06-15T12:00:00.000Z")
    assert [m["id"] for m in reader.messages_page("c1", None, 10)] == ["m2", "m1"]
    assert (reader.latest_message("c1") or {}).get("id") == "m2"
    assert (reader.message("m1") or {}).get("bodyText") == "Hello"
    assert reader.last_inbound_ms("c1", "sms") == created_ms("2026-06-15T11:58:00.000Z")
    assert reader.last_inbound_ms("c1", "email") is None
    assert (reader.contact("k1") or {}).get("email") == "ana@example.com"
    assert [c["id"] for c in reader.search_contacts("ana")] == ["k1"]
    assert [f.name for f in reader.custom_fields()] == ["budget"]  # the unreadable one skipped


def test_drafts_and_marks_of_the_sub_account(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    session = _activate(workspace)
    reader = port.reader()
    assert reader is not None and session.partition is not None
    assert reader.draft("c1") is None and reader.conversations_with_drafts() == frozenset()
    reader.save_draft("c1", {"bodyText": "half"})
    assert reader.draft("c1") == {"bodyText": "half"}
    assert reader.conversations_with_drafts() == {"c1"}
    assert reader.clear_draft("c1") and not reader.clear_draft("c1")
    assert not reader.conversations_synced()
    session.partition.state.set_state("conversations_full_ms", 1)
    assert reader.conversations_synced()
    session.partition.state.set_state(SNOOZE_STATE_KEY, {"c2": 5, "bad": "x"})
    session.partition.state.set_state(UNREAD_STATE_KEY, {"c3": {"at": None, "was": 0}})
    assert reader.snoozes() == {"c2": 5} and reader.marked_unread() == {"c3"}


def test_commands_belong_to_the_active_session(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    session = _activate(workspace)
    reader = port.reader()
    service = port.conversation_service()
    assert isinstance(service, ConversationService) and service.scope == port.scope()
    assert service.mark_read("c1") and reader is not None
    assert (reader.conversation("c1") or {}).get("unreadCount") == 0
    sender = port.sender(reader)
    assert sender is not None and sender is session.sender is port.sender()
    item = sender.compose("c1", {"type": "SMS", "channel": "sms", "bodyText": "On my way"})
    assert [i.client_id for i in reader.outbox_items("c1")] == [item.client_id]
    _activate(workspace, OTHER)
    assert port.sender(reader) is None  # a message is never sent from a sub-account left
    assert port.sender(port.reader()) is session.sender


def test_an_older_page_loader_goes_quiet_after_a_switch(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    _activate(workspace)
    load_older = port.older_loader()
    assert load_older is not None
    _activate(workspace, OTHER)
    assert asyncio.run(load_older("c1")) == 0  # the client is never asked


def test_polling_the_open_conversation(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    _activate(workspace)
    port.open_conversation("c1")
    assert port.polled_conversation() == "c1"
    port.open_conversation(None)
    assert port.polled_conversation() is None


def test_identity_per_sub_account_saved_only_when_persisting(
    workspace: Workspace, tmp_path: Path
) -> None:
    port = InboxPort(workspace)
    _activate(workspace)
    reader = port.reader()
    port.set_my_user_id(reader, "usr_ana")
    assert port.my_user_id(reader) == "usr_ana"
    assert not (tmp_path / "profiles.json").exists()  # the demo does not persist
    other = port.reader_for(ScopeKey(DEPLOYMENT, OTHER))
    assert port.my_user_id(other) is None
    workspace.persist = True
    port.set_my_user_id(reader, None)
    assert port.my_user_id(reader) is None
    saved = json.loads((tmp_path / "profiles.json").read_text())
    assert saved["preferences"]["my_team_member_ids"] == {}
    port.set_my_user_id(reader, "usr_ben")
    saved = json.loads((tmp_path / "profiles.json").read_text())
    assert saved["preferences"]["my_team_member_ids"] == {f"{DEPLOYMENT}|{SUB}": "usr_ben"}


def test_muted_channels_are_saved_once_per_change(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = InboxPort(workspace)
    saves: list[bool] = []
    real_save = workspace.profiles.save
    monkeypatch.setattr(workspace.profiles, "save", lambda: (saves.append(True), real_save()))
    assert port.set_muted("sms", True) == {"sms"}
    assert saves == []  # not persisting
    workspace.persist = True
    assert port.set_muted("email", True) == {"sms", "email"}
    assert port.set_muted("email", True) is None  # nothing changed: not saved again
    assert saves == [True] and port.muted_channels() == {"sms", "email"}
    saved = json.loads((tmp_path / "profiles.json").read_text())
    assert saved["preferences"]["muted_channels"] == ["sms", "email"]
    with pytest.raises(ValueError):
        port.set_muted("carrier_pigeon", True)


def test_a_broken_cache_raises_a_storage_error(workspace: Workspace) -> None:
    port = InboxPort(workspace)
    _activate(workspace)
    reader = port.reader()
    assert reader is not None
    workspace.db.close()
    with pytest.raises(StorageError):
        reader.conversations()
    with pytest.raises(StorageError):
        reader.save_draft("c1", {"bodyText": "x"})


def test_a_reader_over_a_partition_alone(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "alone.db")
    try:
        part = db.partition(DEPLOYMENT + "/", SUB)
        reader = InboxReader(part)
        assert reader.deployment == part.deployment and reader.scope.sub_account_id == SUB
        assert reader == InboxReader(db.partition(DEPLOYMENT, SUB))
        assert reader.newest_activity_ms() is None and reader.unread_total() == 0
    finally:
        db.close()


def test_views_by_name() -> None:
    assert inbox_view("mine", "usr_ana") == ConversationView.mine("usr_ana")
    assert inbox_view("mine", None) == ConversationView.all()  # Mine needs who the user is
    assert inbox_view("unassigned") == ConversationView.unassigned()
    assert inbox_view("unread", "usr_ana") == ConversationView.unread()
    assert inbox_view("all") == inbox_view("bogus") == ConversationView.all()
