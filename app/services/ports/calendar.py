"""The Calendar tab's port: calendars, appointment types and appointments of one sub-account,
and the booking commands.

``CalendarPort`` is built from the ``Workspace`` by the bootstrap. It gives the
tab the active scope, a ``CalendarReader`` bound to one sub-account, whose
queries read the local cache (safe on worker threads, raising only
``StorageError`` subclasses) and answer with typed rows (``CalendarRow`` with
its ``BookingRules``, ``AppointmentTypeRow``, ``AppointmentRow``: see
``app.services.calendar_rows``), and the commands:

- ``load_range``: appointments of a range the user navigated to outside the
  polled window, fetched into the cache;
- ``booking()``: the ``BookingService`` of the open sub-account (free slots,
  book, reschedule, cancel; ``app.services.booking``);
- ``ics_of``/``write_ics``: the ``.ics`` export (``app.services.calendar_export``;
  ``write_ics`` raises ``ExportFailed`` with a sentence to show).

In "All sub-accounts" (agency keys, docs/architecture.md "The agency view")
``merged_agenda()`` reads every member sub-account at once (a
``MergedCalendarReader``: ids are merged keys, rows tagged with their owner), and
``open_owner`` makes a row's sub-account the session's before anything is done
to it: booking, rescheduling and cancelling always go through the open
sub-account's ``booking()``.

Every name the tab needs from below is re-exported here, so the UI imports only
``app.services`` and ``app.core``.
"""

from __future__ import annotations

import logging

from app.core.errors import ApiError
from app.services.agency_inbox import Member, chip_colour, merged_key, split_key
from app.services.agency_reads import AgencyAgendaReader, MergedCalendarReader

from app.services.booking import (
    BookingError,
    BookingNotConfirmed,
    BookingRefused,
    BookingRequest,
    BookingService,
    CancelOutcome,
    CancelReport,
    CancelState,
    DaySlots,
    NeedsConnection,
    RescheduleReport,
    Slot,
    SlotTaken,
    booking_errors,
    day_label,
    read_back_line,
    span_text,
    type_summary,
    zone_place,
)
from app.services.bus import ScopeKey
from app.services.calendar_export import ExportFailed, ics_of, uid_of, write_ics
from app.services.calendar_rows import (
    ACTIVE_STATUSES,
    CALENDAR_KIND_LABELS,
    STATUS_LABELS,
    AppointmentRow,
    AppointmentTypeRow,
    BookingContact,
    BookingRules,
    CalendarReader,
    CalendarRow,
    DateOverride,
    appointment_row,
    calendar_row,
    kind_label,
    status_label,
    type_row,
)
from app.services.ports.reader import OwnerSwitch, ReaderSlot
from app.services.sync import Stale
from app.services.workspace import NotActive, Workspace
from app.storage import StorageError

__all__ = [
    "ACTIVE_STATUSES",
    "Member",
    "MergedCalendarReader",
    "OwnerSwitch",
    "chip_colour",
    "merged_key",
    "split_key",
    "CALENDAR_KIND_LABELS",
    "STATUS_LABELS",
    "AppointmentRow",
    "AppointmentTypeRow",
    "BookingContact",
    "BookingError",
    "BookingNotConfirmed",
    "BookingRefused",
    "BookingRequest",
    "BookingRules",
    "BookingService",
    "CalendarPort",
    "CalendarReader",
    "CalendarRow",
    "CancelOutcome",
    "CancelReport",
    "CancelState",
    "DateOverride",
    "DaySlots",
    "ExportFailed",
    "NeedsConnection",
    "NotActive",
    "RescheduleReport",
    "Slot",
    "SlotTaken",
    "StorageError",
    "appointment_row",
    "booking_errors",
    "calendar_row",
    "day_label",
    "ics_of",
    "kind_label",
    "read_back_line",
    "span_text",
    "status_label",
    "type_row",
    "type_summary",
    "uid_of",
    "write_ics",
    "zone_place",
]


log = logging.getLogger(__name__)


def _local_zone() -> str:
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
    except Exception:  # no zone configured (containers): UTC is a safe reading
        return "UTC"
    return name or "UTC"


