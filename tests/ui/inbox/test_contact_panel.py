"""The contact side panel: the conversation's contact from the cache, custom fields by
type, live updates, the summary standing in, Open in Contacts, sub-account switches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.bus import ContactsChanged
from app.storage import Database, Partition
from app.ui.contacts.fields import format_value
from app.ui.inbox.contact_panel import ContactSidePanel
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
    panel = ContactSidePanel(ThreadWorkspace(kdb, kpart))
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
    panel = ContactSidePanel(workspace)
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
    panel = ContactSidePanel(ThreadWorkspace(kdb, part))
    qtbot.addWidget(panel)
    panel.set_conversation(CONV)
    assert panel.name_label.text() == "Kim Lee"
    assert panel.note_label.isVisibleTo(panel)
    assert panel.values()["Email"] == "kim.lee@example.com"
    assert panel.contact_id == CONTACT


def test_a_sub_account_switch_clears_it(kdb: Database, kpart: Partition, qtbot: Any) -> None:
    workspace = ThreadWorkspace(kdb, kpart)
    panel = ContactSidePanel(workspace)
    qtbot.addWidget(panel)
    panel.set_conversation(CONV)
    workspace.switch(seed_partition(kdb, OTHER_SCOPE.sub_account_id, messages=0), OTHER_SCOPE)
    assert panel.pages.currentWidget() is panel.empty
    assert panel.values() == {} and panel.contact_id is None
