"""The Leads tab's filter panels, built from the ``FilterSpec``s of ``app.core.seamless``.

One ``FilterPanel`` per search kind (people, companies). Every filter of the
API (docs/api/seamless.md, "Search") gets an editor chosen by its spec:

- lists of values become chips (``ChipsEditor``) with completion from the
  documented values; closed lists refuse anything else, open lists take free
  values (job titles, names, domains…), and each list refuses to grow beyond
  its limit ("Choose at most 5 industries") with the sentence under the filter;
- industries get a grouped picker (parent groups → industries, from
  ``SEAMLESS_INDUSTRY_GROUPS``); people search also takes a whole group;
- single choices and one-value lists become combo boxes, the technologies
  flag a check box, dates a date field;
- the job-change and past-company filters get their compound editors.

``mapping()`` is the request in wire names with only what is set; the panel
checks it with ``contact_search`` / ``company_search`` (``build_query``) and
puts each problem of the one ``ValidationFailed`` under the filter it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QSize, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ValidationFailed
from app.core.seamless import (
    COMPANY_FILTERS,
    CONTACT_FILTERS,
    CompanySearch,
    ContactSearch,
    FilterSpec,
    company_search,
    contact_search,
)
from app.core.seamless.filters import INDUSTRY_GROUPS, JOB_CHANGE_RANGES, JOB_CHANGE_TYPES
from app.ui.common.messages import FieldMessage
from app.ui.common.fields import (
    DateFieldEditor,
    FlowLayout,
    TagChip,
    field_stylesheet,
    scheme_colors,
)
from app.ui.theme import Spacing, icon

ALL_INDUSTRIES: tuple[str, ...] = tuple(i for _, items in INDUSTRY_GROUPS for i in items)


CHOICE_LABELS: dict[str, dict[str, str]] = {
    "companyNameSearchType": {
        "default": "Names like these",
        "related": "Related companies too",
        "exact": "Exactly these names",
    },
    "locationType": {
        "bothOR": "Person's or company's location",
        "bothAND": "Person's and company's location",
        "company": "Company's location only",
        "contact": "Person's location only",
    },
    "newsTypeDates": {d: f"Last {d} days" for d in ("60", "90", "180", "365")},
}
"""How the panel words the wire values of choices."""

PLACEHOLDERS: dict[str, str] = {
    "jobTitle": "e.g. VP of Sales",
    "fullName": "A person's full name",
    "contactKeyword": "Words in the profile",
    "companyKeyword": "Words in the description",
    "companyName": "e.g. Acme",
    "companyDomain": "e.g. acme.com",
    "contactCountry": "e.g. United States",
    "companyCountry": "e.g. United States",
    "contactState": "e.g. California",
    "companyState": "e.g. California",
    "contactZipCode": "e.g. 94105",
    "companyZipCode": "e.g. 94105",
    "technologies": "e.g. Salesforce",
    "industry": "Type or browse…",
}

EXPANDED_GROUPS = ("Person", "Company", "Location")
"""Groups open when the panel is first shown (the others start folded)."""


def _plural_noun(spec: FilterSpec) -> str:
    return "past companies" if spec.wire == "pastCompany" else spec.noun


def _combo(parent: QWidget) -> QComboBox:
    # Sized by a few characters, not by its longest item: the panel stays narrow.
    combo = QComboBox(parent)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    return combo


def panel_stylesheet() -> str:
    """The chips' look (the field stylesheet) plus the chips' borderless text box and
    the list button without its menu arrow (the chevron icon says it already)."""
    colors = scheme_colors()
    return (
        field_stylesheet(colors)
        + '\nQLineEdit[chipInput="true"] { border: none; background: transparent; padding: 0; }'
        + '\nQToolButton[chipMenu="true"]::menu-indicator { image: none; width: 0; }'
    )


# -- editors ---------------------------------------------------------------------------------------


class FilterEditor(QWidget):
    """One filter's editor: ``value()`` (None: not set) and ``set_value()``."""

    changed = Signal()
    """The user changed the value (not emitted by ``set_value``)."""

    problem = Signal(str)
    """A sentence to show under the filter ("Choose at most 5 industries…"); "" clears it."""

    note = Signal(str)
    """A hint to show under the filter (a value Seamless may ignore); "" clears it."""

    def value(self) -> Any:
        """The wire value, or None when the filter is not set."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show ``value`` (None clears) without emitting ``changed``."""
        raise NotImplementedError


