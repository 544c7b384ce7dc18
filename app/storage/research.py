"""The Seamless research ledger: what a user already researched, and what was spent.

Seamless charges per researched record and deduplicates per user, so the app
keeps, per API key owner, every research result it received (reopening one
is then free and the estimate of the next research can leave it out) and a
log of credits spent per action (estimate beside actual). Not tied to a CRM
sub-account: keyed by ``account_key_id``, an id of the Seamless key's owner.
All times are epoch milliseconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.storage._codec import JSONDict, chunks, dumps, loads_dict

if TYPE_CHECKING:
    from app.storage.database import Database

ResearchKind = Literal["contact", "company"]
_KINDS = ("contact", "company")

RESEARCHED_STATUSES: frozenset[str] = frozenset({"done", "duplicate", "contact-already-researched"})
"""Poll statuses meaning the user holds the record (research again would be deduplicated)."""

_Records = list  # the method named ``list`` below shadows the builtin inside the class


@dataclass(frozen=True, slots=True)
class ResearchRecord:
    """One research result of a search result id (``record`` None until one arrived)."""

    kind: ResearchKind
    search_result_id: str
    request_id: str | None
    status: str
    record: JSONDict | None
    credits: int
    at_ms: int


@dataclass(frozen=True, slots=True)
class SpendEntry:
    """One credit-spending action: the estimate shown before it, the actual cost after."""

    seq: int
    action: str
    estimate: int
    actual: int | None
    at_ms: int


def _kind(kind: str) -> ResearchKind:
    if kind == "contact":
        return "contact"
    if kind == "company":
        return "company"
    raise ValueError(f"research kind must be one of {_KINDS}, not {kind!r}")


def _record(row: sqlite3.Row) -> ResearchRecord:
    return ResearchRecord(
        kind=_kind(row["kind"]),
        search_result_id=row["search_result_id"],
        request_id=row["request_id"],
        status=row["status"],
        record=None if row["record"] is None else loads_dict(row["record"]),
        credits=int(row["credits"]),
        at_ms=int(row["at_ms"]),
    )


_SELECT = (
    "SELECT kind, search_result_id, request_id, status, record, credits, at_ms "
    "FROM research_records"
)


class ResearchLedger:
    """Research results and credit spend of one Seamless key owner."""

    def __init__(self, db: Database, account_key_id: str) -> None:
        """Bind the ledger to ``account_key_id``; built by ``Database.research_ledger``."""
        self._db = db
        self._account = account_key_id

    @property
    def account_key_id(self) -> str:
        """Whose ledger this is."""
        return self._account

    def record(
        self,
        kind: str,
        search_result_id: str,
        request_id: str | None,
        status: str,
        record: JSONDict | None,
        credits: int,
        at: int,
    ) -> ResearchRecord:
        """Store the latest known state of one research (insert or update).

        A later call without a record (``record=None``, e.g. a status-only
        update) keeps the record already stored. ``credits`` is what obtaining
        this record cost (replaced, not added: the spend log holds the sums).
        """
        k = _kind(kind)
        if credits < 0:
            raise ValueError("credits must not be negative")
        encoded = None if record is None else dumps(record)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO research_records (account_key_id, kind, search_result_id, "
                "request_id, status, record, credits, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (account_key_id, kind, search_result_id) DO UPDATE SET "
                "request_id = coalesce(excluded.request_id, research_records.request_id), "
                "status = excluded.status, "
                "record = coalesce(excluded.record, research_records.record), "
                "credits = excluded.credits, at_ms = excluded.at_ms",
                (self._account, k, search_result_id, request_id, status, encoded, credits, at),
            )
            row = conn.execute(
                f"{_SELECT} WHERE account_key_id = ? AND kind = ? AND search_result_id = ?",
                (self._account, k, search_result_id),
            ).fetchone()
        return _record(row)

    def get(self, kind: str, search_result_id: str) -> ResearchRecord | None:
        """The stored research of one search result, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                f"{_SELECT} WHERE account_key_id = ? AND kind = ? AND search_result_id = ?",
                (self._account, _kind(kind), search_result_id),
            ).fetchone()
        return None if row is None else _record(row)

    def already_researched(
        self,
        kind: str,
        ids: Iterable[str],
        statuses: Collection[str] = RESEARCHED_STATUSES,
    ) -> set[str]:
        """The ids among ``ids`` whose research the user already holds.

        That is: a stored record, or a status in ``statuses``. These are free
        to reopen and are left out of a research estimate.
        """
        k = _kind(kind)
        wanted = list(dict.fromkeys(ids))
        status_list = sorted(statuses)
        found: set[str] = set()
        with self._db.read() as conn:
            for batch in chunks(wanted, 500):
                marks = ", ".join("?" * len(batch))
                smarks = ", ".join("?" * len(status_list)) or "NULL"
                rows = conn.execute(
                    "SELECT search_result_id FROM research_records "
                    f"WHERE account_key_id = ? AND kind = ? AND search_result_id IN ({marks}) "
                    f"AND (record IS NOT NULL OR status IN ({smarks}))",
                    [self._account, k, *batch, *status_list],
                ).fetchall()
                found.update(r[0] for r in rows)
        return found

    def count(self, kind: str) -> int:
        """How many research results of ``kind`` are stored."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM research_records WHERE account_key_id = ? AND kind = ?",
                (self._account, _kind(kind)),
            ).fetchone()
        return int(row[0])

    def log_spend(self, action: str, estimate: int, actual: int | None, at: int) -> SpendEntry:
        """Append one spending action (``actual`` None while the real cost is not known)."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO research_spend (account_key_id, action, estimate, actual, at_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (self._account, action, estimate, actual, at),
            )
            seq = cur.lastrowid
        if seq is None:
            raise RuntimeError("SQLite returned no row id for the spend entry")
        return SpendEntry(seq, action, estimate, actual, at)

    def set_actual(self, seq: int, actual: int) -> None:
        """Record the real cost of a logged action once the balance change is known."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE research_spend SET actual = ? WHERE account_key_id = ? AND seq = ?",
                (actual, self._account, seq),
            )

    def spent_since(self, ts: int) -> int:
        """Credits spent at or after ``ts``: the actual cost where known, else the estimate.

        Counting the estimate for unconfirmed actions keeps a daily budget on
        the safe side.
        """
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT coalesce(sum(coalesce(actual, estimate)), 0) FROM research_spend "
                "WHERE account_key_id = ? AND at_ms >= ?",
                (self._account, ts),
            ).fetchone()
        return int(row[0])

    def spend_log(self, since: int | None = None) -> _Records[SpendEntry]:
        """Spending actions (optionally at or after ``since``), oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT seq, action, estimate, actual, at_ms FROM research_spend "
                "WHERE account_key_id = ? AND at_ms >= ? ORDER BY at_ms, seq",
                (self._account, since if since is not None else -(2**62)),
            ).fetchall()
        return [
            SpendEntry(int(r[0]), r[1], int(r[2]), None if r[3] is None else int(r[3]), int(r[4]))
            for r in rows
        ]

    def list(self, kind: str, limit: int = 100, offset: int = 0) -> _Records[ResearchRecord]:
        """Stored research results of ``kind``, newest first."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE account_key_id = ? AND kind = ? "
                "ORDER BY at_ms DESC, search_result_id LIMIT ? OFFSET ?",
                (self._account, _kind(kind), limit, offset),
            ).fetchall()
        return [_record(r) for r in rows]
