"""Signing and verifying webhook bodies, and naming the likely mistake when a check fails.

docs/api/seedly-crm.md §7: ``X-Webhook-Signature: sha256=<hex>``, the HMAC-SHA256 of the
raw body with the subscription's secret, compared in constant time (docs/api/seedly-crm.md §11). The
arithmetic is ``app.core.signatures``; this module adds what a person debugging a
receiver needs: when the signature does not match, which of the usual mistakes
explains it — no header, a malformed header, the secret used without its prefix,
a body re-serialised before it was verified, a secret replaced since, or simply
another secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.core.keys import WEBHOOK_SECRET_PREFIX
from app.core.signatures import SIGNATURE_PREFIX, sign_body, verify_signature

_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


class Check(StrEnum):
    """The outcome of one verification; ``VALID`` is the only good one."""

    VALID = "valid"
    MISSING_HEADER = "missing_header"
    MALFORMED_HEADER = "malformed_header"
    NO_SECRET = "no_secret"
    OLD_SECRET = "old_secret"
    SECRET_FORM = "secret_form"
    RESERIALISED = "reserialised"
    WRONG_SECRET = "wrong_secret"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Verification:
    """What a verification found: the check, a sentence for the user, and which secret
    (by its label, e.g. a subscription id) verified the body."""

    check: Check
    message: str
    matched: str | None = None

    @property
    def ok(self) -> bool:
        """The signature is valid (a duplicate delivery is valid too: it is a retry)."""
        return self.check in (Check.VALID, Check.DUPLICATE)


@dataclass(frozen=True)
class KnownSecret:
    """A secret a body may be signed with. ``current`` is False for a secret replaced by a
    regeneration (kept in memory only, to recognise deliveries signed before it)."""

    label: str
    secret: str
    current: bool = True


def sign(raw_body: bytes, secret: str) -> str:
    """The ``X-Webhook-Signature`` value of ``raw_body`` signed with ``secret``."""
    return sign_body(raw_body, secret)


def _reserialisations(raw_body: bytes) -> list[tuple[bytes, str]]:
    """The same JSON written the ways frameworks write it, with how (``raw_body`` excluded)."""
    forms: list[tuple[bytes, str]] = []
    stripped = raw_body.strip()
    if stripped != raw_body:
        forms.append((stripped, "with the surrounding spaces or line breaks removed"))
    forms.append((raw_body + b"\n", "with a line break added at the end"))
    try:
        value: Any = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return forms
    variants: tuple[tuple[dict[str, Any], str], ...] = (
        ({"separators": (",", ":"), "ensure_ascii": False}, "compact (JSON.stringify(body))"),
        ({"separators": (",", ":")}, "compact with escaped characters"),
        ({}, "with spaces after , and : (Python's json.dumps)"),
        ({"ensure_ascii": False}, "with spaces after , and :"),
        ({"indent": 2, "ensure_ascii": False}, "indented (pretty-printed)"),
        ({"separators": (",", ":"), "sort_keys": True, "ensure_ascii": False}, "with keys sorted"),
        ({"sort_keys": True}, "with keys sorted"),
    )
    for options, how in variants:
        text = json.dumps(value, **options).encode("utf-8")
        if text != raw_body:
            forms.append((text, how))
    return forms


def _secret_variants(secret: str) -> list[tuple[str, str]]:
    variants: list[tuple[str, str]] = []
    trimmed = secret.strip().strip("\"'")
    if trimmed != secret:
        variants.append((trimmed, "the secret with spaces or quotes around it removed"))
    if trimmed.startswith(WEBHOOK_SECRET_PREFIX):
        bare = trimmed[len(WEBHOOK_SECRET_PREFIX) :]
        variants.append((bare, f"the secret without its {WEBHOOK_SECRET_PREFIX} prefix"))
        try:
            decoded = base64.b64decode(bare + "=" * (-len(bare) % 4), validate=False)
            variants.append((decoded.decode("latin-1"), "the secret decoded from base64"))
        except (binascii.Error, ValueError):
            pass
    else:
        variants.append((WEBHOOK_SECRET_PREFIX + trimmed, "the secret with a whsec_ prefix"))
    return variants


def _header_problem(header: str | None) -> Verification | None:
    if header is None or not header.strip():
        return Verification(
            Check.MISSING_HEADER,
            "There is no X-Webhook-Signature header, so the body cannot be verified. Every "
            "delivery from Seedly carries one; a proxy or your framework may have dropped it.",
        )
    text = header.strip()
    prefix, _, digest = text.partition("=")
    if not _:
        if _HEX_DIGEST.match(text):
            return Verification(
                Check.MALFORMED_HEADER,
                "The signature has no sha256= prefix. Compare the whole header value, "
                "sha256= included, with the signature you compute.",
            )
        return Verification(
            Check.MALFORMED_HEADER,
            "The signature header is not of the form sha256=<64 hexadecimal characters>.",
        )
    if prefix.lower() != SIGNATURE_PREFIX[:-1]:
        return Verification(
            Check.MALFORMED_HEADER,
            f"The signature uses {prefix}= but Seedly signs with HMAC-SHA256 (sha256=…).",
        )
    if not _HEX_DIGEST.match(digest):
        return Verification(
            Check.MALFORMED_HEADER,
            f"The signature after sha256= has {len(digest)} characters; a SHA-256 signature "
            "has 64 hexadecimal characters (was it cut short when copied?).",
        )
    return None


def verify(raw_body: bytes, header: str | None, secrets: Sequence[KnownSecret]) -> Verification:
    """Verify ``raw_body`` against ``header`` with each of ``secrets`` (constant-time
    comparisons); when none matches, name the likeliest mistake."""
    problem = _header_problem(header)
    if problem is not None:
        return problem
    assert header is not None
    usable = [s for s in secrets if s.secret]
    if not usable:
        return Verification(
            Check.NO_SECRET,
            "No signing secret is kept for this, so the signature cannot be checked. Keep "
            "the secret when it is shown (or regenerate it) to verify deliveries here.",
        )
    for known in usable:
        if known.current and verify_signature(raw_body, header, known.secret):
            return Verification(Check.VALID, "Signature valid.", known.label)
    for known in usable:
        if not known.current and verify_signature(raw_body, header, known.secret):
            return Verification(
                Check.OLD_SECRET,
                "Signed with the secret that was replaced: the old secret stopped working "
                "when it was regenerated, so this delivery fails verification. Retries are "
                "signed with the new secret.",
                known.label,
            )
    current = [s for s in usable if s.current] or usable
    for known in current:
        for variant, how in _secret_variants(known.secret):
            if verify_signature(raw_body, header, variant):
                return Verification(
                    Check.SECRET_FORM,
                    f"The body was signed with {how}. Use the secret exactly as it was shown, "
                    f"{WEBHOOK_SECRET_PREFIX} prefix included.",
                    known.label,
                )
    for known in current:
        for form, how in _reserialisations(raw_body):
            if verify_signature(form, header, known.secret):
                return Verification(
                    Check.RESERIALISED,
                    "The signature matches the same JSON written differently "
                    f"({how}), not these exact bytes: the body was re-serialised before it "
                    "was verified. Compute the signature over the raw body exactly as "
                    "received, before parsing it.",
                    known.label,
                )
    return Verification(
        Check.WRONG_SECRET,
        "The signature does not match: the body was signed with another secret (one that "
        "was regenerated since, or another subscription's), or the body was changed on "
        "the way.",
    )


def verify_pasted(raw_body: str, header: str, secret: str) -> Verification:
    """The verifier's check of a pasted body, header and secret (the body as UTF-8)."""
    return verify(raw_body.encode("utf-8"), header, [KnownSecret("pasted", secret)])


__all__ = [
    "Check",
    "KnownSecret",
    "Verification",
    "sign",
    "verify",
    "verify_pasted",
]
