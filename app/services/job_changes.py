"""Job changes and stale records: who moved since they were researched, and what to refresh.

- ``moved_recently_filters``: the saved search "Moved recently in my accounts" —
  people Seamless flags with a recent job change (``jobChanges``) at the companies
  of the user's CRM contacts (``companyDomain``; docs/api/seamless.md, "Search").
- ``JobChangeChecker``: "Check for job changes" on researched people (the research
  ledger, researched rows of the Leads results, CRM contacts that came from
  Seamless). Each person is researched again by identity with ``isJobChange: true``
  (docs/api/seamless.md, "Research"): name, the company and title on file, the
  LinkedIn profile when known. It costs 1 credit per person; with deduplication on,
  Seamless would answer people this user already researched from the stored record
  (free, but not checked again), so the plan says how many that would skip and only
  sends them when the user asks to re-check them (``skipDeduplicationCheck``).
  ``report`` compares the record on file (carried in each identity: company and
  title) with the fresh one: who moved (old → new company and title), who was
  promoted, who is where they were, who was not found.
- ``stale``: ledger records older than a chosen age; refreshing them is research
  with ``skipDeduplicationCheck`` (``ResearchQueue.plan``), its cost shown first.

Updating the CRM after a report is ``LeadPusher.update_moves``: the same exact-email
lookup as Add to CRM, then company, title and a ``job-change`` tag.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from app.core.credits import Estimate, Refusal
from app.core.emails import email_key
from app.core.seamless import ResearchedContact, ResearchState, parse, research_state
from app.core.seamless.leads import LEAD_SOURCE
from app.services.research import ResearchPlan, ResearchQueue
from app.storage import ResearchLedger

JOB_CHANGE_TAG = "job-change"
"""The tag a CRM contact gets when it is updated after a job change."""
MOVED_RECENTLY_NAME = "Moved recently in my accounts"
DEFAULT_DAY_RANGE = "Last 180 Days"
DEFAULT_STALE_DAYS = 90
"""Records researched longer ago than this are stale unless the user chooses otherwise."""
MAX_ACCOUNT_DOMAINS = 100
"""``companyDomain`` takes at most 100 values (docs/api/seamless.md, "Search")."""
LEDGER_LIMIT = 5000

_SUFFIXES = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|co|corp|corporation|company|gmbh|plc|sa|ag|group)\b\.?"
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def company_key(name: str | None) -> str:
    """A company name for comparison: lower case, words only, no legal suffix."""
    text = (name or "").casefold()
    return " ".join(_NON_WORD.sub(" ", _SUFFIXES.sub(" ", text)).split())


def moved_recently_filters(
    domains: Iterable[str], *, day_range: str = DEFAULT_DAY_RANGE
) -> dict[str, Any]:
    """The filters of "Moved recently in my accounts" for the companies at ``domains``
    (the most frequent first; at most 100)."""
    return {
        "jobChanges": {"changeType": "New Hire or New Promotion", "dayRange": day_range},
        "companyDomain": list(dict.fromkeys(domains))[:MAX_ACCOUNT_DOMAINS],
    }


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class Candidate:
    """Someone to check for a job change, as the app has them on file."""

    key: str
    """The research ledger key (search result id), or ``crm:<contact id>``."""
    name: str
    company: str | None
    title: str | None
    linkedin: str | None = None
    emails: tuple[str, ...] = ()
    """Addresses on file (the CRM lookup tries them first)."""
    held: bool = False
    """Already researched by this user: deduplication would answer from the stored record."""
    contact_id: str | None = None

    @property
    def usable(self) -> bool:
        """Enough to identify the person: a name with a company, or a LinkedIn profile."""
        return bool(self.name) and bool(self.company or self.linkedin)

    def identity(self) -> dict[str, str]:
        """The ``contacts[]`` item: name, the company and title on file, the profile."""
        item = {
            "contactName": self.name,
            "companyName": self.company,
            "title": self.title,
            "liProfileUrl": self.linkedin,
        }
        return {k: v for k, v in item.items() if v}


def candidate_of_record(key: str, record: ResearchedContact, *, held: bool = True) -> Candidate:
    """A researched record as someone to check."""
    first, last = record.names()
    name = " ".join(p for p in (first, last) if p) or record.display_name
    return Candidate(
        key,
        name,
        _text(record.company),
        _text(record.title),
        _text(record.li_profile_url),
        tuple(e.address for e in record.emails),
        held,
    )


def candidate_of_contact(contact: Mapping[str, Any], held_by_email: Mapping[str, str]) -> Candidate:
    """A CRM contact (wire fields) as someone to check; ``held_by_email`` maps addresses the
    research ledger holds (``email_key``) to their ledger key."""
    emails = [e for e in [contact.get("email"), *(contact.get("additionalEmails") or [])] if e]
    held_key = next(
        (held_by_email[email_key(e)] for e in emails if email_key(e) in held_by_email), None
    )
    name = " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)
    return Candidate(
        held_key or f"crm:{contact.get('id')}",
        name,
        _text(contact.get("company")),
        _text(contact.get("title")),
        None,
        tuple(str(e) for e in emails),
        held_key is not None,
        _text(contact.get("id")),
    )


def from_seamless(contact: Mapping[str, Any]) -> bool:
    """Whether a CRM contact came from Seamless research (its ``source``)."""
    return str(contact.get("source") or "").casefold() == LEAD_SOURCE


@dataclass(frozen=True)
class JobChangePlan:
    """What "Check for job changes" would send and cost (shown before anything is sent)."""

    send: tuple[Candidate, ...]
    skipped: tuple[Candidate, ...]
    """Already researched and not re-checked: deduplication would answer them from the
    stored record (free, not checked again)."""
    unusable: tuple[Candidate, ...]
    """Not enough on file to identify them (no name, or no company nor profile)."""
    recheck: bool
    """Researched people are checked again (``skipDeduplicationCheck``)."""
    research: ResearchPlan | None
    """The research the queue sends (None: nothing to send)."""

    @property
    def estimate(self) -> Estimate | None:
        """The cost of what is sent (1 credit per person), or None when nothing is."""
        return self.research.estimate if self.research is not None else None

    @property
    def refusal(self) -> Refusal | None:
        """Why it cannot be sent now (balance, daily budget), or None."""
        return self.research.refusal if self.research is not None else None

    @property
    def dedup_would_skip(self) -> int:
        """How many of the people deduplication would answer from the stored record."""
        return sum(1 for c in (*self.send, *self.skipped) if c.held)

    def confirmation(self) -> str:
        """The sentence the confirmation shows: who is checked, the cost, what deduplication
        would skip, who cannot be checked."""
        count = len(self.send)
        parts: list[str] = []
        if count:
            credits = self.estimate.credits if self.estimate else count
            parts.append(
                f"Check {count} {'person' if count == 1 else 'people'} for job changes: "
                f"up to {credits:,} credit{'' if credits == 1 else 's'} (1 per person)."
            )
        else:
            parts.append("Nobody would be checked, so nothing is sent.")
        held = self.dedup_would_skip
        if held and self.recheck:
            parts.append(
                f"{held} of them {'was' if held == 1 else 'were'} researched before: they are "
                "checked again (deduplication would have answered them from the stored "
                "record, free but not re-checked)."
            )
        elif self.skipped:
            parts.append(
                f"Deduplication skips {len(self.skipped)} already researched: Seamless.AI would "
                "answer them from the stored record (free, not re-checked). Choose “check them "
                "again” to include them."
            )
        if self.unusable:
            parts.append(
                f"{len(self.unusable)} cannot be checked (no name with a company or LinkedIn "
                "profile on file)."
            )
        if self.refusal is not None:
            parts.append(self.refusal.message)
        return " ".join(parts)


class MoveKind(StrEnum):
    """What a check found."""

    MOVED = "moved"
    """Another company."""
    PROMOTED = "promoted"
    """The same company, another title."""
    SAME = "same"
    NOT_FOUND = "not_found"
    PENDING = "pending"


@dataclass(frozen=True)
class JobMove:
    """One person of a job-change report."""

    key: str
    name: str
    kind: MoveKind
    old_company: str | None
    old_title: str | None
    new_company: str | None = None
    new_title: str | None = None
    alert: str | None = None
    """Seamless's ``jobChangeAlert`` ("New Hire", "New Promotion")."""
    record: ResearchedContact | None = None
    lookup_emails: tuple[str, ...] = ()
    """Addresses to find the CRM contact by: those on file first, then the new ones."""
    status: str = ""

    @property
    def changed(self) -> bool:
        """Moved or promoted: the CRM contact is out of date."""
        return self.kind in (MoveKind.MOVED, MoveKind.PROMOTED)

    def describe(self) -> str:
        """ "Ana Ortiz: Acme (VP Sales) → Globex (CRO)"."""
        old = _job(self.old_company, self.old_title)
        new = _job(self.new_company, self.new_title)
        if self.kind is MoveKind.MOVED:
            return f"{self.name}: {old} → {new}"
        if self.kind is MoveKind.PROMOTED:
            return f"{self.name}: promoted at {self.new_company or '?'}: {self.old_title or '?'} → {self.new_title or '?'}"
        if self.kind is MoveKind.SAME:
            return f"{self.name}: still {new}"
        if self.kind is MoveKind.PENDING:
            return f"{self.name}: being checked"
        return f"{self.name}: not found ({self.status})"


