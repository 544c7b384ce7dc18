"""The Contacts tab's port: what the tab reads from the cache and does through the services.

``ContactsPort`` is built from the ``Workspace`` by the bootstrap. It gives the
tab the active scope, a ``ContactsReader`` bound to one sub-account (the table
model, the search controller, the detail pane and the CSV export read through
it, on any thread), and the commands: the ``ContactService`` for writes, a
``BulkRunner`` for bulk actions and a ``ContactImporter`` for CSV imports.

Readers answer with typed rows (``ContactRow`` for the table, the core's
``Contact`` and ``CustomFieldDefinition``) and raise only ``StorageError``
subclasses. The types the tab needs from below (``ContactFilters``,
``StorageError``) are re-exported here, so the UI never imports ``app.storage``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.core.constants import LIFECYCLE_STAGES
from app.core.errors import InvalidResponse
from app.core.models import Contact, CustomFieldDefinition, parse
from app.services.agency_inbox import Member, chip_colour
from app.services.bulk import BulkRunner
from app.services.ports.reader import OwnerSwitch, ReaderSlot, SubAccountReader
from app.services.bus import ScopeKey
from app.services.contact_import import ContactImporter, export_contacts
from app.services.contacts import ContactService
from app.services.workspace import NotActive, Workspace
from app.storage import ContactFilters, Partition, StorageError, SyncKind

if TYPE_CHECKING:  # the merged reader's module builds on this one's types
    from app.services.agency_reads import AgencyContactsReader

log = logging.getLogger(__name__)

__all__ = [
    "ContactChoices",
    "ContactFilters",
    "ContactPage",
    "ContactQuery",
    "ContactRow",
    "ContactsPort",
    "ContactsReader",
    "Intern",
    "NotActive",
    "OwnerSwitch",
    "StorageError",
    "contact_row",
]

Intern = Callable[[str | None], str | None]
"""Shares one copy of a repeated string (stages, tags, cities) between rows."""


def _no_intern(value: str | None) -> str | None:
    return value


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """What the table shows: search text, filters and order (a ``SORT_KEYS`` key)."""

    text: str | None = None
    filters: ContactFilters = field(default_factory=ContactFilters)
    sort_key: str = "name"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class ContactRow:
    """The values the table shows of one contact (compared to find changed rows).

    A compact record, not the wire document: a decoded document costs about
    3.9 KB, which for 100,000 loaded contacts would be ~390 MB."""

    id: str
    name: str
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    stage: str | None
    tags: tuple[str, ...]
    source: str | None
    assigned_to: str | None
    score: float | int | None
    city: str | None
    updated: str | None
    created: str | None
    custom: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class ContactPage:
    """The first rows of a query and how many contacts match it in all."""

    rows: list[ContactRow]
    total: int


@dataclass(frozen=True, slots=True)
class ContactChoices:
    """Values the filter pickers and the form's suggestions offer for one sub-account."""

    stages: tuple[str, ...] = LIFECYCLE_STAGES
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()


def _text(value: object) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def contact_row(doc: Mapping[str, Any], intern: Intern = _no_intern) -> ContactRow:
    """The table row of a cached contact document (pure Python: safe on any thread)."""
    first, last = _text(doc.get("firstName")), _text(doc.get("lastName"))
    raw_score = doc.get("engagementScore")
    score = (
        raw_score
        if isinstance(raw_score, (int, float)) and not isinstance(raw_score, bool)
        else None
    )
    tags = doc.get("tags")
    custom = doc.get("customFields")
    return ContactRow(
        id=str(doc["id"]),
        name=" ".join(p for p in (first, last) if p),
        email=_text(doc.get("email")),
        phone=_text(doc.get("phone")),
        company=_text(doc.get("company")),
        title=intern(_text(doc.get("title"))),
        stage=intern(_text(doc.get("lifecycleStage"))),
        tags=tuple(intern(t) or "" for t in tags if isinstance(t, str) and t)
        if isinstance(tags, list)
        else (),
        source=intern(_text(doc.get("source"))),
        assigned_to=intern(_text(doc.get("assignedTo"))),
        score=score,
        city=intern(_text(doc.get("city"))),
        updated=_text(doc.get("updatedAt")),
        created=_text(doc.get("createdAt")),
        custom={k: intern(v) if isinstance(v, str) else v for k, v in custom.items()}
        if isinstance(custom, dict) and custom
        else None,
    )


