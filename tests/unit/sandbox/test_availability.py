"""The sandbox's slot engine (app/sandbox/crm/availability.py), and the simulator hooks."""

from __future__ import annotations

import random
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.sandbox.crm.availability import (
    Refusal,
    Rules,
    check_booking,
    conflicts,
    day_slots,
    evaluate,
    iso_local,
    notice_phrase,
    pick_member,
    schedule_slots,
    wall_to_ms,
)

NY = "America/New_York"
MIN = 60_000
WED = date(2026, 4, 1)  # a Wednesday, New York on daylight time (-04:00)


def at(day: date, hhmm: str, tz: str = NY) -> int:
    hours, minutes = map(int, hhmm.split(":"))
    return int(
        datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(tz)).timestamp()
        * 1000
    )


def rules(**kw: object) -> Rules:
    base: dict[str, object] = {
        "timezone": NY,
        "weekly": {d: ((9 * 60, 12 * 60), (13 * 60, 17 * 60)) for d in range(5)},
        "members": ("usr_a",),
        "slot_interval": 30,
    }
    base.update(kw)
    return Rules(**base)  # type: ignore[arg-type]


def starts(slots: list, tz: str = NY) -> list[str]:
    return [iso_local(s.start_ms, ZoneInfo(tz))[11:] for s in slots]


EARLY = at(date(2026, 3, 25), "08:00")  # a week before WED: no notice or advance limits in the way


# -- weekly windows and time zones ---------------------------------------------------------------


def test_weekly_windows_with_lunch_break() -> None:
    slots = day_slots(rules(), WED, 30, EARLY, {})
    assert starts(slots) == [f"{h:02d}:{m:02d}:00-04:00" for h in (9, 10, 11) for m in (0, 30)] + [
        f"{h:02d}:{m:02d}:00-04:00" for h in (13, 14, 15, 16) for m in (0, 30)
    ]
    assert all(s.end_ms - s.start_ms == 30 * MIN for s in slots)
    # A 60-minute appointment must end inside its window: no 11:30 or 16:30 start.
    long = starts(day_slots(rules(), WED, 60, EARLY, {}))
    assert (
        long[0] == "09:00:00-04:00"
        and "11:30:00-04:00" not in long
        and long[-1] == "16:00:00-04:00"
    )
    # Weekend: no windows at all.
    assert day_slots(rules(), date(2026, 4, 4), 30, EARLY, {}) == []


def test_slots_carry_the_offset_of_their_day() -> None:
    winter = day_slots(
        rules(maximum_advance_days=400), date(2026, 1, 7), 30, at(date(2026, 1, 1), "08:00"), {}
    )
    assert iso_local(winter[0].start_ms, ZoneInfo(NY)) == "2026-01-07T09:00:00-05:00"
    summer = day_slots(rules(), WED, 30, EARLY, {})
    assert iso_local(summer[0].start_ms, ZoneInfo(NY)) == "2026-04-01T09:00:00-04:00"
    assert summer[0].start_ms == int(
        datetime(2026, 4, 1, 13, 0, tzinfo=ZoneInfo("UTC")).timestamp() * 1000
    )
    berlin = rules(timezone="Europe/Berlin")
    slot = day_slots(berlin, WED, 30, EARLY, {})[0]
    assert iso_local(slot.start_ms, ZoneInfo("Europe/Berlin")) == "2026-04-01T09:00:00+02:00"


def test_dst_spring_forward_day() -> None:
    # 2026-03-08: New York clocks jump from 02:00 EST to 03:00 EDT.
    day = date(2026, 3, 8)
    night = rules(weekly={6: ((0, 4 * 60),)}, slot_interval=60)
    slots = schedule_slots(night, day, 60)
    rendered = [(iso_local(a, ZoneInfo(NY)), iso_local(b, ZoneInfo(NY))) for a, b in slots]
    assert rendered == [
        ("2026-03-08T00:00:00-05:00", "2026-03-08T01:00:00-05:00"),
        # An hour after 01:00 EST is 03:00 EDT; 02:00 does not exist and offers nothing.
        ("2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"),
        ("2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"),
    ]
    assert wall_to_ms(day, 2 * 60 + 30, ZoneInfo(NY)) is None
    # Business hours the Saturday before and the Sunday of the change differ by the offset only.
    weekend = rules(weekly={5: ((9 * 60, 10 * 60),), 6: ((9 * 60, 10 * 60),)})
    now = at(date(2026, 3, 1), "08:00")
    assert starts(day_slots(weekend, date(2026, 3, 7), 30, now, {})) == [
        "09:00:00-05:00",
        "09:30:00-05:00",
    ]
    assert starts(day_slots(weekend, day, 30, now, {})) == ["09:00:00-04:00", "09:30:00-04:00"]
    sat, sun = (day_slots(weekend, d, 30, now, {})[0].start_ms for d in (date(2026, 3, 7), day))
    assert sun - sat == 23 * 60 * MIN  # that Sunday's 09:00 comes 23 hours after Saturday's


