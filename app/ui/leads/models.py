"""The Leads tab's Qt item models: search results, research jobs, a record's emails and
phones, and the CRM push report.

The results models hold only the pages fetched so far. Fetching costs credits, so
they never ask for more on their own: ``canFetchMore`` is always False and the
tab's "Load more" button, which shows the next page's cost first, is the only way
to a new page. Sorting orders what is loaded, in Python (a few hundred rows at
most: every row was paid for). Rows are compact records of the displayed values;
researched records are kept apart, per search result id, as the research ledger
returns them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon

from app.core.phones import display_phone
from app.core.seamless import (
    CompanySearchResult,
    ContactSearchResult,
    EmailEntry,
    PhoneEntry,
    ResearchedCompany,
    ResearchedContact,
    ResearchState,
    research_state,
)
from app.core.seamless.filters import COMPANY_REVENUES, COMPANY_SIZES
from app.services.ports.leads import JobProgress, JobState, PushAction, PushOutcome
from app.ui.common.report import LineState, ReportLine
from app.ui.theme import icon

SearchResultIdRole = Qt.ItemDataRole.UserRole + 1
"""A result row's ``searchResultId`` (str)."""
ResearchStateRole = Qt.ItemDataRole.UserRole + 2
"""A result row's research mark (a ``ResearchMark`` value, str)."""
RecordRole = Qt.ItemDataRole.UserRole + 3
"""A result row's researched record (``ResearchedContact`` / ``ResearchedCompany``) or None."""
SortKeyRole = Qt.ItemDataRole.UserRole + 4
"""The value a cell sorts by (None sorts last in both directions)."""
ColumnKeyRole = Qt.ItemDataRole.UserRole + 5
"""Header data: the column's stable key (for saved column widths and the CSV header)."""
JobIdRole = Qt.ItemDataRole.UserRole + 6
"""A queue row's research job id (int)."""
ProgressRole = Qt.ItemDataRole.UserRole + 7
"""A queue row's progress from 0.0 to 1.0 (float), for the progress-bar delegate."""
NeedsDecisionRole = Qt.ItemDataRole.UserRole + 8
"""A queue row's job waits for the user (resend or cancel after a lost answer)."""
OutcomeRole = Qt.ItemDataRole.UserRole + 9
"""A push report row's ``PushAction`` value (str)."""
JobChangeRole = Qt.ItemDataRole.UserRole + 10
"""A people row's ``jobChangeAlert`` ("New Hire", "New Promotion") or None."""


def job_change_badge(alert: str | None) -> str | None:
    """The badge of a job change as the results and details show it ("New hire")."""
    if not alert:
        return None
    text = alert.strip()
    return {"new hire": "New hire", "new promotion": "Promoted"}.get(
        text.casefold(), text[:1].upper() + text[1:]
    )


