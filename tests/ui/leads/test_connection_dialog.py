"""Settings → Seamless.AI connection against the sandbox: the check reads the balance (or
says why the key is refused, at the field it concerns), saving puts the key in the
keyring only (session-only when no keyring works), the pricing rules and the budget
apply, and a change of budget alone needs no new check."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest

from app.core.credits import FREE_SEARCH_PRICING
from app.services.ports.leads import LeadsPort
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import DEFAULT_SEAMLESS_URL
from app.settings.secrets import SERVICE, Secrets, seamless_account
from app.ui.leads.connection import SeamlessSettingsDialog, clean_key, normalize_url
from tests.support.keyrings import BrokenKeyring
from tests.support.local_servers import closed_port_url
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(60)

Run = Callable[..., Any]


def new_user(box: Sandbox, credits: int) -> str:
    return str(
        box.control("POST", "seamless/users", json={"credits": credits, "newOrg": True})["key"]
    )


@pytest.fixture
def workspace(tmp_path: Path, run: Run) -> Any:
    ws = Workspace.open(AppPaths.under(tmp_path / "home"), secrets=Secrets())
    yield ws
    run(ws.shutdown(5))


def dialog_for(qtbot: Any, workspace: Workspace) -> SeamlessSettingsDialog:
    dialog = SeamlessSettingsDialog(LeadsPort(workspace).connection)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_keys_and_urls_are_cleaned() -> None:
    assert clean_key('  "slk_test_ab\ncd"  ') == "slk_test_abcd"
    assert (
        normalize_url("api.example.com/api/client/v1/") == "https://api.example.com/api/client/v1"
    )
    with pytest.raises(ValueError, match="Enter the Seamless.AI API URL"):
        normalize_url(" ")


def test_a_refused_key_and_an_unreachable_url_are_said_at_their_field(
    sandbox: Sandbox, workspace: Workspace, qtbot: Any, run: Run
) -> None:
    async def flow() -> None:
        dialog = dialog_for(qtbot, workspace)
        assert dialog.url_edit.text() == DEFAULT_SEAMLESS_URL
        assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password
        dialog.show_key.click()
        assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Normal
        dialog.url_edit.setText(sandbox.seamless_url)
        dialog.key_edit.setText("slk_test_not_a_key")
        result = await dialog.start_check()
        assert "did not accept the API key" in result
        assert "did not accept the API key" in dialog.key_message.text
        assert not dialog.save_button.isEnabled()
        # No API license: the check says so in the result panel.
        dialog.key_edit.setText(str(sandbox.info["seamless_unlicensed_key"]))
        await dialog.start_check()
        assert "no API license" in dialog.result_panel.text
        assert not dialog.save_button.isEnabled()
        # Nobody answers at the URL.
        dialog.url_edit.setText(closed_port_url() + "/api/client/v1")
        dialog.key_edit.setText("slk_test_whatever")
        await dialog.start_check()
        assert "could not be reached" in dialog.url_message.text
        assert workspace.leads.client is None  # nothing was connected

    run(flow(), timeout=50)


def test_check_save_to_the_keyring_and_connect(
    sandbox: Sandbox, workspace: Workspace, qtbot: Any, run: Run
) -> None:
    async def flow() -> None:
        key = new_user(sandbox, 1234)
        dialog = dialog_for(qtbot, workspace)
        dialog.url_edit.setText(sandbox.seamless_url + "/")
        dialog.key_edit.setText(f"  {key[:10]}\n{key[10:]} ")  # pasted from a wrapped mail
        assert dialog.key_edit.text() == key
        assert await dialog.start_check() == 1234
        assert "Balance: 1,234 credits." in dialog.result_panel.text
        dialog.pricing.setCurrentIndex(dialog.pricing.findData("free-search"))
        dialog.budget_enabled.setChecked(True)
        dialog.budget.setValue(50)
        assert dialog.save_button.isEnabled()
        assert await dialog.start_save() is True
        settings = workspace.profiles.data.seamless
        assert settings is not None and settings.base_url == sandbox.seamless_url
        # The key only in the keyring; the settings file has everything else.
        assert keyring.get_password(SERVICE, seamless_account(settings.id)) == key
        saved = json.loads(workspace.profiles.path.read_text())
        assert (
            saved["seamless"]["pricing"] == "free-search"
            and saved["seamless"]["daily_budget"] == 50
        )
        assert key not in workspace.profiles.path.read_text()
        leads = workspace.leads
        assert leads.connected and leads.credits is not None
        assert leads.credits.rules == FREE_SEARCH_PRICING and leads.credits.daily_budget == 50
        client = leads.client

        # Only the budget changes: no check needed, applied without reconnecting.
        again = dialog_for(qtbot, workspace)
        assert again.key_edit.placeholderText() == "Saved key (leave empty to keep it)"
        assert not again.needs_check() and not again.save_button.isEnabled()
        again.budget.setValue(80)
        assert again.save_button.isEnabled()
        assert await again.start_save() is True
        assert leads.client is client and leads.credits.daily_budget == 80

    run(flow(), timeout=50)


def test_without_a_keyring_the_key_is_kept_for_the_session_only(
    sandbox: Sandbox, workspace: Workspace, qtbot: Any, run: Run
) -> None:
    async def flow() -> None:
        key = new_user(sandbox, 10)
        keyring.set_keyring(BrokenKeyring())
        dialog = dialog_for(qtbot, workspace)
        dialog.url_edit.setText(sandbox.seamless_url)
        dialog.key_edit.setText(key)
        await dialog.start_check()
        assert await dialog.start_save() is False
        assert not dialog.keyring_panel.isHidden()
        assert "cannot be saved securely" in dialog.keyring_label.text()
        assert await dialog.save_for_session() is True
        settings = workspace.profiles.data.seamless
        assert settings is not None
        assert workspace.secrets.session.get(seamless_account(settings.id)) == key
        assert workspace.leads.connected
        assert key not in workspace.profiles.path.read_text()

    run(flow(), timeout=50)