def test_dst_fall_back_day() -> None:
    # 2026-11-01: 01:00-02:00 happens twice; a wall time means its first occurrence.
    day = date(2026, 11, 1)
    night = rules(weekly={6: ((0, 3 * 60),)}, slot_interval=60)
    rendered = [
        (iso_local(a, ZoneInfo(NY)), iso_local(b, ZoneInfo(NY)))
        for a, b in schedule_slots(night, day, 60)
    ]
    assert rendered == [
        ("2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00"),
        ("2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"),
        ("2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00"),
    ]


# -- overrides -------------------------------------------------------------------------------------


def test_date_overrides_block_a_day_or_change_its_hours() -> None:
    r = rules(overrides={"2026-04-01": (), "2026-04-02": ((10 * 60, 12 * 60),)})
    assert day_slots(r, WED, 30, EARLY, {}) == []
    assert starts(day_slots(r, date(2026, 4, 2), 30, EARLY, {})) == [
        "10:00:00-04:00",
        "10:30:00-04:00",
        "11:00:00-04:00",
        "11:30:00-04:00",
    ]
    with pytest.raises(Refusal) as info:
        check_booking(r, at(WED, "09:00"), at(WED, "09:30"), 30, EARLY, {})
    assert info.value.reason == "closed" and "closed on 2026-04-01" in info.value.message
    with pytest.raises(Refusal) as info:
        check_booking(
            r, at(date(2026, 4, 2), "09:00"), at(date(2026, 4, 2), "09:30"), 30, EARLY, {}
        )
    assert info.value.reason == "hours"
    # An override can also open a day the weekly schedule keeps closed.
    sat = rules(overrides={"2026-04-04": ((9 * 60, 10 * 60),)})
    assert len(day_slots(sat, date(2026, 4, 4), 30, EARLY, {})) == 2


# -- bookings and buffers --------------------------------------------------------------------------


def test_existing_booking_and_buffers() -> None:
    busy = {"usr_a": [(at(WED, "09:00"), at(WED, "09:30"))]}
    plain = rules(weekly={2: ((8 * 60, 11 * 60),)}, slot_interval=10)
    free = starts(day_slots(plain, WED, 30, EARLY, busy))
    assert "08:30:00-04:00" in free and "09:30:00-04:00" in free
    assert not any(s in free for s in ("08:40:00-04:00", "09:00:00-04:00", "09:20:00-04:00"))
    after = starts(
        day_slots(
            rules(weekly=plain.weekly, slot_interval=10, buffer_after=10), WED, 30, EARLY, busy
        )
    )
    # The new slot needs 10 free minutes after itself, and the booking 10 after it.
    assert "08:20:00-04:00" in after and "08:30:00-04:00" not in after
    assert "09:30:00-04:00" not in after and "09:40:00-04:00" in after
    both = rules(weekly=plain.weekly, slot_interval=10, buffer_before=15, buffer_after=10)
    nxt = [s for s in starts(day_slots(both, WED, 30, EARLY, busy)) if s > "09:00"]
    assert nxt[0] == "09:50:00-04:00"  # buffers may overlap each other, not a booking: max(15, 10)
    assert conflicts(at(WED, "09:40"), at(WED, "10:10"), busy["usr_a"][0], 15, 10)
    assert not conflicts(at(WED, "09:45"), at(WED, "10:15"), busy["usr_a"][0], 15, 10)


