"""The Inbox's thread pane: one conversation's header, its messages and the composer.

- ``SafeTextDocument`` renders HTML bodies without loading anything: every resource
  the document asks for (images, style sheets, backgrounds, by any URL scheme, local
  files included) is refused and recorded in ``refused``, except images embedded in the
  message as ``data:`` URLs. Qt's rich text has no script engine, and ``<script>`` is
  dropped by its parser. Links are drawn but only opened on a click, after the pane has
  shown the full address and the user agreed, in the system browser; only ``http``,
  ``https`` and ``mailto`` links are opened at all.
- ``MessageDelegate`` paints one message as a bubble: inbound on the left, outbound on
  the right in the accent tint, internal notes centred in the warning tint with a
  label, the email subject in bold, the channel, the time, the delivery status with an
  icon (queued, sending, sent, delivered, read, failed) and, for failures, the reason
  and Retry/Cancel buttons drawn in the bubble. Sizes are measured once per message
  and width (text layouts and HTML documents are cached, least recently used first
  out), so the view can lay out thousands of rows of different heights.
- ``ThreadView`` is the list view: newest message at the bottom, it keeps the row the
  user is reading in place when older pages are inserted above (or anything else
  changes), follows new messages when it is at the bottom, and asks the model for older
  pages when the user scrolls near the top (Qt's own fetch-more trigger is for lists
  that grow downwards and is switched off by a proxy).
- ``ThreadPane`` puts them together with the composer: ``set_conversation(id)`` shows a
  conversation of the active sub-account and tells the session to poll it fast
  (``open_conversation``); a sub-account switch clears it at once.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QEvent,
    QIdentityProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QDesktopServices,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHelpEvent,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QTextDocument,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.services.bus import (
    ContactsChanged,
    ConversationsChanged,
    MessagesChanged,
    OutboxChanged,
    ScopeKey,
    SessionChanged,
)
from app.services.outbox import OutboxSender
from app.services.ports.inbox import (
    IllegalTransitionError,
    InboxPort,
    OutboxItemNotFoundError,
    StorageError,
)
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.common.fields import scheme_colors
from app.ui.inbox.composer import (
    CHANNEL_ICON_NAMES,
    EMAIL_CHANNELS,
    Composer,
    channel_label,
    contact_name,
)
from app.ui.inbox.thread_model import STATUS_LABELS, MessageListModel, Role, ThreadRow
from app.ui.theme import Spacing, ThemeColors, icon
from app.ui.widgets import Banner, EmptyState

log = logging.getLogger(__name__)

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
"""Link schemes a click may open (after the user saw the address)."""
MAX_EMBEDDED_IMAGE = 2 * 1024 * 1024
"""Largest ``data:`` image an HTML body may carry (decoded bytes)."""
CONVERSATION_STATUS_LABELS = {"open": "Open", "closed": "Closed", "snoozed": "Snoozed"}


# --- safe HTML --------------------------------------------------------------------------------


class SafeTextDocument(QTextDocument):
    """A rich text document that loads nothing from anywhere.

    ``loadResource`` is the one place Qt's rich text asks for outside content (an
    ``<img src>``, a ``background`` attribute, a CSS ``url()``, a linked style sheet,
    by any scheme, local files included). Every request is refused and recorded in
    ``refused``, except images embedded in the message itself as ``data:`` URLs (up to
    ``MAX_EMBEDDED_IMAGE``). A refused image gets an empty 1×1 picture, so Qt draws no
    broken-image glyph and asks no other source.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.refused: list[str] = []
        """Every resource URL asked for and refused, in order, each once."""
        self.embedded: list[str] = []
        """``data:`` images that were decoded (their media type)."""
        self._blank = QImage(1, 1, QImage.Format.Format_ARGB32)
        self._blank.fill(Qt.GlobalColor.transparent)
        self._decoded: dict[str, QImage] = {}

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        address = url.toString() if isinstance(url, QUrl) else str(url)
        image_kind = int(QTextDocument.ResourceType.ImageResource)
        if int(kind) == image_kind and address.startswith("data:"):
            image = self._decoded.get(address)
            if image is None:
                image = _data_image(address)
                if image is not None:
                    self._decoded[address] = image
                    self.embedded.append(address[5 : address.find(";")] or "image")
            if image is not None:
                return image
        if address not in self.refused:
            self.refused.append(address)
        return self._blank if int(kind) == image_kind else None

    @property
    def blocked_remote(self) -> bool:
        """Whether the body asked for outside content (which was not loaded)."""
        return bool(self.refused)


def _data_image(address: str) -> QImage | None:
    """An image from a ``data:image/...;base64,...`` URL, or None (not one, too big, broken)."""
    header, _, payload = address.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        return None
    if len(payload) > MAX_EMBEDDED_IMAGE * 4 // 3 + 4:
        return None
    try:
        raw = base64.b64decode(payload, validate=False)
    except ValueError:
        return None
    image = QImage.fromData(QByteArray(raw))
    return None if image.isNull() else image


_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.IGNORECASE | re.DOTALL)


def strip_unloadable(html_text: str) -> str:
    """``html_text`` without ``<link>`` tags and ``<script>`` blocks.

    Neither would be loaded or run (see ``SafeTextDocument``), but Qt's parser reads an
    unclosed ``<link>`` outside ``<head>`` as a container and then shows nothing of what
    follows: a message could hide its text that way."""
    return _SCRIPT.sub("", _LINK_TAG.sub("", html_text))


def safe_document(html_text: str, width: float, font: QFont | None = None) -> SafeTextDocument:
    """``html_text`` laid out ``width`` wide in a ``SafeTextDocument``."""
    doc = SafeTextDocument()
    doc.setDocumentMargin(0)
    if font is not None:
        doc.setDefaultFont(font)
    doc.setHtml(strip_unloadable(html_text))
    doc.setTextWidth(max(1.0, width))
    return doc


