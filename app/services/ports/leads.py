"""The Leads tab's port: the Seamless.AI connection and what runs for it, the sub-accounts
leads can be added to, the saved searches and settings, and the connection check.

The tab searches through the ``SearchPager`` the port makes, reads the meter and
estimates from the ``CreditLedger``, researches through the ``ResearchQueue`` and
adds people to the CRM with ``push``. Saved searches and the daily budget are
changed through ``Preferences`` (the settings file written once, never in the
demo); Settings → Seamless.AI connection works with ``connection``. The types the
tab needs from below are re-exported here, so the UI imports only services and core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.seamless import CompanySearch, ContactSearch, ResearchedContact, parse
from app.services.bus import (
    CreditsChanged,
    LeadPushProgress,
    ResearchJobChanged,
    ResearchResultsArrived,
)
from app.services.credits import CreditLedger, CreditMeter, SearchPager
from app.services.lead_push import PushAction, PushOutcome, PushReport
from app.services.job_changes import (
    DEFAULT_STALE_DAYS,
    JOB_CHANGE_TAG,
    MOVED_RECENTLY_NAME,
    Candidate,
    JobChangeChecker,
    JobChangePlan,
    JobChangeReport,
    JobMove,
    LedgerRow,
    MoveKind,
    account_domains,
    candidate_of_contact,
    candidate_of_record,
    ledger_rows,
    moved_recently_filters,
)
from app.services.leads import AUTH_KEY, AUTH_OAUTH, LeadsNotConnected
from app.services.preferences import Preferences, PreferencesNotSaved
from app.services.research import JobProgress, ResearchPlan, ResearchQueue, ResearchResult
from app.services.research_push import ResearchPush
from app.services.seamless_connection import (
    CheckField,
    CheckResult,
    InvalidUrl,
    KeyNotSaved,
    SaveFailed,
    SeamlessConnection,
    SeamlessOAuthClient,
    clean_key,
    normalize_url,
    pricing_choices,
)
from app.services.seamless_oauth import (
    DEFAULT_REDIRECT_URI,
    SeamlessSignIn,
    SignInError,
    SignInTimedOut,
    StateMismatch,
    is_loopback,
)
from app.services.workspace import Workspace
from app.settings.profiles import DEFAULT_SEAMLESS_URL, SavedSearch, SeamlessSettings, SubAccountRef
from app.storage import ContactFilters, JobState, StorageError
from app.storage.research_jobs import ResearchJobError

TERMINAL_JOB_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
"""Research job states that do not change any more."""


@dataclass(frozen=True)
class ConnectionState:
    """The Seamless connection at one moment; two differ when it was opened, replaced,
    refused or closed."""

    client_id: int
    """Identifies the client: a new one (another key or URL) means other credits, ledger and
    queue, so results of the old one go."""
    connected: bool
    """A client, meter and queue are ready (the key may still be refused: ``problem``)."""
    problem: str | None
    """Why the connection does not work (an invalid key, no license), or None."""
    auth: str | None = None
    """How it signs in: ``AUTH_KEY``, ``AUTH_OAUTH`` (None: not connected)."""
    sign_in_needed: bool = False
    """The Seamless.AI sign-in ended: the user must sign in again (``problem`` says so)."""


AUTH_LABELS = {AUTH_KEY: "API key", AUTH_OAUTH: "Seamless.AI sign-in"}
"""How the meter names the way the connection signs in."""


class LeadsPort:
    """Queries and commands of the Leads tab (see the module docstring)."""

    def __init__(self, workspace: Workspace, preferences: Preferences | None = None) -> None:
        self._workspace = workspace
        self.preferences = preferences or workspace.preferences
        """The one place the saved preferences change."""
        self.connection = SeamlessConnection(workspace, self.preferences)
        """Settings → Seamless.AI connection: checks, keys and saving."""
        self._checker: JobChangeChecker | None = None

    # -- the Seamless connection ----------------------------------------------------------------
    def connection_state(self) -> ConnectionState:
        """The connection now (cheap: a few attribute reads, fine for a timer)."""
        leads = self._workspace.leads
        return ConnectionState(
            id(leads.client), leads.connected, leads.problem, leads.auth, leads.sign_in_needed
        )

    @property
    def auth(self) -> str | None:
        """How the connection in use signs in: ``AUTH_KEY``, ``AUTH_OAUTH`` or None."""
        return self._workspace.leads.auth

    def auth_label(self) -> str | None:
        """The way in as the meter names it ("API key", "Seamless.AI sign-in"), or None."""
        auth = self._workspace.leads.auth
        return AUTH_LABELS.get(auth) if auth else None

    @property
    def sign_in_needed(self) -> bool:
        """The Seamless.AI sign-in ended: only signing in again helps."""
        return self._workspace.leads.sign_in_needed

    @property
    def connected(self) -> bool:
        """Whether searches and research can be sent (a client, meter and queue are ready)."""
        leads = self._workspace.leads
        return leads.connected and leads.credits is not None

    @property
    def problem(self) -> str | None:
        """Why the connection does not work, or None."""
        return self._workspace.leads.problem

    @property
    def settings(self) -> SeamlessSettings | None:
        """The settings of the connection in use (None: not connected)."""
        return self._workspace.leads.settings

    @property
    def is_demo(self) -> bool:
        """Whether the connection in use is the demo sandbox's."""
        settings = self._workspace.leads.settings
        return settings is not None and settings.demo

    @property
    def credits(self) -> CreditLedger | None:
        """The credit meter: balance, spend log, estimates and refusals (None: not connected)."""
        return self._workspace.leads.credits

    @property
    def queue(self) -> ResearchQueue | None:
        """The research queue of the connection (None: not connected)."""
        return self._workspace.leads.queue

    def meter(self) -> CreditMeter | None:
        """What the meter shows now (None: not connected)."""
        credits = self.credits
        return credits.meter() if credits is not None else None

    def new_search(self, query: ContactSearch | CompanySearch, page_size: int) -> SearchPager[Any]:
        """A search of ``query`` paged ``page_size`` at a time (nothing sent yet);
        ``LeadsNotConnected`` without a connection."""
        client, credits, _queue = self._workspace.leads.require()
        return SearchPager(client, credits, query, page_size=page_size)

    def resume_queue(self) -> None:
        """Start the research queue again after it stopped (a new key was saved)."""
        queue = self.queue
        if queue is not None and queue.paused:
            queue.resume()

    def set_daily_budget(self, credits: int | None) -> SeamlessSettings | None:
        """Set (or clear, None) the daily budget: applied at once and saved with the settings;
        the new settings, or None without a connection. ``PreferencesNotSaved`` when the file
        could not be written (the budget applies anyway)."""
        leads = self._workspace.leads
        if leads.settings is None:
            return None
        settings = leads.settings.model_copy(update={"daily_budget": credits})
        leads.apply_settings(settings)
        self.preferences.set_seamless(settings)
        return settings

    # -- the CRM ----------------------------------------------------------------------------------
    @property
    def crm_open(self) -> bool:
        """Whether a Seedly connection is open (leads can be added to its sub-accounts)."""
        return self._workspace.active is not None

    def sub_accounts(self) -> list[SubAccountRef]:
        """The sub-accounts leads can be added to."""
        return self._workspace.sub_accounts()

    def open_sub_account_id(self) -> str | None:
        """The sub-account open in the other tabs (offered first), or None."""
        active = self._workspace.active
        return active.scope.sub_account_id if active is not None else None

    async def push(
        self,
        sub_account_id: str,
        leads: Sequence[tuple[str, ResearchedContact]],
        tag: str | None = None,
    ) -> PushReport:
        """Add researched people (search result id, record) to ``sub_account_id``: looked up
        by email first, never duplicated. ``NotActive`` (a ``RuntimeError``) when that
        sub-account cannot be reached."""
        pusher = self._workspace.leads.pusher_for(sub_account_id)
        return await pusher.push(list(leads), tag=tag or None)

    # -- job changes and stale records ---------------------------------------------------------
    def job_checker(self) -> JobChangeChecker:
        """ "Check for job changes" on the open connection's queue (``LeadsNotConnected``)."""
        _client, _credits, queue = self._workspace.leads.require()
        if self._checker is None or self._checker.queue is not queue:
            self._checker = JobChangeChecker(queue)
        return self._checker

    def ledger_rows(self, stale_days: int = DEFAULT_STALE_DAYS) -> list[LedgerRow]:
        """The researched people of the research ledger, newest first, stale ones marked
        (reads SQLite: call it on a worker). Empty without a connection."""
        credits = self.credits
        if credits is None:
            return []
        return ledger_rows(credits.ledger, stale_days=stale_days)

    def candidates_of(self, keys: Sequence[str]) -> list[Candidate]:
        """People of the research ledger (by key) as people to check for job changes."""
        credits = self.credits
        if credits is None:
            return []
        found = []
        for key in dict.fromkeys(keys):
            stored = credits.ledger.get("contact", key)
            if stored is None or stored.record is None:
                continue
            record = parse(ResearchedContact, stored.record)
            found.append(candidate_of_record(key, record, held=True))
        return found

    def crm_candidates(self, sub_account_id: str, limit: int = 1000) -> list[Candidate]:
        """The contacts of ``sub_account_id`` that came from Seamless (``source``), from the
        cache, as people to check (reads SQLite: call it on a worker). ``NotActive`` (a
        ``RuntimeError``) when the sub-account cannot be reached."""
        partition = self._workspace.contact_service_for(sub_account_id).partition
        contacts = partition.contacts.search(filters=ContactFilters(source="seamless"), limit=limit)
        held: dict[str, str] = {}
        for row in self.ledger_rows(stale_days=0):
            for entry in row.record.emails:
                held.setdefault(entry.address.casefold(), row.key)
        return [candidate_of_contact(c, held) for c in contacts]

    def moved_recently_filters(self, sub_account_id: str | None = None) -> dict[str, Any]:
        """The filters of "Moved recently in my accounts": recent job changes at the
        companies of the CRM contacts of ``sub_account_id`` (the open one by default), else
        of the researched people (reads SQLite: call it on a worker)."""
        domains: list[str] = []
        sub = sub_account_id or self.open_sub_account_id()
        if sub is not None:
            partition = self._workspace.contact_service_for(sub).partition
            contacts: list[dict[str, Any]] = []
            offset = 0
            while len(contacts) < 20_000:
                page = partition.contacts.search(limit=1000, offset=offset)
                contacts.extend(page)
                if len(page) < 1000:
                    break
                offset += 1000
            domains = account_domains(contacts)
        if not domains:
            researched = [
                {"email": e.address} for row in self.ledger_rows() for e in row.record.emails[:1]
            ]
            domains = account_domains(researched)
        return moved_recently_filters(domains)

    def save_moved_recently(self, sub_account_id: str | None = None) -> SavedSearch:
        """Save (or bring up to date) the saved search "Moved recently in my accounts"
        (``PreferencesNotSaved`` when the file could not be written: kept until quit)."""
        return self.save_search(
            MOVED_RECENTLY_NAME, "people", self.moved_recently_filters(sub_account_id)
        )

    async def update_moves(
        self, sub_account_id: str, moves: Sequence[JobMove], tag: str = JOB_CHANGE_TAG
    ) -> PushReport:
        """Bring the CRM contacts of people who changed jobs up to date (company, title,
        ``tag``), found by email like Add to CRM; ``NotActive`` when the sub-account cannot
        be reached."""
        pusher = self._workspace.leads.pusher_for(sub_account_id)
        return await pusher.update_moves([m for m in moves if m.changed], tag=tag)

    def refresh_plan(self, keys: Sequence[str]) -> ResearchPlan:
        """Research stale records again (``skipDeduplicationCheck``: every one is charged),
        the plan to confirm first (``LeadsNotConnected`` without a connection)."""
        _client, _credits, queue = self._workspace.leads.require()
        return queue.plan(list(keys), kind="contact", skip_deduplication_check=True)

    async def research_and_push(
        self, job_ids: Sequence[int], sub_account_id: str, tag: str | None = None
    ) -> PushReport:
        """Add each person of the research ``job_ids`` to ``sub_account_id`` as soon as their
        record arrives, while the queue polls for the others (``ResearchPush``); the report
        once the research ended and every record arrived was added. ``NotActive`` when the
        sub-account cannot be reached, ``LeadsNotConnected`` without a connection."""
        leads = self._workspace.leads
        _client, _credits, queue = leads.require()
        pipeline = ResearchPush(queue, leads.pusher_for(sub_account_id), leads.bus, tag=tag)
        return await pipeline.run(job_ids)

    # -- saved searches ----------------------------------------------------------------------------
    def saved_searches(self, kind: str) -> list[SavedSearch]:
        """The saved searches of ``kind`` ("people" or "companies"), by name."""
        return self.preferences.saved_searches(kind)

    def find_search(self, search_id: str) -> SavedSearch | None:
        """The saved search with ``search_id``, or None."""
        return self.preferences.find_search(search_id)

    def save_search(self, name: str, kind: str, filters: Mapping[str, Any]) -> SavedSearch:
        """Save ``filters`` under ``name`` (the same name of that kind is replaced);
        ``PreferencesNotSaved`` when the file could not be written (kept until quit)."""
        return self.preferences.save_search(name, kind, filters)

    def rename_search(self, search_id: str, name: str) -> bool:
        """Rename a saved search (False: no such search)."""
        return self.preferences.rename_search(search_id, name)

    def delete_search(self, search_id: str) -> bool:
        """Delete a saved search (False: no such search)."""
        return self.preferences.delete_search(search_id)


