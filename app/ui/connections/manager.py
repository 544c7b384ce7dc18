"""Settings → Connections: the saved connections in a table, with Add, Edit, Replace key,
Remove and Make active (each through the connection dialog)."""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.constants import RECOMMENDED_SCOPES
from app.core.errors import KEYS_PATH
from app.services.connection_store import (
    Profile,
    ConnectionStore,
    ConnectionStoreError,
)
from app.ui.async_qt import TaskSet, await_signal
from app.ui.theme import Spacing, icon
from app.ui.connections.dialog import ConnectionDialog, DialogMode
from app.ui.connections.sub_accounts import SubAccountInclusion, SubAccountsDialog

log = logging.getLogger(__name__)


class ConnectionColumn(IntEnum):
    """Columns of ``ConnectionsModel``."""

    NAME = 0
    URL = 1
    KEY = 2
    STATUS = 3


ProfileIdRole = Qt.ItemDataRole.UserRole + 1
"""The row's profile id (str)."""


class ConnectionsModel(QAbstractTableModel):
    """The saved connections, one per row: name, URL, kind of key, status. Never the key."""

    HEADERS = {
        ConnectionColumn.NAME: "Name",
        ConnectionColumn.URL: "Deployment URL",
        ConnectionColumn.KEY: "Key",
        ConnectionColumn.STATUS: "Status",
    }

    def __init__(self, store: ConnectionStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self._rows: list[Profile] = []
        self._active: str | None = None
        self.reload()

    def reload(self) -> None:
        """Re-read the store (a handful of rows: a reset is the simplest correct update)."""
        self.beginResetModel()
        self._rows = self.store.profiles
        self._active = self.store.active_profile_id
        self.endResetModel()

    def profile_at(self, row: int) -> Profile | None:
        """The profile of ``row``, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, profile_id: str) -> int:
        """The row of ``profile_id``, or -1."""
        return next((i for i, p in enumerate(self._rows) if p.id == profile_id), -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        """Rows: one per connection (none under a valid parent: a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        """Columns: ``ConnectionColumn``."""
        return 0 if parent.isValid() else len(ConnectionColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        horizontal = orientation == Qt.Orientation.Horizontal
        if (
            horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(ConnectionColumn)
        ):
            return self.HEADERS[ConnectionColumn(section)]
        return None

    def _key_text(self, profile: Profile) -> str:
        if profile.key_kind == "agency":
            count = len(profile.sub_accounts)
            return f"Agency key · {count} sub-account{'s' if count != 1 else ''}"
        return "Sub-account key"

    def _status_text(self, profile: Profile) -> str:
        parts = []
        if profile.id == self._active:
            parts.append("Active")
        if self.store.is_session_only(profile.id):
            parts.append("key for this session only")
        if profile.scopes is not None and any(s not in profile.scopes for s in RECOMMENDED_SCOPES):
            parts.append("limited permissions")
        text = ", ".join(parts)
        return text[:1].upper() + text[1:]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Display text, icons, tooltips and ``ProfileIdRole``."""
        if not index.isValid():
            return None
        profile = self.profile_at(index.row())
        if profile is None:
            return None
        column = ConnectionColumn(index.column())
        if role == ProfileIdRole:
            return profile.id
        if role == Qt.ItemDataRole.DisplayRole:
            if column is ConnectionColumn.NAME:
                return profile.name
            if column is ConnectionColumn.URL:
                return profile.deployment_url
            if column is ConnectionColumn.KEY:
                return self._key_text(profile)
            return self._status_text(profile)
        if role == Qt.ItemDataRole.DecorationRole:
            if column is ConnectionColumn.NAME:
                return icon("users" if profile.key_kind == "agency" else "company")
            if column is ConnectionColumn.STATUS and profile.id == self._active:
                return icon("check")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column is ConnectionColumn.URL:
                return profile.deployment_url
            if column is ConnectionColumn.KEY and profile.key_kind == "agency":
                return ", ".join(s.name or s.id for s in profile.sub_accounts) or None
        return None


class ConnectionsPage(QWidget):
    """Settings → Connections: the saved connections and what can be done with them.

    ``tasks`` owns the page's async work (the window's set; a private one by
    default). The page changes connections through ``store``; switching the
    running app to another connection is the window's job (``activateRequested``),
    as is dropping a removed connection's session and cache (``connectionRemoved``).
    """

    connectionSaved = Signal(str)
    """A connection (profile id) was added or edited. When it is the active one, the window
    re-activates it (URL or key may have changed)."""

    keyReplaced = Signal(str)
    """The key of a connection (profile id) was replaced; the window resumes or re-activates
    it (its cache partition may have changed)."""

    connectionRemoved = Signal(str, object)
    """A connection was removed with its key: (profile id, the removed ``Profile``). The
    window closes its session if it was active, and may drop its cache partitions
    (``Profile.deployment_url`` with ``sub_account_id`` or each of ``sub_accounts``)."""

    activateRequested = Signal(str)
    """The user asked to work on this connection (profile id) now."""

    subAccountsChosen = Signal(str)
    """Which sub-accounts of an agency connection (profile id) are included changed."""

    def __init__(
        self,
        store: ConnectionStore,
        *,
        tasks: TaskSet | None = None,
        parent: QWidget | None = None,
        inclusion: SubAccountInclusion | None = None,
        **dialog_options: Any,
    ) -> None:
        """``inclusion`` keeps which sub-accounts of an agency connection are included (the
        workspace); without it there is no "Sub-accounts…" button."""
        super().__init__(parent)
        self.store = store
        self.inclusion = inclusion
        self.sub_accounts_dialog: SubAccountsDialog | None = None
        """The sub-accounts dialog open from this page, if any."""
        self.tasks = tasks or TaskSet("connections-page")
        self._dialog_options = dialog_options
        self.dialog: ConnectionDialog | None = None
        """The dialog open from this page, if any."""
        self.confirmation: QMessageBox | None = None
        """The remove confirmation open from this page, if any."""
        self.model = ConnectionsModel(store, self)
        self._build()
        # The store must not call into a deleted page; the closure must not hold ``self``.
        unsubscribe = store.subscribe(self._store_changed)
        self.destroyed.connect(lambda *_: unsubscribe())
        self._update_buttons()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        title = QLabel("Connections", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        explanation = QLabel(
            "Each connection is a Seedly CRM deployment and an API key. Keys are kept in the "
            "system keyring and are never shown.",
            self,
        )
        explanation.setWordWrap(True)
        explanation.setProperty("muted", True)
        layout.addWidget(title)
        layout.addWidget(explanation)

        self.table = QTableView(self)
        self.table.setObjectName("connectionsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ConnectionColumn.NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ConnectionColumn.URL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ConnectionColumn.KEY, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ConnectionColumn.STATUS, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(ConnectionColumn.NAME, 180)
        header.resizeSection(ConnectionColumn.KEY, 180)
        header.resizeSection(ConnectionColumn.STATUS, 160)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda *_: self._edit_selected())
        layout.addWidget(self.table, 1)

        self.empty_label = QLabel(
            "No connections yet. Add one with your deployment URL and an API key.", self
        )
        self.empty_label.setProperty("muted", True)
        self.empty_label.setWordWrap(True)
        layout.addWidget(self.empty_label)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(Spacing.S)
        self.add_button = QPushButton(icon("add"), "Add…", self)
        self.edit_button = QPushButton(icon("edit"), "Edit…", self)
        self.replace_button = QPushButton(icon("key"), "Replace key…", self)
        self.remove_button = QPushButton(icon("delete"), "Remove…", self)
        self.activate_button = QPushButton(icon("switch"), "Make active", self)
        self.sub_accounts_button = QPushButton(icon("users"), "Sub-accounts…", self)
        self.sub_accounts_button.setToolTip(
            "Which sub-accounts of an agency connection are watched, and which notify"
        )
        self.sub_accounts_button.setVisible(self.inclusion is not None)
        for button in (
            self.add_button,
            self.edit_button,
            self.replace_button,
            self.remove_button,
            self.sub_accounts_button,
        ):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.activate_button)
        layout.addLayout(row)
        self.add_button.clicked.connect(lambda: self.tasks.spawn(self.add_connection(), "add"))
        self.edit_button.clicked.connect(self._edit_selected)
        self.replace_button.clicked.connect(self._replace_selected)
        self.remove_button.clicked.connect(self._remove_selected)
        self.activate_button.clicked.connect(self._activate_selected)
        self.sub_accounts_button.clicked.connect(self._sub_accounts_selected)

    # -- selection --------------------------------------------------------------------------
    def selected_profile_id(self) -> str | None:
        """The id of the selected connection, or None."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        profile = self.model.profile_at(rows[0].row())
        return profile.id if profile else None

    def select(self, profile_id: str) -> None:
        """Select the row of ``profile_id`` (if listed)."""
        row = self.model.row_of(profile_id)
        if row >= 0:
            self.table.selectRow(row)

    def _update_buttons(self) -> None:
        selected = self.selected_profile_id()
        profile = self.store.get(selected) if selected else None
        busy = (
            self.dialog is not None
            or self.confirmation is not None
            or self.sub_accounts_dialog is not None
        )
        self.add_button.setEnabled(not busy)
        self.sub_accounts_button.setEnabled(
            profile is not None
            and profile.key_kind == "agency"
            and bool(profile.sub_accounts)
            and not busy
        )
        for button in (self.edit_button, self.replace_button, self.remove_button):
            button.setEnabled(profile is not None and not profile.demo and not busy)
        self.activate_button.setEnabled(
            profile is not None and profile.id != self.store.active_profile_id and not busy
        )
        empty = self.model.rowCount() == 0
        self.empty_label.setVisible(empty)

    def _store_changed(self) -> None:
        selected = self.selected_profile_id()
        self.model.reload()
        if selected:
            self.select(selected)
        self._update_buttons()

    def _edit_selected(self) -> None:
        if (pid := self.selected_profile_id()) and self.edit_button.isEnabled():
            self.tasks.spawn(self.edit_connection(pid), "edit")

    def _replace_selected(self) -> None:
        if pid := self.selected_profile_id():
            self.tasks.spawn(self.replace_key(pid), "replace")

    def _remove_selected(self) -> None:
        if pid := self.selected_profile_id():
            self.tasks.spawn(self.remove_connection(pid), "remove")

    def _activate_selected(self) -> None:
        if pid := self.selected_profile_id():
            self.activateRequested.emit(pid)

    def _sub_accounts_selected(self) -> None:
        if pid := self.selected_profile_id():
            self.tasks.spawn(self.choose_sub_accounts(pid), "sub-accounts")

    # -- actions ----------------------------------------------------------------------------
    async def choose_sub_accounts(self, profile_id: str) -> bool:
        """Open the sub-accounts dialog of an agency connection; True when a choice was
        kept."""
        profile = self.store.get(profile_id)
        if profile is None or self.inclusion is None or profile.key_kind != "agency":
            return False
        dialog = SubAccountsDialog(profile, self)
        self.sub_accounts_dialog = dialog
        self._update_buttons()
        try:
            dialog.open()
            await await_signal(dialog.finished)
            accepted = dialog.result() == QDialog.DialogCode.Accepted
            included, observe_only = dialog.choice()
        finally:
            self.sub_accounts_dialog = None
            dialog.deleteLater()
            if shiboken6.isValid(self):
                self._update_buttons()
        if not accepted:
            return False
        self.inclusion.set_sub_account_inclusion(profile_id, included, observe_only)
        self.subAccountsChosen.emit(profile_id)
        return True

    async def _run_dialog(
        self, mode: DialogMode, profile_id: str | None = None, reason: str | None = None
    ) -> str | None:
        dialog = ConnectionDialog(
            self.store,
            mode=mode,
            profile_id=profile_id,
            reason=reason,
            parent=self,
            **self._dialog_options,
        )
        self.dialog = dialog
        self._update_buttons()
        try:
            dialog.open()
            await await_signal(dialog.finished)
            return dialog.saved_profile_id
        finally:
            self.dialog = None
            dialog.deleteLater()
            if shiboken6.isValid(self):
                self._update_buttons()

    async def add_connection(self) -> str | None:
        """Open the dialog to add a connection; its profile id when saved, else None."""
        pid = await self._run_dialog(DialogMode.ADD)
        if pid is not None:
            self.select(pid)
            self.connectionSaved.emit(pid)
        return pid

    async def edit_connection(self, profile_id: str) -> str | None:
        """Open the dialog to edit ``profile_id``; the id when saved, else None."""
        pid = await self._run_dialog(DialogMode.EDIT, profile_id)
        if pid is not None:
            self.connectionSaved.emit(pid)
        return pid

    async def replace_key(self, profile_id: str, reason: str | None = None) -> str | None:
        """Open the dialog to replace the key of ``profile_id`` (``reason``: why)."""
        pid = await self._run_dialog(DialogMode.REPLACE_KEY, profile_id, reason)
        if pid is not None:
            self.keyReplaced.emit(pid)
        return pid

    async def remove_connection(self, profile_id: str) -> bool:
        """Ask, then remove ``profile_id`` and delete its key; True when removed."""
        profile = self.store.get(profile_id)
        if profile is None:
            return False
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove connection",
            f"Remove the connection “{profile.name}”?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setInformativeText(
            "Its API key is deleted from this computer's keyring. The key itself stays valid "
            f"in Seedly: revoke it in {KEYS_PATH} if nobody needs it any more."
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        self.confirmation = box
        self._update_buttons()
        try:
            box.open()
            await await_signal(box.finished)
            confirmed = box.clickedButton() is remove
        finally:
            self.confirmation = None
            box.deleteLater()
            if shiboken6.isValid(self):
                self._update_buttons()
        if not confirmed:
            return False
        try:
            removed = await self.store.remove(profile_id)
        except ConnectionStoreError as exc:
            error = QMessageBox(
                QMessageBox.Icon.Warning,
                "Remove connection",
                exc.message,
                QMessageBox.StandardButton.Ok,
                self,
            )
            error.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            error.open()
            return False
        self.connectionRemoved.emit(profile_id, removed)
        return True


__all__ = ["ConnectionColumn", "ConnectionsModel", "ConnectionsPage", "ProfileIdRole"]
