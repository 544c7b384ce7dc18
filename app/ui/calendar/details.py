"""The details pane: the selected appointment in plain words, and what can be done with it.

Shown: the contact (with "Open in Contacts" and "Open conversation"), when (in the
display zone, then in the calendar's zone when it differs and in the second zone
when one is chosen), the type, the calendar (with its zone), who it is assigned
to, the status in words, notes, when it was created and, for a cancelled one,
when and why. A class session lists its attendees (choosing one shows it).
"Copy read-back" puts the line a salesperson reads out on the clipboard ("Tue 14
Apr, 10:00–10:30 in New York = 16:00–16:30 in Berlin"). The pane asks for
actions through signals; the tab carries them out.

Finding the contact's conversation needs the reader to answer
``conversation_of_contact`` (``ConversationFinder``); without it the button is
not offered, and when the contact has none it says so.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.phones import display_phone
from app.core.team import readable_member
from app.services.ports.calendar import AppointmentRow
from app.ui.calendar.entries import Entry
from app.ui.calendar.info import ViewInfo
from app.ui.calendar.layout import local_time
from app.ui.calendar.texts import (
    STATUS_MEANING,
    contact_label,
    duration_words,
    hhmm,
    kind_words,
    read_back,
    short_day,
    status_words,
    time_range,
    zone_city,
    zone_label,
    zone_or_none,
)
from app.ui.theme import Spacing, icon


@runtime_checkable
class ConversationFinder(Protocol):
    """A reader that knows a contact's conversation (the most recent cached one)."""

    def conversation_of_contact(self, contact_id: str) -> str | None:
        """The id of the contact's conversation, or None when there is none cached."""
        ...


