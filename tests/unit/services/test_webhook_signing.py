"""Signing and verifying webhook bodies (docs/api/seedly-crm.md §7): against the API notes'
Node.js receiver code and Python's own HMAC, and the likely mistake named when it fails."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess

import pytest

from app.services.webhook_signing import Check, KnownSecret, sign, verify, verify_pasted

SECRET = "whsec_Zt8kQv3pX1mN9rB2cL7sD4fG6hJ0wE5y-_aB"
BODY = (
    b'{"event":"message.received","timestamp":"2026-03-27T14:30:00.000Z","data":'
    b'{"subAccountId":"sub_harbor_dental","contactId":"contact_1","bodyText":"Hi \xc3\xa9"}}'
)

# The receiver of the vendor document, in Node.js: HMAC-SHA256 of the raw body, hex,
# "sha256=" prefixed, compared with crypto.timingSafeEqual.
NODE_VERIFY = r"""
const crypto = require('crypto');
const [secret, signature, bodyHex] = process.argv.slice(1);
const rawBody = Buffer.from(bodyHex, 'hex');
function verifyWebhook(payload, signature, secret) {
  const expected = 'sha256=' + crypto.createHmac('sha256', secret).update(payload).digest('hex');
  const a = Buffer.from(signature), b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
process.stdout.write(verifyWebhook(rawBody, signature, secret) ? 'valid' : 'invalid');
"""
NODE_SIGN = r"""
const crypto = require('crypto');
const [secret, bodyHex] = process.argv.slice(1);
const sig = crypto.createHmac('sha256', secret).update(Buffer.from(bodyHex, 'hex')).digest('hex');
process.stdout.write('sha256=' + sig);
"""

node = shutil.which("node") or shutil.which("nodejs")


def _node(script: str, *args: str) -> str:
    assert node is not None
    done = subprocess.run(
        [node, "-e", script, *args], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


def test_sign_is_python_hmac_sha256_hex_of_the_raw_body() -> None:
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == expected
    assert verify(BODY, expected, [KnownSecret("wh_1", SECRET)]).check is Check.VALID


@pytest.mark.skipif(node is None, reason="Node.js is not installed")
def test_the_node_example_accepts_our_signature_and_we_accept_its() -> None:
    ours = sign(BODY, SECRET)
    assert _node(NODE_VERIFY, SECRET, ours, BODY.hex()) == "valid"
    assert _node(NODE_VERIFY, SECRET, ours, (BODY + b" ").hex()) == "invalid"
    theirs = _node(NODE_SIGN, SECRET, BODY.hex())
    assert theirs == ours
    result = verify(BODY, theirs, [KnownSecret("wh_1", SECRET)])
    assert result.ok and result.matched == "wh_1"


def test_the_secret_that_verifies_is_named() -> None:
    other = KnownSecret("wh_other", "whsec_other_secret_value_123")
    mine = KnownSecret("wh_mine", SECRET)
    result = verify(BODY, sign(BODY, SECRET), [other, mine])
    assert result.check is Check.VALID and result.matched == "wh_mine"
    # Upper-case hex is the same signature.
    assert verify(BODY, "sha256=" + sign(BODY, SECRET)[7:].upper(), [mine]).ok


@pytest.mark.parametrize(
    ("header", "check", "words"),
    [
        (None, Check.MISSING_HEADER, "no X-Webhook-Signature"),
        ("  ", Check.MISSING_HEADER, "no X-Webhook-Signature"),
        ("a" * 64, Check.MALFORMED_HEADER, "no sha256= prefix"),
        ("sha1=" + "a" * 40, Check.MALFORMED_HEADER, "HMAC-SHA256"),
        ("sha256=abc123", Check.MALFORMED_HEADER, "64 hexadecimal"),
        ("garbage", Check.MALFORMED_HEADER, "sha256=<64"),
    ],
)
def test_header_mistakes_are_named(header: str | None, check: Check, words: str) -> None:
    result = verify(BODY, header, [KnownSecret("wh_1", SECRET)])
    assert result.check is check and not result.ok
    assert words in result.message


def test_no_kept_secret_says_so() -> None:
    result = verify(BODY, sign(BODY, SECRET), [])
    assert result.check is Check.NO_SECRET and "Keep the secret" in result.message


def test_a_replaced_secret_is_recognised() -> None:
    old = "whsec_old_secret_before_regeneration"
    result = verify(
        BODY, sign(BODY, old), [KnownSecret("wh_1", SECRET), KnownSecret("wh_1", old, False)]
    )
    assert result.check is Check.OLD_SECRET and "regenerated" in result.message
    assert result.matched == "wh_1"


def test_a_re_serialised_body_is_the_named_mistake() -> None:
    header = sign(BODY, SECRET)
    parsed = json.loads(BODY)
    for reserialised in (
        json.dumps(parsed).encode(),  # Python's default separators
        json.dumps(parsed, indent=2).encode(),  # pretty-printed by a framework
        json.dumps(parsed, ensure_ascii=False, indent="\t").encode(),  # tabs, UTF-8
    ):
        result = verify(reserialised, header, [KnownSecret("wh_1", SECRET)])
        assert result.check is Check.RESERIALISED, reserialised
        assert "raw body" in result.message
    # A body with a line break added by a copy-paste is named too.
    assert verify(BODY + b"\n", header, [KnownSecret("wh_1", SECRET)]).check is Check.RESERIALISED


def test_a_secret_used_without_its_prefix_is_named() -> None:
    bare = SECRET.removeprefix("whsec_")
    result = verify(BODY, sign(BODY, bare), [KnownSecret("wh_1", SECRET)])
    assert result.check is Check.SECRET_FORM and "whsec_ prefix" in result.message
    pasted = verify(BODY, sign(BODY, SECRET), [KnownSecret("wh_1", f"  {SECRET}\n")])
    assert pasted.check is Check.SECRET_FORM


def test_another_secret_or_a_changed_body_is_a_wrong_secret() -> None:
    result = verify(BODY, sign(BODY, "whsec_someone_elses_secret"), [KnownSecret("wh_1", SECRET)])
    assert result.check is Check.WRONG_SECRET and "another secret" in result.message
    changed = BODY.replace(b"contact_1", b"contact_2")
    assert verify(changed, sign(BODY, SECRET), [KnownSecret("w", SECRET)]).check is (
        Check.WRONG_SECRET
    )


def test_the_verifier_checks_pasted_text() -> None:
    text = BODY.decode("utf-8")
    assert verify_pasted(text, sign(BODY, SECRET), SECRET).check is Check.VALID
    assert verify_pasted(text, sign(BODY, SECRET), "").check is Check.NO_SECRET


def test_the_secrets_seedly_issues_never_reach_a_log() -> None:
    import secrets as random_secrets

    from app.settings.logs import redact

    subscription = "whsec_" + random_secrets.token_urlsafe(32)  # with - and _ in it
    workflow = "whsec_" + random_secrets.token_hex(24)
    for secret in (subscription, workflow, SECRET):
        for line in (
            f"kept {secret} for the bench",
            f'{{"secret": "{secret}"}}',
            f"X-Webhook-Secret: {secret}",
        ):
            assert secret[6:] not in redact(line), line
