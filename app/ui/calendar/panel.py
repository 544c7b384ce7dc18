"""The left-hand panel of the Calendar tab: calendars to show, zones, and the legend.

- the sub-account's calendars, each with its colour and a check box
  (``CalendarListModel``);
- "Show cancelled" (off by default);
- the display time zone (the user's own at first) and an optional second zone
  for the week and day views' second time column (e.g. the lead's);
- a legend of the statuses, drawn as the views draw them, in plain words.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QLabel,
    QListView,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.calendar.calendars_model import CalendarListModel
from app.ui.calendar.palette import block_style, hue_color, is_dark, paint_block, scheme
from app.ui.calendar.texts import STATUS_MEANING, STATUS_WORDS, zone_names, zone_or_none
from app.ui.theme import Spacing

NO_SECOND_ZONE = "No second zone"
LEGEND_STATUSES = ("scheduled", "confirmed", "completed", "no_show", "cancelled")


class ZonePicker(QComboBox):
    """An IANA zone, typed (completed as you type, anywhere in the name) or picked.

    ``allow_none`` adds a first entry meaning "no zone"; an unknown name typed is
    refused (the picker goes back to the zone chosen before)."""

    zoneChosen = Signal(object)
    """The zone name chosen (a ``str``), or None for "no zone"."""

    def __init__(self, parent: QWidget | None = None, *, allow_none: bool = False) -> None:
        super().__init__(parent)
        self._allow_none = allow_none
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(16)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        names = list(zone_names())
        if allow_none:
            names.insert(0, NO_SECOND_ZONE)
        self.addItems(names)
        completer = QCompleter(QStringListModel(names, self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self._current: str | None = None
        self.activated.connect(lambda _i: self._commit(self.currentText()))
        line = self.lineEdit()
        if line is not None:
            line.editingFinished.connect(lambda: self._commit(self.currentText()))
        completer.activated.connect(self._commit)

    @property
    def zone(self) -> str | None:
        """The zone chosen (None: "no zone")."""
        return self._current

    def set_zone(self, name: str | None) -> None:
        """Show ``name`` as chosen (no signal)."""
        self._current = name if name and zone_or_none(name) is not None else None
        text = self._current or (NO_SECOND_ZONE if self._allow_none else "")
        self.blockSignals(True)
        index = self.findText(text)
        if index >= 0:
            self.setCurrentIndex(index)
        self.setEditText(text)
        self.blockSignals(False)

    def _commit(self, text: str) -> None:
        text = text.strip()
        if self._allow_none and (not text or text == NO_SECOND_ZONE):
            chosen: str | None = None
        elif text == "UTC" or ("/" in text and zone_or_none(text) is not None):
            chosen = text
        else:
            self.set_zone(self._current)  # not a zone: back to the last good one
            return
        if chosen != self._current:
            self.set_zone(chosen)
            self.zoneChosen.emit(chosen)


class StatusLegend(QWidget):
    """Each status as the views draw it, with its name in words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "\n".join(f"{STATUS_WORDS[s]}: {STATUS_MEANING[s]}" for s in LEGEND_STATUSES)
        )

    def sizeHint(self) -> QSize:
        return QSize(180, len(LEGEND_STATUSES) * 20 + 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        colors = scheme(palette)
        color = hue_color(0, is_dark(palette))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for index, status in enumerate(LEGEND_STATUSES):
            top = index * 20 + 1
            swatch = QRectF(2, top + 2, 34, 15)
            style = block_style(status, color, palette)
            paint_block(painter, swatch, style, selected=False, palette=palette, radius=3)
            painter.setPen(QColor(colors.text))
            painter.drawText(
                QRectF(44, top, self.width() - 44, 19),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                STATUS_WORDS[status],
            )
        painter.end()


class _RowToggleDelegate(QStyledItemDelegate):
    """A click anywhere on a calendar's row toggles its check box (the box alone is a small
    target); the keyboard (Space) works as usual."""

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        kind = event.type()
        if isinstance(event, QMouseEvent) and event.button() == Qt.MouseButton.LeftButton:
            if kind == QEvent.Type.MouseButtonRelease and option.rect.contains(
                event.position().toPoint()
            ):
                checked = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked.value
                return model.setData(index, not checked, Qt.ItemDataRole.CheckStateRole)
            if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
                return True
        return super().editorEvent(event, model, option, index)


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class CalendarsPanel(QWidget):
    """The panel (see the module docstring)."""

    showCancelledChanged = Signal(bool)
    """"Show cancelled" was toggled."""

    def __init__(self, model: CalendarListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, Spacing.S, 0)
        layout.setSpacing(Spacing.S)
        layout.addWidget(_heading("Calendars", self))
        self.list = QListView(self)
        self.list.setModel(model)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setMinimumHeight(90)
        self.list.setItemDelegate(_RowToggleDelegate(self.list))
        layout.addWidget(self.list, 1)
        self.no_calendars = QLabel("No calendars yet.", self)
        self.no_calendars.setProperty("muted", True)
        self.no_calendars.setWordWrap(True)
        self.no_calendars.hide()
        layout.addWidget(self.no_calendars)
        self.show_cancelled = QCheckBox("Show cancelled", self)
        self.show_cancelled.setToolTip("Cancelled appointments are hidden unless this is on")
        self.show_cancelled.toggled.connect(self.showCancelledChanged)
        layout.addWidget(self.show_cancelled)
        layout.addSpacing(Spacing.S)
        layout.addWidget(_heading("Time zone", self))
        self.zone_picker = ZonePicker(self)
        self.zone_picker.setToolTip("Times are shown in this zone")
        layout.addWidget(self.zone_picker)
        second = QLabel("Second time column", self)
        second.setProperty("muted", True)
        layout.addWidget(second)
        self.second_zone_picker = ZonePicker(self, allow_none=True)
        self.second_zone_picker.setToolTip(
            "Another zone's hours beside the week and day views' (e.g. the lead's)"
        )
        layout.addWidget(self.second_zone_picker)
        layout.addSpacing(Spacing.S)
        layout.addWidget(_heading("Statuses", self))
        self.legend = StatusLegend(self)
        layout.addWidget(self.legend)
        model.modelReset.connect(self._update_empty)
        model.rowsInserted.connect(self._update_empty)
        self._update_empty()

    def _update_empty(self) -> None:
        self.no_calendars.setVisible(self.model.rowCount() == 0)


__all__ = ["NO_SECOND_ZONE", "CalendarsPanel", "StatusLegend", "ZonePicker"]