class DetailsPane(QWidget):
    """The selected appointment's details (see the module docstring)."""

    openContactRequested = Signal(str)
    """Show this contact (its id) in the Contacts tab."""

    openConversationRequested = Signal(str)
    """Show this conversation (its id) in the Inbox."""

    rescheduleRequested = Signal(str)
    """Reschedule this appointment (its id)."""

    cancelRequested = Signal(list)
    """Cancel these appointments (their ids; the tab asks for the reason)."""

    exportRequested = Signal(str)
    """Export this appointment (its id) as an .ics file."""

    appointmentChosen = Signal(str)
    """An attendee of a class session was chosen: select that appointment."""

    readBackCopied = Signal(str)
    """The read-back line was put on the clipboard."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._info = ViewInfo()
        self._entry: Entry | None = None
        self._row: AppointmentRow | None = None
        self._selection: list[AppointmentRow] = []
        self._find_conversation: Callable[[str], str | None] | None = None
        self._conversation_id: str | None = None
        self._export_available = False
        self.setMinimumWidth(280)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget(scroll)
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(Spacing.M, Spacing.M, Spacing.M, Spacing.M)
        layout.setSpacing(Spacing.S)

        self.placeholder = QLabel("Select an appointment to see its details.", body)
        self.placeholder.setProperty("muted", True)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.placeholder)

        self.title = QLabel(body)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel(body)
        self.subtitle.setProperty("muted", True)
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)

        contact_row = QHBoxLayout()
        contact_row.setSpacing(Spacing.S)
        self.open_contact = QPushButton(icon("user"), "Open in Contacts", body)
        self.open_contact.clicked.connect(self._open_contact)
        self.open_conversation = QPushButton(icon("inbox"), "Open conversation", body)
        self.open_conversation.clicked.connect(self._open_conversation)
        contact_row.addWidget(self.open_contact)
        contact_row.addWidget(self.open_conversation)
        contact_row.addStretch(1)
        layout.addLayout(contact_row)

        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setHorizontalSpacing(Spacing.M)
        self.form.setVerticalSpacing(Spacing.S)
        self._fields: dict[str, QLabel] = {}
        for key, label in (
            ("status", "Status"),
            ("when", "When"),
            ("type", "Type"),
            ("calendar", "Calendar"),
            ("assignee", "Assigned to"),
            ("email", "Email"),
            ("phone", "Phone"),
            ("notes", "Notes"),
            ("created", "Created"),
            ("cancelled", "Cancelled"),
            ("attendees", "Attendees"),
        ):
            value = QLabel(body)
            value.setWordWrap(True)
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByMouse
            )
            value.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            self.form.addRow(label, value)
            self._fields[key] = value
        self._fields["attendees"].setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self._fields["attendees"].linkActivated.connect(self.appointmentChosen)
        layout.addLayout(self.form)

        self.read_back_label = QLabel(body)
        self.read_back_label.setWordWrap(True)
        self.read_back_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_back_label.setProperty("muted", True)
        layout.addWidget(self.read_back_label)

        actions = QHBoxLayout()
        actions.setSpacing(Spacing.XS)
        self.copy_button = self._tool("link", "Copy read-back", self.copy_read_back)
        self.export_button = self._tool("export", "Export .ics", self._export)
        self.export_button.setToolTip("Save this appointment as an .ics file for any calendar app")
        actions.addWidget(self.copy_button)
        actions.addWidget(self.export_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        changes = QHBoxLayout()
        changes.setSpacing(Spacing.XS)
        self.reschedule_button = self._tool("clock", "Reschedule…", self._reschedule)
        self.cancel_button = self._tool("close", "Cancel appointment…", self._cancel)
        changes.addWidget(self.reschedule_button)
        changes.addWidget(self.cancel_button)
        changes.addStretch(1)
        layout.addLayout(changes)
        layout.addStretch(1)
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.setInterval(1500)
        self._copied_timer.timeout.connect(lambda: self.copy_button.setText("Copy read-back"))
        self._show_nothing()

    def _tool(self, icon_name: str, text: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # -- what is shown -------------------------------------------------------------------------
    @property
    def appointment(self) -> AppointmentRow | None:
        """The appointment shown (None: nothing, or several selected)."""
        return self._row

    @property
    def conversation_id(self) -> str | None:
        """The contact's conversation found for "Open conversation", or None."""
        return self._conversation_id

    def set_info(self, info: ViewInfo) -> None:
        """Zones and names changed: describe the appointment again."""
        self._info = info
        self._render()

    def set_export_available(self, available: bool) -> None:
        """Offer "Export .ics" (the tab can export) or not."""
        self._export_available = available
        self._render()

    def set_conversation_finder(self, finder: Callable[[str], str | None] | None) -> None:
        """How a contact's conversation is found (None: "Open conversation" is not offered)."""
        self._find_conversation = finder
        self._render()

    def show_selection(
        self, entry: Entry | None, row: AppointmentRow | None, selection: Sequence[AppointmentRow]
    ) -> None:
        """Show ``row`` (of ``entry``, a block that may be a class session), or a summary of
        ``selection`` when several are selected, or nothing."""
        self._entry = entry
        self._row = row if len(selection) <= 1 else None
        self._selection = list(selection)
        self._render()

    def read_back_line(self) -> str:
        """The read-back line of the appointment shown ("" when none is)."""
        if self._row is None:
            return ""
        return read_back(self._row, self._info.zone_name, self._info.other_zone(self._row))

    def copy_read_back(self) -> None:
        """Put the read-back line on the clipboard."""
        line = self.read_back_line()
        if not line:
            return
        QGuiApplication.clipboard().setText(line)
        self.copy_button.setText("Copied")
        self._copied_timer.start()
        self.readBackCopied.emit(line)

    def _show_nothing(self) -> None:
        for widget in self._detail_widgets():
            widget.hide()
        for key in self._fields:
            self._set_row(key, "")
        self.placeholder.show()

    def _detail_widgets(self) -> list[QWidget]:
        return [
            self.title,
            self.subtitle,
            self.open_contact,
            self.open_conversation,
            self.read_back_label,
            self.copy_button,
            self.export_button,
            self.reschedule_button,
            self.cancel_button,
        ]

    def _set_row(self, key: str, text: str, *, rich: bool = False) -> None:
        label = self._fields[key]
        label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        label.setText(text)
        self.form.setRowVisible(label, bool(text))

    def _render(self) -> None:
        if len(self._selection) > 1:
            self._render_several()
            return
        row = self._row
        if row is None:
            self._show_nothing()
            return
        self.placeholder.hide()
        for widget in self._detail_widgets():
            widget.show()
        info = self._info
        entry = self._entry
        self.title.setText(contact_label(row))
        type_name = info.type_name(row.type_id)
        self.subtitle.setText(type_name or row.title or "")
        self.subtitle.setVisible(bool(self.subtitle.text()))
        self._render_contact(row)
        self._set_row("status", status_words(row.status))
        meaning = STATUS_MEANING.get(row.status)
        self._fields["status"].setToolTip(
            f"{status_words(row.status)}: {meaning}" if meaning else ""
        )
        zone = info.zone
        when = (
            f"{time_range(row.start_ms, row.end_ms, zone, with_day=True)} "
            f"({duration_words(row.start_ms, row.end_ms)}) in "
            f"{zone_label(info.zone_name, row.start_ms)}"
        )
        elsewhere = self._other_zones(row)
        self._set_row("when", f"{when}\n{elsewhere}" if elsewhere else when)
        self._set_row("type", type_name or "")
        calendar = info.calendar_name(row.calendar_id)
        kind = info.calendar_kind(row.calendar_id)
        calendar_zone = info.calendar_zone(row.calendar_id)
        parts = [calendar]
        if kind:
            parts.append(kind_words(kind).lower())
        if calendar_zone:
            parts.append(f"times kept in {zone_label(calendar_zone, row.start_ms)}")
        self._set_row("calendar", " · ".join(parts))
        self._set_row("assignee", readable_member(row.assigned_to) if row.assigned_to else "")
        self._set_row("email", row.contact_email or "")
        # One display format for phones in the app: national for the home region.
        self._set_row("phone", display_phone(row.contact_phone) if row.contact_phone else "")
        self._set_row("notes", row.notes or "")
        self._set_row("created", self._moment(row.created_ms))
        cancelled = ""
        if row.status == "cancelled" or row.cancelled_ms is not None:
            when = self._moment(row.cancelled_ms)
            reason = row.cancellation_reason or "no reason given"
            cancelled = f"{when} — {reason}" if when else reason
        self._set_row("cancelled", cancelled)
        attendees = ""
        if entry is not None and entry.is_session:
            lines = []
            for other in entry.rows:
                name = html.escape(contact_label(other))
                # The attendee shown in bold; the others are links that show them.
                shown = (
                    f"<b>{name}</b>"
                    if other.id == row.id
                    else (f'<a href="{html.escape(other.id)}">{name}</a>')
                )
                lines.append(f"{shown} · {html.escape(status_words(other.status))}")
            attendees = "<br>".join(lines)
            seats = f"{len(entry.rows)} booked"
            attendees = f"{seats}<br>{attendees}"
        self._set_row("attendees", attendees, rich=True)
        self.read_back_label.setText(f"Read-back: {self.read_back_line()}")
        self.cancel_button.setText("Cancel appointment…")
        self.cancel_button.setEnabled(row.active)
        self.cancel_button.setToolTip(
            "Cancel it, with a reason (Delete)"
            if row.active
            else f"A {status_words(row.status).lower()} appointment cannot be cancelled"
        )
        self.reschedule_button.setEnabled(row.active)
        self.reschedule_button.setToolTip(
            "Book a new time first, then cancel this one"
            if row.active
            else "Only a scheduled or confirmed appointment can be moved"
        )
        self.copy_button.setToolTip(f"Copy “{self.read_back_line()}”")
        self.export_button.setVisible(self._export_available)

    def _render_contact(self, row: AppointmentRow) -> None:
        has_contact = row.contact_id is not None
        self.open_contact.setEnabled(has_contact)
        self.open_contact.setToolTip(
            "Show this contact in the Contacts tab" if has_contact else "No contact on record"
        )
        self._conversation_id = None
        finder = self._find_conversation
        if finder is None:
            self.open_conversation.hide()
            return
        if row.contact_id is not None:
            self._conversation_id = finder(row.contact_id)
        found = self._conversation_id is not None
        self.open_conversation.setEnabled(found)
        self.open_conversation.setText("Open conversation" if found else "No conversation yet")
        self.open_conversation.setToolTip(
            "Show the conversation with this contact in the Inbox"
            if found
            else "This contact has no conversation in the Inbox"
        )

    def _other_zones(self, row: AppointmentRow) -> str:
        info = self._info
        lines = []
        calendar_zone = info.calendar_zone(row.calendar_id)
        if calendar_zone and calendar_zone != info.zone_name:
            zone = zone_or_none(calendar_zone)
            if zone is not None:
                lines.append(
                    f"= {time_range(row.start_ms, row.end_ms, zone, with_day=True)} in "
                    f"{zone_label(calendar_zone, row.start_ms)} (the calendar's zone)"
                )
        second = info.second_zone
        if second is not None and info.second_zone_name not in (calendar_zone, None):
            lines.append(
                f"= {time_range(row.start_ms, row.end_ms, second, with_day=True)} in "
                f"{zone_city(info.second_zone_name or '')}"
            )
        return "\n".join(lines)

    def _moment(self, ms: int | None) -> str:
        if ms is None:
            return ""
        local = local_time(ms, self._info.zone)
        return f"{short_day(local.date())} {local.year}, {hhmm(local)}"

    def _render_several(self) -> None:
        self.placeholder.hide()
        for widget in self._detail_widgets():
            widget.hide()
        for key in self._fields:
            self._set_row(key, "")
        count = len(self._selection)
        active = [row for row in self._selection if row.active]
        self.title.setText(f"{count} appointments selected")
        self.title.show()
        first = min(self._selection, key=lambda r: r.start_ms)
        last = max(self._selection, key=lambda r: r.end_ms)
        zone = self._info.zone
        first_day = local_time(first.start_ms, zone).date()
        last_day = local_time(max(last.start_ms, last.end_ms - 1), zone).date()
        self.subtitle.setText(
            short_day(first_day)
            if first_day == last_day
            else f"{short_day(first_day)} to {short_day(last_day)}"
        )
        self.subtitle.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(bool(active))
        label = f"Cancel {len(active)} appointments…" if active else "Cancel…"
        self.cancel_button.setText(label)
        self.cancel_button.setToolTip(
            "Cancel the scheduled and confirmed ones, with one reason (Delete)"
            if active
            else "None of them is scheduled or confirmed"
        )

    # -- actions -------------------------------------------------------------------------------
    def _open_contact(self) -> None:
        if self._row is not None and self._row.contact_id:
            self.openContactRequested.emit(self._row.contact_id)

    def _open_conversation(self) -> None:
        if self._conversation_id is not None:
            self.openConversationRequested.emit(self._conversation_id)

    def _export(self) -> None:
        if self._row is not None:
            self.exportRequested.emit(self._row.id)

    def _reschedule(self) -> None:
        if self._row is not None and self._row.active:
            self.rescheduleRequested.emit(self._row.id)

    def _cancel(self) -> None:
        rows = self._selection if len(self._selection) > 1 else [self._row] if self._row else []
        ids = [row.id for row in rows if row is not None and row.active]
        if ids:
            self.cancelRequested.emit(ids)


__all__ = ["ConversationFinder", "DetailsPane"]
