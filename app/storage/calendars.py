"""Calendars, appointment types and appointments of one partition."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.storage._base import PartitionRepository
from app.storage._codec import (
    JSONDict,
    collation_key,
    dumps,
    loads_dict,
    require_id,
    text_or_none,
    to_ms,
)


def _appointment_row(pid: int, doc: JSONDict) -> tuple[Any, ...]:
    aid = require_id(doc, "appointment")
    contact_id = text_or_none(doc.get("contactId"))
    contact = doc.get("contact")
    if contact_id is None and isinstance(contact, dict):
        contact_id = text_or_none(contact.get("id"))
    start_ms = to_ms(doc.get("startTime"))
    end_ms = to_ms(doc.get("endTime"))
    return (
        pid,
        aid,
        text_or_none(doc.get("calendarId")),
        contact_id,
        text_or_none(doc.get("status")),
        start_ms,
        end_ms if end_ms is not None else start_ms,
        dumps(doc),
    )


_APPOINTMENT_UPSERT = """
INSERT INTO appointments (partition_id, id, calendar_id, contact_id, status, start_ms, end_ms, doc)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (partition_id, id) DO UPDATE SET
    calendar_id = excluded.calendar_id, contact_id = excluded.contact_id,
    status = excluded.status, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
    doc = excluded.doc
WHERE appointments.doc IS NOT excluded.doc
"""


class CalendarRepository(PartitionRepository):
    """Calendars and appointment types (replaced wholesale) and appointments (upserted)."""

    def replace_calendars(self, docs: Iterable[JSONDict]) -> None:
        """Replace every cached calendar with ``docs`` (``GET /calendars``)."""
        rows = [
            (self._pid, require_id(d, "calendar"), collation_key(d.get("name")), dumps(d))
            for d in docs
        ]
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM calendars WHERE partition_id = ?", (self._pid,))
            conn.executemany(
                "INSERT OR REPLACE INTO calendars (partition_id, id, name_key, doc) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )

    def calendars(self) -> list[JSONDict]:
        """Cached calendars by name."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT doc FROM calendars WHERE partition_id = ? ORDER BY name_key, id",
                (self._pid,),
            ).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def get_calendar(self, calendar_id: str) -> JSONDict | None:
        """One calendar, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT doc FROM calendars WHERE partition_id = ? AND id = ?",
                (self._pid, calendar_id),
            ).fetchone()
        return None if row is None else loads_dict(row[0])

    def replace_types(self, docs: Iterable[JSONDict], calendar_id: str | None = None) -> None:
        """Replace cached appointment types with ``docs``.

        With ``calendar_id`` only that calendar's types are replaced (the
        answer of ``GET /calendars/types?calendarId=…``); without it, all.
        """
        rows = [
            (
                self._pid,
                require_id(d, "appointment type"),
                text_or_none(d.get("calendarId")) or calendar_id,
                collation_key(d.get("name")),
                dumps(d),
            )
            for d in docs
        ]
        with self._db.transaction() as conn:
            if calendar_id is None:
                conn.execute("DELETE FROM appointment_types WHERE partition_id = ?", (self._pid,))
            else:
                conn.execute(
                    "DELETE FROM appointment_types WHERE partition_id = ? AND calendar_id = ?",
                    (self._pid, calendar_id),
                )
            conn.executemany(
                "INSERT OR REPLACE INTO appointment_types "
                "(partition_id, id, calendar_id, name_key, doc) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def types(self, calendar_id: str | None = None) -> list[JSONDict]:
        """Cached appointment types by name, optionally of one calendar."""
        sql = "SELECT doc FROM appointment_types WHERE partition_id = ?"
        params: list[Any] = [self._pid]
        if calendar_id is not None:
            sql += " AND calendar_id = ?"
            params.append(calendar_id)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY name_key, id", params).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def upsert_appointments(self, docs: Iterable[JSONDict]) -> int:
        """Insert or update appointments; returns how many rows were inserted or changed."""
        rows = [_appointment_row(self._pid, d) for d in docs]
        if not rows:
            return 0
        with self._db.transaction() as conn:
            cur = conn.executemany(_APPOINTMENT_UPSERT, rows)
            return max(cur.rowcount, 0)

    def replace_appointments_between(
        self,
        start_ms: int,
        end_ms: int,
        docs: Iterable[JSONDict],
        calendar_id: str | None = None,
    ) -> int:
        """Make the cache of a time window equal the server's answer for it.

        Cached appointments overlapping ``[start_ms, end_ms)`` (of
        ``calendar_id`` if given) that are not in ``docs`` are deleted, then
        ``docs`` are upserted. Returns how many were deleted.
        """
        rows = [_appointment_row(self._pid, d) for d in docs]
        keep = {row[1] for row in rows}
        sql = "SELECT id FROM appointments WHERE partition_id = ? AND start_ms < ? AND end_ms > ?"
        params: list[Any] = [self._pid, end_ms, start_ms]
        if calendar_id is not None:
            sql += " AND calendar_id = ?"
            params.append(calendar_id)
        with self._db.transaction() as conn:
            stale = [r[0] for r in conn.execute(sql, params).fetchall() if r[0] not in keep]
            conn.executemany(
                "DELETE FROM appointments WHERE partition_id = ? AND id = ?",
                [(self._pid, aid) for aid in stale],
            )
            conn.executemany(_APPOINTMENT_UPSERT, rows)
        return len(stale)

    def appointments_between(
        self,
        start_ms: int,
        end_ms: int,
        calendar_id: str | None = None,
        status: str | None = None,
    ) -> list[JSONDict]:
        """Appointments overlapping ``[start_ms, end_ms)`` by start time (epoch ms)."""
        sql = "SELECT doc FROM appointments WHERE partition_id = ? AND start_ms < ? AND end_ms > ?"
        params: list[Any] = [self._pid, end_ms, start_ms]
        if calendar_id is not None:
            sql += " AND calendar_id = ?"
            params.append(calendar_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY start_ms, id", params).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def appointments_for_contact(self, contact_id: str) -> list[JSONDict]:
        """Every cached appointment of a contact, by start time."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT doc FROM appointments WHERE partition_id = ? AND contact_id = ? "
                "ORDER BY start_ms, id",
                (self._pid, contact_id),
            ).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def get_appointment(self, appointment_id: str) -> JSONDict | None:
        """One appointment, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT doc FROM appointments WHERE partition_id = ? AND id = ?",
                (self._pid, appointment_id),
            ).fetchone()
        return None if row is None else loads_dict(row[0])

    def delete_appointments(self, appointment_ids: Iterable[str]) -> int:
        """Delete appointments by id; returns how many were deleted."""
        params = [(self._pid, aid) for aid in appointment_ids]
        if not params:
            return 0
        with self._db.transaction() as conn:
            cur = conn.executemany(
                "DELETE FROM appointments WHERE partition_id = ? AND id = ?", params
            )
            return max(cur.rowcount, 0)
