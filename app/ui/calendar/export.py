"""Exporting appointments to an ``.ics`` file: one appointment, or the period on screen.

The file itself is made by the services (``IcsExport.make``: the ``icalendar``
package, times in the display zone with its ``VTIMEZONE``; ``IcsExport.write``: a
file that is complete or untouched) on a worker thread; this module asks where to
save it and says what happened.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QWidget

from app.services.ports.calendar import AppointmentRow, CalendarRow
from app.ui.common.files import ICS_FILTERS, ask_save_path

IcsMaker = Callable[[Sequence[AppointmentRow], Mapping[str, CalendarRow], str], bytes]
"""``(appointments, calendars by id, zone name) -> .ics bytes``."""

IcsWriter = Callable[[Path, bytes], None]
"""Writes the bytes to a file (complete or untouched)."""


@dataclass(frozen=True)
class IcsExport:
    """How ``.ics`` files are made and written, and which exceptions carry a sentence for
    the user (the services' ``ics_of``, ``write_ics`` and ``ExportFailed``)."""

    make: IcsMaker
    write: IcsWriter
    failures: tuple[type[Exception], ...] = ()


def documents_folder() -> Path:
    """The user's documents folder (the home folder when there is none)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder else Path.home()


def _slug(text: str) -> str:
    words = re.sub(r"[^\w]+", "-", text.casefold(), flags=re.UNICODE).strip("-")
    return words[:40].strip("-") or "appointment"


def appointment_file_name(row: AppointmentRow, day: date) -> str:
    """ "appointment-ana-lima-2026-04-14.ics"."""
    who = row.contact_name or row.title or "appointment"
    return f"appointment-{_slug(who)}-{day.isoformat()}.ics"


def period_file_name(first: date, last: date) -> str:
    """ "calendar-2026-04-13-to-2026-04-19.ics" (one day: "calendar-2026-04-14.ics")."""
    if first == last:
        return f"calendar-{first.isoformat()}.ics"
    return f"calendar-{first.isoformat()}-to-{last.isoformat()}.ics"


async def export_ics(
    parent: QWidget | None,
    export: IcsExport,
    rows: Sequence[AppointmentRow],
    calendars: Mapping[str, CalendarRow],
    zone_name: str,
    proposed: Path,
    *,
    caption: str = "Export to a calendar file",
    path: Path | None = None,
) -> Path | None:
    """Ask where to save (unless ``path`` is given), make the ``.ics`` of ``rows`` in
    ``zone_name`` and write it, both on a worker; the path written, None when the user
    cancelled. Raises what ``export`` raises (its ``failures`` say it in a sentence)."""
    target = path or await ask_save_path(
        parent, caption, proposed, suffix="ics", filters=ICS_FILTERS
    )
    if target is None:
        return None
    data = await asyncio.to_thread(export.make, list(rows), dict(calendars), zone_name)
    await asyncio.to_thread(export.write, target, data)
    return target


__all__ = [
    "IcsExport",
    "IcsMaker",
    "IcsWriter",
    "appointment_file_name",
    "documents_folder",
    "export_ics",
    "period_file_name",
]
