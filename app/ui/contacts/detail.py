"""The Contacts tab's detail pane: view, create, edit and delete one contact.

``ContactDetailPane`` shows every field of the contact model (docs/api/seedly-crm.md §5) in one
scrollable form, grouped into identity, contact details, pipeline, address,
custom fields and record info, with one label column for all groups. It has
four modes (``PaneMode``): empty (nothing selected), view (read-only, with
Edit and Delete), edit (Save / Cancel) and new (an empty form, Create).

Validation is the core's: while a form is open every change re-runs the rule
the service itself runs before sending (``ContactService.validate_new`` for a
new contact, ``payloads.build(ContactUpdate, …)`` over the changed fields for
an edit) and each sentence goes on the field it names. A field shows its
verdict once the user has left it (and live from then on), or at once when a
save is attempted; Save stays disabled while anything is invalid and the
summary beside it links to each field in question. Errors that come back from
the server land the same way (``ValidationFailed.errors``/``.field``); any
other failure is shown in the message area above the buttons
(``ApiError.user_message``). The form keeps what the user typed in every case.

An edit sends only the fields the user changed (compared with what the form
loaded), and ``ContactService.update`` drops whatever still equals the cached
contact. So a sync that changes other fields of the contact while it is being
edited is never overwritten by stale form values.

Wiring (the tab):

- ``set_reader(reader, service_or_factory)`` (or ``set_service``) on every
  sub-account switch; it cancels the pane's running work and clears it.
- ``show_contact(id_or_doc)`` when the current row changes. With unsaved
  changes the pane asks first (Save / Discard / Keep editing) and returns
  False; on Keep editing it emits ``leaveDeclined`` and the tab re-selects
  ``contact_id``. ``has_unsaved_changes()`` and ``await
  resolve_unsaved_changes()`` serve the window's close and the sub-account
  switch. ``start_new()`` for "New contact".
- ``refresh_contact(doc)`` / ``contact_removed(id)`` from ``ContactsChanged``.
- ``contactSaved``/``contactCreated``/``contactDeleted`` to select or drop
  rows, ``editingChanged`` to lock the sub-account switcher meanwhile.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Iterator, Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import shiboken6
from PySide6.QtCore import QEvent, QLocale, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.contact_limits import limit_hint
from app.core.custom_fields import field_path
from app.core.enums import CustomFieldType
from app.core.errors import ApiError, InvalidResponse, NotFound, ValidationFailed
from app.core.models import Contact, CustomFieldDefinition, parse
from app.core.payloads import ContactUpdate, build
from app.core.phones import DEFAULT_REGION, check_phone, format_phone
from app.core.team import readable_member
from app.services.ports.contacts import ContactsReader, NotActive, StorageError
from app.ui.async_qt import TaskSet
from app.ui.common.fields import (
    EMPTY_TEXT,
    STAGE_LABELS,
    ChoiceFieldEditor,
    FieldEditor,
    LineFieldEditor,
    TagsEditor,
    field_stylesheet,
    format_value,
    scheme_colors,
    set_flag,
)
from app.ui.contacts.detail_dialogs import LeaveChoice, ask_about_unsaved_changes, confirm_delete
from app.ui.contacts.detail_form import FormBuilder, FormRow, save_summary
from app.ui.contacts.detail_view import initials, value_html
from app.ui.contacts.detail_widgets import Avatar, MessageBanner, ValueLabel
from app.ui.common.widgets import IconLabel
from app.ui.theme import DARK, Spacing, icon

log = logging.getLogger(__name__)

SUCCESS_MESSAGE_MS = 4000
"""How long a "Changes saved." confirmation stays in the message area."""

SAVE_TASK = "contact-detail.save"
DELETE_TASK = "contact-detail.delete"
LEAVE_TASK = "contact-detail.leave"
"""Names of the pane's tasks in its ``TaskSet`` (prefixed: the set may be shared)."""


@runtime_checkable
class ContactDetailService(Protocol):
    """What the pane needs of ``app.services.contacts.ContactService``.

    Tests pass a fake. A service may also have ``default_region`` (phone
    numbers typed without a country code; "US" when absent)."""

    def validate_new(self, fields: Mapping[str, Any]) -> object:
        """The create body, or ``ValidationFailed`` naming every bad field."""
        ...

    async def create(self, fields: Mapping[str, Any]) -> Contact:
        """Create a contact from wire-named fields."""
        ...

    async def update(self, contact_id: str, edited: Mapping[str, Any]) -> Contact:
        """Apply the edited fields; only those that differ from the cache are sent."""
        ...

    async def delete(self, contact_id: str) -> None:
        """Delete the contact (already gone counts as done)."""
        ...

    def field_definitions(self) -> list[CustomFieldDefinition]:
        """The sub-account's custom field definitions."""
        ...


ServiceSource = ContactDetailService | Callable[[], ContactDetailService | None]
"""A service, or a callable returning the current one (resolved each time it is needed)."""


class PaneMode(StrEnum):
    """What the pane is showing."""

    EMPTY = "empty"
    """Nothing: no contact selected, or the one shown was deleted."""
    VIEW = "view"
    """One contact, read-only."""
    EDIT = "edit"
    """One contact, being edited."""
    NEW = "new"
    """A form for a contact that does not exist yet."""


_LIST_INDEX_RE = re.compile(r"\[\d+\]$")


def _contact_key(contact: Contact | Mapping[str, Any] | str) -> str | None:
    """The id of what ``show_contact`` was given."""
    if isinstance(contact, str):
        return contact
    if isinstance(contact, Contact):
        return contact.id
    value = contact.get("id")
    return value if isinstance(value, str) else None


def _row_key(path: str) -> str:
    """The form row an error path belongs to (``additionalEmails[1]`` → ``additionalEmails``)."""
    path = _LIST_INDEX_RE.sub("", path.strip())
    if path.startswith("customFields."):
        return path
    return path.split(".", 1)[0].split("[", 1)[0]


def _server_sentence(sentence: str, path: str, label: str) -> str:
    """A server message for the field it concerns, in the form's words.

    Servers name the field by its wire path ("customFields.roof_age must be a
    number"); under the field the label reads better ("Roof Age must be a number")."""
    for prefix in (f"{path} ({label})", path):
        if sentence.startswith(prefix):
            sentence = label + sentence[len(prefix) :]
            break
    return sentence[:1].upper() + sentence[1:]


