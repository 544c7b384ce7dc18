"""Calendars, availability and booking over real HTTP against a sandbox process
(docs/api/seedly-crm.md §6).

Dates are never hard-coded: every test reads the sandbox's "now", the calendar's
timezone and booking rules, and looks for days with free slots, so it passes
whatever day and time it runs. Tests that move the clock use a private sandbox.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox, start_sandbox

pytestmark = pytest.mark.timeout(120)

MIN = 60_000
DAY = 86_400_000
Slots = list[dict[str, Any]]


# -- helpers -------------------------------------------------------------------------------------


def unique_email(tag: str = "booker") -> str:
    return f"{tag}.{uuid.uuid4().hex[:10]}@example.com"


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def utc_iso(value: int) -> str:
    return (
        datetime.fromtimestamp(value / 1000, tz=ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{value % 1000:03d}Z"
    )


def local_ms(day: date, hhmm: str, tz: str) -> int:
    h, m = map(int, hhmm.split(":"))
    return int(datetime(day.year, day.month, day.day, h, m, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def sandbox_now(box: Sandbox) -> int:
    return ms(box.control("GET", "health")["now"])


def today_in(box: Sandbox, tz: str) -> date:
    return datetime.fromtimestamp(sandbox_now(box) / 1000, tz=ZoneInfo(tz)).date()


def error(r: httpx.Response, status: int, code: str, field: str | None = None) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    if field is not None:
        assert body["error"].get("field") == field, body
    return str(body["error"]["message"])


def calendars(client: httpx.Client) -> list[dict[str, Any]]:
    r = client.get("/api/v1/calendars")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def calendar_of(client: httpx.Client, kind: str) -> dict[str, Any]:
    return next(c for c in calendars(client) if c["type"] == kind)


def types_of(client: httpx.Client, calendar_id: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/calendars/types", params={"calendarId": calendar_id})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def availability(client: httpx.Client, type_id: str, day: date | str) -> Slots:
    r = client.get(
        "/api/v1/calendars/availability", params={"appointmentTypeId": type_id, "date": str(day)}
    )
    assert r.status_code == 200, r.text
    return r.json()["data"]


def find_day(
    box: Sandbox,
    client: httpx.Client,
    calendar: dict[str, Any],
    type_id: str,
    want: Callable[[Slots], bool] = bool,
    max_days: int = 60,
) -> tuple[date, Slots]:
    """The first date from today (calendar's timezone) whose slots satisfy ``want``."""
    first = today_in(box, calendar["timezone"])
    for offset in range(max_days):
        day = first + timedelta(days=offset)
        slots = availability(client, type_id, day)
        if want(slots):
            return day, slots
    raise AssertionError(f"no day with suitable slots for {type_id} in {max_days} days")


def book(
    client: httpx.Client, type_id: str, start: int, end: int, email: str | None = None, **extra: Any
) -> httpx.Response:
    body = {
        "appointmentTypeId": type_id,
        "startTime": start,
        "endTime": end,
        "firstName": "Jane",
        "lastName": "Booker",
        "email": email or unique_email(),
        **extra,
    }
    return client.post("/api/v1/calendars/appointments", json=body)


def book_slot(
    client: httpx.Client, type_id: str, slot: dict[str, Any], email: str | None = None, **extra: Any
) -> dict[str, Any]:
    r = book(client, type_id, ms(slot["start"]), ms(slot["end"]), email, **extra)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def events(box: Sandbox, name: str, sub: str) -> list[dict[str, Any]]:
    return box.control("GET", f"events?name={name}&subAccountId={sub}&limit=5000")


def all_appointments(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = client.get(
            "/api/v1/calendars/appointments",
            params={**params, **({"cursor": cursor} if cursor else {})},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["data"]
        if not body["meta"]["hasMore"]:
            return out
        cursor = body["meta"]["cursor"]


def contacts_with_email(client: httpx.Client, email: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/contacts", params={"email": email})
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def empty_box(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A private sandbox with calendars but no appointments; its clock is never moved."""
    box = start_sandbox(
        tmp_path_factory.mktemp("calendars-empty"), "--seed", "empty", *GENEROUS_LIMITS
    )
    yield box
    box.stop()


# -- calendars and types -------------------------------------------------------------------------


def test_list_calendars_every_type_personal_first(sandbox: Sandbox) -> None:
    for index in range(len(sandbox.sub_ids)):
        cals = calendars(sandbox.client(sandbox.sub_key(index)))
        assert cals[0]["type"] == "personal"
        assert {c["type"] for c in cals} == {"personal", "round_robin", "collective", "class"}
        for cal in cals:
            assert cal["id"].startswith("cal_") and cal["name"]
            assert cal["isActive"] is True  # only active calendars are listed
            ZoneInfo(cal["timezone"])
            assert cal["teamMemberIds"]
            assert (cal["seats"] is not None) == (cal["type"] == "class")
        assert len({c["id"] for c in cals}) == len(cals)
    first = calendars(sandbox.client())[0]
    assert first["name"] == "Dr. Ortiz – Consultations" and first["timezone"] == "America/New_York"
    assert first["weeklySchedule"]["monday"] == [
        {"start": "09:00", "end": "12:00"},
        {"start": "13:00", "end": "17:00"},
    ]


def test_list_types_and_calendar_filter(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cals = calendars(client)
    r = client.get("/api/v1/calendars/types")
    assert r.status_code == 200
    every = r.json()["data"]
    assert {t["calendarId"] for t in every} == {
        c["id"] for c in cals
    }  # types of active calendars only
    for t in every:
        assert set(t) == {"id", "calendarId", "name", "duration", "slug"}
        assert 15 <= t["duration"] <= 90 and t["slug"] == t["slug"].lower() and " " not in t["slug"]
    for cal in cals:
        mine = types_of(client, cal["id"])
        assert mine and all(t["calendarId"] == cal["id"] for t in mine)
        assert mine == [t for t in every if t["calendarId"] == cal["id"]]
    error(
        client.get("/api/v1/calendars/types", params={"calendarId": "cal_nope"}), 404, "NOT_FOUND"
    )
    other = calendars(sandbox.client(sandbox.sub_key(1)))[0]["id"]
    error(client.get("/api/v1/calendars/types", params={"calendarId": other}), 404, "NOT_FOUND")


def test_empty_seed_has_configuration_but_no_appointments(empty_box: Sandbox) -> None:
    client = empty_box.client()
    cals = calendars(client)
    assert {c["type"] for c in cals} == {"personal", "round_robin", "collective", "class"}
    assert client.get("/api/v1/calendars/types").json()["data"]
    r = client.get("/api/v1/calendars/appointments")
    assert r.status_code == 200 and r.json()["data"] == [] and r.json()["meta"]["total"] == 0


# -- availability --------------------------------------------------------------------------------


def test_availability_shape_follows_schedule_and_timezone(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    tz = ZoneInfo(cal["timezone"])
    now = sandbox_now(sandbox)  # read first: the server's "now" can only be later
    day, slots = find_day(sandbox, client, cal, atype["id"])
    starts = [ms(s["start"]) for s in slots]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
        day.weekday()
    ]
    override = {o["date"]: o["hours"] for o in cal["dateOverrides"]}.get(day.isoformat())
    windows = override if override is not None else cal["weeklySchedule"][weekday]
    for slot in slots:
        assert set(slot) == {"start", "end"}  # seatsRemaining only on class calendars
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert start.date() == day
        assert start.utcoffset() == datetime.fromtimestamp(start.timestamp(), tz=tz).utcoffset()
        assert (end - start) == timedelta(minutes=atype["duration"])
        assert ms(slot["start"]) >= now + cal["minimumNoticeMinutes"] * MIN
        hhmm, end_hhmm = start.strftime("%H:%M"), end.strftime("%H:%M")
        window = next((w for w in windows if w["start"] <= hhmm and end_hhmm <= w["end"]), None)
        assert window is not None, (slot, windows)
        offset = (
            (start.hour * 60 + start.minute)
            - int(window["start"][:2]) * 60
            - int(window["start"][3:])
        )
        assert offset % cal["slotInterval"] == 0


def test_availability_validation_and_empty_days(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cal = calendars(client)[0]
    type_id = types_of(client, cal["id"])[0]["id"]
    url = "/api/v1/calendars/availability"
    error(
        client.get(url, params={"date": "2026-04-01"}), 400, "VALIDATION_ERROR", "appointmentTypeId"
    )
    error(
        client.get(url, params={"appointmentTypeId": "apt_type_nope", "date": "2026-04-01"}),
        404,
        "NOT_FOUND",
    )
    for bad in ("2026-13-01", "2026-02-30", "tomorrow", "01/04/2026", "2026-4-1"):
        error(
            client.get(url, params={"appointmentTypeId": type_id, "date": bad}),
            400,
            "VALIDATION_ERROR",
            "date",
        )
    today = today_in(sandbox, cal["timezone"])
    assert availability(client, type_id, today - timedelta(days=3)) == []
    assert availability(client, type_id, "1999-01-04") == []
    assert (
        availability(client, type_id, today + timedelta(days=cal["maximumAdvanceDays"] + 1)) == []
    )
    assert availability(client, type_id, "9999-12-31") == []
    # date is optional: today in the calendar's timezone.
    r = client.get(url, params={"appointmentTypeId": type_id})
    assert r.status_code == 200 and r.json()["data"] == availability(client, type_id, today)


def test_blocked_override_day_offers_nothing_and_refuses(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    today = today_in(sandbox, cal["timezone"])
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    blocked = [
        date.fromisoformat(o["date"])
        for o in cal["dateOverrides"]
        if not o["hours"]
        and today
        < date.fromisoformat(o["date"])
        <= today + timedelta(days=cal["maximumAdvanceDays"])
    ]
    blocked = [d for d in blocked if cal["weeklySchedule"][names[d.weekday()]]]
    assert blocked, cal["dateOverrides"]
    day = blocked[0]
    assert availability(client, atype["id"], day) == []
    start = local_ms(day, cal["weeklySchedule"][names[day.weekday()]][0]["start"], cal["timezone"])
    email = unique_email("blocked")
    message = error(
        book(client, atype["id"], start, start + atype["duration"] * MIN, email),
        400,
        "VALIDATION_ERROR",
        "startTime",
    )
    assert f"closed on {day.isoformat()}" in message
    assert contacts_with_email(client, email) == []


# -- booking ------------------------------------------------------------------------------------


def test_booking_returns_appointment_fires_event_and_slot_disappears(sandbox: Sandbox) -> None:
    client = sandbox.client()
    sub = sandbox.sub_ids[0]
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    day, slots = find_day(sandbox, client, cal, atype["id"])
    slot = slots[-1]
    email = unique_email("jane")
    appt = book_slot(
        client, atype["id"], slot, email, phone="+15551234567", notes="First consultation"
    )
    for name in (
        "id",
        "calendarId",
        "appointmentTypeId",
        "contactId",
        "title",
        "startTime",
        "endTime",
        "status",
        "assignedTo",
        "notes",
        "createdAt",
        "contact",
    ):
        assert name in appt, name
    assert appt["id"].startswith("appt_")
    assert appt["calendarId"] == cal["id"] and appt["appointmentTypeId"] == atype["id"]
    assert appt["startTime"] == utc_iso(ms(slot["start"])) and appt["endTime"] == utc_iso(
        ms(slot["end"])
    )
    assert appt["status"] == "scheduled" and appt["notes"] == "First consultation"
    assert appt["assignedTo"] == cal["teamMemberIds"][0]  # personal: the owner
    assert atype["name"] in appt["title"]
    assert appt["contact"]["email"] == email and appt["contact"]["id"] == appt["contactId"]
    contact = contacts_with_email(client, email)
    assert [c["id"] for c in contact] == [appt["contactId"]] and contact[0][
        "phone"
    ] == "+15551234567"
    assert slot not in availability(client, atype["id"], day)
    fired = [
        e
        for e in events(sandbox, "appointment.booked", sub)
        if e["data"]["appointmentId"] == appt["id"]
    ]
    assert len(fired) == 1
    data = fired[0]["data"]
    assert data["subAccountId"] == sub and data["contactId"] == appt["contactId"]
    assert data["calendarId"] == cal["id"] and data["appointmentTypeId"] == atype["id"]
    assert data["startTime"] == appt["startTime"] and data["endTime"] == appt["endTime"]
    assert data["assignedTo"] == appt["assignedTo"]
    assert "tags" not in data  # a new contact has none
    listed = all_appointments(
        client, calendarId=cal["id"], startDate=ms(slot["start"]), endDate=ms(slot["end"])
    )
    assert appt["id"] in [a["id"] for a in listed]


def test_same_email_finds_the_same_contact(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    _, slots = find_day(sandbox, client, cal, atype["id"], lambda s: len(s) >= 4)
    email = unique_email("twice")
    first = book_slot(client, atype["id"], slots[0], email)
    second = book_slot(client, atype["id"], slots[3], email.upper(), firstName="Janet")
    assert first["contactId"] == second["contactId"]
    assert len(contacts_with_email(client, email)) == 1
    assert second["contact"]["firstName"] == "Jane"  # found, not overwritten
    # An existing demo contact with tags is found too, and the event carries its tags.
    tagged = client.get("/api/v1/contacts", params={"tags": "vip", "limit": 1}).json()["data"][0]
    _, later = find_day(sandbox, client, cal, atype["id"], lambda s: len(s) >= 6)
    appt = book_slot(client, atype["id"], later[5], tagged["email"])
    assert appt["contactId"] == tagged["id"]
    fired = [
        e
        for e in events(sandbox, "appointment.booked", sandbox.sub_ids[0])
        if e["data"]["appointmentId"] == appt["id"]
    ]
    assert fired[0]["data"]["tags"] == tagged["tags"]


def test_buffer_after_removes_the_next_slot(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cal = calendars(client)[0]
    assert cal["bufferAfter"] > 0
    atype = next(t for t in types_of(client, cal["id"]) if t["duration"] == cal["slotInterval"])
    step = cal["slotInterval"] * MIN

    def back_to_back(slots: Slots) -> bool:
        starts = {ms(s["start"]) for s in slots}
        return any(s + step in starts and s + 2 * step in starts for s in starts)

    day, slots = find_day(sandbox, client, cal, atype["id"], back_to_back)
    starts = {ms(s["start"]) for s in slots}
    first = min(s for s in starts if s + step in starts and s + 2 * step in starts)
    book_slot(
        client,
        atype["id"],
        {"start": utc_iso(first), "end": utc_iso(first + atype["duration"] * MIN)},
    )
    after = {ms(s["start"]) for s in availability(client, atype["id"], day)}
    # The next slot does not overlap the booking, but it starts inside its buffer.
    assert first not in after and first + step not in after and first + 2 * step in after


def test_double_booking_is_refused_also_when_simultaneous(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    day, slots = find_day(sandbox, client, cal, atype["id"], lambda s: len(s) >= 3)
    book_slot(client, atype["id"], slots[0])
    email = unique_email("late")
    r = book(client, atype["id"], ms(slots[0]["start"]), ms(slots[0]["end"]), email)
    assert error(r, 400, "VALIDATION_ERROR", "startTime") == "That time is no longer available"
    assert contacts_with_email(client, email) == []
    # Two requests for the same last slot at the same moment: exactly one wins.
    target = availability(client, atype["id"], day)[-1]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def attempt() -> None:
        with httpx.Client(
            base_url=sandbox.url,
            headers={"Authorization": f"Bearer {sandbox.sub_key(0)}"},
            timeout=30,
        ) as own:
            barrier.wait()
            results.append(
                book(own, atype["id"], ms(target["start"]), ms(target["end"])).status_code
            )

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 400]


def _valid_body(
    sandbox: Sandbox, client: httpx.Client
) -> tuple[dict[str, Any], dict[str, Any], date]:
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    day, slots = find_day(sandbox, client, cal, atype["id"])
    body = {
        "appointmentTypeId": atype["id"],
        "startTime": ms(slots[0]["start"]),
        "endTime": ms(slots[0]["end"]),
        "firstName": "Jane",
        "lastName": "Doe",
        "email": unique_email("refused"),
    }
    return body, cal, day


@pytest.mark.parametrize(
    ("change", "field", "needle"),
    [
        ({"appointmentTypeId": None}, "appointmentTypeId", "appointmentTypeId is required"),
        ({"startTime": None}, "startTime", "startTime is required"),
        ({"endTime": None}, "endTime", "endTime is required"),
        ({"firstName": "  "}, "firstName", "firstName is required"),
        ({"lastName": None}, "lastName", "lastName is required"),
        ({"email": None}, "email", "email is required"),
        ({"firstName": None, "email": ""}, "firstName", "firstName and email are required"),
        ({"appointmentTypeId": 12}, "appointmentTypeId", "must be a string"),
        ({"startTime": "1743508800000"}, "startTime", "must be a number"),
        ({"endTime": True}, "endTime", "must be a number"),
        ({"startTime": 1743508800000.5}, "startTime", "whole number"),
        ({"startTime": -5}, "startTime", "at least 0"),
        ({"firstName": ["Jane"]}, "firstName", "must be a string"),
        ({"email": "not-an-email"}, "email", "not a valid email"),
        ({"phone": "555-1234"}, "phone", "E.164"),
        ({"phone": 5551234567}, "phone", "must be a string"),
        ({"notes": {"a": 1}}, "notes", "must be a string"),
        (
            {"appointmentTypeId": "apt_type_nope"},
            "appointmentTypeId",
            "does not name an appointment type",
        ),
    ],
)
def test_booking_body_refusals(
    sandbox: Sandbox, change: dict[str, Any], field: str, needle: str
) -> None:
    client = sandbox.client()
    body, _, _ = _valid_body(sandbox, client)
    email = body["email"]
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    message = error(
        client.post("/api/v1/calendars/appointments", json=body), 400, "VALIDATION_ERROR", field
    )
    assert needle in message
    assert contacts_with_email(client, email) == []


def test_booking_time_refusals(sandbox: Sandbox) -> None:
    client = sandbox.client()
    body, cal, day = _valid_body(sandbox, client)
    tz = cal["timezone"]
    atype = types_of(client, cal["id"])[0]
    start, duration = body["startTime"], atype["duration"] * MIN
    url = "/api/v1/calendars/appointments"

    def refused(field: str, **change: Any) -> str:
        return error(client.post(url, json={**body, **change}), 400, "VALIDATION_ERROR", field)

    assert f"exactly {atype['duration']} minutes" in refused(
        "endTime", endTime=start + duration + 15 * MIN
    )
    assert "endTime must be after startTime" in refused("endTime", endTime=start)
    assert "milliseconds" in refused(
        "startTime", startTime=start // 1000, endTime=start // 1000 + 1800
    )
    night = local_ms(day, "03:00", tz)
    assert "not one of" in refused("startTime", startTime=night, endTime=night + duration)
    odd = start + 7 * MIN
    assert "not one of" in refused("startTime", startTime=odd, endTime=odd + duration)
    today = today_in(sandbox, tz)
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    assert not cal["weeklySchedule"]["sunday"]
    at = local_ms(sunday, "10:00", tz)
    assert "no bookings on Sundays" in refused("startTime", startTime=at, endTime=at + duration)
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    far = today + timedelta(days=cal["maximumAdvanceDays"] + 1)
    while not cal["weeklySchedule"][names[far.weekday()]]:
        far += timedelta(days=1)
    at = local_ms(far, cal["weeklySchedule"][names[far.weekday()]][0]["start"], tz)
    message = refused("startTime", startTime=at, endTime=at + duration)
    assert f"at most {cal['maximumAdvanceDays']} days in advance" in message
    past = sandbox_now(sandbox) - 3 * DAY
    assert "in the past" in refused("startTime", startTime=past, endTime=past + duration)
    assert contacts_with_email(client, body["email"]) == []


def test_malformed_bodies(sandbox: Sandbox) -> None:
    client = sandbox.client()
    url = "/api/v1/calendars/appointments"
    headers = {"Content-Type": "application/json"}
    error(
        client.post(url, content=b'{"appointmentTypeId": ', headers=headers),
        400,
        "VALIDATION_ERROR",
    )
    assert "JSON object" in error(
        client.post(url, content=b"[1, 2]", headers=headers), 400, "VALIDATION_ERROR"
    )
    assert "required" in error(
        client.post(url, content=b"", headers=headers), 400, "VALIDATION_ERROR"
    )
    error(client.post(url, content=b"\xff\xfe", headers=headers), 400, "VALIDATION_ERROR")


# -- calendar types: round robin, collective, class ----------------------------------------------


def test_round_robin_assigns_free_member_with_fewest_upcoming(empty_box: Sandbox) -> None:
    client = empty_box.client()
    cal = calendar_of(client, "round_robin")
    members = cal["teamMemberIds"]
    assert len(members) >= 2
    atype = types_of(client, cal["id"])[0]
    duration = atype["duration"] * MIN
    gap = duration + (cal["bufferBefore"] + cal["bufferAfter"]) * MIN

    def spaced(slots: Slots) -> bool:
        starts = [ms(s["start"]) for s in slots]
        return bool(starts) and max(starts) - min(starts) >= 2 * gap

    day, slots = find_day(empty_box, client, cal, atype["id"], spaced)
    slot = slots[0]
    taken = [book_slot(client, atype["id"], slot)["assignedTo"] for _ in members]
    assert taken == members  # nobody has bookings yet: calendar order breaks the ties
    assert slot not in availability(client, atype["id"], day)
    message = error(
        book(client, atype["id"], ms(slot["start"]), ms(slot["end"])), 400, "VALIDATION_ERROR"
    )
    assert message == "That time is no longer available"
    # Later: everyone has one upcoming booking again, so the tie goes to the first member.
    later = next(
        s
        for s in availability(client, atype["id"], day)
        if ms(s["start"]) >= ms(slot["start"]) + gap
    )
    assert book_slot(client, atype["id"], later)["assignedTo"] == members[0]
    even_later = next(
        s
        for s in availability(client, atype["id"], day)
        if ms(s["start"]) >= ms(later["start"]) + gap
    )
    assert book_slot(client, atype["id"], even_later)["assignedTo"] == members[1]


def test_collective_books_everyone_and_blocks_their_other_calendars(empty_box: Sandbox) -> None:
    client = empty_box.client()
    team = calendar_of(client, "collective")
    personal = calendars(client)[0]
    owner = personal["teamMemberIds"][0]
    assert owner in team["teamMemberIds"]
    team_type = types_of(client, team["id"])[0]
    personal_type = next(
        t for t in types_of(client, personal["id"]) if t["duration"] <= team_type["duration"]
    )

    def overlapping(slots: Slots) -> bool:
        if not slots:
            return False
        day = date.fromisoformat(slots[0]["start"][:10])
        mine = {s["start"] for s in availability(client, personal_type["id"], day)}
        return any(s["start"] in mine for s in slots)

    day, slots = find_day(empty_box, client, team, team_type["id"], overlapping)
    mine = {s["start"] for s in availability(client, personal_type["id"], day)}
    slot = next(s for s in slots if s["start"] in mine)
    appt = book_slot(client, team_type["id"], slot)
    assert appt["assignedTo"] == team["teamMemberIds"][0]
    assert appt["attendees"] == team["teamMemberIds"]
    assert slot not in availability(client, team_type["id"], day)
    assert slot["start"] not in {s["start"] for s in availability(client, personal_type["id"], day)}


def test_class_seats_count_down_until_full(empty_box: Sandbox) -> None:
    client = empty_box.client()
    cal = calendar_of(client, "class")
    atype = types_of(client, cal["id"])[0]
    day, slots = find_day(empty_box, client, cal, atype["id"])
    slot = slots[0]
    assert slot["seatsRemaining"] == cal["seats"]
    email = unique_email("student")
    first = book_slot(client, atype["id"], slot, email)
    assert first["seats"] == {"capacity": cal["seats"], "booked": 1, "remaining": cal["seats"] - 1}
    now = next(s for s in availability(client, atype["id"], day) if s["start"] == slot["start"])
    assert now["seatsRemaining"] == cal["seats"] - 1
    again = error(
        book(client, atype["id"], ms(slot["start"]), ms(slot["end"]), email),
        400,
        "VALIDATION_ERROR",
    )
    assert "already has an appointment" in again
    for _ in range(cal["seats"] - 1):
        book_slot(client, atype["id"], slot)
    assert slot["start"] not in {s["start"] for s in availability(client, atype["id"], day)}
    full = error(
        book(client, atype["id"], ms(slot["start"]), ms(slot["end"])), 400, "VALIDATION_ERROR"
    )
    assert "class is full" in full


# -- cancel --------------------------------------------------------------------------------------


def test_cancel_with_reason_is_idempotent_frees_slot_and_fires_once(sandbox: Sandbox) -> None:
    client = sandbox.client()
    sub = sandbox.sub_ids[0]
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    day, slots = find_day(sandbox, client, cal, atype["id"])
    slot = slots[0]
    appt = book_slot(client, atype["id"], slot)
    assert slot not in availability(client, atype["id"], day)
    url = f"/api/v1/calendars/appointments/{appt['id']}"
    for _ in range(2):
        r = client.delete(url, params={"reason": "Customer requested"})
        assert r.status_code == 200, r.text
        assert r.json()["data"] == {"id": appt["id"], "cancelled": True}
    assert slot in availability(client, atype["id"], day)
    listed = all_appointments(
        client, calendarId=cal["id"], startDate=ms(slot["start"]), endDate=ms(slot["end"])
    )
    mine = next(a for a in listed if a["id"] == appt["id"])
    assert mine["status"] == "cancelled" and mine["cancellationReason"] == "Customer requested"
    fired = [
        e
        for e in events(sandbox, "appointment.cancelled", sub)
        if e["data"]["appointmentId"] == appt["id"]
    ]
    assert len(fired) == 1
    assert fired[0]["data"]["reason"] == "Customer requested"
    assert fired[0]["data"]["contactId"] == appt["contactId"]
    error(client.delete("/api/v1/calendars/appointments/appt_nope"), 404, "NOT_FOUND")
    done = client.get(
        "/api/v1/calendars/appointments", params={"status": "completed", "limit": 1}
    ).json()["data"]
    assert done, "the demo seed has completed appointments"
    assert "cannot be cancelled" in error(
        client.delete(f"/api/v1/calendars/appointments/{done[0]['id']}"), 400, "VALIDATION_ERROR"
    )


# -- listing -------------------------------------------------------------------------------------


def test_list_filters_order_and_cursor_paging(sandbox: Sandbox) -> None:
    client = sandbox.client()
    first = client.get("/api/v1/calendars/appointments", params={"limit": 50}).json()
    assert len(first["data"]) == 50 and first["meta"]["hasMore"] is True
    everything = all_appointments(client, limit=37)
    ids = [a["id"] for a in everything]
    assert len(ids) == len(set(ids)) == first["meta"]["total"]
    starts = [(ms(a["startTime"]), a["id"]) for a in everything]
    assert starts == sorted(starts)  # by startTime ascending, then id
    now = sandbox_now(sandbox)
    week = all_appointments(client, startDate=now, endDate=now + 7 * DAY, limit=200)
    assert week and all(ms(a["endTime"]) > now and ms(a["startTime"]) < now + 7 * DAY for a in week)
    assert {a["id"] for a in week} == {
        a["id"] for a in everything if ms(a["endTime"]) > now and ms(a["startTime"]) < now + 7 * DAY
    }
    for status in ("scheduled", "confirmed", "completed", "cancelled", "no_show"):
        got = all_appointments(client, status=status, limit=200)
        assert got and all(a["status"] == status for a in got), status
    cal = calendar_of(client, "round_robin")
    mine = all_appointments(client, calendarId=cal["id"], status="completed", limit=200)
    assert mine and all(a["calendarId"] == cal["id"] and a["status"] == "completed" for a in mine)
    url = "/api/v1/calendars/appointments"
    for params in (
        {"status": "done"},
        {"limit": 201},
        {"limit": 0},
        {"startDate": "yesterday"},
        {"startDate": now, "endDate": now - 1},
        {"cursor": "not-a-cursor"},
    ):
        error(client.get(url, params=params), 400, "VALIDATION_ERROR")
    error(client.get(url, params={"calendarId": "cal_nope"}), 404, "NOT_FOUND")
    # A cursor is bound to the filters it was issued for.
    cursor = client.get(url, params={"limit": 5, "status": "completed"}).json()["meta"]["cursor"]
    error(
        client.get(url, params={"limit": 5, "status": "scheduled", "cursor": cursor}),
        400,
        "VALIDATION_ERROR",
    )


def test_demo_appointments_are_consistent(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cals = {c["id"]: c for c in calendars(client)}
    everything = all_appointments(client, limit=200)
    now = sandbox_now(sandbox)
    past = [a for a in everything if ms(a["endTime"]) < now - DAY]
    upcoming = [a for a in everything if ms(a["startTime"]) > now + DAY]
    assert {a["status"] for a in past} == {"completed", "no_show", "cancelled"}
    assert (
        {"scheduled", "confirmed"}
        <= {a["status"] for a in upcoming}
        <= {"scheduled", "confirmed", "cancelled"}
    )
    assert min(ms(a["startTime"]) for a in everything) < now - 20 * DAY
    assert max(ms(a["startTime"]) for a in everything) > now + 14 * DAY
    assert set(cals) <= {a["calendarId"] for a in everything}  # every active calendar has bookings
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    busy: dict[str, set[tuple[int, int]]] = {}
    for a in everything:
        assert a["contact"] and a["contact"]["id"] == a["contactId"]
        cal = cals.get(a["calendarId"])
        if cal is None or a["status"] == "cancelled":
            continue
        start = datetime.fromtimestamp(ms(a["startTime"]) / 1000, tz=ZoneInfo(cal["timezone"]))
        end = datetime.fromtimestamp(ms(a["endTime"]) / 1000, tz=ZoneInfo(cal["timezone"]))
        override = {o["date"]: o["hours"] for o in cal["dateOverrides"]}.get(
            start.date().isoformat()
        )
        windows = (
            override if override is not None else cal["weeklySchedule"][names[start.weekday()]]
        )
        assert any(
            w["start"] <= start.strftime("%H:%M") and end.strftime("%H:%M") <= w["end"]
            for w in windows
        ), (a, windows)
        for member in a["attendees"]:
            busy.setdefault(member, set()).add((ms(a["startTime"]), ms(a["endTime"])))
    for member, spans in busy.items():
        ordered = sorted(spans)  # a class session's seats share one span
        assert all(x[1] <= y[0] for x, y in pairwise(ordered)), member


# -- clock-driven rules (private sandboxes) ------------------------------------------------------


def test_minimum_notice_and_past_with_a_moved_clock(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    client = box.client()
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    notice = cal["minimumNoticeMinutes"]
    assert notice >= 60
    day, slots = find_day(box, client, cal, atype["id"])
    slot = slots[0]
    start = ms(slot["start"])
    box.control("POST", "clock/advance", json={"ms": start - notice * MIN // 2 - sandbox_now(box)})
    assert slot not in availability(client, atype["id"], day)
    message = error(
        book(client, atype["id"], start, ms(slot["end"])), 400, "VALIDATION_ERROR", "startTime"
    )
    assert message == f"Bookings need at least {notice // 60} hours' notice"
    box.control("POST", "clock/advance", json={"ms": notice * MIN})
    assert "in the past" in error(
        book(client, atype["id"], start, ms(slot["end"])), 400, "VALIDATION_ERROR"
    )


def test_deleting_a_contact_cancels_only_upcoming_appointments(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    client = box.client()
    sub = box.sub_ids[0]
    cal = calendars(client)[0]
    atype = types_of(client, cal["id"])[0]
    email = unique_email("leaving")
    _, slots = find_day(box, client, cal, atype["id"])
    earlier = book_slot(client, atype["id"], slots[0], email)
    box.control(
        "POST", "clock/advance", json={"ms": ms(earlier["endTime"]) + MIN - sandbox_now(box)}
    )
    _, slots = find_day(box, client, cal, atype["id"])
    upcoming = book_slot(client, atype["id"], slots[0], email)
    assert upcoming["contactId"] == earlier["contactId"]
    r = client.delete(f"/api/v1/contacts/{earlier['contactId']}")
    assert r.status_code == 200, r.text
    got = {a["id"]: a for a in all_appointments(client, contactId=earlier["contactId"])}
    assert got[earlier["id"]]["status"] == "scheduled"  # in the past: kept as it was
    assert got[upcoming["id"]]["status"] == "cancelled"
    assert got[upcoming["id"]]["cancellationReason"] == "Contact deleted"
    assert got[upcoming["id"]]["contact"]["email"] == email  # history keeps the name
    fired = events(box, "appointment.cancelled", sub)
    assert [e["data"]["appointmentId"] for e in fired] == [upcoming["id"]]
    assert fired[0]["data"]["reason"] == "Contact deleted"


# -- isolation and scopes ------------------------------------------------------------------------


def test_sub_accounts_are_isolated_and_agency_key_works(sandbox: Sandbox) -> None:
    a, b = sandbox.client(), sandbox.client(sandbox.sub_key(1))
    sub_a, sub_b = sandbox.sub_ids[0], sandbox.sub_ids[1]
    cal = calendars(a)[0]
    atype = types_of(a, cal["id"])[0]
    _, slots = find_day(sandbox, a, cal, atype["id"])
    appt = book_slot(a, atype["id"], slots[0])
    error(b.delete(f"/api/v1/calendars/appointments/{appt['id']}"), 404, "NOT_FOUND")
    assert all_appointments(b, contactId=appt["contactId"]) == []
    error(
        b.get("/api/v1/calendars/appointments", params={"calendarId": cal["id"]}), 404, "NOT_FOUND"
    )
    error(
        b.get("/api/v1/calendars/availability", params={"appointmentTypeId": atype["id"]}),
        404,
        "NOT_FOUND",
    )
    error(
        book(b, atype["id"], ms(slots[-1]["start"]), ms(slots[-1]["end"])),
        400,
        "VALIDATION_ERROR",
        "appointmentTypeId",
    )
    assert atype["id"] not in {t["id"] for t in b.get("/api/v1/calendars/types").json()["data"]}
    agency = sandbox.info["agency_key"]
    as_a = sandbox.client(agency, sub_account=sub_a)
    assert [x["id"] for x in all_appointments(as_a, contactId=appt["contactId"])] == [appt["id"]]
    assert calendars(as_a) == calendars(a)
    assert (
        all_appointments(sandbox.client(agency, sub_account=sub_b), contactId=appt["contactId"])
        == []
    )
    error(sandbox.client(agency).get("/api/v1/calendars"), 400, "VALIDATION_ERROR")
    r = as_a.delete(f"/api/v1/calendars/appointments/{appt['id']}")
    assert r.status_code == 200 and r.json()["data"]["cancelled"] is True


def test_scopes_readonly_key_reads_but_cannot_book(sandbox: Sandbox) -> None:
    ro = sandbox.client(sandbox.info["readonly_key"])
    cal = calendars(ro)[0]
    atype = types_of(ro, cal["id"])[0]
    assert (
        ro.get(
            "/api/v1/calendars/availability", params={"appointmentTypeId": atype["id"]}
        ).status_code
        == 200
    )
    assert ro.get("/api/v1/calendars/appointments", params={"limit": 1}).status_code == 200
    _, slots = find_day(sandbox, ro, cal, atype["id"])
    message = error(
        book(ro, atype["id"], ms(slots[0]["start"]), ms(slots[0]["end"])), 403, "FORBIDDEN"
    )
    assert "calendars:write" in message
    some = ro.get(
        "/api/v1/calendars/appointments", params={"limit": 1, "status": "scheduled"}
    ).json()["data"][0]
    assert "calendars:write" in error(
        ro.delete(f"/api/v1/calendars/appointments/{some['id']}"), 403, "FORBIDDEN"
    )
    minted = sandbox.control(
        "POST", "keys", json={"subAccountId": sandbox.sub_ids[0], "scopes": ["contacts:read"]}
    )
    other = sandbox.client(minted["key"])
    assert "calendars:read" in error(other.get("/api/v1/calendars"), 403, "FORBIDDEN")
    error(sandbox.client("").get("/api/v1/calendars"), 401, "UNAUTHORIZED")
