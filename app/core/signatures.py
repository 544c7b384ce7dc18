"""HMAC-SHA256 signatures of webhook bodies (docs/api/seedly-crm.md §7 and §8):
``X-Webhook-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>``.

Used to verify deliveries in the webhook inspector and to sign inbound
workflow triggers. Always over the raw bytes as received: re-serialising the
JSON would change them.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def sign_body(raw_body: bytes, secret: str) -> str:
    """The header value for ``raw_body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(raw_body: bytes, header: str | None, secret: str) -> bool:
    """Whether ``header`` is the signature of ``raw_body`` with ``secret``, compared in
    constant time. A missing or malformed header is simply not valid."""
    if not header or not secret:
        return False
    expected = sign_body(raw_body, secret)
    candidate = header.strip()
    # The hex digest's case is not significant; the prefix is.
    if candidate[: len(SIGNATURE_PREFIX)].lower() != SIGNATURE_PREFIX:
        return False
    candidate = SIGNATURE_PREFIX + candidate[len(SIGNATURE_PREFIX) :].lower()
    return hmac.compare_digest(candidate.encode("ascii", "replace"), expected.encode("ascii"))


__all__ = ["SIGNATURE_PREFIX", "sign_body", "verify_signature"]
