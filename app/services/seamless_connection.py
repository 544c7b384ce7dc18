"""Checking, saving and opening the Seamless.AI connection (Settings → Seamless.AI connection).

The check builds a short-lived client with short timeouts and no retries and reads
the credit balance, which costs nothing (docs/api/seamless.md, "Credits"): the
answer is the balance, or the sentence saying why the key or the URL cannot be
used, with the field it concerns. Keys only go to the system keyring; when no
keyring works the caller may keep the key for this session only (in memory, asked
again at the next start). The demo, and a workspace that does not persist, never
reach the keyring. The settings go to the settings file through ``Preferences``.

"Sign in with Seamless.AI" (OAuth) runs through ``begin_sign_in`` (a
``SeamlessSignIn``: the browser, the loopback listener or the pasted code) and
``finish_sign_in``, which keeps the tokens and the app's client secret in the
keyring, like the key, and opens the connection with them. A key and a sign-in
may both be kept; ``settings.auth`` says which one is in use (``use_auth``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from app.api.seamless import SeamlessClient
from app.api.transport import RetryPolicy, Timeouts
from app.core.credits import RULE_SETS
from app.core.errors import ApiError, NetworkError, NotFound, Unauthorized
from app.api.seamless import OAuthTokens
from app.core.seamless_errors import KEYS_PLACE
from app.services.leads import AUTH_KEY, AUTH_OAUTH
from app.services.preferences import Preferences, PreferencesNotSaved
from app.services.seamless_oauth import (
    OAuthClientConfig,
    Opener,
    SeamlessSignIn,
    open_system_browser,
    tokens_from_secret,
    tokens_to_secret,
)
from app.services.workspace import Workspace
from app.settings.profiles import DEFAULT_SEAMLESS_URL, SeamlessOAuthClient, SeamlessSettings
from app.settings.secrets import (
    KeyringUnavailable,
    seamless_account,
    seamless_oauth_account,
    seamless_oauth_client_account,
)

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 10.0
"""Seconds a check waits for the server (connect, read, write)."""

PRICING_LABELS = {
    "article": "Search 1 credit per 10 results, research 1 per record",
    "free-search": "Search is free on my plan, research 1 per record",
}


def pricing_choices() -> list[tuple[str, str]]:
    """The pricing rules the meter can assume: (name, label) in the order offered."""
    return [(name, PRICING_LABELS.get(name, rules.label)) for name, rules in RULE_SETS.items()]


def clean_key(text: str) -> str:
    """A pasted key without whitespace or surrounding quotes (keys contain neither)."""
    return "".join(text.split()).strip("\"'")


class InvalidUrl(ValueError):
    """The API URL cannot be used; the message says why."""


def normalize_url(text: str) -> str:
    """The API base URL with ``https://`` added when missing and no trailing slash."""
    url = text.strip()
    if not url:
        raise InvalidUrl("Enter the Seamless.AI API URL, e.g. " + DEFAULT_SEAMLESS_URL + ".")
    if "://" not in url:
        url = "https://" + url
    if any(ch.isspace() for ch in url):
        raise InvalidUrl(f"“{text.strip()}” is not a web address (it contains spaces).")
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018  # a port that is not a number raises here
    except ValueError as exc:
        raise InvalidUrl(f"“{text.strip()}” is not a web address ({exc}).") from exc
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidUrl(f"“{text.strip()}” is not an http(s) address with a host name.")
    return url.rstrip("/")


def checking_client(url: str, key: str) -> Any:
    """A client for one check: short timeouts, no retries, no waiting on a 429."""
    return SeamlessClient(
        url,
        api_key=key,
        timeouts=Timeouts(connect=CHECK_TIMEOUT, read=CHECK_TIMEOUT, write=CHECK_TIMEOUT, pool=2.0),
        retry=RetryPolicy(attempts=1, rate_limit_waits=0, max_retry_after=0.0),
    )


CheckingClientFactory = Callable[[str, str], Any]


