"""Bulk actions on selected contacts: add or remove tags, change lifecycle stage, delete.

Contacts are changed one request at a time through ``ContactService`` (the API
has no batch endpoint yet), so the transport's pacing keeps the run within
the write rate limit. Progress is reported after every contact with an ETA
from the pace so far; cancelling stops before the next contact (the ones done
stay done and are reported). The summary lists every failure with its reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.errors import ApiError, KeyExpired, KeyRevoked, NotFound

log = logging.getLogger(__name__)


class BulkKind(StrEnum):
    """What a bulk action does to each contact."""

    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    SET_STAGE = "set_stage"
    DELETE = "delete"


@dataclass(frozen=True)
class BulkAction:
    """One bulk action: its kind and its argument (tags, or a lifecycle stage)."""

    kind: BulkKind
    tags: tuple[str, ...] = ()
    stage: str | None = None

    def describe(self, count: int) -> str:
        """A sentence for the confirmation and the progress title."""
        noun = "contact" if count == 1 else "contacts"
        if self.kind is BulkKind.ADD_TAGS:
            return f"Add {_quoted(self.tags)} to {count:,} {noun}"
        if self.kind is BulkKind.REMOVE_TAGS:
            return f"Remove {_quoted(self.tags)} from {count:,} {noun}"
        if self.kind is BulkKind.SET_STAGE:
            return f"Set the lifecycle stage of {count:,} {noun} to {self.stage}"
        return f"Delete {count:,} {noun}"


def _quoted(tags: Sequence[str]) -> str:
    words = [f"“{t}”" for t in tags]
    if len(words) <= 1:
        return "the tag " + "".join(words)
    return "the tags " + ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class BulkProgress:
    """Where a run is: ``done`` of ``total``, with the seconds left at the pace so far."""

    done: int
    total: int
    eta_seconds: float | None
    current: str | None = None


@dataclass
class BulkReport:
    """What a run did: contacts changed, left as they were, and failures with reasons."""

    action: BulkAction
    total: int
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (contact id, reason)
    cancelled: bool = False
    stopped_reason: str | None = None  # the key was revoked mid-run, for example

    @property
    def not_reached(self) -> int:
        """Contacts not attempted (cancelled or stopped early)."""
        return self.total - len(self.changed) - len(self.unchanged) - len(self.failed)

    def summary(self) -> str:
        """One or two sentences for the result dialog."""
        parts = [f"{len(self.changed):,} changed"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged):,} already as asked")
        if self.failed:
            parts.append(f"{len(self.failed):,} failed")
        text = ", ".join(parts) + "."
        if self.stopped_reason:
            text += f" Stopped: {self.stopped_reason}"
        elif self.cancelled and self.not_reached:
            text += f" Cancelled before {self.not_reached:,} more."
        return text


class BulkRunner:
    """Runs one ``BulkAction`` over contact ids with a ``ContactService``."""

    def __init__(
        self,
        service: Any,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.clock = clock
        self._cancelled = False

    def cancel(self) -> None:
        """Stop before the next contact."""
        self._cancelled = True

    async def run(
        self,
        action: BulkAction,
        contact_ids: Sequence[str],
        on_progress: Callable[[BulkProgress], None] | None = None,
    ) -> BulkReport:
        """Apply ``action`` to each contact in turn; never raises for a single contact."""
        report = BulkReport(action, len(contact_ids))
        started = self.clock()
        for index, contact_id in enumerate(contact_ids):
            if self._cancelled:
                report.cancelled = True
                break
            try:
                changed = await self._apply(action, contact_id)
            except asyncio.CancelledError:
                report.cancelled = True
                raise
            except (KeyRevoked, KeyExpired) as exc:
                report.failed.append((contact_id, exc.user_message))
                report.stopped_reason = exc.user_message
                break
            except ApiError as exc:
                report.failed.append((contact_id, exc.user_message))
            else:
                (report.changed if changed else report.unchanged).append(contact_id)
            if on_progress is not None:
                done = index + 1
                elapsed = self.clock() - started
                eta = elapsed / done * (len(contact_ids) - done) if done else None
                on_progress(BulkProgress(done, len(contact_ids), eta, contact_id))
        return report

    async def _apply(self, action: BulkAction, contact_id: str) -> bool:
        """Change one contact; False when it already was as asked (nothing sent)."""
        if action.kind is BulkKind.DELETE:
            await self.service.delete(contact_id)
            return True
        cached = self.service.partition.contacts.get(contact_id)
        if cached is None:
            raise NotFound("The contact is no longer in this sub-account.")
        if action.kind is BulkKind.SET_STAGE:
            if cached.get("lifecycleStage") == action.stage:
                return False
            await self.service.update(contact_id, {"lifecycleStage": action.stage})
            return True
        tags = [t for t in cached.get("tags") or [] if isinstance(t, str)]
        folded = {t.casefold() for t in tags}
        if action.kind is BulkKind.ADD_TAGS:
            new = list(tags)
            for tag in action.tags:
                if tag.casefold() not in folded:
                    folded.add(tag.casefold())
                    new.append(tag)
        else:
            drop = {t.casefold() for t in action.tags}
            new = [t for t in tags if t.casefold() not in drop]
        if new == tags:
            return False
        await self.service.update(contact_id, {"tags": new})
        return True
