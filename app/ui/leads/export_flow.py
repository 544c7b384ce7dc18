"""Exporting from the Leads tab: "Results shown" (the table as shown) or "Researched
records" (every email and phone), through a save dialog; the outcome is said on the
banner (``exportFinished`` carries the path, or the sentence of a failure).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.seamless import ExportRow, ResearchedCompany, ResearchedContact
from app.ui.leads.export import (
    ask_export_path,
    companies_csv,
    contacts_csv,
    results_csv,
    write_csv,
)

if TYPE_CHECKING:
    from app.ui.leads.tab import LeadsTab


class ExportFlow:
    """CSV exports of the Leads tab (see the module docstring)."""

    def __init__(self, tab: LeadsTab) -> None:
        self.tab = tab

    def export(self, what: str) -> asyncio.Task[Any]:
        """Export "results" or "researched" through a save dialog."""
        return self.tab.tasks.spawn(self._flow(what), "leads-export", replace=True)

    async def _flow(self, what: str) -> Path | None:
        caption = "Export researched records" if what == "researched" else "Export results"
        path = await ask_export_path(self.tab, caption)
        if path is None:
            return None
        await self.export_to(path, what)
        return path

    def text(self, what: str) -> tuple[str, int]:
        """The CSV text of an export and how many records it holds."""
        side = self.tab.side
        model = side.model
        if what == "results":
            return results_csv(model.headers(), model.export_rows()), model.rowCount()
        ids = model.researched_ids()
        if side.companies:
            rows = []
            for key in ids:
                research = model.research_of(key)
                record = research.record if research else None
                status = research.summary() if research else ""
                rows.append(
                    (key, record if isinstance(record, ResearchedCompany) else None, status)
                )
            return companies_csv(rows), len(rows)
        export_rows = []
        for key in ids:
            research = model.research_of(key)
            record = research.record if research else None
            if isinstance(record, ResearchedContact):
                export_rows.append(ExportRow(record, "researched", key))
        return contacts_csv(export_rows), len(export_rows)

    async def export_to(self, path: Path, what: str) -> int:
        """Write an export to ``path`` (atomically, on a worker thread); the records written.
        A failure is shown on the banner (and ``exportFinished`` carries the sentence)."""
        tab = self.tab
        tab.action_started()
        text, count = self.text(what)
        try:
            await write_csv(path, text)
        except OSError as exc:
            message = (
                f"The export could not be written to {path} ({exc.strerror or exc}). Choose "
                "another folder and try again; nothing was saved."
            )
            tab.show_banner("danger", message)
            tab.exportFinished.emit(message)
            return 0
        noun = "record" if count == 1 else "records"
        tab.show_banner("success", f"Exported {count:,} {noun} to {path}.")
        tab.exportFinished.emit(path)
        return count


__all__ = ["ExportFlow"]
