"""Editors for the fields of a contact: one per custom-field type, the lifecycle stage,
lists of emails or phones, and the tags editor.

Every editor is a ``FieldEditor``: ``value()`` returns what goes into a
``ContactService`` call (``None`` means "no value"), ``set_value()`` accepts a
wire value (and anything ``value()`` returned), ``changed`` fires on every edit
and ``committed`` when the user is done with the field (focus left, Enter, a
choice made): the moment inline validation first shows its verdict.

Editors do not validate. The detail pane runs the core rules
(``app.core.payloads.build``, the same call the service makes) over the whole
form and puts each sentence on the field it names, so the form and the service
can never disagree. Editors only turn what the widget holds into the value
those rules expect (a locale-formatted "1,5" into 1.5, a date into
``YYYY-MM-DD``).

``format_value`` renders a stored value for the read-only view, locale-aware.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, ClassVar

from PySide6.QtCore import (
    QDate,
    QEvent,
    QLocale,
    QMargins,
    QObject,
    QPoint,
    QRect,
    QSize,
    QStringListModel,
    Qt,
    Signal,
    QTimer,
)
from PySide6.QtGui import QGuiApplication, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from app.core.constants import LIFECYCLE_STAGES
from app.core.contact_limits import CUSTOM_TEXT_MAX
from app.core.enums import CustomFieldType
from app.core.models import CustomFieldDefinition
from app.core.phones import display_phone, format_phone
from app.ui.theme import DARK, LIGHT, Spacing, ThemeColors, icon, repolish

FIELD_WIDTH = 360
"""Width of a full-size editor; the form does not stretch fields beyond it."""
SHORT_FIELD_WIDTH = 160
"""Width of editors for short values: numbers, dates, postal codes."""
MIN_FIELD_WIDTH = 180
"""Full-size editors shrink down to this in a narrow pane before it scrolls sideways."""
EMPTY_TEXT = "—"
"""What the read-only view shows for a field without a value."""

STAGE_LABELS: dict[str, str] = {stage: stage.capitalize() for stage in LIFECYCLE_STAGES}
"""Display names of the lifecycle stages the contract documents."""

_NO_DATE = QDate(1800, 1, 1)
"""The date an empty ``DateFieldEditor`` holds (shown as its "no date" text).

``QDateEdit`` cannot be empty; the usual way out is a minimum date that stands
for "none". Nobody types a date of birth or a custom date in 1800."""


# --- colours ------------------------------------------------------------------


def scheme_colors() -> ThemeColors:
    """The theme's named colours for the palette in use (dark when its window is dark).

    The ``Theme`` object is owned by the main window; reading the scheme off the
    application palette lets widgets pick matching colours without a reference
    to it, and follow a switch when the palette changes."""
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return DARK if window.lightness() < 128 else LIGHT


def field_stylesheet(colors: ThemeColors) -> str:
    """Rules for the editors' dynamic properties (errors, hints, chips, destructive).

    Only colours and borders: boxes keep the Fusion look. Apply it on a container
    (the detail pane does) and re-apply on palette changes."""
    return f"""
