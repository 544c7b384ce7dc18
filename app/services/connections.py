"""Checking a connection (deployment URL + API key) before it is saved.

``check_connection(url, api_key)`` answers, in one ``ConnectionCheck``, everything
the connection dialog shows: whether the pair works, and if not a sentence
saying why and which input it concerns; the key's kind and mode; for agency
keys the sub-accounts it reaches; and which permission scopes the key has.

How it goes, and why:

1. The URL is normalised locally (``normalize_url``) and the key's shape checked
   (``app.core.keys``): a typo or a truncated paste is reported before any
   request.
2. One client with short timeouts and **no retries** (a check must answer in
   seconds, not back off for minutes) sends a first *identity* request: the
   sub-account list for agency keys, a ``limit=1`` contact list otherwise. Its
   answer separates the network failures (DNS, refused, unreachable, timeout,
   TLS), an address that answers but is not a Seedly API, and the key's 401s
   (unknown, revoked, expired).
3. The other scopes are probed concurrently, without changing anything: reads
   by small lists; writes by requests on a record id that cannot exist
   (``SCOPE_PROBE_ID``) with an empty body. Seedly checks the key's scope
   before it looks for the record (the sandbox does too: ``authenticate`` runs
   before every handler), so a missing scope answers 403 naming it and a
   present one answers 404 (or 400). Even a server that looked the record up
   first could not change anything: there is no such record and the body is
   empty. Such a server would answer 404 for a missing scope too, which is why
   a write scope found this way is "present as far as the server told"
   (``ScopeFinding.detail``).

Nothing here logs or returns the key; messages name the host, never the key
(``mask_key`` where a key must be referred to).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from app.api.seedly import AGENCY_HEADER, SeedlyClient
from app.api.transport import RetryPolicy, Timeouts, Transport, json_of
from app.core.constants import AGENCY_KEY_PREFIXES, RECOMMENDED_SCOPES, SCOPES
from app.core.errors import (
    KEYS_PATH,
    ApiError,
    Forbidden,
    InvalidResponse,
    KeyExpired,
    KeyRevoked,
    NetworkError,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
    Unauthorized,
    ValidationFailed,
)
from app.core.keys import KeyInfo, KeyKind, KeyMode, clean_key, key_info, key_problem, mask_key
from app.core.models import SubAccount

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 8.0
"""Seconds one request of a check may take to connect, or to answer."""

SCOPE_PROBE_ID = "seedly_desk_scope_probe_does_not_exist"
"""The record id of the write probes: no Seedly id looks like this, so a probe finds nothing
to change even on a server that looks the record up before it checks the scope."""

API_PREFIX = "/api/v1"

# Where the deployment URL is found (docs/api/seedly-crm.md §1).
URL_HELP = "Your deployment URL is shown in the Seedly CRM dashboard under Settings."

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
# "host:port" without a scheme ("localhost:8000") must not be read as scheme "localhost".
_BARE_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(?!\d)")
_HOST_RE = re.compile(r"^[A-Za-z0-9\-._~%]+$")
_FINGERPRINT_SALT = secrets.token_bytes(16)


# -- URL ---------------------------------------------------------------------------------


class InvalidUrl(ValueError):
    """The text entered as deployment URL cannot be one; ``message`` says why (a sentence)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_url(raw: str) -> str:
    """The deployment's base URL from what the user typed or pasted.

    Surrounding whitespace is trimmed, ``https://`` is added when no scheme is
    given, scheme and host are lower-cased, and a pasted endpoint is cut back
    to the base: a trailing slash, ``/api/v1`` and anything after it, a query
    and a fragment are dropped (``"Acme.example.com/api/v1/contacts?limit=5"``
    → ``"https://acme.example.com"``). A path before ``/api/v1`` is kept: some
    deployments live under one. Raises ``InvalidUrl`` with a sentence for
    anything that is not an http(s) URL, and for URLs with a user name or
    password in them (they would be saved in the settings file in plain text).
    """
    text = raw.strip()
    if not text:
        raise InvalidUrl(f"Enter the deployment URL of your Seedly CRM. {URL_HELP}")
    if any(ch.isspace() for ch in text):
        raise InvalidUrl(
            "The deployment URL contains spaces. Copy it again from the Seedly dashboard "
            "(Settings) and paste it in one piece."
        )
    scheme_match = _SCHEME_RE.match(text)
    if scheme_match is None:
        bare = _BARE_SCHEME_RE.match(text)
        if bare is not None and bare.group(1).lower() in ("http", "https"):
            raise InvalidUrl(
                f"The deployment URL is missing the // after {bare.group(1).lower()}:. "
                "Enter it like https://yourcompany.example.com."
            )
        if bare is not None and bare.group(1).lower() in ("mailto", "file", "javascript", "data"):
            raise InvalidUrl(_scheme_sentence(bare.group(1)))
        text = "https://" + text
    else:
        scheme = scheme_match.group(1).lower()
        if scheme not in ("http", "https"):
            raise InvalidUrl(_scheme_sentence(scheme_match.group(1)))
    parts = urlsplit(text)
    if "@" in parts.netloc:
        raise InvalidUrl(
            "The deployment URL contains a user name or password. Remove them (the part "
            "before @): the API key is all Seedly needs."
        )
    host = parts.hostname or ""
    if not host:
        raise InvalidUrl(f"The deployment URL has no host name. {URL_HELP}")
    bracketed = parts.netloc.startswith("[")
    if not bracketed and not _HOST_RE.match(host):
        raise InvalidUrl(
            f"The host name “{host}” is not valid. Check the deployment URL for typing mistakes."
        )
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidUrl(
                f"The address “{host}” is not a valid IPv6 address. Check the deployment URL."
            ) from None
    try:
        port = parts.port
    except ValueError:
        raise InvalidUrl(
            "The port in the deployment URL is not a number between 1 and 65535. Check the "
            "part after the colon."
        ) from None
    if port == 0:
        raise InvalidUrl(
            "The port in the deployment URL cannot be 0. Check the part after the colon."
        )
    netloc = f"[{host}]" if bracketed else host.lower()
    if port is not None:
        netloc += f":{port}"
    path = parts.path
    cut = _api_prefix_at(path)
    if cut is not None:
        path = path[:cut]
    path = path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def _scheme_sentence(scheme: str) -> str:
    return (
        f"The deployment URL must start with https:// (or http:// for a local test server), "
        f"not {scheme}:. {URL_HELP}"
    )