# --- painting helpers -------------------------------------------------------------------------


def _mix(color: str, base: str, amount: float) -> QColor:
    """``amount`` of ``color`` over ``base`` (0..1)."""
    a, b = QColor(color), QColor(base)
    return QColor(
        round(a.red() * amount + b.red() * (1 - amount)),
        round(a.green() * amount + b.green() * (1 - amount)),
        round(a.blue() * amount + b.blue() * (1 - amount)),
    )


_TINTED: dict[tuple[str, str, int, float], QPixmap] = {}


def tinted_pixmap(name: str, color: QColor, size: int, dpr: float) -> QPixmap:
    """Icon ``name`` filled with ``color`` (cached)."""
    key = (name, color.name(), size, dpr)
    cached = _TINTED.get(key)
    if cached is not None:
        return cached
    source = icon(name).pixmap(QSize(size, size), dpr)
    pixmap = QPixmap(source.size())
    pixmap.setDevicePixelRatio(source.devicePixelRatio())
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.drawPixmap(0, 0, source)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(pixmap.rect(), color)
    painter.end()
    _TINTED[key] = pixmap
    return pixmap


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_time(ms: int, now: float | None = None) -> str:
    """``14:05`` today, ``Mar 3, 14:05`` this year, ``Mar 3 2025, 14:05`` before (local
    time; ``now`` in epoch seconds). Plain ``time`` calls: this runs for every row."""
    if ms <= 0:
        return ""
    stamp = time.localtime(ms / 1000)
    today = time.localtime(now if now is not None else time.time())
    clock = f"{stamp.tm_hour:02d}:{stamp.tm_min:02d}"
    if (stamp.tm_year, stamp.tm_yday) == (today.tm_year, today.tm_yday):
        return clock
    day = f"{_MONTHS[stamp.tm_mon - 1]} {stamp.tm_mday}"
    if stamp.tm_year == today.tm_year:
        return f"{day}, {clock}"
    return f"{day} {stamp.tm_year}, {clock}"


def full_time(ms: int) -> str:
    """The full local date and time, for tooltips."""
    if ms <= 0:
        return "Time unknown"
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%A %d %B %Y, %H:%M:%S")


STATUS_ICONS = {
    "queued": "clock",
    "sending": "sync",
    "pending": "sync",
    "unknown": "sync",
    "sent": "check",
    "delivered": "check",
    "read": "check",
    "failed": "error",
    "bounced": "error",
}


def _wrapped(text: str, font: QFont, width: int) -> tuple[QTextLayout, int, int]:
    """A laid-out paragraph: the layout, its height and its widest line."""
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.setCacheEnabled(True)
    height = 0.0
    widest = 0.0
    leading = QFontMetrics(font).leading()
    layout.beginLayout()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0, height))
        height += line.height() + leading
        widest = max(widest, line.naturalTextWidth())
    layout.endLayout()
    return layout, int(height + 0.999), int(widest + 0.999)


# --- the delegate -----------------------------------------------------------------------------

PAD_X = 12
PAD_Y = 8
ROW_GAP = 4
SIDE = Spacing.M
BUTTON_H = 24
ICON = 14
MAX_BUBBLE = 640
MAX_NOTE = 720


@dataclass
class _Measure:
    """Where everything of one message goes, relative to the row's top left."""

    height: int
    bubble: QRect
    header: QRect
    header_text: str
    subject: QTextLayout | None = None
    subject_at: QPoint = field(default_factory=QPoint)
    body: QTextLayout | None = None
    body_at: QPoint = field(default_factory=QPoint)
    doc: SafeTextDocument | None = None
    doc_rect: QRect = field(default_factory=QRect)
    blocked: QRect = field(default_factory=QRect)
    footer: QRect = field(default_factory=QRect)
    footer_text: str = ""
    status_icon: QRect = field(default_factory=QRect)
    reason: QTextLayout | None = None
    reason_at: QPoint = field(default_factory=QPoint)
    retry: QRect = field(default_factory=QRect)
    cancel: QRect = field(default_factory=QRect)