class _ChipInput(QLineEdit):
    """The chips' text box: Enter or a comma adds, Backspace on empty removes the last."""

    submitted = Signal()
    backspaceOnEmpty = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        completer = self.completer()
        popup = completer.popup() if completer is not None else None
        popup_open = popup is not None and popup.isVisible()
        if (
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not popup_open
            and self.text().strip()
        ):
            self.submitted.emit()
            return  # consumed: Enter must not also start the search
        if event.text() == ",":
            self.submitted.emit()
            return
        if event.key() == Qt.Key.Key_Backspace and not self.text():
            self.backspaceOnEmpty.emit()
            return
        super().keyPressEvent(event)


class ChipsEditor(FilterEditor):
    """A list filter as chips with a text box completing from ``choices``.

    ``closed``: only ``choices`` are accepted (in their documented spelling). An open
    list accepts anything; a value outside ``choices`` then shows ``unknown_note``.
    ``spec.max_items`` is enforced: one more value is refused with the sentence."""

    def __init__(
        self,
        spec: FilterSpec,
        *,
        choices: Sequence[str] = (),
        closed: bool = False,
        unknown_note: str | None = None,
        placeholder: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self.closed = closed
        self.choices = tuple(choices)
        self.unknown_note = unknown_note
        self._values: list[str] = []
        self._chips: list[TagChip] = []
        self._canonical = {c.casefold(): c for c in self.choices}
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(Spacing.XS)
        self.box = QFrame(self)
        self.box.setProperty("tagBox", True)
        self.box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._flow = FlowLayout(self.box, stretch_last=True)
        self._flow.setContentsMargins(3, 3, 3, 3)
        self.input = _ChipInput(self.box)
        self.input.setFrame(False)
        self.input.setProperty("chipInput", True)
        self.input.setMinimumWidth(90)
        self.input.setFixedHeight(20)  # the chips' height: text and chips on one baseline
        self.input.setPlaceholderText(
            placeholder or ("Choose…" if closed else "Type and press Enter")
        )
        self.input.setAccessibleName(spec.label)
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self.input)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._completion_chosen)
        self.input.setCompleter(completer)
        self.input.submitted.connect(self._submit)
        self.input.backspaceOnEmpty.connect(self._remove_last)
        self.input.editingFinished.connect(self._input_done)
        self._flow.addWidget(self.input)
        outer.addWidget(self.box, 1)
        self.menu_button: QToolButton | None = None
        if self.choices:
            self.menu_button = QToolButton(self)
            self.menu_button.setProperty("chipMenu", True)
            self.menu_button.setIcon(icon("chevron-down"))
            self.menu_button.setAutoRaise(True)
            self.menu_button.setToolTip(f"Choose {spec.noun} from the list")
            self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            self.menu_button.setMenu(self._build_menu())
            outer.addWidget(self.menu_button, 0, Qt.AlignmentFlag.AlignTop)
        self._refresh_completions()

    # -- the list of choices --------------------------------------------------------------
    def _build_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.aboutToShow.connect(lambda: self._sync_menu(menu))
        for choice in self.choices:
            action = menu.addAction(choice)
            action.setCheckable(True)
            action.toggled.connect(lambda on, c=choice: self._menu_toggled(c, on))
        return menu

    def _sync_menu(self, menu: QMenu) -> None:
        chosen = {v.casefold() for v in self._values}
        for action in menu.findChildren(QAction):
            if action.isCheckable():
                action.blockSignals(True)
                action.setChecked(action.text().casefold() in chosen)
                action.blockSignals(False)

    def _menu_toggled(self, choice: str, on: bool) -> None:
        if on:
            self.add_value(choice)
        else:
            self.remove_value(choice)

    # -- values ---------------------------------------------------------------------------
    def values(self) -> list[str]:
        """The chips, in order."""
        return list(self._values)

    def value(self) -> list[str] | None:
        return list(self._values) or None

    def set_value(self, value: Any) -> None:
        for chip in self._chips:
            self._drop(chip)
        self._chips, self._values = [], []
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list | tuple):
            for item in items:
                if isinstance(item, str | int) and str(item).strip():
                    self._add(str(item).strip())
        self.input.clear()
        self._refresh_completions()
        self.problem.emit("")
        self.note.emit("")

    def _canonical_of(self, text: str) -> str | None:
        return self._canonical.get(text.casefold())

    def add_value(self, text: str) -> bool:
        """Add a value as the user would: False (with the reason under the filter) when it
        is not one Seamless.AI accepts or the list is full; False, silently, when blank
        or already there."""
        value = text.strip().strip(",").strip()
        if not value:
            return False
        known = self._canonical_of(value)
        if known is None and self.closed:
            shown = ", ".join(self.choices[:12]) + ("…" if len(self.choices) > 12 else "")
            self.problem.emit(
                f"“{value}” is not a {self.spec.label.lower()} Seamless.AI accepts. "
                f"Choose one of: {shown}."
            )
            return False
        value = known or value
        if any(v.casefold() == value.casefold() for v in self._values):
            return False
        limit = self.spec.max_items
        if limit is not None and len(self._values) >= limit:
            noun = _plural_noun(self.spec)
            self.problem.emit(
                f"Choose at most {limit} {noun}: remove one before adding “{value}”."
                if limit > 1
                else f"Choose one {self.spec.label.lower()} at most: remove it before adding “{value}”."
            )
            return False
        self._add(value)
        self._refresh_completions()
        self.problem.emit("")
        if known is None and self.unknown_note:
            self.note.emit(self.unknown_note.format(value=value))
        self.changed.emit()
        return True

    def _add(self, value: str) -> None:
        chip = TagChip(value, removable=True, parent=self.box)
        chip.removeRequested.connect(self.remove_value)
        self._flow.insertWidget(len(self._values), chip)
        chip.show()
        self._values.append(value)
        self._chips.append(chip)

    def remove_value(self, value: str) -> None:
        """Remove a chip as the user would."""
        folded = value.casefold()
        for index, existing in enumerate(self._values):
            if existing.casefold() == folded:
                del self._values[index]
                self._drop(self._chips.pop(index))
                self._refresh_completions()
                self.problem.emit("")
                if not any(self._canonical_of(v) is None for v in self._values):
                    self.note.emit("")
                self.changed.emit()
                return

    def chips(self) -> list[TagChip]:
        """The chip widgets, in order."""
        return list(self._chips)

    def completions(self) -> list[str]:
        """What the text box completes from now (choices not yet chosen)."""
        return self._model.stringList()

    def _drop(self, chip: TagChip) -> None:
        self._flow.removeWidget(chip)
        chip.hide()
        chip.deleteLater()

    def _refresh_completions(self) -> None:
        chosen = {v.casefold() for v in self._values}
        self._model.setStringList([c for c in self.choices if c.casefold() not in chosen])

    def _submit(self) -> None:
        if self.add_value(self.input.text()) or not self.closed:
            self.input.clear()

    def _completion_chosen(self, text: str) -> None:
        self.add_value(text)
        # QCompleter may write the chosen text into the box after this slot: clear again.
        self.input.clear()
        QTimer.singleShot(0, self.input.clear)

    def _remove_last(self) -> None:
        if self._values:
            self.remove_value(self._values[-1])

    def _input_done(self) -> None:
        # Leaving the box with a typed value keeps it: nothing typed is lost silently.
        if self.input.text().strip() and self.add_value(self.input.text()):
            self.input.clear()


