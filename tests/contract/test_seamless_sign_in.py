"""Sign in with Seamless.AI end to end against a sandbox process, through the services the
Leads tab uses: authorize in a "browser" (an HTTP client that follows the consent
screen's redirect, no window) → the loopback listener takes the code → tokens in the test
keyring only → refresh before expiry → refresh on a 401 → a revoked refresh token ends
the sign-in ("sign in again", queued research kept) → signing in again sends it. Also:
a wrong ``state`` and a browser that never comes back are refused, the pasted code works,
and the key and the sign-in coexist (the connection says which is in use)."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import keyring
import pytest

from app.api.seamless import SeamlessClient
from app.services.leads import AUTH_KEY, AUTH_OAUTH, LeadsService
from app.services.ports.leads import LeadsPort
from app.services.seamless_oauth import SignInTimedOut, StateMismatch
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import SeamlessOAuthClient, SeamlessSettings
from app.storage import JobState
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio]

QUIET = PollPlan(
    inbox=(3600, 3600), thread=(3600, 3600), contacts=(3600, 3600), appointments=(3600, 3600)
)


class ShiftedClock:
    """The app's clock, moved forward with the sandbox's when a test advances time."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class Browser:
    """The user's browser without a window: it opens the authorize address as the user
    ``user_id`` (who approves at once), follows the consent screen's redirect to the
    app, and keeps the page the app answered with. ``tamper`` may change the address the
    consent screen redirects to (an attacker's state)."""

    def __init__(self, user_id: str, tamper: Callable[[str], str] | None = None) -> None:
        self.user_id = user_id
        self.tamper = tamper
        self.pages: list[httpx.Response] = []
        self.redirects: list[str] = []
        self.tasks: list[asyncio.Task[None]] = []

    def open(self, url: str) -> bool:
        self.tasks.append(asyncio.get_running_loop().create_task(self._visit(url)))
        return True

    async def _visit(self, url: str) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            consent = await client.get(url + "&" + urlencode({"user_id": self.user_id}))
            assert consent.status_code == 302, consent.text
            location = consent.headers["location"]
            if self.tamper is not None:
                location = self.tamper(location)
            self.redirects.append(location)
            self.pages.append(await client.get(location))


def oauth_client(box: Sandbox) -> tuple[SeamlessOAuthClient, str]:
    info = box.info["seamless_oauth"]
    # The demo app's registered redirect is a loopback one: any port, the same path.
    path = urlsplit(info["redirect_uri"]).path
    client = SeamlessOAuthClient(
        client_id=info["client_id"],
        authorize_url=info["authorize_url"],
        redirect_uri=f"http://127.0.0.1{path}",
    )
    return client, str(info["client_secret"])


def new_user(box: Sandbox, credits: int) -> dict[str, str]:
    return box.control("POST", "seamless/users", json={"credits": credits, "newOrg": True})  # type: ignore[no-any-return]


def advance(box: Sandbox, clock: ShiftedClock, seconds: float, *, app_too: bool) -> None:
    box.control("POST", "clock/advance", json={"ms": int(seconds * 1000)})
    if app_too:
        clock.offset += seconds


def kept(settings: SeamlessSettings) -> dict[str, Any] | None:
    """The sign-in's tokens as the (test) system keyring holds them."""
    text = keyring.get_password("seedly-desk", f"seamless:{settings.id}:oauth")
    return None if text is None else json.loads(text)  # type: ignore[no-any-return]


def workspace_for(tmp: Path, clock: ShiftedClock) -> tuple[Workspace, LeadsPort]:
    workspace = Workspace.open(AppPaths.under(tmp / "home"), plan=QUIET)
    workspace.leads = LeadsService(
        workspace.db,
        workspace.bus,
        workspace.contact_service_for,
        client_factory=functools.partial(SeamlessClient, clock=clock),
        poll_interval=2.0,
    )
    return workspace, LeadsPort(workspace)


async def until(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout} s: {condition}")
        await asyncio.sleep(0.05)