class CalendarPort:
    """Queries and commands of the Calendar tab (see the module docstring)."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._readers = ReaderSlot(workspace, CalendarReader)
        self._booking: BookingService | None = None
        self._booking_key: tuple[ScopeKey, int] | None = None
        self._user_zone: str | None = None
        self._merged: tuple[object, MergedCalendarReader] | None = None

    def active_scope(self) -> ScopeKey | None:
        """The sub-account being worked on, or None before a connection is opened."""
        active = self._workspace.active
        return None if active is None else active.scope

    def reader(self, scope: ScopeKey | None = None) -> CalendarReader | None:
        """A reader of the active sub-account's calendars (None when nothing is open);
        with ``scope``, of that sub-account. The same sub-account gives the same reader."""
        return self._readers.get(scope)

    # -- the agency view (All sub-accounts) --------------------------------------------------
    def all_mode(self) -> bool:
        """Whether the window shows every member sub-account at once (agency keys only)."""
        # Stand-ins of a workspace without the agency view (single-account tools) say no.
        workspace = self._workspace
        return bool(getattr(workspace, "all_sub_accounts", False)) and workspace.can_merge()

    def merged_agenda(self) -> MergedCalendarReader | None:
        """The members' calendars read as one (the same object while the members and their
        names stay the same); None outside All mode."""
        if not self.all_mode():
            return None
        profile = self._workspace.profile
        assert profile is not None  # all_mode() says a profile is open
        members: list[tuple[Member, CalendarReader]] = []
        for ref in self._workspace.merged_members():
            partition = self._workspace.db.partition(profile.cache_key, ref.id)
            scope = ScopeKey(partition.deployment, ref.id)
            members.append(
                (Member(scope, ref.name, chip_colour(ref.id)), CalendarReader(partition))
            )
        signature = tuple((m.scope, m.name) for m, _r in members)
        cached = self._merged
        if cached is not None and cached[0] == signature:
            return cached[1]
        reader = MergedCalendarReader(AgencyAgendaReader(members))
        self._merged = (signature, reader)
        return reader

    def open_sub_account(self) -> str | None:
        """The id of the session's sub-account, or None."""
        active = self._workspace.active
        return None if active is None else active.scope.sub_account_id

    async def open_owner(self, sub_account_id: str) -> OwnerSwitch:
        """Make ``sub_account_id`` the session's sub-account before acting on one of its
        appointments (its key and booking service serve what follows), after the window's
        check of unsaved work (``Workspace.open_owner``)."""
        return await self._workspace.open_owner(sub_account_id)
        confirm = getattr(self._workspace, "before_owner_switch", None)
        if confirm is not None and not await confirm():
            return "stayed"
        try:
            await self._workspace.switch_sub_account(sub_account_id)
        except (NotActive, ApiError) as exc:
            log.warning("could not open sub-account %s: %s", sub_account_id, exc)
            return "failed"
        return "opened"

    # -- zones -------------------------------------------------------------------------------
    def user_zone(self) -> str:
        """The user's IANA zone: the one set with ``set_user_zone``, else the computer's."""
        return self._user_zone or _local_zone()

    def set_user_zone(self, zone: str | None) -> None:
        """Show times in ``zone`` instead of the computer's (None: the computer's again)."""
        self._user_zone = zone or None

    # -- commands ------------------------------------------------------------------------------
    def booking(self) -> BookingService:
        """The booking service of the open sub-account (``NotActive`` when none is open).

        The same service while the sub-account stays open, so its slot cache is shared
        by every booking screen."""
        session = self._workspace.session
        if session is None or session.scope_key is None or session.partition is None:
            raise NotActive("Open a connection first.")
        key = (session.scope_key, session.generation)
        if self._booking is None or self._booking_key != key:
            self._booking = self._workspace.booking_service()
            self._booking_key = key
        return self._booking

    async def load_range(self, start_ms: int, end_ms: int) -> int:
        """Fetch the appointments of ``[start_ms, end_ms)`` into the cache when the poll
        does not keep them (recently loaded ranges are not fetched again); how many the
        range holds. 0 when the sub-account changed meanwhile; ``NotActive`` when nothing
        is open; the API's errors (``app.core.errors``) otherwise."""
        session = self._workspace.session
        sync = session.sync if session is not None else None
        if sync is None:
            raise NotActive("Open a connection first.")
        try:
            return await sync.load_range(start_ms, end_ms)
        except Stale:
            return 0