class CheckField(StrEnum):
    """What a failed check's sentence is about (where the dialog shows it)."""

    URL = "url"
    KEY = "key"
    RESULT = "result"
    """Neither field alone: the key works but cannot be used (no license, a server error)."""


@dataclass(frozen=True)
class CheckResult:
    """How a check ended: ``ok`` with the balance, or the sentence and what it is about."""

    ok: bool
    message: str
    """The sentence to show ("Balance: 1,234 credits." or why it failed)."""
    field: CheckField | None = None
    """The field the failure concerns (None when ``ok``)."""
    url: str | None = None
    """The normalised URL checked."""
    key: str | None = dataclasses.field(default=None, repr=False)
    """The key checked (never in a repr: it is a secret); None when there was no key to
    check (none typed, none saved) and nothing was sent."""
    balance: int | None = None
    """The balance read (None when ``ok`` but the server reported none)."""


class KeyNotSaved(RuntimeError):
    """The key could not go to the keyring: the caller may offer "for this session only"."""


class SaveFailed(RuntimeError):
    """The settings could not be saved or the connection not opened; the message says what to
    do."""


def _credits_text(balance: int) -> str:
    return f"{balance:,} credit" + ("" if balance == 1 else "s")


class SeamlessConnection:
    """The Seamless.AI connection settings: checks, key handling and saving (see the module
    docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        preferences: Preferences,
        *,
        client_factory: CheckingClientFactory = checking_client,
    ) -> None:
        self._workspace = workspace
        self._preferences = preferences
        self._client_factory = client_factory

    @property
    def current(self) -> SeamlessSettings | None:
        """The connection in use, else the saved one (None: never connected)."""
        return self._workspace.leads.settings or self._preferences.seamless

    # -- keys -----------------------------------------------------------------------------------
    async def saved_key(self) -> str:
        """The key saved for the current connection (read on a worker: keyring calls
        block); ``LookupError`` with the sentence when there is none or no keyring works."""
        current = self.current
        if current is None:
            raise LookupError(f"Paste the API key: create one in {KEYS_PLACE}.")
        try:
            saved = await asyncio.to_thread(
                self._workspace.secrets.get, seamless_account(current.id)
            )
        except KeyringUnavailable as exc:
            raise LookupError(f"{exc} Paste the key to check the connection.") from exc
        if not saved:
            raise LookupError(
                "No key is saved for Seamless.AI on this computer. Paste the API key."
            )
        return saved

    async def store_key(
        self, settings: SeamlessSettings, key: str, *, session_only: bool = False
    ) -> None:
        """Keep ``key`` for ``settings``: in the keyring, or in memory for this session when
        asked, for the demo and when the workspace does not persist. ``KeyNotSaved`` (with
        the keyring's reason) when no keyring works."""
        workspace = self._workspace
        account = seamless_account(settings.id)
        # The demo keeps everything in memory: its key never reaches the keyring.
        if session_only or settings.demo or not workspace.persist:
            workspace.secrets.use_for_session(account, key)
            return
        try:
            await asyncio.to_thread(workspace.secrets.save, account, key)
        except KeyringUnavailable as exc:
            raise KeyNotSaved(str(exc)) from exc

    # -- signing in with Seamless.AI (OAuth) -----------------------------------------------------
    async def saved_client_secret(self) -> str | None:
        """The OAuth app's client secret kept for the current connection, or None."""
        current = self.current
        if current is None:
            return None
        try:
            return await asyncio.to_thread(
                self._workspace.secrets.get, seamless_oauth_client_account(current.id)
            )
        except KeyringUnavailable:
            return None

    async def stored_auth(self) -> frozenset[str]:
        """Which ways of signing in are kept for the current connection: ``AUTH_KEY`` (an API
        key) and/or ``AUTH_OAUTH`` (a Seamless.AI sign-in)."""
        current = self.current
        if current is None:
            return frozenset()
        secrets = self._workspace.secrets

        def read() -> frozenset[str]:
            found = set()
            if secrets.get(seamless_account(current.id)):
                found.add(AUTH_KEY)
            if tokens_from_secret(secrets.get(seamless_oauth_account(current.id))):
                found.add(AUTH_OAUTH)
            return frozenset(found)

        try:
            return await asyncio.to_thread(read)
        except KeyringUnavailable:
            return frozenset()

    def begin_sign_in(
        self,
        url: str,
        client: SeamlessOAuthClient,
        client_secret: str,
        *,
        open_browser: Opener = open_system_browser,
        timeout: float | None = None,
    ) -> SeamlessSignIn:
        """A sign-in with the OAuth app ``client`` against the API at ``url`` (nothing sent
        yet: ``start()`` opens the browser). ``InvalidUrl`` when the URL cannot be used;
        ``ValueError`` when the client id, secret or authorize address is missing."""
        base = normalize_url(url)
        if not client.client_id.strip() or not client_secret.strip():
            raise ValueError("Enter the OAuth app's client ID and client secret.")
        if not client.authorize_url.strip():
            raise ValueError("Enter the address where Seamless.AI authorises the app.")
        config = OAuthClientConfig(
            client.client_id.strip(),
            client_secret.strip(),
            client.authorize_url.strip(),
            client.redirect_uri.strip(),
        )
        kwargs: dict[str, Any] = {"open_browser": open_browser}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return SeamlessSignIn(base, config, **kwargs)

    async def finish_sign_in(
        self,
        settings: SeamlessSettings,
        tokens: OAuthTokens,
        client_secret: str,
        *,
        client: SeamlessOAuthClient | None = None,
        session_only: bool = False,
    ) -> SeamlessSettings:
        """Keep the sign-in's tokens and the client secret (the keyring, or memory for this
        session, the demo and a workspace that does not persist), make the sign-in (with the
        OAuth app ``client``, when given) the connection's way in, save the settings and open
        the connection. ``KeyNotSaved`` when no keyring works (nothing kept: the caller may
        offer "this session only"); ``SaveFailed`` when the file or the connection failed.
        Returns the settings saved."""
        update: dict[str, Any] = {"auth": AUTH_OAUTH}
        if client is not None:
            update["oauth"] = client
        settings = settings.model_copy(update=update)
        workspace = self._workspace
        pairs = (
            (seamless_oauth_account(settings.id), tokens_to_secret(tokens)),
            (seamless_oauth_client_account(settings.id), client_secret),
        )
        if session_only or settings.demo or not workspace.persist:
            for account, secret in pairs:
                workspace.secrets.use_for_session(account, secret)
        else:
            try:
                for account, secret in pairs:
                    await asyncio.to_thread(workspace.secrets.save, account, secret)
            except KeyringUnavailable as exc:
                raise KeyNotSaved(str(exc)) from exc
        await self._save_and_connect(settings)
        return settings

    async def use_auth(self, auth: str) -> SeamlessSettings:
        """Sign in with the kept key (``AUTH_KEY``) or the kept sign-in (``AUTH_OAUTH``) from
        now on; ``LookupError`` with the sentence when that one is not kept."""
        current = self.current
        if current is None:
            raise LookupError("Connect Seamless.AI first.")
        if auth not in await self.stored_auth():
            raise LookupError(
                "No API key is kept for Seamless.AI: paste one first."
                if auth == AUTH_KEY
                else "You are not signed in with Seamless.AI: sign in first."
            )
        settings = current.model_copy(update={"auth": auth})
        await self._save_and_connect(settings)
        return settings

    async def sign_out(self) -> SeamlessSettings | None:
        """Forget the Seamless.AI sign-in (its tokens); the key, when one is kept, is used
        from then on. The new settings, or None when nothing is connected."""
        current = self.current
        if current is None:
            return None
        await asyncio.to_thread(self._workspace.secrets.delete, seamless_oauth_account(current.id))
        if AUTH_KEY in await self.stored_auth():
            settings = current.model_copy(update={"auth": AUTH_KEY})
            await self._save_and_connect(settings)
            return settings
        settings = current.model_copy(update={"auth": AUTH_KEY})
        self._preferences.set_seamless(settings)
        await self._workspace.leads.close()
        return settings

    async def _save_and_connect(self, settings: SeamlessSettings) -> None:
        try:
            self._preferences.set_seamless(settings)
        except PreferencesNotSaved as exc:
            raise SaveFailed(
                f"The settings could not be saved ({exc.reason}). Check that the settings "
                "folder is writable and try again."
            ) from exc
        try:
            await self._workspace.connect_seamless(settings)
        except Exception as exc:
            log.exception("opening the Seamless.AI connection failed")
            raise SaveFailed(
                f"The connection could not be opened ({exc}). Check the settings and try again."
            ) from exc

    # -- checking ---------------------------------------------------------------------------------
    async def check(self, url_text: str, key_text: str) -> CheckResult:
        """Check the URL and the key (the saved one when ``key_text`` is empty) by reading
        the balance, which is free."""
        try:
            url = normalize_url(url_text)
        except InvalidUrl as exc:
            return CheckResult(False, str(exc), CheckField.URL)
        key = clean_key(key_text)
        if not key:
            try:
                key = await self.saved_key()
            except LookupError as exc:
                return CheckResult(False, str(exc), CheckField.KEY, url)
        client = self._client_factory(url, key)
        try:
            reading = await client.refresh_balance()
        except ApiError as exc:
            text = exc.user_message
            if isinstance(exc, Unauthorized):
                where = CheckField.KEY
            elif isinstance(exc, NotFound | NetworkError):
                where = CheckField.URL
            else:
                where = CheckField.RESULT
            return CheckResult(False, text, where, url, key)
        finally:
            await client.aclose()
        balance = reading.balance if reading is not None else None
        if balance is None:
            message = "Seamless.AI accepted the key but did not report a balance."
        else:
            message = f"Balance: {_credits_text(balance)}."
        return CheckResult(True, message, None, url, key, balance)

    # -- saving -----------------------------------------------------------------------------------
    def settings_for(self, url: str, pricing: str, daily_budget: int | None) -> SeamlessSettings:
        """The settings a form describes (the current connection's id kept)."""
        if daily_budget is not None and daily_budget < 1:
            raise ValueError("a daily budget is at least 1 credit")
        fields: dict[str, Any] = {
            "base_url": normalize_url(url),
            "pricing": pricing,
            "daily_budget": daily_budget,
        }
        current = self.current
        if current is not None:
            return current.model_copy(update=fields)
        return SeamlessSettings(**fields)

    async def save(
        self, settings: SeamlessSettings, key: str | None, *, session_only: bool = False
    ) -> None:
        """Keep the key (when a new one was checked), save the settings and open the
        connection; only the pricing or the budget changed: applied at once, no reconnection.

        ``KeyNotSaved`` when no keyring works (nothing else done: the caller may save for the
        session only); ``SaveFailed`` with the sentence when the file or the connection
        failed."""
        workspace = self._workspace
        if key is not None:
            await self.store_key(settings, key, session_only=session_only)
            settings = settings.model_copy(update={"auth": AUTH_KEY})  # a new key is used
        try:
            self._preferences.set_seamless(settings)
        except PreferencesNotSaved as exc:
            raise SaveFailed(
                f"The settings could not be saved ({exc.reason}). Check that the settings "
                "folder is writable and try again."
            ) from exc
        try:
            if key is not None:
                await workspace.connect_seamless(settings, key)
            elif workspace.leads.settings is not None:
                workspace.leads.apply_settings(settings)
            else:
                await workspace.connect_seamless(settings)
        except Exception as exc:
            log.exception("opening the Seamless.AI connection failed")
            raise SaveFailed(
                f"The connection could not be opened ({exc}). Check the settings and try again."
            ) from exc


__all__ = [
    "CHECK_TIMEOUT",
    "DEFAULT_SEAMLESS_URL",
    "KEYS_PLACE",
    "CheckField",
    "CheckResult",
    "InvalidUrl",
    "KeyNotSaved",
    "SaveFailed",
    "SeamlessConnection",
    "SeamlessOAuthClient",
    "checking_client",
    "clean_key",
    "normalize_url",
    "pricing_choices",
]
