"""The contact field editors: values by type, empty states, tags, lists, flow layout."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.core.models import CustomFieldDefinition, parse
from app.ui.common.fields import (
    BooleanFieldEditor,
    DateFieldEditor,
    FieldEditor,
    LineFieldEditor,
    ListFieldEditor,
    NumberFieldEditor,
    SelectFieldEditor,
    TagsEditor,
    editor_for,
    format_value,
    stage_editor,
)


def definition(**fields: Any) -> CustomFieldDefinition:
    return parse(CustomFieldDefinition, {"name": "f", "label": "Field", **fields})


class Signals:
    """Counts an editor's ``changed`` and ``committed`` emissions."""

    def __init__(self, editor: FieldEditor) -> None:
        self.changed = 0
        self.committed = 0
        editor.changed.connect(self._on_changed)
        editor.committed.connect(self._on_committed)

    def _on_changed(self) -> None:
        self.changed += 1

    def _on_committed(self) -> None:
        self.committed += 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("select", SelectFieldEditor),
        ("date", DateFieldEditor),
        ("boolean", BooleanFieldEditor),
        ("number", NumberFieldEditor),
        ("url", LineFieldEditor),
        ("email", LineFieldEditor),
        ("phone", LineFieldEditor),
        ("text", LineFieldEditor),
        ("hologram", LineFieldEditor),  # a type this build does not know
    ],
)
def test_editor_for_picks_the_widget_of_the_type(qtbot: Any, kind: str, expected: type) -> None:
    editor = editor_for(definition(type=kind, options=["A", "B"]))
    qtbot.addWidget(editor)
    assert type(editor) is expected
    if expected is LineFieldEditor:
        assert editor.kind == (kind if kind != "hologram" else "text")


def test_set_value_does_not_emit_changed_but_typing_does(qtbot: Any) -> None:
    editor = LineFieldEditor()
    qtbot.addWidget(editor)
    signals = Signals(editor)
    editor.set_value("Acme")
    assert signals.changed == 0 and editor.value() == "Acme"
    editor.line.end(False)
    QTest.keyClicks(editor.line, " Inc")
    assert signals.changed == 4 and editor.value() == "Acme Inc"
    editor.line.setText("   ")
    assert editor.value() is None  # blank means "no value"


def test_phone_editor_shows_stored_numbers_the_way_people_write_them(qtbot: Any) -> None:
    editor = LineFieldEditor("phone")
    qtbot.addWidget(editor)
    editor.set_value("+16175550101")
    assert editor.line.text() == "(617) 555-0101"


def test_select_offers_an_empty_choice_only_when_optional(qtbot: Any) -> None:
    optional = SelectFieldEditor(["English", "Spanish"], required=False)
    required = SelectFieldEditor(["English", "Spanish"], required=True)
    qtbot.addWidget(optional)
    qtbot.addWidget(required)
    assert optional.options() == ["Not set", "English", "Spanish"]
    assert required.options() == ["English", "Spanish"]
    optional.set_value(None)
    required.set_value(None)
    assert optional.value() is None and required.value() is None
    assert required.combo.currentIndex() == -1  # the placeholder asks for a choice
    optional.combo.setCurrentIndex(2)
    assert optional.value() == "Spanish"


def test_select_keeps_a_stored_value_that_is_not_an_option(qtbot: Any) -> None:
    editor = SelectFieldEditor(["English", "Spanish"], required=False)
    qtbot.addWidget(editor)
    editor.set_value("Klingon")
    assert editor.value() == "Klingon"
    assert editor.options()[-1] == "Klingon"


def test_date_editor_can_be_left_empty_and_cleared(qtbot: Any) -> None:
    editor = DateFieldEditor()
    qtbot.addWidget(editor)
    signals = Signals(editor)
    assert editor.value() is None
    assert editor.edit.text() == DateFieldEditor.NONE_TEXT
    assert editor.clear_button.isHidden()
    editor.set_date(QDate(2024, 5, 17))
    assert editor.value() == "2024-05-17"
    assert not editor.clear_button.isHidden()
    editor.clear()
    assert editor.value() is None
    assert signals.changed == 2 and signals.committed == 2
    editor.set_value("2026-01-31")
    assert editor.value() == "2026-01-31"
    editor.set_value("not a date")
    assert editor.value() is None


