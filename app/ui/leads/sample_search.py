"""The demo's sample search (for ``--screenshot`` and a first look): one page of VPs and
Directors of Sales at US software companies, and its first rows researched, so the window
shows results, researched contact details and the meter. It never spends anything outside
the demo.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from app.ui.leads.models import ResearchMark
from app.ui.leads.results import PAGE_SIZES, PEOPLE

if TYPE_CHECKING:
    from app.ui.leads.tab import LeadsTab

SAMPLE_FILTERS: dict[str, Any] = {
    "seniority": ["VP", "Director"],
    "department": ["Sales"],
    "industry": ["Software & Information Technology"],
    "contactCountry": ["United States"],
}
"""The demo's sample search: VPs and Directors of Sales at US software companies."""
SAMPLE_PAGE_SIZE = 25
SAMPLE_RESEARCH = 3
TERMINAL_MARKS = (ResearchMark.DONE, ResearchMark.NOT_FOUND, ResearchMark.FAILED)


async def run_sample_search(tab: LeadsTab, *, timeout: float = 60.0) -> bool:
    """In the demo only: search one page of ``SAMPLE_FILTERS`` and research its first
    ``SAMPLE_RESEARCH`` rows. True when the research finished in time; False at once
    outside the demo."""
    port = tab.port
    if not port.is_demo:
        return False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def balance_known() -> bool:
        credits = port.credits
        return port.connected and credits is not None and credits.balance is not None

    while not balance_known():
        if loop.time() > deadline or port.problem:
            return False
        await asyncio.sleep(0.1)
    tab.sync_connection()
    tab.set_kind(PEOPLE)
    tab.page_size.setCurrentIndex(PAGE_SIZES.index(SAMPLE_PAGE_SIZE))
    tab.people_panel.set_mapping(SAMPLE_FILTERS)
    task = tab.search()
    if task is None or not await task:
        return False
    ids = tab.people_model.ids()[:SAMPLE_RESEARCH]
    tab.select_rows(list(range(len(ids))))
    queue = port.queue
    if queue is None:
        return False
    plan = queue.plan(ids)
    if plan.refusal is not None:
        return False
    people = tab.sides[PEOPLE]
    if not plan.sends_nothing:
        tab.research.submit(plan, people)
    else:
        tab.research.apply_results(queue.reopen(plan.free), people)
    while True:
        marks = [tab.people_model.research_of(i) for i in ids]
        if all(m is not None and m.mark in TERMINAL_MARKS for m in marks):
            break
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.1)
    # One row selected: the details pane shows the first researched person (with several
    # selected it would show the selection's count and actions instead).
    tab.select_rows([0])
    tab.refresh_meter()
    if tab.banner.severity == "info":
        tab.hide_banner()  # "research queued": done by now
    return True


__all__ = ["SAMPLE_FILTERS", "SAMPLE_RESEARCH", "run_sample_search"]
