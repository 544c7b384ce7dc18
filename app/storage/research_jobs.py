"""The Seamless research queue on disk: jobs, their records and request ids.

A job is up to 100 records researched in one request. It is written here
before anything is sent, and every step is recorded, so the queue resumes
after a restart: queued jobs are sent, accepted jobs are polled with the
request ids stored here, and a job whose request was in flight when the app
stopped becomes ``unknown`` — research spends credits, so it is never sent
again without the user's decision.

State machine (anything else raises ``ResearchJobTransitionError``)::

    queued   --mark_sending--> sending     queued  --cancel--> cancelled
    queued   --mark_failed--> failed       (refused before sending: over balance or budget)
    sending  --mark_submitted--> polling   sending --mark_failed--> failed
    sending  --mark_unknown--> unknown     (answer lost; also on restart: recover)
    sending  --mark_not_sent--> queued     (refused before doing anything: 429, offline)
    unknown  --requeue--> queued           unknown --cancel--> cancelled
    polling  --finish--> done              polling --mark_failed--> failed
    failed   --requeue--> queued           failed  --cancel--> cancelled

Like the research ledger, jobs belong to an ``account_key_id`` (the Seamless
key's owner), not to a CRM sub-account. Times are epoch milliseconds from the
database's clock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.storage._codec import JSONDict, dumps, loads_dict
from app.storage.errors import StorageError

if TYPE_CHECKING:
    from app.storage.database import Database


class JobState(StrEnum):
    """Where a research job is; the values are what the database stores."""

    QUEUED = "queued"
    SENDING = "sending"
    UNKNOWN = "unknown"
    POLLING = "polling"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


JOB_TRANSITIONS: Mapping[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.SENDING, JobState.CANCELLED, JobState.FAILED}),
    JobState.SENDING: frozenset(
        {JobState.POLLING, JobState.FAILED, JobState.UNKNOWN, JobState.QUEUED}
    ),
    JobState.UNKNOWN: frozenset({JobState.QUEUED, JobState.CANCELLED}),
    JobState.POLLING: frozenset({JobState.DONE, JobState.FAILED}),
    JobState.FAILED: frozenset({JobState.QUEUED, JobState.CANCELLED}),
    JobState.DONE: frozenset(),
    JobState.CANCELLED: frozenset(),
}
"""Every legal state change."""

ACTIVE_STATES: tuple[JobState, ...] = (
    JobState.QUEUED,
    JobState.SENDING,
    JobState.UNKNOWN,
    JobState.POLLING,
)
"""Jobs the queue still shows as open (``unknown`` waits for the user)."""


class ResearchJobError(StorageError):
    """Base of research-queue storage errors."""


class ResearchJobNotFound(ResearchJobError, LookupError):
    """No job with this id for this key owner."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"no research job {job_id}")
        self.job_id = job_id


class ResearchJobTransitionError(ResearchJobError):
    """A job was asked to move to a state its current state cannot reach."""

    def __init__(self, job_id: int, current: str, target: str) -> None:
        super().__init__(f"research job {job_id}: illegal transition {current} -> {target}")
        self.job_id = job_id
        self.current = current
        self.target = target


@dataclass(frozen=True, slots=True)
class JobItem:
    """One record of a job: what was asked (a search result id or an identity), the
    request id Seamless gave it, and its latest poll status."""

    position: int
    search_result_id: str | None
    identity: JSONDict | None
    request_id: str | None
    status: str
    message: str | None
    updated_ms: int


