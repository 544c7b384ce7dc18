"""Conversations area of the sandbox: pure rules, then delivery jobs and demo seed in process."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.sandbox import jobs, seed
from app.sandbox.crm import contacts, conversations
from app.sandbox.crm.conversations import (
    contact_address,
    delivery_outcome,
    dnd_blocks,
    preview,
    reaches_read,
    reply_subject,
    resolve_merge_fields,
    sms_keyword,
    split_name,
)
from app.sandbox.http import ApiError
from app.sandbox.server import build_sandbox
from app.sandbox.state import SandboxConfig
from app.sandbox.store import Store

CONTACT: dict[str, Any] = {
    "id": "contact_1",
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane@example.com",
    "phone": "+15551234567",
    "company": "Acme Corp",
    "customFields": {
        "preferred_language": "Spanish",
        "visits": 3.0,
        "vip": True,
        "ratio": 0.5,
        "opt_in": False,
    },
}


# -- merge fields --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello {{firstName}}", "Hello Jane"),
        (
            "{{firstName}} {{lastName}} <{{email}}> {{phone}} @ {{company}}",
            "Jane Doe <jane@example.com> +15551234567 @ Acme Corp",
        ),
        ("{{fullName}}", "Jane Doe"),
        ("{{ firstName }}|{{firstName  }}|{{  fullName}}", "Jane|Jane|Jane Doe"),
        ("{{custom_values.preferred_language}}", "Spanish"),
        ("{{ custom_values.visits }}", "3"),
        ("{{custom_values.vip}}/{{custom_values.opt_in}}", "Yes/No"),
        ("{{custom_values.ratio}}", "0.5"),
        ("[{{custom_values.missing}}]", "[]"),
        ("{{unknown}} and {{FirstName}} stay", "{{unknown}} and {{FirstName}} stay"),
        ("{{firstName}", "{{firstName}"),
        ("{firstName}", "{firstName}"),
        ("no fields at all", "no fields at all"),
        ("{{firstName}}{{firstName}}", "JaneJane"),
    ],
)
def test_merge_fields(text: str, expected: str) -> None:
    assert resolve_merge_fields(text, CONTACT) == expected


def test_merge_fields_with_missing_values() -> None:
    sparse = {"id": "c", "firstName": "Al", "lastName": "", "email": None, "customFields": None}
    text = "{{fullName}}|{{lastName}}|{{email}}|{{phone}}|{{company}}"
    assert resolve_merge_fields(text, sparse) == "Al||||"
    assert resolve_merge_fields("Hi {{firstName}}", None) == "Hi "
    assert resolve_merge_fields(None, CONTACT) is None
    assert resolve_merge_fields("", CONTACT) == ""


def test_merge_fields_escape_values_for_html_only() -> None:
    risky = {**CONTACT, "firstName": "<script>", "company": "A & B"}
    assert (
        resolve_merge_fields("<p>{{firstName}} {{company}}</p>", risky, escape_html=True)
        == "<p>&lt;script&gt; A &amp; B</p>"
    )
    assert resolve_merge_fields("{{firstName}} {{company}}", risky) == "<script> A & B"


# -- sms keywords, DND, outcomes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        ("  Stop\n", "stop"),
        ("STOPALL", "stop"),
        ("unsubscribe", "stop"),
        ("Cancel", "stop"),
        ("END", "stop"),
        ("quit", "stop"),
        ("START", "start"),
        ("unstop", "start"),
        (" Start ", "start"),
        ("stop calling me", None),
        ("STOP!", None),
        ("please stop", None),
        ("", None),
        (None, None),
        ("yes", None),
        ("STARTED", None),
    ],
)
def test_sms_keywords(text: str | None, keyword: str | None) -> None:
    assert sms_keyword(text) == keyword


def test_dnd_covers_the_channel_and_email_covers_gmail() -> None:
    assert dnd_blocks("sms", ["sms"]) and not dnd_blocks("email", ["sms"])
    assert dnd_blocks("gmail", ["email"]) and dnd_blocks("email", ["gmail"])
    assert not dnd_blocks("sms", None) and not dnd_blocks("messenger", [])
    assert dnd_blocks("instagram", ["instagram"]) and not dnd_blocks("messenger", ["instagram"])


@pytest.mark.parametrize(
    ("channel", "address", "status"),
    [
        ("email", "jane@example.com", "delivered"),
        ("email", "bounce@example.com", "bounced"),
        ("gmail", "jane@bounce.example", "bounced"),
        ("email", "fail@example.com", "failed"),
        ("sms", "+15550001234", "failed"),
        ("sms", "+15551234567", "delivered"),
        ("sms", "+15550011234", "delivered"),
        ("messenger", "Will Fail", "failed"),
        ("social_dm", None, "delivered"),
        ("sms", "bounce", "delivered"),  # "bounce" only means something to email
    ],
)
def test_delivery_outcome(channel: str, address: str | None, status: str) -> None:
    got, error = delivery_outcome(channel, address)
    assert got == status
    assert (error is None) == (status == "delivered")
    if error:
        assert address and address in error


def test_reads_are_a_deterministic_share() -> None:
    ids = [f"msg_{i:016x}" for i in range(2000)]
    share = sum(reaches_read(i) for i in ids) / len(ids)
    assert 0.3 < share < 0.5
    assert [reaches_read(i) for i in ids[:50]] == [reaches_read(i) for i in ids[:50]]


# -- small text rules ----------------------------------------------------------------------------


def test_reply_subject_does_not_stack() -> None:
    assert reply_subject("Quote") == "Re: Quote"
    assert reply_subject("Re: Quote") == "Re: Quote"
    assert reply_subject("RE: Quote") == "RE: Quote"


def test_preview_is_one_short_line() -> None:
    assert preview("Hi,\n\n  see   you\tsoon") == "Hi, see you soon"
    long = preview("word " * 100)
    assert long is not None and len(long) == 140 and long.endswith("…")
    assert preview(None) is None and preview("") is None


def test_split_name() -> None:
    assert split_name("Vera van Dijk") == ("Vera", "van Dijk")
    assert split_name("  Cher  ") == ("Cher", "")
    assert split_name("") == ("", "")


def test_contact_address_per_channel() -> None:
    assert contact_address("sms", CONTACT) == "+15551234567"
    assert contact_address("email", CONTACT) == "jane@example.com"
    assert contact_address("gmail", CONTACT) == "jane@example.com"
    assert contact_address("live_chat", CONTACT) == "jane@example.com"
    assert contact_address("instagram", {**CONTACT, "lastName": "O'Neil-Doe"}) == "@jane.oneildoe"
    assert contact_address("messenger", CONTACT) == "Jane Doe"
    assert contact_address("social_dm", CONTACT) == "Jane Doe"
    assert contact_address("sms", {**CONTACT, "phone": None}) is None
    assert contact_address("sms", None) is None


# -- in process: the store, the jobs, the demo data ---------------------------------------------


def new_store(tmp_path: Path, mode: str, name: str = "s") -> Store:
    """A seeded store of a new server (every area registered)."""
    return build_sandbox(SandboxConfig(data_dir=tmp_path / name, seed=mode)).state.store


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[Store]:
    store = new_store(tmp_path, "empty")
    yield store
    store.close()


def advance(store: Store, ms: int) -> None:
    store.clock.advance(ms)


def event_names(store: Store, message_id: str) -> list[str]:
    rows = store.all("SELECT name, body FROM events ORDER BY seq")
    return [r["name"] for r in rows if json.loads(r["body"])["data"].get("messageId") == message_id]


def test_delivery_jobs_step_by_step(empty_store: Store) -> None:
    store = empty_store
    sub = "sub_harbor_dental"
    with store.transaction():
        contact = contacts.insert_contact(
            store, sub, {"firstName": "Jo", "lastName": "Ng", "phone": "+16175550101"}
        )
        conv, created = conversations.open_conversation(store, sub, contact["id"], "sms")
        again, created_again = conversations.open_conversation(store, sub, contact["id"], "sms")
        message = conversations.send_message(
            store, sub, conv["id"], body_text="Hi {{firstName}}", channel="sms"
        )
    assert created and not created_again and again["id"] == conv["id"]
    assert message["status"] == "pending" and message["bodyText"] == "Hi Jo"

    def status() -> str:
        row = store.one("SELECT status FROM messages WHERE id = ?", (message["id"],))
        assert row is not None
        return str(row["status"])

    jobs.run_due(store)
    assert status() == "pending"  # nothing is due yet
    advance(store, 1_500)
    jobs.run_due(store)
    assert status() == "sent"
    advance(store, 3_000)
    jobs.run_due(store)
    assert status() == "delivered"
    advance(store, 10_000)
    assert jobs.run_due(store) == 0  # sms is never "read"
    assert event_names(store, message["id"]) == ["message.sent", "message.delivered"]


def test_inbound_stop_then_skipped_send_in_process(empty_store: Store) -> None:
    store = empty_store
    sub = "sub_summit_roofing"
    with store.transaction():
        contact = contacts.insert_contact(
            store,
            sub,
            {"firstName": "Al", "lastName": "Bo", "phone": "+13035550199", "tags": ["vip"]},
        )
        conv, _ = conversations.open_conversation(store, sub, contact["id"], "sms")
        conversations.set_status(store, sub, conv["id"], "closed")
        stop = conversations.receive_inbound(store, sub, conv["id"], "STOP")
        skipped = conversations.send_message(
            store, sub, conv["id"], body_text="Deal!", channel="sms"
        )
    loaded = contacts.load(store, sub, contact["id"])
    assert loaded is not None and loaded["dndChannels"] == ["sms"]
    assert loaded["engagementScore"] == 2
    after = conversations.get_conversation(store, sub, conv["id"])
    assert after is not None and after["status"] == "open" and after["unreadCount"] == 0
    assert skipped["status"] == "failed" and "DND" in (skipped["errorMessage"] or "")
    assert store.scalar("SELECT COUNT(*) FROM jobs") == 0
    assert event_names(store, stop["id"]) == ["message.received"]
    assert event_names(store, skipped["id"]) == []
    with store.transaction():
        assert conversations.set_status(store, sub, "conv_nope", "open") is None
        with pytest.raises(ApiError) as info:
            conversations.receive_inbound(store, sub, "conv_nope", "hi")
        assert info.value.status == 404
        with pytest.raises(ApiError) as info:
            conversations.open_conversation(store, sub, "contact_nope", "sms")
        assert info.value.status == 404 and info.value.field == "contactId"


def test_cascade_soft_deletes_conversations(empty_store: Store) -> None:
    store = empty_store
    sub = "sub_harbor_dental"
    with store.transaction():
        contact = contacts.insert_contact(
            store, sub, {"firstName": "Di", "lastName": "Ko", "email": "di@example.com"}
        )
        conv, _ = conversations.open_conversation(store, sub, contact["id"], "email", "Hello")
        for hook in store.hooks.contact_deleted:
            hook(store, sub, contact["id"])
    assert conversations.get_conversation(store, sub, conv["id"]) is None
    deleted = store.scalar("SELECT deleted_ms FROM conversations WHERE id = ?", (conv["id"],))
    assert deleted is not None


def test_empty_seed_makes_no_conversations(empty_store: Store) -> None:
    assert empty_store.scalar("SELECT COUNT(*) FROM conversations") == 0
    assert empty_store.scalar("SELECT COUNT(*) FROM messages") == 0


def test_demo_seed_is_deterministic_and_shaped_like_a_real_inbox(tmp_path: Path) -> None:
    first = new_store(tmp_path, "demo", "a")
    second = new_store(tmp_path, "demo", "b")
    try:
        query = (
            "SELECT m.id, m.conversation_id, json_extract(m.doc, '$.bodyText'), m.status, "
            "m.direction FROM messages m ORDER BY m.id"
        )
        assert first.all(query) and [tuple(r) for r in first.all(query)] == [
            tuple(r) for r in second.all(query)
        ]
        seeded_ms = int(first.meta("seeded_ms") or 0)
        for acct in seed._accounts():
            sub = acct.id
            convs = first.all("SELECT * FROM conversations WHERE sub_account_id = ?", (sub,))
            assert len(convs) == acct.conversations
            docs = [json.loads(r["doc"]) for r in convs]
            channels = Counter(d["channel"] for d in docs)
            assert set(channels) == {
                "sms",
                "email",
                "gmail",
                "messenger",
                "instagram",
                "live_chat",
                "social_dm",
            }
            ages = [seeded_ms - r["sort_ms"] for r in convs]
            assert sum(age < 86_400_000 for age in ages) >= 5  # several in the last day
            assert max(ages) <= 61 * 86_400_000
            assert sum(d["unreadCount"] > 0 for d in docs) >= 5
            assert {d["status"] for d in docs} == {"open", "closed", "snoozed"}
            assert any(d["assignedTo"] for d in docs) and any(not d["assignedTo"] for d in docs)
            assert len({(d["contactId"], d["channel"]) for d in docs}) == len(docs)
            sizes = [
                r[0]
                for r in first.all(
                    "SELECT COUNT(*) FROM messages WHERE sub_account_id = ? GROUP BY conversation_id",
                    (sub,),
                )
            ]
            assert min(sizes) == 1 and max(sizes) >= 80
            if sub == "sub_harbor_dental":
                assert max(sizes) >= 120
            statuses = {
                tuple(r)
                for r in first.all(
                    "SELECT direction, status, is_internal FROM messages WHERE sub_account_id = ?",
                    (sub,),
                )
            }
            assert {
                ("outbound", "delivered", 0),
                ("outbound", "read", 0),
                ("outbound", "failed", 0),
                ("inbound", "delivered", 0),
                ("outbound", "sent", 1),
            } <= statuses
            assert ("outbound", "pending", 0) not in statuses  # nothing would ever deliver it
            for doc in docs:
                last = first.one(
                    "SELECT doc FROM messages WHERE conversation_id = ? AND is_internal = 0 "
                    "ORDER BY created_ms DESC, seq DESC LIMIT 1",
                    (doc["id"],),
                )
                assert last is not None
                assert json.loads(last["doc"])["createdAt"] == doc["lastMessageAt"]
                if doc["channel"] in ("email", "gmail"):
                    assert doc["subject"]
            name = acct.name
            bodies = " ".join(
                r[0]
                for r in first.all(
                    "SELECT json_extract(doc, '$.bodyText') FROM messages WHERE sub_account_id = ?",
                    (sub,),
                )
            )
            assert name in bodies
            docs_dnd = [
                json.loads(r["doc"]).get("dndChannels")
                for r in first.all("SELECT doc FROM contacts WHERE sub_account_id = ?", (sub,))
            ]
            assert docs_dnd.count(["sms"]) == 1  # the one recent sms thread ending in STOP
    finally:
        first.close()
        second.close()
