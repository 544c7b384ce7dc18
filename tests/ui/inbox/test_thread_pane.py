"""The thread pane: safe HTML (nothing remote is loaded, scripts never run), links opened
only after confirmation, notes styled apart, Retry and Cancel, live status, polling the
open thread, and a sub-account switch clearing everything at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QUrl
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from app.services.ports.inbox import InboxPort
from app.services.bus import MessagesChanged
from app.storage import Database, OutboxState, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.inbox.safe_html import SafeTextDocument
from app.ui.inbox.thread import ThreadPane
from app.ui.inbox.thread_model import ThreadRow
from tests.ui.inbox.thread_fixtures import (
    BASE_MS,
    CONTACT,
    CONV,
    OTHER_SCOPE,
    SCOPE,
    ThreadWorkspace,
    iso,
    seed_partition,
)
from tests.unit.storage.docs import message

EVIL_HTML = (
    '<p>Hello <a href="https://example.com/offer?id=7">see the offer</a></p>'
    '<img src="http://tracker.example.com/open.gif?u=kim">'
    '<script>document.title = "pwned"; alert(1)</script>'
    '<div style="background-image: url(https://cdn.example.com/bg.png)">styled</div>'
    '<p><a href="javascript:alert(2)">click me</a></p>'
)
PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def pdb(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "pane.db")
    yield database
    database.close()


@pytest.fixture
def ppart(pdb: Database) -> Partition:
    part = seed_partition(pdb, messages=6, channel="email")
    part.messages.upsert_messages(
        [
            message(
                "html_1",
                CONV,
                iso(BASE_MS + 20 * 60_000),
                "Hello see the offer",
                channel="email",
                subject="Special offer",
                bodyHtml=EVIL_HTML,
            ),
            message(
                "note_1",
                CONV,
                iso(BASE_MS + 21 * 60_000),
                "Called her, she will come on Thursday",
                channel="email",
                direction="outbound",
                status="sent",
                isInternal=True,
            ),
            message(
                "out_1",
                CONV,
                iso(BASE_MS + 22 * 60_000),
                "See you Thursday!",
                channel="email",
                direction="outbound",
                status="sent",
                subject="Re: Special offer",
            ),
        ]
    )
    return part


class Pane:
    """A pane over the fixture cache, with the links it was asked to open."""

    def __init__(self, db: Database, part: Partition, qloop: Any) -> None:
        self.workspace = ThreadWorkspace(db, part)
        self.workspace.session.sync = None  # type: ignore[union-attr]  # the cache is all
        self.bridge = BusBridge(self.workspace.bus)
        self.opened: list[str] = []
        self.widget = ThreadPane(
            InboxPort(self.workspace),
            self.bridge,
            TaskSet("pane", loop=qloop),
            open_url=lambda url: self.opened.append(url.toString()),
        )
        self.widget.resize(760, 720)

    def show(self, qapp: QApplication) -> None:
        self.widget.set_conversation(CONV)
        self.widget.show()
        settle(qapp)


def settle(qapp: QApplication, rounds: int = 6) -> None:
    for _ in range(rounds):
        qapp.processEvents()


@pytest.fixture
def pane(pdb: Database, ppart: Partition, qloop: Any, qapp: QApplication) -> Iterator[Pane]:
    made = Pane(pdb, ppart, qloop)
    yield made
    made.widget.close()
    made.widget.deleteLater()
    made.bridge.detach()


def row_point(p: Pane, key: str) -> tuple[ThreadRow, QPoint]:
    """The row of ``key`` and the top left of its item in viewport coordinates."""
    model = p.widget.model
    at = model.row_of(key)
    assert at is not None, key
    view = p.widget.view
    view.scrollTo(view.source_index(at))
    QApplication.processEvents()
    row = model.row_at(at)
    assert row is not None
    return row, view.visualRect(view.source_index(at)).topLeft()


def test_html_bodies_load_nothing_and_run_nothing(pane: Pane, qapp: QApplication) -> None:
    pane.show(qapp)
    row, _ = row_point(pane, "m:html_1")
    pane.widget.view.viewport().grab()  # paint: images are asked for while drawing
    delegate = pane.widget.view.delegate
    doc = delegate.document(row)
    assert isinstance(doc, SafeTextDocument)
    # The sanitiser drops remote addresses before Qt sees the body; the document would
    # refuse any that were left (tests/ui/inbox/test_safe_html.py).
    markup = doc.toHtml()
    assert "tracker.example.com" not in markup and "cdn.example.com" not in markup
    assert doc.refused == [] and doc.embedded == []
    assert not delegate.measure(row).blocked.isNull()  # "Remote images … were blocked."
    text = doc.toPlainText()
    assert "pwned" not in text and "alert" not in text  # the script is dropped, never run
    assert "see the offer" in text
    assert pane.widget.window().windowTitle() != "pwned"


def test_links_open_only_after_the_address_was_shown(pane: Pane, qapp: QApplication) -> None:
    pane.show(qapp)
    row, origin = row_point(pane, "m:html_1")
    delegate = pane.widget.view.delegate
    measured = delegate.measure(row)
    # Find the link on screen and click it like a user.
    target: QPoint | None = None
    for y in range(measured.doc_rect.top(), measured.doc_rect.bottom(), 2):
        for x in range(measured.doc_rect.left(), measured.doc_rect.right(), 4):
            if delegate.hit(row, QPoint(x, y)) == ("link", "https://example.com/offer?id=7"):
                target = QPoint(x, y)
                break
        if target is not None:
            break
    assert target is not None
    QTest.mouseClick(pane.widget.view.viewport(), QtLeft, pos=origin + target)
    box = pane.widget.link_box
    assert box is not None and box.isVisible()
    assert box.informativeText() == "https://example.com/offer?id=7"
    assert pane.opened == []  # nothing is opened before the user agrees
    box.button(QMessageBox.StandardButton.Open).click()
    settle(qapp)
    assert pane.opened == ["https://example.com/offer?id=7"]
    # Cancel opens nothing; a javascript: link is refused outright.
    pane.widget.confirm_link(QUrl("https://example.com/other"))
    assert pane.widget.link_box is not None
    pane.widget.link_box.button(QMessageBox.StandardButton.Cancel).click()
    settle(qapp)
    pane.widget.confirm_link(QUrl("javascript:alert(2)"))
    assert pane.widget.link_box is None
    assert "was not opened" in pane.widget.banner.text
    assert pane.opened == ["https://example.com/offer?id=7"]


QtLeft = __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton


def _pixel(pane: Pane, key: str, image: QImage) -> QColor:
    row, origin = row_point(pane, key)
    bubble = pane.widget.view.delegate.measure(row).bubble
    # Inside the bubble, left of the text, below the rounded corner.
    point = origin + bubble.topLeft() + QPoint(4, bubble.height() // 2)
    return image.pixelColor(point)


def test_notes_are_styled_apart(pane: Pane, qapp: QApplication) -> None:
    pane.show(qapp)
    view = pane.widget.view
    note, note_origin = row_point(pane, "m:note_1")
    out, _ = row_point(pane, "m:out_1")
    inbound, _ = row_point(pane, "m:html_1")
    delegate = view.delegate
    note_box, out_box, in_box = (delegate.measure(r).bubble for r in (note, out, inbound))
    width = view.viewport().width()
    # Inbound left, outbound right, notes centred and labelled.
    assert in_box.left() < width // 4 and out_box.right() > width * 3 // 4
    assert abs((note_box.left() + note_box.right()) // 2 - width // 2) <= 2
    assert delegate.measure(note).header_text.startswith("Internal note")
    view.scrollTo(view.source_index(pane.widget.model.row_of("m:note_1")))  # type: ignore[arg-type]
    settle(qapp)
    image = view.viewport().grab().toImage()
    note_color = _pixel(pane, "m:note_1", image)
    out_color = _pixel(pane, "m:out_1", image)
    in_color = _pixel(pane, "m:html_1", image)
    assert note_color != out_color and note_color != in_color and out_color != in_color
    # The note's tint is warm (the theme's warning colour), the reply's the accent.
    assert note_color.red() > note_color.blue()
    assert out_color.green() > out_color.red()


def test_retry_and_cancel_on_failed_and_queued_items(
    pane: Pane, ppart: Partition, qapp: QApplication
) -> None:
    pane.show(qapp)
    sender = pane.workspace.session.sender  # type: ignore[union-attr]
    failed = sender.compose(CONV, {"bodyText": "Fails first", "channel": "email", "subject": "S"})
    ppart.outbox.mark_sending(failed.client_id)
    sender._publish(ppart.outbox.mark_failed(failed.client_id, "The provider refused it."))
    settle(qapp)
    row, origin = row_point(pane, f"o:{failed.client_id}")
    assert row.status == "failed" and row.can_retry
    measured = pane.widget.view.delegate.measure(row)
    assert not measured.retry.isNull() and measured.reason is not None
    QTest.mouseClick(pane.widget.view.viewport(), QtLeft, pos=origin + measured.retry.center())
    settle(qapp)
    assert ppart.outbox.get(failed.client_id).state is OutboxState.QUEUED  # type: ignore[union-attr]
    row, origin = row_point(pane, f"o:{failed.client_id}")
    assert row.status == "queued" and not row.can_retry and row.can_cancel
    measured = pane.widget.view.delegate.measure(row)
    QTest.mouseClick(pane.widget.view.viewport(), QtLeft, pos=origin + measured.cancel.center())
    settle(qapp)
    assert ppart.outbox.get(failed.client_id).state is OutboxState.CANCELLED  # type: ignore[union-attr]
    assert pane.widget.model.row_of(f"o:{failed.client_id}") is None
    # A retry of an item that moved on meanwhile is said, not crashed.
    assert pane.widget.retry(f"o:{failed.client_id}") is False


def test_live_status_updates_the_shown_message(
    pane: Pane, ppart: Partition, qapp: QApplication
) -> None:
    pane.show(qapp)
    doc = ppart.messages.message_by_id("out_1")
    assert doc is not None
    before = pane.widget.model.row_at(pane.widget.model.row_of("m:out_1"))  # type: ignore[arg-type]
    assert before is not None and before.status == "sent"
    ppart.messages.upsert_messages([{**doc, "status": "read"}])
    pane.workspace.bus.publish(MessagesChanged(SCOPE, CONV, frozenset({"out_1"})))
    settle(qapp)
    after = pane.widget.model.row_at(pane.widget.model.row_of("m:out_1"))  # type: ignore[arg-type]
    assert after is not None and after.status == "read"
    assert pane.widget.view.delegate.measure(after).footer_text.startswith("Read")
    # Another sub-account's event with the same ids changes nothing.
    ppart.messages.upsert_messages([{**doc, "status": "failed"}])
    pane.workspace.bus.publish(MessagesChanged(OTHER_SCOPE, CONV, frozenset({"out_1"})))
    settle(qapp)
    assert pane.widget.model.row_at(pane.widget.model.row_of("m:out_1")).status == "read"  # type: ignore[arg-type, union-attr]


def test_header_polling_and_contact_link(pane: Pane, qapp: QApplication) -> None:
    session = pane.workspace.session
    assert session is not None
    pane.show(qapp)
    assert session.opened == [None, CONV]  # built empty, then the thread is polled
    assert pane.widget.title.text() == "Kim Lee"
    assert pane.widget.subtitle.text() == "Email · Open · Your cleaning"
    links: list[str] = []
    pane.widget.contactLinkActivated.connect(links.append)
    pane.widget.contact_button.click()
    assert links == [CONTACT]
    pane.widget.set_conversation(None)
    assert session.opened[-1] is None
    assert pane.widget.model.rowCount() == 0
    assert pane.widget.pages.currentWidget() is pane.widget.empty


def test_a_sub_account_switch_clears_the_pane_at_once(
    pane: Pane, pdb: Database, qapp: QApplication
) -> None:
    pane.show(qapp)
    pane.widget.composer.body_edit.setPlainText("Draft for the first sub-account")
    assert pane.widget.model.rowCount() > 0
    other = seed_partition(pdb, OTHER_SCOPE.sub_account_id, messages=3)
    pane.workspace.switch(other, OTHER_SCOPE)  # publishes SessionChanged synchronously
    assert pane.widget.model.rowCount() == 0
    assert pane.widget.conversation_id is None
    assert pane.widget.pages.currentWidget() is pane.widget.empty
    assert not pane.widget.composer.isEnabled()
    # The draft went to the sub-account it was written in, not the new one.
    first = pdb.partition("https://crm.example.com", SCOPE.sub_account_id)
    assert first.drafts.draft(CONV)["bodyText"] == "Draft for the first sub-account"  # type: ignore[index]
    assert other.drafts.draft(CONV) is None
    # The same conversation id in the new sub-account shows that sub-account's messages.
    pane.widget.set_conversation(CONV)
    assert {r.body_text for r in pane.widget.model.rows()} == {
        f"Message {i} of the thread" for i in range(3)
    }


def test_sending_from_the_pane_shows_the_message_queued_at_the_bottom(
    pane: Pane, ppart: Partition, qapp: QApplication
) -> None:
    pane.show(qapp)
    composer = pane.widget.composer
    composer.body_edit.setPlainText("Thursday works, {{firstName}}")
    item = composer.send()
    settle(qapp)
    assert item is not None
    last = pane.widget.model.row_at(pane.widget.model.rowCount() - 1)
    assert last is not None and last.client_id == item.client_id and last.status == "queued"
    assert pane.widget.view.at_bottom()


def test_row_heights_match_the_painted_geometry(
    pane: Pane, ppart: Partition, qapp: QApplication
) -> None:
    """The view lays rows out by ``height`` and paints them by ``measure``: they must agree
    for every kind of row (else bubbles overlap or leave gaps)."""
    pane.show(qapp)
    sender = pane.workspace.session.sender  # type: ignore[union-attr]
    item = sender.compose(CONV, {"bodyText": "x " * 300, "channel": "sms"})
    ppart.outbox.mark_sending(item.client_id)
    sender._publish(ppart.outbox.mark_failed(item.client_id, "Refused. " * 20))
    sender.compose(CONV, {"bodyText": "", "channel": "sms"})
    delegate = pane.widget.view.delegate
    rows = pane.widget.model.rows()
    assert {r.status for r in rows} >= {"failed", "queued", "sent", "delivered"}
    for width in (300, 520, 1400):
        for row in rows:
            assert delegate.height(row, width) == delegate.measure(row, width).height, row.key


def test_a_wrapped_notice_is_never_cut_off(tmp_path: Path, qloop: Any, qapp: QApplication) -> None:
    """The Meta window warning wraps to several lines: the composer grows to show it."""
    db = Database.open(tmp_path / "meta.db")
    made = Pane(db, seed_partition(db, messages=4, channel="instagram"), qloop)
    try:
        pane = made.widget
        pane.resize(640, 720)
        pane.show()
        pane.set_conversation(CONV)
        settle(qapp)
        total = sum(pane.splitter.sizes())
        assert total > 500
        pane.splitter.setSizes([total - 140, 140])  # a short composer, as a user may leave it
        settle(qapp)
        composer, banner = pane.composer, pane.composer.window_banner
        assert banner.isVisible() and "24 hours" in banner.text
        assert pane.splitter.sizes()[1] >= composer.minimumSizeHint().height() > 140
        assert pane.splitter.sizes()[1] < total * 0.7  # grown to fit, not taken over
        # Every line of the notice lies inside the composer, above the message box.
        bottom = banner.mapTo(composer, banner.rect().bottomLeft()).y()
        assert bottom <= composer.height()
        assert banner.height() >= banner.heightForWidth(banner.width())
    finally:
        made.widget.close()
        made.bridge.detach()
        db.close()
