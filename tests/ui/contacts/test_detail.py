"""ContactDetailPane: view, edit, create and delete one contact; inline and server errors.

Most tests drive the pane with ``FakeService``, which validates and builds its
answers with the same core functions ``ContactService`` uses; the last ones
run a real ``ContactService`` against the sandbox process. Interactions that
start tasks (Save, Delete, the confirmation boxes) happen inside a coroutine
driven by the ``run`` fixture, so the qasync loop is running when they spawn.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from app.api.seedly import SeedlyClient
from app.core.custom_fields import check_custom_value
from app.core.emails import check_email
from app.core.errors import NotFound, ServerError, ValidationFailed
from app.core.models import Contact, CustomFieldDefinition, parse
from app.core.payloads import ContactCreate, build, contact_update
from app.core.phones import check_phone
from app.services.bus import EventBus, ScopeKey
from app.services.contacts import ContactService
from app.services.ports.contacts import ContactsReader
from app.services.sync import SyncService
from app.storage import Database
from app.ui.contacts.detail import ContactDetailPane, ContactDetailService, PaneMode
from app.ui.common.fields import (
    BooleanFieldEditor,
    ChoiceFieldEditor,
    DateFieldEditor,
    LineFieldEditor,
    ListFieldEditor,
    NumberFieldEditor,
    SelectFieldEditor,
    TagsEditor,
)
from app.ui.theme import DARK, LIGHT, Theme
from tests.support.sandbox_process import Sandbox
from tests.unit.storage.docs import contact

US = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)

DEFINITIONS = [
    {
        "name": "property_type",
        "label": "Property Type",
        "type": "select",
        "options": ["Residential", "Commercial", "Industrial"],
        "isRequired": True,
    },
    {
        "name": "language",
        "label": "Language",
        "type": "select",
        "options": ["English", "Spanish"],
    },
    {"name": "roof_age", "label": "Roof Age", "type": "number"},
    {"name": "inspection", "label": "Inspection Date", "type": "date"},
    {"name": "claim", "label": "Insurance Claim", "type": "boolean"},
    {"name": "gate_code", "label": "Gate Code", "type": "text"},
    {"name": "photos", "label": "Photos Link", "type": "url"},
    {"name": "adjuster", "label": "Adjuster Email", "type": "email"},
    {"name": "site_phone", "label": "Site Phone", "type": "phone"},
    {"name": "aura", "label": "Aura", "type": "hologram"},
]


def jane(**fields: Any) -> dict[str, Any]:
    """A contact document with every field filled in; ``fields`` override."""
    doc = contact(
        "c1",
        "Jane",
        "Smith",
        phone="+16175550101",
        company="Acme Roofing",
        title="Owner",
        source="website",
        tags=["vip", "newsletter"],
        lifecycleStage="customer",
        engagementScore=72,
        assignedTo="usr_ana",
        additionalEmails=["j.smith@home.example.com"],
        additionalPhones=["+442071838750"],
        addressLine1="12 Main St",
        city="Boston",
        state="MA",
        postalCode="02110",
        country="US",
        dateOfBirth="1985-04-12",
        customFields={
            "property_type": "Residential",
            "roof_age": 12,
            "inspection": "2026-03-01",
            "claim": True,
            "photos": "https://files.example.com/x",
            "legacy": "kept",
        },
        createdAt="2026-01-05T14:30:00.000Z",
        updatedAt="2026-02-01T09:15:00.000Z",
    )
    doc.update(fields)
    return doc


class FakeService:
    """A ``ContactService`` stand-in: core validation, answers built like the server's.

    ``fail`` is raised by the next write; ``gate`` (an ``asyncio.Event``) holds
    writes until it is set."""

    default_region = "US"

    def __init__(self, definitions: list[dict[str, Any]] | None = None) -> None:
        self.definitions = [
            parse(CustomFieldDefinition, d)
            for d in (DEFINITIONS if definitions is None else definitions)
        ]
        self.contacts: dict[str, Contact] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.fail: BaseException | None = None
        self.gate: asyncio.Event | None = None

    def add(self, doc: dict[str, Any]) -> dict[str, Any]:
        self.contacts[doc["id"]] = parse(Contact, doc)
        return doc

    def field_definitions(self) -> list[CustomFieldDefinition]:
        return list(self.definitions)

    def validate_new(self, fields: Any) -> ContactCreate:
        return build(ContactCreate, fields, custom_field_definitions=self.definitions)

    async def _write(self) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            fail, self.fail = self.fail, None
            raise fail

    async def create(self, fields: Any) -> Contact:
        self.calls.append(("create", dict(fields)))
        body = self.validate_new(fields).to_body()
        await self._write()
        doc = {
            **body,
            "id": "new_1",
            "createdAt": "2026-06-01T10:00:00.000Z",
            "updatedAt": "2026-06-01T10:00:00.000Z",
        }
        return parse(Contact, self.add(doc))

    async def update(self, contact_id: str, edited: Any) -> Contact:
        self.calls.append(("update", contact_id, dict(edited)))
        before = self.contacts[contact_id]
        changes = contact_update(before, edited, custom_field_definitions=self.definitions)
        await self._write()
        doc = {**before.to_wire(), **changes.to_body(), "updatedAt": "2026-06-02T10:00:00.000Z"}
        return parse(Contact, self.add(doc))

    async def delete(self, contact_id: str) -> None:
        self.calls.append(("delete", contact_id))
        await self._write()
        self.contacts.pop(contact_id, None)


@pytest.fixture(autouse=True)
def us_locale() -> Iterator[None]:
    previous = QLocale()
    QLocale.setDefault(US)
    yield
    QLocale.setDefault(previous)


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def pane(qtbot: Any, service: FakeService) -> ContactDetailPane:
    widget = ContactDetailPane(service=service)
    qtbot.addWidget(widget)
    widget.resize(640, 900)
    return widget


class Recorder:
    """Collects the pane's signals in order."""

    def __init__(self, pane: ContactDetailPane) -> None:
        self.events: list[tuple[str, Any]] = []
        for name in (
            "contactSaved",
            "contactCreated",
            "contactDeleted",
            "editingChanged",
            "unsavedChangesChanged",
            "busyChanged",
        ):
            getattr(pane, name).connect(lambda value, n=name: self.events.append((n, value)))

    def of(self, name: str) -> list[Any]:
        return [value for n, value in self.events if n == name]


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def settle(pane: ContactDetailPane) -> None:
    """Wait until every task the pane started has finished."""
    await wait_until(lambda: len(pane.tasks) == 0)


