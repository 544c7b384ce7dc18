"""Connection checks against a real sandbox process over HTTP: every kind of key the API
describes (docs/api/seedly-crm.md §2), addresses that are not Seedly, and key replacement
that must stay on the same sub-account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.constants import SCOPES
from app.core.keys import KeyKind, KeyMode
from app.services.connection_store import (
    ConnectionStore,
    DifferentAccount,
    is_local_partition_id,
)
from app.services.connections import (
    SCOPE_PROBE_ID,
    ConnectionCheck,
    FailureKind,
    InputField,
    ScopeState,
    check_connection,
)
from app.settings.profiles import ProfileStore
from app.settings.secrets import Secrets, account_name
from tests.support.local_servers import closed_port_url, html_server
from tests.support.sandbox_process import Sandbox

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


def assert_key_hidden(result: ConnectionCheck, key: str) -> None:
    texts = [repr(result), result.summary(), *result.warnings, *(f.detail for f in result.scopes)]
    assert not any(key in text for text in texts)


def contact_total(sandbox: Sandbox, key: str | None = None, sub: str | None = None) -> int:
    body = sandbox.client(key, sub).get("/api/v1/contacts", params={"limit": 1}).json()
    return int(body["meta"]["total"])


async def test_a_sub_account_key_has_every_scope_and_the_check_changes_nothing(
    sandbox: Sandbox,
) -> None:
    key = sandbox.sub_key(0)
    before = contact_total(sandbox)
    result = await check_connection(sandbox.url, key)
    assert result.ok, result.failure
    assert result.url == sandbox.url
    assert (result.key_kind, result.key_mode) == (KeyKind.SUB_ACCOUNT, KeyMode.TEST)
    assert result.present_scopes == SCOPES
    assert result.sub_accounts == () and result.warnings == ()
    assert contact_total(sandbox) == before
    probe = sandbox.client().get(f"/api/v1/contacts/{SCOPE_PROBE_ID}")
    assert probe.status_code == 404  # nothing was created under the probe id
    assert_key_hidden(result, key)


async def test_a_pasted_endpoint_url_and_bearer_prefix_still_work(sandbox: Sandbox) -> None:
    result = await check_connection(
        f" {sandbox.url}/api/v1/contacts ", f"Bearer {sandbox.sub_key(1)}\n"
    )
    assert result.ok, result.failure
    assert result.url == sandbox.url


async def test_the_agency_key_lists_its_sub_accounts(sandbox: Sandbox) -> None:
    key = sandbox.info["agency_key"]
    result = await check_connection(sandbox.url, key)
    assert result.ok, result.failure
    assert result.key_kind is KeyKind.AGENCY and result.key_mode is KeyMode.TEST
    expected = [(s["id"], s["name"]) for s in sandbox.info["subaccounts"]]
    assert [(s.id, s.name) for s in result.sub_accounts] == expected
    assert result.probed_sub_account is not None
    assert result.probed_sub_account.id == expected[0][0]
    assert result.present_scopes == SCOPES
    assert_key_hidden(result, key)


@pytest.mark.parametrize(
    ("label", "kind", "words"),
    [
        ("revoked_key", FailureKind.REVOKED, "was revoked"),
        ("expired_key", FailureKind.EXPIRED, "has expired"),
    ],
)
async def test_revoked_and_expired_keys(
    sandbox: Sandbox, label: str, kind: FailureKind, words: str
) -> None:
    key = sandbox.info[label]
    result = await check_connection(sandbox.url, key)
    assert result.failure is not None
    assert result.failure.kind is kind and result.failure.field is InputField.KEY
    assert words in result.failure.message
    assert "Settings → Integrations → API Keys" in result.failure.message
    assert_key_hidden(result, key)


async def test_a_key_the_server_does_not_know(sandbox: Sandbox) -> None:
    key = "sk_test_" + "N" * 32
    result = await check_connection(sandbox.url, key)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.UNAUTHORIZED
    assert result.failure.field is InputField.KEY
    assert_key_hidden(result, key)


async def test_the_readonly_key_lists_its_missing_scopes(sandbox: Sandbox) -> None:
    result = await check_connection(sandbox.url, sandbox.info["readonly_key"])
    assert result.ok, result.failure
    assert set(result.present_scopes) == {"contacts:read", "conversations:read", "calendars:read"}
    assert set(result.missing_scopes) == {
        "contacts:write",
        "conversations:write",
        "calendars:write",
        "webhooks:manage",
    }
    assert all(f.state is not ScopeState.UNKNOWN for f in result.scopes)
    assert [f.scope for f in result.missing_recommended] == [
        "contacts:write",
        "conversations:write",
    ]
    assert any("you cannot send messages" in w for w in result.warnings)
    assert result.read_only


async def test_a_closed_port_is_refused() -> None:
    result = await check_connection(closed_port_url(), "sk_test_" + "C" * 32, timeout=3)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.REFUSED
    assert result.failure.field is InputField.URL
    assert "refused the connection" in result.failure.message


async def test_a_web_server_that_is_not_seedly() -> None:
    with html_server() as url:
        result = await check_connection(url, "sk_test_" + "H" * 32, timeout=3)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.NOT_SEEDLY
    assert result.failure.field is InputField.URL
    assert "not as a Seedly CRM API" in result.failure.message


async def test_https_against_a_plain_http_server_is_a_tls_error(sandbox: Sandbox) -> None:
    result = await check_connection(sandbox.url.replace("http://", "https://"), sandbox.sub_key(0))
    assert result.failure is not None
    assert result.failure.kind is FailureKind.TLS
    assert "http://" in result.failure.message


async def test_a_path_the_deployment_does_not_serve(sandbox: Sandbox) -> None:
    result = await check_connection(sandbox.url + "/crm", sandbox.sub_key(0))
    assert result.failure is not None
    assert result.failure.kind is FailureKind.NOT_SEEDLY
    assert "Remove “/crm”" in result.failure.message


async def test_a_malformed_key_is_reported_before_any_request() -> None:
    # Against a closed port: had a request been sent, the answer would be "refused".
    result = await check_connection(closed_port_url(), "sk_test_short")
    assert result.failure is not None
    assert result.failure.kind is FailureKind.MALFORMED_KEY
    assert result.failure.field is InputField.KEY


# -- saving and replacing keys against the sandbox ----------------------------------------------


def first_contact_ids(sandbox: Sandbox, key: str) -> list[str]:
    body: dict[str, Any] = sandbox.client(key).get("/api/v1/contacts", params={"limit": 3}).json()
    return [c["id"] for c in body["data"]]


async def test_a_replaced_sub_account_key_must_reach_the_same_sub_account(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    first = sandbox.sub_key(0)
    cached = first_contact_ids(sandbox, first)
    profiles = ProfileStore(tmp_path / "profiles.json")
    profiles.load()
    store = ConnectionStore(profiles, Secrets(), known_contact_ids=lambda profile: cached)
    saved = await store.add("Harbor", await check_connection(sandbox.url, first), first)
    partition = saved.profile.sub_account_id
    assert is_local_partition_id(partition)

    other = sandbox.sub_key(1)
    with pytest.raises(DifferentAccount):
        await store.replace_key(saved.profile.id, await check_connection(sandbox.url, other), other)
    assert await store.load_key(saved.profile.id) == first

    # The sandbox's read-only key belongs to the first sub-account and may read contacts.
    readonly = sandbox.info["readonly_key"]
    replaced = await store.replace_key(
        saved.profile.id, await check_connection(sandbox.url, readonly), readonly
    )
    assert replaced.profile.sub_account_id == partition
    assert not replaced.partition_reset
    assert replaced.profile.scopes == ["contacts:read", "conversations:read", "calendars:read"]
    assert store.secrets.get(account_name(saved.profile.id)) == readonly
    assert readonly not in (tmp_path / "profiles.json").read_text()
