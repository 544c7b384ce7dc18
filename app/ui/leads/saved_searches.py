"""The Leads tab's saved searches: a combo to load one (its filters replace the ones shown;
nothing is sent until Search) and a menu to save the filters shown, rename or delete.

They are kept through the port's preferences (the settings file written once per
change, never in the demo); a write that fails is said on the banner and the
change is kept until quit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from app.services.ports.leads import PreferencesNotSaved, SavedSearch
from app.ui.async_qt import await_signal
from app.ui.leads.dialogs import NameDialog
from app.ui.leads.filters import describe
from app.ui.theme import Spacing, icon

if TYPE_CHECKING:
    from app.ui.leads.tab import LeadsTab


class SavedSearchesBar(QWidget):
    """The saved searches of the kind shown (see the module docstring)."""

    def __init__(self, tab: LeadsTab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tab = tab
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(Spacing.XS)
        self.combo = QComboBox(self)
        self.combo.setToolTip("Load a saved search (its filters replace the ones shown)")
        self.combo.activated.connect(self._chosen)
        row.addWidget(self.combo, 1)
        self.button = QToolButton(self)
        self.button.setIcon(icon("more"))
        self.button.setToolTip("Save, rename or delete saved searches")
        self.button.setAutoRaise(True)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.menu = QMenu(self.button)
        self.save_action = self.menu.addAction(icon("add"), "Save these filters…")
        self.save_action.triggered.connect(self._save_clicked)
        self.rename_action = self.menu.addAction(icon("edit"), "Rename…")
        self.rename_action.triggered.connect(self._rename_clicked)
        self.delete_action = self.menu.addAction(icon("delete"), "Delete…")
        self.delete_action.triggered.connect(self._delete_clicked)
        self.menu.addSeparator()
        self.moved_action = self.menu.addAction(icon("switch"), "Moved recently in my accounts")
        self.moved_action.setToolTip(
            "People who changed jobs recently at the companies of your CRM contacts"
        )
        self.moved_action.triggered.connect(lambda _c=False: self.tab.moved_recently())
        self.button.setMenu(self.menu)
        row.addWidget(self.button)

    # -- what the tab asks --------------------------------------------------------------------
    def searches(self) -> list[SavedSearch]:
        """The saved searches of the kind shown, by name."""
        return self.tab.port.saved_searches(self.tab.kind)

    def _not_written(self, exc: PreferencesNotSaved) -> None:
        self.tab.show_banner(
            "danger",
            f"The saved searches could not be written ({exc.reason}). They are kept until you "
            "quit; check that the settings folder is writable.",
        )

    def save(self, name: str) -> SavedSearch:
        """Save the filters shown under ``name`` (a saved search of that name is replaced)."""
        tab = self.tab
        try:
            search = tab.port.save_search(name, tab.kind, tab.panel.mapping())
        except PreferencesNotSaved as exc:
            self._not_written(exc)
            found = next(
                s for s in self.searches() if s.name.casefold() == " ".join(name.split()).casefold()
            )
            self.refresh(found.id)
            return found
        self.refresh(search.id)
        return search

    def load(self, search_id: str) -> bool:
        """Show a saved search's filters (nothing is sent: press Search to run it)."""
        found = self.tab.port.find_search(search_id)
        if found is None:
            return False
        if found.kind != self.tab.kind:
            self.tab.set_kind(found.kind)
        self.tab.panel.set_mapping(found.filters)
        self.refresh(found.id)
        return True

    def rename(self, search_id: str, name: str) -> bool:
        """Rename a saved search."""
        try:
            renamed = self.tab.port.rename_search(search_id, name)
        except PreferencesNotSaved as exc:
            self._not_written(exc)
            renamed = True
        if renamed:
            self.refresh(search_id)
        return renamed

    def delete(self, search_id: str) -> bool:
        """Delete a saved search."""
        try:
            deleted = self.tab.port.delete_search(search_id)
        except PreferencesNotSaved as exc:
            self._not_written(exc)
            deleted = True
        if deleted:
            self.refresh()
        return deleted

    def refresh(self, current: str | None = None) -> None:
        """List the saved searches of the kind shown (``current`` chosen)."""
        combo = self.combo
        combo.blockSignals(True)
        combo.clear()
        searches = self.searches()
        combo.addItem("Saved searches" if searches else "No saved searches yet", None)
        specs = self.tab.panel.specs
        for search in searches:
            combo.addItem(icon("filter"), search.name, search.id)
            combo.setItemData(
                combo.count() - 1, describe(search.filters, specs), Qt.ItemDataRole.ToolTipRole
            )
        combo.setCurrentIndex(max(0, combo.findData(current)) if current else 0)
        combo.blockSignals(False)
        chosen = combo.currentData() is not None
        self.rename_action.setEnabled(chosen)
        self.delete_action.setEnabled(chosen)

    # -- the user's gestures -------------------------------------------------------------------
    def _chosen(self, index: int) -> None:
        search_id = self.combo.itemData(index)
        if search_id:
            self.load(str(search_id))
        else:
            self.refresh()

    def _chosen_search(self) -> SavedSearch | None:
        search_id = self.combo.currentData()
        return next((s for s in self.searches() if s.id == search_id), None)

    def _save_clicked(self) -> None:
        current = self._chosen_search()
        dialog = NameDialog(
            "Save these filters",
            current.name if current else "",
            taken=[s.name for s in self.searches()],
            parent=self.tab,
        )
        self.tab.tasks.spawn(self._name_flow(dialog, self.save), "leads-saved", replace=True)

    def _rename_clicked(self) -> None:
        current = self._chosen_search()
        if current is None:
            return
        dialog = NameDialog("Rename the saved search", current.name, parent=self.tab)
        self.tab.tasks.spawn(
            self._name_flow(dialog, lambda name: self.rename(current.id, name)),
            "leads-saved",
            replace=True,
        )

    async def _name_flow(self, dialog: NameDialog, apply: Callable[[str], object]) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        name = dialog.name()
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and name:
            apply(name)

    def _delete_clicked(self) -> None:
        current = self._chosen_search()
        if current is None:
            return
        box = QMessageBox(self.tab)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete saved search")
        box.setText(f"Delete the saved search “{current.name}”?")
        box.setInformativeText("Its filters are gone afterwards; results already loaded stay.")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.tab.tasks.spawn(
            self._delete_flow(box, delete, current.id), "leads-saved", replace=True
        )

    async def _delete_flow(self, box: QMessageBox, delete: QAbstractButton, search_id: str) -> None:
        box.open()
        await await_signal(box.finished)
        if box.clickedButton() is delete:
            self.delete(search_id)
        box.deleteLater()


__all__ = ["SavedSearchesBar"]
