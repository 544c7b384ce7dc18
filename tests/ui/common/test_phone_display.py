"""One display format for a phone number on every screen: the same number, stored in
E.164 by Seedly or written another way by Seamless.AI, reads the same in the Contacts
table, the Inbox contact panel and message header, the Leads details and the Calendar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.ports.calendar import AppointmentRow
from app.services.ports.contacts import ContactsReader
from app.services.ports.inbox import InboxPort
from app.storage import Database, Partition
from app.ui.calendar.texts import contact_label as appointment_contact
from app.ui.contacts.model import Column, ContactsTableModel
from app.ui.inbox.contact_panel import ContactSidePanel
from app.ui.inbox.message_delegate import MessageDelegate
from app.ui.inbox.thread_model import ThreadRow
from app.ui.leads.details import LeadDetailsPane
from app.ui.leads.models import PeopleResultsModel, PointColumn
from tests.ui.inbox.thread_fixtures import CONTACT, CONV, ThreadWorkspace, seed_partition
from tests.ui.leads.conftest import person_result, researched

SHOWN = "(303) 555-3164"
"""How the app shows +1 303-555-3164 to a user in the US, everywhere."""


@pytest.fixture
def part(tmp_path: Path) -> Iterator[tuple[Database, Partition]]:
    database = Database.open(tmp_path / "phones.db")
    yield database, seed_partition(database, messages=1, contact_fields={"phone": "+13035553164"})
    database.close()


def test_the_same_number_reads_the_same_on_every_screen(
    part: tuple[Database, Partition], qtbot: Any
) -> None:
    db, partition = part
    # Contacts table (E.164 from Seedly).
    model = ContactsTableModel(page_size=10, coalesce_ms=5)
    model.set_reader(ContactsReader(partition))
    try:
        row = model.row_of(CONTACT)
        assert row >= 0
        assert model.index(row, Column.PHONE).data() == SHOWN
    finally:
        model.set_reader(None)
        model.close()

    # Inbox contact panel, and an SMS header's "from" address.
    panel = ContactSidePanel(InboxPort(ThreadWorkspace(db, partition)))
    qtbot.addWidget(panel)
    panel.set_conversation(CONV)
    assert panel.values()["Phone"] == SHOWN
    sms = ThreadRow(
        key="m1",
        message_id="m1",
        client_id=None,
        created_ms=0,
        direction="inbound",
        channel="sms",
        status="delivered",
        reason=None,
        is_note=False,
        subject=None,
        body_text="Hi",
        body_html=None,
        from_address="+13035553164",
        to_address="+16175550100",
    )
    assert MessageDelegate._header_text(sms).endswith(f"from {SHOWN}")

    # Leads details: Seamless.AI writes the same number its own ways.
    results = PeopleResultsModel()
    results.append([person_result(1)])
    person = results.row_data(0)
    assert person is not None
    pane = LeadDetailsPane()
    qtbot.addWidget(pane)
    record = researched(1, contactPhone1="303.555.3164", companyPhone1="1-303-555-3164")
    pane.show_person(person, None)
    pane.points.set_record(record)
    shown = [
        pane.points.index(r, PointColumn.VALUE).data()
        for r in range(pane.points.rowCount())
        if not pane.points.point_at(r).is_email  # type: ignore[union-attr]
    ]
    assert shown == [SHOWN, SHOWN]

    # Calendar: an appointment known only by its contact's phone.
    appointment = AppointmentRow(
        "a1", "cal_a", None, 0, 0, "scheduled", contact_phone="+13035553164"
    )
    assert appointment_contact(appointment) == SHOWN