class MessageDelegate(QStyledItemDelegate):
    """Paints messages as bubbles and handles clicks on their links and buttons (see the
    module docstring). Row sizes depend on the view's width; ``clear_cache`` forgets them
    (the theme or font changed)."""

    retryRequested = Signal(str)
    """Retry was clicked on a failed message; the argument is the row key."""

    cancelRequested = Signal(str)
    """Cancel was clicked on a queued or failed outbox item; the argument is the row key."""

    linkActivated = Signal(QUrl)
    """A link in an HTML body was clicked (not opened yet: the pane asks first)."""

    CACHE_SIZE = 600
    """Rows whose painting geometry (text layouts, HTML documents) is kept."""
    HEIGHTS_SIZE = 100_000
    """Row heights kept (a few dozen bytes each)."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._cache: OrderedDict[tuple[ThreadRow, int], _Measure] = OrderedDict()
        # Heights alone, for every row measured: the view asks for all of them on each
        # layout, and re-measuring evicted rows (an HTML document each) made scrolling to
        # the top of 5,000 messages take seconds.
        self._heights: dict[tuple[str, int], tuple[ThreadRow, int]] = {}
        self._text_heights: dict[tuple[str, int, str], int] = {}
        self._documents: OrderedDict[tuple[str, str, int], SafeTextDocument] = OrderedDict()
        self._hover: tuple[str, str] | None = None
        self.documents_made = 0
        """HTML documents built so far (tests and benches)."""
        self._fonts()

    def _fonts(self) -> None:
        base = QFont(self._view.font())
        self.body_font = base
        self.small_font = QFont(base)
        self.small_font.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
        self.bold_font = QFont(base)
        self.bold_font.setWeight(QFont.Weight.DemiBold)
        self.button_font = QFont(self.small_font)
        self.button_font.setWeight(QFont.Weight.DemiBold)

    def clear_cache(self) -> None:
        """Forget every measured row (after a font or theme change)."""
        self._cache.clear()
        self._heights.clear()
        self._text_heights.clear()
        self._documents.clear()
        self._fonts()

    def height(self, row: ThreadRow, width: int | None = None) -> int:
        """The row's height at ``width`` (the view's, by default), cached apart from the
        painting geometry."""
        width = width or self._width()
        known = self._heights.get((row.key, width))
        if known is not None and (known[0] is row or known[0] == row):
            return known[1]
        if len(self._heights) > self.HEIGHTS_SIZE:
            self._heights.clear()  # rows of old widths pile up while the window is resized
        height = self._height(row, width)
        self._heights[(row.key, width)] = (row, height)
        return height

    def _width(self) -> int:
        return max(240, self._view.viewport().width())

    # -- measuring ------------------------------------------------------------------------
    def measure(self, row: ThreadRow, width: int | None = None) -> _Measure:
        """The geometry of ``row`` at ``width`` (the view's, by default), cached."""
        width = width or self._width()
        key = (row, width)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        measured = self._measure(row, width)
        self._cache[key] = measured
        if len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return measured

    def document(self, row: ThreadRow) -> SafeTextDocument | None:
        """The HTML document a row is painted with (None for plain text rows)."""
        return self.measure(row).doc

    @staticmethod
    def _bubble_limits(row: ThreadRow, width: int) -> tuple[int, int]:
        """(widest bubble, widest text inside it) for a row at ``width``."""
        avail = max(200, width - 2 * SIDE)
        if row.is_note:
            max_w = min(avail, MAX_NOTE)
        else:
            max_w = max(180, min(int(avail * 0.8), MAX_BUBBLE))
        return max_w, max_w - 2 * PAD_X

    def _text_height(self, text: str, font: QFont, kind: str, width: int) -> int:
        key = (kind, width, text)
        known = self._text_heights.get(key)
        if known is None:
            if len(self._text_heights) > self.HEIGHTS_SIZE:
                self._text_heights.clear()
            known = self._text_heights[key] = _wrapped(text, font, width)[1]
        return known

    def _document(self, row: ThreadRow, inner: int) -> SafeTextDocument:
        key = (row.key, row.body_html or "", inner)
        doc = self._documents.get(key)
        if doc is None:
            doc = safe_document(row.body_html or "", inner, self.body_font)
            self.documents_made += 1
            self._documents[key] = doc
            if len(self._documents) > self.CACHE_SIZE:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(key)
        return doc

    @staticmethod
    def _shows_subject(row: ThreadRow) -> bool:
        return bool(row.subject) and (row.channel in EMAIL_CHANNELS or bool(row.body_html))

    def _height(self, row: ThreadRow, width: int) -> int:
        """What ``_measure(row, width).height`` is, without the painting geometry: the
        view asks for every row's height on each layout, and only paints a screenful."""
        _, inner = self._bubble_limits(row, width)
        small_h = QFontMetrics(self.small_font).height()
        line = max(ICON, small_h)
        y = PAD_Y + line + Spacing.XS
        if self._shows_subject(row):
            y += self._text_height(row.subject or "", self.bold_font, "subject", inner)
            y += Spacing.XS
        if row.body_html:
            doc = self._document(row, inner)
            y += int(doc.size().height() + 0.999)
            if doc.blocked_remote:
                y += Spacing.XS + small_h
        else:
            text = row.body_text if row.body_text.strip() else "(no text)"
            y += self._text_height(text, self.body_font, "body", inner)
        y += Spacing.XS + line
        if row.is_failed and row.reason:
            y += Spacing.XS + self._text_height(row.reason, self.small_font, "reason", inner)
        if row.can_retry or row.can_cancel:
            y += Spacing.S + BUTTON_H
        y += PAD_Y
        return y + 2 * ROW_GAP

    def _measure(self, row: ThreadRow, width: int) -> _Measure:
        max_w, inner = self._bubble_limits(row, width)
        small = QFontMetrics(self.small_font)
        y = PAD_Y
        header_text = self._header_text(row)
        header_w = ICON + Spacing.XS + small.horizontalAdvance(header_text)
        header = QRect(PAD_X, y, header_w, max(ICON, small.height()))
        y += header.height() + Spacing.XS
        content_w = header_w
        m = _Measure(height=0, bubble=QRect(), header=header, header_text=header_text)
        if self._shows_subject(row):
            m.subject, h, w = _wrapped(row.subject or "", self.bold_font, inner)
            m.subject_at = QPoint(PAD_X, y)
            y += h + Spacing.XS
            content_w = max(content_w, w)
        if row.body_html:
            doc = self._document(row, inner)
            height = int(doc.size().height() + 0.999)
            m.doc, m.doc_rect = doc, QRect(PAD_X, y, inner, height)
            y += height
            content_w = inner
            if doc.blocked_remote:
                y += Spacing.XS
                m.blocked = QRect(PAD_X, y, inner, small.height())
                y += small.height()
        else:
            text = row.body_text if row.body_text.strip() else "(no text)"
            m.body, h, w = _wrapped(text, self.body_font, inner)
            m.body_at = QPoint(PAD_X, y)
            y += h
            content_w = max(content_w, w)
        y += Spacing.XS
        m.footer_text = self._footer_text(row)
        footer_w = small.horizontalAdvance(m.footer_text)
        status = row.is_outbound and row.status in STATUS_ICONS
        if row.is_note and row.status in ("sent", "delivered", "read"):
            status = False  # a note is not delivered anywhere: no delivery marks
        if status:
            footer_w += (
                ICON + Spacing.XS + (ICON // 2 if row.status in ("delivered", "read") else 0)
            )
        content_w = max(content_w, footer_w)
        m.footer = QRect(PAD_X, y, footer_w, max(ICON, small.height()))
        y += m.footer.height()
        if row.is_failed and row.reason:
            y += Spacing.XS
            # The reasons are sentences already ("SMS failed: the carrier reported …"); the
            # footer says Failed or Bounced.
            m.reason, h, w = _wrapped(row.reason, self.small_font, inner)
            m.reason_at = QPoint(PAD_X, y)
            y += h
            content_w = max(content_w, w)
        if row.can_retry or row.can_cancel:
            y += Spacing.S
            buttons = QFontMetrics(self.button_font)
            x = PAD_X
            if row.can_retry:
                m.retry = QRect(x, y, buttons.horizontalAdvance("Retry") + 2 * PAD_X, BUTTON_H)
                x = m.retry.right() + 1 + Spacing.S
            if row.can_cancel:
                m.cancel = QRect(x, y, buttons.horizontalAdvance("Cancel") + 2 * PAD_X, BUTTON_H)
                x = m.cancel.right() + 1
            content_w = max(content_w, x - PAD_X)
            y += BUTTON_H
        y += PAD_Y
        bubble_w = min(max_w, max(120, content_w + 2 * PAD_X))
        if row.is_note:
            left = (width - bubble_w) // 2
        elif row.is_outbound:
            left = width - SIDE - bubble_w
        else:
            left = SIDE
        m.bubble = QRect(left, ROW_GAP, bubble_w, y)
        # Everything inside moves with the bubble; the footer of outbound rows is right-aligned.
        dx, dy = left, ROW_GAP
        m.header.translate(dx, dy)
        m.subject_at += QPoint(dx, dy)
        m.body_at += QPoint(dx, dy)
        m.doc_rect.translate(dx, dy)
        m.blocked.translate(dx, dy)
        m.reason_at += QPoint(dx, dy)
        m.retry.translate(dx, dy)
        m.cancel.translate(dx, dy)
        if row.is_outbound and not row.is_note:
            m.footer.moveLeft(left + bubble_w - PAD_X - m.footer.width())
        else:
            m.footer.translate(dx, 0)
        m.footer.translate(0, dy)
        if status:
            m.status_icon = QRect(m.footer.left(), m.footer.top(), ICON, ICON)
        m.height = y + 2 * ROW_GAP
        return m

    @staticmethod
    def _header_text(row: ThreadRow) -> str:
        channel = channel_label(row.channel) if row.channel else ""
        if row.is_note:
            return "Internal note · only your team sees this"
        if row.is_outbound:
            target = f" to {row.to_address}" if row.to_address else ""
            return f"{channel}{target}"
        source = f" from {row.from_address}" if row.from_address else ""
        return f"{channel}{source}"

    @staticmethod
    def _footer_text(row: ThreadRow) -> str:
        when = format_time(row.created_ms)
        if not row.is_outbound:
            return when
        if row.is_note and row.status in ("sent", "delivered", "read"):
            return when
        status = STATUS_LABELS.get(row.status, row.status.capitalize())
        return f"{status} · {when}" if when else status

    # -- Qt's delegate API ----------------------------------------------------------------
    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        row = index.data(Role.ROW)
        if not isinstance(row, ThreadRow):
            return QSize(self._width(), 1)
        width = self._width()
        return QSize(width, self.height(row, width))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(Role.ROW)
        if not isinstance(row, ThreadRow):
            return
        m = self.measure(row)
        colors = scheme_colors()
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.translate(option.rect.topLeft())
            self._paint_bubble(painter, option, row, m, colors)
            self._paint_contents(painter, row, m, colors)
        finally:
            painter.restore()

    def _bubble_colors(self, row: ThreadRow, colors: ThemeColors) -> tuple[QColor, QColor]:
        dark = QColor(colors.base).lightness() < 128
        if row.is_note:
            return _mix(colors.warning, colors.base, 0.16 if dark else 0.12), _mix(
                colors.warning, colors.base, 0.55
            )
        if row.is_outbound:
            fill = _mix(colors.accent, colors.base, 0.22 if dark else 0.13)
            border = (
                QColor(colors.danger) if row.is_failed else _mix(colors.accent, colors.base, 0.35)
            )
            return fill, border
        fill = _mix(colors.text, colors.base, 0.09 if dark else 0.05)
        border = QColor(colors.danger) if row.is_failed else QColor(colors.border)
        return fill, border

    def _paint_bubble(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        row: ThreadRow,
        m: _Measure,
        colors: ThemeColors,
    ) -> None:
        fill, border = self._bubble_colors(row, colors)
        painter.setBrush(fill)
        pen = QPen(border, 1)
        if row.is_note:
            pen.setStyle(Qt.PenStyle.DashLine)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected and self._view.hasFocus():
            pen = QPen(QColor(colors.accent), 2)
        painter.setPen(pen)
        painter.drawRoundedRect(QRectF(m.bubble).adjusted(0.5, 0.5, -0.5, -0.5), 10, 10)

    def _paint_contents(
        self, painter: QPainter, row: ThreadRow, m: _Measure, colors: ThemeColors
    ) -> None:
        dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
        muted = QColor(colors.muted_text)
        text = QColor(colors.text)
        # Header: channel (or note) icon and words.
        icon_name = "note" if row.is_note else CHANNEL_ICON_NAMES.get(row.channel, "inbox")
        tone = QColor(colors.warning) if row.is_note else muted
        top = m.header.top() + (m.header.height() - ICON) // 2
        painter.drawPixmap(m.header.left(), top, tinted_pixmap(icon_name, tone, ICON, dpr))
        painter.setFont(self.small_font)
        painter.setPen(tone if row.is_note else muted)
        painter.drawText(
            m.header.adjusted(ICON + Spacing.XS, 0, 0, 0),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            m.header_text,
        )
        painter.setPen(text)
        if m.subject is not None:
            m.subject.draw(painter, QPointF(m.subject_at))
        if m.doc is not None:
            painter.save()
            painter.translate(m.doc_rect.topLeft())
            context = QAbstractTextDocumentLayout.PaintContext()
            palette = QPalette(QGuiApplication.palette())
            palette.setColor(QPalette.ColorRole.Text, text)
            palette.setColor(QPalette.ColorRole.Link, QColor(colors.info))
            context.palette = palette
            context.clip = QRectF(0, 0, m.doc_rect.width(), m.doc_rect.height())
            painter.setClipRect(context.clip)
            m.doc.documentLayout().draw(painter, context)
            painter.restore()
            if not m.blocked.isNull():
                painter.setFont(self.small_font)
                painter.setPen(muted)
                painter.drawText(
                    m.blocked,
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    "Remote images and styles were blocked.",
                )
        elif m.body is not None:
            if not row.body_text.strip():
                painter.setPen(muted)
            m.body.draw(painter, QPointF(m.body_at))
        # Footer: status icon, status and time.
        painter.setFont(self.small_font)
        painter.setPen(muted)
        footer = QRect(m.footer)
        if not m.status_icon.isNull():
            tone = muted
            if row.is_failed:
                tone = QColor(colors.danger)
            elif row.status == "read":
                tone = QColor(colors.accent)
            name = STATUS_ICONS[row.status]
            y = m.status_icon.top() + (footer.height() - ICON) // 2
            painter.drawPixmap(m.status_icon.left(), y, tinted_pixmap(name, tone, ICON, dpr))
            shift = ICON + Spacing.XS
            if row.status in ("delivered", "read"):
                # Two check marks: delivered (and read, in the accent) versus just sent.
                painter.drawPixmap(
                    m.status_icon.left() + ICON // 2, y, tinted_pixmap(name, tone, ICON, dpr)
                )
                shift += ICON // 2
            footer.setLeft(footer.left() + shift)
            if row.is_failed:
                painter.setPen(QColor(colors.danger))
        painter.drawText(
            footer, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), m.footer_text
        )
        if m.reason is not None:
            painter.setPen(QColor(colors.danger))
            m.reason.draw(painter, QPointF(m.reason_at))
        for rect, label, key in ((m.retry, "Retry", "retry"), (m.cancel, "Cancel", "cancel")):
            if rect.isNull():
                continue
            hovered = self._hover == (row.key, key)
            painter.setPen(QPen(QColor(colors.accent if key == "retry" else colors.border), 1))
            painter.setBrush(
                _mix(colors.accent, colors.base, 0.18) if hovered else QColor(colors.base)
            )
            painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
            painter.setFont(self.button_font)
            painter.setPen(QColor(colors.accent if key == "retry" else colors.text))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)

    # -- clicks, hovering and tooltips ----------------------------------------------------------
    def hit(self, row: ThreadRow, point: QPoint) -> tuple[str, str]:
        """What is under ``point`` (row coordinates): ("retry"|"cancel", key),
        ("link", url), ("status", text), ("time", text) or ("", "")."""
        m = self.measure(row)
        if m.retry.contains(point):
            return "retry", row.key
        if m.cancel.contains(point):
            return "cancel", row.key
        if m.doc is not None and m.doc_rect.contains(point):
            local = QPointF(point - m.doc_rect.topLeft())
            anchor = m.doc.documentLayout().anchorAt(local)
            if anchor:
                return "link", anchor
        if m.footer.contains(point):
            status = STATUS_LABELS.get(row.status, row.status) if row.is_outbound else ""
            when = full_time(row.created_ms)
            return "time", f"{status}: {when}" if status else when
        return "", ""

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        row = index.data(Role.ROW)
        if not isinstance(row, ThreadRow) or not isinstance(event, QMouseEvent):
            return False
        point = event.position().toPoint() - option.rect.topLeft()
        kind, value = self.hit(row, point)
        if event.type() == QEvent.Type.MouseMove:
            hover = (row.key, kind) if kind in ("retry", "cancel") else None
            if hover != self._hover:
                self._hover = hover
                self._view.viewport().update()
            clickable = kind in ("retry", "cancel", "link")
            cursor = Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
            self._view.viewport().setCursor(cursor)
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if event.type() == QEvent.Type.MouseButtonPress and kind in ("retry", "cancel", "link"):
            return True  # the release acts; no selection change on a button
        if event.type() == QEvent.Type.MouseButtonRelease:
            if kind == "retry":
                self.retryRequested.emit(value)
                return True
            if kind == "cancel":
                self.cancelRequested.emit(value)
                return True
            if kind == "link":
                self.linkActivated.emit(QUrl(value))
                return True
        return False

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        row = index.data(Role.ROW)
        if event is None or event.type() != QEvent.Type.ToolTip or not isinstance(row, ThreadRow):
            return super().helpEvent(event, view, option, index)
        kind, value = self.hit(row, event.pos() - option.rect.topLeft())
        if kind == "link":
            QToolTip.showText(event.globalPos(), f"Opens {value}", view)
            return True
        if kind == "time":
            QToolTip.showText(event.globalPos(), value, view)
            return True
        QToolTip.hideText()
        return True


