"""Lazily paged Qt models over one sub-account's cache, and reads on a worker thread.

``KeyedRowsModel`` holds rows with a stable key each (lookups, duplicate-free
inserts at any row, guarded resets, in-place reconciling); a model that pages
its own way derives from it, or from ``KeyedListModel`` (the same as a one-column
list, without ``row_of``: a conversation's messages, paged upwards, answer None
for a row not loaded). ``PagedCacheModel`` builds on it the machinery the tabs'
list and table models share (``PagedListModel``: the same as a one-column list):

- **Paging.** The model holds the rows loaded so far; the first page comes with
  every reset (a source or query change: one ``beginResetModel`` with the new
  rows already in place, so no frame shows both), later pages through Qt's
  ``canFetchMore``/``fetchMore`` with an in-flight guard (inserting rows makes
  a view call ``fetchMore`` again from inside ``beginInsertRows``). A row that
  a concurrent change shifted onto the next page is never listed twice.
- **Changes.** ``refresh(event)`` takes a change event of the bus (``scope``,
  ``ids``, ``deleted``, ``full``); events of another sub-account are ignored and
  the others coalesced for ``coalesce_ms``, then applied as one re-read of the
  loaded window, turned into row removals, moves, inserts and ``dataChanged``:
  never a reset, so selection, current row and scroll position survive a sync.
  A window larger than ``background_window`` rows is re-read on a worker thread
  and applied when it arrives (unless the model was reset meanwhile).
- **Strings** repeated between rows (stages, channels, tags) are shared
  (``intern``), cleared at every reset.

``ReadWorker`` runs reads on a worker thread and hands the answers to the GUI
thread; a newer request voids the older ones (not started: skipped; answered:
dropped), so a slow read never overwrites the answer to a newer one. The
model's background re-reads and the search controllers use it.

A subclass says what a row's key is (``row_key``) and how to read
(``read_first``, ``read_page`` and optionally ``read_window``); the other
hooks (``on_reset``, ``local_changes``, ``accepts_first_page``) have defaults.

The logic lives in two mixins (``KeyedRows``, ``PagedRows``) that the concrete
classes put on a Qt base: ``QAbstractTableModel`` for tables, ``QAbstractListModel``
for lists. A list must stay a ``QAbstractListModel``: a table model's ``columnCount``
is Python, and views call it (through ``index()``) hundreds of times per scroll step,
which costs a list of 10,000 rows about a fifth of its scrolling time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from app.services.bus import ScopeKey

log = logging.getLogger(__name__)

REFRESH_COALESCE_MS = 30
"""Change events arriving within this window are applied as one re-read.

A full sync publishes one event per stored page; re-reading the loaded window
once per burst instead of once per page keeps the loop free during a sync."""

T = TypeVar("T")

_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


class ChangeEvent(Protocol):
    """A bus event saying which records of one sub-account changed."""

    @property
    def scope(self) -> ScopeKey:
        """The sub-account the records belong to."""
        ...

    @property
    def ids(self) -> frozenset[str]:
        """Records added or changed."""
        ...

    @property
    def deleted(self) -> frozenset[str]:
        """Records removed."""
        ...

    @property
    def full(self) -> bool:
        """Everything may have changed (a full reload)."""
        ...


class ScopedSource(Protocol):
    """What a model reads from: a reader bound to one sub-account."""

    def covers(self, scope: ScopeKey | None) -> bool:
        """Whether an event of ``scope`` concerns what this source reads."""
        ...


SourceT = TypeVar("SourceT", bound=ScopedSource)
QueryT = TypeVar("QueryT")
RowT = TypeVar("RowT")

Intern = Callable[[str | None], str | None]


def runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Ascending row numbers grouped into (first, last) runs of consecutive rows."""
    found: list[tuple[int, int]] = []
    for row in rows:
        if found and found[-1][1] == row - 1:
            found[-1] = (found[-1][0], row)
        else:
            found.append((row, row))
    return found


