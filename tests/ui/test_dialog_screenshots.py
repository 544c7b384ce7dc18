"""A screenshot test per main dialog: each is shown at its default size in the light
theme, in the dark theme, and built light then switched to dark while open; its rendered
pixels are checked against the palette (every icon drawn as a picture, and every button's
icon, must read on the window colour of the theme shown) and no scroll area in it may
show a horizontal scrollbar."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QVBoxLayout

from app.core.credits import Action, Estimate
from app.services.lead_push import PushAction, PushOutcome, PushReport
from app.services.ports.leads import CreditMeter, LeadsPort, ResearchPlan
from app.services.ports.webhooks import SubscriptionRow, WorkflowRun
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import SubAccountRef
from app.settings.secrets import Secrets
from app.storage import Database
from app.ui.calendar.cancel_dialog import CancelReasonDialog
from app.ui.common.report import LineState, ReportDialog, ReportLine
from app.ui.connections.dialog import ConnectionDialog
from app.ui.contacts.import_dialog import ContactImportDialog
from app.ui.leads.connection import SeamlessSettingsDialog
from app.ui.leads.dialogs import AddToCrmDialog, BudgetDialog, ResearchConfirmDialog
from app.ui.calendar.booking_dialog import BookingDialog
from app.ui.theme import Theme, icon
from app.ui.webhooks.dialogs import (
    CopyTargetsDialog,
    RunReportDialog,
    SecretDialog,
    SubscriptionDialog,
    WorkflowDialog,
)
from tests.support.sandbox_process import Sandbox
from tests.support.theme_checks import horizontal_scrollbars, wrong_palette_icons
from tests.ui.calendar.conftest import opened
from tests.ui.contacts.test_import_dialog import CSV, DEPLOYMENT, FIELDS, FakeSeedly, _importer
from tests.ui.test_connection_dialog import make_store

pytestmark = pytest.mark.timeout(60)

MODES = ("light", "dark", "switched")
"""Shown light, shown dark, and built light then switched to dark while open."""

WHY = "Seedly rejected the request: the email address is not valid for this sub-account."


@pytest.fixture
def theme(qapp: QApplication) -> Iterator[Theme]:
    made = Theme(qapp, "light")
    yield made
    made.set_mode("light")
    made.close()


def _meter() -> CreditMeter:
    from app.core.credits import ARTICLE_PRICING

    return CreditMeter(
        balance=480,
        balance_at=0.0,
        spent_today=12,
        spent_session=7,
        committed=0,
        daily_budget=100,
        rules=ARTICLE_PRICING,
    )


def _push_report() -> PushReport:
    return PushReport(
        [
            PushOutcome("sr-1", "Kim Lee", PushAction.FAILED, email="kim@x.example", reason=WHY),
            PushOutcome("sr-2", "No Mail", PushAction.SKIPPED, reason="No usable email."),
            PushOutcome("sr-3", "Joe Doe", PushAction.CREATED, "c1", email="joe@x.example"),
        ]
    )


async def _never(_sub: str, _tag: str) -> PushReport:
    raise AssertionError("nothing is pushed in a screenshot")


@contextlib.contextmanager
def _made(name: str, tmp_path: Path, cleanup: list[Callable[[], Any]]) -> Iterator[QDialog]:
    """The dialog called ``name``, as the app opens it, closed afterwards (what it needed
    is closed by the calls it adds to ``cleanup``)."""
    dialog: QDialog
    subs = [SubAccountRef(id="sub_1", name="Roofing Co"), SubAccountRef(id="sub_2", name="Solar")]
    if name == "add to crm":
        dialog = AddToCrmDialog(3, subs, "sub_1", _never)
    elif name == "push report":
        dialog = AddToCrmDialog(3, subs, "sub_1", _never)
        dialog.show_report(_push_report())
    elif name == "report":
        lines = [
            ReportLine("Kim Lee", "Failed", LineState.FAILED, WHY),
            ReportLine("Ann Bee", "Not reached", LineState.SKIPPED, "Cancelled."),
            ReportLine("Joe Doe", "Changed"),
        ]
        dialog = ReportDialog("Bulk action report", "1 changed, 1 failed.", "danger", lines)
    elif name == "research":
        estimate = Estimate(Action.RESEARCH_CONTACTS, 8, 10, 8, free_duplicates=2)
        plan = ResearchPlan(
            "contact", estimate, tuple(f"sr-{i}" for i in range(8)), (), ("sr-8", "sr-9"), {}, None
        )
        dialog = ResearchConfirmDialog(
            plan, _meter(), sub_accounts=subs, open_sub_account_id="sub_1"
        )
    elif name == "budget":
        dialog = BudgetDialog(100, 12)
    elif name == "seamless connection":
        workspace = Workspace.open(AppPaths.under(tmp_path / "home"), secrets=Secrets())
        cleanup.append(workspace.shutdown)
        dialog = SeamlessSettingsDialog(LeadsPort(workspace).connection)
    elif name == "add connection":
        dialog = ConnectionDialog(make_store(), timeout=3)
    elif name == "subscription editor":
        dialog = SubscriptionDialog(None, allow_loopback=True, receiver_url=None)
    elif name == "secret":
        dialog = SecretDialog(
            None,
            [("Roofing Co", "whsec_abc123"), ("Solar", "whsec_def456")],
            intro="Each sub-account's copy has its own signing secret, shown once:",
            report=["Copied: Roofing Co: created.", f"Not copied: Solar: {WHY}"],
        )
    elif name == "copy targets":
        row = SubscriptionRow(
            "wh_1", "https://hooks.example.com/seedly", ("contact.created",), None, True, None
        )
        dialog = CopyTargetsDialog(
            None, row, [("sub_1", "Roofing Co", False), ("sub_2", "Solar", True)]
        )
    elif name == "workflow":
        dialog = WorkflowDialog(None)
    elif name == "workflow runs":
        runs = [
            WorkflowRun(
                1, "trigger", "welcome", "c1", "Kim Lee", "{}", True, "ok", 200, 1, "Sent.", 0
            ),
            WorkflowRun(
                2, "trigger", "welcome", "c2", "Ann Bee", "{}", True, "failed", 422, None, WHY, 0
            ),
        ]
        dialog = RunReportDialog(None, "Welcome", runs)
    elif name == "cancel reason":
        dialog = CancelReasonDialog(2)
    elif name == "contact import":
        db = Database.open(tmp_path / "cache.sqlite3")
        cleanup.append(db.close)
        partition = db.partition(DEPLOYMENT, "sub_roof")
        partition.custom_fields.replace_fields(FIELDS)
        path = tmp_path / "leads.csv"
        path.write_text(CSV, encoding="utf-8")
        dialog = ContactImportDialog(_importer(partition, FakeSeedly()), path=path)
    else:
        raise AssertionError(name)
    try:
        yield dialog
    finally:
        dialog.close()
        dialog.deleteLater()


DIALOGS = (
    "add to crm",
    "push report",
    "report",
    "research",
    "budget",
    "seamless connection",
    "add connection",
    "subscription editor",
    "secret",
    "cancel reason",
    "contact import",
    "copy targets",
    "workflow",
    "workflow runs",
)


def check(dialog: QDialog, dark: bool) -> None:
    """The dialog as drawn now: icons in the theme's palette, no horizontal scrollbar."""
    QApplication.processEvents()
    image = dialog.grab()
    assert not image.isNull() and image.width() > 0
    assert wrong_palette_icons(dialog, dark) == []
    assert horizontal_scrollbars(dialog) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", DIALOGS)
