"""The contact detail pane's form: its sections and fields, and the widgets of each row.

``FormBuilder.build(definitions)`` lays out one grid: a row per built-in contact
field (docs/api/seedly-crm.md §5), one per custom field definition, one for the
values the sub-account has no definition for, and the record's read-only facts
(engagement score, created, updated, id). Each ``FormRow`` pairs a caption, a
read-only view and, for editable fields, an editor with the line under it for
errors and hints. The pane fills, reads and validates the rows; this module
makes them, and words the summary beside Save (``save_summary``).
"""

from __future__ import annotations

import html
from collections.abc import Generator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.contact_limits import TEXT_LIMITS
from app.core.custom_fields import field_path
from app.core.enums import CustomFieldType
from app.core.models import Contact, CustomFieldDefinition
from app.ui.common.fields import (
    FIELD_WIDTH,
    SHORT_FIELD_WIDTH,
    ChoiceFieldEditor,
    DateFieldEditor,
    FieldEditor,
    LineFieldEditor,
    ListFieldEditor,
    TagsEditor,
    display_kind,
    editor_for,
    stage_editor,
)
from app.ui.contacts.detail_widgets import MessageLabel, ValueLabel
from app.ui.common.widgets import IconLabel
from app.ui.theme import Spacing

SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("identity", "Identity", "user"),
    ("contact", "Contact details", "mail"),
    ("pipeline", "Pipeline", "stage"),
    ("address", "Address", "company"),
    ("custom", "Custom fields", "list"),
    ("record", "Record", "info"),
)


@dataclass(frozen=True)
class FieldSpec:
    """A built-in contact field: wire name, Contact attribute, label and editor kind."""

    key: str
    attr: str
    label: str
    kind: str
    section: str
    required: bool = False
    placeholder: str = ""
    width: int = FIELD_WIDTH


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("firstName", "first_name", "First name", "text", "identity", required=True),
    FieldSpec("lastName", "last_name", "Last name", "text", "identity", required=True),
    FieldSpec("title", "title", "Job title", "text", "identity", placeholder="e.g. Office manager"),
    FieldSpec("company", "company", "Company", "text", "identity"),
    FieldSpec("dateOfBirth", "date_of_birth", "Date of birth", "date", "identity"),
    FieldSpec("email", "email", "Email", "email", "contact"),
    FieldSpec("phone", "phone", "Phone", "phone", "contact"),
    FieldSpec("additionalEmails", "additional_emails", "Other emails", "emails", "contact"),
    FieldSpec("additionalPhones", "additional_phones", "Other phones", "phones", "contact"),
    FieldSpec("lifecycleStage", "lifecycle_stage", "Lifecycle stage", "stage", "pipeline"),
    FieldSpec("tags", "tags", "Tags", "tags", "pipeline"),
    FieldSpec("source", "source", "Source", "source", "pipeline", placeholder="e.g. website"),
    FieldSpec("assignedTo", "assigned_to", "Assigned to", "assignee", "pipeline"),
    FieldSpec("addressLine1", "address_line1", "Street address", "text", "address"),
    FieldSpec("city", "city", "City", "text", "address"),
    FieldSpec("state", "state", "State / province", "text", "address"),
    FieldSpec(
        "postalCode", "postal_code", "Postal code", "text", "address", width=SHORT_FIELD_WIDTH
    ),
    FieldSpec("country", "country", "Country", "text", "address"),
)


@dataclass(eq=False)
class FormRow:
    """One row of the form: caption, read-only view, editor, message line and state."""

    key: str
    """Wire path: ``email``, ``customFields.company_size``; read-only rows: ``record.*``."""
    label: str
    kind: str
    section: str
    caption: QLabel
    star: QLabel
    caption_box: QWidget
    cell: QWidget
    view: QWidget
    read: Callable[[Contact], Any]
    editor: FieldEditor | None = None
    frame: QFrame | None = None
    message: MessageLabel | None = None
    required: bool = False
    revealed: bool = False
    """The user has left the field (or tried to save): its error may show."""
    server_error: str | None = None
    baseline: Any = None
    """The editor's value when the form was loaded; the row is changed when it differs."""
    custom_name: str | None = None

    @property
    def editable(self) -> bool:
        """Whether the row has an editor (read-only rows have none)."""
        return self.editor is not None

    def changed(self) -> bool:
        """Whether the editor's value differs from the one the form was loaded with."""
        return self.editor is not None and self.editor.value() != self.baseline