async def open_box(pane: ContactDetailPane) -> QMessageBox:
    """The message box the pane has opened (waits for it)."""
    await wait_until(lambda: any(b.isVisible() for b in pane.findChildren(QMessageBox)))
    return next(b for b in pane.findChildren(QMessageBox) if b.isVisible())


def button(box: QMessageBox, text: str) -> QPushButton:
    for candidate in box.buttons():
        if candidate.text() == text and isinstance(candidate, QPushButton):
            return candidate
    raise AssertionError(f"no button {text!r} in {[b.text() for b in box.buttons()]}")


def line(pane: ContactDetailPane, key: str) -> Any:
    editor = pane.editor(key)
    assert isinstance(editor, LineFieldEditor | NumberFieldEditor), type(editor)
    return editor.line


def type_into(pane: ContactDetailPane, key: str, text: str, *, leave: bool = True) -> None:
    """Replace a line field's text by typing, then leave the field."""
    field = line(pane, key)
    field.selectAll()
    QTest.keyClick(field, Qt.Key.Key_Delete)
    QTest.keyClicks(field, text)
    if leave:
        field.editingFinished.emit()


# --- view ---------------------------------------------------------------------


def test_the_view_shows_every_field_of_the_contact(pane: ContactDetailPane) -> None:
    pane.show_contact(jane())
    assert pane.mode is PaneMode.VIEW and pane.contact_id == "c1"
    expected = {
        "firstName": "Jane",
        "lastName": "Smith",
        "title": "Owner",
        "company": "Acme Roofing",
        "dateOfBirth": "4/12/1985",
        "email": "jane.smith@example.com",
        "phone": "(617) 555-0101",
        "additionalEmails": "j.smith@home.example.com",
        "additionalPhones": "+44 20 7183 8750",
        "lifecycleStage": "Customer",
        "tags": "vip, newsletter",
        "source": "website",
        "assignedTo": "Ana",  # the member id read as a name (no team list here)
        "addressLine1": "12 Main St",
        "city": "Boston",
        "state": "MA",
        "postalCode": "02110",
        "country": "US",
        "customFields.property_type": "Residential",
        "customFields.roof_age": "12",
        "customFields.inspection": "3/1/2026",
        "customFields.claim": "Yes",
        "customFields.photos": "https://files.example.com/x",
        "customFields.language": "",
        "record.otherFields": "legacy: kept",
        "record.engagementScore": "72 / 100",
        "record.id": "c1",
    }
    assert {key: pane.view_text(key) for key in expected} == expected
    # Timestamps: the locale's date and time, in local time.
    created = parse(Contact, jane()).created_at.astimezone()
    assert pane.view_text("record.createdAt").startswith(
        US.toString(QDate(created.year, created.month, created.day), "M/d/yyyy")
    )
    assert pane._title.text() == "Jane Smith"
    assert pane._subtitle.text() == "Owner at Acme Roofing · Customer"


def test_view_mode_is_read_only_with_edit_and_delete(pane: ContactDetailPane) -> None:
    pane.show_contact(jane())
    pane.show()
    assert pane.edit_button.isVisible() and pane.delete_button.isVisible()
    assert not pane.save_button.isVisible()
    email = pane.editor("email")
    assert email is not None and not email.isVisible()
    assert not pane.has_unsaved_changes()


def test_an_unknown_stage_and_sparse_documents_are_shown(pane: ContactDetailPane) -> None:
    pane.show_contact(
        {
            "id": "c9",
            "firstName": None,
            "lastName": None,
            "email": "only@example.com",
            "lifecycleStage": "partner",
            "engagementScore": None,
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
        }
    )
    assert pane.view_text("lifecycleStage") == "Partner"
    assert pane.view_text("firstName") == "" and pane.view_text("tags") == ""
    assert pane.view_text("record.engagementScore") == "Not scored yet"
    assert pane._title.text() == "only@example.com"


def test_a_broken_document_is_reported_not_raised(pane: ContactDetailPane) -> None:
    pane.show_contact({"firstName": "No id"})
    assert pane.mode is PaneMode.EMPTY
    assert "could not read" in pane._empty_label.text()


