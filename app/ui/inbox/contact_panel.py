"""The Inbox's contact side panel: who the open conversation is with.

Shows the conversation's contact from the cache: name, company and title, email,
phone, tags, lifecycle stage, channels they opted out of (DND), and every custom field
of the sub-account with its label, formatted by type the way the Contacts tab shows
it. It follows ``ContactsChanged`` (a sync or an edit in the Contacts tab) and clears at
once on a sub-account switch. When the contact is not cached yet, the conversation's
embedded summary (name, email, phone) stands in. "Open in Contacts" emits
``contactLinkActivated`` with the contact's id.

Every row is a label on the left and its value on the right, in one form so that
all values share one column. Labels wrap within at most ``LABEL_SHARE`` of the width;
values wrap inside the value column, long emails and addresses included (break
opportunities are added after ``@``, ``.``, ``/`` and the like; copying gives the
value without them).

The panel is built with the Inbox port only, so it listens to the services' bus through
a bridge of its own (owned by the panel, detached with it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.core.models import CustomFieldDefinition
from app.services.bus import ContactsChanged, ConversationsChanged, SessionChanged
from app.services.ports.inbox import InboxPort, StorageError
from app.ui.async_qt import BusBridge
from app.ui.common.fields import (
    EMPTY_TEXT,
    STAGE_LABELS,
    FlowLayout,
    TagChip,
    display_kind,
    field_stylesheet,
    format_value,
    scheme_colors,
)
from app.ui.inbox.composer import channel_label
from app.ui.theme import Spacing, icon
from app.ui.common.widgets import EmptyState

log = logging.getLogger(__name__)


LABEL_SHARE = 0.42
"""The label column takes at most this share of the form's width (longer labels wrap)."""
_ZWSP = "\u200b"
_BREAK_AFTER = frozenset("@./_-+?&=:#,;")
_MAX_RUN = 14
"""Characters without a break opportunity after which one is added anyway."""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def soft_wrap(text: str) -> str:
    """``text`` with zero-width spaces where a long word may break: after ``@``, ``.``,
    ``/`` and similar, and every ``_MAX_RUN`` characters of a run without any. Words of
    ``_MAX_RUN`` characters or fewer are left alone."""
    out: list[str] = []
    for word in text.split(" "):
        if len(word) <= _MAX_RUN:
            out.append(word)
            continue
        pieces: list[str] = []
        run = 0
        for index, char in enumerate(word):
            pieces.append(char)
            run += 1
            last = index == len(word) - 1
            if not last and (char in _BREAK_AFTER or run >= _MAX_RUN):
                pieces.append(_ZWSP)
                run = 0
        out.append("".join(pieces))
    return " ".join(out)


class ValueLabel(QLabel):
    """A value of the panel: wraps anywhere it must (see ``soft_wrap``); copying (Ctrl+C,
    the context menu) gives the value as stored, without the added break opportunities."""

    def __init__(self, value: str, parent: QWidget | None = None) -> None:
        super().__init__(soft_wrap(value) if value else EMPTY_TEXT, parent)
        self.value = value
        """The value as stored (what copying gives)."""
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def copy_text(self) -> str:
        """What copying gives: the selection, else the whole value (no added breaks)."""
        selected = self.selectedText().replace(_ZWSP, "")
        return selected or self.value

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.value:
            QApplication.clipboard().setText(self.copy_text())
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if not self.value:
            return
        menu = QMenu(self)
        menu.addAction("Copy").triggered.connect(
            lambda: QApplication.clipboard().setText(self.copy_text())
        )
        menu.popup(event.globalPos())
        menu.aboutToHide.connect(menu.deleteLater)


