"""The month view: whole weeks of day cells, each with as many appointments as fit.

Each cell lists its day's appointments as small blocks painted like the grid's
(the same statuses, the same calendar colours), all-day ones first; when they do
not all fit, the last line says "+k more" and opens that day. The cells share the
view's height, so the month always fits without scrolling.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from app.ui.calendar.entries import Entry
from app.ui.calendar.info import ViewInfo
from app.ui.calendar.layout import local_time
from app.ui.calendar.palette import (
    block_style,
    hue_color,
    is_dark,
    paint_block,
    scheme,
    struck_font,
)
from app.ui.calendar.texts import MONTH_ABBREVIATIONS, block_title, day_name, hhmm
from app.ui.calendar.timegrid import Clock

WEEKDAY_HEADER = 26
DAY_NUMBER_HEIGHT = 22
LINE_HEIGHT = 19


@dataclass(frozen=True)
class _Hit:
    day_index: int
    entry: Entry | None = None
    more: bool = False


class MonthView(QWidget):
    """The month grid (see the module docstring)."""

    appointmentClicked = Signal(str, bool)
    """(appointment id, add to the selection)."""

    appointmentActivated = Signal(str)
    """Open the appointment's details."""

    dayActivated = Signal(object)
    """Show this day (a ``datetime.date``): "+k more", or a double click on a day."""

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._clock = clock
        self._days: list[date] = []
        self._cells: list[list[Entry]] = []
        self._month = 1
        self._info = ViewInfo()
        self._selected: frozenset[str] = frozenset()

    def set_content(
        self, days: Sequence[date], cells: Sequence[list[Entry]], month: int, info: ViewInfo
    ) -> None:
        """Show ``days`` (whole weeks) with each day's entries; ``month`` is the one shown."""
        self._days = list(days)
        self._cells = [list(cell) for cell in cells]
        self._month = month
        self._info = info
        self.update()

    def set_selected(self, ids: Iterable[str]) -> None:
        """Mark the selected appointments."""
        chosen = frozenset(ids)
        if chosen != self._selected:
            self._selected = chosen
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(700, 520)

    def minimumSizeHint(self) -> QSize:
        return QSize(280, 220)

    # -- geometry ------------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        """Weeks shown."""
        return max(1, len(self._days) // 7)

    def cell_rect(self, index: int) -> QRectF:
        """The cell of day ``index``."""
        width = self.width() / 7
        height = (self.height() - WEEKDAY_HEADER) / self.rows
        row, column = divmod(index, 7)
        return QRectF(column * width, WEEKDAY_HEADER + row * height, width, height)

    def lines_per_cell(self) -> int:
        """Appointment lines a cell has room for."""
        height = (self.height() - WEEKDAY_HEADER) / self.rows
        return max(1, int((height - DAY_NUMBER_HEIGHT - 2) // LINE_HEIGHT))

    def visible_entries(self, index: int) -> tuple[list[Entry], int]:
        """The entries drawn in day ``index``'s cell and how many more do not fit."""
        cell = self._cells[index] if index < len(self._cells) else []
        room = self.lines_per_cell()
        if len(cell) <= room:
            return cell, 0
        return cell[: room - 1], len(cell) - (room - 1)

    def _line_rect(self, cell: QRectF, line: int) -> QRectF:
        top = cell.top() + DAY_NUMBER_HEIGHT + line * LINE_HEIGHT
        return QRectF(cell.left() + 3, top, cell.width() - 6, LINE_HEIGHT - 2)

    def hit(self, point: QPointF) -> _Hit | None:
        """What is under ``point``."""
        if point.y() < WEEKDAY_HEADER or not self._days:
            return None
        for index in range(len(self._days)):
            cell = self.cell_rect(index)
            if not cell.contains(point):
                continue
            shown, more = self.visible_entries(index)
            for line, entry in enumerate(shown):
                if self._line_rect(cell, line).contains(point):
                    return _Hit(index, entry)
            if more and self._line_rect(cell, len(shown)).contains(point):
                return _Hit(index, more=True)
            return _Hit(index)
        return None

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        colors = scheme(palette)
        dark = is_dark(palette)
        painter.fillRect(self.rect(), QColor(colors.base))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        font = QFont(self.font())
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        bold = QFont(font)
        bold.setBold(True)
        today = local_time(int(self._clock() * 1000), self._info.zone).date()
        width = self.width() / 7
        painter.setFont(small)
        painter.setPen(QColor(colors.muted_text))
        for column in range(min(7, len(self._days))):
            painter.drawText(
                QRectF(column * width, 0, width, WEEKDAY_HEADER),
                int(Qt.AlignmentFlag.AlignCenter),
                day_name(self._days[column]),
            )
        border = QPen(QColor(colors.border), 1)
        exposed = QRectF(event.rect())
        for index, day in enumerate(self._days):
            cell = self.cell_rect(index)
            if not cell.intersects(exposed):
                continue
            if day.month != self._month:
                painter.fillRect(cell, QColor(colors.alternate_base))
            painter.setPen(border)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(cell)
            self._paint_day_number(painter, cell, day, day == today, bold, font)
            shown, more = self.visible_entries(index)
            metrics = QFontMetricsF(small)
            for line, entry in enumerate(shown):
                rect = self._line_rect(cell, line)
                color = hue_color(self._info.hue(entry.calendar_id), dark)
                style = block_style(entry.status, color, palette)
                selected = any(i in self._selected for i in entry.ids)
                text_rect = paint_block(
                    painter, rect, style, selected=selected, palette=palette, radius=3
                )
                painter.setPen(style.text)
                painter.setFont(struck_font(small, style.struck))
                text = self._line_text(entry)
                painter.drawText(
                    text_rect,
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    metrics.elidedText(text, Qt.TextElideMode.ElideRight, text_rect.width()),
                )
            if more:
                rect = self._line_rect(cell, len(shown))
                painter.setFont(small)
                painter.setPen(QColor(colors.info))
                painter.drawText(
                    rect.adjusted(4, 0, 0, 0),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    f"+{more} more",
                )
        painter.end()

    def _paint_day_number(
        self,
        painter: QPainter,
        cell: QRectF,
        day: date,
        is_today: bool,
        bold: QFont,
        font: QFont,
    ) -> None:
        palette_colors = scheme(self.palette())
        label = str(day.day) if day.day != 1 else f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]}"
        rect = QRectF(cell.left() + 4, cell.top() + 2, cell.width() - 8, DAY_NUMBER_HEIGHT - 2)
        if is_today:
            metrics = QFontMetricsF(bold)
            pill = QRectF(rect.left(), rect.top() + 1, metrics.horizontalAdvance(label) + 12, 18)
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(palette_colors.accent))
            painter.drawRoundedRect(pill, 9, 9)
            painter.restore()
            painter.setFont(bold)
            painter.setPen(QColor(palette_colors.accent_text))
            painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), label)
            return
        painter.setFont(font)
        muted = day.month != self._month
        painter.setPen(QColor(palette_colors.muted_text if muted else palette_colors.text))
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), label
        )

    def _line_text(self, entry: Entry) -> str:
        row = entry.primary
        start = hhmm(local_time(row.start_ms, self._info.zone))
        if entry.is_session:
            name = self._info.type_name(row.type_id) or "Class"
            return f"{start} {name} ({len(entry.rows)})"
        return f"{start} {block_title(row)}"

    # -- input ---------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        hit = self.hit(event.position())
        if hit is None:
            return
        if hit.entry is not None:
            toggle = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            chosen = next((i for i in hit.entry.ids if i in self._selected), hit.entry.primary.id)
            self.appointmentClicked.emit(chosen, toggle)
        elif hit.more:
            self.dayActivated.emit(self._days[hit.day_index])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.hit(event.position())
        if hit is None:
            return
        if hit.entry is not None:
            self.appointmentActivated.emit(hit.entry.primary.id)
        else:
            self.dayActivated.emit(self._days[hit.day_index])

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self.hit(QPointF(event.pos()))
            text = ""
            if hit is not None and hit.entry is not None:
                text = self._info.describe(hit.entry)
            elif hit is not None and hit.more:
                text = "Show every appointment of this day"
            elif hit is not None:
                text = "Double-click to show this day"
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.update()
        super().changeEvent(event)


__all__ = ["MonthView"]
