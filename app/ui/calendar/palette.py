"""Calendar colours and how a block of each status is painted.

**Colours.** Each calendar gets one of ``HUES`` from a hash of its id (so it keeps
its colour from run to run and across the tab's views); calendars of one
sub-account whose hashes collide take the next free hue, in id order. Every hue
has a light-theme and a dark-theme shade, each chosen to keep text readable on
it and to stand out on the theme's base colour.

**Statuses** are told apart by more than colour (``paint_block``):

- scheduled: an outline in the calendar's colour on a faint tint;
- confirmed: filled with the colour, a check mark;
- completed: muted (greyed fill), a check mark;
- cancelled: hatched and dashed, the text struck through;
- no-show: muted, a cross.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette, QPen

from app.ui.theme import DARK, LIGHT, ThemeColors

HUES: tuple[tuple[str, str], ...] = (
    # (light theme, dark theme): saturated enough for white text in light, light enough for
    # dark text in dark.
    ("#2563c9", "#7aa7f0"),  # blue
    ("#15875c", "#4cc593"),  # green
    ("#b4451f", "#f0926a"),  # orange
    ("#8a3fb8", "#c59af0"),  # purple
    ("#0f7c8c", "#5cc8d6"),  # teal
    ("#b3286a", "#f08cbc"),  # pink
    ("#8a6a00", "#e0c055"),  # ochre
    ("#4b5bb8", "#9aa8f2"),  # indigo
    ("#6b7a12", "#b8cc52"),  # olive
    ("#a33434", "#f08a8a"),  # red
)


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark scheme."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def scheme(palette: QPalette) -> ThemeColors:
    """The theme's named colours matching ``palette``."""
    return DARK if is_dark(palette) else LIGHT


def assign_hues(calendar_ids: Iterable[str]) -> dict[str, int]:
    """A hue index per calendar: its hash's hue, or the next one free (in id order)."""
    taken: set[int] = set()
    found: dict[str, int] = {}
    for calendar_id in sorted(set(calendar_ids)):
        hue = zlib.crc32(calendar_id.encode()) % len(HUES)
        if len(taken) < len(HUES):
            while hue in taken:
                hue = (hue + 1) % len(HUES)
        taken.add(hue)
        found[calendar_id] = hue
    return found


def hue_color(hue: int, dark: bool) -> QColor:
    """The colour of hue ``hue`` for a light or dark scheme."""
    light_shade, dark_shade = HUES[hue % len(HUES)]
    return QColor(dark_shade if dark else light_shade)