# --- the view ---------------------------------------------------------------------------------


class _NoViewFetch(QIdentityProxyModel):
    """Hides ``canFetchMore`` from the view: Qt fetches when the *last* row is visible,
    which in a thread is the newest message (older pages go on top, on scroll)."""

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return False

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        return None


class ThreadView(QListView):
    """The messages, newest at the bottom, keeping the reader's place (module docstring)."""

    FETCH_MARGIN = 400
    """Pixels from the top at which older messages are asked for."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # State first: Qt calls the overrides below from the setters that follow.
        self._source: MessageListModel | None = None
        self._anchor: tuple[str, str | None, int] | None = None
        self._restoring = False
        self._at_bottom = True
        self._fetch_timer = QTimer(self)
        self._fetch_timer.setSingleShot(True)
        self._fetch_timer.setInterval(0)
        self._fetch_timer.timeout.connect(self._fetch_if_near_top)
        self._proxy = _NoViewFetch(self)
        self.setObjectName("threadView")
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)  # bubbles differ in height; measured and cached
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setMouseTracking(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalScrollBar().setSingleStep(24)
        self.delegate = MessageDelegate(self)
        self.setItemDelegate(self.delegate)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        proxy = self._proxy
        proxy.rowsAboutToBeInserted.connect(self._capture)
        proxy.rowsAboutToBeRemoved.connect(self._capture)
        proxy.modelAboutToBeReset.connect(self._reset_coming)
        proxy.layoutAboutToBeChanged.connect(self._capture)
        proxy.dataChanged.connect(self._data_changed)
        self.setModel(proxy)

    @property
    def thread_model(self) -> MessageListModel | None:
        """The model shown (through the view's proxy)."""
        return self._source

    def set_thread_model(self, model: MessageListModel) -> None:
        """Show ``model`` (the view never lets Qt drive its fetching; see the class doc)."""
        self._source = model
        self._proxy.setSourceModel(model)

    def source_index(self, row: int) -> QModelIndex:
        """The view's index of source row ``row``."""
        return self._proxy.index(row, 0)

    def at_bottom(self) -> bool:
        """Whether the newest message is in view (new ones are followed)."""
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def scroll_to_bottom(self) -> None:
        """Show the newest message and follow new ones."""
        self._at_bottom = True
        self._anchor = ("bottom", None, 0)
        self.scrollToBottom()
        self.doItemsLayout()

    def anchor_row(self) -> tuple[str | None, int]:
        """The key of the row at the top of the viewport and its offset (for tests)."""
        index = self.indexAt(QPoint(self.viewport().width() // 2, 0))
        if not index.isValid():
            return None, 0
        return index.data(Role.KEY), self.visualRect(index).top()

    # -- keeping the place -------------------------------------------------------------------
    def _capture(self, *_: Any) -> None:
        if self._anchor is not None or self._restoring:
            return  # the first picture before a burst of changes is the one to restore
        if self._at_bottom:
            self._anchor = ("bottom", None, 0)
            return
        key, offset = self.anchor_row()
        self._anchor = ("row", key, offset) if key else None

    def _reset_coming(self) -> None:
        self._anchor = ("bottom", None, 0)
        self._at_bottom = True

    def _data_changed(self, top_left: QModelIndex, *_: Any) -> None:
        # A status change can change a bubble's height (a reason and buttons appear):
        # re-measure, keeping the place.
        self._capture()
        self.delegate.sizeHintChanged.emit(top_left)

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._restore()
        self._fetch_timer.start()

    def _restore(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None:
            return
        bar = self.verticalScrollBar()
        self._restoring = True
        try:
            kind, key, offset = anchor
            if kind == "bottom":
                bar.setValue(bar.maximum())
                self._at_bottom = True
                return
            row = self._source.row_of(key) if self._source is not None and key else None
            if row is None:
                return
            rect = self.visualRect(self.source_index(row))
            bar.setValue(bar.value() + rect.top() - offset)
        finally:
            self._restoring = False

    def _scrolled(self, _value: int) -> None:
        if not self._restoring:
            self._at_bottom = self.at_bottom()
        self._fetch_timer.start()

    def _fetch_if_near_top(self) -> None:
        source = self._source
        if source is None or not source.canFetchMore(QModelIndex()):
            return
        bar = self.verticalScrollBar()
        if bar.maximum() == 0 or bar.value() <= self.FETCH_MARGIN:
            source.fetchMore(QModelIndex())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._capture()
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange):
            self.delegate.clear_cache()
            self.scheduleDelayedItemsLayout()
        super().changeEvent(event)


# --- the pane ---------------------------------------------------------------------------------


class ThreadPane(QWidget):
    """One conversation: header, messages, composer (see the module docstring).

    ``ThreadPane(port, bridge, tasks, parent)``; ``set_conversation(id)`` shows a
    conversation of the active sub-account (None clears), ``focus_composer()`` puts the
    cursor in the message text. ``open_url`` opens an accepted link (the system browser
    by default; tests pass their own).
    """

    contactLinkActivated = Signal(str)
    """The user asked to open the conversation's contact; the argument is its id."""

    def __init__(
        self,
        port: InboxPort,
        bridge: BusBridge,
        tasks: TaskSet,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("threadPane")
        self.port = port
        self.bridge = bridge
        self.tasks = tasks
        self._open_url = open_url
        self._conversation_id: str | None = None
        self._contact_id: str | None = None
        self._generation: int | None = None
        self.link_box: QMessageBox | None = None
        self.model = MessageListModel(tasks, self)
        self._build()
        self._connect()
        self.set_conversation(None)

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.pages = QStackedWidget(self)
        root.addWidget(self.pages)

        self.empty = EmptyState(self)
        self.empty.set_content(
            "inbox",
            "No conversation open",
            "Choose a conversation to read it and answer.",
        )
        self.pages.addWidget(self.empty)

        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QWidget(content)
        header.setObjectName("threadHeader")
        head = QHBoxLayout(header)
        head.setContentsMargins(Spacing.M, Spacing.S, Spacing.M, Spacing.S)
        head.setSpacing(Spacing.S)
        self.channel_icon = QLabel(header)
        self.channel_icon.setFixedSize(24, 24)
        head.addWidget(self.channel_icon)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel(header)
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        title_font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(title_font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel(header)
        self.subtitle.setProperty("muted", True)
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        self.contact_button = QToolButton(header)
        self.contact_button.setText("Open contact")
        self.contact_button.setIcon(icon("user"))
        self.contact_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.contact_button.setAutoRaise(True)
        self.contact_button.setToolTip("Open this contact in the Contacts tab")
        head.addWidget(self.contact_button)
        layout.addWidget(header)
        line = QFrame(content)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        line.setProperty("muted", True)
        layout.addWidget(line)

        self.banner = Banner(content)
        layout.addWidget(self.banner)
        self.loading_label = QLabel("Loading older messages…", content)
        self.loading_label.setProperty("muted", True)
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_label.hide()
        layout.addWidget(self.loading_label)

        self.splitter = QSplitter(Qt.Orientation.Vertical, content)
        self.splitter.setChildrenCollapsible(False)
        self.view = ThreadView(self.splitter)
        self.view.set_thread_model(self.model)
        self.composer = Composer(self.port, self.splitter)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.composer)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([520, 220])
        layout.addWidget(self.splitter, 1)
        self.pages.addWidget(content)
        self.content = content

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.messagesChanged.connect(self._on_messages)
        bridge.outboxChanged.connect(self._on_outbox)
        bridge.conversationsChanged.connect(self._on_conversations)
        bridge.contactsChanged.connect(self._on_contacts)
        bridge.sessionChanged.connect(self._on_session)
        self.contact_button.clicked.connect(self._open_contact)
        self.view.delegate.retryRequested.connect(self.retry)
        self.view.delegate.cancelRequested.connect(self.cancel)
        self.view.delegate.linkActivated.connect(self.confirm_link)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.model.olderLoadFailed.connect(lambda text: self.banner.show_message("danger", text))
        self.model.loadingChanged.connect(self.loading_label.setVisible)
        self.composer.messageQueued.connect(lambda _cid: self.view.scroll_to_bottom())
        self.composer.leaveRequested.connect(self._leave_composer)

    # -- public API ------------------------------------------------------------------------
    @property
    def conversation_id(self) -> str | None:
        """The conversation shown, or None."""
        return self._conversation_id

    def set_conversation(self, conversation_id: str | None) -> None:
        """Show ``conversation_id`` of the active sub-account (None: nothing) and poll it."""
        port = self.port
        reader = port.reader()
        generation = port.generation()
        if conversation_id is not None and reader is None:
            conversation_id = None
        same = (
            conversation_id == self._conversation_id
            and reader is not None
            and self._generation == generation
            and conversation_id is not None
        )
        if same:
            self._refresh_header()
            return
        self._conversation_id = conversation_id
        self._generation = generation if reader is not None else None
        self.banner.hide()
        if conversation_id is None or reader is None:
            self.model.clear()
            self.composer.set_conversation(None)
            self._contact_id = None
            self.pages.setCurrentWidget(self.empty)
            port.open_conversation(None)
            return
        self.model.set_thread(reader, conversation_id, load_older=port.older_loader())
        self.view.scroll_to_bottom()
        self.composer.set_conversation(conversation_id)
        self._refresh_header()
        self.pages.setCurrentWidget(self.content)
        port.open_conversation(conversation_id)

    def focus_composer(self) -> None:
        """Put the cursor in the composer's message text."""
        if self._conversation_id is not None:
            self.composer.focus_body()

    # -- header ----------------------------------------------------------------------------
    def _conversation(self) -> dict[str, Any] | None:
        reader = self.port.reader()
        if reader is None or self._conversation_id is None:
            return None
        try:
            return reader.conversation(self._conversation_id)
        except StorageError as exc:
            log.error("could not read conversation %s: %s", self._conversation_id, exc)
            return None

    def _refresh_header(self) -> None:
        conversation = self._conversation()
        reader = self.port.reader()
        contact: dict[str, Any] | None = None
        contact_id = str((conversation or {}).get("contactId") or "") or None
        if contact_id and reader is not None:
            try:
                contact = reader.contact(contact_id)
            except StorageError as exc:
                log.error("could not read contact %s: %s", contact_id, exc)
        self._contact_id = contact_id
        if conversation is None:
            self.title.setText("Loading the conversation…")
            self.subtitle.setText("It is not in the cache yet; it appears with the next sync.")
            self.channel_icon.clear()
            self.contact_button.setEnabled(False)
            return
        channel = str(conversation.get("channel") or "")
        name = contact_name(contact, conversation)
        self.title.setText(name if name != "The contact" else "Unnamed contact")
        parts = [channel_label(channel) if channel else ""]
        status = str(conversation.get("status") or "")
        if status:
            parts.append(CONVERSATION_STATUS_LABELS.get(status, status.capitalize()))
        if conversation.get("isArchived"):
            parts.append("Archived")
        subject = conversation.get("subject")
        if subject:
            parts.append(str(subject))
        self.subtitle.setText(" · ".join(p for p in parts if p))
        self.channel_icon.setPixmap(
            icon(CHANNEL_ICON_NAMES.get(channel, "inbox")).pixmap(QSize(24, 24))
        )
        self.contact_button.setEnabled(contact_id is not None)

    def _open_contact(self) -> None:
        if self._contact_id:
            self.contactLinkActivated.emit(self._contact_id)

    # -- events ----------------------------------------------------------------------------
    def _ours(self, scope: ScopeKey | None) -> bool:
        current = self.port.scope()
        return current is not None and scope == current and self._conversation_id is not None

    def _on_messages(self, event: MessagesChanged) -> None:
        self.model.messages_changed(event)
        if self._ours(event.scope) and event.conversation_id == self._conversation_id:
            self.composer.refresh_window()

    def _on_outbox(self, event: OutboxChanged) -> None:
        self.model.outbox_changed(event)

    def _on_conversations(self, event: ConversationsChanged) -> None:
        if not self._ours(event.scope):
            return
        cid = self._conversation_id
        if cid in event.deleted:
            self.banner.show_message(
                "warning", "This conversation was deleted on the server (its contact was removed)."
            )
            return
        if event.full or cid in event.ids:
            self._refresh_header()
            self.composer.refresh_context()

    def _on_contacts(self, event: ContactsChanged) -> None:
        if not self._ours(event.scope):
            return
        if event.full or (self._contact_id and self._contact_id in event.ids | event.deleted):
            self._refresh_header()
            self.composer.refresh_context()

    def _on_session(self, event: SessionChanged) -> None:
        # Another sub-account: nothing of this one may stay on screen, not even for a frame.
        # The composer's draft is written to the sub-account it belongs to first.
        self.composer.flush_draft()
        self._conversation_id = None
        self._generation = None
        self.model.clear()
        self.composer.set_conversation(None)
        self._contact_id = None
        self.banner.hide()
        self.pages.setCurrentWidget(self.empty)

    # -- actions on messages -------------------------------------------------------------------
    def _row(self, key: str) -> ThreadRow | None:
        at = self.model.row_of(key)
        return self.model.row_at(at) if at is not None else None

    def _sender(self) -> OutboxSender | None:
        return self.port.sender()

    def retry(self, key: str) -> bool:
        """Retry the failed message of row ``key`` through the outbox; False when it cannot
        be retried (said in the banner)."""
        row = self._row(key)
        sender = self._sender()
        if row is None or not row.can_retry or row.client_id is None:
            return False
        if sender is None:
            self.banner.show_message(
                "warning", "Not connected: the message will be retried once a connection is open."
            )
            return False
        try:
            sender.retry(row.client_id)
        except (IllegalTransitionError, OutboxItemNotFoundError):
            self.model.refresh_outbox()
            self.banner.show_message(
                "info", "This message is no longer failed (it was retried or cancelled already)."
            )
            return False
        except StorageError as exc:
            self.banner.show_message("danger", f"The message could not be queued again ({exc}).")
            return False
        self.banner.hide()
        return True

    def cancel(self, key: str) -> bool:
        """Cancel the queued or failed outbox item of row ``key``; False when it cannot be."""
        row = self._row(key)
        sender = self._sender()
        if row is None or not row.can_cancel or row.client_id is None or sender is None:
            return False
        try:
            sender.cancel(row.client_id)
        except (IllegalTransitionError, OutboxItemNotFoundError):
            self.model.refresh_outbox()
            self.banner.show_message(
                "info", "This message is already on its way and can no longer be cancelled."
            )
            return False
        except StorageError as exc:
            self.banner.show_message("danger", f"The message could not be cancelled ({exc}).")
            return False
        return True

    def confirm_link(self, url: QUrl) -> None:
        """Show where a clicked link goes; open it in the browser only if the user agrees.
        Links of other schemes (``javascript:``, ``file:``…) are refused."""
        scheme = url.scheme().lower()
        address = url.toString()
        if scheme not in OPENABLE_SCHEMES:
            self.banner.show_message(
                "warning",
                f"This link was not opened: only web and email links can be opened from a "
                f"message, and this one is “{address[:200]}”.",
            )
            return
        if self.link_box is not None:
            self.link_box.close()
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Open link")
        box.setText("Open this link in your browser?")
        box.setInformativeText(address)
        box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result, u=QUrl(url): self._link_answered(result, u))
        self.link_box = box
        box.open()  # never exec(): this may run while a coroutine is in flight

    def _link_answered(self, result: int, url: QUrl) -> None:
        self.link_box = None
        if result == int(QMessageBox.StandardButton.Open):
            self._open_url(url)

    def _context_menu(self, point: QPoint) -> None:
        index = self.view.indexAt(point)
        row = index.data(Role.ROW) if index.isValid() else None
        if not isinstance(row, ThreadRow):
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        copy = menu.addAction("Copy text")
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.triggered.connect(lambda: QApplication.clipboard().setText(row.body_text))
        if row.can_retry and row.client_id:
            menu.addAction("Retry").triggered.connect(lambda: self.retry(row.key))
        if row.can_cancel:
            menu.addAction("Cancel sending").triggered.connect(lambda: self.cancel(row.key))
        menu.popup(self.view.viewport().mapToGlobal(point))

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.view.hasFocus():
            row = self.view.currentIndex().data(Role.ROW)
            if isinstance(row, ThreadRow):
                QApplication.clipboard().setText(row.body_text)
                return
        super().keyPressEvent(event)

    def _leave_composer(self) -> None:
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def closeEvent(self, event: Any) -> None:
        self.composer.flush_draft()
        super().closeEvent(event)


__all__ = [
    "OPENABLE_SCHEMES",
    "MessageDelegate",
    "SafeTextDocument",
    "ThreadPane",
    "ThreadView",
    "format_time",
    "safe_document",
]
