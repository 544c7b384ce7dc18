"""The Contacts table model: a lazily paged window over one cache partition.

Sorting, searching and filtering happen in SQL (``ContactRepository.search``);
the model only holds the rows loaded so far, ``PAGE_SIZE`` at a time through
``canFetchMore``/``fetchMore``. Reads run inline on the GUI thread: a page is
a few milliseconds (see ``tests/bench/test_contacts_model_bench.py``), which
is cheaper than a round trip through a worker thread and keeps every row
change in the order the view expects. Search-as-you-type, where a query may
be superseded before it finishes, runs its first page in a worker instead
(``ContactSearchController``) and hands it over with ``apply_first_page``.

Rows are kept as compact records of the displayed values, not as the wire
documents: a decoded document costs about 3.9 KB, which for 100,000 loaded
contacts is ~390 MB. The full document is read from the cache on demand
(``ContactRole``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from app.core.constants import LIFECYCLE_STAGES
from app.core.phones import format_phone
from app.services.bus import ContactsChanged
from app.storage import ContactFilters, Partition, StorageError, normalize_deployment
from app.ui.common.time_format import long_time, relative_time

log = logging.getLogger(__name__)

PAGE_SIZE = 200
"""Rows read per ``fetchMore`` (and the first page of every query)."""

REFRESH_COALESCE_MS = 30
"""Change events arriving within this window are applied as one re-query.

A full sync publishes one event per stored page; re-reading the loaded window
once per burst instead of once per page keeps the loop free during a sync."""

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
    ColumnSpec("assignedTo", "Assigned to"),
    ColumnSpec("engagementScore", "Score", "engagementScore", numeric=True),
    ColumnSpec("city", "City", default_visible=False),
    ColumnSpec("updatedAt", "Updated", "updatedAt"),
    ColumnSpec("createdAt", "Created", "createdAt", default_visible=False),
)
"""The fixed columns, in ``Column`` order."""

CUSTOM_KEY_PREFIX = "customFields."
"""Keys of custom field columns: this prefix and the field's name."""

STAGE_LABELS = {stage: stage.capitalize() for stage in LIFECYCLE_STAGES}


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """What the model shows: search text, filters and order."""

    text: str | None = None
    filters: ContactFilters = field(default_factory=ContactFilters)
    sort_key: str = "name"
    descending: bool = False


def load_first_page(
    partition: Partition, query: ContactQuery, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int]:
    """The first ``limit`` contacts of ``query`` and the total count, in one step.

    Safe to call from a worker thread (the database serialises its connection).
    """
    repo = partition.contacts
    docs = repo.search(
        query.text, query.filters, sort_key=query.sort_key, descending=query.descending, limit=limit
    )
    if len(docs) < limit:
        return docs, len(docs)  # the whole result fits in the page: no count query needed
    # The repository answers the count of the same text from the cache the page filled.
    return docs, repo.count(query.text, query.filters)


@dataclass(slots=True)
class _Row:
    """The displayed values of one contact (compared to detect changed rows)."""

    id: str
    name: str
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    stage: str | None
    tags: tuple[str, ...]
    source: str | None
    assigned_to: str | None
    score: float | int | None
    city: str | None
    updated: str | None
    created: str | None
    custom: dict[str, Any] | None
    phone_text: str | None = field(default=None, compare=False)  # formatted on first paint


def _text(value: object) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


