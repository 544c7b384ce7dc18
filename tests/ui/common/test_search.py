"""The shared search field and the pace of typed searches."""

from __future__ import annotations

from typing import Any

from app.ui.common.search import SearchBox, SearchPace


def test_a_cheap_query_makes_the_next_search_run_at_once() -> None:
    pace = SearchPace(debounce_ms=120, cheap_ms=30)
    assert pace.delay_ms() == 0  # nothing known yet: a cache search is usually cheap
    pace.record(12.0)
    assert pace.delay_ms() == 0
    pace.record(85.0)  # the cache got slow (a long text, a big sub-account)
    assert pace.delay_ms() == 120
    pace.record(30.0)
    assert pace.delay_ms() == 0


def test_the_search_box_says_what_it_searches_and_clears(qtbot: Any) -> None:
    box = SearchBox("Search names, emails", min_width=240)
    qtbot.addWidget(box)
    assert box.placeholderText() == "Search names, emails"
    assert box.isClearButtonEnabled() and box.minimumWidth() == 240
    assert len(box.actions()) == 1  # the search icon, leading