class ContactsReader(SubAccountReader):
    """Read-only queries over the cached contacts of one sub-account.

    Safe to call from any thread (each thread reads on its own connection);
    every method raises only ``StorageError`` subclasses."""

    # -- the table ------------------------------------------------------------------------
    def page(
        self, query: ContactQuery, *, limit: int, offset: int = 0, intern: Intern = _no_intern
    ) -> list[ContactRow]:
        """Rows ``offset`` to ``offset + limit`` of ``query``, searched, filtered and sorted in
        SQL (a row may repeat across pages when a sync moved it meanwhile)."""
        docs = self._partition.contacts.search(
            query.text,
            query.filters,
            sort_key=query.sort_key,
            descending=query.descending,
            limit=limit,
            offset=offset,
        )
        return [contact_row(doc, intern) for doc in docs]

    def first_page(
        self, query: ContactQuery, limit: int, *, intern: Intern = _no_intern
    ) -> ContactPage:
        """The first ``limit`` rows of ``query`` and the total count, in one step."""
        repo = self._partition.contacts
        docs = repo.search(
            query.text,
            query.filters,
            sort_key=query.sort_key,
            descending=query.descending,
            limit=limit,
        )
        rows = [contact_row(doc, intern) for doc in docs]
        if len(docs) < limit:
            return ContactPage(rows, len(docs))  # the whole result fits: no count query
        # The repository answers the count of the same text from the cache the page filled.
        return ContactPage(rows, repo.count(query.text, query.filters))

    def count(self, text: str | None = None, filters: ContactFilters | None = None) -> int:
        """How many contacts match ``text`` and ``filters``."""
        return self._partition.contacts.count(text, filters)

    # -- one contact ----------------------------------------------------------------------
    def document(self, contact_id: str) -> dict[str, Any] | None:
        """The cached wire document of a contact, or None when the cache does not have it."""
        return self._partition.contacts.get(contact_id)

    def contact(self, contact_id: str) -> Contact | None:
        """The cached contact, or None. A cached document that is not a contact raises
        ``InvalidResponse`` (its ``user_message`` says what is wrong)."""
        doc = self._partition.contacts.get(contact_id)
        return None if doc is None else parse(Contact, doc)

    def contacts_with_email(self, email: str) -> list[Contact]:
        """Cached contacts whose email is ``email`` (case-insensitive; unreadable ones skipped)."""
        found: list[Contact] = []
        for doc in self._partition.contacts.by_email(email):
            try:
                found.append(parse(Contact, doc))
            except InvalidResponse:
                log.warning("skipping an unreadable cached contact: %.200r", doc)
        return found

    # -- what the pickers offer -----------------------------------------------------------
    def choices(self) -> ContactChoices:
        """Known tags, sources and assignees of the sub-account (for pickers and the form)."""
        repo = self._partition.contacts
        return ContactChoices(
            tags=tuple(repo.known_tags()),
            sources=tuple(repo.known_sources()),
            assignees=tuple(repo.known_assignees()),
        )

    def field_definitions(self) -> list[CustomFieldDefinition]:
        """The sub-account's custom field definitions (unreadable ones skipped)."""
        out: list[CustomFieldDefinition] = []
        for doc in self._partition.custom_fields.fields():
            try:
                out.append(parse(CustomFieldDefinition, doc))
            except InvalidResponse:
                log.warning("skipping an unreadable cached custom field definition: %.200r", doc)
        return out

    # -- sync marks -----------------------------------------------------------------------
    def has_full_walk(self) -> bool:
        """Whether a complete walk of the sub-account's contacts has ever reached the cache
        (the first sync, or an earlier run's): an empty table then means no contacts."""
        return self._partition.marks.full_sync_ms(SyncKind.CONTACTS) is not None

    # -- export ---------------------------------------------------------------------------
    def export_csv(self, query: ContactQuery, path: str | os.PathLike[str]) -> int:
        """Write the contacts of ``query`` in its order to the CSV file ``path``; how many
        were written. Blocking (run it on a worker); raises ``ExportFailed``."""
        return export_contacts(
            self._partition, query.text, query.filters, (query.sort_key, query.descending), path
        )


class ContactsPort:
    """Queries and commands of the Contacts tab (see the module docstring)."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._readers = ReaderSlot(workspace, ContactsReader)
        self._merged: tuple[object, AgencyContactsReader] | None = None

    def active_scope(self) -> ScopeKey | None:
        """The sub-account being worked on, or None before a connection is opened."""
        active = self._workspace.active
        return None if active is None else active.scope

    def reader(self, scope: ScopeKey | None = None) -> ContactsReader | None:
        """A reader of the active sub-account's contacts (None when nothing is open).

        With ``scope`` (a ``SessionChanged`` event's), a reader of that sub-account even
        when the session has not made it active yet. The same sub-account gives the same
        reader until another one is asked for."""
        return self._readers.get(scope)

    def contact_service(self) -> ContactService:
        """Contact writes of the active sub-account (``NotActive`` when none is open)."""
        return self._workspace.contact_service()

    def bulk_runner(self) -> BulkRunner:
        """A runner of one bulk action over the active sub-account's contacts."""
        return BulkRunner(self.contact_service())

    def importer(self) -> ContactImporter:
        """A CSV importer into the active sub-account (``NotActive`` when none is open)."""
        service = self.contact_service()
        return ContactImporter(
            service.partition,
            service.client,
            service.bus,
            service.scope,
            default_region=service.default_region,
            service=service,
        )

    # -- the agency view (All sub-accounts) --------------------------------------------------
    def all_mode(self) -> bool:
        """Whether the window shows every member sub-account at once (agency keys only)."""
        return self._workspace.all_sub_accounts and self._workspace.can_merge()

    def merged_reader(self) -> AgencyContactsReader | None:
        """A read-only search over the contacts of the members chosen now (each read in its
        own partition, every row tagged with its sub-account); None outside All mode. The
        same object while the members and their names stay the same."""
        from app.services.agency_reads import AgencyContactsReader

        if not self.all_mode():
            return None
        profile = self._workspace.profile
        assert profile is not None  # all_mode() says a profile is open
        members: list[tuple[Member, ContactsReader]] = []
        for ref in self._workspace.merged_members():
            partition: Partition = self._workspace.db.partition(profile.cache_key, ref.id)
            scope = ScopeKey(partition.deployment, ref.id)
            members.append(
                (Member(scope, ref.name, chip_colour(ref.id)), ContactsReader(partition))
            )
        signature = tuple((m.scope, m.name) for m, _r in members)
        cached = self._merged
        if cached is not None and cached[0] == signature:
            return cached[1]
        reader = AgencyContactsReader(members)
        self._merged = (signature, reader)
        return reader

    async def open_owner(self, sub_account_id: str) -> OwnerSwitch:
        """Make ``sub_account_id`` the session's sub-account (a contact of it was opened in the
        merged view), after the window's check of unsaved work (``Workspace.open_owner``)."""
        return await self._workspace.open_owner(sub_account_id)
