"""The contact detail pane's questions: unsaved changes, and deleting a contact.

Both open a window-modal box and wait for the answer without a nested event
loop (``await_signal``), so they are called from the pane's tasks.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.async_qt import await_signal
from app.ui.theme import icon


class LeaveChoice(Enum):
    """What the user chose to do with unsaved changes."""

    SAVE = "save"
    DISCARD = "discard"
    KEEP_EDITING = "keep"


async def ask_about_unsaved_changes(
    parent: QWidget, name: str, problems: str | None
) -> LeaveChoice:
    """Save / Discard / Keep editing the changes to ``name``; with ``problems`` (why the
    form cannot be saved yet) only Discard / Keep editing. Escape keeps editing."""
    box = QMessageBox(parent)
    box.setWindowTitle("Unsaved changes")
    box.setIconPixmap(icon("warning").pixmap(QSize(40, 40)))
    save = None
    if problems is None:
        box.setText(f"Save the changes to {name}?")
        box.setInformativeText("If you don't save them, your changes will be lost.")
        save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
        save.setIcon(icon("check"))
    else:
        box.setText(f"The changes to {name} cannot be saved yet.")
        box.setInformativeText(f"{problems} Keep editing to fix them, or discard the changes.")
    discard = box.addButton("Discard changes", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save or keep)
    box.setEscapeButton(keep)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    try:
        await await_signal(box.finished)
        clicked = box.clickedButton()
    finally:
        box.deleteLater()
    if save is not None and clicked is save:
        return LeaveChoice.SAVE
    if clicked is discard:
        return LeaveChoice.DISCARD
    return LeaveChoice.KEEP_EDITING


async def confirm_delete(parent: QWidget, name: str) -> bool:
    """Ask before deleting the contact ``name``; True when the user confirmed."""
    box = QMessageBox(parent)
    box.setWindowTitle("Delete contact")
    box.setIconPixmap(icon("delete").pixmap(QSize(40, 40)))
    box.setText(f"Delete {name}?")
    box.setInformativeText(
        "Their conversations will be hidden and their upcoming appointments cancelled; "
        "automations running for them stop. Seedly keeps the record for a while before "
        "removing it for good, but it cannot be restored from this app."
    )
    delete = box.addButton("Delete contact", QMessageBox.ButtonRole.DestructiveRole)
    delete.setIcon(icon("delete"))
    delete.setProperty("destructive", True)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    try:
        await await_signal(box.finished)
        return box.clickedButton() is delete
    finally:
        box.deleteLater()
