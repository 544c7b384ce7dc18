"""What the app itself did with webhooks, per partition: test deliveries it sent and
deliveries its local receiver got.

Neither is a server-side log (the API has none the app could read): these are the
app's own records, kept so the user can look back, compare and resend. Bodies are
capped at ``BODY_CAP`` characters and stored without secrets (``strip_secrets``
on every JSON body and header map); each history keeps its newest
``HISTORY_LIMIT`` entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.storage._base import PartitionRepository
from app.storage._codec import dumps, loads_dict
from app.storage.webhooks import strip_secrets

BODY_CAP = 64 * 1024
"""Characters of a body kept in a history (a longer one is cut, and marked so)."""
HISTORY_LIMIT = 500
"""Entries each history keeps per sub-account (the oldest go first)."""


def cap_body(text: str) -> tuple[str, bool]:
    """``text`` without secrets (when it is a JSON object or array) and cut to ``BODY_CAP``;
    whether it was cut."""
    clean = text
    if text[:1] in ("{", "["):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if value is not None:
            stripped = strip_secrets(value)
            if stripped != value:
                clean = json.dumps(stripped, ensure_ascii=False, separators=(",", ":"))
    if len(clean) > BODY_CAP:
        return clean[:BODY_CAP], True
    return clean, False


def _headers(headers: Mapping[str, str]) -> str:
    return dumps(strip_secrets(dict(headers)))


@dataclass(frozen=True)
class TestDelivery:
    """One signed test delivery the test bench sent, and the answer it got."""

    __test__ = False  # not a pytest test class, whatever its name

    seq: int
    delivery_id: str
    webhook_id: str | None
    event: str
    url: str
    request_headers: dict[str, str]
    body: str
    body_truncated: bool
    status: int | None
    error: str | None
    duration_ms: int | None
    response_headers: dict[str, str]
    response_body: str | None
    response_truncated: bool
    sent_ms: int

    @property
    def ok(self) -> bool:
        """The receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class ReceivedDelivery:
    """One request the local receiver got, and what its signature check found."""

    seq: int
    delivery_id: str | None
    event: str | None
    webhook_id: str | None
    result: str
    message: str
    headers: dict[str, str]
    body: str
    body_size: int
    body_truncated: bool
    received_ms: int


def _str_map(text: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in loads_dict(text).items()}