__all__ = [
    "DEFAULT_STALE_DAYS",
    "JOB_CHANGE_TAG",
    "MOVED_RECENTLY_NAME",
    "AUTH_KEY",
    "AUTH_LABELS",
    "AUTH_OAUTH",
    "DEFAULT_REDIRECT_URI",
    "DEFAULT_SEAMLESS_URL",
    "TERMINAL_JOB_STATES",
    "Candidate",
    "CheckField",
    "CheckResult",
    "CompanySearch",
    "ConnectionState",
    "ContactSearch",
    "CreditLedger",
    "CreditMeter",
    "CreditsChanged",
    "InvalidUrl",
    "JobChangeChecker",
    "JobChangePlan",
    "JobChangeReport",
    "JobMove",
    "JobProgress",
    "LedgerRow",
    "MoveKind",
    "JobState",
    "KeyNotSaved",
    "LeadPushProgress",
    "LeadsNotConnected",
    "LeadsPort",
    "PreferencesNotSaved",
    "PushAction",
    "PushOutcome",
    "PushReport",
    "ResearchJobChanged",
    "ResearchJobError",
    "ResearchPlan",
    "ResearchQueue",
    "ResearchResult",
    "ResearchResultsArrived",
    "SaveFailed",
    "SavedSearch",
    "SeamlessOAuthClient",
    "SeamlessSignIn",
    "SearchPager",
    "SeamlessConnection",
    "SignInError",
    "SignInTimedOut",
    "StateMismatch",
    "SeamlessSettings",
    "StorageError",
    "SubAccountRef",
    "clean_key",
    "is_loopback",
    "normalize_url",
    "pricing_choices",
]
