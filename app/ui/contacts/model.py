"""The Contacts table model: a lazily paged window over one sub-account's cached contacts.

Sorting, searching and filtering happen in SQL (``ContactsReader``, from the
tab's port); the model (a ``PagedCacheModel``) only holds the rows loaded so
far, ``PAGE_SIZE`` at a time through ``canFetchMore``/``fetchMore``. Reads run
inline on the GUI thread: a page is
a few milliseconds (see ``tests/bench/test_contacts_model_bench.py``), which
is cheaper than a round trip through a worker thread and keeps every row
change in the order the view expects. Search-as-you-type, where a query may
be superseded before it finishes, runs its first page in a worker instead
(``ContactSearchController``) and hands it over with ``apply_first_page``.

Rows are ``ContactRow`` records of the displayed values, not the wire
documents: a decoded document costs about 3.9 KB, which for 100,000 loaded
contacts is ~390 MB. The full document is read from the cache on demand
(``ContactRole``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QDate,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from app.core.team import readable_member
from app.core.constants import LIFECYCLE_STAGES
from app.core.phones import display_phone
from app.core.models import CustomFieldDefinition
from app.services.ports.contacts import (
    ContactFilters,
    ContactPage,
    ContactQuery,
    ContactRow,
    ContactsReader,
    StorageError,
)
from app.ui.common.paged_model import REFRESH_COALESCE_MS, Intern, PagedCacheModel
from app.ui.common.time_format import long_time, relative_time

log = logging.getLogger(__name__)

PAGE_SIZE = 200
"""Rows read per ``fetchMore`` (and the first page of every query)."""

ContactRole = Qt.ItemDataRole.UserRole + 1
"""The contact's full wire document (a dict, read from the cache), or None."""
ContactIdRole = Qt.ItemDataRole.UserRole + 2
"""The contact's id (str)."""
ColumnKeyRole = Qt.ItemDataRole.UserRole + 3
"""Header data: the column's stable key (``ColumnSpec.key``)."""
SortableRole = Qt.ItemDataRole.UserRole + 4
"""Header data: whether the column can be sorted (bool)."""


class Column(IntEnum):
    """Indexes of the fixed columns; custom field columns follow ``CREATED``."""

    NAME = 0
    EMAIL = 1
    PHONE = 2
    COMPANY = 3
    TITLE = 4
    STAGE = 5
    TAGS = 6
    SOURCE = 7
    ASSIGNED_TO = 8
    SCORE = 9
    CITY = 10
    UPDATED = 11
    CREATED = 12


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column: a stable ``key`` to save the user's column choice under, its
    header ``label``, the storage sort key (None: not sortable) and whether the
    view shows it before the user chooses."""

    key: str
    label: str
    sort_key: str | None = None
    numeric: bool = False
    default_visible: bool = True
    field_type: str | None = None  # custom fields only: the definition's type

    @property
    def sortable(self) -> bool:
        """Whether ``ContactsTableModel.sort`` can order by this column."""
        return self.sort_key is not None


FIXED_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", "name"),
    ColumnSpec("email", "Email", "email"),
    ColumnSpec("phone", "Phone", "phone"),
    ColumnSpec("company", "Company", "company"),
    ColumnSpec("title", "Title", default_visible=False),
    ColumnSpec("lifecycleStage", "Stage", "lifecycleStage"),
    ColumnSpec("tags", "Tags"),
    ColumnSpec("source", "Source", "source", default_visible=False),
    ColumnSpec("assignedTo", "Assigned to", default_visible=False),
    ColumnSpec("engagementScore", "Score", "engagementScore", numeric=True, default_visible=False),
    ColumnSpec("city", "City", default_visible=False),
    ColumnSpec("updatedAt", "Updated", "updatedAt", default_visible=False),
    ColumnSpec("createdAt", "Created", "createdAt", default_visible=False),
)
"""The fixed columns, in ``Column`` order. Those shown by default fit the table at the
window's default size with the detail pane open (no horizontal scrollbar); the others are
one click away in the header's menu."""

CUSTOM_KEY_PREFIX = "customFields."
"""Keys of custom field columns: this prefix and the field's name."""