QLabel[fieldError="true"] {{ color: {colors.danger}; }}
QLabel[fieldHint="true"] {{ color: {colors.muted_text}; }}
QLabel[requiredMark="true"] {{ color: {colors.danger}; }}
QFrame[fieldFrame="true"] {{ border: 1px solid transparent; border-radius: 4px; }}
QFrame[fieldFrame="true"][invalid="true"] {{ border-color: {colors.danger}; }}
QFrame[tagChip="true"] {{
    background: {colors.alternate_base};
    border: 1px solid {colors.border};
    border-radius: 9px;
}}
QFrame[tagBox="true"] {{
    background: {colors.base};
    border: 1px solid {colors.border};
    border-radius: 3px;
}}
QFrame[tagBox="true"][readOnly="true"] {{ background: transparent; border-color: transparent; }}
QPushButton[destructive="true"] {{ color: {colors.danger}; }}
""".strip()


def set_flag(widget: QWidget, name: str, on: bool) -> None:
    """Set a boolean dynamic property, re-polishing only when it actually changes."""
    if bool(widget.property(name)) == on:
        return
    widget.setProperty(name, on)
    repolish(widget)


# --- formatting ---------------------------------------------------------------


def date_format(locale: QLocale | None = None) -> str:
    """The locale's short date format with a four-digit year ("M/d/yy" → "M/d/yyyy").

    Two-digit years are ambiguous for dates of birth. The C locale (no language set, as
    on servers and in containers) gets ISO dates: its own "d MM yyyy" reads as a typo."""
    loc = locale or QLocale()
    if loc.language() == QLocale.Language.C:
        return "yyyy-MM-dd"
    fmt = loc.dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in fmt:
        fmt = fmt.replace("yy", "yyyy")
    return fmt


def parse_iso_date(value: Any) -> QDate | None:
    """A ``QDate`` from ``YYYY-MM-DD`` text (or a ``date``); None when it is not one."""
    if isinstance(value, date):
        return QDate(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return QDate(day.year, day.month, day.day)


def format_date(value: Any, locale: QLocale | None = None) -> str:
    """An ISO date as the locale writes it; text that is not a date is shown as it is."""
    loc = locale or QLocale()
    qdate = parse_iso_date(value)
    if qdate is None:
        return "" if value is None else str(value)
    return loc.toString(qdate, date_format(loc))


def format_number(value: Any, locale: QLocale | None = None) -> str:
    """A number in the locale's notation (ints stay ints, no forced decimals)."""
    loc = locale or QLocale()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return loc.toString(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return loc.toString(int(value))
        return loc.toString(value, "g", 15)
    return "" if value is None else str(value)


def format_value(
    kind: str, value: Any, *, locale: QLocale | None = None, home_region: str | None = "US"
) -> str:
    """Plain text for the read-only view of one value of type ``kind``; "" when empty.

    ``kind`` is a custom-field type or one of the pane's own kinds (``stage``)."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(
            format_value(kind, v, locale=locale, home_region=home_region) for v in value
        )
    if kind == CustomFieldType.BOOLEAN or isinstance(value, bool):
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)
    if kind == CustomFieldType.NUMBER or isinstance(value, int | float):
        return format_number(value, locale)
    if kind == CustomFieldType.DATE:
        return format_date(value, locale)
    if kind == CustomFieldType.PHONE and isinstance(value, str):
        return display_phone(value, home_region=home_region)
    if kind == "stage":
        return STAGE_LABELS.get(str(value), str(value).capitalize())
    return str(value)


def link_html(kind: str, value: str, text: str | None = None) -> str:
    """A clickable link for an email, phone or web address (escaped), else escaped text."""
    shown = html.escape(text if text is not None else value)
    if kind == CustomFieldType.EMAIL:
        return f'<a href="mailto:{html.escape(value, quote=True)}">{shown}</a>'
    if kind == CustomFieldType.PHONE:
        return f'<a href="tel:{html.escape(value, quote=True)}">{shown}</a>'
    if kind == CustomFieldType.URL and value.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(value, quote=True)}">{shown}</a>'
    return shown


def size_widget(widget: QWidget, width: int) -> None:
    """``width`` wide at most; full-size widgets may shrink to ``MIN_FIELD_WIDTH``."""
    widget.setMaximumWidth(width)
    widget.setMinimumWidth(min(width, MIN_FIELD_WIDTH))
    policy = widget.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Expanding)
    widget.setSizePolicy(policy)


def _blank_to_none(text: str) -> str | None:
    text = text.strip()
    return text or None


# --- base ---------------------------------------------------------------------


class FieldEditor(QWidget):
    """One field's editor: ``value()``/``set_value()`` plus the two signals the form needs."""

    changed = Signal()
    """The value was edited (every keystroke, toggle or choice); not emitted by ``set_value``."""

    committed = Signal()
    """The user finished with the field (left it, pressed Enter, made a choice)."""

    kind: str = CustomFieldType.TEXT
    """The value's type, for display and hints (a ``CustomFieldType`` value or "stage")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.XS)

    def _row_layout(self) -> QHBoxLayout:
        """The editor's own row (made in ``__init__``)."""
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        return layout

    def _add_main(self, widget: QWidget, width: int) -> None:
        """Add the editor's main widget: ``width`` at most, narrower in a narrow pane."""
        size_widget(widget, width)
        self._row_layout().addWidget(widget, 1)

    def _finish(self) -> None:
        """Close the row: what is left of it stays empty instead of widening the editor."""
        self._row_layout().addStretch(0)

    def value(self) -> Any:
        """The value for the service (``None``: no value)."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting ``changed``."""
        self._loading = True
        try:
            self._set(value)
        finally:
            self._loading = False

    def _set(self, value: Any) -> None:
        raise NotImplementedError

    def focus_target(self) -> QWidget:
        """The widget that should take the keyboard focus for this field."""
        return self

    def _emit_changed(self, *_: Any) -> None:
        if not self._loading:
            self.changed.emit()

    def _emit_committed(self, *_: Any) -> None:
        if not self._loading:
            self.committed.emit()


class LineFieldEditor(FieldEditor):
    """A single-line text: plain text, email, phone or web address (``kind``)."""

    _HINTS: ClassVar[dict[str, Qt.InputMethodHint]] = {
        CustomFieldType.EMAIL: Qt.InputMethodHint.ImhEmailCharactersOnly,
        CustomFieldType.PHONE: Qt.InputMethodHint.ImhDialableCharactersOnly,
        CustomFieldType.URL: Qt.InputMethodHint.ImhUrlCharactersOnly,
    }
    _PLACEHOLDERS: ClassVar[dict[str, str]] = {
        CustomFieldType.EMAIL: "name@example.com",
        CustomFieldType.PHONE: "+1 617 555 0101",
        CustomFieldType.URL: "https://",
    }

    def __init__(
        self,
        kind: str = CustomFieldType.TEXT,
        parent: QWidget | None = None,
        *,
        placeholder: str | None = None,
        width: int = FIELD_WIDTH,
        limit: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.limit = limit
        """The most characters Seedly takes here (said in the tooltip; never enforced by
        cutting what is typed or pasted: the form's rules refuse a longer value, saying
        the limit)."""
        self.line = QLineEdit(self)
        if limit is not None:
            self.line.setToolTip(f"Seedly takes up to {limit:,} characters here.")
        if kind in self._HINTS:
            self.line.setInputMethodHints(self._HINTS[kind])
        self.line.setPlaceholderText(placeholder or self._PLACEHOLDERS.get(kind, ""))
        self.line.textEdited.connect(self._emit_changed)
        self.line.editingFinished.connect(self._emit_committed)
        self._add_main(self.line, width)
        self._finish()
        self._completer: QCompleter | None = None

    def value(self) -> str | None:
        return _blank_to_none(self.line.text())

    def _set(self, value: Any) -> None:
        if value is None:
            text = ""
        elif self.kind == CustomFieldType.PHONE and isinstance(value, str):
            # Shown the way people write it; unchanged numbers are never re-sent.
            text = format_phone(value) if value.startswith("+") else value
        else:
            text = str(value)
        self.line.setText(text)
        self.line.setModified(False)
        self.line.setCursorPosition(0)

    def set_completions(self, words: Sequence[str]) -> None:
        """Offer ``words`` as completions (case-insensitive, matching anywhere)."""
        if self._completer is None:
            self._completer = QCompleter(self)
            self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self._completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self._completer.setModel(QStringListModel(self._completer))
            self._completer.activated.connect(self._emit_changed)
            self.line.setCompleter(self._completer)
        model = self._completer.model()
        assert isinstance(model, QStringListModel)
        model.setStringList(list(words))

    def focus_target(self) -> QWidget:
        return self.line


class NumberFieldEditor(FieldEditor):
    """A number, integer or decimal, typed in the locale's notation ("1,5" in German).

    Text that is not a number is handed on as typed, so the core rule says what
    is wrong with it; an empty field means "no value" (a spin box cannot be empty)."""

    kind = CustomFieldType.NUMBER

    def __init__(self, parent: QWidget | None = None, *, locale: QLocale | None = None) -> None:
        super().__init__(parent)
        self._locale = locale or QLocale()
        self.line = QLineEdit(self)
        self.line.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.line.setInputMethodHints(Qt.InputMethodHint.ImhFormattedNumbersOnly)
        self.line.textEdited.connect(self._emit_changed)
        self.line.editingFinished.connect(self._emit_committed)
        self._add_main(self.line, SHORT_FIELD_WIDTH)
        self._finish()

    def value(self) -> int | float | str | None:
        text = self.line.text().strip()
        if not text:
            return None
        number, ok = self._locale.toDouble(text)
        if not ok:
            return text  # maybe "2.5" in a comma locale; the core rule decides
        has_fraction = self._locale.decimalPoint() in text or "e" in text.lower()
        if number.is_integer() and not has_fraction and abs(number) < 2**53:
            return int(number)
        return number

    def _set(self, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.line.setText(format_number(value, self._locale).replace(self._group(), ""))
        else:
            self.line.setText("" if value is None else str(value))

    def _group(self) -> str:
        # Group separators make "1,234" ambiguous to type back in; edit without them.
        return self._locale.groupSeparator() or "\0"

    def focus_target(self) -> QWidget:
        return self.line


class SelectFieldEditor(FieldEditor):
    """One of a field's options; an empty choice unless the field is required.

    A stored value that is not (or no longer) an option is kept as an extra
    entry, so showing a contact never changes it."""

    kind = CustomFieldType.SELECT
    NONE_TEXT = "Not set"

    def __init__(
        self, options: Sequence[str], *, required: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._options = list(options)
        self._required = required
        self.combo = QComboBox(self)
        self.combo.setPlaceholderText("Choose…")
        self._fill(None)
        self.combo.currentIndexChanged.connect(self._emit_changed)
        self.combo.activated.connect(self._emit_committed)
        self._add_main(self.combo, FIELD_WIDTH)
        self._finish()

    def _fill(self, extra: str | None) -> None:
        self.combo.clear()
        if not self._required:
            self.combo.addItem(self.NONE_TEXT, None)
        for option in self._options:
            self.combo.addItem(option, option)
        if extra is not None:
            self.combo.addItem(extra, extra)
            self.combo.setItemData(
                self.combo.count() - 1,
                "Not one of this field's options; choose another to change it.",
                Qt.ItemDataRole.ToolTipRole,
            )

    def value(self) -> str | None:
        data = self.combo.currentData()
        return data if isinstance(data, str) else None

    def _set(self, value: Any) -> None:
        text = None if value is None or value == "" else str(value)
        extra = text if text is not None and text not in self._options else None
        self._fill(extra)
        index = self.combo.findData(text) if text is not None else (-1 if self._required else 0)
        self.combo.setCurrentIndex(index)

    def options(self) -> list[str]:
        """The entries offered, in order (the empty choice included)."""
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def focus_target(self) -> QWidget:
        return self.combo


class DateFieldEditor(FieldEditor):
    """A date with a calendar pop-up and a button to leave it empty."""

    kind = CustomFieldType.DATE
    NONE_TEXT = "No date"

    def __init__(self, parent: QWidget | None = None, *, locale: QLocale | None = None) -> None:
        super().__init__(parent)
        loc = locale or QLocale()
        self.edit = QDateEdit(self)
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(date_format(loc))
        self.edit.setMinimumDate(_NO_DATE)
        self.edit.setSpecialValueText(self.NONE_TEXT)
        self.edit.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        self.edit.setDate(_NO_DATE)
        self.edit.dateChanged.connect(self._on_date)
        self.edit.editingFinished.connect(self._emit_committed)
        calendar = self.edit.calendarWidget()
        calendar.installEventFilter(self)
        calendar.clicked.connect(self._emit_committed)
        self.clear_button = QToolButton(self)
        self.clear_button.setIcon(icon("close"))
        self.clear_button.setAutoRaise(True)
        self.clear_button.setToolTip("Clear the date")
        self.clear_button.setAccessibleName("Clear the date")
        self.clear_button.clicked.connect(self.clear)
        self._add_main(self.edit, SHORT_FIELD_WIDTH)
        self._row_layout().addWidget(self.clear_button)
        self._finish()
        self._sync_clear_button()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The pop-up of an empty field would open on January 1800: show this month.
        if event.type() == QEvent.Type.Show and self.edit.date() == _NO_DATE:
            today = QDate.currentDate()
            self.edit.calendarWidget().setCurrentPage(today.year(), today.month())
        return False

    def _on_date(self, _date: QDate) -> None:
        self._sync_clear_button()
        self._emit_changed()

    def _sync_clear_button(self) -> None:
        # Hidden but keeping its place: the row does not jump when a date is chosen.
        policy = self.clear_button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.clear_button.setSizePolicy(policy)
        self.clear_button.setVisible(self.edit.date() != _NO_DATE)

    def clear(self) -> None:
        """Leave the date empty (a user action: emits ``changed`` and ``committed``)."""
        self.edit.setDate(_NO_DATE)
        self._emit_committed()

    def value(self) -> str | None:
        qdate = self.edit.date()
        if qdate == _NO_DATE or not qdate.isValid():
            return None
        return qdate.toString(Qt.DateFormat.ISODate)

    def _set(self, value: Any) -> None:
        qdate = parse_iso_date(value)
        self.edit.setDate(qdate if qdate is not None and qdate > _NO_DATE else _NO_DATE)
        self._sync_clear_button()

    def set_date(self, qdate: QDate) -> None:
        """Pick ``qdate`` as the user would (emits ``changed`` and ``committed``)."""
        self.edit.setDate(qdate)
        self._emit_committed()

    def focus_target(self) -> QWidget:
        return self.edit


class BooleanFieldEditor(FieldEditor):
    """Yes or no. A value that was never set stays unset until the box is toggled,
    so creating a contact does not store "No" in every yes/no field."""

    kind = CustomFieldType.BOOLEAN

    def __init__(self, parent: QWidget | None = None, *, text: str = "") -> None:
        super().__init__(parent)
        self.box = QCheckBox(text, self)
        self._unset = True
        self.box.toggled.connect(self._on_toggled)
        self.box.clicked.connect(self._emit_committed)
        self._row_layout().addWidget(self.box)
        self._finish()

    def _on_toggled(self, _checked: bool) -> None:
        if not self._loading:
            self._unset = False
        self._emit_changed()

    def value(self) -> bool | None:
        return None if self._unset else self.box.isChecked()

    def _set(self, value: Any) -> None:
        self._unset = value is None
        self.box.setChecked(bool(value) if isinstance(value, bool) else False)

    def focus_target(self) -> QWidget:
        return self.box


class ChoiceFieldEditor(FieldEditor):
    """A choice among fixed ``(label, value)`` pairs; unknown stored values are kept."""

    def __init__(
        self,
        choices: Sequence[tuple[str, Any]],
        parent: QWidget | None = None,
        *,
        kind: str = "choice",
        placeholder: str = "Choose…",
        unknown_label: Callable[[Any], str] | None = None,
        width: int = FIELD_WIDTH,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self._choices = list(choices)
        self._unknown_label = unknown_label or (lambda v: str(v))
        self.combo = QComboBox(self)
        self.combo.setPlaceholderText(placeholder)
        self._fill(None)
        self.combo.currentIndexChanged.connect(self._emit_changed)
        self.combo.activated.connect(self._emit_committed)
        self._add_main(self.combo, width)
        self._finish()

    def set_choices(self, choices: Sequence[tuple[str, Any]]) -> None:
        """Replace the choices, keeping the current value (added if it is not among them)."""
        current = self.value()
        self._choices = list(choices)
        self.set_value(current)

    def _fill(self, extra: Any) -> None:
        self.combo.clear()
        for label, data in self._choices:
            self.combo.addItem(label, data)
        if extra is not None:
            self.combo.addItem(self._unknown_label(extra), extra)

    def value(self) -> Any:
        return self.combo.currentData() if self.combo.currentIndex() >= 0 else None

    def _set(self, value: Any) -> None:
        known = [data for _label, data in self._choices]
        self._fill(value if value is not None and value not in known else None)
        index = self.combo.findData(value) if value is not None else -1
        if value is None and None in known:
            index = known.index(None)
        self.combo.setCurrentIndex(index)

    def labels(self) -> list[str]:
        """The entries offered, in order."""
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def focus_target(self) -> QWidget:
        return self.combo


def stage_editor(parent: QWidget | None = None) -> ChoiceFieldEditor:
    """The lifecycle stage: the documented stages; a stage the server added is kept."""
    return ChoiceFieldEditor(
        [(label, stage) for stage, label in STAGE_LABELS.items()],
        parent,
        kind="stage",
        placeholder="Choose a stage",
        unknown_label=lambda v: f"{str(v).capitalize()} (not a standard stage)",
        width=SHORT_FIELD_WIDTH + Spacing.L * 3,
    )


# --- lists --------------------------------------------------------------------


class ListFieldEditor(FieldEditor):
    """Several values of one kind (additional emails or phones): one line each, a remove
    button per line and an "Add" button. Blank lines are ignored."""

    def __init__(
        self,
        kind: str,
        parent: QWidget | None = None,
        *,
        add_text: str = "Add",
        max_items: int = 20,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self._max = max_items
        outer = self.layout()
        assert isinstance(outer, QHBoxLayout)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(Spacing.XS)
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(Spacing.XS)
        column.addLayout(self._rows_layout)
        self.add_button = QToolButton(self)
        self.add_button.setText(add_text)
        self.add_button.setIcon(icon("add"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setAutoRaise(True)
        self.add_button.clicked.connect(self._add_clicked)
        column.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        outer.addLayout(column, 1)
        self._lines: list[QLineEdit] = []

    def lines(self) -> list[QLineEdit]:
        """The line edits, one per entry, in order."""
        return list(self._lines)

    def _add_line(self, text: str) -> QLineEdit:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.XS)
        line = QLineEdit(text, row)
        size_widget(line, FIELD_WIDTH - Spacing.XS - 28)
        line.setPlaceholderText(LineFieldEditor._PLACEHOLDERS.get(self.kind, ""))
        if self.kind in LineFieldEditor._HINTS:
            line.setInputMethodHints(LineFieldEditor._HINTS[self.kind])
        line.textEdited.connect(self._emit_changed)
        line.editingFinished.connect(self._emit_committed)
        remove = QToolButton(row)
        remove.setIcon(icon("close"))
        remove.setAutoRaise(True)
        remove.setToolTip("Remove")
        remove.setAccessibleName("Remove")
        remove.clicked.connect(lambda: self._remove(row, line))
        layout.addWidget(line, 1)
        layout.addWidget(remove)
        layout.addStretch(0)
        self._rows_layout.addWidget(row)
        self._lines.append(line)
        self.add_button.setEnabled(len(self._lines) < self._max)
        return line

    def _add_clicked(self) -> None:
        line = self._add_line("")
        line.setFocus(Qt.FocusReason.OtherFocusReason)

    def _remove(self, row: QWidget, line: QLineEdit) -> None:
        if line in self._lines:
            self._lines.remove(line)
        row.hide()
        row.deleteLater()
        self.add_button.setEnabled(len(self._lines) < self._max)
        self._emit_changed()
        self._emit_committed()

    def value(self) -> list[str]:
        return [text for line in self._lines if (text := line.text().strip())]

    def _set(self, value: Any) -> None:
        while self._rows_layout.count():
            item = self._rows_layout.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.hide()  # deleted later; until then it must not show outside the layout
                widget.deleteLater()
        self._lines = []
        for item in value or []:
            text = str(item)
            if self.kind == CustomFieldType.PHONE and text.startswith("+"):
                text = format_phone(text)
            self._add_line(text)
        self.add_button.setEnabled(len(self._lines) < self._max)

    def focus_target(self) -> QWidget:
        return self._lines[0] if self._lines else self.add_button


# --- tags ---------------------------------------------------------------------


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps them onto new lines (the tag chips).

    With ``stretch_last`` the last item (the tag input) takes what is left of
    its line, or a whole line when too little is left."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        spacing: int = Spacing.XS,
        stretch_last: bool = False,
    ) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self._stretch_last = stretch_last
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def insertWidget(self, index: int, widget: QWidget) -> None:
        """Insert ``widget`` at ``index`` (negative counts from the end)."""
        self.addChildWidget(widget)
        if index < 0:
            index = max(0, len(self._items) + index + 1)
        self._items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        if 0 <= index < len(self._items):
            item = self._items.pop(index)
            self.invalidate()
            return item
        return None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        # Everything on one line: the width the layout would like; narrower wraps.
        visible = [item for item in self._items if not item.isEmpty()]
        margins = self.contentsMargins()
        width = sum(item.sizeHint().width() for item in visible)
        width += self._gap * max(0, len(visible) - 1) + margins.left() + margins.right()
        height = max((item.sizeHint().height() for item in visible), default=0)
        return QSize(width, height + margins.top() + margins.bottom()).expandedTo(
            self.minimumSize()
        )

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        margins: QMargins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        x, y, line_height = area.x(), area.y(), 0
        visible = [item for item in self._items if not item.isEmpty()]
        for position, item in enumerate(visible):
            hint = item.sizeHint()
            width = hint.width()
            last = self._stretch_last and position == len(visible) - 1
            if last:
                width = max(item.minimumSize().width(), area.right() + 1 - x)
                if x > area.x() and x + item.minimumSize().width() > area.right() + 1:
                    x, y, line_height = area.x(), y + line_height + self._gap, 0
                    width = area.width()
            elif x > area.x() and x + width > area.right() + 1:
                x, y, line_height = area.x(), y + line_height + self._gap, 0
            if apply:
                item.setGeometry(
                    QRect(QPoint(x, y), QSize(min(width, area.width()), hint.height()))
                )
            x += width + self._gap
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


class _TagInput(QLineEdit):
    """The tag editor's text box: Enter or a comma adds the tag, Backspace on an empty
    box removes the last chip."""

    submitted = Signal()
    """Enter or a comma: add what was typed as a tag."""

    backspaceOnEmpty = Signal()
    """Backspace in the empty box: remove the last tag."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        completer = self.completer()
        popup = completer.popup() if completer is not None else None
        popup_open = popup is not None and popup.isVisible()
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not popup_open and self.text().strip():
            self.submitted.emit()
            return  # consumed: Enter would otherwise also reach the form's buttons
        if event.text() == ",":
            self.submitted.emit()
            return
        if event.key() == Qt.Key.Key_Backspace and not self.text():
            self.backspaceOnEmpty.emit()
            return
        super().keyPressEvent(event)


class TagChip(QFrame):
    """One tag as a rounded chip, with a remove button unless read-only."""

    removeRequested = Signal(str)
    """The chip's remove button was clicked; the argument is the tag."""

    def __init__(self, tag: str, *, removable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tag = tag
        self.setProperty("tagChip", True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(Spacing.S, 0, 2 if removable else Spacing.S, 0)
        layout.setSpacing(Spacing.XS)
        self.label = QLabel(tag, self)
        layout.addWidget(self.label)
        self.remove_button: QToolButton | None = None
        if removable:
            button = QToolButton(self)
            button.setIcon(icon("close"))
            button.setIconSize(QSize(12, 12))
            button.setAutoRaise(True)
            button.setToolTip(f"Remove the tag “{tag}”")
            button.setAccessibleName(f"Remove {tag}")
            button.setFixedSize(18, 18)
            button.clicked.connect(lambda: self.removeRequested.emit(self.tag))
            layout.addWidget(button)
            self.remove_button = button
        # The same height with or without the remove button; the stylesheet's radius
        # (9 px) must stay within half of it or Qt draws square corners.
        self.setFixedHeight(20)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)


class TagsEditor(FieldEditor):
    """Tags as chips, with a text box completing from the tags already in use.

    A tag that matches one in use except for case takes that spelling ("VIP"
    typed, "vip" known → "vip"), and a tag already on the contact is not added
    twice, whatever its case. Read-only, it shows just the chips."""

    kind = "tags"

    def __init__(self, parent: QWidget | None = None, *, read_only: bool = False) -> None:
        super().__init__(parent)
        self._read_only = read_only
        self._tags: list[str] = []
        self._chips: list[TagChip] = []
        self._known: list[str] = []
        self.box = QFrame(self)
        self.box.setProperty("tagBox", True)
        self.box.setProperty("readOnly", read_only)
        if read_only:
            # As wide as the view column allows, so the chips flow onto few lines.
            self.box.setMaximumWidth(FIELD_WIDTH + Spacing.L * 4)
            self.box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        else:
            size_widget(self.box, FIELD_WIDTH)
        self._flow = FlowLayout(self.box, stretch_last=not read_only)
        pad = 0 if read_only else Spacing.XS // 2 + 1
        self._flow.setContentsMargins(pad, pad, pad, pad)
        self.input: _TagInput | None = None
        self._model = QStringListModel(self)
        self.empty_label = QLabel(EMPTY_TEXT, self.box)
        self.empty_label.setProperty("muted", True)
        if read_only:
            self._flow.addWidget(self.empty_label)
        else:
            self.empty_label.hide()
            self.input = _TagInput(self.box)
            self.input.setFrame(False)
            self.input.setPlaceholderText("Add a tag…")
            self.input.setMinimumWidth(120)
            completer = QCompleter(self._model, self.input)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.activated.connect(self._completion_chosen)
            self.input.setCompleter(completer)
            self.input.submitted.connect(self._submit)
            self.input.backspaceOnEmpty.connect(self._remove_last)
            self.input.editingFinished.connect(self._on_input_done)
            self._flow.addWidget(self.input)
        if read_only:
            self._row_layout().addWidget(self.box, 1, Qt.AlignmentFlag.AlignLeft)
        else:
            self._row_layout().addWidget(self.box, 1)
            self._finish()

    def set_known_tags(self, tags: Iterable[str]) -> None:
        """The tags in use in the sub-account, for completion and their spelling."""
        self._known = sorted({t for t in tags if t}, key=str.casefold)
        self._refresh_completions()

    def _refresh_completions(self) -> None:
        present = {t.casefold() for t in self._tags}
        self._model.setStringList([t for t in self._known if t.casefold() not in present])

    def tags(self) -> list[str]:
        """The tags shown, in order."""
        return list(self._tags)

    def chips(self) -> list[TagChip]:
        """The chip widgets, in order."""
        return list(self._chips)

    def value(self) -> list[str]:
        return list(self._tags)

    def _set(self, value: Any) -> None:
        for chip in self._chips:
            self._drop(chip)
        self._chips = []
        self._tags = []
        for tag in value or []:
            if isinstance(tag, str):
                self._add(tag, user=False)
        if self.input is not None:
            self.input.clear()
        self._sync_empty()
        self._refresh_completions()

    def add_tag(self, text: str) -> bool:
        """Add a tag as the user would; False when blank or already present (any case)."""
        return self._add(text, user=True)

    def _add(self, text: str, *, user: bool) -> bool:
        tag = text.strip().strip(",").strip()
        if not tag:
            return False
        folded = tag.casefold()
        if any(t.casefold() == folded for t in self._tags):
            return False
        if user:
            tag = next((k for k in self._known if k.casefold() == folded), tag)
        chip = TagChip(tag, removable=not self._read_only, parent=self.box)
        chip.removeRequested.connect(self.remove_tag)
        self._flow.insertWidget(-1 if self._read_only else len(self._tags), chip)
        chip.show()
        self._tags.append(tag)
        self._chips.append(chip)
        if user:
            self._sync_empty()
            self._refresh_completions()
            self._emit_changed()
        return True

    def remove_tag(self, tag: str) -> None:
        """Remove ``tag`` (exact spelling) as the user would."""
        if tag not in self._tags:
            return
        index = self._tags.index(tag)
        del self._tags[index]
        self._drop(self._chips.pop(index))
        self._sync_empty()
        self._refresh_completions()
        self._emit_changed()
        self._emit_committed()
        if self.input is not None:
            self.input.setFocus(Qt.FocusReason.OtherFocusReason)

    def _drop(self, chip: TagChip) -> None:
        self._flow.removeWidget(chip)
        chip.hide()
        chip.deleteLater()

    def _sync_empty(self) -> None:
        if self._read_only:
            self.empty_label.setVisible(not self._tags)

    def _submit(self) -> None:
        assert self.input is not None
        if self.add_tag(self.input.text()) or self.input.text().strip():
            self.input.clear()
        self._emit_committed()

    def _completion_chosen(self, text: str) -> None:
        assert self.input is not None
        self.add_tag(text)
        # Depending on connection order QCompleter may set the chosen text into the box
        # after this slot; clearing once more on the next turn of the loop covers both.
        self.input.clear()
        QTimer.singleShot(0, self.input.clear)

    def _remove_last(self) -> None:
        if self._tags:
            self.remove_tag(self._tags[-1])

    def _on_input_done(self) -> None:
        # Leaving the box with a typed tag keeps it: nothing typed is lost.
        assert self.input is not None
        if self.input.text().strip():
            self.add_tag(self.input.text())
            self.input.clear()
        self._emit_committed()

    def focus_target(self) -> QWidget:
        return self.input if self.input is not None else self


# --- custom fields ------------------------------------------------------------


def editor_for(
    definition: CustomFieldDefinition,
    parent: QWidget | None = None,
    *,
    locale: QLocale | None = None,
) -> FieldEditor:
    """The editor for a custom field's type; unknown types get a text field."""
    kind = definition.type
    if kind == CustomFieldType.SELECT:
        return SelectFieldEditor(definition.options, required=definition.is_required, parent=parent)
    if kind == CustomFieldType.DATE:
        return DateFieldEditor(parent, locale=locale)
    if kind == CustomFieldType.BOOLEAN:
        return BooleanFieldEditor(parent)
    if kind == CustomFieldType.NUMBER:
        return NumberFieldEditor(parent, locale=locale)
    if kind in (CustomFieldType.URL, CustomFieldType.EMAIL, CustomFieldType.PHONE):
        return LineFieldEditor(str(kind), parent)
    return LineFieldEditor(CustomFieldType.TEXT, parent, limit=CUSTOM_TEXT_MAX)


def display_kind(definition: CustomFieldDefinition) -> str:
    """The type used to display a custom field's value (unknown types: text)."""
    kind = definition.type
    return str(kind) if isinstance(kind, CustomFieldType) else CustomFieldType.TEXT


__all__ = [
    "EMPTY_TEXT",
    "FIELD_WIDTH",
    "MIN_FIELD_WIDTH",
    "SHORT_FIELD_WIDTH",
    "STAGE_LABELS",
    "BooleanFieldEditor",
    "ChoiceFieldEditor",
    "DateFieldEditor",
    "FieldEditor",
    "FlowLayout",
    "LineFieldEditor",
    "ListFieldEditor",
    "NumberFieldEditor",
    "SelectFieldEditor",
    "TagChip",
    "TagsEditor",
    "date_format",
    "display_kind",
    "editor_for",
    "field_stylesheet",
    "format_date",
    "format_number",
    "format_value",
    "link_html",
    "parse_iso_date",
    "scheme_colors",
    "set_flag",
    "size_widget",
    "stage_editor",
]
