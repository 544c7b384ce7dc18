"""Partitions keep two sub-accounts' data apart, by construction."""

from __future__ import annotations


import pytest

from app.storage import (
    CacheConstraintError,
    ContactFilters,
    ConversationFilters,
    Database,
    Partition,
    normalize_deployment,
)
from tests.unit.storage.docs import contact, conversation, message


def test_partition_is_stable_per_deployment_and_sub_account(db: Database) -> None:
    a1 = db.partition("https://crm.example.com", "sub_a")
    a2 = db.partition("  HTTPS://CRM.Example.com/ ", "sub_a")
    b = db.partition("https://crm.example.com", "sub_b")
    other_deployment = db.partition("https://other.example.com", "sub_a")
    assert a1.id == a2.id and a1 == a2
    assert len({a1.id, b.id, other_deployment.id}) == 3
    assert [p.sub_account_id for p in db.partitions()] == ["sub_a", "sub_b", "sub_a"]


def test_normalize_deployment() -> None:
    assert normalize_deployment("https://CRM.example.com/") == "https://crm.example.com"
    assert normalize_deployment("http://127.0.0.1:8080/base/") == "http://127.0.0.1:8080/base"
    with pytest.raises(ValueError):
        normalize_deployment("  ")


def test_empty_sub_account_is_refused(db: Database) -> None:
    with pytest.raises(ValueError):
        db.partition("https://crm.example.com", " ")


def test_same_contact_ids_never_mix(part: Partition, other: Partition) -> None:
    part.contacts.upsert_many([contact("c1", "Jane", "Smith", tags=["vip"], source="web")])
    other.contacts.upsert_many([contact("c1", "Bob", "Jones", tags=["cold"], source="import")])

    assert part.contacts.get("c1")["firstName"] == "Jane"  # type: ignore[index]
    assert other.contacts.get("c1")["firstName"] == "Bob"  # type: ignore[index]
    assert [c["firstName"] for c in part.contacts.search()] == ["Jane"]
    assert part.contacts.search("bob") == []
    assert other.contacts.search("jane") == []
    assert part.contacts.count("jane") == 1 and other.contacts.count("jane") == 0
    assert part.contacts.count("jones") == 0 and other.contacts.count("jones") == 1
    assert part.contacts.count("bob", ContactFilters(tags=("cold",))) == 0
    assert part.contacts.known_tags() == ["vip"] and other.contacts.known_tags() == ["cold"]
    assert part.contacts.known_sources() == ["web"]
    assert part.contacts.search(filters=ContactFilters(tags=("cold",))) == []

    assert part.contacts.delete_ids(["c1"]) == 1
    assert part.contacts.get("c1") is None
    assert other.contacts.get("c1") is not None
    assert other.contacts.count("bob") == 1
    assert other.contacts.known_tags() == ["cold"]


def test_search_stays_in_its_partition_for_many_matches(part: Partition, other: Partition) -> None:
    # Enough rows that both query plans (index walk and match lookup) are used.
    part.contacts.upsert_many([contact(f"a{i}", "Jane", f"A{i}") for i in range(60)])
    other.contacts.upsert_many([contact(f"b{i}", "Jane", f"B{i}") for i in range(60)])
    other.contacts.upsert_many([contact(f"x{i}", "Xavier", f"B{i}") for i in range(200)])
    assert part.contacts.count("jane") == 60
    assert {c["id"][0] for c in part.contacts.search("jane", limit=1000)} == {"a"}
    assert other.contacts.count("jane") == 60
    assert {c["id"][0] for c in other.contacts.search("jane", limit=1000)} == {"b"}
    assert {c["id"][0] for c in other.contacts.search("j", limit=1000)} == {"b"}