class IndustryPicker(ChipsEditor):
    """Industries as chips, with a menu of the parent groups and their industries.

    ``allow_groups`` (people search): a whole group can be chosen; it counts as one
    of the five. Values outside the known list are kept (the API does not spell the
    list out: docs/api/seamless.md, "Search") with a note that Seamless may ignore them."""

    def __init__(
        self, spec: FilterSpec, *, allow_groups: bool, parent: QWidget | None = None
    ) -> None:
        self.allow_groups = allow_groups
        groups = tuple(name for name, _ in INDUSTRY_GROUPS) if allow_groups else ()
        super().__init__(
            spec,
            choices=(*groups, *ALL_INDUSTRIES),
            closed=False,
            unknown_note="“{value}” is not in the known industry list; Seamless.AI may ignore it.",
            placeholder=PLACEHOLDERS["industry"],
            parent=parent,
        )
        if self.menu_button is not None:
            self.menu_button.setIcon(icon("list"))
            self.menu_button.setToolTip("Browse the industries by group")

    def _build_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.aboutToShow.connect(lambda: self._sync_menu(menu))
        for group, industries in INDUSTRY_GROUPS:
            sub = menu.addMenu(group)
            if self.allow_groups:
                whole = sub.addAction(group)
                whole.setCheckable(True)
                whole.setToolTip(f"Every industry of {group}")
                whole.toggled.connect(lambda on, c=group: self._menu_toggled(c, on))
                sub.addSeparator()
            for industry in industries:
                action = sub.addAction(industry)
                action.setCheckable(True)
                action.toggled.connect(lambda on, c=industry: self._menu_toggled(c, on))
        return menu


