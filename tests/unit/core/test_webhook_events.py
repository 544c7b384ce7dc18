"""The 26 webhook events in plain words, grouped for the picker."""

from __future__ import annotations

from app.core.constants import WEBHOOK_EVENTS
from app.core.webhook_events import EVENT_GROUPS, EVENTS, event_label, events_summary


def test_every_event_once_in_seven_groups_with_a_meaning() -> None:
    names = [e.name for g in EVENT_GROUPS for e in g.events]
    assert names == list(WEBHOOK_EVENTS) and len(names) == 26
    assert [g.title for g in EVENT_GROUPS] == [
        "Contacts",
        "Opportunities",
        "Messages",
        "Appointments",
        "Forms",
        "Invoices",
        "Tasks",
    ]
    for info in EVENTS.values():
        assert info.label and info.meaning.endswith(".") and "." not in info.label
        assert "_" not in info.label  # plain words, never the wire value


def test_labels_and_summaries() -> None:
    assert event_label("contact.lifecycle_changed") == "Lifecycle stage changed"
    assert event_label("invoice.refunded") == "Invoice refunded"  # a newer event
    assert events_summary(WEBHOOK_EVENTS) == "All 26 events"
    assert events_summary([]) == "No events"
    contacts = [n for n in WEBHOOK_EVENTS if n.startswith("contact.")]
    assert events_summary([*contacts, "message.received"]) == (
        "All contact events, Message received"
    )
    assert events_summary(["form.submitted"]) == "Form submitted"