class _Pool:
    """Shares repeated strings (stages, sources, tags, cities) between rows."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._strings.setdefault(value, value)

    def clear(self) -> None:
        self._strings.clear()


def _row(doc: dict[str, Any], pool: _Pool) -> _Row:
    first, last = _text(doc.get("firstName")), _text(doc.get("lastName"))
    score = doc.get("engagementScore")
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        score = None
    tags = doc.get("tags")
    custom = doc.get("customFields")
    return _Row(
        id=str(doc["id"]),
        name=" ".join(p for p in (first, last) if p),
        email=_text(doc.get("email")),
        phone=_text(doc.get("phone")),
        company=_text(doc.get("company")),
        title=pool(_text(doc.get("title"))),
        stage=pool(_text(doc.get("lifecycleStage"))),
        tags=tuple(pool(t) or "" for t in tags if isinstance(t, str) and t)
        if isinstance(tags, list)
        else (),
        source=pool(_text(doc.get("source"))),
        assigned_to=pool(_text(doc.get("assignedTo"))),
        score=score,
        city=pool(_text(doc.get("city"))),
        updated=_text(doc.get("updatedAt")),
        created=_text(doc.get("createdAt")),
        custom={k: pool(v) if isinstance(v, str) else v for k, v in custom.items()}
        if isinstance(custom, dict) and custom
        else None,
    )


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending row numbers grouped into (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class _Keep:
    """Marks an argument of ``set_partition`` that keeps the model's current value."""


KEEP = _Keep()


