"""The research queue's storage: jobs and records per key owner, the state machine,
request ids in order, recovery of a job caught mid-send, and the migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.storage import MIGRATIONS, SCHEMA_VERSION, Database, JobState
from app.storage.database import apply_migrations
from app.storage.research_jobs import (
    JOB_TRANSITIONS,
    ResearchJobNotFound,
    ResearchJobTransitionError,
)


def test_jobs_keep_their_records_in_order_per_owner(db: Database) -> None:
    jobs = db.research_jobs("owner-a")
    job = jobs.create(
        "contact",
        search_result_ids=["s1", "s2"],
        identities=[{"email": "x@y.co"}],
        estimate=3,
        options={"skipDeduplicationCheck": False},
    )
    assert job.state is JobState.QUEUED and job.size == 3 and job.active
    assert [(i.position, i.search_result_id, i.identity) for i in job.items] == [
        (0, "s1", None),
        (1, "s2", None),
        (2, None, {"email": "x@y.co"}),
    ]
    assert db.research_jobs("owner-b").get(job.id) is None  # another key owner's queue
    assert db.research_jobs("owner-b").jobs() == []
    with pytest.raises(ValueError):
        jobs.create("person", search_result_ids=["s"], estimate=1)
    with pytest.raises(ValueError):
        jobs.create("contact", estimate=0)
    with pytest.raises(ValueError):
        db.research_jobs(" ")


def test_the_state_machine(db: Database) -> None:
    jobs = db.research_jobs("o")
    job = jobs.create("contact", search_result_ids=["a", "b", "c"], estimate=3)
    with pytest.raises(ResearchJobTransitionError):
        jobs.finish(job.id)  # queued cannot be done
    jobs.mark_sending(job.id, spend_seq=7, balance_before=100)
    job = jobs.mark_submitted(job.id, ["r1", "r2"])  # one id short
    assert job.state is JobState.POLLING and job.spend_seq == 7 and job.balance_before == 100
    assert [i.request_id for i in job.items] == ["r1", "r2", None]
    assert jobs.find_request("r2") == (job.id, 1) and jobs.find_request("nope") is None
    job = jobs.update_items(
        job.id, [(0, "done", None), (1, "not found", "no match")], keys={2: "k"}
    )
    assert [i.status for i in job.items] == ["done", "not found", "queued"]  # no id: not sent
    assert job.items[1].message == "no match" and job.items[2].search_result_id == "c"  # kept
    assert jobs.finish(job.id).state is JobState.DONE and not jobs.get(job.id).active  # type: ignore[union-attr]
    with pytest.raises(ResearchJobTransitionError):
        jobs.requeue(job.id)
    with pytest.raises(ResearchJobNotFound):
        jobs.cancel(999)
    assert set(JOB_TRANSITIONS) == set(JobState)


def test_unknown_and_failed_jobs_wait_for_a_decision(db: Database) -> None:
    jobs = db.research_jobs("o")
    job = jobs.create("company", search_result_ids=["a"], estimate=1)
    jobs.mark_sending(job.id, spend_seq=None, balance_before=None)
    job = jobs.mark_unknown(job.id, "The answer was lost.")
    assert job.state is JobState.UNKNOWN and job.error == "The answer was lost."
    job = jobs.requeue(job.id)
    assert job.state is JobState.QUEUED and job.error is None
    jobs.mark_sending(job.id, spend_seq=None, balance_before=None)
    job = jobs.mark_not_sent(job.id, "Offline.")
    assert job.state is JobState.QUEUED
    assert jobs.mark_failed(job.id, "Over budget.").state is JobState.FAILED
    assert jobs.cancel(job.id).state is JobState.CANCELLED
    assert jobs.active() == []
    assert jobs.delete_finished(before_ms=db.now_ms() + 1) == 1


def test_a_job_left_sending_becomes_unknown_on_recovery(db: Database) -> None:
    jobs = db.research_jobs("o")
    sending = jobs.create("contact", search_result_ids=["a"], estimate=1)
    queued = jobs.create("contact", search_result_ids=["b"], estimate=1)
    jobs.mark_sending(sending.id, spend_seq=None, balance_before=None)
    assert jobs.recover() == [sending.id]
    assert jobs.get(sending.id).state is JobState.UNKNOWN  # type: ignore[union-attr]
    assert jobs.get(queued.id).state is JobState.QUEUED  # type: ignore[union-attr]
    assert [j.id for j in jobs.active()] == [sending.id, queued.id]


def test_the_migration_appends_to_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    apply_migrations(conn, MIGRATIONS[:5])  # a file of the previous release
    conn.execute(
        "INSERT INTO research_records (account_key_id, kind, search_result_id, status, at_ms) "
        "VALUES ('o', 'contact', 's1', 'done', 1)"
    )
    conn.close()
    db = Database.open(path)
    try:
        assert db.user_version == SCHEMA_VERSION == 7
        assert db.research_ledger("o").get("contact", "s1") is not None
        assert db.research_jobs("o").create("contact", search_result_ids=["s2"], estimate=1).id == 1
    finally:
        db.close()
