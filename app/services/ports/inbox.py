"""The Inbox area's port: everything the Inbox tab reads, writes and remembers.

The tab and its panes (list, thread, composer, contact panel, notifier) reach
the services through one ``InboxPort`` built from the ``Workspace``:

- the active scope (``scope``, ``generation``) and an ``InboxReader`` bound to
  one sub-account (``reader()``, ``reader_for(scope)``) whose queries are safe on
  worker threads and raise only ``StorageError`` subclasses; it also keeps the
  composer's drafts of that sub-account;
- commands: a ``ConversationService`` (close, reopen, snooze, assign, read
  marks), the outbox sender (send, retry, cancel) and the open thread's polling
  and older pages;
- identity (which team member the user is, for the Mine view) and the muted
  notification channels, both saved in the settings file (only when the
  workspace persists).

Types the UI needs from below are re-exported here, so the tab package imports
only ``app.services`` and ``app.core``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.core.constants import CHANNELS
from app.core.models import CustomFieldDefinition
from app.services.agency_inbox import (
    ANY_MEMBER,
    AgencyInboxReader,
    Member,
    MergedRow,
    also_contact_in,
    chip_colour,
    merged_key,
    split_key,
)
from app.services.ports.reader import OwnerSwitch, SubAccountReader
from app.services.bus import EventBus, ScopeKey
from app.services.conversations import ConversationBulkReport, ConversationService
from app.services.outbox import OutboxSender
from app.settings.profiles import Preferences, SettingsFile
from app.storage import (
    ConversationFilters,
    ConversationView,
    IllegalTransitionError,
    InboxMap,
    OutboxItem,
    OutboxItemNotFoundError,
    OutboxState,
    Partition,
    StorageError,
    SyncKind,
)

if TYPE_CHECKING:
    from app.services.workspace import Workspace

log = logging.getLogger(__name__)

WINDOW_SCAN_LIMIT = 2000
"""Cached messages looked through for the newest inbound one (Meta's 24-hour window)."""


OlderLoader = Callable[[str], Awaitable[int]]
"""Reads the next older page of a thread from the server; the number of messages added."""


def created_ms(value: object) -> int:
    """Epoch ms of a wire timestamp, 0 when missing or unreadable (as storage sorts it)."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return 0
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    return 0


def inbox_view(kind: str, me: str | None = None) -> ConversationView:
    """The view named ``kind`` (all, mine, unassigned, unread); Mine needs ``me``, the
    user's team member id: without it, and for an unknown name, All."""
    if kind == "mine":
        return ConversationView.mine(me) if me else ConversationView.all()
    if kind == "unassigned":
        return ConversationView.unassigned()
    if kind == "unread":
        return ConversationView.unread()
    return ConversationView.all()


class InboxReader(SubAccountReader):
    """One sub-account's inbox cache: queries (safe on any thread, each thread reads on
    its own connection) and the composer's drafts. Bound to one partition for its life:
    a sub-account switch gives the UI another reader, so rows of two sub-accounts
    cannot mix. Every failure is a ``StorageError``."""

    def __init__(self, partition: Partition) -> None:
        """Read ``partition`` (made by the port; tests build one over a cache directly)."""
        super().__init__(partition)
        self.scope = ScopeKey(partition.deployment, partition.sub_account_id)
        """The deployment (normalised) and sub-account read."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InboxReader) and other._partition == self._partition

    def __hash__(self) -> int:
        return hash(self._partition)

    def __repr__(self) -> str:
        return f"InboxReader({self._partition!r})"

    # -- conversations --------------------------------------------------------------------
    def conversations(
        self,
        view: ConversationView | None = None,
        filters: ConversationFilters | None = None,
        text: str | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """A page of conversations (wire documents) of a view, filters and search, in list
        order."""
        return self._partition.conversations.list_conversations(
            view or ConversationView.all(), filters, text, limit=limit, offset=offset
        )

    def count(
        self,
        view: ConversationView | None = None,
        filters: ConversationFilters | None = None,
        text: str | None = None,
    ) -> int:
        """How many conversations a view, filters and search match."""
        return self._partition.conversations.count_conversations(
            view or ConversationView.all(), filters, text
        )

    def first_page(
        self,
        view: ConversationView,
        filters: ConversationFilters,
        text: str | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """The first ``limit`` conversations and the total count, in one step (no count
        query when the whole result fits in the page)."""
        docs = self.conversations(view, filters, text, limit=limit)
        if len(docs) < limit:
            return docs, len(docs)
        return docs, self.count(view, filters, text)

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """One conversation's wire document, or None when not cached."""
        return self._partition.conversations.get_conversation(conversation_id)

    def unread_total(self) -> int:
        """Unread messages over the sub-account's conversations (the tray badge)."""
        return self._partition.conversations.unread_total()

    def newest_activity_ms(self) -> int | None:
        """The newest ``lastMessageAt`` of any conversation (archived ones too), epoch ms;
        None when there is no conversation."""
        newest = self.conversations(filters=ConversationFilters(include_archived=True), limit=1)
        if not newest:
            return None
        return created_ms(newest[0].get("lastMessageAt"))

    # -- messages -------------------------------------------------------------------------
    def messages_page(
        self, conversation_id: str, before: tuple[int, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` cached messages older than ``before`` (created ms, id), newest
        first."""
        return self._partition.messages.messages_page(conversation_id, before, limit)

    def latest_message(self, conversation_id: str) -> dict[str, Any] | None:
        """The newest cached message of a conversation, or None."""
        return self._partition.messages.latest_message(conversation_id)

    def message(self, message_id: str) -> dict[str, Any] | None:
        """One cached message, or None."""
        return self._partition.messages.message_by_id(message_id)

    def last_inbound_ms(
        self, conversation_id: str, channel: str, limit: int = WINDOW_SCAN_LIMIT
    ) -> int | None:
        """Creation time of the newest cached inbound message on ``channel``, or None (looks
        through the newest ``limit`` cached messages)."""
        before: tuple[int, str] | None = None
        seen = 0
        while seen < limit:
            page = self.messages_page(conversation_id, before, 200)
            for doc in page:
                if doc.get("direction") == "inbound" and doc.get("channel") == channel:
                    return created_ms(doc.get("createdAt"))
            if len(page) < 200:
                return None
            seen += len(page)
            last = page[-1]
            before = (created_ms(last.get("createdAt")), str(last.get("id")))
        return None

    def outbox_items(self, conversation_id: str) -> list[OutboxItem]:
        """Every outbox item of a conversation, whatever its state, oldest first."""
        return self._partition.outbox.items_for(conversation_id)

    def conversations_with_failed_sends(self) -> frozenset[str]:
        """Ids of the conversations with a message that failed to send."""
        return frozenset(self._partition.outbox.conversations_with_failed())

    # -- contacts -------------------------------------------------------------------------
    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """One cached contact's wire document, or None."""
        return self._partition.contacts.get(contact_id)

    def search_contacts(self, text: str | None, limit: int = 30) -> list[dict[str, Any]]:
        """Contacts matching ``text`` (name, email, phone; None: the first ones)."""
        return self._partition.contacts.search(text or None, limit=limit)

    def custom_fields(self) -> list[CustomFieldDefinition]:
        """The sub-account's custom field definitions (unreadable ones are left out)."""
        definitions: list[CustomFieldDefinition] = []
        for doc in self._partition.custom_fields.fields():
            try:
                definitions.append(CustomFieldDefinition.model_validate(doc))
            except ValueError:
                log.warning("skipping an unreadable custom field definition: %r", doc)
        return definitions

    # -- drafts ---------------------------------------------------------------------------
    def draft(self, conversation_id: str) -> dict[str, Any] | None:
        """The composer's saved draft of a conversation, or None."""
        return self._partition.drafts.draft(conversation_id)

    def save_draft(self, conversation_id: str, data: dict[str, Any]) -> None:
        """Keep the composer's draft of a conversation."""
        self._partition.drafts.save_draft(conversation_id, data)

    def clear_draft(self, conversation_id: str) -> bool:
        """Forget a conversation's draft; False when there was none."""
        return self._partition.drafts.clear_draft(conversation_id)

    def conversations_with_drafts(self) -> frozenset[str]:
        """Ids of the conversations with a saved draft."""
        return frozenset(self._partition.drafts.conversations_with_drafts())

    # -- sync marks -----------------------------------------------------------------------
    def conversations_synced(self) -> bool:
        """Whether a complete walk of the conversations ever finished (else the first sync
        is still bringing the history in)."""
        return self._partition.marks.full_sync_ms(SyncKind.CONVERSATIONS) is not None

    def snoozes(self) -> dict[str, int]:
        """Snooze wake-up times (conversation id → epoch ms)."""
        return self._partition.marks.snoozes()

    def marked_unread(self) -> frozenset[str]:
        """Conversations the user marked unread on this computer."""
        return frozenset(self._partition.marks.inbox_map(InboxMap.MARKED_UNREAD))


class InboxPort:
    """The Inbox tab's way into the services (see the module docstring)."""

    def __init__(self, workspace: Workspace) -> None:
        """Serve the Inbox from ``workspace`` (its active session, cache and settings)."""
        self._workspace = workspace
        self._reader: InboxReader | None = None
        self._merged: tuple[Any, AgencyInboxReader] | None = None

    @property
    def bus(self) -> EventBus:
        """The services' event bus (panes that listen on their own)."""
        return self._workspace.bus

    # -- scope ----------------------------------------------------------------------------
    def scope(self) -> ScopeKey | None:
        """The active sub-account, or None before a connection is open."""
        active = self._workspace.active
        return active.scope if active is not None else None

    def generation(self) -> int | None:
        """The active session's generation (it changes with every switch), or None."""
        active = self._workspace.active
        return active.generation if active is not None else None

    def reader(self) -> InboxReader | None:
        """The active sub-account's reader (the same object while it stays active)."""
        active = self._workspace.active
        if active is None:
            return None
        return self._reader_of(active.partition)

    def reader_for(self, scope: ScopeKey | None) -> InboxReader | None:
        """The reader of ``scope`` (a switch announced before it is active), else None."""
        if scope is None:
            return None
        active = self._workspace.active
        if active is not None and active.scope == scope:
            return self._reader_of(active.partition)
        return self._reader_of(self._workspace.db.partition(scope.deployment, scope.sub_account_id))

    def _reader_of(self, partition: Partition) -> InboxReader:
        reader = self._reader
        if reader is None or reader._partition is not partition:
            reader = self._reader = InboxReader(partition)
        return reader

    # -- the agency view (All sub-accounts) --------------------------------------------------
    def all_mode(self) -> bool:
        """Whether the window shows every member sub-account at once (agency keys only)."""
        return self._workspace.all_sub_accounts and self._workspace.can_merge()

    def merged_reader(self) -> AgencyInboxReader | None:
        """The merged reader of the members chosen now (the same object while neither they,
        their names nor the user's identities change); None outside All mode."""
        if not self.all_mode():
            return None
        profile = self._workspace.profile
        assert profile is not None  # all_mode() says a profile is open
        refs = self._workspace.merged_members()
        prefs = self._preferences().my_team_member_ids
        identities: dict[str, str] = {}
        members: list[tuple[Member, Partition]] = []
        for ref in refs:
            partition = self._workspace.db.partition(profile.cache_key, ref.id)
            scope = ScopeKey(partition.deployment, ref.id)
            members.append((Member(scope, ref.name, chip_colour(ref.id)), partition))
            me = prefs.get(f"{partition.deployment}|{ref.id}")
            if me:
                identities[ref.id] = str(me)
        signature = (
            tuple((m.scope, m.name) for m, _p in members),
            tuple(sorted(identities.items())),
        )
        cached = self._merged
        if cached is not None and cached[0] == signature:
            return cached[1]
        reader = AgencyInboxReader(members, identities)
        self._merged = (signature, reader)
        return reader

    def sub_account_name(self) -> str | None:
        """The open sub-account's name among the merged view's members, or None."""
        active = self._workspace.active
        if active is None:
            return None
        wanted = active.scope.sub_account_id
        return next((r.name for r in self._workspace.merged_members() if r.id == wanted), None)

    async def open_owner(self, sub_account_id: str) -> OwnerSwitch:
        """Make ``sub_account_id`` the session's sub-account (a thread of it was opened in the
        merged view), after the window's check of unsaved work (``Workspace.open_owner``)."""
        return await self._workspace.open_owner(sub_account_id)

    def also_contact_in(self, email: str | None, phone: str | None) -> list[str]:
        """Names of the other member sub-accounts whose cache has a contact with this email
        or phone (never that record's data). Reads the cache: call it on a worker. Empty
        unless the connection can merge (an agency key with several sub-accounts)."""
        workspace = self._workspace
        active = workspace.active
        if active is None or not workspace.can_merge():
            return []
        others: list[tuple[Member, Partition]] = []
        for ref in workspace.merged_members():
            if ref.id == active.scope.sub_account_id:
                continue
            partition = workspace.db.partition(active.profile.cache_key, ref.id)
            scope = ScopeKey(partition.deployment, ref.id)
            others.append((Member(scope, ref.name, chip_colour(ref.id)), partition))
        return also_contact_in(others, email, phone)

    # -- commands -------------------------------------------------------------------------
    def conversation_service(self) -> ConversationService | None:
        """Conversation writes and read marks for the active sub-account, or None."""
        session = self._workspace.session
        if session is None or session.partition is None or session.scope_key is None:
            return None
        return ConversationService(
            session.partition, session.view, self._workspace.bus, session.scope_key
        )

    def sender(self, reader: InboxReader | None = None) -> OutboxSender | None:
        """The outbox sender of the active sub-account, or None; with ``reader``, None
        unless that reader's sub-account is still the active one."""
        session = self._workspace.session
        sender: OutboxSender | None = getattr(session, "sender", None)
        if sender is None:
            return None
        if reader is not None and self.reader() != reader:
            return None
        return sender

    def open_conversation(self, conversation_id: str | None) -> None:
        """Poll ``conversation_id`` fast (None: stop polling the previous one)."""
        session = self._workspace.session
        if session is not None:
            session.open_conversation(conversation_id)

    def polled_conversation(self) -> str | None:
        """The conversation polled fast, or None."""
        session = self._workspace.session
        value = getattr(session, "open_thread", None)
        return value if isinstance(value, str) else None

    def older_loader(self) -> OlderLoader | None:
        """Reads older pages of a thread from the server for the session active now (a
        later switch makes it a no-op that returns 0); None without a session."""
        session = self._workspace.session
        sync = getattr(session, "sync", None)
        generation = self.generation()
        if sync is None or generation is None:
            return None

        async def load_older(conversation_id: str) -> int:
            if self.generation() != generation:
                return 0
            return int(await sync.load_older(conversation_id))

        return load_older

    # -- identity -------------------------------------------------------------------------
    def my_user_id(self, reader: InboxReader | None) -> str | None:
        """The team member id the user chose as theirs in ``reader``'s sub-account."""
        if reader is None:
            return None
        stored = self._preferences().my_team_member_ids
        value = stored.get(_identity_key(reader))
        return str(value) if value else None

    def set_my_user_id(self, reader: InboxReader | None, user_id: str | None) -> None:
        """Remember who the user is in ``reader``'s sub-account (None: forget) and save."""
        if reader is None:
            return
        key = _identity_key(reader)

        def change(data: SettingsFile) -> None:
            if user_id:
                data.preferences.my_team_member_ids[key] = user_id
            else:
                data.preferences.my_team_member_ids.pop(key, None)

        self._workspace.preferences.update(change)

    # -- notification preferences ---------------------------------------------------------
    def muted_channels(self) -> frozenset[str]:
        """Channels whose new messages raise no desktop notification."""
        return frozenset(self._preferences().muted_channels)

    def set_muted(self, channel: str, muted: bool) -> frozenset[str] | None:
        """Mute or unmute ``channel`` and save; the new muted set, or None when nothing
        changed. ``ValueError`` for an unknown channel."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        prefs = self._preferences()
        current = [c for c in prefs.muted_channels if c != channel]
        if muted:
            current.append(channel)
        ordered = [c for c in CHANNELS if c in current]
        if ordered == list(prefs.muted_channels):
            return None

        def change(data: SettingsFile) -> None:
            data.preferences.muted_channels = ordered

        self._workspace.preferences.update(change)
        return frozenset(ordered)

    # -- settings -------------------------------------------------------------------------
    def _preferences(self) -> Preferences:
        return self._workspace.preferences.data.preferences


def _identity_key(reader: InboxReader) -> str:
    return f"{reader.deployment}|{reader.sub_account_id}"


__all__ = [
    "ANY_MEMBER",
    "AgencyInboxReader",
    "ConversationBulkReport",
    "ConversationFilters",
    "ConversationService",
    "ConversationView",
    "IllegalTransitionError",
    "InboxPort",
    "InboxReader",
    "Member",
    "MergedRow",
    "OlderLoader",
    "OwnerSwitch",
    "OutboxItem",
    "OutboxItemNotFoundError",
    "OutboxSender",
    "OutboxState",
    "StorageError",
    "created_ms",
    "inbox_view",
    "merged_key",
    "split_key",
]
