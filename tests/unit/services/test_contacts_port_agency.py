"""The Contacts port in All sub-accounts: the merged search reads the chosen members'
partitions only, tags every row with the sub-account it came from, offers nothing to write
with, and opening a result's sub-account goes through the window's unsaved-work check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.agency_reads import AgencyContactsReader
from app.services.ports.contacts import ContactsPort
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore, SubAccountRef
from app.settings.secrets import Secrets, SessionSecrets
from app.storage import Database
from tests.unit.storage.docs import contact

DEPLOYMENT = "https://crm.example.com"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "cache.db")
    yield database
    database.close()


def _workspace(tmp_path: Path, db: Database) -> Workspace:
    space = Workspace(
        AppPaths.under(tmp_path).ensure(),
        db,
        ProfileStore(tmp_path / "profiles.json"),
        Secrets(persistent=SessionSecrets()),
        persist=False,
    )
    space.profile = Profile(
        id="p1",
        name="Agency",
        deployment_url=DEPLOYMENT,
        key_kind="agency",
        sub_accounts=[
            SubAccountRef(id="sub_a", name="Alpha"),
            SubAccountRef(id="sub_b", name="Bravo"),
            SubAccountRef(id="sub_c", name="Charlie"),
        ],
    )
    # The same contact id in two sub-accounts: ids are only unique within one.
    db.partition(DEPLOYMENT, "sub_a").contacts.upsert_many(
        [contact("c1", "Jane", "Alder", email="jane@alpha.test"), contact("c2", "Zed", "Ames")]
    )
    db.partition(DEPLOYMENT, "sub_b").contacts.upsert_many(
        [contact("c1", "Jane", "Birch", email="jane@bravo.test")]
    )
    db.partition(DEPLOYMENT, "sub_c").contacts.upsert_many(
        [contact("c9", "Janet", "Cole"), contact("c8", "Jane", "Crane")]
    )
    return space


def test_the_merged_search_reads_the_chosen_members_only(tmp_path: Path, db: Database) -> None:
    space = _workspace(tmp_path, db)
    port = ContactsPort(space)
    assert not port.all_mode() and port.merged_reader() is None  # not in All mode
    space.all_sub_accounts = True
    reader = port.merged_reader()
    assert isinstance(reader, AgencyContactsReader)
    assert reader is port.merged_reader()  # one object while the members stay
    results = reader.search("jane")
    owners = [(t.member.name, t.row.id, t.row.name) for t in results.rows]
    assert owners == [
        ("Alpha", "c1", "Jane Alder"),
        ("Bravo", "c1", "Jane Birch"),
        ("Charlie", "c8", "Jane Crane"),
        ("Charlie", "c9", "Janet Cole"),
    ]
    assert results.totals == {"sub_a": 1, "sub_b": 1, "sub_c": 2}
    # Every row's chip is its own sub-account's, whatever the id.
    assert {t.member.sub_account_id: t.member.colour for t in results.rows} == {
        m.sub_account_id: m.colour for m in reader.members()
    }
    # The inclusion settings narrow the members (never to one the profile does not reach).
    space.agency_members = lambda: [
        SubAccountRef(id="sub_c", name="Charlie"),
        SubAccountRef(id="sub_x", name="Elsewhere"),
        SubAccountRef(id="sub_a", name="Alpha"),
    ]
    narrowed = port.merged_reader()
    assert narrowed is not None and narrowed is not reader
    assert [m.sub_account_id for m in narrowed.members()] == ["sub_a", "sub_c"]
    found = narrowed.search("jane")
    assert {t.member.sub_account_id for t in found.rows} == {"sub_a", "sub_c"}
    assert "sub_b" not in found.totals
    # A sub-account key never merges.
    space.profile = Profile(id="p2", name="One", deployment_url=DEPLOYMENT, sub_account_id="s")
    assert not port.all_mode() and port.merged_reader() is None


def test_the_merged_reader_is_read_only(tmp_path: Path, db: Database) -> None:
    space = _workspace(tmp_path, db)
    space.all_sub_accounts = True
    reader = ContactsPort(space).merged_reader()
    assert reader is not None
    writes = ("upsert", "save", "update", "delete", "create", "write", "set_", "contact_service")
    public = [name for name in dir(reader) if not name.startswith("_")]
    assert public and not [n for n in public if n.startswith(writes)]
    before = db.partition(DEPLOYMENT, "sub_b").contacts.count(None)
    reader.search("jane")
    assert db.partition(DEPLOYMENT, "sub_b").contacts.count(None) == before


def test_opening_a_result_asks_before_switching(tmp_path: Path, db: Database) -> None:
    space = _workspace(tmp_path, db)
    space.all_sub_accounts = True
    port = ContactsPort(space)
    switched: list[str] = []
    answers = [False, True]

    async def confirm() -> bool:
        return answers.pop(0)

    async def switch(sub_account_id: str) -> Any:
        switched.append(sub_account_id)

    space.before_owner_switch = confirm
    space.switch_sub_account = switch  # type: ignore[method-assign]
    assert asyncio.run(port.open_owner("sub_b")) == "stayed"  # the user kept unsaved work
    assert switched == []
    assert asyncio.run(port.open_owner("sub_b")) == "opened"
    assert switched == ["sub_b"]