_ALIGN_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column: a stable ``key``, its header ``label`` and whether it is numeric."""

    key: str
    label: str
    numeric: bool = False


# -- research marks ------------------------------------------------------------------------------


class ResearchMark(StrEnum):
    """What the research column shows for a row."""

    NONE = "none"
    QUEUED = "queued"
    RESEARCHING = "researching"
    DONE = "done"
    NOT_FOUND = "not_found"
    FAILED = "failed"


_MARK_ORDER = {
    ResearchMark.DONE: 0,
    ResearchMark.RESEARCHING: 1,
    ResearchMark.QUEUED: 2,
    ResearchMark.NOT_FOUND: 3,
    ResearchMark.FAILED: 4,
}


@dataclass(frozen=True, slots=True)
class RowResearch:
    """The research of one result row: its mark, the status sentence and the record."""

    mark: ResearchMark
    text: str
    record: ResearchedContact | ResearchedCompany | None = None

    @staticmethod
    def of(state: ResearchState, text: str, record: Any = None) -> RowResearch:
        """The mark a research state shows (a record makes any state "done")."""
        if record is not None and state.holds_record:
            return RowResearch(ResearchMark.DONE, text, record)
        mark = {
            ResearchState.QUEUED: ResearchMark.QUEUED,
            ResearchState.RESEARCHING: ResearchMark.RESEARCHING,
            ResearchState.NOT_FOUND: ResearchMark.NOT_FOUND,
        }.get(state, ResearchMark.FAILED)
        return RowResearch(mark, text, None)

    def summary(self) -> str:
        """Short text for the research column ("2 emails, 1 phone", "Researching…")."""
        if self.mark is ResearchMark.DONE:
            record = self.record
            if isinstance(record, ResearchedContact):
                emails, phones = len(record.emails), len(record.phones)
                if not emails and not phones:
                    return "Researched: no email or phone"
                parts = []
                if emails:
                    parts.append(_plural(emails, "email"))
                if phones:
                    parts.append(_plural(phones, "phone"))
                return ", ".join(parts)
            return "Researched"
        return {
            ResearchMark.QUEUED: "Queued",
            ResearchMark.RESEARCHING: "Researching…",
            ResearchMark.NOT_FOUND: "Not found",
            ResearchMark.FAILED: "Failed",
        }.get(self.mark, "")


_MARK_ICONS = {
    ResearchMark.DONE: "check",
    ResearchMark.QUEUED: "clock",
    ResearchMark.RESEARCHING: "sync",
    ResearchMark.NOT_FOUND: "warning",
    ResearchMark.FAILED: "error",
}


# -- search results -------------------------------------------------------------------------------


class PeopleColumn(IntEnum):
    """Columns of ``PeopleResultsModel``."""

    NAME = 0
    TITLE = 1
    SENIORITY = 2
    DEPARTMENT = 3
    COMPANY = 4
    LOCATION = 5
    SIZE = 6
    INDUSTRY = 7
    RESEARCH = 8


PEOPLE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name"),
    ColumnSpec("title", "Title"),
    ColumnSpec("seniority", "Seniority"),
    ColumnSpec("department", "Department"),
    ColumnSpec("company", "Company"),
    ColumnSpec("location", "Location"),
    ColumnSpec("companySize", "Company size"),
    ColumnSpec("industry", "Industry"),
    ColumnSpec("research", "Researched"),
)


class CompanyColumn(IntEnum):
    """Columns of ``CompanyResultsModel``."""

    NAME = 0
    DOMAIN = 1
    INDUSTRY = 2
    SIZE = 3
    REVENUE = 4
    LOCATION = 5
    FOUNDED = 6
    RESEARCH = 7


COMPANY_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name"),
    ColumnSpec("domain", "Domain"),
    ColumnSpec("industry", "Industry"),
    ColumnSpec("size", "Size"),
    ColumnSpec("revenue", "Revenue"),
    ColumnSpec("location", "Location"),
    ColumnSpec("founded", "Founded", numeric=True),
    ColumnSpec("research", "Researched"),
)


@dataclass(slots=True)
class PersonRow:
    """The displayed values of one people search result."""

    id: str
    name: str
    title: str | None
    seniority: str | None
    department: str | None
    company: str | None
    location: str | None
    size: str | None
    industry: str | None
    domain: str | None
    linkedin: str | None
    job_change: str | None = None
    """Seamless's ``jobChangeAlert`` ("New Hire", "New Promotion"), or None."""
    former: str | None = None
    """Where they were before ("Acme (VP Sales)"), when Seamless says."""

    @classmethod
    def of(cls, result: ContactSearchResult) -> PersonRow:
        """The row of a search result."""
        return cls(
            id=result.search_result_id,
            name=result.display_name,
            title=_text(result.title),
            seniority=_text(result.seniority),
            department=_text(result.department),
            company=_text(result.company),
            location=_text(result.location),
            size=_text(result.employee_size_range),
            industry=_text(", ".join(result.industries)),
            domain=_text(result.domain),
            linkedin=_text(result.li_url),
            job_change=_text(result.job_change_alert),
            former=_former(result.former_company, result.former_title),
        )

    def cell(self, column: int) -> str | None:
        """The text of ``column``."""
        return (
            self.name,
            self.title,
            self.seniority,
            self.department,
            self.company,
            self.location,
            self.size,
            self.industry,
        )[column]