def _job(company: str | None, title: str | None) -> str:
    if company and title:
        return f"{company} ({title})"
    return company or title or "unknown"


@dataclass
class JobChangeReport:
    """Who moved, who was promoted, who stayed, who was not found."""

    moves: list[JobMove] = field(default_factory=list)

    def of(self, kind: MoveKind) -> list[JobMove]:
        """The people of one kind."""
        return [m for m in self.moves if m.kind is kind]

    @property
    def changed(self) -> list[JobMove]:
        """Moved or promoted: the CRM contacts to update."""
        return [m for m in self.moves if m.changed]

    @property
    def finished(self) -> bool:
        """Every check has its answer."""
        return not self.of(MoveKind.PENDING)

    def summary(self) -> str:
        """ "2 moved, 1 promoted, 5 in the same job, 1 not found."."""
        parts = []
        for kind, word in (
            (MoveKind.MOVED, "moved"),
            (MoveKind.PROMOTED, "promoted"),
            (MoveKind.SAME, "in the same job"),
            (MoveKind.NOT_FOUND, "not found"),
            (MoveKind.PENDING, "still being checked"),
        ):
            if count := len(self.of(kind)):
                parts.append(f"{count} {word}")
        return (", ".join(parts) + ".").capitalize() if parts else "Nobody was checked."


