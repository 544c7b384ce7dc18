"""API keys through the system keyring only.

Never a plaintext fallback: when no keyring backend works, ``KeyringUnavailable``
says so and the UI offers a session-only key (kept in memory by
``SessionSecrets``, gone when the app quits). keyring calls block, so callers
make them at start-up or in an executor.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

SERVICE = "seedly-desk"


class KeyringUnavailable(RuntimeError):
    """No working keyring backend on this system."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "No system keyring is available to store the API key securely "
            f"({detail}). You can use the key for this session only; it will not be saved."
        )


class SecretStore(Protocol):
    """Where keys are kept; ``account`` names a key, e.g. ``profile:<id>:seedly``."""

    def get(self, account: str) -> str | None: ...

    def set(self, account: str, secret: str) -> None: ...

    def delete(self, account: str) -> None: ...


class KeyringSecrets:
    """Keys in the OS keyring (Secret Service, Keychain, Windows Credential Locker)."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def _keyring(self) -> tuple[Any, type[Exception]]:
        """The keyring module and its error class, once the backend is known to be safe."""
        import keyring
        from keyring.errors import KeyringError

        backend = keyring.get_keyring()
        module = type(backend).__module__.lower()
        if module.startswith("keyrings.alt") or module.endswith(("fail", "null")):
            raise KeyringUnavailable(f"backend {type(backend).__name__} cannot hold secrets safely")
        return keyring, KeyringError

    def get(self, account: str) -> str | None:
        keyring, error = self._keyring()
        try:
            value = keyring.get_password(self.service, account)
        except error as exc:
            raise KeyringUnavailable(str(exc) or type(exc).__name__) from exc
        return None if value is None else str(value)

    def set(self, account: str, secret: str) -> None:
        keyring, error = self._keyring()
        try:
            keyring.set_password(self.service, account, secret)
        except error as exc:
            raise KeyringUnavailable(str(exc) or type(exc).__name__) from exc

    def delete(self, account: str) -> None:
        keyring, error = self._keyring()
        try:
            keyring.delete_password(self.service, account)
        except error:
            pass  # deleting what is not there is fine


class SessionSecrets:
    """Keys held in memory for this session only (the user's choice when no keyring works)."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}

    def get(self, account: str) -> str | None:
        return self._secrets.get(account)

    def set(self, account: str, secret: str) -> None:
        self._secrets[account] = secret

    def delete(self, account: str) -> None:
        self._secrets.pop(account, None)


class Secrets:
    """The keyring first, then session-only keys the user agreed to."""

    def __init__(self, persistent: SecretStore | None = None) -> None:
        self.persistent = persistent or KeyringSecrets()
        self.session = SessionSecrets()

    def get(self, account: str) -> str | None:
        found = self.session.get(account)
        if found is not None:
            return found
        return self.persistent.get(account)

    def save(self, account: str, secret: str) -> None:
        """Store in the keyring; raises ``KeyringUnavailable`` (the UI then offers a session key)."""
        self.persistent.set(account, secret)
        self.session.delete(account)

    def use_for_session(self, account: str, secret: str) -> None:
        self.session.set(account, secret)

    def delete(self, account: str) -> None:
        self.session.delete(account)
        self.persistent.delete(account)


def account_name(profile_id: str, service: str = "seedly") -> str:
    """The keyring account of a Seedly connection's key."""
    return f"profile:{profile_id}:{service}"


def seamless_account(connection_id: str) -> str:
    """The keyring account of the Seamless.AI connection's API key."""
    return f"seamless:{connection_id}"


def seamless_oauth_account(connection_id: str) -> str:
    """The keyring account of the Seamless.AI sign-in's tokens (access and refresh)."""
    return f"seamless:{connection_id}:oauth"


def seamless_oauth_client_account(connection_id: str) -> str:
    """The keyring account of the Seamless.AI OAuth app's client secret."""
    return f"seamless:{connection_id}:oauth-client"
