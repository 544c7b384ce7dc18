"""The Contacts tab's search across sub-accounts (All sub-accounts, agency keys).

In All mode the search box also searches every member sub-account's cache through the
port's ``AgencyContactsReader`` (one read per member, on a worker; the newest text wins:
an answer to older text is dropped). The results are read only: a table of name, email,
phone and company with the owning sub-account's chip on every row, and a line counting
the matches of each sub-account ("12 in Summit Roofing, 3 in Bright Dental"). Opening a
result (Enter or a double-click) asks the tab, through ``openRequested``, to make its
sub-account the session's and show the contact in the normal table and pane: editing
only ever happens there, in the open sub-account.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QWidget,
)

from app.core.phones import display_phone
from app.services.agency_reads import AgencyContactResults, AgencyContactsReader, Tagged
from app.services.ports.contacts import ContactRow, StorageError
from app.ui.common.owner_chip import OwnerChipDelegate, OwnerColourRole, OwnerNameRole
from app.ui.common.paged_model import ReadWorker
from app.ui.common.search import SearchPace
from app.ui.common.widgets import IconLabel
from app.ui.theme import Spacing

log = logging.getLogger(__name__)

PER_SUB_ACCOUNT = 25
"""Matches read from each sub-account: a few screens in all, however many members."""

ROW_HEIGHT = 28

HINT = (
    "Search every sub-account's contacts: type a name, email, company or phone. "
    "Opening a result switches to its sub-account."
)

ContactIdRole = int(Qt.ItemDataRole.UserRole) + 42
"""The contact's id (str) of a result row."""

OwnerIdRole = int(Qt.ItemDataRole.UserRole) + 43
"""The owning sub-account's id (str) of a result row."""

_COLUMNS = ("Sub-account", "Name", "Email", "Phone", "Company")
_OWNER, _NAME, _EMAIL, _PHONE, _COMPANY = range(len(_COLUMNS))
_WIDTHS = (170, 190, 230, 130)  # the company takes the rest


def counts_line(results: AgencyContactResults, members: list[tuple[str, str]]) -> str:
    """The per-sub-account counts of ``results`` in the members' order (``members``: id and
    name), e.g. "12 in Summit Roofing, 0 in Bright Dental"."""
    if results.total == 0:
        return "No contact matches in any sub-account."
    parts = [f"{results.totals.get(sub, 0):,} in {name}" for sub, name in members]
    line = ", ".join(parts)
    if any(n > PER_SUB_ACCOUNT for n in results.totals.values()):
        line += f" (the first {PER_SUB_ACCOUNT} of each are listed)"
    return line


class AgencyContactsModel(QAbstractTableModel):
    """The merged results: one read-only row per contact, tagged with its sub-account."""

    def __init__(self, parent: QObject | None = None, *, home_region: str | None = "US") -> None:
        super().__init__(parent)
        self._rows: list[Tagged[ContactRow]] = []
        self._home_region = home_region

    def set_rows(self, rows: list[Tagged[ContactRow]]) -> None:
        """Show ``rows`` instead of the current ones."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def tagged_at(self, row: int) -> Tagged[ContactRow] | None:
        """The result at ``row`` with its sub-account, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        """Results listed (a table: no children)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        """Sub-account, name, email, phone, company."""
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(_COLUMNS)
        ):
            return _COLUMNS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """Selectable, never editable: a merged row is read only."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Texts of the row, and its contact, owner name, owner id and chip colour."""
        tagged = self.tagged_at(index.row()) if index.isValid() else None
        if tagged is None:
            return None
        member, item = tagged.member, tagged.row
        if role == ContactIdRole:
            return item.id
        if role == OwnerIdRole:
            return member.sub_account_id
        if role == OwnerNameRole:
            return member.name
        if role == OwnerColourRole:
            return member.colour
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == _OWNER:
                return member.name  # what screen readers and copying get; the chip is painted
            if column == _NAME:
                return item.name or "(no name)"
            if column == _EMAIL:
                return item.email or ""
            if column == _PHONE:
                return (
                    display_phone(item.phone, home_region=self._home_region) if item.phone else ""
                )
            if column == _COMPANY:
                return item.company or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.name or item.email or '(no name)'} — a contact in {member.name}"
        return None


