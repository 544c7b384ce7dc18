"""Conversations (views, filters, search, order) and messages (paging)."""

from __future__ import annotations

from typing import Any

import pytest

from app.storage import ConversationFilters, ConversationView, Partition
from tests.unit.storage.docs import conversation, message


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


@pytest.fixture
def inbox(part: Partition) -> Partition:
    part.conversations.upsert_conversations(
        [
            conversation("v1", "Jane Smith", "2026-03-01T10:00:00Z", assignedTo="usr_me",
                         unreadCount=2, channel="sms"),
            conversation("v2", "Bob Jones", "2026-03-05T10:00:00Z", assignedTo=None,
                         unreadCount=0, channel="email", subject="Quote for roof"),
            conversation("v3", "Ann Lee", "2026-03-03T10:00:00Z", assignedTo="usr_other",
                         unreadCount=1, status="snoozed", channel="sms"),
            conversation("v4", "Old Archived", "2026-03-09T10:00:00Z", isArchived=True,
                         unreadCount=7),
            conversation("v5", "Cara Diaz", "2026-03-03T10:00:00Z", assignedTo=None,
                         status="closed", channel="instagram"),
        ]
    )  # fmt: skip
    v1_contact = {"id": "contact_v1", "firstName": "Jane", "lastName": "Smith",
                  "email": "jane@acme.com", "phone": "+16175550101"}  # fmt: skip
    # A later answer for v1 carries the contact's email and phone.
    v1 = conversation(
        "v1", "Jane Smith", "2026-03-01T10:00:00Z", assignedTo="usr_me", unreadCount=2,
        contact=v1_contact,
    )  # fmt: skip
    part.conversations.upsert_conversations([v1])
    part.messages.upsert_messages(
        [
            message("m1", "v1", "2026-03-01T09:00:00Z", "Your invoice is overdue"),
            message("m2", "v2", "2026-03-05T10:00:00Z", "Can you send the quote?"),
            message("m3", "v3", "2026-03-03T10:00:00Z", None,
                    bodyHtml="<p>Pizza &amp; <b>beer</b></p>"),
        ]
    )  # fmt: skip
    return part


def test_ordered_by_last_activity_newest_first(inbox: Partition) -> None:
    # v3 and v5 share a time: the tie goes to the larger id first.
    assert ids(inbox.conversations.list_conversations()) == ["v2", "v5", "v3", "v1"]
    assert inbox.conversations.count_conversations() == 4


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (ConversationView.all(), ["v2", "v5", "v3", "v1"]),
        ("all", ["v2", "v5", "v3", "v1"]),
        (ConversationView.mine("usr_me"), ["v1"]),
        (ConversationView.mine("usr_nobody"), []),
        (ConversationView.unassigned(), ["v2", "v5"]),
        ("unassigned", ["v2", "v5"]),
        (ConversationView.unread(), ["v3", "v1"]),
        ("unread", ["v3", "v1"]),
    ],
)
def test_views(inbox: Partition, view: ConversationView | str, expected: list[str]) -> None:
    assert ids(inbox.conversations.list_conversations(view)) == expected
    assert inbox.conversations.count_conversations(view) == len(expected)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ConversationFilters(status="open"), ["v2", "v1"]),
        (ConversationFilters(status="closed"), ["v5"]),
        (ConversationFilters(channel="sms"), ["v3", "v1"]),
        (ConversationFilters(assigned_to="usr_other"), ["v3"]),
        (ConversationFilters(contact_id="contact_v2"), ["v2"]),
        (ConversationFilters(include_archived=True), ["v4", "v2", "v5", "v3", "v1"]),
        (ConversationFilters(channel="sms", status="snoozed"), ["v3"]),
    ],
)
def test_filters(inbox: Partition, filters: ConversationFilters, expected: list[str]) -> None:
    assert ids(inbox.conversations.list_conversations(filters=filters)) == expected
    assert inbox.conversations.count_conversations(filters=filters) == len(expected)


