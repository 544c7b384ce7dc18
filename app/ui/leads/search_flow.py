"""Searching and paging in the Leads tab: the first page of the filters shown, then "Load
more", each refused before anything is sent when a filter is invalid or the cost exceeds
the balance or the daily budget (one sentence, at the refused action; the meter shows
its state: see ``refusals``). The table never loads a page on its own. Rows researched before (the ledger
holds them) are marked as such, free to reopen.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt

from app.core.credits import CreditsRefused
from app.core.errors import ApiError
from app.services.ports.leads import LeadsNotConnected, SearchPager
from app.ui.leads.filters import describe
from app.ui.leads.refusals import LOAD_MORE, SEARCH
from app.ui.leads.results import SearchSide

if TYPE_CHECKING:
    from app.ui.leads.tab import LeadsTab


class SearchFlow:
    """The searches of the Leads tab (see the module docstring)."""

    def __init__(self, tab: LeadsTab) -> None:
        self.tab = tab

    def search(self) -> asyncio.Task[Any] | None:
        """Start the search the filters describe (its first page); the page's task, or None
        when refused (the sentence shown) or there is no connection (the settings open)."""
        tab = self.tab
        tab.sync_connection()  # a connection opened since the last check: its results
        port = tab.port
        credits = port.credits
        if not port.connected or credits is None:
            tab.open_settings()
            return None
        tab.action_started()
        side = tab.side
        query = side.panel.build_query()
        if query is None:
            tab.search_message.show_text("Correct the filters marked in red, then search again.")
            return None
        estimate = credits.estimate_search_page(tab.page_size_value, companies=side.companies)
        refusal = credits.check(estimate)
        if refusal is not None:
            tab.refusals.refuse(SEARCH)
            tab.searchFailed.emit(tab.search_message.text or refusal.message)
            return None
        tab.search_message.clear()
        try:
            pager = port.new_search(query, tab.page_size_value)
        except LeadsNotConnected:
            tab.open_settings()
            return None
        side.pager = pager
        side.searched = describe(side.panel.mapping(), side.panel.specs)
        side.model.clear()
        side.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        tab.details.clear()
        side.busy = True
        tab.update_results_view()
        # A page in flight is left to finish (it may be charged) and is then ignored, since
        # its pager is no longer the one shown: hence a task name per pager, not replace=True.
        return tab.tasks.spawn(self._load_page(side, pager), f"leads-page-{id(pager)}")

    def load_more(self) -> asyncio.Task[Any] | None:
        """Load the next page of the search shown, after checking its cost (the button
        shows it); None when refused (the sentence beside the button) or nothing is left."""
        tab = self.tab
        side = tab.side
        pager = side.pager
        if pager is None or not pager.can_fetch_more:
            return None
        tab.action_started()
        refusal = pager.check_next()
        if refusal is not None:
            tab.refusals.refuse(LOAD_MORE)
            tab.searchFailed.emit(tab.load_message.text or refusal.message)
            return None
        side.busy = True
        tab.update_load_more()
        return tab.tasks.spawn(self._load_page(side, pager), f"leads-page-{id(pager)}")

    def page_size_changed(self) -> None:
        """The API takes a new limit per page: the searches shown page by the new size."""
        tab = self.tab
        for side in tab.sides.values():
            if side.pager is not None:
                side.pager.page_size = tab.page_size_value
        tab.update_load_more()
        tab.refresh_estimate()

    async def _load_page(self, side: SearchSide, pager: SearchPager[Any]) -> int:
        tab = self.tab
        tab.update_actions()
        try:
            rows = await pager.fetch_more()
        except (CreditsRefused, ApiError) as exc:
            if side.pager is pager:
                side.busy = False
            self._page_failed(side, pager, exc.user_message)
            return 0
        if side.pager is not pager:
            return 0  # a newer search replaced this one
        side.busy = False
        added = side.model.append(rows)
        self.mark_known([r.search_result_id for r in rows], side)
        selection = side.table.selectionModel()
        if side.model.rowCount() and not selection.currentIndex().isValid():
            # The first result in the details pane, without selecting it: research and the
            # CRM act on what the user selects.
            selection.setCurrentIndex(
                side.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        tab.update_results_view()
        tab.update_load_more()
        tab.refresh_meter()
        tab.pageLoaded.emit(side.kind, added)
        return added

    def _page_failed(self, side: SearchSide, pager: SearchPager[Any], text: str) -> None:
        tab = self.tab
        if side.pager is not pager:
            return
        # Said once, where it happened: beside Load more, or under Search for a first page.
        tab.refusals.clear()
        if side.model.rowCount():
            tab.load_message.show_text(text)
        else:
            tab.search_message.show_text(text)
        tab.update_results_view()
        tab.update_load_more()
        tab.searchFailed.emit(text)

    def mark_known(self, ids: list[str], side: SearchSide) -> None:
        """Rows researched before (the ledger holds them): shown as such, free to reopen."""
        port = self.tab.port
        queue, credits = port.queue, port.credits
        if queue is None or credits is None or not ids:
            return
        held = credits.already_researched(ids, companies=side.companies)
        if held:
            self.tab.research.apply_results(
                queue.reopen(sorted(held), kind=side.research_kind), side
            )


__all__ = ["SearchFlow"]
