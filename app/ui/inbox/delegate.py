"""How one conversation row is painted: three lines at a fixed height.

::

    (icon)  Contact name                                  5 min ago
            You: last message preview, elided …                 (3)
            [Snoozed until Tue 9:00]  SMS · Ana Ortiz          ✎ Draft

The channel icon sits in a round badge on the left (an accent dot on it when
there is something unread); unread rows have a bold name, an accent time and a
count pill; the status chip is tinted by status (open, closed, snoozed); the
conversation open in the thread pane has an accent bar on its left edge; a
conversation with a message that failed to send says "Not sent" where a draft says
"Draft". In the merged list (All sub-accounts) line 3 also names the owning
sub-account in a chip of its colour, with its initial in a square of that colour:
the name and the initial say it, not the colour alone. Every
colour comes from the view's palette or the theme's named colours of the same
scheme, so rows read well in light and dark.

The height is computed once per font (``sizeHint`` is the same for every row),
so the view can use uniform item sizes with 10,000 rows. Painting asks the
model for one ``RowView`` (``PaintRole``) instead of a dozen roles, and the
round badges are drawn once per channel and state and then blitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.ui.common.owner_chip import owner_colour, owner_initial
from app.ui.global_search import CHANNEL_ICONS
from app.ui.inbox.list_model import (
    AssigneeLabelRole,
    ChannelRole,
    ContactNameRole,
    ConversationIdRole,
    HasDraftRole,
    MarkedUnreadRole,
    OwnerColourRole,
    OwnerNameRole,
    PaintRole,
    PreviewDirectionRole,
    PreviewRole,
    RelativeTimeRole,
    RowKeyRole,
    RowView,
    SendFailedRole,
    SnoozedUntilRole,
    StatusRole,
    SubjectRole,
    UnreadCountRole,
)
from app.ui.theme import DARK, LIGHT, Spacing, ThemeColors, icon

AVATAR = 32
"""Diameter of the round channel badge."""
ICON = 18
"""Size of the channel icon inside it."""
LINE_GAP = 3

CHANNEL_LABELS = {
    "sms": "SMS",
    "email": "Email",
    "gmail": "Gmail",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "live_chat": "Live chat",
    "social_dm": "Social DM",
}
"""How each channel is named on screen."""

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter
_ELIDE = Qt.TextElideMode.ElideRight
_SELECTED = QStyle.StateFlag.State_Selected
_ACTIVE = QStyle.StateFlag.State_Active
_HOVER = QStyle.StateFlag.State_MouseOver
_FOCUS = QStyle.StateFlag.State_HasFocus


def scheme_of(palette: QPalette) -> ThemeColors:
    """The theme's named colours matching ``palette`` (dark when its base is dark)."""
    return DARK if palette.color(QPalette.ColorRole.Base).lightness() < 128 else LIGHT


def snooze_text(until_ms: int, now: datetime | None = None) -> str:
    """ "Snoozed until 15:00", "… until tomorrow 9:00", "… until Tue 9:00" or "… until 3 Jul"
    (local time)."""
    when = datetime.fromtimestamp(until_ms / 1000).astimezone()
    today = (now or datetime.now().astimezone()).astimezone().date()
    clock = f"{when.hour}:{when.minute:02d}"
    days = (when.date() - today).days
    if days <= 0:
        return f"Snoozed until {clock}"
    if days == 1:
        return f"Snoozed until tomorrow {clock}"
    if days < 7:
        return f"Snoozed until {when:%a} {clock}"
    return f"Snoozed until {when.day} {when:%b}"


def row_view(index: QModelIndex | QPersistentModelIndex) -> RowView:
    """The painted values of a row: ``PaintRole`` when the model has it, else each role."""
    view = index.data(PaintRole)
    if isinstance(view, RowView):
        return view
    return RowView(
        str(index.data(ConversationIdRole) or ""),
        str(index.data(ContactNameRole) or index.data() or ""),
        str(index.data(ChannelRole) or ""),
        str(index.data(StatusRole) or "open"),
        index.data(AssigneeLabelRole),
        int(index.data(UnreadCountRole) or 0),
        index.data(PreviewRole),
        index.data(PreviewDirectionRole),
        str(index.data(RelativeTimeRole) or ""),
        index.data(SubjectRole),
        bool(index.data(HasDraftRole)),
        index.data(SnoozedUntilRole),
        bool(index.data(MarkedUnreadRole)),
        bool(index.data(SendFailedRole)),
        str(index.data(RowKeyRole) or ""),
        index.data(OwnerNameRole),
        index.data(OwnerColourRole),
    )


