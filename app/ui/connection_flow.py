"""How the window adds, edits and repairs connections (the dialogs and the workspace together).

- First run and "Add a connection…": the connection dialog; the new connection
  is opened at once (after pending edits were saved or discarded).
- Settings → Connections: a window with the connections page; editing or
  replacing the key of the open connection re-opens it, removing it closes it.
- The revoked/expired-key banner: the dialog in replace-key mode; the open
  connection then reconnects with the new key where it stopped (queued
  messages stay queued in the cache throughout).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout

from app.services.connection_store import ConnectionStore, cached_contact_ids
from app.services.workspace import Workspace
from app.ui.async_qt import TaskSet
from app.ui.connections import ConnectionsPage, DialogMode, run_connection_dialog
from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class ConnectionFlow(QObject):
    """Wires the window's connection requests to the dialogs and the workspace."""

    def __init__(self, window: MainWindow, workspace: Workspace, tasks: TaskSet) -> None:
        super().__init__(window)
        self.window = window
        self.workspace = workspace
        self.tasks = tasks
        self.store = ConnectionStore(
            workspace.profiles,
            workspace.secrets,
            known_contact_ids=cached_contact_ids(workspace.db),
        )
        self.settings_window: QDialog | None = None
        window.addConnectionRequested.connect(self.add_connection)
        window.connectionsRequested.connect(self.show_connections)
        window.replaceKeyRequested.connect(self.replace_key)

    # ------------------------------------------------------------------ adding

    def add_connection(self) -> None:
        """Open the connection dialog; a saved connection is opened at once."""
        self.tasks.spawn(self._add(), "add-connection", replace=True)

    async def _add(self) -> None:
        profile_id = await run_connection_dialog(self.store, DialogMode.ADD, parent=self.window)
        self.window.refresh_pickers()
        if profile_id is None:
            return
        if not await self.window.confirm_leave():
            return
        await self.window.activate(profile_id)

    # ------------------------------------------------------------------ repairing

    def replace_key(self, profile_id: str) -> None:
        """The banner's "Enter a new key…": ask for it, check it, reconnect."""
        self.tasks.spawn(self._replace(profile_id), "replace-key", replace=True)

    async def _replace(self, profile_id: str) -> None:
        reason = self.window.key_banner.text or None
        saved = await run_connection_dialog(
            self.store,
            DialogMode.REPLACE_KEY,
            profile_id=profile_id,
            reason=reason,
            parent=self.window,
        )
        if saved is None:
            return
        await self._reopen(profile_id)

    async def _reopen(self, profile_id: str) -> None:
        """Reconnect the open connection after its URL or key changed (others: no-op)."""
        self.window.refresh_pickers()
        if self.workspace.profile is None or self.workspace.profile.id != profile_id:
            if self.workspace.profile is None:
                await self.window.activate(profile_id)
            return
        await self.workspace.reconnect(profile_id)
        self.window.key_replaced()
        self.window.refresh_pickers()

    # ------------------------------------------------------------------ settings

    def show_connections(self) -> None:
        """Settings → Connections (one window, raised when already open)."""
        if self.settings_window is not None:
            self.settings_window.raise_()
            self.settings_window.activateWindow()
            return
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Connections")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resize(760, 440)
        layout = QVBoxLayout(dialog)
        page = ConnectionsPage(
            self.store, tasks=self.tasks, parent=dialog, inclusion=self.workspace
        )
        layout.addWidget(page, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout.addWidget(buttons)
        page.connectionSaved.connect(lambda pid: self.tasks.spawn(self._reopen(pid)))
        page.keyReplaced.connect(lambda pid: self.tasks.spawn(self._reopen(pid)))
        page.activateRequested.connect(
            lambda pid: self.tasks.spawn(self._activate(pid), "activate", replace=True)
        )
        page.connectionRemoved.connect(lambda pid, _profile: self.tasks.spawn(self._removed(pid)))
        dialog.destroyed.connect(self._settings_closed)
        self.settings_window = dialog
        self.connections_page = page
        dialog.show()

    def _settings_closed(self, *_: object) -> None:
        self.settings_window = None

    async def _activate(self, profile_id: str) -> None:
        if not await self.window.confirm_leave():
            return
        await self.store.set_active(profile_id)
        await self.window.activate(profile_id)

    async def _removed(self, profile_id: str) -> None:
        if self.workspace.profile is not None and self.workspace.profile.id == profile_id:
            await self.workspace.close_profile()
            remaining = self.workspace.saved_profiles()
            if remaining:
                await self.window.activate(remaining[0].id)
        self.window.refresh_pickers()
