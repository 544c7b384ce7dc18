"""The agency view's merged Inbox: one read-only list over several sub-accounts' caches.

An agency key reaches many sub-accounts, each cached in its own partition. The merged
list is built on the user's machine from those partitions and never written back
across them: ``AgencyInboxReader`` only reads. Every row it gives names its owner
(``MergedRow.member``), and everything that acts on a conversation does so in that
owner's sub-account, with its key and through its outbox (see "The agency view" in
docs/architecture.md).

**Order and paging.** Each partition lists its conversations newest activity first
(ties by id, descending) through an index; the merged list is the k-way merge of those
per-partition lists, ties between partitions broken by the members' order. A page is
merged from sort keys only (``ConversationRepository.list_keys``: no document decoded),
read from each partition in small chunks as the merge consumes them; only the kept
rows' documents are read. The per-partition positions reached by a page are
remembered, so the next page (``fetchMore``) starts where it stopped instead of
merging everything before it again.

**Keys.** Two sub-accounts may use the same conversation id: a merged row's key is
``merged_key(sub-account id, conversation id)``, never the bare id.

Everything here is Qt-free, safe on worker threads (each thread reads on its own
connection) and raises only ``StorageError`` from the cache.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from hashlib import blake2b
from typing import Any

import phonenumbers

from app.core.phones import InvalidPhone, normalize_phone
from app.services.bus import ScopeKey
from app.settings.profiles import SubAccountRef
from app.storage import (
    ConversationFilters,
    ConversationView,
    InboxMap,
    Partition,
    normalize_deployment,
)

KEY_SEPARATOR = "\x1f"
"""Between the sub-account id and the conversation id of a merged key (never in an id)."""

CHIP_COLOURS = 10
"""How many distinct chip colours the UI offers; a sub-account's is ``chip_colour``."""

ANY_MEMBER = "*"
"""The user id of a merged Mine view: each member's own "who am I" replaces it."""

_CURSOR_MEMORY = 64
"""Remembered page positions (a few queries' worth of scrolling)."""


def merged_key(sub_account_id: str, conversation_id: str) -> str:
    """The key of a conversation in the merged list (unique across sub-accounts)."""
    return f"{sub_account_id}{KEY_SEPARATOR}{conversation_id}"


def split_key(key: str) -> tuple[str | None, str]:
    """``(sub-account id, conversation id)`` of a merged key; ``(None, key)`` for a bare id."""
    owner, sep, conversation_id = key.partition(KEY_SEPARATOR)
    return (owner, conversation_id) if sep else (None, key)