@dataclass(slots=True)
class CompanyRow:
    """The displayed values of one company search result."""

    id: str
    name: str
    domain: str | None
    industry: str | None
    size: str | None
    revenue: str | None
    location: str | None
    founded: str | None
    description: str | None
    linkedin: str | None

    @classmethod
    def of(cls, result: CompanySearchResult) -> CompanyRow:
        """The row of a search result."""
        location = ", ".join(p for p in (result.city, result.state, result.country) if p)
        return cls(
            id=result.search_result_id,
            name=result.display_name,
            domain=_text(result.domain),
            industry=_text(", ".join(result.industries)),
            size=_text(result.staff_count_range),
            revenue=_text(result.revenue_range),
            location=_text(location),
            founded=_text(result.founded_year),
            description=_text(result.description),
            linkedin=_text(result.li_url),
        )

    def cell(self, column: int) -> str | None:
        """The text of ``column``."""
        return (
            self.name,
            self.domain,
            self.industry,
            self.size,
            self.revenue,
            self.location,
            self.founded,
        )[column]


def _former(company: str | None, title: str | None) -> str | None:
    company, title = _text(company), _text(title)
    if company and title:
        return f"{company} ({title})"
    return company or title


Row = TypeVar("Row", PersonRow, CompanyRow)


def _range_rank(values: tuple[str, ...]) -> Callable[[str | None], Any]:
    ranks = {v.casefold(): i for i, v in enumerate(values)}

    def rank(text: str | None) -> Any:
        if text is None:
            return None
        # "501 - 1,000 employees" (researched records) and "501 - 1,000" sort alike.
        folded = text.casefold().replace(" employees", "")
        return (0, ranks[folded]) if folded in ranks else (1, folded)

    return rank


_SIZE_RANK = _range_rank(COMPANY_SIZES)
_REVENUE_RANK = _range_rank(COMPANY_REVENUES)


