"""Saving checked connections: a ``Profile`` in the settings file, its key in the keyring.

Every change that involves a URL or a key takes a successful ``ConnectionCheck``
made for exactly that URL and key (``ConnectionCheck.matches``): nothing is
saved that was not checked. Keys go through ``Secrets`` only — the system
keyring, or, when the user chose it after ``KeyringUnavailable``, memory for
this session (``session_only=True``; the key is then never written anywhere).
keyring and the settings file block, so both are used from a worker thread.

Local partition ids of sub-account keys
---------------------------------------
The cache is partitioned by (deployment, sub-account id). An agency key names
its sub-accounts (``GET /api/v1/sub-accounts``), but a sub-account key never
says which sub-account it belongs to. Such a profile therefore gets a local
partition id, ``local:<16 hex digits>`` (``new_local_partition_id``), drawn at
random when the profile is added and stored as ``Profile.sub_account_id``.
It is not derived from the key (a replacement key must find the same cache,
queued messages included) nor from the profile name (renaming must not
either). Replacing the key keeps it once the new key has been shown to reach
the same sub-account (``compare_account``: a contact cached under the old key
must be readable with the new one). When that cannot be shown — nothing
cached yet, or the new key may not read contacts — a fresh id is drawn, so
cached records and queued messages of one sub-account can never be shown or
sent under another's key; the result says so (``partition_reset``). A key
that provably belongs to another sub-account is refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from secrets import token_hex

import httpx

from app.core.keys import KeyKind, clean_key
from app.services.connections import (
    DEFAULT_TIMEOUT,
    AccountMatch,
    ConnectionCheck,
    InputField,
    InvalidUrl,
    compare_account,
    display_host,
    normalize_url,
)
from app.settings.profiles import Profile, ProfileStore, SubAccountRef
from app.settings.secrets import KeyringUnavailable, Secrets, account_name
from app.storage import Database, normalize_deployment

log = logging.getLogger(__name__)

HttpTransport = httpx.AsyncBaseTransport
"""What tests hand the checks instead of the network (the UI passes it through)."""

LOCAL_PARTITION_PREFIX = "local:"
MAX_NAME_LENGTH = 80

KnownContactIds = Callable[[Profile], Sequence[str]]
"""A few contact ids cached for a profile's partition (called in a worker thread)."""


def new_local_partition_id() -> str:
    """A fresh local partition id for a sub-account key (see the module docstring)."""
    return f"{LOCAL_PARTITION_PREFIX}{token_hex(8)}"


def is_local_partition_id(sub_account_id: str | None) -> bool:
    """Whether ``sub_account_id`` was made up here rather than told by the API."""
    return bool(sub_account_id) and str(sub_account_id).startswith(LOCAL_PARTITION_PREFIX)


def cached_contact_ids(db: Database, limit: int = 5) -> KnownContactIds:
    """A ``KnownContactIds`` reading the profile's partition in ``db`` (never creating one)."""

    def known(profile: Profile) -> Sequence[str]:
        if not profile.sub_account_id:
            return []
        deployment = normalize_deployment(profile.deployment_url)
        exists = any(
            p.deployment == deployment and p.sub_account_id == profile.sub_account_id
            for p in db.partitions()
        )
        if not exists:
            return []
        partition = db.partition(profile.deployment_url, profile.sub_account_id)
        return [str(doc["id"]) for doc in partition.contacts.search(limit=limit) if doc.get("id")]

    return known


class ConnectionStoreError(Exception):
    """A connection could not be saved or changed; ``message`` says why and what to do, and
    ``field`` which input of the dialog it concerns."""

    def __init__(self, message: str, *, field: str = InputField.NONE.value) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CheckRequired(ConnectionStoreError):
    """No successful check was made for this URL and key."""


class UnknownConnection(ConnectionStoreError):
    """The profile does not exist (any more)."""


class KeyKindChanged(ConnectionStoreError):
    """A new key of another kind (agency / sub-account) for an existing connection."""


class DifferentAccount(ConnectionStoreError):
    """The new key provably acts for another sub-account (or agency) than the old one."""


class ComparisonFailed(ConnectionStoreError):
    """Whether the new key reaches the same sub-account could not be found out; try again."""


@dataclass(frozen=True)
class SavedConnection:
    """What a save did."""

    profile: Profile
    session_only: bool
    """The key is kept in memory for this session only (no keyring)."""
    warnings: tuple[str, ...] = ()
    partition_reset: bool = False
    """A replaced key got a fresh local partition: the cache starts afresh."""


NAME_FIELD = "name"


