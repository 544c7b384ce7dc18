"""The outbox sender: composed messages reach the server exactly once.

Composing writes the message to SQLite first (``queued``, with a client id),
so a crash, a timeout or a network loss never loses it. The sender delivers
queued items one at a time. When a send's outcome is unknown — the request
left but no answer came back — the item becomes ``unknown`` and is never
resent blindly: after a grace period the sender looks for it in the
conversation (an outbound message on the same channel, whose text matches the
composed one with merge fields as wildcards, created after the send began and
not already claimed by another item). Found: it is ``sent``. Not found: it is
queued again. That gives exactly-once effect.

Known limit: a request the server only processes after the grace period
(a server stuck for longer than ``reconcile_delay``) could be sent twice; the
delay is kept well above the read timeout for that reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from app.core.errors import (
    ApiError,
    KeyExpired,
    KeyRevoked,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Unauthorized,
)
from app.core.models import Message
from app.services.bus import EventBus, MessagesChanged, OutboxChanged, ScopeKey
from app.services.scheduler import StopPolling
from app.storage import MessageRepository, Outbox, OutboxItem, OutboxState

log = logging.getLogger(__name__)

# How far back (ms) before the send began a matching server message may be stamped:
# tolerates clock skew between this machine and the server.
CLOCK_SKEW_MS = 5 * 60 * 1000
_TOKEN = re.compile(r"\{\{\s*[^{}]*?\s*\}\}")


def body_pattern(template: str) -> re.Pattern[str]:
    """A regex matching ``template`` as the server renders it: merge fields are wildcards."""
    parts = _TOKEN.split(template)
    return re.compile(".*?".join(re.escape(p) for p in parts), re.DOTALL)


def _created_ms(message: Message) -> int:
    stamp = message.created_at
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class ServerMessage:
    """What ``server_copy_of`` looks at in one message of the server's thread."""

    message_id: str
    created_ms: int
    """Creation time on the server, epoch ms."""
    direction: str
    channel: str | None
    body_text: str

    @classmethod
    def of(cls, message: Message) -> ServerMessage:
        """The facts of a message as the client returns it."""
        return cls(
            message_id=message.id,
            created_ms=_created_ms(message),
            direction=str(message.direction),
            channel=str(message.channel),
            body_text=message.body_text or "",
        )


def copy_window_start_ms(item: OutboxItem) -> int:
    """The oldest creation time the server's copy of ``item`` can have: when it was
    queued, less the clock skew tolerated between this machine and the server."""
    return item.created_ms - CLOCK_SKEW_MS


def server_copy_of(
    item: OutboxItem, newest_first: Iterable[ServerMessage], claimed: Collection[str]
) -> str | None:
    """The id of the server message that is ``item`` as sent, or None: the outbox's one
    rule for "is this our message", used by the sender and by the thread view.

    A copy is an ``outbound`` message on the item's channel (any channel when the item
    names none), created no earlier than ``copy_window_start_ms(item)``, not in
    ``claimed`` (the message ids other items already own), whose text is the composed
    text with merge fields as wildcards (``body_pattern``). Of several, the oldest is
    the copy (a newer one is a later send of the same text). ``newest_first`` is read
    only down to the first message older than the window.
    """
    pattern = body_pattern(str(item.payload.get("bodyText") or ""))
    channel = item.payload.get("channel")
    since = copy_window_start_ms(item)
    match: str | None = None
    for message in newest_first:
        if message.created_ms < since:
            break  # newest first: everything further is older
        if (
            message.direction == "outbound"
            and message.message_id not in claimed
            and (channel is None or message.channel == channel)
            and pattern.fullmatch(message.body_text)
        ):
            match = message.message_id  # keep going: the oldest unclaimed match is ours
    return match


