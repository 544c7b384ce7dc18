"""The contact side panel: the conversation's contact from the cache, custom fields by
type, live updates, the summary standing in, Open in Contacts, sub-account switches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.ports.inbox import InboxPort
from app.services.bus import ContactsChanged
from app.storage import Database, Partition
from app.ui.common.fields import format_value
from app.ui.inbox.contact_panel import ContactSidePanel, ValueLabel, soft_wrap
from tests.ui.inbox.thread_fixtures import (
    CONTACT,
    CONV,
    OTHER_SCOPE,
    SCOPE,
    ThreadWorkspace,
    seed_partition,
)


@pytest.fixture
def kdb(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "panel.db")
    yield database
    database.close()


@pytest.fixture
def kpart(kdb: Database) -> Partition:
    return seed_partition(
        kdb, messages=1, contact_fields={"dndChannels": ["sms"], "title": "Office manager"}
    )


def test_shows_the_contact_with_custom_fields(kdb: Database, kpart: Partition, qtbot: Any) -> None:
    panel = ContactSidePanel(InboxPort(ThreadWorkspace(kdb, kpart)))
    qtbot.addWidget(panel)
    assert panel.pages.currentWidget() is panel.empty
    panel.set_conversation(CONV)
    assert panel.pages.currentWidget() is panel.details
    assert panel.name_label.text() == "Kim Lee"
    assert panel.company_label.text() == "Office manager · Harbor Dental"
    assert panel.values() == {
        "Name": "Kim Lee",
        "Company": "Harbor Dental",
        "Email": "kim.lee@example.com",
        "Phone": "(617) 555-0142",
        "Stage": "Customer",
        "Tags": "vip, cleaning",
        "Do not disturb": "SMS",
        "Language": "Spanish",
        "Budget": format_value("number", 1200),  # as the Contacts tab shows it
    }
    links: list[str] = []
    panel.contactLinkActivated.connect(links.append)
    panel.open_button.click()
    assert links == [CONTACT]


def test_follows_contact_changes_and_ignores_other_sub_accounts(
    kdb: Database, kpart: Partition, qtbot: Any
) -> None:
    workspace = ThreadWorkspace(kdb, kpart)
    panel = ContactSidePanel(InboxPort(workspace))
    qtbot.addWidget(panel)
    panel.set_conversation(CONV)
    doc = kpart.contacts.get(CONTACT)
    assert doc is not None
    kpart.contacts.upsert_many(
        [{**doc, "lifecycleStage": "repeat", "updatedAt": "2026-07-01T00:00:00.000Z"}]
    )
    workspace.bus.publish(ContactsChanged(OTHER_SCOPE, frozenset({CONTACT})))
    assert panel.values()["Stage"] == "Customer"
    workspace.bus.publish(ContactsChanged(SCOPE, frozenset({CONTACT})))
    assert panel.values()["Stage"] == "Repeat"


def test_summary_stands_in_for_an_uncached_contact(kdb: Database, qtbot: Any) -> None:
    part = seed_partition(kdb, messages=0)
    part.contacts.delete_ids({CONTACT})
    panel = ContactSidePanel(InboxPort(ThreadWorkspace(kdb, part)))
    qtbot.addWidget(panel)
    panel.set_conversation(CONV)
    assert panel.name_label.text() == "Kim Lee"
    assert panel.note_label.isVisibleTo(panel)
    assert panel.values()["Email"] == "kim.lee@example.com"
    assert panel.contact_id == CONTACT


def test_a_sub_account_switch_clears_it(kdb: Database, kpart: Partition, qtbot: Any) -> None:
    workspace = ThreadWorkspace(kdb, kpart)
    panel = ContactSidePanel(InboxPort(workspace))
    qtbot.addWidget(panel)
    panel.set_conversation(CONV)
    workspace.switch(seed_partition(kdb, OTHER_SCOPE.sub_account_id, messages=0), OTHER_SCOPE)
    assert panel.pages.currentWidget() is panel.empty
    assert panel.values() == {} and panel.contact_id is None


def test_every_row_is_label_left_value_right_and_long_values_wrap(
    kdb: Database, qtbot: Any
) -> None:
    long_email = "billing914.accounts-payable@example-holdings.com"
    part = seed_partition(
        kdb,
        messages=1,
        contact_fields={
            "email": "kimberly.lee-harrington@harbordental-associates.com",
            "customFields": {
                "preferred_language": "Spanish",
                "billing_email": long_email,
                "emergency_phone": "+15552530955",
                "referral": "https://files.example.com/9be0c437/referral-letter.pdf",
                "reference": "averyveryverylongunbrokenidentifierwithoutanybreaks",
            },
        },
    )
    part.custom_fields.replace_fields(
        [
            {"name": "preferred_language", "label": "Preferred Language", "type": "select"},
            {"name": "billing_email", "label": "Billing Email", "type": "email"},
            {"name": "emergency_phone", "label": "Emergency Phone", "type": "phone"},
            {"name": "referral", "label": "Referral Page", "type": "url"},
            {"name": "reference", "label": "Internal Reference Identifier Code", "type": "text"},
        ]
    )
    panel = ContactSidePanel(InboxPort(ThreadWorkspace(kdb, part)))
    qtbot.addWidget(panel)
    panel.set_conversation(CONV)
    panel.resize(240, 900)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(20)
    form = panel.form
    body_width = panel.details.viewport().width()
    value_lefts: set[int] = set()
    rows = 0
    for row in range(form.rowCount()):
        label_item = form.itemAt(row, form.ItemRole.LabelRole)
        field_item = form.itemAt(row, form.ItemRole.FieldRole)
        if label_item is None or field_item is None:
            continue  # the "Custom fields" title spans the form
        label, field = label_item.widget(), field_item.widget()
        if not field.isVisible():
            continue
        rows += 1
        lg, fg = label.geometry(), field.geometry()
        name = label.text()
        assert fg.left() > lg.right(), f"{name}: value not right of its label"
        assert fg.top() == lg.top(), f"{name}: value not on the label's line"
        assert fg.right() < body_width, f"{name}: value runs out of the panel"
        value_lefts.add(fg.left())
    assert rows == 9  # email, phone, stage, tags and the five custom fields
    assert len(value_lefts) == 1  # one value column for the contact and its custom fields
    values = {w.value: w for w in panel.findChildren(ValueLabel) if w.isVisible()}
    line = panel.fontMetrics().lineSpacing()
    billing = values[long_email]
    assert billing.height() >= 2 * line  # wrapped inside the value column
    assert billing.copy_text() == long_email  # copied without the added break points
    assert panel.values()["Billing Email"] == long_email
    assert values["averyveryverylongunbrokenidentifierwithoutanybreaks"].height() >= 2 * line


def test_soft_wrap_only_adds_break_opportunities() -> None:
    assert soft_wrap("Spanish") == "Spanish"
    assert soft_wrap("+1 555-253-0955") == "+1 555-253-0955"  # short words: as they are
    wrapped = soft_wrap("billing914@example.com")
    assert wrapped.replace("\u200b", "") == "billing914@example.com"
    assert wrapped == "billing914@\u200bexample.\u200bcom"
    run = soft_wrap("x" * 30)
    assert run.replace("\u200b", "") == "x" * 30 and run.count("\u200b") == 2