async def test_sign_in_refresh_revocation_and_signing_in_again(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # A sandbox of its own: this test moves its clock by hours.
    sandbox: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)
    user = new_user(sandbox, 500)
    clock = ShiftedClock()
    clock.offset = sandbox.control("GET", "health")["clockOffsetMs"] / 1000
    workspace, port = workspace_for(tmp_path, clock)
    client, secret = oauth_client(sandbox)
    settings = SeamlessSettings(base_url=sandbox.seamless_url, oauth=client)
    workspace.profiles.data.seamless = settings
    try:
        # 1. Authorize in the browser; the loopback listener takes the code.
        browser = Browser(user["userId"])
        sign_in = port.connection.begin_sign_in(
            settings.base_url, client, secret, open_browser=browser.open
        )
        url = await sign_in.start()
        query = parse_qs(urlsplit(url).query)
        assert query["state"] == [sign_in.state] and query["client_id"] == [client.client_id]
        redirect = query["redirect_uri"][0]
        assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/oauth/callback")
        tokens = await sign_in.wait()
        await asyncio.gather(*browser.tasks)
        assert browser.pages[0].status_code == 200 and "close this window" in browser.pages[0].text
        assert sign_in.listener is not None and not sign_in.listener.listening  # one-shot
        settings = await port.connection.finish_sign_in(settings, tokens, secret)
        assert settings.auth == AUTH_OAUTH and workspace.leads.auth == AUTH_OAUTH
        # 2. The tokens are in the keyring only: not in the settings file.
        stored = kept(settings)
        assert stored is not None and stored["access_token"] == tokens.access_token
        assert stored["refresh_token"] == tokens.refresh_token
        settings_file = workspace.paths.profiles_file.read_text()
        assert (
            tokens.access_token not in settings_file and tokens.refresh_token not in settings_file
        )
        assert secret not in settings_file
        credits = await until(lambda: workspace.leads.credits and workspace.leads.credits.balance)
        assert credits == 500 and workspace.leads.problem is None
        leads_client = workspace.leads.client

        # 3. Refreshed before expiry: 50 s before it, the next request refreshes first.
        advance(sandbox, clock, 3550, app_too=True)
        await leads_client.refresh_balance()
        second = await until(
            lambda: (k := kept(settings)) and k["access_token"] != tokens.access_token and k
        )
        assert second["refresh_token"] != tokens.refresh_token  # the refresh token rotated

        # 4. Refreshed on a 401: the server's clock passed expiry, the app's did not.
        advance(sandbox, clock, 3700, app_too=False)
        before = workspace.leads.client.tokens
        await leads_client.refresh_balance()
        assert workspace.leads.client.tokens.access_token != before.access_token
        third = await until(
            lambda: (k := kept(settings)) and k["access_token"] != second["access_token"] and k
        )
        assert workspace.leads.problem is None and not workspace.leads.sign_in_needed
        clock.offset += 3700  # the app catches up with the server

        # 5. The refresh token is revoked (the user removed the app's access): the next
        # refresh is refused, the sign-in has ended, queued research is kept.
        sandbox.control("POST", "seamless/oauth/revoke", json={"userId": user["userId"]})
        advance(sandbox, clock, 3590, app_too=True)  # due for a refresh
        queue = workspace.leads.queue
        assert queue is not None
        ids = [
            o["searchResultId"]
            for o in sandbox.control(
                "GET", "seamless/outcomes", params={"status": "done", "limit": 2, "offset": 2300}
            )
        ]
        [job_id] = queue.submit(queue.plan(ids))
        await until(lambda: workspace.leads.sign_in_needed)
        problem = port.problem
        assert (
            problem is not None
            and "Sign in again" in problem
            and "nothing queued was lost" in problem
        )
        await until(lambda: queue.paused)
        job = queue.jobs.get(job_id)
        assert job is not None and job.state is JobState.QUEUED  # nothing lost
        assert kept(settings) == third  # nothing was overwritten by the refusal

        # 6. Signing in again opens the connection again and sends what was queued.
        browser = Browser(user["userId"])
        sign_in = port.connection.begin_sign_in(
            settings.base_url, client, secret, open_browser=browser.open
        )
        await sign_in.start()
        settings = await port.connection.finish_sign_in(settings, await sign_in.wait(), secret)
        assert not workspace.leads.sign_in_needed and port.problem is None
        queue = workspace.leads.queue
        assert queue is not None
        await until(lambda: queue.progress(job_id).state is JobState.DONE, timeout=30)
    finally:
        await workspace.shutdown(5)