class ConnectionStore:
    """Adds, edits and removes connections (profiles and their keys).

    ``profiles`` must be loaded already; it is saved after every change.
    ``secrets`` is the app's one ``Secrets`` (its session keys are what the
    running app uses). ``known_contact_ids`` supplies cached contact ids for
    key replacement (``cached_contact_ids(db)``); without it, a replaced
    sub-account key always gets a fresh partition. ``timeout`` and
    ``http_transport`` go to the comparison requests (tests replace the
    network). Listeners added with ``subscribe`` are called after each change.
    """

    def __init__(
        self,
        profiles: ProfileStore,
        secrets: Secrets,
        *,
        known_contact_ids: KnownContactIds | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._profiles = profiles
        self.secrets = secrets
        self._known_contact_ids = known_contact_ids
        self._timeout = timeout
        self._http_transport = http_transport
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []

    # -- reading ----------------------------------------------------------------------------
    @property
    def profiles(self) -> list[Profile]:
        """Every connection, in the order they were added (the demo one included, if any)."""
        return list(self._profiles.data.profiles)

    def get(self, profile_id: str) -> Profile | None:
        """The profile ``profile_id``, or None."""
        return self._profiles.get(profile_id)

    @property
    def active_profile_id(self) -> str | None:
        """The connection the app opens with."""
        return self._profiles.data.active_profile_id

    def is_session_only(self, profile_id: str) -> bool:
        """Whether the profile's key lives in memory only (never blocks)."""
        return self.secrets.session.get(account_name(profile_id)) is not None

    async def load_key(self, profile_id: str) -> str | None:
        """The profile's key (session first, then keyring); raises ``KeyringUnavailable``."""
        return await asyncio.to_thread(self.secrets.get, account_name(profile_id))

    def name_problem(self, name: str, *, profile_id: str | None = None) -> str | None:
        """A sentence saying why ``name`` cannot name a connection, or None."""
        text = name.strip()
        if not text:
            return "Give the connection a name, e.g. the company or agency it belongs to."
        if len(text) > MAX_NAME_LENGTH:
            return f"The name is too long; keep it under {MAX_NAME_LENGTH} characters."
        for other in self._profiles.data.profiles:
            if other.id != profile_id and other.name.strip().casefold() == text.casefold():
                return f"A connection called “{other.name}” already exists. Choose another name."
        return None

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # -- changing ---------------------------------------------------------------------------
    async def add(
        self,
        name: str,
        check: ConnectionCheck,
        api_key: str,
        *,
        session_only: bool = False,
        make_active: bool | None = None,
    ) -> SavedConnection:
        """Save a new connection for a successful ``check`` of ``check.url`` and ``api_key``.

        The key goes to the keyring (``KeyringUnavailable`` when there is none:
        nothing is saved, and the caller may offer ``session_only=True``).
        ``make_active`` None makes it active when no connection is.
        """
        key = clean_key(api_key)
        self._require_check(check, check.url, key)
        async with self._lock:
            self._require_name(name)
            profile = Profile(name=name.strip(), deployment_url=check.url)
            profile = profile.model_copy(update=_from_check(check))
            if check.key.kind is KeyKind.SUB_ACCOUNT:
                profile.sub_account_id = new_local_partition_id()
            account = account_name(profile.id)
            await self._store_key(account, key, session_only)
            previous_active = self._profiles.data.active_profile_id
            self._profiles.upsert(profile)
            if make_active or (make_active is None and previous_active is None):
                self._profiles.data.active_profile_id = profile.id
            try:
                await self._save()
            except ConnectionStoreError:
                self._profiles.remove(profile.id)
                self._profiles.data.active_profile_id = previous_active
                await self._forget_key(account)
                raise
        log.info("connection %s added (%s)", profile.id, profile.key_kind)
        self._notify()
        return SavedConnection(profile, session_only, check.warnings)

    async def rename(self, profile_id: str, name: str) -> Profile:
        """Give a connection another name (no check needed: nothing it connects to changes)."""
        async with self._lock:
            profile = self._require_profile(profile_id)
            self._require_name(name, profile_id=profile_id)
            updated = profile.model_copy(update={"name": name.strip()})
            await self._replace_profile(profile, updated)
        self._notify()
        return updated

    async def update(
        self,
        profile_id: str,
        *,
        name: str,
        check: ConnectionCheck,
        api_key: str | None = None,
        session_only: bool = False,
    ) -> SavedConnection:
        """Change a connection's name, URL and/or key, after a successful ``check`` of the new
        URL with the new key (``api_key``; None keeps the saved key, which ``check`` must
        then have used). A new key follows the rules of ``replace_key``."""
        async with self._lock:
            profile = self._require_profile(profile_id)
            self._require_name(name, profile_id=profile_id)
            if api_key is None:
                saved = await self.load_key(profile_id)
                if saved is None:
                    raise CheckRequired(
                        "No key is saved for this connection. Paste the API key.",
                        field=InputField.KEY.value,
                    )
                self._require_check(check, check.url, saved)
                updated = profile.model_copy(
                    update={"name": name.strip(), "deployment_url": check.url, **_from_check(check)}
                )
                await self._replace_profile(profile, updated)
                result = SavedConnection(updated, self.is_session_only(profile_id), check.warnings)
            else:
                result = await self._new_key(profile, check, api_key, session_only, name=name)
        self._notify()
        return result

    async def replace_key(
        self,
        profile_id: str,
        check: ConnectionCheck,
        api_key: str,
        *,
        session_only: bool = False,
    ) -> SavedConnection:
        """Give a connection a new key (after a revoked or expired one), same URL and name.

        The new key must be of the same kind and act for the same account:
        agency keys must reach one of the saved sub-accounts; sub-account keys
        must read a contact cached under the old key (see the module
        docstring). Raises ``DifferentAccount`` when it provably does not,
        ``ComparisonFailed`` when the comparison could not run.
        """
        async with self._lock:
            profile = self._require_profile(profile_id)
            if normalize_url(check.url) != normalize_url(profile.deployment_url):
                raise CheckRequired(
                    "The key was checked against another deployment URL. Check it again.",
                    field=InputField.URL.value,
                )
            result = await self._new_key(profile, check, api_key, session_only, name=None)
        self._notify()
        return result

    async def set_active(self, profile_id: str | None) -> None:
        """Make ``profile_id`` the connection the app opens with (None: none)."""
        async with self._lock:
            if profile_id is not None:
                self._require_profile(profile_id)
            previous = self._profiles.data.active_profile_id
            self._profiles.data.active_profile_id = profile_id
            try:
                await self._save()
            except ConnectionStoreError:
                self._profiles.data.active_profile_id = previous
                raise
        self._notify()

    async def remember_sub_account(self, profile_id: str, sub_account_id: str) -> None:
        """Agency connections: remember the switcher's choice for the next start."""
        async with self._lock:
            profile = self._require_profile(profile_id)
            updated = profile.model_copy(update={"last_sub_account_id": sub_account_id})
            await self._replace_profile(profile, updated)

    async def remove(self, profile_id: str) -> Profile:
        """Remove a connection and delete its key (keyring and session); returns the removed
        profile (its URL and partition ids, for dropping the cache).

        The key is deleted first: if writing the settings file then fails, the
        connection stays listed without a key rather than leaving a key behind
        in the keyring. The cache partitions are the caller's to drop.
        """
        async with self._lock:
            profile = self._require_profile(profile_id)
            await self._forget_key(account_name(profile_id))
            data = self._profiles.data
            before = (list(data.profiles), data.active_profile_id)
            self._profiles.remove(profile_id)
            try:
                await self._save()
            except ConnectionStoreError:
                data.profiles, data.active_profile_id = before
                raise
        log.info("connection %s removed", profile_id)
        self._notify()
        return profile

    # -- helpers ----------------------------------------------------------------------------
    async def _new_key(
        self,
        profile: Profile,
        check: ConnectionCheck,
        api_key: str,
        session_only: bool,
        *,
        name: str | None,
    ) -> SavedConnection:
        key = clean_key(api_key)
        self._require_check(check, check.url, key)
        if check.key.kind.value != profile.key_kind:
            have = "an agency" if profile.key_kind == KeyKind.AGENCY.value else "a sub-account"
            got = "an agency" if check.key.is_agency else "a sub-account"
            raise KeyKindChanged(
                f"This connection uses {have} key, and the new key is {got} key. Paste "
                f"{have} key, or add the new key as a new connection.",
                field=InputField.KEY.value,
            )
        warnings = list(check.warnings)
        reset = False
        changes: dict[str, object] = {"deployment_url": check.url, **_from_check(check)}
        if name is not None:
            changes["name"] = name.strip()
        same_deployment = normalize_url(check.url) == normalize_url(profile.deployment_url)
        if same_deployment:
            known: Sequence[str] = ()
            if not check.key.is_agency and self._known_contact_ids is not None:
                known = await asyncio.to_thread(self._known_contact_ids, profile)
            comparison = await compare_account(
                check.url,
                key,
                check=check,
                known_contact_ids=known,
                known_sub_account_ids=[s.id for s in profile.sub_accounts],
                timeout=self._timeout,
                http_transport=self._http_transport,
            )
            if comparison.match is AccountMatch.DIFFERENT:
                raise DifferentAccount(comparison.message, field=InputField.KEY.value)
            if comparison.match is AccountMatch.FAILED:
                raise ComparisonFailed(
                    "The app could not confirm that the new key belongs to the same "
                    f"sub-account: {comparison.message}",
                    field=InputField.NONE.value,
                )
            if comparison.match is AccountMatch.UNVERIFIABLE and not check.key.is_agency:
                reset = True
                changes["sub_account_id"] = new_local_partition_id()
                warnings.append(
                    f"{comparison.message} The app cannot tell whether the new key belongs to "
                    "the same sub-account, so this connection's cache starts afresh; messages "
                    "still waiting to be sent under the old key stay unsent."
                )
        if check.key.is_agency:
            ids = {s.id for s in check.sub_accounts}
            if profile.last_sub_account_id not in ids:
                changes["last_sub_account_id"] = None
        updated = profile.model_copy(update=changes)
        account = account_name(profile.id)
        # Key first: if the settings file then cannot be written, the new key (the one that
        # works) is kept for the unchanged profile.
        await self._store_key(account, key, session_only)
        await self._replace_profile(profile, updated)
        if session_only:
            # A revoked key left in the keyring would come back at the next start.
            await self._forget_persistent(account)
        log.info("connection %s got a new key (partition reset: %s)", profile.id, reset)
        return SavedConnection(updated, session_only, tuple(warnings), reset)

    def _require_check(self, check: ConnectionCheck, url: str, key: str) -> None:
        if not check.ok:
            raise CheckRequired(
                "Check the connection successfully before saving it.", field=InputField.NONE.value
            )
        if not check.matches(url, key):
            raise CheckRequired(
                "The URL or key changed after the check. Check the connection again.",
                field=InputField.NONE.value,
            )

    def _require_name(self, name: str, *, profile_id: str | None = None) -> None:
        problem = self.name_problem(name, profile_id=profile_id)
        if problem is not None:
            raise ConnectionStoreError(problem, field=NAME_FIELD)

    def _require_profile(self, profile_id: str) -> Profile:
        profile = self._profiles.get(profile_id)
        if profile is None:
            raise UnknownConnection(
                "This connection no longer exists; it may have been removed in another window."
            )
        return profile

    async def _replace_profile(self, old: Profile, new: Profile) -> None:
        data = self._profiles.data
        before = list(data.profiles)
        data.profiles = [new if p.id == old.id else p for p in data.profiles]
        try:
            await self._save()
        except ConnectionStoreError:
            data.profiles = before
            raise

    async def _store_key(self, account: str, key: str, session_only: bool) -> None:
        if session_only:
            self.secrets.use_for_session(account, key)
            return
        # Raises KeyringUnavailable: the caller offers a session-only key.
        await asyncio.to_thread(self.secrets.save, account, key)

    async def _forget_key(self, account: str) -> None:
        self.secrets.session.delete(account)
        await self._forget_persistent(account)

    async def _forget_persistent(self, account: str) -> None:
        try:
            await asyncio.to_thread(self.secrets.persistent.delete, account)
        except KeyringUnavailable:
            pass  # no keyring: the key was never stored there

    async def _save(self) -> None:
        # The worker writes a snapshot taken here: the live data may change on the loop
        # thread (the workspace remembers sub-accounts) while the file is being written.
        snapshot = ProfileStore(self._profiles.path)
        snapshot.data = self._profiles.data.model_copy(deep=True)
        try:
            await asyncio.to_thread(snapshot.save)
        except OSError as exc:
            raise ConnectionStoreError(
                f"The settings file {self._profiles.path} could not be written "
                f"({exc.strerror or type(exc).__name__}). Check that the disk is not full "
                "and try again."
            ) from exc

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("connection store listener failed")


def _from_check(check: ConnectionCheck) -> dict[str, object]:
    """Profile fields a successful check decides."""
    fields: dict[str, object] = {
        "key_kind": check.key.kind.value,
        "key_mode": "test" if check.key.is_test else "live",
        "scopes": list(check.present_scopes),
    }
    if check.key.is_agency:
        fields["sub_accounts"] = [SubAccountRef(id=s.id, name=s.name) for s in check.sub_accounts]
        fields["sub_account_id"] = None
    return fields


def suggested_name(check: ConnectionCheck) -> str:
    """A name for a new connection: the host, and "(test)" for test keys."""
    try:
        host = normalize_url(check.url or check.entered_url)
    except InvalidUrl:
        return ""
    name = display_host(host)
    if check.key.is_test:
        name += " (test)"
    return name


__all__ = [
    "LOCAL_PARTITION_PREFIX",
    "HttpTransport",
    "KeyringUnavailable",
    "Profile",
    "SubAccountRef",
    "CheckRequired",
    "ComparisonFailed",
    "ConnectionStore",
    "ConnectionStoreError",
    "DifferentAccount",
    "KeyKindChanged",
    "KnownContactIds",
    "SavedConnection",
    "UnknownConnection",
    "cached_contact_ids",
    "is_local_partition_id",
    "new_local_partition_id",
    "suggested_name",
]