def _api_prefix_at(path: str) -> int | None:
    """Where ``/api/v1`` starts as a path segment in ``path`` (case-insensitive), or None."""
    lowered = path.lower()
    start = 0
    while (found := lowered.find(API_PREFIX, start)) != -1:
        end = found + len(API_PREFIX)
        if end == len(lowered) or lowered[end] == "/":
            return found
        start = found + 1
    return None


def url_problem(raw: str) -> str | None:
    """A sentence saying why ``raw`` cannot be a deployment URL, or None when it can."""
    try:
        normalize_url(raw)
    except InvalidUrl as exc:
        return exc.message
    return None


def display_host(url: str) -> str:
    """``host[:port]`` of a normalised URL, for messages."""
    parts = urlsplit(url)
    return parts.netloc or url


def is_local_host(url: str) -> bool:
    """Whether ``url`` points at this computer (``localhost`` or a loopback address)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- results -----------------------------------------------------------------------------


class InputField(StrEnum):
    """Which input of the dialog a failure concerns."""

    URL = "url"
    KEY = "key"
    NONE = "none"
    """Neither: a passing problem (rate limit, a server error) — try again."""


class FailureKind(StrEnum):
    """Why a check failed; the UI may pick an icon or an action by it."""

    INVALID_URL = "invalid_url"
    MALFORMED_KEY = "malformed_key"
    DNS = "dns"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls"
    NOT_SEEDLY = "not_seedly"
    UNAUTHORIZED = "unauthorized"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_AGENCY = "not_agency"
    NO_SUB_ACCOUNTS = "no_sub_accounts"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True)
class ConnectionFailure:
    """Why the URL and key do not work together: a sentence for the field it concerns."""

    kind: FailureKind
    field: InputField
    message: str
    """What happened and what to do, in one or two sentences (never contains the key)."""


class ScopeState(StrEnum):
    """What a probe found out about one scope."""

    PRESENT = "present"
    MISSING = "missing"
    UNKNOWN = "unknown"


SCOPE_BLOCKS: dict[str, str] = {
    "contacts:read": "see, search or pick contacts",
    "contacts:write": "create, edit or delete contacts, or import contacts from a CSV file",
    "conversations:read": "see the inbox or read message threads",
    "conversations:write": "send messages, or close, snooze and assign conversations",
    "calendars:read": "see calendars, free slots or appointments",
    "calendars:write": "book or cancel appointments",
    "webhooks:manage": "see or change webhook subscriptions",
}
"""What the app cannot do without each scope (completes "you cannot …")."""


SCOPE_NAMES: dict[str, str] = {
    "contacts:read": "See contacts",
    "contacts:write": "Change contacts",
    "conversations:read": "See conversations",
    "conversations:write": "Send messages",
    "calendars:read": "See calendars",
    "calendars:write": "Book appointments",
    "webhooks:manage": "Manage webhooks",
}
"""Each scope in plain words, as the app shows it (the scope itself is secondary text)."""


def scope_name(scope: str) -> str:
    """ "Send messages" for ``conversations:write``; an unknown scope as written."""
    return SCOPE_NAMES.get(scope, scope)


def scope_consequence(scope: str) -> str:
    """ "Without the permission “Send messages” (conversations:write) you cannot send
    messages, …" for ``scope``: the plain words first, the technical name in brackets."""
    blocks = SCOPE_BLOCKS.get(scope)
    name = SCOPE_NAMES.get(scope)
    who = f"the permission “{name}” ({scope})" if name else f"the permission {scope}"
    if blocks is None:
        return f"Without {who} some features of the app will not work."
    return f"Without {who} you cannot {blocks}."


