"""Reads across sub-accounts over a real SQLite cache: the agenda and the contact search of
the agency view merge several partitions, keep each one's order, and tag every row with
the sub-account whose cache holds it — never another's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.agency_inbox import Member, chip_colour
from app.services.agency_reads import AgencyAgendaReader, AgencyContactsReader
from app.services.bus import ScopeKey
from app.services.calendar_rows import CalendarReader
from app.services.ports.contacts import ContactsReader
from app.storage import Database, Partition

DEPLOYMENT = "https://crm.example.com"
HOUR = 3_600_000
START = 1_776_000_000_000  # a Monday morning UTC, April 2026


def _appointment(appt_id: str, start_ms: int, status: str = "scheduled") -> dict[str, Any]:
    def iso(ms: int) -> str:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return {
        "id": appt_id,
        "calendarId": "cal_1",
        "appointmentTypeId": "type_1",
        "contactId": f"contact_of_{appt_id}",
        "title": f"Visit {appt_id}",
        "startTime": iso(start_ms),
        "endTime": iso(start_ms + HOUR // 2),
        "status": status,
        "createdAt": "2026-04-01T08:00:00.000Z",
        "updatedAt": "2026-04-01T08:00:00.000Z",
    }


def _contact(contact_id: str, first: str, last: str) -> dict[str, Any]:
    return {
        "id": contact_id,
        "firstName": first,
        "lastName": last,
        "email": f"{contact_id}@example.com",
        "createdAt": "2026-04-01T08:00:00.000Z",
        "updatedAt": "2026-04-01T08:00:00.000Z",
    }


@pytest.fixture
def partitions(tmp_path: Path) -> Iterator[tuple[Partition, Partition]]:
    db = Database.open(tmp_path / "cache.sqlite3")
    yield db.partition(DEPLOYMENT, "sub_roof"), db.partition(DEPLOYMENT, "sub_dent")
    db.close()


ROOF = Member(ScopeKey(DEPLOYMENT, "sub_roof"), "Summit Roofing", chip_colour("sub_roof"))
DENT = Member(ScopeKey(DEPLOYMENT, "sub_dent"), "Bright Dental", chip_colour("sub_dent"))


def test_the_agenda_merges_by_start_and_tags_each_row_with_its_owner(
    partitions: tuple[Partition, Partition],
) -> None:
    roof, dent = partitions
    roof.calendars.upsert_appointments(
        [_appointment("r1", START + 1 * HOUR), _appointment("r2", START + 3 * HOUR)]
    )
    dent.calendars.upsert_appointments(
        [
            _appointment("d1", START),
            _appointment("d2", START + 3 * HOUR),
            _appointment("d3", START + 2 * HOUR, status="cancelled"),
        ]
    )
    agenda = AgencyAgendaReader([(ROOF, CalendarReader(roof)), (DENT, CalendarReader(dent))])
    rows = agenda.appointments_between(START, START + 10 * HOUR)
    # By start; a tie goes in the connection's order (Roofing before Dental).
    assert [(t.row.id, t.member.name) for t in rows] == [
        ("d1", "Bright Dental"),
        ("r1", "Summit Roofing"),
        ("r2", "Summit Roofing"),
        ("d2", "Bright Dental"),
    ]
    with_cancelled = agenda.appointments_between(START, START + 10 * HOUR, include_cancelled=True)
    assert [t.row.id for t in with_cancelled if t.row.status == "cancelled"] == ["d3"]
    # Every row is its owner's: each id is in that sub-account's cache, not the other's.
    for tagged in with_cancelled:
        owner = agenda.reader_of(tagged.member.sub_account_id)
        assert owner is not None and owner.appointment(tagged.row.id) is not None
        other = agenda.reader_of("sub_dent" if tagged.member is ROOF else "sub_roof")
        assert other is not None and other.appointment(tagged.row.id) is None


def test_contact_search_merges_names_and_counts_each_sub_account(
    partitions: tuple[Partition, Partition],
) -> None:
    roof, dent = partitions
    roof.contacts.upsert_many(
        [_contact("c_r1", "Dana", "Lee"), _contact("c_r2", "Zoe", "Park")]
        + [_contact(f"c_rx{i}", "Sam", f"Roofer{i:02d}") for i in range(30)]
    )
    dent.contacts.upsert_many([_contact("c_d1", "Anna", "Lee"), _contact("c_d2", "Dana", "Moss")])
    search = AgencyContactsReader([(ROOF, ContactsReader(roof)), (DENT, ContactsReader(dent))])

    found = search.search("dana")
    assert [(t.row.name, t.member.sub_account_id) for t in found.rows] == [
        ("Dana Lee", "sub_roof"),
        ("Dana Moss", "sub_dent"),
    ]
    assert found.totals == {"sub_roof": 1, "sub_dent": 1} and found.total == 2

    everyone = search.search(None, per_member=5)
    # Five of each at most, merged by name; the totals say how many there are in all.
    assert found.rows and len(everyone.rows) == 5 + 2
    names = [t.row.name.casefold() for t in everyone.rows]
    assert names == sorted(names)
    assert everyone.totals == {"sub_roof": 32, "sub_dent": 2}
    for tagged in everyone.rows:
        owner = search.reader_of(tagged.member.sub_account_id)
        assert owner is not None and owner.document(tagged.row.id) is not None


def test_a_sub_account_cannot_be_read_twice(partitions: tuple[Partition, Partition]) -> None:
    roof, _ = partitions
    with pytest.raises(ValueError, match="twice"):
        AgencyContactsReader([(ROOF, ContactsReader(roof)), (ROOF, ContactsReader(roof))])