def test_notice_and_past() -> None:
    now = at(WED, "08:00")
    r = rules(minimum_notice=120)
    assert starts(day_slots(r, WED, 30, now, {}))[0] == "10:00:00-04:00"
    with pytest.raises(Refusal) as info:
        check_booking(r, at(WED, "09:30"), at(WED, "10:00"), 30, now, {})
    assert info.value.reason == "notice"
    assert info.value.message == "Bookings need at least 2 hours' notice"
    with pytest.raises(Refusal) as info:
        check_booking(r, at(WED, "09:00"), at(WED, "09:30"), 30, at(WED, "09:05"), {})
    assert info.value.reason == "past"
    # Earlier days are in the past: nothing is offered.
    assert day_slots(rules(), date(2026, 3, 31), 30, now, {}) == []
    assert check_booking(r, at(WED, "10:00"), at(WED, "10:30"), 30, now, {}).start_ms == at(
        WED, "10:00"
    )
    assert notice_phrase(60) == "1 hour's notice" and notice_phrase(1440) == "1 day's notice"
    assert notice_phrase(45) == "45 minutes' notice"


def test_maximum_advance() -> None:
    r = rules(maximum_advance_days=10)
    now = at(date(2026, 3, 25), "08:00")  # a Wednesday
    assert day_slots(r, date(2026, 4, 3), 30, now, {})  # day 9
    assert day_slots(r, date(2026, 4, 6), 30, now, {}) == []  # day 12, a Monday
    with pytest.raises(Refusal) as info:
        check_booking(r, at(date(2026, 4, 6), "09:00"), at(date(2026, 4, 6), "09:30"), 30, now, {})
    assert info.value.reason == "advance" and "at most 10 days in advance" in info.value.message


def test_schedule_and_duration_refusals() -> None:
    r = rules()
    with pytest.raises(Refusal) as info:
        check_booking(r, at(WED, "09:00"), at(WED, "09:45"), 30, EARLY, {})
    assert info.value.reason == "duration"
    for start in ("09:07", "12:00", "16:45", "06:00"):
        with pytest.raises(Refusal) as info:
            check_booking(r, at(WED, start), at(WED, start) + 30 * MIN, 30, EARLY, {})
        assert info.value.reason == "hours", start
    sunday = date(2026, 4, 5)
    with pytest.raises(Refusal) as info:
        check_booking(r, at(sunday, "10:00"), at(sunday, "10:30"), 30, EARLY, {})
    assert "no bookings on Sundays" in info.value.message
    with pytest.raises(Refusal) as info:
        check_booking(
            r,
            at(WED, "09:00"),
            at(WED, "09:30"),
            30,
            EARLY,
            {"usr_a": [(at(WED, "09:00"), at(WED, "09:30"))]},
        )
    assert info.value.reason == "taken" and info.value.message == "That time is no longer available"


# -- calendar types --------------------------------------------------------------------------------


def test_round_robin_needs_any_member_collective_needs_all() -> None:
    busy = {
        "a": [(at(WED, "09:00"), at(WED, "10:00"))],
        "b": [(at(WED, "10:00"), at(WED, "11:00"))],
    }
    rr = rules(kind="round_robin", members=("a", "b"), slot_interval=60)
    team = rules(kind="collective", members=("a", "b"), slot_interval=60)
    by_start = {s.start_ms: s.free_members for s in day_slots(rr, WED, 60, EARLY, busy)}
    assert by_start[at(WED, "09:00")] == ("b",)
    assert by_start[at(WED, "10:00")] == ("a",)
    assert by_start[at(WED, "11:00")] == ("a", "b")
    collective = [s.start_ms for s in day_slots(team, WED, 60, EARLY, busy)]
    assert at(WED, "09:00") not in collective and at(WED, "10:00") not in collective
    assert at(WED, "11:00") in collective
    assert evaluate(team, at(WED, "11:00"), at(WED, "12:00"), busy).free_members == ("a", "b")  # type: ignore[union-attr]
    personal = rules(members=("a",), slot_interval=60)
    assert at(WED, "09:00") not in [s.start_ms for s in day_slots(personal, WED, 60, EARLY, busy)]


def test_round_robin_pick_fewest_upcoming_then_order() -> None:
    order = ("a", "b", "c")
    assert pick_member(("a", "b", "c"), {}, order) == "a"
    assert pick_member(("a", "b", "c"), {"a": 2, "b": 1, "c": 1}, order) == "b"
    assert pick_member(("a", "c"), {"a": 2, "b": 0, "c": 2}, order) == "a"
    with pytest.raises(ValueError):
        pick_member((), {}, order)