@dataclass(frozen=True, slots=True)
class ResearchJob:
    """A research job and its records, in the order they were submitted."""

    id: int
    kind: str
    state: JobState
    estimate: int
    options: JSONDict
    """Request options beyond the records (``skipDeduplicationCheck``, ``isJobChange``)."""
    spend_seq: int | None
    """The spend-log entry of this job (set when it was sent)."""
    balance_before: int | None
    """The credit balance known just before it was sent."""
    error: str | None
    created_ms: int
    updated_ms: int
    submitted_ms: int | None
    finished_ms: int | None
    items: tuple[JobItem, ...]

    @property
    def active(self) -> bool:
        """Whether the queue still has work (or a decision) on this job."""
        return self.state in ACTIVE_STATES

    @property
    def size(self) -> int:
        """Records in the job."""
        return len(self.items)


_JOB_COLUMNS = (
    "id, kind, state, estimate, options, spend_seq, balance_before, error, created_ms, "
    "updated_ms, submitted_ms, finished_ms"
)


def _item(row: sqlite3.Row) -> JobItem:
    return JobItem(
        position=int(row["position"]),
        search_result_id=row["search_result_id"],
        identity=None if row["identity"] is None else loads_dict(row["identity"]),
        request_id=row["request_id"],
        status=row["status"],
        message=row["message"],
        updated_ms=int(row["updated_ms"]),
    )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