@dataclass(frozen=True)
class ScopeFinding:
    """One scope and whether the key has it."""

    scope: str
    state: ScopeState
    detail: str = ""
    """How it was found out, or why it could not be (a sentence)."""

    @property
    def consequence(self) -> str:
        """What the app cannot do without this scope."""
        return scope_consequence(self.scope)


@dataclass(frozen=True)
class ConnectionCheck:
    """Everything a connection check found; ``ok`` when the URL and key work together.

    When ``ok`` is false, ``failure`` says why; the other fields hold what was
    learnt before the failure (the key's kind is known even when the server
    refused it). ``scopes`` lists every scope of ``app.core.constants.SCOPES``
    in that order.
    """

    entered_url: str
    url: str
    """The normalised deployment URL ("" when the entered text is not a URL)."""
    key: KeyInfo
    masked_key: str
    """The key as it may be shown (``sk_test_…7ZkS``)."""
    failure: ConnectionFailure | None = None
    sub_accounts: tuple[SubAccount, ...] = ()
    """Agency keys: every sub-account the key reaches (``GET /api/v1/sub-accounts``)."""
    probed_sub_account: SubAccount | None = None
    """Agency keys: the sub-account the scope probes ran against (the first one)."""
    scopes: tuple[ScopeFinding, ...] = ()
    warnings: tuple[str, ...] = ()
    """Sentences the user should read even though the check passed."""
    elapsed: float = 0.0
    fingerprint: str = field(default="", repr=False, compare=False)
    """A salted, per-process digest of URL and key: ``matches(url, key)`` tells whether
    this check was made for them (so a save cannot use another key's result)."""

    @property
    def ok(self) -> bool:
        """The URL and key work together."""
        return self.failure is None

    @property
    def key_kind(self) -> KeyKind:
        """Agency, sub-account or unknown (from the prefix)."""
        return self.key.kind

    @property
    def key_mode(self) -> KeyMode:
        """Live or test (from the prefix)."""
        return self.key.mode

    def _scopes_in(self, state: ScopeState) -> tuple[str, ...]:
        return tuple(f.scope for f in self.scopes if f.state is state)

    @property
    def present_scopes(self) -> tuple[str, ...]:
        """Scopes the key has."""
        return self._scopes_in(ScopeState.PRESENT)

    @property
    def missing_scopes(self) -> tuple[str, ...]:
        """Scopes the key lacks (the server said so)."""
        return self._scopes_in(ScopeState.MISSING)

    @property
    def unknown_scopes(self) -> tuple[str, ...]:
        """Scopes the check could not find out about."""
        return self._scopes_in(ScopeState.UNKNOWN)

    @property
    def missing_recommended(self) -> tuple[ScopeFinding, ...]:
        """Findings of the API's recommended scopes (docs/api/seedly-crm.md §2) the key lacks,
        with what each blocks."""
        return tuple(
            f
            for f in self.scopes
            if f.state is ScopeState.MISSING and f.scope in RECOMMENDED_SCOPES
        )

    @property
    def read_only(self) -> bool:
        """The key can read but has none of the write scopes."""
        writes = ("contacts:write", "conversations:write", "calendars:write", "webhooks:manage")
        return bool(self.present_scopes) and not any(s in self.present_scopes for s in writes)

    def matches(self, url: str, api_key: str) -> bool:
        """Whether this check was made for ``url`` (as entered or normalised) and ``api_key``."""
        if not self.fingerprint:
            return False
        try:
            normalised = normalize_url(url)
        except InvalidUrl:
            return False
        return hmac.compare_digest(self.fingerprint, _fingerprint(normalised, clean_key(api_key)))

    def summary(self) -> str:
        """One line: kind, mode, sub-accounts and scopes (for a status line or a log)."""
        if self.failure is not None:
            return self.failure.message
        parts = [key_kind_label(self.key)]
        if self.key.is_agency:
            count = len(self.sub_accounts)
            parts.append(f"{count} sub-account{'s' if count != 1 else ''}")
        parts.append(f"{len(self.present_scopes)} of {len(SCOPES)} permissions")
        return " · ".join(parts)