# --- the pane -----------------------------------------------------------------


class ContactDetailPane(QWidget):
    """View, create, edit and delete one contact of the current sub-account.

    ``service`` may be set later with ``set_service``; until then the pane is
    empty. ``tasks`` owns the pane's asynchronous work (save, delete, the
    confirmation dialogs); by default the pane makes its own ``TaskSet``, which
    ``shutdown()`` cancels. Every action that talks to the server runs while the
    qasync loop is running (buttons, shortcuts, ``await commit()``).
    """

    contactSaved = Signal(str)
    """An edit was saved; the argument is the contact id (the cache is already updated)."""

    contactCreated = Signal(str)
    """A new contact was created; the argument is its id (already in the cache)."""

    contactDeleted = Signal(str)
    """The contact with this id was deleted (and dropped from the cache)."""

    editingChanged = Signal(bool)
    """True when a form opens (edit or new), False when it closes (saved, cancelled,
    cleared). The tab may lock the list or the sub-account switch meanwhile."""

    unsavedChangesChanged = Signal(bool)
    """``has_unsaved_changes()`` flipped."""

    busyChanged = Signal(bool)
    """A save or delete started (True) or finished (False)."""

    bookRequested = Signal(str)
    """"Book appointment…" was pressed (Ctrl+B); the argument is the contact's id."""

    leaveDeclined = Signal()
    """Asked about unsaved changes before showing another contact, the user chose to keep
    editing: the caller should select ``contact_id`` again (or nothing, for a new one)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        service: ServiceSource | None = None,
        reader: ContactsReader | None = None,
        tasks: TaskSet | None = None,
        locale: QLocale | None = None,
        defer_form: bool = False,
    ) -> None:
        """``defer_form``: the form is built by ``set_service_steps`` (in an area's building
        steps), not here."""
        super().__init__(parent)
        self.setObjectName("contactDetailPane")
        self._service_source: ServiceSource | None = None
        self._pending_show: Contact | Mapping[str, Any] | str | None = None
        self._pending_new: Mapping[str, Any] | None = None
        self._reader: ContactsReader | None = None
        self._tasks = tasks or TaskSet("contact-detail")
        self._locale = locale or QLocale()
        self._mode = PaneMode.EMPTY
        self._contact: Contact | None = None
        self._previous: Contact | None = None  # shown again when a new form is cancelled
        self._definitions: list[CustomFieldDefinition] = []
        self._rows: dict[str, FormRow] = {}
        self._sections: dict[str, list[QWidget]] = {}
        self._errors: dict[str, str] = {}
        self._form_errors: list[str] = []
        self._busy_generation: int | None = None  # the form a running save/delete is for
        self._busy_shown = False
        self._gone = False
        self._generation = 0
        self._unsaved = False
        self._loading = False
        self._assignee_names: dict[str, str] = {}
        self._dark: bool | None = None
        self._caption_pad = 0
        self._save_task: asyncio.Task[bool] | None = None

        self._build()
        self._apply_scheme()
        if not defer_form:
            self.set_service(service, reader=reader)

    # ------------------------------------------------------------ building

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self._stack = QStackedWidget(self)
        root.addWidget(self._stack)

        # Empty state.
        empty = QWidget(self._stack)
        empty_layout = QVBoxLayout(empty)
        empty_layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        empty_layout.addStretch(2)
        self._empty_icon = IconLabel("contacts", 48, empty)
        self._empty_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_label = QLabel(empty)
        self._empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_label.setWordWrap(True)
        self._empty_label.setProperty("muted", True)
        empty_layout.addWidget(self._empty_icon, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addSpacing(Spacing.S)
        empty_layout.addWidget(self._empty_label)
        empty_layout.addStretch(3)
        self._stack.addWidget(empty)

        page = QWidget(self._stack)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        # Header: who this is, and the actions on them.
        header = QWidget(page)
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.M)
        header_layout.setSpacing(Spacing.M)
        self._avatar = Avatar(header)
        header_layout.addWidget(self._avatar, 0, Qt.AlignmentFlag.AlignTop)
        names = QVBoxLayout()
        names.setContentsMargins(0, 0, 0, 0)
        names.setSpacing(2)
        self._title = QLabel(header)
        title_font = QFont(self.font())
        title_font.setPointSizeF(max(title_font.pointSizeF(), 9.0) * 1.35)
        title_font.setBold(True)
        self._title.setFont(title_font)
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._subtitle = QLabel(header)
        self._subtitle.setProperty("muted", True)
        self._subtitle.setWordWrap(True)
        self._title.setWordWrap(True)  # a long name wraps rather than being cut
        names.addWidget(self._title)
        names.addWidget(self._subtitle)
        header_layout.addLayout(names, 1)
        # The actions under the name: beside it, they left a long name a few letters.
        actions = QHBoxLayout()
        actions.setContentsMargins(0, Spacing.S, 0, 0)
        actions.setSpacing(Spacing.S)
        names.addLayout(actions)
        self.book_button = QPushButton(icon("calendar"), "Book…", header)
        self.book_button.setToolTip("Book an appointment with this contact (Ctrl+B)")
        self.book_button.setShortcut(QKeySequence("Ctrl+B"))
        self.book_button.clicked.connect(self._book)
        actions.addWidget(self.book_button)
        self.edit_button = QPushButton(icon("edit"), "Edit", header)
        self.edit_button.setToolTip("Edit this contact")
        self.edit_button.clicked.connect(self.begin_edit)
        self.delete_button = QPushButton(icon("delete"), "Delete", header)
        self.delete_button.setToolTip("Delete this contact from Seedly")
        self.delete_button.setProperty("destructive", True)
        self.delete_button.clicked.connect(self.request_delete)
        actions.addWidget(self.edit_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        layout.addWidget(header)

        line = QFrame(page)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)

        self._scroll = QScrollArea(page)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        layout.addWidget(self._scroll, 1)

        # Message area: above the buttons, so that when it appears the form's
        # visible part shrinks from the bottom instead of shifting down.
        self._message_area = MessageBanner(page, success_ms=SUCCESS_MESSAGE_MS)
        self._banner = self._message_area.frame
        layout.addWidget(self._message_area)

        # Footer: validation summary and the form's buttons.
        self._footer = QWidget(page)
        footer_layout = QHBoxLayout(self._footer)
        footer_layout.setContentsMargins(Spacing.L, Spacing.S, Spacing.L, Spacing.L)
        footer_layout.setSpacing(Spacing.S)
        self.summary_label = QLabel(self._footer)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setProperty("muted", True)
        self.summary_label.linkActivated.connect(self.focus_field)
        # Two lines always reserved: a longer summary never moves the buttons.
        self.summary_label.setFixedHeight(self.fontMetrics().lineSpacing() * 2 + 2)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        footer_layout.addWidget(self.summary_label, 1)
        self.cancel_button = QPushButton(icon("close"), "Cancel", self._footer)
        self.cancel_button.setToolTip("Discard the changes (Esc)")
        self.cancel_button.clicked.connect(self.cancel_edit)
        self.save_button = QPushButton(icon("check"), "Save", self._footer)
        self.save_button.setToolTip("Save the changes (Ctrl+S)")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        footer_layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignVCenter)
        footer_layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignVCenter)
        footer_line = QFrame(page)
        footer_line.setFrameShape(QFrame.Shape.HLine)
        footer_line.setFrameShadow(QFrame.Shadow.Sunken)
        self._footer_line = footer_line
        layout.addWidget(footer_line)
        layout.addWidget(self._footer)
        self._stack.addWidget(page)
        self._page = page

        self._save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        self._save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._save_shortcut.activated.connect(self.save)
        self._cancel_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._cancel_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._cancel_shortcut.activated.connect(self._escape)

        # Captions sit level with the text inside an editor, not with its frame.
        probe_line, probe_label = QLineEdit(self), QLabel("Ag", self)
        editor_height = probe_line.sizeHint().height()
        self._caption_pad = max(0, (editor_height - probe_label.sizeHint().height()) // 2 + 1)
        for probe in (probe_line, probe_label):
            probe.hide()
            probe.deleteLater()
        self._content: QWidget | None = None

    def _build_form(self, definitions: Sequence[CustomFieldDefinition]) -> None:
        """(Re)build the rows: the built-in fields and one per custom field definition."""
        for _step in self._form_steps(definitions):
            pass

    def _form_steps(self, definitions: Sequence[CustomFieldDefinition]) -> Iterator[None]:
        """``_build_form`` a section per step."""
        old = self._content
        self._definitions = list(definitions)
        form = yield from FormBuilder(
            locale=self._locale,
            assignee_label=self._assignee_label,
            on_changed=self._on_changed,
            on_committed=self._on_committed,
        ).build_steps(self._definitions, self._scroll.viewport())
        self._rows, self._sections = form.rows, form.sections
        self._score_bar, self._score_label = form.score_bar, form.score_label
        content = form.content
        # setWidget() would delete the old form at once, possibly from inside one of
        # its own signals; take it back and let the loop delete it.
        taken = self._scroll.takeWidget() if old is not None else None
        self._scroll.setWidget(content)
        self._content = content
        if taken is not None:
            taken.hide()
            taken.deleteLater()

    def _assignee_label(self, user_id: object) -> str:
        # A name from the team when known, else the id read as one (never "usr_ana_ortiz").
        return self._assignee_names.get(str(user_id)) or readable_member(str(user_id))

    # -------------------------------------------------------------- theming

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_scheme()
        super().changeEvent(event)

    def _apply_scheme(self) -> None:
        dark = scheme_colors() is DARK
        if dark == self._dark:
            return  # our own stylesheet's palette change echoing back
        self._dark = dark
        self.setStyleSheet(field_stylesheet(scheme_colors()))
        if hasattr(self, "_message_area"):
            self._message_area.sync_icon()

    # ------------------------------------------------------------ public API

    @property
    def mode(self) -> PaneMode:
        """What the pane shows now."""
        return self._mode

    @property
    def contact(self) -> Contact | None:
        """The contact shown (as last loaded or saved), or None."""
        return self._contact

    @property
    def contact_id(self) -> str | None:
        """The id of the contact shown, or None (also in new mode)."""
        return (
            self._contact.id if self._contact is not None and self._mode != PaneMode.NEW else None
        )

    @property
    def service(self) -> ContactDetailService | None:
        """The service writes go through (None: the pane is empty and inert)."""
        return self._service

    @property
    def _service(self) -> ContactDetailService | None:
        source = self._service_source
        if source is None or isinstance(source, ContactDetailService):
            return source
        try:
            return source()
        except NotActive:
            return None  # no connection yet (the cache is shown while it opens): inert
        except Exception:
            log.exception("the contact service factory failed")
            return None

    @property
    def tasks(self) -> TaskSet:
        """The task set that owns the pane's asynchronous work."""
        return self._tasks

    def is_editing(self) -> bool:
        """Whether a form is open (edit or new mode)."""
        return self._mode in (PaneMode.EDIT, PaneMode.NEW)

    def is_busy(self) -> bool:
        """Whether a save or delete of what the pane shows is in flight."""
        return self._busy

    @property
    def _busy(self) -> bool:
        # Busy belongs to the form that started the work: showing another contact
        # meanwhile gives a usable pane, and the old work finishes in the background.
        return self._busy_generation is not None and self._busy_generation == self._generation

    def has_unsaved_changes(self) -> bool:
        """Whether the open form holds changes that were not saved (False outside a form)."""
        if not self.is_editing():
            return False
        return any(row.changed() for row in self._rows.values())

    def set_service(
        self, service: ServiceSource | None, *, reader: ContactsReader | None = None
    ) -> None:
        """Switch to another sub-account's service (or none): running work is cancelled,
        the form rebuilt for its custom fields and the pane emptied (an open form is
        dropped: the sub-account switch should have asked first).

        ``service`` may be a callable returning the current service. ``reader`` (of the
        same sub-account) gives the tag, source and assignee suggestions and lets
        ``show_contact`` take an id."""
        for _step in self.set_service_steps(service, reader=reader):
            pass

    def set_service_steps(
        self, service: ServiceSource | None, *, reader: ContactsReader | None = None
    ) -> Iterator[None]:
        """``set_service``, the form built a section per step (an area's building steps)."""
        for name in (SAVE_TASK, DELETE_TASK, LEAVE_TASK):
            self._tasks.cancel(name)
        self._pending_show = self._pending_new = None
        self._service_source = service
        self._reader = reader
        self._set_busy(False)
        definitions = self._read_definitions()
        # Building the form is the costly part of a switch (~0.15 s): only when the
        # custom fields differ. Suggestions are read through the reader when editing starts.
        if definitions != self._definitions or not self._rows:
            yield from self._form_steps(definitions)
        self._show_empty()

    def set_reader(
        self, reader: ContactsReader | None, service: ServiceSource | None = None
    ) -> None:
        """``set_service(service, reader=reader)``: the tab's sub-account switch."""
        self.set_service(service if reader is not None else None, reader=reader)

    def set_assignee_names(self, names: Mapping[str, str]) -> None:
        """Show team member names instead of user ids for "Assigned to"."""
        self._assignee_names = dict(names)
        if self._mode == PaneMode.VIEW and self._contact is not None:
            self._render_view(self._contact)

    def show_contact(
        self, contact: Contact | Mapping[str, Any] | str, *, discard: bool = False
    ) -> bool:
        """Show ``contact`` read-only: a ``Contact``, its wire document, or its id (read
        from the cache through the reader). True when it is shown now.

        An open form with unsaved changes is not thrown away: unless ``discard``, the
        pane asks (Save / Discard / Keep editing, without blocking) and returns False;
        after Save or Discard it shows ``contact``, after Keep editing it emits
        ``leaveDeclined``. Asking the same contact again while editing it keeps the form."""
        if self.is_editing() and not discard:
            same = _contact_key(contact) == self.contact_id and self.contact_id is not None
            if same:
                return False
            if self.has_unsaved_changes():
                self._ask_before_leaving(show=contact)
                return False
        parsed = self._parse(contact)
        if parsed is None:
            return False
        self._pending_show = None
        self._refresh_definitions()
        self._load(parsed, PaneMode.VIEW)
        return True

    def start_new(self, prefill: Mapping[str, Any] | None = None, *, discard: bool = False) -> bool:
        """Open an empty form for a new contact; ``prefill`` (wire names, e.g. from a lead)
        fills fields in as unsaved input. Cancel returns to the contact shown before.
        With unsaved changes elsewhere, asks first, like ``show_contact``."""
        if self._service is None:
            return False
        if self.has_unsaved_changes() and not discard:
            self._ask_before_leaving(new=prefill or {})
            return False
        self._pending_new = None
        if self._mode in (PaneMode.VIEW, PaneMode.EDIT):
            self._previous = self._contact
        self._refresh_definitions()
        self._load(None, PaneMode.NEW)
        for key, value in (prefill or {}).items():
            if key == "customFields" and isinstance(value, Mapping):
                for name, item in value.items():
                    self._prefill(field_path(str(name)), item)
            else:
                self._prefill(str(key), value)
        self._revalidate()
        self._focus_first()
        return True

    def _ask_before_leaving(
        self,
        *,
        show: Contact | Mapping[str, Any] | str | None = None,
        new: Mapping[str, Any] | None = None,
    ) -> None:
        # The latest request wins while the question is open.
        self._pending_show, self._pending_new = show, new
        if not self._tasks.running(LEAVE_TASK):
            self._tasks.spawn(self._leave_when_resolved(), LEAVE_TASK)

    async def _leave_when_resolved(self) -> None:
        proceed = await self.resolve_unsaved_changes()
        show, new = self._pending_show, self._pending_new
        self._pending_show = self._pending_new = None
        if not proceed:
            self.leaveDeclined.emit()
        elif show is not None:
            self.show_contact(show, discard=True)
        elif new is not None:
            self.start_new(new, discard=True)

    def clear(self, message: str | None = None) -> None:
        """Show nothing (with ``message`` in place of the usual hint); discards a form."""
        self._show_empty(message)

    def refresh_contact(self, contact: Contact | Mapping[str, Any]) -> None:
        """The contact shown was changed elsewhere (a sync): show the new values.

        In an open form only the fields the user has not changed are refreshed;
        their edits stay. Other contacts are ignored."""
        parsed = self._parse(contact, quiet=True)
        if parsed is None or self._contact is None or parsed.id != self._contact.id:
            return
        if self._mode == PaneMode.VIEW:
            self._contact = parsed
            self._render_view(parsed)
            self._update_header()
        elif self._mode == PaneMode.EDIT:
            self._contact = parsed
            self._loading = True
            try:
                for row in self._editable_rows():
                    if not row.changed():
                        assert row.editor is not None
                        row.editor.set_value(row.read(parsed))
                        row.baseline = row.editor.value()
            finally:
                self._loading = False
            self._render_view(parsed)
            self._revalidate()

    def contact_removed(self, contact_id: str) -> None:
        """The contact ``contact_id`` was deleted elsewhere (or by a sync)."""
        if self._contact is None or self._contact.id != contact_id or self._mode == PaneMode.NEW:
            return
        name = self._contact.display_name
        if self._mode == PaneMode.EDIT:
            self._gone = True
            self.show_message(
                f"{name} was deleted in Seedly, so these changes cannot be saved. "
                "Copy anything you need, then cancel.",
                "danger",
            )
            self._revalidate()
        else:
            self._show_empty(f"{name} was deleted.")

    def _book(self) -> None:
        if self.contact_id is not None:
            self.bookRequested.emit(self.contact_id)

    def begin_edit(self) -> None:
        """Switch from view to edit mode (the Edit button)."""
        if self._mode != PaneMode.VIEW or self._contact is None or self._busy:
            return
        if self._service is None:
            return
        self._set_mode(PaneMode.EDIT)
        self._load_suggestions()
        self._focus_first()

    def cancel_edit(self) -> None:
        """Close the form and drop its changes (Cancel, Esc): back to the contact as it was,
        or, for a new contact, to the one shown before."""
        if self._busy:
            return
        if self._mode == PaneMode.EDIT and self._contact is not None:
            if self._gone:
                self._show_empty(f"{self._contact.display_name} was deleted.")
            else:
                self._load(self._contact, PaneMode.VIEW)
        elif self._mode == PaneMode.NEW:
            previous, self._previous = self._previous, None
            if previous is not None:
                self._load(previous, PaneMode.VIEW)
            else:
                self._show_empty()

    def save(self) -> bool:
        """Start saving the form (Save button, Ctrl+S); True when a save was started.

        When the form is invalid nothing is sent: every error is revealed and the
        first field in question gets the focus."""
        return self._start_save() is not None

    async def commit(self) -> bool:
        """Save the open form and wait: True when it was saved (or had nothing to save),
        False when it is invalid or the save failed (the reason is shown)."""
        if not self.is_editing():
            return True
        if self._busy and self._save_task is not None and not self._save_task.done():
            return await self._save_task
        if self._mode == PaneMode.EDIT and not self.has_unsaved_changes():
            self.cancel_edit()
            return True
        task = self._start_save()
        if task is None:
            return False
        return await task

    async def resolve_unsaved_changes(self) -> bool:
        """Before the caller shows something else: ask what to do with pending changes.

        Opens a window-modal question (Save / Discard / Keep editing; Discard / Keep
        editing when the form is invalid) without a nested event loop. Returns True
        when the caller may go on (saved, discarded, or nothing was pending), False
        to stay (kept editing, or the save failed)."""
        if not self.has_unsaved_changes():
            return True
        if self._busy and self._save_task is not None and not self._save_task.done():
            return await self._save_task
        valid = not self._current_errors()
        problems = None if valid else self._plain_summary()
        choice = await ask_about_unsaved_changes(self, self._form_name(), problems)
        if choice is LeaveChoice.SAVE:
            return await self.commit()
        if choice is LeaveChoice.DISCARD:
            self.cancel_edit()
            return True
        if not valid:
            self._reveal_all()
        return False

    def request_delete(self) -> None:
        """Ask for confirmation, then delete the contact shown (the Delete button)."""
        if self._mode != PaneMode.VIEW or self._contact is None or self._busy:
            return
        if self._service is None or self._tasks.running(DELETE_TASK):
            return
        self._tasks.spawn(self._confirm_and_delete(self._generation), DELETE_TASK)

    def focus_field(self, key: str) -> None:
        """Scroll to the field with wire path ``key`` and give it the focus (summary links)."""
        row = self._rows.get(key)
        if row is None:
            return
        if row.editor is not None and self.is_editing():
            row.revealed = True
            self._revalidate()
            target = row.editor.focus_target()
            self._scroll.ensureWidgetVisible(row.cell, 0, Spacing.L * 2)
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._scroll.ensureWidgetVisible(row.cell)

    def values(self) -> dict[str, Any]:
        """The form's values by wire name (custom fields under ``customFields``)."""
        result: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for row in self._editable_rows():
            assert row.editor is not None
            if row.custom_name is not None:
                custom[row.custom_name] = row.editor.value()
            else:
                result[row.key] = row.editor.value()
        result["customFields"] = custom
        return result

    def editor(self, key: str) -> FieldEditor | None:
        """The editor of the field with wire path ``key`` (``email``, ``customFields.x``)."""
        row = self._rows.get(key)
        return row.editor if row is not None else None

    def view_text(self, key: str) -> str:
        """What the read-only view shows for ``key``, as plain text (tags: comma-joined)."""
        row = self._rows.get(key)
        if row is None:
            return ""
        if isinstance(row.view, TagsEditor):
            return ", ".join(row.view.tags())
        label = row.view if isinstance(row.view, QLabel) else row.view.findChild(ValueLabel)
        if not isinstance(label, QLabel):
            return ""
        text = label.text()
        if label.textFormat() != Qt.TextFormat.PlainText:
            text = re.sub(r"<br\s*/?>", "\n", text)
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
        return "" if text == EMPTY_TEXT else text

    def field_error(self, key: str) -> str:
        """The error shown under the field ``key`` ("" when none is shown)."""
        row = self._rows.get(key)
        if row is None or row.message is None or not row.message.property("fieldError"):
            return ""
        return row.message.text()

    def field_keys(self) -> list[str]:
        """Wire paths of every row, in form order."""
        return list(self._rows)

    def show_message(self, text: str, severity: str = "danger") -> None:
        """Show ``text`` in the message area (severity: danger, warning, info, success)."""
        self._message_area.show_message(text, severity)

    def clear_message(self) -> None:
        """Hide the message area."""
        self._message_area.clear()

    def message(self) -> str:
        """The text in the message area ("" when hidden)."""
        return self._message_area.text()

    async def shutdown(self) -> None:
        """Cancel the pane's running work and wait for it (window closing)."""
        await self._tasks.shutdown()

    # ----------------------------------------------------------- loading

    def _read_definitions(self) -> list[CustomFieldDefinition]:
        # The reader knows them from the cache before the connection is open (the form is
        # then laid out once, for the right fields).
        source = self._reader if self._reader is not None else self._service
        if source is None:
            return []
        try:
            return list(source.field_definitions())
        except (StorageError, InvalidResponse) as exc:
            log.error("could not read the custom field definitions", exc_info=exc)
            return []

    def _refresh_definitions(self) -> None:
        # A sync may have changed the definitions since the form was built.
        definitions = self._read_definitions()
        if definitions != self._definitions:
            self._build_form(definitions)

    def _parse(
        self, contact: Contact | Mapping[str, Any] | str, *, quiet: bool = False
    ) -> Contact | None:
        if isinstance(contact, Contact):
            return contact
        if isinstance(contact, str):
            doc = self._cached(contact)
            if doc is None:
                if not quiet:
                    self._show_empty(
                        "This contact is not in the local copy any more; it may have been "
                        "deleted. Refresh to update the list."
                    )
                return None
            contact = doc
        try:
            return parse(Contact, dict(contact))
        except InvalidResponse as exc:
            log.error("cannot show a contact document", exc_info=exc)
            if not quiet:
                self._show_empty(exc.user_message)
            return None

    def _cached(self, contact_id: str) -> dict[str, Any] | None:
        if self._reader is None:
            return None
        try:
            return self._reader.document(contact_id)
        except StorageError as exc:
            log.error("could not read contact %s from the cache", contact_id, exc_info=exc)
            return None

    def _editable_rows(self) -> list[FormRow]:
        return [row for row in self._rows.values() if row.editor is not None]

    def _load(self, contact: Contact | None, mode: PaneMode) -> None:
        """Fill the form from ``contact`` (None: empty) and switch to ``mode``."""
        self._generation += 1
        self._contact = contact if contact is not None else None
        self._gone = False
        self.clear_message()
        self._loading = True
        try:
            for row in self._editable_rows():
                assert row.editor is not None
                row.editor.set_value(row.read(contact) if contact is not None else None)
                row.baseline = row.editor.value()
                row.revealed = False
                row.server_error = None
        finally:
            self._loading = False
        if contact is not None:
            self._render_view(contact)
        self._stack.setCurrentWidget(self._page)
        self._set_mode(mode)
        self._sync_busy()
        self._scroll.verticalScrollBar().setValue(0)
        if mode == PaneMode.NEW:
            self._load_suggestions()

    def _prefill(self, key: str, value: Any) -> None:
        row = self._rows.get(key)
        if row is not None and row.editor is not None:
            row.editor.set_value(value)

    def _show_empty(self, message: str | None = None) -> None:
        self._generation += 1
        self._contact = None
        self._previous = None
        self._gone = False
        self.clear_message()
        self._empty_label.setText(
            message or "Select a contact to see its details, or create a new one."
        )
        self._stack.setCurrentIndex(0)
        self._set_mode(PaneMode.EMPTY)
        self._sync_busy()

    def _set_mode(self, mode: PaneMode) -> None:
        was_editing = self.is_editing()
        self._mode = mode
        self._apply_mode()
        self._update_header()
        self._revalidate()
        if was_editing != self.is_editing():
            self.editingChanged.emit(self.is_editing())

    def _apply_mode(self) -> None:
        editing = self.is_editing()
        new = self._mode == PaneMode.NEW
        pad = self._caption_pad if editing else 0
        for row in self._rows.values():
            if row.editor is not None:
                row.view.setVisible(not editing)
                assert row.frame is not None and row.message is not None
                row.frame.setVisible(editing)
                row.message.setVisible(editing)
                row.star.setVisible(editing and row.required)
                # On the labels, not the box's layout: that updates the row's geometry.
                row.caption.setContentsMargins(0, pad, 0, 0)
                row.star.setContentsMargins(0, pad, 0, 0)
            else:
                row.caption.setContentsMargins(0, 0, 0, 0)
            if not editing and isinstance(row.view, TagsEditor):
                # Level with the text inside the chips, which are a little taller.
                row.caption.setContentsMargins(0, 2, 0, 0)
        for widget in self._sections.get("record", []):
            widget.setVisible(not new)
        self._sync_other_fields()
        self.edit_button.setVisible(self._mode == PaneMode.VIEW)
        self.delete_button.setVisible(self._mode == PaneMode.VIEW)
        self._footer.setVisible(editing)
        self._footer_line.setVisible(editing)
        if new:
            self.save_button.setText("Create contact")
            self.save_button.setIcon(icon("add"))
            self.save_button.setToolTip("Create the contact in Seedly (Ctrl+S)")
            self.cancel_button.setToolTip("Discard the new contact (Esc)")
        else:
            self.save_button.setText("Save")
            self.save_button.setIcon(icon("check"))
            self.save_button.setToolTip("Save the changes (Ctrl+S)")
            self.cancel_button.setToolTip("Discard the changes (Esc)")

    def _load_suggestions(self) -> None:
        tags: list[str] = []
        sources: list[str] = []
        assignees: list[str] = []
        if self._reader is not None:
            try:
                known = self._reader.choices()
                tags, sources = list(known.tags), list(known.sources)
                assignees = list(known.assignees)
            except StorageError as exc:
                # Suggestions are a convenience: the form works without them.
                log.warning("could not read tag and assignee suggestions: %s", exc)
        tags_row = self._rows.get("tags")
        if tags_row is not None and isinstance(tags_row.editor, TagsEditor):
            tags_row.editor.set_known_tags(tags)
        source_row = self._rows.get("source")
        if source_row is not None and isinstance(source_row.editor, LineFieldEditor):
            source_row.editor.set_completions(sources)
        assignee_row = self._rows.get("assignedTo")
        if assignee_row is not None and isinstance(assignee_row.editor, ChoiceFieldEditor):
            names = self._assignee_names

            def label(user_id: str) -> str:
                return names.get(user_id) or readable_member(user_id)

            ids = sorted(set(assignees) | set(names), key=lambda i: label(i).casefold())
            choices: list[tuple[str, Any]] = [("Unassigned", None)]
            choices += [(label(i), i) for i in ids]
            self._loading = True
            try:
                assignee_row.editor.set_choices(choices)  # keeps the value (and baseline)
            finally:
                self._loading = False
        stage_row = self._rows.get("lifecycleStage")
        if self._mode == PaneMode.NEW and stage_row is not None and stage_row.editor is not None:
            # New contacts start as leads (the server's default too), shown as chosen.
            self._loading = True
            try:
                stage_row.editor.set_value("lead")
                stage_row.baseline = "lead"
            finally:
                self._loading = False

    # ----------------------------------------------------------- view rendering

    def _render_view(self, contact: Contact) -> None:
        region = self._region()
        for row in self._rows.values():
            value = row.read(contact)
            if row.kind == "score":
                self._render_score(value)
            elif isinstance(row.view, TagsEditor):
                row.view.set_value(value)
            elif isinstance(row.view, ValueLabel):
                row.view.set_value_html(
                    value_html(
                        row.kind,
                        value,
                        locale=self._locale,
                        region=region,
                        assignee_label=self._assignee_label,
                    )
                )
                if row.kind == "record" and isinstance(value, datetime):
                    row.view.setToolTip(value.isoformat())
        self._update_header()
        self._sync_other_fields()

    def _sync_other_fields(self) -> None:
        other = self._rows.get("record.otherFields")
        if other is not None:
            contact = self._contact
            shown = contact is not None and self._mode != PaneMode.NEW and bool(other.read(contact))
            other.caption_box.setVisible(shown)
            other.cell.setVisible(shown)

    def _region(self) -> str:
        region = getattr(self._service, "default_region", None)
        return region if isinstance(region, str) and region else DEFAULT_REGION

    def _render_score(self, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self._score_bar.setValue(max(0, min(100, round(value))))
            self._score_bar.show()
            self._score_label.set_value_html(
                html.escape(f"{format_value('number', value, locale=self._locale)} / 100")
            )
        else:
            self._score_bar.hide()
            self._score_label.setText("Not scored yet")
            set_flag(self._score_label, "muted", True)

    def _form_name(self) -> str:
        first = self._value_of("firstName") or ""
        last = self._value_of("lastName") or ""
        name = " ".join(p for p in (str(first).strip(), str(last).strip()) if p)
        if name:
            return name
        if self._contact is not None and self._mode != PaneMode.NEW:
            return self._contact.display_name
        return "the new contact"

    def _value_of(self, key: str) -> Any:
        row = self._rows.get(key)
        return row.editor.value() if row is not None and row.editor is not None else None

    def _update_header(self) -> None:
        contact = self._contact if self._mode != PaneMode.NEW else None
        if self._mode == PaneMode.EMPTY:
            return
        if self.is_editing():
            first = str(self._value_of("firstName") or "")
            last = str(self._value_of("lastName") or "")
            name = " ".join(p for p in (first.strip(), last.strip()) if p)
            title = name or (contact.display_name if contact is not None else "New contact")
            self._avatar.set_initials(initials(None, first, last))
        else:
            title = contact.display_name if contact is not None else ""
            self._avatar.set_initials(initials(contact))
        self._title.setText(title)
        parts: list[str] = []
        if contact is not None:
            job = " at ".join(p for p in (contact.title, contact.company) if p)
            if job:
                parts.append(job)
            if contact.lifecycle_stage:
                stage = str(contact.lifecycle_stage)
                parts.append(STAGE_LABELS.get(stage, stage.capitalize()))
        if self._mode == PaneMode.NEW:
            parts = ["New contact" if title != "New contact" else "Not saved yet"]
        elif self._mode == PaneMode.EDIT:
            parts.insert(0, "Editing")
        self._subtitle.setText(" · ".join(parts))

    # ----------------------------------------------------------- validation

    def _on_changed(self, row: FormRow) -> None:
        if self._loading:
            return
        row.server_error = None
        if row.key in ("firstName", "lastName"):
            self._update_header()
        self._revalidate()

    def _on_committed(self, row: FormRow) -> None:
        if self._loading or not self.is_editing():
            return
        if not row.revealed:
            row.revealed = True
            self._revalidate()

    def _changes(self) -> dict[str, Any]:
        """The fields the user changed, by wire name (custom ones under ``customFields``)."""
        changes: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for row in self._editable_rows():
            if not row.changed():
                continue
            assert row.editor is not None
            if row.custom_name is not None:
                custom[row.custom_name] = row.editor.value()
            else:
                changes[row.key] = row.editor.value()
        if custom:
            changes["customFields"] = custom
        return changes

    def _create_fields(self) -> dict[str, Any]:
        """The body of a create: names always (so missing ones are reported), other fields
        when they have a value, and ``customFields`` always (so required ones are checked)."""
        fields: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for row in self._editable_rows():
            assert row.editor is not None
            value = row.editor.value()
            if row.custom_name is not None:
                if value is not None:
                    custom[row.custom_name] = value
            elif row.required or value not in (None, [], ""):
                fields[row.key] = value
        fields["customFields"] = custom
        return fields

    def _current_errors(self) -> dict[str, str]:
        """Every core-rule error of the open form (wire path → sentence)."""
        if self._service is None:
            return {}
        try:
            if self._mode == PaneMode.NEW:
                self._service.validate_new(self._create_fields())
            elif self._mode == PaneMode.EDIT:
                changes = self._changes()
                if changes:
                    build(
                        ContactUpdate,
                        changes,
                        default_region=self._region(),
                        custom_field_definitions=self._definitions,
                    )
        except ValidationFailed as exc:
            return dict(exc.errors) or {"(form)": exc.user_message}
        return {}

    def _revalidate(self) -> None:
        errors: dict[str, str] = {}
        form_errors: list[str] = []
        if self.is_editing():
            for path, sentence in self._current_errors().items():
                key = _row_key(path)
                if key in self._rows and self._rows[key].editor is not None:
                    errors.setdefault(key, sentence)
                else:
                    form_errors.append(sentence)
        self._errors = errors
        self._form_errors = form_errors
        for row in self._editable_rows():
            assert row.message is not None and row.frame is not None
            error = row.server_error or (errors.get(row.key) if row.revealed else None)
            hint = None if error else self._hint(row)
            row.message.setText(error or hint or "")
            row.message.fit()
            set_flag(row.message, "fieldError", bool(error))
            set_flag(row.message, "fieldHint", bool(hint))
            set_flag(row.frame, "invalid", bool(error))
            row.message.setToolTip(error or "")
        self._update_footer()
        unsaved = self.has_unsaved_changes()
        if unsaved != self._unsaved:
            self._unsaved = unsaved
            self.unsavedChangesChanged.emit(unsaved)

    def _hint(self, row: FormRow) -> str | None:
        """A helpful note under a valid field: how a phone number will be stored, how
        near a text is to the most Seedly takes."""
        editor = row.editor
        if isinstance(editor, LineFieldEditor) and editor.limit is not None and row.changed():
            text = editor.value()
            near = limit_hint(row.label, text, editor.limit) if isinstance(text, str) else None
            if near:
                return near
        if row.kind != CustomFieldType.PHONE or row.editor is None or not row.changed():
            return None
        value = row.editor.value()
        if not isinstance(value, str):
            return None
        checked = check_phone(value, self._region())
        if checked.e164 is None:
            return None
        stored = format_phone(checked.e164, international=True)
        if not checked.likely_valid:
            return f"Saved as {stored}. This number may not be in service."
        return f"Saved as {stored}."

    def _blocking(self) -> list[FormRow]:
        """Rows with an error that prevents saving, in form order."""
        return [
            row
            for row in self._editable_rows()
            if row.key in self._errors or row.server_error is not None
        ]

    def _update_footer(self) -> None:
        if not self.is_editing():
            return
        blocking = self._blocking()
        dirty = self.has_unsaved_changes()
        can_save = (
            not self._busy
            and not self._gone
            and not blocking
            and not self._form_errors
            and (dirty or self._mode == PaneMode.NEW)
        )
        self.save_button.setEnabled(can_save)
        self.cancel_button.setEnabled(not self._busy)
        markup, error = save_summary(
            busy=self._busy,
            creating=self._mode == PaneMode.NEW,
            gone=self._gone,
            blocking=blocking,
            form_errors=self._form_errors,
            errors=self._errors,
            changed=[r.label for r in self._editable_rows() if r.changed()],
        )
        self._set_summary(markup, error=error)

    def _set_summary(self, markup: str, *, error: bool) -> None:
        self.summary_label.setText(markup)
        set_flag(self.summary_label, "fieldError", error)
        set_flag(self.summary_label, "muted", not error)

    def _plain_summary(self) -> str:
        labels = [row.label for row in self._blocking()]
        if labels:
            return "Check " + ", ".join(labels) + "."
        return " ".join(self._form_errors)

    def _reveal_all(self) -> None:
        for row in self._editable_rows():
            row.revealed = True
        self._revalidate()
        blocking = self._blocking()
        if blocking:
            self.focus_field(blocking[0].key)

    def _focus_first(self) -> None:
        row = self._rows.get("firstName")
        if row is not None and row.editor is not None:
            row.editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------ saving

    def _escape(self) -> None:
        if self.is_editing() and not self._busy:
            self.cancel_edit()

    def _start_save(self) -> asyncio.Task[bool] | None:
        if not self.is_editing() or self._busy or self._service is None or self._gone:
            return None
        self._revalidate()
        if self._blocking() or self._form_errors:
            self._reveal_all()
            if self._form_errors and not self._blocking():
                self.show_message(" ".join(self._form_errors), "danger")
            return None
        if self._mode == PaneMode.EDIT and not self.has_unsaved_changes():
            return None
        task = self._tasks.spawn(self._save(self._generation), SAVE_TASK)
        self._save_task = task
        return task

    async def _save(self, generation: int) -> bool:
        service = self._service
        assert service is not None
        creating = self._mode == PaneMode.NEW
        contact_id = None if creating or self._contact is None else self._contact.id
        focus = self.focusWidget()
        payload = self._create_fields() if creating else self._changes()
        self.clear_message()
        self._set_busy(True)
        try:
            if creating:
                contact = await service.create(payload)
            else:
                assert contact_id is not None
                contact = await service.update(contact_id, payload)
        except ValidationFailed as exc:
            if generation == self._generation:
                self._show_server_errors(exc)
            return False
        except NotFound as exc:
            if generation == self._generation:
                self._gone = True
                self.show_message(exc.user_message, "danger")
            return False
        except ApiError as exc:
            log.info("saving contact %s failed: %r", contact_id or "(new)", exc)
            if generation == self._generation:
                self.show_message(exc.user_message, "danger")
            return False
        except Exception as exc:
            # A defect or a local failure (the cache): logged with its traceback, and
            # the user is told the changes were not lost.
            log.exception("saving contact %s failed", contact_id or "(new)")
            if generation == self._generation:
                self.show_message(
                    f"The contact could not be saved ({exc}). Your changes are still here; "
                    "try again, and restart the app if it keeps happening.",
                    "danger",
                )
            return False
        finally:
            self._end_busy(generation)
            restore = generation == self._generation and focus is not None
            if restore and shiboken6.isValid(focus) and focus.isVisible():
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
        if not shiboken6.isValid(self):
            return True  # saved, but the pane is gone: nobody to tell
        if generation == self._generation:
            self._previous = None
            self._load(contact, PaneMode.VIEW)
            self.show_message("Contact created." if creating else "Changes saved.", "success")
        if creating:
            self.contactCreated.emit(contact.id)
        else:
            self.contactSaved.emit(contact.id)
        return True

    def _show_server_errors(self, exc: ValidationFailed) -> None:
        placed: list[FormRow] = []
        others: list[str] = []
        errors = dict(exc.errors)
        if not errors and exc.field:
            errors[exc.field] = exc.message
        for path, sentence in errors.items():
            row = self._rows.get(_row_key(path))
            if row is not None and row.editor is not None:
                row.server_error = _server_sentence(sentence, path, row.label)
                row.revealed = True
                placed.append(row)
            else:
                others.append(sentence)
        if others or not placed:
            self.show_message(exc.user_message if not placed else " ".join(others), "danger")
        self._revalidate()
        if placed:
            self.focus_field(placed[0].key)

    def _set_busy(self, busy: bool) -> None:
        self._busy_generation = self._generation if busy else None
        self._sync_busy()

    def _end_busy(self, generation: int) -> None:
        if not shiboken6.isValid(self):
            return  # the pane went away while the request was out
        if self._busy_generation == generation:
            self._busy_generation = None
        self._sync_busy()

    def _sync_busy(self) -> None:
        """Apply the busy state to the widgets (after it or the form changed)."""
        busy = self._busy
        if self._content is not None:
            self._content.setEnabled(not busy)
        self.edit_button.setEnabled(not busy)
        self.delete_button.setEnabled(not busy)
        self._update_footer()
        if busy != self._busy_shown:
            self._busy_shown = busy
            self.busyChanged.emit(busy)

    # ------------------------------------------------------------ deleting

    async def _confirm_and_delete(self, generation: int) -> None:
        contact = self._contact
        service = self._service
        if contact is None or service is None:
            return
        name = contact.display_name
        confirmed = await confirm_delete(self, name)
        if not confirmed or generation != self._generation:
            return
        self.clear_message()
        self._set_busy(True)
        try:
            await service.delete(contact.id)
        except ApiError as exc:
            log.info("deleting contact %s failed: %r", contact.id, exc)
            if generation == self._generation:
                self.show_message(exc.user_message, "danger")
            return
        except Exception as exc:
            log.exception("deleting contact %s failed", contact.id)
            if generation == self._generation:
                self.show_message(f"The contact could not be deleted ({exc}). Try again.", "danger")
            return
        finally:
            self._end_busy(generation)
        if not shiboken6.isValid(self):
            return
        if generation == self._generation:
            self._show_empty(f"{name} was deleted.")
        self.contactDeleted.emit(contact.id)


__all__ = [
    "DELETE_TASK",
    "LEAVE_TASK",
    "SAVE_TASK",
    "SUCCESS_MESSAGE_MS",
    "ContactDetailPane",
    "ContactDetailService",
    "PaneMode",
    "ServiceSource",
]