class ChoiceEditor(FilterEditor):
    """A single choice as a combo box; the first item leaves the filter out."""

    def __init__(
        self,
        values: Sequence[str],
        *,
        labels: Mapping[str, str] | None = None,
        default: str | None = None,
        none_text: str = "Any",
        as_list: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        labels = labels or {}
        self.as_list = as_list
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = _combo(self)
        if default is not None:
            none_text = f"{labels.get(default, default)} (default)"
        self.combo.addItem(none_text, None)
        for value in values:
            if value != default:
                self.combo.addItem(labels.get(value, value), value)
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        layout.addWidget(self.combo, 1)

    def value(self) -> Any:
        data = self.combo.currentData()
        if data is None:
            return None
        return [data] if self.as_list else data

    def set_value(self, value: Any) -> None:
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        index = self.combo.findData(value) if value is not None else 0
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(0, index))
        self.combo.blockSignals(False)


class FlagEditor(FilterEditor):
    """A true/false filter with a default: sent only when it differs from the default."""

    def __init__(self, spec: FilterSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default = bool(spec.default)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox(spec.label, self)
        self.check.setChecked(self.default)
        self.check.setToolTip(spec.help)
        self.check.toggled.connect(lambda _on: self.changed.emit())
        layout.addWidget(self.check)
        layout.addStretch(1)

    def value(self) -> bool | None:
        checked = self.check.isChecked()
        return None if checked == self.default else checked

    def set_value(self, value: Any) -> None:
        self.check.blockSignals(True)
        self.check.setChecked(self.default if value is None else bool(value))
        self.check.blockSignals(False)


class DateEditor(FilterEditor):
    """A date filter (ISO 8601 day), empty by default."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.field = DateFieldEditor(self)
        self.field.changed.connect(self.changed)
        layout.addWidget(self.field, 1)

    def value(self) -> str | None:
        value = self.field.value()
        return str(value) if value else None

    def set_value(self, value: Any) -> None:
        self.field.set_value(value)


class JobChangesEditor(FilterEditor):
    """``jobChanges``: the kind of change and, optionally, how recent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.XS)
        self.kind = _combo(self)
        self.kind.setAccessibleName("Kind of job change")
        self.kind.addItem("Any person (no job-change filter)", None)
        for change in JOB_CHANGE_TYPES:
            self.kind.addItem(change, change)
        self.period = _combo(self)
        self.period.setAccessibleName("Job change period")
        self.period.addItem("At any time", None)
        for period in JOB_CHANGE_RANGES:
            self.period.addItem(period, period)
        for combo in (self.kind, self.period):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            layout.addWidget(combo)

    def value(self) -> dict[str, str] | None:
        change, period = self.kind.currentData(), self.period.currentData()
        if change is None and period is None:
            return None
        result: dict[str, str] = {}
        if change is not None:
            result["changeType"] = change
        if period is not None:
            result["dayRange"] = period  # without a kind: the check says to choose one
        return result

    def set_value(self, value: Any) -> None:
        data = value if isinstance(value, Mapping) else {}
        for combo, key in ((self.kind, "changeType"), (self.period, "dayRange")):
            combo.blockSignals(True)
            found = combo.findData(data.get(key)) if data.get(key) else 0
            combo.setCurrentIndex(max(0, found))
            combo.blockSignals(False)