class TestDeliveryLog(PartitionRepository):
    """Test deliveries sent from this sub-account's test bench, newest first."""

    __test__ = False  # not a pytest test class, whatever its name

    def add(
        self,
        *,
        delivery_id: str,
        webhook_id: str | None,
        event: str,
        url: str,
        request_headers: Mapping[str, str],
        body: str,
        status: int | None,
        error: str | None,
        duration_ms: int | None,
        response_headers: Mapping[str, str],
        response_body: str | None,
        response_truncated: bool = False,
    ) -> TestDelivery:
        """Record one test delivery and its answer (bodies capped, secrets stripped)."""
        stored_body, body_cut = cap_body(body)
        answer, answer_cut = cap_body(response_body) if response_body is not None else (None, False)
        now = self._db.now_ms()
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO webhook_test_deliveries (partition_id, delivery_id, webhook_id, "
                "event, url, request_headers, body, body_truncated, status, error, duration_ms, "
                "response_headers, response_body, response_truncated, sent_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._pid,
                    delivery_id,
                    webhook_id,
                    event,
                    url,
                    _headers(request_headers),
                    stored_body,
                    int(body_cut),
                    status,
                    error,
                    duration_ms,
                    _headers(response_headers),
                    answer,
                    int(answer_cut or response_truncated),
                    now,
                ),
            )
            seq = int(cur.lastrowid or 0)
            prune_history(conn, "webhook_test_deliveries", self._pid)
        found = self.get(seq)
        assert found is not None
        return found

    def get(self, seq: int) -> TestDelivery | None:
        """One test delivery, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_TEST_COLUMNS} FROM webhook_test_deliveries "
                "WHERE partition_id = ? AND seq = ?",
                (self._pid, seq),
            ).fetchone()
        return None if row is None else _test_delivery(row)

    def recent(self, limit: int = 200) -> list[TestDelivery]:
        """The newest ``limit`` test deliveries, newest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_TEST_COLUMNS} FROM webhook_test_deliveries WHERE partition_id = ? "
                "ORDER BY seq DESC LIMIT ?",
                (self._pid, limit),
            ).fetchall()
        return [_test_delivery(r) for r in rows]

    def clear(self) -> int:
        """Forget every test delivery of this sub-account; how many were removed."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM webhook_test_deliveries WHERE partition_id = ?", (self._pid,)
            )
            return cur.rowcount


_TEST_COLUMNS = (
    "seq, delivery_id, webhook_id, event, url, request_headers, body, body_truncated, status, "
    "error, duration_ms, response_headers, response_body, response_truncated, sent_ms"
)


def _test_delivery(row: Any) -> TestDelivery:
    return TestDelivery(
        seq=int(row[0]),
        delivery_id=str(row[1]),
        webhook_id=row[2],
        event=str(row[3]),
        url=str(row[4]),
        request_headers=_str_map(row[5]),
        body=str(row[6]),
        body_truncated=bool(row[7]),
        status=row[8],
        error=row[9],
        duration_ms=row[10],
        response_headers=_str_map(row[11]),
        response_body=row[12],
        response_truncated=bool(row[13]),
        sent_ms=int(row[14]),
    )


class ReceivedLog(PartitionRepository):
    """Deliveries the local receiver got for this sub-account, newest first."""

    def add(
        self,
        *,
        delivery_id: str | None,
        event: str | None,
        webhook_id: str | None,
        result: str,
        message: str,
        headers: Mapping[str, str],
        body: str,
        body_size: int,
        received_ms: int | None = None,
        prune: bool = True,
    ) -> ReceivedDelivery:
        """Record one received request (body capped, secrets stripped). A caller storing a
        batch in one transaction passes ``prune=False`` and calls ``prune()`` once."""
        stored, cut = cap_body(body)
        at = self._db.now_ms() if received_ms is None else received_ms
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO webhook_received (partition_id, delivery_id, event, webhook_id, "
                "result, message, headers, body, body_size, body_truncated, received_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._pid,
                    delivery_id,
                    event,
                    webhook_id,
                    result,
                    message,
                    _headers(headers),
                    stored,
                    body_size,
                    int(cut),
                    at,
                ),
            )
            seq = int(cur.lastrowid or 0)
            if prune:
                prune_history(conn, "webhook_received", self._pid)
        return ReceivedDelivery(
            seq,
            delivery_id,
            event,
            webhook_id,
            result,
            message,
            _str_map(_headers(headers)),
            stored,
            body_size,
            cut,
            at,
        )

    def prune(self) -> None:
        """Keep the newest ``HISTORY_LIMIT`` received deliveries."""
        with self._db.transaction() as conn:
            prune_history(conn, "webhook_received", self._pid)

    def first_seen(self, delivery_id: str) -> int | None:
        """When a delivery with this id was first received (epoch ms), or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT MIN(received_ms) FROM webhook_received "
                "WHERE partition_id = ? AND delivery_id = ?",
                (self._pid, delivery_id),
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def recent(self, limit: int = 200) -> list[ReceivedDelivery]:
        """The newest ``limit`` received deliveries, newest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT seq, delivery_id, event, webhook_id, result, message, headers, body, "
                "body_size, body_truncated, received_ms FROM webhook_received "
                "WHERE partition_id = ? ORDER BY seq DESC LIMIT ?",
                (self._pid, limit),
            ).fetchall()
        return [
            ReceivedDelivery(
                int(r[0]),
                r[1],
                r[2],
                r[3],
                str(r[4]),
                str(r[5]),
                _str_map(r[6]),
                str(r[7]),
                int(r[8]),
                bool(r[9]),
                int(r[10]),
            )
            for r in rows
        ]

    def clear(self) -> int:
        """Forget every received delivery of this sub-account; how many were removed."""
        with self._db.transaction() as conn:
            cur = conn.execute("DELETE FROM webhook_received WHERE partition_id = ?", (self._pid,))
            return cur.rowcount


def prune_history(conn: Any, table: str, partition_id: int) -> None:
    """Keep the newest ``HISTORY_LIMIT`` rows of one partition in ``table``."""
    conn.execute(
        f"DELETE FROM {table} WHERE partition_id = ? AND seq <= ("
        f"SELECT seq FROM {table} WHERE partition_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
        (partition_id, partition_id, HISTORY_LIMIT),
    )


__all__ = [
    "BODY_CAP",
    "HISTORY_LIMIT",
    "ReceivedDelivery",
    "ReceivedLog",
    "TestDelivery",
    "TestDeliveryLog",
    "cap_body",
]
