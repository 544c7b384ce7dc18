"""Connection profiles in a settings file; the keys themselves live in the keyring.

The file is written atomically (temp file + rename) so a crash never leaves it
half-written; a file that cannot be read is kept aside as ``.bad`` and the
error says so, rather than silently losing the user's connections.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SubAccountRef(BaseModel):
    """A sub-account an agency key reaches, as ``GET /api/v1/sub-accounts`` last listed it
    (kept so the switcher works at start-up and offline)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str


class Profile(BaseModel):
    """One connection: a deployment URL and which key (by keyring account) it uses."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    name: str
    deployment_url: str
    key_kind: str = "sub_account"  # "sub_account" or "agency"
    key_mode: str | None = None  # "live" or "test", from the key's prefix
    # Sub-account keys: the local partition id of the key's sub-account ("local:<hex>"; the
    # API never says which sub-account a key belongs to). Agency keys: None.
    sub_account_id: str | None = None
    last_sub_account_id: str | None = None  # agency keys: the switcher's last choice
    demo: bool = False  # the --demo connection is never saved
    sub_accounts: list[SubAccountRef] = Field(default_factory=list)  # agency keys: last list
    scopes: list[str] | None = None  # found by the last connection check; None: not known
    included_sub_accounts: list[str] | None = None
    """Agency keys: the sub-accounts polled in the background, merged and counted (None:
    all of them, also those the agency gains later)."""
    observe_only: list[str] = Field(default_factory=list)
    """Agency keys: included sub-accounts that raise no notification."""
    # What the local cache is partitioned by (default: the deployment URL). The demo's
    # sandbox gets a new port on every start, so it uses a fixed name to keep its cache.
    cache_deployment: str | None = None

    @property
    def cache_key(self) -> str:
        """The deployment name of this profile's cache partitions."""
        return self.cache_deployment or self.deployment_url


class Preferences(BaseModel):
    """App-wide preferences."""

    model_config = ConfigDict(extra="ignore")

    muted_channels: list[str] = Field(default_factory=list)
    my_team_member_ids: dict[str, str] = Field(default_factory=dict)
    """Per "deployment|sub-account": the team member the user is (the Inbox's Mine view)."""
    theme: str = "system"  # system | light | dark


DEFAULT_SEAMLESS_URL = "https://api.seamless.ai/api/client/v1"


class SeamlessOAuthClient(BaseModel):
    """The OAuth app "Sign in with Seamless.AI" uses: its client id, where the browser
    authorises, and the redirect URI registered for it (a loopback one takes any port).
    The client secret lives in the keyring (account ``seamless:<id>:oauth-client``)."""

    model_config = ConfigDict(extra="ignore")

    client_id: str
    authorize_url: str
    redirect_uri: str = "http://127.0.0.1/callback"


class SeamlessSettings(BaseModel):
    """The Seamless.AI connection (one per installation): where, how the meter prices
    actions and the daily budget, and how it signs in: ``auth`` "key" (the API key in the
    keyring, account ``seamless:<id>``) or "oauth" (tokens in the keyring, account
    ``seamless:<id>:oauth``). Both may be kept; ``auth`` says which one is in use.
    ``demo`` connections are never saved."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    base_url: str = DEFAULT_SEAMLESS_URL
    pricing: str = "article"  # a name of app.core.credits.RULE_SETS
    daily_budget: int | None = None
    demo: bool = False
    auth: str = "key"  # "key" | "oauth"
    oauth: SeamlessOAuthClient | None = None


class SavedSearch(BaseModel):
    """A named set of Leads filters (``kind`` "people" or "companies"; ``filters`` in wire
    names, as the filter panel produces them). Never saved by the demo (it does not persist)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    name: str
    kind: str = "people"
    filters: dict[str, Any] = Field(default_factory=dict)


class SettingsFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = 1
    profiles: list[Profile] = Field(default_factory=list)
    seamless: SeamlessSettings | None = None
    active_profile_id: str | None = None
    preferences: Preferences = Field(default_factory=Preferences)
    saved_searches: list[SavedSearch] = Field(default_factory=list)


class SettingsError(RuntimeError):
    """The settings file could not be read; the message says where the old one went."""


class ProfileStore:
    """Loads and saves ``profiles.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = SettingsFile()

    def load(self) -> SettingsFile:
        if not self.path.exists():
            self.data = SettingsFile()
            return self.data
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self.data = SettingsFile.model_validate(raw)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
            aside = self.path.with_suffix(".json.bad")
            os.replace(self.path, aside)
            self.data = SettingsFile()
            raise SettingsError(
                f"The settings file {self.path} could not be read ({type(exc).__name__}); "
                f"it was kept as {aside.name} and the app starts without saved connections."
            ) from exc
        return self.data

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        seamless = self.data.seamless
        persistent = self.data.model_copy(
            update={
                "profiles": [p for p in self.data.profiles if not p.demo],
                "seamless": None if seamless is not None and seamless.demo else seamless,
            }
        )
        text = persistent.model_dump_json(indent=2)
        fd, tmp = tempfile.mkstemp(prefix=".profiles-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- editing ----------------------------------------------------------------------------
    def get(self, profile_id: str) -> Profile | None:
        return next((p for p in self.data.profiles if p.id == profile_id), None)

    def upsert(self, profile: Profile) -> None:
        self.data.profiles = [p for p in self.data.profiles if p.id != profile.id] + [profile]

    def remove(self, profile_id: str) -> None:
        self.data.profiles = [p for p in self.data.profiles if p.id != profile_id]
        if self.data.active_profile_id == profile_id:
            self.data.active_profile_id = None
