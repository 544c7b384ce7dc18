"""Where the user saves files: one non-blocking save dialog for every export."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from app.ui.async_qt import await_signal


CSV_FILTERS = ("CSV files (*.csv)", "All files (*)")
ICS_FILTERS = ("iCalendar files (*.ics)", "All files (*)")


async def ask_save_path(
    parent: QWidget | None,
    caption: str,
    proposed: Path,
    *,
    suffix: str = "csv",
    filters: Sequence[str] = CSV_FILTERS,
) -> Path | None:
    """Ask where to save a file (a non-blocking save dialog; a CSV file unless ``suffix``
    and ``filters`` say otherwise); None when cancelled."""
    dialog = QFileDialog(parent, caption, str(proposed))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix(suffix)
    dialog.setNameFilters(list(filters))
    dialog.selectFile(proposed.name)
    dialog.open()
    result = await await_signal(dialog.finished)
    files = dialog.selectedFiles()
    dialog.deleteLater()
    if result != QDialog.DialogCode.Accepted or not files:
        return None
    return Path(files[0])


__all__ = ["CSV_FILTERS", "ICS_FILTERS", "ask_save_path"]
