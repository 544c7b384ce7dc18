"""Reports show their reasons: the report dialog wraps each reason in full (no cut text, no
side scrollbar), a job's banner names the main reason and offers "Show report…", and a
cancelled job is not a success."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication

from app.ui.common.report import (
    LineState,
    ReportDialog,
    ReportLine,
    main_reason,
    report_severity,
    with_reason,
)
from app.ui.common.widgets import Banner

LONG = (
    "Seedly rejected the request: the email address is not valid for this sub-account "
    "(the domain refuses mail), so the contact was not created and nothing was changed."
)


def test_a_report_line_shows_its_whole_reason(qapp: Any) -> None:
    lines = [
        ReportLine("Kim Lee <kim@example.com>", "Failed", LineState.FAILED, LONG),
        ReportLine("Ann Bee <ann@example.com>", "Added"),
    ]
    dialog = ReportDialog("Add to CRM report", "1 added, 1 failed.", "danger", lines)
    dialog.show()
    QApplication.processEvents()
    view = dialog.view
    index = view.model().index(0, 2)
    assert index.data() == LONG  # failures first, the reason whole
    line_height = view.fontMetrics().height()
    assert view.rowHeight(0) >= 2 * line_height, "a long reason wraps onto more lines"
    assert view.rowHeight(1) < 2 * line_height
    assert not view.horizontalScrollBar().isVisible()
    assert view.visualRect(index).right() <= view.viewport().width()
    assert LONG in dialog.text
    dialog.close()


def test_cancelled_or_failed_is_not_a_success() -> None:
    assert report_severity(failed=0) == "success"
    assert report_severity(failed=0, incomplete=True) == "warning"
    assert report_severity(failed=2, incomplete=True) == "danger"


def test_the_summary_names_the_main_reason() -> None:
    lines = [
        ReportLine("a", "Failed", LineState.FAILED, "No email."),
        ReportLine("b", "Failed", LineState.FAILED, "No email."),
        ReportLine("c", "Failed", LineState.FAILED, "Seedly refused it."),
        ReportLine("d", "Added"),
    ]
    assert main_reason(lines) == "No email."
    assert with_reason("2 failed.", lines) == "2 failed. Why: No email. (and 1 other reason)"
    assert with_reason("All added.", lines[3:]) == "All added."


def test_the_banner_offers_the_report(qapp: Any) -> None:
    banner = Banner()
    opened: list[bool] = []
    banner.show_message("danger", "2 failed. Why: No email.", report=lambda: opened.append(True))
    assert not banner.report_button.isHidden()
    assert banner.action_button.isHidden()
    heard: list[bool] = []
    banner.actionClicked.connect(lambda: heard.append(True))
    banner.report_button.click()
    assert opened == [True] and heard == []  # the area's own action is not triggered
    banner.show_message("info", "Something else.")
    assert banner.report_button.isHidden()