class AgencyContactSearch(QObject):
    """Runs the merged search on a worker; only the newest text's answer is delivered.

    Paced like the single sub-account's search: while the last read was cheap a keystroke
    searches at once, after a costly one (many members, a short text) it waits for a pause
    in the typing, so the worker is not asked once per letter."""

    resultsReady = Signal(str, object)
    """(text, ``AgencyContactResults``) of the newest search."""

    searchFailed = Signal(str)
    """The caches could not be read; what happened, in words."""

    def __init__(self, parent: QObject | None = None, *, executor: Any = None) -> None:
        super().__init__(parent)
        self._reads = ReadWorker(self, name="agency-contact-search", executor=executor)
        self.pace = SearchPace()
        """When a keystroke searches: at once after a cheap read, else after the debounce."""
        self._waiting: tuple[AgencyContactsReader, str] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._debounced)

    @property
    def busy(self) -> bool:
        """Whether the newest search waits for its debounce or its answer."""
        return self._timer.isActive() or self._reads.busy

    def search(self, reader: AgencyContactsReader, text: str) -> None:
        """Search ``text`` in every member of ``reader`` (voids every earlier search)."""
        self._reads.void()
        delay = self.pace.delay_ms()
        if delay:
            self._waiting = (reader, text)
            self._timer.start(delay)
            return
        self._timer.stop()
        self._waiting = None
        self._start(reader, text)

    def void(self) -> None:
        """Drop the searches waiting or in flight (All mode ended, the text was cleared)."""
        self._timer.stop()
        self._waiting = None
        self._reads.void()

    def close(self) -> None:
        """Stop the worker (on quit)."""
        self.void()
        self._reads.close()

    def _debounced(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._start(*waiting)

    def _start(self, reader: AgencyContactsReader, text: str) -> None:
        def read() -> tuple[AgencyContactResults, float]:
            # On the worker thread: reads the caches, touches no Qt object.
            started = time.perf_counter()
            results = reader.search(text, per_member=PER_SUB_ACCOUNT)
            return results, (time.perf_counter() - started) * 1000

        self._reads.submit(read, lambda answer: self._deliver(text, *answer), self._failed)

    def _deliver(self, text: str, results: AgencyContactResults, read_ms: float) -> None:
        self.pace.record(read_ms)
        self.resultsReady.emit(text, results)

    def _failed(self, exc: Exception) -> None:
        log.error("the search across sub-accounts failed", exc_info=exc)
        if isinstance(exc, StorageError):
            self.searchFailed.emit(f"Could not search the local caches ({exc}).")
        else:
            self.searchFailed.emit(f"The search across sub-accounts failed ({exc}).")


class AgencySearchHint(QWidget):
    """The line above the table in All mode: what the search does, or the counts of the
    current results per sub-account."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.S)
        self.icon = IconLabel("search", 16, self)
        self.label = QLabel(HINT, self)
        self.label.setWordWrap(True)
        self.label.setProperty("muted", True)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)

    def show_text(self, text: str) -> None:
        """Say ``text``."""
        self.label.setText(text)


class AgencyResultsView(QTableView):
    """The merged results table (read only; Enter or a double-click opens a row)."""

    openRequested = Signal(str, str)
    """(sub-account id, contact id): the user opened this result."""

    def __init__(self, model: AgencyContactsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegateForColumn(_OWNER, OwnerChipDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in enumerate(_WIDTHS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.activated.connect(self._open)

    def open_row(self, row: int) -> bool:
        """Open the result at ``row`` (what Enter and a double-click do); False if none."""
        model = self.model()
        index = model.index(row, 0)
        if not index.isValid():
            return False
        self._open(index)
        return True

    def _open(self, index: QModelIndex) -> None:
        owner, contact_id = index.data(OwnerIdRole), index.data(ContactIdRole)
        if owner and contact_id:
            self.openRequested.emit(str(owner), str(contact_id))


__all__ = [
    "HINT",
    "PER_SUB_ACCOUNT",
    "AgencyContactSearch",
    "AgencyContactsModel",
    "AgencyResultsView",
    "AgencySearchHint",
    "ContactIdRole",
    "OwnerIdRole",
    "counts_line",
]
