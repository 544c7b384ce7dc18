"""Everything the window works with, built once: settings, cache, bus, clients, the session.

The workspace is the services' face to the UI. It owns:

- the profile store and the secrets (keys only through the keyring, or held for
  this session when the user chose so);
- the cache database and the event bus;
- one ``SeedlyClient`` per profile, created on first use and closed on shutdown;
- the active ``Session`` (one profile, one sub-account at a time).

Activating a profile builds its session and switches to its sub-account (the
one the user chose last for agency keys); switching sub-account goes through
``Session.switch`` so nothing of the old one is applied afterwards. The
sub-account list of an agency key is kept on the profile, so the switcher
works at start-up and offline, and re-read from the server in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.api.seedly import SeedlyClient
from app.core.errors import ApiError
from app.services.agency_watch import AgencyWatch
from app.services.booking import BookingService
from app.services.bus import (
    EventBus,
    PollBudgetChanged,
    ScopeKey,
    SessionChanged,
    SubAccountsChanged,
    UnreadCounts,
)
from app.services.contacts import ContactService
from app.services.preferences import Preferences
from app.services.ports.reader import OwnerSwitch
from app.services.session import PollPlan, Session
from app.settings.paths import AppPaths
from app.settings.profiles import (
    Profile,
    ProfileStore,
    SeamlessSettings,
    SettingsError,
    SubAccountRef,
)
from app.settings.secrets import (
    KeyringUnavailable,
    Secrets,
    account_name,
    seamless_account,
    seamless_oauth_account,
    seamless_oauth_client_account,
)
from app.storage import Database, Partition, StorageError, SyncKind

# The Seamless side is imported when first used (``Workspace.leads``), not with this module.
if TYPE_CHECKING:
    from app.api.seamless import OAuthTokens
    from app.services.leads import LeadsService

log = logging.getLogger(__name__)


ClientFactory = Callable[[str, str], Any]


class NoKey(RuntimeError):
    """The profile's key is not in the keyring (removed outside the app, or never saved)."""


class NotActive(RuntimeError):
    """An action needs an active profile and sub-account, and there is none."""


@dataclass(frozen=True)
class ActiveScope:
    """The profile and sub-account being worked on, with what serves them."""

    profile: Profile
    scope: ScopeKey
    partition: Partition
    generation: int