class _ResultsModel(QAbstractTableModel, Generic[Row]):
    """What both results models share (see the module docstring)."""

    columns: tuple[ColumnSpec, ...] = ()
    research_column: int = -1
    noun: str = "results"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._row_of: dict[str, int] = {}
        self._research: dict[str, RowResearch] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._icons: dict[str, QIcon] = {}

    # -- rows -------------------------------------------------------------------------------
    def _make(self, result: Any) -> Row:
        raise NotImplementedError

    def _sort_value(self, row: Row, column: int) -> Any:
        if column == self.research_column:
            research = self._research.get(row.id)
            return None if research is None else _MARK_ORDER.get(research.mark)
        text = row.cell(column)
        return None if text is None else text.casefold()

    def append(self, results: Iterable[Any]) -> int:
        """Add a page of search results at the end (ids already shown are skipped; the
        active sort then places them). Returns how many rows were added."""
        fresh: list[Row] = []
        seen = set(self._row_of)
        for result in results:
            row = self._make(result)
            if row.id in seen:
                continue
            seen.add(row.id)
            fresh.append(row)
        if not fresh:
            return 0
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        for offset, row in enumerate(fresh):
            self._row_of[row.id] = first + offset
        self.endInsertRows()
        if self._sort_column >= 0:
            self.sort(self._sort_column, self._sort_order)
        return len(fresh)

    def clear(self) -> None:
        """Forget every row and research mark (a new search)."""
        self.beginResetModel()
        self._rows = []
        self._row_of = {}
        self._research = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self.endResetModel()

    def row_of(self, search_result_id: str) -> int:
        """The row of a loaded result, or -1."""
        return self._row_of.get(search_result_id, -1)

    def id_at(self, row: int) -> str | None:
        """The search result id of ``row``, or None outside the rows."""
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def ids_at(self, rows: Iterable[int]) -> list[str]:
        """The search result ids of ``rows`` (others skipped)."""
        return [self._rows[r].id for r in rows if 0 <= r < len(self._rows)]

    def row_data(self, row: int) -> Row | None:
        """The displayed values of ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def ids(self) -> list[str]:
        """Every loaded search result id, in the shown order."""
        return [r.id for r in self._rows]

    # -- research ---------------------------------------------------------------------------
    def research_of(self, search_result_id: str) -> RowResearch | None:
        """The research mark of a result, or None when never researched."""
        return self._research.get(search_result_id)

    def set_research(self, updates: Iterable[tuple[str, RowResearch]]) -> list[str]:
        """Set research marks (ids not loaded are kept for when they are); returns the
        loaded ids whose mark changed. A mark never downgrades a record already held."""
        changed_rows: list[int] = []
        changed: list[str] = []
        for key, research in updates:
            current = self._research.get(key)
            if current == research:
                continue
            if (
                current is not None
                and current.mark is ResearchMark.DONE
                and research.mark is not ResearchMark.DONE
            ):
                continue  # a later failure status never hides a record the user holds
            self._research[key] = research
            row = self._row_of.get(key)
            if row is not None:
                changed_rows.append(row)
                changed.append(key)
        for row in changed_rows:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
        return changed

    def has_research(self) -> bool:
        """Whether any loaded row has a research mark (queued, running, done or failed)."""
        return not self._research.keys().isdisjoint(self._row_of.keys())

    def researched_ids(self) -> list[str]:
        """Loaded ids that hold a researched record, in the shown order."""
        return [
            r.id
            for r in self._rows
            if (m := self._research.get(r.id)) is not None and m.mark is ResearchMark.DONE
        ]

    # -- export -----------------------------------------------------------------------------
    def headers(self) -> list[str]:
        """The column labels."""
        return [c.label for c in self.columns]

    def export_rows(self) -> list[list[str]]:
        """Every loaded row as the texts shown, in the shown order (for the CSV export)."""
        return [
            [self._display(row, column) or "" for column in range(len(self.columns))]
            for row in self._rows
        ]

    # -- Qt ---------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        # Every page costs credits: only the "Load more" button (cost shown first) loads one.
        return False

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return super().headerData(section, orientation, role)
        spec = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.label
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_RIGHT if spec.numeric else _ALIGN_LEFT
        if role == ColumnKeyRole:
            return spec.key
        return None

    def _display(self, row: Row, column: int) -> str | None:
        if column == self.research_column:
            research = self._research.get(row.id)
            return research.summary() if research is not None else None
        return row.cell(column)

    def _icon(self, name: str) -> QIcon:
        found = self._icons.get(name)
        if found is None:
            found = self._icons[name] = icon(name)
        return found

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        r, column = index.row(), index.column()
        if not (0 <= r < len(self._rows) and 0 <= column < len(self.columns)):
            return None
        row = self._rows[r]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SearchResultIdRole:
            return row.id
        if role == ResearchStateRole:
            research = self._research.get(row.id)
            return (research.mark if research else ResearchMark.NONE).value
        if role == RecordRole:
            research = self._research.get(row.id)
            return research.record if research else None
        if role == SortKeyRole:
            return self._sort_value(row, column)
        if role == JobChangeRole:
            return row.job_change if isinstance(row, PersonRow) else None
        if role == Qt.ItemDataRole.DecorationRole and column == self.research_column:
            research = self._research.get(row.id)
            name = _MARK_ICONS.get(research.mark) if research else None
            return self._icon(name) if name else None
        if (
            role == Qt.ItemDataRole.DecorationRole
            and column == 0
            and isinstance(row, PersonRow)
            and row.job_change
        ):
            return self._icon("switch")
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0 and isinstance(row, PersonRow) and row.job_change:
                badge = job_change_badge(row.job_change)
                before = f", before at {row.former}" if row.former else ""
                return f"{row.name}: {badge} (job change flagged by Seamless.AI{before})."
            if column == self.research_column:
                research = self._research.get(row.id)
                return research.text if research else "Not researched yet."
            text = self._display(row, column)
            return text if text and len(text) > 24 else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_RIGHT if self.columns[column].numeric else _ALIGN_LEFT
        return None

    # -- sorting ----------------------------------------------------------------------------
    @property
    def sort_column(self) -> int:
        """The column the rows are ordered by (-1: the order they arrived in)."""
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        """The direction of the order."""
        return self._sort_order

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the loaded rows by ``column`` (empty cells last in both directions);
        persistent indexes (selection, current row) follow their rows."""
        if not 0 <= column < len(self.columns):
            return
        self._sort_column, self._sort_order = column, order
        keyed = [(self._sort_value(row, column), row) for row in self._rows]
        filled = [pair for pair in keyed if pair[0] is not None]
        empty = [row for value, row in keyed if value is None]
        filled.sort(key=lambda pair: pair[0], reverse=order == Qt.SortOrder.DescendingOrder)
        ordered = [row for _, row in filled] + empty
        if [r.id for r in ordered] == [r.id for r in self._rows]:
            return
        self.layoutAboutToBeChanged.emit()
        old_ids = [r.id for r in self._rows]
        self._rows = ordered
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}
        before = self.persistentIndexList()
        after = [self.index(self._row_of[old_ids[p.row()]], p.column()) for p in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()


class PeopleResultsModel(_ResultsModel[PersonRow]):
    """People search results loaded so far, with their research marks (module docstring)."""

    columns = PEOPLE_COLUMNS
    research_column = PeopleColumn.RESEARCH
    noun = "people"

    def _make(self, result: Any) -> PersonRow:
        return result if isinstance(result, PersonRow) else PersonRow.of(result)

    def _sort_value(self, row: PersonRow, column: int) -> Any:
        if column == PeopleColumn.SIZE:
            return _SIZE_RANK(row.size)
        return super()._sort_value(row, column)


class CompanyResultsModel(_ResultsModel[CompanyRow]):
    """Company search results loaded so far, with their research marks (module docstring)."""

    columns = COMPANY_COLUMNS
    research_column = CompanyColumn.RESEARCH
    noun = "companies"

    def _make(self, result: Any) -> CompanyRow:
        return result if isinstance(result, CompanyRow) else CompanyRow.of(result)

    def _sort_value(self, row: CompanyRow, column: int) -> Any:
        if column == CompanyColumn.SIZE:
            return _SIZE_RANK(row.size)
        if column == CompanyColumn.REVENUE:
            return _REVENUE_RANK(row.revenue)
        if column == CompanyColumn.FOUNDED:
            try:
                return int(row.founded) if row.founded else None
            except ValueError:
                return None
        return super()._sort_value(row, column)


# -- research jobs (the queue panel) --------------------------------------------------------------


class JobColumn(IntEnum):
    """Columns of ``ResearchJobsModel``."""

    JOB = 0
    PROGRESS = 1
    FOUND = 2
    NOT_FOUND = 3
    FAILED = 4
    ETA = 5
    STATUS = 6


Item = TypeVar("Item")


class _ListTableModel(QAbstractTableModel, Generic[Item]):
    """A read-only table over a list, one row per item, columns from ``columns``
    (``align_headers``: numeric columns' headers right-aligned, the others left)."""

    columns: tuple[ColumnSpec, ...] = ()
    align_headers = False

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Item] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return super().headerData(section, orientation, role)
        spec = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.label
        if role == Qt.ItemDataRole.TextAlignmentRole and self.align_headers:
            return _ALIGN_RIGHT if spec.numeric else _ALIGN_LEFT
        if role == ColumnKeyRole:
            return spec.key
        return None


