"""API keys: what kind a key is (from its prefix), a format check for the connection
dialog, display masking, and redaction of anything key-shaped in log text.

docs/api/seedly-crm.md §2: ``sk_live_`` / ``sk_test_`` keys belong to one sub-account;
``sk_agency_live_`` / ``sk_agency_test_`` keys work across an agency's
sub-accounts and need ``X-Sub-Account-Id`` on every call.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from app.core.constants import AGENCY_KEY_PREFIXES, SUB_ACCOUNT_KEY_PREFIXES

REDACTED = "[REDACTED]"
WEBHOOK_SECRET_PREFIX = "whsec_"
# Shorter than this after the prefix is a truncated paste, not a key.
_MIN_SECRET_CHARS = 8


class KeyKind(StrEnum):
    """Who a key acts for."""

    SUB_ACCOUNT = "sub_account"
    AGENCY = "agency"
    UNKNOWN = "unknown"


class KeyMode(StrEnum):
    """Production (live) or sandbox (test) key."""

    LIVE = "live"
    TEST = "test"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeyInfo:
    """What a key's prefix says about it."""

    kind: KeyKind
    mode: KeyMode
    prefix: str
    """The recognised prefix (``"sk_agency_test_"``), or ``""``."""

    @property
    def is_agency(self) -> bool:
        """Agency keys need ``X-Sub-Account-Id`` and may list sub-accounts."""
        return self.kind is KeyKind.AGENCY

    @property
    def is_live(self) -> bool:
        """A production key (``_live_``)."""
        return self.mode is KeyMode.LIVE

    @property
    def is_test(self) -> bool:
        """A sandbox key (``_test_``)."""
        return self.mode is KeyMode.TEST


def clean_key(raw: str) -> str:
    """The key as the user meant it: surrounding whitespace and quotes removed, and a
    pasted ``Bearer `` (copied from a header) dropped."""
    key = raw.strip().strip("\"'").strip()
    if key[:7].lower() == "bearer ":
        key = key[7:].strip()
    return key


def key_info(key: str) -> KeyInfo:
    """Kind and mode of ``key`` from its prefix (case-sensitive, like the server)."""
    key = key.strip()
    # Agency prefixes first: they are the longer, more specific ones.
    for prefix in AGENCY_KEY_PREFIXES:
        if key.startswith(prefix):
            return KeyInfo(KeyKind.AGENCY, _mode_of(prefix), prefix)
    for prefix in SUB_ACCOUNT_KEY_PREFIXES:
        if key.startswith(prefix):
            return KeyInfo(KeyKind.SUB_ACCOUNT, _mode_of(prefix), prefix)
    return KeyInfo(KeyKind.UNKNOWN, KeyMode.UNKNOWN, "")


def _mode_of(prefix: str) -> KeyMode:
    if "_live_" in prefix:
        return KeyMode.LIVE
    if "_test_" in prefix:
        return KeyMode.TEST
    return KeyMode.UNKNOWN


def key_kind(key: str) -> KeyKind:
    """``KeyKind`` of ``key``: sub-account, agency or unknown."""
    return key_info(key).kind


def key_problem(key: str) -> str | None:
    """A sentence saying why ``key`` cannot be a Seedly API key, or None when it looks
    right. Checks the shape only; the server decides whether it is valid."""
    if not key.strip():
        return "Paste the API key."
    if any(ch.isspace() for ch in key.strip()):
        return "The key contains spaces or line breaks. Copy it again and paste it in one piece."
    if key.strip().startswith(WEBHOOK_SECRET_PREFIX):
        return (
            "This is a webhook signing secret, not an API key. API keys start with sk_ "
            "and are created in Settings → Integrations → API Keys."
        )
    info = key_info(key)
    if info.kind is KeyKind.UNKNOWN:
        prefixes = ", ".join((*SUB_ACCOUNT_KEY_PREFIXES, *AGENCY_KEY_PREFIXES))
        return f"This does not look like a Seedly API key: keys start with {prefixes}."
    if len(key.strip()) - len(info.prefix) < _MIN_SECRET_CHARS:
        return "The key looks incomplete. Copy the whole key and paste it again."
    return None


def mask_key(key: str) -> str:
    """A key for display: its prefix and last four characters (``sk_live_…7ZkS``)."""
    key = key.strip()
    info = key_info(key)
    secret = key[len(info.prefix) :]
    if len(secret) < 12:
        # Too short to show any of it without giving most of it away.
        return f"{info.prefix}…"
    return f"{info.prefix}…{secret[-4:]}"


# -- redaction ----------------------------------------------------------------------------

