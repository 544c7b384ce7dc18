"""Add researched Seamless contacts to a Seedly CRM sub-account, without duplicates.

For each researched record (``app.core.seamless.leads`` does the mapping):

1. the record becomes Seedly contact fields — names, the best email and the
   others as ``additionalEmails``, E.164 phones, company, title, location,
   ``source: seamless`` and the user's tag — with invalid addresses and
   unusable numbers left out, each with its reason;
2. the primary email is looked up exactly (``find_contact_by_email``):
   an existing contact gets only the fields that change (``merge_fields``:
   fill what is empty, extend lists and tags, follow the research on company,
   title and location), a new one is created;
3. writes go through the sub-account's ``ContactService``: validated like the
   form, cached, and a create whose answer was lost is reconciled by email
   before anything is tried again.

The ``PushReport`` lists every record as created, updated, unchanged, skipped
or failed, with the reason. Records sharing a primary email are handled one
after the other (the second updates what the first created), also across
concurrent ``push`` calls of one pusher (``ResearchPush`` pushes records as they
arrive); rate limits are the transport's job, so nothing here sleeps. A push is
work the user waits for as a whole: its requests run in ``pacing.bulk()``, using
the CRM's write budget as fast as the window allows (never past it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from app.api.pacing import bulk
from app.core.emails import email_key
from app.core.errors import ApiError, OutcomeUnknown
from app.core.seamless import LEAD_SOURCE, ResearchedContact, lead_fields, merge_fields
from app.core.seamless.leads import REFRESHED_FIELDS
from app.services.bus import LeadPushProgress
from app.services.contacts import ContactService

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
"""Records handled at once; the transport paces them within the rate limits."""


class PushAction(StrEnum):
    """What happened to one record."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class PushOutcome:
    """One record of the report."""

    key: str
    """The research ledger key (search result id) of the record."""
    name: str
    action: PushAction
    contact_id: str | None = None
    email: str | None = None
    reason: str | None = None
    """Skipped or failed: why. Updated: which fields changed."""
    changed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """Addresses and numbers left out, each with its reason."""


@dataclass
class PushReport:
    """What adding a selection to the CRM did, record by record, in the input order."""

    outcomes: list[PushOutcome] = field(default_factory=list)

    def of(self, action: PushAction) -> list[PushOutcome]:
        """The outcomes with this action."""
        return [o for o in self.outcomes if o.action is action]

    @property
    def created(self) -> list[PushOutcome]:
        """New contacts."""
        return self.of(PushAction.CREATED)

    @property
    def updated(self) -> list[PushOutcome]:
        """Existing contacts that changed."""
        return self.of(PushAction.UPDATED)

    @property
    def unchanged(self) -> list[PushOutcome]:
        """Existing contacts that already had everything."""
        return self.of(PushAction.UNCHANGED)

    @property
    def skipped(self) -> list[PushOutcome]:
        """Records that could not become contacts (no name, no usable email, invalid)."""
        return self.of(PushAction.SKIPPED)

    @property
    def failed(self) -> list[PushOutcome]:
        """Records the CRM refused or could not confirm."""
        return self.of(PushAction.FAILED)

    def summary(self) -> str:
        """One sentence for the report dialog ("3 added, 1 updated, 2 skipped.")."""
        parts = []
        for action, word in (
            (PushAction.CREATED, "added"),
            (PushAction.UPDATED, "updated"),
            (PushAction.UNCHANGED, "already up to date"),
            (PushAction.SKIPPED, "skipped"),
            (PushAction.FAILED, "failed"),
        ):
            count = len(self.of(action))
            if count:
                parts.append(f"{count} {word}")
        if not parts:
            return "Nothing to add."
        return ", ".join(parts).capitalize() + "."


Lead = ResearchedContact | tuple[str, ResearchedContact]