JOB_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("job", "Job"),
    ColumnSpec("progress", "Progress"),
    ColumnSpec("found", "Found", numeric=True),
    ColumnSpec("notFound", "Not found", numeric=True),
    ColumnSpec("failed", "Failed", numeric=True),
    ColumnSpec("eta", "Time left"),
    ColumnSpec("status", "Status"),
)

_STATE_TEXT = {
    JobState.QUEUED: "Waiting to be sent",
    JobState.SENDING: "Sending…",
    JobState.POLLING: "Researching…",
    JobState.DONE: "Finished",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
    JobState.UNKNOWN: "Answer lost: resend or cancel",
}


def eta_text(seconds: float | None) -> str:
    """A short time left: "about 10 s", "about 2 min" ("" when unknown or done)."""
    if seconds is None or seconds <= 0:
        return ""
    if seconds < 60:
        return f"about {max(1, round(seconds))} s"
    return f"about {round(seconds / 60)} min"


def not_found_count(progress: JobProgress) -> int:
    """Records of a job Seamless found nothing for (the rest of ``failed`` are errors)."""
    return sum(
        count
        for status, count in progress.statuses.items()
        if research_state(status) is ResearchState.NOT_FOUND
    )


class ResearchJobsModel(_ListTableModel[JobProgress]):
    """The research queue panel's rows: one ``JobProgress`` per job, newest first."""

    columns = JOB_COLUMNS
    align_headers = True

    def set_jobs(self, jobs: Sequence[JobProgress]) -> None:
        """Show ``jobs`` (any order; shown newest first)."""
        self.beginResetModel()
        self._items = sorted(jobs, key=lambda j: j.job_id, reverse=True)
        self.endResetModel()

    def update(self, progress: JobProgress) -> None:
        """A job moved: its row changes in place, or a new job appears at the top."""
        for row, job in enumerate(self._items):
            if job.job_id == progress.job_id:
                self._items[row] = progress
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(JOB_COLUMNS) - 1))
                return
        row = 0
        while row < len(self._items) and self._items[row].job_id > progress.job_id:
            row += 1
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.insert(row, progress)
        self.endInsertRows()

    def job_at(self, row: int) -> JobProgress | None:
        """The job of ``row``."""
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, job_id: int) -> int:
        """The row of a job, or -1."""
        return next((i for i, j in enumerate(self._items) if j.job_id == job_id), -1)

    def jobs(self) -> list[JobProgress]:
        """Every row's job, in the shown order."""
        return list(self._items)

    @staticmethod
    def _display(job: JobProgress, column: int) -> str | None:
        noun = "companies" if job.kind == "company" else "people"
        if job.total == 1:
            noun = "company" if job.kind == "company" else "person"
        match column:
            case JobColumn.JOB:
                return f"#{job.job_id} · {job.total} {noun}"
            case JobColumn.PROGRESS:
                return f"{job.finished} of {job.total}"
            case JobColumn.FOUND:
                return str(job.found)
            case JobColumn.NOT_FOUND:
                return str(not_found_count(job))
            case JobColumn.FAILED:
                return str(job.failed - not_found_count(job))
            case JobColumn.ETA:
                return eta_text(job.eta_seconds) or None
            case JobColumn.STATUS:
                text = _STATE_TEXT.get(job.state, str(job.state))
                if job.duplicates and job.state is JobState.DONE:
                    text += f" ({job.duplicates} already researched, not charged)"
                return text
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._items) and 0 <= column < len(JOB_COLUMNS)):
            return None
        job = self._items[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column)
        if role == JobIdRole:
            return job.job_id
        if role == ProgressRole:
            return job.fraction
        if role == NeedsDecisionRole:
            return job.needs_decision
        if role == Qt.ItemDataRole.ToolTipRole and column == JobColumn.STATUS:
            return job.message or self._display(job, column)
        if role == Qt.ItemDataRole.DecorationRole and column == JobColumn.STATUS:
            if job.needs_decision:
                return icon("warning")
            if job.state is JobState.FAILED:
                return icon("error")
            if job.state is JobState.DONE:
                return icon("check")
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_RIGHT if JOB_COLUMNS[column].numeric else _ALIGN_LEFT
        return None