def test_inbox_data_never_mixes(part: Partition, other: Partition) -> None:
    part.conversations.upsert_conversations([conversation("v1", "Jane Smith", unreadCount=2)])
    other.conversations.upsert_conversations([conversation("v1", "Bob Jones", unreadCount=5)])
    part.messages.upsert_messages([message("m1", "v1", "2026-03-01T10:00:00Z", "invoice due")])
    other.messages.upsert_messages([message("m1", "v1", "2026-03-01T10:00:00Z", "pizza party")])

    mine = part.conversations.get_conversation("v1")
    assert mine is not None and mine["contact"]["firstName"] == "Jane"
    assert part.conversations.count_conversations(text="pizza") == 0
    assert other.conversations.count_conversations(text="invoice") == 0
    assert part.conversations.count_conversations(text="invoice") == 1
    assert part.conversations.count_conversations(text="bob") == 0
    assert part.conversations.unread_total() == 2 and other.conversations.unread_total() == 5
    assert part.messages.message_by_id("m1")["bodyText"] == "invoice due"  # type: ignore[index]
    assert [m["bodyText"] for m in other.messages.messages_page("v1")] == ["pizza party"]
    filters = ConversationFilters(contact_id="contact_v1")
    assert len(part.conversations.list_conversations(filters=filters)) == 1

    part.conversations.delete_conversations(["v1"])
    assert other.conversations.get_conversation("v1") is not None
    assert other.messages.count_messages("v1") == 1


def test_other_repositories_never_mix(part: Partition, other: Partition) -> None:
    part.state.set_state("cursor", "a")
    part.drafts.save_draft("v1", {"bodyText": "mine"})
    part.outbox.enqueue("client-1", "v1", {"bodyText": "hello"})
    part.webhooks.upsert_webhook({"id": "wh1", "url": "https://a.example.com"})
    part.calendars.replace_calendars([{"id": "cal1", "name": "Main"}])
    part.calendars.upsert_appointments(
        [{"id": "ap1", "calendarId": "cal1", "startTime": 1000, "endTime": 2000}]
    )
    part.custom_fields.replace_fields([{"name": "f1", "type": "text"}])

    assert other.state.get_state("cursor") is None
    assert other.drafts.draft("v1") is None
    assert other.outbox.get("client-1") is None and other.outbox.pending() == []
    assert other.webhooks.webhooks() == [] and other.webhooks.get_webhook("wh1") is None
    assert other.calendars.calendars() == []
    assert other.calendars.appointments_between(0, 10_000) == []
    assert other.custom_fields.fields() == []


def test_drop_partition_removes_everything_of_it_only(db: Database) -> None:
    a = db.partition("https://crm.example.com", "sub_a")
    b = db.partition("https://crm.example.com", "sub_b")
    for p in (a, b):
        p.contacts.upsert_many([contact("c1", tags=["vip"]), contact("c2", "Jo", "Lee")])
        p.conversations.upsert_conversations([conversation("v1")])
        p.messages.upsert_messages([message("m1", "v1", "2026-03-01T10:00:00Z", "invoice")])
        p.outbox.enqueue(f"client-{p.sub_account_id}", "v1", {"bodyText": "x"})
        p.drafts.save_draft("v1", {"bodyText": "d"})
        p.state.set_state("k", 1)

    assert db.drop_partition("https://CRM.example.com/", "sub_a") is True
    assert db.drop_partition("https://crm.example.com", "sub_a") is False
    assert [p.sub_account_id for p in db.partitions()] == ["sub_b"]

    assert b.contacts.count("jane") == 1 and b.contacts.known_tags() == ["vip"]
    assert b.conversations.count_conversations(text="invoice") == 1
    assert b.outbox.get("client-sub_b") is not None

    fresh = db.partition("https://crm.example.com", "sub_a")
    assert fresh.id != a.id
    assert fresh.contacts.count() == 0 and fresh.contacts.count("jane") == 0
    assert fresh.contacts.known_tags() == []
    assert fresh.conversations.count_conversations() == 0
    assert fresh.drafts.draft("v1") is None and fresh.state.get_state("k") is None

    # No orphans left behind in the side tables or the FTS indexes.
    with db.transaction() as conn:  # the FTS integrity check is a write command
        assert conn.execute("SELECT count(*) FROM contact_docs").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM contact_tags").fetchone()[0] == 1
        conn.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')")
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
        conn.execute("INSERT INTO conversations_fts (conversations_fts) VALUES ('integrity-check')")


def test_a_dropped_partition_object_cannot_write(db: Database) -> None:
    a = db.partition("https://crm.example.com", "sub_a")
    db.drop_partition("https://crm.example.com", "sub_a")
    with pytest.raises(CacheConstraintError):
        a.contacts.upsert_many([contact("c1")])
    with pytest.raises(CacheConstraintError):
        a.state.set_state("k", 1)