def key_kind_label(key: KeyInfo) -> str:
    """ "Agency key (test)", "Sub-account key (live)"."""
    kind = {
        KeyKind.AGENCY: "Agency key",
        KeyKind.SUB_ACCOUNT: "Sub-account key",
    }.get(key.kind, "Unknown key")
    if key.mode is KeyMode.UNKNOWN:
        return kind
    return f"{kind} ({key.mode.value})"


def _fingerprint(url: str, api_key: str) -> str:
    return hmac.new(_FINGERPRINT_SALT, f"{url}\n{api_key}".encode(), hashlib.sha256).hexdigest()


# -- scope probes ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeProbe:
    """A request that tells whether the key has ``scope`` without changing anything."""

    scope: str
    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None

    @property
    def writes(self) -> bool:
        """A write probe: 404/400 (the record was looked for) mean the scope is present."""
        return self.method != "GET"

    def describe(self) -> str:
        """``PATCH /api/v1/contacts/…`` (for details and logs)."""
        return f"{self.method} {self.path}"


SCOPE_PROBES: tuple[ScopeProbe, ...] = (
    ScopeProbe("contacts:read", "GET", f"{API_PREFIX}/contacts", params={"limit": 1}),
    ScopeProbe("contacts:write", "PATCH", f"{API_PREFIX}/contacts/{SCOPE_PROBE_ID}", body={}),
    ScopeProbe("conversations:read", "GET", f"{API_PREFIX}/conversations", params={"limit": 1}),
    ScopeProbe(
        "conversations:write", "PATCH", f"{API_PREFIX}/conversations/{SCOPE_PROBE_ID}", body={}
    ),
    ScopeProbe("calendars:read", "GET", f"{API_PREFIX}/calendars"),
    # DELETE on an id that cannot exist: nothing to cancel, and no body to validate.
    ScopeProbe(
        "calendars:write", "DELETE", f"{API_PREFIX}/calendars/appointments/{SCOPE_PROBE_ID}"
    ),
    ScopeProbe("webhooks:manage", "GET", f"{API_PREFIX}/webhooks"),
)
"""One probe per scope of the API (docs/api/seedly-crm.md §2), in the order of ``SCOPES``."""

IDENTITY_PROBE = SCOPE_PROBES[0]
"""The first request of a sub-account key: tells whether this is Seedly and the key works."""


def interpret_probe(probe: ScopeProbe, error: BaseException | None) -> ScopeFinding:
    """What the answer to ``probe`` says about its scope (``error`` None: it succeeded).

    - 2xx: present.
    - 403 naming the probe's scope: missing.
    - write probes, 404 or 400 in Seedly's envelope: present — the server got
      past the scope check and then found no such record (or refused the empty
      body).
    - anything else (another 403, a 404 on a list, a rate limit, no answer):
      unknown, with the reason.
    """
    if error is None:
        return ScopeFinding(probe.scope, ScopeState.PRESENT, f"{probe.describe()} was allowed.")
    if isinstance(error, Forbidden):
        if error.scope == probe.scope:
            return ScopeFinding(
                probe.scope,
                ScopeState.MISSING,
                f"Seedly refused {probe.describe()}: {_said(error)}",
            )
        if error.scope:
            return ScopeFinding(
                probe.scope,
                ScopeState.UNKNOWN,
                f"Seedly asked for {error.scope} instead of {probe.scope}, so this permission "
                "could not be checked.",
            )
        return ScopeFinding(
            probe.scope,
            ScopeState.UNKNOWN,
            f"Seedly refused {probe.describe()} without naming a permission: {_said(error)}",
        )
    if (
        probe.writes
        and isinstance(error, NotFound | ValidationFailed)
        and getattr(error, "from_envelope", False)
    ):
        return ScopeFinding(
            probe.scope,
            ScopeState.PRESENT,
            f"{probe.describe()} passed the permission check (the made-up record was not found).",
        )
    if isinstance(error, RateLimited):
        return ScopeFinding(
            probe.scope,
            ScopeState.UNKNOWN,
            "Seedly limited the requests of this key before this permission was checked.",
        )
    if isinstance(error, NetworkError):
        return ScopeFinding(
            probe.scope, ScopeState.UNKNOWN, "No answer came for this permission's check."
        )
    return ScopeFinding(
        probe.scope,
        ScopeState.UNKNOWN,
        f"{probe.describe()} got an answer that does not tell: {_said(error)}",
    )


def _said(error: BaseException) -> str:
    """The server's (already redacted) message as a sentence."""
    text = (error.message if isinstance(error, ApiError) else str(error)).strip()
    if not text:
        text = type(error).__name__
    return text if text[-1:] in ".!?" else text + "."


