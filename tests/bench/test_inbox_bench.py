"""Figures of the Inbox list (printed as ``BENCH name=value unit``; no timing asserted).

- With 10,000 conversations in the cache: first rows painted after the list gets its
  partition, scrolling the whole list through a real ``QListView`` with the row
  delegate (every row loaded and painted once), and applying one change event with
  every row loaded (the in-place re-query a sync triggers).
- Inbound to window: a message injected in a sandbox without simulated traffic,
  measured until it is in the list model of the real window with the Inbox visible,
  with the app's real poll plan (inbox every 10 s while on screen).

Run with ``.venv/bin/pytest tests/bench/test_inbox_bench.py -s``.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QModelIndex, QObject, QTimer
from PySide6.QtWidgets import QApplication, QListView

from app.bootstrap import Application, LaunchOptions
from app.services.bus import ConversationsChanged, ScopeKey
from app.services.session import PollPlan
from app.services.ports.inbox import InboxReader
from app.settings.paths import AppPaths
from app.storage import Database, Partition
from app.ui.inbox.delegate import ConversationDelegate
from app.ui.inbox.list_model import ConversationListModel
from app.ui.inbox.tab import InboxTab
from tests.bench.test_storage_bench import FIRST, LAST, USERS, bench
from tests.e2e.conftest import save_connection
from tests.support.qt_loop import _no_quit_on_last_window, qloop, run
from tests.support.sandbox_process import Sandbox

__all__ = ["_no_quit_on_last_window", "qloop", "run"]

pytestmark = pytest.mark.timeout(600)

N_CONVERSATIONS = 10_000
DEPLOYMENT = "https://crm.example.com"
CHANNELS = ["sms", "email", "gmail", "messenger", "instagram", "live_chat", "social_dm"]
WORDS = ["invoice", "appointment", "roof", "leak", "quote", "thanks", "tomorrow", "price"]


def synthetic_conversations(n: int, seed: int = 11) -> list[dict[str, Any]]:
    """``n`` conversations shaped like the sandbox's (previews and directions included)."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        docs.append(
            {
                "id": f"conv_{i:08d}",
                "contactId": f"contact_{i:08d}",
                "channel": rng.choice(CHANNELS),
                "status": rng.choice(["open", "open", "closed", "snoozed"]),
                "assignedTo": rng.choice(USERS),
                "subject": None,
                "unreadCount": rng.choice([0, 0, 0, 1, 3]),
                "isArchived": False,
                "lastMessageAt": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z",
                "createdAt": "2026-01-01T00:00:00.000Z",
                "lastMessagePreview": " ".join(rng.choice(WORDS) for _ in range(12)),
                "lastMessageDirection": rng.choice(["inbound", "outbound"]),
                "contact": {
                    "id": f"contact_{i:08d}",
                    "firstName": first,
                    "lastName": last,
                    "email": f"{first.lower()}{i}@example.com",
                    "phone": f"+1617555{rng.randrange(10_000):04d}",
                },
            }
        )
    return docs


class FirstPaint(QObject):
    """Records when a widget first receives a paint event."""

    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = time.perf_counter()
        return False


@pytest.fixture(scope="module")
def big_inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Partition]:
    path = tmp_path_factory.mktemp("inbox-bench") / "cache.sqlite3"
    db = Database.open(path)
    db.partition(DEPLOYMENT, "sub_bench").conversations.upsert_conversations(
        synthetic_conversations(N_CONVERSATIONS)
    )
    db.close()
    db = Database.open(path)  # as after an app start
    yield db.partition(DEPLOYMENT, "sub_bench")
    db.close()


