"""The Leads tab's models, each under ``QAbstractItemModelTester``: results (appending
pages, research marks, sorting what is loaded, never fetching on their own), the queue
panel's jobs, a record's emails and phones with their confidence, and the push report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from app.core.seamless import ResearchState
from app.services.lead_push import PushAction, PushOutcome
from app.services.research import JobProgress
from app.storage import JobState
from app.ui.leads.models import (
    CompanyColumn,
    CompanyResultsModel,
    ContactPointsModel,
    JobColumn,
    NeedsDecisionRole,
    OutcomeRole,
    PeopleColumn,
    PeopleResultsModel,
    ProgressRole,
    PushReportModel,
    RecordRole,
    ResearchJobsModel,
    ResearchMark,
    ResearchStateRole,
    RowResearch,
    SearchResultIdRole,
)
from tests.ui.leads.conftest import company_result, person_result, researched

pytestmark = pytest.mark.timeout(30)

Tested = Callable[[Any], Any]


def texts(model: Any, column: int) -> list[str | None]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_people_results_append_pages_and_show_research(qapp: Any, tested: Tested) -> None:
    model = tested(PeopleResultsModel())
    assert model.append([person_result(i) for i in range(5)]) == 5
    # A second page that repeats a result shows it once.
    assert model.append([person_result(4), person_result(5), person_result(6)]) == 2
    assert model.rowCount() == 7 and model.columnCount() == len(PeopleColumn)
    assert model.index(0, PeopleColumn.NAME).data() == "Person 00"
    assert model.index(1, PeopleColumn.SIZE).data() == "10,001+"
    assert model.index(1, PeopleColumn.INDUSTRY).data() == "Computer Software, Internet"
    assert model.index(0, PeopleColumn.LOCATION).data() == "Austin, Texas, United States"
    assert model.index(2, 0).data(SearchResultIdRole) == "sr-2"
    assert model.headerData(PeopleColumn.RESEARCH, Qt.Orientation.Horizontal) == "Researched"
    # Paging costs credits: the model never asks the view for more.
    assert not model.canFetchMore(QModelIndex())

    record = researched(1)
    changed = model.set_research(
        [
            ("sr-1", RowResearch.of(ResearchState.DONE, "Researched.", record)),
            ("sr-2", RowResearch(ResearchMark.QUEUED, "Waiting to be sent.")),
            ("sr-3", RowResearch.of(ResearchState.NOT_FOUND, "Seamless.AI found nothing.")),
            ("not-loaded", RowResearch(ResearchMark.QUEUED, "Waiting.")),
        ]
    )
    assert changed == ["sr-1", "sr-2", "sr-3"]
    research = model.index(1, PeopleColumn.RESEARCH)
    assert research.data() == "2 emails, 2 phones"
    assert research.data(ResearchStateRole) == "done"
    assert research.data(RecordRole) is record
    assert research.data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(2, PeopleColumn.RESEARCH).data() == "Queued"
    assert model.index(3, PeopleColumn.RESEARCH).data() == "Not found"
    assert model.index(0, PeopleColumn.RESEARCH).data() is None
    assert model.index(0, PeopleColumn.RESEARCH).data(ResearchStateRole) == "none"
    # A later failure status never hides a record the user holds.
    model.set_research([("sr-1", RowResearch.of(ResearchState.FAILED, "error"))])
    assert model.research_of("sr-1") is not None
    assert model.research_of("sr-1").mark is ResearchMark.DONE  # type: ignore[union-attr]
    assert model.researched_ids() == ["sr-1"]


def test_sorting_orders_what_is_loaded_and_keeps_the_selection(qapp: Any, tested: Tested) -> None:
    model = tested(PeopleResultsModel())
    model.append([person_result(i) for i in range(6)])
    kept = QPersistentModelIndex(model.index(model.row_of("sr-3"), 0))
    # Company size by the documented ranges, not alphabetically; empty cells last both ways.
    model.sort(PeopleColumn.SIZE, Qt.SortOrder.AscendingOrder)
    assert texts(model, PeopleColumn.SIZE) == [
        "2 - 10", "11 - 50", "51 - 200", "501 - 1,000", "10,001+", None,
    ]  # fmt: skip
    model.sort(PeopleColumn.SIZE, Qt.SortOrder.DescendingOrder)
    assert texts(model, PeopleColumn.SIZE)[:2] == ["10,001+", "501 - 1,000"]
    assert texts(model, PeopleColumn.SIZE)[-1] is None
    assert kept.isValid() and kept.data(SearchResultIdRole) == "sr-3"
    assert model.row_of("sr-3") == kept.row()
    # A new page joins the order the user chose.
    model.sort(PeopleColumn.NAME, Qt.SortOrder.DescendingOrder)
    model.append([person_result(9)])
    assert texts(model, PeopleColumn.NAME)[0] == "Person 09"
    # A new search starts over in arrival order.
    model.clear()
    assert model.rowCount() == 0 and model.sort_column == -1 and model.research_of("sr-1") is None


def test_company_results_sort_by_revenue_and_founding_year(qapp: Any, tested: Tested) -> None:
    model = tested(CompanyResultsModel())
    model.append([company_result(i) for i in range(6)])
    assert model.index(0, CompanyColumn.DOMAIN).data() == "company0.example"
    assert model.index(1, CompanyColumn.FOUNDED).data() == "1991"
    model.sort(CompanyColumn.REVENUE, Qt.SortOrder.AscendingOrder)
    assert texts(model, CompanyColumn.REVENUE)[:2] == ["$100K - $1M", "$100K - $1M"]
    assert texts(model, CompanyColumn.REVENUE)[-1] == "$1B+"
    model.sort(CompanyColumn.FOUNDED, Qt.SortOrder.DescendingOrder)
    # Years as numbers, newest first; companies without one last.
    assert texts(model, CompanyColumn.FOUNDED) == ["1995", "1993", "1992", "1991", None, None]
    rows = model.export_rows()
    assert model.headers()[0] == "Name" and len(rows) == 6 and rows[0][0].startswith("Company")


def progress(job_id: int, state: JobState, **extra: Any) -> JobProgress:
    values: dict[str, Any] = dict(
        job_id=job_id,
        kind="contact",
        state=state,
        total=5,
        pending=2,
        found=2,
        duplicates=1,
        failed=1,
        eta_seconds=12.0,
        message=None,
        statuses={"done": 1, "duplicate": 1, "missing": 1, "researching": 2},
    )
    values.update(extra)
    return JobProgress(**values)


def test_research_jobs_newest_first_with_counts_and_decisions(qapp: Any, tested: Tested) -> None:
    model = tested(ResearchJobsModel())
    model.set_jobs(
        [progress(1, JobState.DONE, pending=0, eta_seconds=None), progress(2, JobState.POLLING)]
    )
    assert [model.job_at(r).job_id for r in range(2)] == [2, 1]  # type: ignore[union-attr]
    row = model.index(0, 0)
    assert row.data() == "#2 · 5 people"
    assert model.index(0, JobColumn.PROGRESS).data() == "3 of 5"
    assert model.index(0, JobColumn.PROGRESS).data(ProgressRole) == pytest.approx(0.6)
    assert model.index(0, JobColumn.FOUND).data() == "2"
    assert model.index(0, JobColumn.NOT_FOUND).data() == "1"
    assert model.index(0, JobColumn.FAILED).data() == "0"
    assert model.index(0, JobColumn.ETA).data() == "about 12 s"
    assert model.index(1, JobColumn.STATUS).data().startswith("Finished")
    # A new job appears on top; a lost answer asks for a decision.
    model.update(progress(3, JobState.UNKNOWN, message="The connection dropped."))
    assert model.rowCount() == 3 and model.index(0, 0).data(NeedsDecisionRole) is True
    assert "resend or cancel" in model.index(0, JobColumn.STATUS).data()
    assert (
        model.index(0, JobColumn.STATUS).data(Qt.ItemDataRole.ToolTipRole)
        == "The connection dropped."
    )
    # An existing job changes in place.
    model.update(progress(2, JobState.DONE, pending=0, eta_seconds=None))
    assert model.rowCount() == 3 and model.index(1, JobColumn.ETA).data() is None


def test_contact_points_show_confidence_and_verdict(qapp: Any, tested: Tested) -> None:
    model = tested(ContactPointsModel())
    model.set_record(researched(7))
    rows = [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]
    assert rows == [
        ["person7@company.example", "Work email", "97% valid"],
        ["person7@gmail.example", "Work email", "70% risky"],
        # Numbers in the app's one display format, however Seamless.AI wrote them.
        ["(415) 555-0101", "Mobile", "80%"],
        ["(415) 555-0199", "Company line", "—"],
    ]
    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    model.set_record(researched(8, personalEmail="p8@home.example"))
    assert any(model.index(r, 1).data() == "Personal email" for r in range(model.rowCount()))
    model.set_record(None)
    assert model.rowCount() == 0


def test_push_report_lists_failures_first_with_reasons(qapp: Any, tested: Tested) -> None:
    model = tested(PushReportModel())
    model.set_outcomes(
        [
            PushOutcome("sr-1", "Ann Lee", PushAction.CREATED, "c1", "ann@x.example"),
            PushOutcome(
                "sr-2",
                "Bo Chen",
                PushAction.SKIPPED,
                reason="No usable email address.",
                notes=("bo@bad was left out: invalid.",),
            ),
            PushOutcome("sr-3", "Cy Dunn", PushAction.UNCHANGED, "c3", "cy@x.example"),
        ]
    )
    assert [model.index(r, 2).data() for r in range(3)] == [
        "Skipped", "Added", "Already up to date",
    ]  # fmt: skip
    assert model.index(0, 3).data() == "No usable email address. bo@bad was left out: invalid."
    assert model.index(0, 0).data(OutcomeRole) == "skipped"