@dataclass(frozen=True)
class _Fonts:
    """The fonts of a row and their metrics, made once per base font."""

    plain: QFont
    bold: QFont
    small: QFont
    small_bold: QFont
    plain_fm: QFontMetrics
    bold_fm: QFontMetrics
    small_fm: QFontMetrics
    small_bold_fm: QFontMetrics


class ConversationDelegate(QStyledItemDelegate):
    """Paints a ``ConversationListModel`` row (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmaps: dict[tuple[object, ...], QPixmap] = {}
        self._fonts: dict[str, _Fonts] = {}
        self._open_id: str | None = None
        self.now: datetime | None = None
        """The time snoozes are described against (None: now); tests set it."""

    def set_open_conversation(self, conversation_id: str | None) -> None:
        """Mark the row of the conversation shown in the thread pane (an accent bar)."""
        self._open_id = conversation_id

    # ------------------------------------------------------------------ geometry

    def fonts(self, base: QFont) -> _Fonts:
        """The row's fonts for the view's ``base`` font (cached)."""
        key = base.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            plain = QFont(base)
            bold = QFont(base)
            bold.setBold(True)
            small = QFont(base)
            small.setPointSizeF(max(7.0, base.pointSizeF() * 0.86))
            small_bold = QFont(small)
            small_bold.setBold(True)
            fonts = _Fonts(
                plain,
                bold,
                small,
                small_bold,
                QFontMetrics(plain),
                QFontMetrics(bold),
                QFontMetrics(small),
                QFontMetrics(small_bold),
            )
            self._fonts[key] = fonts
        return fonts

    def row_height(self, font: QFont) -> int:
        """The height of every row for ``font`` (three lines and padding)."""
        fonts = self.fonts(font)
        main = fonts.bold_fm.height()
        minor = fonts.small_fm.height() + 2  # the chip's padding
        return Spacing.M * 2 - 4 + main * 2 + minor + LINE_GAP * 2 + 1

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(320, self.row_height(option.font))

    # ------------------------------------------------------------------ painting

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = row_view(index)
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        colors = scheme_of(palette)
        selected = bool(state & _SELECTED)
        active = bool(state & _ACTIVE)
        group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
        # Icons and dots in the selection's text colour only on the accent (active)
        # selection; the inactive one is a quiet grey where normal colours read best.
        inverted = selected and active
        f = self.fonts(option.font)
        dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if selected:
            painter.fillRect(rect, palette.color(group, QPalette.ColorRole.Highlight))
        elif state & _HOVER:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        if selected:
            text_color = palette.color(group, QPalette.ColorRole.HighlightedText)
            muted = QColor(text_color)
            muted.setAlphaF(0.78)
        else:
            text_color = palette.color(QPalette.ColorRole.Text)
            muted = QColor(colors.muted_text)
        if self._open_id is not None and (row.key or row.conversation_id) == self._open_id:
            painter.fillRect(
                QRect(rect.left(), rect.top(), 3, rect.height()), QColor(colors.accent)
            )
        line = QColor(colors.border)
        line.setAlphaF(0.6)
        painter.setPen(line)
        painter.drawLine(rect.left() + Spacing.M, rect.bottom(), rect.right(), rect.bottom())

        left = rect.left() + Spacing.M
        top = rect.top() + Spacing.M - 2
        right = rect.right() - Spacing.M
        unread = row.unread
        painter.drawPixmap(
            left,
            top + 2,
            self._avatar(
                row.channel, unread > 0, inverted, QColor(text_color), palette, colors, dpr
            ),
        )
        x = left + AVATAR + Spacing.M
        width = max(10, right - x)

        # Line 1: name and time.
        height = f.bold_fm.height()
        time_font, time_fm = (f.small_bold, f.small_bold_fm) if unread else (f.small, f.small_fm)
        time_width = time_fm.horizontalAdvance(row.relative_time)
        painter.setFont(time_font)
        painter.setPen(QColor(colors.accent) if unread and not selected else muted)
        painter.drawText(QRect(x, top, width, height), _RIGHT, row.relative_time)
        name_width = max(10, width - time_width - Spacing.S)
        font, fm = (f.bold, f.bold_fm) if unread else (f.plain, f.plain_fm)
        painter.setFont(font)
        painter.setPen(text_color)
        painter.drawText(
            QRect(x, top, name_width, height), _LEFT, fm.elidedText(row.name, _ELIDE, name_width)
        )

        # Line 2: preview and the unread pill.
        top2 = top + height + LINE_GAP
        pill_width = 0
        if unread:
            count = "99+" if unread > 99 else str(unread)
            pill_height = f.small_fm.height() + 2
            pill_width = max(pill_height + 2, f.small_bold_fm.horizontalAdvance(count) + 12)
            pill = QRectF(
                right - pill_width + 1, top2 + (height - pill_height) / 2, pill_width, pill_height
            )
            painter.setPen(Qt.PenStyle.NoPen)
            # On a selected row the pill inverts the selection's own colours, so it stands
            # out on the accent (active) and on the grey (inactive) highlight alike.
            painter.setBrush(text_color if selected else QColor(colors.accent))
            painter.drawRoundedRect(pill, pill_height / 2, pill_height / 2)
            painter.setFont(f.small_bold)
            painter.setPen(
                palette.color(group, QPalette.ColorRole.Highlight)
                if selected
                else QColor(colors.accent_text)
            )
            painter.drawText(pill, _CENTER, count)
        preview = row.preview or row.subject or ""
        prefix = "You: " if row.direction == "outbound" and preview else ""
        if not preview:
            preview = "No messages yet"
        available = max(10, width - (pill_width + Spacing.S if pill_width else 0))
        painter.setFont(f.plain)
        prefix_width = 0
        if prefix:
            prefix_width = f.plain_fm.horizontalAdvance(prefix)
            painter.setPen(muted)
            painter.drawText(QRect(x, top2, prefix_width, height), _LEFT, prefix)
        rest = max(10, available - prefix_width)
        painter.setPen(text_color if unread else muted)
        painter.drawText(
            QRect(x + prefix_width, top2, rest, height),
            _LEFT,
            f.plain_fm.elidedText(preview, _ELIDE, rest),
        )

        # Line 3: status chip, channel and assignee, draft marker.
        top3 = top2 + height + LINE_GAP
        chip_height = f.small_fm.height() + 2
        if row.status == "snoozed":
            chip_text = (
                snooze_text(int(row.snoozed_until), self.now) if row.snoozed_until else "Snoozed"
            )
            tone = colors.warning
        elif row.status == "closed":
            chip_text, tone = "Closed", colors.muted_text
        else:
            chip_text, tone = row.status.capitalize(), colors.success
        if row.marked_unread:
            chip_text += " · marked unread"
        # Two pixels to spare: advances are rounded, and a chip must not elide its own text.
        chip_width = min(f.small_fm.horizontalAdvance(chip_text) + 14, width)
        chip = QRectF(x, top3, chip_width, chip_height)
        tint = QColor(tone)
        tint.setAlphaF(0.30 if selected else 0.16)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawRoundedRect(chip, 4, 4)
        painter.setFont(f.small)
        painter.setPen(text_color if selected else QColor(tone))
        painter.drawText(
            chip.adjusted(6, 0, -6, 0),
            _LEFT,
            f.small_fm.elidedText(chip_text, _ELIDE, chip_width - 10),
        )
        draft_width = 0
        # A failed send outranks a draft: the user must know the message did not go out.
        marker = ("Not sent", "error") if row.send_failed else ("Draft", "edit")
        if row.has_draft or row.send_failed:
            draft_width = f.small_bold_fm.horizontalAdvance(marker[0]) + 12 + Spacing.XS
            draft_left = right - draft_width + 1
            painter.drawPixmap(
                draft_left,
                int(top3 + (chip_height - 12) / 2),
                self._icon(marker[1], 12, inverted, dpr),
            )
            painter.setFont(f.small_bold)
            painter.setPen(text_color if selected else QColor(colors.danger))
            painter.drawText(
                QRect(draft_left + 12 + Spacing.XS, int(top3), draft_width, chip_height),
                _LEFT,
                marker[0],
            )
        cursor = x + int(chip_width) + Spacing.S
        space = right - cursor - (draft_width + Spacing.S if draft_width else 0)
        if row.owner_name is not None and space > chip_height + 20:
            cursor = self._owner_chip(
                painter, row, cursor, top3, chip_height, space, f, selected, text_color, colors
            )
            space = right - cursor - (draft_width + Spacing.S if draft_width else 0)
        if space > 20:
            channel = CHANNEL_LABELS.get(row.channel, row.channel.replace("_", " ").capitalize())
            label = f"{channel} · {row.assignee or 'Unassigned'}"
            painter.setFont(f.small)
            painter.setPen(muted)
            painter.drawText(
                QRect(cursor, int(top3), space, chip_height),
                _LEFT,
                f.small_fm.elidedText(label, _ELIDE, space),
            )

        if state & _FOCUS and not selected:
            # The keyboard's place when it differs from the selection (Ctrl+arrows).
            focus = QColor(colors.accent)
            focus.setAlphaF(0.7)
            painter.setPen(focus)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.restore()

    def _owner_chip(
        self,
        painter: QPainter,
        row: RowView,
        left: int,
        top: int,
        height: int,
        space: int,
        f: _Fonts,
        selected: bool,
        text_color: QColor,
        colors: ThemeColors,
    ) -> int:
        """The owning sub-account's chip (initial in a square of its colour, then its name);
        returns where the line continues."""
        name = row.owner_name or ""
        tone = owner_colour(row.owner_colour or 0, colors is DARK)
        name_width = min(f.small_bold_fm.horizontalAdvance(name) + 2, max(20, space // 2))
        width = height + Spacing.XS + name_width + 10
        chip = QRectF(left, top, width, height)
        tint = QColor(tone)
        tint.setAlphaF(0.30 if selected else 0.16)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawRoundedRect(chip, 4, 4)
        square = QRectF(left + 2, top + 2, height - 4, height - 4)
        painter.setBrush(tone)
        painter.drawRoundedRect(square, 2, 2)
        painter.setFont(f.small_bold)
        # The initial in the base colour on the square: white on dark hues, dark on light.
        painter.setPen(QColor("#ffffff") if tone.lightness() < 140 else QColor("#1b1b1f"))
        painter.drawText(square, _CENTER, owner_initial(name))
        painter.setPen(text_color if selected else tone)
        painter.drawText(
            QRectF(left + height + Spacing.XS, top, name_width + 4, height),
            _LEFT,
            f.small_bold_fm.elidedText(name, _ELIDE, name_width),
        )
        return int(left + width + Spacing.S)

    # ------------------------------------------------------------------ cached pixmaps

    def _avatar(
        self,
        channel: str,
        unread: bool,
        inverted: bool,
        inverted_text: QColor,
        palette: QPalette,
        colors: ThemeColors,
        dpr: float,
    ) -> QPixmap:
        """The round channel badge (with the unread dot), drawn once per look; ``inverted``
        draws it in the active selection's colours."""
        base = palette.color(QPalette.ColorRole.Base).name()
        dot = inverted_text.name() if inverted else colors.accent
        key = ("avatar", channel, unread, inverted, dot, base, dpr)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            return pixmap
        size = AVATAR + 2
        pixmap = QPixmap(round(size * dpr), round(size * dpr))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            fill = QColor(colors.accent if unread else colors.muted_text)
            fill.setAlphaF(0.28 if inverted else 0.16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawEllipse(QRectF(0, 0, AVATAR, AVATAR))
            glyph = self._icon(CHANNEL_ICONS.get(channel, "inbox"), ICON, inverted, dpr)
            offset = (AVATAR - ICON) // 2
            painter.drawPixmap(offset, offset, glyph)
            if unread:
                painter.setBrush(QColor(dot))
                painter.setPen(QColor(base))
                painter.drawEllipse(QRectF(AVATAR - 9, 0, 10, 10))
        finally:
            painter.end()
        self._pixmaps[key] = pixmap
        return pixmap

    def _icon(self, name: str, size: int, selected: bool, dpr: float) -> QPixmap:
        """An icon as a pixmap in the palette's colour, rendered once per size and colour."""
        palette = QGuiApplication.palette()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.WindowText
        key = ("icon", name, size, palette.color(role).name(), dpr)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            mode = QIcon.Mode.Selected if selected else QIcon.Mode.Normal
            pixmap = icon(name).pixmap(QSize(size, size), dpr, mode)
            self._pixmaps[key] = pixmap
        return pixmap