STAGE_LABELS = {stage: stage.capitalize() for stage in LIFECYCLE_STAGES}


def load_first_page(
    reader: ContactsReader, query: ContactQuery, limit: int = PAGE_SIZE
) -> ContactPage:
    """The first ``limit`` rows of ``query`` and the total count, in one step.

    Safe to call from a worker thread (each thread reads on its own connection)."""
    return reader.first_page(query, limit)


def _text(value: object) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ANSWERED = frozenset({_DISPLAY, _ALIGNMENT, _FONT, _TOOLTIP, ContactIdRole, ContactRole})
"""The roles ``data`` answers; the others are None at once."""


class _Keep:
    """Marks an argument of ``set_reader`` that keeps the model's current value."""


KEEP = _Keep()


class ContactsTableModel(PagedCacheModel[ContactsReader, ContactQuery, ContactRow]):
    """Contacts of one sub-account, searched, filtered and sorted in SQL, loaded in pages.

    ``set_reader`` switches sub-account, ``set_query`` changes the search
    and filters, ``sort`` re-queries in the chosen order and ``refresh``
    applies a ``ContactsChanged`` event in place: rows whose values changed
    emit ``dataChanged``; rows that appeared, left or moved are inserted,
    removed or moved, so persistent indexes (the view's selection and current
    row) and the scroll position survive a sync.
    """

    noun = "contacts"
    read_errors = (StorageError,)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        coalesce_ms: int = REFRESH_COALESCE_MS,
        now: Callable[[], datetime] | None = None,
        home_region: str | None = "US",
    ) -> None:
        """An empty model; ``now`` (aware datetimes) is replaceable for tests."""
        super().__init__(ContactQuery(), parent, page_size=page_size, coalesce_ms=coalesce_ms)
        self._now = now or (lambda: datetime.now(UTC))
        self._home_region = home_region
        self._columns: tuple[ColumnSpec, ...] = FIXED_COLUMNS
        self._alignments = [self._alignment(spec) for spec in self._columns]
        self._custom_defs: list[CustomFieldDefinition] = []
        self._assignee_names: dict[str, str] = {}
        self._phone_texts: dict[str, str] = {}  # formatted on first paint
        self._italic = QFont()
        self._italic.setItalic(True)
        self._locale = QLocale()

    # ------------------------------------------------------------------ reading

    def row_key(self, row: ContactRow) -> str:
        """A row's contact id."""
        return row.id

    def read_first(
        self, source: ContactsReader, query: ContactQuery, limit: int, intern: Intern
    ) -> tuple[list[ContactRow], int]:
        """The first page of ``query`` and the match count."""
        page = source.first_page(query, limit, intern=intern)
        return page.rows, page.total

    def read_page(
        self, source: ContactsReader, query: ContactQuery, limit: int, offset: int, intern: Intern
    ) -> list[ContactRow]:
        """A later page of ``query``."""
        return source.page(query, limit=limit, offset=offset, intern=intern)

    def accepts_first_page(self, query: ContactQuery) -> bool:
        """A page read in another order than the one shown is refused (re-read it)."""
        q = self._query
        return (query.sort_key, query.descending) == (q.sort_key, q.descending)

    def on_reset(self, source_changed: bool) -> None:
        """The columns follow the sub-account's custom fields (read on a switch)."""
        self._phone_texts = {}
        if source_changed:
            self._columns = FIXED_COLUMNS + self._custom_columns(self._custom_defs)
            self._alignments = [self._alignment(spec) for spec in self._columns]

    def apply_changes(self, full: bool, *, background: bool | None = None) -> None:
        """After a full reload the custom fields may differ: new columns need a reset."""
        source = self._source
        if full and source is not None:
            try:
                defs = source.field_definitions()
            except StorageError as exc:
                self._fail("apply the latest contacts changes", exc)
                return
            if defs != self._custom_defs:
                self._custom_defs = defs
                self._reload(self._query, source_changed=True)
                self.changesApplied.emit()
                return
        super().apply_changes(full, background=background)

    # ------------------------------------------------------------------ state

    @property
    def reader(self) -> ContactsReader | None:
        """The reader of the sub-account shown, or None."""
        return self._source

    @property
    def columns(self) -> tuple[ColumnSpec, ...]:
        """Every column in order: the fixed ones, then one per custom field."""
        return self._columns

    def column_of(self, key: str) -> int:
        """The column index of a ``ColumnSpec.key``, or -1."""
        for index, spec in enumerate(self._columns):
            if spec.key == key:
                return index
        return -1

    def set_assignee_names(self, names: Mapping[str, str]) -> None:
        """Show team member names instead of user ids in the "Assigned to" column."""
        self._assignee_names = dict(names)
        if self._rows:
            col = Column.ASSIGNED_TO
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))

    # ------------------------------------------------------- Qt model interface

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return super().headerData(section, orientation, role)
        spec = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return spec.label if spec.sortable else f"{spec.label} (not sortable)"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(spec)
        if role == ColumnKeyRole:
            return spec.key
        if role == SortableRole:
            return spec.sortable
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names[ContactRole] = QByteArray(b"contact")
        names[ContactIdRole] = QByteArray(b"contactId")
        return names

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        # Painting asks for about ten roles per visible cell: the roles are compared as
        # plain ints and the common ones come first.
        if role not in _ANSWERED or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(self._columns)):
            return None
        return self._value(self._rows[row], column, role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan: Any) -> None:
        # A view paints a cell by asking for seven roles at once; answering them in one
        # call instead of seven calls of ``data`` makes painting the table ~20 % cheaper.
        span = roleDataSpan
        row, column = index.row(), index.column()
        valid = index.isValid() and 0 <= row < len(self._rows) and 0 <= column < len(self._columns)
        item = self._rows[row] if valid else None
        for i in range(len(span)):
            entry = span[i]
            role = entry.role()
            value = (
                self._value(item, column, role) if item is not None and role in _ANSWERED else None
            )
            if value is None:
                entry.clearData()
            else:
                entry.setData(value)

    def _value(self, item: ContactRow, column: int, role: int) -> Any:
        if role == _DISPLAY:
            return self._display(item, column)
        if role == _ALIGNMENT:
            return self._alignments[column]
        if role == _FONT:
            return self._italic if column == Column.NAME and not item.name else None
        if role == ContactIdRole:
            return item.id
        if role == ContactRole:
            return self._document(item.id)
        if role == _TOOLTIP:
            return self._tooltip(item, column)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Re-query in the order of ``column`` (in SQL); unsortable columns are ignored."""
        if not 0 <= column < len(self._columns):
            return
        sort_key = self._columns[column].sort_key
        if sort_key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        q = self._query
        if (q.sort_key, q.descending) == (sort_key, descending) and self._rows:
            return
        self._reload(ContactQuery(q.text, q.filters, sort_key, descending))

    @property
    def sort_column(self) -> int:
        """The column the rows are ordered by (for the header's sort indicator)."""
        for index, spec in enumerate(self._columns):
            if spec.sort_key == self._query.sort_key:
                return index
        return -1

    @property
    def sort_order(self) -> Qt.SortOrder:
        """The direction of the order (for the header's sort indicator)."""
        return (
            Qt.SortOrder.DescendingOrder if self._query.descending else Qt.SortOrder.AscendingOrder
        )

    # ---------------------------------------------------------------- queries

    def set_reader(
        self,
        reader: ContactsReader | None,
        *,
        text: str | None | _Keep = KEEP,
        filters: ContactFilters | _Keep = KEEP,
    ) -> None:
        """Show another sub-account's contacts (None: nothing).

        The old rows are gone when this returns and the new sub-account's first
        page is in place (one model reset, so no frame shows both). Pending
        changes of the old one are dropped. ``text`` and ``filters`` replace the
        query's at the same time when given; the order is kept.
        """
        q = self._query
        query = ContactQuery(
            q.text if isinstance(text, _Keep) else text,
            q.filters if isinstance(filters, _Keep) else filters,
            q.sort_key,
            q.descending,
        )
        self._custom_defs = []
        if reader is not None:
            try:
                self._custom_defs = reader.field_definitions()
            except StorageError as exc:
                log.error("contacts model: could not read the custom fields", exc_info=exc)
        self.set_source(reader, query)

    def set_query(self, text: str | None, filters: ContactFilters | None = None) -> None:
        """Search ``text`` with ``filters`` (None: no filter): reset and load the first page."""
        q = self._query
        self.show_query(ContactQuery(text, filters or ContactFilters(), q.sort_key, q.descending))

    @staticmethod
    def _custom_columns(defs: list[CustomFieldDefinition]) -> tuple[ColumnSpec, ...]:
        specs = []
        for definition in defs:
            if not definition.name:
                continue
            kind = _text(str(definition.type)) or "text"
            specs.append(
                ColumnSpec(
                    CUSTOM_KEY_PREFIX + definition.name,
                    _text(definition.label) or definition.name,
                    numeric=kind == "number",
                    default_visible=False,
                    field_type=kind,
                )
            )
        return tuple(specs)

    # ---------------------------------------------------------------- display

    def _display(self, item: ContactRow, column: int) -> str | None:
        if column >= len(FIXED_COLUMNS):
            spec = self._columns[column]
            value = (item.custom or {}).get(spec.key[len(CUSTOM_KEY_PREFIX) :])
            return self._custom_text(value, spec.field_type)
        match column:
            case Column.NAME:
                return item.name or "(no name)"
            case Column.EMAIL:
                return item.email
            case Column.PHONE:
                return self._phone(item)
            case Column.COMPANY:
                return item.company
            case Column.TITLE:
                return item.title
            case Column.STAGE:
                return STAGE_LABELS.get(item.stage or "", item.stage)
            case Column.TAGS:
                return ", ".join(item.tags) or None
            case Column.SOURCE:
                return item.source
            case Column.ASSIGNED_TO:
                if item.assigned_to is None:
                    return None
                return self._assignee_names.get(item.assigned_to) or readable_member(
                    item.assigned_to
                )
            case Column.SCORE:
                return None if item.score is None else self._locale.toString(item.score)
            case Column.CITY:
                return item.city
            case Column.UPDATED:
                return self._relative(item.updated)
            case Column.CREATED:
                return self._relative(item.created)
        return None

    def _tooltip(self, item: ContactRow, column: int) -> str | None:
        if column == Column.NAME:
            return "\n".join(p for p in (item.name or "(no name)", item.email, item.company) if p)
        if column == Column.TAGS:
            return "\n".join(item.tags) or None
        if column in (Column.UPDATED, Column.CREATED):
            when = _parse_time(item.updated if column == Column.UPDATED else item.created)
            return None if when is None else long_time(when, self._locale)
        if column == Column.PHONE and item.phone:
            return item.phone
        text = self._display(item, column)
        # Long values are elided in the cell; the tooltip shows them whole.
        return text if text and len(text) > 24 else None

    def _phone(self, item: ContactRow) -> str | None:
        if item.phone is None:
            return None
        text = self._phone_texts.get(item.phone)
        if text is None:
            # Formatting parses the number (~30 us): done once per number, when first shown.
            text = display_phone(item.phone, home_region=self._home_region)
            self._phone_texts[item.phone] = text
        return text

    def _relative(self, value: str | None) -> str | None:
        when = _parse_time(value)
        return None if when is None else relative_time(when, self._now(), self._locale)

    def _custom_text(self, value: object, kind: str | None) -> str | None:
        if value is None or value == "" or value == []:
            return None
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, (int, float)):
            return self._locale.toString(value)
        if kind == "date" and isinstance(value, str):
            try:
                day = datetime.fromisoformat(value).date()
            except ValueError:
                return value
            return self._locale.toString(
                QDate(day.year, day.month, day.day), QLocale.FormatType.ShortFormat
            )
        return str(value)

    @staticmethod
    def _alignment(spec: ColumnSpec) -> int:
        horizontal = Qt.AlignmentFlag.AlignRight if spec.numeric else Qt.AlignmentFlag.AlignLeft
        return int(horizontal | Qt.AlignmentFlag.AlignVCenter)

    def _document(self, contact_id: str) -> dict[str, Any] | None:
        if self._source is None:
            return None
        try:
            return self._source.document(contact_id)
        except StorageError as exc:
            self._fail("read the contact", exc)
            return None
