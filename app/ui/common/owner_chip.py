"""The owning sub-account's chip in the merged views of "All sub-accounts".

A chip is the sub-account's initial in a square of its colour, then its name, on a
faint tint of that colour: the name and the initial say whose a row is, not the
colour alone. The colour index comes from the services' ``chip_colour`` (a stable
digest of the sub-account id), so one sub-account has the same chip in every tab;
the hue is the same in both schemes, lighter on a dark base and darker on a light
one, and every painter asks for it again on each paint, so a theme switch needs
nothing more than a repaint.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from app.ui.theme import Spacing

OWNER_HUES = (212, 14, 140, 280, 38, 188, 330, 96, 250, 0)
"""Hues of the sub-account chips (``chip_colour`` picks one), spread around the wheel."""

_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def owner_colour(index: int, dark: bool) -> QColor:
    """A sub-account's chip colour: the same hue in both schemes, lighter on a dark base
    and darker on a light one, so its text reads on either."""
    hue = OWNER_HUES[index % len(OWNER_HUES)]
    return QColor.fromHsl(hue, 170, 170 if dark else 88)


def owner_initial(name: str) -> str:
    """The letter in a sub-account's chip (its first letter or digit)."""
    return next((ch.upper() for ch in name if ch.isalnum()), "?")


def owner_chip_width(name: str, height: float, metrics: QFontMetrics, max_name: float) -> float:
    """How wide a chip of ``name`` is drawn (its name at most ``max_name`` wide)."""
    name_width = min(metrics.horizontalAdvance(name) + 2, max(20.0, max_name))
    return height + Spacing.XS + name_width + 10


def paint_owner_chip(
    painter: QPainter,
    rect: QRectF,
    name: str,
    colour: int,
    *,
    dark: bool,
    font: QFont,
    selected: bool = False,
    selected_text: QColor | None = None,
) -> float:
    """Paint the chip of the sub-account ``name`` (colour index ``colour``) from the left
    of ``rect``, no wider than it (the name elided); returns the chip's right edge."""
    metrics = QFontMetrics(font)
    height = rect.height()
    width = min(owner_chip_width(name, height, metrics, rect.width() / 2), rect.width())
    name_width = max(0.0, width - height - Spacing.XS - 10)
    tone = owner_colour(colour, dark)
    painter.save()
    chip = QRectF(rect.left(), rect.top(), width, height)
    tint = QColor(tone)
    tint.setAlphaF(0.30 if selected else 0.16)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(tint)
    painter.drawRoundedRect(chip, 4, 4)
    square = QRectF(rect.left() + 2, rect.top() + 2, height - 4, height - 4)
    painter.setBrush(tone)
    painter.drawRoundedRect(square, 2, 2)
    painter.setFont(font)
    # The initial on the square: white on dark hues, near-black on light ones.
    painter.setPen(QColor("#ffffff") if tone.lightness() < 140 else QColor("#1b1b1f"))
    painter.drawText(square, _CENTER, owner_initial(name))
    painter.setPen(selected_text if selected and selected_text is not None else tone)
    painter.drawText(
        QRectF(rect.left() + height + Spacing.XS, rect.top(), name_width + 4, height),
        _LEFT,
        metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(name_width)),
    )
    painter.restore()
    return rect.left() + width


__all__ = [
    "OWNER_HUES",
    "owner_chip_width",
    "owner_colour",
    "owner_initial",
    "paint_owner_chip",
]
