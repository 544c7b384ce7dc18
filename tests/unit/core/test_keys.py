"""Key kinds from prefixes, format checks, masking and redaction of key-shaped text."""

from __future__ import annotations

import logging

import pytest

from app.core.keys import (
    REDACTED,
    KeyKind,
    KeyMode,
    RedactingFilter,
    clean_key,
    key_info,
    key_kind,
    key_problem,
    mask_key,
    redact,
)

SUB_LIVE = "sk_live_OkDioOEryEfK0GyWxBoL5ZkSANSgRtCL"
SUB_TEST = "sk_test_R2khslfc5kLPW97v6Nyi1s9P4rmIXDXD"
AGENCY_LIVE = "sk_agency_live_no0dfSqdtCa1xqPHHJSKv96Rfxcs7xRX"
AGENCY_TEST = "sk_agency_test_no0dfSqdtCa1xqPHHJSKv96Rfxcs7xRX"


@pytest.mark.parametrize(
    ("key", "kind", "mode"),
    [
        (SUB_LIVE, KeyKind.SUB_ACCOUNT, KeyMode.LIVE),
        (SUB_TEST, KeyKind.SUB_ACCOUNT, KeyMode.TEST),
        (AGENCY_LIVE, KeyKind.AGENCY, KeyMode.LIVE),
        (AGENCY_TEST, KeyKind.AGENCY, KeyMode.TEST),
        ("  " + SUB_TEST + "\n", KeyKind.SUB_ACCOUNT, KeyMode.TEST),
        ("pk_live_abc", KeyKind.UNKNOWN, KeyMode.UNKNOWN),
        ("SK_LIVE_ABCDEFGHIJ", KeyKind.UNKNOWN, KeyMode.UNKNOWN),
        ("sk_agency_prod_abcdefgh", KeyKind.UNKNOWN, KeyMode.UNKNOWN),
        ("", KeyKind.UNKNOWN, KeyMode.UNKNOWN),
    ],
)
def test_key_kind_and_mode(key: str, kind: KeyKind, mode: KeyMode) -> None:
    info = key_info(key)
    assert (info.kind, info.mode) == (kind, mode)
    assert key_kind(key) is kind
    assert info.is_agency == (kind is KeyKind.AGENCY)
    assert info.is_live == (mode is KeyMode.LIVE) and info.is_test == (mode is KeyMode.TEST)


def test_agency_prefix_is_recognised_before_sub_account() -> None:
    assert key_info(AGENCY_TEST).prefix == "sk_agency_test_"
    assert key_info(SUB_LIVE).prefix == "sk_live_"


def test_clean_key() -> None:
    assert clean_key(f"  Bearer {SUB_LIVE}\n") == SUB_LIVE
    assert clean_key(f'"{SUB_LIVE}"') == SUB_LIVE
    assert clean_key(SUB_LIVE) == SUB_LIVE


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("", "Paste the API key"),
        ("   ", "Paste the API key"),
        ("sk_live_abc def123456", "spaces"),
        ("whsec_abcdefghijkl", "webhook signing secret"),
        ("hello-world-123", "does not look like a Seedly API key"),
        ("sk_live_abc", "incomplete"),
    ],
)
def test_key_problem(key: str, fragment: str) -> None:
    problem = key_problem(key)
    assert problem is not None and fragment in problem and problem.endswith(".")


def test_good_keys_have_no_problem() -> None:
    for key in (SUB_LIVE, SUB_TEST, AGENCY_LIVE, AGENCY_TEST):
        assert key_problem(key) is None


