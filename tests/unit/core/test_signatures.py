"""Webhook body signatures (HMAC-SHA256, sha256=<hex>)."""

from __future__ import annotations

import hashlib
import hmac

from app.core.signatures import sign_body, verify_signature

BODY = b'{"event":"contact.created","timestamp":"2026-03-27T14:30:00.000Z","data":{}}'
SECRET = "whsec_test_secret"


def test_sign_matches_the_seeds_node_example() -> None:
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign_body(BODY, SECRET) == expected


def test_verify() -> None:
    header = sign_body(BODY, SECRET)
    assert verify_signature(BODY, header, SECRET)
    assert verify_signature(BODY, "SHA256=" + header[7:].upper(), SECRET)
    assert not verify_signature(BODY + b" ", header, SECRET)
    assert not verify_signature(BODY, header, "whsec_other")
    assert not verify_signature(BODY, header[7:], SECRET)  # no prefix
    assert not verify_signature(BODY, None, SECRET)
    assert not verify_signature(BODY, "", SECRET)
    assert not verify_signature(BODY, header, "")
    assert not verify_signature(BODY, "sha256=ünïcode", SECRET)
