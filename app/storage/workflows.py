"""Workflow slugs the user keeps per sub-account, and the triggers the app sent to them.

The API has no list of workflows (docs/api/seedly-crm.md §8): the user copies a
workflow's slug from the dashboard and keeps it here with a name. Whether a
workflow has a signing secret is recorded (``has_secret``); the secret itself is
in the system keyring only. Runs are the app's own history (newest
``HISTORY_LIMIT`` kept), with the JSON that was sent so a run can be repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.storage._base import PartitionRepository
from app.storage.webhook_logs import HISTORY_LIMIT, cap_body, prune_history


@dataclass(frozen=True)
class KeptWorkflow:
    """A workflow the user keeps: its slug, a name, and whether it has a signing secret."""

    slug: str
    name: str
    has_secret: bool
    created_ms: int


@dataclass(frozen=True)
class WorkflowRun:
    """One trigger (or injected event) the app sent, and what came back.

    ``outcome`` is ok, failed, or unknown (sent, but the answer was lost); ``count`` is
    the answer's ``triggered`` (or ``matched``) number when there was one."""

    seq: int
    kind: str
    slug: str
    contact_id: str | None
    contact_label: str | None
    body: str
    signed: bool
    outcome: str
    status: int | None
    count: int | None
    message: str
    ran_ms: int


class WorkflowRepository(PartitionRepository):
    """Kept workflow slugs and the run history of one sub-account."""

    # -- the kept list -------------------------------------------------------------------
    def save(self, slug: str, name: str, has_secret: bool) -> KeptWorkflow:
        """Keep (or update) a workflow slug."""
        now = self._db.now_ms()
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO workflow_slugs (partition_id, slug, name, has_secret, created_ms) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (partition_id, slug) DO UPDATE SET "
                "name = excluded.name, has_secret = excluded.has_secret",
                (self._pid, slug, name, int(has_secret), now),
            )
        found = self.get(slug)
        assert found is not None
        return found

    def get(self, slug: str) -> KeptWorkflow | None:
        """One kept workflow, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT slug, name, has_secret, created_ms FROM workflow_slugs "
                "WHERE partition_id = ? AND slug = ?",
                (self._pid, slug),
            ).fetchone()
        return None if row is None else KeptWorkflow(row[0], row[1], bool(row[2]), int(row[3]))

    def kept(self) -> list[KeptWorkflow]:
        """Every kept workflow, by name."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT slug, name, has_secret, created_ms FROM workflow_slugs "
                "WHERE partition_id = ? ORDER BY name COLLATE NOCASE, slug",
                (self._pid,),
            ).fetchall()
        return [KeptWorkflow(r[0], r[1], bool(r[2]), int(r[3])) for r in rows]

    def remove(self, slug: str) -> bool:
        """Stop keeping a workflow (its runs stay in the history); False when unknown."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM workflow_slugs WHERE partition_id = ? AND slug = ?",
                (self._pid, slug),
            )
            return cur.rowcount > 0

    # -- runs ----------------------------------------------------------------------------
    def add_run(
        self,
        *,
        kind: str,
        slug: str,
        contact_id: str | None,
        contact_label: str | None,
        body: str,
        signed: bool,
        outcome: str,
        status: int | None,
        count: int | None,
        message: str,
    ) -> WorkflowRun:
        """Record one trigger or injected event (body capped, secrets stripped)."""
        stored, _cut = cap_body(body)
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO workflow_runs (partition_id, kind, slug, contact_id, contact_label, "
                "body, signed, outcome, status, count, message, ran_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._pid,
                    kind,
                    slug,
                    contact_id,
                    contact_label,
                    stored,
                    int(signed),
                    outcome,
                    status,
                    count,
                    message,
                    self._db.now_ms(),
                ),
            )
            seq = int(cur.lastrowid or 0)
            prune_history(conn, "workflow_runs", self._pid)
        found = self.run(seq)
        assert found is not None
        return found

    def run(self, seq: int) -> WorkflowRun | None:
        """One run, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM workflow_runs WHERE partition_id = ? AND seq = ?",
                (self._pid, seq),
            ).fetchone()
        return None if row is None else _run(row)

    def runs(self, limit: int = 200) -> list[WorkflowRun]:
        """The newest ``limit`` runs, newest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM workflow_runs WHERE partition_id = ? "
                "ORDER BY seq DESC LIMIT ?",
                (self._pid, limit),
            ).fetchall()
        return [_run(r) for r in rows]


_RUN_COLUMNS = (
    "seq, kind, slug, contact_id, contact_label, body, signed, outcome, status, count, "
    "message, ran_ms"
)


def _run(row: Any) -> WorkflowRun:
    return WorkflowRun(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        row[3],
        row[4],
        str(row[5]),
        bool(row[6]),
        str(row[7]),
        row[8],
        row[9],
        str(row[10]),
        int(row[11]),
    )


__all__ = ["HISTORY_LIMIT", "KeptWorkflow", "WorkflowRepository", "WorkflowRun"]