async def test_a_wrong_state_and_a_browser_that_never_comes_back_are_refused(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    user = new_user(sandbox, 10)
    workspace, port = workspace_for(tmp_path, ShiftedClock())
    client, secret = oauth_client(sandbox)
    try:

        def forged(location: str) -> str:
            parts = urlsplit(location)
            query = parse_qs(parts.query)
            query["state"] = ["not-the-app-s-state"]
            return urlunsplit(parts._replace(query=urlencode({k: v[0] for k, v in query.items()})))

        browser = Browser(user["userId"], tamper=forged)
        sign_in = port.connection.begin_sign_in(
            sandbox.seamless_url, client, secret, open_browser=browser.open
        )
        await sign_in.start()
        with pytest.raises(StateMismatch):
            await sign_in.wait()
        await asyncio.gather(*browser.tasks)
        assert browser.pages[0].status_code == 400 and "refused" in browser.pages[0].text
        assert sign_in.listener is not None and not sign_in.listener.listening
        assert workspace.leads.client is None  # nothing opened, nothing kept
        assert keyring.get_password("seedly-desk", "seamless:any:oauth") is None

        silent = port.connection.begin_sign_in(
            sandbox.seamless_url, client, secret, open_browser=lambda url: True, timeout=0.5
        )
        await silent.start()
        redirect = silent.redirect_uri
        with pytest.raises(SignInTimedOut):
            await silent.wait()
        assert silent.listener is not None and not silent.listener.listening
        async with httpx.AsyncClient(timeout=2) as late:
            with pytest.raises(httpx.ConnectError):  # the listener is gone
                await late.get(redirect + "?code=late&state=" + silent.state)
    finally:
        await workspace.shutdown(5)


async def test_a_pasted_code_signs_in_and_the_key_and_sign_in_coexist(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    user = new_user(sandbox, 42)
    workspace, port = workspace_for(tmp_path, ShiftedClock())
    client, secret = oauth_client(sandbox)
    settings = SeamlessSettings(base_url=sandbox.seamless_url, oauth=client)
    workspace.profiles.data.seamless = settings
    try:
        # A key first, as most users start.
        await port.connection.save(settings, user["key"])
        assert workspace.leads.auth == AUTH_KEY
        # The browser could not come back (another machine): the user pastes the address the
        # browser ended on; the state in it is checked.
        sign_in = port.connection.begin_sign_in(
            settings.base_url, client, secret, open_browser=lambda url: False
        )
        url = await sign_in.start()
        assert not sign_in.browser_opened and sign_in.url == url
        async with httpx.AsyncClient(timeout=10) as browser:
            consent = await browser.get(url + "&" + urlencode({"user_id": user["userId"]}))
        landed = consent.headers["location"]
        tokens = await sign_in.use_pasted(f"  {landed}  ")
        settings = await port.connection.finish_sign_in(settings, tokens, secret)
        assert workspace.leads.auth == AUTH_OAUTH
        assert await port.connection.stored_auth() == {AUTH_KEY, AUTH_OAUTH}
        assert (
            await until(lambda: workspace.leads.credits and workspace.leads.credits.balance) == 42
        )
        # Back to the key, and to the sign-in again: both are kept.
        settings = await port.connection.use_auth(AUTH_KEY)
        assert workspace.leads.auth == AUTH_KEY and settings.auth == AUTH_KEY
        settings = await port.connection.use_auth(AUTH_OAUTH)
        assert workspace.leads.auth == AUTH_OAUTH
        # A bare code (the browser-less consent screen) works too.
        bare = port.connection.begin_sign_in(
            settings.base_url, client, secret, open_browser=lambda url: False
        )
        await bare.start()
        code = sandbox.control(
            "POST",
            "seamless/oauth/authorize",
            json={
                "clientId": client.client_id,
                "redirectUri": bare.redirect_uri,
                "userId": user["userId"],
            },
        )["code"]
        assert (await bare.use_pasted(code)).access_token
    finally:
        await workspace.shutdown(5)