def test_class_seats() -> None:
    cls = rules(
        kind="class",
        members=("host",),
        seats=3,
        weekly={2: ((16 * 60, 17 * 60),)},
        slot_interval=60,
    )
    session = (at(WED, "16:00"), at(WED, "17:00"))
    assert day_slots(cls, WED, 60, EARLY, {}, [])[0].seats_remaining == 3
    assert day_slots(cls, WED, 60, EARLY, {}, [session, session])[0].seats_remaining == 1
    assert day_slots(cls, WED, 60, EARLY, {}, [session] * 3) == []
    with pytest.raises(Refusal) as info:
        check_booking(cls, *session, 60, EARLY, {}, [session] * 3)
    assert info.value.reason == "full" and "class is full" in info.value.message
    # Opening a session needs its host free; joining a running one only needs a seat.
    elsewhere = {"host": [session]}
    assert day_slots(cls, WED, 60, EARLY, elsewhere, []) == []
    assert day_slots(cls, WED, 60, EARLY, elsewhere, [session])[0].seats_remaining == 2


# -- the simulator hooks, in-process ---------------------------------------------------------------


def test_simulator_books_and_moves_appointments_along(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.sandbox.crm import calendars
    from app.sandbox.server import build_sandbox
    from app.sandbox.state import SandboxConfig
    from app.sandbox.store import loads

    store = build_sandbox(SandboxConfig(data_dir=tmp_path, seed="demo")).state.store
    sub = "sub_summit_roofing"
    rng = random.Random(7)
    booked = []
    with store.transaction():
        for _ in range(5):
            appt = calendars.book_random(store, sub, rng)
            if appt is not None:
                booked.append(appt)
    assert len(booked) >= 3
    names = [
        r["name"] for r in store.all("SELECT name FROM events WHERE sub_account_id = ?", (sub,))
    ]
    assert names.count("appointment.booked") == len(booked)
    now = store.clock.now_ms()
    for appt in booked:
        assert appt["status"] == "scheduled" and appt["contactId"]
        start = datetime.fromisoformat(appt["startTime"]).timestamp() * 1000
        assert now < start <= now + 15 * 86_400_000
    # A week later, whatever ended is completed or a no-show.
    store.clock.advance(7 * 86_400_000)
    with store.transaction():
        changed = calendars.advance_appointments(store, sub, rng)
    assert changed > 0
    later = store.clock.now_ms()
    assert (
        store.scalar(
            "SELECT COUNT(*) FROM appointments WHERE sub_account_id = ? AND end_ms <= ? "
            "AND status IN ('scheduled', 'confirmed')",
            (sub, later),
        )
        == 0
    )
    moved = [
        loads(r["body"])["event"]
        for r in store.all(
            "SELECT body FROM events WHERE sub_account_id = ? "
            "AND name IN ('appointment.completed', 'appointment.no_show')",
            (sub,),
        )
    ]
    assert len(moved) >= 1
    # Repeated passes confirm upcoming appointments and now and then reschedule one.
    with store.transaction():
        for _ in range(40):
            calendars.advance_appointments(store, sub, rng)
    counts = {
        r["name"]: r["n"]
        for r in store.all(
            "SELECT name, COUNT(*) AS n FROM events WHERE sub_account_id = ? GROUP BY name", (sub,)
        )
    }
    assert counts.get("appointment.confirmed", 0) >= 1
    assert counts.get("appointment.rescheduled", 0) >= 1
    event = loads(
        store.scalar(
            "SELECT body FROM events WHERE name = 'appointment.rescheduled' "
            "AND sub_account_id = ? ORDER BY seq DESC LIMIT 1",
            (sub,),
        )
    )["data"]
    assert event["previousStartTime"] != event["startTime"]
    # Nobody is double booked after all that: active bookings of one member never overlap.
    rows = store.all(
        "SELECT start_ms, end_ms, busy_members FROM appointments WHERE sub_account_id = ? "
        "AND status IN ('scheduled', 'confirmed') ORDER BY start_ms",
        (sub,),
    )
    by_member: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        for m in loads(r["busy_members"]):
            by_member.setdefault(m, []).append((r["start_ms"], r["end_ms"]))
    for member, spans in by_member.items():
        distinct = sorted(set(spans))  # the seats of a class share one session of its host
        assert all(a[1] <= b[0] for a, b in pairwise(distinct)), member
    store.close()