class PastCompanyEditor(FilterEditor):
    """``pastCompany``: companies the person left, optionally only their latest one."""

    def __init__(self, spec: FilterSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.XS)
        self.names = ChipsEditor(spec, placeholder="A company they left", parent=self)
        self.names.changed.connect(self.changed)
        self.names.problem.connect(self.problem)
        self.most_recent = QCheckBox("Only their most recent departure", self)
        self.most_recent.toggled.connect(lambda _on: self.changed.emit())
        layout.addWidget(self.names)
        layout.addWidget(self.most_recent)

    def value(self) -> dict[str, Any] | None:
        names = self.names.values()
        if not names:
            return None
        result: dict[str, Any] = {"names": names}
        if self.most_recent.isChecked():
            result["onlyMostRecentDeparture"] = True
        return result

    def set_value(self, value: Any) -> None:
        data = value if isinstance(value, Mapping) else {}
        self.names.set_value(data.get("names") or [])
        self.most_recent.blockSignals(True)
        self.most_recent.setChecked(bool(data.get("onlyMostRecentDeparture")))
        self.most_recent.blockSignals(False)


def editor_for(spec: FilterSpec, *, companies: bool, parent: QWidget | None = None) -> FilterEditor:
    """The editor a filter's spec calls for (module docstring)."""
    labels = CHOICE_LABELS.get(spec.wire)
    if spec.kind == "choice":
        return ChoiceEditor(
            spec.values or (),
            labels=labels,
            default=spec.default if isinstance(spec.default, str) else None,
            parent=parent,
        )
    if spec.kind == "flag":
        return FlagEditor(spec, parent)
    if spec.kind == "date":
        return DateEditor(parent)
    if spec.kind == "job_changes":
        return JobChangesEditor(parent)
    if spec.kind == "past_company":
        return PastCompanyEditor(spec, parent)
    if spec.wire == "industry":
        return IndustryPicker(spec, allow_groups=not companies, parent=parent)
    if spec.values is not None and spec.max_items == 1:
        return ChoiceEditor(spec.values, labels=labels, as_list=True, parent=parent)
    if spec.values is not None:
        return ChipsEditor(spec, choices=spec.values, closed=True, parent=parent)
    return ChipsEditor(
        spec,
        choices=spec.suggestions,  # open lists: what the API lists, as completion
        placeholder=PLACEHOLDERS.get(spec.wire),
        parent=parent,
    )


# -- fields and groups ---------------------------------------------------------------------------


class FilterField(QWidget):
    """A filter's label, editor, and the sentence or note under it."""

    def __init__(self, spec: FilterSpec, editor: FilterEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.XS)
        self.label = QLabel(self._label_text(), self)
        self.label.setBuddy(editor)
        if spec.help:
            self.label.setToolTip(spec.help)
        if spec.kind != "flag":
            layout.addWidget(self.label)
        else:
            self.label.hide()
        editor.setParent(self)
        layout.addWidget(editor)
        self.message = FieldMessage(self)
        layout.addWidget(self.message)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setProperty("muted", True)
        self.hint.hide()
        layout.addWidget(self.hint)
        self._from_check = False
        editor.problem.connect(self.show_error)
        editor.note.connect(self.show_note)
        editor.changed.connect(self._edited)

    def _label_text(self) -> str:
        spec = self.spec
        if spec.max_items and spec.max_items > 1 and spec.kind == "list":
            return f"{spec.label} (up to {spec.max_items})"
        return spec.label

    def _edited(self) -> None:
        # An edit answers the search check's complaint (the next search checks again);
        # the editor's own refusals are cleared by the editor.
        if self._from_check:
            self.show_error("")

    def show_error(self, text: str) -> None:
        """Show the editor's refusal ``text`` under the filter ("" hides it)."""
        self._from_check = False
        self.message.show_text(text)

    def show_check_error(self, text: str) -> None:
        """Show what the request check said about this filter (cleared by the next edit)."""
        self.message.show_text(text)
        self._from_check = bool(text)

    def show_note(self, text: str) -> None:
        """Show a muted hint under the filter ("" hides it)."""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    @property
    def error_text(self) -> str:
        """The sentence shown under the filter ("" when none)."""
        return self.message.text

    @property
    def note_text(self) -> str:
        """The hint shown under the filter ("" when none)."""
        return self.hint.text() if not self.hint.isHidden() else ""