def test_view_and_filter_combine(inbox: Partition) -> None:
    unread_sms = inbox.conversations.list_conversations(
        "unread", ConversationFilters(channel="sms", status="open")
    )
    assert ids(unread_sms) == ["v1"]
    archived_unread = ConversationFilters(include_archived=True)
    assert ids(inbox.conversations.list_conversations("unread", archived_unread)) == [
        "v4",
        "v3",
        "v1",
    ]


def test_a_kept_conversation_stays_in_its_view_but_not_past_the_filters(inbox: Partition) -> None:
    repo = inbox.conversations
    kept = ConversationFilters(keep_id="v2")  # read, so no longer in Unread
    assert ids(repo.list_conversations("unread", kept)) == ["v2", "v3", "v1"]
    assert repo.count_conversations("unread", kept) == 3
    assert ids(repo.list_conversations(ConversationView.mine("usr_me"), kept)) == ["v2", "v1"]
    # Filters and search still apply to it.
    sms = ConversationFilters(channel="sms", keep_id="v2")
    assert ids(repo.list_conversations("unread", sms)) == ["v3", "v1"]
    assert ids(repo.list_conversations("unread", kept, text="jane")) == ["v1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane", ["v1"]),  # contact name
        ("jane@acme", ["v1"]),  # contact email
        ("5550101", ["v1"]),  # contact phone, by its last digits
        ("overdue", ["v1"]),  # message text
        ("jane invoice", ["v1"]),  # one term in the contact, one in a message
        ("roof", ["v2"]),  # subject
        ("quote", ["v2"]),
        ("beer", ["v3"]),  # text of an HTML-only message
        ("pizza beer", ["v3"]),
        ("jane pizza", []),
        ("archived", []),  # archived conversations stay hidden
        ('"', ["v2", "v5", "v3", "v1"]),
        ("NEAR( AND", []),
        ("🙂", ["v2", "v5", "v3", "v1"]),
    ],
)
def test_text_search(inbox: Partition, text: str, expected: list[str]) -> None:
    assert ids(inbox.conversations.list_conversations(text=text)) == expected
    assert inbox.conversations.count_conversations(text=text) == len(expected)


def test_search_with_view(inbox: Partition) -> None:
    assert ids(inbox.conversations.list_conversations("unassigned", text="quote")) == ["v2"]
    assert inbox.conversations.list_conversations("unread", text="quote") == []


def test_paging(inbox: Partition) -> None:
    page1 = inbox.conversations.list_conversations(limit=2)
    page2 = inbox.conversations.list_conversations(limit=2, offset=2)
    assert ids(page1 + page2) == ["v2", "v5", "v3", "v1"]
    with pytest.raises(ValueError):
        inbox.conversations.list_conversations(limit=-1)


def test_views_are_validated() -> None:
    with pytest.raises(ValueError):
        ConversationView("mine")
    with pytest.raises(ValueError):
        ConversationView("everything")  # type: ignore[arg-type]


def test_string_views_are_validated(inbox: Partition) -> None:
    with pytest.raises(ValueError):
        inbox.conversations.list_conversations("mine")
    with pytest.raises(ValueError):
        inbox.conversations.count_conversations("bogus")


def test_unread_total_skips_archived(inbox: Partition) -> None:
    assert inbox.conversations.unread_total() == 3


def test_upsert_is_idempotent_and_merges_partial_documents(inbox: Partition) -> None:
    full = inbox.conversations.get_conversation("v2")
    assert full is not None
    assert inbox.conversations.upsert_conversations([full]) == 0
    # The create endpoint answers without the embedded contact.
    partial = {"id": "v2", "contactId": "contact_v2", "channel": "email", "status": "closed",
               "created": False}  # fmt: skip
    assert inbox.conversations.upsert_conversations([partial]) == 1
    merged = inbox.conversations.get_conversation("v2")
    assert merged is not None
    assert merged["status"] == "closed" and merged["contact"] == full["contact"]
    assert ids(inbox.conversations.list_conversations(text="bob")) == ["v2"]
    closed = inbox.conversations.list_conversations(filters=ConversationFilters(status="closed"))
    assert ids(closed) == ["v2", "v5"]