# -- a researched record's emails and phones ------------------------------------------------------


class PointColumn(IntEnum):
    """Columns of ``ContactPointsModel``."""

    VALUE = 0
    KIND = 1
    CONFIDENCE = 2


POINT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("value", "Email or phone"),
    ColumnSpec("kind", "Type"),
    ColumnSpec("confidence", "Confidence"),
)


@dataclass(frozen=True, slots=True)
class ContactPoint:
    """One email or phone of a researched record, as the details pane lists it."""

    is_email: bool
    value: str
    kind: str
    confidence: int | None
    verdict: str | None

    @property
    def confidence_text(self) -> str:
        """ "97% valid", "70%", "risky", "—" (never a made-up 0%)."""
        parts = []
        if self.confidence is not None:
            parts.append(f"{self.confidence}%")
        if self.verdict:
            parts.append(self.verdict)
        return " ".join(parts) or "—"


def _email_point(entry: EmailEntry) -> ContactPoint:
    return ContactPoint(
        True,
        entry.address,
        "Personal email" if entry.personal else "Work email",
        entry.confidence,
        str(entry.validity) if entry.validity else None,
    )


def _phone_point(entry: PhoneEntry) -> ContactPoint:
    if entry.company:
        kind = "Company line"
    else:
        kind = (entry.data_type or "phone").capitalize()
    return ContactPoint(False, entry.number, kind, entry.confidence, None)


