"""Export the Contacts tab's contacts to a CSV file.

``export_to_csv`` asks where to save (proposing ``contacts-YYYY-MM-DD.csv``),
writes the contacts matching the tab's search, filters and sort on a worker
thread (through the port's ``ContactsReader``), and says how many were written
or why nothing was.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.services.contact_import import ExportFailed
from app.services.ports.contacts import ContactQuery, ContactsReader
from app.ui.common.files import ask_save_path

log = logging.getLogger(__name__)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word if count == 1 else word + 's'}"


# --- export ------------------------------------------------------------------


def documents_folder() -> Path:
    """The user's documents folder (the home folder when there is none)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder else Path.home()


def default_export_name(today: datetime.date | None = None) -> str:
    """The file name an export proposes: ``contacts-YYYY-MM-DD.csv``."""
    return f"contacts-{(today or datetime.date.today()).isoformat()}.csv"


@dataclass(frozen=True)
class ExportOutcome:
    """What ``export_to_csv`` did: the file, how many contacts, or why nothing was saved."""

    path: Path | None
    count: int = 0
    error: str | None = None

    @property
    def cancelled(self) -> bool:
        """The user closed the save dialog."""
        return self.path is None and self.error is None

    @property
    def message(self) -> str:
        """The result in words, for a message box or the status bar."""
        if self.error:
            return self.error
        if self.path is None:
            return "The export was cancelled; nothing was saved."
        if self.count == 0:
            return (
                f"No contacts match the current search and filters, so “{self.path.name}” "
                "only has the column names."
            )
        return f"Exported {_plural(self.count, 'contact')} to “{self.path.name}”."


async def export_to_csv(
    parent: QWidget | None,
    reader: ContactsReader,
    query: ContactQuery | None = None,
    *,
    path: str | Path | None = None,
    directory: str | Path | None = None,
    notify: bool = True,
) -> ExportOutcome:
    """Export the contacts matching ``query`` (the Contacts tab's search, filters and
    sort; None: all, by name) to a CSV file.

    Without ``path`` a save dialog proposes ``contacts-YYYY-MM-DD.csv`` in
    ``directory`` (default: Documents). The file is written on a worker thread,
    atomically. With ``notify`` a message box says how many contacts were
    written, or what went wrong; the outcome is returned either way."""
    q = query or ContactQuery()
    if path is None:
        folder = Path(directory) if directory else documents_folder()
        chosen = await ask_save_path(parent, "Export contacts", folder / default_export_name())
        if chosen is None:
            return ExportOutcome(None)
        path = chosen
    target = Path(path)
    try:
        count = await asyncio.to_thread(reader.export_csv, q, target)
    except ExportFailed as exc:
        outcome = ExportOutcome(target, 0, str(exc))
    except Exception as exc:
        log.exception("contact export to %s failed", target)
        outcome = ExportOutcome(
            target, 0, f"The export failed unexpectedly ({exc}). Nothing was saved."
        )
    else:
        outcome = ExportOutcome(target, count)
    if notify:
        _tell(parent, outcome)
    return outcome


def _tell(parent: QWidget | None, outcome: ExportOutcome) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Warning if outcome.error else QMessageBox.Icon.Information,
        "Export contacts",
        outcome.message,
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # never exec() from a coroutine


__all__ = ["ExportOutcome", "default_export_name", "documents_folder", "export_to_csv"]