def test_new_message_moves_its_conversation_up(inbox: Partition) -> None:
    assert ids(inbox.conversations.list_conversations())[-1] == "v1"
    inbox.messages.upsert_messages([message("m9", "v1", "2026-03-10T00:00:00Z", "new reply")])
    assert ids(inbox.conversations.list_conversations())[0] == "v1"
    # An older message does not move it back down, nor does a stale list refresh.
    inbox.messages.upsert_messages([message("m0", "v1", "2026-01-01T00:00:00Z", "ancient")])
    stale = conversation("v1", "Jane Smith", "2026-03-01T10:00:00Z", assignedTo="usr_me",
                         unreadCount=3)  # fmt: skip
    inbox.conversations.upsert_conversations([stale])
    assert ids(inbox.conversations.list_conversations())[0] == "v1"


def test_delete_conversations_takes_their_messages(inbox: Partition) -> None:
    assert inbox.conversations.delete_conversations(["v1", "v1", "nope"]) == 1
    assert inbox.conversations.delete_conversations([]) == 0
    assert inbox.conversations.get_conversation("v1") is None
    assert inbox.messages.message_by_id("m1") is None
    assert inbox.messages.count_messages("v1") == 0
    assert inbox.conversations.list_conversations(text="overdue") == []
    assert inbox.conversations.all_conversation_ids() == {"v2", "v3", "v4", "v5"}


# ----------------------------------------------------------------- messages


@pytest.fixture
def thread(part: Partition) -> Partition:
    msgs = [message(f"m{i:02d}", "t1", f"2026-04-01T10:{i // 2:02d}:00Z", f"body {i}")
            for i in range(25)]  # two messages share each minute  # fmt: skip
    msgs.append(message("x1", "t2", "2026-04-01T10:00:00Z", "other thread"))
    part.messages.upsert_messages(msgs)
    return part


def test_messages_page_newest_first(thread: Partition) -> None:
    page = thread.messages.messages_page("t1", limit=4)
    assert ids(page) == ["m24", "m23", "m22", "m21"]


def test_paging_with_before_neither_skips_nor_repeats(thread: Partition) -> None:
    seen: list[str] = []
    before: tuple[str | int, str] | None = None
    while True:
        page = thread.messages.messages_page("t1", before, limit=4)
        if not page:
            break
        seen += ids(page)
        before = (page[-1]["createdAt"], page[-1]["id"])
    assert seen == [f"m{i:02d}" for i in range(24, -1, -1)]


def test_before_accepts_epoch_ms(thread: Partition) -> None:
    ms = 1_775_037_720_000  # 2026-04-01T10:02:00Z
    assert ids(thread.messages.messages_page("t1", (ms, "m05"), limit=3)) == ["m04", "m03", "m02"]
    with pytest.raises(ValueError):
        thread.messages.messages_page("t1", ("yesterday", "m05"))


def test_latest_and_by_id(thread: Partition) -> None:
    latest = thread.messages.latest_message("t1")
    assert latest is not None and latest["id"] == "m24"
    assert thread.messages.latest_message("nope") is None
    previews = thread.messages.latest_messages(["t2", "t1", "none"])
    assert {k: v["id"] for k, v in previews.items()} == {"t2": "x1", "t1": "m24"}
    assert thread.messages.message_by_id("x1")["bodyText"] == "other thread"  # type: ignore[index]
    assert thread.messages.count_messages("t1") == 25


def test_message_status_update_is_an_upsert(thread: Partition) -> None:
    m = thread.messages.message_by_id("m03")
    assert m is not None
    assert thread.messages.upsert_messages([m]) == 0
    assert thread.messages.upsert_messages([{**m, "status": "read"}]) == 1
    assert thread.messages.message_by_id("m03")["status"] == "read"  # type: ignore[index]
    assert thread.messages.count_messages("t1") == 25


def test_message_without_conversation_is_refused(part: Partition) -> None:
    with pytest.raises(ValueError):
        part.messages.upsert_messages([{"id": "m1", "bodyText": "x"}])
