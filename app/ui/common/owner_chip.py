"""The sub-account chip of the agency view: the owner's initial in a square of its colour,
then its name, on a light tint of that colour (the name and the initial say it, not the
colour alone).

A sub-account's colour is an index (``chip_colour`` of the services); ``owner_colour`` turns
it into the same hue on either scheme, lighter on a dark base and darker on a light one.
``OwnerChipDelegate`` paints the chip in a table or list column from two item roles, so
any tab's merged view shows owners the way the merged Inbox does.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.ui.theme import Spacing

OWNER_HUES = (212, 14, 140, 280, 38, 188, 330, 96, 250, 0)
"""Hues of the sub-account chips (``chip_colour`` picks one), spread around the wheel;
the same as the merged Inbox's."""

OwnerNameRole = int(Qt.ItemDataRole.UserRole) + 40
"""The owning sub-account's name (str) of a row."""

OwnerColourRole = int(Qt.ItemDataRole.UserRole) + 41
"""The owning sub-account's chip colour index (int) of a row."""

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter


def owner_colour(index: int, dark: bool) -> QColor:
    """A sub-account's chip colour: the same hue in both schemes, lighter on a dark base
    and darker on a light one, so its text reads on either."""
    hue = OWNER_HUES[index % len(OWNER_HUES)]
    return QColor.fromHsl(hue, 170, 170 if dark else 88)


def owner_initial(name: str) -> str:
    """The letter in a sub-account's chip (its first letter or digit)."""
    return next((ch.upper() for ch in name if ch.isalnum()), "?")


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark scheme (its base colour is dark)."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def chip_font(base: QFont) -> QFont:
    """The chip's font: a bold, slightly smaller ``base``."""
    font = QFont(base)
    font.setPointSizeF(max(7.0, base.pointSizeF() * 0.86))
    font.setBold(True)
    return font


def paint_owner_chip(
    painter: QPainter,
    rect: QRectF,
    name: str,
    colour: int,
    *,
    dark: bool,
    selected: bool = False,
    selected_text: QColor | None = None,
) -> float:
    """Paint the chip of sub-account ``name`` at the left of ``rect`` (vertically centred,
    the name elided to fit) with ``painter``'s font; returns the chip's width."""
    metrics = QFontMetrics(painter.font())
    height = min(rect.height(), metrics.height() + 2)
    top = rect.top() + (rect.height() - height) / 2
    left = rect.left()
    tone = owner_colour(colour, dark)
    room = rect.width() - height - Spacing.XS - 10
    name_width = max(0.0, min(metrics.horizontalAdvance(name) + 2, room))
    width = height + Spacing.XS + name_width + 10
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    tint = QColor(tone)
    tint.setAlphaF(0.30 if selected else 0.16)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(tint)
    painter.drawRoundedRect(QRectF(left, top, width, height), 4, 4)
    square = QRectF(left + 2, top + 2, height - 4, height - 4)
    painter.setBrush(tone)
    painter.drawRoundedRect(square, 2, 2)
    # The initial on the square: white on dark hues, dark on light ones.
    painter.setPen(QColor("#ffffff") if tone.lightness() < 140 else QColor("#1b1b1f"))
    painter.drawText(square, _CENTER, owner_initial(name))
    painter.setPen(selected_text if selected and selected_text is not None else tone)
    painter.drawText(
        QRectF(left + height + Spacing.XS, top, name_width + 4, height),
        _LEFT,
        metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(name_width)),
    )
    painter.restore()
    return width


class OwnerChipDelegate(QStyledItemDelegate):
    """Paints a column's cell as its row's owner chip (``OwnerNameRole``,
    ``OwnerColourRole``) over the view's normal row background; colours follow the view's
    palette, so a theme switch repaints them right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """The background and focus as any cell, then the chip instead of the text."""
        plain = QStyleOptionViewItem(option)
        self.initStyleOption(plain, index)
        plain.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, widget)
        name = index.data(OwnerNameRole)
        if not name:
            return
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = QRectF(option.rect).adjusted(Spacing.XS, 2, -Spacing.XS, -2)
        painter.save()
        painter.setFont(chip_font(option.font))
        paint_owner_chip(
            painter,
            rect,
            str(name),
            int(index.data(OwnerColourRole) or 0),
            dark=is_dark(palette),
            selected=selected,
            selected_text=palette.color(QPalette.ColorRole.HighlightedText),
        )
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Room for the chip of the row's owner."""
        name = str(index.data(OwnerNameRole) or "")
        metrics = QFontMetrics(chip_font(option.font))
        height = metrics.height() + 2
        return QSize(height + Spacing.XS + metrics.horizontalAdvance(name) + 24, height + 8)


__all__ = [
    "OWNER_HUES",
    "OwnerChipDelegate",
    "OwnerColourRole",
    "OwnerNameRole",
    "chip_font",
    "is_dark",
    "owner_colour",
    "owner_initial",
    "paint_owner_chip",
]
