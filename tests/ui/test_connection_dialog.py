"""The connection dialog and Settings → Connections against a real sandbox: every failure
shown on the field it concerns, summaries, saving to the keyring only, session-only keys
when no keyring works, cancelling a check, replacing a key, and the connections list."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QDialog, QLineEdit

from app.services.connection_store import ConnectionStore
from app.services.connections import ConnectionCheck, check_connection
from app.settings.paths import AppPaths
from app.settings.profiles import ProfileStore
from app.settings.secrets import SERVICE, Secrets, account_name
from app.ui.async_qt import await_signal
from app.ui.connections import (
    ConnectionDialog,
    ConnectionsPage,
    DialogMode,
    ProfileIdRole,
    clean_pasted_key,
)
from tests.support.keyrings import BrokenKeyring
from tests.support.local_servers import closed_port_url, html_server, silent_server
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(60)

Run = Callable[..., Any]


def make_store(known: Sequence[str] = ()) -> ConnectionStore:
    paths = AppPaths.default().ensure()
    profiles = ProfileStore(paths.profiles_file)
    profiles.load()
    return ConnectionStore(profiles, Secrets(), known_contact_ids=lambda profile: known)


@pytest.fixture
def store() -> ConnectionStore:
    return make_store()


def open_dialog(qtbot: Any, store: ConnectionStore, **kw: Any) -> ConnectionDialog:
    dialog = ConnectionDialog(store, timeout=3, **kw)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


async def check(dialog: ConnectionDialog, url: str | None, key: str) -> ConnectionCheck:
    if url is not None:
        dialog.url_edit.setText(url)
    dialog.key_edit.setText(key)
    assert dialog.check_button.isEnabled()
    # Until there is something to save, Check is the main action: styled so, and Enter's.
    assert dialog.check_button.property("primary") is True and dialog.check_button.isDefault()
    assert not dialog.save_button.property("primary")
    dialog.check_button.click()
    result: ConnectionCheck = await await_signal(dialog.checkFinished, timeout=15)
    return result


async def save(dialog: ConnectionDialog) -> int:
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    code: int = await await_signal(dialog.finished, timeout=10)
    return code


def files_containing(root: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


# -- failures, each on its field ------------------------------------------------------------


def test_each_failure_is_shown_next_to_the_field_it_concerns(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox
) -> None:
    dialog = open_dialog(qtbot, store)
    good = sandbox.sub_key(0)

    async def scenario() -> list[tuple[str, str, str]]:
        shown = []
        with html_server() as not_seedly:
            cases = [
                ("ftp://crm.example.com", good, "url", "must start with https://"),
                (closed_port_url(), good, "url", "refused the connection"),
                (not_seedly, good, "url", "not as a Seedly CRM API"),
                (sandbox.url, "sk_test_short", "key", "looks incomplete"),
                (sandbox.url, "sk_test_" + "U" * 30, "key", "did not accept this API key"),
                (sandbox.url, sandbox.info["revoked_key"], "key", "was revoked"),
                (sandbox.url, sandbox.info["expired_key"], "key", "has expired"),
            ]
            for url, key, field, words in cases:
                result = await check(dialog, url, key)
                assert result.failure is not None
                other = "key" if field == "url" else "url"
                shown.append((field, dialog.field_message(field), dialog.field_message(other)))
                assert words in dialog.field_message(field), (url, dialog.field_message(field))
                assert dialog.field_message(field) == result.failure.message
                assert not dialog.save_button.isEnabled()
                assert dialog.result_panel.isHidden()
        return shown

    shown = run(scenario())
    assert all(other == "" for _, _, other in shown)


def test_a_failure_of_neither_field_is_shown_in_the_result_panel(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox_factory: Any
) -> None:
    limited = sandbox_factory("--seed", "empty", "--rate-limit-read", "1")
    key = limited.sub_key(0)
    dialog = open_dialog(qtbot, store)

    async def scenario() -> ConnectionCheck:
        await check_connection(limited.url, key)  # spends the one read of this window
        return await check(dialog, limited.url, key)

    result = run(scenario())
    assert result.failure is not None and result.failure.field.value == "none"
    assert dialog.result_panel.severity == "danger"
    assert "too many requests" in dialog.field_message("none")
    assert dialog.field_message("url") == dialog.field_message("key") == ""


# -- success, summaries and saving ----------------------------------------------------------


def test_an_agency_key_is_summarised_and_saved_to_the_keyring_only(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox, isolated_home: Path
) -> None:
    key = sandbox.info["agency_key"]
    dialog = open_dialog(qtbot, store)
    saved: list[str] = []
    dialog.connectionSaved.connect(saved.append)

    async def scenario() -> int:
        result = await check(dialog, sandbox.url + "/api/v1/", key)
        assert result.ok
        assert dialog.url_edit.text() == sandbox.url  # the normalised URL is what is saved
        return await save(dialog)

    assert run(scenario()) == QDialog.DialogCode.Accepted
    summary = dialog.result_panel.text
    assert dialog.result_panel.severity == "success"
    assert "Agency key (test)" in summary
    for sub in sandbox.info["subaccounts"]:
        assert sub["name"] in summary
    assert "webhooks:manage" in summary
    assert key not in summary
    assert len(saved) == 1 and dialog.saved_profile_id == saved[0]
    profile = store.get(saved[0])
    assert profile is not None and profile.key_kind == "agency"
    assert [s.id for s in profile.sub_accounts] == sandbox.sub_ids
    assert store.active_profile_id == profile.id
    assert keyring.get_password(SERVICE, account_name(profile.id)) == key
    assert (AppPaths.default().profiles_file).is_file()
    assert files_containing(isolated_home, key) == []


def test_a_read_only_key_warns_what_it_blocks_and_can_still_be_saved(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox
) -> None:
    key = sandbox.info["readonly_key"]
    dialog = open_dialog(qtbot, store)

    async def scenario() -> int:
        await check(dialog, sandbox.url, key)
        return await save(dialog)

    assert run(scenario()) == QDialog.DialogCode.Accepted
    # Once checked, Save took over as the main action.
    assert dialog.save_button.property("primary") is True
    assert not dialog.check_button.property("primary")
    panel = dialog.result_panel
    assert panel.severity == "warning"
    assert "with limited permissions" in panel.text
    assert (
        "Without the permission “Change contacts” (contacts:write) you cannot create, edit or "
        "delete contacts" in panel.text
    )
    assert (
        "Without the permission “Send messages” (conversations:write) you cannot send messages"
        in panel.text
    )
    assert "“Book appointments” (calendars:write) you cannot book" in panel.text
    assert "“Manage webhooks” (webhooks:manage)" in panel.text
    # Permissions in words; the scopes only as the secondary line.
    assert "Permissions: See contacts, See conversations, See calendars." in panel.text
    assert "Scopes of the key: contacts:read, conversations:read, calendars:read." in panel.text
    profile = store.get(dialog.saved_profile_id or "")
    assert profile is not None
    assert profile.scopes == ["contacts:read", "conversations:read", "calendars:read"]


def test_without_a_keyring_the_key_can_be_used_for_this_session_only(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox, isolated_home: Path
) -> None:
    keyring.set_keyring(BrokenKeyring())
    key = sandbox.sub_key(0)
    dialog = open_dialog(qtbot, store)

    async def scenario() -> int:
        await check(dialog, sandbox.url, key)
        dialog.save_button.click()
        while dialog.keyring_panel.isHidden():
            await asyncio.sleep(0.01)
        assert dialog.isVisible()  # nothing was saved: the dialog stays open
        assert store.profiles == []
        dialog.session_button.click()
        code: int = await await_signal(dialog.finished, timeout=10)
        return code

    assert run(scenario()) == QDialog.DialogCode.Accepted
    assert "No system keyring is available" in dialog.keyring_label.text()
    assert "never written to disk" in dialog.keyring_label.text()
    assert "for this session only" in dialog.session_button.text()
    pid = dialog.saved_profile_id
    assert pid is not None and store.is_session_only(pid)
    assert store.secrets.get(account_name(pid)) == key
    assert files_containing(isolated_home, key) == []


def test_a_pasted_key_is_cleaned_and_hidden_until_shown(qtbot: Any, store: ConnectionStore) -> None:
    dialog = open_dialog(qtbot, store)
    dialog.key_edit.setText('  "Bearer sk_test_abcdefgh\n12345678"  ')
    assert dialog.key_edit.text() == "sk_test_abcdefgh12345678"
    assert clean_pasted_key("bearer  sk_live_x y\tz") == "sk_live_xyz"
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.show_key_button.click()
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Normal
    dialog.show_key_button.click()
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Password


def test_a_running_check_shows_progress_and_can_be_cancelled(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox
) -> None:
    dialog = open_dialog(qtbot, store)
    finished: list[object] = []
    dialog.checkFinished.connect(finished.append)

    async def scenario() -> None:
        with silent_server() as url:
            dialog.url_edit.setText(url)
            dialog.key_edit.setText(sandbox.sub_key(0))
            dialog.check_button.click()
            while not dialog.busy:
                await asyncio.sleep(0.01)
            assert not dialog.busy_bar.isHidden() and not dialog.cancel_check_button.isHidden()
            assert dialog.check_button.isHidden()
            assert not dialog.save_button.isEnabled()
            dialog.cancel_check_button.click()
            while dialog.busy:
                await asyncio.sleep(0.01)

    run(scenario(), timeout=10)
    assert finished == []
    assert dialog.busy_bar.isHidden() and not dialog.check_button.isHidden()
    assert dialog.check_result is None and dialog.result_panel.isHidden()
    assert dialog.isVisible()


def test_changing_the_url_after_a_check_needs_a_new_check(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox
) -> None:
    dialog = open_dialog(qtbot, store)
    run(check(dialog, sandbox.url, sandbox.sub_key(0)))
    assert dialog.save_button.isEnabled()
    dialog.url_edit.setText(sandbox.url + "/other")
    assert not dialog.save_button.isEnabled()
    assert dialog.result_panel.isHidden() and dialog.check_result is None


# -- edit and replace-key modes --------------------------------------------------------------


def added(run: Run, store: ConnectionStore, url: str, key: str, name: str = "Harbor") -> str:
    async def add() -> str:
        saved = await store.add(name, await check_connection(url, key), key)
        return saved.profile.id

    result: str = run(add())
    return result


def test_renaming_needs_no_check(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox
) -> None:
    pid = added(run, store, sandbox.url, sandbox.sub_key(0))
    dialog = open_dialog(qtbot, store, mode=DialogMode.EDIT, profile_id=pid)
    assert dialog.key_edit.text() == ""
    assert not dialog.save_button.isEnabled()  # nothing changed yet
    dialog.name_edit.setText("Harbor Dental")
    assert dialog.save_button.isEnabled() and not dialog.check_button.isEnabled()
    assert run(save(dialog)) == QDialog.DialogCode.Accepted
    assert store.get(pid).name == "Harbor Dental"  # type: ignore[union-attr]


def test_editing_the_url_checks_it_with_the_saved_key(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox
) -> None:
    pid = added(run, store, sandbox.url, sandbox.sub_key(0))
    dialog = open_dialog(qtbot, store, mode=DialogMode.EDIT, profile_id=pid)

    async def scenario() -> ConnectionCheck:
        dialog.url_edit.setText(closed_port_url())
        dialog.check_button.click()
        result: ConnectionCheck = await await_signal(dialog.checkFinished, timeout=15)
        return result

    result = run(scenario())
    assert result.failure is not None
    assert "refused" in dialog.field_message("url")


def test_replacing_a_key_keeps_name_and_url_and_stays_on_the_sub_account(
    qtbot: Any, run: Run, sandbox: Sandbox
) -> None:
    first = sandbox.sub_key(0)
    body = sandbox.client(first).get("/api/v1/contacts", params={"limit": 3}).json()
    store = make_store([c["id"] for c in body["data"]])
    pid = added(run, store, sandbox.url, first)
    reason = "The API key was revoked. Create a new key and paste it here."
    dialog = open_dialog(qtbot, store, mode=DialogMode.REPLACE_KEY, profile_id=pid, reason=reason)
    assert not dialog.name_edit.isEnabled() and not dialog.url_edit.isEnabled()
    assert reason in dialog.reason_panel.text
    assert "same sub-account" in dialog.reason_panel.text

    async def scenario() -> int:
        await check(dialog, None, sandbox.sub_key(1))  # another sub-account's key
        dialog.save_button.click()
        while not dialog.field_message("key"):
            await asyncio.sleep(0.01)
        assert "another sub-account" in dialog.field_message("key")
        await check(dialog, None, sandbox.info["revoked_key"])
        assert "was revoked" in dialog.field_message("key")
        await check(dialog, None, sandbox.info["readonly_key"])  # same sub-account
        return await save(dialog)

    assert run(scenario()) == QDialog.DialogCode.Accepted
    assert store.secrets.get(account_name(pid)) == sandbox.info["readonly_key"]
    assert store.get(pid).name == "Harbor"  # type: ignore[union-attr]


# -- Settings → Connections -----------------------------------------------------------------


def test_the_connections_page_adds_lists_and_removes(
    qtbot: Any, run: Run, store: ConnectionStore, sandbox: Sandbox
) -> None:
    page = ConnectionsPage(store, timeout=3)
    qtbot.addWidget(page)
    page.show()
    QAbstractItemModelTester(page.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert not page.empty_label.isHidden()
    removed: list[tuple[str, Any]] = []
    page.connectionRemoved.connect(lambda pid, profile: removed.append((pid, profile)))
    key = sandbox.info["agency_key"]

    async def add() -> str | None:
        task = asyncio.ensure_future(page.add_connection())
        while page.dialog is None:
            await asyncio.sleep(0.01)
        dialog = page.dialog
        await check(dialog, sandbox.url, key)
        dialog.name_edit.setText("Agency")
        dialog.save_button.click()
        return await task

    pid = run(add())
    assert pid is not None and page.model.rowCount() == 1
    assert page.empty_label.isHidden()
    assert page.selected_profile_id() == pid
    row = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert row[0] == "Agency" and row[1] == sandbox.url
    assert row[2] == "Agency key · 2 sub-accounts" and row[3].startswith("Active")
    assert page.model.index(0, 0).data(ProfileIdRole) == pid
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole]
    texts = [str(page.model.index(0, c).data(r)) for c in range(4) for r in roles]
    assert not any(key in t for t in texts)
    assert not page.activate_button.isEnabled()  # already the active one

    async def remove(confirm: bool) -> bool:
        task = asyncio.ensure_future(page.remove_connection(pid))
        while page.confirmation is None:
            await asyncio.sleep(0.01)
        box = page.confirmation
        wanted = "Remove" if confirm else "Cancel"
        button = next(b for b in box.buttons() if b.text().replace("&", "") == wanted)
        button.click()
        return await task

    assert run(remove(confirm=False)) is False
    assert store.get(pid) is not None
    assert run(remove(confirm=True)) is True
    assert [r[0] for r in removed] == [pid] and page.model.rowCount() == 0
    assert removed[0][1].deployment_url == sandbox.url
    assert keyring.get_password(SERVICE, account_name(pid)) is None
