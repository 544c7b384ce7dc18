"""The durable outbox: state machine, ordering, restarts, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from app.storage import (
    TRANSITIONS,
    Database,
    DuplicateClientIdError,
    IllegalTransitionError,
    Outbox,
    OutboxItem,
    OutboxItemNotFoundError,
    OutboxState,
    Partition,
)
from tests.unit.storage.docs import FakeClock

PAYLOAD = {"bodyText": "Hello {{firstName}}", "channel": "sms", "toAddress": "+15551234567"}

# How to bring a fresh (queued) item into each state through legal moves.
PATHS: dict[str, list[Callable[[Outbox, str], object]]] = {
    "queued": [],
    "sending": [lambda o, c: o.mark_sending(c)],
    "unknown": [lambda o, c: o.mark_sending(c), lambda o, c: o.mark_unknown(c)],
    "sent": [lambda o, c: o.mark_sending(c), lambda o, c: o.mark_sent(c, "msg_1")],
    "delivered": [
        lambda o, c: o.mark_sending(c),
        lambda o, c: o.mark_sent(c, "msg_1"),
        lambda o, c: o.mark_status(c, "delivered"),
    ],
    "read": [
        lambda o, c: o.mark_sending(c),
        lambda o, c: o.mark_sent(c, "msg_1"),
        lambda o, c: o.mark_status(c, "read"),
    ],
    "failed": [lambda o, c: o.mark_sending(c), lambda o, c: o.mark_failed(c, "rejected")],
    "cancelled": [lambda o, c: o.cancel(c)],
}

ACTIONS: dict[str, Callable[[Outbox, str], OutboxItem]] = {
    "mark_sending": lambda o, c: o.mark_sending(c),
    "mark_sent": lambda o, c: o.mark_sent(c, "msg_2"),
    "mark_status:delivered": lambda o, c: o.mark_status(c, "delivered"),
    "mark_status:read": lambda o, c: o.mark_status(c, "read"),
    "mark_status:failed": lambda o, c: o.mark_status(c, "failed", "carrier rejected"),
    "mark_status:bounced": lambda o, c: o.mark_status(c, "bounced"),
    "mark_failed": lambda o, c: o.mark_failed(c, "invalid number"),
    "mark_unknown": lambda o, c: o.mark_unknown(c),
    "requeue": lambda o, c: o.requeue(c),
    "retry": lambda o, c: o.retry(c),
    "cancel": lambda o, c: o.cancel(c),
}

# Written out by hand from the specification: (state, action) -> resulting
# state; every pair not listed must raise IllegalTransitionError.
LEGAL: dict[tuple[str, str], str] = {
    ("queued", "mark_sending"): "sending",
    ("queued", "cancel"): "cancelled",
    ("sending", "mark_sent"): "sent",
    ("sending", "mark_failed"): "failed",
    ("sending", "mark_unknown"): "unknown",
    ("sending", "requeue"): "queued",
    ("unknown", "mark_sent"): "sent",
    ("unknown", "mark_failed"): "failed",
    ("unknown", "requeue"): "queued",
    ("sent", "mark_status:delivered"): "delivered",
    ("sent", "mark_status:read"): "read",
    ("sent", "mark_status:failed"): "failed",
    ("sent", "mark_status:bounced"): "failed",
    ("delivered", "mark_status:delivered"): "delivered",  # repeated status: no-op
    ("delivered", "mark_status:read"): "read",
    ("delivered", "mark_status:failed"): "failed",
    ("delivered", "mark_status:bounced"): "failed",
    ("read", "mark_status:read"): "read",  # repeated status: no-op
    ("failed", "mark_status:failed"): "failed",  # repeated status: no-op
    ("failed", "mark_status:bounced"): "failed",  # repeated status: no-op
    ("failed", "retry"): "queued",
    ("failed", "cancel"): "cancelled",
}

ALL_PAIRS = [(state, action) for state in PATHS for action in ACTIONS]


def _item_in(outbox: Outbox, state: str, client_id: str = "cl-1") -> OutboxItem:
    outbox.enqueue(client_id, "conv-1", PAYLOAD)
    for step in PATHS[state]:
        step(outbox, client_id)
    item = outbox.get(client_id)
    assert item is not None and item.state == state
    return item


def test_the_table_matches_the_published_transitions() -> None:
    published = {(s.value, t.value) for s, targets in TRANSITIONS.items() for t in targets}
    moved = {(state, result) for (state, _), result in LEGAL.items() if state != result}
    assert moved == published


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS)
def test_every_transition(part: Partition, state: str, action: str) -> None:
    before = _item_in(part.outbox, state)
    expected = LEGAL.get((state, action))
    if expected is None:
        with pytest.raises(IllegalTransitionError) as info:
            ACTIONS[action](part.outbox, before.client_id)
        assert info.value.current == state
        after = part.outbox.get(before.client_id)
        assert after == before  # nothing changed, not even the timestamp
    else:
        after = ACTIONS[action](part.outbox, before.client_id)
        assert after.state == expected
        assert part.outbox.get(before.client_id) == after  # it was persisted


def test_enqueue(part: Partition, clock: FakeClock) -> None:
    item = part.outbox.enqueue("cl-1", "conv-1", PAYLOAD)
    assert item.state is OutboxState.QUEUED and item.pending
    assert item.payload == PAYLOAD and item.conversation_id == "conv-1"
    assert item.attempts == 0 and item.message_id is None and item.error is None
    assert item.created_ms == item.updated_ms == clock.now


def test_client_id_is_unique_across_partitions(part: Partition, other: Partition) -> None:
    part.outbox.enqueue("cl-1", "conv-1", PAYLOAD)
    with pytest.raises(DuplicateClientIdError):
        part.outbox.enqueue("cl-1", "conv-2", PAYLOAD)
    with pytest.raises(DuplicateClientIdError):
        other.outbox.enqueue("cl-1", "conv-1", PAYLOAD)
    assert len(part.outbox.pending()) == 1 and other.outbox.pending() == []


def test_empty_ids_are_refused(part: Partition) -> None:
    with pytest.raises(ValueError):
        part.outbox.enqueue("", "conv", PAYLOAD)
    with pytest.raises(ValueError):
        part.outbox.enqueue("cl", "", PAYLOAD)
    part.outbox.enqueue("cl", "conv", PAYLOAD)
    part.outbox.mark_sending("cl")
    with pytest.raises(ValueError):
        part.outbox.mark_sent("cl", "")
    with pytest.raises(ValueError):
        part.outbox.mark_status("cl", "teleported")


def test_unknown_client_id(part: Partition, other: Partition) -> None:
    with pytest.raises(OutboxItemNotFoundError):
        part.outbox.mark_sending("ghost")
    other.outbox.enqueue("theirs", "conv", PAYLOAD)
    with pytest.raises(OutboxItemNotFoundError):
        part.outbox.mark_sending("theirs")  # another partition's item is out of reach
    assert other.outbox.get("theirs").state == "queued"  # type: ignore[union-attr]


def test_details_recorded_by_transitions(part: Partition, clock: FakeClock) -> None:
    part.outbox.enqueue("cl", "conv", PAYLOAD)
    sending = part.outbox.mark_sending("cl")
    assert sending.attempts == 1 and sending.updated_ms == clock.now
    part.outbox.mark_failed("cl", "Number is not SMS capable")
    failed = part.outbox.get("cl")
    assert failed is not None and failed.error == "Number is not SMS capable" and not failed.pending
    retried = part.outbox.retry("cl")
    assert retried.error is None and retried.attempts == 1
    part.outbox.mark_sending("cl")
    part.outbox.mark_unknown("cl")
    requeued = part.outbox.requeue("cl")
    assert requeued.attempts == 2
    part.outbox.mark_sending("cl")
    sent = part.outbox.mark_sent("cl", "msg_42")
    assert sent.message_id == "msg_42" and sent.attempts == 3
    bounced = part.outbox.mark_status("cl", "bounced")
    assert bounced.state == "failed" and bounced.error == "bounced"
    again = part.outbox.retry("cl")
    assert again.message_id is None and again.error is None


def test_repeated_status_is_a_no_op(part: Partition) -> None:
    _item_in(part.outbox, "delivered")
    first = part.outbox.get("cl-1")
    assert part.outbox.mark_status("cl-1", "delivered") == first


def test_pending_is_queued_sending_unknown_oldest_first(part: Partition) -> None:
    for n in range(7):
        part.outbox.enqueue(f"cl{n}", f"conv{n}", {"n": n})
    part.outbox.mark_sending("cl1")  # sending
    part.outbox.mark_sending("cl2")
    part.outbox.mark_unknown("cl2")  # unknown
    part.outbox.mark_sending("cl3")
    part.outbox.mark_sent("cl3", "m3")  # sent: done
    part.outbox.mark_sending("cl4")
    part.outbox.mark_failed("cl4", "no")  # failed: waits for the user
    part.outbox.cancel("cl5")  # cancelled
    assert [i.client_id for i in part.outbox.pending()] == ["cl0", "cl1", "cl2", "cl6"]
    assert [i.state for i in part.outbox.pending()] == ["queued", "sending", "unknown", "queued"]


def test_pending_order_is_insertion_order_even_if_the_clock_goes_back(
    part: Partition, clock: FakeClock
) -> None:
    part.outbox.enqueue("first", "conv", PAYLOAD)
    clock.now -= 60_000
    part.outbox.enqueue("second", "conv", PAYLOAD)
    assert [i.client_id for i in part.outbox.pending()] == ["first", "second"]


def test_claim_next_takes_the_oldest_and_keeps_conversation_order(part: Partition) -> None:
    part.outbox.enqueue("a1", "conv-a", PAYLOAD)
    part.outbox.enqueue("b1", "conv-b", PAYLOAD)
    part.outbox.enqueue("a2", "conv-a", PAYLOAD)
    first = part.outbox.claim_next()
    assert first is not None and first.client_id == "a1" and first.state == "sending"
    assert first.attempts == 1
    # a2 must wait while a1 is in flight: b1 goes next.
    second = part.outbox.claim_next()
    assert second is not None and second.client_id == "b1"
    assert part.outbox.claim_next() is None
    part.outbox.mark_unknown("a1")
    assert part.outbox.claim_next() is None  # unknown blocks too: reconcile first
    part.outbox.mark_sent("a1", "msg_a1")
    third = part.outbox.claim_next()
    assert third is not None and third.client_id == "a2"
    assert part.outbox.claim_next() is None


def test_claim_next_for_one_conversation(part: Partition) -> None:
    part.outbox.enqueue("a1", "conv-a", PAYLOAD)
    part.outbox.enqueue("b1", "conv-b", PAYLOAD)
    claimed = part.outbox.claim_next("conv-b")
    assert claimed is not None and claimed.client_id == "b1"
    assert part.outbox.claim_next("conv-b") is None


def test_failed_items_do_not_block_their_conversation(part: Partition) -> None:
    part.outbox.enqueue("a1", "conv-a", PAYLOAD)
    part.outbox.enqueue("a2", "conv-a", PAYLOAD)
    part.outbox.claim_next()
    part.outbox.mark_failed("a1", "rejected")
    claimed = part.outbox.claim_next()
    assert claimed is not None and claimed.client_id == "a2"


def test_items_for_a_conversation(part: Partition) -> None:
    part.outbox.enqueue("a1", "conv-a", PAYLOAD)
    part.outbox.enqueue("b1", "conv-b", PAYLOAD)
    part.outbox.enqueue("a2", "conv-a", PAYLOAD)
    part.outbox.cancel("a1")
    assert [(i.client_id, i.state) for i in part.outbox.items_for("conv-a")] == [
        ("a1", "cancelled"),
        ("a2", "queued"),
    ]


def test_restart_keeps_items_and_turns_sending_into_unknown(db_path: Path) -> None:
    with Database.open(db_path) as db:
        outbox = db.partition("https://crm.example.com", "sub_a").outbox
        outbox.enqueue("q", "conv", {"bodyText": "queued one"})
        outbox.enqueue("s", "conv2", {"bodyText": "in flight"})
        outbox.enqueue("f", "conv3", {"bodyText": "failed one"})
        outbox.enqueue("d", "conv4", {"bodyText": "done"})
        outbox.mark_sending("s")  # the process dies while this request is out
        outbox.mark_sending("f")
        outbox.mark_failed("f", "rejected")
        outbox.mark_sending("d")
        outbox.mark_sent("d", "msg_d")

    with Database.open(db_path) as db:
        outbox = db.partition("https://crm.example.com", "sub_a").outbox
        pending = outbox.pending()
        assert [(i.client_id, i.state) for i in pending] == [("q", "queued"), ("s", "unknown")]
        assert pending[1].payload == {"bodyText": "in flight"} and pending[1].attempts == 1
        assert outbox.get("f").error == "rejected"  # type: ignore[union-attr]
        assert outbox.get("d").message_id == "msg_d"  # type: ignore[union-attr]
        # The unknown item cannot be sent again before reconciliation.
        with pytest.raises(IllegalTransitionError):
            outbox.mark_sending("s")
        assert outbox.claim_next() is not None  # 'q' (another conversation)
        assert outbox.requeue("s").state == "queued"


def test_claims_are_exclusive_across_threads(part: Partition) -> None:
    for n in range(60):
        part.outbox.enqueue(f"cl{n:02d}", f"conv{n}", PAYLOAD)
    claimed: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while (item := part.outbox.claim_next()) is not None:
            with lock:
                claimed.append(item.client_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(claimed) == [f"cl{n:02d}" for n in range(60)]
    assert all(i.attempts == 1 for i in part.outbox.pending())


def test_prune_removes_only_old_finished_items(part: Partition, clock: FakeClock) -> None:
    for state in ("queued", "sent", "failed", "cancelled", "read"):
        _item_in(part.outbox, state, client_id=f"old-{state}")
    cutoff = clock.now + 1
    _item_in(part.outbox, "sent", client_id="new-sent")
    assert part.outbox.prune(cutoff) == 3
    left = {i.client_id for i in part.outbox.items_for("conv-1")}
    assert left == {"old-queued", "old-failed", "new-sent"}