def compare(
    name: str,
    key: str,
    old_company: str | None,
    old_title: str | None,
    record: ResearchedContact | None,
    status: str,
    lookup_emails: Sequence[str] = (),
) -> JobMove:
    """What a fresh record says about someone on file as ``old_company``/``old_title``."""
    state = research_state(status) if status not in ("queued", "submitted") else None
    if state is None or not state.terminal:
        return JobMove(key, name, MoveKind.PENDING, old_company, old_title, status=status)
    if record is None or not state.holds_record:
        return JobMove(key, name, MoveKind.NOT_FOUND, old_company, old_title, status=status)
    new_company, new_title = _text(record.company), _text(record.title)
    if old_company and new_company and company_key(old_company) != company_key(new_company):
        kind = MoveKind.MOVED
    elif (old_title or "").casefold().strip() != (new_title or "").casefold().strip() and new_title:
        kind = MoveKind.PROMOTED
    else:
        kind = MoveKind.SAME
    emails = list(lookup_emails) + [e.address for e in record.emails if not e.invalid]
    return JobMove(
        key,
        name,
        kind,
        old_company,
        old_title,
        new_company,
        new_title,
        record.job_change_alert,
        record,
        tuple(dict.fromkeys(emails)),
        status,
    )


class JobChangeChecker:
    """Plans, sends and reports "Check for job changes" through the research queue."""

    def __init__(self, queue: ResearchQueue) -> None:
        self.queue = queue
        self._emails: dict[tuple[int, int], tuple[str, ...]] = {}
        """(job id, position) → the addresses on file (kept for the CRM lookup)."""

    def plan(self, candidates: Sequence[Candidate], *, recheck: bool = True) -> JobChangePlan:
        """What checking ``candidates`` would send and cost; ``recheck`` includes people
        already researched (deduplication skipped for the whole request)."""
        unique = list({c.key: c for c in candidates}.values())
        unusable = tuple(c for c in unique if not c.usable)
        usable = [c for c in unique if c.usable]
        skipped = tuple(c for c in usable if c.held and not recheck)
        send = tuple(c for c in usable if not (c.held and not recheck))
        research = None
        if send:
            research = self.queue.plan(
                kind="contact",
                identities=[c.identity() for c in send],
                is_job_change=True,
                skip_deduplication_check=recheck,
            )
        return JobChangePlan(send, skipped, unusable, recheck, research)

    def submit(self, plan: JobChangePlan) -> list[int]:
        """Queue the confirmed plan (``CreditsRefused`` when it no longer fits); job ids."""
        if plan.research is None:
            return []
        job_ids = self.queue.submit(plan.research)
        position = 0
        for job_id in job_ids:
            job = self.queue.jobs.get(job_id)
            for item in job.items if job is not None else ():
                self._emails[(job_id, item.position)] = plan.send[position].emails
                position += 1
        return job_ids

    def report(self, job_ids: Sequence[int]) -> JobChangeReport:
        """The report of the checks ``job_ids`` (pending ones say so)."""
        moves: list[JobMove] = []
        for job_id in job_ids:
            job = self.queue.jobs.get(job_id)
            if job is None:
                continue
            results = self.queue.results(job_id)
            for item, result in zip(job.items, results, strict=False):
                identity = item.identity or {}
                record = result.contact
                moves.append(
                    compare(
                        str(identity.get("contactName") or result.key),
                        result.key,
                        _text(identity.get("companyName")),
                        _text(identity.get("title")),
                        record,
                        item.status,
                        self._emails.get((job_id, item.position), ()),
                    )
                )
        return JobChangeReport(moves)


