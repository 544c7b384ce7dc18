"""Ctrl+K global search over the local cache: results, keyboard, activation, partitions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QListView, QMainWindow, QStyleOptionViewItem

from app.services.quick_search import QuickSearch
from app.storage import Database, Partition
from app.ui.global_search import (
    GlobalSearch,
    GlobalSearchDelegate,
    GlobalSearchModel,
    GroupHeaderRole,
    ResultIdRole,
    ResultKindRole,
    SearchResult,
    match_spans,
    result_row,
)
from tests.unit.storage.docs import contact

DEPLOYMENT = "https://crm.example.com"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "cache.sqlite3")
    yield database
    database.close()


@pytest.fixture
def part_a(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_a")
    part.contacts.upsert_many(
        [
            contact(
                "c_jane",
                "Jane",
                "Doe",
                email="jane@acme.example",
                phone="+16175550101",
                company="Acme",
            ),
            contact("c_john", "John", "Smith", email="john@globex.example", phone="+16175550199"),
            contact("c_janet", "Janet", "Lee", email="janet@initech.example"),
        ]
    )
    part.conversations.upsert_conversations(
        [
            {
                "id": "conv_1",
                "contactId": "c_jane",
                "channel": "sms",
                "status": "open",
                "unreadCount": 1,
                "isArchived": False,
                "lastMessageAt": "2026-06-01T10:00:00.000Z",
                "createdAt": "2026-06-01T09:00:00.000Z",
                "contact": {"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example"},
            }
        ]
    )
    return part


@pytest.fixture
def part_b(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_b")
    part.contacts.upsert_many([contact("c_jane_b", "Jane", "Other", email="jane@other.example")])
    return part


def search_cache(part: Partition, text: str, kinds: frozenset[str]) -> list[SearchResult]:
    """What the popup lists for ``text`` in ``part``."""
    return [result_row(r) for r in QuickSearch.of(part).search(text, kinds)]


def test_contacts_match_by_name_email_and_phone(part_a: Partition) -> None:
    kinds = frozenset({"contact"})
    assert {r.id for r in search_cache(part_a, "jan", kinds)} == {"c_jane", "c_janet"}
    assert [r.id for r in search_cache(part_a, "globex", kinds)] == ["c_john"]
    by_phone = search_cache(part_a, "0199", kinds)
    assert [r.id for r in by_phone] == ["c_john"]
    assert search_cache(part_a, "   ", kinds) == []
    jane = next(r for r in search_cache(part_a, "jane doe", kinds) if r.id == "c_jane")
    assert jane.title == "Jane Doe" and "jane@acme.example" in jane.subtitle
    assert "(617) 555-0101" in jane.subtitle


def test_conversations_only_when_asked(part_a: Partition) -> None:
    assert all(r.kind == "contact" for r in search_cache(part_a, "jane", frozenset({"contact"})))
    both = search_cache(part_a, "jane", frozenset({"contact", "conversation"}))
    conversation = [r for r in both if r.kind == "conversation"]
    assert [r.id for r in conversation] == ["conv_1"]
    assert conversation[0].icon_name == "sms" and conversation[0].title == "Jane Doe"


def test_model_passes_the_model_tester(qapp: Any) -> None:
    model = GlobalSearchModel()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_results([SearchResult("contact", "c1", "Jane", "jane@x", "user")])
    index = model.index(0)
    assert index.data() == "Jane\njane@x"
    assert index.data(ResultKindRole) == "contact" and index.data(ResultIdRole) == "c1"
    model.set_results([])
    assert model.rowCount() == 0
    del tester


def test_typing_shows_results_and_enter_activates(qtbot: Any, part_a: Partition) -> None:
    window = QMainWindow()
    box = GlobalSearch(window)
    window.setCentralWidget(box)
    qtbot.addWidget(window)
    window.show()
    box.set_source(QuickSearch.of(part_a))
    chosen: list[tuple[str, str]] = []
    box.activated.connect(lambda kind, rid: chosen.append((kind, rid)))
    qtbot.keyClicks(box, "john")
    qtbot.waitUntil(lambda: box.model.rowCount() == 1, timeout=2000)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert chosen == [("contact", "c_john")]


def test_arrow_keys_move_through_results(qtbot: Any, part_a: Partition) -> None:
    box = GlobalSearch()
    qtbot.addWidget(box)
    box.show()
    box.set_source(QuickSearch.of(part_a))
    box.setText("jan")
    box.run_query()
    assert box.model.rowCount() == 2
    chosen: list[str] = []
    box.activated.connect(lambda _kind, rid: chosen.append(rid))
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert chosen == [box.model.results[1].id]


def test_switching_partition_clears_and_searches_the_new_one(
    qtbot: Any, part_a: Partition, part_b: Partition
) -> None:
    box = GlobalSearch()
    qtbot.addWidget(box)
    box.set_source(QuickSearch.of(part_a))
    box.setText("jane")
    box.run_query()
    assert {r.id for r in box.model.results} == {"c_jane", "c_janet"}  # prefixes match
    box.set_source(QuickSearch.of(part_b))
    assert box.model.rowCount() == 0  # nothing of the old sub-account stays on screen
    box.run_query()
    assert [r.id for r in box.model.results] == ["c_jane_b"]


def test_an_exact_email_comes_first(db: Database) -> None:
    part = db.partition(DEPLOYMENT, "sub_c")
    part.contacts.upsert_many(
        [
            contact("c_12", "Ana", "Adams", email="ana.smith12@acme.example"),  # sorts first
            contact("c_1", "Ana", "Smith", email="ana.smith1@acme.example"),
        ]
    )
    results = search_cache(part, "ana.smith1@acme.example", frozenset({"contact"}))
    assert results[0].id == "c_1"


def test_enter_still_opens_a_result_after_the_popup_closed(qtbot: Any, part_a: Partition) -> None:
    box = GlobalSearch()
    qtbot.addWidget(box)
    box.show()
    box.set_source(QuickSearch.of(part_a))
    box.setText("globex")
    box.run_query()
    box._popup.hide()  # focus went elsewhere and came back: the results still match
    chosen: list[str] = []
    box.activated.connect(lambda _kind, rid: chosen.append(rid))
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert chosen == ["c_john"]


def test_conversation_subtitles_name_the_channel_in_words(part_a: Partition) -> None:
    both = search_cache(part_a, "jane", frozenset({"contact", "conversation"}))
    conversation = next(r for r in both if r.kind == "conversation")
    assert conversation.subtitle.split(" · ")[0] == "SMS"


def test_match_spans_mark_each_typed_word_case_insensitively() -> None:
    assert match_spans("Jane Doe", "jane d") == [
        ("Jane", True),
        (" ", False),
        ("D", True),
        ("oe", False),
    ]
    assert match_spans("Acme", "") == [("Acme", False)]
    assert match_spans("", "x") == []


def test_rows_carry_a_header_on_the_first_row_of_each_kind(qapp: Any) -> None:
    model = GlobalSearchModel()
    model.set_results(
        [
            SearchResult("contact", "c1", "Jane", "", "user"),
            SearchResult("contact", "c2", "Janet", "", "user"),
            SearchResult("conversation", "v1", "Jane", "SMS", "sms"),
        ],
        "jan",
    )
    headers = [model.index(row).data(GroupHeaderRole) for row in range(3)]
    assert headers == ["Contacts", None, "Conversations"]
    assert model.query == "jan"


def _row_image(qapp: Any, query: str) -> QImage:
    model = GlobalSearchModel()
    model.set_results([SearchResult("contact", "c1", "Jane Doe", "jane@x.example", "user")], query)
    view = QListView()
    view.setModel(model)
    delegate = GlobalSearchDelegate(view)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = QRect(0, 0, 400, delegate.sizeHint(option, model.index(0)).height())
    image = QImage(option.rect.size(), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0))
    painter.end()
    return image


def test_the_typed_text_is_drawn_bold(qapp: Any) -> None:
    # The same row drawn with and without a matching query differs only by the bold match.
    assert _row_image(qapp, "jane") != _row_image(qapp, "")
    assert _row_image(qapp, "zzz") == _row_image(qapp, "")


def test_the_popup_fits_its_results_and_names_the_keys(qtbot: Any, part_a: Partition) -> None:
    box = GlobalSearch()
    qtbot.addWidget(box)
    box.show()
    box.set_source(QuickSearch.of(part_a))
    box.set_kinds(frozenset({"contact", "conversation"}))
    box.setText("globex")
    box.run_query()
    one_row = box._popup.height()
    box.setText("jan")
    box.run_query()
    assert box.model.rowCount() == 3  # Jane, Janet, and Jane's conversation
    assert box._popup.height() > one_row
    assert box._list.verticalScrollBar().maximum() == 0  # every result shown, no scrolling
    rows = sum(box._list.sizeHintForRow(row) for row in range(3))
    assert box._list.viewport().height() >= rows
    assert box._list.sizeHintForRow(1) >= 2 * box.fontMetrics().height() + 10  # room to breathe
    assert box._list.sizeHintForRow(0) > box._list.sizeHintForRow(1)  # the group header
    hint = box.keys_hint.text()
    assert "Enter opens" in hint and "Ctrl+B books an appointment" in hint and "Esc" in hint
