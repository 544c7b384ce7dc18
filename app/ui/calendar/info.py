"""What every calendar view needs besides the entries: zones, calendars and type names.

``ViewInfo`` is rebuilt by the tab when the zones or the calendars change and
handed to the views, which use it to colour blocks and to describe them in
tooltips (times in the display zone, the calendar's zone named when it differs,
the second zone when one is chosen, the status in plain words). In "All
sub-accounts" it also knows the member sub-accounts, so a row's owner (its chip)
is found from its merged id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from app.services.ports.calendar import AppointmentRow, Member, split_key
from app.ui.calendar.calendars_model import CalendarEntry
from app.ui.calendar.entries import Entry
from app.ui.calendar.texts import (
    STATUS_MEANING,
    contact_label,
    duration_words,
    kind_words,
    status_words,
    time_range,
    zone_city,
    zone_label,
    zone_or_none,
)

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class ViewInfo:
    """Zones, calendars and type names, as the views use them."""

    zone_name: str = "UTC"
    second_zone_name: str | None = None
    calendars: Mapping[str, CalendarEntry] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    """Appointment type id → name."""
    members: Mapping[str, Member] = field(default_factory=dict)
    """In All mode, the member sub-accounts by id (rows' ids are merged keys); else empty."""

    def owner_of(self, row: AppointmentRow) -> Member | None:
        """The sub-account owning ``row`` in the merged view, else None."""
        if not self.members:
            return None
        owner, _bare = split_key(row.id)
        return None if owner is None else self.members.get(owner)

    @property
    def zone(self) -> ZoneInfo:
        """The display zone."""
        return zone_or_none(self.zone_name) or UTC_ZONE

    @property
    def second_zone(self) -> ZoneInfo | None:
        """The optional second zone (None when not chosen or the same as the display zone)."""
        if not self.second_zone_name or self.second_zone_name == self.zone_name:
            return None
        return zone_or_none(self.second_zone_name)

    def hue(self, calendar_id: str | None) -> int:
        """The colour index of a calendar."""
        entry = self.calendars.get(calendar_id or "")
        return entry.hue if entry is not None else 0

    def calendar_name(self, calendar_id: str | None) -> str:
        """A calendar's name as the panel lists it ("Unknown calendar" when not listed)."""
        entry = self.calendars.get(calendar_id or "")
        return "Unknown calendar" if entry is None else entry.name

    def calendar_zone(self, calendar_id: str | None) -> str | None:
        """The calendar's zone name, when it has a valid one."""
        entry = self.calendars.get(calendar_id or "")
        if entry is None or zone_or_none(entry.timezone) is None:
            return None
        return entry.timezone

    def calendar_kind(self, calendar_id: str | None) -> str | None:
        """The calendar's type (wire value), or None."""
        entry = self.calendars.get(calendar_id or "")
        return None if entry is None else entry.kind

    def type_name(self, type_id: str | None) -> str | None:
        """An appointment type's name, or None."""
        return self.types.get(type_id or "") if type_id else None

    def other_zone(self, row: AppointmentRow) -> str | None:
        """The zone to read times in besides the display zone: the calendar's when it
        differs, else the second zone."""
        calendar_zone = self.calendar_zone(row.calendar_id)
        if calendar_zone and calendar_zone != self.zone_name:
            return calendar_zone
        if self.second_zone is not None:
            return self.second_zone_name
        return None

    def describe(self, entry: Entry) -> str:
        """A tooltip for a block, in plain words (several lines)."""
        row = entry.primary
        lines = []
        if entry.is_session:
            lines.append(f"{self.type_name(row.type_id) or 'Class'} — {len(entry.rows)} booked")
        else:
            lines.append(contact_label(row))
            type_name = self.type_name(row.type_id) or row.title
            if type_name:
                lines.append(type_name)
        zone = self.zone
        when = time_range(row.start_ms, row.end_ms, zone, with_day=True)
        lines.append(
            f"{when} ({duration_words(row.start_ms, row.end_ms)}) in {zone_city(self.zone_name)}"
        )
        calendar_zone = self.calendar_zone(row.calendar_id)
        if calendar_zone and calendar_zone != self.zone_name:
            theirs = time_range(row.start_ms, row.end_ms, ZoneInfo(calendar_zone), with_day=True)
            lines.append(f"{theirs} in {zone_label(calendar_zone, row.start_ms)} (calendar's zone)")
        second = self.second_zone
        if second is not None and self.second_zone_name not in (calendar_zone, None):
            theirs = time_range(row.start_ms, row.end_ms, second, with_day=True)
            lines.append(f"{theirs} in {zone_city(self.second_zone_name or '')}")
        owner = self.owner_of(row)
        if owner is not None:
            lines.append(f"Sub-account: {owner.name}")
        calendar = self.calendar_name(row.calendar_id)
        kind = self.calendar_kind(row.calendar_id)
        lines.append(f"{calendar} ({kind_words(kind).lower()})" if kind else calendar)
        status = entry.status
        meaning = STATUS_MEANING.get(status)
        lines.append(f"{status_words(status)}: {meaning}" if meaning else status_words(status))
        return "\n".join(lines)


__all__ = ["ViewInfo"]
