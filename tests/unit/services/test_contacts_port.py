"""ContactsPort and ContactsReader over a real SQLite cache: typed rows, scope, commands."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.core.contact_csv import parse_csv
from app.core.models import Contact
from app.services.bulk import BulkRunner
from app.services.bus import ScopeKey
from app.services.contact_import import ContactImporter
from app.services.ports.contacts import (
    ContactChoices,
    ContactFilters,
    ContactQuery,
    ContactRow,
    ContactsPort,
    ContactsReader,
    NotActive,
    StorageError,
    contact_row,
)
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets
from app.storage import Database, Partition, SyncKind
from tests.unit.storage.docs import contact

DEPLOYMENT = "https://crm.example.com"


def _people() -> list[dict[str, Any]]:
    return [
        contact(
            "c1",
            "Ann",
            "Able",
            email="ann@x.com",
            phone="+16175550101",
            tags=["vip", "webinar"],
            lifecycleStage="customer",
            source="website",
            assignedTo="usr_kim",
            city="Boston",
            engagementScore=71,
            customFields={"budget": 10, "language": "English"},
        ),
        contact("c2", "Bo", "Baker", email="bo@x.com", tags=["vip"], lifecycleStage="lead"),
        contact("c3", "Cy", "Cole", email="ANN@x.com", source="referral", engagementScore=True),
        contact("c4", "", "", email="only@x.com", lifecycleStage="customer", city="Boston"),
    ]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "cache.sqlite3")
    yield database
    database.close()


@pytest.fixture
def partition(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_a")
    part.contacts.upsert_many(_people())
    part.custom_fields.replace_fields(
        [
            {"name": "budget", "label": "Budget", "type": "number"},
            {"name": "broken", "options": "not a list"},
        ]
    )
    return part


@pytest.fixture
def reader(partition: Partition) -> ContactsReader:
    return ContactsReader(partition)


def test_pages_are_typed_rows_searched_filtered_and_sorted_in_sql(reader: ContactsReader) -> None:
    rows = reader.page(ContactQuery(sort_key="name"), limit=10)
    assert all(isinstance(r, ContactRow) for r in rows)
    ann = next(r for r in rows if r.id == "c1")
    assert (ann.name, ann.email, ann.stage, ann.tags) == (
        "Ann Able",
        "ann@x.com",
        "customer",
        ("vip", "webinar"),
    )
    assert (ann.assigned_to, ann.city, ann.score) == ("usr_kim", "Boston", 71)
    assert ann.custom == {"budget": 10, "language": "English"}
    cy = next(r for r in rows if r.id == "c3")
    assert cy.score is None  # a boolean is not a score
    vip = ContactQuery(None, ContactFilters(tags=("vip",)), "name", descending=True)
    assert [r.id for r in reader.page(vip, limit=10)] == ["c2", "c1"]
    assert [r.id for r in reader.page(vip, limit=1, offset=1)] == ["c1"]
    assert [r.id for r in reader.page(ContactQuery("baker"), limit=10)] == ["c2"]
    assert reader.count("ann") == 2  # Ann Able, and Cy Cole's email
    assert reader.count(None, ContactFilters(source="referral")) == 1


def test_first_page_counts_only_when_the_page_is_full(reader: ContactsReader) -> None:
    everyone = reader.first_page(ContactQuery(), 10)
    assert (len(everyone.rows), everyone.total) == (4, 4)
    first_two = reader.first_page(ContactQuery(sort_key="name"), 2)
    assert len(first_two.rows) == 2 and first_two.total == 4


def test_rows_share_repeated_strings_through_intern(reader: ContactsReader) -> None:
    pool: dict[str, str] = {}

    def intern(value: str | None) -> str | None:
        return None if value is None else pool.setdefault(value, value)

    rows = reader.first_page(ContactQuery(), 10, intern=intern).rows
    cities = [r.city for r in rows if r.city]
    assert len(cities) == 2 and cities[0] is cities[1]
    assert contact_row({"id": 7, "tags": "not-a-list"}).tags == ()


def test_one_contact_typed_and_lookup_by_email(reader: ContactsReader) -> None:
    found = reader.contact("c1")
    assert isinstance(found, Contact) and found.first_name == "Ann"
    assert reader.contact("missing") is None and reader.document("missing") is None
    doc = reader.document("c2")
    assert doc is not None and doc["email"] == "bo@x.com"
    assert sorted(c.id for c in reader.contacts_with_email("ann@x.com")) == ["c1", "c3"]


def test_choices_definitions_and_the_full_walk_mark(
    reader: ContactsReader, partition: Partition
) -> None:
    choices = reader.choices()
    assert isinstance(choices, ContactChoices)
    assert choices.tags == ("vip", "webinar")
    assert choices.sources == ("api", "referral", "website")  # "api": the fixture's default
    assert choices.assignees == ("usr_kim",)
    assert [d.name for d in reader.field_definitions()] == ["budget"]  # the broken one skipped
    assert reader.has_full_walk() is False
    partition.marks.set_full_sync_ms(SyncKind.CONTACTS, 1_750_000_000_000)
    assert reader.has_full_walk() is True


def test_covers_only_its_own_sub_account(reader: ContactsReader) -> None:
    assert reader.covers(ScopeKey(DEPLOYMENT + "/", "sub_a"))  # deployment normalised
    assert not reader.covers(ScopeKey(DEPLOYMENT, "sub_b"))
    assert not reader.covers(ScopeKey("https://other.example.com", "sub_a"))
    assert not reader.covers(ScopeKey("not a url at all", "sub_a"))
    assert not reader.covers(None)
    assert (reader.sub_account_id, reader.deployment) == ("sub_a", DEPLOYMENT)


def test_reads_from_another_thread(reader: ContactsReader) -> None:
    answers: list[int] = []
    worker = threading.Thread(target=lambda: answers.append(reader.count()))
    worker.start()
    worker.join(10)
    assert answers == [4]


def test_export_writes_the_query_in_its_order(reader: ContactsReader, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    query = ContactQuery(None, ContactFilters(lifecycle_stage="customer"), "name", True)
    assert reader.export_csv(query, target) == 2
    table = parse_csv(target.read_bytes())
    assert [r.cells[table.header.index("Email")] for r in table.rows] == [
        "ann@x.com",
        "only@x.com",
    ]


def test_a_closed_cache_raises_storage_errors_only(reader: ContactsReader, db: Database) -> None:
    db.close()
    for read in (
        lambda: reader.page(ContactQuery(), limit=5),
        lambda: reader.first_page(ContactQuery(), 5),
        reader.choices,
        reader.has_full_walk,
        lambda: reader.document("c1"),
    ):
        with pytest.raises(StorageError):
            read()


# -- the port -----------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.open(
        AppPaths.under(tmp_path / "home"), secrets=Secrets(persistent=SessionSecrets())
    )
    yield ws
    ws.db.close()


def _activate(workspace: Workspace, sub_account_id: str) -> Partition:
    """Make ``sub_account_id`` the active scope as a session does (without a server)."""
    profile = Profile(name="Test", deployment_url=DEPLOYMENT, sub_account_id=sub_account_id)
    partition = workspace.db.partition(profile.cache_key, sub_account_id)
    workspace.profile = profile
    workspace.session = SimpleNamespace(  # type: ignore[assignment]
        scope_key=ScopeKey(profile.cache_key, sub_account_id),
        partition=partition,
        generation=1,
        view=SimpleNamespace(),
    )
    return partition


def test_nothing_open_means_no_reader_and_no_commands(workspace: Workspace) -> None:
    port = ContactsPort(workspace)
    assert port.active_scope() is None and port.reader() is None
    for command in (port.contact_service, port.bulk_runner, port.importer):
        with pytest.raises(NotActive):
            command()


def test_the_reader_follows_the_active_scope(workspace: Workspace) -> None:
    port = ContactsPort(workspace)
    part_a = _activate(workspace, "sub_a")
    part_a.contacts.upsert_many(_people())
    reader = port.reader()
    assert reader is not None and reader.count() == 4
    assert port.reader() is reader  # the same sub-account: the same reader
    assert port.active_scope() == ScopeKey(DEPLOYMENT, "sub_a")
    # A session event's scope that is not active yet still gets its own reader.
    other = port.reader(ScopeKey(DEPLOYMENT, "sub_b"))
    assert other is not None and other is not reader and other.sub_account_id == "sub_b"
    assert other.count() == 0
    _activate(workspace, "sub_b")
    assert port.reader() is other


def test_commands_are_bound_to_the_active_sub_account(workspace: Workspace) -> None:
    port = ContactsPort(workspace)
    partition = _activate(workspace, "sub_a")
    service = port.contact_service()
    assert service.partition.id == partition.id and service.scope.sub_account_id == "sub_a"
    runner = port.bulk_runner()
    assert isinstance(runner, BulkRunner) and runner.service.partition.id == partition.id
    importer = port.importer()
    assert isinstance(importer, ContactImporter) and importer.partition.id == partition.id
