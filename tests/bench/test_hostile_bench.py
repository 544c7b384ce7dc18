"""Figures of the hardening work (``BENCH name=value unit``):

- the longest GUI stall while a thread with the heaviest emails the API accepts opens
  (thousands of images, 40,000-deep nesting, a 14,000-row table, 50,000 tags), and
  while the largest of them opens as a full message;
- how many requests and seconds a looping cursor costs before sync stops it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.api.seedly import SeedlyClient
from app.services.bus import EventBus, ScopeKey
from app.services.sync import PaginationLoop, SyncService
from app.storage import Database
from tests.bench.test_storage_bench import bench
from tests.reliability.test_hostile_sync import contact
from tests.support.hostile_server import hostile_server, json_answer
from tests.support.qt_loop import _no_quit_on_last_window, qloop
from tests.support.stall import longest_stall_ms
from tests.ui.inbox.test_hostile_email import HOSTILE, _open, _partition

__all__ = ["_no_quit_on_last_window", "qloop"]

pytestmark = pytest.mark.timeout(300)


def test_heaviest_emails_gui_stall(tmp_path: Path, qloop: Any, qapp: QApplication) -> None:
    db = Database.open(tmp_path / "emails.db")
    part = _partition(db, HOSTILE)
    started = time.perf_counter()
    pane = _open(db, part, qloop, qapp)
    delegate = pane.widget.view.delegate
    worst = longest_stall_ms(
        qapp,
        lambda: pane.widget.model.row_of("m:mail_tags") is not None and not delegate.bodies.busy,
    )
    shown = time.perf_counter() - started
    bench("email_heaviest_thread_longest_gui_stall", worst, f"ms ({len(HOSTILE)} hostile emails)")
    bench("email_heaviest_thread_all_prepared", shown * 1000, "ms")
    started = time.perf_counter()
    dialog = pane.widget.show_full_message("m:mail_table")
    assert dialog is not None
    worst = longest_stall_ms(qapp, lambda: dialog.loaded, timeout=120)
    bench("email_full_message_longest_gui_stall", worst, "ms (14,000-row table, 450 KB)")
    bench("email_full_message_shown", (time.perf_counter() - started) * 1000, "ms")
    dialog.close()
    pane.widget.close()
    db.close()


def test_looping_cursor_cost(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, float]:
        with hostile_server() as server:
            page = [contact(n, time.time() - n) for n in range(100)]
            server.routes["/api/v1/contacts"] = json_answer(
                {"data": page, "meta": {"total": 9999, "hasMore": True, "cursor": "again"}}
            )
            server.routes["/api/v1/contacts/fields"] = json_answer({"data": []})
            db = Database.open(tmp_path / "loop.db")
            client = SeedlyClient(server.url, "sk_test_hostileserverkey0001")
            sync = SyncService(
                db.partition(server.url, "s"), client, EventBus(), ScopeKey(server.url, "s")
            )
            started = time.monotonic()
            try:
                await sync.full_contacts()
            except PaginationLoop:
                pass
            seconds = time.monotonic() - started
            await client.aclose()
            db.close()
            return server.count("/api/v1/contacts"), seconds

    requests, seconds = asyncio.run(scenario())
    bench("looping_cursor_requests_before_stop", requests, "requests")
    bench("looping_cursor_seconds_before_stop", seconds, "s")