class Workspace:
    """The app's services for one run (see the module docstring)."""

    def __init__(
        self,
        paths: AppPaths,
        db: Database,
        profiles: ProfileStore,
        secrets: Secrets,
        bus: EventBus | None = None,
        *,
        client_factory: ClientFactory = SeedlyClient,
        plan: PollPlan = PollPlan(),
        persist: bool = True,
    ) -> None:
        self.paths = paths
        self.db = db
        self.profiles = profiles
        self.secrets = secrets
        self.bus = bus or EventBus()
        self.plan = plan
        self.persist = persist
        self._client_factory = client_factory
        self._clients: dict[str, Any] = {}
        self.session: Session | None = None
        self.profile: Profile | None = None
        self._preview: tuple[ScopeKey, Partition] | None = None
        self.settings_problem: str | None = None
        """Why the saved settings could not be read (shown once), or None."""
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self.watch: AgencyWatch | None = None
        """Polls the other included sub-accounts of an agency connection (None otherwise)."""
        self._watch_task: asyncio.Task[None] | None = None
        self.preferences = Preferences(self.profiles, lambda: self.persist)
        """The one writer of the saved preferences (theme, saved searches, mutes…)."""
        self._leads: LeadsService | None = None  # ``leads``, made on first use
        # -- agency view (All sub-accounts): state; its methods are in the marked block below.
        self.agency_members: Callable[[], list[SubAccountRef]] | None = None
        """Which sub-accounts the merged view shows (None: the connection's inclusion
        settings, ``included_sub_accounts``); tests narrow it here."""
        self.all_sub_accounts = False
        """Whether the window shows every member at once ("All sub-accounts"). The
        session keeps one sub-account open all the same: the one acted in."""
        self.before_owner_switch: Callable[[], Awaitable[bool]] | None = None
        """Asked before the merged view opens a row's sub-account (the window: unsaved
        work elsewhere is saved or discarded first); False keeps the open one."""

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        paths: AppPaths,
        *,
        secrets: Secrets | None = None,
        cache_path: Path | None = None,
        profiles_path: Path | None = None,
        persist: bool = True,
        **options: Any,
    ) -> Workspace:
        """Open the cache and read the saved connections (a broken settings file is set
        aside and reported through ``settings_problem``, never lost silently)."""
        paths.ensure()
        store = ProfileStore(profiles_path or paths.profiles_file)
        problem: str | None = None
        try:
            store.load()
        except SettingsError as exc:
            problem = str(exc)
        db = Database.open(cache_path or paths.cache_db)
        workspace = cls(paths, db, store, secrets or Secrets(), persist=persist, **options)
        workspace.settings_problem = problem
        return workspace

    # -- state ------------------------------------------------------------------------------
    @property
    def active(self) -> ActiveScope | None:
        """The active profile and sub-account (or the one previewed from the cache while
        its connection opens), or None before a profile is activated."""
        session = self.session
        if session is None or self.profile is None or session.scope_key is None:
            preview = self._preview
            if session is None and preview is not None and self.profile is not None:
                return ActiveScope(self.profile, preview[0], preview[1], 0)
            return None
        assert session.partition is not None
        return ActiveScope(self.profile, session.scope_key, session.partition, session.generation)

    @property
    def previewing(self) -> bool:
        """Whether the cache is shown while no connection is open yet (``preview``)."""
        return self.session is None and self._preview is not None

    @property
    def leads(self) -> LeadsService:
        """The Seamless side: its connection, credit meter, research queue and CRM push.
        Made on first use: its modules (the Seamless client and records) load after the
        first screen, which does not need them."""
        if self._leads is None:
            from app.services.leads import LeadsService

            self._leads = LeadsService(self.db, self.bus, self.contact_service_for)
        return self._leads

    @leads.setter
    def leads(self, service: LeadsService) -> None:
        self._leads = service

    def preview(self, profile: Profile, sub_account_id: str) -> None:
        """Show what the cache holds of ``profile``'s sub-account while its connection
        opens (the demo's sandbox starts, say): readers see it as the active scope;
        commands wait for ``activate``, which replaces the preview."""
        if self.session is not None:
            return
        scope = ScopeKey(profile.cache_key, sub_account_id)
        self.profile = profile
        self._preview = (scope, self.db.partition(scope.deployment, scope.sub_account_id))
        self.bus.publish(SessionChanged(profile.id, scope, 0))

    def saved_profiles(self) -> list[Profile]:
        """Every connection, in the order the user added them."""
        return list(self.profiles.data.profiles)

    def sub_accounts(self) -> list[SubAccountRef]:
        """The sub-accounts the active profile can switch between (one for a sub-account key)."""
        profile = self.profile
        if profile is None:
            return []
        if profile.key_kind == "agency":
            return list(profile.sub_accounts)
        return [SubAccountRef(id=profile.sub_account_id or "", name=profile.name)]

    def client_for(self, profile: Profile) -> Any:
        """The long-lived client of ``profile`` (created on first use)."""
        client = self._clients.get(profile.id)
        if client is None:
            key = self.secrets.get(account_name(profile.id))
            if not key:
                raise NoKey(
                    f"The API key of “{profile.name}” is missing from the system keyring. "
                    "Enter the key again in Settings → Connections."
                )
            client = self._client_factory(profile.deployment_url, key)
            self._clients[profile.id] = client
        return client

    def _save(self) -> None:
        if self.persist:
            self.profiles.save()

    # -- activation and switching --------------------------------------------------------------
    async def activate(self, profile_id: str, sub_account_id: str | None = None) -> ActiveScope:
        """Make ``profile_id`` the active connection and open its sub-account.

        Agency keys open ``sub_account_id``, else the last one chosen, else the first
        known; when none is known yet the list is read from the server first.
        """
        async with self._lock:
            profile = self.profiles.get(profile_id)
            if profile is None:
                raise NotActive(f"There is no saved connection with id {profile_id}.")
            client = self.client_for(profile)
            switching_profile = self.profile is not None and self.profile.id != profile.id
            if self.session is not None and switching_profile:
                await self._stop_watch()
                await self.session.close()
                self.session = None
            self._preview = None
            if self.session is None:
                self.session = Session(
                    self.db,
                    self.bus,
                    client,
                    profile_id=profile.id,
                    deployment=profile.cache_key,
                    plan=self.plan,
                )
            self.profile = profile
            if self.profiles.data.active_profile_id != profile.id:
                self.profiles.data.active_profile_id = profile.id
                self._save()
            if profile.key_kind == "agency" and not profile.sub_accounts:
                await self._read_sub_accounts(profile, client)
            target = self._choose_sub_account(profile, sub_account_id)
            await self._switch(profile, target)
            if profile.key_kind == "agency":
                self._start_watch(profile, client)
                self._spawn(self.refresh_sub_accounts(), "sub-accounts")
            active = self.active
            assert active is not None
            return active

    def _choose_sub_account(self, profile: Profile, wanted: str | None) -> str:
        if profile.key_kind != "agency":
            if not profile.sub_account_id:
                raise NotActive(f"The connection “{profile.name}” has no sub-account.")
            return profile.sub_account_id
        known = [s.id for s in profile.sub_accounts]
        for candidate in (wanted, profile.last_sub_account_id):
            if candidate and candidate in known:
                return candidate
        if not known:
            raise NotActive(
                f"The agency key of “{profile.name}” reaches no sub-account. "
                "Check the key's agency in Seedly."
            )
        return known[0]

    async def switch_sub_account(self, sub_account_id: str) -> ActiveScope:
        """Open another sub-account of the active (agency) profile."""
        async with self._lock:
            profile = self.profile
            if profile is None or self.session is None:
                raise NotActive("Open a connection first.")
            target = self._choose_sub_account(profile, sub_account_id)
            if target != sub_account_id:
                raise NotActive(
                    f"The sub-account {sub_account_id} is not reachable with this connection."
                )
            await self._switch(profile, target)
            active = self.active
            assert active is not None
            return active

    async def _switch(self, profile: Profile, sub_account_id: str) -> None:
        assert self.session is not None
        watch = self.watch
        if watch is None:
            await self.session.switch(sub_account_id)
        else:
            # The watcher lets go of the sub-account first: a reply it is sending there is
            # recorded before the session's own sender looks at the outbox.
            await watch.hold(sub_account_id)
            try:
                await self.session.switch(sub_account_id)
            finally:
                scope = self.session.scope_key
                watch.opened(scope.sub_account_id if scope is not None else None)
        if profile.key_kind == "agency" and profile.last_sub_account_id != sub_account_id:
            profile.last_sub_account_id = sub_account_id
            self._save()

    async def _read_sub_accounts(self, profile: Profile, client: Any) -> list[SubAccountRef]:
        found = await client.list_sub_accounts()
        refs = [SubAccountRef(id=s.id, name=s.name or s.id) for s in found]
        if refs != profile.sub_accounts:
            profile.sub_accounts = refs
            self._save()
        self.bus.publish(SubAccountsChanged(profile.id, tuple((r.id, r.name) for r in refs)))
        if self.watch is not None and self.profile is profile:
            self.watch.reconfigure()
        return refs

    async def refresh_sub_accounts(self) -> list[SubAccountRef]:
        """Re-read the active agency key's sub-accounts (a failure keeps the known list)."""
        profile = self.profile
        if profile is None or profile.key_kind != "agency":
            return self.sub_accounts()
        try:
            return await self._read_sub_accounts(profile, self.client_for(profile))
        except ApiError as exc:
            log.info("could not refresh the sub-accounts of %s: %s", profile.id, exc)
            return list(profile.sub_accounts)

    # -- the other sub-accounts of an agency ------------------------------------------------------
    def included_sub_accounts(self) -> list[tuple[SubAccountRef, bool]]:
        """The sub-accounts of the active connection that are included (polled in the
        background, merged, counted), each with whether it notifies (False: "observe
        only"), in the picker's order. A sub-account key: its one sub-account."""
        profile = self.profile
        if profile is None:
            return []
        if profile.key_kind != "agency":
            return [(ref, True) for ref in self.sub_accounts()]
        chosen = profile.included_sub_accounts
        quiet = set(profile.observe_only)
        return [
            (ref, ref.id not in quiet)
            for ref in profile.sub_accounts
            if chosen is None or ref.id in chosen
        ]

    def set_sub_account_inclusion(
        self, profile_id: str, included: list[str] | None, observe_only: list[str]
    ) -> None:
        """Keep which sub-accounts of ``profile_id`` are included and which only observed
        (saved with the connection); the watcher follows at once."""
        self.preferences.set_sub_account_inclusion(profile_id, included, observe_only)
        if self.watch is not None and self.profile is not None and self.profile.id == profile_id:
            self.watch.reconfigure()
            self.watch.publish_unread()
        profile = self.profiles.get(profile_id)
        if profile is not None and self.profile is not None and self.profile.id == profile_id:
            # The picker, the merged view and its counts follow the new members.
            refs = tuple((r.id, r.name) for r in profile.sub_accounts)
            self.bus.publish(SubAccountsChanged(profile_id, refs))

    async def catch_up_sub_accounts(self, timeout: float = 60.0) -> bool:
        """Poll every included sub-account now (the merged view opens); True once each was
        polled, False after ``timeout`` seconds or without an agency connection."""
        watch = self.watch
        if watch is None:
            return False
        return await watch.catch_up(timeout)

    def poll_budget(self) -> PollBudgetChanged | None:
        """How polling spends the agency key's read budget now (None: no agency open)."""
        return self.watch.budget() if self.watch is not None else None

    def unread_counts(self) -> UnreadCounts | None:
        """Unread per included sub-account from the caches (None: no agency open)."""
        return self.watch.unread_counts() if self.watch is not None else None

    def _start_watch(self, profile: Profile, client: Any) -> None:
        if self.watch is not None or self.session is None:
            return
        session = self.session

        def open_sub() -> str | None:
            scope = session.scope_key
            return scope.sub_account_id if scope is not None else None

        watch = AgencyWatch(
            self.db,
            self.bus,
            client,
            profile_id=profile.id,
            deployment=profile.cache_key,
            included=self.included_sub_accounts,
            open_sub_account=open_sub,
            open_per_minute=session.planned_per_minute,
            read_budget=session.read_budget,
            plan=self.plan,
            sender_options=session.sender_options,
        )
        self.watch = watch
        self._watch_task = asyncio.get_running_loop().create_task(
            watch.run(), name="workspace:agency-watch"
        )
        self._watch_task.add_done_callback(self._background_done)

    async def _stop_watch(self) -> None:
        watch, task = self.watch, self._watch_task
        self.watch = None
        self._watch_task = None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if watch is not None:
            await watch.close()

    # -- use cases -------------------------------------------------------------------------------
    def contact_service(self) -> ContactService:
        """Contact writes for the active sub-account."""
        session = self.session
        if session is None or session.partition is None or session.scope_key is None:
            raise NotActive("Open a connection first.")
        return ContactService(session.partition, session.view, self.bus, session.scope_key)

    def booking_service(self) -> BookingService:
        """Bookings, reschedules and cancels for the active sub-account (a new service:
        ``CalendarPort.booking`` keeps one per open sub-account)."""
        session = self.session
        if session is None or session.partition is None or session.scope_key is None:
            raise NotActive("Open a connection first.")
        return BookingService(session.partition, session.view, self.bus, session.scope_key)

    def contact_service_for(self, sub_account_id: str) -> ContactService:
        """Contact writes for any sub-account of the open connection (adding leads to a
        sub-account other than the one shown). Its cache partition gets the new contacts."""
        profile, session = self.profile, self.session
        if profile is None or session is None:
            raise NotActive("Open a Seedly connection first.")
        if sub_account_id not in {s.id for s in self.sub_accounts()}:
            raise NotActive(
                f"The sub-account {sub_account_id} is not reachable with this connection."
            )
        active = self.active
        if active is not None and active.scope.sub_account_id == sub_account_id:
            return self.contact_service()
        client = self.client_for(profile)
        view = client.for_sub_account(sub_account_id) if client.is_agency else client
        scope = ScopeKey(profile.cache_key, sub_account_id)
        partition = self.db.partition(profile.cache_key, sub_account_id)
        return ContactService(partition, view, self.bus, scope)

    async def connect_seamless(
        self, settings: SeamlessSettings, api_key: str | None = None
    ) -> None:
        """Open the Seamless connection ``settings`` describes: with ``api_key`` or the one in
        the keyring (account ``seamless:<id>``) when it signs in with a key; with the tokens
        and the client secret in the keyring when it signs in with Seamless.AI (OAuth)."""
        from app.services.leads import AUTH_OAUTH

        if settings.auth == AUTH_OAUTH and api_key is None:
            await self._connect_seamless_oauth(settings)
            return
        key = api_key or self.secrets.get(seamless_account(settings.id))
        if not key:
            raise NoKey(
                "The Seamless.AI key is missing from the system keyring. "
                "Enter it again in Settings → Seamless.AI connection."
            )
        await self.leads.connect(settings, key)

    async def _connect_seamless_oauth(self, settings: SeamlessSettings) -> None:
        from app.api.seamless import OAuth, OAuthApp
        from app.services.seamless_oauth import tokens_from_secret, tokens_to_secret

        client = settings.oauth
        tokens = tokens_from_secret(self.secrets.get(seamless_oauth_account(settings.id)))
        secret = self.secrets.get(seamless_oauth_client_account(settings.id))
        if client is None or tokens is None or secret is None:
            raise NoKey(
                "The Seamless.AI sign-in is missing from the system keyring. Sign in to "
                "Seamless.AI again in Settings → Seamless.AI connection."
            )
        app = OAuthApp(client.client_id, secret, client.redirect_uri)
        account = seamless_oauth_account(settings.id)
        keep_in_memory = settings.demo or not self.persist

        async def save(new: OAuthTokens) -> None:
            text = tokens_to_secret(new)
            if keep_in_memory:
                self.secrets.use_for_session(account, text)
                return
            try:
                await asyncio.to_thread(self.secrets.save, account, text)
            except KeyringUnavailable:
                # Never a plaintext file: kept for this session, asked again next time.
                self.secrets.use_for_session(account, text)

        await self.leads.connect(settings, oauth=OAuth(app, tokens), save_tokens=save)

    # -- agency view (All sub-accounts) ------------------------------------------------------
    # Owned by the merged view; the background watcher of other sub-accounts has its own block.
    def can_merge(self) -> bool:
        """Whether "All sub-accounts" applies: an agency key reaching several sub-accounts."""
        profile = self.profile
        return profile is not None and profile.key_kind == "agency" and len(self.sub_accounts()) > 1

    async def open_owner(self, sub_account_id: str) -> OwnerSwitch:
        """Make ``sub_account_id`` the session's sub-account because a record of it was
        opened in a merged view (a thread, a contact, an appointment): its key, outbox and
        services serve what follows. The window's check of unsaved work comes first."""
        active = self.active
        if active is not None and active.scope.sub_account_id == sub_account_id:
            return "opened"
        confirm = self.before_owner_switch
        if confirm is not None and not await confirm():
            return "stayed"
        try:
            await self.switch_sub_account(sub_account_id)
        except (NotActive, ApiError) as exc:
            log.warning("could not open sub-account %s: %s", sub_account_id, exc)
            return "failed"
        return "opened"

    def merged_members(self) -> list[SubAccountRef]:
        """The sub-accounts the merged view shows, in the picker's order (only ones the
        active profile reaches, whatever ``agency_members`` says)."""
        known = self.sub_accounts()
        chooser = self.agency_members
        if chooser is None:  # the connection's inclusion settings
            wanted = {ref.id for ref, _notify in self.included_sub_accounts()}
        else:
            wanted = {ref.id for ref in chooser()}
        return [ref for ref in known if ref.id in wanted]

    def partition_of(self, sub_account_id: str) -> Partition:
        """The cache partition of a sub-account of the active profile (``NotActive`` when
        it reaches no such sub-account)."""
        profile = self.profile
        if profile is None or sub_account_id not in {s.id for s in self.sub_accounts()}:
            raise NotActive(f"The sub-account {sub_account_id} is not reachable here.")
        return self.db.partition(profile.cache_key, sub_account_id)

    def unread_by_sub_account(self) -> dict[str, int]:
        """Conversations with unread messages per sub-account of the active profile, from
        the cache (the picker's counts; empty when the cache cannot be read). Reads every
        partition: call it on a worker."""
        from app.services.agency_inbox import unread_counts

        profile = self.profile
        if profile is None:
            return {}
        try:
            parts = {s.id: self.db.partition(profile.cache_key, s.id) for s in self.sub_accounts()}
            return unread_counts(parts)
        except StorageError as exc:
            log.warning("could not count the unread conversations: %s", exc)
            return {}

    def conversations_cached(self, sub_account_id: str) -> bool:
        """Whether a complete walk of a sub-account's conversations is in the cache (it was
        opened once), so the merged view has its rows."""
        try:
            partition = self.partition_of(sub_account_id)
            return partition.marks.full_sync_ms(SyncKind.CONVERSATIONS) is not None
        except (NotActive, StorageError):
            return False

    # -- end of the agency view's block ----------------------------------------------------

    def set_visible(self, area: str, visible: bool) -> None:
        """Tell the poll scheduler what is on screen (faster polling for it)."""
        if self.session is not None:
            self.session.set_visible(area, visible)

    def set_activity(self, *, idle: bool | None = None, minimised: bool | None = None) -> None:
        """The user went idle or minimised the window (polling slows down), or came back."""
        if self.session is not None and self.session.scheduler is not None:
            self.session.scheduler.set_activity(idle=idle, minimised=minimised)

    def refresh_now(self) -> None:
        """Poll everything on screen as soon as possible (the user asked for it)."""
        session = self.session
        if session is not None and session.scheduler is not None:
            for name in list(session.scheduler.jobs):
                session.scheduler.trigger(name)

    async def reconnect(self, profile_id: str) -> ActiveScope | None:
        """Open ``profile_id`` afresh after its URL or key changed (the key already saved
        by the connection store): a new client and session on the same sub-account.
        Nothing queued is lost; it waits in the cache and the new session sends it."""
        async with self._lock:
            current = self.active
            wanted = current.scope.sub_account_id if current is not None else None
            await self._stop_watch()
            if self.session is not None:
                await self.session.close()
                self.session = None
            self.profile = None
            self._close_client(profile_id)
        profile = self.profiles.get(profile_id)
        if profile is None:
            return None
        if profile.key_kind != "agency":
            wanted = None  # a replaced sub-account key may have a new local partition id
        return await self.activate(profile_id, wanted)

    async def close_profile(self) -> None:
        """Close the open connection (it was removed): no session afterwards."""
        self._preview = None
        async with self._lock:
            await self._stop_watch()
            if self.session is not None:
                await self.session.close()
                self.session = None
            if self.profile is not None:
                self._close_client(self.profile.id)
            self.profile = None

    def _close_client(self, profile_id: str) -> None:
        client = self._clients.pop(profile_id, None)
        if client is not None:
            self._spawn(client.aclose(), f"close:{profile_id}")

    def forget_client(self, profile_id: str) -> None:
        """Drop a profile's client (its URL or key changed); it is closed in the background."""
        self._close_client(profile_id)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"workspace:{name}")
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)

    # -- shutdown -------------------------------------------------------------------------------
    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop polling and sending, close every client and the cache (bounded by ``timeout``)."""
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.wait(list(self._background), timeout=timeout)
        try:
            await asyncio.wait_for(self._stop_watch(), timeout)
        except TimeoutError:
            log.warning("the agency watcher did not stop within %.0f s", timeout)
        if self.session is not None:
            try:
                await asyncio.wait_for(self.session.close(), timeout)
            except TimeoutError:
                log.warning("the session did not stop within %.0f s", timeout)
            self.session = None
        if self._leads is not None:
            await self._leads.close(timeout)
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                await asyncio.wait_for(client.aclose(), timeout)
            except (TimeoutError, OSError) as exc:
                log.warning("closing a client failed: %s", exc)
        self.db.close()