def test_list_first_paint_and_scroll_10k(qapp: QApplication, big_inbox: Partition) -> None:
    view = QListView()
    view.setUniformItemSizes(True)
    view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
    view.resize(380, 800)
    model = ConversationListModel(view)
    view.setItemDelegate(ConversationDelegate(view))
    view.setModel(model)
    painted = FirstPaint()
    view.viewport().installEventFilter(painted)
    view.show()
    qapp.processEvents()
    painted.at = None
    start = time.perf_counter()
    model.set_reader(InboxReader(big_inbox))
    while painted.at is None:
        qapp.processEvents()
    bench("inbox_list_10k_first_paint", (painted.at - start) * 1000, "ms")

    # Page down through everything: the view asks for more rows at the bottom, and every
    # page is painted before the next step.
    bar = view.verticalScrollBar()
    pages = 0
    start = time.perf_counter()
    while True:
        qapp.processEvents()
        at_end = bar.value() >= bar.maximum() and not model.canFetchMore(QModelIndex())
        if at_end:
            break
        bar.setValue(bar.value() + bar.pageStep())
        view.viewport().repaint()
        pages += 1
    elapsed = (time.perf_counter() - start) * 1000
    assert model.rowCount() == N_CONVERSATIONS
    bench("inbox_list_10k_scroll_all", elapsed, "ms")
    bench("inbox_list_10k_scroll_per_page", elapsed / max(1, pages), "ms")

    # One change event with every row loaded: the re-query of the whole window, inline
    # and (as the model does for large windows) on its worker while the GUI thread runs.
    scope = ScopeKey(DEPLOYMENT, "sub_bench")
    for number, background in ((5000, False), (6000, True)):
        cid = f"conv_{number:08d}"
        big_inbox.conversations.upsert_conversations(
            [{"id": cid, "lastMessageAt": f"2026-12-0{1 + number // 5000}T00:00:00.000Z"}]
        )
        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick(gaps: list[float] = gaps, last: list[float] = last) -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        ticker = QTimer()
        ticker.setInterval(2)
        ticker.timeout.connect(tick)
        ticker.start()
        start = time.perf_counter()
        last[0] = start
        model.refresh(ConversationsChanged(scope, ids=frozenset({cid})))
        model.flush_changes(background=background)
        while model.id_at(0) != cid:
            qapp.processEvents()
        elapsed = (time.perf_counter() - start) * 1000
        qapp.processEvents()
        ticker.stop()
        gaps.append(time.perf_counter() - last[0])
        label = "background" if background else "inline"
        bench(f"inbox_list_10k_apply_change_{label}", elapsed, "ms")
        bench(f"inbox_list_10k_apply_change_{label}_longest_stall", max(gaps) * 1000, "ms")
    view.close()


def test_inbound_to_window(
    qapp: Any, qloop: Any, run: Any, sandbox: Sandbox, isolated_home: Path
) -> None:
    """The app's own poll plan, the shared sandbox (no simulated traffic)."""
    save_connection(isolated_home, sandbox)
    samples: list[float] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        app = Application(qapp, LaunchOptions(), AppPaths.under(isolated_home), loop=loop)
        app.workspace.plan = PollPlan()  # the real intervals
        task = loop.create_task(app.run())
        try:
            await asyncio.wait_for(app.areas_ready.wait(), 30)
            tab = app.window.area("inbox")
            assert isinstance(tab, InboxTab)
            app.window.show_area("inbox")
            deadline = time.monotonic() + 90
            while not (tab.is_loaded() and tab.model.rowCount() > 10):
                assert time.monotonic() < deadline, "the inbox did not load"
                await asyncio.sleep(0.1)
            active = app.workspace.active
            assert active is not None
            while active.partition.state.get_state("contacts_full_ms") is None:
                await asyncio.sleep(0.1)
            tab.set_filters(status=None)
            for sample in range(3):
                target = tab.model.id_at(5 + sample)
                assert target is not None
                start = time.monotonic()
                await asyncio.to_thread(
                    sandbox.control,
                    "POST",
                    "inbound",
                    json={
                        "subAccountId": active.scope.sub_account_id,
                        "conversationId": target,
                        "bodyText": f"Bench message {sample}",
                    },
                )
                while tab.model.id_at(0) != target:
                    assert time.monotonic() - start < 60, "the message never showed"
                    await asyncio.sleep(0.01)
                samples.append(time.monotonic() - start)
                # Land at a different moment of the poll cycle each time.
                await asyncio.sleep(3.3)
        finally:
            if not task.done():
                app.window.close()
            await asyncio.wait_for(task, 30)
            await asyncio.wait_for(app.shutdown(), 30)

    run(scenario(), timeout=300)
    bench("inbox_inbound_to_window", statistics.median(samples), "s")
    bench("inbox_inbound_to_window_max", max(samples), "s")
    print("inbound samples (s):", ", ".join(f"{s:.2f}" for s in samples), flush=True)
