"""How the thread pane paints one message: ``MessageDelegate``.

A message is a bubble: inbound on the left, outbound on the right in the accent tint,
internal notes centred in the warning tint with a label, the email subject in bold,
the channel, the time, the delivery status with an icon (queued, sending, sent,
delivered, read, failed) and, for failures, the reason and Retry/Cancel buttons drawn
in the bubble. HTML bodies are laid out in ``safe_html.SafeTextDocument`` (nothing is
loaded). Sizes are measured once per message and width (text layouts and HTML
documents are cached, least recently used first out), so the view can lay out
thousands of rows of different heights.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from app.core.phones import display_phone
from app.ui.common.fields import scheme_colors
from app.ui.inbox.composer import (
    CHANNEL_ICON_NAMES,
    EMAIL_CHANNELS,
    channel_label,
)
from app.ui.inbox.thread_model import STATUS_LABELS, Role, ThreadRow
from app.ui.theme import Spacing, ThemeColors, icon

from app.ui.inbox.html_bodies import EmailBodies
from app.ui.inbox.safe_html import SafeTextDocument


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


PREPARING = "Preparing this email…"
FULL_LABEL = "Show full message"


@dataclass(frozen=True)
class _HtmlBody:
    """An HTML body as shown now: a document, or text (a fallback or a stand-in)."""

    doc: SafeTextDocument | None = None
    blocked: bool = False
    text: str = ""
    muted: bool = False
    notice: str = ""
    full: bool = False


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
    body_muted: bool = False
    """The body line is a stand-in ("Preparing this email…"), drawn muted."""
    notice: QRect = field(default_factory=QRect)
    notice_text: str = ""
    full: QRect = field(default_factory=QRect)
    """The "Show full message" button of an email shown as text."""
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

    fullMessageRequested = Signal(str)
    """"Show full message" was clicked on an email shown as text; the argument is the row key."""

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
        self.bodies = EmailBodies(self)
        """HTML bodies, prepared and laid out within a time budget."""
        self.bodies.ready.connect(self.forget)
        self._hover: tuple[str, str] | None = None
        self._row_origin = QPoint()
        self._fonts()

    @property
    def documents_made(self) -> int:
        """HTML documents built so far (tests and benches)."""
        return self.bodies.documents_made

    def forget(self, key: str) -> None:
        """Drop what was measured of row ``key`` (its body was prepared or laid out)."""
        for cached in [k for k in self._cache if k[0].key == key]:
            del self._cache[cached]
        for cached_height in [k for k in self._heights if k[0] == key]:
            del self._heights[cached_height]

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
        self.bodies.clear()
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

    def _html_body(self, row: ThreadRow, inner: int) -> _HtmlBody:
        """What an HTML body shows at ``inner`` width: its document, or the text fallback
        of an email beyond the budget, or a stand-in while it is being prepared."""
        html = row.body_html or ""
        prepared = self.bodies.prepared(row.key, html)
        if prepared is None:
            return _HtmlBody(text=PREPARING, muted=True)
        if prepared.html is None:
            notice = f"Long email ({prepared.over_budget}), shown as text."
            return _HtmlBody(text=prepared.text or "(no text)", notice=notice, full=True)
        doc, _exact = self.bodies.document(row.key, html, inner, self.body_font)
        if doc is None:
            return _HtmlBody(text=PREPARING, muted=True)
        return _HtmlBody(doc=doc, blocked=doc.blocked_remote or prepared.remote_images > 0)

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
        body = self._html_body(row, inner) if row.body_html else None
        if body is not None and body.doc is not None:
            y += int(body.doc.size().height() + 0.999)
            if body.blocked:
                y += Spacing.XS + small_h
        else:
            text = body.text if body is not None else row.body_text
            text = text if text.strip() else "(no text)"
            y += self._text_height(text, self.body_font, "body", inner)
            if body is not None and body.notice:
                y += Spacing.XS + small_h + Spacing.S + BUTTON_H
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
        body = self._html_body(row, inner) if row.body_html else None
        if body is not None and body.doc is not None:
            height = int(body.doc.size().height() + 0.999)
            m.doc, m.doc_rect = body.doc, QRect(PAD_X, y, inner, height)
            y += height
            content_w = inner
            if body.blocked:
                y += Spacing.XS
                m.blocked = QRect(PAD_X, y, inner, small.height())
                y += small.height()
        else:
            text = body.text if body is not None else row.body_text
            text = text if text.strip() else "(no text)"
            m.body, h, w = _wrapped(text, self.body_font, inner)
            m.body_at = QPoint(PAD_X, y)
            m.body_muted = body is not None and body.muted
            y += h
            content_w = max(content_w, w)
            if body is not None and body.notice:
                y += Spacing.XS
                m.notice_text = body.notice
                m.notice = QRect(PAD_X, y, inner, small.height())
                y += small.height() + Spacing.S
                label_w = QFontMetrics(self.button_font).horizontalAdvance(FULL_LABEL)
                m.full = QRect(PAD_X, y, label_w + 2 * PAD_X, BUTTON_H)
                y += BUTTON_H
                content_w = inner
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
        m.notice.translate(dx, dy)
        m.full.translate(dx, dy)
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
            target = f" to {display_phone(row.to_address)}" if row.to_address else ""
            return f"{channel}{target}"
        source = f" from {display_phone(row.from_address)}" if row.from_address else ""
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
            self._row_origin = option.rect.topLeft()
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
            # Only the part in view is drawn: a long email is thousands of pixels tall.
            shown = QRectF(self._view.viewport().rect()).translated(
                -QPointF(m.doc_rect.topLeft()) - QPointF(self._row_origin)
            )
            context.clip = shown.intersected(QRectF(0, 0, m.doc_rect.width(), m.doc_rect.height()))
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
            if m.body_muted or (not row.body_html and not row.body_text.strip()):
                painter.setPen(muted)
            m.body.draw(painter, QPointF(m.body_at))
            painter.setPen(text)
        if not m.notice.isNull():
            painter.setFont(self.small_font)
            painter.setPen(muted)
            painter.drawText(
                m.notice,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                m.notice_text,
            )
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
        buttons = (
            (m.retry, "Retry", "retry"),
            (m.cancel, "Cancel", "cancel"),
            (m.full, FULL_LABEL, "full"),
        )
        for rect, label, key in buttons:
            if rect.isNull():
                continue
            hovered = self._hover == (row.key, key)
            painter.setPen(QPen(QColor(colors.accent if key != "cancel" else colors.border), 1))
            painter.setBrush(
                _mix(colors.accent, colors.base, 0.18) if hovered else QColor(colors.base)
            )
            painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
            painter.setFont(self.button_font)
            painter.setPen(QColor(colors.accent if key != "cancel" else colors.text))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)

    # -- clicks, hovering and tooltips ----------------------------------------------------------
    def hit(self, row: ThreadRow, point: QPoint) -> tuple[str, str]:
        """What is under ``point`` (row coordinates): ("retry"|"cancel"|"full", key),
        ("link", url), ("status", text), ("time", text) or ("", "")."""
        m = self.measure(row)
        if m.retry.contains(point):
            return "retry", row.key
        if m.cancel.contains(point):
            return "cancel", row.key
        if m.full.contains(point):
            return "full", row.key
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
            hover = (row.key, kind) if kind in ("retry", "cancel", "full") else None
            if hover != self._hover:
                self._hover = hover
                self._view.viewport().update()
            clickable = kind in ("retry", "cancel", "full", "link")
            cursor = Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
            self._view.viewport().setCursor(cursor)
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if event.type() == QEvent.Type.MouseButtonPress and kind in (
            "retry",
            "cancel",
            "full",
            "link",
        ):
            return True  # the release acts; no selection change on a button
        if event.type() == QEvent.Type.MouseButtonRelease:
            if kind == "retry":
                self.retryRequested.emit(value)
                return True
            if kind == "cancel":
                self.cancelRequested.emit(value)
                return True
            if kind == "full":
                self.fullMessageRequested.emit(value)
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


__all__ = ["STATUS_ICONS", "MessageDelegate", "format_time", "full_time", "tinted_pixmap"]