class ContactsTableModel(QAbstractTableModel):
    """Contacts of one partition, searched, filtered and sorted in SQL, loaded in pages.

    ``set_partition`` switches sub-account, ``set_query`` changes the search
    and filters, ``sort`` re-queries in the chosen order and ``refresh``
    applies a ``ContactsChanged`` event in place: rows whose values changed
    emit ``dataChanged``; rows that appeared, left or moved are inserted,
    removed or moved, so persistent indexes (the view's selection and current
    row) and the scroll position survive a sync.
    """

    countChanged = Signal(int)
    """The number of contacts matching the query changed (``total_count``)."""

    loadFailed = Signal(str)
    """Reading the cache failed; the argument says what happened (already logged)."""

    changesApplied = Signal()
    """A ``ContactsChanged`` burst was applied (filter choices may have changed too)."""

    def __init__(
        self,
        parent: Any = None,
        *,
        page_size: int = PAGE_SIZE,
        coalesce_ms: int = REFRESH_COALESCE_MS,
        now: Callable[[], datetime] | None = None,
        home_region: str | None = "US",
    ) -> None:
        """An empty model; ``now`` (aware datetimes) is replaceable for tests."""
        super().__init__(parent)
        self._page_size = page_size
        self._now = now or (lambda: datetime.now(UTC))
        self._home_region = home_region
        self._partition: Partition | None = None
        self._query = ContactQuery()
        self._columns: tuple[ColumnSpec, ...] = FIXED_COLUMNS
        self._custom_defs: list[dict[str, Any]] = []
        self._rows: list[_Row] = []
        self._row_of: dict[str, int] = {}
        self._offset = 0  # rows consumed from storage (duplicates included)
        self._exhausted = True
        self._total = 0
        self._fetching = False
        self._epoch = 0
        self._pool = _Pool()
        self._assignee_names: dict[str, str] = {}
        self._italic = QFont()
        self._italic.setItalic(True)
        self._locale = QLocale()
        self._pending_ids: set[str] = set()
        self._pending_deleted: set[str] = set()
        self._pending_full = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(coalesce_ms)
        self._refresh_timer.timeout.connect(self.flush_changes)

    # ------------------------------------------------------------------ state

    @property
    def partition(self) -> Partition | None:
        """The partition shown, or None."""
        return self._partition

    @property
    def query(self) -> ContactQuery:
        """The text, filters and order of the rows shown."""
        return self._query

    @property
    def total_count(self) -> int:
        """How many contacts match the query (loaded or not): the "N matches" figure."""
        return self._total

    @property
    def loaded_count(self) -> int:
        """Rows loaded so far (``rowCount()``)."""
        return len(self._rows)

    @property
    def page_size(self) -> int:
        """Rows per ``fetchMore``."""
        return self._page_size

    @property
    def epoch(self) -> int:
        """Increases on every reset (partition, query or order change)."""
        return self._epoch

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

    def row_of(self, contact_id: str) -> int:
        """The row of a loaded contact, or -1 when it is not loaded (or does not match)."""
        return self._row_of.get(contact_id, -1)

    def id_at(self, row: int) -> str | None:
        """The contact id of a row, or None outside the loaded rows."""
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def ids_at(self, rows: Iterable[int]) -> list[str]:
        """The contact ids of loaded ``rows`` (others skipped), e.g. for a bulk action."""
        return [self._rows[r].id for r in rows if 0 <= r < len(self._rows)]

    def set_assignee_names(self, names: dict[str, str]) -> None:
        """Show team member names instead of user ids in the "Assigned to" column."""
        self._assignee_names = dict(names)
        if self._rows:
            col = Column.ASSIGNED_TO
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))

    # ------------------------------------------------------- Qt model interface

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

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

    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names[ContactRole] = b"contact"
        names[ContactIdRole] = b"contactId"
        return names

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(self._columns)):
            return None
        item = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, column)
        if role == ContactIdRole:
            return item.id
        if role == ContactRole:
            return self._document(item.id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(self._columns[column])
        if role == Qt.ItemDataRole.FontRole and column == Column.NAME and not item.name:
            return self._italic
        return None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if parent.isValid() or self._partition is None:
            return False
        return not self._exhausted and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        # The guard matters: inserting rows makes the view re-check canFetchMore
        # and call fetchMore again from inside beginInsertRows.
        if parent.isValid() or self._partition is None or self._exhausted or self._fetching:
            return
        self._fetching = True
        try:
            q = self._query
            try:
                docs = self._partition.contacts.search(
                    q.text,
                    q.filters,
                    sort_key=q.sort_key,
                    descending=q.descending,
                    limit=self._page_size,
                    offset=self._offset,
                )
            except StorageError as exc:
                self._fail("read the next contacts", exc)
                return
            self._offset += len(docs)
            if len(docs) < self._page_size or self._offset >= self._total:
                self._exhausted = True
            # A concurrent change can shift offsets by a row: never show a contact twice.
            fresh = [d for d in docs if str(d["id"]) not in self._row_of]
            if fresh:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
                for doc in fresh:
                    self._row_of[str(doc["id"])] = len(self._rows)
                    self._rows.append(_row(doc, self._pool))
                self.endInsertRows()
        finally:
            self._fetching = False

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

    def set_partition(
        self,
        partition: Partition | None,
        *,
        text: str | None | _Keep = KEEP,
        filters: ContactFilters | _Keep = KEEP,
    ) -> None:
        """Show another sub-account's cache (None: nothing).

        The old rows are gone when this returns and the new partition's first
        page is in place (one model reset, so no frame shows both). Pending
        changes of the old partition are dropped. ``text`` and ``filters``
        replace the query's at the same time when given; the order is kept.
        """
        self._refresh_timer.stop()
        self._clear_pending()
        q = self._query
        query = ContactQuery(
            q.text if isinstance(text, _Keep) else text,
            q.filters if isinstance(filters, _Keep) else filters,
            q.sort_key,
            q.descending,
        )
        self._partition = partition
        self._reload(query, columns=True)

    def set_query(self, text: str | None, filters: ContactFilters | None = None) -> None:
        """Search ``text`` with ``filters`` (None: no filter): reset and load the first page."""
        q = self._query
        self._reload(ContactQuery(text, filters or ContactFilters(), q.sort_key, q.descending))

    def reload(self) -> None:
        """Re-read the current query from its first page (e.g. after an error)."""
        self._reload(self._query)

    def apply_first_page(
        self,
        partition: Partition | None,
        query: ContactQuery,
        docs: list[dict[str, Any]],
        total: int,
    ) -> bool:
        """Show a first page read elsewhere (``load_first_page`` in a worker).

        Refused (False, nothing changes) when the model has since switched
        partition or order: the caller must read again.
        """
        q = self._query
        if partition is not self._partition or partition is None:
            return False
        if (query.sort_key, query.descending) != (q.sort_key, q.descending):
            return False
        self._reset_with(query, docs, total)
        return True

    def _reload(self, query: ContactQuery, *, columns: bool = False) -> None:
        docs: list[dict[str, Any]] = []
        total = 0
        failure: str | None = None
        if self._partition is not None:
            try:
                if columns:
                    self._custom_defs = self._partition.custom_fields.fields()
                docs, total = load_first_page(self._partition, query, self._page_size)
            except StorageError as exc:
                failure = self._describe("read the contacts", exc)
        elif columns:
            self._custom_defs = []
        self._reset_with(query, docs, total, columns=columns)
        if failure is not None:
            self.loadFailed.emit(failure)

    def _reset_with(
        self,
        query: ContactQuery,
        docs: list[dict[str, Any]],
        total: int,
        *,
        columns: bool = False,
    ) -> None:
        self.beginResetModel()
        self._epoch += 1
        self._query = query
        if columns:
            self._columns = FIXED_COLUMNS + self._custom_columns(self._custom_defs)
        self._pool.clear()
        self._rows = []
        self._row_of = {}
        for doc in docs:
            cid = str(doc["id"])
            if cid not in self._row_of:
                self._row_of[cid] = len(self._rows)
                self._rows.append(_row(doc, self._pool))
        self._offset = len(docs)
        self._total = total
        self._exhausted = self._partition is None or len(docs) >= total
        self._exhausted = self._exhausted or len(docs) < self._page_size
        # Whoever reacts to modelReset (a view, the model tester) may call fetchMore from
        # inside the signal, before every listener has seen the reset finish; inserting
        # rows then would nest an insert in the reset. The first page is already here,
        # and views ask again once they have laid out the new rows.
        self._fetching = True
        try:
            self.endResetModel()
        finally:
            self._fetching = False
        self.countChanged.emit(total)

    @staticmethod
    def _custom_columns(defs: list[dict[str, Any]]) -> tuple[ColumnSpec, ...]:
        specs = []
        for definition in defs:
            name = definition.get("name")
            if not isinstance(name, str) or not name:
                continue
            label = _text(definition.get("label")) or name
            kind = _text(definition.get("type")) or "text"
            specs.append(
                ColumnSpec(
                    CUSTOM_KEY_PREFIX + name,
                    label,
                    numeric=kind == "number",
                    default_visible=False,
                    field_type=kind,
                )
            )
        return tuple(specs)

    # ---------------------------------------------------------------- changes

    def refresh(self, event: ContactsChanged) -> None:
        """Apply a change event of the shown partition (others are ignored).

        Events are coalesced for ``coalesce_ms`` and then applied as one
        re-query of the loaded window (``flush_changes`` applies them now).
        """
        if not self._in_scope(event):
            return
        self._pending_ids |= event.ids
        self._pending_deleted |= event.deleted
        self._pending_full = self._pending_full or event.full
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    @property
    def has_pending_changes(self) -> bool:
        """Whether change events wait to be applied."""
        return bool(self._pending_ids or self._pending_deleted or self._pending_full)

    def flush_changes(self) -> None:
        """Apply pending change events now."""
        self._refresh_timer.stop()
        if not self.has_pending_changes:
            return
        full = self._pending_full
        self._clear_pending()
        partition = self._partition
        if partition is None:
            return
        q = self._query
        # The window the user has loaded (at least a page, so new rows can show).
        window = max(len(self._rows), self._page_size)
        try:
            if full:
                defs = partition.custom_fields.fields()
                if defs != self._custom_defs:
                    # New columns: a reset is the only honest update.
                    self._custom_defs = defs
                    self._reload(q, columns=True)
                    self.changesApplied.emit()
                    return
            docs = partition.contacts.search(
                q.text, q.filters, sort_key=q.sort_key, descending=q.descending, limit=window
            )
            total = partition.contacts.count(q.text, q.filters)
        except StorageError as exc:
            self._fail("apply the latest contact changes", exc)
            return
        self._reconcile(docs)
        self._offset = len(docs)
        self._exhausted = len(docs) < window or len(docs) >= total
        if total != self._total:
            self._total = total
            self.countChanged.emit(total)
        self.changesApplied.emit()

    def _reconcile(self, docs: list[dict[str, Any]]) -> None:
        """Turn the loaded rows into ``docs`` with row moves, inserts, removals and
        ``dataChanged`` for rows whose values changed, never a reset."""
        new: dict[str, _Row] = {}
        for doc in docs:
            cid = str(doc["id"])
            if cid not in new:
                new[cid] = _row(doc, self._pool)
        root = QModelIndex()

        gone = [i for i, r in enumerate(self._rows) if r.id not in new]
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(root, first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()

        kept = {r.id for r in self._rows}
        target = [cid for cid in new if cid in kept]
        if [r.id for r in self._rows] != target:
            self.layoutAboutToBeChanged.emit()
            position = {cid: i for i, cid in enumerate(target)}
            by_id = {r.id: r for r in self._rows}
            old_ids = [r.id for r in self._rows]
            self._rows = [by_id[cid] for cid in target]
            before = self.persistentIndexList()
            after = [self.index(position[old_ids[p.row()]], p.column()) for p in before]
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()

        order = list(new)
        added = [i for i, cid in enumerate(order) if cid not in kept]
        for first, last in _runs(added):
            self.beginInsertRows(root, first, last)
            self._rows[first:first] = [new[cid] for cid in order[first : last + 1]]
            self.endInsertRows()

        changed = []
        for i, current in enumerate(self._rows):
            fresh = new[current.id]
            if fresh is not current and fresh != current:
                self._rows[i] = fresh
                changed.append(i)
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}
        last_column = len(self._columns) - 1
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    def _in_scope(self, event: ContactsChanged) -> bool:
        partition = self._partition
        if partition is None or event.scope.sub_account_id != partition.sub_account_id:
            return False
        try:
            return normalize_deployment(event.scope.deployment) == partition.deployment
        except ValueError:
            return False

    def _clear_pending(self) -> None:
        self._pending_ids = set()
        self._pending_deleted = set()
        self._pending_full = False

    # ---------------------------------------------------------------- display

    def _display(self, item: _Row, column: int) -> str | None:
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
                return self._assignee_names.get(item.assigned_to, item.assigned_to)
            case Column.SCORE:
                return None if item.score is None else self._locale.toString(item.score)
            case Column.CITY:
                return item.city
            case Column.UPDATED:
                return self._relative(item.updated)
            case Column.CREATED:
                return self._relative(item.created)
        return None

    def _tooltip(self, item: _Row, column: int) -> str | None:
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

    def _phone(self, item: _Row) -> str | None:
        if item.phone is None:
            return None
        if item.phone_text is None:
            # Formatting parses the number (~30 us): done once per row, when first shown.
            item.phone_text = format_phone(item.phone, home_region=self._home_region)
        return item.phone_text

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
        if self._partition is None:
            return None
        try:
            return self._partition.contacts.get(contact_id)
        except StorageError as exc:
            self._fail("read the contact", exc)
            return None

    # ----------------------------------------------------------------- errors

    @staticmethod
    def _describe(action: str, exc: BaseException) -> str:
        return (
            f"Could not {action} from the local cache ({exc}). "
            "Restart the app; if this keeps happening, clear the cache in Settings."
        )

    def _fail(self, action: str, exc: BaseException) -> None:
        log.error("contacts model: could not %s", action, exc_info=exc)
        # Stop paging so the view does not retry in a loop; reload() starts over.
        self._exhausted = True
        self.loadFailed.emit(self._describe(action, exc))
