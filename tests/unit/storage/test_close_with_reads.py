"""Closing the cache while another thread reads it: the read finishes or fails cleanly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.storage import Database, DatabaseClosedError, StorageError

SLOW_QUERY = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
    "SELECT count(*) FROM n"
)


def _read_in_thread(
    db: Database, rows: int
) -> tuple[threading.Thread, list[object], threading.Event]:
    outcome: list[object] = []
    started = threading.Event()

    def read() -> None:
        try:
            with db.read() as conn:
                started.set()
                outcome.append(conn.execute(SLOW_QUERY, (rows,)).fetchone()[0])
        except StorageError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    return thread, outcome, started


def test_close_waits_for_a_read_running_on_another_thread(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "cache.sqlite3")
    thread, outcome, started = _read_in_thread(db, 2_000_000)
    assert started.wait(5)
    db.close()
    thread.join(10)
    assert outcome == [2_000_000]  # it finished before the connections closed
    with pytest.raises(DatabaseClosedError):
        with db.read():
            pass


def test_a_read_too_long_is_interrupted_not_crashed(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "cache.sqlite3")
    thread, outcome, started = _read_in_thread(db, 10**12)  # would run for hours
    assert started.wait(5)
    began = time.monotonic()
    db.close(read_timeout=0.3)
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - began < 5
    assert len(outcome) == 1 and isinstance(outcome[0], StorageError)
