"""Composer drafts and sync state: per partition, kept across restarts."""

from __future__ import annotations

from pathlib import Path

from app.storage import Database, Partition


def test_draft_round_trip(part: Partition) -> None:
    assert part.drafts.draft("conv-1") is None
    data = {"bodyText": "Hi {{firstName}}, ünïcode ✓", "channel": "email", "subject": "Re: x"}
    part.drafts.save_draft("conv-1", data)
    assert part.drafts.draft("conv-1") == data
    part.drafts.save_draft("conv-1", {"bodyText": "rewritten"})
    assert part.drafts.draft("conv-1") == {"bodyText": "rewritten"}
    part.drafts.save_draft("conv-2", {"bodyText": "other"})
    assert part.drafts.conversations_with_drafts() == {"conv-1", "conv-2"}
    assert part.drafts.clear_draft("conv-1") is True
    assert part.drafts.clear_draft("conv-1") is False
    assert part.drafts.draft("conv-1") is None
    assert part.drafts.conversations_with_drafts() == {"conv-2"}


def test_drafts_survive_a_restart(db_path: Path) -> None:
    with Database.open(db_path) as db:
        db.partition("https://crm.example.com", "sub_a").drafts.save_draft(
            "conv-1", {"bodyText": "half-written reply"}
        )
        db.partition("https://crm.example.com", "sub_b").drafts.save_draft(
            "conv-1", {"bodyText": "another account"}
        )
    with Database.open(db_path) as db:
        a = db.partition("https://crm.example.com", "sub_a")
        b = db.partition("https://crm.example.com", "sub_b")
        assert a.drafts.draft("conv-1") == {"bodyText": "half-written reply"}
        assert b.drafts.draft("conv-1") == {"bodyText": "another account"}


def test_sync_state_round_trip(part: Partition, other: Partition) -> None:
    assert part.state.get_state("contacts.cursor") is None
    assert part.state.get_state("contacts.cursor", "start") == "start"
    values = {
        "contacts.cursor": "eyJrIjoiY29udGFjdHMifQ",
        "contacts.high_water": "2026-11-22T07:56:58.393Z",
        "last_full_sync_ms": 1_795_334_216_865,
        "flags": {"initial": True, "pages": [1, 2, 3]},
        "nothing": None,
    }
    for key, value in values.items():
        part.state.set_state(key, value)
    for key, value in values.items():
        assert part.state.get_state(key, "default") == value
    part.state.set_state("last_full_sync_ms", 5)
    assert part.state.get_state("last_full_sync_ms") == 5
    assert part.state.state_keys() == sorted(values)
    assert part.state.delete_state("flags") is True
    assert part.state.delete_state("flags") is False
    assert other.state.state_keys() == []


def test_sync_state_survives_a_restart(db_path: Path) -> None:
    with Database.open(db_path) as db:
        db.partition("https://crm.example.com", "sub_a").state.set_state("cursor", [1, "x"])
    with Database.open(db_path) as db:
        assert db.partition("https://crm.example.com", "sub_a").state.get_state("cursor") == [
            1,
            "x",
        ]
