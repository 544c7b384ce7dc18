"""Adding researched people to the CRM from the Leads tab: it needs an open Seedly
connection (the button says so when there is none); the dialog offers the sub-accounts of
that connection (the open one first), shows the progress and the report, record by
record, and the banner sums it up.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from app.core.seamless import ResearchedContact
from app.services.ports.leads import LeadPushProgress, PushReport
from app.ui.async_qt import await_signal
from app.ui.common.report import open_report, report_severity, with_reason
from app.ui.leads.dialogs import AddToCrmDialog
from app.ui.leads.models import push_report_lines

if TYPE_CHECKING:
    from app.ui.leads.tab import LeadsTab


class CrmPushFlow:
    """Add to CRM (see the module docstring)."""

    def __init__(self, tab: LeadsTab) -> None:
        self.tab = tab
        self.push_dialog: AddToCrmDialog | None = None
        """The Add to CRM dialog while it is open."""

    def problem(self) -> str | None:
        """Why "Add to CRM" is disabled now (None: it is not)."""
        tab = self.tab
        if not tab.port.crm_open:
            return (
                "Open a Seedly connection (Settings → Connections) to add researched people "
                "to the CRM."
            )
        if tab.side.companies:
            return "Companies are not added as contacts: research people to add them to the CRM."
        if not self.selected_contacts():
            return "Select researched people to add them to the CRM."
        return None

    def selected_contacts(self) -> list[tuple[str, ResearchedContact]]:
        """The selected rows researched as contacts: (search result id, record)."""
        found = []
        model = self.tab.model
        for search_result_id in self.tab.selected_ids():
            research = model.research_of(search_result_id)
            if research is not None and isinstance(research.record, ResearchedContact):
                found.append((search_result_id, research.record))
        return found

    def add_to_crm(self) -> asyncio.Task[Any] | None:
        """Add the selected researched people to a sub-account (dialog with progress and
        the report); None, with the sentence, when it cannot be done now."""
        tab = self.tab
        tab.action_started()
        problem = self.problem()
        if problem is not None:
            tab.show_banner("warning", problem)
            return None
        leads = self.selected_contacts()
        port = tab.port

        async def push(sub_account_id: str, tag: str) -> PushReport:
            return await port.push(sub_account_id, leads, tag or None)

        dialog = AddToCrmDialog(
            len(leads),
            port.sub_accounts(),
            port.open_sub_account_id(),
            push,
            tab,
            tasks=tab.tasks,
        )
        dialog.pushFinished.connect(tab.pushFinished)
        return tab.tasks.spawn(self._flow(dialog), "leads-crm", replace=True)

    async def _flow(self, dialog: AddToCrmDialog) -> PushReport | None:
        self.push_dialog = dialog
        try:
            dialog.open()
            await await_signal(dialog.finished)
        finally:
            self.push_dialog = None
            dialog.deleteLater()
        report = dialog.report
        if report is not None:
            self.announce(report, "Add to CRM")
        return report

    def announce(self, report: PushReport, title: str) -> None:
        """The banner closing a push: what happened, the main reason of what failed or was
        skipped, and "Show report…" back to the record-by-record report."""
        tab = self.tab
        lines = push_report_lines(report.outcomes)
        severity = report_severity(failed=len(report.failed), incomplete=bool(report.skipped))
        summary = f"{title}: {report.summary()}"

        def show() -> None:
            open_report(tab, f"{title} report", summary, severity, lines)

        tab.show_banner(severity, with_reason(summary, lines), owner="crm", report=show)

    def progress(self, event: LeadPushProgress) -> None:
        """A record of the push was done: the open dialog's progress."""
        if self.push_dialog is not None:
            self.push_dialog.progress(event)


__all__ = ["CrmPushFlow"]
