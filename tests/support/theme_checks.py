"""Checks of what a widget draws against the palette of the theme shown: icons drawn as
pictures must stand out from the window colour (an icon kept in the other theme's colour
vanishes), and no scroll area may need a horizontal scrollbar at its default size."""

from __future__ import annotations


from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QLabel, QWidget

from app.ui.common.widgets import IconLabel

INK_DISTANCE = 60
"""How far (in lightness) a pixel must be from the background to count as drawn."""


def _ink(image: QImage, background: QColor) -> list[int]:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    values = []
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = QColor.fromRgba(image.pixel(x, y))
            if pixel.alpha() < 128:
                continue
            if abs(pixel.lightness() - background.lightness()) > INK_DISTANCE:
                values.append(pixel.lightness())
    return values


def ink_lightness(widget: QWidget) -> float:
    """Mean lightness of the pixels that stand out from the widget's background."""
    background = widget.palette().color(QPalette.ColorRole.Window)
    values = _ink(widget.grab().toImage(), background)
    assert values, "nothing was drawn"
    return sum(values) / len(values)


def background_lightness(image: QImage) -> int:
    """The median lightness of ``image`` (a button's own face, which its border, text
    and icon, a minority of its pixels, do not move; a gradient face still counts)."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    values = sorted(
        QColor(image.pixel(x, y)).lightness()
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
    )
    return values[len(values) // 2]


def icon_lightness(button: QAbstractButton, mode: QIcon.Mode) -> float | None:
    """Mean lightness of the opaque pixels of a button's icon as ``mode`` renders it now
    (None: no icon, or nothing opaque)."""
    if button.icon().isNull():
        return None
    size = button.iconSize() if button.iconSize().isValid() else QSize(16, 16)
    image = button.icon().pixmap(size, mode).toImage()
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    values = []
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = QColor.fromRgba(image.pixel(x, y))
            if pixel.alpha() >= 128:
                values.append(pixel.lightness())
    return sum(values) / len(values) if values else None


def icon_contrast(button: QAbstractButton) -> float | None:
    """How far (in lightness) an enabled button's icon, as it renders now, is from the
    button's own face (None: no icon). An icon of the other theme's palette, or in the
    window's text colour on an accent face, is close to it."""
    if button.icon().isNull():
        return None
    value = icon_lightness(button, QIcon.Mode.Normal)
    if value is None:
        return 0.0
    return abs(value - background_lightness(button.grab().toImage()))


def readable_ink(lightness: float, dark: bool) -> bool:
    """Whether ink of ``lightness`` reads on the theme's window: light ink on dark,
    dark ink on light (the thresholds the theme-switch tests use)."""
    return lightness > 150 if dark else lightness < 110


def wrong_palette_icons(root: QWidget, dark: bool) -> list[str]:
    """The icons shown in ``root`` whose ink does not read on the theme's window colour:
    every visible ``IconLabel`` or picture in a label, and the icon of every visible
    button."""
    wrong = []
    for label in root.findChildren(QLabel):
        if not label.isVisible():
            continue
        if isinstance(label, IconLabel):
            if label.icon_name is None:
                continue
            name = label.icon_name
        else:
            # A picture in a plain label keeps the colours it was drawn with.
            pixmap = label.pixmap()
            if pixmap is None or pixmap.isNull():
                continue
            name = f"picture in {label.objectName() or 'a label'}"
        background = label.palette().color(QPalette.ColorRole.Window)
        values = _ink(label.grab().toImage(), background)
        if not values:
            wrong.append(f"{name} (invisible on the window colour)")
            continue
        value = sum(values) / len(values)
        if not readable_ink(value, dark):
            wrong.append(f"{name} ({value:.0f})")
    for button in root.findChildren(QAbstractButton):
        if not button.isVisible() or button.icon().isNull():
            continue
        name = button.text() or type(button).__name__
        if not button.isEnabled():
            # Muted on purpose: in the current palette's disabled text colour.
            value = icon_lightness(button, QIcon.Mode.Disabled)
            expected = button.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText
            )
            if value is None or abs(value - expected.lightness()) > INK_DISTANCE:
                wrong.append(f"disabled icon of {name!r} ({value})")
            continue
        contrast = icon_contrast(button)
        if contrast is not None and contrast <= INK_DISTANCE:
            wrong.append(f"icon of {name!r} ({contrast:.0f})")
    return wrong


def horizontal_scrollbars(root: QWidget) -> list[str]:
    """The scroll areas in ``root`` showing a horizontal scrollbar."""
    return [
        f"{type(area).__name__} {area.objectName()}".strip()
        for area in root.findChildren(QAbstractScrollArea)
        if area.isVisible() and area.horizontalScrollBar().isVisible()
    ]


__all__ = [
    "background_lightness",
    "horizontal_scrollbars",
    "icon_contrast",
    "icon_lightness",
    "ink_lightness",
    "readable_ink",
    "wrong_palette_icons",
]