class ResearchJobs:
    """The research jobs of one Seamless key owner (see the module docstring)."""

    def __init__(self, db: Database, account_key_id: str) -> None:
        """Bind to ``account_key_id``; built by ``Database.research_jobs``."""
        self._db = db
        self._account = account_key_id

    @property
    def account_key_id(self) -> str:
        """Whose jobs these are."""
        return self._account

    # -- reading ------------------------------------------------------------------------------
    def _job(self, conn: sqlite3.Connection, row: sqlite3.Row) -> ResearchJob:
        items = conn.execute(
            "SELECT position, search_result_id, identity, request_id, status, message, "
            "updated_ms FROM research_job_items WHERE job_id = ? ORDER BY position",
            (row["id"],),
        ).fetchall()
        return ResearchJob(
            id=int(row["id"]),
            kind=row["kind"],
            state=JobState(row["state"]),
            estimate=int(row["estimate"]),
            options=loads_dict(row["options"]),
            spend_seq=_opt_int(row["spend_seq"]),
            balance_before=_opt_int(row["balance_before"]),
            error=row["error"],
            created_ms=int(row["created_ms"]),
            updated_ms=int(row["updated_ms"]),
            submitted_ms=_opt_int(row["submitted_ms"]),
            finished_ms=_opt_int(row["finished_ms"]),
            items=tuple(_item(r) for r in items),
        )

    def _get(self, conn: sqlite3.Connection, job_id: int) -> ResearchJob:
        row = conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM research_jobs WHERE account_key_id = ? AND id = ?",
            (self._account, job_id),
        ).fetchone()
        if row is None:
            raise ResearchJobNotFound(job_id)
        return self._job(conn, row)

    def get(self, job_id: int) -> ResearchJob | None:
        """The job with this id, or None."""
        with self._db.read() as conn:
            try:
                return self._get(conn, job_id)
            except ResearchJobNotFound:
                return None

    def jobs(
        self, states: Collection[JobState] | None = None, *, limit: int = 200
    ) -> list[ResearchJob]:
        """Jobs (optionally only in ``states``), oldest first."""
        sql = f"SELECT {_JOB_COLUMNS} FROM research_jobs WHERE account_key_id = ?"
        params: list[Any] = [self._account]
        if states is not None:
            wanted = [JobState(s).value for s in states]
            if not wanted:
                return []
            sql += f" AND state IN ({', '.join('?' * len(wanted))})"
            params.extend(wanted)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
            return [self._job(conn, r) for r in rows]

    def active(self) -> list[ResearchJob]:
        """Jobs still open (queued, sending, unknown, polling), oldest first."""
        return self.jobs(ACTIVE_STATES)

    def find_request(self, request_id: str) -> tuple[int, int] | None:
        """(job id, position) of the record a request id belongs to, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT i.job_id, i.position FROM research_job_items i JOIN research_jobs j "
                "ON j.id = i.job_id WHERE j.account_key_id = ? AND i.request_id = ?",
                (self._account, request_id),
            ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    # -- writing ------------------------------------------------------------------------------
    def create(
        self,
        kind: str,
        *,
        search_result_ids: Sequence[str] = (),
        identities: Sequence[JSONDict] = (),
        estimate: int,
        options: JSONDict | None = None,
    ) -> ResearchJob:
        """Store a confirmed job as ``queued`` (its records in order: ids, then identities)."""
        if kind not in ("contact", "company"):
            raise ValueError(f"research kind must be contact or company, not {kind!r}")
        if not search_result_ids and not identities:
            raise ValueError("a research job needs at least one record")
        if estimate < 0:
            raise ValueError("the estimate must not be negative")
        now = self._db.now_ms()
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO research_jobs (account_key_id, kind, state, estimate, options, "
                "created_ms, updated_ms) VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                (self._account, kind, estimate, dumps(options or {}), now, now),
            )
            job_id = cur.lastrowid
            if job_id is None:
                raise RuntimeError("SQLite returned no row id for the research job")
            rows: list[tuple[Any, ...]] = [
                (job_id, pos, sr_id, None, now) for pos, sr_id in enumerate(search_result_ids)
            ]
            offset = len(rows)
            rows += [
                (job_id, offset + pos, None, dumps(identity), now)
                for pos, identity in enumerate(identities)
            ]
            conn.executemany(
                "INSERT INTO research_job_items (job_id, position, search_result_id, identity, "
                "status, updated_ms) VALUES (?, ?, ?, ?, 'queued', ?)",
                rows,
            )
            return self._get(conn, job_id)

    def _move(
        self, job_id: int, target: JobState, changes: Mapping[str, Any] | None = None
    ) -> ResearchJob:
        with self._db.transaction() as conn:
            current = self._get(conn, job_id)
            if target not in JOB_TRANSITIONS[current.state]:
                raise ResearchJobTransitionError(job_id, current.state.value, target.value)
            sets = ["state = ?", "updated_ms = ?"]
            params: list[Any] = [target.value, self._db.now_ms()]
            for column, value in (changes or {}).items():
                sets.append(f"{column} = ?")  # column names are literals of this class
                params.append(value)
            conn.execute(
                f"UPDATE research_jobs SET {', '.join(sets)} "
                "WHERE account_key_id = ? AND id = ? AND state = ?",
                [*params, self._account, job_id, current.state.value],
            )
            return self._get(conn, job_id)

    def mark_sending(
        self, job_id: int, *, spend_seq: int | None, balance_before: int | None
    ) -> ResearchJob:
        """The request is about to go out (``queued`` → ``sending``)."""
        return self._move(
            job_id,
            JobState.SENDING,
            {"spend_seq": spend_seq, "balance_before": balance_before, "error": None},
        )

    def mark_submitted(self, job_id: int, request_ids: Sequence[str]) -> ResearchJob:
        """Seamless accepted the request (``sending`` → ``polling``); request ids are given
        to the records in order (docs/api/seamless.md, "Research": one id per record)."""
        now = self._db.now_ms()
        with self._db.transaction() as conn:
            job = self._move(job_id, JobState.POLLING, {"submitted_ms": now})
            conn.executemany(
                "UPDATE research_job_items SET request_id = ?, status = 'submitted', "
                "updated_ms = ? WHERE job_id = ? AND position = ?",
                [
                    (rid, now, job_id, item.position)
                    for item, rid in zip(job.items, request_ids, strict=False)
                ],
            )
            return self._get(conn, job_id)

    def mark_not_sent(self, job_id: int, reason: str | None = None) -> ResearchJob:
        """The request certainly did nothing (no connection, rate limited): back to
        ``queued`` to be sent later."""
        return self._move(
            job_id, JobState.QUEUED, {"error": reason, "spend_seq": None, "balance_before": None}
        )

    def mark_unknown(self, job_id: int, reason: str) -> ResearchJob:
        """The request was sent and no answer came (``sending`` → ``unknown``)."""
        return self._move(job_id, JobState.UNKNOWN, {"error": reason})

    def mark_failed(self, job_id: int, reason: str) -> ResearchJob:
        """The request was refused, or polling cannot go on (→ ``failed``)."""
        return self._move(job_id, JobState.FAILED, {"error": reason})

    def requeue(self, job_id: int) -> ResearchJob:
        """Send again (the user decided so after an unknown outcome or a failure)."""
        with self._db.transaction() as conn:
            job = self._move(
                job_id,
                JobState.QUEUED,
                {"error": None, "spend_seq": None, "balance_before": None, "submitted_ms": None},
            )
            conn.execute(
                "UPDATE research_job_items SET request_id = NULL, status = 'queued', "
                "message = NULL, updated_ms = ? WHERE job_id = ?",
                (self._db.now_ms(), job_id),
            )
            return self._get(conn, job.id)

    def cancel(self, job_id: int) -> ResearchJob:
        """Drop a job that was not (or may not have been) sent."""
        return self._move(job_id, JobState.CANCELLED, {"finished_ms": self._db.now_ms()})

    def finish(self, job_id: int) -> ResearchJob:
        """Every record reached a final status (``polling`` → ``done``)."""
        return self._move(job_id, JobState.DONE, {"finished_ms": self._db.now_ms()})

    def update_items(
        self,
        job_id: int,
        updates: Sequence[tuple[int, str, str | None]],
        *,
        keys: Mapping[int, str] | None = None,
    ) -> ResearchJob:
        """Record poll statuses: ``(position, status, message)`` per record. ``keys`` gives
        records asked by identity the id their result is filed under in the ledger."""
        now = self._db.now_ms()
        with self._db.transaction() as conn:
            self._get(conn, job_id)  # the job must be this owner's
            conn.executemany(
                "UPDATE research_job_items SET status = ?, message = ?, updated_ms = ? "
                "WHERE job_id = ? AND position = ?",
                [(status, message, now, job_id, pos) for pos, status, message in updates],
            )
            conn.executemany(
                "UPDATE research_job_items SET search_result_id = ? "
                "WHERE job_id = ? AND position = ? AND search_result_id IS NULL",
                [(key, job_id, pos) for pos, key in (keys or {}).items()],
            )
            conn.execute("UPDATE research_jobs SET updated_ms = ? WHERE id = ?", (now, job_id))
            return self._get(conn, job_id)

    def recover(self) -> list[int]:
        """After a restart: jobs left ``sending`` by a process that stopped mid-request
        become ``unknown`` (their outcome must be decided before any resend)."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT id FROM research_jobs WHERE account_key_id = ? AND state = 'sending'",
                (self._account,),
            ).fetchall()
            ids = [int(r[0]) for r in rows]
            for job_id in ids:
                conn.execute(
                    "UPDATE research_jobs SET state = 'unknown', updated_ms = ?, error = ? "
                    "WHERE id = ?",
                    (
                        self._db.now_ms(),
                        "The app stopped while this research request was being sent.",
                        job_id,
                    ),
                )
        return ids

    def delete_finished(self, before_ms: int) -> int:
        """Forget done and cancelled jobs finished before ``before_ms`` (results stay in the
        research ledger); returns how many were deleted."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM research_jobs WHERE account_key_id = ? AND state IN "
                "('done', 'cancelled') AND finished_ms < ?",
                (self._account, before_ms),
            )
            return cur.rowcount


__all__ = [
    "ACTIVE_STATES",
    "JOB_TRANSITIONS",
    "JobItem",
    "JobState",
    "ResearchJob",
    "ResearchJobError",
    "ResearchJobNotFound",
    "ResearchJobTransitionError",
    "ResearchJobs",
]
