"""Reading a range of appointments on a worker thread, with the neighbours kept ready.

``RangeLoader.request`` answers at once with what it read for the same range
since the cache last changed (the tab calls ``invalidate`` on every change event
of its sub-account, so a kept answer is current); otherwise it reads the range on
its worker thread and the answer arrives as ``loaded`` on the GUI thread. A newer
request voids an older one, so a slow read never overwrites what the user
navigated to since. After each answer the tab asks for the previous and next
periods (``prefetch``, on a second worker), so stepping through weeks draws at
once from memory. Nothing read for one sub-account is ever answered for another:
the kept answers belong to one reader, which is bound to one sub-account.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.services.ports.calendar import (
    AppointmentRow,
    AppointmentTypeRow,
    CalendarReader,
    CalendarRow,
    StorageError,
)
from app.ui.common.paged_model import ReadWorker, describe_failure

log = logging.getLogger(__name__)

CACHE_RANGES = 12
"""Ranges kept in memory (the current period, its neighbours, a few visited ones)."""


@dataclass(frozen=True, slots=True)
class RangeData:
    """Appointments of one sub-account overlapping ``[start_ms, end_ms)`` (cancelled ones
    included: the views filter), and the sub-account's calendars and appointment types,
    as read together."""

    reader: CalendarReader
    start_ms: int
    end_ms: int
    rows: tuple[AppointmentRow, ...]
    calendars: tuple[CalendarRow, ...]
    types: tuple[AppointmentTypeRow, ...] = ()
    prepared: Any = None
    """What the view made of it on the worker too (``Prepare``), so that showing it costs
    the GUI thread only the paint; the view checks it was made for what it shows."""


Prepare = Callable[[RangeData], Any]
"""Turns a range's rows into what a view draws (pure Python: runs on the worker)."""


def read_range(
    reader: CalendarReader, start_ms: int, end_ms: int, prepare: Prepare | None = None
) -> RangeData:
    """Read a range from the cache, and prepare it for its view when ``prepare`` is given
    (runs on a worker thread; raises ``StorageError``)."""
    rows = reader.appointments_between(start_ms, end_ms, include_cancelled=True)
    data = RangeData(
        reader,
        start_ms,
        end_ms,
        tuple(rows),
        tuple(reader.calendars()),
        tuple(reader.types()),
    )
    return data if prepare is None else replace(data, prepared=prepare(data))


class RangeLoader(QObject):
    """Reads ranges on a worker thread and keeps recent answers (see the module docstring)."""

    loaded = Signal(object)
    """``RangeData`` answering the newest ``request``."""

    failed = Signal(str)
    """Reading the cache failed: the sentence to show (already logged)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reads = ReadWorker(self, name="calendar-read")
        self._prefetches = ReadWorker(self, name="calendar-prefetch")
        self._cache: OrderedDict[tuple[int, int], RangeData] = OrderedDict()
        self._reader: CalendarReader | None = None
        self.reads = 0
        """Reads started (diagnostics and tests)."""

    def cached(self, reader: CalendarReader, start_ms: int, end_ms: int) -> RangeData | None:
        """What was last read for this range of this reader, or None."""
        if reader is not self._reader:
            return None
        data = self._cache.get((start_ms, end_ms))
        if data is not None:
            self._cache.move_to_end((start_ms, end_ms))
        return data

    def request(
        self,
        reader: CalendarReader,
        start_ms: int,
        end_ms: int,
        prepare: Prepare | None = None,
    ) -> RangeData | None:
        """What is known of the range, at once: an answer kept since the last change of the
        cache (``invalidate``) is current, and is returned without reading again. Otherwise
        None, and the range is read on the worker (answered by ``loaded``)."""
        self._use(reader)
        known = self.cached(reader, start_ms, end_ms)
        if known is not None:
            self._reads.void()  # an older request's answer is not wanted any more
            return known
        self.reads += 1
        self._reads.submit(
            lambda: read_range(reader, start_ms, end_ms, prepare),
            self._answered,
            self._failed,
        )
        return known

    def prefetch(
        self, reader: CalendarReader, ranges: Sequence[tuple[int, int, Prepare | None]]
    ) -> None:
        """Read the ranges ``(start, end, prepare)`` not held yet, in the background."""
        self._use(reader)
        missing = [r for r in ranges if (r[0], r[1]) not in self._cache]
        if not missing:
            return

        def read_all() -> list[RangeData]:
            return [read_range(reader, start, end, prepare) for start, end, prepare in missing]

        self._prefetches.submit(read_all, self._prefetched, self._prefetch_failed)

    def invalidate(self) -> None:
        """Forget every answer (the cache changed); reads in flight still answer."""
        self._cache.clear()
        self._prefetches.void()

    def forget(self) -> None:
        """Forget everything and drop every read in flight (another sub-account)."""
        self._reader = None
        self._cache.clear()
        self._reads.void()
        self._prefetches.void()

    @property
    def busy(self) -> bool:
        """Whether the newest request is still being read."""
        return self._reads.busy

    def close(self, *, wait: bool = False) -> None:
        """Stop both workers (``wait``: until a read in flight has ended)."""
        self.forget()
        self._reads.close(wait=wait)
        self._prefetches.close(wait=wait)

    # -- answers -------------------------------------------------------------------------------
    def _use(self, reader: CalendarReader) -> None:
        if reader is not self._reader:
            self.forget()
            self._reader = reader

    def _store(self, data: RangeData) -> None:
        if data.reader is not self._reader:
            return
        key = (data.start_ms, data.end_ms)
        self._cache[key] = data
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_RANGES:
            self._cache.popitem(last=False)

    def _answered(self, data: RangeData) -> None:
        if data.reader is not self._reader:
            return
        self._store(data)
        self.loaded.emit(data)

    def _prefetched(self, answers: list[RangeData]) -> None:
        for data in answers:
            self._store(data)

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, StorageError):
            log.error("calendar read failed unexpectedly", exc_info=exc)
        else:
            log.error("could not read appointments", exc_info=exc)
        self.failed.emit(describe_failure("read the appointments", exc))

    def _prefetch_failed(self, exc: Exception) -> None:
        # Only a head start: the request for the period itself reports failures.
        log.info("calendar prefetch failed: %s", exc)


__all__ = ["CACHE_RANGES", "Prepare", "RangeData", "RangeLoader", "read_range"]
