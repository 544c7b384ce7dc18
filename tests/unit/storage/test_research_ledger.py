"""The Seamless research ledger and spend log."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.storage import Database


def test_record_and_get(db: Database) -> None:
    ledger = db.research_ledger("key-owner-1")
    assert ledger.get("contact", "sr1") is None
    queued = ledger.record("contact", "sr1", "req1", "queued", None, 0, 1000)
    assert queued.status == "queued" and queued.record is None
    done = ledger.record("contact", "sr1", "req1", "done", {"email": "a@b.c"}, 1, 2000)
    assert done.record == {"email": "a@b.c"} and done.credits == 1 and done.at_ms == 2000
    # A status-only update keeps the record already held.
    later = ledger.record("contact", "sr1", None, "duplicate", None, 0, 3000)
    assert later.record == {"email": "a@b.c"} and later.request_id == "req1"
    assert ledger.get("contact", "sr1") == later
    assert ledger.get("company", "sr1") is None  # kinds are separate


def test_kind_and_credits_are_checked(db: Database) -> None:
    ledger = db.research_ledger("k")
    with pytest.raises(ValueError):
        ledger.record("person", "sr1", None, "done", None, 1, 0)
    with pytest.raises(ValueError):
        ledger.record("contact", "sr1", None, "done", None, -1, 0)
    with pytest.raises(ValueError):
        ledger.list("people")
    with pytest.raises(ValueError):
        db.research_ledger(" ")


def test_already_researched(db: Database) -> None:
    ledger = db.research_ledger("k")
    ledger.record("contact", "done", "r", "done", {"x": 1}, 1, 1)
    ledger.record("contact", "dup", "r", "contact-already-researched", None, 0, 2)
    ledger.record("contact", "dup2", "r", "duplicate", None, 0, 2)
    ledger.record("contact", "pending", "r", "researching", None, 0, 3)
    ledger.record("contact", "missing", "r", "not found", None, 0, 4)
    ledger.record("contact", "err", "r", "error", None, 0, 5)
    ledger.record("company", "co", "r", "done", {"name": "Acme"}, 1, 6)
    asked = ["done", "dup", "dup2", "pending", "missing", "err", "co", "never"]
    assert ledger.already_researched("contact", asked) == {"done", "dup", "dup2"}
    assert ledger.already_researched("company", asked) == {"co"}
    assert ledger.already_researched("contact", asked, statuses={"not found"}) == {
        "done",
        "missing",
    }
    many = [f"id{i}" for i in range(1200)] + ["done"]
    assert ledger.already_researched("contact", many) == {"done"}
    assert ledger.already_researched("contact", []) == set()


def test_list_newest_first_with_paging(db: Database) -> None:
    ledger = db.research_ledger("k")
    for i in range(5):
        ledger.record("contact", f"sr{i}", f"r{i}", "done", {"i": i}, 1, 1000 + i)
    ledger.record("company", "co", "r", "done", None, 1, 9999)
    assert [r.search_result_id for r in ledger.list("contact")] == [
        "sr4",
        "sr3",
        "sr2",
        "sr1",
        "sr0",
    ]
    assert [r.search_result_id for r in ledger.list("contact", 2, 1)] == ["sr3", "sr2"]
    assert ledger.count("contact") == 5 and ledger.count("company") == 1


def test_ledgers_of_two_key_owners_are_separate(db: Database) -> None:
    a, b = db.research_ledger("owner-a"), db.research_ledger("owner-b")
    a.record("contact", "sr1", "r", "done", {"x": 1}, 1, 1)
    a.log_spend("research", 3, 3, 10)
    assert b.get("contact", "sr1") is None
    assert b.already_researched("contact", ["sr1"]) == set()
    assert b.spent_since(0) == 0 and b.spend_log() == []


def test_spend_log(db: Database) -> None:
    ledger = db.research_ledger("k")
    e1 = ledger.log_spend("search", 1, 1, 1_000)
    ledger.log_spend("research", 10, 7, 2_000)  # 3 were free duplicates
    pending = ledger.log_spend("research", 5, None, 3_000)  # real cost not known yet
    assert e1.seq > 0 and pending.actual is None
    assert ledger.spent_since(0) == 1 + 7 + 5  # unknown actual counts as its estimate
    assert ledger.spent_since(2_000) == 12
    assert ledger.spent_since(3_001) == 0
    ledger.set_actual(pending.seq, 4)
    assert ledger.spent_since(0) == 12
    log = ledger.spend_log()
    assert [(e.action, e.estimate, e.actual) for e in log] == [
        ("search", 1, 1),
        ("research", 10, 7),
        ("research", 5, 4),
    ]
    assert [e.at_ms for e in ledger.spend_log(since=2_000)] == [2_000, 3_000]


def test_ledger_survives_a_restart(db_path: Path) -> None:
    with Database.open(db_path) as db:
        ledger = db.research_ledger("k")
        ledger.record("contact", "sr1", "r", "done", {"email": "x@y.z"}, 1, 5)
        ledger.log_spend("research", 1, 1, 5)
    with Database.open(db_path) as db:
        ledger = db.research_ledger("k")
        assert ledger.get("contact", "sr1").record == {"email": "x@y.z"}  # type: ignore[union-attr]
        assert ledger.spent_since(0) == 1
