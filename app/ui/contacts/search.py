"""Search-as-you-type and filters of the Contacts tab.

Each keystroke restarts a short debounce; when it fires, the first page and
the match count are read in one step on a worker thread and handed to the
model on the GUI thread. Every keystroke, filter change and sub-account
switch increases a generation number: a job that has not started yet by
then is skipped, and a result that arrives for an older generation is
dropped, so a slow query can never overwrite the answer to a newer one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.constants import LIFECYCLE_STAGES
from app.storage import ContactFilters, Partition, StorageError
from app.ui.contacts.model import ContactQuery, ContactsTableModel, load_first_page

log = logging.getLogger(__name__)

DEBOUNCE_MS = 120
"""Quiet time after a keystroke before the search runs."""


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """Values the filter pickers offer for the shown partition."""

    stages: tuple[str, ...] = LIFECYCLE_STAGES
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Job:
    generation: int
    partition: Partition
    query: ContactQuery
    limit: int
    started: float  # perf_counter when the debounce fired (or the filter changed)


class _Delivery(QObject):
    """Carries a worker's answer to the GUI thread (a queued signal)."""

    done = Signal(object, object, object)
    """(job, docs or None, total or an error message)."""


class ContactSearchController(QObject):
    """Drives a ``ContactsTableModel`` from the search box and the filter pickers.

    ``set_text`` is debounced (``debounce_ms``); filter setters apply at once.
    Both go through the same generation check, so only the newest request is
    ever shown. ``countChanged`` relays the model's match count (after a
    search, a filter change, a sub-account switch or a sync).
    """

    countChanged = Signal(int)
    """How many contacts match the current search and filters ("N matches")."""

    searchCompleted = Signal(str, int, float)
    """A search was applied: its text, the match count, and milliseconds from the
    end of the debounce to the rows being in the model (the latency the user feels
    on top of the debounce)."""

    filtersChanged = Signal(object)
    """The filters changed (a ``ContactFilters``): pickers show the new state."""

    choicesChanged = Signal()
    """The partition or its contacts changed: the pickers should re-read ``filter_choices()``."""

    searchFailed = Signal(str)
    """A search could not be read from the cache; the argument says what happened."""

    def __init__(
        self,
        model: ContactsTableModel,
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """Control ``model``. Without ``executor`` a single worker thread of its
        own runs the queries (``close()`` stops it)."""
        super().__init__(parent)
        self._model = model
        self._text = ""
        self._filters = ContactFilters()
        self._generation = 0
        self._clock = clock
        self._own_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="contact-search"
        )
        self._closed = False
        self._keystroke_at: float | None = None
        self._in_flight: int | None = None  # generation of the job awaiting its answer
        self.last_debounce_ms: float | None = None
        """How long the last debounce actually took (keystroke to query start)."""
        self.stale_dropped = 0
        """Results thrown away because a newer request had started (diagnostics)."""
        self._delivery = _Delivery(self)
        self._delivery.done.connect(self._deliver)
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
    def generation(self) -> int:
        """Increases with every request; older results are never applied."""
        return self._generation

    @property
    def pending(self) -> bool:
        """Whether a search waits for its debounce or its result."""
        return self._timer.isActive() or self._in_flight is not None

    # --------------------------------------------------------------- inputs

    def set_text(self, text: str) -> None:
        """The search box changed: search after the debounce (the previous request is void)."""
        if text == self._text and not self._timer.isActive():
            return
        self._text = text
        self._generation += 1  # a result of the previous text must not land now
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
        self._generation += 1
        self._timer.stop()
        self._keystroke_at = None
        self._in_flight = None
        self._text = text
        filters = filters or ContactFilters()
        if filters != self._filters:
            self._filters = filters
            self.filtersChanged.emit(filters)
        self._model.set_query(text or None, filters)

    def set_partition(self, partition: Partition | None) -> None:
        """Switch sub-account: void every request and show the new partition at once.

        The text, stage and has-phone filters carry over; tags, source and
        assignee are values of the old sub-account and are cleared.
        """
        self._generation += 1
        self._timer.stop()
        self._keystroke_at = None
        self._in_flight = None
        scrubbed = replace(self._filters, tags=(), source=None, assigned_to=None, unassigned=False)
        if scrubbed != self._filters:
            self._filters = scrubbed
            self.filtersChanged.emit(scrubbed)
        self._model.set_partition(partition, text=self._text or None, filters=scrubbed)
        self.choicesChanged.emit()

    def filter_choices(self) -> FilterChoices:
        """Stages, known tags, sources and assignees of the shown partition."""
        partition = self._model.partition
        if partition is None:
            return FilterChoices()
        repo = partition.contacts
        try:
            return FilterChoices(
                tags=tuple(repo.known_tags()),
                sources=tuple(repo.known_sources()),
                assignees=tuple(repo.known_assignees()),
            )
        except StorageError as exc:
            log.error("could not read the filter choices", exc_info=exc)
            self.searchFailed.emit(
                f"Could not read the filter choices from the local cache ({exc})."
            )
            return FilterChoices()

    def close(self) -> None:
        """Stop the debounce and, if owned, the worker thread (pending jobs are dropped)."""
        self._closed = True
        self._generation += 1
        self._timer.stop()
        if self._own_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ machinery

    def _debounced(self) -> None:
        if self._keystroke_at is not None:
            self.last_debounce_ms = (self._clock() - self._keystroke_at) * 1000
        self._keystroke_at = None
        self._start()

    def _start(self) -> None:
        if self._closed:
            return
        self._generation += 1
        partition = self._model.partition
        q = self._model.query
        query = ContactQuery(self._text or None, self._filters, q.sort_key, q.descending)
        if partition is None:
            # Nothing to read: keep the query so the next partition starts with it.
            self._model.set_partition(None, text=query.text, filters=query.filters)
            return
        job = _Job(self._generation, partition, query, self._model.page_size, self._clock())
        self._in_flight = job.generation
        self._executor.submit(self._work, job)

    def _work(self, job: _Job) -> None:
        # Runs on the worker thread: touches no Qt object but the delivery signal.
        if job.generation != self._generation:
            return  # superseded before it started: not worth a query
        try:
            docs, total = load_first_page(job.partition, job.query, job.limit)
        except StorageError as exc:
            log.error("contact search %r failed", job.query.text, exc_info=exc)
            self._delivery.done.emit(job, None, f"Could not search the local cache ({exc}).")
            return
        except Exception as exc:
            # A worker exception would otherwise vanish inside the future.
            log.exception("contact search %r failed", job.query.text)
            self._delivery.done.emit(job, None, f"The search failed unexpectedly ({exc}).")
            return
        self._delivery.done.emit(job, docs, total)

    def _deliver(self, job: _Job, docs: Any, total: Any) -> None:
        if job.generation != self._generation or self._closed:
            self.stale_dropped += 1
            return
        self._in_flight = None
        if docs is None:
            self.searchFailed.emit(str(total))
            return
        if not self._model.apply_first_page(job.partition, job.query, docs, int(total)):
            # The user re-sorted while the query ran: read again in the new order.
            self._start()
            return
        elapsed = (self._clock() - job.started) * 1000
        self.searchCompleted.emit(job.query.text or "", int(total), elapsed)