def test_a_dialog_follows_the_theme_and_fits(
    name: str, mode: str, theme: Theme, qapp: QApplication, tmp_path: Path, run: Any
) -> None:
    if mode == "dark":
        theme.set_mode("dark")
    cleanup: list[Callable[[], Any]] = []

    async def flow() -> None:
        # In the loop: some dialogs start their tasks as they open (the import's reading).
        try:
            with _made(name, tmp_path, cleanup) as dialog:
                dialog.show()  # at its default size
                await asyncio.sleep(0.05)
                if mode == "switched":
                    check(dialog, dark=False)
                    theme.set_mode("dark")
                check(dialog, dark=mode != "light")
        finally:
            for step in cleanup:
                done = step()
                if inspect.isawaitable(done):
                    await done

    run(flow(), timeout=30)


def test_the_booking_dialog_follows_the_theme_and_fits(
    theme: Theme, sandbox: Sandbox, tmp_path: Path, run: Any
) -> None:
    async def flow() -> None:
        async with opened(tmp_path, sandbox) as o:
            for mode in MODES:  # one sandbox workspace for the three
                theme.set_mode("dark" if mode == "dark" else "light")
                dialog = BookingDialog(o.port, o.tasks)
                try:
                    dialog.show()
                    await asyncio.sleep(0.05)
                    if mode == "switched":
                        check(dialog, dark=False)
                        theme.set_mode("dark")
                    check(dialog, dark=mode != "light")
                finally:
                    dialog.close()
                    dialog.deleteLater()

    run(flow(), timeout=50)


def test_the_check_finds_an_icon_left_in_the_other_palette(
    theme: Theme, qapp: QApplication
) -> None:
    dialog = QDialog()
    picture = QLabel(dialog)
    picture.setPixmap(icon("warning").pixmap(24, 24))  # drawn once, in the light palette
    button = QPushButton(QIcon(icon("add").pixmap(16, 16)), "Add", dialog)
    layout = QVBoxLayout(dialog)
    layout.addWidget(picture)
    layout.addWidget(button)
    dialog.show()
    check(dialog, dark=False)
    theme.set_mode("dark")
    QApplication.processEvents()
    assert len(wrong_palette_icons(dialog, dark=True)) == 2
    dialog.close()