# -- failures ----------------------------------------------------------------------------


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and its causes (explicit first, then implicit), each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _seconds(timeout: float) -> str:
    whole = round(timeout)
    return f"{whole} second{'s' if whole != 1 else ''}" if whole >= 1 else f"{timeout:g} seconds"


def _network_failure(error: NetworkError, url: str, timeout: float) -> ConnectionFailure:
    host = display_host(url)
    chain = list(_chain(error))
    if isinstance(error, RequestTimeout):
        if any(isinstance(c, httpx.ConnectTimeout | httpx.PoolTimeout) for c in chain):
            message = (
                f"{host} did not accept a connection within {_seconds(timeout)}. Check the "
                "deployment URL and your internet connection; a firewall or VPN may be "
                "blocking it."
            )
        else:
            message = (
                f"{host} accepted the connection but did not answer within {_seconds(timeout)}. "
                "Try again in a moment; if it keeps happening, check that the URL is your "
                "Seedly CRM deployment."
            )
        return ConnectionFailure(FailureKind.TIMEOUT, InputField.URL, message)
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = str(
                getattr(cause, "verify_message", None)
                or getattr(cause, "reason", None)
                or "certificate verification failed"
            ).rstrip(". ")
            return ConnectionFailure(
                FailureKind.TLS,
                InputField.URL,
                f"The security certificate of {host} could not be verified ({detail}). Check "
                "the deployment URL; if it is right, the server's certificate needs fixing, "
                "or something on your network is intercepting secure connections.",
            )
    for cause in chain:
        if isinstance(cause, ssl.SSLError) and not isinstance(
            cause, ssl.SSLWantReadError | ssl.SSLWantWriteError
        ):
            reason = (getattr(cause, "reason", None) or "").upper()
            if reason in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE") or (
                "wrong version number" in str(cause).lower()
            ):
                message = (
                    f"{host} does not answer secure (HTTPS) connections. If it is a local test "
                    "server, enter the URL with http:// instead."
                )
            else:
                message = (
                    f"A secure connection to {host} could not be set up "
                    f"({getattr(cause, 'reason', None) or type(cause).__name__}). Check the "
                    "deployment URL and try again."
                )
            return ConnectionFailure(FailureKind.TLS, InputField.URL, message)
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return ConnectionFailure(
                FailureKind.DNS,
                InputField.URL,
                f"The address {urlsplit(url).hostname or host} could not be found (the DNS "
                "lookup failed). Check the deployment URL for typing mistakes and that this "
                "computer is online.",
            )
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError):
            return ConnectionFailure(
                FailureKind.REFUSED,
                InputField.URL,
                f"{host} refused the connection: nothing is listening there. Check the "
                "deployment URL and port; if they are right, the server may be down.",
            )
    unreachable = {
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        getattr(errno, "EHOSTDOWN", errno.EHOSTUNREACH),
        getattr(errno, "ENETDOWN", errno.ENETUNREACH),
    }
    for cause in chain:
        if isinstance(cause, OSError) and cause.errno in unreachable:
            return ConnectionFailure(
                FailureKind.UNREACHABLE,
                InputField.URL,
                f"{host} cannot be reached from this computer (no network route to it). Check "
                "your internet connection or VPN and try again.",
            )
    return ConnectionFailure(
        FailureKind.UNREACHABLE,
        InputField.URL,
        f"{host} could not be reached. Check your internet connection and the deployment URL, "
        "then try again.",
    )


def _not_seedly(url: str, what: str) -> ConnectionFailure:
    return ConnectionFailure(
        FailureKind.NOT_SEEDLY,
        InputField.URL,
        f"{display_host(url)} answers, but not as a Seedly CRM API: {what}. Check the "
        f"deployment URL. {URL_HELP}",
    )


