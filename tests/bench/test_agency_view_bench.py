"""Figures of the merged Inbox (All sub-accounts), printed as ``BENCH name=value unit`` (no
timing asserted): 20 sub-accounts × 500 conversations filled directly into their
partitions; the merged list's first rows painted after the list gets the merged reader,
scrolling a real ``QListView`` with the row delegate page by page (the k-way merge of the
next page, then its paint), one page read alone (the merge without Qt), the picker's
unread counts over every partition, and one change event applied with many rows loaded.

Run with ``.venv/bin/pytest tests/bench/test_agency_view_bench.py -s``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import QApplication, QListView

from app.services.agency_inbox import AgencyInboxReader, Member, chip_colour, unread_counts
from app.services.bus import ConversationsChanged, ScopeKey
from app.storage import ConversationFilters, ConversationView, Database, Partition
from app.ui.inbox.delegate import ConversationDelegate
from app.ui.inbox.list_model import ConversationListModel, OwnerRole
from tests.bench.test_inbox_bench import FirstPaint, synthetic_conversations
from tests.bench.test_storage_bench import bench

pytestmark = pytest.mark.timeout(300)

SUB_ACCOUNTS = 20
PER_SUB_ACCOUNT = 500
DEPLOYMENT = "https://agency.example.com"


@pytest.fixture(scope="module")
def agency_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Path]]:
    path = tmp_path_factory.mktemp("agency-bench") / "cache.sqlite3"
    db = Database.open(path)
    for n in range(SUB_ACCOUNTS):
        part = db.partition(DEPLOYMENT, f"sub_{n:02d}")
        # Each sub-account its own mix of times (another seed), the same id scheme.
        part.conversations.upsert_conversations(
            synthetic_conversations(PER_SUB_ACCOUNT, seed=100 + n)
        )
    db.close()
    db = Database.open(path)  # as after an app start
    yield db, path
    db.close()


def _members(db: Database) -> list[tuple[Member, Partition]]:
    members = []
    for n in range(SUB_ACCOUNTS):
        part = db.partition(DEPLOYMENT, f"sub_{n:02d}")
        scope = ScopeKey(part.deployment, part.sub_account_id)
        members.append((Member(scope, f"Client {n:02d}", chip_colour(scope.sub_account_id)), part))
    return members


def test_merged_list_first_paint_and_scroll(
    qapp: QApplication, agency_cache: tuple[Database, Path]
) -> None:
    db, _path = agency_cache
    members = _members(db)

    # One page of the merge alone (no Qt): the first, and one deep in the list.
    reader = AgencyInboxReader(members)
    samples = []
    for _ in range(5):
        fresh = AgencyInboxReader(members)
        start = time.perf_counter()
        fresh.first_page(ConversationView.all(), ConversationFilters(), None, 100)
        samples.append((time.perf_counter() - start) * 1000)
    bench("agency_merge_first_page_20x500", statistics.median(samples), "ms")
    start = time.perf_counter()
    reader.conversations(limit=100, offset=5000)  # a jump: merged from the top
    bench("agency_merge_jump_to_row_5000", (time.perf_counter() - start) * 1000, "ms")

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
    model.set_merged(AgencyInboxReader(members))
    while painted.at is None:
        qapp.processEvents()
    bench("agency_list_20x500_first_paint", (painted.at - start) * 1000, "ms")
    assert model.total_count == SUB_ACCOUNTS * PER_SUB_ACCOUNT

    # Page down until 3,000 rows are loaded: each step may merge the next page.
    bar = view.verticalScrollBar()
    steps: list[float] = []
    while model.rowCount() < 3000:
        step = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        view.viewport().repaint()
        qapp.processEvents()
        steps.append((time.perf_counter() - step) * 1000)
        if bar.value() >= bar.maximum() and not model.canFetchMore(QModelIndex()):
            break
    bench("agency_list_20x500_scroll_per_page", statistics.mean(steps), "ms")
    bench("agency_list_20x500_scroll_worst_page", max(steps), "ms")
    owners = {model.index(r, 0).data(OwnerRole) for r in range(model.rowCount())}
    assert len(owners) == SUB_ACCOUNTS

    # A change in one background sub-account with ~3,000 rows loaded (re-read on the
    # model's worker, as a sync's event is).
    part = members[7][1]
    part.conversations.upsert_conversations(
        [{"id": "conv_00000042", "lastMessageAt": "2026-12-31T00:00:00.000Z"}]
    )
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(2)
    ticker.timeout.connect(tick)
    ticker.start()
    start = last[0] = time.perf_counter()
    model.refresh(ConversationsChanged(members[7][0].scope, ids=frozenset({"conv_00000042"})))
    model.flush_changes()
    while model.index(0, 0).data(OwnerRole) != "sub_07":
        qapp.processEvents()
    bench("agency_list_change_to_visible_3000_loaded", (time.perf_counter() - start) * 1000, "ms")
    qapp.processEvents()
    ticker.stop()
    gaps.append(time.perf_counter() - last[0])
    bench("agency_list_change_longest_gui_stall", max(gaps) * 1000, "ms")
    model.close()
    view.close()

    parts = {m.sub_account_id: p for m, p in members}
    start = time.perf_counter()
    counts = unread_counts(parts)
    bench("agency_picker_unread_counts_20", (time.perf_counter() - start) * 1000, "ms")
    assert len(counts) == SUB_ACCOUNTS