def test_mask_key() -> None:
    assert mask_key(SUB_TEST) == "sk_test_…XDXD"
    assert mask_key(AGENCY_LIVE) == "sk_agency_live_…7xRX"
    assert mask_key("sk_live_short") == "sk_live_…"
    assert "OkDioOEry" not in mask_key(SUB_LIVE)


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        (f"using key {SUB_LIVE} now", SUB_LIVE[8:], "sk_live_"),
        (f"agency={AGENCY_TEST}", AGENCY_TEST[15:], "sk_agency_test_"),
        (f"Authorization: Bearer {SUB_TEST}", SUB_TEST[8:], "Authorization: Bearer sk_test_"),
        (
            '{"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"}',
            "eyJhbGciOiJIUzI1NiJ9",
            '"Authorization": "Bearer ',
        ),
        ("authorization=Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "authorization=Basic "),
        ("header bearer abc.def.ghi", "abc.def.ghi", "bearer "),
        ("secret whsec_new_plaintext_secret_here stored", "new_plaintext", "whsec_"),
        ('{"secret": "whsec_AbC123xyz"}', "AbC123xyz", '"secret": "whsec_'),
        ("sk_prod_0123456789abcdefXYZ leaked", "0123456789abcdef", "sk_"),
        ("Token: 4f1c2a9e77d0", "4f1c2a9e77d0", "Token: "),
        ("POST /oauth/accessToken client_secret=s3cr3t&code=1", "s3cr3t", "client_secret="),
        ('{"access_token": "at-123", "refresh_token": "rt-456"}', "at-123", '"access_token": "'),
        ('{"access_token": "at-123", "refresh_token": "rt-456"}', "rt-456", '"refresh_token": "'),
        ("x-seamless-webhook-secret: abcd1234", "abcd1234", "x-seamless-webhook-secret: "),
        ("?api_key=AKIA123456&limit=5", "AKIA123456", "limit=5"),
        ('{"apiKey": "k-999"}', "k-999", '"apiKey": "'),
        ("password=hunter2", "hunter2", "password="),
    ],
)
def test_redact_masks_key_shaped_values(text: str, secret: str, kept: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out
    assert kept in out


@pytest.mark.parametrize(
    "text",
    [
        "Missing or invalid API key. Provide a valid key in the Authorization header: "
        "Bearer sk_live_...",
        "API key missing required scope: contacts:write.",
        "GET /api/v1/contacts?limit=50&cursor=eyJpZCI6ImNvbnRhY3RfMDUwIn0 -> 200",
        '{"nextToken": "abc123", "isMore": true}',
        "the secretary called about sk_ prefixes",
        "",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    out = redact(text)
    if "Bearer sk_live_..." in text:
        # The documentation's placeholder is not a key; only its prefix may survive.
        assert "sk_live_" in out
    else:
        assert out == text


def test_redact_is_idempotent() -> None:
    text = f"Authorization: Bearer {SUB_LIVE} and whsec_abcdef123 and Token: xyz12345"
    once = redact(text)
    assert redact(once) == once
    assert SUB_LIVE[8:] not in once


def test_logging_filter_redacts_message_args_and_traceback() -> None:
    logger = logging.getLogger("tests.core.redaction")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling with %s", SUB_LIVE)
        try:
            raise RuntimeError(f"boom with {AGENCY_TEST}")
        except RuntimeError:
            logger.exception("failed for key=%s", SUB_TEST)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert len(records) == 2
    formatter = logging.Formatter()
    for record in records:
        text = formatter.format(record)
        for key in (SUB_LIVE, SUB_TEST, AGENCY_TEST):
            assert key[-20:] not in text
    assert records[0].getMessage() == f"calling with sk_live_{REDACTED}"
    assert "RuntimeError" in formatter.format(records[1])


KEY_KINDS = {
    "seedly sub-account live": "sk_live_AbCdEf0123456789xyzQ",
    "seedly sub-account test": "sk_test_AbCdEf0123456789xyzQ",
    "seedly agency live": "sk_agency_live_AbCdEf0123456789xyzQ",
    "seedly agency test": "sk_agency_test_AbCdEf0123456789xyzQ",
    "seamless key": "slk_test_AbCdEf0123456789xyzQ",
    "seamless live key": "slk_live_AbCdEf0123456789xyzQ",
    "seamless access token": "sla_AbCdEf0123456789xyzQwErTy",
    "seamless refresh token": "slr_AbCdEf0123456789xyzQwErTy",
    "seamless authorization code": "slc_AbCdEf0123456789xyzQ",
    "webhook secret": "whsec_AbCdEf0123456789xyzQ",
}
FORMS = {
    "free text": "request failed for {key} after 3 tries",
    "tuple": "headers=[('Token', '{key}'), ('Accept', 'application/json')]",
    "dict": "{{'token': '{key}', 'limit': 5}}",
    "json": '{{"apiKey": "{key}"}}',
    "query": "GET /v1/search?api_key={key}&page=2",
    "url-encoded": "body=token%3D{key}%26page%3D2",
    "url-encoded underscore": "GET /x?k={encoded}",
    "header": "Authorization: Bearer {key}",
    "exception": "ApiError('bad key {key}')",
}


@pytest.mark.parametrize("kind", sorted(KEY_KINDS))
@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_key_kind_is_redacted_in_every_form(kind: str, form: str) -> None:
    key = KEY_KINDS[kind]
    encoded = key.replace("_", "%5F")
    text = FORMS[form].format(key=key, encoded=encoded)
    out = redact(text)
    secret_part = key[-12:]
    assert secret_part not in out, out
    assert REDACTED in out
    assert redact(out) == out