class ContactSidePanel(QWidget):
    """The open conversation's contact, from the cache (see the module docstring).

    ``ContactSidePanel(port, parent)``; ``set_conversation(id)`` shows the contact of
    that conversation of the active sub-account (None: nothing).
    """

    contactLinkActivated = Signal(str)
    """"Open in Contacts" was clicked; the argument is the contact's id."""

    bookRequested = Signal(str)
    """"Book appointment…" was clicked (Ctrl+B); the argument is the contact's id."""

    workflowRequested = Signal(str)
    """"Run workflow…" was clicked; the argument is the contact's id."""

    def __init__(self, port: InboxPort, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactSidePanel")
        self.port = port
        self._conversation_id: str | None = None
        self._contact_id: str | None = None
        self._values: dict[str, str] = {}
        self._build()
        self.bridge = BusBridge(port.bus, self)
        self.bridge.contactsChanged.connect(self._on_contacts)
        self.bridge.conversationsChanged.connect(self._on_conversations)
        self.bridge.sessionChanged.connect(self._on_session)
        self.set_conversation(None)

    def changeEvent(self, event: QEvent) -> None:
        # The field rules carry the palette's colours (tag chips): follow a theme switch.
        if event.type() == QEvent.Type.PaletteChange:
            self.setStyleSheet(field_stylesheet(scheme_colors()))
        super().changeEvent(event)

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        self.setStyleSheet(field_stylesheet(scheme_colors()))
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget(self)
        root.addWidget(self.pages)
        self.empty = EmptyState(self)
        self.empty.set_content("user", "No contact", "Open a conversation to see who it is with.")
        self.pages.addWidget(self.empty)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        # Values wrap in their column: the panel never scrolls sideways.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(Spacing.M, Spacing.M, Spacing.M, Spacing.M)
        layout.setSpacing(Spacing.S)
        self.name_label = QLabel(body)
        font = QFont(self.name_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setWeight(QFont.Weight.DemiBold)
        self.name_label.setFont(font)
        self.name_label.setWordWrap(True)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.name_label)
        self.company_label = QLabel(body)
        self.company_label.setProperty("muted", True)
        self.company_label.setWordWrap(True)
        layout.addWidget(self.company_label)
        self.note_label = QLabel(body)
        self.note_label.setProperty("muted", True)
        self.note_label.setWordWrap(True)
        self.note_label.hide()
        layout.addWidget(self.note_label)

        # One form for the contact and its custom fields: one value column for all rows.
        # Never wrapped rows: a long value wraps in its column instead of moving under
        # its label.
        self.form = QFormLayout()
        self.form.setContentsMargins(0, Spacing.S, 0, 0)
        self.form.setHorizontalSpacing(Spacing.M)
        self.form.setVerticalSpacing(Spacing.S)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addLayout(self.form)
        self._labels: list[QLabel] = []

        self.tags_box = QWidget(body)
        self._tags_flow = FlowLayout(self.tags_box)
        self.custom_title = QLabel("Custom fields", body)
        bold = QFont(self.custom_title.font())
        bold.setWeight(QFont.Weight.DemiBold)
        self.custom_title.setFont(bold)
        self.custom_title.setContentsMargins(0, Spacing.S, 0, 0)
        self.body = body

        self.open_button = QPushButton("Open in Contacts", body)
        self.open_button.setIcon(icon("open-external"))
        self.open_button.setIconSize(QSize(16, 16))
        self.open_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.open_button.clicked.connect(self._open)
        self.book_button = QPushButton("Book appointment…", body)
        self.book_button.setIcon(icon("calendar"))
        self.book_button.setIconSize(QSize(16, 16))
        self.book_button.setToolTip("Book an appointment with this contact (Ctrl+B)")
        self.book_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.book_button.clicked.connect(self._book)
        book_shortcut = QShortcut(QKeySequence("Ctrl+B"), self)
        book_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        book_shortcut.activated.connect(self._book)
        layout.addSpacing(Spacing.S)
        self.workflow_button = QPushButton("Run workflow…", body)
        self.workflow_button.setIcon(icon("bolt"))
        self.workflow_button.setIconSize(QSize(16, 16))
        self.workflow_button.setToolTip("Start a workflow for this contact")
        self.workflow_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.workflow_button.clicked.connect(self._run_workflow)
        layout.addWidget(self.open_button)
        layout.addWidget(self.book_button)
        layout.addWidget(self.workflow_button)
        layout.addStretch(1)
        scroll.setWidget(body)
        self.pages.addWidget(scroll)
        self.details = scroll

    def _run_workflow(self) -> None:
        if self._contact_id:
            self.workflowRequested.emit(self._contact_id)

    def _book(self) -> None:
        if self._contact_id:
            self.bookRequested.emit(self._contact_id)

    # -- public API ------------------------------------------------------------------------
    @property
    def contact_id(self) -> str | None:
        """The id of the contact shown, or None."""
        return self._contact_id

    def values(self) -> dict[str, str]:
        """What the panel shows, by label (plain text; tests and accessibility)."""
        return dict(self._values)

    def set_conversation(self, conversation_id: str | None) -> None:
        """Show the contact of ``conversation_id`` of the active sub-account (None: nothing)."""
        self._conversation_id = conversation_id
        self.refresh()

    def refresh(self) -> None:
        """Read the contact from the cache again and show it."""
        reader = self.port.reader()
        cid = self._conversation_id
        if cid is None or reader is None:
            self._show_nothing()
            return
        try:
            conversation = reader.conversation(cid)
            contact_id = _text((conversation or {}).get("contactId")) or None
            contact = reader.contact(contact_id) if contact_id else None
            definitions = reader.custom_fields()
        except StorageError as exc:
            log.error("could not read the contact of %s: %s", cid, exc)
            self._show_nothing("The contact could not be read from the cache.", str(exc))
            return
        if conversation is None:
            self._show_nothing("Loading…", "The conversation is not in the cache yet.")
            return
        summary = conversation.get("contact")
        self._contact_id = contact_id
        self._show(contact, summary if isinstance(summary, Mapping) else {}, definitions)

    # -- showing ---------------------------------------------------------------------------
    def _show_nothing(self, title: str = "No contact", body: str = "") -> None:
        self._contact_id = None
        self._values = {}
        self.empty.set_content("user", title, body or "Open a conversation to see who it is with.")
        self.pages.setCurrentWidget(self.empty)

    def _show(
        self,
        contact: Mapping[str, Any] | None,
        summary: Mapping[str, Any],
        definitions: list[CustomFieldDefinition],
    ) -> None:
        source: Mapping[str, Any] = contact or summary
        first, last = _text(source.get("firstName")), _text(source.get("lastName"))
        name = " ".join(p for p in (first, last) if p) or _text(source.get("name"))
        email, phone = _text(source.get("email")), _text(source.get("phone"))
        phone_text = format_value("phone", phone) if phone else ""
        self.name_label.setText(name or email or phone_text or "Unnamed contact")
        company = _text((contact or {}).get("company"))
        title = _text((contact or {}).get("title"))
        self.company_label.setText(" · ".join(p for p in (title, company) if p))
        self.company_label.setVisible(bool(title or company))
        self.note_label.setVisible(contact is None)
        self.note_label.setText(
            "Only the conversation's summary is known: the contact is not in the cache yet."
        )
        values: dict[str, str] = {"Name": name}
        if company:
            values["Company"] = company
        self._clear_form()
        self._add_row(self.form, "Email", email, values, selectable=True)
        self._add_row(self.form, "Phone", phone_text, values, selectable=True)
        if contact is not None:
            stage = _text(contact.get("lifecycleStage"))
            label = STAGE_LABELS.get(stage, stage.capitalize()) if stage else ""
            self._add_row(self.form, "Stage", label, values)
            tags = [t for t in contact.get("tags") or [] if isinstance(t, str) and t]
            self._set_tags(tags)
            self.form.addRow(self._label("Tags"), self.tags_box if tags else self._value(""))
            self.tags_box.setVisible(bool(tags))
            values["Tags"] = ", ".join(tags)
            dnd = [c for c in contact.get("dndChannels") or [] if isinstance(c, str)]
            if dnd:
                self._add_row(
                    self.form,
                    "Do not disturb",
                    ", ".join(channel_label(c) for c in dnd),
                    values,
                    danger=True,
                )
        else:
            self.tags_box.hide()
        custom = (contact or {}).get("customFields")
        custom_values = custom if isinstance(custom, Mapping) else {}
        show_custom = bool(definitions) and contact is not None
        if show_custom:
            self.form.addRow(self.custom_title)
        self.custom_title.setVisible(show_custom)
        for definition in definitions if show_custom else []:
            raw = custom_values.get(definition.name)
            shown = format_value(display_kind(definition), raw)
            self._add_row(self.form, definition.display_label, shown, values)
        self._fit_labels()
        self.open_button.setEnabled(self._contact_id is not None)
        self._values = values
        self.pages.setCurrentWidget(self.details)

    def _label(self, text: str) -> QLabel:
        label = QLabel(soft_wrap(text), self)
        label.setProperty("muted", True)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._labels.append(label)
        return label

    def _fit_labels(self) -> None:
        """One label column, as wide as the widest label but at most ``LABEL_SHARE`` of the
        form's width; a label wider than that wraps inside it."""
        if not self._labels:
            return
        # The panel's width, not the viewport's: on a resize the panel hears first. Room
        # is kept for a vertical scroll bar.
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = self.width() - 2 * Spacing.M - bar
        cap = max(60, int(width * LABEL_SHARE))
        fm = self._labels[0].fontMetrics()
        natural = {id(label): fm.horizontalAdvance(label.text()) + 2 for label in self._labels}
        column = min(max(natural.values()), cap)
        for label in self._labels:
            label.setWordWrap(natural[id(label)] > column)
            label.setFixedWidth(column)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_labels()

    def _value(self, text: str, *, selectable: bool = False, danger: bool = False) -> QLabel:
        label = ValueLabel(text, self)
        if selectable:
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if danger:
            label.setProperty("fieldError", True)
        elif not text:
            label.setProperty("muted", True)
        return label

    def _add_row(
        self,
        form: QFormLayout,
        label: str,
        value: str,
        values: dict[str, str],
        *,
        selectable: bool = False,
        danger: bool = False,
    ) -> None:
        form.addRow(self._label(label), self._value(value, selectable=selectable, danger=danger))
        values[label] = value

    def _clear_form(self) -> None:
        form = self.form
        self._labels = []
        while form.rowCount():
            row = form.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                widget = item.widget() if item is not None else None
                if widget is None:
                    continue
                if widget is self.tags_box or widget is self.custom_title:
                    widget.hide()  # kept for the next contact
                else:
                    widget.deleteLater()

    def _set_tags(self, tags: list[str]) -> None:
        while self._tags_flow.count():
            item = self._tags_flow.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for tag in tags:
            self._tags_flow.addWidget(TagChip(tag, removable=False, parent=self.tags_box))

    # -- events ----------------------------------------------------------------------------
    def _ours(self, scope: Any) -> bool:
        current = self.port.scope()
        return current is not None and scope == current

    def _on_contacts(self, event: ContactsChanged) -> None:
        if self._conversation_id is None or not self._ours(event.scope):
            return
        if event.full or (self._contact_id and self._contact_id in event.ids | event.deleted):
            self.refresh()

    def _on_conversations(self, event: ConversationsChanged) -> None:
        if self._conversation_id is None or not self._ours(event.scope):
            return
        if event.full or self._conversation_id in event.ids | event.deleted:
            self.refresh()

    def _on_session(self, _event: SessionChanged) -> None:
        self._conversation_id = None
        self._show_nothing()

    def _open(self) -> None:
        if self._contact_id:
            self.contactLinkActivated.emit(self._contact_id)


__all__ = ["LABEL_SHARE", "ContactSidePanel", "ValueLabel", "soft_wrap"]