def chip_colour(sub_account_id: str) -> int:
    """A sub-account's chip colour, 0 … ``CHIP_COLOURS`` - 1: the same on every run and
    machine (a digest of the id, not Python's ``hash``)."""
    digest = blake2b(sub_account_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % CHIP_COLOURS


@dataclass(frozen=True, slots=True)
class Member:
    """A sub-account of the merged view: its scope, its name and its chip colour."""

    scope: ScopeKey
    name: str
    colour: int

    @property
    def sub_account_id(self) -> str:
        """The sub-account's id."""
        return self.scope.sub_account_id


@dataclass(frozen=True, slots=True)
class MergedRow:
    """One conversation of the merged list and the member that owns it."""

    member: Member
    doc: dict[str, Any]

    @property
    def key(self) -> str:
        """The row's merged key."""
        return merged_key(self.member.sub_account_id, str(self.doc["id"]))


def _chunks(
    partition: Partition,
    view: ConversationView,
    filters: ConversationFilters,
    text: str | None,
    offset: int,
    chunk: int,
    rank: int,
) -> Iterator[tuple[int, str, int]]:
    """A partition's sort keys from ``offset`` on, read ``chunk`` at a time as consumed,
    as ``(activity ms, id, -rank)``: descending within the partition, as the merge needs."""
    while True:
        keys = partition.conversations.list_keys(view, filters, text, limit=chunk, offset=offset)
        for activity, conversation_id in keys:
            yield activity, conversation_id, -rank
        if len(keys) < chunk:
            return
        offset += len(keys)


class AgencyInboxReader:
    """Reads the conversations of several sub-accounts as one list (see the module
    docstring). Bound to its members for its life: another choice of members is another
    reader. ``identities`` maps a sub-account id to the team member the user is there
    (the merged Mine view)."""

    def __init__(
        self,
        members: Sequence[tuple[Member, Partition]],
        identities: Mapping[str, str] | None = None,
    ) -> None:
        """Read ``members`` (each with its partition), in this order."""
        self._members = tuple(m for m, _p in members)
        self._partitions = {m.sub_account_id: p for m, p in members}
        if len(self._partitions) != len(self._members):
            raise ValueError("a sub-account is listed twice")
        self._identities = dict(identities or {})
        self._cursors: OrderedDict[tuple[Any, ...], tuple[int, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AgencyInboxReader({[m.sub_account_id for m in self._members]!r})"

    # -- members ----------------------------------------------------------------------------
    @property
    def members(self) -> tuple[Member, ...]:
        """The sub-accounts merged, in their order."""
        return self._members

    def member(self, sub_account_id: str | None) -> Member | None:
        """The member with this id, or None."""
        return next((m for m in self._members if m.sub_account_id == sub_account_id), None)

    def covers(self, scope: ScopeKey | None) -> bool:
        """Whether an event of ``scope`` is about one of the members."""
        if scope is None:
            return False
        partition = self._partitions.get(scope.sub_account_id)
        return partition is not None and _same_deployment(scope.deployment, partition)

    def has_identity(self) -> bool:
        """Whether the user said who they are in at least one member (the Mine view)."""
        return bool(self._identities)

    # -- the list ---------------------------------------------------------------------------
    def _member_query(
        self,
        member: Member,
        view: ConversationView,
        filters: ConversationFilters,
    ) -> tuple[ConversationView, ConversationFilters] | None:
        """The view and filters as one member reads them; None when it has no row (Mine
        where the user has no identity). A kept row (``keep_id``, a merged key) is kept
        in its owner's partition only."""
        if view.kind == "mine":
            me = self._identities.get(member.sub_account_id)
            if not me:
                return None
            view = ConversationView.mine(me)
        keep = filters.keep_id
        if keep is not None:
            owner, conversation_id = split_key(keep)
            filters = replace(
                filters, keep_id=conversation_id if owner == member.sub_account_id else None
            )
        return view, filters

    def conversations(
        self,
        view: ConversationView | None = None,
        filters: ConversationFilters | None = None,
        text: str | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
    ) -> list[MergedRow]:
        """A page of the merged list: the conversations ``offset`` to ``offset + limit`` of
        a view, filters and search over every member, in list order."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        view = view or ConversationView.all()
        filters = filters or ConversationFilters()
        if limit == 0 or not self._members:
            return []
        query = (view, filters, text)
        with self._lock:
            start = self._cursors.get((query, offset))
        skip = 0
        if start is None:
            # Not reached by paging (a jump): merge from the top, skipping ``offset`` rows.
            start, skip = (0,) * len(self._members), offset
        merged = self._merge(view, filters, text, start, skip + limit)
        used = [0] * len(self._members)
        for _activity, _cid, negative_rank in merged:
            used[-negative_rank] += 1
        # Where each partition stands after the page: the next page starts there.
        positions = tuple(p + u for p, u in zip(start, used, strict=True))
        taken = merged[skip:]
        with self._lock:
            self._cursors[(query, offset + len(taken))] = positions
            while len(self._cursors) > _CURSOR_MEMORY:
                self._cursors.popitem(last=False)
        return self._documents(taken)

    def _merge(
        self,
        view: ConversationView,
        filters: ConversationFilters,
        text: str | None,
        start: Sequence[int],
        count: int,
    ) -> list[tuple[int, str, int]]:
        """The first ``count`` merged sort keys from the partitions' positions ``start``."""
        streams: list[Iterator[tuple[int, str, int]]] = []
        # Small chunks first: a page of 100 over 20 members takes ~5 rows from each.
        chunk = max(16, min(count, 2 * count // max(1, len(self._members)) + 1))
        for rank, member in enumerate(self._members):
            local = self._member_query(member, view, filters)
            if local is None:
                continue
            partition = self._partitions[member.sub_account_id]
            streams.append(_chunks(partition, local[0], local[1], text, start[rank], chunk, rank))
        taken: list[tuple[int, str, int]] = []
        for item in heapq.merge(*streams, reverse=True):
            taken.append(item)
            if len(taken) >= count:
                break
        for stream in streams:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return taken

    def _documents(self, taken: Sequence[tuple[int, str, int]]) -> list[MergedRow]:
        wanted: dict[int, list[str]] = {}
        for _activity, conversation_id, negative_rank in taken:
            wanted.setdefault(-negative_rank, []).append(conversation_id)
        docs: dict[int, dict[str, dict[str, Any]]] = {}
        for rank, ids in wanted.items():
            member = self._members[rank]
            docs[rank] = self._partitions[member.sub_account_id].conversations.conversations_by_ids(
                ids
            )
        rows: list[MergedRow] = []
        for _activity, conversation_id, negative_rank in taken:
            doc = docs[-negative_rank].get(conversation_id)
            if doc is not None:  # deleted between the two reads: the next refresh agrees
                rows.append(MergedRow(self._members[-negative_rank], doc))
        return rows

    def count(
        self,
        view: ConversationView | None = None,
        filters: ConversationFilters | None = None,
        text: str | None = None,
    ) -> int:
        """How many conversations of every member a view, filters and search match."""
        view = view or ConversationView.all()
        filters = filters or ConversationFilters()
        total = 0
        for member in self._members:
            local = self._member_query(member, view, filters)
            if local is not None:
                partition = self._partitions[member.sub_account_id]
                total += partition.conversations.count_conversations(local[0], local[1], text)
        return total

    def first_page(
        self,
        view: ConversationView,
        filters: ConversationFilters,
        text: str | None,
        limit: int,
    ) -> tuple[list[MergedRow], int]:
        """The first ``limit`` merged rows and the total (no count when they all fit)."""
        rows = self.conversations(view, filters, text, limit=limit)
        if len(rows) < limit:
            return rows, len(rows)
        return rows, self.count(view, filters, text)

    # -- one conversation ---------------------------------------------------------------------
    def _partition_of(self, key: str) -> tuple[Partition, str] | None:
        owner, conversation_id = split_key(key)
        partition = self._partitions.get(owner or "")
        return None if partition is None else (partition, conversation_id)

    def conversation(self, key: str) -> dict[str, Any] | None:
        """The cached document of the conversation with this merged key, or None."""
        found = self._partition_of(key)
        return None if found is None else found[0].conversations.get_conversation(found[1])

    def latest_message(self, key: str) -> dict[str, Any] | None:
        """The newest cached message of the conversation with this merged key, or None."""
        found = self._partition_of(key)
        return None if found is None else found[0].messages.latest_message(found[1])

    # -- local state, as merged keys ------------------------------------------------------------
    def _keys(self, ids_of: Any) -> frozenset[str]:
        keys: set[str] = set()
        for member in self._members:
            partition = self._partitions[member.sub_account_id]
            keys.update(merged_key(member.sub_account_id, cid) for cid in ids_of(partition))
        return frozenset(keys)

    def conversations_with_drafts(self) -> frozenset[str]:
        """Merged keys of the conversations with a saved draft."""
        return self._keys(lambda p: p.drafts.conversations_with_drafts())

    def conversations_with_failed_sends(self) -> frozenset[str]:
        """Merged keys of the conversations with a message that failed to send."""
        return self._keys(lambda p: p.outbox.conversations_with_failed())

    def marked_unread(self) -> frozenset[str]:
        """Merged keys of the conversations the user marked unread on this computer."""
        return self._keys(lambda p: p.marks.inbox_map(InboxMap.MARKED_UNREAD))

    def snoozes(self) -> dict[str, int]:
        """Snooze wake-up times by merged key."""
        found: dict[str, int] = {}
        for member in self._members:
            partition = self._partitions[member.sub_account_id]
            for cid, ms in partition.marks.snoozes().items():
                found[merged_key(member.sub_account_id, cid)] = ms
        return found

    def unread_counts(self) -> dict[str, int]:
        """Conversations with unread messages, per member's sub-account id."""
        return {
            m.sub_account_id: self._partitions[m.sub_account_id].conversations.count_conversations(
                ConversationView.unread()
            )
            for m in self._members
        }


def unread_counts(partitions: Mapping[str, Partition]) -> dict[str, int]:
    """Conversations with unread messages in each partition (by sub-account id): the
    picker's counts. Reads the cache: call it on a worker."""
    return {
        sub_id: partition.conversations.count_conversations(ConversationView.unread())
        for sub_id, partition in partitions.items()
    }


def contact_keys(email: str | None, phone: str | None) -> tuple[str | None, tuple[str, ...]]:
    """A contact's email as given (storage folds its case) and the digit strings its phone
    may be cached under: its E.164 digits and its national digits (a number typed without
    its country code); the digits as typed when it is not a phone number Seedly accepts."""
    keys: tuple[str, ...] = ()
    if phone and phone.strip():
        try:
            e164 = normalize_phone(phone)
        except InvalidPhone:
            typed = "".join(ch for ch in phone if ch.isdigit())
            keys = (typed,) if typed else ()
        else:
            national = str(phonenumbers.parse(e164).national_number)
            keys = (e164.lstrip("+"), national)
    mail = email.strip() if email and email.strip() else None
    return mail, keys


def also_contact_in(
    others: Sequence[tuple[Member, Partition]], email: str | None, phone: str | None
) -> list[str]:
    """Names of the sub-accounts among ``others`` whose cache has a contact with this email
    or phone (normalised). Only the names: never that record's data. One indexed probe
    per key and sub-account; call it on a worker."""
    mail, phones = contact_keys(email, phone)
    if mail is None and not phones:
        return []
    return [m.name for m, p in others if p.contacts.knows(mail, phones)]


def _same_deployment(deployment: str, partition: Partition) -> bool:
    try:
        return normalize_deployment(deployment) == partition.deployment
    except ValueError:
        return False


__all__ = [
    "ANY_MEMBER",
    "CHIP_COLOURS",
    "AgencyInboxReader",
    "Member",
    "MergedRow",
    "SubAccountRef",
    "also_contact_in",
    "chip_colour",
    "contact_keys",
    "merged_key",
    "split_key",
    "unread_counts",
]
