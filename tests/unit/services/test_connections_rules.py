"""Connection checks without a server: URL normalisation, what each probe answer means,
the sentence for every failure, and whole checks against a scripted ``httpx.MockTransport``
Seedly (scope-aware, agency-aware) that records every request it gets."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest

from app.core.constants import RECOMMENDED_SCOPES, SCOPES
from app.core.errors import (
    Forbidden,
    KeyExpired,
    KeyRevoked,
    NetworkError,
    RateLimited,
    RequestTimeout,
    ServerError,
    Unauthorized,
    error_from_response,
)
from app.core.keys import KeyKind, KeyMode
from app.services.connection_store import (
    CheckRequired,
    ComparisonFailed,
    ConnectionStore,
    ConnectionStoreError,
    DifferentAccount,
    KeyKindChanged,
    is_local_partition_id,
)
from app.services.connections import (
    SCOPE_PROBE_ID,
    SCOPE_PROBES,
    AccountMatch,
    FailureKind,
    InputField,
    InvalidUrl,
    ScopeState,
    check_connection,
    compare_account,
    describe_failure,
    interpret_probe,
    normalize_url,
    scope_consequence,
    scope_name,
    url_problem,
)
from app.settings.profiles import ProfileStore
from app.settings.secrets import KeyringUnavailable, Secrets, account_name
from tests.support.keyrings import BrokenKeyring

BASE = "https://crm.example.com"
SUB_KEY = "sk_live_" + "S" * 24 + "7ZkS"
AGENCY_KEY = "sk_agency_test_" + "A" * 24 + "q9Wx"
OTHER_SUB_KEY = "sk_live_" + "O" * 28
SUBS = [{"id": "sub_acme", "name": "Acme Corp"}, {"id": "sub_widget", "name": "Widget Co"}]


def envelope_error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def missing_scope(scope: str) -> httpx.Response:
    return envelope_error(
        403,
        "FORBIDDEN",
        f"API key missing required scope: {scope}. Update key permissions in Settings > "
        "Integrations > API Keys.",
    )


@dataclass
class FakeSeedly:
    """A tiny Seedly: keys with scopes, agency keys needing X-Sub-Account-Id, and the scope
    checked before the record is looked up (like the sandbox)."""

    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, set[str]] = field(default_factory=dict)  # sub-account -> ids
    requests: list[httpx.Request] = field(default_factory=list)
    override: Callable[[httpx.Request], httpx.Response | None] | None = None

    def route_scope(self, method: str, path: str) -> str | None:
        rest = path.removeprefix("/api/v1/")
        area = rest.split("/", 1)[0]
        if area == "webhooks":
            return "webhooks:manage"
        if area not in ("contacts", "conversations", "calendars"):
            return None
        return f"{area}:{'read' if method == 'GET' else 'write'}"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.override is not None and (answer := self.override(request)) is not None:
            return answer
        auth = request.headers.get("authorization", "")
        key = self.keys.get(auth.removeprefix("Bearer "))
        if key is None:
            return envelope_error(401, "UNAUTHORIZED", "Missing or invalid API key.")
        if key.get("status") == "revoked":
            return envelope_error(401, "KEY_REVOKED", "This API key was revoked.")
        path = request.url.path
        if path == "/api/v1/sub-accounts":
            if key["kind"] != "agency":
                return envelope_error(403, "FORBIDDEN", "Requires an agency-scoped API key.")
            return httpx.Response(200, json={"data": SUBS})
        sub = key.get("sub")
        if key["kind"] == "agency":
            sub = request.headers.get("x-sub-account-id")
            if not sub:
                return envelope_error(
                    400, "VALIDATION_ERROR", "X-Sub-Account-Id header is required"
                )
        scope = self.route_scope(request.method, path)
        if scope is None:
            return envelope_error(404, "NOT_FOUND", f"No endpoint at {path}")
        if scope not in key["scopes"]:
            return missing_scope(scope)
        parts = path.removeprefix("/api/v1/").split("/")
        if len(parts) >= 2 and parts[-1] not in ("", "appointments"):
            record = parts[-1]
            if parts[0] == "contacts" and record in self.contacts.get(sub or "", set()):
                return httpx.Response(200, json={"data": {"id": record}})
            return envelope_error(404, "NOT_FOUND", "Not found")
        return httpx.Response(200, json={"data": [], "meta": {"hasMore": False}})


def seedly(**keys: dict[str, Any]) -> FakeSeedly:
    fake = FakeSeedly()
    fake.keys = {
        SUB_KEY: {"kind": "sub_account", "sub": "sub_acme", "scopes": set(SCOPES)},
        AGENCY_KEY: {"kind": "agency", "scopes": set(SCOPES)},
    }
    fake.keys.update(keys)
    fake.contacts = {"sub_acme": {"con_1", "con_2"}, "sub_widget": {"con_9"}}
    return fake


def check(fake: Callable[[httpx.Request], httpx.Response], url: str = BASE, key: str = SUB_KEY):  # type: ignore[no-untyped-def]
    return asyncio.run(
        check_connection(url, key, timeout=2, http_transport=httpx.MockTransport(fake))
    )


def text_of(result: Any) -> str:
    """Every string a result carries, for "the key never appears" assertions."""
    return repr(result) + "".join(
        [result.summary(), *result.warnings, *(f.detail for f in result.scopes)]
    )


# -- URL normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("crm.example.com", "https://crm.example.com"),
        ("  https://crm.example.com/  ", "https://crm.example.com"),
        ("HTTPS://CRM.Example.COM", "https://crm.example.com"),
        ("https://crm.example.com/api/v1", "https://crm.example.com"),
        ("https://crm.example.com/api/v1/", "https://crm.example.com"),
        ("https://crm.example.com/API/V1/contacts?limit=5#x", "https://crm.example.com"),
        ("https://crm.example.com/tenant/api/v1", "https://crm.example.com/tenant"),
        ("https://crm.example.com/tenant//", "https://crm.example.com/tenant"),
        ("https://crm.example.com/api/v10", "https://crm.example.com/api/v10"),
        ("localhost:8000", "https://localhost:8000"),
        ("http://127.0.0.1:8000/api/v1", "http://127.0.0.1:8000"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
        ("crm.example.com?x=1", "https://crm.example.com"),
    ],
)
def test_urls_are_normalised_to_the_deployment_base(typed: str, expected: str) -> None:
    assert normalize_url(typed) == expected


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Enter the deployment URL"),
        ("   ", "Enter the deployment URL"),
        ("ftp://crm.example.com", "must start with https://"),
        ("mailto:help@example.com", "must start with https://"),
        ("https://crm example.com", "contains spaces"),
        ("https://", "no host name"),
        ("https://user:pw@crm.example.com", "user name or password"),
        ("https://crm.example.com:99999", "port"),
        ("https://crm.example.com:0", "port"),
        ("https://crm.exa$mple.com", "is not valid"),
        ("https:crm.example.com", "missing the //"),
    ],
)
def test_things_that_are_not_http_urls_are_refused_with_a_sentence(typed: str, words: str) -> None:
    with pytest.raises(InvalidUrl) as caught:
        normalize_url(typed)
    message = caught.value.message
    assert words in message
    assert message.endswith(".") and message[0].isupper()
    assert url_problem(typed) == message


def test_a_good_url_has_no_problem() -> None:
    assert url_problem("crm.example.com") is None


# -- what a probe answer means ---------------------------------------------------------------


def probe(scope: str):  # type: ignore[no-untyped-def]
    return next(p for p in SCOPE_PROBES if p.scope == scope)


def api_error(status: int, code: str | None, message: str = "m") -> Any:
    body: Any = {"error": {"code": code, "message": message}} if code else "<html>nope</html>"
    return error_from_response(status, json.dumps(body) if code else body, {}, 0.0)


def test_every_scope_has_one_probe_and_writes_use_the_impossible_id() -> None:
    assert [p.scope for p in SCOPE_PROBES] == list(SCOPES)
    for p in SCOPE_PROBES:
        assert p.method in ("GET", "PATCH", "DELETE")  # never POST: nothing can be created
        if p.writes:
            assert p.path.endswith("/" + SCOPE_PROBE_ID)
            assert p.body in (None, {})


def test_probe_answers_are_interpreted() -> None:
    write = probe("contacts:write")
    read = probe("conversations:read")
    missing = Forbidden(
        "API key missing required scope: contacts:write.",
        status=403,
        code="FORBIDDEN",
        from_envelope=True,
    )
    assert interpret_probe(write, None).state is ScopeState.PRESENT
    assert interpret_probe(write, missing).state is ScopeState.MISSING
    assert interpret_probe(write, api_error(404, "NOT_FOUND")).state is ScopeState.PRESENT
    assert interpret_probe(write, api_error(400, "VALIDATION_ERROR")).state is ScopeState.PRESENT
    # A 404 that is not Seedly's (a proxy page) proves nothing.
    assert interpret_probe(write, api_error(404, None)).state is ScopeState.UNKNOWN
    # A 403 naming another scope, or none, does not tell about this one.
    assert interpret_probe(read, missing).state is ScopeState.UNKNOWN
    assert (
        interpret_probe(read, api_error(403, "FORBIDDEN", "no access")).state is ScopeState.UNKNOWN
    )
    # A 404 on a list is not "present": the list endpoint itself is missing.
    assert interpret_probe(read, api_error(404, "NOT_FOUND")).state is ScopeState.UNKNOWN
    assert interpret_probe(read, RateLimited("slow down", status=429)).state is ScopeState.UNKNOWN
    assert interpret_probe(read, NetworkError("gone")).state is ScopeState.UNKNOWN
    assert interpret_probe(read, ServerError("x", status=500)).state is ScopeState.UNKNOWN


def test_consequences_name_what_the_app_cannot_do() -> None:
    assert scope_consequence("conversations:write").startswith(
        "Without the permission “Send messages” (conversations:write) you cannot send messages"
    )
    for scope in SCOPES:
        assert scope_consequence(scope).endswith(".")
        assert ":" not in scope_name(scope)  # every scope has plain words


# -- failure sentences -----------------------------------------------------------------------


def network_error(cause: BaseException, cls: type[NetworkError] = NetworkError) -> NetworkError:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise httpx.ConnectError(str(inner)) from inner
    except httpx.ConnectError as outer:
        error = cls("Cannot reach")
        error.__cause__ = outer
        return error


def timeout_error(kind: type[httpx.TimeoutException]) -> RequestTimeout:
    error = RequestTimeout("did not answer")
    error.__cause__ = kind("")
    return error


@pytest.mark.parametrize(
    ("error", "kind", "field_", "words"),
    [
        (
            network_error(socket.gaierror(-2, "Name or service not known")),
            FailureKind.DNS,
            InputField.URL,
            "could not be found",
        ),
        (
            network_error(ConnectionRefusedError(111, "refused")),
            FailureKind.REFUSED,
            InputField.URL,
            "refused the connection",
        ),
        (
            network_error(OSError(113, "No route to host")),
            FailureKind.UNREACHABLE,
            InputField.URL,
            "cannot be reached",
        ),
        (
            network_error(ssl.SSLCertVerificationError(1, "certificate verify failed")),
            FailureKind.TLS,
            InputField.URL,
            "certificate",
        ),
        (
            network_error(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")),
            FailureKind.TLS,
            InputField.URL,
            "http://",
        ),
        (
            timeout_error(httpx.ConnectTimeout),
            FailureKind.TIMEOUT,
            InputField.URL,
            "did not accept a connection within 3 seconds",
        ),
        (
            timeout_error(httpx.ReadTimeout),
            FailureKind.TIMEOUT,
            InputField.URL,
            "did not answer within 3 seconds",
        ),
        (
            KeyRevoked("x", status=401, code="KEY_REVOKED", from_envelope=True),
            FailureKind.REVOKED,
            InputField.KEY,
            "revoked",
        ),
        (
            KeyExpired("x", status=401, code="KEY_EXPIRED", from_envelope=True),
            FailureKind.EXPIRED,
            InputField.KEY,
            "expired",
        ),
        (
            Unauthorized("x", status=401, code="UNAUTHORIZED", from_envelope=True),
            FailureKind.UNAUTHORIZED,
            InputField.KEY,
            "did not accept this API key",
        ),
        (
            Unauthorized("x", status=401),
            FailureKind.NOT_SEEDLY,
            InputField.URL,
            "not as a Seedly CRM API",
        ),
        (
            api_error(404, None),
            FailureKind.NOT_SEEDLY,
            InputField.URL,
            "HTTP 404 without Seedly's error format",
        ),
        (api_error(301, None), FailureKind.NOT_SEEDLY, InputField.URL, "redirects"),
        (api_error(502, None), FailureKind.SERVER_ERROR, InputField.URL, "HTTP 502"),
        (
            api_error(500, "INTERNAL_ERROR"),
            FailureKind.SERVER_ERROR,
            InputField.NONE,
            "on its side",
        ),
        (
            RateLimited("x", status=429, retry_after=12),
            FailureKind.RATE_LIMITED,
            InputField.NONE,
            "Wait 12 seconds",
        ),
    ],
)
def test_every_failure_is_a_sentence_on_the_right_field(
    error: BaseException, kind: FailureKind, field_: InputField, words: str
) -> None:
    failure = describe_failure(error, BASE, 3.0)
    assert failure.kind is kind
    assert failure.field is field_
    assert words in failure.message
    assert failure.message.endswith(".")


# -- whole checks against the scripted Seedly -------------------------------------------------


def test_a_sub_account_key_with_every_scope() -> None:
    fake = seedly()
    result = check(fake)
    assert result.ok, result.failure
    assert result.url == BASE
    assert result.key_kind is KeyKind.SUB_ACCOUNT and result.key_mode is KeyMode.LIVE
    assert result.present_scopes == SCOPES
    assert result.missing_recommended == () and result.warnings == ()
    assert result.sub_accounts == ()
    assert all(r.method in ("GET", "PATCH", "DELETE") for r in fake.requests)
    assert not any(r.url.path == "/api/v1/sub-accounts" for r in fake.requests)
    assert SUB_KEY not in text_of(result)
    assert result.masked_key == "sk_live_…7ZkS"


def test_write_probes_only_touch_the_impossible_id_with_an_empty_body() -> None:
    fake = seedly()
    check(fake)
    writes = [r for r in fake.requests if r.method != "GET"]
    assert {r.url.path.rsplit("/", 1)[-1] for r in writes} == {SCOPE_PROBE_ID}
    assert all(r.content in (b"", b"{}") for r in writes)


def test_a_read_only_key_lists_what_is_missing_and_what_it_blocks() -> None:
    fake = seedly()
    fake.keys[SUB_KEY]["scopes"] = {"contacts:read", "conversations:read", "calendars:read"}
    result = check(fake)
    assert result.ok
    assert set(result.missing_scopes) == {
        "contacts:write",
        "conversations:write",
        "calendars:write",
        "webhooks:manage",
    }
    assert [f.scope for f in result.missing_recommended] == [
        "contacts:write",
        "conversations:write",
    ]
    assert result.read_only
    assert any(
        w.startswith("Without the permission “Send messages” (conversations:write) you cannot")
        for w in result.warnings
    )
    assert all(f.scope in RECOMMENDED_SCOPES for f in result.missing_recommended)


def test_a_key_without_contacts_read_still_passes_the_identity_step() -> None:
    fake = seedly()
    fake.keys[SUB_KEY]["scopes"] = set(SCOPES) - {"contacts:read"}
    result = check(fake)
    assert result.ok
    assert result.missing_scopes == ("contacts:read",)


def test_an_agency_key_lists_sub_accounts_and_probes_the_first() -> None:
    fake = seedly()
    result = check(fake, key=AGENCY_KEY)
    assert result.ok, result.failure
    assert result.key_kind is KeyKind.AGENCY and result.key_mode is KeyMode.TEST
    assert [(s.id, s.name) for s in result.sub_accounts] == [(s["id"], s["name"]) for s in SUBS]
    assert result.probed_sub_account is not None and result.probed_sub_account.id == "sub_acme"
    assert fake.requests[0].url.path == "/api/v1/sub-accounts"
    assert "x-sub-account-id" not in fake.requests[0].headers
    probes = fake.requests[1:]
    assert len(probes) == len(SCOPES)
    assert {r.headers["x-sub-account-id"] for r in probes} == {"sub_acme"}
    assert result.present_scopes == SCOPES
    assert AGENCY_KEY not in text_of(result)


def test_an_agency_key_without_sub_accounts_fails_on_the_key() -> None:
    fake = seedly()
    fake.override = lambda r: (
        httpx.Response(200, json={"data": []}) if r.url.path == "/api/v1/sub-accounts" else None
    )
    result = check(fake, key=AGENCY_KEY)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.NO_SUB_ACCOUNTS
    assert result.failure.field is InputField.KEY


def test_an_agency_prefix_the_server_does_not_accept_as_agency() -> None:
    fake = seedly()
    fake.keys[AGENCY_KEY] = {"kind": "sub_account", "sub": "sub_acme", "scopes": set(SCOPES)}
    result = check(fake, key=AGENCY_KEY)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_AGENCY
    assert result.failure.field is InputField.KEY


def test_an_unknown_and_a_revoked_key() -> None:
    fake = seedly()
    fake.keys[OTHER_SUB_KEY] = {"kind": "sub_account", "status": "revoked", "scopes": set()}
    unknown = check(fake, key="sk_live_" + "Z" * 30)
    assert unknown.failure is not None and unknown.failure.kind is FailureKind.UNAUTHORIZED
    assert unknown.failure.field is InputField.KEY
    revoked = check(fake, key=OTHER_SUB_KEY)
    assert revoked.failure is not None and revoked.failure.kind is FailureKind.REVOKED
    assert len(fake.requests) == 2  # one request each: a refused key stops the check


def test_a_malformed_key_or_url_is_reported_before_any_request() -> None:
    fake = seedly()
    bad_key = check(fake, key="sk_live_abc")
    assert bad_key.failure is not None and bad_key.failure.kind is FailureKind.MALFORMED_KEY
    assert bad_key.failure.field is InputField.KEY
    webhook_secret = check(fake, key="whsec_" + "x" * 30)
    assert (
        webhook_secret.failure is not None
        and "webhook signing secret" in webhook_secret.failure.message
    )
    bad_url = check(fake, url="ftp://crm.example.com")
    assert bad_url.failure is not None and bad_url.failure.field is InputField.URL
    assert fake.requests == []


def test_a_pasted_bearer_header_and_whitespace_are_accepted() -> None:
    fake = seedly()
    result = check(fake, key=f"  Bearer {SUB_KEY}\n")
    assert result.ok
    assert fake.requests[0].headers["authorization"] == f"Bearer {SUB_KEY}"
    assert result.matches(BASE + "/", SUB_KEY)
    assert not result.matches(BASE, OTHER_SUB_KEY)
    assert not result.matches("https://other.example.com", SUB_KEY)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (httpx.Response(200, html="<!doctype html><title>Welcome</title>"), "not Seedly's JSON"),
        (httpx.Response(200, json={"items": []}), "not Seedly's JSON"),
        (httpx.Response(404, html="<h1>Not Found</h1>"), "HTTP 404 without Seedly's error format"),
        (httpx.Response(401, html="<h1>Login</h1>"), "login of another kind"),
        (httpx.Response(301, headers={"Location": "https://x.example.com"}), "redirects"),
    ],
)
def test_an_address_that_answers_but_is_not_seedly(answer: httpx.Response, words: str) -> None:
    result = check(lambda request: answer)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.NOT_SEEDLY
    assert result.failure.field is InputField.URL
    assert words in result.failure.message
    assert "crm.example.com" in result.failure.message


@pytest.mark.parametrize(
    ("cause", "kind"),
    [
        (socket.gaierror(-2, "Name or service not known"), FailureKind.DNS),
        (ConnectionRefusedError(111, "Connection refused"), FailureKind.REFUSED),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), FailureKind.TLS),
    ],
)
def test_network_failures_come_through_the_real_transport(
    cause: OSError, kind: FailureKind
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(str(cause)) from cause

    result = check(handler)
    assert result.failure is not None and result.failure.kind is kind
    assert result.failure.field is InputField.URL


def test_a_timeout_is_not_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    result = check(handler)
    assert result.failure is not None and result.failure.kind is FailureKind.TIMEOUT
    assert len(calls) == 1


def test_a_rate_limited_probe_makes_its_scope_unknown_and_says_so() -> None:
    fake = seedly()
    fake.override = lambda r: (
        httpx.Response(
            429,
            headers={"Retry-After": "30"},
            json={"error": {"code": "RATE_LIMITED", "message": "Rate limit exceeded."}},
        )
        if r.url.path == "/api/v1/webhooks"
        else None
    )
    result = check(fake)
    assert result.ok
    assert result.unknown_scopes == ("webhooks:manage",)
    assert any("limited" in w for w in result.warnings)
    assert any("could not tell whether the key has webhooks:manage" in w for w in result.warnings)
    assert sum(r.url.path == "/api/v1/webhooks" for r in fake.requests) == 1


def test_a_rate_limited_identity_request_fails_without_waiting() -> None:
    result = check(
        lambda r: httpx.Response(
            429,
            headers={"Retry-After": "60"},
            json={"error": {"code": "RATE_LIMITED", "message": "x"}},
        )
    )
    assert result.failure is not None and result.failure.kind is FailureKind.RATE_LIMITED
    assert result.elapsed < 2
    assert result.failure.field is InputField.NONE


def test_http_on_a_public_host_warns_that_the_key_travels_unencrypted() -> None:
    result = check(seedly(), url="http://crm.example.com")
    assert result.ok
    assert any("unencrypted" in w for w in result.warnings)
    local = check(seedly(), url="http://127.0.0.1:8000")
    assert not any("unencrypted" in w for w in local.warnings)


def test_a_cancelled_check_stops() -> None:
    async def scenario() -> None:
        started = asyncio.Event()

        async def slow(request: httpx.Request) -> httpx.Response:
            started.set()
            await asyncio.sleep(30)
            return httpx.Response(200)

        task = asyncio.ensure_future(
            check_connection(BASE, SUB_KEY, http_transport=httpx.MockTransport(slow))
        )
        await asyncio.wait_for(started.wait(), 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(scenario(), 5))


# -- is it the same account? ------------------------------------------------------------------


def compare(fake: FakeSeedly, key: str, **kw: Any) -> Any:
    async def run() -> Any:
        transport = httpx.MockTransport(fake)
        result = await check_connection(BASE, key, http_transport=transport)
        return await compare_account(BASE, key, check=result, http_transport=transport, **kw)

    return asyncio.run(run())


def test_a_sub_account_key_is_compared_by_a_cached_contact() -> None:
    fake = seedly()
    fake.keys[OTHER_SUB_KEY] = {"kind": "sub_account", "sub": "sub_widget", "scopes": set(SCOPES)}
    assert compare(fake, SUB_KEY, known_contact_ids=["con_1"]).match is AccountMatch.SAME
    assert compare(fake, SUB_KEY, known_contact_ids=["gone", "con_2"]).match is AccountMatch.SAME
    other = compare(fake, OTHER_SUB_KEY, known_contact_ids=["con_1", "con_2"])
    assert other.match is AccountMatch.DIFFERENT and "another sub-account" in other.message
    assert compare(fake, SUB_KEY).match is AccountMatch.UNVERIFIABLE
    fake.keys[SUB_KEY]["scopes"] = set(SCOPES) - {"contacts:read"}
    assert compare(fake, SUB_KEY, known_contact_ids=["con_1"]).match is AccountMatch.UNVERIFIABLE


def test_an_agency_key_is_compared_by_its_sub_accounts() -> None:
    fake = seedly()
    assert (
        compare(fake, AGENCY_KEY, known_sub_account_ids=["sub_widget"]).match is AccountMatch.SAME
    )
    assert (
        compare(fake, AGENCY_KEY, known_sub_account_ids=["sub_x"]).match is AccountMatch.DIFFERENT
    )
    assert compare(fake, AGENCY_KEY).match is AccountMatch.UNVERIFIABLE


# -- the store's key replacement (comparisons over MockTransport) -------------------------------


@pytest.fixture
def store(tmp_path: Path) -> ConnectionStore:
    profiles = ProfileStore(tmp_path / "profiles.json")
    profiles.load()
    return ConnectionStore(
        profiles,
        Secrets(),
        known_contact_ids=lambda profile: ["con_1"],
        http_transport=httpx.MockTransport(seedly_for_store),
    )


SHARED = seedly()
SHARED.keys[OTHER_SUB_KEY] = {"kind": "sub_account", "sub": "sub_widget", "scopes": set(SCOPES)}
READONLY_SAME = "sk_live_" + "R" * 28
SHARED.keys[READONLY_SAME] = {
    "kind": "sub_account",
    "sub": "sub_acme",
    "scopes": {"calendars:read"},
}


def seedly_for_store(request: httpx.Request) -> httpx.Response:
    return SHARED(request)


def checked(key: str, url: str = BASE) -> Any:
    return asyncio.run(
        check_connection(url, key, http_transport=httpx.MockTransport(seedly_for_store))
    )


def test_replacing_a_sub_account_key_keeps_the_partition_when_it_is_the_same_account(
    store: ConnectionStore,
) -> None:
    saved = asyncio.run(store.add("Acme", checked(SUB_KEY), SUB_KEY))
    partition = saved.profile.sub_account_id
    assert is_local_partition_id(partition)
    same_key_again = asyncio.run(store.replace_key(saved.profile.id, checked(SUB_KEY), SUB_KEY))
    assert same_key_again.profile.sub_account_id == partition
    assert not same_key_again.partition_reset

    with pytest.raises(DifferentAccount) as caught:
        asyncio.run(store.replace_key(saved.profile.id, checked(OTHER_SUB_KEY), OTHER_SUB_KEY))
    assert caught.value.field == "key"
    assert store.get(saved.profile.id).sub_account_id == partition  # type: ignore[union-attr]
    assert store.secrets.get(account_name(saved.profile.id)) == SUB_KEY

    # A key that may not read contacts cannot be compared: the cache starts afresh.
    reset = asyncio.run(store.replace_key(saved.profile.id, checked(READONLY_SAME), READONLY_SAME))
    assert reset.partition_reset
    assert reset.profile.sub_account_id != partition
    assert is_local_partition_id(reset.profile.sub_account_id)
    assert any("starts afresh" in w for w in reset.warnings)
    assert reset.profile.scopes == ["calendars:read"]


def test_a_key_of_another_kind_or_an_unchecked_key_is_refused(store: ConnectionStore) -> None:
    saved = asyncio.run(store.add("Acme", checked(SUB_KEY), SUB_KEY))
    with pytest.raises(KeyKindChanged):
        asyncio.run(store.replace_key(saved.profile.id, checked(AGENCY_KEY), AGENCY_KEY))
    with pytest.raises(CheckRequired):
        asyncio.run(store.replace_key(saved.profile.id, checked(SUB_KEY), OTHER_SUB_KEY))


def test_a_comparison_that_cannot_run_refuses_and_changes_nothing(tmp_path: Path) -> None:
    profiles = ProfileStore(tmp_path / "profiles.json")
    profiles.load()
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        if "/contacts/con_1" in request.url.path:
            calls["n"] += 1
            raise httpx.ConnectError("down", request=request)
        return SHARED(request)

    store = ConnectionStore(
        profiles,
        Secrets(),
        known_contact_ids=lambda p: ["con_1"],
        http_transport=httpx.MockTransport(flaky),
    )
    saved = asyncio.run(store.add("Acme", checked(SUB_KEY), SUB_KEY))
    with pytest.raises(ComparisonFailed):
        asyncio.run(store.replace_key(saved.profile.id, checked(SUB_KEY), SUB_KEY))
    assert calls["n"] == 1
    assert store.get(saved.profile.id) == saved.profile


def test_an_agency_replacement_must_reach_a_saved_sub_account(store: ConnectionStore) -> None:
    saved = asyncio.run(store.add("Agency", checked(AGENCY_KEY), AGENCY_KEY))
    assert saved.profile.key_kind == "agency"
    assert [s.id for s in saved.profile.sub_accounts] == ["sub_acme", "sub_widget"]
    assert saved.profile.sub_account_id is None
    again = asyncio.run(store.replace_key(saved.profile.id, checked(AGENCY_KEY), AGENCY_KEY))
    assert again.profile.sub_accounts == saved.profile.sub_accounts


def test_a_broken_keyring_saves_nothing_unless_the_user_chooses_session_only(
    store: ConnectionStore, tmp_path: Path
) -> None:
    keyring.set_keyring(BrokenKeyring())
    result = checked(SUB_KEY)
    with pytest.raises(KeyringUnavailable):
        asyncio.run(store.add("Acme", result, SUB_KEY))
    assert store.profiles == []
    saved = asyncio.run(store.add("Acme", result, SUB_KEY, session_only=True))
    assert saved.session_only and store.is_session_only(saved.profile.id)
    assert SUB_KEY not in (tmp_path / "profiles.json").read_text()
    assert store.secrets.get(account_name(saved.profile.id)) == SUB_KEY


def test_names_must_be_given_and_unique(store: ConnectionStore) -> None:
    first = asyncio.run(store.add("Acme", checked(SUB_KEY), SUB_KEY))
    with pytest.raises(ConnectionStoreError) as caught:
        asyncio.run(store.add(" acme ", checked(SUB_KEY), SUB_KEY))
    assert caught.value.field == "name" and "already exists" in caught.value.message
    with pytest.raises(ConnectionStoreError):
        asyncio.run(store.rename(first.profile.id, "  "))
    assert asyncio.run(store.rename(first.profile.id, "Acme Corp")).name == "Acme Corp"
    assert len(store.profiles) == 1


def test_only_a_successful_check_can_be_saved(store: ConnectionStore) -> None:
    failed = checked("sk_live_" + "Z" * 30)
    assert not failed.ok
    with pytest.raises(CheckRequired):
        asyncio.run(store.add("Acme", failed, "sk_live_" + "Z" * 30))
    assert store.profiles == []


def test_removing_deletes_the_key_everywhere(store: ConnectionStore, tmp_path: Path) -> None:
    changes: list[int] = []
    store.subscribe(lambda: changes.append(1))
    saved = asyncio.run(store.add("Acme", checked(SUB_KEY), SUB_KEY))
    account = account_name(saved.profile.id)
    assert store.active_profile_id == saved.profile.id
    assert keyring.get_password("seedly-desk", account) == SUB_KEY
    asyncio.run(store.remove(saved.profile.id))
    assert keyring.get_password("seedly-desk", account) is None
    assert store.secrets.get(account) is None
    assert store.profiles == [] and store.active_profile_id is None
    assert ProfileStore(tmp_path / "profiles.json").load().profiles == []
    assert changes == [1, 1]