def describe_failure(error: BaseException, url: str, timeout: float) -> ConnectionFailure:
    """The sentence (and the input it concerns) for an error that stops a check.

    ``url`` is the normalised deployment URL; ``timeout`` the per-request limit
    that was used (timeouts name it).
    """
    host = display_host(url)
    if isinstance(error, KeyRevoked):
        return ConnectionFailure(FailureKind.REVOKED, InputField.KEY, error.user_message)
    if isinstance(error, KeyExpired):
        return ConnectionFailure(FailureKind.EXPIRED, InputField.KEY, error.user_message)
    if isinstance(error, Unauthorized):
        if not error.from_envelope:
            return _not_seedly(url, "it asked for a login of another kind (HTTP 401)")
        return ConnectionFailure(
            FailureKind.UNAUTHORIZED,
            InputField.KEY,
            "Seedly did not accept this API key. Check that you copied the whole key and that "
            f"it belongs to this deployment ({host}), or create a new key in {KEYS_PATH} and "
            "paste it here.",
        )
    if isinstance(error, NetworkError):
        return _network_failure(error, url, timeout)
    if isinstance(error, InvalidResponse):
        return _not_seedly(url, "its answer is not Seedly's JSON (it may be a web page)")
    if isinstance(error, RateLimited):
        wait = f"{_seconds(error.retry_after)}" if error.retry_after else "a minute"
        return ConnectionFailure(
            FailureKind.RATE_LIMITED,
            InputField.NONE,
            f"Seedly is receiving too many requests from this key. Wait {wait} and check again.",
        )
    if isinstance(error, ServerError):
        if error.from_envelope:
            return ConnectionFailure(
                FailureKind.SERVER_ERROR,
                InputField.NONE,
                f"Seedly at {host} had a problem on its side (HTTP {error.status}). Try the "
                "check again in a moment.",
            )
        return ConnectionFailure(
            FailureKind.SERVER_ERROR,
            InputField.URL,
            f"{host} answered with a server error (HTTP {error.status}): Seedly may be down, "
            "or the URL points at something else. Check the deployment URL and try again in "
            "a moment.",
        )
    if isinstance(error, ApiError):
        status = error.status or 0
        if 300 <= status < 400:
            hint = " (usually the https:// address)" if url.startswith("http://") else ""
            return ConnectionFailure(
                FailureKind.NOT_SEEDLY,
                InputField.URL,
                f"{host} redirects the request elsewhere (HTTP {status}). Enter the address it "
                f"redirects to{hint} as the deployment URL.",
            )
        if isinstance(error, NotFound) and error.from_envelope:
            path = urlsplit(url).path
            fix = (
                f"Remove “{path}” from the deployment URL." if path else "Check the deployment URL."
            )
            return ConnectionFailure(
                FailureKind.NOT_SEEDLY,
                InputField.URL,
                f"{host} answers like Seedly, but there is no API at {path or ''}{API_PREFIX}. "
                f"{fix}",
            )
        if not error.from_envelope:
            what = (
                f"it answered HTTP {status} without Seedly's error format"
                if status
                else ("its answer does not follow Seedly's format")
            )
            return _not_seedly(url, what)
        if isinstance(error, Forbidden):
            return ConnectionFailure(
                FailureKind.UNEXPECTED,
                InputField.KEY,
                f"Seedly refused this key: {_said(error)} Check the key's permissions in "
                f"{KEYS_PATH}.",
            )
        return ConnectionFailure(
            FailureKind.UNEXPECTED,
            InputField.NONE,
            f"The check stopped on an unexpected answer from {host}: {_said(error)} Try again; "
            "if it keeps happening, check the deployment URL and the key.",
        )
    # Not an API error (a bug, or httpx refusing the URL): say so without details that
    # could carry the key.
    log.warning("connection check stopped by %s", type(error).__name__, exc_info=error)
    return ConnectionFailure(
        FailureKind.UNEXPECTED,
        InputField.URL,
        f"The check of {host} stopped unexpectedly ({type(error).__name__}). Check the "
        "deployment URL and try again.",
    )


def _is_global(error: BaseException) -> bool:
    """An error that stops the whole check, wherever it comes (a key revoked meanwhile)."""
    return isinstance(error, Unauthorized) and error.from_envelope


# -- the check ---------------------------------------------------------------------------


def check_client(
    url: str,
    api_key: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    http_transport: httpx.AsyncBaseTransport | None = None,
) -> SeedlyClient:
    """A client for checks: short timeouts, one attempt, no waiting out 429s."""
    return SeedlyClient(
        url,
        api_key,
        timeouts=Timeouts(connect=timeout, read=timeout, write=timeout, pool=min(timeout, 2.0)),
        retry=RetryPolicy(attempts=1, rate_limit_waits=0, max_retry_after=0.0),
        http_transport=http_transport,
    )


async def _run_probe(
    transport: Transport, headers: dict[str, str], probe: ScopeProbe
) -> BaseException | None:
    """Send ``probe``; None when it succeeded, else the error (never raises but cancellation)."""
    try:
        response = await transport.request(
            probe.method, probe.path, params=probe.params, json_body=probe.body, headers=headers
        )
        if probe.writes:
            return None
        # A read must come back in Seedly's envelope: a 200 web page is not Seedly.
        body = json_of(response)
        if not isinstance(body, dict) or "data" not in body:
            return InvalidResponse(f"{probe.describe()} answered without Seedly's envelope")
        return None
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every failure is an answer about the scope or the connection
        return exc