def text_on(color: QColor) -> QColor:
    """Black or white, whichever reads better on ``color``."""
    r, g, b = color.redF(), color.greenF(), color.blueF()
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return QColor("#101418") if luminance > 0.45 else QColor("#ffffff")


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` (0–1) of the way to ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
        1.0,
    )


class BlockStyle:
    """How one block is painted: fill, border, text colour and marks (pens and brushes made
    once: a week of thousands of blocks paints with a handful of styles)."""

    __slots__ = ("border", "dashed", "fill", "hatch", "hatched", "mark", "pen", "struck", "text")

    def __init__(
        self,
        fill: QColor,
        border: QColor,
        text: QColor,
        *,
        hatched: bool = False,
        dashed: bool = False,
        struck: bool = False,
        mark: str | None = None,
    ) -> None:
        self.fill = fill
        self.border = border
        self.text = text
        self.hatched = hatched
        self.dashed = dashed
        self.struck = struck
        self.mark = mark
        self.pen = QPen(border, 1.2 if dashed else 1.5)
        if dashed:
            self.pen.setStyle(Qt.PenStyle.DashLine)
        hatch = QColor(border)
        hatch.setAlphaF(0.35)
        self.hatch = QBrush(hatch, Qt.BrushStyle.BDiagPattern)


_STYLES: dict[tuple[str, str, str], BlockStyle] = {}


def block_style(status: str, color: QColor, palette: QPalette) -> BlockStyle:
    """The style of a block of ``status`` on a calendar of ``color`` (made once per status,
    colour and scheme)."""
    colors = scheme(palette)
    key = (status, color.name(), colors.base)
    found = _STYLES.get(key)
    if found is None:
        found = _STYLES[key] = _make_style(status, color, colors)
    return found


def _make_style(status: str, color: QColor, colors: ThemeColors) -> BlockStyle:
    base = QColor(colors.base)
    muted_text = QColor(colors.muted_text)
    text = QColor(colors.text)
    if status == "confirmed":
        return BlockStyle(color, color.darker(120), text_on(color), mark="check")
    if status == "completed":
        fill = mix(base, color, 0.22)
        return BlockStyle(fill, mix(base, color, 0.45), muted_text, mark="check")
    if status == "no_show":
        fill = mix(base, QColor(colors.muted_text), 0.16)
        return BlockStyle(fill, mix(base, color, 0.5), muted_text, mark="cross")
    if status == "cancelled":
        fill = mix(base, color, 0.10)
        return BlockStyle(
            fill, mix(base, color, 0.6), muted_text, hatched=True, dashed=True, struck=True
        )
    # Scheduled (and anything unknown): an outline on a faint tint.
    return BlockStyle(mix(base, color, 0.12), color, text)


_NO_TEXT = QRectF()


def paint_block(
    painter: QPainter,
    rect: QRectF,
    style: BlockStyle,
    *,
    selected: bool,
    palette: QPalette,
    radius: float = 4.0,
) -> QRectF:
    """Paint a block's background, border and mark; returns the rectangle left for text
    (empty for a sliver too small to hold any). The painter's pen and brush are left
    changed; antialiasing is the caller's choice."""
    if rect.width() < 8 or rect.height() < 7:
        # A sliver (a day crowded with overlaps): plain rectangles, still in its style.
        painter.fillRect(rect, palette.color(QPalette.ColorRole.Text) if selected else style.border)
        painter.fillRect(rect.adjusted(1, 1, -1, -1), style.fill)
        return _NO_TEXT
    inner = rect.adjusted(0.5, 0.5, -0.5, -0.5)
    painter.setPen(style.pen)
    painter.setBrush(style.fill)
    painter.drawRoundedRect(inner, radius, radius)
    if style.hatched:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.hatch)
        painter.drawRoundedRect(inner, radius, radius)
    if selected:
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(inner.adjusted(-1, -1, 1, 1), radius + 1, radius + 1)
    text_rect = inner.adjusted(4, 2, -3, -1)
    if style.mark is not None and inner.width() > 14 and inner.height() > 10:
        size = max(6.0, min(9.0, inner.height() - 6, inner.width() - 6))
        if inner.height() >= 30:
            # Tall enough: the mark sits in the bottom corner, the text keeps the width.
            mark = QRectF(inner.right() - size - 3, inner.bottom() - size - 3, size, size)
            if inner.width() < 60:
                text_rect.setBottom(mark.top() - 1)
        else:
            mark = QRectF(inner.right() - size - 3, inner.top() + 3, size, size)
            text_rect.setRight(mark.left() - 2)
        paint_mark(painter, mark, style.mark, style.text)
    return text_rect


def paint_mark(painter: QPainter, rect: QRectF, mark: str, color: QColor) -> None:
    """A check mark or a cross in ``rect``."""
    painter.save()
    pen = QPen(color, 1.8)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    if mark == "check":
        painter.drawPolyline(
            [
                QPointF(rect.left(), rect.center().y()),
                QPointF(rect.left() + rect.width() * 0.38, rect.bottom()),
                QPointF(rect.right(), rect.top()),
            ]
        )
    else:
        painter.drawLine(rect.topLeft(), rect.bottomRight())
        painter.drawLine(rect.topRight(), rect.bottomLeft())
    painter.restore()


def struck_font(font: QFont, struck: bool) -> QFont:
    """``font`` struck through (cancelled) or not."""
    if font.strikeOut() == struck:
        return font
    copy = QFont(font)
    copy.setStrikeOut(struck)
    return copy


__all__ = [
    "HUES",
    "BlockStyle",
    "assign_hues",
    "block_style",
    "hue_color",
    "is_dark",
    "mix",
    "paint_block",
    "paint_mark",
    "scheme",
    "struck_font",
    "text_on",
]