def custom_value(name: str) -> Callable[[Contact], Any]:
    """Reads the custom field ``name`` of a contact (None when it has no value)."""
    return lambda contact: contact.custom_fields.get(name)


def attribute(attr: str) -> Callable[[Contact], Any]:
    """Reads the attribute ``attr`` of a contact (None when it has none)."""
    return lambda contact: getattr(contact, attr, None)


def save_summary(
    *,
    busy: bool,
    creating: bool,
    gone: bool,
    blocking: Sequence[FormRow],
    form_errors: Sequence[str],
    errors: Mapping[str, str],
    changed: Sequence[str],
) -> tuple[str, bool]:
    """The line beside Save (markup) and whether it reports an error.

    ``blocking`` are the rows whose errors prevent saving (each a link to its field),
    ``form_errors`` the errors no row owns, ``errors`` the core-rule sentence of each
    row, ``changed`` the labels of the rows the user changed."""
    if busy:
        return html.escape("Creating the contact…" if creating else "Saving…"), False
    if blocking or form_errors:
        shown = any(r.revealed or r.server_error for r in blocking)
        links = ", ".join(
            f'<a href="{html.escape(r.key)}">{html.escape(r.label)}</a>' for r in blocking
        )
        extra = " ".join(html.escape(s) for s in form_errors)
        if links:
            only_missing = all(errors.get(r.key, "").endswith("is required.") for r in blocking)
            if shown:
                lead = "To save, fix:"
            elif only_missing:
                lead = "To save, fill in:"
            else:
                lead = "To save, check:"
            text = f"{lead} {links}" + (f". {extra}" if extra else "")
        else:
            text = extra
        return text, shown or bool(form_errors)
    if gone:
        return html.escape("This contact no longer exists."), True
    if creating:
        return "", False
    if not changed:
        return "No changes yet.", False
    if len(changed) <= 3:
        return html.escape("Changed: " + ", ".join(changed)), False
    return html.escape(f"{len(changed)} fields changed"), False


@dataclass(frozen=True)
class BuiltForm:
    """What ``FormBuilder.build`` made: the grid's widget and its rows."""

    content: QWidget
    rows: dict[str, FormRow]
    """Every row by its key (wire path, or ``record.*`` for read-only facts)."""
    sections: dict[str, list[QWidget]]
    """The widgets of each section (shown or hidden together)."""
    score_bar: QProgressBar
    score_label: ValueLabel


