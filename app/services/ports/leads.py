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

from app.core.seamless import CompanySearch, ContactSearch, ResearchedContact
from app.services.bus import (
    CreditsChanged,
    LeadPushProgress,
    ResearchJobChanged,
    ResearchResultsArrived,
)
from app.services.credits import CreditLedger, CreditMeter, SearchPager
from app.services.lead_push import PushAction, PushOutcome, PushReport
from app.services.leads import AUTH_KEY, AUTH_OAUTH, LeadsNotConnected
from app.services.preferences import Preferences, PreferencesNotSaved
from app.services.research import JobProgress, ResearchPlan, ResearchQueue, ResearchResult
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
from app.storage import JobState, StorageError
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
    "AUTH_KEY",
    "AUTH_LABELS",
    "AUTH_OAUTH",
    "DEFAULT_REDIRECT_URI",
    "DEFAULT_SEAMLESS_URL",
    "TERMINAL_JOB_STATES",
    "CheckField",
    "CheckResult",
    "CompanySearch",
    "ConnectionState",
    "ContactSearch",
    "CreditLedger",
    "CreditMeter",
    "CreditsChanged",
    "InvalidUrl",
    "JobProgress",
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
