"""Ctrl+K: jump to any contact or conversation of the shown sub-account from the local cache.

The box in the toolbar searches as the user types (short debounce; the cache's
FTS index answers in a few milliseconds, so the query runs inline). Results
appear in a popup list under the box: up/down move, Enter opens, Esc closes.
Only result kinds some area can open are searched (``set_kinds``): the inbox
adds conversations when it exists. Results are grouped under a header per kind,
the typed text is bold where it matches, and a footer names the keys.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontMetrics,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.common.search import SearchBox
from app.ui.theme import Spacing, icon

if TYPE_CHECKING:
    # Names only: the box is built with the window's frame, before the services are imported.
    from app.services.quick_search import QuickResult, QuickSearch

log = logging.getLogger(__name__)

DEBOUNCE_MS = 80

ResultKindRole = Qt.ItemDataRole.UserRole + 1
"""``"contact"`` or ``"conversation"``."""
ResultIdRole = Qt.ItemDataRole.UserRole + 2
"""The record's id."""
GroupHeaderRole = Qt.ItemDataRole.UserRole + 3
"""The group's name ("Contacts", "Conversations") on the first row of each kind, else None."""
TitleRole = Qt.ItemDataRole.UserRole + 4
SubtitleRole = Qt.ItemDataRole.UserRole + 5

GROUP_NAMES = {"contact": "Contacts", "conversation": "Conversations"}
"""The header above each kind of result."""
VISIBLE_ROWS = 8
"""Rows shown before the popup's list scrolls."""
ROW_PADDING = 7
"""Space above and below a row's two lines."""
LINE_GAP = 2
ICON_SIZE = 18

CHANNEL_ICONS = {
    "sms": "sms",
    "email": "mail",
    "gmail": "gmail",
    "messenger": "messenger",
    "instagram": "instagram",
    "live_chat": "live-chat",
    "social_dm": "social-dm",
}


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One row of the popup."""

    kind: str
    id: str
    title: str
    subtitle: str
    icon_name: str


def result_row(result: QuickResult) -> SearchResult:
    """The popup's row of a match (its icon chosen by kind and channel)."""
    if result.kind == "conversation":
        icon_name = CHANNEL_ICONS.get(result.channel or "", "inbox")
    else:
        icon_name = "user"
    return SearchResult(result.kind, result.id, result.title, result.subtitle, icon_name)


