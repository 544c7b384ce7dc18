"""Settings → Connections → Sub-accounts…: which sub-accounts of an agency connection the
app watches (polled in the background, merged, counted in the tray) and which of them
only observed (no notifications). Kept with the connection across restarts."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.theme import Spacing


class SubAccountInclusion(Protocol):
    """Where the choice is kept (the workspace: the watcher follows it at once)."""

    def set_sub_account_inclusion(
        self, profile_id: str, included: list[str] | None, observe_only: list[str]
    ) -> None:
        """Keep which sub-accounts of ``profile_id`` are included (None: all) and which are
        only observed."""


INCLUDE_COLUMN = 1
NOTIFY_COLUMN = 2


class SubAccountsDialog(QDialog):
    """One row per sub-account of an agency connection: included, and notifications."""

    def __init__(self, profile: Any, parent: QWidget | None = None) -> None:
        """``profile``: the agency connection (its ``sub_accounts``, ``included_sub_accounts``
        and ``observe_only``)."""
        super().__init__(parent)
        self.profile_id: str = profile.id
        self.setWindowTitle(f"Sub-accounts of “{profile.name}”")
        self.resize(520, 460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        explanation = QLabel(
            "Included sub-accounts are checked for new messages in the background, shown "
            "together and counted in the tray. “Notify” off keeps one in view without "
            "desktop notifications.",
            self,
        )
        explanation.setWordWrap(True)
        explanation.setProperty("muted", True)
        layout.addWidget(explanation)
        self.all_box = QCheckBox("Include every sub-account, also ones added later", self)
        layout.addWidget(self.all_box)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Sub-account", "Included", "Notify"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (INCLUDE_COLUMN, NOTIFY_COLUMN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        chosen = profile.included_sub_accounts
        quiet = set(profile.observe_only)
        self._ids: list[str] = []
        for ref in profile.sub_accounts:
            row = self.table.rowCount()
            self.table.insertRow(row)
            self._ids.append(ref.id)
            self.table.setItem(row, 0, QTableWidgetItem(ref.name or ref.id))
            self.table.setItem(row, INCLUDE_COLUMN, self._check(chosen is None or ref.id in chosen))
            self.table.setItem(row, NOTIFY_COLUMN, self._check(ref.id not in quiet))
        self.all_box.setChecked(chosen is None)
        self.all_box.toggled.connect(self._all_toggled)
        self._all_toggled(self.all_box.isChecked())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @staticmethod
    def _check(on: bool) -> QTableWidgetItem:
        item = QTableWidgetItem()
        item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        return item

    def _all_toggled(self, on: bool) -> None:
        # "Every sub-account" decides inclusion: the per-row boxes show it and rest.
        for row in range(self.table.rowCount()):
            item = self.table.item(row, INCLUDE_COLUMN)
            if item is None:
                continue
            flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable if on else flags)
            if on:
                item.setCheckState(Qt.CheckState.Checked)

    def set_row(self, sub_account_id: str, *, included: bool, notify: bool) -> None:
        """Check or clear one row's boxes (as a click would)."""
        row = self._ids.index(sub_account_id)
        for column, on in ((INCLUDE_COLUMN, included), (NOTIFY_COLUMN, notify)):
            item = self.table.item(row, column)
            if item is not None:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _checked(self, row: int, column: int) -> bool:
        item = self.table.item(row, column)
        return item is not None and item.checkState() == Qt.CheckState.Checked

    def choice(self) -> tuple[list[str] | None, list[str]]:
        """(included ids — None for every sub-account —, observe-only ids)."""
        included = None
        if not self.all_box.isChecked():
            included = [s for row, s in enumerate(self._ids) if self._checked(row, INCLUDE_COLUMN)]
        quiet = [s for row, s in enumerate(self._ids) if not self._checked(row, NOTIFY_COLUMN)]
        return included, quiet


__all__ = ["SubAccountInclusion", "SubAccountsDialog"]