def contact_points(record: ResearchedContact | ResearchedCompany | None) -> list[ContactPoint]:
    """The emails then the phones of a researched record."""
    if isinstance(record, ResearchedContact):
        return [_email_point(e) for e in record.emails] + [_phone_point(p) for p in record.phones]
    if isinstance(record, ResearchedCompany):
        points = []
        for phone in record.phones:
            number = phone.get("number") if isinstance(phone, dict) else phone
            if isinstance(number, str) and number.strip():
                points.append(ContactPoint(False, number.strip(), "Company line", None, None))
        return points
    return []


class ContactPointsModel(_ListTableModel[ContactPoint]):
    """The emails and phones of the researched record the details pane shows."""

    columns = POINT_COLUMNS

    def set_record(self, record: ResearchedContact | ResearchedCompany | None) -> None:
        """Show ``record``'s emails and phones (None: nothing)."""
        self.beginResetModel()
        self._items = contact_points(record)
        self.endResetModel()

    def point_at(self, row: int) -> ContactPoint | None:
        """The email or phone of ``row``."""
        return self._items[row] if 0 <= row < len(self._items) else None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._items) and 0 <= column < len(POINT_COLUMNS)):
            return None
        point = self._items[row]
        if role == Qt.ItemDataRole.DisplayRole:
            value = point.value if point.is_email else display_phone(point.value)
            return (value, point.kind, point.confidence_text)[column]
        if role == Qt.ItemDataRole.DecorationRole and column == PointColumn.VALUE:
            return icon("mail" if point.is_email else "phone")
        if role == Qt.ItemDataRole.ToolTipRole and column == PointColumn.CONFIDENCE:
            if point.confidence is None and not point.verdict:
                return "Seamless.AI gave no confidence for this one."
            return f"Seamless.AI's confidence: {point.confidence_text}."
        return None


# -- the CRM push report --------------------------------------------------------------------------


class ReportColumn(IntEnum):
    """Columns of ``PushReportModel``."""

    NAME = 0
    EMAIL = 1
    OUTCOME = 2
    REASON = 3


