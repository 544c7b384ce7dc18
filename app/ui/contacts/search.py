"""Search-as-you-type and filters of the Contacts tab.

The first page and the match count of a search are read in one step on a
worker thread (a ``ReadWorker``) and handed to the model on the GUI thread.
The debounce adapts to what searches cost: while the last one was cheap
(``CHEAP_QUERY_MS``; most take 20-60 ms at 100,000 contacts) a keystroke searches at once,
and only after an expensive one does a keystroke wait for ``debounce_ms`` of
quiet, so typing fast does not queue slow reads. Every keystroke, filter change
and sub-account switch voids the requests before it: a job that has not started
yet by then is skipped, and an answer that arrives for an older request is
dropped, so a slow query can never overwrite the answer to a newer one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, QTimer, Signal

from app.services.ports.contacts import (
    ContactChoices,
    ContactFilters,
    ContactPage,
    ContactQuery,
    ContactsReader,
    StorageError,
)
from app.ui.common.search import CHEAP_QUERY_MS, DEBOUNCE_MS, SearchPace
from app.ui.common.paged_model import ReadWorker
from app.ui.contacts.model import ContactsTableModel

log = logging.getLogger(__name__)

SEARCH_PAGE = 100
"""Rows a search reads for its answer: several screens of the table, and about a third
less work than a full page (the next rows come with the table's ``fetchMore``)."""

FilterChoices = ContactChoices
"""Values the filter pickers offer for the shown sub-account."""


@dataclass(frozen=True, slots=True)
class _Job:
    reader: ContactsReader
    query: ContactQuery
    limit: int
    started: float  # clock when the search started (after any debounce)


@dataclass(frozen=True, slots=True)
class _Answer:
    page: ContactPage
    read_ms: float  # how long the read itself took on the worker


class ContactSearchController(QObject):
    """Drives a ``ContactsTableModel`` from the search box and the filter pickers.

    ``set_text`` searches at once after a cheap search and waits for
    ``debounce_ms`` of quiet after a costly one; filter setters apply at once.
    Only the newest request is ever shown. ``countChanged`` relays the model's
    match count (after a search, a filter change, a sub-account switch or a sync).
    """

    countChanged = Signal(int)
    """How many contacts match the current search and filters ("N matches")."""

    searchCompleted = Signal(str, int, float)
    """A search was applied: its text, the match count, and milliseconds from the
    start of the search (after any debounce) to the rows being in the model."""

    filtersChanged = Signal(object)
    """The filters changed (a ``ContactFilters``): pickers show the new state."""

    choicesChanged = Signal()
    """The sub-account or its contacts changed: pickers should re-read ``filter_choices()``."""

    searchFailed = Signal(str)
    """A search could not be read from the cache; the argument says what happened."""

    def __init__(
        self,
        model: ContactsTableModel,
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        cheap_ms: float = CHEAP_QUERY_MS,
        first_rows: int = SEARCH_PAGE,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """Control ``model``; a search reads its first ``first_rows`` rows. Without
        ``executor`` a single worker thread of its own runs the queries (``close()``
        stops it)."""
        super().__init__(parent)
        self._model = model
        self._text = ""
        self._filters = ContactFilters()
        self._clock = clock
        self.pace = SearchPace(debounce_ms, cheap_ms)
        """When a keystroke searches: at once after a cheap search, else after the debounce."""
        self._first_rows = max(1, first_rows)
        self._reads = ReadWorker(self, name="contact-search", executor=executor)
        self._closed = False
        self._keystroke_at: float | None = None
        self.last_debounce_ms: float | None = None
        """How long the last debounce actually took (keystroke to query start; 0 when the
        search ran at once)."""
        self.last_read_ms: float | None = None
        """How long the last search took to read (None before the first)."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._debounced)
        model.countChanged.connect(self.countChanged)
        model.changesApplied.connect(self.choicesChanged)

    # ---------------------------------------------------------------- state

    @property
    def model(self) -> ContactsTableModel:
        """The model this controller drives."""
        return self._model

    @property
    def text(self) -> str:
        """The search text as last typed (possibly not applied yet)."""
        return self._text

    @property
    def filters(self) -> ContactFilters:
        """The filters as last set."""
        return self._filters

    @property
    def pending(self) -> bool:
        """Whether a search waits for its debounce or its result."""
        return self._timer.isActive() or self._reads.busy

    @property
    def stale_dropped(self) -> int:
        """Results thrown away because a newer request had started (diagnostics)."""
        return self._reads.stale_dropped

    @property
    def debounces(self) -> bool:
        """Whether the next keystroke waits for the debounce: the last search was costly."""
        return self.pace.debounces

    # --------------------------------------------------------------- inputs

    def set_text(self, text: str) -> None:
        """The search box changed: search at once after a cheap search, else after the
        debounce (the previous request is void either way)."""
        if text == self._text and not self._timer.isActive():
            return
        self._text = text
        self._reads.void()  # a result of the previous text must not land now
        if not self.debounces:
            self._timer.stop()
            self._keystroke_at = None
            self.last_debounce_ms = 0.0
            self._start()
            return
        self._keystroke_at = self._clock()
        self._timer.start()

    def search_now(self) -> None:
        """Run the current text without waiting for the debounce (Enter in the box)."""
        self._timer.stop()
        self._keystroke_at = None
        self._start()

    def set_filters(self, filters: ContactFilters) -> None:
        """Replace every filter at once and apply at once."""
        if filters == self._filters:
            return
        self._filters = filters
        self.filtersChanged.emit(filters)
        self._timer.stop()  # the newest text goes along with the filter
        self._keystroke_at = None
        self._start()

    def set_lifecycle_stage(self, stage: str | None) -> None:
        """Only contacts in this stage (None: any)."""
        self.set_filters(replace(self._filters, lifecycle_stage=stage))

    def set_tags(self, tags: Iterable[str]) -> None:
        """Only contacts with every one of these tags (empty: any)."""
        self.set_filters(replace(self._filters, tags=tuple(tags)))

    def set_source(self, source: str | None) -> None:
        """Only contacts from this lead source (None: any)."""
        self.set_filters(replace(self._filters, source=source))

    def set_assigned_to(self, user_id: str | None) -> None:
        """Only contacts assigned to this team member (None: anyone, unassigned too)."""
        self.set_filters(replace(self._filters, assigned_to=user_id, unassigned=False))

    def set_unassigned(self, unassigned: bool) -> None:
        """Only contacts without an assignee (replaces an assignee filter)."""
        self.set_filters(
            replace(
                self._filters,
                unassigned=unassigned,
                assigned_to=None if unassigned else self._filters.assigned_to,
            )
        )

    def set_has_phone(self, has_phone: bool | None) -> None:
        """True: with a phone; False: without; None: both."""
        self.set_filters(replace(self._filters, has_phone=has_phone))

    def clear_filters(self) -> None:
        """Drop every filter (the search text stays)."""
        self.set_filters(ContactFilters())

    def apply_now(self, text: str = "", filters: ContactFilters | None = None) -> None:
        """Show ``text`` with ``filters`` at once, on this thread (jumping to a contact).

        Voids every request in flight, so no older answer replaces these rows later."""
        self._reads.void()
        self._timer.stop()
        self._keystroke_at = None
        self._text = text
        filters = filters or ContactFilters()
        if filters != self._filters:
            self._filters = filters
            self.filtersChanged.emit(filters)
        self._model.set_query(text or None, filters)

    def set_reader(self, reader: ContactsReader | None) -> None:
        """Switch sub-account: void every request and show the new one's contacts at once.

        The text, stage and has-phone filters carry over; tags, source and
        assignee are values of the old sub-account and are cleared.
        """
        self._reads.void()
        self._timer.stop()
        self._keystroke_at = None
        scrubbed = replace(self._filters, tags=(), source=None, assigned_to=None, unassigned=False)
        if scrubbed != self._filters:
            self._filters = scrubbed
            self.filtersChanged.emit(scrubbed)
        self._model.set_reader(reader, text=self._text or None, filters=scrubbed)
        self.choicesChanged.emit()

    def filter_choices(self) -> FilterChoices:
        """Stages, known tags, sources and assignees of the shown sub-account."""
        reader = self._model.reader
        if reader is None:
            return FilterChoices()
        try:
            return reader.choices()
        except StorageError as exc:
            log.error("could not read the filter choices", exc_info=exc)
            self.searchFailed.emit(
                f"Could not read the filter choices from the local cache ({exc})."
            )
            return FilterChoices()

    def close(self) -> None:
        """Stop the debounce and, if owned, the worker thread (pending jobs are dropped)."""
        self._closed = True
        self._timer.stop()
        self._reads.close()

    # ------------------------------------------------------------ machinery

    def _debounced(self) -> None:
        if self._keystroke_at is not None:
            self.last_debounce_ms = (self._clock() - self._keystroke_at) * 1000
        self._keystroke_at = None
        self._start()

    def _start(self) -> None:
        if self._closed:
            return
        reader = self._model.reader
        q = self._model.query
        query = ContactQuery(self._text or None, self._filters, q.sort_key, q.descending)
        if reader is None:
            # Nothing to read: keep the query so the next sub-account starts with it.
            self._reads.void()
            self._model.set_reader(None, text=query.text, filters=query.filters)
            return
        job = _Job(reader, query, min(self._first_rows, self._model.page_size), self._clock())
        intern = self._model.intern
        clock = self._clock

        def read() -> _Answer:
            # On the worker thread: reads the cache, touches no Qt object.
            started = clock()
            page = job.reader.first_page(job.query, job.limit, intern=intern)
            return _Answer(page, (clock() - started) * 1000)

        self._reads.submit(
            read, lambda answer: self._deliver(job, answer), lambda exc: self._failed(job, exc)
        )

    def _failed(self, job: _Job, exc: Exception) -> None:
        if isinstance(exc, StorageError):
            log.error("contact search %r failed", job.query.text, exc_info=exc)
            self.searchFailed.emit(f"Could not search the local cache ({exc}).")
        else:
            log.error("contact search %r failed", job.query.text, exc_info=exc)
            self.searchFailed.emit(f"The search failed unexpectedly ({exc}).")

    def _deliver(self, job: _Job, answer: _Answer) -> None:
        if self._closed:
            return
        self.last_read_ms = answer.read_ms
        self.pace.record(answer.read_ms)
        page = answer.page
        if not self._model.apply_first_page(job.reader, job.query, page.rows, page.total):
            # The user re-sorted while the query ran: read again in the new order.
            self._start()
            return
        elapsed = (self._clock() - job.started) * 1000
        self.searchCompleted.emit(job.query.text or "", page.total, elapsed)
