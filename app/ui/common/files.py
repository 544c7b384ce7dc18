"""Where the user saves files: one non-blocking save dialog for every export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from app.ui.async_qt import await_signal


async def ask_save_path(parent: QWidget | None, caption: str, proposed: Path) -> Path | None:
    """Ask where to save a CSV file (a non-blocking save dialog); None when cancelled."""
    dialog = QFileDialog(parent, caption, str(proposed))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix("csv")
    dialog.setNameFilters(["CSV files (*.csv)", "All files (*)"])
    dialog.selectFile(proposed.name)
    dialog.open()
    result = await await_signal(dialog.finished)
    files = dialog.selectedFiles()
    dialog.deleteLater()
    if result != QDialog.DialogCode.Accepted or not files:
        return None
    return Path(files[0])


__all__ = ["ask_save_path"]
