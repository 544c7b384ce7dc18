"""A refusal is said once, where it happened (the Leads tab against the session's sandbox):
one sentence at the refused action, worded for it, with the way out as its button, plus the
meter's state; a newer refusal replaces the older one, the sentence goes when its cause
does, and the banners of older actions go when a new action starts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget

from app.ui.leads.refusals import RAISE_BUDGET
from app.ui.leads.tab import LeadsTab
from tests.support.sandbox_process import Sandbox
from tests.ui.leads.conftest import person_result, until
from tests.ui.leads.test_tab_sandbox import FILTERS, hover, new_user, opened, requests

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]


def places(tab: LeadsTab, phrase: str) -> list[QWidget]:
    """The visible labels of the tab that say ``phrase``."""
    found: list[QWidget] = []
    for label in tab.findChildren(QLabel):
        if label.isVisible() and phrase in label.text():
            found.append(label)
    return found


def owner_of(tab: LeadsTab, label: QWidget) -> str:
    """Which part of the tab a label belongs to."""
    for name, part in (
        ("search", tab.search_message),
        ("load more", tab.load_message),
        ("banner", tab.banner),
        ("meter", tab.meter),
    ):
        if part is label or part.isAncestorOf(label):
            return name
    return label.objectName() or type(label).__name__


def said_at(tab: LeadsTab, phrase: str) -> list[str]:
    return sorted(owner_of(tab, label) for label in places(tab, phrase))


def test_a_budget_refusal_is_said_once_at_the_refused_action(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    key = new_user(sandbox, 500)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key) as (tab, workspace):
            tab.set_daily_budget(3)
            tab.people_panel.set_mapping(FILTERS)
            tab.page_size.setCurrentIndex(tab.page_size.findData(25))  # up to 3 credits
            task = tab.search()
            assert task is not None and await task == 25
            # Load more would go over the budget: said beside it, once, worded for it.
            assert not tab.load_more_button.isEnabled()
            assert said_at(tab, "today's budget") == ["load more"]
            assert tab.load_message.text.startswith("The next 25 people cost up to 3 credits")
            assert tab.load_message.action_button.text() == RAISE_BUDGET
            # Search is refused too: its sentence replaces the older one, and the meter
            # shows its state, not the sentence again.
            before = requests(workspace)
            hover(tab.search_button)
            assert tab.search() is None and requests(workspace) == before
            sentence = tab.search_message.text
            assert sentence.startswith("25 per page costs up to 3 credits, and 0 are left")
            assert "Select fewer records" not in sentence and "Settings" not in sentence
            assert tab.search_message.action_button.text() == RAISE_BUDGET
            assert tab.search_message.action_button.isVisible()
            assert said_at(tab, sentence) == ["search"]
            assert said_at(tab, "today's budget") == ["meter", "search"]
            assert tab.meter.estimate_text.endswith("Over today's budget of 3 credits (0 left).")
            assert tab.meter.budget_label.property("level") == "danger"
            # "Raise budget…" beside the sentence opens the budget dialog.
            tab.search_message.action_button.click()
            await until(lambda: tab.tasks.running("leads-budget"))
            tab.tasks.cancel("leads-budget")
            # The cause changes: the sentence goes; Load more is no longer refused either.
            tab.set_daily_budget(20)
            assert said_at(tab, "today's budget") == []
            assert tab.search_message.isHidden() and tab.load_message.isHidden()
            assert tab.load_more_button.isEnabled()

    run(flow(), timeout=60)


def test_a_search_refusal_changes_with_the_page_size(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    key = new_user(sandbox, 500)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key) as (tab, _workspace):
            tab.set_daily_budget(3)
            tab.people_panel.set_mapping(FILTERS)
            tab.page_size.setCurrentIndex(tab.page_size.findData(100))  # up to 10 credits
            assert tab.search() is None
            assert tab.search_message.text.startswith("100 per page costs up to 10 credits")
            tab.page_size.setCurrentIndex(tab.page_size.findData(50))
            assert tab.search_message.text.startswith("50 per page costs up to 5 credits")
            assert said_at(tab, "per page costs") == ["search"]
            tab.page_size.setCurrentIndex(tab.page_size.findData(25))  # within the budget
            assert tab.search_message.isHidden() and said_at(tab, "today's budget") == []

    run(flow(), timeout=40)


def test_a_new_action_dismisses_an_older_banner(sandbox: Sandbox, tmp_path: Path, run: Run) -> None:
    key = new_user(sandbox, 500)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key) as (tab, _workspace):
            # An Add to CRM message on the banner...
            tab.people_model.append([person_result(1)])
            tab.select_rows([0])
            assert tab.add_to_crm() is None
            assert tab.banner.isVisible() and "add them to the CRM" in tab.banner.text
            # ... goes when Search starts, whose refusal is said under the filters only.
            tab.set_daily_budget(1)
            tab.people_panel.set_mapping(FILTERS)
            assert tab.search() is None
            assert not tab.banner.isVisible()
            assert said_at(tab, "today's budget") == ["meter", "search"]

    run(flow(), timeout=40)


def test_a_research_refusal_is_said_on_the_banner_with_raise_budget(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    key = new_user(sandbox, 500)

    async def flow() -> None:
        async with opened(tmp_path, sandbox, key, seedly=False) as (tab, workspace):
            tab.set_daily_budget(3)
            tab.people_model.append([person_result(i) for i in range(8)])
            tab.select_rows(list(range(8)))
            before = requests(workspace)
            hover(tab.research_button)
            assert tab.research_selected() is None and requests(workspace) == before
            sentence = tab.banner.text
            assert sentence.startswith("Researching 8 people costs up to 8 credits, and 3 are")
            assert tab.banner.action_button.text() == RAISE_BUDGET
            assert said_at(tab, sentence) == ["banner"]
            assert said_at(tab, "today's budget") == ["banner", "meter"]
            tab.banner.action_button.click()
            await until(lambda: tab.tasks.running("leads-budget"))
            tab.tasks.cancel("leads-budget")
            # Fewer rows selected, within the budget: the refusal is taken back.
            tab.select_rows([0, 1])
            assert not tab.banner.isVisible()

    run(flow(), timeout=40)
