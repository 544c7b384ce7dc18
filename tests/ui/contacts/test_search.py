"""ContactSearchController: adaptive debounce, newest request wins, filters, sub-account switch."""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import QModelIndex

from app.services.ports.contacts import ContactFilters, ContactsReader
from app.storage import Partition
from app.ui.contacts.model import ContactsTableModel
from app.ui.common.search import CHEAP_QUERY_MS, DEBOUNCE_MS
from app.ui.contacts.search import ContactSearchController
from tests.ui.contacts.conftest import InlineExecutor, ManualExecutor, ids


def _ticking_clock(step_s: float) -> Any:
    """A clock that moves ``step_s`` seconds on every reading: every read looks that slow."""
    ticks = itertools.count()
    return lambda: next(ticks) * step_s


def test_after_a_cheap_search_a_keystroke_searches_at_once(
    model: ContactsTableModel, part_a: Partition
) -> None:
    model.set_reader(ContactsReader(part_a))
    search = ContactSearchController(model, executor=InlineExecutor())
    search.set_text("jane")
    # No event processing, no timer: the rows are there when set_text returns.
    assert model.query.text == "jane" and model.total_count > 0
    assert search.last_read_ms is not None and search.last_read_ms < CHEAP_QUERY_MS
    assert not search.debounces
    search.set_text("john")
    assert model.query.text == "john" and not search.pending
    assert all("john" in (model.data(model.index(r, 0)) or "").lower() for r in range(3))
    assert search.last_debounce_ms == 0.0
    search.close()


def test_after_a_costly_search_a_keystroke_waits_for_the_debounce(
    model: ContactsTableModel, part_a: Partition, qtbot: Any
) -> None:
    model.set_reader(ContactsReader(part_a))
    slow = 2 * CHEAP_QUERY_MS / 1000
    search = ContactSearchController(
        model, executor=InlineExecutor(), debounce_ms=40, clock=_ticking_clock(slow)
    )
    search.set_text("jane")  # the first search runs at once; it reads slowly
    assert model.query.text == "jane" and search.debounces
    search.set_text("john")
    assert model.query.text == "jane" and search.pending  # waiting for quiet
    search.set_text("mia")
    qtbot.waitUntil(lambda: model.query.text == "mia", timeout=2000)
    assert not search.pending
    search.close()


def test_the_default_debounce_applies_only_after_a_costly_search() -> None:
    assert DEBOUNCE_MS == 120 and CHEAP_QUERY_MS < DEBOUNCE_MS


def test_only_the_newest_request_is_shown(model: ContactsTableModel, part_a: Partition) -> None:
    model.set_reader(ContactsReader(part_a))
    jobs = ManualExecutor()
    search = ContactSearchController(model, executor=jobs)
    search.set_text("jane")
    search.set_text("john")
    assert len(jobs.jobs) == 2 and search.pending
    jobs.run(1)  # the newer answers first
    assert model.query.text == "john"
    jobs.run(0)  # superseded before it started: skipped, nothing changes
    assert model.query.text == "john" and not search.pending
    search.close()


def test_a_filter_applies_at_once_and_a_switch_scrubs_sub_account_values(
    model: ContactsTableModel, part_a: Partition, part_b: Partition
) -> None:
    model.set_reader(ContactsReader(part_a))
    search = ContactSearchController(model, executor=InlineExecutor())
    search.set_tags(["vip"])
    search.set_lifecycle_stage("lead")
    assert model.query.filters == ContactFilters(lifecycle_stage="lead", tags=("vip",))
    assert "vip" in search.filter_choices().tags
    search.set_reader(ContactsReader(part_b))
    assert search.filters == ContactFilters(lifecycle_stage="lead")
    assert all(i.startswith("b_") for i in ids(model))
    search.set_reader(None)
    assert search.filter_choices().tags == () and model.rowCount() == 0
    search.close()


def test_a_search_reads_a_short_first_page_and_the_table_pages_on(
    model: ContactsTableModel, part_a: Partition
) -> None:
    model.set_reader(ContactsReader(part_a))
    search = ContactSearchController(model, executor=InlineExecutor(), first_rows=4)
    search.set_has_phone(True)
    total = model.total_count
    assert model.rowCount() == 4 and total > 14 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 14 and len(set(ids(model))) == 14
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == total
    search.close()