class FilterGroup(QWidget):
    """A foldable group of filters ("Person", "Company", …) with a count of those set."""

    def __init__(self, name: str, *, expanded: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.S)
        self.header = QToolButton(self)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setCheckable(True)
        self.header.setChecked(expanded)
        self.header.setIconSize(QSize(14, 14))
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.header.toggled.connect(self._toggled)
        layout.addWidget(self.header)
        self.body = QWidget(self)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(Spacing.S, 0, 0, Spacing.S)
        self.body_layout.setSpacing(Spacing.M)
        layout.addWidget(self.body)
        self.fields: list[FilterField] = []
        self._toggled(expanded)

    def add(self, field: FilterField) -> None:
        """Add a filter to the group."""
        field.setParent(self.body)
        self.body_layout.addWidget(field)
        self.fields.append(field)

    def set_expanded(self, expanded: bool) -> None:
        """Open or fold the group."""
        self.header.setChecked(expanded)

    @property
    def expanded(self) -> bool:
        """Whether the group's filters are shown."""
        return self.header.isChecked()

    def _toggled(self, expanded: bool) -> None:
        self.header.setIcon(icon("chevron-down" if expanded else "chevron-right"))
        self.body.setVisible(expanded)

    def update_count(self) -> None:
        """Show how many of the group's filters are set in the header."""
        count = sum(1 for f in self.fields if f.editor.value() is not None)
        self.header.setText(f"{self.name} · {count}" if count else self.name)


