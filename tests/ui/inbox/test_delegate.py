"""ConversationDelegate: every state paints without errors in light and dark, the row height
is fixed, long text is elided, and the colours follow the palette."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication, QListView, QStyle, QStyleOptionViewItem

from app.services.conversations import SNOOZE_STATE_KEY, UNREAD_STATE_KEY
from app.storage import Partition
from app.ui.inbox.delegate import ConversationDelegate, row_view, scheme_of, snooze_text
from app.ui.inbox.list_model import ConversationListModel, PaintRole, RowView, SendFailedRole
from app.ui.theme import DARK, LIGHT, Theme
from tests.ui.inbox.conftest import NOW, reader_of

WIDTH = 380


@pytest.fixture(params=["light", "dark"])
def theme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    Theme(qapp, request.param)
    yield request.param
    Theme(qapp, "light")


@pytest.fixture
def dressed(model: ConversationListModel, part_a: Partition) -> ConversationListModel:
    """Row 0 marked unread, row 1 with a draft, row 3 snoozed with a time, row 4 long."""
    part_a.drafts.save_draft("a_conv_001", {"body": "x"})
    part_a.state.set_state(
        SNOOZE_STATE_KEY, {"a_conv_003": int(NOW.timestamp() * 1000) + 86_400_000}
    )
    part_a.state.set_state(UNREAD_STATE_KEY, {"a_conv_000": {"at": None, "was": 0}})
    part_a.conversations.upsert_conversations(
        [
            {
                "id": "a_conv_004",
                "unreadCount": 250,
                "lastMessagePreview": "An extraordinarily long preview " * 12,
                "contact": {"firstName": "Maximiliana-Josephine " * 4, "lastName": "Q"},
            }
        ]
    )
    model.set_reader(reader_of(part_a))
    return model


def _paint(delegate: ConversationDelegate, index: QModelIndex, state: QStyle.StateFlag) -> QImage:
    option = QStyleOptionViewItem()
    option.initFrom(QListView())  # type: ignore[attr-defined]
    option.font = QApplication.font()  # type: ignore[attr-defined]
    option.palette = QApplication.palette()  # type: ignore[attr-defined]
    height = delegate.sizeHint(option, index).height()
    option.rect = QRect(0, 0, WIDTH, height)  # type: ignore[attr-defined]
    option.state = state  # type: ignore[attr-defined]
    image = QImage(WIDTH, height, QImage.Format.Format_ARGB32)
    image.fill(QApplication.palette().base().color())
    painter = QPainter(image)
    try:
        delegate.paint(painter, option, index)
    finally:
        painter.end()
    return image


def _has_color(image: QImage, color: str, tolerance: int = 24) -> bool:
    want = QColor(color)
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            got = image.pixelColor(x, y)
            if (
                abs(got.red() - want.red()) <= tolerance
                and abs(got.green() - want.green()) <= tolerance
                and abs(got.blue() - want.blue()) <= tolerance
            ):
                return True
    return False


STATES = {
    "normal": QStyle.StateFlag.State_Enabled,
    "selected": QStyle.StateFlag.State_Enabled
    | QStyle.StateFlag.State_Selected
    | QStyle.StateFlag.State_Active,
    "selected-inactive": QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Selected,
    "hover": QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_MouseOver,
    "focus": QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_HasFocus,
}


def test_every_row_state_paints(theme: str, dressed: ConversationListModel) -> None:
    delegate = ConversationDelegate()
    delegate.now = NOW
    delegate.set_open_conversation("a_conv_002")
    colors = DARK if theme == "dark" else LIGHT
    assert scheme_of(QApplication.palette()) is colors
    heights = set()
    for row in range(dressed.rowCount()):
        index = dressed.index(row, 0)
        for state in STATES.values():
            image = _paint(delegate, index, state)
            heights.add(image.height())
            assert not image.isNull()
    assert len(heights) == 1  # one fixed height for every row and state
    # Unread: the accent pill; selected: the highlight behind the row.
    unread = _paint(delegate, dressed.index(1, 0), STATES["normal"])
    assert _has_color(unread, colors.accent)
    selected = _paint(delegate, dressed.index(5, 0), STATES["selected"])
    assert QColor(selected.pixelColor(WIDTH - 3, 3)) == QApplication.palette().highlight().color()
    # The open conversation has the accent bar on its left edge.
    opened = _paint(delegate, dressed.index(2, 0), STATES["normal"])
    assert opened.pixelColor(1, opened.height() // 2) == QColor(colors.accent)
    # A draft is marked in the danger colour; a snoozed chip in the warning colour.
    assert _has_color(_paint(delegate, dressed.index(1, 0), STATES["normal"]), colors.danger, 40)
    assert _has_color(_paint(delegate, dressed.index(3, 0), STATES["normal"]), colors.warning, 40)


def test_size_hint_is_fixed_and_follows_the_font(qapp: QApplication) -> None:
    delegate = ConversationDelegate()
    option = QStyleOptionViewItem()
    option.font = QFont(QApplication.font())  # type: ignore[attr-defined]
    hint = delegate.sizeHint(option, QModelIndex())
    assert hint.height() >= 56 and hint == delegate.sizeHint(option, QModelIndex())
    bigger = QFont(option.font)  # type: ignore[attr-defined]
    bigger.setPointSizeF(bigger.pointSizeF() * 1.5)
    option.font = bigger  # type: ignore[attr-defined]
    assert delegate.sizeHint(option, QModelIndex()).height() > hint.height()


def test_the_row_view_carries_every_painted_value(dressed: ConversationListModel) -> None:
    view = dressed.index(4, 0).data(PaintRole)
    assert isinstance(view, RowView)
    assert view.unread == 250 and view.preview and view.preview.endswith("…")
    assert dressed.index(0, 0).data(PaintRole).marked_unread is True
    assert dressed.index(1, 0).data(PaintRole).has_draft is True
    assert dressed.index(3, 0).data(PaintRole).snoozed_until is not None
    assert row_view(dressed.index(4, 0)) == view


def test_a_model_without_the_paint_role_still_paints(
    qapp: QApplication, dressed: ConversationListModel
) -> None:
    class Plain(ConversationListModel):
        def data(
            self,
            index: QModelIndex | QPersistentModelIndex,
            role: int = Qt.ItemDataRole.DisplayRole,
        ) -> Any:
            return None if role == PaintRole else super().data(index, role)

    plain = Plain(now=lambda: NOW)
    plain.set_reader(dressed.reader)
    view = row_view(plain.index(1, 0))
    assert view == dressed.index(1, 0).data(PaintRole)
    _paint(ConversationDelegate(), plain.index(1, 0), STATES["normal"])
    plain.set_reader(None)


def test_elided_text_stays_inside_the_row(
    qapp: QApplication, dressed: ConversationListModel
) -> None:
    delegate = ConversationDelegate()
    wide = _paint(delegate, dressed.index(4, 0), STATES["normal"])
    # The rightmost pixels (the padding) stay background: nothing ran past the edge.
    background = QApplication.palette().base().color()
    edge = {wide.pixelColor(WIDTH - 2, y).name() for y in range(wide.height() - 2)}
    assert edge == {background.name()}


def test_snooze_text_reads_naturally() -> None:
    now = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)

    def at(days: float, hour: int) -> int:
        local = now.astimezone().replace(hour=hour, minute=0)
        return int((local.timestamp() + days * 86_400) * 1000)

    assert snooze_text(at(0, 15), now) == "Snoozed until 15:00"
    assert snooze_text(at(1, 9), now) == "Snoozed until tomorrow 9:00"
    assert snooze_text(at(3, 9), now).startswith("Snoozed until ") and ":00" in snooze_text(
        at(3, 9), now
    )
    assert snooze_text(at(20, 9), now).endswith(("Jul", "Jun"))


def test_rows_in_a_real_view(qapp: QApplication, dressed: ConversationListModel) -> None:
    view = QListView()
    view.setUniformItemSizes(True)
    view.setItemDelegate(ConversationDelegate(view))
    view.setModel(dressed)
    view.resize(WIDTH, 500)
    view.show()
    qapp.processEvents()
    image = view.grab().toImage()
    assert image.size() == QSize(WIDTH, 500)
    assert (
        view.visualRect(dressed.index(1, 0)).height()
        == view.visualRect(dressed.index(0, 0)).height()
    )
    view.close()


def test_a_failed_send_marks_its_row(
    qapp: QApplication, model: ConversationListModel, part_a: Partition
) -> None:
    Theme(qapp, "light")
    model.set_reader(reader_of(part_a))
    row = model.row_of("a_conv_000")
    delegate = ConversationDelegate()
    assert not model.index(row, 0).data(PaintRole).send_failed
    assert not _has_color(_paint(delegate, model.index(row, 0), STATES["normal"]), LIGHT.danger, 40)
    part_a.outbox.enqueue("cid-1", "a_conv_000", {"message": "hi"})
    part_a.outbox.mark_sending("cid-1")
    part_a.outbox.mark_failed("cid-1", "carrier refused")
    model.refresh_drafts()  # what the tab does when the outbox changes
    index = model.index(row, 0)
    assert index.data(SendFailedRole) is True and index.data(PaintRole).send_failed is True
    assert "a message was not sent" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert _has_color(_paint(delegate, index, STATES["normal"]), LIGHT.danger, 40)
    # Retried, the mark goes.
    part_a.outbox.retry("cid-1")
    model.refresh_drafts()
    assert model.index(row, 0).data(SendFailedRole) is False
