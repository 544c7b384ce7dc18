"""The Inbox's dialogs: start a new conversation, snooze until a chosen time, and the
snooze menu's presets (``snooze_choices``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from app.core.constants import CHANNELS
from app.core.phones import display_phone
from app.services.ports.inbox import InboxReader, StorageError
from app.ui.global_search import CHANNEL_ICONS
from app.ui.inbox.delegate import CHANNEL_LABELS
from app.ui.inbox.list_model import contact_label
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)


def snooze_choices(now: datetime) -> list[tuple[str, datetime]]:
    """The snooze menu's presets for ``now`` (an aware local time): label and wake-up time."""
    choices: list[tuple[str, datetime]] = []
    later = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    choices.append((f"Later today ({later:%H:%M})", later))
    evening = now.replace(hour=18, minute=0, second=0, microsecond=0)
    if now.hour < 16:
        choices.append(("This evening (18:00)", evening))
    tomorrow = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    choices.append((f"Tomorrow ({tomorrow:%a} 9:00)", tomorrow))
    days = (7 - now.weekday()) % 7 or 7
    monday = (now + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    choices.append((f"Next week ({monday:%a} {monday.day} {monday:%b} 9:00)", monday))
    return [(label, when) for label, when in choices if when > now]


class _ContactResults(QAbstractListModel):
    """Contacts found for the new-conversation dialog (a few dozen at most)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.docs: list[dict[str, Any]] = []

    def set_docs(self, docs: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.docs = docs
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.docs)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.docs):
            return None
        doc = self.docs[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            phone = doc.get("phone")
            shown = display_phone(str(phone)) if phone else None
            details = " · ".join(str(v) for v in (doc.get("email"), shown) if v)
            name = contact_label(doc)
            return f"{name}  —  {details}" if details and details != name else name
        if role == Qt.ItemDataRole.UserRole:
            return doc.get("id")
        return None


class NewConversationDialog(QDialog):
    """Choose a contact (searched in the cache), a channel and, for email, a subject."""

    def __init__(
        self,
        reader: InboxReader,
        parent: QWidget | None = None,
        *,
        contact: dict[str, Any] | None = None,
        channel: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New conversation")
        self.setMinimumWidth(460)
        self._reader = reader
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.M)
        intro = QLabel(
            "Write to a contact on a channel. When the contact already has an open "
            "conversation there, that one opens instead.",
            self,
        )
        intro.setWordWrap(True)
        intro.setProperty("muted", True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search contacts by name, email or phone")
        self.search.setClearButtonEnabled(True)
        self.results_model = _ContactResults(self)
        self.results = QListView(self)
        self.results.setModel(self.results_model)
        self.results.setMaximumHeight(150)
        self.results.setUniformItemSizes(True)
        self.results.selectionModel().currentChanged.connect(lambda *_: self._update())
        form.addRow("Contact", self.search)
        form.addRow("", self.results)
        self.channel = QComboBox(self)
        for name in CHANNELS:
            self.channel.addItem(icon(CHANNEL_ICONS.get(name, "inbox")), CHANNEL_LABELS[name], name)
        self.channel.currentIndexChanged.connect(lambda _i: self._update())
        form.addRow("Channel", self.channel)
        self.subject = QLineEdit(self)
        self.subject.setPlaceholderText("Subject of the first email")
        form.addRow("Subject", self.subject)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Open conversation")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._find)
        if channel in CHANNELS:
            self.channel.setCurrentIndex(CHANNELS.index(channel))
        if contact is not None:
            self.results_model.set_docs([contact])
            self.results.setCurrentIndex(self.results_model.index(0, 0))
        else:
            self._find("")
        self._update()

    def _find(self, text: str) -> None:
        try:
            docs = self._reader.search_contacts(text or None, limit=30)
        except StorageError as exc:
            log.warning("new conversation: contact search failed: %s", exc)
            docs = []
        self.results_model.set_docs(docs)
        if docs:
            self.results.setCurrentIndex(self.results_model.index(0, 0))
        self._update()

    def contact_id(self) -> str | None:
        """The chosen contact's id, or None."""
        index = self.results.currentIndex()
        value = index.data(Qt.ItemDataRole.UserRole) if index.isValid() else None
        return str(value) if value else None

    def chosen_channel(self) -> str:
        """The chosen channel."""
        return str(self.channel.currentData())

    def chosen_subject(self) -> str | None:
        """The subject typed (email channels only), or None."""
        text = self.subject.text().strip()
        return text if text and self.chosen_channel() in ("email", "gmail") else None

    def _update(self) -> None:
        self.subject.setEnabled(self.chosen_channel() in ("email", "gmail"))
        self.ok.setEnabled(self.contact_id() is not None)


class SnoozeDialog(QDialog):
    """Pick a day and time to wake a conversation up."""

    def __init__(self, start: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Snooze until")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("The conversation reopens at this time (while the app runs).", self)
        )
        self.when = QDateTimeEdit(self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        self.when.setDateTime(QDateTime.fromMSecsSinceEpoch(int(start.timestamp() * 1000)))
        self.when.setMinimumDateTime(QDateTime.currentDateTime())
        layout.addWidget(self.when)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Snooze")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen(self) -> datetime:
        """The chosen time (aware, local)."""
        return datetime.fromtimestamp(self.when.dateTime().toMSecsSinceEpoch() / 1000).astimezone()


__all__ = ["NewConversationDialog", "SnoozeDialog", "snooze_choices"]