def test_date_editor_shows_four_digit_years(qtbot: Any) -> None:
    editor = DateFieldEditor(locale=QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    qtbot.addWidget(editor)
    editor.set_value("1985-04-12")
    assert editor.edit.text() == "4/12/1985"


def test_boolean_stays_unset_until_toggled(qtbot: Any) -> None:
    editor = BooleanFieldEditor()
    qtbot.addWidget(editor)
    editor.set_value(None)
    assert editor.value() is None
    editor.box.click()
    assert editor.value() is True
    editor.box.click()
    assert editor.value() is False
    editor.set_value(True)
    assert editor.value() is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("2.5", 2.5), ("-3", -3), ("1e3", 1000.0), ("", None), ("twelve", "twelve")],
)
def test_number_editor_reads_ints_decimals_and_hands_text_on(
    qtbot: Any, text: str, expected: Any
) -> None:
    editor = NumberFieldEditor(
        locale=QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    )
    qtbot.addWidget(editor)
    editor.line.setText(text)
    value = editor.value()
    assert value == expected and type(value) is type(expected)


def test_number_editor_follows_the_locale(qtbot: Any) -> None:
    editor = NumberFieldEditor(locale=QLocale(QLocale.Language.German, QLocale.Country.Germany))
    qtbot.addWidget(editor)
    editor.line.setText("1,5")
    assert editor.value() == 1.5
    editor.set_value(1234.5)
    assert editor.line.text() == "1234,5"  # no group separator to type back in


def test_stage_editor_lists_the_stages_and_keeps_an_unknown_one(qtbot: Any) -> None:
    editor = stage_editor()
    qtbot.addWidget(editor)
    assert editor.labels() == ["Lead", "Qualified", "Customer", "Repeat", "Inactive"]
    editor.set_value("partner")
    assert editor.value() == "partner"
    assert editor.labels()[-1] == "Partner (not a standard stage)"
    editor.set_value("customer")
    assert editor.value() == "customer" and len(editor.labels()) == 5


def test_list_editor_adds_removes_and_ignores_blank_lines(qtbot: Any) -> None:
    editor = ListFieldEditor("email", add_text="Add email")
    qtbot.addWidget(editor)
    signals = Signals(editor)
    editor.set_value(["a@example.com", "b@example.com"])
    assert editor.value() == ["a@example.com", "b@example.com"]
    editor.add_button.click()
    assert len(editor.lines()) == 3 and editor.value() == ["a@example.com", "b@example.com"]
    QTest.keyClicks(editor.lines()[2], "c@example.com")
    assert editor.value()[-1] == "c@example.com"
    remove = editor.lines()[0].parentWidget().findChildren(QWidget)[-1]
    remove.click()  # type: ignore[attr-defined]
    assert editor.value() == ["b@example.com", "c@example.com"]
    assert signals.changed > 0 and signals.committed == 1


def test_list_editor_replaces_rows_on_set_value(qtbot: Any) -> None:
    editor = ListFieldEditor("phone")
    qtbot.addWidget(editor)
    editor.set_value(["+16175550101", "+16175550102"])
    editor.set_value(["+442071838750"])
    assert [line.text() for line in editor.lines()] == ["+44 20 7183 8750"]


# --- tags ---------------------------------------------------------------------


def test_tags_are_added_with_enter_or_comma_and_not_twice(qtbot: Any) -> None:
    editor = TagsEditor()
    qtbot.addWidget(editor)
    signals = Signals(editor)
    assert editor.input is not None
    QTest.keyClicks(editor.input, "vip")
    QTest.keyClick(editor.input, Qt.Key.Key_Return)
    QTest.keyClicks(editor.input, "webinar,")
    assert editor.tags() == ["vip", "webinar"]
    assert editor.input.text() == ""
    QTest.keyClicks(editor.input, "VIP")
    QTest.keyClick(editor.input, Qt.Key.Key_Return)
    assert editor.tags() == ["vip", "webinar"]  # the same tag, whatever its case
    assert editor.add_tag("  ") is False
    assert signals.changed == 2
    assert [chip.tag for chip in editor.chips()] == ["vip", "webinar"]


