"""What the Calendar tab does when asked: book, reschedule, cancel, export, notify.

``CalendarActions`` connects the tab's requests to the booking service through the
port: "New booking…" (N) and booking for a contact (another area's "Book appointment…"
or call mode) open the ``BookingDialog``; "Reschedule…" opens it in reschedule mode;
a confirmed cancel runs ``BookingService.cancel`` and says what happened on the tab's
banner; ``.ics`` export is given the services' file maker. New bookings and
cancellations brought by the poller become desktop notifications for the calendars
the user chose (none by default: a busy calendar would notify all day).

In "All sub-accounts" the booking dialog asks which sub-account to book in
(preselected from the contact, else the open one) and opens it before reading its
calendars and free times; rescheduling and cancelling reach here with bare ids
only once the tab opened the row's owner, and run on the booking service of the
sub-account open at that moment.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QMenu

from app.services.bus import AppointmentsChanged
from app.services.ports.calendar import (
    CancelState,
    AppointmentRow,
    BookingContact,
    BookingError,
    ExportFailed,
    NotActive,
    RescheduleReport,
    StorageError,
    merged_key,
    split_key,
    ics_of,
    span_text,
    write_ics,
)
from app.ui.calendar.booking_dialog import BookingDialog
from app.ui.calendar.calendars_model import CalendarIdRole
from app.ui.calendar.export import IcsExport
from app.ui.common.report import LineState, ReportLine, open_report, report_severity

if TYPE_CHECKING:
    from app.ui.calendar.tab import CalendarTab

log = logging.getLogger(__name__)

NOTIFY_LIMIT = 3
"""Notifications per poll; more are summed up in one."""


class CalendarActions(QObject):
    """The Calendar tab's commands (see the module docstring)."""

    def __init__(self, tab: CalendarTab) -> None:
        super().__init__(tab)
        self.tab = tab
        self.port = tab.port
        self.dialog: BookingDialog | None = None
        """The booking dialog open now (tests)."""
        self.notify_calendars: set[str] = set()
        """Calendars whose new bookings and cancellations are notified."""
        self.notices: list[tuple[str, str, str]] = []
        """(title, text, appointment id) of every notification sent (tests, diagnostics)."""
        tab.new_booking_requested.connect(lambda: self.book())
        tab.reschedule_requested.connect(self.reschedule)
        tab.cancel_requested.connect(self.cancel)
        tab.context.bridge.appointmentsChanged.connect(self._on_appointments)
        tab.set_ics_export(IcsExport(ics_of, write_ics, (ExportFailed,)))
        calendars = tab.panel.list
        calendars.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        calendars.customContextMenuRequested.connect(self._calendar_menu)

    # -- booking ---------------------------------------------------------------------------
    def book(
        self, contact: BookingContact | None = None, *, lead_zone: str | None = None
    ) -> BookingDialog | None:
        """Open the booking dialog (for ``contact`` when given: call mode, the first free
        time chosen, Enter books)."""
        return self._open(contact=contact, lead_zone=lead_zone)

    def book_contact(self, contact_id: str) -> BookingDialog | None:
        """Open the booking dialog for a contact of the cache (another area asked)."""
        owner, bare_id = split_key(contact_id)
        if owner is not None and owner != self.port.open_sub_account():
            # A contact of another member: its sub-account is opened by the dialog.
            return self._open(owner=owner, contact_id=bare_id)
        contact_id = bare_id
        reader = self.port.reader()
        contact = None
        if reader is not None:
            try:
                contact = reader.booking_contact(contact_id)
            except StorageError as exc:
                log.error("could not read contact %s", contact_id, exc_info=exc)
        if contact is None:
            self.tab.banner.show_message(
                "warning", "That contact is not in this sub-account's cache; book for a new person."
            )
        return self._open(contact=contact)

    def reschedule(self, appointment_id: str) -> BookingDialog | None:
        """Open the booking dialog to move an appointment (book the new time, then cancel
        the old one)."""
        reader = self.port.reader()
        row = reader.appointment(appointment_id) if reader is not None else None
        if row is None or not row.active:
            self.tab.banner.show_message(
                "info", "Only scheduled or confirmed appointments can be moved."
            )
            return None
        return self._open(reschedule=row)

    def _open(
        self,
        *,
        contact: BookingContact | None = None,
        reschedule: AppointmentRow | None = None,
        lead_zone: str | None = None,
        owner: str | None = None,
        contact_id: str | None = None,
    ) -> BookingDialog | None:
        if self.port.active_scope() is None:
            self.tab.banner.show_message("info", "Open a connection to book appointments.")
            return None
        if self.dialog is not None:
            self.dialog.close()
        merged = self.tab.merged
        dialog = BookingDialog(
            self.port,
            self.tab.tasks,
            contact=contact,
            reschedule=reschedule,
            lead_zone=lead_zone or self.tab.second_zone,
            user_zone=self.tab.zone_name,
            parent=self.tab,
            # A move stays in the appointment's own sub-account: no choice then.
            owners=merged.members() if merged is not None and reschedule is None else None,
            owner=owner,
            owner_contact_id=contact_id,
        )
        dialog.booked.connect(self._booked)
        dialog.finished.connect(lambda _result, d=dialog: self._closed(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _closed(self, dialog: BookingDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        if dialog.report is not None:
            self._rescheduled(dialog.report)

    def _rescheduled(self, report: RescheduleReport) -> None:
        """The banner after a reschedule says what the dialog's report said: a
        success only when the original no longer holds its time."""
        zone = self.tab.zone_name
        sentences = report.lines(zone)
        new = report.new
        who = new.contact_name or new.title or "The appointment"
        lines = [ReportLine(f"{who}, {span_text(new.start_ms, new.end_ms, zone)}", "Booked")]
        original = report.original
        old_name = (
            f"{who}, {span_text(original.start_ms, original.end_ms, zone)}"
            if original is not None
            else "The original appointment"
        )
        if report.two_bookings:
            why = " ".join(sentences[1:])
            lines.append(ReportLine(old_name, "Not cancelled", LineState.FAILED, why))
        else:
            lines.append(ReportLine(old_name, "Cancelled" if report.old_cancelled else "Gone"))
        severity = report_severity(failed=0, incomplete=report.two_bookings)
        summary = " ".join(sentences)

        def show() -> None:
            open_report(self.tab, "Reschedule report", summary, severity, lines)

        self.tab.banner.show_message(severity, summary, report=show)

    def _booked(self, row: AppointmentRow) -> None:
        who = row.contact_name or row.title or "The appointment"
        when = span_text(row.start_ms, row.end_ms, self.tab.zone_name)
        self.tab.banner.show_message("success", f"{who} is booked for {when}.")
        self.tab.show_appointment(row.id)

    # -- cancelling --------------------------------------------------------------------------
    def cancel(self, ids: list[str], reason: str) -> None:
        """Cancel ``ids`` for ``reason`` (the user confirmed it); the banner reports."""
        owner = self.port.open_sub_account()
        self.tab.tasks.spawn(self._cancel_in(owner, list(ids), reason), "calendar-cancel")

    async def _cancel_in(self, owner: str | None, ids: list[str], reason: str) -> None:
        """Cancel only while ``owner``, whose ids these are, is still the open sub-account:
        checked in the same step as ``_cancel`` takes its booking service."""
        if self.port.open_sub_account() != owner:
            self.tab.banner.show_message(
                "warning", "Another sub-account was opened meanwhile; nothing was cancelled."
            )
            return
        await self._cancel(ids, reason or None)

    def _appointment_name(self, appointment_id: str) -> str:
        row = self.tab._row(appointment_id)
        if row is None:
            return "An appointment"
        who = row.contact_name or row.title or "Appointment"
        return f"{who}, {span_text(row.start_ms, row.end_ms, self.tab.zone_name)}"

    async def _cancel(self, ids: list[str], reason: str | None) -> None:
        # Named now: a cancelled appointment may leave the view before the report is read.
        names = {i: self._appointment_name(i) for i in ids}
        try:
            report = await self.port.booking().cancel(ids, reason)
        except NotActive:
            self.tab.banner.show_message("info", "Open a connection to cancel appointments.")
            return
        except BookingError as exc:
            self.tab.banner.show_message("danger", exc.message)
            return
        severity = report_severity(failed=len(report.failed))
        lines = [
            ReportLine(
                names.get(o.appointment_id, o.appointment_id),
                "Cancelled"
                if o.state is CancelState.CANCELLED
                else "Already gone"
                if o.done
                else "Not cancelled",
                LineState.DONE if o.done else LineState.FAILED,
                "" if o.done else (o.message or "Seedly refused it."),
            )
            for o in report.outcomes
        ]
        summary = report.summary()

        def show() -> None:
            open_report(self.tab, "Cancellation report", summary, severity, lines)

        # The summary already gives the reasons of what failed; the report has each one.
        self.tab.banner.show_message(
            severity, summary, report=show if len(lines) > 1 or not report.ok else None
        )

    # -- notifications -----------------------------------------------------------------------
    def _calendar_menu(self, point: QPoint) -> QMenu | None:
        view = self.tab.panel.list
        index = view.indexAt(point)
        calendar_id = index.data(CalendarIdRole) if index.isValid() else None
        if not isinstance(calendar_id, str):
            return None
        menu = QMenu(view)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        action = menu.addAction("Notify me of new bookings and cancellations")
        action.setCheckable(True)
        action.setChecked(calendar_id in self.notify_calendars)
        action.toggled.connect(lambda on, c=calendar_id: self.set_notified(c, on))
        menu.popup(view.viewport().mapToGlobal(point))
        return menu

    def _notified(self, row: AppointmentRow, owner: str) -> bool:
        """Whether the user asked to hear of ``row``'s calendar (chosen in the merged view,
        or in the single view of its sub-account when that one is open)."""
        calendar_id = row.calendar_id
        if calendar_id is None:
            return False
        if calendar_id in self.notify_calendars:
            return True
        bare = split_key(calendar_id)[1]
        return bare in self.notify_calendars and owner == self.port.open_sub_account()

    def set_notified(self, calendar_id: str, on: bool) -> None:
        """Notify (or stop notifying) new bookings and cancellations of a calendar."""
        if on:
            self.notify_calendars.add(calendar_id)
        else:
            self.notify_calendars.discard(calendar_id)

    def _on_appointments(self, event: AppointmentsChanged) -> None:
        # In the merged view every member's changes count, read (and keyed) as it shows them.
        merged = self.tab.merged
        reader = merged if merged is not None else self.port.reader()
        if reader is None or event.scope is None or not reader.covers(event.scope) or event.own:
            return
        if not self.notify_calendars or not (event.booked or event.cancelled):
            return
        owner = event.scope.sub_account_id
        notices: list[tuple[str, str, str]] = []
        for kind, ids in (("New booking", event.booked), ("Cancelled", event.cancelled)):
            for appointment_id in ids:
                key = merged_key(owner, appointment_id) if merged is not None else appointment_id
                try:
                    row = reader.appointment(key)
                except StorageError:
                    continue
                if row is None or not self._notified(row, owner):
                    continue
                who = row.contact_name or row.title or "Appointment"
                when = span_text(row.start_ms, row.end_ms, self.tab.zone_name)
                notices.append((f"{kind}: {who}", when, row.id))
        if len(notices) > NOTIFY_LIMIT:
            first = notices[0]
            notices = [
                *notices[: NOTIFY_LIMIT - 1],
                (f"{len(notices) - NOTIFY_LIMIT + 1} more changes", "In the Calendar", first[2]),
            ]
        navigator = self.tab.context.navigator
        for title, text, appointment_id in notices:
            self.notices.append((title, text, appointment_id))
            navigator.notify(title, text, "appointment", appointment_id)


__all__ = ["NOTIFY_LIMIT", "CalendarActions"]
