"""The Webhooks tab's widgets: the grouped event picker, the shown-once secret dialog, the
subscription form's URL check in place, and the tables' in-place updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QTableView

from app.core.constants import WEBHOOK_EVENTS
from app.services.ports.webhooks import SubscriptionRow, WebhooksPort
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.secrets import Secrets, SessionSecrets
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.webhooks.dialogs import SecretDialog, SubscriptionDialog
from app.ui.webhooks.event_picker import EventPicker
from app.ui.webhooks.models import Column, RowsTableModel
from app.ui.webhooks.tab import WebhooksTab
from tests.support.areas import RecordingNavigator, build_area


def test_the_event_picker_groups_searches_and_selects(qtbot: Any) -> None:
    picker = EventPicker()
    qtbot.addWidget(picker)
    assert picker.selected() == () and picker.count.text() == "No events chosen"
    picker.groups["appointment"].setCheckState(0, Qt.CheckState.Checked)
    assert picker.selected() == tuple(e for e in WEBHOOK_EVENTS if e.startswith("appointment."))
    assert picker.count.text() == "6 of 26 events chosen"
    # A partly chosen group shows so.
    picker.items["appointment.no_show"].setCheckState(0, Qt.CheckState.Unchecked)
    assert picker.groups["appointment"].checkState(0) == Qt.CheckState.PartiallyChecked
    picker.search.setText("paid")
    visible = [k for k, g in picker.groups.items() if not g.isHidden()]
    assert visible == ["invoice"]
    picker.search.clear()
    assert not any(g.isHidden() for g in picker.groups.values())
    picker.all_button.click()
    assert picker.selected() == WEBHOOK_EVENTS
    picker.none_button.click()
    assert picker.selected() == ()
    # Labels and meanings, never the wire names, on screen.
    item = picker.items["contact.lifecycle_changed"]
    assert item.text(0) == "Lifecycle stage changed" and "stage" in item.text(1)
    assert "contact.lifecycle_changed" in item.toolTip(0)


def test_the_secret_dialog_needs_an_explicit_i_stored_it(qtbot: Any) -> None:
    dialog = SecretDialog(None, [("", "whsec_abc123")], intro="Shown once.")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.fields[0].isReadOnly() and dialog.fields[0].text() == "whsec_abc123"
    assert not dialog.done_button.isEnabled()
    dialog.reject()
    assert dialog.isVisible()  # Esc or the close button do not skip the step
    dialog.stored.setChecked(True)
    assert dialog.done_button.isEnabled() and not dialog.keep_in_keyring
    dialog.keep.setChecked(True)
    dialog.done_button.click()
    assert not dialog.isVisible() and dialog.keep_in_keyring


def test_the_subscription_form_checks_the_url_in_place(qtbot: Any) -> None:
    form = SubscriptionDialog(None, allow_loopback=False, receiver_url=None)
    qtbot.addWidget(form)
    form.show()
    sent: list[bool] = []
    form.submitted.connect(lambda: sent.append(True))
    form.url.setText("https://2130706433/hook")
    assert "another way of writing 127.0.0.1" in form.url_message.text
    form.save.click()
    assert sent == [] and "Choose at least one event" in form.events_message.text
    form.url.setText("https://hooks.example.com/seedly")
    assert form.url_message.text == ""
    form.events.set_selected(["contact.created"])
    form.save.click()
    assert sent == [True]
    form.show_refusal("url", "Seedly refused it: url host is a loopback address")
    assert "loopback" in form.url_message.text
    assert not form.use_receiver.isVisible()  # only the demo may subscribe the receiver


def test_an_edit_form_starts_from_the_subscription(qtbot: Any) -> None:
    row = SubscriptionRow(
        "wh_1", "https://a.example.com/x", ("form.submitted",), "Forms", False, None
    )
    form = SubscriptionDialog(None, allow_loopback=False, receiver_url=None, original=row)
    qtbot.addWidget(form)
    assert form.url.text() == row.url and form.description.text() == "Forms"
    assert form.events.selected() == ("form.submitted",) and not form.active.isChecked()
    assert form.save.text() == "Save"


def test_tables_update_in_place_and_keep_the_selection(qtbot: Any) -> None:
    model: RowsTableModel[tuple[str, str]] = RowsTableModel(
        [Column("Id", lambda r: r[0]), Column("Text", lambda r: r[1])], key=lambda r: r[0]
    )
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_rows([("2", "b"), ("1", "a")])
    view.selectionModel().setCurrentIndex(
        model.index(1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.set_rows([("3", "c"), ("2", "b"), ("1", "a!")])  # a new delivery on top
    assert resets == [] and model.rowCount() == 3
    assert view.currentIndex().row() == 2 and model.index(2, 1).data() == "a!"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Text"


def test_the_tab_without_a_connection_and_a_workflow_run_request(
    qtbot: Any, qloop: Any, tmp_path: Path
) -> None:
    workspace = Workspace.open(
        AppPaths.under(tmp_path / "home"), secrets=Secrets(persistent=SessionSecrets())
    )
    navigator = RecordingNavigator()
    tab = build_area(
        WebhooksTab,
        WebhooksPort(workspace),
        BusBridge(workspace.bus),
        TaskSet("webhooks", loop=qloop),
        navigator=navigator,
    )
    qtbot.addWidget(tab)
    assert [tab.pages.tabText(i) for i in range(tab.pages.count())] == [
        "Subscriptions",
        "Test bench",
        "Workflows",
        "All sub-accounts",
    ]
    assert not tab.is_loaded()
    # Asked before a sub-account is open: kept until one is.
    assert tab.show_record("workflow-run", "c1, c2")
    assert tab.pages.currentWidget() is tab.workflows and tab._pending_contacts == ["c1", "c2"]
    assert not tab.show_record("contact", "c1") and not tab.show_record("workflow-run", " ")
    workspace.db.close()