def test_known_tags_give_completions_and_their_spelling(qtbot: Any) -> None:
    editor = TagsEditor()
    qtbot.addWidget(editor)
    editor.set_known_tags(["Newsletter", "vip", "churn-risk"])
    editor.set_value(["vip"])
    completer = editor.input.completer() if editor.input else None
    assert completer is not None
    # Tags already on the contact are not offered again.
    assert completer.model().stringList() == ["churn-risk", "Newsletter"]  # type: ignore[attr-defined]
    assert editor.add_tag("NEWSLETTER")
    assert editor.tags() == ["vip", "Newsletter"]
    assert completer.model().stringList() == ["churn-risk"]  # type: ignore[attr-defined]


def test_tags_are_removed_by_chip_button_and_backspace(qtbot: Any) -> None:
    editor = TagsEditor()
    qtbot.addWidget(editor)
    editor.set_value(["a", "b", "c"])
    signals = Signals(editor)
    chip = editor.chips()[1]
    assert chip.remove_button is not None
    chip.remove_button.click()
    assert editor.tags() == ["a", "c"]
    assert editor.input is not None
    QTest.keyClick(editor.input, Qt.Key.Key_Backspace)
    assert editor.tags() == ["a"]
    assert signals.changed == 2


def test_leaving_the_tag_box_keeps_what_was_typed(qtbot: Any) -> None:
    editor = TagsEditor()
    qtbot.addWidget(editor)
    assert editor.input is not None
    editor.input.setText("follow-up")
    editor.input.editingFinished.emit()
    assert editor.tags() == ["follow-up"]


def test_read_only_tags_have_no_input_and_show_a_dash_when_empty(qtbot: Any) -> None:
    view = TagsEditor(read_only=True)
    qtbot.addWidget(view)
    view.set_value([])
    assert view.input is None and not view.empty_label.isHidden()
    view.set_value(["vip", "webinar"])
    assert view.empty_label.isHidden()
    assert all(chip.remove_button is None for chip in view.chips())


def test_tag_chips_wrap_onto_new_lines(qtbot: Any) -> None:
    view = TagsEditor(read_only=True)
    qtbot.addWidget(view)
    view.set_value([f"tag-number-{i}" for i in range(12)])
    view.resize(300, 200)
    view.show()
    qtbot.waitExposed(view)
    tops = {chip.geometry().top() for chip in view.chips()}
    assert len(tops) > 1
    assert all(chip.geometry().right() <= view.box.width() for chip in view.chips())


# --- formatting ---------------------------------------------------------------


def test_format_value_by_type() -> None:
    us = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    assert format_value("boolean", True, locale=us) == "Yes"
    assert format_value("boolean", False, locale=us) == "No"
    assert format_value("number", 1234.5, locale=us) == "1,234.5"
    assert format_value("number", 7, locale=us) == "7"
    assert format_value("date", "2026-03-01", locale=us) == "3/1/2026"
    assert format_value("date", "sometime", locale=us) == "sometime"
    assert format_value("phone", "+16175550101", locale=us) == "(617) 555-0101"
    assert format_value("stage", "customer") == "Customer"
    assert format_value("stage", "partner") == "Partner"
    assert format_value("text", None) == ""


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_US", "3/2/2020"), ("de_DE", "02.03.2020"), ("C", "2020-03-02")],
)
def test_dates_are_written_the_locale_way_with_a_four_digit_year(
    locale: str, expected: str
) -> None:
    from app.ui.common.fields import format_date

    assert format_date("2020-03-02", QLocale(locale)) == expected
    assert format_date("not a date", QLocale(locale)) == "not a date"
