"""The Inbox's composer: answer a conversation, or write an internal note.

What it shows and checks before anything is sent (docs/api/seedly-crm.md §4, §11):

- **Channel** (defaults to the conversation's). ``live_chat`` is offered on live chat
  conversations only: the API's send list omits it, but the sandbox accepts a
  ``live_chat`` reply on a ``live_chat`` conversation (an agent has to be able to answer
  the chats the widget brings in); on any other conversation it is refused there too.
  The core's ``MessageSend`` refuses ``live_chat`` outright, so that one channel is
  checked here (a text is required) and its body built by hand.
- **To**, for SMS and email/Gmail, prefilled from the contact (phone or email) and
  required when the contact has none (the server would refuse the send). Typed
  addresses are checked and normalised by the core's rule (E.164, email syntax).
- **Subject** for email and Gmail (prefilled ``Re: <conversation subject>``, required).
- **HTML** for email and Gmail, optional (a toggle): the plain text body is always sent
  too, as the API recommends (docs/api/seedly-crm.md §11).
- **Merge fields**: an insert menu with the standard fields and the sub-account's custom
  fields, highlighted in the editors, with a live preview of the text as this contact
  would receive it (unknown tokens and empty values said in words).
- **SMS counter**: characters and SMS parts of the text as it will be sent (merge fields
  resolved), by the core's GSM-7/UCS-2 rule; special characters that shorten each part are
  named on a line of their own, with an offer to replace them.
- **Meta's 24-hour window** for Messenger and Instagram: a warning when the contact's
  last message on the channel in this conversation is older than 24 hours (or there is
  none), read from the cache.
- **DND**: a warning when the contact opted out of the channel (``dndChannels``):
  Seedly skips such sends silently. Email and Gmail count as one, as the sandbox
  treats them.
- **Internal note** mode (``isInternal: true``): the API lists ``isInternal`` on
  messages, not among the send fields; the sandbox accepts it on a send and stores a
  note that is never delivered. The composer offers it (docs/api/seedly-crm.md §4); a
  server that ignored the field would send the note to the contact.

Sending goes through the outbox only (the port's sender, ``compose``): the message is on disk
as queued before anything leaves, appears in the thread at once, goes out when the
network is back, and never twice. Ctrl+Enter sends; Esc leaves the composer.

Drafts are kept per conversation in the cache (through the port's ``InboxReader``): saved a moment
after the user stops typing, flushed when the conversation changes, restored when it
is opened again (also after a restart) and cleared once the message is queued.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.constants import SEND_CHANNELS
from app.core.errors import ValidationFailed
from app.core.merge_fields import (
    MergeField,
    MergePreview,
    available_merge_fields,
    find_tokens,
    render_merge_fields,
)
from app.core.models import Contact, ContactSummary
from app.core.phones import display_phone
from app.core.payloads import MessageSend, build, recipient_for
from app.core.sms import (
    GSM7_SINGLE,
    UCS2_SINGLE,
    SmsEncoding,
    count_sms,
    replace_lookalikes,
)
from app.services.ports.inbox import InboxPort, InboxReader, OutboxItem, StorageError
from app.ui.common.fields import field_stylesheet, scheme_colors, set_flag
from app.ui.theme import Spacing, icon, repolish
from app.ui.common.widgets import Banner

log = logging.getLogger(__name__)

CHANNEL_LABELS: dict[str, str] = {
    "sms": "SMS",
    "email": "Email",
    "gmail": "Gmail",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "live_chat": "Live chat",
    "social_dm": "Social DM",
}
"""Channel names as the UI writes them."""

CHANNEL_ICON_NAMES: dict[str, str] = {
    "sms": "sms",
    "email": "mail",
    "gmail": "gmail",
    "messenger": "messenger",
    "instagram": "instagram",
    "live_chat": "live-chat",
    "social_dm": "social-dm",
}
"""The theme icon of each channel (the same as global search's)."""

EMAIL_CHANNELS = frozenset({"email", "gmail"})
PHONE_CHANNELS = frozenset({"sms"})
META_CHANNELS = frozenset({"messenger", "instagram"})
META_WINDOW_MS = 24 * 3600 * 1000
"""Meta's messaging window (docs/api/seedly-crm.md §11): replies only within 24 hours of
the contact's last message."""

DRAFT_DELAY_MS = 500
"""How long after the last keystroke a draft is written."""


def channel_label(channel: str) -> str:
    """``SMS``, ``Email``…; an unknown channel as written."""
    return CHANNEL_LABELS.get(channel, channel.replace("_", " ").capitalize())


def reply_subject(subject: str | None) -> str:
    """``Re: subject`` without stacking ``Re: Re:`` (empty without a subject)."""
    subject = (subject or "").strip()
    if not subject:
        return ""
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


def dnd_blocks(channel: str, dnd_channels: object) -> bool:
    """Whether the contact's opt-outs cover ``channel`` (email and Gmail reach the same
    mailbox, so an opt-out of either covers both, as the sandbox enforces it)."""
    opted = {str(c) for c in dnd_channels} if isinstance(dnd_channels, list | tuple) else set()
    if channel in EMAIL_CHANNELS:
        return bool(opted & EMAIL_CHANNELS)
    return channel in opted


def contact_name(contact: Mapping[str, Any] | None, conversation: Mapping[str, Any] | None) -> str:
    """The contact's name for sentences: cached contact, else the conversation's summary."""
    for source in (contact, (conversation or {}).get("contact")):
        if isinstance(source, Mapping):
            first = str(source.get("firstName") or "").strip()
            last = str(source.get("lastName") or "").strip()
            name = " ".join(p for p in (first, last) if p) or str(source.get("name") or "").strip()
            if name:
                return name
            for key in ("email", "phone"):
                if source.get(key):
                    return str(source[key])
    return "The contact"


def _ago(ms: int) -> str:
    hours = ms / 3_600_000
    if hours < 48:
        return f"{max(1, round(hours))} hours ago"
    return f"{round(hours / 24)} days ago"


@dataclass(frozen=True)
class Notice:
    """A warning shown above the send button (severity and sentence)."""

    severity: str
    text: str


def meta_window_notice(
    channel: str, last_inbound: int | None, now_ms: int, name: str
) -> Notice | None:
    """The 24-hour window warning for a Messenger/Instagram reply, or None."""
    if channel not in META_CHANNELS:
        return None
    label = channel_label(channel)
    if last_inbound is None:
        return Notice(
            "warning",
            f"{name} has not written on {label} in this conversation. Meta only lets a "
            "business answer within 24 hours of the person's last message, so this reply "
            "will probably not be delivered.",
        )
    age = now_ms - last_inbound
    if age <= META_WINDOW_MS:
        return None
    return Notice(
        "warning",
        f"{name}'s last {label} message was {_ago(age)}. Meta only lets a business answer "
        "within 24 hours of the person's last message, so this reply will probably not be "
        "delivered. Wait for them to write again, or answer on another channel.",
    )


def dnd_notice(channel: str, contact: Mapping[str, Any] | None, name: str) -> Notice | None:
    """The Do Not Disturb warning when the contact opted out of ``channel``, or None."""
    if contact is None or not dnd_blocks(channel, contact.get("dndChannels")):
        return None
    return Notice(
        "danger",
        f"{name} has opted out of {channel_label(channel)} messages (Do Not Disturb). "
        "Seedly skips such a send without an error: this message will not reach them. "
        "Choose another channel, or write an internal note.",
    )


def sms_counter_text(text: str) -> str:
    """``"42/160 · 1 SMS"`` or ``"192 chars · 2 SMS"``: short enough never to be cut."""
    count = count_sms(text)
    if count.segments <= 1:
        return f"{count.units}/{count.per_segment} · 1 SMS"
    return f"{count.units} chars · {count.segments} SMS"


def sms_counter_detail(text: str) -> str:
    """The counter's tooltip: how the parts are filled (``""`` for a single SMS)."""
    count = count_sms(text)
    if count.segments <= 1:
        return ""
    return f"{count.per_segment} characters per SMS part; {count.remaining} left in the last part."


def sms_special_reason(text: str) -> str:
    """Why each SMS holds fewer characters (``""`` when the text has no special characters):
    ``"Special characters (’ “) make each SMS hold 70 characters instead of 160."``"""
    count = count_sms(text)
    if count.encoding is not SmsEncoding.UCS2:
        return ""
    shown = " ".join(count.non_gsm[:3]) + (" …" if len(count.non_gsm) > 3 else "")
    return (
        f"Special characters ({shown}) make each SMS hold {UCS2_SINGLE} characters "
        f"instead of {GSM7_SINGLE}."
    )


class _TokenHighlighter(QSyntaxHighlighter):
    """Colours ``{{…}}`` tokens: known merge fields in the accent, unknown ones underlined
    in the danger colour."""

    def __init__(self, document: QTextDocument, known: Callable[[], set[str]]) -> None:
        super().__init__(document)
        self._known = known

    def highlightBlock(self, text: str) -> None:
        tokens = find_tokens(text)
        if not tokens:
            return
        colors = scheme_colors()
        known = self._known()
        good = QTextCharFormat()
        good.setForeground(QColor(colors.accent))
        good.setFontWeight(QFont.Weight.DemiBold)
        bad = QTextCharFormat()
        bad.setForeground(QColor(colors.danger))
        bad.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        bad.setUnderlineColor(QColor(colors.danger))
        for token in tokens:
            fmt = good if token.key.strip() in known else bad
            self.setFormat(token.start, token.end - token.start, fmt)


class Composer(QWidget):
    """Write a reply or an internal note for one conversation (see the module docstring).

    ``set_conversation(id)`` binds it (flushing the previous conversation's draft),
    ``refresh_context()`` re-reads the conversation and contact (after a sync),
    ``refresh_window()`` re-checks Meta's window (after new messages), ``send()`` queues
    the message in the outbox.
    """

    messageQueued = Signal(str)
    """A message was stored in the outbox (it shows in the thread as queued); the
    argument is its client id."""

    leaveRequested = Signal()
    """The user pressed Esc: focus should go back to the thread."""

    def __init__(
        self,
        port: InboxPort,
        parent: QWidget | None = None,
        *,
        draft_delay_ms: int = DRAFT_DELAY_MS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.port = port
        self._clock = clock
        self._reader: InboxReader | None = None
        self._conversation_id: str | None = None
        self._conversation: dict[str, Any] | None = None
        self._contact: dict[str, Any] | None = None
        self._fields: list[MergeField] = []
        self._custom_names: list[str] = []
        self._to_edited = False
        self._subject_edited = False
        self._restoring = False
        self._validate_live = False
        self._target: QWidget | None = None
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(draft_delay_ms)
        self._draft_timer.timeout.connect(self._save_draft)
        self._window_timer = QTimer(self)
        self._window_timer.setInterval(60_000)  # the 24-hour window moves with the clock
        self._window_timer.timeout.connect(self.refresh_window)
        self._build()
        self._connect()
        self.setStyleSheet(field_stylesheet(scheme_colors()))
        app = QCoreApplication.instance()
        if app is not None:
            # A draft typed in the last half second before quitting is still kept.
            app.aboutToQuit.connect(self.flush_draft)
        self.set_conversation(None)

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(Spacing.M, Spacing.S, Spacing.M, Spacing.M)
        root.setSpacing(Spacing.XS)

        top = QHBoxLayout()
        top.setSpacing(Spacing.S)
        self.reply_button = QToolButton(self)
        self.reply_button.setText("Reply")
        self.reply_button.setIcon(icon("send"))
        self.note_button = QToolButton(self)
        self.note_button.setText("Internal note")
        self.note_button.setIcon(icon("note"))
        self.note_button.setToolTip(
            "Write a note only your team sees; it is never sent to the contact."
        )
        self._modes = QButtonGroup(self)
        self._modes.setExclusive(True)
        for button in (self.reply_button, self.note_button):
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self._modes.addButton(button)
            top.addWidget(button)
        self.reply_button.setChecked(True)
        top.addSpacing(Spacing.S)
        self.channel_box = QComboBox(self)
        self.channel_box.setAccessibleName("Channel")
        self.channel_box.setIconSize(QSize(16, 16))
        top.addWidget(self.channel_box)
        self.to_label = QLabel("To", self)
        self.to_edit = QLineEdit(self)
        self.to_edit.setAccessibleName("Recipient")
        self.to_edit.setClearButtonEnabled(True)
        top.addWidget(self.to_label)
        top.addWidget(self.to_edit, 1)
        self._top_stretch = QWidget(self)
        self._top_stretch.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        top.addWidget(self._top_stretch)
        root.addLayout(top)
        self.to_error = self._error_label()
        root.addWidget(self.to_error)

        subject_row = QGridLayout()
        subject_row.setContentsMargins(0, 0, 0, 0)
        subject_row.setHorizontalSpacing(Spacing.S)
        self.subject_label = QLabel("Subject", self)
        self.subject_edit = QLineEdit(self)
        self.subject_edit.setAccessibleName("Subject")
        subject_row.addWidget(self.subject_label, 0, 0)
        subject_row.addWidget(self.subject_edit, 0, 1)
        root.addLayout(subject_row)
        self.subject_error = self._error_label()
        root.addWidget(self.subject_error)

        self.body_edit = QPlainTextEdit(self)
        self.body_edit.setAccessibleName("Message")
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setMinimumHeight(64)
        self.body_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        root.addWidget(self.body_edit, 1)
        self.body_error = self._error_label()
        root.addWidget(self.body_error)

        self.html_edit = QPlainTextEdit(self)
        self.html_edit.setAccessibleName("HTML body")
        self.html_edit.setPlaceholderText(
            "HTML version of the email (the plain text above is sent too)"
        )
        self.html_edit.setTabChangesFocus(True)
        self.html_edit.setMinimumHeight(56)
        fixed = QFont("monospace")
        fixed.setStyleHint(QFont.StyleHint.Monospace)
        self.html_edit.setFont(fixed)
        root.addWidget(self.html_edit, 1)
        self.html_error = self._error_label()
        root.addWidget(self.html_error)

        self.preview_label = QLabel(self)
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_label.setProperty("muted", True)
        self.preview_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.preview_label)
        self.merge_problems = self._error_label()
        root.addWidget(self.merge_problems)

        self.dnd_banner = Banner(self, closable=False)
        root.addWidget(self.dnd_banner)
        self.window_banner = Banner(self, closable=False)
        root.addWidget(self.window_banner)
        self.send_error = self._error_label()
        root.addWidget(self.send_error)
        self.sms_reason = QLabel(self)
        self.sms_reason.setProperty("muted", True)
        self.sms_reason.setWordWrap(True)
        self.sms_reason.setTextFormat(Qt.TextFormat.RichText)
        self.sms_reason.linkActivated.connect(lambda _link: self.replace_special_characters())
        self.sms_reason.hide()
        root.addWidget(self.sms_reason)

        bottom = QHBoxLayout()
        bottom.setSpacing(Spacing.S)
        self.fields_button = QToolButton(self)
        self.fields_button.setText("Insert field")
        self.fields_button.setIcon(icon("add"))
        self.fields_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.fields_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.fields_button.setAutoRaise(True)
        self.fields_menu = QMenu(self.fields_button)
        self.fields_button.setMenu(self.fields_menu)
        bottom.addWidget(self.fields_button)
        self.html_toggle = QToolButton(self)
        self.html_toggle.setText("HTML")
        self.html_toggle.setCheckable(True)
        self.html_toggle.setAutoRaise(True)
        self.html_toggle.setToolTip("Add an HTML version of the email (the plain text is sent too)")
        bottom.addWidget(self.html_toggle)
        self.counter_label = QLabel(self)
        self.counter_label.setProperty("muted", True)
        bottom.addWidget(self.counter_label)
        bottom.addStretch(1)
        self.hint_label = QLabel("Ctrl+Enter to send", self)
        self.hint_label.setProperty("muted", True)
        bottom.addWidget(self.hint_label)
        self.send_button = QPushButton(self)
        self.send_button.setIcon(icon("send"))
        self.send_button.setDefault(False)
        self.send_button.setAutoDefault(False)
        bottom.addWidget(self.send_button)
        root.addLayout(bottom)

        self._highlighters = [
            _TokenHighlighter(self.body_edit.document(), self._known_keys),
            _TokenHighlighter(self.html_edit.document(), self._known_keys),
        ]
        for editor in (self.body_edit, self.html_edit, self.subject_edit):
            editor.installEventFilter(self)

        self.send_shortcuts = [
            QShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Return), self),
            QShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Enter), self),
        ]
        for shortcut in self.send_shortcuts:
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.setAutoRepeat(False)  # a held Ctrl+Enter must not queue the next draft
            shortcut.activated.connect(self.send)
        self.escape_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.escape_shortcut.activated.connect(self.leaveRequested)

    def _error_label(self) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.setProperty("fieldError", True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.hide()
        return label

    def _connect(self) -> None:
        self._modes.buttonToggled.connect(self._mode_toggled)
        self.channel_box.currentIndexChanged.connect(self._channel_changed)
        self.to_edit.textEdited.connect(self._to_typed)
        self.subject_edit.textEdited.connect(self._subject_typed)
        self.body_edit.textChanged.connect(self._changed)
        self.html_edit.textChanged.connect(self._changed)
        self.html_toggle.toggled.connect(self._html_toggled)
        self.send_button.clicked.connect(self.send)
        self.fields_menu.triggered.connect(self._insert_field)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            self._target = watched  # where "Insert field" puts the token
        return super().eventFilter(watched, event)

    # -- state -------------------------------------------------------------------------------
    @property
    def conversation_id(self) -> str | None:
        """The conversation being answered (None: the composer is disabled)."""
        return self._conversation_id

    @property
    def is_note(self) -> bool:
        """Internal note mode."""
        return self.note_button.isChecked()

    @property
    def channel(self) -> str:
        """The channel chosen ("" when none)."""
        return str(self.channel_box.currentData() or "")

    def set_note_mode(self, on: bool) -> None:
        """Switch between a reply and an internal note."""
        (self.note_button if on else self.reply_button).setChecked(True)

    def set_channel(self, channel: str) -> bool:
        """Choose ``channel`` if it is offered; False when it is not."""
        at = self.channel_box.findData(channel)
        if at < 0:
            return False
        self.channel_box.setCurrentIndex(at)
        return True

    def focus_body(self) -> None:
        """Put the cursor in the message text."""
        self.body_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _known_keys(self) -> set[str]:
        return {f.key for f in self._fields}

    # -- binding -------------------------------------------------------------------------
    def set_conversation(self, conversation_id: str | None) -> None:
        """Answer ``conversation_id`` of the active sub-account (None: nothing). The draft
        of the previous conversation is written first; this one's is restored."""
        self.flush_draft()
        self._reader = self.port.reader() if conversation_id else None
        self._conversation_id = conversation_id if self._reader is not None else None
        self._validate_live = False
        self._clear_errors()
        self._restoring = True
        try:
            self._load_context()
            self._fill_channels()
            self._fill_fields_menu()
            self._to_edited = self._subject_edited = False
            self.body_edit.setPlainText("")
            self.html_edit.setPlainText("")
            self.html_toggle.setChecked(False)
            self.reply_button.setChecked(True)
            self._apply_channel_defaults()
            self._restore_draft()
        finally:
            self._restoring = False
        self.setEnabled(self._conversation_id is not None)
        if self._conversation_id is not None:
            self._window_timer.start()
        else:
            self._window_timer.stop()
        self._update_visibility()
        self._update_feedback()

    def _load_context(self) -> None:
        self._conversation = self._contact = None
        self._fields, self._custom_names = list(available_merge_fields()), []
        reader, cid = self._reader, self._conversation_id
        if reader is None or cid is None:
            return
        try:
            self._conversation = reader.conversation(cid)
            contact_id = (self._conversation or {}).get("contactId")
            self._contact = reader.contact(str(contact_id)) if contact_id else None
            definitions = reader.custom_fields()
            self._fields = available_merge_fields(definitions)
            self._custom_names = [d.name for d in definitions]
        except StorageError as exc:
            log.error("could not read the conversation %s: %s", cid, exc)
            self._show_send_error(f"This conversation could not be read from the cache ({exc}).")

    def refresh_context(self) -> None:
        """Re-read the conversation and its contact (a sync changed them): the recipient
        prefill (unless typed), the subject prefill, DND and the preview follow."""
        if self._conversation_id is None:
            return
        self._restoring = True
        try:
            previous = self.channel
            self._load_context()
            self._fill_channels(keep=previous)
            self._fill_fields_menu()
            self._apply_channel_defaults()
        finally:
            self._restoring = False
        self._update_visibility()
        self._update_feedback()

    def refresh_window(self) -> None:
        """Re-check Meta's 24-hour window (new messages arrived, or time passed)."""
        self._update_notices()

    def _offered_channels(self) -> list[str]:
        conversation_channel = str((self._conversation or {}).get("channel") or "")
        channels = list(SEND_CHANNELS)
        if conversation_channel == "live_chat":
            channels.insert(0, "live_chat")
        return channels

    def _fill_channels(self, keep: str | None = None) -> None:
        wanted = keep or str((self._conversation or {}).get("channel") or "")
        self.channel_box.blockSignals(True)
        try:
            self.channel_box.clear()
            for channel in self._offered_channels():
                self.channel_box.addItem(
                    icon(CHANNEL_ICON_NAMES.get(channel, "inbox")), channel_label(channel), channel
                )
            at = self.channel_box.findData(wanted)
            self.channel_box.setCurrentIndex(at if at >= 0 else 0)
        finally:
            self.channel_box.blockSignals(False)

    def _fill_fields_menu(self) -> None:
        self.fields_menu.clear()
        standard = [f for f in self._fields if not f.key.startswith("custom_values.")]
        custom = [f for f in self._fields if f.key.startswith("custom_values.")]
        for field in standard:
            action = self.fields_menu.addAction(f"{field.label}  {field.token}")
            action.setData(field.token)
        if custom:
            self.fields_menu.addSection("Custom fields")
            for field in custom:
                action = self.fields_menu.addAction(f"{field.label}  {field.token}")
                action.setData(field.token)

    def _recipient(self, channel: str) -> str | None:
        """The address the server would derive for ``channel`` from the contact."""
        doc = self._contact
        try:
            if doc is not None:
                return recipient_for(channel, Contact.model_validate(doc))
            summary = (self._conversation or {}).get("contact")
            if isinstance(summary, Mapping):
                return recipient_for(channel, ContactSummary.model_validate(summary))
        except ValueError:
            # A cached document the model cannot read: fall back to its plain fields.
            source = doc or (self._conversation or {}).get("contact") or {}
            key = "phone" if channel in PHONE_CHANNELS else "email"
            value = source.get(key) if channel in PHONE_CHANNELS | EMAIL_CHANNELS else None
            return str(value) if value else None
        return None

    def _apply_channel_defaults(self) -> None:
        channel = self.channel
        if not self._to_edited:
            recipient = self._recipient(channel) or ""
            # Numbers as everywhere on screen ((617) 555-0142); sending normalises to E.164.
            if recipient and channel in PHONE_CHANNELS:
                recipient = display_phone(recipient)
            self.to_edit.setText(recipient)
        if not self._subject_edited:
            self.subject_edit.setText(reply_subject((self._conversation or {}).get("subject")))
        if channel in PHONE_CHANNELS:
            self.to_edit.setPlaceholderText("Phone number, e.g. +1 555 123 4567")
        else:
            self.to_edit.setPlaceholderText("Email address")

    def _restore_draft(self) -> None:
        reader, cid = self._reader, self._conversation_id
        if reader is None or cid is None:
            return
        try:
            draft = reader.draft(cid)
        except StorageError as exc:
            log.error("could not read the draft of %s: %s", cid, exc)
            return
        if not draft:
            return
        if draft.get("mode") == "note":
            self.note_button.setChecked(True)
        channel = draft.get("channel")
        if isinstance(channel, str):
            self.set_channel(channel)
        self._apply_channel_defaults()
        if draft.get("toEdited"):
            self._to_edited = True
            self.to_edit.setText(str(draft.get("toAddress") or ""))
        if draft.get("subjectEdited"):
            self._subject_edited = True
            self.subject_edit.setText(str(draft.get("subject") or ""))
        self.body_edit.setPlainText(str(draft.get("bodyText") or ""))
        self.html_edit.setPlainText(str(draft.get("bodyHtml") or ""))
        self.html_toggle.setChecked(bool(draft.get("html")))

    # -- drafts ------------------------------------------------------------------------------
    def draft_data(self) -> dict[str, Any]:
        """What the draft of the current conversation holds."""
        return {
            "mode": "note" if self.is_note else "reply",
            "channel": self.channel,
            "toAddress": self.to_edit.text(),
            "toEdited": self._to_edited,
            "subject": self.subject_edit.text(),
            "subjectEdited": self._subject_edited,
            "bodyText": self.body_edit.toPlainText(),
            "html": self.html_toggle.isChecked(),
            "bodyHtml": self.html_edit.toPlainText(),
        }

    def _has_content(self) -> bool:
        return bool(
            self.body_edit.toPlainText().strip()
            or self.html_edit.toPlainText().strip()
            or self._to_edited
            or self._subject_edited
        )

    def flush_draft(self) -> None:
        """Write the pending draft now (or forget it when the composer is empty)."""
        if self._draft_timer.isActive():
            self._draft_timer.stop()
            self._save_draft()

    def _save_draft(self) -> None:
        reader, cid = self._reader, self._conversation_id
        if reader is None or cid is None:
            return
        try:
            if self._has_content():
                reader.save_draft(cid, self.draft_data())
            else:
                reader.clear_draft(cid)
        except StorageError as exc:
            log.error("could not save the draft of %s: %s", cid, exc)
            self._show_send_error(
                f"The draft could not be saved ({exc}). Keep this window open until the "
                "message is sent."
            )

    def _changed(self) -> None:
        if self._restoring:
            return
        self._draft_timer.start()
        self._update_feedback()

    # -- reactions ----------------------------------------------------------------------------
    def _mode_toggled(self, _button: Any, checked: bool) -> None:
        if not checked:
            return
        self._update_visibility()
        self._changed()
        self._update_feedback()

    def _channel_changed(self, _index: int) -> None:
        if self._restoring:
            return
        # A phone number typed for SMS means nothing for email, and the other way round.
        self._to_edited = False
        self._apply_channel_defaults()
        self._update_visibility()
        self._changed()

    def _to_typed(self, _text: str) -> None:
        self._to_edited = True
        self._changed()

    def _subject_typed(self, _text: str) -> None:
        self._subject_edited = True
        self._changed()

    def _html_toggled(self, on: bool) -> None:
        if on and not self.html_edit.toPlainText().strip() and not self._restoring:
            self.html_edit.setPlainText(_paragraphs(self.body_edit.toPlainText()))
        self._update_visibility()
        self._changed()

    def _insert_field(self, action: Any) -> None:
        token = str(action.data() or "")
        if not token:
            return
        target = self._target if self._target is not None else self.body_edit
        if target is self.subject_edit and self.subject_edit.isVisible():
            self.subject_edit.insert(token)
            self._subject_typed(self.subject_edit.text())
            self.subject_edit.setFocus()
            return
        editor = target if isinstance(target, QPlainTextEdit) and target.isVisible() else None
        editor = editor or self.body_edit
        editor.insertPlainText(token)
        editor.setFocus()

    # -- what is shown ----------------------------------------------------------------------
    def _update_visibility(self) -> None:
        note, channel = self.is_note, self.channel
        email = channel in EMAIL_CHANNELS and not note
        addressed = channel in PHONE_CHANNELS | EMAIL_CHANNELS and not note
        self.channel_box.setVisible(not note)
        self.to_label.setVisible(addressed)
        self.to_edit.setVisible(addressed)
        self._top_stretch.setVisible(not addressed)
        self.subject_label.setVisible(email)
        self.subject_edit.setVisible(email)
        self.html_toggle.setVisible(email)
        self.html_edit.setVisible(email and self.html_toggle.isChecked())
        self.counter_label.setVisible(channel == "sms" and not note)
        self._update_sms_counter()
        if note:
            self.body_edit.setPlaceholderText(
                "Write an internal note: only your team sees it, it is never sent"
            )
            self.send_button.setText("Add note")
            self.send_button.setIcon(icon("note"))
        else:
            self.body_edit.setPlaceholderText(f"Write a {channel_label(channel)} reply…")
            self.send_button.setText("Send")
            self.send_button.setIcon(icon("send"))
        set_flag(self, "noteMode", note)
        if not addressed:
            self.to_error.hide()
        if not email:
            self.subject_error.hide()
            self.html_error.hide()

    def _update_sms_counter(self) -> None:
        text = self.preview_text()
        self.counter_label.setText(sms_counter_text(text))
        self.counter_label.setToolTip(sms_counter_detail(text))
        reason = sms_special_reason(text) if self.counter_label.isVisibleTo(self) else ""
        body = self.body_edit.toPlainText()
        if reason and replace_lookalikes(body) != body:
            # Only offered when the body itself holds them (not a merged value).
            reason = f'{html.escape(reason)} <a href="replace">Replace them</a>'
        else:
            reason = html.escape(reason)
        self.sms_reason.setText(reason)
        self.sms_reason.setVisible(bool(reason))

    def replace_special_characters(self) -> None:
        """Replace the body's typographic quotes, dashes… by their GSM-7 look-alikes (one
        undo step), so each SMS holds 160 characters again."""
        body = self.body_edit.toPlainText()
        replaced = replace_lookalikes(body)
        if replaced == body:
            return
        cursor = self.body_edit.textCursor()
        position = cursor.position()
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(replaced)
        cursor.endEditBlock()
        cursor.setPosition(min(position, len(replaced)))
        self.body_edit.setTextCursor(cursor)

    def preview_text(self) -> str:
        """The body as this contact would receive it (merge fields resolved)."""
        return self._render(self.body_edit.toPlainText()).text

    def _render(self, text: str) -> MergePreview:
        contact: Mapping[str, Any] | None = self._contact
        if contact is None:
            summary = (self._conversation or {}).get("contact")
            contact = summary if isinstance(summary, Mapping) else None
        return render_merge_fields(text, contact, custom_field_names=self._custom_names)

    def _update_feedback(self) -> None:
        body = self.body_edit.toPlainText()
        texts = [body, self.subject_edit.text() if self.subject_edit.isVisible() else ""]
        if self.html_edit.isVisible():
            texts.append(self.html_edit.toPlainText())
        tokens = [t for text in texts for t in find_tokens(text)]
        if tokens:
            name = contact_name(self._contact, self._conversation)
            rendered = self._render(body)
            preview = rendered.text if body.strip() else ""
            self.preview_label.setText(f"Preview for {name}: {preview}" if preview else "")
            self.preview_label.setVisible(bool(preview))
            problems: list[str] = []
            unknown = {u.text: u for text in texts for u in self._render(text).unknown}
            for token, u in unknown.items():
                hint = f" Did you mean {u.suggestion}?" if u.suggestion else ""
                problems.append(f"{token} is not a merge field: it would be sent as written.{hint}")
            empty = [self._field_label(key) for text in texts for key in self._render(text).empty]
            if empty:
                problems.append(
                    f"No value for {name}: {', '.join(dict.fromkeys(empty))} "
                    "(left empty in the message)."
                )
            self.merge_problems.setText("\n".join(problems))
            self.merge_problems.setVisible(bool(problems))
        else:
            self.preview_label.hide()
            self.preview_label.setText("")
            self.merge_problems.hide()
            self.merge_problems.setText("")
        self._update_sms_counter()
        self._update_notices()
        if self._validate_live:
            self._show_errors(self._validate()[1])

    def _field_label(self, key: str) -> str:
        for field in self._fields:
            if field.key == key:
                return field.label
        return key

    def notices(self) -> list[Notice]:
        """The warnings that apply to what is being written (DND, Meta's window)."""
        if self.is_note or self._conversation_id is None or self._reader is None:
            return []
        channel = self.channel
        name = contact_name(self._contact, self._conversation)
        found: list[Notice] = []
        dnd = dnd_notice(channel, self._contact, name)
        if dnd is not None:
            found.append(dnd)
        if channel in META_CHANNELS:
            try:
                last = self._reader.last_inbound_ms(self._conversation_id, channel)
            except StorageError as exc:
                log.error("could not read the thread for the 24-hour window: %s", exc)
                last = None
            window = meta_window_notice(channel, last, int(self._clock() * 1000), name)
            if window is not None:
                found.append(window)
        return found

    def _update_notices(self) -> None:
        notices = self.notices()
        dnd = next((n for n in notices if n.severity == "danger"), None)
        window = next((n for n in notices if n.severity == "warning"), None)
        for banner, notice in ((self.dnd_banner, dnd), (self.window_banner, window)):
            if notice is None:
                banner.hide()
            elif banner.text != notice.text or banner.isHidden():
                banner.show_message(notice.severity, notice.text)
        self.updateGeometry()  # the splitter keeps at least the new minimum

    def minimumSizeHint(self) -> QSize:
        """The layout's minimum with each notice at its wrapped height: a splitter never
        squeezes a notice's last lines away (layouts count a wrapped label as one line)."""
        base = super().minimumSizeHint()
        extra = 0
        for banner in (self.dnd_banner, self.window_banner):
            if banner.isHidden():
                continue
            width = banner.width() if banner.width() > 50 else self.width() - 2 * Spacing.M
            if width > 0 and banner.hasHeightForWidth():
                extra += max(0, banner.heightForWidth(width) - banner.minimumSizeHint().height())
        return QSize(base.width(), base.height() + extra)

    # -- validation and sending ---------------------------------------------------------------
    def _validate(self) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """The send body, or the problems by wire field (``toAddress``, ``subject``…)."""
        body = self.body_edit.toPlainText()
        conversation_channel = str((self._conversation or {}).get("channel") or "")
        if self.is_note:
            if not body.strip():
                return None, {"bodyText": "Type a note before adding it."}
            channel = conversation_channel or self.channel
            return {"bodyText": body, "channel": channel, "isInternal": True}, {}
        channel = self.channel
        errors: dict[str, str] = {}
        name = contact_name(self._contact, self._conversation)
        to = self.to_edit.text().strip()
        if channel in PHONE_CHANNELS and not to and not self._recipient(channel):
            errors["toAddress"] = f"Enter a phone number to text: {name} has none on file."
        if channel in EMAIL_CHANNELS and not to and not self._recipient(channel):
            errors["toAddress"] = f"Enter an email address: {name} has none on file."
        subject = self.subject_edit.text().strip()
        if channel in EMAIL_CHANNELS and not subject:
            errors["subject"] = "Enter a subject: an email needs one."
        if channel == "live_chat":
            if not body.strip():
                errors["bodyText"] = "Type a message before sending."
            return (None, errors) if errors else ({"bodyText": body, "channel": channel}, {})
        data: dict[str, Any] = {"bodyText": body, "channel": channel}
        if channel in PHONE_CHANNELS | EMAIL_CHANNELS and to:
            data["toAddress"] = to
        if channel in EMAIL_CHANNELS:
            data["subject"] = subject
            html = self.html_edit.toPlainText()
            if self.html_toggle.isChecked() and html.strip():
                data["bodyHtml"] = html
        try:
            payload = build(MessageSend, data).to_body()
        except ValidationFailed as exc:
            for path, sentence in exc.errors.items():
                errors.setdefault(path, sentence)
            return None, errors
        return (None, errors) if errors else (payload, {})

    def _clear_errors(self) -> None:
        for label in (
            self.to_error,
            self.subject_error,
            self.body_error,
            self.html_error,
            self.send_error,
        ):
            label.setText("")
            label.hide()
        for editor in (self.to_edit, self.subject_edit):
            set_flag(editor, "invalid", False)

    def _show_errors(self, errors: Mapping[str, str]) -> None:
        placement = {
            "toAddress": self.to_error,
            "subject": self.subject_error,
            "bodyText": self.body_error,
            "bodyHtml": self.html_error,
        }
        for path, label in placement.items():
            text = errors.get(path, "")
            label.setText(text)
            label.setVisible(bool(text))
        rest = [s for p, s in errors.items() if p not in placement]
        self.send_error.setText(" ".join(rest))
        self.send_error.setVisible(bool(rest))
        set_flag(self.to_edit, "invalid", "toAddress" in errors)
        set_flag(self.subject_edit, "invalid", "subject" in errors)

    def _show_send_error(self, text: str) -> None:
        self.send_error.setText(text)
        self.send_error.setVisible(bool(text))

    def errors(self) -> dict[str, str]:
        """The problems shown now, by wire field (what the user sees under each field)."""
        shown: dict[str, str] = {}
        for path, label in (
            ("toAddress", self.to_error),
            ("subject", self.subject_error),
            ("bodyText", self.body_error),
            ("bodyHtml", self.html_error),
            ("(form)", self.send_error),
        ):
            if label.text() and not label.isHidden():
                shown[path] = label.text()
        return shown

    def send(self) -> OutboxItem | None:
        """Check the message and store it in the outbox (it goes out from there, once);
        returns the queued item, or None when something must be fixed first (shown)."""
        if self._conversation_id is None:
            return None
        payload, errors = self._validate()
        self._validate_live = True
        self._show_errors(errors)
        if payload is None:
            first = next(iter(errors), "")
            target = {"toAddress": self.to_edit, "subject": self.subject_edit}.get(first)
            (target or self.body_edit).setFocus()
            return None
        sender = self.port.sender(self._reader) if self._reader is not None else None
        if sender is None:
            self._show_send_error(
                "Not connected to this sub-account any more: the message was not sent. "
                "Open the conversation again and resend it."
            )
            return None
        try:
            item: OutboxItem = sender.compose(self._conversation_id, payload)
        except StorageError as exc:
            log.error("could not queue a message: %s", exc)
            self._show_send_error(
                f"The message could not be saved for sending ({exc}). Nothing was sent; try again."
            )
            return None
        self._after_send()
        self.messageQueued.emit(item.client_id)
        return item

    def _after_send(self) -> None:
        self._draft_timer.stop()
        self._validate_live = False
        self._restoring = True
        try:
            self.body_edit.setPlainText("")
            self.html_edit.setPlainText("")
            self.html_toggle.setChecked(False)
            self._to_edited = self._subject_edited = False
            self._apply_channel_defaults()
        finally:
            self._restoring = False
        self._clear_errors()
        reader, cid = self._reader, self._conversation_id
        if reader is not None and cid is not None:
            try:
                reader.clear_draft(cid)
            except StorageError as exc:
                log.error("could not clear the draft of %s: %s", cid, exc)
        self._update_visibility()
        self._update_feedback()
        self.focus_body()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width() and not (
            self.dnd_banner.isHidden() and self.window_banner.isHidden()
        ):
            self.updateGeometry()  # narrower: the notice wraps to more lines

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.setStyleSheet(field_stylesheet(scheme_colors()))
            for highlighter in self._highlighters:
                highlighter.rehighlight()
            repolish(self)
        super().changeEvent(event)


def _paragraphs(text: str) -> str:
    """Plain text as simple HTML paragraphs (the starting point of the HTML version)."""
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "\n".join(
        "<p>" + html.escape(b.strip()).replace("\n", "<br>\n") + "</p>" for b in blocks
    )


__all__ = [
    "CHANNEL_ICON_NAMES",
    "CHANNEL_LABELS",
    "META_WINDOW_MS",
    "Composer",
    "Notice",
    "channel_label",
    "contact_name",
    "dnd_blocks",
    "dnd_notice",
    "meta_window_notice",
    "reply_subject",
    "sms_counter_detail",
    "sms_counter_text",
    "sms_special_reason",
]