@dataclass(frozen=True)
class LedgerRow:
    """One researched person of the research ledger, with its age."""

    key: str
    record: ResearchedContact
    researched_at: datetime | None
    stale: bool

    @property
    def name(self) -> str:
        """The person's name."""
        return self.record.display_name


def ledger_rows(
    ledger: ResearchLedger,
    *,
    stale_days: int = DEFAULT_STALE_DAYS,
    now: float | None = None,
    limit: int = LEDGER_LIMIT,
) -> list[LedgerRow]:
    """The researched contacts the ledger holds, newest first, each marked stale when it was
    researched more than ``stale_days`` ago (Seamless's ``updatedAt``, else when the app
    stored it). Reads SQLite: call it on a worker for a large ledger."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    cutoff = moment - timedelta(days=max(0, stale_days))
    rows: list[LedgerRow] = []
    for stored in ledger.list("contact", limit=limit):
        if stored.record is None or research_state(stored.status) is ResearchState.UNRECOGNISED:
            continue
        try:
            record = parse(ResearchedContact, stored.record)
        except Exception:  # a record this build cannot read is left out, not fatal
            continue
        when = record.updated or datetime.fromtimestamp(stored.at_ms / 1000, tz=UTC)
        rows.append(LedgerRow(stored.search_result_id, record, when, when < cutoff))
    return rows


PERSONAL_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mac.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "yahoo.com",
        "ymail.com",
    }
)
"""Mailboxes that say nothing about where someone works."""


def account_domains(
    contacts: Iterable[Mapping[str, Any]], personal: Iterable[str] = PERSONAL_MAIL_DOMAINS
) -> list[str]:
    """The company domains of CRM contacts (from their addresses), most frequent first,
    without personal mailboxes (``personal``)."""
    skip = {d.casefold() for d in personal}
    counts: dict[str, int] = {}
    for contact in contacts:
        for address in [contact.get("email"), *(contact.get("additionalEmails") or [])]:
            if not isinstance(address, str) or "@" not in address:
                continue
            domain = address.rsplit("@", 1)[1].strip().casefold()
            if domain and domain not in skip:
                counts[domain] = counts.get(domain, 0) + 1
    return sorted(counts, key=lambda d: (-counts[d], d))


__all__ = [
    "DEFAULT_DAY_RANGE",
    "DEFAULT_STALE_DAYS",
    "JOB_CHANGE_TAG",
    "MOVED_RECENTLY_NAME",
    "PERSONAL_MAIL_DOMAINS",
    "Candidate",
    "JobChangeChecker",
    "JobChangePlan",
    "JobChangeReport",
    "JobMove",
    "LedgerRow",
    "MoveKind",
    "account_domains",
    "candidate_of_contact",
    "candidate_of_record",
    "company_key",
    "compare",
    "from_seamless",
    "ledger_rows",
    "moved_recently_filters",
]
