"""Saved column layouts that never beat a newer default, and never bring a horizontal
scrollbar back.

A table's header state is saved with ``LAYOUT_VERSION``-style numbers of its own: a state
saved by an older version (other default widths, columns since hidden by default) is
ignored, so the new defaults win. ``ColumnFitter`` then watches a table whose widths were
restored: whenever they would overflow its viewport in a window of the default width or
wider, the columns shrink in proportion to fit, until the user resizes a column by hand
(their choice, scrollbar and all).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QTableView

MIN_COLUMN = 48
"""No column is shrunk below this width when fitting."""

DEFAULT_WINDOW_WIDTH = 1360
"""The main window's default width. Restored widths are fitted in a window at least this
wide; in a window the user made narrower, the user's widths are kept (and scroll)."""


def versioned_value(settings: QSettings, key: str, version: int) -> Any:
    """``settings``'s ``key`` when it was saved with layout ``version`` (None otherwise:
    an older layout, whose widths and hidden columns the new defaults replace)."""
    saved = settings.value(f"{key}.version")
    try:
        if saved is None or int(str(saved)) != version:
            return None
    except ValueError:
        return None
    return settings.value(key)


def set_versioned_value(settings: QSettings, key: str, value: Any, version: int) -> None:
    """Save ``value`` under ``key`` with its layout ``version``."""
    settings.setValue(key, value)
    settings.setValue(f"{key}.version", version)


def _visible_sections(header: QHeaderView) -> list[int]:
    """Logical indexes of the shown sections, in the order shown."""
    found = []
    for visual in range(header.count()):
        logical = header.logicalIndex(visual)
        if logical >= 0 and not header.isSectionHidden(logical):
            found.append(logical)
    return found


def columns_overflow(table: QTableView) -> int:
    """How many pixels the shown columns are wider than the table's viewport (0: none)."""
    header = table.horizontalHeader()
    sections = _visible_sections(header)
    if not sections:
        return 0
    widths = [header.sectionSize(i) for i in sections]
    if header.stretchLastSection():
        # The stretched last column only needs its minimum: it takes what is left.
        widths[-1] = header.minimumSectionSize()
    return max(0, sum(widths) - table.viewport().width())


def fit_columns(table: QTableView) -> bool:
    """Shrink the shown columns in proportion so that they fit the viewport (no horizontal
    scrollbar); True when something was shrunk."""
    header = table.horizontalHeader()
    width = table.viewport().width()
    sections = _visible_sections(header)
    if width <= 0 or not sections:
        return False
    changed = False
    overflow = columns_overflow(table)
    fixed = sections[:-1] if header.stretchLastSection() else sections
    if overflow > 0:
        shrinkable = {i: header.sectionSize(i) - MIN_COLUMN for i in fixed}
        room = sum(max(0, v) for v in shrinkable.values())
        share = min(1.0, overflow / room) if room > 0 else 0.0
        for index, spare in shrinkable.items():
            if spare > 0 and share > 0:
                cut = int(spare * share + 0.999)
                header.resizeSection(index, max(MIN_COLUMN, header.sectionSize(index) - cut))
                changed = True
    if header.stretchLastSection():
        # A stretched column grows with the table but never shrinks below its own width:
        # it is given what is left, and stretches from there.
        last = sections[-1]
        left = max(header.minimumSectionSize(), width - sum(header.sectionSize(i) for i in fixed))
        if header.sectionSize(last) > left:
            header.resizeSection(last, left)
            changed = True
    return changed


class ColumnFitter(QObject):
    """Keeps a table's restored widths inside its viewport (see the module docstring)."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.armed = False
        """Fitting on every resize of the viewport (a restored layout, untouched since)."""
        self._restored: dict[int, int] = {}
        self._fitting = False
        table.viewport().installEventFilter(self)
        table.horizontalHeader().sectionResized.connect(self._section_resized)

    def arm(self) -> None:
        """Widths were restored: fit them to the viewport now and whenever it is resized
        (from the restored widths each time, so they grow back with the window)."""
        header = self.table.horizontalHeader()
        self._restored = {i: header.sectionSize(i) for i in range(header.count())}
        self.armed = True
        self.fit()

    def fit(self) -> None:
        """The restored widths, shrunk to fit the viewport if they overflow it."""
        if not self.armed or not self.table.isVisible():
            return  # a table not shown yet has no final width to fit
        header = self.table.horizontalHeader()
        shown = _visible_sections(header)
        # The stretched last column takes what is left: it is never given a width.
        stretched = shown[-1] if shown and header.stretchLastSection() else -1
        self._fitting = True
        try:
            for index, width in self._restored.items():
                if index == stretched or index >= header.count():
                    continue
                if header.sectionSize(index) != width:
                    header.resizeSection(index, width)
            if self.table.window().width() >= DEFAULT_WINDOW_WIDTH:
                fit_columns(self.table)
        finally:
            self._fitting = False

    def _section_resized(self, *_: Any) -> None:
        # A drag on the header is the user's choice: it is kept, even if it scrolls.
        if self._fitting or not self.armed:
            return
        if QApplication.mouseButtons() & Qt.MouseButton.LeftButton:
            self.armed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # getattr: while the table is destroyed, Qt still filters events for a wrapper
        # whose attributes Python has already cleared.
        if getattr(self, "armed", False) and event.type() in (
            QEvent.Type.Resize,
            QEvent.Type.Show,
        ):
            self.fit()
        return False


__all__ = [
    "DEFAULT_WINDOW_WIDTH",
    "MIN_COLUMN",
    "ColumnFitter",
    "columns_overflow",
    "fit_columns",
    "set_versioned_value",
    "versioned_value",
]
