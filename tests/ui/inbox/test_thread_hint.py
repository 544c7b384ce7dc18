"""The thread header's "Also a contact in …" hint: the same email or phone (normalised)
among the other member sub-accounts' cached contacts, named but never shown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.services.ports.inbox import InboxPort
from app.settings.profiles import SubAccountRef
from app.storage import Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.inbox.thread import ThreadPane
from tests.ui.inbox.thread_fixtures import CONV, DEPLOYMENT, SCOPE, ThreadWorkspace, seed_partition
from tests.unit.storage.docs import contact

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def hdb(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "hint.db")
    yield database
    database.close()


def _pane(db: Database, part: Partition, qloop: Any, subs: list[SubAccountRef]) -> ThreadPane:
    workspace = ThreadWorkspace(db, part)
    workspace.session.sync = None  # type: ignore[union-attr]  # the cache is all
    workspace.subs = subs
    bridge = BusBridge(workspace.bus)
    pane = ThreadPane(InboxPort(workspace), bridge, TaskSet("hint", loop=qloop))
    pane.resize(760, 600)
    return pane


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not met in time"
        await asyncio.sleep(0.02)


def test_the_hint_names_other_sub_accounts_and_nothing_of_their_records(
    hdb: Database, qloop: Any, qapp: QApplication, run: Any
) -> None:
    part = seed_partition(hdb)  # Kim Lee, kim.lee@example.com, +16175550142
    other = hdb.partition(DEPLOYMENT, "sub_u")
    # The same phone written another way, under another name and email.
    other.contacts.upsert_many(
        [contact("u_1", "Kimberly", "Secret", email="ks@private.example", phone="617-555-0142")]
    )
    unrelated = hdb.partition(DEPLOYMENT, "sub_v")
    unrelated.contacts.upsert_many([contact("v_1", "Nobody", "Else", phone="+16175550000")])
    subs = [
        SubAccountRef(id=SCOPE.sub_account_id, name="Tango Dental"),
        SubAccountRef(id="sub_u", name="Uniform Roofing"),
        SubAccountRef(id="sub_v", name="Victor Plumbing"),
    ]
    pane = _pane(hdb, part, qloop, subs)

    async def scenario() -> None:
        pane.set_conversation(CONV)
        pane.show()
        await _until(lambda: pane.also_label.isVisibleTo(pane))
        text = pane.also_label.text()
        assert text == "Also a contact in Uniform Roofing"
        # Beside the merged list the header names the sub-account a reply goes to.
        assert not pane.subtitle.text().startswith("Tango Dental")
        pane.port._workspace.all_sub_accounts = True  # type: ignore[attr-defined]
        pane.set_conversation(CONV)
        assert pane.subtitle.text().startswith("Tango Dental · ")
        for secret in ("Kimberly", "Secret", "ks@private", "Victor", "Tango"):
            assert secret not in text
        # Another conversation (none of the contact's keys known elsewhere): no hint.
        pane.set_conversation(None)
        assert not pane.also_label.isVisibleTo(pane)

    try:
        run(scenario())
    finally:
        pane.close()
        pane.deleteLater()


def test_no_hint_for_a_connection_with_one_sub_account(
    hdb: Database, qloop: Any, qapp: QApplication, run: Any
) -> None:
    part = seed_partition(hdb)
    other = hdb.partition(DEPLOYMENT, "sub_u")
    other.contacts.upsert_many([contact("u_1", "Kim", "Lee", email="kim.lee@example.com")])
    pane = _pane(hdb, part, qloop, [SubAccountRef(id=SCOPE.sub_account_id, name="Tango")])

    async def scenario() -> None:
        pane.set_conversation(CONV)
        pane.show()
        await asyncio.sleep(0.3)
        assert not pane.also_label.isVisibleTo(pane)
        assert pane.port.also_contact_in("kim.lee@example.com", None) == []

    try:
        run(scenario())
    finally:
        pane.close()
        pane.deleteLater()
