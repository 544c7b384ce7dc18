"""The week and day views: a time grid, hours down and days across.

``TimeGridView`` stacks a header (the days, and a band of all-day and multi-day
bars when there are any) over a scroll area holding ``TimeGridCanvas``, which
paints the 24 wall-clock hours of each day: the hour lines, the time gutter
(and a second zone's gutter when one is chosen), DST days' skipped or repeated
hour, the current-time line and the appointments, side by side where they
overlap (``entries.grid_layout``). In "All sub-accounts" a block's first line
starts with its sub-account's chip (``app.ui.common.owner_chip``). Only what the paint event exposes is drawn,
so thousands of appointments cost nothing off screen. The views never select on
their own: they report clicks, and the tab tells them what is selected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QFrame, QScrollArea, QToolTip, QVBoxLayout, QWidget

from app.ui.calendar.entries import Bar, Entry, GridLayout, Placed
from app.ui.calendar.info import ViewInfo
from app.ui.calendar.layout import (
    DstChange,
    day_length_minutes,
    dst_change,
    local_time,
    wall_instant_ms,
    wall_minutes,
)
from app.ui.calendar.palette import (
    BlockStyle,
    block_style,
    hue_color,
    is_dark,
    mix,
    paint_block,
    scheme,
    struck_font,
)
from app.ui.calendar.texts import block_title, day_name, hhmm, time_range, zone_city
from app.ui.common.owner_chip import paint_owner_chip

HOUR_HEIGHT = 48
GUTTER_WIDTH = 52
SECOND_GUTTER_WIDTH = 50
HEADER_HEIGHT = 40
LANE_HEIGHT = 22
WORKDAY_START_MINUTES = 7 * 60 + 30
"""Where the grid is scrolled to first when today is not shown (just before 08:00)."""

Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``; tests give a fixed one)."""


