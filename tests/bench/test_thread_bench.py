"""Figures of the thread pane with a long thread (printed as ``BENCH name=value unit``).

A conversation of 5,000 cached messages (one email in ten with an HTML body, a note
now and then, the rest SMS of varied length):

- ``thread_5000_first_paint``: from ``set_conversation`` on a shown pane until the
  message view's first paint;
- ``thread_5000_scroll_to_top``: scrolling to the top again and again, loading older
  pages from the cache, until the first message is loaded; with the number of pages
  and the longest single step (the longest the event loop was busy at once).

Run with ``pytest tests/bench/test_thread_bench.py -s``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from app.services.ports.inbox import InboxPort
from app.storage import Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.inbox.thread import ThreadPane
from tests.ui.inbox.thread_fixtures import (
    BASE_MS,
    CONV,
    ThreadWorkspace,
    iso,
    seed_partition,
)
from tests.support.qt_loop import _no_quit_on_last_window, qloop, run
from tests.unit.storage.docs import message

__all__ = ["_no_quit_on_last_window", "qloop", "run"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.timeout(600)

N_MESSAGES = 5_000
WORDS = (
    "thanks for getting back to me so quickly about the appointment next week and "
    "please let me know whether the insurance covers the cleaning for both of us"
).split()


def long_thread() -> list[dict[str, Any]]:
    docs = []
    for i in range(N_MESSAGES):
        outbound = i % 3 == 1
        length = 4 + (i * 7) % 40
        text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(length))
        fields: dict[str, Any] = {
            "direction": "outbound" if outbound else "inbound",
            "status": ("delivered", "read", "sent", "failed")[i % 4] if outbound else "delivered",
        }
        if i % 10 == 0:
            fields.update(
                channel="email",
                subject=f"Appointment #{i}",
                bodyHtml=f"<p>Hi,</p><p><b>{text}</b></p><p>Best,<br>Harbor Dental</p>",
            )
        if i % 97 == 0:
            fields.update(isInternal=True, direction="outbound", status="sent")
        if fields.get("status") == "failed":
            fields["errorMessage"] = "SMS failed: the carrier reported the number unreachable."
        docs.append(message(f"b_{i:05d}", CONV, iso(BASE_MS + i * 60_000), text, **fields))
    return docs


@pytest.fixture(scope="module")
def big_thread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Partition]]:
    path = tmp_path_factory.mktemp("thread-bench") / "cache.sqlite3"
    db = Database.open(path)
    part = seed_partition(db, messages=0)
    part.messages.upsert_messages(long_thread())
    db.close()
    db = Database.open(path)  # as after an app start
    yield db, db.partition("https://crm.example.com", "sub_t")
    db.close()


class FirstPaint(QObject):
    """Records when a widget first receives a paint event."""

    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = time.perf_counter()
        return False


def test_thread_first_paint_and_scroll_to_top(
    qapp: QApplication, qloop: Any, big_thread: tuple[Database, Partition]
) -> None:
    db, part = big_thread
    assert part.messages.count_messages(CONV) == N_MESSAGES
    workspace = ThreadWorkspace(db, part)
    workspace.session.sync = None  # type: ignore[union-attr]  # the cache holds the whole thread
    bridge = BusBridge(workspace.bus)
    pane = ThreadPane(InboxPort(workspace), bridge, TaskSet("bench", loop=qloop))
    pane.resize(900, 760)
    pane.show()
    for _ in range(5):
        qapp.processEvents()
    probe = FirstPaint()
    pane.view.viewport().installEventFilter(probe)

    started = time.perf_counter()
    pane.set_conversation(CONV)
    while probe.at is None and time.perf_counter() - started < 30:
        qapp.processEvents()
    assert probe.at is not None
    first_paint_ms = (probe.at - started) * 1000
    print(f"\nBENCH thread_5000_first_paint={first_paint_ms:.0f} ms")
    print(f"BENCH thread_5000_first_rows={pane.model.message_count} rows")

    model, view = pane.model, pane.view
    bar = view.verticalScrollBar()
    pages = 0
    longest = 0.0
    started = time.perf_counter()
    while not model.at_start and time.perf_counter() - started < 120:
        before = model.message_count
        bar.setValue(0)
        step = time.perf_counter()
        qapp.processEvents()
        qapp.processEvents()
        longest = max(longest, time.perf_counter() - step)
        if model.message_count > before:
            pages += 1
    total_ms = (time.perf_counter() - started) * 1000
    assert model.at_start and model.message_count == N_MESSAGES
    print(f"BENCH thread_5000_scroll_to_top={total_ms:.0f} ms")
    print(f"BENCH thread_5000_scroll_pages={pages} pages")
    print(f"BENCH thread_5000_longest_step={longest * 1000:.0f} ms")
    print(f"BENCH thread_5000_html_documents={view.delegate.documents_made} documents")
    pane.close()
    bridge.detach()