def match_spans(text: str, query: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) parts: a piece is matched where a word of ``query``
    occurs (case-insensitive), so the popup can set what the user typed in bold."""
    words = sorted({w for w in query.split() if w}, key=len, reverse=True)
    if not text or not words:
        return [(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    spans: list[tuple[str, bool]] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            spans.append((text[position : match.start()], False))
        spans.append((match.group(), True))
        position = match.end()
    if position < len(text):
        spans.append((text[position:], False))
    return spans


class GlobalSearchModel(QAbstractListModel):
    """The popup's rows: ``SearchResult`` items, replaced as a whole on each query."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: list[SearchResult] = []
        self.query = ""
        """The text the rows answer (its matches are drawn in bold)."""

    @property
    def results(self) -> list[SearchResult]:
        """The rows shown."""
        return list(self._results)

    def set_results(self, results: list[SearchResult], query: str = "") -> None:
        """Show ``results`` (the answer to ``query``) instead of the current rows."""
        self.beginResetModel()
        self._results = list(results)
        self.query = query
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._results)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._results):
            return None
        result = self._results[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{result.title}\n{result.subtitle}" if result.subtitle else result.title
        if role == Qt.ItemDataRole.DecorationRole:
            return icon(result.icon_name)
        if role == Qt.ItemDataRole.ToolTipRole:
            return result.subtitle or None
        if role == ResultKindRole:
            return result.kind
        if role == ResultIdRole:
            return result.id
        if role == GroupHeaderRole:
            first_of_kind = index.row() == 0 or self._results[index.row() - 1].kind != result.kind
            return GROUP_NAMES.get(result.kind, result.kind.capitalize()) if first_of_kind else None
        if role == TitleRole:
            return result.title
        if role == SubtitleRole:
            return result.subtitle
        return None


class GlobalSearchDelegate(QStyledItemDelegate):
    """A result row: icon, title over a muted subtitle with the typed text in bold, and a
    small group header above the first row of each kind."""

    @staticmethod
    def _header_font(font: QFont) -> QFont:
        header = QFont(font)
        header.setBold(True)
        header.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        return header

    def _header_height(self, font: QFont) -> int:
        return QFontMetrics(self._header_font(font)).height() + Spacing.S + Spacing.XS

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        font: QFont = option.font
        height = 2 * QFontMetrics(font).height() + LINE_GAP + 2 * ROW_PADDING
        if index.data(GroupHeaderRole):
            height += self._header_height(font)
        return QSize(320, height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        palette: QPalette = option.palette
        font: QFont = option.font
        rect = QRect(option.rect)
        state = option.state
        painter.save()
        header = index.data(GroupHeaderRole)
        if header:
            header_rect = QRect(rect.left() + Spacing.M, rect.top(), rect.width() - Spacing.M, 0)
            header_rect.setHeight(self._header_height(font) - Spacing.XS)
            painter.setFont(self._header_font(font))
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                header_rect,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                str(header).upper(),
            )
            rect.setTop(rect.top() + self._header_height(font))
        selected = bool(state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        row_icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(row_icon, QIcon):
            icon_rect = QRect(
                rect.left() + Spacing.M, rect.center().y() - ICON_SIZE // 2, ICON_SIZE, ICON_SIZE
            )
            mode = QIcon.Mode.Selected if selected else QIcon.Mode.Normal
            row_icon.paint(painter, icon_rect, Qt.AlignmentFlag.AlignCenter, mode)
        left = rect.left() + Spacing.M + ICON_SIZE + Spacing.M
        width = rect.right() - Spacing.M - left
        line = QFontMetrics(font).height()
        top = rect.top() + ROW_PADDING
        model = index.model()
        query = model.query if isinstance(model, GlobalSearchModel) else ""
        painter.setPen(text_color)
        _draw_spans(painter, font, QRect(left, top, width, line), index.data(TitleRole), query)
        painter.setPen(muted_color)
        _draw_spans(
            painter,
            font,
            QRect(left, top + line + LINE_GAP, width, line),
            index.data(SubtitleRole),
            query,
        )
        painter.restore()


def _draw_spans(painter: QPainter, font: QFont, rect: QRect, text: Any, query: str) -> None:
    """Draw ``text`` on one line in ``rect``, matches of ``query`` bold, elided at the right."""
    bold = QFont(font)
    bold.setBold(True)
    x, right = rect.left(), rect.right()
    for piece, matched in match_spans(str(text or ""), query):
        piece_font = bold if matched else font
        metrics = QFontMetrics(piece_font)
        room = right - x
        if room <= 0:
            break
        shown = metrics.elidedText(piece, Qt.TextElideMode.ElideRight, room)
        painter.setFont(piece_font)
        painter.drawText(
            QRect(x, rect.top(), room, rect.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            shown,
        )
        if shown != piece:
            break  # cut: nothing more fits
        x += metrics.horizontalAdvance(piece)


class GlobalSearch(SearchBox):
    """The toolbar's search box with its results popup (see the module docstring)."""

    activated = Signal(str, str)
    """The user chose a result: (kind, id), kind being "contact" or "conversation", or
    ("booking", contact id) for Ctrl+B on a contact (call mode: book them now)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Jump to a contact…  (Ctrl+K)", parent, min_width=280)
        self._source: QuickSearch | None = None
        self._results_for: str | None = None  # the text the shown results answer
        self._kinds: frozenset[str] = frozenset({"contact"})
        self.model = GlobalSearchModel(self)
        self._popup = QFrame(self, Qt.WindowType.Popup)
        self._popup.setFrameShape(QFrame.Shape.StyledPanel)
        layout = self._popup_layout = QVBoxLayout(self._popup)
        layout.setContentsMargins(1, 1, 1, 1)
        self._list = QListView(self._popup)
        self._list.setModel(self.model)
        self._list.setItemDelegate(GlobalSearchDelegate(self._list))
        self._list.setFrameShape(QFrame.Shape.NoFrame)
        self._list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self._list.clicked.connect(self._choose)
        self._list.installEventFilter(self)
        layout.addWidget(self._list)
        self.keys_hint = QLabel(
            "↑↓ move  ·  Enter opens  ·  Ctrl+B books an appointment  ·  Esc closes"
        )
        self.keys_hint.setParent(self._popup)
        self.keys_hint.setProperty("muted", True)
        self.keys_hint.setContentsMargins(Spacing.M, Spacing.XS, Spacing.M, Spacing.XS + 2)
        layout.addWidget(self.keys_hint)
        self._popup.installEventFilter(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_query)
        self.textEdited.connect(lambda _text: self._timer.start())
        self.returnPressed.connect(self._enter)
        focus = QAction(self)
        focus.setShortcut(QKeySequence("Ctrl+K"))
        focus.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        focus.triggered.connect(self.focus_search)
        self.addAction(focus)

    def set_source(self, source: QuickSearch | None) -> None:
        """Search with ``source`` (None: nothing to search)."""
        self._source = source
        self.reset()

    def reset(self) -> None:
        """Another sub-account is shown: the popup closes and its results are cleared."""
        self._popup.hide()
        self._results_for = None
        self.model.set_results([])

    def set_kinds(self, kinds: frozenset[str]) -> None:
        """Which result kinds to offer ("contact", "conversation")."""
        self._kinds = kinds
        self.setPlaceholderText(
            "Jump to a contact or conversation…  (Ctrl+K)"
            if "conversation" in kinds
            else "Jump to a contact…  (Ctrl+K)"
        )

    def focus_search(self) -> None:
        """Ctrl+K: focus the box with its text selected."""
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()
        if self.text().strip():
            self.run_query()

    def run_query(self) -> None:
        """Search now and show the popup (hidden when nothing matches)."""
        self._timer.stop()
        source, text = self._source, self.text()
        self._results_for = text
        if source is None or not text.strip():
            self.model.set_results([])
            self._popup.hide()
            return
        from app.services.quick_search import StorageError

        try:
            results = [result_row(r) for r in source.search(text, self._kinds)]
        except StorageError as exc:
            log.error("global search failed", exc_info=exc)
            results = []
        self.model.set_results(results, text)
        if not results:
            self._popup.hide()
            return
        self._list.setCurrentIndex(self.model.index(0))
        self._show_popup()

    def _show_popup(self) -> None:
        # As tall as its results (up to VISIBLE_ROWS, then the list scrolls), as wide as the
        # footer's keys need.
        rows = min(self.model.rowCount(), VISIBLE_ROWS)
        list_height = sum(self._list.sizeHintForRow(row) for row in range(rows))
        self._list.setFixedHeight(list_height + 2 * self._list.frameWidth())
        margins = self._popup_layout.contentsMargins()
        width = max(self.width(), 440, self.keys_hint.sizeHint().width() + margins.left() * 2)
        height = (
            self._list.height()
            + self.keys_hint.sizeHint().height()
            + margins.top()
            + margins.bottom()
            + self._popup_layout.spacing()
        )
        self._popup.resize(width, height)
        self._popup.move(self.mapToGlobal(QPoint(0, self.height())))
        self._popup.show()
        self.setFocus()

    def _enter(self) -> None:
        # Enter opens the highlighted result, or the first one when the popup was closed
        # (focus moved, a click elsewhere) while the results still match the text.
        if self._timer.isActive() or self._results_for != self.text():
            self.run_query()
        index = self._list.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0)
        if index.isValid():
            self._choose(index)

    def _choose(self, index: QModelIndex, *, book: bool = False) -> None:
        kind, record_id = index.data(ResultKindRole), index.data(ResultIdRole)
        if book and kind != "contact":
            return  # only a person can be booked
        self._popup.hide()
        if kind and record_id:
            self.activated.emit("booking" if book else str(kind), str(record_id))

    def book_current(self) -> None:
        """Ctrl+B: book an appointment for the highlighted contact (call mode)."""
        if self._timer.isActive() or self._results_for != self.text():
            self.run_query()
        index = self._list.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0)
        if index.isValid():
            self._choose(index, book=True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_B and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.book_current()
            return
        if self._popup.isVisible() and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            row = self._list.currentIndex().row() + (1 if key == Qt.Key.Key_Down else -1)
            row = max(0, min(self.model.rowCount() - 1, row))
            self._list.setCurrentIndex(self.model.index(row))
            return
        if key == Qt.Key.Key_Escape:
            if self._popup.isVisible():
                self._popup.hide()
            else:
                self.clear()
                self.clearFocus()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Keys typed while the popup has grabbed input belong to the box.
        if watched in (self._popup, self._list) and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._enter()
                return True
            if event.key() not in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.keyPressEvent(event)
                return True
        return super().eventFilter(watched, event)
