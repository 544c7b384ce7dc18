"""Calendars, appointment types and appointments."""

from __future__ import annotations

from typing import Any

from app.storage import Partition

H = 3_600_000
T0 = 1_775_030_400_000  # 2026-04-01T08:00:00Z


def appt(aid: str, start: int, end: int, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": aid, "calendarId": "cal1", "appointmentTypeId": "t1",
                           "contactId": "c1", "title": aid, "startTime": start, "endTime": end,
                           "status": "scheduled", "createdAt": "2026-03-01T00:00:00Z"}  # fmt: skip
    doc.update(fields)
    return doc


def test_calendars_and_types(part: Partition) -> None:
    part.calendars.replace_calendars(
        [
            {"id": "cal2", "name": "Zeta room", "type": "class", "timezone": "UTC"},
            {
                "id": "cal1",
                "name": "Main Calendar",
                "type": "personal",
                "timezone": "America/New_York",
            },
        ]
    )
    assert [c["id"] for c in part.calendars.calendars()] == ["cal1", "cal2"]
    assert part.calendars.get_calendar("cal2")["type"] == "class"  # type: ignore[index]
    part.calendars.replace_calendars([{"id": "cal1", "name": "Main Calendar"}])
    assert [c["id"] for c in part.calendars.calendars()] == ["cal1"]
    assert part.calendars.get_calendar("cal2") is None

    part.calendars.replace_types(
        [
            {"id": "t2", "calendarId": "cal1", "name": "60-Minute Visit", "duration": 60},
            {"id": "t1", "calendarId": "cal1", "name": "30-Minute Consultation", "duration": 30},
            {"id": "t3", "calendarId": "cal2", "name": "Class", "duration": 45},
        ]
    )
    assert [t["id"] for t in part.calendars.types()] == ["t1", "t2", "t3"]
    assert [t["id"] for t in part.calendars.types("cal2")] == ["t3"]
    # Replacing one calendar's types leaves the others alone.
    part.calendars.replace_types([{"id": "t4", "name": "Only one", "duration": 15}], "cal1")
    assert [t["id"] for t in part.calendars.types()] == ["t3", "t4"]
    assert [t["id"] for t in part.calendars.types("cal1")] == ["t4"]


def test_appointments_between_uses_overlap(part: Partition) -> None:
    part.calendars.upsert_appointments(
        [
            appt("before", T0 - 2 * H, T0 - H),
            appt("touching_start", T0 - H, T0),
            appt("overlap_start", T0 - H, T0 + H),
            appt("inside", T0 + H, T0 + 2 * H, status="confirmed"),
            appt("iso", 0, 0, startTime="2026-04-01T11:00:00.000Z", endTime="2026-04-01T11:30:00Z"),
            appt("other_cal", T0 + H, T0 + 2 * H, calendarId="cal2"),
            appt("touching_end", T0 + 4 * H, T0 + 5 * H),
            appt("spanning", T0 - 5 * H, T0 + 9 * H, status="cancelled"),
        ]
    )  # fmt: skip
    window = part.calendars.appointments_between(T0, T0 + 4 * H)
    assert [a["id"] for a in window] == ["spanning", "overlap_start", "inside", "other_cal", "iso"]
    assert [a["id"] for a in part.calendars.appointments_between(T0, T0 + 4 * H, "cal2")] == [
        "other_cal"
    ]
    confirmed = part.calendars.appointments_between(T0, T0 + 4 * H, status="confirmed")
    assert [a["id"] for a in confirmed] == ["inside"]
    iso = part.calendars.get_appointment("iso")
    assert iso is not None and iso["startTime"] == "2026-04-01T11:00:00.000Z"


def test_appointment_upsert_idempotent_and_deletions(part: Partition) -> None:
    docs = [appt("a1", T0, T0 + H), appt("a2", T0 + H, T0 + 2 * H, contactId="c2")]
    assert part.calendars.upsert_appointments(docs) == 2
    assert part.calendars.upsert_appointments(docs) == 0
    assert part.calendars.upsert_appointments([{**docs[0], "status": "cancelled"}]) == 1
    assert [a["status"] for a in part.calendars.appointments_for_contact("c1")] == ["cancelled"]
    assert part.calendars.delete_appointments(["a1", "zzz"]) == 1
    assert part.calendars.get_appointment("a1") is None


def test_replace_appointments_between_removes_vanished_ones(part: Partition) -> None:
    part.calendars.upsert_appointments(
        [appt("keep", T0, T0 + H), appt("gone", T0 + H, T0 + 2 * H),
         appt("outside", T0 + 10 * H, T0 + 11 * H), appt("other", T0, T0 + H, calendarId="cal2")]
    )  # fmt: skip
    deleted = part.calendars.replace_appointments_between(
        T0,
        T0 + 4 * H,
        [appt("keep", T0, T0 + H, status="confirmed"), appt("new", T0, T0 + H)],
        "cal1",
    )
    assert deleted == 1
    assert part.calendars.get_appointment("gone") is None
    assert part.calendars.get_appointment("outside") is not None
    assert part.calendars.get_appointment("other") is not None
    assert part.calendars.get_appointment("keep")["status"] == "confirmed"  # type: ignore[index]
    assert part.calendars.get_appointment("new") is not None