def test_custom_fields_get_the_editor_of_their_type(pane: ContactDetailPane) -> None:
    kinds = {
        "customFields.property_type": SelectFieldEditor,
        "customFields.language": SelectFieldEditor,
        "customFields.roof_age": NumberFieldEditor,
        "customFields.inspection": DateFieldEditor,
        "customFields.claim": BooleanFieldEditor,
        "customFields.gate_code": LineFieldEditor,
        "customFields.photos": LineFieldEditor,
        "customFields.adjuster": LineFieldEditor,
        "customFields.site_phone": LineFieldEditor,
        "customFields.aura": LineFieldEditor,
        "lifecycleStage": ChoiceFieldEditor,
        "tags": TagsEditor,
        "additionalEmails": ListFieldEditor,
    }
    assert {key: type(pane.editor(key)) for key in kinds} == kinds
    required = pane.editor("customFields.property_type")
    optional = pane.editor("customFields.language")
    assert isinstance(required, SelectFieldEditor) and isinstance(optional, SelectFieldEditor)
    assert required.options() == ["Residential", "Commercial", "Industrial"]
    assert optional.options() == ["Not set", "English", "Spanish"]
    assert pane._rows["customFields.property_type"].required


def test_the_form_follows_new_field_definitions(
    pane: ContactDetailPane, service: FakeService
) -> None:
    pane.show_contact(jane())
    assert "customFields.fresh" not in pane.field_keys()
    service.definitions.append(
        parse(CustomFieldDefinition, {"name": "fresh", "label": "Fresh", "type": "text"})
    )
    pane.show_contact(jane(customFields={"fresh": "new"}))
    assert pane.view_text("customFields.fresh") == "new"


def test_without_definitions_the_custom_section_says_so(qtbot: Any) -> None:
    pane = ContactDetailPane(service=FakeService(definitions=[]))
    qtbot.addWidget(pane)
    pane.show_contact(contact("c1"))
    assert not [key for key in pane.field_keys() if key.startswith("customFields.")]
    notes = [w.text() for w in pane._sections["custom"] if hasattr(w, "text")]
    assert any("No custom fields" in text for text in notes)


# --- editing ------------------------------------------------------------------


