"""``SyncMarks``: the typed sync-state accessors, and the keys they keep on disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.storage import InboxMap, Partition, SyncKind, SyncMarks

APP = Path(__file__).resolve().parents[3] / "app"


def test_a_fresh_partition_has_no_marks(part: Partition) -> None:
    marks = part.marks
    assert isinstance(marks, SyncMarks)
    assert marks.last_success_ms() is None
    assert marks.full_sync_ms(SyncKind.CONTACTS) is None
    assert marks.high_water_mark(SyncKind.CONVERSATIONS) is None
    assert marks.thread_cursor("conv_1") is None
    assert marks.inbox_map(InboxMap.SNOOZES) == {} and marks.snoozes() == {}
    assert marks.inbox_identity() is None
    assert part.state.state_keys() == []


def test_values_round_trip_under_the_keys_older_caches_hold(part: Partition) -> None:
    """The key names are part of the file format: caches written before the accessors
    existed must still be read."""
    marks = part.marks
    marks.set_last_success_ms(1_700)
    marks.set_full_sync_ms(SyncKind.CONTACTS, 1_800)
    marks.set_full_sync_ms(SyncKind.CONVERSATIONS, 1_900)
    marks.set_high_water_mark(SyncKind.CONTACTS, "2026-01-02T00:00:00.000Z")
    marks.set_thread_cursor("conv_1", "cur_9")
    marks.set_inbox_map(InboxMap.SNOOZES, {"conv_1": 5})
    marks.set_inbox_map(InboxMap.MARKED_UNREAD, {"conv_2": {"at": None, "was": 0}})
    marks.set_inbox_map(InboxMap.MARKED_READ, {"conv_3": {"at": "x", "was": 2}})
    marks.set_inbox_identity("user_7")
    state = part.state
    assert state.get_state("last_success_ms") == 1_700
    assert state.get_state("contacts_full_ms") == 1_800
    assert state.get_state("conversations_full_ms") == 1_900
    assert state.get_state("contacts_hwm") == "2026-01-02T00:00:00.000Z"
    assert state.get_state("thread_cursor:conv_1") == "cur_9"
    assert state.get_state("inbox_snoozes") == {"conv_1": 5}
    assert state.get_state("inbox_marked_unread") == {"conv_2": {"at": None, "was": 0}}
    assert state.get_state("inbox_marked_read") == {"conv_3": {"at": "x", "was": 2}}
    assert state.get_state("inbox_me") == "user_7"
    assert marks.last_success_ms() == 1_700
    assert marks.full_sync_ms(SyncKind.CONTACTS) == 1_800
    assert marks.full_sync_ms(SyncKind.CONVERSATIONS) == 1_900
    assert marks.high_water_mark(SyncKind.CONTACTS) == "2026-01-02T00:00:00.000Z"
    assert marks.high_water_mark(SyncKind.CONVERSATIONS) is None
    assert marks.thread_cursor("conv_1") == "cur_9" and marks.thread_cursor("conv_2") is None
    assert marks.snoozes() == {"conv_1": 5}
    assert marks.inbox_identity() == "user_7"


def test_a_thread_whose_start_was_reached_keeps_an_empty_cursor(part: Partition) -> None:
    part.marks.set_thread_cursor("conv_1", None)
    assert part.marks.thread_cursor("conv_1") == ""  # read, and nothing older: not None
    part.marks.set_thread_cursor("conv_2", "")
    assert part.marks.thread_cursor("conv_2") == ""


def test_forgetting_a_full_sync_and_the_identity(part: Partition) -> None:
    part.marks.set_full_sync_ms(SyncKind.CONVERSATIONS, 5)
    assert part.marks.forget_full_sync(SyncKind.CONVERSATIONS) is True
    assert part.marks.full_sync_ms(SyncKind.CONVERSATIONS) is None
    assert part.marks.forget_full_sync(SyncKind.CONVERSATIONS) is False
    part.marks.set_inbox_identity("user_7")
    part.marks.set_inbox_identity(None)
    assert part.marks.inbox_identity() is None and "inbox_me" not in part.state.state_keys()


def test_unreadable_values_read_as_absent(part: Partition) -> None:
    part.state.set_state("last_success_ms", "yesterday")
    part.state.set_state("contacts_full_ms", True)
    part.state.set_state("contacts_hwm", 12)
    part.state.set_state("thread_cursor:conv_1", 3)
    part.state.set_state("inbox_snoozes", {"a": 5, "b": "soon", "c": False, "d": 6.0})
    part.state.set_state("inbox_marked_unread", ["not", "a", "map"])
    assert part.marks.last_success_ms() is None
    assert part.marks.full_sync_ms(SyncKind.CONTACTS) is None
    assert part.marks.high_water_mark(SyncKind.CONTACTS) is None
    assert part.marks.thread_cursor("conv_1") is None
    assert part.marks.snoozes() == {"a": 5, "d": 6}
    assert part.marks.inbox_map(InboxMap.MARKED_UNREAD) == {}


def test_an_inbox_map_is_a_copy(part: Partition) -> None:
    part.marks.set_inbox_map(InboxMap.SNOOZES, {"conv_1": 5})
    copy = part.marks.inbox_map(InboxMap.SNOOZES)
    copy["conv_2"] = 6
    assert part.marks.inbox_map(InboxMap.SNOOZES) == {"conv_1": 5}


def test_marks_belong_to_one_partition(part: Partition, other: Partition) -> None:
    part.marks.set_full_sync_ms(SyncKind.CONTACTS, 1)
    part.marks.set_inbox_identity("user_a")
    assert other.marks.full_sync_ms(SyncKind.CONTACTS) is None
    assert other.marks.inbox_identity() is None


@pytest.mark.parametrize("layer", ["services", "ui"])
def test_no_module_reads_the_sync_state_by_raw_key(layer: str) -> None:
    """Keys are spelled only in ``SyncMarks``: nothing outside storage calls the raw store."""
    raw = re.compile(r"\.state\.(get_state|set_state|delete_state)\(")
    offenders = [
        f"{path.relative_to(APP)}:{number}"
        for path in sorted((APP / layer).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if raw.search(line)
    ]
    assert offenders == []