def describe_failure(action: str, exc: BaseException) -> str:
    """The sentence shown when reading the cache failed."""
    return (
        f"Could not {action} from the local cache ({exc}). "
        "Restart the app; if this keeps happening, clear the cache in Settings."
    )


# -- reads on a worker thread ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    generation: int
    read: Callable[[], Any]
    done: Callable[[Any], None]
    failed: Callable[[Exception], None]


class ReadWorker(QObject):
    """Runs reads on a worker thread and delivers their answers on the GUI thread.

    ``submit`` voids every earlier request: a job that has not started by then
    is skipped, and an answer that arrives for it is dropped (``stale_dropped``
    counts them). Without ``executor`` one worker thread of its own runs the
    jobs, started on first use; ``close()`` stops it."""

    _delivered = Signal(object, object, object)
    """(job, result, exception or None): a queued hop to the GUI thread."""

    def __init__(
        self, parent: QObject | None = None, *, name: str, executor: Executor | None = None
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._executor = executor
        self._own_executor = executor is None
        self._generation = 0
        self._in_flight: int | None = None
        self._closed = False
        self.stale_dropped = 0
        """Answers thrown away because a newer request had started (diagnostics)."""
        self._delivered.connect(self._deliver)

    @property
    def busy(self) -> bool:
        """Whether the newest request still waits for its answer."""
        return self._in_flight is not None

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def void(self) -> None:
        """Drop every request made so far (their answers will not be delivered)."""
        self._generation += 1
        self._in_flight = None

    def submit(
        self,
        read: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """Run ``read`` on the worker; ``done(result)`` or ``failed(exception)`` follows on
        the GUI thread, unless another request was made (or ``void()`` called) meanwhile."""
        if self._closed:
            return
        self._generation += 1
        job = _Job(self._generation, read, done, failed)
        self._in_flight = job.generation
        self._worker().submit(self._work, job)

    def close(self, *, wait: bool = False) -> None:
        """Drop every request and stop the worker thread when it is the worker's own;
        ``wait``: return only once a read in flight has ended (what it reads may be
        closed right after)."""
        self._closed = True
        self.void()
        if self._own_executor and isinstance(self._executor, ThreadPoolExecutor):
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None

    def _worker(self) -> Executor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        return self._executor

    def _work(self, job: _Job) -> None:
        # Runs on the worker thread: touches no Qt object but the delivery signal.
        if job.generation != self._generation:
            return  # superseded before it started: not worth a read
        try:
            result = job.read()
        except Exception as exc:
            # An exception would otherwise vanish inside the future.
            self._delivered.emit(job, None, exc)
            return
        self._delivered.emit(job, result, None)

    def _deliver(self, job: _Job, result: Any, exc: Exception | None) -> None:
        if job.generation != self._generation or self._closed:
            self.stale_dropped += 1
            return
        self._in_flight = None
        if exc is not None:
            job.failed(exc)
        else:
            job.done(result)


# -- the models -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Window:
    """A background re-read of the loaded window, and what it was started from."""

    epoch: int
    source: Any
    window: int


if TYPE_CHECKING:
    from PySide6.QtCore import QAbstractItemModel as _QtModel
else:

    class _QtModel:
        """At run time the Qt base comes from the concrete class (a list or a table)."""


class KeyedRows(_QtModel, Generic[RowT]):
    """Rows with a stable string key each, kept in a list with an index by key
    (``_row_of``): a mixin, put on a Qt base by ``KeyedRowsModel`` (a table, with
    ``row_of``) and ``KeyedListModel`` (a list, without: a thread answers None for a
    row not loaded, not -1).

    The shared part of the tabs' models: lookups by key and row, the in-flight guard
    of ``fetchMore`` (``_fetching``), a reset that views cannot re-enter, inserting
    rows without duplicates, and turning the rows into a new list in place
    (``_reconcile``: removals, moves, inserts and ``dataChanged``, never a reset).
    A subclass says what a row's key is (``row_key``) and implements ``data``; it may
    page however it likes (``PagedCacheModel`` pages down by offset; a thread pages
    up by a cursor and inserts at the top with ``_insert_rows(0, rows)``)."""

    noun: ClassVar[str] = "rows"
    """What the rows are, in error messages ("read the next contacts")."""

    read_errors: ClassVar[tuple[type[Exception], ...]] = (Exception,)
    """What a failed read raises (shown as ``loadFailed``); anything else is a bug and
    propagates. A port's reader raises only ``StorageError``."""

    loadFailed = Signal(str)
    """Reading the cache failed; the argument says what happened (already logged)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []
        self._row_of: dict[str, int] = {}
        self._fetching = False  # a page is being inserted (or a reset announced)
        self._strings: dict[str, str] = {}

    def row_key(self, row: RowT) -> str:
        """The stable key of a row (its record id)."""
        raise NotImplementedError

    @property
    def loaded_count(self) -> int:
        """Rows loaded so far (``rowCount()``)."""
        return len(self._rows)

    def row_at(self, row: int) -> RowT | None:
        """The loaded row ``row``, or None outside the loaded rows."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def id_at(self, row: int) -> str | None:
        """The key of a row, or None outside the loaded rows."""
        return self.row_key(self._rows[row]) if 0 <= row < len(self._rows) else None

    def ids_at(self, rows: Iterable[int]) -> list[str]:
        """The keys of loaded ``rows`` (others skipped)."""
        return [self.row_key(self._rows[r]) for r in rows if 0 <= r < len(self._rows)]

    def loaded_ids(self) -> list[str]:
        """Every loaded key, in row order."""
        return [self.row_key(r) for r in self._rows]

    def intern(self, value: str | None) -> str | None:
        """One shared copy of ``value`` (safe from a worker thread)."""
        if value is None:
            return None
        return self._strings.setdefault(value, value)

    # -- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    # -- changing the rows -------------------------------------------------------------------
    def _set_rows(self, rows: Iterable[RowT]) -> None:
        """Replace every row (first occurrence of a key wins); call inside a reset."""
        self._strings = {}
        self._rows = []
        self._row_of = {}
        for row in rows:
            key = self.row_key(row)
            if key not in self._row_of:
                self._row_of[key] = len(self._rows)
                self._rows.append(row)

    def _end_reset(self) -> None:
        """``endResetModel()``, guarded: whoever reacts to ``modelReset`` (a view, the model
        tester) may call ``fetchMore`` from inside the signal, before every listener has
        seen the reset finish, and inserting rows then would nest an insert in the reset.
        Views ask again once they have laid out the new rows."""
        self._fetching = True
        try:
            self.endResetModel()
        finally:
            self._fetching = False

    def _insert_rows(self, at: int, rows: Sequence[RowT]) -> list[RowT]:
        """Insert ``rows`` before row ``at`` (``len`` appends), skipping keys already
        loaded (a concurrent change can shift a row onto the next page); the inserted."""
        fresh: list[RowT] = []
        keys: dict[str, None] = {}  # the inserted rows' keys, in order
        for row in rows:
            key = self.row_key(row)
            if key not in self._row_of and key not in keys:
                keys[key] = None
                fresh.append(row)
        if fresh:
            count = len(fresh)
            self.beginInsertRows(QModelIndex(), at, at + count - 1)
            self._rows[at:at] = fresh
            if at < len(self._rows) - count:
                # Rows below move down (no key to take again: a page on top of thousands).
                self._row_of = {k: i + count if i >= at else i for k, i in self._row_of.items()}
            for offset, key in enumerate(keys):
                self._row_of[key] = at + offset
            self.endInsertRows()
        return fresh

    def _reconcile(self, rows: Sequence[RowT], also_changed: set[str]) -> None:
        """Turn the loaded rows into ``rows`` (in order) with row removals, moves, inserts
        and ``dataChanged`` for rows whose values changed (or are in ``also_changed``),
        never a reset."""
        # Views and the model tester call fetchMore from inside row notifications: a page
        # appended halfway through would not be in the rows being reconciled.
        fetching, self._fetching = self._fetching, True
        try:
            self._reconcile_rows(rows, also_changed)
        finally:
            self._fetching = fetching

    def _reconcile_rows(self, rows: Sequence[RowT], also_changed: set[str]) -> None:
        # Keys are taken once per row (a Python call each: thousands of rows per burst).
        key = self.row_key
        new: dict[str, RowT] = {}
        for row in rows:
            new.setdefault(key(row), row)
        root = QModelIndex()
        old_keys = [key(r) for r in self._rows]

        gone = [i for i, k in enumerate(old_keys) if k not in new]
        for first, last in reversed(runs(gone)):
            self.beginRemoveRows(root, first, last)
            del self._rows[first : last + 1]
            del old_keys[first : last + 1]
            self.endRemoveRows()

        kept = set(old_keys)
        target = [k for k in new if k in kept]
        if old_keys != target:
            self.layoutAboutToBeChanged.emit()
            position = {k: i for i, k in enumerate(target)}
            by_key = dict(zip(old_keys, self._rows, strict=True))
            self._rows = [by_key[k] for k in target]
            before = self.persistentIndexList()
            after = [self.index(position[old_keys[p.row()]], p.column()) for p in before]
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()

        order = list(new)
        added = [i for i, k in enumerate(order) if k not in kept]
        for first, last in runs(added):
            self.beginInsertRows(root, first, last)
            self._rows[first:first] = [new[k] for k in order[first : last + 1]]
            self.endInsertRows()

        # The rows are now in ``order``, one for one.
        changed = []
        rows_now = self._rows
        for i, k in enumerate(order):
            current = rows_now[i]
            fresh = new[k]
            if fresh is not current and fresh != current:
                rows_now[i] = fresh
                changed.append(i)
            elif k in also_changed:
                changed.append(i)
        self._row_of = {k: i for i, k in enumerate(order)}
        last_column = max(self._column_count() - 1, 0)
        for first, last in runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    def _column_count(self) -> int:
        """Columns of the rows (a list's ``columnCount`` cannot be called from Python)."""
        return 1

    def _fail(self, action: str, exc: BaseException) -> None:
        log.error("%s model: could not %s", self.noun, action, exc_info=exc)
        self.loadFailed.emit(describe_failure(action, exc))


class KeyedRowsModel(KeyedRows[RowT], QAbstractTableModel):
    """``KeyedRows`` as a table (one column unless a subclass says more), with ``row_of``
    answering -1 for a record not loaded."""

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1

    def _column_count(self) -> int:
        return self.columnCount()

    def row_of(self, key: str) -> int:
        """The row of a loaded record, or -1."""
        return self._row_of.get(key, -1)


class KeyedListModel(KeyedRows[RowT], QAbstractListModel):
    """``KeyedRows`` as a one-column list; a subclass defines its own ``row_of``."""


class PagedRows(KeyedRows[RowT], Generic[SourceT, QueryT, RowT]):
    """Rows of one ``SourceT`` (a reader of one sub-account) matching a ``QueryT``, loaded
    in pages and kept current by change events (see the module docstring): a mixin, put
    on a Qt base by ``PagedCacheModel`` (a table) and ``PagedListModel`` (a list).

    Subclasses implement ``row_key``, ``read_first`` and ``read_page``, and the Qt
    ``data`` (and ``columnCount`` for more than one column). ``set_source`` shows
    another sub-account, ``show_query`` another query, ``apply_first_page`` a first
    page read on a worker (a search), ``refresh`` takes change events."""

    countChanged = Signal(int)
    """The number of rows matching the query changed (``total_count``)."""

    changesAboutToApply = Signal()
    """A burst of changes is about to move rows (views may remember their scroll anchor)."""

    changesApplied = Signal()
    """A burst of changes was applied (rows moved, appeared, left or changed)."""

    close_waits: ClassVar[bool] = False
    """Whether ``close()`` waits for a background re-read in flight (a model whose owner
    closes the cache right after: a read still running then would crash the driver)."""

    def __init__(
        self,
        query: QueryT,
        parent: QObject | None = None,
        *,
        page_size: int,
        coalesce_ms: int = REFRESH_COALESCE_MS,
        background_window: int | None = None,
    ) -> None:
        """An empty model showing nothing; ``query`` is the query of the first source.
        ``background_window``: loaded rows above which a change is re-read on a worker
        thread (None: always on the GUI thread)."""
        super().__init__(parent)
        self._page_size = page_size
        self._background_window = background_window
        self._source: SourceT | None = None
        self._query = query
        self._offset = 0  # rows consumed from storage (duplicates included)
        self._exhausted = True
        self._total = 0
        self._epoch = 0
        self._pending_ids: set[str] = set()
        self._pending_deleted: set[str] = set()
        self._pending_full = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(coalesce_ms)
        self._refresh_timer.timeout.connect(self.flush_changes)
        self._reads: ReadWorker | None = None
        self._window_read: _Window | None = None
        self._read_again = False

    # -- hooks ------------------------------------------------------------------------------
    def read_first(
        self, source: SourceT, query: QueryT, limit: int, intern: Intern
    ) -> tuple[list[RowT], int]:
        """The first ``limit`` rows of ``query`` and how many match in all. May run on a
        worker thread: reads ``source`` only, touches no Qt object."""
        raise NotImplementedError

    def read_page(
        self, source: SourceT, query: QueryT, limit: int, offset: int, intern: Intern
    ) -> list[RowT]:
        """Rows ``offset`` to ``offset + limit`` of ``query`` (``fetchMore``)."""
        raise NotImplementedError

    def read_window(
        self,
        source: SourceT,
        query: QueryT,
        window: int,
        previous: Mapping[str, RowT],
        intern: Intern,
    ) -> tuple[list[RowT], int]:
        """The first ``window`` rows and the total, to apply changes; ``previous`` are the
        loaded rows by key (reusable when unchanged). May run on a worker thread."""
        return self.read_first(source, query, window, intern)

    def accepts_first_page(self, query: QueryT) -> bool:
        """Whether a first page read elsewhere for ``query`` may replace the rows (a
        subclass refuses one read in another order)."""
        return True

    def on_reset(self, source_changed: bool) -> None:
        """Inside a reset, after the new rows are in place (columns, local state)."""

    def local_changes(self) -> set[str]:
        """Before changes are applied: keys of rows whose local state changed (drafts,
        marks) and must repaint although their values did not."""
        return set()

    # -- state ------------------------------------------------------------------------------
    @property
    def source(self) -> SourceT | None:
        """What the rows are read from, or None (nothing shown)."""
        return self._source

    @property
    def query(self) -> QueryT:
        """The query of the rows shown."""
        return self._query

    @property
    def total_count(self) -> int:
        """How many rows match the query (loaded or not)."""
        return self._total

    @property
    def page_size(self) -> int:
        """Rows per ``fetchMore`` (and the first page of every query)."""
        return self._page_size

    @property
    def epoch(self) -> int:
        """Increases on every reset (source or query change)."""
        return self._epoch

    def row_of(self, key: str) -> int:
        """The row of a loaded record, or -1."""
        return self._row_of.get(key, -1)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if parent.isValid() or self._source is None:
            return False
        return not self._exhausted and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        # The guard matters: inserting rows makes the view re-check canFetchMore
        # and call fetchMore again from inside beginInsertRows.
        source = self._source
        if parent.isValid() or source is None or self._exhausted or self._fetching:
            return
        self._fetching = True
        try:
            try:
                rows = self.read_page(
                    source, self._query, self._page_size, self._offset, self.intern
                )
            except self.read_errors as exc:
                self._fail(f"read the next {self.noun}", exc)
                return
            self._offset += len(rows)
            if len(rows) < self._page_size or self._offset >= self._total:
                self._exhausted = True
            # A concurrent change can shift offsets by a row: never list one twice.
            self._insert_rows(len(self._rows), rows)
        finally:
            self._fetching = False

    # -- queries ----------------------------------------------------------------------------
    def set_source(self, source: SourceT | None, query: QueryT | None = None) -> None:
        """Show another sub-account (None: nothing), with ``query`` or the current one.

        The old rows are gone when this returns and the new first page is in place
        (one reset). Pending changes of the old source are dropped."""
        self._source = source
        self._reload(self._query if query is None else query, source_changed=True)

    def show_query(self, query: QueryT) -> None:
        """Show ``query``: reset and load its first page."""
        self._reload(query)

    def reload(self) -> None:
        """Re-read the current query from its first page (e.g. after an error)."""
        self._reload(self._query)

    def apply_first_page(
        self, source: SourceT | None, query: QueryT, rows: list[RowT], total: int
    ) -> bool:
        """Show a first page read elsewhere (``read_first`` on a worker).

        Refused (False, nothing changes) when the model has switched source since or
        ``accepts_first_page`` refuses: the caller must read again."""
        if source is None or source is not self._source or not self.accepts_first_page(query):
            return False
        self._reset_with(query, rows, total)
        return True

    def _reload(self, query: QueryT, *, source_changed: bool = False) -> None:
        rows: list[RowT] = []
        total = 0
        failure: str | None = None
        if self._source is not None:
            try:
                rows, total = self.read_first(self._source, query, self._page_size, self.intern)
            except self.read_errors as exc:
                log.error("%s model: could not read the %s", self.noun, self.noun, exc_info=exc)
                failure = describe_failure(f"read the {self.noun}", exc)
        self._reset_with(query, rows, total, source_changed=source_changed)
        if failure is not None:
            self.loadFailed.emit(failure)

    def _reset_with(
        self, query: QueryT, rows: Sequence[RowT], total: int, *, source_changed: bool = False
    ) -> None:
        self._refresh_timer.stop()
        self._clear_pending()  # the rows are read afresh: nothing is pending any more
        self._window_read = None
        self._read_again = False
        self.beginResetModel()
        self._epoch += 1
        self._query = query
        self._set_rows(rows)
        self._offset = len(rows)
        self._total = total
        # A first page may be shorter than a page (a search reads fewer rows to answer
        # sooner): only the total says whether more rows exist.
        self._exhausted = self._source is None or len(rows) >= total
        self.on_reset(source_changed)
        self._end_reset()
        self.countChanged.emit(total)

    # -- changes ----------------------------------------------------------------------------
    def refresh(self, event: ChangeEvent) -> None:
        """Apply a change event of the shown sub-account (others are ignored), coalesced
        for ``coalesce_ms`` (``flush_changes`` applies them now)."""
        source = self._source
        if source is None or not source.covers(event.scope):
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

    @property
    def pending_full(self) -> bool:
        """Whether a pending change event was a full reload."""
        return self._pending_full

    def flush_changes(self, *, background: bool | None = None) -> None:
        """Apply pending change events now (one re-read of the loaded window; see
        ``refresh_all`` for ``background``)."""
        self._refresh_timer.stop()
        if not self.has_pending_changes:
            return
        full = self._pending_full
        self._clear_pending()
        self.apply_changes(full, background=background)

    def apply_changes(self, full: bool, *, background: bool | None = None) -> None:
        """Bring the loaded rows up to date after a burst of changes (``full``: a full
        reload among them). Subclasses may reset instead (new columns)."""
        self.refresh_all(background=background)

    def refresh_all(self, *, background: bool | None = None) -> None:
        """Re-read the loaded window and apply the differences in place (no reset).

        A window larger than ``background_window`` rows is read on a worker thread and
        applied when it arrives, unless the rows changed meanwhile (then it is read
        again); ``background`` forces either way."""
        source = self._source
        if source is None:
            return
        # The window the user has loaded (at least a page, so new rows can show).
        window = max(len(self._rows), self._page_size)
        if background is None:
            limit = self._background_window
            background = limit is not None and window > limit
        rows_now = self._rows
        previous = {k: rows_now[i] for k, i in self._row_of.items()}
        query = self._query
        if not background:
            try:
                rows, total = self.read_window(source, query, window, previous, self.intern)
            except self.read_errors as exc:
                self._fail(f"apply the latest {self.noun} changes", exc)
                return
            self._apply_window(rows, total, window)
            return
        if self._window_read is not None:
            self._read_again = True  # one read at a time; the newest state wins
            return
        job = _Window(self._epoch, source, window)
        self._window_read = job
        intern = self.intern
        self._worker().submit(
            lambda: self.read_window(source, query, window, previous, intern),
            lambda answer: self._window_done(job, answer),
            lambda exc: self._window_failed(job, exc),
        )

    @property
    def requery_running(self) -> bool:
        """Whether a background re-read of the loaded rows is in flight."""
        return self._window_read is not None

    def _worker(self) -> ReadWorker:
        if self._reads is None:
            self._reads = ReadWorker(self, name=f"{self.noun}-model")
        return self._reads

    def _window_current(self, job: _Window) -> bool:
        if job is not self._window_read:
            return False  # abandoned by a reset
        self._window_read = None
        current = (
            job.epoch == self._epoch
            and job.source is self._source
            and len(self._rows) <= job.window
        )
        if not current:
            self._read_again = False
            # Reset, switched, or more rows were fetched meanwhile: read the new window.
            if job.source is self._source:
                self.refresh_all()
        return current

    def _window_done(self, job: _Window, answer: tuple[list[RowT], int]) -> None:
        if not self._window_current(job):
            return
        again, self._read_again = self._read_again, False
        rows, total = answer
        self._apply_window(rows, total, job.window)
        if again:
            self.refresh_all()

    def _window_failed(self, job: _Window, exc: Exception) -> None:
        if not isinstance(exc, self.read_errors):
            log.error("%s model: background re-read failed", self.noun, exc_info=exc)
        if self._window_current(job):
            self._read_again = False
            self._fail(f"apply the latest {self.noun} changes", exc)

    def _apply_window(self, rows: Sequence[RowT], total: int, window: int) -> None:
        self.changesAboutToApply.emit()
        local = self.local_changes()
        self._reconcile(rows, local)
        self._offset = len(rows)
        self._exhausted = len(rows) < window or len(rows) >= total
        if total != self._total:
            self._total = total
            self.countChanged.emit(total)
        self.changesApplied.emit()

    def _clear_pending(self) -> None:
        self._pending_ids = set()
        self._pending_deleted = set()
        self._pending_full = False

    def close(self) -> None:
        """Stop the background worker (pending re-reads are dropped; a read in flight is
        waited for when ``close_waits``)."""
        self._window_read = None
        if self._reads is not None:
            self._reads.close(wait=self.close_waits)
            self._reads = None

    # -- errors -----------------------------------------------------------------------------
    def _fail(self, action: str, exc: BaseException) -> None:
        # Stop paging so the view does not retry in a loop; reload() starts over.
        self._exhausted = True
        super()._fail(action, exc)


class PagedCacheModel(PagedRows[SourceT, QueryT, RowT], KeyedRowsModel[RowT]):
    """``PagedRows`` as a table (the contacts): a subclass with more than one column
    defines ``columnCount``."""


class PagedListModel(PagedRows[SourceT, QueryT, RowT], QAbstractListModel):
    """``PagedRows`` as a one-column list (the conversations)."""
