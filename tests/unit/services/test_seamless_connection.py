"""``SeamlessConnection`` against ``httpx.MockTransport``: the check reads the balance (free)
or says why the key or the URL cannot be used, at the field it concerns; keys go to the
keyring only, in memory for the demo, a workspace that does not persist or when the user
chose "this session only"; saving keeps the settings and opens the connection, and a
change of the pricing or the budget alone applies without reconnecting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api.seamless import SeamlessClient
from app.services.leads import LeadsService
from app.services.ports.leads import LeadsPort
from app.services.seamless_connection import (
    CheckField,
    KeyNotSaved,
    SaveFailed,
    SeamlessConnection,
    clean_key,
    normalize_url,
    pricing_choices,
)
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import SeamlessSettings
from app.settings.secrets import KeyringUnavailable, Secrets, SessionSecrets, seamless_account

URL = "https://seamless.example/api/client/v1"
GOOD, UNLICENSED = "slk_test_good", "slk_test_unlicensed"

Handler = Callable[[httpx.Request], httpx.Response]


def reply(status: int, body: Any, credits: int | None = None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if credits is not None:
        headers["X-PublicAPI-Credits"] = str(credits)
    return httpx.Response(status, headers=headers, content=json.dumps(body).encode())


class Seamless:
    """A Seamless API that knows two keys and reports a balance on every answer."""

    def __init__(self, balance: int | None = 1234) -> None:
        self.balance = balance
        self.requests: list[httpx.Request] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        key = request.headers.get("Token")
        if key == UNLICENSED:
            return reply(422, {"msg": "No API license", "code": "missingLicense", "data": {}})
        if key != GOOD:
            return reply(401, {"message": "Invalid token"})
        return reply(200, {"data": [], "supplementalData": {"isMore": False}}, self.balance)

    def client(self, url: str, key: str) -> SeamlessClient:
        return SeamlessClient(url, api_key=key, http_transport=httpx.MockTransport(self))


class NoKeyring:
    """A system where no keyring works."""

    def get(self, account: str) -> str | None:
        raise KeyringUnavailable("no backend")

    def set(self, account: str, secret: str) -> None:
        raise KeyringUnavailable("no backend")

    def delete(self, account: str) -> None:
        pass


@pytest.fixture
def server() -> Seamless:
    return Seamless()


def open_workspace(tmp_path: Path, server: Seamless, **options: Any) -> Workspace:
    secrets = options.pop("secrets", None) or Secrets(persistent=SessionSecrets())
    workspace = Workspace.open(AppPaths.under(tmp_path / "home"), secrets=secrets, **options)

    def factory(url: str, *, api_key: str) -> SeamlessClient:
        return server.client(url, api_key)

    workspace.leads = LeadsService(
        workspace.db, workspace.bus, workspace.contact_service_for, client_factory=factory
    )
    return workspace


def connection(workspace: Workspace, server: Seamless) -> SeamlessConnection:
    port = LeadsPort(workspace)
    return SeamlessConnection(workspace, port.preferences, client_factory=server.client)


def test_keys_urls_and_pricing_are_cleaned() -> None:
    assert clean_key('  "slk_test_ab\ncd"  ') == "slk_test_abcd"
    assert (
        normalize_url("api.example.com/api/client/v1/") == "https://api.example.com/api/client/v1"
    )
    for bad in (" ", "http://exa mple.com", "ftp://example.com", "https://host:port/x"):
        with pytest.raises(ValueError):
            normalize_url(bad)
    names = [name for name, _label in pricing_choices()]
    assert names[:2] == ["article", "free-search"]


def test_a_check_reads_the_balance_or_says_where_it_failed(
    tmp_path: Path, server: Seamless
) -> None:
    workspace = open_workspace(tmp_path, server)
    check = connection(workspace, server).check

    async def flow() -> None:
        ok = await check(URL + "/", f" {GOOD[:5]}\n{GOOD[5:]} ")
        assert ok.ok and ok.balance == 1234 and ok.message == "Balance: 1,234 credits."
        assert ok.url == URL and ok.key == GOOD and GOOD not in repr(ok)
        assert server.requests[-1].url.path.endswith("/contacts")  # free: a page of today's
        refused = await check(URL, "slk_test_wrong")
        assert not refused.ok and refused.field is CheckField.KEY
        assert "did not accept the API key" in refused.message
        unlicensed = await check(URL, UNLICENSED)
        assert unlicensed.field is CheckField.RESULT and "no API license" in unlicensed.message
        server.down = True
        unreachable = await check(URL, GOOD)
        assert unreachable.field is CheckField.URL and "could not be reached" in unreachable.message
        bad_url = await check("http://exa mple", GOOD)
        assert bad_url.field is CheckField.URL and "spaces" in bad_url.message
        # No key typed and none saved: said at the key, nothing sent.
        sent = len(server.requests)
        missing = await check(URL, "")
        assert missing.field is CheckField.KEY and "Paste the API key" in missing.message
        assert len(server.requests) == sent
        server.down = False
        server.balance = None
        silent = await check(URL, GOOD)
        assert silent.ok and silent.balance is None and "did not report" in silent.message
        await workspace.shutdown(2)

    asyncio.run(flow())


def test_save_to_the_keyring_connect_then_change_the_budget_alone(
    tmp_path: Path, server: Seamless
) -> None:
    workspace = open_workspace(tmp_path, server)
    seamless = connection(workspace, server)

    async def flow() -> None:
        settings = seamless.settings_for(URL, "free-search", 50)
        await seamless.save(settings, GOOD)
        account = seamless_account(settings.id)
        assert workspace.secrets.persistent.get(account) == GOOD
        assert workspace.secrets.session.get(account) is None
        saved = json.loads(workspace.profiles.path.read_text())
        assert saved["seamless"]["pricing"] == "free-search"
        assert GOOD not in workspace.profiles.path.read_text()
        leads = workspace.leads
        assert leads.connected and leads.credits is not None
        assert leads.credits.daily_budget == 50
        client = leads.client
        # The saved key is found for a check with the key field left empty.
        assert seamless.current == settings and await seamless.saved_key() == GOOD
        assert (await seamless.check(URL, "")).ok
        # Only the budget: same id, applied at once, no new client.
        again = seamless.settings_for(URL, "free-search", 80)
        assert again.id == settings.id
        await seamless.save(again, None)
        assert leads.client is client and leads.credits.daily_budget == 80
        assert json.loads(workspace.profiles.path.read_text())["seamless"]["daily_budget"] == 80
        with pytest.raises(ValueError):
            seamless.settings_for(URL, "article", 0)
        await workspace.shutdown(2)

    asyncio.run(flow())


def test_without_a_keyring_the_key_is_for_the_session_only(
    tmp_path: Path, server: Seamless
) -> None:
    workspace = open_workspace(tmp_path, server, secrets=Secrets(persistent=NoKeyring()))
    seamless = connection(workspace, server)

    async def flow() -> None:
        settings = seamless.settings_for(URL, "article", None)
        with pytest.raises(KeyNotSaved, match="no backend"):
            await seamless.save(settings, GOOD)
        assert not workspace.profiles.path.exists() and not workspace.leads.connected
        with pytest.raises(LookupError, match="Paste the API key"):
            await seamless.saved_key()  # nothing saved, no connection yet
        await seamless.save(settings, GOOD, session_only=True)
        assert workspace.secrets.session.get(seamless_account(settings.id)) == GOOD
        assert workspace.leads.connected
        with pytest.raises(LookupError, match="Paste the key to check"):
            workspace.secrets.session.delete(seamless_account(settings.id))
            await seamless.saved_key()
        await workspace.shutdown(2)

    asyncio.run(flow())


def test_the_demo_and_a_workspace_that_does_not_persist_stay_in_memory(
    tmp_path: Path, server: Seamless
) -> None:
    workspace = open_workspace(tmp_path, server, persist=False)
    seamless = connection(workspace, server)

    async def flow() -> None:
        settings = seamless.settings_for(URL, "article", None)
        await seamless.save(settings, GOOD)
        assert workspace.secrets.persistent.get(seamless_account(settings.id)) is None
        assert workspace.secrets.session.get(seamless_account(settings.id)) == GOOD
        assert not workspace.profiles.path.exists()
        await workspace.shutdown(2)

    asyncio.run(flow())


def test_a_settings_file_that_cannot_be_written_is_said(
    tmp_path: Path, server: Seamless, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = open_workspace(tmp_path, server)
    seamless = connection(workspace, server)

    def refuse() -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(workspace.profiles, "save", refuse)

    async def flow() -> None:
        settings = SeamlessSettings(base_url=URL)
        with pytest.raises(SaveFailed, match=r"could not be saved \(Permission denied\)"):
            await seamless.save(settings, GOOD)
        assert not workspace.leads.connected
        await workspace.shutdown(2)

    asyncio.run(flow())