class LeadPusher:
    """Pushes researched contacts into the sub-account of ``contacts`` (module docstring)."""

    def __init__(
        self,
        contacts: ContactService,
        *,
        source: str = LEAD_SOURCE,
        default_region: str | None = None,
        refreshed: Sequence[str] = REFRESHED_FIELDS,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.contacts = contacts
        self.source = source
        self.default_region = default_region or contacts.default_region
        self.refreshed = tuple(refreshed)
        self.concurrency = max(1, concurrency)
        self._gate: asyncio.Semaphore | None = None
        self._email_locks: dict[str, asyncio.Lock] = {}

    def _slot(self) -> asyncio.Semaphore:
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.concurrency)
        return self._gate

    def _lock_for(self, group: str) -> asyncio.Lock:
        lock = self._email_locks.get(group)
        if lock is None:
            lock = self._email_locks[group] = asyncio.Lock()
        return lock

    async def push(self, leads: Sequence[Lead], *, tag: str | None = None) -> PushReport:
        """Add or update every lead; never raises for one record's failure (it is reported),
        and stops early only when the key stops working (the rest are reported as failed)."""
        items = [(lead if isinstance(lead, tuple) else (lead.key or "", lead)) for lead in leads]
        outcomes: list[PushOutcome | None] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for index, (_key, record) in enumerate(items):
            best = record.best_email
            group = email_key(best.address) if best else f"\0{index}"
            groups.setdefault(group, []).append(index)
        stop: list[str] = []
        done = 0

        async def run_group(group: str, indices: list[int]) -> None:
            nonlocal done
            async with self._slot(), self._lock_for(group):
                for index in indices:
                    key, record = items[index]
                    if stop:
                        outcomes[index] = PushOutcome(
                            key,
                            record.display_name,
                            PushAction.FAILED,
                            reason=f"Not attempted: {stop[0]}",
                        )
                    else:
                        outcomes[index] = await self._push_one(key, record, tag, stop)
                    done += 1
                    self.contacts.bus.publish(
                        LeadPushProgress(self.contacts.scope, done, len(items))
                    )

        with bulk():
            await asyncio.gather(*(run_group(g, indices) for g, indices in groups.items()))
        return PushReport([o for o in outcomes if o is not None])

    async def update_moves(
        self, moves: Sequence[MovedPerson], *, tag: str = "job-change"
    ) -> PushReport:
        """After a job-change check: find each person's contact by email — the addresses on
        file first, then the new ones (the same exact lookup as ``push``) — and bring its
        company and title up to date, with ``tag`` (and the new addresses and numbers
        added). People not in the sub-account are reported as skipped, never created."""
        outcomes: list[PushOutcome] = []
        stop: list[str] = []
        for done, move in enumerate(moves, start=1):
            if stop:
                outcomes.append(
                    PushOutcome(
                        move.key, move.name, PushAction.FAILED, reason=f"Not attempted: {stop[0]}"
                    )
                )
            else:
                outcomes.append(await _update_moved(self, move, tag, stop))
            self.contacts.bus.publish(LeadPushProgress(self.contacts.scope, done, len(moves)))
        return PushReport(outcomes)

    async def _push_one(
        self, key: str, record: ResearchedContact, tag: str | None, stop: list[str]
    ) -> PushOutcome:
        name = record.display_name
        lead = lead_fields(record, tag=tag, source=self.source, default_region=self.default_region)
        notes = lead.skipped
        if not lead.ok or lead.email is None:
            return PushOutcome(
                key, name, PushAction.SKIPPED, email=lead.email, reason=lead.problem, notes=notes
            )
        try:
            existing = await self.contacts.client.find_contact_by_email(lead.email)
            if existing is None:
                contact = await self.contacts.create(lead.fields)
                return PushOutcome(
                    key, name, PushAction.CREATED, contact.id, lead.email, notes=notes
                )
            # The copy just read is the freshest: diff against it, not an older cached one.
            wire: dict[str, Any] = existing.to_wire()
            self.contacts.partition.contacts.upsert_many([wire])
            edits = merge_fields(wire, lead, refreshed=self.refreshed)
            if not edits:
                return PushOutcome(
                    key, name, PushAction.UNCHANGED, existing.id, lead.email, notes=notes
                )
            await self.contacts.update(existing.id, edits)
            changed = tuple(sorted(edits))
            return PushOutcome(
                key,
                name,
                PushAction.UPDATED,
                existing.id,
                lead.email,
                reason="Changed: " + ", ".join(changed) + ".",
                changed=changed,
                notes=notes,
            )
        except OutcomeUnknown as exc:
            return PushOutcome(
                key, name, PushAction.FAILED, email=lead.email, reason=_reason(exc), notes=notes
            )
        except ApiError as exc:
            if exc.is_auth_failure:
                stop.append(_reason(exc))
            log.info("push of %s failed: %s", key, exc)
            action = PushAction.SKIPPED if exc.status is None else PushAction.FAILED
            return PushOutcome(
                key, name, action, email=lead.email, reason=_reason(exc), notes=notes
            )


JOB_FIELDS = ("company", "title")
"""What a job change updates on an existing contact."""


class MovedPerson(Protocol):
    """What ``update_moves`` needs of someone who changed jobs (``JobMove`` fits)."""

    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def record(self) -> ResearchedContact | None: ...

    @property
    def lookup_emails(self) -> tuple[str, ...]: ...


async def _update_moved(
    pusher: LeadPusher, move: MovedPerson, tag: str, stop: list[str]
) -> PushOutcome:
    record = move.record
    if record is None:
        return PushOutcome(move.key, move.name, PushAction.SKIPPED, reason="No fresh record.")
    lead = lead_fields(record, tag=tag, source=pusher.source, default_region=pusher.default_region)
    tried: list[str] = []
    try:
        existing = None
        for address in move.lookup_emails:
            key = email_key(address)
            if not address or key in tried:
                continue
            tried.append(key)
            existing = await pusher.contacts.client.find_contact_by_email(address)
            if existing is not None:
                break
        if existing is None:
            looked = ", ".join(move.lookup_emails) or "no address on file"
            return PushOutcome(
                move.key,
                move.name,
                PushAction.SKIPPED,
                reason=f"Not in this sub-account's contacts (looked up by email: {looked}).",
            )
        wire: dict[str, Any] = existing.to_wire()
        pusher.contacts.partition.contacts.upsert_many([wire])
        edits = merge_fields(wire, lead, refreshed=JOB_FIELDS)
        if not edits:
            return PushOutcome(move.key, move.name, PushAction.UNCHANGED, existing.id)
        await pusher.contacts.update(existing.id, edits)
        changed = tuple(sorted(edits))
        return PushOutcome(
            move.key,
            move.name,
            PushAction.UPDATED,
            existing.id,
            existing.email,
            reason="Changed: " + ", ".join(changed) + ".",
            changed=changed,
            notes=lead.skipped,
        )
    except OutcomeUnknown as exc:
        return PushOutcome(move.key, move.name, PushAction.FAILED, reason=_reason(exc))
    except ApiError as exc:
        if exc.is_auth_failure:
            stop.append(_reason(exc))
        return PushOutcome(move.key, move.name, PushAction.FAILED, reason=_reason(exc))


def _reason(exc: Exception) -> str:
    text = getattr(exc, "user_message", None)
    return text if isinstance(text, str) else str(exc)


__all__ = [
    "DEFAULT_CONCURRENCY",
    "JOB_FIELDS",
    "MovedPerson",
    "LeadPusher",
    "PushAction",
    "PushOutcome",
    "PushReport",
]
