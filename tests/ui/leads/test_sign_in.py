"""Sign in with Seamless.AI from the Leads tab, against the session's sandbox: the settings
dialog's "Sign in with Seamless.AI" (the browser is an HTTP client that approves at once)
opens the connection and the meter says which way in is used; when the sign-in is revoked
the banner says "sign in again" (research queued meanwhile is kept) and its button signs
in again, after which the queued research goes out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from app.services.ports.leads import AUTH_OAUTH, JobState, LeadsPort, SeamlessOAuthClient
from app.settings.profiles import SeamlessSettings
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.leads.connection import SeamlessSettingsDialog
from app.ui.leads.tab import LeadsTab
from tests.support.areas import build_area
from tests.support.sandbox_process import Sandbox
from tests.ui.leads.conftest import make_workspace, until

pytestmark = pytest.mark.timeout(90)

Run = Callable[..., Any]


class Browser:
    """Approves as ``user_id`` at once and follows the redirect back to the app."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.tasks: list[asyncio.Task[None]] = []
        self.opened: list[str] = []

    def open(self, url: str) -> bool:
        self.opened.append(url)
        self.tasks.append(asyncio.get_running_loop().create_task(self._visit(url)))
        return True

    async def _visit(self, url: str) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            consent = await client.get(url + "&" + urlencode({"user_id": self.user_id}))
            await client.get(consent.headers["location"])


def test_sign_in_from_the_dialog_then_sign_in_again_from_the_banner(
    sandbox: Sandbox, tmp_path: Path, run: Run
) -> None:
    user = sandbox.control("POST", "seamless/users", json={"credits": 300, "newOrg": True})
    info = sandbox.info["seamless_oauth"]
    path = urlsplit(info["redirect_uri"]).path

    async def flow() -> None:
        workspace, _profile = make_workspace(tmp_path, sandbox, seedly=False)
        workspace.profiles.data.seamless = SeamlessSettings(base_url=sandbox.seamless_url)
        port = LeadsPort(workspace)
        bridge = BusBridge(workspace.bus)
        tasks = TaskSet("leads-test")
        tab = build_area(LeadsTab, port, bridge, tasks)
        tab.show()
        browser = Browser(user["userId"])
        try:
            dialog = SeamlessSettingsDialog(port.connection, tab, opener=browser.open)
            dialog.show()
            panel = dialog.sign_in_panel
            panel.client_id.setText(info["client_id"])
            panel.client_secret.setText(info["client_secret"])
            panel.authorize_url.setText(info["authorize_url"])
            panel.redirect_uri.setText(f"http://127.0.0.1{path}")
            signed: list[Any] = []
            panel.signedIn.connect(signed.append)
            panel.sign_in_button.click()
            await until(lambda: signed)
            assert not dialog.isVisible()  # signing in saved and connected: the dialog closed
            assert workspace.leads.auth == AUTH_OAUTH
            saved = workspace.profiles.data.seamless
            assert saved is not None and saved.oauth == SeamlessOAuthClient(
                client_id=info["client_id"],
                authorize_url=info["authorize_url"],
                redirect_uri=f"http://127.0.0.1{path}",
            )
            await until(lambda: tab.meter.balance_text == "300 credits")
            tab.sync_connection()
            assert tab.meter.auth_text == "via Seamless.AI sign-in"
            await dialog.sign_in_panel.shutdown()
            await dialog.tasks.shutdown(2)
            dialog.deleteLater()

            # The user removes the app's access: the next request ends the sign-in.
            sandbox.control("POST", "seamless/oauth/revoke", json={"userId": user["userId"]})
            queue = port.queue
            assert queue is not None
            ids = [
                o["searchResultId"]
                for o in sandbox.control(
                    "GET",
                    "seamless/outcomes",
                    params={"status": "done", "limit": 1, "offset": 2500},
                )
            ]
            [job_id] = queue.submit(queue.plan(ids))
            await until(lambda: tab.banner.isVisible() and port.sign_in_needed)
            assert (
                "Sign in again" in tab.banner.text and "nothing queued was lost" in tab.banner.text
            )
            assert tab.banner.action_button.text() == "Sign in again…"
            job = queue.jobs.get(job_id)
            assert job is not None and job.state is JobState.QUEUED

            again = Browser(user["userId"])
            task = tab.sign_in_again(opener=again.open)
            assert await task is True
            await until(lambda: not port.sign_in_needed and port.problem is None)
            tab.sync_connection()
            assert not tab.banner.isVisible() or tab.banner.severity != "danger"
            new_queue = port.queue
            assert new_queue is not None
            await until(lambda: new_queue.progress(job_id).state is JobState.DONE, timeout=30)
        finally:
            await tab.shutdown()
            await tasks.shutdown(5)
            await workspace.shutdown(5)
            bridge.detach()
            tab.deleteLater()

    run(flow(), timeout=80)
