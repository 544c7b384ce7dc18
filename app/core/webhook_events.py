"""The 26 webhook events in plain words (docs/api/seedly-crm.md §7), grouped for pickers.

The wire names (``contact.lifecycle_changed``) stay in the payloads and requests;
what a person reads is the label ("Lifecycle stage changed"), the group
("Contacts") and a one-line meaning. Every name of ``WEBHOOK_EVENTS`` is here
exactly once (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.core.constants import WEBHOOK_EVENTS


@dataclass(frozen=True)
class EventInfo:
    """One webhook event: wire name, group, label and what it means."""

    name: str
    group: str
    label: str
    meaning: str


@dataclass(frozen=True)
class EventGroup:
    """The events of one kind of record (contacts, messages, …)."""

    key: str
    title: str
    events: tuple[EventInfo, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The wire names of the group's events."""
        return tuple(e.name for e in self.events)


def _group(key: str, title: str, *events: tuple[str, str, str]) -> EventGroup:
    return EventGroup(
        key, title, tuple(EventInfo(f"{key}.{n}", title, label, m) for n, label, m in events)
    )


EVENT_GROUPS: tuple[EventGroup, ...] = (
    _group(
        "contact",
        "Contacts",
        ("created", "Contact created", "A new contact was added (by hand, import, form or API)."),
        ("updated", "Contact updated", "Any field of a contact changed."),
        (
            "lifecycle_changed",
            "Lifecycle stage changed",
            "A contact moved to another stage (lead, qualified, customer…).",
        ),
        ("tag_added", "Tag added", "A tag was added to a contact (one event per new tag)."),
    ),
    _group(
        "opportunity",
        "Opportunities",
        ("created", "Opportunity created", "A new deal was opened in a pipeline."),
        ("updated", "Opportunity updated", "A deal's value, owner or details changed."),
        ("stage_changed", "Opportunity stage changed", "A deal moved to another pipeline stage."),
        ("won", "Opportunity won", "A deal was marked as won."),
        ("lost", "Opportunity lost", "A deal was marked as lost."),
        ("deleted", "Opportunity deleted", "A deal was removed."),
    ),
    _group(
        "message",
        "Messages",
        ("received", "Message received", "A contact wrote in, on any channel."),
        ("sent", "Message sent", "A message to a contact left Seedly."),
        ("delivered", "Message delivered", "The provider confirmed a message reached the contact."),
        ("failed", "Message failed", "A message could not be delivered (the reason is included)."),
    ),
    _group(
        "appointment",
        "Appointments",
        ("booked", "Appointment booked", "An appointment was booked (online, by staff or API)."),
        ("cancelled", "Appointment cancelled", "An appointment was cancelled."),
        ("rescheduled", "Appointment rescheduled", "An appointment moved to another time."),
        ("confirmed", "Appointment confirmed", "The contact or staff confirmed an appointment."),
        ("completed", "Appointment completed", "An appointment took place."),
        ("no_show", "No-show", "The contact did not come to an appointment."),
    ),
    _group(
        "form",
        "Forms",
        ("submitted", "Form submitted", "Someone sent one of the sub-account's web forms."),
    ),
    _group(
        "invoice",
        "Invoices",
        ("paid", "Invoice paid", "An invoice was paid in full."),
    ),
    _group(
        "task",
        "Tasks",
        ("created", "Task created", "A to-do was created for a team member."),
        ("updated", "Task updated", "A task's title, due date or assignee changed."),
        ("completed", "Task completed", "A task was ticked off."),
        ("deleted", "Task deleted", "A task was removed."),
    ),
)
"""Every event, by group, in the order of the API notes."""

EVENTS: dict[str, EventInfo] = {e.name: e for g in EVENT_GROUPS for e in g.events}
"""Every event by wire name."""

assert tuple(EVENTS) == WEBHOOK_EVENTS, "the catalogue must list the 26 events in order"


def event_label(name: str) -> str:
    """The label of an event ("Message received"); an unknown (newer) event is shown
    readably from its wire name (docs/api/seedly-crm.md §12: new events may appear)."""
    info = EVENTS.get(name)
    if info is not None:
        return info.label
    return name.replace(".", " ").replace("_", " ").capitalize()


def events_summary(names: Iterable[str]) -> str:
    """A short description of a set of events for a table cell: "All 26 events",
    "All contact events, Message received", "3 events: …"."""
    chosen = list(dict.fromkeys(names))
    if not chosen:
        return "No events"
    if set(chosen) >= set(EVENTS):
        return f"All {len(EVENTS)} events"
    parts: list[str] = []
    left = list(chosen)
    for group in EVENT_GROUPS:
        if len(group.events) > 1 and set(group.names) <= set(left):
            parts.append(f"all {group.key} events")
            left = [n for n in left if n not in group.names]
    parts += [event_label(n) for n in left]
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


__all__ = ["EVENTS", "EVENT_GROUPS", "EventGroup", "EventInfo", "event_label", "events_summary"]
