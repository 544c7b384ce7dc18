"""Conversation actions of one sub-account: close, reopen, snooze, assign, read marks, start.

Every write goes to the API first; its answer is stored in the cache and a
``ConversationsChanged`` is published at once, so the inbox list shows the
change without waiting for the next poll. Failures are the API layer's typed
``ApiError``s (``user_message`` is a sentence for the user); a check done
here before anything is sent raises ``ValidationFailed`` with no status.

Three things the API does not have are kept locally, in the partition's sync
state (``partition.marks``), so they belong to one sub-account and survive a
restart:

- **Snooze until a time.** The API has the status ``snoozed`` but no wake-up
  time. ``snooze`` sets the status on the server and remembers the time here;
  ``wake_due`` (run by ``run_snooze_timer`` while the app runs) reopens the
  conversation with a PATCH once the time has passed. While the app is not
  running nothing wakes it: the next start reopens what became due meanwhile.
  A conversation that is no longer snoozed on the server (the contact wrote
  back, or a teammate reopened it) simply forgets its wake-up time.
- **Read.** There is no mark-read call either, so a conversation the user
  opened would keep the server's ``unreadCount`` (the badge, the Unread view,
  the tray count) until someone answers. Opening it (``mark_read``) records
  ``{"at": lastMessageAt, "was": unreadCount}`` and lays ``unreadCount 0`` over
  the cached row. A sync that re-stores the row with the same
  ``lastMessageAt`` gets the 0 laid over again (``apply_changes``). New
  activity drops the mark, so a new inbound message's count shows again,
  except when the user is reading that conversation as it arrives
  (``apply_changes(reading=...)``: open and the window active), or the new
  activity is an answer (``lastMessageDirection == "outbound"``): then the mark
  moves on to the new message.
- **Mark unread.** There is no such call. The mark is a flag in the sync
  state, laid over the cached conversation as ``unreadCount >= 1`` so that
  the Unread view, the badge and the tray count include it. It clears on the
  conversation's next new activity (an inbound message, whose own unread count
  then takes over, or an answer, which means it was read), and when the user
  opens the conversation again (``mark_read``). Marking unread a conversation
  that only the local read mark made read swaps that mark for an unread one
  holding the server's count (shown again); the two marks never stand on one
  conversation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.constants import CHANNELS
from app.core.errors import ApiError, KeyExpired, KeyRevoked, NotFound, ValidationFailed
from app.services.bus import ConversationsChanged, EventBus, ScopeKey
from app.storage import InboxMap, Partition

log = logging.getLogger(__name__)

# The inbox's maps are named in app.storage.sync_state (``InboxMap``) and read through
# ``partition.marks``; these aliases keep older imports working.
SNOOZE_STATE_KEY = InboxMap.SNOOZES
"""Alias of ``InboxMap.SNOOZES`` (snooze wake-up times)."""
UNREAD_STATE_KEY = InboxMap.MARKED_UNREAD
"""Alias of ``InboxMap.MARKED_UNREAD`` (local unread marks)."""
READ_STATE_KEY = InboxMap.MARKED_READ
"""Alias of ``InboxMap.MARKED_READ`` (local read marks)."""

SNOOZE_CHECK_SECONDS = 30.0
"""Longest sleep of the snooze timer: a snooze set by another service instance (or a
clock change) is noticed within this time."""

_ACTION_WORDS = {
    "close": ("Close", "closed"),
    "reopen": ("Reopen", "reopened"),
    "snooze": ("Snooze", "snoozed"),
    "assign": ("Assign", "assigned"),
    "unassign": ("Unassign", "unassigned"),
}


def _plural(count: int, noun: str = "conversation") -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@dataclass
class ConversationBulkReport:
    """What a bulk action did: conversations changed, already as asked, and failures.

    ``action`` is one of close, reopen, snooze, assign, unassign; ``failed`` holds
    (conversation id, the reason as a sentence). ``stopped_reason`` is set when the
    key stopped working mid-run (the rest was not attempted)."""

    action: str
    total: int
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    stopped_reason: str | None = None

    @property
    def not_reached(self) -> int:
        """Conversations not attempted (the run stopped early)."""
        return self.total - len(self.changed) - len(self.unchanged) - len(self.failed)

    def summary(self) -> str:
        """One or two sentences for the banner, naming each distinct failure reason."""
        verb, done = _ACTION_WORDS.get(self.action, (self.action.capitalize(), self.action))
        if not self.failed and self.stopped_reason is None:
            text = f"{_plural(len(self.changed)).capitalize()} {done}."
            if self.unchanged:
                n = len(self.unchanged)
                text += f" {n:,} already {'was' if n == 1 else 'were'}."
            return text
        ok = len(self.changed) + len(self.unchanged)
        text = f"{verb}: {ok:,} of {_plural(self.total)} done, {len(self.failed):,} failed."
        reasons: dict[str, int] = {}
        for _cid, reason in self.failed:
            reasons[reason] = reasons.get(reason, 0) + 1
        if reasons:
            text += " " + " ".join(
                reason if n == 1 else f"{reason} ({n:,}×)" for reason, n in reasons.items()
            )
        if self.stopped_reason and self.not_reached:
            text += f" Stopped before {_plural(self.not_reached)}."
        return text


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _unread(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(int(value), 0)


class ConversationService:
    """Conversation writes and local inbox state for one sub-account (see the module docstring).

    ``client`` is the API client view already scoped to the sub-account
    (``SeedlyClient`` or anything with ``update_conversation`` and
    ``create_conversation``); ``clock`` gives epoch seconds (injectable for tests).
    """

    def __init__(
        self,
        partition: Partition,
        client: Any,
        bus: EventBus,
        scope: ScopeKey,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.partition = partition
        self.client = client
        self.bus = bus
        self.scope = scope
        self.clock = clock
        self._timer_poke = asyncio.Event()

    # ------------------------------------------------------------------ plumbing

    def now_ms(self) -> int:
        """The service's clock in epoch milliseconds."""
        return int(self.clock() * 1000)

    def _store(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc = {k: v for k, v in doc.items() if k != "created"}  # a property of one answer
        self.partition.conversations.upsert_conversations([doc])
        stored = self.partition.conversations.get_conversation(str(doc["id"])) or doc
        return stored

    def _publish(self, ids: Iterable[str] = (), deleted: Iterable[str] = ()) -> None:
        self.bus.publish(
            ConversationsChanged(self.scope, ids=frozenset(ids), deleted=frozenset(deleted))
        )

    def _cached(self, conversation_id: str) -> dict[str, Any] | None:
        return self.partition.conversations.get_conversation(conversation_id)

    async def _patch(self, conversation_id: str, **changes: Any) -> dict[str, Any]:
        try:
            conversation = await self.client.update_conversation(conversation_id, **changes)
        except NotFound:
            self._forget(conversation_id)
            raise
        stored = self._store(conversation.to_wire())
        self._after_status(stored)
        self._publish([conversation_id])
        return stored

    def _forget(self, conversation_id: str) -> None:
        """The server no longer has it: drop it from the cache and the local state."""
        self.partition.conversations.delete_conversations([conversation_id])
        self._drop(InboxMap.SNOOZES, [conversation_id])
        self._drop(InboxMap.MARKED_UNREAD, [conversation_id])
        self._drop(InboxMap.MARKED_READ, [conversation_id])
        self._publish(deleted=[conversation_id])

    def _state(self, which: InboxMap) -> dict[str, Any]:
        return self.partition.marks.inbox_map(which)

    def _put(self, which: InboxMap, value: dict[str, Any]) -> None:
        self.partition.marks.set_inbox_map(which, value)

    def _drop(self, which: InboxMap, ids: Iterable[str]) -> None:
        state = self._state(which)
        gone = [i for i in ids if i in state]
        if gone:
            for conversation_id in gone:
                del state[conversation_id]
            self._put(which, state)

    def _after_status(self, doc: dict[str, Any]) -> None:
        # A conversation that is not snoozed (any more) has no wake-up time.
        if doc.get("status") != "snoozed":
            self._drop(InboxMap.SNOOZES, [str(doc["id"])])

    # ------------------------------------------------------------------ single actions

    async def close(self, conversation_id: str) -> dict[str, Any]:
        """Close the conversation; returns the cached document as the server answered."""
        return await self._patch(conversation_id, status="closed")

    async def reopen(self, conversation_id: str) -> dict[str, Any]:
        """Open the conversation again (a snoozed one forgets its wake-up time)."""
        return await self._patch(conversation_id, status="open")

    async def snooze(self, conversation_id: str, until: datetime | int) -> dict[str, Any]:
        """Snooze until ``until`` (an aware datetime or epoch ms in the future).

        The server gets ``status: snoozed``; the wake-up time is kept locally and
        ``wake_due`` reopens the conversation once it has passed."""
        until_ms = self._until_ms(until)
        states = self._state(InboxMap.SNOOZES)
        previous = states.get(conversation_id)
        # Stored before the request: the answer's change event must find the time in place.
        states[conversation_id] = until_ms
        self._put(InboxMap.SNOOZES, states)
        try:
            doc = await self._patch(conversation_id, status="snoozed")
        except BaseException:
            states = self._state(InboxMap.SNOOZES)
            if previous is None:
                states.pop(conversation_id, None)
            else:
                states[conversation_id] = previous
            self._put(InboxMap.SNOOZES, states)
            raise
        self._timer_poke.set()
        return doc

    def _until_ms(self, until: datetime | int) -> int:
        if isinstance(until, datetime):
            if until.tzinfo is None:
                raise ValueError("the snooze time must be timezone-aware")
            until_ms = int(until.timestamp() * 1000)
        else:
            until_ms = int(until)
        if until_ms <= self.now_ms():
            raise ValidationFailed.from_errors(
                {"until": "The snooze time has already passed. Choose a time in the future."}
            )
        return until_ms

    def snoozed_until(self, conversation_id: str) -> int | None:
        """When a snoozed conversation wakes up (epoch ms), or None."""
        value = self._state(InboxMap.SNOOZES).get(conversation_id)
        return int(value) if isinstance(value, int | float) else None

    def snoozes(self) -> dict[str, int]:
        """Every local wake-up time of this sub-account (conversation id → epoch ms)."""
        return self.partition.marks.snoozes()

    async def assign(self, conversation_id: str, user_id: str) -> dict[str, Any]:
        """Assign the conversation to the team member ``user_id``."""
        member = _text(user_id)
        if member is None:
            raise ValidationFailed.from_errors(
                {"assignedTo": "Choose the team member to assign the conversation to."}
            )
        return await self._patch(conversation_id, assigned_to=member)

    async def unassign(self, conversation_id: str) -> dict[str, Any]:
        """Remove the conversation's assignee."""
        return await self._patch(conversation_id, assigned_to=None)

    # ------------------------------------------------------------------ start

    async def start_conversation(
        self, contact_id: str, channel: str, subject: str | None = None
    ) -> str:
        """Open a conversation with a contact on a channel; returns its id.

        When the contact already has an open conversation on that channel the
        API returns it (``created: false``) and that one is opened instead of a
        new one. ``subject`` only applies to email and gmail."""
        problems: dict[str, str] = {}
        if _text(contact_id) is None:
            problems["contactId"] = "Choose the contact to write to."
        if channel not in CHANNELS:
            problems["channel"] = f"Choose a channel: {', '.join(CHANNELS)}."
        if problems:
            raise ValidationFailed.from_errors(problems)
        subject = _text(subject) if channel in ("email", "gmail") else None
        conversation = await self.client.create_conversation(contact_id.strip(), channel, subject)
        doc = self._store(conversation.to_wire())
        self._publish([str(doc["id"])])
        if conversation.created is False:
            log.info("conversation %s already open for %s on %s", doc["id"], contact_id, channel)
        return str(doc["id"])

    # ------------------------------------------------------------------ bulk

    async def bulk(
        self,
        action: str,
        conversation_ids: Sequence[str],
        *,
        user_id: str | None = None,
        until: datetime | int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> ConversationBulkReport:
        """Apply ``action`` (close, reopen, snooze, assign, unassign) to each conversation in
        turn; never raises for a single conversation. One already as asked (per the cache)
        is left alone without a request. A revoked or expired key stops the run."""
        if action not in _ACTION_WORDS:
            raise ValueError(f"unknown bulk action {action!r}")
        if action == "assign" and _text(user_id) is None:
            raise ValidationFailed.from_errors(
                {"assignedTo": "Choose the team member to assign the conversations to."}
            )
        if action == "snooze":
            if until is None:
                raise ValidationFailed.from_errors({"until": "Choose when to wake them up."})
            until = self._until_ms(until)
        ids = list(dict.fromkeys(conversation_ids))
        report = ConversationBulkReport(action, len(ids))
        for index, conversation_id in enumerate(ids):
            try:
                if self._already(action, conversation_id, user_id):
                    report.unchanged.append(conversation_id)
                else:
                    await self._apply(action, conversation_id, user_id, until)
                    report.changed.append(conversation_id)
            except (KeyRevoked, KeyExpired) as exc:
                report.failed.append((conversation_id, exc.user_message))
                report.stopped_reason = exc.user_message
                break
            except ApiError as exc:
                report.failed.append((conversation_id, exc.user_message))
            if on_progress is not None:
                on_progress(index + 1, len(ids))
        return report

    def _already(self, action: str, conversation_id: str, user_id: str | None) -> bool:
        doc = self._cached(conversation_id)
        if doc is None:
            return False
        if action == "close":
            return doc.get("status") == "closed"
        if action == "reopen":
            return doc.get("status") == "open"
        if action == "assign":
            return doc.get("assignedTo") == _text(user_id)
        if action == "unassign":
            return doc.get("assignedTo") is None
        return False  # snooze: the new time must be kept even when already snoozed

    async def _apply(
        self, action: str, conversation_id: str, user_id: str | None, until: Any
    ) -> None:
        if action == "close":
            await self.close(conversation_id)
        elif action == "reopen":
            await self.reopen(conversation_id)
        elif action == "snooze":
            await self.snooze(conversation_id, until)
        elif action == "assign":
            await self.assign(conversation_id, user_id or "")
        else:
            await self.unassign(conversation_id)

    # ------------------------------------------------------------------ snooze timer

    async def wake_due(self) -> list[str]:
        """Reopen every snoozed conversation whose time has passed; returns their ids.

        A conversation no longer snoozed (per the cache) or gone from the server
        only loses its wake-up time. A failing PATCH keeps it, to try again on the
        next run; a revoked or expired key is raised (nothing more can be done)."""
        now = self.now_ms()
        due = sorted((t, cid) for cid, t in self.snoozes().items() if t <= now)
        woken: list[str] = []
        for _until, conversation_id in due:
            doc = self._cached(conversation_id)
            if doc is not None and doc.get("status") != "snoozed":
                self._drop(InboxMap.SNOOZES, [conversation_id])
                continue
            try:
                await self._patch(conversation_id, status="open")
            except NotFound:
                continue  # forgotten by _patch
            except (KeyRevoked, KeyExpired):
                raise
            except ApiError as exc:
                log.warning("could not wake up conversation %s: %s", conversation_id, exc)
                continue
            self._drop(InboxMap.SNOOZES, [conversation_id])
            woken.append(conversation_id)
        return woken

    def next_wake_ms(self) -> int | None:
        """The earliest wake-up time still pending, or None."""
        times = self.snoozes().values()
        return min(times) if times else None

    async def run_snooze_timer(self, *, max_wait: float = SNOOZE_CHECK_SECONDS) -> None:
        """Wake snoozed conversations as their times pass, until cancelled (while the app runs).

        Sleeps until the next wake-up time (at most ``max_wait`` seconds, so a time
        set elsewhere is noticed); ``snooze`` on this instance wakes it at once."""
        while True:
            try:
                await self.wake_due()
            except (KeyRevoked, KeyExpired) as exc:
                log.info("snooze timer stopped: %s", exc)
                return
            except Exception:
                # The cache or a bug: keep the timer alive, the next round tries again.
                log.exception("snooze timer round failed")
            upcoming = self.next_wake_ms()
            wait = max_wait
            if upcoming is not None:
                wait = min(max_wait, max(0.2, (upcoming - self.now_ms()) / 1000))
            self._timer_poke.clear()
            # Not ``wait_for``: on 3.11 it swallows a cancellation that arrives just as the
            # event is set, and the timer would outlive its sub-account.
            poked = asyncio.ensure_future(self._timer_poke.wait())
            try:
                await asyncio.wait({poked}, timeout=wait)
            finally:
                poked.cancel()

    # ------------------------------------------------------------------ read and unread marks

    def mark_unread(self, conversation_id: str) -> bool:
        """Mark the conversation unread on this computer (the API has no such call).

        A conversation that only the local read mark shows as read gets the server's
        count back (and the unread mark, so that reading it as it stands open does not
        read it again). False when there is nothing to do (not cached, already marked,
        or unread on the server). The list and the counts update at once."""
        doc = self._cached(conversation_id)
        if doc is None:
            return False
        marks = self._state(InboxMap.MARKED_UNREAD)
        if conversation_id in marks:
            return False
        at = doc.get("lastMessageAt")
        reads = self._state(InboxMap.MARKED_READ)
        read = reads.pop(conversation_id, None)
        if read is not None:
            self._put(InboxMap.MARKED_READ, reads)
        # The server's count the read mark hides (none once newer activity was stored).
        hidden = _unread((read or {}).get("was")) if (read or {}).get("at") == at else 0
        if hidden == 0 and _unread(doc.get("unreadCount")) > 0:
            return False
        marks[conversation_id] = {"at": at, "was": hidden}
        self._put(InboxMap.MARKED_UNREAD, marks)
        self._lay_count(conversation_id, max(hidden, 1))
        self._publish([conversation_id])
        return True

    def is_marked_unread(self, conversation_id: str) -> bool:
        """Whether the conversation carries a local unread mark."""
        return conversation_id in self._state(InboxMap.MARKED_UNREAD)

    def marked_unread(self) -> set[str]:
        """Ids of the conversations with a local unread mark."""
        return set(self._state(InboxMap.MARKED_UNREAD))

    def clear_unread_mark(self, conversation_id: str) -> bool:
        """Remove the local unread mark (restoring the count it hid); False when there was none.

        ``mark_read`` does this and more: it is what opening a conversation calls."""
        changed = self._clear_unread_mark(conversation_id)
        if changed:
            self._publish([conversation_id])
        return changed

    def _clear_unread_mark(self, conversation_id: str) -> bool:
        marks = self._state(InboxMap.MARKED_UNREAD)
        mark = marks.pop(conversation_id, None)
        if mark is None:
            return False
        self._put(InboxMap.MARKED_UNREAD, marks)
        doc = self._cached(conversation_id)
        if doc is not None and doc.get("lastMessageAt") == (mark or {}).get("at"):
            # Nothing new since the mark: the server's count is still what it was.
            self._lay_count(conversation_id, _unread((mark or {}).get("was")))
        return True

    def mark_read(self, conversation_id: str, *, keep_unread_mark: bool = False) -> bool:
        """The user read the conversation (opened it, or is looking at it): its unread count
        shows as 0 until new activity (see the module docstring).

        A local unread mark goes too, unless ``keep_unread_mark`` (the window came back to
        a conversation that stayed open: a mark the user set meanwhile stands). Returns
        whether anything changed; the list and the counts update at once."""
        if keep_unread_mark and self.is_marked_unread(conversation_id):
            return False
        changed = self._clear_unread_mark(conversation_id)
        if self._record_read(conversation_id):
            changed = True
        if changed:
            self._publish([conversation_id])
        return changed

    def _record_read(self, conversation_id: str) -> bool:
        """Mark the cached conversation read at its current last message (no event)."""
        doc = self._cached(conversation_id)
        if doc is None:
            return False
        count = _unread(doc.get("unreadCount"))
        if count == 0:
            return False
        reads = self._state(InboxMap.MARKED_READ)
        reads[conversation_id] = {"at": doc.get("lastMessageAt"), "was": count}
        self._put(InboxMap.MARKED_READ, reads)
        self._lay_count(conversation_id, 0)
        return True

    def is_marked_read(self, conversation_id: str) -> bool:
        """Whether the conversation carries a local read mark."""
        return conversation_id in self._state(InboxMap.MARKED_READ)

    def marked_read(self) -> set[str]:
        """Ids of the conversations with a local read mark."""
        return set(self._state(InboxMap.MARKED_READ))

    def _lay_count(self, conversation_id: str, count: int) -> None:
        self.partition.conversations.upsert_conversations(
            [{"id": conversation_id, "unreadCount": count}]
        )

    def apply_changes(self, event: ConversationsChanged, *, reading: str | None = None) -> None:
        """Keep the local state in step with a change event of this sub-account.

        ``reading`` is the conversation the user is looking at right now (open in the
        thread pane, the window active), if any.

        A conversation with an unread mark and new activity loses the mark; one whose
        count a sync reset (it re-stores what the server has) gets the mark laid over
        again. The same goes for read marks, except that new activity the user is
        reading as it arrives, or an answer, is read too. A conversation that is no
        longer snoozed, or was deleted, loses its wake-up time."""
        if event.scope != self.scope:
            return
        marks = self._state(InboxMap.MARKED_UNREAD)
        reads = self._state(InboxMap.MARKED_READ)
        snoozes = self._state(InboxMap.SNOOZES)
        looked_at = reading is not None and (event.full or reading in event.ids)
        if not marks and not reads and not snoozes and not looked_at:
            return
        if event.full:
            touched = set(marks) | set(reads) | set(snoozes)
        else:
            touched = set(event.ids) | set(event.deleted)
        if looked_at and reading is not None:
            touched.add(reading)
        cleared: list[str] = []
        unsnoozed: list[str] = []
        reads_changed = False
        laid: dict[str, int] = {}
        for conversation_id in touched:
            doc = None if conversation_id in event.deleted else self._cached(conversation_id)
            count = _unread(doc.get("unreadCount")) if doc is not None else 0
            unread_mark = conversation_id in marks
            if unread_mark:
                mark = marks[conversation_id] or {}
                if doc is None or doc.get("lastMessageAt") != mark.get("at"):
                    cleared.append(conversation_id)
                    unread_mark = False
                elif count == 0:
                    laid[conversation_id] = 1
            read = reads.get(conversation_id)
            if doc is None:
                if read is not None:
                    del reads[conversation_id]
                    reads_changed = True
            elif not unread_mark:
                at = doc.get("lastMessageAt")
                fresh = read is None or at != (read or {}).get("at")
                answered = doc.get("lastMessageDirection") == "outbound"
                if not fresh:
                    if count > 0:  # a sync re-stored the server's count
                        reads[conversation_id] = {"at": at, "was": count}
                        reads_changed = True
                        laid[conversation_id] = 0
                elif conversation_id == reading or (read is not None and answered):
                    # Read as it arrived (or answered): the mark moves on to it.
                    if count > 0:
                        reads[conversation_id] = {"at": at, "was": count}
                        laid[conversation_id] = 0
                        reads_changed = True
                    elif reads.pop(conversation_id, None) is not None:
                        reads_changed = True
                elif read is not None:
                    del reads[conversation_id]  # a new message: the server's count shows
                    reads_changed = True
            elif read is not None:
                del reads[conversation_id]  # never both marks on one conversation
                reads_changed = True
            if conversation_id in snoozes and (doc is None or doc.get("status") != "snoozed"):
                unsnoozed.append(conversation_id)
        if cleared:
            self._drop(InboxMap.MARKED_UNREAD, cleared)
        if unsnoozed:
            self._drop(InboxMap.SNOOZES, unsnoozed)
        if reads_changed:
            self._put(InboxMap.MARKED_READ, reads)
        if laid:
            self.partition.conversations.upsert_conversations(
                [{"id": cid, "unreadCount": n} for cid, n in laid.items()]
            )
            self._publish(laid)

    # ------------------------------------------------------------------ reading

    def team_member_ids(self) -> list[str]:
        """Team member ids seen as assignees in this sub-account's cache, sorted.

        The API has no users endpoint, so these are the ids conversations and
        contacts are assigned to."""
        pid = self.partition.conversations.partition_id
        # The repository has no such query yet; a read of one indexed column.
        with self.partition.database.read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT assigned_to FROM conversations "
                "WHERE partition_id = ? AND assigned_to IS NOT NULL",
                (pid,),
            ).fetchall()
        ids = {str(r[0]) for r in rows} | set(self.partition.contacts.known_assignees())
        return sorted(ids)
