"""CSV export of the Leads tab: the results shown, and the researched records with their
emails and phones.

Cells a spreadsheet would run as formulas are neutralised as the contact export
does (``app.core.contact_csv.neutralize``); the file is written on a worker
thread, atomically (``write_text_atomically``: complete or untouched). A save
dialog proposes ``leads-YYYY-MM-DD.csv`` in the Documents folder.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QWidget

from app.core.contact_csv import neutralize
from app.core.seamless import ExportRow, ResearchedCompany, research_csv
from app.services.contact_import import write_text_atomically
from app.ui.common.files import ask_save_path

COMPANY_EXPORT_COLUMNS: tuple[str, ...] = (
    "Name",
    "Domain",
    "Industries",
    "Employees",
    "Staff range",
    "Annual revenue",
    "Revenue range",
    "Founded",
    "Phones",
    "City",
    "State",
    "Country",
    "LinkedIn",
    "Technologies",
    "Description",
    "Search result id",
    "Status",
)
"""Columns of ``companies_csv``, in order."""


def export_name(today: datetime.date | None = None) -> str:
    """The file name an export proposes: ``leads-YYYY-MM-DD.csv``."""
    return f"leads-{(today or datetime.date.today()).isoformat()}.csv"


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralize(str(cell)) for cell in row])
    return out.getvalue()


def results_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """The results table as CSV text (the columns and texts shown)."""
    return _csv(header, rows)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _names(items: Iterable[object], key: str) -> list[str]:
    """Texts of a list that holds strings or objects with ``key`` (phones, technologies)."""
    result = []
    for item in items:
        value = item.get(key) if isinstance(item, dict) else item
        if isinstance(value, str | int) and str(value).strip():
            result.append(str(value).strip())
    return result


def companies_csv(rows: Iterable[tuple[str, ResearchedCompany | None, str]]) -> str:
    """Researched companies (search result id, record, status) as CSV text."""
    lines = []
    for search_result_id, record, status in rows:
        if record is None:
            lines.append([""] * (len(COMPANY_EXPORT_COLUMNS) - 2) + [search_result_id, status])
            continue
        location = record.location
        phones = _names(record.phones, "number")
        technologies = _names(record.top_technologies, "name")
        lines.append(
            [
                record.display_name,
                _text(record.domain),
                "; ".join(record.industries),
                _text(record.staff_count),
                _text(record.staff_count_range),
                _text(record.annual_revenue),
                _text(record.revenue_range),
                _text(record.founded_year),
                "; ".join(phones),
                _text(location.city if location else None),
                _text(location.state if location else None),
                _text(location.country if location else None),
                _text(record.linked_in_profile_url),
                "; ".join(technologies),
                _text(record.description),
                search_result_id,
                status,
            ]
        )
    return _csv(COMPANY_EXPORT_COLUMNS, lines)


def contacts_csv(rows: Iterable[ExportRow]) -> str:
    """Researched people with every email and phone (``research_csv``)."""
    return research_csv(rows)


async def write_csv(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` on a worker thread, atomically (``OSError`` on failure)."""
    await asyncio.to_thread(write_text_atomically, path, [text])


def _documents() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder else Path.home()


async def ask_export_path(parent: QWidget | None, caption: str) -> Path | None:
    """Ask where to save (a non-blocking save dialog proposing ``leads-YYYY-MM-DD.csv``);
    None when cancelled."""
    return await ask_save_path(parent, caption, _documents() / export_name())


__all__ = [
    "COMPANY_EXPORT_COLUMNS",
    "ask_export_path",
    "companies_csv",
    "contacts_csv",
    "export_name",
    "results_csv",
    "write_csv",
]