def test_an_edit_sends_only_the_changed_field(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    service.add(jane())
    pane.show_contact(jane())
    events = Recorder(pane)

    async def scenario() -> None:
        pane.edit_button.click()
        assert pane.mode is PaneMode.EDIT
        assert not pane.save_button.isEnabled()  # nothing changed yet
        type_into(pane, "title", "CEO")
        assert pane.has_unsaved_changes()
        assert pane.summary_label.text() == "Changed: Job title"
        pane.save_button.click()
        await settle(pane)

    run(scenario())
    assert service.calls == [("update", "c1", {"title": "CEO"})]
    assert pane.mode is PaneMode.VIEW and pane.view_text("title") == "CEO"
    assert events.of("contactSaved") == ["c1"]
    assert events.of("editingChanged") == [True, False]
    assert events.of("busyChanged") == [True, False]
    assert pane.message() == "Changes saved."


def test_custom_field_and_list_edits_are_sent_by_name(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    service.add(jane())
    pane.show_contact(jane())

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "customFields.roof_age", "14.5")
        claim = pane.editor("customFields.claim")
        assert isinstance(claim, BooleanFieldEditor)
        claim.box.click()
        tags = pane.editor("tags")
        assert isinstance(tags, TagsEditor)
        tags.add_tag("storm-2026")
        assert pane.save()
        await settle(pane)

    run(scenario())
    assert service.calls == [
        (
            "update",
            "c1",
            {
                "tags": ["vip", "newsletter", "storm-2026"],
                "customFields": {"roof_age": 14.5, "claim": False},
            },
        )
    ]
    assert pane.view_text("customFields.roof_age") == "14.5"
    assert pane.view_text("customFields.claim") == "No"


def test_an_unknown_stage_is_kept_and_not_sent(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    doc = service.add(jane(lifecycleStage="partner"))
    pane.show_contact(doc)

    async def scenario() -> None:
        pane.begin_edit()
        stage = pane.editor("lifecycleStage")
        assert isinstance(stage, ChoiceFieldEditor)
        assert stage.labels()[-1] == "Partner (not a standard stage)"
        assert stage.value() == "partner"
        type_into(pane, "city", "Cambridge")
        assert pane.save()
        await settle(pane)

    run(scenario())
    assert service.calls == [("update", "c1", {"city": "Cambridge"})]


def test_clearing_a_field_sends_none(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "company", "")
        date = pane.editor("dateOfBirth")
        assert isinstance(date, DateFieldEditor)
        date.clear()
        assert pane.save()
        await settle(pane)

    run(scenario())
    assert service.calls == [("update", "c1", {"company": None, "dateOfBirth": None})]
    assert pane.view_text("company") == "" and pane.view_text("dateOfBirth") == ""


def test_cancel_restores_the_contact(pane: ContactDetailPane, service: FakeService) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    type_into(pane, "title", "Changed")
    pane.cancel_button.click()
    assert pane.mode is PaneMode.VIEW and service.calls == []
    assert pane.view_text("title") == "Owner"
    pane.begin_edit()
    assert line(pane, "title").text() == "Owner"


# --- validation ---------------------------------------------------------------


def test_inline_validation_shows_the_core_rule_once_the_field_is_left(
    pane: ContactDetailPane, service: FakeService
) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    type_into(pane, "email", "not-an-email", leave=False)
    # Invalid already (Save is off) but not shouted at while the user is typing.
    assert not pane.save_button.isEnabled()
    assert pane.field_error("email") == ""
    assert "To save, check:" in pane.summary_label.text()
    line(pane, "email").editingFinished.emit()
    expected = check_email("not-an-email").error
    assert expected and pane.field_error("email") == expected
    assert pane._rows["email"].frame.property("invalid")  # type: ignore[union-attr]
    assert 'href="email"' in pane.summary_label.text()
    # From now on the verdict follows each keystroke.
    type_into(pane, "email", "jane@example.org", leave=False)
    assert pane.field_error("email") == ""
    assert pane.save_button.isEnabled()


def test_phone_fields_validate_and_show_how_they_are_stored(
    pane: ContactDetailPane, service: FakeService
) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    type_into(pane, "phone", "12")
    assert pane.field_error("phone") == check_phone("12", "US").error
    type_into(pane, "phone", "617 555 0199")
    assert pane.field_error("phone") == ""
    assert pane._rows["phone"].message.text().startswith("Saved as +1 617-555-0199")  # type: ignore[union-attr]


def test_a_number_not_valid_in_the_region_is_refused_not_saved_as_one(
    pane: ContactDetailPane, service: FakeService
) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    # A French number without its country has a US number's length: never +10142685300.
    type_into(pane, "phone", "01 42 68 53 00")
    error = pane.field_error("phone")
    assert error == check_phone("01 42 68 53 00", "US").error
    assert "is not a valid United States number" in error
    assert pane._rows["phone"].frame.property("invalid")  # type: ignore[union-attr]
    assert not pane.save_button.isEnabled()
    type_into(pane, "phone", "+33 1 42 68 53 00")
    assert pane.field_error("phone") == "" and pane.save_button.isEnabled()


def test_names_that_show_nothing_are_refused(pane: ContactDetailPane, service: FakeService) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    first = line(pane, "firstName")
    first.selectAll()
    first.insert("\u200b\u200b")  # zero-width spaces: typed keys cannot produce them
    first.editingFinished.emit()
    assert first.text() == "\u200b\u200b"
    assert pane.field_error("firstName") == (
        "First name has no visible characters; type the name itself."
    )
    assert not pane.save_button.isEnabled()


def test_a_long_paste_is_refused_with_the_limit_not_cut(
    pane: ContactDetailPane, service: FakeService, qapp: Any
) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    company = line(pane, "company")
    assert company.toolTip() == "Seedly takes up to 500 characters here."
    company.selectAll()
    qapp.clipboard().setText("x" * 10_000)
    company.paste()
    company.editingFinished.emit()
    assert len(company.text()) == 10_000  # nothing was cut behind the user's back
    assert pane.field_error("company") == (
        "Company is 10,000 characters long; Seedly takes at most 500. Shorten it (nothing was cut)."
    )
    assert not pane.save_button.isEnabled()
    # Near the limit the field says how much room is left, before any error.
    type_into(pane, "company", "y" * 480)
    assert pane.field_error("company") == ""
    assert pane._rows["company"].message.text() == "480 of 500 characters."  # type: ignore[union-attr]
    assert pane.save_button.isEnabled()


def test_custom_field_rules_come_from_core(pane: ContactDetailPane, service: FakeService) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    definitions = {d.name: d for d in service.definitions}
    type_into(pane, "customFields.roof_age", "twelve")
    assert (
        pane.field_error("customFields.roof_age")
        == check_custom_value(definitions["roof_age"], "twelve")[1]
    )
    type_into(pane, "customFields.photos", "not a url")
    assert (
        pane.field_error("customFields.photos")
        == check_custom_value(definitions["photos"], "not a url")[1]
    )
    type_into(pane, "customFields.adjuster", "nobody@")
    assert pane.field_error("customFields.adjuster").startswith("Adjuster Email: ")
    assert not pane.save_button.isEnabled()
    assert pane.summary_label.text().count("<a href") == 3


def test_ctrl_s_on_an_invalid_form_reveals_every_error(
    pane: ContactDetailPane, service: FakeService
) -> None:
    pane.start_new()
    assert pane.field_error("firstName") == ""
    assert pane.save() is False
    assert pane.field_error("firstName") == "First name is required."
    assert pane.field_error("lastName") == "Last name is required."
    assert pane.field_error("customFields.property_type") == "Property Type is required."
    assert service.calls == []


def test_the_summary_links_focus_their_field(pane: ContactDetailPane, qtbot: Any) -> None:
    pane.show()
    qtbot.waitExposed(pane)
    pane.start_new()
    assert 'href="lastName"' in pane.summary_label.text()
    pane.summary_label.linkActivated.emit("lastName")
    assert pane.focusWidget() is line(pane, "lastName")
    assert pane.field_error("lastName") == "Last name is required."


def test_error_lines_keep_their_place(pane: ContactDetailPane, qtbot: Any) -> None:
    pane.show_contact(jane())
    pane.show()
    qtbot.waitExposed(pane)
    pane.begin_edit()
    QApplication.processEvents()
    below = pane._rows["lastName"].cell.geometry().top()
    type_into(pane, "firstName", "")
    QApplication.processEvents()
    assert pane.field_error("firstName") == "First name is required."
    assert pane._rows["lastName"].cell.geometry().top() == below


# --- new contacts -------------------------------------------------------------


def test_creating_a_contact(pane: ContactDetailPane, service: FakeService, run: Any) -> None:
    pane.show_contact(service.add(jane()))
    events = Recorder(pane)

    async def scenario() -> None:
        pane.start_new()
        assert pane.mode is PaneMode.NEW and pane.contact_id is None
        assert not pane.has_unsaved_changes()
        assert not pane.save_button.isEnabled()
        assert pane.save_button.text() == "Create contact"
        text = pane.summary_label.text()
        assert text.startswith("To save, fill in:")
        assert all(label in text for label in ("First name", "Last name", "Property Type"))
        type_into(pane, "firstName", "Ana")
        type_into(pane, "lastName", "Lima")
        assert pane._title.text() == "Ana Lima"
        prop = pane.editor("customFields.property_type")
        assert isinstance(prop, SelectFieldEditor)
        prop.combo.setCurrentIndex(1)
        type_into(pane, "phone", "(617) 555-0142")
        assert pane.has_unsaved_changes()
        assert pane.save_button.isEnabled()
        pane.save_button.click()
        await settle(pane)

    run(scenario())
    assert service.calls == [
        (
            "create",
            {
                "firstName": "Ana",
                "lastName": "Lima",
                "phone": "(617) 555-0142",
                "lifecycleStage": "lead",
                "customFields": {"property_type": "Commercial"},
            },
        )
    ]
    assert events.of("contactCreated") == ["new_1"]
    assert pane.mode is PaneMode.VIEW and pane.contact_id == "new_1"
    assert pane.view_text("phone") == "(617) 555-0142"
    assert pane.message() == "Contact created."


def test_prefill_counts_as_unsaved_input(pane: ContactDetailPane) -> None:
    pane.start_new(
        {"firstName": "Lee", "email": "lee@example.com", "customFields": {"roof_age": 3}}
    )
    assert line(pane, "firstName").text() == "Lee"
    assert line(pane, "customFields.roof_age").text() == "3"
    assert pane.has_unsaved_changes()


def test_cancelling_a_new_contact_returns_to_the_previous_one(
    pane: ContactDetailPane, service: FakeService
) -> None:
    pane.show_contact(service.add(jane()))
    events = Recorder(pane)
    pane.start_new()
    type_into(pane, "firstName", "Temp")
    QTest.keyClick(line(pane, "firstName"), Qt.Key.Key_Escape)
    pane.cancel_edit()
    assert pane.mode is PaneMode.VIEW and pane.contact_id == "c1"
    assert events.of("editingChanged") == [True, False]
    pane.clear()
    pane.start_new()
    pane.cancel_edit()
    assert pane.mode is PaneMode.EMPTY


# --- failures -----------------------------------------------------------------


def test_a_server_validation_error_lands_on_its_field(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    service.fail = ValidationFailed(
        "email is already used by another contact", field="email", status=400
    )

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "email", "taken@example.com")
        type_into(pane, "city", "Salem")
        pane.save_button.click()
        await settle(pane)

    run(scenario())
    assert pane.mode is PaneMode.EDIT
    assert pane.field_error("email") == "Email is already used by another contact."
    assert line(pane, "email").text() == "taken@example.com"  # nothing typed is lost
    assert line(pane, "city").text() == "Salem"
    assert not pane.save_button.isEnabled()
    assert pane.summary_label.text().startswith("To save, fix:")
    type_into(pane, "email", "free@example.com")
    assert pane.field_error("email") == "" and pane.save_button.isEnabled()


def test_a_server_error_for_an_unknown_field_goes_to_the_message_area(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    service.fail = ValidationFailed("owner is locked", field="owner", status=400)
    # (a field the form does not have: the message area takes it)

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.save()
        await settle(pane)

    run(scenario())
    assert "owner is locked" in pane.message().lower()
    assert pane.mode is PaneMode.EDIT


def test_other_errors_show_their_user_message_and_keep_the_input(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    failure = ServerError("boom", status=503)
    service.fail = failure

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.save()
        await settle(pane)

    run(scenario())
    assert pane.message() == failure.user_message
    assert pane._banner.property("severity") == "danger"
    assert pane.mode is PaneMode.EDIT and line(pane, "title").text() == "Boss"
    assert pane.save_button.isEnabled()  # the user may try again
    assert not pane.is_busy()


def test_saving_a_contact_deleted_elsewhere(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    service.fail = NotFound("Contact not found", status=404)

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.save()
        await settle(pane)

    run(scenario())
    assert pane.message() == NotFound("x").user_message
    assert not pane.save_button.isEnabled()
    pane.cancel_edit()
    assert pane.mode is PaneMode.EMPTY


def test_busy_while_saving_and_no_double_submit(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))

    async def scenario() -> None:
        service.gate = asyncio.Event()
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.save()
        await asyncio.sleep(0.01)
        assert pane.is_busy()
        assert not pane.save_button.isEnabled() and not pane.cancel_button.isEnabled()
        assert pane.summary_label.text() == "Saving…"
        assert pane.save() is False
        pane.cancel_edit()  # ignored while the save is in flight
        assert pane.mode is PaneMode.EDIT
        service.gate.set()
        await settle(pane)

    run(scenario())
    assert len(service.calls) == 1 and pane.mode is PaneMode.VIEW


def test_showing_another_contact_during_a_save_waits_for_it(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    other = service.add(contact("c2", "Bob", "Kim"))
    events = Recorder(pane)

    async def scenario() -> None:
        service.gate = asyncio.Event()
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.save()
        await asyncio.sleep(0.01)
        assert pane.show_contact(other) is False  # the changes are on their way
        assert not [b for b in pane.findChildren(QMessageBox) if b.isVisible()]
        service.gate.set()
        await settle(pane)

    run(scenario())
    assert events.of("contactSaved") == ["c1"]
    assert pane.contact_id == "c2" and pane.view_text("firstName") == "Bob"
    assert not pane.is_busy()


def test_discarding_during_a_save_leaves_a_usable_pane(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    other = service.add(contact("c2", "Bob", "Kim"))
    events = Recorder(pane)

    async def scenario() -> None:
        service.gate = asyncio.Event()
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.save()
        await asyncio.sleep(0.01)
        assert pane.show_contact(other, discard=True)
        assert not pane.is_busy() and pane.edit_button.isEnabled()
        service.gate.set()
        await settle(pane)

    run(scenario())
    assert events.of("contactSaved") == ["c1"]  # still reported, for the list
    assert pane.contact_id == "c2" and pane.view_text("firstName") == "Bob"
    assert events.of("busyChanged") == [True, False]


def test_showing_another_contact_with_unsaved_changes_asks_first(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    other = service.add(contact("c2", "Bob", "Kim"))
    events = Recorder(pane)
    declined: list[bool] = []
    pane.leaveDeclined.connect(lambda: declined.append(True))

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.show_contact(jane()) is False  # the contact being edited: kept
        assert pane.show_contact(other) is False
        button(await open_box(pane), "Keep editing").click()
        await settle(pane)
        assert declined == [True]
        assert pane.mode is PaneMode.EDIT and line(pane, "title").text() == "Boss"
        assert pane.start_new() is False
        button(await open_box(pane), "Discard changes").click()
        await settle(pane)
        assert pane.mode is PaneMode.NEW
        type_into(pane, "firstName", "Half")
        assert pane.show_contact(other) is False
        button(await open_box(pane), "Discard changes").click()
        await settle(pane)

    run(scenario())
    assert pane.mode is PaneMode.VIEW and pane.contact_id == "c2"
    assert service.calls == [] and events.of("contactSaved") == []


def test_show_contact_by_id_reads_the_cache(
    qtbot: Any, service: FakeService, tmp_path: Path
) -> None:
    db = Database.open(tmp_path / "s.sqlite3")
    partition = db.partition("https://crm.example.com", "sub_a")
    partition.contacts.upsert_many([jane()])
    pane = ContactDetailPane(None, service=service, reader=ContactsReader(partition))
    qtbot.addWidget(pane)
    assert pane.show_contact("c1")
    assert pane.view_text("company") == "Acme Roofing"
    assert pane.show_contact("gone") is False
    assert pane.mode is PaneMode.EMPTY and "not in the local copy" in pane._empty_label.text()
    pane.set_reader(ContactsReader(partition), lambda: service)  # the tab's form: a factory
    assert pane.service is service and pane.show_contact("c1")
    pane.set_reader(None)
    assert pane.service is None and pane.mode is PaneMode.EMPTY
    db.close()


def test_switching_service_cancels_a_running_save(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    events = Recorder(pane)

    async def scenario() -> None:
        service.gate = asyncio.Event()
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert pane.save()
        await asyncio.sleep(0.01)
        pane.set_service(FakeService())
        await settle(pane)

    run(scenario())
    assert pane.mode is PaneMode.EMPTY and not pane.is_busy()
    assert events.of("contactSaved") == []
    assert events.of("editingChanged") == [True, False]


# --- keyboard and the unsaved-changes guard -----------------------------------


def test_ctrl_s_saves_and_escape_cancels(
    pane: ContactDetailPane, service: FakeService, qtbot: Any, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    pane.show()
    pane.activateWindow()
    qtbot.waitActive(pane)

    async def scenario() -> None:
        pane.begin_edit()
        type_into(pane, "title", "Boss", leave=False)
        QTest.keyClick(line(pane, "title"), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        await settle(pane)
        assert pane.mode is PaneMode.VIEW
        pane.begin_edit()
        type_into(pane, "title", "Other", leave=False)
        QTest.keyClick(line(pane, "title"), Qt.Key.Key_Escape)

    run(scenario())
    assert service.calls == [("update", "c1", {"title": "Boss"})]
    assert pane.mode is PaneMode.VIEW and pane.view_text("title") == "Boss"


def test_unsaved_changes_are_reported(pane: ContactDetailPane, service: FakeService) -> None:
    pane.show_contact(service.add(jane()))
    events = Recorder(pane)
    pane.begin_edit()
    assert not pane.has_unsaved_changes()
    type_into(pane, "title", "Boss")
    assert pane.has_unsaved_changes()
    type_into(pane, "title", "Owner")  # back to what it was
    assert not pane.has_unsaved_changes()
    assert events.of("unsavedChangesChanged") == [True, False]


def test_resolve_unsaved_changes_keep_discard_save(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))

    async def choose(text: str) -> bool:
        pending = asyncio.ensure_future(pane.resolve_unsaved_changes())
        box = await open_box(pane)
        assert box.text() == "Save the changes to Jane Smith?"
        button(box, text).click()
        return await pending

    async def scenario() -> None:
        assert await pane.resolve_unsaved_changes()  # nothing pending: no question
        pane.begin_edit()
        type_into(pane, "title", "Boss")
        assert await choose("Keep editing") is False
        assert pane.mode is PaneMode.EDIT and line(pane, "title").text() == "Boss"
        assert await choose("Save") is True
        assert pane.mode is PaneMode.VIEW and pane.view_text("title") == "Boss"
        pane.begin_edit()
        type_into(pane, "title", "Thrown away")
        assert await choose("Discard changes") is True
        assert pane.mode is PaneMode.VIEW and pane.view_text("title") == "Boss"

    run(scenario())
    assert service.calls == [("update", "c1", {"title": "Boss"})]


def test_resolve_unsaved_changes_of_an_invalid_form(pane: ContactDetailPane, run: Any) -> None:
    async def scenario() -> None:
        pane.start_new({"firstName": "Half"})
        pending = asyncio.ensure_future(pane.resolve_unsaved_changes())
        box = await open_box(pane)
        assert "cannot be saved yet" in box.text()
        assert "Last name" in box.informativeText()
        assert {b.text() for b in box.buttons()} == {"Discard changes", "Keep editing"}
        button(box, "Keep editing").click()
        assert await pending is False
        assert pane.field_error("lastName") == "Last name is required."

    run(scenario())


# --- refreshes from elsewhere -------------------------------------------------


def test_a_refresh_while_editing_keeps_the_users_edits(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    pane.begin_edit()
    type_into(pane, "title", "Boss")
    service.add(jane(city="Cambridge", title="Founder"))
    pane.refresh_contact(jane(city="Cambridge", title="Founder"))
    assert line(pane, "city").text() == "Cambridge"  # untouched: refreshed
    assert line(pane, "title").text() == "Boss"  # edited: kept
    assert pane.has_unsaved_changes()

    async def scenario() -> None:
        assert pane.save()
        await settle(pane)

    run(scenario())
    assert service.calls == [("update", "c1", {"title": "Boss"})]
    pane.refresh_contact(contact("other"))  # another contact: ignored
    assert pane.view_text("city") == "Cambridge"


def test_a_contact_deleted_elsewhere(pane: ContactDetailPane, service: FakeService) -> None:
    pane.show_contact(service.add(jane()))
    pane.contact_removed("someone-else")
    assert pane.mode is PaneMode.VIEW
    pane.begin_edit()
    type_into(pane, "title", "Boss")
    pane.contact_removed("c1")
    assert "was deleted in Seedly" in pane.message()
    assert not pane.save_button.isEnabled()
    assert line(pane, "title").text() == "Boss"
    pane.cancel_edit()
    pane.contact_removed("c1")
    assert pane.mode is PaneMode.EMPTY and "Jane Smith was deleted." in pane._empty_label.text()


# --- deleting -----------------------------------------------------------------


def test_delete_states_the_cascade_and_needs_confirmation(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    events = Recorder(pane)

    async def scenario() -> None:
        pane.delete_button.click()
        box = await open_box(pane)
        assert box.text() == "Delete Jane Smith?"
        details = box.informativeText()
        assert "conversations will be hidden" in details
        assert "upcoming appointments cancelled" in details
        assert button(box, "Delete contact").property("destructive") is True
        assert box.defaultButton() is button(box, "Cancel")  # Enter does not delete
        button(box, "Cancel").click()
        await settle(pane)
        assert service.calls == [] and pane.mode is PaneMode.VIEW
        pane.delete_button.click()
        button(await open_box(pane), "Delete contact").click()
        await settle(pane)

    run(scenario())
    assert service.calls == [("delete", "c1")]
    assert events.of("contactDeleted") == ["c1"]
    assert pane.mode is PaneMode.EMPTY
    assert pane._empty_label.text() == "Jane Smith was deleted."


def test_a_failed_delete_is_reported(
    pane: ContactDetailPane, service: FakeService, run: Any
) -> None:
    pane.show_contact(service.add(jane()))
    failure = ServerError("down", status=500)
    service.fail = failure

    async def scenario() -> None:
        pane.request_delete()
        button(await open_box(pane), "Delete contact").click()
        await settle(pane)

    run(scenario())
    assert pane.mode is PaneMode.VIEW and pane.message() == failure.user_message
    assert pane.delete_button.isEnabled()


# --- suggestions --------------------------------------------------------------


def test_suggestions_come_from_the_partition(
    qtbot: Any, service: FakeService, tmp_path: Path
) -> None:
    db = Database.open(tmp_path / "s.sqlite3")
    partition = db.partition("https://crm.example.com", "sub_a")
    partition.contacts.upsert_many(
        [
            contact("a", tags=["VIP", "webinar"], source="referral", assignedTo="usr_kim"),
            contact("b", tags=["churn-risk"], source="website", assignedTo="usr_ana"),
        ]
    )
    pane = ContactDetailPane(service=service, reader=ContactsReader(partition))
    qtbot.addWidget(pane)
    pane.set_assignee_names({"usr_kim": "Kim Park"})
    pane.show_contact(contact("c1", tags=["webinar"], assignedTo="usr_kim"))
    assert pane.view_text("assignedTo") == "Kim Park"
    pane.begin_edit()
    tags = pane.editor("tags")
    assert isinstance(tags, TagsEditor) and tags.input is not None
    completer = tags.input.completer()
    assert completer.model().stringList() == ["churn-risk", "VIP"]  # type: ignore[attr-defined]
    tags.add_tag("vip")
    assert tags.tags() == ["webinar", "VIP"]
    assignee = pane.editor("assignedTo")
    assert isinstance(assignee, ChoiceFieldEditor)
    # A member the team list does not name is shown by the id read as a name, not the id.
    assert assignee.labels() == ["Unassigned", "Ana", "Kim Park"]
    assert assignee.value() == "usr_kim"
    pane.show_contact(contact("c2", assignedTo="usr_ana_ortiz"), discard=True)
    assert pane.view_text("assignedTo") == "Ana Ortiz"
    db.close()


def test_the_fake_satisfies_the_protocol() -> None:
    assert isinstance(FakeService(), ContactDetailService)


# --- looks --------------------------------------------------------------------


@pytest.fixture
def restore_theme(qapp: QApplication) -> Iterator[None]:
    palette, sheet, style = qapp.palette(), qapp.styleSheet(), qapp.style().name()
    yield
    qapp.styleHints().unsetColorScheme()
    qapp.setStyle(style)
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


@pytest.mark.usefixtures("restore_theme")
def test_renders_in_light_and_dark_with_the_themes_colours(
    qapp: QApplication, qtbot: Any, service: FakeService, tmp_path: Path
) -> None:
    pane = ContactDetailPane(service=service)
    qtbot.addWidget(pane)
    pane.resize(640, 1700)
    pane.show_contact(service.add(jane()))
    pane.show()
    qtbot.waitExposed(pane)
    theme = Theme(qapp, "light")
    for mode, colors in (("light", LIGHT), ("dark", DARK)):
        theme.set_mode(mode)  # type: ignore[arg-type]
        pane.begin_edit()
        type_into(pane, "email", "broken")
        QApplication.processEvents()
        image = pane.grab()
        assert not image.isNull() and image.save(str(tmp_path / f"detail-{mode}.png"))
        message = pane._rows["email"].message
        assert message is not None
        role = QPalette.ColorRole.WindowText
        assert message.palette().color(role).name() == colors.danger
        assert pane.delete_button.palette().color(QPalette.ColorRole.ButtonText).name() == (
            colors.danger
        )
        pane.cancel_edit()


# --- against the sandbox ------------------------------------------------------


class RecordingTransport(httpx.AsyncBaseTransport):
    """Sends every request for real and keeps the method, path and JSON body of each."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _real_service(
    sandbox: Sandbox, db: Database, index: int, transport: Any = None
) -> tuple[ContactService, SeedlyClient]:
    client = SeedlyClient(sandbox.url, sandbox.sub_key(index), http_transport=transport)
    sub = sandbox.sub_ids[index]
    bus = EventBus()
    partition = db.partition(sandbox.url, sub)
    await SyncService(partition, client, bus, ScopeKey(sandbox.url, sub)).sync_fields()
    return ContactService(partition, client, bus, ScopeKey(sandbox.url, sub)), client


@pytest.mark.timeout(120)
def test_create_edit_delete_against_the_sandbox(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    db = Database.open(tmp_path / "c.sqlite3")
    transport = RecordingTransport()
    email = f"pane.{uuid.uuid4().hex[:8]}@example.com"
    box_client = sandbox.client()

    def on_server(contact_id: str) -> httpx.Response:
        return box_client.get(f"/api/v1/contacts/{contact_id}")

    async def scenario() -> str:
        service, client = await _real_service(sandbox, db, 0, transport)
        pane = ContactDetailPane(service=service)
        qtbot.addWidget(pane)
        events = Recorder(pane)
        pane.start_new()
        type_into(pane, "firstName", "Pane")
        type_into(pane, "lastName", "Tester")
        type_into(pane, "email", email)
        type_into(pane, "phone", "(617) 555-0142")
        type_into(pane, "company", "Before Co")
        language = pane.editor("customFields.preferred_language")
        assert isinstance(language, SelectFieldEditor)
        language.combo.setCurrentIndex(language.options().index("Spanish"))
        assert await pane.commit()
        [made] = events.of("contactCreated")
        assert pane.contact_id == made
        before = on_server(made).json()["data"]
        assert before["phone"] == "+16175550142"
        assert before["customFields"] == {"preferred_language": "Spanish"}

        pane.begin_edit()
        type_into(pane, "title", "Owner")
        assert await pane.commit()
        assert events.of("contactSaved") == [made]
        patches = [body for method, _path, body in transport.sent if method == "PATCH"]
        assert patches == [{"title": "Owner"}]
        after = on_server(made).json()["data"]
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        assert changed <= {"title", "updatedAt"} and after["title"] == "Owner"
        assert pane.view_text("title") == "Owner"

        pane.request_delete()
        button(await open_box(pane), "Delete contact").click()
        await settle(pane)
        assert events.of("contactDeleted") == [made]
        assert service.partition.contacts.get(made) is None
        await client.aclose()
        return made

    made = run(scenario(), timeout=90)
    assert on_server(made).status_code == 404
    db.close()


@pytest.mark.timeout(120)
def test_a_required_custom_field_blocks_the_create_before_sending(
    qtbot: Any, run: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    db = Database.open(tmp_path / "c.sqlite3")

    async def scenario() -> None:
        service, client = await _real_service(sandbox, db, 1)
        required = [d for d in service.field_definitions() if d.is_required]
        assert required, "the second demo sub-account has a required custom field"
        key = f"customFields.{required[0].name}"
        pane = ContactDetailPane(service=service)
        qtbot.addWidget(pane)
        pane.start_new()
        type_into(pane, "firstName", "No")
        type_into(pane, "lastName", "Choice")
        sent = client.transport.requests_sent
        assert pane.save() is False
        assert pane.field_error(key) == f"{required[0].display_label} is required."
        assert client.transport.requests_sent == sent
        assert pane._rows[key].required and not pane._rows[key].star.isHidden()
        await client.aclose()

    run(scenario(), timeout=90)
    db.close()
