"""Ctrl+K: jump to any contact or conversation of the shown sub-account from the local cache.

The box in the toolbar searches as the user types (short debounce; the cache's
FTS index answers in a few milliseconds, so the query runs inline). Results
appear in a popup list under the box: up/down move, Enter opens, Esc closes.
Only result kinds some area can open are searched (``set_kinds``): the inbox
adds conversations when it exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QFrame, QLabel, QListView, QVBoxLayout, QWidget

from app.ui.common.search import SearchBox
from app.ui.theme import icon

if TYPE_CHECKING:
    # Names only: the box is built with the window's frame, before the services are imported.
    from app.services.quick_search import QuickResult, QuickSearch

log = logging.getLogger(__name__)

DEBOUNCE_MS = 80

ResultKindRole = Qt.ItemDataRole.UserRole + 1
"""``"contact"`` or ``"conversation"``."""
ResultIdRole = Qt.ItemDataRole.UserRole + 2
"""The record's id."""

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


class GlobalSearchModel(QAbstractListModel):
    """The popup's rows: ``SearchResult`` items, replaced as a whole on each query."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: list[SearchResult] = []

    @property
    def results(self) -> list[SearchResult]:
        """The rows shown."""
        return list(self._results)

    def set_results(self, results: list[SearchResult]) -> None:
        """Show ``results`` instead of the current rows."""
        self.beginResetModel()
        self._results = list(results)
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
        return None


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
        layout = QVBoxLayout(self._popup)
        layout.setContentsMargins(1, 1, 1, 1)
        self._list = QListView(self._popup)
        self._list.setModel(self.model)
        self._list.setUniformItemSizes(True)
        self._list.setIconSize(QSize(18, 18))
        self._list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self._list.clicked.connect(self._choose)
        self._list.installEventFilter(self)
        layout.addWidget(self._list)
        self.keys_hint = QLabel("Enter opens  ·  Ctrl+B books an appointment  ·  Esc closes")
        self.keys_hint.setParent(self._popup)
        self.keys_hint.setProperty("muted", True)
        self.keys_hint.setContentsMargins(8, 2, 8, 4)
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
        self.model.set_results(results)
        if not results:
            self._popup.hide()
            return
        self._list.setCurrentIndex(self.model.index(0))
        self._show_popup()

    def _show_popup(self) -> None:
        width = max(self.width(), 420)
        rows = min(self.model.rowCount(), 10)
        height = rows * max(self._list.sizeHintForRow(0), 36) + 4
        height += self.keys_hint.sizeHint().height()
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
