"""Keeps one sub-account's cache in step with the server.

- First run: a full sync of contacts (with the custom field definitions) and
  conversations, page by page, each page committed as it arrives.
- After that: incremental refreshes, reading newest-first pages until the
  high-water mark (lists are ordered by ``updatedAt`` / ``lastMessageAt``).
- Periodically: a full reconciliation that also notices deletions (the API
  has no change feed; a record missing from a complete walk was deleted).
- Calendars and appointment types are read when a sub-account opens and every
  few minutes; appointments of a window around now on every appointments poll
  (what changed since the previous poll is told on the bus), and any other range
  the Calendar tab shows on demand (``load_range``).

Every write checks ``is_current()`` after each await: once the user switched
to another sub-account, nothing this service fetched is applied.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.errors import InvalidResponse, NotFound
from app.core.models import WireModel
from app.services.bus import (
    AppointmentsChanged,
    ContactsChanged,
    ConversationsChanged,
    EventBus,
    MessagesChanged,
    ScopeKey,
)
from app.storage import Partition, SyncKind, to_ms

log = logging.getLogger(__name__)

CONTACT_PAGE = 100  # the API's maximum for contacts
CONVERSATION_PAGE = 200  # the API's maximum for conversations
MESSAGE_PAGE = 50
APPOINTMENT_PAGE = 200
MAX_PAGES = 10_000
"""No list is walked further than this many pages (a million contacts)."""
LOOP_IDLE_PAGES = 3
"""Consecutive pages that bring only records already seen in the walk: a looping cursor."""
DELETION_SANITY_MIN = 20
DELETION_SANITY_SHARE = 0.1
"""A walk may infer at most max(20, 10 %) of the cache deleted without a second look."""
SECOND_LOOK_SAMPLE = 5
"""Records asked for one by one before many inferred deletions are believed."""


class PaginationLoop(InvalidResponse):
    """The server's cursors went round in circles; the walk was stopped."""

    def __init__(self, message: str, *, pages: int) -> None:
        super().__init__(message, resource="page")
        self.pages = pages

    @property
    def user_message(self) -> str:
        return str(self)


class Stale(Exception):
    """The sub-account changed while this work was in flight; its results are dropped."""


def _wire(record: WireModel) -> dict[str, Any]:
    return record.to_wire()


