"""``server_copy_of``: the outbox's one rule for "this server message is our item, sent"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.models import Message, parse
from app.services.bus import EventBus, ScopeKey
from app.services.outbox import (
    CLOCK_SKEW_MS,
    OutboxSender,
    ServerMessage,
    copy_window_start_ms,
    server_copy_of,
)
from app.storage import OutboxItem, OutboxState

QUEUED_MS = 1_800_000_000_000


def _item(body: str = "Hi {{firstName}}, see you", channel: str | None = "sms") -> OutboxItem:
    payload: dict[str, Any] = {"bodyText": body}
    if channel is not None:
        payload["channel"] = channel
    return OutboxItem(
        client_id="cl_1",
        conversation_id="conv_1",
        payload=payload,
        state=OutboxState.UNKNOWN,
        attempts=1,
        message_id=None,
        error=None,
        created_ms=QUEUED_MS,
        updated_ms=QUEUED_MS,
    )


def _msg(
    message_id: str,
    seconds_after: float = 1,
    body: str = "Hi Thea, see you",
    direction: str = "outbound",
    channel: str | None = "sms",
) -> ServerMessage:
    return ServerMessage(
        message_id, QUEUED_MS + int(seconds_after * 1000), direction, channel, body
    )


def test_the_rendered_message_is_the_copy() -> None:
    assert server_copy_of(_item(), [_msg("m1")], claimed=set()) == "m1"


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (_msg("m1", direction="inbound"), "not sent by the business"),
        (_msg("m1", direction="note"), "only 'outbound' counts"),
        (_msg("m1", channel="email"), "another channel"),
        (_msg("m1", channel=None), "no channel where the item names one"),
        (_msg("m1", body="Hi Thea, see you tomorrow"), "other text"),
        (_msg("m1", body=""), "no text"),
    ],
)
def test_what_is_not_the_copy(message: ServerMessage, why: str) -> None:
    assert server_copy_of(_item(), [message], claimed=set()) is None, why


def test_an_item_without_a_channel_matches_any_channel() -> None:
    item = _item(channel=None)
    assert server_copy_of(item, [_msg("m1", channel="email")], claimed=set()) == "m1"
    assert server_copy_of(item, [_msg("m1", channel=None)], claimed=set()) == "m1"


def test_a_message_claimed_by_another_item_is_not_the_copy() -> None:
    newest_first = [_msg("m2", 5), _msg("m1", 2)]
    assert server_copy_of(_item(), newest_first, claimed={"m1"}) == "m2"
    assert server_copy_of(_item(), newest_first, claimed={"m1", "m2"}) is None


def test_of_several_matches_the_oldest_is_the_copy() -> None:
    newest_first = [_msg("m3", 9), _msg("m2", 5), _msg("m1", 2)]
    assert server_copy_of(_item(), newest_first, claimed=set()) == "m1"


def test_the_window_tolerates_clock_skew_and_no_more() -> None:
    item = _item()
    assert copy_window_start_ms(item) == QUEUED_MS - CLOCK_SKEW_MS
    skewed = _msg("m1", -CLOCK_SKEW_MS / 1000)  # stamped exactly at the window's start
    assert server_copy_of(item, [skewed], claimed=set()) == "m1"
    too_old = _msg("m0", -CLOCK_SKEW_MS / 1000 - 0.001)
    assert server_copy_of(item, [too_old], claimed=set()) is None


def test_reading_stops_at_the_first_message_older_than_the_window() -> None:
    read: list[str] = []

    def newest_first() -> Iterator[ServerMessage]:
        for message in [_msg("m2", 5), _msg("old", -3600), _msg("m1", 2)]:
            read.append(message.message_id)
            yield message

    # m1 is out of order after an old message: never read, so m2 is the copy.
    assert server_copy_of(_item(), newest_first(), claimed=set()) == "m2"
    assert read == ["m2", "old"]


def _wire(message_id: str, created_at: str, body: str) -> Message:
    return parse(
        Message,
        {
            "id": message_id,
            "conversationId": "conv_1",
            "channel": "sms",
            "direction": "outbound",
            "bodyText": body,
            "status": "sent",
            "isInternal": False,
            "createdAt": created_at,
        },
    )


def test_the_facts_of_a_client_message() -> None:
    facts = ServerMessage.of(_wire("m1", "2026-12-01T10:00:00Z", "Hi"))
    assert facts == ServerMessage("m1", 1_796_119_200_000, "outbound", "sms", "Hi")


@pytest.mark.asyncio
async def test_reconcile_marks_the_item_sent_with_the_copy_the_rule_finds(
    tmp_path: Path,
) -> None:
    from app.storage import Database

    class Thread:
        def __init__(self, messages: list[Message]) -> None:
            self.messages = messages
            self.read = 0

        async def iter_messages(self, conversation_id: str, limit: int) -> AsyncIterator[Message]:
            for message in self.messages:
                self.read += 1
                yield message

    db = Database.open(tmp_path / "cache.sqlite3", clock=lambda: 1_796_119_200_000)
    try:
        partition = db.partition("https://crm.example", "sub_1")
        item = partition.outbox.enqueue(
            "cl_1", "conv_1", {"bodyText": "Hi {{x}}", "channel": "sms"}
        )
        partition.outbox.mark_sending("cl_1")
        partition.outbox.mark_unknown("cl_1")
        thread = Thread(
            [
                _wire("m3", "2026-12-01T10:00:09Z", "Hi again"),
                _wire("m2", "2026-12-01T10:00:05Z", "Hi Thea"),
                _wire("m1", "2026-12-01T10:00:02Z", "Hi Theo"),
                _wire("m0", "2026-11-30T10:00:00Z", "Hi Old"),
                _wire("never", "2026-12-01T10:00:01Z", "Hi Late"),
            ]
        )
        sender = OutboxSender(
            partition.outbox, thread, EventBus(), ScopeKey("https://crm.example", "sub_1")
        )
        found = await sender.reconcile(item)
        assert found is not None and found.id == "m1"  # the oldest match in the window
        assert thread.read == 4  # stopped at the first message older than the window
        stored = partition.outbox.get("cl_1")
        assert stored is not None and stored.state is OutboxState.SENT
        assert stored.message_id == "m1"
    finally:
        db.close()