async def check_connection(
    url: str,
    api_key: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    http_transport: httpx.AsyncBaseTransport | None = None,
) -> ConnectionCheck:
    """Check that ``url`` is a Seedly CRM deployment that accepts ``api_key``, and find the
    key's kind, sub-accounts and scopes (see the module docstring).

    Never raises for a failed check (``result.failure`` says why); cancelling the
    awaiting task stops it and closes its connections. ``timeout`` bounds each
    request (connect and answer); ``http_transport`` replaces the network (tests).
    """
    started = time.monotonic()
    key = clean_key(api_key)
    info = key_info(key)
    masked = mask_key(key) if info.kind is not KeyKind.UNKNOWN else "…"
    try:
        base = normalize_url(url)
    except InvalidUrl as exc:
        return ConnectionCheck(
            entered_url=url,
            url="",
            key=info,
            masked_key=masked,
            failure=ConnectionFailure(FailureKind.INVALID_URL, InputField.URL, exc.message),
        )
    problem = key_problem(key)
    if problem is not None:
        return ConnectionCheck(
            entered_url=url,
            url=base,
            key=info,
            masked_key=masked,
            failure=ConnectionFailure(FailureKind.MALFORMED_KEY, InputField.KEY, problem),
        )
    warnings: list[str] = []
    if base.startswith("http://") and not is_local_host(base):
        warnings.append(
            "This address uses http://, so the API key would travel unencrypted. Use https:// "
            "unless this is a test server on your own network."
        )
    client = check_client(base, key, timeout=timeout, http_transport=http_transport)
    result = _Partial(url, base, info, masked, warnings)
    try:
        await _check(client, result, timeout)
    finally:
        await client.aclose()
    check = result.build(time.monotonic() - started, _fingerprint(base, key))
    log.info(
        "connection check of %s with %s: %s",
        base,
        masked,
        check.failure.kind.value if check.failure else check.summary(),
    )
    return check


@dataclass
class _Partial:
    """What a running check has found so far."""

    entered_url: str
    url: str
    key: KeyInfo
    masked_key: str
    warnings: list[str]
    failure: ConnectionFailure | None = None
    sub_accounts: list[SubAccount] = field(default_factory=list)
    probed: SubAccount | None = None
    findings: dict[str, ScopeFinding] = field(default_factory=dict)

    def build(self, elapsed: float, fingerprint: str) -> ConnectionCheck:
        scopes: tuple[ScopeFinding, ...] = ()
        warnings = list(self.warnings)
        if self.failure is None:
            scopes = tuple(
                self.findings.get(s)
                or ScopeFinding(s, ScopeState.UNKNOWN, "This permission was not checked.")
                for s in SCOPES
            )
            unknown = [f.scope for f in scopes if f.state is ScopeState.UNKNOWN]
            if unknown:
                warnings.append(
                    f"The check could not tell whether the key has {_join(unknown)}; the app "
                    "will find out when it first needs them."
                )
            for finding in scopes:
                if finding.state is ScopeState.MISSING and finding.scope in RECOMMENDED_SCOPES:
                    warnings.append(finding.consequence)
        return ConnectionCheck(
            entered_url=self.entered_url,
            url=self.url,
            key=self.key,
            masked_key=self.masked_key,
            failure=self.failure,
            sub_accounts=tuple(self.sub_accounts),
            probed_sub_account=self.probed,
            scopes=scopes,
            warnings=tuple(warnings),
            elapsed=elapsed,
            fingerprint=fingerprint if self.failure is None else "",
        )


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


async def _check(client: SeedlyClient, result: _Partial, timeout: float) -> None:
    """Fill ``result`` (see ``check_connection``)."""
    url = result.url
    headers: dict[str, str] = {}
    probes = list(SCOPE_PROBES)
    if result.key.is_agency:
        try:
            subs = await client.list_sub_accounts()
        except Forbidden as exc:
            if not exc.from_envelope:
                result.failure = describe_failure(exc, url, timeout)
                return
            result.failure = ConnectionFailure(
                FailureKind.NOT_AGENCY,
                InputField.KEY,
                f"The key starts with {result.key.prefix or AGENCY_KEY_PREFIXES[0]}, but Seedly "
                f"did not accept it as an agency-wide key: {_said(exc)} Paste the key exactly "
                "as Seedly showed it, or use a sub-account key (sk_live_ or sk_test_).",
            )
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            result.failure = describe_failure(exc, url, timeout)
            return
        result.sub_accounts = list(subs)
        if not subs:
            result.failure = ConnectionFailure(
                FailureKind.NO_SUB_ACCOUNTS,
                InputField.KEY,
                "This agency key works, but it reaches no sub-accounts. Create a sub-account "
                "in Seedly, or ask the agency owner for access, then check again.",
            )
            return
        result.probed = subs[0]
        headers = {AGENCY_HEADER: subs[0].id}
    else:
        # The first probe alone: its answer says whether this is Seedly and the key works.
        error = await _run_probe(client.transport, headers, IDENTITY_PROBE)
        if error is not None and not (
            isinstance(error, Forbidden) and getattr(error, "from_envelope", False)
        ):
            result.failure = describe_failure(error, url, timeout)
            return
        result.findings[IDENTITY_PROBE.scope] = interpret_probe(IDENTITY_PROBE, error)
        probes.remove(IDENTITY_PROBE)
    errors = await asyncio.gather(
        *(_run_probe(client.transport, headers, probe) for probe in probes)
    )
    for error in errors:
        if error is not None and _is_global(error):
            result.failure = describe_failure(error, url, timeout)
            return
    for probe, error in zip(probes, errors, strict=True):
        result.findings[probe.scope] = interpret_probe(probe, error)
    if any(isinstance(e, RateLimited) for e in errors):
        result.warnings.append(
            "Seedly limited this key's requests during the check; check again in a minute to "
            "see every permission."
        )


