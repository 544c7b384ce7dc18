"""Reads across the sub-accounts of an agency connection: the agenda and the contact search
of the agency view.

Each sub-account keeps its own cache partition; a merged read is built from one reader per
sub-account (each bound to its partition for its whole life, like every area's reader) and
tags every row with the sub-account it came from. Nothing here writes, and a row can only
ever be tagged with the sub-account whose reader returned it: merging happens on the user's
machine, the data is never mixed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from app.services.agency_inbox import Member, merged_key, split_key
from app.services.bus import ScopeKey
from app.services.calendar_rows import (
    AppointmentRow,
    AppointmentTypeRow,
    BookingContact,
    CalendarReader,
    CalendarRow,
)
from app.services.ports.contacts import ContactFilters, ContactQuery, ContactRow, ContactsReader

T = TypeVar("T")
R = TypeVar("R")

__all__ = [
    "MERGED_SUB_ACCOUNT",
    "AgencyAgendaReader",
    "AgencyContactResults",
    "AgencyContactsReader",
    "MergedCalendarReader",
    "Tagged",
]

MERGED_SUB_ACCOUNT = "*all*"
"""What a ``MergedCalendarReader`` answers as its sub-account id (no real id looks like it:
settings kept per sub-account, such as hidden calendars, keep the merged view's apart)."""


@dataclass(frozen=True, slots=True)
class Tagged(Generic[T]):
    """A row of one sub-account, with that sub-account (the merged Inbox's ``Member``: its
    scope, name and chip colour) and its place in the connection's list."""

    member: Member
    row: T
    position: int


class _Members(Generic[R]):
    """One reader per sub-account, in the connection's order."""

    def __init__(self, readers: Sequence[tuple[Member, R]]) -> None:
        ids = [member.sub_account_id for member, _ in readers]
        if len(set(ids)) != len(ids):
            raise ValueError("a sub-account appears twice in a merged read")
        self._readers = list(readers)

    def members(self) -> list[Member]:
        """The sub-accounts read, in order."""
        return [member for member, _ in self._readers]

    def readers(self) -> list[tuple[Member, R]]:
        """Each sub-account with its reader, in order."""
        return list(self._readers)

    def reader_of(self, sub_account_id: str) -> R | None:
        """The reader of one sub-account (for acting on a row: only its owner's)."""
        return next((r for m, r in self._readers if m.sub_account_id == sub_account_id), None)

    def _each(self) -> Iterator[tuple[int, Member, R]]:
        return ((position, m, r) for position, (m, r) in enumerate(self._readers))


class AgencyAgendaReader(_Members[CalendarReader]):
    """Appointments and calendars of several sub-accounts (any thread)."""

    def appointments_between(
        self, start_ms: int, end_ms: int, *, include_cancelled: bool = False
    ) -> list[Tagged[AppointmentRow]]:
        """Every sub-account's appointments overlapping ``[start_ms, end_ms)``, by start
        time (ties: in the connection's order of sub-accounts)."""
        per_member = [
            [
                Tagged(member, row, position)
                for row in reader.appointments_between(
                    start_ms, end_ms, include_cancelled=include_cancelled
                )
            ]
            for position, member, reader in self._each()
        ]
        return list(heapq.merge(*per_member, key=lambda t: (t.row.start_ms, t.position)))

    def calendars(self) -> list[Tagged[CalendarRow]]:
        """Every sub-account's calendars, sub-account by sub-account."""
        return [
            Tagged(member, c, position)
            for position, member, reader in self._each()
            for c in reader.calendars()
        ]


def _key(sub_account_id: str, value: str | None) -> str | None:
    return None if value is None else merged_key(sub_account_id, value)


def _tag_appointment(sub_account_id: str, row: AppointmentRow) -> AppointmentRow:
    """``row`` with every id of its sub-account made a merged key (two sub-accounts may use
    the same ids; ``assigned_to`` is a person, left as it is)."""
    return replace(
        row,
        id=merged_key(sub_account_id, row.id),
        calendar_id=_key(sub_account_id, row.calendar_id),
        type_id=_key(sub_account_id, row.type_id),
        contact_id=_key(sub_account_id, row.contact_id),
    )


class MergedCalendarReader(CalendarReader):
    """The Calendar's reader in "All sub-accounts": several sub-accounts' calendars, types
    and appointments answered as one sub-account's reader answers them, with every id a
    ``merged_key(sub-account, id)`` and every calendar named with its sub-account, so the
    views, which only ever see ids, cannot confuse two sub-accounts' records. Read only:
    acting on a row takes its owner (``owner_of``) and the bare id (``split_key``)."""

    def __init__(self, agenda: AgencyAgendaReader) -> None:
        # No partition of its own (the base class's is never set): every read goes through
        # one member's reader, and a read this class did not route would fail loudly
        # instead of reading some member's cache under the merged view's name.
        self._agenda = agenda
        self._by_id = {m.sub_account_id: m for m in agenda.members()}

    def __repr__(self) -> str:
        return f"MergedCalendarReader({sorted(self._by_id)!r})"

    @property
    def agenda(self) -> AgencyAgendaReader:
        """The per-member reads behind this one."""
        return self._agenda

    @property
    def sub_account_id(self) -> str:
        """``MERGED_SUB_ACCOUNT``: the merged view is no single sub-account."""
        return MERGED_SUB_ACCOUNT

    @property
    def deployment(self) -> str:
        """The members' deployment (the same for all: one connection)."""
        members = self._agenda.members()
        return members[0].scope.deployment if members else ""

    def members(self) -> list[Member]:
        """The sub-accounts read, in the connection's order."""
        return self._agenda.members()

    def owner_of(self, key: str) -> Member | None:
        """The member owning a merged key (an appointment, calendar, type or contact)."""
        owner, _bare = split_key(key)
        return None if owner is None else self._by_id.get(owner)

    def covers(self, scope: ScopeKey | None) -> bool:
        """Whether an event of ``scope`` concerns one of the members."""
        if scope is None:
            return False
        reader = self._agenda.reader_of(scope.sub_account_id)
        return reader is not None and reader.covers(scope)

    def _owner(self, key: str) -> tuple[str, CalendarReader, str] | None:
        owner, bare = split_key(key)
        reader = None if owner is None else self._agenda.reader_of(owner)
        return None if owner is None or reader is None else (owner, reader, bare)

    def calendars(self) -> list[CalendarRow]:
        """Every member's calendars, member by member, named "Calendar (Sub-account)"."""
        return [
            replace(
                t.row,
                id=merged_key(t.member.sub_account_id, t.row.id),
                name=f"{t.row.name} ({t.member.name})",
            )
            for t in self._agenda.calendars()
        ]

    def calendar(self, calendar_id: str) -> CalendarRow | None:
        """One calendar by merged key, or None."""
        return next((c for c in self.calendars() if c.id == calendar_id), None)

    def types(self, calendar_id: str | None = None) -> list[AppointmentTypeRow]:
        """Every member's appointment types (of one calendar, by merged key, when given)."""
        if calendar_id is not None:
            found = self._owner(calendar_id)
            pairs = [] if found is None else [(found[0], found[1].types(found[2]))]
        else:
            pairs = [(m.sub_account_id, r.types()) for m, r in self._agenda.readers()]
        return [
            replace(row, id=merged_key(owner, row.id), calendar_id=_key(owner, row.calendar_id))
            for owner, rows in pairs
            for row in rows
        ]

    def appointments_between(
        self,
        start_ms: int,
        end_ms: int,
        calendar_ids: Collection[str] | None = None,
        *,
        include_cancelled: bool = False,
    ) -> list[AppointmentRow]:
        """Every member's appointments overlapping the range, by start time (ties in the
        members' order); of the given calendars (merged keys) only when asked."""
        wanted = None if calendar_ids is None else frozenset(calendar_ids)
        tagged = self._agenda.appointments_between(
            start_ms, end_ms, include_cancelled=include_cancelled
        )
        rows = (_tag_appointment(t.member.sub_account_id, t.row) for t in tagged)
        return [row for row in rows if wanted is None or row.calendar_id in wanted]

    def appointment(self, appointment_id: str) -> AppointmentRow | None:
        """One appointment by merged key, or None."""
        found = self._owner(appointment_id)
        row = None if found is None else found[1].appointment(found[2])
        return None if row is None or found is None else _tag_appointment(found[0], row)

    def appointments_for_contact(self, contact_id: str) -> list[AppointmentRow]:
        """A contact's appointments (its merged key) in its own sub-account."""
        found = self._owner(contact_id)
        if found is None:
            return []
        owner, reader, bare = found
        return [_tag_appointment(owner, row) for row in reader.appointments_for_contact(bare)]

    def booking_contact(self, contact_id: str) -> BookingContact | None:
        """A contact (its merged key) as its own sub-account would prefill a booking; its
        id stays the merged key."""
        found = self._owner(contact_id)
        contact = None if found is None else found[1].booking_contact(found[2])
        return None if contact is None else replace(contact, contact_id=contact_id)

    def conversation_of_contact(self, contact_id: str) -> str | None:
        """The merged key of a contact's latest conversation in its sub-account, or None."""
        found = self._owner(contact_id)
        conversation = None if found is None else found[1].conversation_of_contact(found[2])
        return None if conversation is None or found is None else merged_key(found[0], conversation)


@dataclass(frozen=True, slots=True)
class AgencyContactResults:
    """The first matches of a search in each sub-account, merged by name, and how many
    each sub-account has in all."""

    rows: list[Tagged[ContactRow]]
    totals: dict[str, int]

    @property
    def total(self) -> int:
        """Matches in every sub-account together."""
        return sum(self.totals.values())


class AgencyContactsReader(_Members[ContactsReader]):
    """Searches the cached contacts of several sub-accounts (read only, any thread)."""

    def search(
        self, text: str | None, *, per_member: int = 25, filters: ContactFilters | None = None
    ) -> AgencyContactResults:
        """The first ``per_member`` matches of ``text`` in each sub-account, merged in name
        order (each sub-account's own order kept), with each sub-account's total."""
        query = ContactQuery(text or None, filters or ContactFilters())
        per: list[list[Tagged[ContactRow]]] = []
        totals: dict[str, int] = {}
        for position, member, reader in self._each():
            page = reader.first_page(query, per_member)
            totals[member.sub_account_id] = page.total
            per.append([Tagged(member, row, position) for row in page.rows])
        merged = heapq.merge(*per, key=lambda t: (t.row.name.casefold(), t.position))
        return AgencyContactResults(list(merged), totals)
