"""Researching in the Leads tab: what is already researched is reopened for free and not
sent; a plan the balance or the budget refuses is refused before anything is sent, with
the reason; otherwise a non-blocking confirmation asks first (the estimate, the free
duplicates and the balance after). Results flow into the tables, the details pane and
the queue panel as they arrive, and the "queued" banner gives way to how the jobs ended.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog

from app.core.credits import CreditsRefused
from app.core.errors import ApiError, ValidationFailed
from app.services.ports.leads import (
    TERMINAL_JOB_STATES,
    JobProgress,
    JobState,
    ResearchJobChanged,
    ResearchPlan,
    ResearchResult,
    ResearchResultsArrived,
)
from app.ui.async_qt import await_signal
from app.ui.leads.dialogs import ResearchConfirmDialog
from app.ui.leads.models import ResearchMark, RowResearch, not_found_count
from app.ui.leads.refusals import RESEARCH
from app.ui.leads.results import SearchSide, result_research

if TYPE_CHECKING:
    from app.ui.leads.tab import LeadsTab


class ResearchFlow:
    """The research of the Leads tab (see the module docstring)."""

    def __init__(self, tab: LeadsTab) -> None:
        self.tab = tab
        self.confirm_dialog: ResearchConfirmDialog | None = None
        """The research confirmation while it is open."""
        self._banner_jobs: dict[int, JobProgress | None] = {}
        """The jobs the "queued" banner announced, and how each ended (None: not yet)."""

    def research_selected(self) -> asyncio.Task[Any] | None:
        """Research the selected rows (see the module docstring); the confirmation's task, or
        None when nothing is to be sent or it was refused."""
        tab = self.tab
        queue = tab.port.queue
        ids = tab.selected_ids()
        if queue is None or not ids:
            return None
        tab.action_started()
        side = tab.side
        plan = queue.plan(ids, kind=side.research_kind)
        if plan.sends_nothing:
            self.apply_results(queue.reopen(plan.free, kind=plan.kind), side)
            tab.show_banner("info", plan.confirmation())
            tab.show_current_details()
            return None
        if plan.refusal is not None:
            tab.refusals.refuse(RESEARCH)
            return None
        return tab.tasks.spawn(self._confirm(plan, side), "leads-research", replace=True)

    async def _confirm(self, plan: ResearchPlan, side: SearchSide) -> list[int]:
        port = self.tab.port
        dialog = ResearchConfirmDialog(
            plan,
            self.tab.current_meter,
            self.tab,
            sub_accounts=port.sub_accounts() if port.crm_open else (),
            open_sub_account_id=port.open_sub_account_id(),
        )
        self.confirm_dialog = dialog
        try:
            dialog.open()
            result = await await_signal(dialog.finished)
        finally:
            self.confirm_dialog = None
            dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted:
            return []
        job_ids = self.submit(plan, side)
        push_to = dialog.push_to()
        if job_ids and push_to is not None:
            self.tab.tasks.spawn(self._push_as_they_arrive(job_ids, push_to), "leads-push-live")
        return job_ids

    async def _push_as_they_arrive(self, job_ids: list[int], sub_account_id: str) -> None:
        """Research and Add to CRM in one go: the report on the banner at the end."""
        tab = self.tab
        try:
            report = await tab.port.research_and_push(job_ids, sub_account_id)
        except (RuntimeError, ApiError) as exc:
            tab.show_banner("danger", f"Adding to the CRM stopped: {exc}")
            return
        tab.crm.announce(report, "Researched and added to the CRM")
        tab.pushFinished.emit(report)

    def submit(self, plan: ResearchPlan, side: SearchSide) -> list[int]:
        """Queue ``plan`` (its free records reopened); the job ids (none when refused)."""
        tab = self.tab
        queue = tab.port.queue
        if queue is None:
            return []
        try:
            job_ids = queue.submit(plan)
        except (CreditsRefused, ValidationFailed) as exc:
            tab.show_banner("danger", exc.user_message)
            return []
        if plan.free:
            self.apply_results(queue.reopen(plan.free, kind=plan.kind), side)
        side.model.set_research(
            (i, RowResearch(ResearchMark.QUEUED, "Waiting to be sent.")) for i in plan.send
        )
        noun = "companies" if plan.kind == "company" else "people"
        text = (
            f"Research of {len(plan.send) + len(plan.identities)} {noun} queued "
            f"({plan.estimate.text.lower()}); results appear as they arrive."
        )
        if plan.free:
            text += f" {len(plan.free)} already researched were reopened for free."
        tab.show_banner("info", text)
        self._banner_jobs = {job_id: None for job_id in job_ids}
        tab.refresh_meter()
        tab.show_current_details()
        tab.researchSubmitted.emit(job_ids)
        return job_ids

    def apply_results(self, results: list[ResearchResult], side: SearchSide | None = None) -> None:
        """Mark the rows of ``results`` (on ``side``, else the side of each result's kind)."""
        tab = self.tab
        by_side: dict[str, list[tuple[str, RowResearch]]] = {}
        for result in results:
            target = side or tab.side_of(result.kind)
            by_side.setdefault(target.kind, []).append((result.key, result_research(result)))
        for kind, updates in by_side.items():
            target = tab.sides[kind]
            changed = target.model.set_research(updates)
            current = tab.details.current_id
            if target is tab.side and current in changed:
                tab.show_details(target.model.row_of(current or ""))
        tab.selection_changed()
        tab.check_loaded()

    def job_changed(self, event: ResearchJobChanged) -> None:
        """A research job moved: the queue panel, the banner and the rows it concerns."""
        tab = self.tab
        progress = tab.queue_panel.job_changed(event)
        queue = tab.port.queue
        if progress is None or queue is None:
            return
        self._report_finished_jobs(event)
        try:
            results = queue.results(event.job_id)
        except LookupError:
            return
        side = tab.side_of(event.kind)
        self.apply_results(
            [r for r in results if side.model.row_of(r.key) >= 0 and r.status != "queued"], side
        )

    def _report_finished_jobs(self, event: ResearchJobChanged) -> None:
        """Once every job the "queued" banner announced has ended, the banner says how
        they ended (a banner saying "queued" after the work is done would mislead)."""
        tab = self.tab
        jobs = self._banner_jobs
        if event.job_id not in jobs or tab.banner.severity != "info":
            return
        queue = tab.port.queue
        if event.state in TERMINAL_JOB_STATES and queue is not None:
            jobs[event.job_id] = queue.progress(event.job_id)
        ended = [e for e in jobs.values() if e is not None]
        if len(ended) < len(jobs):
            return
        self._banner_jobs = {}
        found = sum(e.found for e in ended)
        not_found = sum(not_found_count(e) for e in ended)
        failed = sum(e.failed for e in ended) - not_found
        parts = [f"{found:,} found"]
        if not_found:
            parts.append(f"{not_found:,} not found")
        if failed:
            parts.append(f"{failed:,} failed")
        problem = next((e.message for e in ended if e.state != JobState.DONE and e.message), None)
        stopped = sum(1 for e in ended if e.state == JobState.CANCELLED)
        # A cancelled job is not a success, however many records it found before it stopped.
        severity = "success" if not failed and problem is None and not stopped else "warning"
        verb = "Research stopped" if stopped else "Research finished"
        text = f"{verb}: {', '.join(parts)}."
        if problem:
            text += f" {problem}"
        tab.show_banner(severity, text)

    def results_arrived(self, event: ResearchResultsArrived) -> None:
        """Records were researched (here or by another job of the key): the rows shown."""
        tab = self.tab
        queue = tab.port.queue
        if queue is None or event.account_key_id != queue.account_key_id:
            return
        side = tab.side_of(event.kind)
        shown = [i for i in event.ids if side.model.row_of(i) >= 0]
        if shown:
            self.apply_results(queue.reopen(shown, kind=event.kind), side)


__all__ = ["ResearchFlow"]