_KNOWN_PREFIXES = (*AGENCY_KEY_PREFIXES, *SUB_ACCOUNT_KEY_PREFIXES)
_SEEDLY_KEY_RE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(re.escape(p) for p in _KNOWN_PREFIXES) + r")[A-Za-z0-9_\-]{4,}"
)
# Other sk_ secrets (other services, future prefixes): long enough not to hit prose.
_GENERIC_SK_RE = re.compile(r"(?<![A-Za-z0-9])sk_[A-Za-z0-9_\-]{16,}")
SEAMLESS_SECRET_PREFIXES = ("slk_", "sla_", "slr_", "slc_")
"""Seamless.AI keys, OAuth access and refresh tokens and authorization codes as the sandbox
issues them (the prefix is kept in logs, like Seedly's)."""
_SEAMLESS_RE = re.compile(
    r"(?<![A-Za-z0-9])("
    + "|".join(re.escape(p) for p in SEAMLESS_SECRET_PREFIXES)
    + r")(?:(?:live|test)_)?[A-Za-z0-9_\-]{4,}"
)
_WHSEC_RE = re.compile(r"(?<![A-Za-z0-9])whsec_[A-Za-z0-9_\-+/=]{4,}")
_AUTH_HEADER_RE = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:([a-z]+)\s+)?([^\s\"',;]+)"
)
_BEARER_RE = re.compile(r"(?i)\b(bearer\s+)([^\s\"',;]+)")
_SECRET_NAME = r"[A-Za-z0-9_\-]*?(?:token|secret|api[_-]?key|password|passwd)"
_NAMED_SECRET_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(" + _SECRET_NAME + r")([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;]+)"
)
# ('Token', 'value') as a tuple or a list of header pairs is printed.
_PAIR_SECRET_RE = re.compile(
    r"(?i)([\"'](" + _SECRET_NAME + r"|authorization)[\"']\s*,\s*[\"'](?:[a-z]+\s+)?)([^\"']+)"
)
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
# Names that end like a secret but hold none: pagination cursors are worth seeing in logs.
_NOT_SECRET_NAMES = frozenset({"nexttoken", "next_token", "pagetoken", "page_token"})


def _mask_token(token: str) -> str:
    if REDACTED in token:
        return token
    for prefix in (*_KNOWN_PREFIXES, *SEAMLESS_SECRET_PREFIXES, WEBHOOK_SECRET_PREFIX):
        if token.startswith(prefix):
            return prefix + REDACTED
    return REDACTED


def _auth_header(match: re.Match[str]) -> str:
    scheme = f"{match.group(2)} " if match.group(2) else ""
    return f"{match.group(1)}{scheme}{_mask_token(match.group(3))}"


def _named_secret(match: re.Match[str]) -> str:
    if match.group(1).lower() in _NOT_SECRET_NAMES:
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{_mask_token(match.group(3))}"


def _pair_secret(match: re.Match[str]) -> str:
    if match.group(2).lower() in _NOT_SECRET_NAMES:
        return match.group(0)
    return f"{match.group(1)}{_mask_token(match.group(3))}"


def redact(text: str) -> str:
    """``text`` with every key-shaped value masked — the one rule for every key and token
    the app handles: Seedly keys and Seamless keys, OAuth tokens and codes (the prefix is
    kept, so a log still tells which kind was used), other ``sk_`` secrets, webhook secrets
    (``whsec_``), bearer tokens and Authorization headers, and ``token``/``secret``/
    ``api_key``/``password`` values written as ``name: value``, ``name=value`` or a
    ``('name', 'value')`` pair. URL-encoded text is decoded first, so ``%5F`` or ``%3D``
    cannot hide a key."""
    if not text:
        return text
    if "%" in text:
        text = _PERCENT_RE.sub(lambda m: chr(int(m.group(0)[1:], 16)), text)
    text = _SEEDLY_KEY_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _GENERIC_SK_RE.sub("sk_" + REDACTED, text)
    text = _SEAMLESS_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _WHSEC_RE.sub(WEBHOOK_SECRET_PREFIX + REDACTED, text)
    text = _PAIR_SECRET_RE.sub(_pair_secret, text)
    text = _AUTH_HEADER_RE.sub(_auth_header, text)
    text = _BEARER_RE.sub(lambda m: m.group(1) + _mask_token(m.group(2)), text)
    return _NAMED_SECRET_RE.sub(_named_secret, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts keys from the message, its arguments and any
    traceback. Attach it to *handlers*: a logger's filters do not see records that
    propagate from child loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; always lets it through."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Bad format arguments: leave the record for logging's own error report.
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


__all__ = [
    "REDACTED",
    "KeyInfo",
    "KeyKind",
    "KeyMode",
    "RedactingFilter",
    "clean_key",
    "key_info",
    "key_kind",
    "key_problem",
    "mask_key",
    "redact",
]