class FilterPanel(QWidget):
    """Every filter of one search kind, grouped (see the module docstring)."""

    changed = Signal()
    """A filter was edited by the user."""

    def __init__(
        self, *, companies: bool, parent: QWidget | None = None, build: bool = True
    ) -> None:
        """``build=False`` leaves the editors to ``build_steps()`` (built in slices)."""
        super().__init__(parent)
        self.companies = companies
        self.specs: tuple[FilterSpec, ...] = COMPANY_FILTERS if companies else CONTACT_FILTERS
        self.fields: dict[str, FilterField] = {}
        self.groups: dict[str, FilterGroup] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self.scroll_area)
        if build:
            for _step in self.build_steps():
                pass

    def build_steps(self) -> Iterator[None]:
        """Build the editors a group at a time (a group takes a few milliseconds)."""
        # The stylesheet first, on the empty panel: set afterwards it would re-polish every
        # editor (hundreds of milliseconds); set now, each editor is polished once.
        self._apply_style()
        inner = QWidget(self.scroll_area)
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, Spacing.S, 0)
        column.setSpacing(Spacing.XS)
        # In place while empty: set with every editor in it, the move re-polished and
        # measured them all in one block (50+ ms).
        self.scroll_area.setWidget(inner)
        for spec in self.specs:
            group = self.groups.get(spec.group)
            if group is None:
                if self.groups:
                    yield
                group = FilterGroup(
                    spec.group, expanded=spec.group in EXPANDED_GROUPS, parent=inner
                )
                self.groups[spec.group] = group
                column.addWidget(group)
            editor = editor_for(spec, companies=self.companies)
            field = FilterField(spec, editor)
            group.add(field)
            self.fields[spec.wire] = field
            editor.changed.connect(self._edited)
        column.addStretch(1)
        yield
        for group in self.groups.values():
            group.update_count()

    # -- styling --------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_style()
        super().changeEvent(event)

    def _apply_style(self) -> None:
        # The chips' look lives in the field stylesheet; it follows the light/dark palette.
        colors = scheme_colors()
        if colors is getattr(self, "_colors", None):
            return  # our own stylesheet's palette change echoing back
        self._colors = colors
        self.setStyleSheet(panel_stylesheet())

    # -- values ---------------------------------------------------------------------------
    def editor(self, wire: str) -> FilterEditor:
        """The editor of the filter ``wire`` (e.g. "industry")."""
        return self.fields[wire].editor

    def mapping(self) -> dict[str, Any]:
        """The filters that are set, in wire names (the request body without paging)."""
        result: dict[str, Any] = {}
        for wire, field in self.fields.items():
            value = field.editor.value()
            if value is not None:
                result[wire] = value
        return result

    def set_mapping(self, mapping: Mapping[str, Any]) -> None:
        """Show ``mapping`` (a saved search, the last filters); unknown filters are ignored
        and every other filter is cleared."""
        for wire, field in self.fields.items():
            field.editor.set_value(mapping.get(wire))
            field.show_error("")
        self._counts()

    def clear(self) -> None:
        """Clear every filter."""
        self.set_mapping({})
        self.changed.emit()

    @property
    def active_count(self) -> int:
        """How many filters are set."""
        return len(self.mapping())

    def _edited(self) -> None:
        self._counts()
        self.changed.emit()

    def _counts(self) -> None:
        for group in self.groups.values():
            group.update_count()

    # -- checking -------------------------------------------------------------------------
    def build_query(self) -> ContactSearch | CompanySearch | None:
        """The checked request of the filters set, or None: every problem is then shown
        under its filter (and its group opened)."""
        try:
            return self.validate(self.mapping())
        except ValidationFailed as exc:
            self.show_errors(exc.errors or {"": exc.user_message})
            return None

    def validate(self, mapping: Mapping[str, Any]) -> ContactSearch | CompanySearch:
        """``mapping`` checked by the same rules the request uses (``ValidationFailed``)."""
        return company_search(dict(mapping)) if self.companies else contact_search(dict(mapping))

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Put each sentence under the filter it names ("jobChanges.changeType" → the
        job-change filter); the first one is scrolled into view."""
        first: FilterField | None = None
        for key, text in errors.items():
            field = self.fields.get(key.split(".", 1)[0].split("[", 1)[0])
            if field is None:
                continue
            field.show_check_error(text)
            group = self.groups[field.spec.group]
            group.set_expanded(True)
            first = first or field
        if first is not None:
            # After the opened group is laid out, or the scroll goes to its old place.
            target = first
            QTimer.singleShot(0, target, lambda: self.scroll_area.ensureWidgetVisible(target))

    def errors(self) -> dict[str, str]:
        """The sentences shown under filters, by wire name."""
        return {w: f.error_text for w, f in self.fields.items() if f.error_text}


def describe(mapping: Mapping[str, Any], specs: Iterable[FilterSpec]) -> str:
    """A short summary of filters for lists and tooltips ("Seniority: VP, Director · …")."""
    labels = {s.wire: s.label for s in specs}
    parts = []
    for wire, value in mapping.items():
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            text = ", ".join(
                ", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in value.values()
            )
        else:
            text = str(value)
        parts.append(f"{labels.get(wire, wire)}: {text}")
    return " · ".join(parts) or "No filters"


__all__ = [
    "ALL_INDUSTRIES",
    "CHOICE_LABELS",
    "INDUSTRY_GROUPS",
    "ChipsEditor",
    "ChoiceEditor",
    "DateEditor",
    "FilterEditor",
    "FilterField",
    "FilterGroup",
    "FilterPanel",
    "FlagEditor",
    "IndustryPicker",
    "JobChangesEditor",
    "PastCompanyEditor",
    "describe",
    "editor_for",
]