class OutboxSender:
    """Delivers one partition's outbox through a Seedly client."""

    def __init__(
        self,
        outbox: Outbox,
        client: Any,
        bus: EventBus,
        scope: ScopeKey,
        *,
        reconcile_delay: float = 10.0,
        retry_delay: float = 5.0,
        clock: Callable[[], float] = time.time,
        messages: MessageRepository | None = None,
    ) -> None:
        """``messages``: where the server's copy of each sent message is cached at once, so
        the thread shows it as the server stored it (merge fields resolved) before any poll."""
        self.outbox = outbox
        self.messages = messages
        self.client = client
        self.bus = bus
        self.scope = scope
        self.reconcile_delay = reconcile_delay
        self.retry_delay = retry_delay
        self.clock = clock
        self._wake = asyncio.Event()
        self.stats = {
            "sent": 0,
            "reconciled_found": 0,
            "reconciled_missing": 0,
            "unknown": 0,
            "failed": 0,
            "requeued": 0,
        }

    # -- the UI's side ----------------------------------------------------------------------
    def compose(self, conversation_id: str, payload: dict[str, Any]) -> OutboxItem:
        """Store a new outgoing message (durably, before anything is sent) and wake the sender."""
        item = self.outbox.enqueue(uuid.uuid4().hex, conversation_id, dict(payload))
        self._publish(item)
        self.wake()
        return item

    def retry(self, client_id: str) -> OutboxItem:
        """The user's Retry on a failed message."""
        item = self.outbox.retry(client_id)
        self._publish(item)
        self.wake()
        return item

    def cancel(self, client_id: str) -> OutboxItem:
        """The user's Cancel on a queued or failed message."""
        item = self.outbox.cancel(client_id)
        self._publish(item)
        return item

    def wake(self) -> None:
        self._wake.set()

    # -- the sender ----------------------------------------------------------------------------
    def _publish(self, item: OutboxItem) -> None:
        self.bus.publish(
            OutboxChanged(
                self.scope, item.client_id, item.conversation_id, str(item.state), item.error
            )
        )

    async def run(self) -> None:
        """Deliver pending items until cancelled; sleeps until woken when there is nothing to do."""
        while True:
            self._wake.clear()
            next_wait = await self.drain()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=next_wait)
            except TimeoutError:
                pass

    async def drain(self) -> float:
        """One pass over the pending items; returns how long to wait before the next pass."""
        wait = 60.0
        for item in self.outbox.pending():
            current = self.outbox.get(item.client_id)
            if current is None or not current.pending:
                continue
            if current.state in (OutboxState.UNKNOWN, OutboxState.SENDING):
                age = self.clock() * 1000 - current.updated_ms
                if age < self.reconcile_delay * 1000:
                    wait = min(wait, self.reconcile_delay - age / 1000)
                    continue
                await self.reconcile(current)
                current = self.outbox.get(item.client_id)
                if current is None or current.state != OutboxState.QUEUED:
                    if current is not None and current.state is OutboxState.UNKNOWN:
                        wait = min(wait, self.retry_delay)  # the look-up failed: soon again
                    continue
            pause = await self.send(current)
            if pause is not None:
                return pause
            sent = self.outbox.get(item.client_id)
            if sent is not None and sent.state is OutboxState.UNKNOWN:
                # Its answer was lost: look for it on the server once the delay has passed.
                wait = min(wait, self.reconcile_delay)
        return wait

    async def send(self, item: OutboxItem) -> float | None:
        """Send one queued item; returns a delay when the sender should pause (offline)."""
        item = self.outbox.mark_sending(item.client_id)
        self._publish(item)
        try:
            message = await self.client.send_message(item.conversation_id, item.payload)
        except (KeyRevoked, KeyExpired, Unauthorized) as exc:
            # Nothing is lost: the item goes back to the queue until a new key is entered.
            self._publish(self.outbox.requeue(item.client_id))
            raise StopPolling(exc.user_message) from exc
        except (OutcomeUnknown, ServerError) as exc:
            # It may have reached the server: reconcile before anything else.
            self.stats["unknown"] += 1
            self._publish(self.outbox.mark_unknown(item.client_id))
            log.info("send %s: outcome unknown (%s)", item.client_id, type(exc).__name__)
            return None
        except (NetworkError, RateLimited) as exc:
            # Never reached the server (connect failure) or refused: queue again, wait a bit.
            self.stats["requeued"] += 1
            self._publish(self.outbox.requeue(item.client_id))
            log.info("send %s: %s; will retry", item.client_id, type(exc).__name__)
            return self.retry_delay
        except ApiError as exc:
            self.stats["failed"] += 1
            self._publish(self.outbox.mark_failed(item.client_id, exc.user_message))
            return None
        self._record_sent(item, message)
        return None

    def _record_sent(self, item: OutboxItem, message: Message) -> None:
        self.stats["sent"] += 1
        if self.messages is not None:
            self.messages.upsert_messages([message.to_wire()])
        sent = self.outbox.mark_sent(item.client_id, message.id)
        if message.is_failed:
            sent = self.outbox.mark_status(
                item.client_id,
                str(message.status),
                message.error_message or "The message was not delivered.",
            )
        elif str(message.status) in ("delivered", "read"):
            sent = self.outbox.mark_status(item.client_id, str(message.status))
        self._publish(sent)
        if self.messages is not None:
            # After the outbox names the message: the thread links the two, never shows both.
            self.bus.publish(
                MessagesChanged(self.scope, item.conversation_id, frozenset({message.id}))
            )

    async def reconcile(self, item: OutboxItem) -> Message | None:
        """Find the server's copy of an item whose send outcome is unknown.

        Found: the item is marked sent with that message's id. Not found: it is queued
        again. A failure while looking leaves it unknown for the next pass.
        """
        claimed = {
            i.message_id for i in self.outbox.items_for(item.conversation_id) if i.message_id
        }
        since = copy_window_start_ms(item)
        recent: dict[str, Message] = {}
        facts: list[ServerMessage] = []
        try:
            async for message in self.client.iter_messages(item.conversation_id, limit=100):
                facts.append(ServerMessage.of(message))
                if facts[-1].created_ms < since:
                    break  # newest first: no further page can hold the copy
                recent[message.id] = message
        except (ApiError, StopPolling) as exc:
            if isinstance(exc, (KeyRevoked, KeyExpired)):
                raise StopPolling(exc.user_message) from exc
            log.info("reconcile %s failed (%s); will try again", item.client_id, type(exc).__name__)
            return None
        match_id = server_copy_of(item, facts, claimed)
        match = None if match_id is None else recent.get(match_id)
        if match is not None:
            self.stats["reconciled_found"] += 1
            self._record_sent(item, match)
            return match
        self.stats["reconciled_missing"] += 1
        self._publish(self.outbox.requeue(item.client_id))
        return None

    def follow_statuses(self, messages: list[dict[str, Any]]) -> int:
        """Move sent items along with their messages' server status (called after a thread
        refresh). Returns how many items changed."""
        by_id = {m.get("id"): m for m in messages}
        changed = 0
        for conversation_id in {m.get("conversationId") for m in messages}:
            if not conversation_id:
                continue
            for item in self.outbox.items_for(str(conversation_id)):
                message = by_id.get(item.message_id)
                if message is None or item.state not in (OutboxState.SENT, OutboxState.DELIVERED):
                    continue
                status = str(message.get("status") or "")
                if status in ("delivered", "read", "failed", "bounced") and status != str(
                    item.state
                ):
                    try:
                        updated = self.outbox.mark_status(
                            item.client_id, status, message.get("errorMessage")
                        )
                    except Exception:  # an illegal move (read → delivered): keep what we have
                        continue
                    self._publish(updated)
                    changed += 1
        return changed
