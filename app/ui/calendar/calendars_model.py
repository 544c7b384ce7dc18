"""The calendars panel's model: every calendar of the sub-account, its colour and a check
box to show or hide it.

Rows come from the cached calendars, plus any calendar that only appointments name
(the calendar list may not be synced yet). Unchecking a row hides that calendar's
appointments in every view (``hiddenChanged``); the tab remembers the choice per
sub-account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPixmap

from app.services.ports.calendar import CalendarRow
from app.ui.calendar.palette import assign_hues, hue_color, is_dark
from app.ui.calendar.texts import kind_words, zone_label

CalendarIdRole = Qt.ItemDataRole.UserRole + 1
HueRole = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A calendar as the panel lists it."""

    id: str
    name: str
    kind: str | None
    timezone: str | None
    hue: int
    known: bool = True
    """False for a calendar only appointments name (not in the cached calendar list)."""


class CalendarListModel(QAbstractListModel):
    """Calendars with a colour and a show/hide check box (see the module docstring)."""

    hiddenChanged = Signal()
    """The user showed or hid a calendar (``hidden`` says which are hidden)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CalendarEntry] = []
        self._hidden: set[str] = set()

    # -- contents ------------------------------------------------------------------------------
    def set_calendars(self, calendars: Iterable[CalendarRow], also_ids: Iterable[str] = ()) -> None:
        """Show ``calendars`` (by name) and any id in ``also_ids`` they do not cover."""
        rows = list(calendars)
        known = {row.id for row in rows}
        extra = sorted({cid for cid in also_ids if cid and cid not in known})
        hues = assign_hues([*known, *extra])
        entries = [
            CalendarEntry(row.id, row.name, row.kind, row.timezone, hues[row.id]) for row in rows
        ]
        entries += [
            CalendarEntry(cid, _unsynced_name(cid), None, None, hues[cid], known=False)
            for cid in extra
        ]
        if [e.id for e in entries] == [e.id for e in self._rows]:
            changed = [
                i for i, (a, b) in enumerate(zip(entries, self._rows, strict=True)) if a != b
            ]
            self._rows = entries
            for row in changed:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)
            return
        self.beginResetModel()
        self._rows = entries
        self.endResetModel()

    def clear(self) -> None:
        """No calendars (no sub-account open)."""
        self.set_calendars(())

    @property
    def calendars(self) -> list[CalendarEntry]:
        """The listed calendars, in order."""
        return list(self._rows)

    def entry(self, calendar_id: str | None) -> CalendarEntry | None:
        """The listed calendar ``calendar_id``, or None."""
        return next((e for e in self._rows if e.id == calendar_id), None)

    def hue_of(self, calendar_id: str | None) -> int:
        """The hue index of a calendar (0 for one not listed)."""
        entry = self.entry(calendar_id)
        return entry.hue if entry is not None else 0

    def row_of(self, calendar_id: str) -> int:
        """The row of a calendar, or -1."""
        return next((i for i, e in enumerate(self._rows) if e.id == calendar_id), -1)

    # -- showing and hiding --------------------------------------------------------------------
    @property
    def hidden(self) -> frozenset[str]:
        """Ids of the calendars the user hid (listed or not)."""
        return frozenset(self._hidden)

    def set_hidden(self, hidden: Iterable[str]) -> None:
        """Hide exactly ``hidden`` (a sub-account's remembered choice); no signal."""
        self._hidden = set(hidden)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._rows) - 1, 0),
                [Qt.ItemDataRole.CheckStateRole],
            )

    def set_shown(self, calendar_id: str, shown: bool) -> None:
        """Show or hide one calendar (as the check box does)."""
        if (calendar_id not in self._hidden) == shown:
            return
        if shown:
            self._hidden.discard(calendar_id)
        else:
            self._hidden.add(calendar_id)
        row = self.row_of(calendar_id)
        if row >= 0:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.hiddenChanged.emit()

    # -- Qt model interface --------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.name
        if role == Qt.ItemDataRole.CheckStateRole:
            return (
                Qt.CheckState.Unchecked.value
                if entry.id in self._hidden
                else Qt.CheckState.Checked.value
            )
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch(hue_color(entry.hue, is_dark(QGuiApplication.palette())))
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry)
        if role == CalendarIdRole:
            return entry.id
        if role == HueRole:
            return entry.hue
        return None

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = 0
    ) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
        self.set_shown(self._rows[index.row()].id, bool(checked))
        return True


def _unsynced_name(calendar_id: str) -> str:
    """A calendar known only by its id until the calendar list is synced: "Calendar 979eea17"."""
    short = calendar_id.removeprefix("cal_")[:8]
    return f"Calendar {short}"


_SWATCHES: dict[str, QIcon] = {}


def swatch(color: QColor) -> QIcon:
    """A round swatch of ``color`` (one icon per colour, made once)."""
    found = _SWATCHES.get(color.name())
    if found is None:
        pixmap = QPixmap(28, 28)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QRectF(6, 6, 16, 16))
        painter.end()
        found = _SWATCHES[color.name()] = QIcon(pixmap)
    return found


def _tooltip(entry: CalendarEntry) -> str:
    if not entry.known:
        return (
            f"This calendar's name is not synced yet ({entry.id}); its appointments are shown. "
            "Uncheck to hide them."
        )
    text = f"{entry.name} — {kind_words(entry.kind)} calendar"
    if entry.timezone:
        text += f", times kept in {zone_label(entry.timezone)}"
    return text + ". Uncheck to hide its appointments."


__all__ = ["CalendarEntry", "CalendarIdRole", "CalendarListModel", "HueRole"]
