"""The booking dialog's person fields: first and last name, email (required), phone and notes.

Validated in place like the Contacts form: a field shows its error (red outline and a
sentence under it) once the user has left it, or when Book is pressed; the rules are
the booking service's (``booking_errors``), so the form and the service never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.enums import CustomFieldType
from app.ui.common.fields import FIELD_WIDTH, LineFieldEditor, set_flag
from app.ui.theme import Spacing


@dataclass(frozen=True)
class PersonValues:
    """What the person fields hold (blank optional fields are None)."""

    first_name: str
    last_name: str
    email: str
    phone: str | None
    notes: str | None


@dataclass
class _Row:
    key: str
    editor: LineFieldEditor
    frame: QFrame
    message: QLabel
    revealed: bool = False
    server_error: str | None = None


FIELDS = (
    ("firstName", "First name", CustomFieldType.TEXT, True),
    ("lastName", "Last name", CustomFieldType.TEXT, True),
    ("email", "Email", CustomFieldType.EMAIL, True),
    ("phone", "Phone", CustomFieldType.PHONE, False),
)
"""The fields by wire name (the names the service's errors use), label, kind, required."""


class PersonForm(QWidget):
    """The person a booking is for (see the module docstring)."""

    edited = Signal()
    """A field was changed by the user."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._validator: Callable[[PersonValues], Mapping[str, str]] = lambda _v: {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(Spacing.M)
        grid.setVerticalSpacing(2)
        self._rows: dict[str, _Row] = {}
        for index, (key, label, kind, required) in enumerate(FIELDS):
            row, column = divmod(index, 2)
            self._rows[key] = self._add(grid, row, column, key, label, kind, required)
        notes_label = QLabel("Notes", self)
        self.notes = QPlainTextEdit(self)
        self.notes.setPlaceholderText("What the appointment is about (optional)")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.notes.fontMetrics().lineSpacing() * 3 + 12)
        self.notes.setAccessibleName("Notes")
        grid.addWidget(notes_label, 4, 0, 1, 2)
        grid.addWidget(self.notes, 5, 0, 1, 2)

    def _add(
        self,
        grid: QGridLayout,
        row: int,
        column: int,
        key: str,
        label: str,
        kind: str,
        required: bool,
    ) -> _Row:
        cell = QWidget(self)
        layout = QVBoxLayout(cell)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        caption = QLabel(f"{label} *" if required else f"{label} (optional)", cell)
        editor = LineFieldEditor(kind, cell, width=FIELD_WIDTH)
        editor.setAccessibleName(label)
        if required:
            editor.focus_target().setAccessibleDescription("Required")
        caption.setBuddy(editor.focus_target())
        frame = QFrame(cell)
        frame.setProperty("fieldFrame", True)
        frame_layout = QVBoxLayout(frame)
        frame_layout.setContentsMargins(1, 1, 1, 1)
        frame_layout.addWidget(editor)
        message = QLabel(cell)
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        message.setMinimumHeight(message.fontMetrics().lineSpacing())
        message.setAccessibleName(f"{label} message")
        layout.addWidget(caption)
        layout.addWidget(frame)
        layout.addWidget(message)
        grid.addWidget(cell, row * 2, column, 2, 1)
        result = _Row(key, editor, frame, message)
        editor.changed.connect(lambda r=result: self._changed(r))
        editor.committed.connect(lambda r=result: self._reveal(r))
        return result

    # -- values ----------------------------------------------------------------------------
    def set_validator(self, validator: Callable[[PersonValues], Mapping[str, str]]) -> None:
        """The rule the fields are checked with (wire field name → sentence)."""
        self._validator = validator
        self.revalidate()

    def set_values(
        self,
        first_name: str | None,
        last_name: str | None,
        email: str | None,
        phone: str | None,
    ) -> None:
        """Prefill the fields (a contact); nothing is shown as an error yet."""
        for key, value in (
            ("firstName", first_name),
            ("lastName", last_name),
            ("email", email),
            ("phone", phone),
        ):
            self._rows[key].editor.set_value(value)
        self.revalidate()

    def values(self) -> PersonValues:
        """What the fields hold."""

        def text(key: str) -> str | None:
            value = self._rows[key].editor.value()
            return value if isinstance(value, str) else None

        notes = self.notes.toPlainText().strip()
        return PersonValues(
            text("firstName") or "",
            text("lastName") or "",
            text("email") or "",
            text("phone"),
            notes or None,
        )

    def editor(self, key: str) -> LineFieldEditor:
        """The editor of a field by wire name (``firstName``…)."""
        return self._rows[key].editor

    # -- errors ----------------------------------------------------------------------------
    def errors(self) -> dict[str, str]:
        """The current errors of the person fields (shown or not)."""
        found = self._validator(self.values())
        out = {k: v for k, v in found.items() if k in self._rows}
        for row in self._rows.values():
            if row.server_error:
                out.setdefault(row.key, row.server_error)
        return out

    def error_text(self, key: str) -> str:
        """The sentence shown under a field ("" when none)."""
        row = self._rows[key]
        return row.message.text() if row.message.property("fieldError") else ""

    def reveal_all(self) -> str | None:
        """Show every field's error; the first invalid field gets the focus (its key)."""
        for row in self._rows.values():
            row.revealed = True
        errors = self.revalidate()
        for key, _label, _kind, _required in FIELDS:
            if key in errors:
                self._rows[key].editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)
                return key
        return None

    def reveal_errors(self) -> str | None:
        """Show the errors of the fields that have one (a prefilled contact missing what
        Seedly needs), leaving the valid ones alone; the first such field's key, or None."""
        errors = self.errors()
        for row in self._rows.values():
            row.revealed = row.revealed or row.key in errors
        self.revalidate()
        return next((key for key, *_ in FIELDS if key in errors), None)

    def set_server_error(self, key: str, sentence: str) -> bool:
        """Show the server's refusal on its field (until the field is edited); False when
        ``key`` is not a person field."""
        row = self._rows.get(key)
        if row is None:
            return False
        row.server_error = sentence
        row.revealed = True
        self.revalidate()
        row.editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def revalidate(self) -> dict[str, str]:
        """Check the fields again; shows the errors of the fields already revealed."""
        errors = self.errors()
        for row in self._rows.values():
            error = errors.get(row.key) if row.revealed else None
            row.message.setText(error or "")
            row.message.setToolTip(error or "")
            set_flag(row.message, "fieldError", bool(error))
            set_flag(row.frame, "invalid", bool(error))
        return errors

    def _changed(self, row: _Row) -> None:
        row.server_error = None
        self.revalidate()
        self.edited.emit()

    def _reveal(self, row: _Row) -> None:
        if row.editor.value() is not None or row.revealed:
            row.revealed = True
        self.revalidate()


__all__ = ["FIELDS", "PersonForm", "PersonValues"]
