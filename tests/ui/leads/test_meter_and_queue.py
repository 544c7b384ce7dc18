"""The credit meter and the research queue panel without a server: the meter's figures,
the estimate under the cursor, the warning and danger colours, the status-bar badge;
the queue panel following ``ResearchJobChanged`` events through the bus bridge, and the
research confirmation's text with free duplicates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication, QPushButton

from app.core.credits import ARTICLE_PRICING, Action, Estimate, check_spend, estimate_research
from app.services.bus import EventBus
from app.services.credits import CreditLedger, CreditMeter
from app.services.research import ResearchQueue
from app.storage import Database, JobState
from app.ui.async_qt import BusBridge
from app.ui.leads.dialogs import ResearchConfirmDialog
from app.ui.leads.meter import (
    HINT,
    LOW_BALANCE,
    ActionHover,
    CreditBadge,
    CreditMeterWidget,
    MeterLevel,
    meter_level,
)
from app.ui.leads.queue import ResearchQueuePanel
from app.ui.leads.models import JobColumn
from tests.unit.services.seamless_fakes import Clock, FakeSeamless, person

pytestmark = pytest.mark.timeout(30)


def meter(balance: int | None = 500, **extra: Any) -> CreditMeter:
    values: dict[str, Any] = dict(
        balance=balance,
        balance_at=0.0,
        spent_today=12,
        spent_session=7,
        committed=0,
        daily_budget=None,
        rules=ARTICLE_PRICING,
    )
    values.update(extra)
    return CreditMeter(**values)


def search_estimate(credits: int) -> Estimate:
    return Estimate(Action.SEARCH_CONTACTS, credits, credits * 10, credits * 10)


def test_the_meter_shows_balance_spending_and_the_budget(qtbot: Any) -> None:
    widget = CreditMeterWidget()
    qtbot.addWidget(widget)
    widget.set_meter(None)
    assert widget.balance_text == "Not connected"
    widget.set_meter(meter(9950, committed=5, daily_budget=100))
    assert widget.balance_text == "9,950 credits"
    assert widget.spent_today_text == "12 credits" and widget.session_text == "7 credits"
    assert widget.budget_text == "83 of 100 left"  # 100 − 12 spent − 5 held
    assert not widget.held_box.isHidden() and widget.held_label.text() == "5 credits"
    assert widget.level is MeterLevel.OK and widget.property("severity") == "info"
    assert widget.estimate_text == HINT
    widget.set_meter(meter(9950))
    assert widget.budget_text == "None set" and widget.held_box.isHidden()


def test_the_estimate_under_the_cursor_and_the_warning_colours(qtbot: Any) -> None:
    widget = CreditMeterWidget()
    qtbot.addWidget(widget)
    widget.set_meter(meter(500))
    widget.show_estimate("Search", search_estimate(5))
    assert widget.estimate_text == "Search: up to 5 credits. At least 495 credits left after it."
    assert widget.level is MeterLevel.OK
    # Below the threshold: the warning colour, balance and frame.
    widget.set_meter(meter(LOW_BALANCE - 1))
    assert widget.level is MeterLevel.WARNING
    assert widget.balance_label.property("level") == "warning"
    assert widget.property("severity") == "warning"
    # An action the balance refuses: danger, with the meter's state (the sentence itself
    # is said once, at the refused action).
    estimate = search_estimate(60)
    refusal = check_spend(estimate, balance=LOW_BALANCE - 1)
    assert refusal is not None
    widget.show_estimate("Load more", estimate, refusal)
    assert widget.level is MeterLevel.DANGER and widget.property("severity") == "danger"
    assert refusal.message not in widget.estimate_text
    assert f"More than the {LOW_BALANCE - 1} credits available." in widget.estimate_text
    widget.clear_estimate()
    assert widget.estimate_text == HINT and widget.level is MeterLevel.WARNING
    # Plenty of credits, but the action costs more than today's budget has left.
    assert (
        meter_level(meter(500, daily_budget=20, spent_today=18), search_estimate(5))
        is MeterLevel.WARNING
    )
    assert (
        meter_level(meter(500, daily_budget=20, spent_today=10), search_estimate(5))
        is MeterLevel.OK
    )
    free = estimate_research(ARTICLE_PRICING, ["a", "b"], {"a", "b"})
    widget.set_meter(meter(500))
    widget.show_estimate("Research 2 selected", free)
    assert widget.estimate_text == "Research 2 selected: free (2 already researched)."


def test_the_status_bar_badge(qtbot: Any) -> None:
    badge = CreditBadge()
    qtbot.addWidget(badge)
    badge.set_meter(None)
    assert badge.isHidden()
    badge.set_meter(meter(1234, daily_budget=50))
    assert not badge.isHidden() and badge.text() == "1,234 credits"
    assert "spent today 12 credits" in badge.toolTip() and "38 of 50 left" in badge.toolTip()
    badge.set_meter(meter(10))
    assert badge.level is MeterLevel.WARNING and badge.property("level") == "warning"


def test_hover_and_focus_report_the_action(qtbot: Any) -> None:
    button = QPushButton("Search")
    qtbot.addWidget(button)
    hover = ActionHover()
    hover.watch(button, "search")
    seen: list[tuple[str, str]] = []
    hover.entered.connect(lambda name: seen.append(("in", name)))
    hover.left.connect(lambda name: seen.append(("out", name)))
    QApplication.sendEvent(button, QEnterEvent(QPointF(1, 1), QPointF(1, 1), QPointF(1, 1)))
    assert hover.active() == "search"
    QApplication.sendEvent(button, QEvent(QEvent.Type.Leave))
    assert seen == [("in", "search"), ("out", "search")] and hover.active() is None


# -- the queue panel and the confirmation --------------------------------------------------------


class Rig:
    """A research queue over a fake Seamless API, its bus bridged to Qt signals."""

    def __init__(self, tmp: Path, api: FakeSeamless | None = None) -> None:
        self.clock = Clock()
        self.db = Database.open(tmp / "cache.sqlite3", clock=self.clock.ms)
        self.bus = EventBus()
        self.bridge = BusBridge(self.bus)
        self.api = api or FakeSeamless(research_polls=1)
        self.api.clock = self.clock
        self.ledger = self.db.research_ledger("owner")
        self.credits = CreditLedger(self.ledger, self.bus, clock=self.clock.time)
        self.credits.attach(self.api)
        # Fake time: polling every 2–5 s takes no wall-clock time here.
        self.queue = ResearchQueue(
            self.api,
            self.db.research_jobs("owner"),
            self.ledger,
            self.credits,
            self.bus,
            clock=self.clock.time,
            monotonic=self.clock.monotonic,
            sleep=self.clock.sleep,
        )


def test_the_queue_panel_follows_job_events(
    qtbot: Any, tmp_path: Path, run: Callable[..., Any]
) -> None:
    rig = Rig(tmp_path)
    panel = ResearchQueuePanel()
    qtbot.addWidget(panel)
    panel.set_queue(rig.queue)
    rig.bridge.researchJobChanged.connect(panel.job_changed)
    assert panel.stack.currentWidget() is panel.empty
    [job_id] = rig.queue.submit(rig.queue.plan(["sr1", "sr2", "sr3"]))
    # The queued job arrived through the bus, before anything was sent.
    assert panel.model.rowCount() == 1 and panel.stack.currentWidget() is panel.table
    assert panel.model.index(0, JobColumn.STATUS).data() == "Waiting to be sent"
    assert panel.summary == "1 running"
    assert rig.api.calls == []

    async def work() -> None:
        await rig.queue.step()  # sent; the first poll says "researching"
        assert panel.model.index(0, JobColumn.PROGRESS).data() == "0 of 3"
        await rig.queue.step()
        await rig.queue.drain(timeout=10)

    run(work())
    assert panel.model.index(0, JobColumn.PROGRESS).data() == "3 of 3"
    assert panel.model.index(0, JobColumn.FOUND).data() == "3"
    assert panel.model.index(0, JobColumn.STATUS).data() == "Finished"
    assert panel.summary == "1 finished"
    assert panel.model.job_at(0).job_id == job_id  # type: ignore[union-attr]
    rig.db.close()


def test_a_lost_answer_asks_to_resend_or_cancel(
    qtbot: Any, tmp_path: Path, run: Callable[..., Any]
) -> None:
    rig = Rig(tmp_path, FakeSeamless(lose_answer_after_accepting=True))
    panel = ResearchQueuePanel()
    qtbot.addWidget(panel)
    panel.set_queue(rig.queue)
    rig.bridge.researchJobChanged.connect(panel.job_changed)
    [job_id] = rig.queue.submit(rig.queue.plan(["sr1", "sr2"]))
    run(rig.queue.step())
    assert rig.queue.progress(job_id).state is JobState.UNKNOWN
    assert "resend or cancel" in panel.model.index(0, JobColumn.STATUS).data()
    assert not panel.resend_button.isEnabled()  # nothing selected yet
    panel.select_job(job_id)
    assert panel.resend_button.isEnabled() and panel.cancel_button.isEnabled()
    sent = rig.api.count("research:contact")
    assert panel.resend_selected()  # the user's decision: dedup keeps it from charging twice
    assert rig.queue.progress(job_id).state is JobState.QUEUED
    run(rig.queue.drain(timeout=10))
    assert rig.api.count("research:contact") == sent + 1
    assert rig.queue.progress(job_id).state is JobState.DONE
    assert rig.queue.progress(job_id).duplicates == 2  # researched before the answer was lost
    rig.db.close()


def test_the_confirmation_states_cost_free_duplicates_and_the_balance_after(
    qtbot: Any, tmp_path: Path
) -> None:
    rig = Rig(tmp_path)
    for sr in ("sr1", "sr3"):
        rig.ledger.record("contact", sr, "r", "done", person(sr), 1, 0)
    plan = rig.queue.plan(["sr0", "sr1", "sr2", "sr3", "sr4"])
    dialog = ResearchConfirmDialog(plan, meter(100, committed=10, daily_budget=50), None)
    qtbot.addWidget(dialog)
    text = dialog.text
    assert "Research 3 people: up to 3 credits." in text
    assert "2 of the 5 selected were already researched and cost nothing" in text
    assert dialog.rows["free"].startswith("2 — free: reopened from your research, not sent")
    assert dialog.rows["sent"] == "3"
    assert dialog.rows["balance"] == "100 credits (10 credits held for queued research)"
    assert dialog.rows["after"] == "at least 87 credits"  # 100 − 10 held − 3
    assert dialog.rows["budget"] == "25 of 50 left"  # 50 − 12 spent − 10 held − 3
    assert dialog.research_button.isEnabled()
    assert dialog.research_button.text() == "Research — up to 3 credits"
    assert dialog.research_button.property("primary") is True  # styled as the main action
    assert dialog.research_button.isDefault()
    # A plan the balance refuses cannot be confirmed; the dialog says why.
    poor = Rig(tmp_path / "poor", FakeSeamless(balance=2))
    poor.credits.observe(type("R", (), {"balance": 2, "at": 0.0})())
    refused = poor.queue.plan(["a", "b", "c"])
    assert refused.refusal is not None
    blocked = ResearchConfirmDialog(refused, poor.credits.meter(), None)
    qtbot.addWidget(blocked)
    assert not blocked.research_button.isEnabled()
    assert blocked.refusal.text == refused.refusal.message
    rig.db.close()
    poor.db.close()