class SyncService:
    """Sync of one partition through one client view (already scoped to the sub-account)."""

    def __init__(
        self,
        partition: Partition,
        client: Any,
        bus: EventBus,
        scope: ScopeKey,
        is_current: Callable[[], bool] = lambda: True,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.partition = partition
        self.client = client
        self.bus = bus
        self.scope = scope
        self.is_current = is_current
        self.requests = 0
        self.last_success_ms: int | None = partition.marks.last_success_ms()
        self.monotonic = monotonic
        self.calendars_read = False
        """Whether this service has read the calendars (they are read before the first
        appointments poll)."""
        self.appointments_window: tuple[int, int] | None = None
        """The window the previous appointments poll covered (None before the first one:
        the session hands it over across switches, so changes are told per sub-account)."""
        self._ranges: list[tuple[int, int, float]] = []

    def _check(self) -> None:
        if not self.is_current():
            raise Stale(self.scope.sub_account_id)

    async def _write(
        self, write: Callable[[list[dict[str, Any]]], Any], docs: list[dict[str, Any]]
    ) -> None:
        """Store a page off the event loop (FTS indexing of 100 contacts takes ~15 ms), then
        make sure the sub-account is still the active one before anyone is told."""
        if docs:
            await asyncio.to_thread(write, docs)
        self._check()

    def _ok(self) -> None:
        self.last_success_ms = int(time.time() * 1000)
        self.partition.marks.set_last_success_ms(self.last_success_ms)

    async def _pages(self, fetch: Callable[[str | None], Any]) -> AsyncIterator[Any]:
        """Every page of a list, following cursors; stops a server that loops.

        A cursor the walk has already followed, or a run of pages that bring no record
        the walk has not seen, means the server's pagination is broken: the walk stops
        with ``PaginationLoop`` instead of asking forever (and starving every other poll)."""
        cursor: str | None = None
        followed: set[str] = set()
        seen: set[str] = set()
        idle_pages = 0
        pages = 0
        while True:
            page = await fetch(cursor)
            self.requests += 1
            pages += 1
            self._check()
            ids = {record.id for record in page.data}
            idle_pages = idle_pages + 1 if page.data and ids <= seen else 0
            seen |= ids
            yield page
            cursor = page.next_cursor
            if cursor is None:
                return
            if cursor in followed or idle_pages >= LOOP_IDLE_PAGES or pages >= MAX_PAGES:
                raise PaginationLoop(
                    f"The server kept sending pages it had already sent ({pages} pages read); "
                    "this sync was stopped and will be tried again later.",
                    pages=pages,
                )
            followed.add(cursor)

    def _server_now_ms(self) -> int:
        return int(self.client.server_now_ms())

    @staticmethod
    def _mark_of(docs: list[dict[str, Any]], stamp: str, now_ms: int) -> tuple[int, str] | None:
        """The newest ``stamp`` of ``docs`` that is not in the future (by the server's clock),
        as (ms, the string as sent): a record dated ahead must not move the mark past now."""
        best: tuple[int, str] | None = None
        for doc in docs:
            text = doc.get(stamp)
            when = to_ms(text)
            if when is None or when > now_ms or not isinstance(text, str):
                continue
            if best is None or when > best[0]:
                best = (when, text)
        return best

    async def _proven(
        self,
        gone: set[str],
        *,
        seen: int,
        stored: int,
        total: int | None,
        exists: Callable[[str], Awaitable[bool]],
    ) -> bool:
        """Whether records missing from a complete walk were really deleted on the server.

        Not when the walk brought fewer records than the server counted; and when many
        would go at once (or the walk brought none at all), only after a second look:
        a sample of them asked for one by one must all be gone."""
        if total is not None and seen < total:
            log.warning(
                "sync: the walk brought %d of the %d records the server counts; "
                "no deletion inferred",
                seen,
                total,
            )
            return False
        if seen > 0 and len(gone) <= max(DELETION_SANITY_MIN, stored * DELETION_SANITY_SHARE):
            return True
        for record_id in sorted(gone)[:SECOND_LOOK_SAMPLE]:
            if await exists(record_id):
                log.warning(
                    "sync: %d of %d records were missing from the walk, but %s still exists; "
                    "no deletion inferred",
                    len(gone),
                    stored,
                    record_id,
                )
                return False
            self._check()
        return True

    # -- generic walks ------------------------------------------------------------------------
    async def _full_walk(
        self,
        kind: SyncKind,
        fetch: Callable[[str | None], Any],
        stamp: str,
        upsert: Callable[[list[dict[str, Any]]], Any],
        stored_ids: Callable[[], set[str]],
        delete: Callable[[set[str]], Any],
        changed: Callable[..., Any],
        exists: Callable[[str], Awaitable[bool]],
    ) -> int:
        """Walk a whole list, storing each page; delete what the server no longer has
        (when the walk proves it, see ``_proven``)."""
        seen: set[str] = set()
        mark: tuple[int, str] | None = None
        total: int | None = None
        first = True
        async for page in self._pages(fetch):
            if first:
                total, first = page.meta.total, False
            docs = [_wire(r) for r in page.data]
            candidate = self._mark_of(docs, stamp, self._server_now_ms())
            if candidate is not None and (mark is None or candidate[0] > mark[0]):
                mark = candidate
            await self._write(upsert, docs)
            seen.update(d["id"] for d in docs)
            self.bus.publish(changed(self.scope, ids=frozenset(d["id"] for d in docs)))
        stored = stored_ids()
        gone = stored - seen
        if gone and await self._proven(
            gone, seen=len(seen), stored=len(stored), total=total, exists=exists
        ):
            delete(gone)
            self.bus.publish(changed(self.scope, deleted=frozenset(gone)))
        if mark is not None:
            self.partition.marks.set_high_water_mark(kind, mark[1])
        self.partition.marks.set_full_sync_ms(kind, int(time.time() * 1000))
        self._ok()
        return len(seen)

    async def _refresh_walk(
        self,
        kind: SyncKind,
        fetch: Callable[[str | None], Any],
        stamp: str,
        upsert: Callable[[list[dict[str, Any]]], Any],
        changed_event: Callable[..., Any],
    ) -> set[str] | None:
        """Newest-first pages until the high-water mark; None when there is no usable mark
        (none yet, or one in the future by the server's clock: a full walk repairs it)."""
        hwm = self.partition.marks.high_water_mark(kind)
        hwm_ms = to_ms(hwm)
        if hwm is None or hwm_ms is None or hwm_ms > self._server_now_ms():
            return None
        changed: set[str] = set()
        mark: tuple[int, str] = (hwm_ms, hwm)
        async for page in self._pages(fetch):
            docs = [_wire(r) for r in page.data]
            fresh = [d for d in docs if (to_ms(d.get(stamp)) or 0) >= hwm_ms]
            candidate = self._mark_of(fresh, stamp, self._server_now_ms())
            if candidate is not None and candidate[0] > mark[0]:
                mark = candidate
            if fresh:
                await self._write(upsert, fresh)
                changed.update(d["id"] for d in fresh)
            if len(fresh) < len(docs):
                break  # reached records older than the mark
        if mark[1] != hwm:
            self.partition.marks.set_high_water_mark(kind, mark[1])
        if changed:
            self.bus.publish(changed_event(self.scope, ids=frozenset(changed)))
        self._ok()
        return changed

    # -- contacts ----------------------------------------------------------------------------
    async def sync_fields(self) -> None:
        fields = await self.client.custom_fields()
        self.requests += 1
        self._check()
        self.partition.custom_fields.replace_fields([_wire(f) for f in fields])

    async def full_contacts(self) -> int:
        """Walk every contact; store them page by page; delete what the server no longer has."""
        await self.sync_fields()
        repo = self.partition.contacts
        return await self._full_walk(
            SyncKind.CONTACTS,
            lambda c: self.client.list_contacts(limit=CONTACT_PAGE, cursor=c),
            "updatedAt",
            repo.upsert_many,
            repo.all_ids,
            lambda ids: repo.delete_ids(ids, remember=False),
            ContactsChanged,
            self._contact_exists,
        )

    async def _contact_exists(self, contact_id: str) -> bool:
        try:
            await self.client.get_contact(contact_id)
        except NotFound:
            return False
        finally:
            self.requests += 1
        return True

    async def refresh_contacts(self) -> int:
        """Fetch what changed since the high-water mark (newest first, stop at the mark)."""
        repo = self.partition.contacts
        changed = await self._refresh_walk(
            SyncKind.CONTACTS,
            lambda c: self.client.list_contacts(limit=CONTACT_PAGE, cursor=c),
            "updatedAt",
            repo.upsert_many,
            ContactsChanged,
        )
        return await self.full_contacts() if changed is None else len(changed)

    # -- conversations ---------------------------------------------------------------------------
    async def full_conversations(self) -> int:
        repo = self.partition.conversations
        return await self._full_walk(
            SyncKind.CONVERSATIONS,
            lambda c: self.client.list_conversations(limit=CONVERSATION_PAGE, cursor=c),
            "lastMessageAt",
            repo.upsert_conversations,
            repo.all_conversation_ids,
            repo.delete_conversations,
            ConversationsChanged,
            self._conversation_exists,
        )

    async def _conversation_exists(self, conversation_id: str) -> bool:
        try:
            await self.client.get_conversation(conversation_id)
        except NotFound:
            return False
        finally:
            self.requests += 1
        return True

    async def refresh_conversations(self) -> set[str]:
        """Conversations with new activity since the mark; returns their ids."""
        repo = self.partition.conversations
        changed = await self._refresh_walk(
            SyncKind.CONVERSATIONS,
            lambda c: self.client.list_conversations(limit=50, cursor=c),
            "lastMessageAt",
            repo.upsert_conversations,
            ConversationsChanged,
        )
        if changed is None:
            await self.full_conversations()
            return set()
        return changed

    # -- threads --------------------------------------------------------------------------------
    async def refresh_thread(self, conversation_id: str) -> list[dict[str, Any]]:
        """The newest page of a thread (new messages and status changes of recent ones)."""
        page = await self.client.list_messages(conversation_id, limit=MESSAGE_PAGE)
        self.requests += 1
        self._check()
        docs = [_wire(m) for m in page.data]
        self.partition.messages.upsert_messages(docs)
        if self.partition.marks.thread_cursor(conversation_id) is None:
            self.partition.marks.set_thread_cursor(conversation_id, page.next_cursor)
        self.bus.publish(
            MessagesChanged(self.scope, conversation_id, frozenset(d["id"] for d in docs))
        )
        self._ok()
        return docs

    async def load_older(self, conversation_id: str) -> int:
        """The next older page of a thread (scrolling up); 0 when the start was reached."""
        cursor = self.partition.marks.thread_cursor(conversation_id)
        if cursor is None:
            await self.refresh_thread(conversation_id)
            cursor = self.partition.marks.thread_cursor(conversation_id)
        if not cursor:
            return 0
        page = await self.client.list_messages(conversation_id, limit=MESSAGE_PAGE, cursor=cursor)
        self.requests += 1
        self._check()
        docs = [_wire(m) for m in page.data]
        self.partition.messages.upsert_messages(docs)
        self.partition.marks.set_thread_cursor(conversation_id, page.next_cursor)
        self.bus.publish(
            MessagesChanged(self.scope, conversation_id, frozenset(d["id"] for d in docs))
        )
        return len(docs)

    # -- calendars ----------------------------------------------------------------------------
    async def refresh_calendars(self) -> bool:
        """Read the calendars and appointment types again; True when they changed (then
        ``AppointmentsChanged(calendars=True)`` is published)."""
        calendars = [_wire(c) for c in await self.client.list_calendars()]
        self.requests += 1
        self._check()
        types = [_wire(t) for t in await self.client.list_appointment_types()]
        self.requests += 1
        self._check()
        repo = self.partition.calendars
        changed = _by_id(calendars) != _by_id(repo.calendars()) or _by_id(types) != _by_id(
            repo.types()
        )
        if changed:
            repo.replace_calendars(calendars)
            repo.replace_types(types)
            self.bus.publish(AppointmentsChanged(self.scope, calendars=True))
        self.calendars_read = True
        self._ok()
        return changed

    async def poll_appointments(self) -> int:
        """The appointments poll: the calendars first when this sub-account has not read
        them yet (a booking screen needs their rules), then ``refresh_appointments``."""
        if not self.calendars_read:
            await self.refresh_calendars()
        return await self.refresh_appointments()

    def _polled_window(self, days_back: int, days_ahead: int) -> tuple[int, int]:
        now = datetime.now(UTC)
        start = int((now - timedelta(days=days_back)).timestamp() * 1000)
        end = int((now + timedelta(days=days_ahead)).timestamp() * 1000)
        return start, end

    async def _fetch_appointments(self, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = []
        async for page in self._pages(
            lambda c: self.client.list_appointments(
                start_ms=start_ms, end_ms=end_ms, limit=APPOINTMENT_PAGE, cursor=c
            )
        ):
            docs += [_wire(a) for a in page.data]
        return docs

    async def refresh_appointments(self, days_back: int = 30, days_ahead: int = 60) -> int:
        """Make the cache of the polled window (``days_back`` to ``days_ahead`` around now)
        equal the server's, and publish what changed since the previous poll
        (``AppointmentChanges``); returns how many appointments the window holds."""
        start, end = self._polled_window(days_back, days_ahead)
        docs = await self._fetch_appointments(start, end)
        repo = self.partition.calendars

        def store() -> dict[str, _Held]:
            before = _held(repo.appointments_between(start, end))
            repo.replace_appointments_between(start, end, docs)
            return before

        before = await asyncio.to_thread(store)
        self._check()
        previous = self.appointments_window
        self.appointments_window = (start, end)
        changes = appointment_changes(before, docs, previous)
        self.bus.publish(
            AppointmentsChanged(
                self.scope,
                booked=changes.booked,
                cancelled=changes.cancelled,
                moved=changes.moved,
            )
        )
        self._ok()
        return len(docs)

    async def load_range(self, start_ms: int, end_ms: int) -> int:
        """Appointments of ``[start_ms, end_ms)`` in the cache, fetched when the range lies
        outside the polled window and was not loaded in the last ``RANGE_MEMORY_S``
        seconds (moving back and forth does not fetch again); returns how many there are."""
        if end_ms <= start_ms:
            return 0
        now = self.monotonic()
        self._ranges = [r for r in self._ranges if now - r[2] < RANGE_MEMORY_S]
        polled = self.appointments_window
        known = [(s, e) for s, e, _ in self._ranges]
        if polled is not None:
            known.append(polled)
        repo = self.partition.calendars
        if any(s <= start_ms and end_ms <= e for s, e in known):
            return len(await asyncio.to_thread(repo.appointments_between, start_ms, end_ms))
        docs = await self._fetch_appointments(start_ms, end_ms)
        await asyncio.to_thread(repo.replace_appointments_between, start_ms, end_ms, docs)
        self._check()
        self._ranges.append((start_ms, end_ms, self.monotonic()))
        self.bus.publish(AppointmentsChanged(self.scope))
        return len(docs)


RANGE_MEMORY_S = 120.0
"""How long a range loaded by ``load_range`` counts as fresh (the poll does not keep it)."""


@dataclass(frozen=True)
class _Held:
    status: str | None
    start_ms: int | None
    end_ms: int | None


def _held(docs: list[dict[str, Any]]) -> dict[str, _Held]:
    return {
        str(d["id"]): _Held(d.get("status"), to_ms(d.get("startTime")), to_ms(d.get("endTime")))
        for d in docs
        if d.get("id")
    }


def _by_id(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {str(d.get("id")): d for d in docs}


@dataclass(frozen=True)
class AppointmentChanges:
    """What a poll found changed: ids of new bookings, cancellations and moves."""

    booked: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()


_HOLDING = frozenset({"scheduled", "confirmed"})


def appointment_changes(
    before: Mapping[str, _Held],
    after: list[dict[str, Any]],
    previous_window: tuple[int, int] | None,
) -> AppointmentChanges:
    """Compare the cache of a window before a poll with the server's answer.

    Nothing is reported without a previous poll (the first fill). An appointment the
    cache did not hold counts as booked only when it holds its slot and lies in the
    window the previous poll covered: one that merely came into view as the window
    moved on with time is not new."""
    if previous_window is None:
        return AppointmentChanges()
    lo, hi = previous_window
    booked: list[str] = []
    cancelled: list[str] = []
    moved: list[str] = []
    for doc in after:
        key = str(doc.get("id") or "")
        if not key:
            continue
        status = doc.get("status")
        start, end = to_ms(doc.get("startTime")), to_ms(doc.get("endTime"))
        old = before.get(key)
        if old is None:
            if status in _HOLDING and start is not None and start < hi and (end or start) > lo:
                booked.append(key)
        elif status == "cancelled" and old.status in _HOLDING:
            cancelled.append(key)
        elif status in _HOLDING and (start, end) != (old.start_ms, old.end_ms):
            moved.append(key)
    return AppointmentChanges(tuple(booked), tuple(cancelled), tuple(moved))