REPORT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name"),
    ColumnSpec("email", "Email"),
    ColumnSpec("outcome", "Result"),
    ColumnSpec("reason", "Why"),
)

OUTCOME_TEXT = {
    PushAction.CREATED: "Added",
    PushAction.UPDATED: "Updated",
    PushAction.UNCHANGED: "Already up to date",
    PushAction.SKIPPED: "Skipped",
    PushAction.FAILED: "Failed",
}
_OUTCOME_ICONS = {
    PushAction.CREATED: "add",
    PushAction.UPDATED: "sync",
    PushAction.UNCHANGED: "check",
    PushAction.SKIPPED: "warning",
    PushAction.FAILED: "error",
}


def push_report_lines(outcomes: Sequence[PushOutcome]) -> list[ReportLine]:
    """A push's outcomes as the lines of a ``ReportDialog``."""
    states = {PushAction.FAILED: LineState.FAILED, PushAction.SKIPPED: LineState.SKIPPED}
    return [
        ReportLine(
            f"{o.name} <{o.email}>" if o.email else o.name,
            OUTCOME_TEXT[o.action],
            states.get(o.action, LineState.DONE),
            PushReportModel.reason_of(o) or "",
        )
        for o in outcomes
    ]


class PushReportModel(_ListTableModel[PushOutcome]):
    """One row per record of a ``PushReport``: what happened and why."""

    columns = REPORT_COLUMNS

    def set_outcomes(self, outcomes: Sequence[PushOutcome]) -> None:
        """Show a report's outcomes (failures and skips first, then the rest)."""
        rank = {
            PushAction.FAILED: 0,
            PushAction.SKIPPED: 1,
            PushAction.CREATED: 2,
            PushAction.UPDATED: 3,
            PushAction.UNCHANGED: 4,
        }
        self.beginResetModel()
        self._items = sorted(outcomes, key=lambda o: rank[o.action])
        self.endResetModel()

    def outcome_at(self, row: int) -> PushOutcome | None:
        """The outcome of ``row``."""
        return self._items[row] if 0 <= row < len(self._items) else None

    @staticmethod
    def reason_of(outcome: PushOutcome) -> str | None:
        """Why the record was skipped or failed, what changed, and what was left out."""
        parts = [outcome.reason] if outcome.reason else []
        parts.extend(outcome.notes)
        return " ".join(parts) or None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._items) and 0 <= column < len(REPORT_COLUMNS)):
            return None
        outcome = self._items[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                outcome.name,
                outcome.email,
                OUTCOME_TEXT[outcome.action],
                self.reason_of(outcome),
            )[column]
        if role == OutcomeRole:
            return outcome.action.value
        if role == Qt.ItemDataRole.DecorationRole and column == ReportColumn.OUTCOME:
            return icon(_OUTCOME_ICONS[outcome.action])
        if role == Qt.ItemDataRole.ToolTipRole and column == ReportColumn.REASON:
            return self.reason_of(outcome)
        return None


__all__ = [
    "COMPANY_COLUMNS",
    "JOB_COLUMNS",
    "PEOPLE_COLUMNS",
    "POINT_COLUMNS",
    "REPORT_COLUMNS",
    "ColumnKeyRole",
    "ColumnSpec",
    "CompanyColumn",
    "CompanyResultsModel",
    "CompanyRow",
    "ContactPoint",
    "ContactPointsModel",
    "JobColumn",
    "JobIdRole",
    "NeedsDecisionRole",
    "OutcomeRole",
    "PeopleColumn",
    "PeopleResultsModel",
    "PersonRow",
    "PointColumn",
    "ProgressRole",
    "PushReportModel",
    "push_report_lines",
    "RecordRole",
    "ReportColumn",
    "ResearchJobsModel",
    "ResearchMark",
    "ResearchStateRole",
    "RowResearch",
    "SearchResultIdRole",
    "SortKeyRole",
    "contact_points",
    "eta_text",
    "not_found_count",
]