# -- is a new key for the same account? ----------------------------------------------------


class AccountMatch(StrEnum):
    """Whether a new key acts for the same account as the key it replaces."""

    SAME = "same"
    DIFFERENT = "different"
    UNVERIFIABLE = "unverifiable"
    """Nothing to compare (no cached records, or the key may not read them)."""
    FAILED = "failed"
    """The comparison could not run (network, server); try again."""


@dataclass(frozen=True)
class AccountComparison:
    """The result of ``compare_account``; ``message`` explains anything but SAME."""

    match: AccountMatch
    message: str = ""


async def compare_account(
    url: str,
    api_key: str,
    *,
    check: ConnectionCheck,
    known_contact_ids: Sequence[str] = (),
    known_sub_account_ids: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    http_transport: httpx.AsyncBaseTransport | None = None,
) -> AccountComparison:
    """Whether ``api_key`` (already checked: ``check``) acts for the same account as the key
    it replaces.

    Agency keys: the sub-account ids the new key lists (``check.sub_accounts``)
    must share one with ``known_sub_account_ids``. Sub-account keys, whose
    sub-account the API never names: one of ``known_contact_ids`` (ids cached
    under the old key) must be readable with the new key — a key of another
    sub-account answers 404 for every one of them. Stops at the first id found.
    """
    if check.key.is_agency:
        if not known_sub_account_ids:
            return AccountComparison(
                AccountMatch.UNVERIFIABLE, "No sub-accounts were saved to compare with."
            )
        if {s.id for s in check.sub_accounts} & set(known_sub_account_ids):
            return AccountComparison(AccountMatch.SAME)
        return AccountComparison(
            AccountMatch.DIFFERENT,
            "This agency key reaches none of the sub-accounts of the saved connection, so it "
            "belongs to another agency. Paste a key of the same agency, or add this key as a "
            "new connection.",
        )
    ids = [i for i in dict.fromkeys(known_contact_ids) if i][:5]
    if not ids:
        return AccountComparison(
            AccountMatch.UNVERIFIABLE, "No contacts are cached for this connection yet."
        )
    if "contacts:read" not in check.present_scopes:
        return AccountComparison(
            AccountMatch.UNVERIFIABLE,
            "The new key cannot read contacts, so the app cannot compare it with the old one.",
        )
    client = check_client(
        normalize_url(url), clean_key(api_key), timeout=timeout, http_transport=http_transport
    )
    try:
        for contact_id in ids:
            try:
                await client.transport.request(
                    "GET", f"{API_PREFIX}/contacts/{quote(contact_id, safe='')}"
                )
            except NotFound as exc:
                if exc.from_envelope:
                    continue
                return AccountComparison(
                    AccountMatch.FAILED, describe_failure(exc, url, timeout).message
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                return AccountComparison(
                    AccountMatch.FAILED, describe_failure(exc, url, timeout).message
                )
            return AccountComparison(AccountMatch.SAME)
    finally:
        await client.aclose()
    return AccountComparison(
        AccountMatch.DIFFERENT,
        "This key belongs to another sub-account: none of the contacts saved for this "
        "connection exist for it. Paste a key of the same sub-account, or add this key as a "
        "new connection.",
    )


__all__ = [
    "DEFAULT_TIMEOUT",
    "SCOPE_BLOCKS",
    "SCOPE_NAMES",
    "SCOPE_PROBES",
    "SCOPE_PROBE_ID",
    "AccountComparison",
    "AccountMatch",
    "ConnectionCheck",
    "ConnectionFailure",
    "FailureKind",
    "InputField",
    "InvalidUrl",
    "ScopeFinding",
    "ScopeProbe",
    "ScopeState",
    "check_client",
    "check_connection",
    "compare_account",
    "describe_failure",
    "display_host",
    "interpret_probe",
    "is_local_host",
    "key_kind_label",
    "normalize_url",
    "scope_consequence",
    "scope_name",
    "url_problem",
]
