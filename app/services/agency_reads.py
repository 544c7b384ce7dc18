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
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.services.agency_inbox import Member
from app.services.calendar_rows import AppointmentRow, CalendarReader, CalendarRow
from app.services.ports.contacts import ContactFilters, ContactQuery, ContactRow, ContactsReader

T = TypeVar("T")
R = TypeVar("R")

__all__ = [
    "AgencyAgendaReader",
    "AgencyContactResults",
    "AgencyContactsReader",
    "Tagged",
]


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