class FormBuilder:
    """Makes the form's grid for one set of custom field definitions.

    ``assignee_label`` names a team member id for the assignee picker; every
    editor's ``changed``/``committed`` signal calls ``on_changed``/``on_committed``
    with its row."""

    def __init__(
        self,
        *,
        locale: QLocale,
        assignee_label: Callable[[object], str],
        on_changed: Callable[[FormRow], None],
        on_committed: Callable[[FormRow], None],
    ) -> None:
        self._locale = locale
        self._assignee_label = assignee_label
        self._on_changed = on_changed
        self._on_committed = on_committed
        self._definitions: list[CustomFieldDefinition] = []
        self._rows: dict[str, FormRow] = {}
        self._sections: dict[str, list[QWidget]] = {}
        self._grid = QGridLayout()

    def build(
        self, definitions: Sequence[CustomFieldDefinition], parent: QWidget | None = None
    ) -> BuiltForm:
        """The rows: the built-in fields and one per custom field definition."""
        steps = self.build_steps(definitions, parent)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                form: BuiltForm = done.value
                return form

    ROWS_PER_STEP = 4
    """Built-in rows styled per step: a row is a caption, a value and its editor."""

    def build_steps(
        self, definitions: Sequence[CustomFieldDefinition], parent: QWidget | None = None
    ) -> Generator[None, None, BuiltForm]:
        """``build``, yielding after each section (a section takes a few milliseconds;
        the whole form, a hundred or more). ``parent``: where the form will be shown (a
        scroll area's viewport), so that showing it moves nothing."""
        self._definitions = list(definitions)
        self._rows = {}
        self._sections = {}
        content = QWidget(parent)
        content.hide()
        content.setObjectName("contactDetailForm")
        grid = QGridLayout(content)
        grid.setContentsMargins(Spacing.L, Spacing.M, Spacing.L, Spacing.L)
        grid.setHorizontalSpacing(Spacing.M)
        grid.setVerticalSpacing(Spacing.XS)
        grid.setColumnStretch(1, 1)
        self._grid = grid
        row_index = 0
        for section, title, icon_name in SECTIONS:
            if row_index:
                # Each section is styled in its own step: polishing the whole form when it
                # is first shown took a hundred milliseconds and more in one block.
                content.ensurePolished()
                yield
            row_index = self._add_section(content, section, title, icon_name, row_index)
            if section == "custom":
                row_index = self._add_custom_rows(content, row_index)
            elif section == "record":
                row_index = self._add_record_rows(content, row_index)
            else:
                placed = 0
                for spec in FIELDS:
                    if spec.section == section:
                        if placed and placed % self.ROWS_PER_STEP == 0:
                            content.ensurePolished()
                            yield
                        row_index = self._add_builtin_row(content, spec, row_index)
                        placed += 1
        grid.setRowStretch(row_index, 1)
        content.ensurePolished()
        return BuiltForm(content, self._rows, self._sections, self._score_bar, self._score_label)

    def _add_section(
        self, parent: QWidget, section: str, title: str, icon_name: str, row: int
    ) -> int:
        box = QWidget(parent)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, Spacing.L if row else 0, 0, Spacing.XS)
        layout.setSpacing(Spacing.S)
        glyph = IconLabel(icon_name, 16, box)
        text = QLabel(title, box)
        font = QFont(text.font())
        font.setBold(True)
        text.setFont(font)
        rule = QFrame(box)
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        rule.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout.addWidget(glyph)
        layout.addWidget(text)
        layout.addWidget(rule, 1)
        self._grid.addWidget(box, row, 0, 1, 2)
        self._sections[section] = [box]
        return row + 1

    def _caption(self, parent: QWidget, label: str) -> tuple[QWidget, QLabel, QLabel]:
        box = QWidget(parent)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        caption = QLabel(label, box)
        caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        star = QLabel("*", box)
        star.setProperty("requiredMark", True)
        star.setToolTip("Required")
        # The mark keeps its place when hidden, so required and optional labels line up.
        policy = star.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        star.setSizePolicy(policy)
        star.hide()
        layout.addStretch(1)
        layout.addWidget(caption, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(star, 0, Qt.AlignmentFlag.AlignTop)
        return box, caption, star

    def _place(
        self,
        parent: QWidget,
        row: int,
        *,
        key: str,
        label: str,
        kind: str,
        section: str,
        view: QWidget,
        read: Callable[[Contact], Any],
        editor: FieldEditor | None = None,
        required: bool = False,
        custom_name: str | None = None,
    ) -> FormRow:
        caption_box, caption, star = self._caption(parent, label)
        cell = QWidget(parent)
        cell_layout = QVBoxLayout(cell)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_layout.setSpacing(2)
        cell_layout.addWidget(view)
        frame = message = None
        if editor is not None:
            frame = QFrame(cell)
            frame.setProperty("fieldFrame", True)
            frame_layout = QVBoxLayout(frame)
            frame_layout.setContentsMargins(1, 1, 1, 1)
            frame_layout.addWidget(editor)
            # As wide as the cell up to the editor's widest: narrow panes shrink the editor.
            frame.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            frame.setMaximumWidth(FIELD_WIDTH + 2)
            cell_layout.addWidget(frame)
            message = MessageLabel(cell)
            message.setMaximumWidth(FIELD_WIDTH)
            small = QFont(message.font())
            small.setPointSizeF(max(small.pointSizeF(), 8.0) * 0.92)
            message.setFont(small)
            message.fit()
            message.setAccessibleName(f"{label} message")
            cell_layout.addWidget(message)
            editor.setAccessibleName(label)
            if required:
                editor.focus_target().setAccessibleDescription("Required")
        # The caption box fills its cell and keeps the caption at the top: a box
        # aligned in the grid would keep its first height when the caption's margin changes.
        self._grid.addWidget(caption_box, row, 0)
        self._grid.addWidget(cell, row, 1)
        result = FormRow(
            key=key,
            label=label,
            kind=kind,
            section=section,
            caption=caption,
            star=star,
            caption_box=caption_box,
            cell=cell,
            view=view,
            read=read,
            editor=editor,
            frame=frame,
            message=message,
            required=required,
            custom_name=custom_name,
        )
        self._rows[key] = result
        self._sections.setdefault(section, []).extend([caption_box, cell])
        if editor is not None:
            editor.changed.connect(lambda r=result: self._on_changed(r))
            editor.committed.connect(lambda r=result: self._on_committed(r))
        return result

    def _make_editor(self, spec: FieldSpec, parent: QWidget) -> FieldEditor:
        if spec.kind == "date":
            return DateFieldEditor(parent, locale=self._locale)
        if spec.kind == "stage":
            return stage_editor(parent)
        if spec.kind == "assignee":
            return ChoiceFieldEditor(
                [("Unassigned", None)],
                parent,
                kind="assignee",
                unknown_label=self._assignee_label,
            )
        if spec.kind == "tags":
            return TagsEditor(parent)
        if spec.kind in ("emails", "phones"):
            item_kind = CustomFieldType.EMAIL if spec.kind == "emails" else CustomFieldType.PHONE
            noun = "email" if spec.kind == "emails" else "phone"
            return ListFieldEditor(str(item_kind), parent, add_text=f"Add {noun}")
        kind = spec.kind if spec.kind in ("email", "phone") else CustomFieldType.TEXT.value
        return LineFieldEditor(
            str(kind),
            parent,
            placeholder=spec.placeholder or None,
            width=spec.width,
            limit=TEXT_LIMITS.get(spec.key),
        )

    def _add_builtin_row(self, parent: QWidget, spec: FieldSpec, row: int) -> int:
        view: QWidget = (
            TagsEditor(parent, read_only=True) if spec.kind == "tags" else ValueLabel(parent)
        )
        editor = self._make_editor(spec, parent)
        attr = spec.attr
        self._place(
            parent,
            row,
            key=spec.key,
            label=spec.label,
            kind=spec.kind,
            section=spec.section,
            view=view,
            read=lambda c: getattr(c, attr, None),
            editor=editor,
            required=spec.required,
        )
        return row + 1

    def _add_custom_rows(self, parent: QWidget, row: int) -> int:
        if not self._definitions:
            note = QLabel("No custom fields are set up for this sub-account.", parent)
            note.setProperty("muted", True)
            self._grid.addWidget(note, row, 1)
            self._sections["custom"].append(note)
            row += 1
        for definition in self._definitions:
            name = definition.name
            editor = editor_for(definition, parent, locale=self._locale)
            self._place(
                parent,
                row,
                key=field_path(name),
                label=definition.display_label,
                kind=display_kind(definition),
                section="custom",
                view=ValueLabel(parent),
                read=custom_value(name),
                editor=editor,
                required=definition.is_required,
                custom_name=name,
            )
            row += 1
        known = {d.name for d in self._definitions}
        # Values for keys this sub-account has no definition for (a field removed
        # since, or one this client has not loaded yet): shown, never edited.
        self._place(
            parent,
            row,
            key="record.otherFields",
            label="Other fields",
            kind="other",
            section="custom",
            view=ValueLabel(parent),
            read=lambda c: {k: v for k, v in c.custom_fields.items() if k not in known},
        )
        return row + 1

    def _add_record_rows(self, parent: QWidget, row: int) -> int:
        score = QWidget(parent)
        score_layout = QHBoxLayout(score)
        score_layout.setContentsMargins(0, 0, 0, 0)
        score_layout.setSpacing(Spacing.S)
        self._score_bar = QProgressBar(score)
        self._score_bar.setRange(0, 100)
        self._score_bar.setTextVisible(False)
        self._score_bar.setFixedSize(SHORT_FIELD_WIDTH // 2, Spacing.S)
        self._score_label = ValueLabel(score)
        score_layout.addWidget(self._score_bar, 0, Qt.AlignmentFlag.AlignVCenter)
        score_layout.addWidget(self._score_label, 1)
        self._place(
            parent,
            row,
            key="record.engagementScore",
            label="Engagement score",
            kind="score",
            section="record",
            view=score,
            read=lambda c: c.engagement_score,
        )
        for offset, (key, label, attr) in enumerate(
            (
                ("record.createdAt", "Created", "created_at"),
                ("record.updatedAt", "Last updated", "updated_at"),
                ("record.id", "Contact ID", "id"),
            ),
            start=1,
        ):
            self._place(
                parent,
                row + offset,
                key=key,
                label=label,
                kind="record",
                section="record",
                view=ValueLabel(parent),
                read=attribute(attr),
            )
        return row + 4
