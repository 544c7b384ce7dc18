"""The details pane of the Leads tab: the current result, and once it is researched its
emails and phones with Seamless.AI's confidence ("97% valid")."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.seamless import ResearchedCompany, ResearchedContact
from app.ui.leads.models import (
    CompanyRow,
    ContactPointsModel,
    PersonRow,
    PointColumn,
    ResearchMark,
    RowResearch,
    job_change_badge,
)
from app.ui.common.selection import SelectionSummary
from app.ui.theme import Spacing
from app.ui.common.widgets import IconLabel, EmptyState

ROW_HEIGHT = 26

_MARK_ICONS = {
    ResearchMark.DONE: "check",
    ResearchMark.QUEUED: "clock",
    ResearchMark.RESEARCHING: "sync",
    ResearchMark.NOT_FOUND: "warning",
    ResearchMark.FAILED: "error",
}


def _join(*parts: str | None, sep: str = " · ") -> str:
    return sep.join(p for p in parts if p)


class LeadDetailsPane(QWidget):
    """The current result's details and, once researched, its emails and phones."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(300)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(Spacing.M, 0, 0, 0)
        self.stack = QStackedWidget(self)
        outer.addWidget(self.stack)
        self.empty = EmptyState(self.stack)
        self.empty.set_content(
            "user",
            "No result selected",
            "Select a result to see its details. Researched people show their emails and "
            "phones here.",
        )
        self.stack.addWidget(self.empty)

        page = QWidget(self.stack)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.S)
        head = QHBoxLayout()
        head.setSpacing(Spacing.S)
        self.kind_icon = IconLabel(None, 24, page)
        head.addWidget(self.kind_icon, 0, Qt.AlignmentFlag.AlignTop)
        self.title = QLabel(page)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        head.addWidget(self.title, 1)
        self.badge = QLabel(page)
        self.badge.setObjectName("jobChangeBadge")
        self.badge.setProperty("severity", "info")
        self.badge.setStyleSheet(
            "QLabel#jobChangeBadge { border: 1px solid palette(highlight); border-radius: 8px;"
            " padding: 1px 8px; }"
        )
        self.badge.hide()
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.subtitle = QLabel(page)
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.subtitle)
        self.facts = QLabel(page)
        self.facts.setWordWrap(True)
        self.facts.setProperty("muted", True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.facts.setOpenExternalLinks(True)
        layout.addWidget(self.facts)

        status = QHBoxLayout()
        status.setSpacing(Spacing.S)
        self.status_icon = IconLabel(None, 16, page)
        status.addWidget(self.status_icon, 0, Qt.AlignmentFlag.AlignTop)
        self.status = QLabel(page)
        self.status.setWordWrap(True)
        status.addWidget(self.status, 1)
        layout.addSpacing(Spacing.XS)
        layout.addLayout(status)

        self.points_title = QLabel("Emails and phones", page)
        bold = self.points_title.font()
        bold.setBold(True)
        self.points_title.setFont(bold)
        layout.addSpacing(Spacing.XS)
        layout.addWidget(self.points_title)
        self.points = ContactPointsModel(self)
        self.points_view = QTableView(page)
        self.points_view.setModel(self.points)
        self.points_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.points_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.points_view.setShowGrid(False)
        self.points_view.setWordWrap(False)
        self.points_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.points_view.setIconSize(QSize(16, 16))
        vertical = self.points_view.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = self.points_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(PointColumn.VALUE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PointColumn.KIND, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PointColumn.CONFIDENCE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(PointColumn.KIND, 100)
        header.resizeSection(PointColumn.CONFIDENCE, 76)
        layout.addWidget(self.points_view, 10)
        self.about = QLabel(page)
        self.about.setWordWrap(True)
        self.about.setProperty("muted", True)
        layout.addWidget(self.about)
        # Without the emails table (a company, a row not researched) the text stays on top.
        layout.addStretch(0)
        self.page = page
        self.stack.addWidget(page)
        self.selection = SelectionSummary("users", self.stack)
        """Shown instead of one record while several rows are selected."""
        self.stack.addWidget(self.selection)
        self._selected = 0
        self.current_id: str | None = None
        self.clear()

    # -- state ----------------------------------------------------------------------------
    @property
    def title_text(self) -> str:
        """The name shown ("" when nothing is)."""
        return self.title.text() if self.stack.currentWidget() is self.page else ""

    @property
    def badge_text(self) -> str:
        """The job-change badge shown ("" when none)."""
        return self.badge.text() if self.badge.isVisibleTo(self) else ""

    def _set_badge(self, alert: str | None, former: str | None) -> None:
        badge = job_change_badge(alert)
        self.badge.setText(badge or "")
        self.badge.setToolTip(
            f"Seamless.AI flags a recent job change{f'; before: {former}' if former else ''}."
            if badge
            else ""
        )
        self.badge.setVisible(bool(badge))

    @property
    def status_text(self) -> str:
        """The research status sentence shown."""
        return self.status.text()

    def clear(self) -> None:
        """Nothing selected."""
        self.current_id = None
        self.points.set_record(None)
        self._show_current()

    def set_selection(self, count: int, noun: str, body: str = "") -> None:
        """``count`` rows are selected: with several, their count and the bulk actions
        (``selection``) stand in for the current row, which comes back with one."""
        self._selected = count
        if count > 1:
            self.selection.set_selection(count, noun, body)
        self._show_current()

    def _show_current(self) -> None:
        if self._selected > 1:
            self.stack.setCurrentWidget(self.selection)
        elif self.current_id is not None:
            self.stack.setCurrentWidget(self.page)
        else:
            self.stack.setCurrentWidget(self.empty)

    def show_person(self, row: PersonRow, research: RowResearch | None) -> None:
        """Show a people search result and its research."""
        self.current_id = row.id
        record = research.record if research is not None else None
        contact = record if isinstance(record, ResearchedContact) else None
        self.kind_icon.set_icon("user", 24)
        self.title.setText(contact.display_name if contact else row.name)
        title = (contact.title if contact else None) or row.title
        company = (contact.company if contact else None) or row.company
        self.subtitle.setText(
            _join(title, company, sep=" at ") if title and company else _join(title, company)
        )
        alert = (contact.job_change_alert if contact else None) or row.job_change
        previous = contact.previous_job if contact else None
        former = (
            _join(previous.company_name, previous.title and f"({previous.title})", sep=" ")
            if previous
            else row.former
        )
        self._set_badge(alert, former)
        facts = [
            _join(row.seniority, row.department),
            _join(row.location, row.size and f"{row.size} employees"),
            row.industry,
            f"Before: {former}" if alert and former else None,
        ]
        links = []
        linkedin = (contact.li_profile_url if contact else None) or row.linkedin
        if linkedin:
            links.append(f"<a href='{html.escape(linkedin, quote=True)}'>LinkedIn profile</a>")
        self._set_facts([f for f in facts if f], links)
        self.points.set_record(contact)
        self._set_research(research, "person")
        self.about.setText("")
        self.about.hide()
        self._show_current()

    def show_company(self, row: CompanyRow, research: RowResearch | None) -> None:
        """Show a company search result and its research."""
        self.current_id = row.id
        record = research.record if research is not None else None
        company = record if isinstance(record, ResearchedCompany) else None
        self.kind_icon.set_icon("company", 24)
        self._set_badge(None, None)
        self.title.setText(company.display_name if company else row.name)
        self.subtitle.setText(_join(row.domain, row.industry))
        staff = company.staff_count if company and company.staff_count else None
        facts = [
            _join(row.size and f"{row.size} employees", row.revenue),
            _join(row.location, row.founded and f"founded {row.founded}"),
        ]
        if staff:
            facts.append(f"{staff} employees (researched)")
        if company and company.top_technologies:
            names = [t if isinstance(t, str) else str(t) for t in company.top_technologies[:8]]
            facts.append("Uses " + ", ".join(names))
        links = []
        linkedin = (company.linked_in_profile_url if company else None) or row.linkedin
        if linkedin:
            links.append(f"<a href='{html.escape(linkedin, quote=True)}'>LinkedIn page</a>")
        self._set_facts([f for f in facts if f], links)
        self.points.set_record(company)
        self._set_research(research, "company")
        description = (company.description if company else None) or row.description
        self.about.setText(description or "")
        self.about.setVisible(bool(description))
        self._show_current()

    def _set_facts(self, facts: list[str], links: list[str]) -> None:
        lines = [html.escape(f) for f in facts] + links
        self.facts.setText("<br>".join(lines))
        self.facts.setVisible(bool(lines))

    def _set_research(self, research: RowResearch | None, what: str) -> None:
        if research is None:
            text = (
                f"Not researched yet. Research this {what} to get "
                + ("emails and phones" if what == "person" else "the company's details and phones")
                + ": up to 1 credit, free when it was researched before."
            )
            name = "info"
        else:
            text = research.text
            if research.mark is ResearchMark.DONE and what == "person":
                text = research.summary().capitalize() + ". " + text
            name = _MARK_ICONS.get(research.mark, "info")
        self.status.setText(text)
        self.status_icon.set_icon(name, 16)
        has_points = self.points.rowCount() > 0 or (
            research is not None and research.mark is ResearchMark.DONE
        )
        self.points_title.setVisible(has_points)
        self.points_view.setVisible(has_points)


__all__ = ["LeadDetailsPane"]