@dataclass(frozen=True)
class Columns:
    """The horizontal geometry shared by the header and the canvas."""

    width: float
    days: int
    gutter: float

    @property
    def column_width(self) -> float:
        """The width of one day."""
        return max(1.0, (self.width - self.gutter) / max(1, self.days))

    def left(self, index: int) -> float:
        """The left edge of day ``index``."""
        return self.gutter + index * self.column_width

    def index_at(self, x: float) -> int | None:
        """The day under ``x``, or None over the gutter."""
        if x < self.gutter:
            return None
        index = int((x - self.gutter) // self.column_width)
        return index if 0 <= index < self.days else None


def _gutter(info: ViewInfo) -> float:
    return GUTTER_WIDTH + (SECOND_GUTTER_WIDTH if info.second_zone is not None else 0)


class TimeGridCanvas(QWidget):
    """The hours of the days, with their appointments (see the module docstring)."""

    appointmentClicked = Signal(str, bool)
    """(appointment id, add to the selection): a block was clicked."""

    appointmentActivated = Signal(str)
    """A block was double-clicked: open its details."""

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._clock = clock
        self._layout = GridLayout([])
        self._info = ViewInfo()
        self._selected: frozenset[str] = frozenset()
        self._dst: dict[int, DstChange] = {}
        self._hour_height = HOUR_HEIGHT
        self.setMinimumHeight(24 * self._hour_height)
        self.setMaximumHeight(24 * self._hour_height)
        self.painted_blocks = 0
        """Blocks drawn by the last paint (tests and benches: only what is exposed)."""
        self.painted_chips: list[str] = []
        """Sub-account names of the chips drawn by the last paint (tests)."""
        self.paints = 0
        self.content_version = 0
        """Raised by every ``set_content``; ``painted_version`` is the one last painted
        (benches wait for the paint of what they asked for)."""
        self.painted_version = 0

    # -- contents ------------------------------------------------------------------------------
    def set_content(self, layout: GridLayout, info: ViewInfo) -> None:
        """Draw ``layout`` (its days and entries) with ``info``."""
        self._layout = layout
        self._info = info
        self.content_version += 1
        self._dst = {
            i: change
            for i, day in enumerate(layout.days)
            if (change := dst_change(day, info.zone)) is not None
        }
        self.update()

    def set_selected(self, ids: frozenset[str]) -> None:
        """Mark the blocks holding any of ``ids`` as selected."""
        if ids != self._selected:
            self._selected = ids
            self.update()

    @property
    def grid_layout(self) -> GridLayout:
        """What is drawn."""
        return self._layout

    @property
    def minute_height(self) -> float:
        """Pixels per minute."""
        return self._hour_height / 60

    def columns(self) -> Columns:
        """The geometry of the day columns."""
        return Columns(self.width(), max(1, len(self._layout.days)), _gutter(self._info))

    def y_of(self, minutes: float) -> float:
        """The y of a wall-clock time (minutes after midnight)."""
        return minutes * self.minute_height

    def now_minutes(self) -> tuple[int, float] | None:
        """(day index, wall minutes) of now when one of the days is today, else None."""
        now_ms = int(self._clock() * 1000)
        today = local_time(now_ms, self._info.zone).date()
        if today not in self._layout.days:
            return None
        return self._layout.days.index(today), wall_minutes(now_ms, today, self._info.zone)

    def block_rect(self, placed: Placed, columns: Columns | None = None) -> QRectF:
        """Where a timed block is drawn."""
        columns = columns or self.columns()
        width = columns.column_width
        x = columns.left(placed.day_index) + width * placed.column / placed.columns
        w = width * placed.span / placed.columns
        top = self.y_of(placed.top)
        height = max(6.0, self.y_of(placed.bottom) - top)
        return QRectF(x + 1, top + 1, max(2.0, w - 3), height - 2)

    def placed_at(self, point: QPointF) -> Placed | None:
        """The block under ``point``, or None."""
        columns = self.columns()
        index = columns.index_at(point.x())
        if index is None or index >= len(self._layout.timed):
            return None
        for placed in reversed(self._layout.timed[index]):
            if self.block_rect(placed, columns).contains(point):
                return placed
        return None

    def sizeHint(self) -> QSize:
        return QSize(600, 24 * self._hour_height)

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        exposed = QRectF(event.rect())
        palette = self.palette()
        colors = scheme(palette)
        base = QColor(colors.base)
        painter.fillRect(exposed, base)
        columns = self.columns()
        self._paint_days_background(painter, columns, exposed, palette)
        self._paint_hours(painter, columns, exposed, palette)
        self._paint_gutters(painter, columns, exposed, palette)
        self._paint_blocks(painter, columns, exposed, palette)
        self._paint_now(painter, columns, palette)
        painter.end()

    def _paint_days_background(
        self, painter: QPainter, columns: Columns, exposed: QRectF, palette: QPalette
    ) -> None:
        colors = scheme(palette)
        border = QColor(colors.border)
        today = self.now_minutes()
        for index in range(len(self._layout.days)):
            left = columns.left(index)
            rect = QRectF(left, exposed.top(), columns.column_width, exposed.height())
            if not rect.intersects(exposed):
                continue
            if today is not None and today[0] == index:
                tint = QColor(colors.accent)
                tint.setAlphaF(0.05)
                painter.fillRect(rect, tint)
            change = self._dst.get(index)
            if change is not None:
                top, bottom = self.y_of(change.start), self.y_of(change.end)
                band = QRectF(left, top, columns.column_width, bottom - top)
                shade = QColor(colors.muted_text)
                shade.setAlphaF(0.18 if change.kind == "skipped" else 0.08)
                style = (
                    Qt.BrushStyle.BDiagPattern
                    if change.kind == "skipped"
                    else Qt.BrushStyle.Dense6Pattern
                )
                painter.fillRect(band, QBrush(shade, style))
                small = QFont(self.font())
                small.setPointSizeF(max(6.5, small.pointSizeF() * 0.78))
                painter.setFont(small)
                painter.setPen(QColor(colors.muted_text))
                words = "clocks go forward" if change.kind == "skipped" else "hour repeats"
                painter.drawText(
                    band.adjusted(4, 0, -2, 0),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    words,
                )
            painter.setPen(QPen(border, 1))
            painter.drawLine(QPointF(left + 0.5, rect.top()), QPointF(left + 0.5, rect.bottom()))

    def _paint_hours(
        self, painter: QPainter, columns: Columns, exposed: QRectF, palette: QPalette
    ) -> None:
        colors = scheme(palette)
        line = QColor(colors.border)
        half = QColor(colors.border)
        half.setAlphaF(0.45)
        first = max(0, int(exposed.top() // self._hour_height))
        last = min(24, int(exposed.bottom() // self._hour_height) + 1)
        for hour in range(first, last + 1):
            y = hour * self._hour_height + 0.5
            painter.setPen(QPen(line, 1))
            painter.drawLine(QPointF(columns.gutter - 6, y), QPointF(self.width(), y))
            if hour < 24:
                painter.setPen(QPen(half, 1, Qt.PenStyle.DotLine))
                y_half = y + self._hour_height / 2
                painter.drawLine(QPointF(columns.gutter, y_half), QPointF(self.width(), y_half))

    def _paint_gutters(
        self, painter: QPainter, columns: Columns, exposed: QRectF, palette: QPalette
    ) -> None:
        colors = scheme(palette)
        gutter = QRectF(0, exposed.top(), columns.gutter, exposed.height())
        painter.fillRect(gutter, QColor(colors.window))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        painter.setFont(small)
        metrics = QFontMetricsF(small)
        muted = QColor(colors.muted_text)
        first = max(0, int(exposed.top() // self._hour_height) - 1)
        last = min(23, int(exposed.bottom() // self._hour_height) + 1)
        second = self._info.second_zone
        reference = self._reference_day()
        for hour in range(max(first, 1), last + 1):
            y = hour * self._hour_height
            label_rect = QRectF(0, y - metrics.height() / 2, GUTTER_WIDTH - 8, metrics.height())
            painter.setPen(muted)
            painter.drawText(
                label_rect,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"{hour:02d}:00",
            )
            if second is not None and reference is not None:
                instant = wall_instant_ms(reference, hour * 60, self._info.zone)
                text = "—" if instant is None else hhmm(local_time(instant, second))
                second_rect = QRectF(
                    GUTTER_WIDTH,
                    y - metrics.height() / 2,
                    SECOND_GUTTER_WIDTH - 8,
                    metrics.height(),
                )
                painter.setPen(mix(muted, QColor(colors.info), 0.6))
                painter.drawText(
                    second_rect,
                    int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                    text,
                )
        painter.setPen(QPen(QColor(colors.border), 1))
        x = columns.gutter - 0.5
        painter.drawLine(QPointF(x, exposed.top()), QPointF(x, exposed.bottom()))
        if second is not None:
            x2 = GUTTER_WIDTH - 0.5
            painter.setPen(QPen(QColor(colors.border), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x2, exposed.top()), QPointF(x2, exposed.bottom()))

    def _reference_day(self) -> date | None:
        """The day whose hours the second zone's gutter converts (today when shown)."""
        days = self._layout.days
        if not days:
            return None
        now = self.now_minutes()
        return days[now[0]] if now is not None else days[0]

    def _paint_blocks(
        self, painter: QPainter, columns: Columns, exposed: QRectF, palette: QPalette
    ) -> None:
        dark = is_dark(palette)
        font = QFont(self.font())
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        bold = QFont(font)
        bold.setBold(True)
        bold.setPointSizeF(small.pointSizeF())
        fonts = _Fonts(small, bold)
        styles: dict[tuple[int, str], BlockStyle] = {}
        slivers: dict[tuple[int, str], list[QRectF]] = {}
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painted = 0
        self.painted_chips = []
        top, bottom = exposed.top(), exposed.bottom()
        per_minute = self.minute_height
        selected_ids = self._selected
        for day in self._layout.timed:
            for placed in day:
                # Off screen vertically: nothing to compute (most blocks of a long day).
                if placed.bottom * per_minute < top or placed.top * per_minute > bottom:
                    continue
                rect = self.block_rect(placed, columns)
                if not rect.intersects(exposed):
                    continue
                painted += 1
                entry = placed.entry
                hue = self._info.hue(entry.calendar_id)
                key = (hue, entry.status)
                style = styles.get(key)
                if style is None:
                    style = styles[key] = block_style(entry.status, hue_color(hue, dark), palette)
                selected = bool(selected_ids) and any(i in selected_ids for i in entry.ids)
                if not selected and (rect.width() < 8 or rect.height() < 7):
                    # A sliver of a crowded day: drawn with the others of its style at once.
                    slivers.setdefault(key, []).append(rect.adjusted(0, 0, -1, -1))
                    continue
                text_rect = paint_block(painter, rect, style, selected=selected, palette=palette)
                if text_rect.width() >= 14 and text_rect.height() >= 9:
                    self._paint_text(painter, entry, text_rect, style, fonts, dark)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for key, rects in slivers.items():
            style = styles[key]
            painter.setPen(style.border)
            painter.setBrush(style.fill)
            painter.drawRects(rects)
        self.painted_blocks = painted
        self.paints += 1
        self.painted_version = self.content_version

    def _paint_text(
        self,
        painter: QPainter,
        entry: Entry,
        text_rect: QRectF,
        style: BlockStyle,
        fonts: _Fonts,
        dark: bool,
    ) -> None:
        painter.save()
        painter.setClipRect(text_rect)
        painter.setPen(style.text)
        lines = _block_lines(entry, self._info)
        y = text_rect.top()
        line_height = fonts.small_metrics.height()
        one_line = text_rect.height() < line_height * 2
        owner = self._info.owner_of(entry.primary)
        for number, text in enumerate(lines):
            if y + line_height > text_rect.bottom() + 2 and number > 0:
                break
            use = fonts.bold if number == 0 else fonts.small
            metrics = fonts.bold_metrics if number == 0 else fonts.small_metrics
            if one_line and number == 0:
                text = f"{text}  {lines[1]}" if len(lines) > 1 else text
            left = text_rect.left()
            if number == 0 and owner is not None:
                # At most half the block: the chip's name is elided before the title is.
                chip = QRectF(left, y, text_rect.width() / 2, line_height)
                painter.setFont(fonts.bold)
                left += paint_owner_chip(painter, chip, owner.name, owner.colour, dark=dark) + 4
                self.painted_chips.append(owner.name)
                painter.setPen(style.text)
            width = max(0.0, text_rect.right() - left)
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
            painter.setFont(struck_font(use, style.struck))
            painter.drawText(
                QRectF(left, y, width, line_height),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
                elided,
            )
            y += line_height
            if one_line:
                break
        painter.restore()

    def _paint_now(self, painter: QPainter, columns: Columns, palette: QPalette) -> None:
        now = self.now_minutes()
        if now is None:
            return
        index, minutes = now
        y = self.y_of(minutes)
        color = QColor(scheme(palette).danger)
        left = columns.left(index)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(color, 2))
        painter.drawLine(QPointF(left, y), QPointF(left + columns.column_width, y))
        painter.setBrush(color)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QPointF(left, y), 4, 4)
        painter.restore()

    # -- input ---------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            placed = self.placed_at(event.position())
            if placed is not None:
                toggle = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
                self.appointmentClicked.emit(_clicked_id(placed.entry, self._selected), toggle)
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        placed = self.placed_at(event.position())
        if placed is not None:
            self.appointmentActivated.emit(_clicked_id(placed.entry, self._selected))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def tooltip_at(self, point: QPointF) -> str:
        """What the tooltip says at ``point`` (a block, or a DST day's changed hour)."""
        placed = self.placed_at(point)
        if placed is not None:
            return self._info.describe(placed.entry)
        index = self.columns().index_at(point.x())
        change = self._dst.get(index) if index is not None else None
        if change is not None:
            minutes = point.y() / self.minute_height
            if change.start <= minutes <= change.end:
                return change.describe()
        return ""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.update()
        super().changeEvent(event)


class _Fonts:
    """The fonts of a block's lines and their metrics (made once per paint)."""

    def __init__(self, small: QFont, bold: QFont) -> None:
        self.small = small
        self.bold = bold
        self.small_metrics = QFontMetricsF(small)
        self.bold_metrics = QFontMetricsF(bold)


def _clicked_id(entry: Entry, selected: frozenset[str]) -> str:
    """The appointment a click on ``entry`` means: a session keeps its selected attendee."""
    return next((i for i in entry.ids if i in selected), entry.primary.id)


def _block_lines(entry: Entry, info: ViewInfo) -> list[str]:
    row = entry.primary
    when = time_range(row.start_ms, row.end_ms, info.zone)
    type_name = info.type_name(row.type_id)
    if entry.is_session:
        return [f"{type_name or 'Class'}", f"{when} · {len(entry.rows)} booked"]
    lines = [block_title(row), when]
    detail = type_name or (row.title if row.title != block_title(row) else None)
    if detail:
        lines.append(detail)
    return lines


class DayHeader(QWidget):
    """The days' names above the grid, and the all-day band (bars in lanes)."""

    dayClicked = Signal(object)
    """A day's name was clicked (a ``datetime.date``): show that day."""

    appointmentClicked = Signal(str, bool)
    """(appointment id, add to the selection): a bar was clicked."""

    appointmentActivated = Signal(str)
    """A bar was double-clicked."""

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        self._layout = GridLayout([])
        self._info = ViewInfo()
        self._selected: frozenset[str] = frozenset()
        self._right_margin = 0
        self.setMouseTracking(False)
        self._update_height()

    def set_content(self, layout: GridLayout, info: ViewInfo) -> None:
        """Show the days and bars of ``layout``."""
        self._layout = layout
        self._info = info
        self._update_height()
        self.update()

    def set_selected(self, ids: frozenset[str]) -> None:
        """Mark the bars holding any of ``ids``."""
        if ids != self._selected:
            self._selected = ids
            self.update()

    def set_right_margin(self, margin: int) -> None:
        """Space kept free on the right (the grid's scroll bar)."""
        if margin != self._right_margin:
            self._right_margin = margin
            self.update()

    def _update_height(self) -> None:
        lanes = self._layout.lane_count
        height = HEADER_HEIGHT + (lanes * LANE_HEIGHT + 6 if lanes else 0)
        self.setFixedHeight(height)

    def columns(self) -> Columns:
        """The same geometry as the canvas below."""
        return Columns(
            self.width() - self._right_margin,
            max(1, len(self._layout.days)),
            _gutter(self._info),
        )

    def bar_rect(self, bar: Bar) -> QRectF:
        """Where a bar is drawn."""
        columns = self.columns()
        left = columns.left(bar.first)
        right = columns.left(bar.last) + columns.column_width
        top = HEADER_HEIGHT + 2 + bar.lane * LANE_HEIGHT
        return QRectF(left + 2, top, right - left - 4, LANE_HEIGHT - 3)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        colors = scheme(palette)
        painter.fillRect(self.rect(), QColor(colors.window))
        columns = self.columns()
        today = local_time(int(self._clock() * 1000), self._info.zone).date()
        font = QFont(self.font())
        bold = QFont(font)
        bold.setBold(True)
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        # The zones over the gutters.
        painter.setFont(small)
        painter.setPen(QColor(colors.muted_text))
        painter.drawText(
            QRectF(0, 0, GUTTER_WIDTH - 4, HEADER_HEIGHT),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            _abbreviation(self._info, int(self._clock() * 1000)),
        )
        if self._info.second_zone is not None:
            painter.setPen(mix(QColor(colors.muted_text), QColor(colors.info), 0.6))
            text = zone_city(self._info.second_zone_name or "")
            metrics = QFontMetricsF(small)
            painter.drawText(
                QRectF(GUTTER_WIDTH, 0, SECOND_GUTTER_WIDTH - 4, HEADER_HEIGHT),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                metrics.elidedText(text, Qt.TextElideMode.ElideRight, SECOND_GUTTER_WIDTH - 6),
            )
        for index, day in enumerate(self._layout.days):
            rect = QRectF(columns.left(index), 0, columns.column_width, HEADER_HEIGHT)
            is_today = day == today
            painter.setFont(bold if is_today else font)
            label = f"{day_name(day)} {day.day}"
            if is_today:
                metrics = QFontMetricsF(bold)
                pill_width = metrics.horizontalAdvance(label) + 16
                pill = QRectF(
                    rect.center().x() - pill_width / 2, rect.center().y() - 11, pill_width, 22
                )
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(colors.accent))
                painter.drawRoundedRect(pill, 11, 11)
                painter.setPen(QColor(colors.accent_text))
            else:
                painter.setPen(QColor(colors.text))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)
            painter.setPen(QPen(QColor(colors.border), 1))
            x = columns.left(index) + 0.5
            painter.drawLine(QPointF(x, HEADER_HEIGHT - 8), QPointF(x, self.height()))
        painter.setPen(QPen(QColor(colors.border), 1))
        painter.drawLine(
            QPointF(0, self.height() - 0.5), QPointF(self.width(), self.height() - 0.5)
        )
        dark = is_dark(palette)
        for bar in self._layout.bars:
            rect = self.bar_rect(bar)
            entry = bar.entry
            color = hue_color(self._info.hue(entry.calendar_id), dark)
            style = block_style(entry.status, color, palette)
            selected = any(i in self._selected for i in entry.ids)
            text_rect = paint_block(painter, rect, style, selected=selected, palette=palette)
            painter.setPen(style.text)
            painter.setFont(struck_font(small, style.struck))
            when = time_range(entry.start_ms, entry.end_ms, self._info.zone, with_day=True)
            text = f"{block_title(entry.primary)} · {when}"
            painter.drawText(
                text_rect,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                QFontMetricsF(small).elidedText(
                    text, Qt.TextElideMode.ElideRight, text_rect.width()
                ),
            )
        painter.end()

    def _bar_at(self, point: QPointF) -> Bar | None:
        return next((b for b in self._layout.bars if self.bar_rect(b).contains(point)), None)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        point = event.position()
        bar = self._bar_at(point)
        if bar is not None:
            toggle = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.appointmentClicked.emit(_clicked_id(bar.entry, self._selected), toggle)
            return
        if point.y() <= HEADER_HEIGHT:
            index = self.columns().index_at(point.x())
            if index is not None and index < len(self._layout.days):
                self.dayClicked.emit(self._layout.days[index])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        bar = self._bar_at(event.position())
        if bar is not None:
            self.appointmentActivated.emit(_clicked_id(bar.entry, self._selected))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            point = QPointF(event.pos())
            bar = self._bar_at(point)
            text = ""
            if bar is not None:
                text = self._info.describe(bar.entry)
            elif point.y() <= HEADER_HEIGHT:
                index = self.columns().index_at(point.x())
                if index is not None and index < len(self._layout.days):
                    day = self._layout.days[index]
                    change = dst_change(day, self._info.zone)
                    text = "Show this day"
                    if change is not None:
                        hours = day_length_minutes(day, self._info.zone) / 60
                        text = (
                            f"{change.describe()}: this day lasts {hours:g} hours. "
                            "Click to show it."
                        )
            elif point.x() < GUTTER_WIDTH:
                text = f"Times in {self._info.zone_name}"
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


def _abbreviation(info: ViewInfo, now_ms: int) -> str:
    """The display zone's abbreviation now ("EST"), or its city."""
    return local_time(now_ms, info.zone).tzname() or zone_city(info.zone_name)


class TimeGridView(QWidget):
    """The week or day view: the header over the scrolled grid."""

    appointmentClicked = Signal(str, bool)
    """(appointment id, add to the selection)."""

    appointmentActivated = Signal(str)
    """Open the appointment's details."""

    dayClicked = Signal(object)
    """A day's name was clicked (a ``datetime.date``)."""

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = DayHeader(self, clock=clock)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there, so the header's columns line up with the grid's at every size.
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.canvas = TimeGridCanvas(self.scroll_area, clock=clock)
        self.scroll_area.setWidget(self.canvas)
        layout.addWidget(self.header)
        layout.addWidget(self.scroll_area, 1)
        for source in (self.canvas, self.header):
            source.appointmentClicked.connect(self.appointmentClicked)
            source.appointmentActivated.connect(self.appointmentActivated)
        self.header.dayClicked.connect(self.dayClicked)
        self._scrolled_once = False
        self._now_timer = QTimer(self)
        self._now_timer.setInterval(30_000)
        self._now_timer.timeout.connect(self._tick)
        self._now_timer.start()

    def set_content(self, layout: GridLayout, info: ViewInfo) -> None:
        """Draw the days and entries of ``layout`` (the scroll position is kept)."""
        self.header.set_content(layout, info)
        self.canvas.set_content(layout, info)

    def set_selected(self, ids: Iterable[str]) -> None:
        """Mark the selected appointments."""
        chosen = frozenset(ids)
        self.header.set_selected(chosen)
        self.canvas.set_selected(chosen)

    def scroll_to_start(self) -> None:
        """Scroll to where the day's work is: two hours before now when today is shown and
        now is within the working day, else to the earliest appointment shown (or to the
        start of office hours when there is none)."""
        now = self.canvas.now_minutes()
        earliest = min((p.top for day in self.canvas.grid_layout.timed for p in day), default=None)
        if now is not None and now[1] <= 20 * 60 and (earliest is None or now[1] >= earliest - 60):
            minutes = now[1] - 120
        elif earliest is not None:
            minutes = earliest - 30
        else:
            minutes = WORKDAY_START_MINUTES
        self.scroll_area.verticalScrollBar().setValue(int(self.canvas.y_of(max(0.0, minutes))))
        self._scrolled_once = True

    def scroll_first_time(self) -> None:
        """``scroll_to_start`` the first time only: afterwards the user's scroll stays."""
        if not self._scrolled_once:
            self.scroll_to_start()

    def ensure_visible(self, appointment_id: str) -> None:
        """Scroll so the block of ``appointment_id`` is on screen (when it is drawn): left
        alone when it already is, else a third of the way down the view."""
        for day in self.canvas.grid_layout.timed:
            for placed in day:
                if appointment_id in placed.entry.ids:
                    rect = self.canvas.block_rect(placed)
                    bar = self.scroll_area.verticalScrollBar()
                    height = self.scroll_area.viewport().height()
                    if rect.top() < bar.value() or rect.bottom() > bar.value() + height:
                        bar.setValue(int(rect.top() - height / 3))
                    self._scrolled_once = True
                    return

    def _sync_margin(self) -> None:
        bar = self.scroll_area.verticalScrollBar()
        self.header.set_right_margin(bar.sizeHint().width() if bar.isVisibleTo(self) else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._sync_margin()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._sync_margin()

    def _tick(self) -> None:
        # Only the time line moves: repaint today's column.
        now = self.canvas.now_minutes()
        if now is not None:
            columns = self.canvas.columns()
            self.canvas.update(
                QRect(
                    int(columns.left(now[0])) - 6,
                    0,
                    int(columns.column_width) + 12,
                    self.canvas.height(),
                )
            )


__all__ = [
    "GUTTER_WIDTH",
    "HOUR_HEIGHT",
    "Columns",
    "DayHeader",
    "TimeGridCanvas",
    "TimeGridView",
]
