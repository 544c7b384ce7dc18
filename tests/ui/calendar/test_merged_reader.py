"""``MergedCalendarReader`` over two partitions that use the same ids: every id comes back
as its owner's merged key, rows are merged by start, and a key reaches its owner only."""

from __future__ import annotations

import pytest

from app.services.agency_inbox import Member, chip_colour
from app.services.agency_reads import AgencyAgendaReader, MergedCalendarReader
from app.services.ports.calendar import CalendarReader, merged_key, split_key
from app.storage import Database, Partition
from app.ui.common.owner_chip import OWNER_HUES, owner_colour, owner_initial
from tests.ui.calendar.views_support import (
    DEPLOYMENT,
    SCOPE_A,
    SCOPE_B,
    appointment,
    calendar,
    db,
    part_a,
    utc,
)

__all__ = ["db", "part_a"]  # fixtures


@pytest.fixture
def part_b(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_b")
    part.calendars.replace_calendars([calendar("cal_a", "Front Desk")])
    part.calendars.replace_types(
        [{"id": "type_a", "calendarId": "cal_a", "name": "Cleaning", "duration": 45}]
    )
    return part


def merged_of(part_a: Partition, part_b: Partition) -> MergedCalendarReader:
    members = [
        (Member(SCOPE_A, "Alpha Dental", chip_colour("sub_a")), CalendarReader(part_a)),
        (Member(SCOPE_B, "Bravo Roofing", chip_colour("sub_b")), CalendarReader(part_b)),
    ]
    return MergedCalendarReader(AgencyAgendaReader(members))


def test_rows_of_both_partitions_keep_their_owner_even_with_the_same_ids(
    part_a: Partition, part_b: Partition
) -> None:
    part_a.calendars.upsert_appointments([appointment("ap_1", "2026-06-15T14:00", name="Ana Lima")])
    part_b.calendars.upsert_appointments(
        [
            appointment("ap_1", "2026-06-15T13:00", name="Bo Berg"),
            appointment("ap_2", "2026-06-15T15:00", name="Cy Chan", status="cancelled"),
        ]
    )
    reader = merged_of(part_a, part_b)
    start, end = (
        int(utc("2026-06-15T00:00").timestamp() * 1000),
        int(utc("2026-06-16T00:00").timestamp() * 1000),
    )
    rows = reader.appointments_between(start, end)
    assert [(r.id, r.contact_name) for r in rows] == [
        (merged_key("sub_b", "ap_1"), "Bo Berg"),
        (merged_key("sub_a", "ap_1"), "Ana Lima"),
    ]
    assert [r.calendar_id for r in rows] == [
        merged_key("sub_b", "cal_a"),
        merged_key("sub_a", "cal_a"),
    ]
    assert rows[0].contact_id == merged_key("sub_b", "contact_ap_1")
    with_cancelled = reader.appointments_between(start, end, include_cancelled=True)
    assert len(with_cancelled) == 3
    only_b = reader.appointments_between(
        start, end, [merged_key("sub_b", "cal_a")], include_cancelled=True
    )
    assert {split_key(r.id)[0] for r in only_b} == {"sub_b"}
    # One key reaches its owner's record only.
    one = reader.appointment(merged_key("sub_a", "ap_1"))
    assert one is not None and one.contact_name == "Ana Lima"
    assert reader.appointment("ap_1") is None, "a bare id is nobody's in the merged view"
    assert reader.appointment(merged_key("sub_c", "ap_1")) is None
    owner = reader.owner_of(merged_key("sub_b", "ap_2"))
    assert owner is not None and owner.name == "Bravo Roofing"
    # Calendars and types say whose they are.
    names = {c.id: c.name for c in reader.calendars()}
    assert names[merged_key("sub_b", "cal_a")] == "Front Desk (Bravo Roofing)"
    assert names[merged_key("sub_a", "cal_a")] == "Dr. Ortiz (Alpha Dental)"
    types = reader.types(merged_key("sub_b", "cal_a"))
    assert [(t.id, t.name) for t in types] == [(merged_key("sub_b", "type_a"), "Cleaning")]
    assert reader.covers(SCOPE_A) and reader.covers(SCOPE_B)
    assert reader.sub_account_id not in {"sub_a", "sub_b"}


def test_the_chip_colours_are_the_inboxs() -> None:
    from app.ui.inbox import delegate

    for index in range(len(OWNER_HUES) * 2):
        for dark in (False, True):
            assert owner_colour(index, dark) == delegate.owner_colour(index, dark)
    assert owner_initial("  9 Summit") == delegate.owner_initial("  9 Summit") == "9"
