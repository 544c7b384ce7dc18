"""How the Calendar tab words things: statuses, calendar kinds, zones, times, read-back.

Plain words only, never wire values ("No-show", not ``no_show``). Times are
written as 24-hour ``HH:MM`` and days as "Tue 14 Apr", the way a salesperson
reads them out on a call; zones by their city ("New York").
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from app.core.phones import display_phone
from app.services.ports.calendar import AppointmentRow
from app.ui.calendar.layout import local_time

STATUS_WORDS = {
    "scheduled": "Scheduled",
    "confirmed": "Confirmed",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "no_show": "No-show",
}
STATUS_MEANING = {
    "scheduled": "booked, not confirmed yet (outlined)",
    "confirmed": "the contact confirmed (filled, with a check mark)",
    "completed": "it took place (muted, with a check mark)",
    "cancelled": "called off (struck through and hatched; hidden unless shown)",
    "no_show": "the contact did not come (muted, with a cross)",
}
KIND_WORDS = {
    "personal": "Personal",
    "round_robin": "Round robin",
    "collective": "Collective",
    "class": "Class",
}
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_LONG_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _plain(value: str) -> str:
    words = value.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else "Unknown"


def status_words(status: str) -> str:
    """A status in plain words ("No-show"); an unknown one de-underscored."""
    return STATUS_WORDS.get(status) or _plain(status)


def kind_words(kind: str | None) -> str:
    """A calendar type in plain words ("Round robin")."""
    if not kind:
        return "Calendar"
    return KIND_WORDS.get(kind) or _plain(kind)


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The zone called ``name``, or None when it is missing or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_city(name: str) -> str:
    """A zone by its city: "America/New_York" → "New York", "UTC" stays."""
    if name in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    return name.rsplit("/", 1)[-1].replace("_", " ")


def zone_label(name: str, when_ms: int | None = None) -> str:
    """A zone with its current abbreviation or offset: "New York (EST)"."""
    zone = zone_or_none(name)
    if zone is None:
        return zone_city(name)
    moment = (
        local_time(when_ms, zone) if when_ms is not None else datetime.now(zone).astimezone(zone)
    )
    abbreviation = moment.tzname() or ""
    city = zone_city(name)
    return city if not abbreviation or abbreviation == city else f"{city} ({abbreviation})"


@cache
def zone_names() -> tuple[str, ...]:
    """Every region/city zone of tzdata, sorted, plus UTC (the zone pickers' choices)."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/", "US/"))
    }
    return ("UTC", *sorted(names))


def hhmm(moment: datetime) -> str:
    """``HH:MM`` (24 hours)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def short_day(day: date) -> str:
    """ "Tue 14 Apr"."""
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {MONTH_ABBREVIATIONS[day.month - 1]}"


def day_name(day: date) -> str:
    """ "Tue"."""
    return _DAY_NAMES[day.weekday()]


def month_title(day: date) -> str:
    """ "April 2026"."""
    return f"{_LONG_MONTHS[day.month - 1]} {day.year}"


def long_day(day: date) -> str:
    """ "Tuesday 14 April 2026"."""
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return f"{names[day.weekday()]} {day.day} {_LONG_MONTHS[day.month - 1]} {day.year}"


def period_title(view: str, days: list[date]) -> str:
    """The heading of a view's period: "7 – 13 Dec 2026", "Tuesday 14 April 2026"..."""
    if not days:
        return ""
    first, last = days[0], days[-1]
    if view == "day":
        return long_day(first)
    if view == "month":
        middle = days[len(days) // 2]
        return month_title(middle)
    if view == "agenda":
        return f"From {short_day(first)} {first.year}"
    if first.month == last.month:
        return f"{first.day} – {last.day} {MONTH_ABBREVIATIONS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return (
            f"{first.day} {MONTH_ABBREVIATIONS[first.month - 1]} – "
            f"{last.day} {MONTH_ABBREVIATIONS[last.month - 1]} {last.year}"
        )
    return (
        f"{first.day} {MONTH_ABBREVIATIONS[first.month - 1]} {first.year} – "
        f"{last.day} {MONTH_ABBREVIATIONS[last.month - 1]} {last.year}"
    )


def time_range(start_ms: int, end_ms: int, zone: ZoneInfo, *, with_day: bool = False) -> str:
    """ "10:00–10:30" in ``zone`` ("Tue 14 Apr, 10:00–10:30" ``with_day``); an end on
    another day names that day too."""
    start, end = local_time(start_ms, zone), local_time(end_ms, zone)
    text = f"{hhmm(start)}–{hhmm(end)}"
    if end.date() != start.date() and end_ms - start_ms > 0:
        if (end.hour, end.minute) == (0, 0) and (end.date() - start.date()).days == 1:
            text = f"{hhmm(start)}–00:00"  # ends at midnight: no other day worth naming
        else:
            text = f"{hhmm(start)} – {short_day(end.date())}, {hhmm(end)}"
    return f"{short_day(start.date())}, {text}" if with_day else text


def duration_words(start_ms: int, end_ms: int) -> str:
    """ "30 min", "1 h", "1 h 30 min"."""
    minutes = max(0, round((end_ms - start_ms) / 60_000))
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def read_back(row: AppointmentRow, user_zone: str, other_zone: str | None) -> str:
    """The line a salesperson reads out: "Tue 14 Apr, 10:00–10:30 in New York =
    16:00–16:30 in Berlin" (the other zone's day named when it differs)."""
    user = zone_or_none(user_zone) or ZoneInfo("UTC")
    mine = f"{time_range(row.start_ms, row.end_ms, user, with_day=True)} in {zone_city(user_zone)}"
    other = zone_or_none(other_zone)
    if other is None or other_zone is None or other_zone == user_zone:
        return mine
    same_day = local_time(row.start_ms, user).date() == local_time(row.start_ms, other).date()
    theirs = time_range(row.start_ms, row.end_ms, other, with_day=not same_day)
    if theirs == time_range(row.start_ms, row.end_ms, user) and same_day:
        return mine  # the same wall-clock times: no second half worth reading out
    return f"{mine} = {theirs} in {zone_city(other_zone)}"


def contact_label(row: AppointmentRow) -> str:
    """Who the appointment is with (the contact's name, else email or phone)."""
    phone = row.contact_phone and display_phone(row.contact_phone)
    return row.contact_name or row.contact_email or phone or "No contact"


def block_title(row: AppointmentRow) -> str:
    """The main line of a block: the contact, else the title."""
    return row.contact_name or row.title or row.contact_email or "Appointment"


__all__ = [
    "KIND_WORDS",
    "MONTH_ABBREVIATIONS",
    "STATUS_MEANING",
    "STATUS_WORDS",
    "block_title",
    "contact_label",
    "day_name",
    "duration_words",
    "hhmm",
    "kind_words",
    "long_day",
    "month_title",
    "period_title",
    "read_back",
    "short_day",
    "status_words",
    "time_range",
    "zone_city",
    "zone_label",
    "zone_names",
    "zone_or_none",
]
