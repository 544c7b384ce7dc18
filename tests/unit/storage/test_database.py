"""Opening, pragmas, migrations, transactions, threads and closing."""

from __future__ import annotations

import sqlite3
import time
import threading
from pathlib import Path

import pytest

from app.storage import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Database,
    DatabaseClosedError,
    MigrationError,
    SchemaTooNewError,
    StorageError,
)
from app.storage.database import apply_migrations
from app.storage.contacts import ContactRepository
from tests.unit.storage.docs import contact

BROKEN = "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);"


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_open_configures_the_connection(db: Database) -> None:
    assert db.pragma("journal_mode") == "wal"
    assert db.pragma("foreign_keys") == 1
    assert db.pragma("synchronous") == 1  # NORMAL
    assert db.pragma("busy_timeout") == 5000
    assert db.pragma("cache_size") < -2000  # larger than SQLite's 2 MiB default
    assert db.user_version == SCHEMA_VERSION == len(MIGRATIONS)


def test_readers_keep_pages_in_memory(db: Database) -> None:
    """Each thread's reader maps the file: a search reads its index pages from memory
    instead of through the OS each time (twice as fast at 100,000 contacts)."""

    def mapped() -> int:
        with db.read() as conn:
            return int(conn.execute("PRAGMA mmap_size").fetchone()[0])

    seen = [mapped()]
    worker = threading.Thread(target=lambda: seen.append(mapped()))
    worker.start()
    worker.join()
    assert all(size >= 64 * 1024 * 1024 for size in seen) and len(seen) == 2


def test_pragma_name_is_checked(db: Database) -> None:
    with pytest.raises(ValueError):
        db.pragma("user_version; DROP TABLE contacts")


def test_fresh_file_has_the_whole_schema(db: Database, db_path: Path) -> None:
    tables = _tables(db_path)
    for name in (
        "partitions", "sync_state", "contacts", "contact_docs", "contact_tags", "contacts_fts",
        "custom_fields", "conversations", "conversations_fts", "messages", "messages_fts",
        "drafts", "outbox", "calendars", "appointment_types", "appointments", "webhooks",
        "research_records", "research_spend",
    ):  # fmt: skip
        assert name in tables, name


def test_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.db"
    Database.open(path).close()
    assert path.exists()


@pytest.mark.parametrize("start", range(1, len(MIGRATIONS)))
def test_migrates_from_each_older_version_keeping_data(
    tmp_path: Path, start: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    old = Database.open(path, migrations=MIGRATIONS[:start])
    assert old.user_version == start
    with monkeypatch.context() as older_code:
        # Written as the app of that version wrote it: before V5 no deletions were remembered.
        older_code.setattr(ContactRepository, "_without_deleted", lambda _self, _conn, pairs: pairs)
        old.partition("https://crm.example.com", "sub_a").contacts.upsert_many([contact("c1")])
    old.close()

    with Database.open(path) as db:
        assert db.user_version == SCHEMA_VERSION
        part = db.partition("https://crm.example.com", "sub_a")
        assert part.contacts.get("c1") is not None
        assert [c["id"] for c in part.contacts.search("jane")] == ["c1"]
        # Tables of later versions work on the migrated file.
        part.outbox.enqueue("cl1", "conv1", {"bodyText": "hi"})
        part.drafts.save_draft("conv1", {"bodyText": "draft"})
        db.research_ledger("key1").log_spend("search", 1, 1, 0)
        assert part.outbox.get("cl1") is not None
        part.contacts.delete_ids(["c1"])
        assert part.contacts.upsert_many([contact("c1")]) == 0  # V5 remembers the deletion


def test_failed_migration_leaves_the_previous_version(db_path: Path) -> None:
    with Database.open(db_path) as db:
        db.partition("https://crm.example.com", "sub_a").contacts.upsert_many([contact("c1")])

    with pytest.raises(MigrationError) as info:
        Database.open(db_path, migrations=(*MIGRATIONS, BROKEN))
    assert info.value.version == SCHEMA_VERSION + 1
    assert _user_version(db_path) == SCHEMA_VERSION
    assert "half_done" not in _tables(db_path)  # the script's first statement was undone

    with Database.open(db_path) as db:
        assert db.partition("https://crm.example.com", "sub_a").contacts.get("c1") is not None


def test_each_migration_is_its_own_transaction(db_path: Path) -> None:
    Database.open(db_path, migrations=MIGRATIONS[:1]).close()
    with pytest.raises(MigrationError):
        Database.open(db_path, migrations=(*MIGRATIONS[:2], BROKEN))
    # Version 2 was committed; the broken third never was.
    assert _user_version(db_path) == 2
    assert "conversations" in _tables(db_path)
    assert "half_done" not in _tables(db_path)


def test_apply_migrations_on_a_raw_connection() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    assert apply_migrations(conn, MIGRATIONS) == SCHEMA_VERSION
    assert apply_migrations(conn, MIGRATIONS) == SCHEMA_VERSION  # nothing left to do
    conn.close()


def test_a_newer_file_is_refused(db_path: Path) -> None:
    Database.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    with pytest.raises(SchemaTooNewError) as info:
        Database.open(db_path)
    assert info.value.version == SCHEMA_VERSION + 3
    assert _user_version(db_path) == SCHEMA_VERSION + 3


def test_too_old_sqlite_is_refused(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 22, 0))
    with pytest.raises(StorageError, match="too old"):
        Database.open(db_path)
    assert not db_path.exists()


def test_in_memory_database_works() -> None:
    with Database.open(":memory:") as db:
        part = db.partition("https://crm.example.com", "sub_a")
        part.contacts.upsert_many([contact("c1")])
        assert part.contacts.count() == 1


def test_transaction_rolls_back_everything_on_error(db: Database) -> None:
    part = db.partition("https://crm.example.com", "sub_a")
    with pytest.raises(RuntimeError), db.transaction():
        part.state.set_state("cursor", "abc")
        part.contacts.upsert_many([contact("c1")])
        raise RuntimeError("boom")
    assert part.state.get_state("cursor") is None
    assert part.contacts.get("c1") is None


def test_nested_transaction_is_a_savepoint(db: Database) -> None:
    part = db.partition("https://crm.example.com", "sub_a")
    with db.transaction():
        part.state.set_state("outer", 1)
        with pytest.raises(ValueError), db.transaction():
            part.state.set_state("inner", 2)
            raise ValueError("inner fails")
        part.state.set_state("after", 3)
    assert part.state.get_state("outer") == 1
    assert part.state.get_state("inner") is None
    assert part.state.get_state("after") == 3


def test_upsert_failing_midway_writes_nothing(db: Database) -> None:
    part = db.partition("https://crm.example.com", "sub_a")
    with pytest.raises(ValueError):
        part.contacts.upsert_many([contact("c1"), {"firstName": "No id"}])
    assert part.contacts.count() == 0


def test_threads_share_the_connection_safely(db: Database) -> None:
    part = db.partition("https://crm.example.com", "sub_a")
    errors: list[Exception] = []

    def writer(n: int) -> None:
        try:
            for batch in range(10):
                part.contacts.upsert_many(
                    [contact(f"t{n}_{batch}_{i}", first=f"Name{n}") for i in range(20)]
                )
                part.contacts.search(f"name{n}", limit=5)
                part.contacts.count(f"name{n}")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert part.contacts.count() == 4 * 10 * 20
    for n in range(4):
        assert part.contacts.count(f"name{n}") == 200


def test_close_is_idempotent_and_final(db_path: Path) -> None:
    db = Database.open(db_path)
    part = db.partition("https://crm.example.com", "sub_a")
    db.close()
    db.close()
    assert db.closed
    with pytest.raises(DatabaseClosedError):
        part.contacts.count()
    with pytest.raises(DatabaseClosedError):
        db.partition("https://crm.example.com", "sub_a")


def test_data_survives_reopen(db_path: Path) -> None:
    with Database.open(db_path) as db:
        db.partition("https://crm.example.com", "sub_a").contacts.upsert_many([contact("c1")])
    with Database.open(db_path) as db:
        part = db.partition("https://crm.example.com", "sub_a")
        assert part.contacts.get("c1") == contact("c1")
        assert part.contacts.count("smith") == 1


def test_a_reader_does_not_wait_for_a_writer(db_path: Path) -> None:
    """WAL: the GUI thread reads the last committed state while a worker's write
    transaction is open, and a thread sees its own uncommitted writes."""
    import threading

    with Database.open(db_path) as db:
        part = db.partition("https://crm.example.com", "sub_a")
        part.contacts.upsert_many([contact("c1")])
        in_write = threading.Event()
        release = threading.Event()

        def slow_writer() -> None:
            with db.transaction() as conn:
                conn.execute(
                    "UPDATE contact_docs SET doc = doc WHERE rid IN (SELECT rid FROM contacts)"
                )
                in_write.set()
                release.wait(10)

        worker = threading.Thread(target=slow_writer)
        worker.start()
        assert in_write.wait(10)
        started = time.perf_counter()
        assert part.contacts.get("c1") is not None
        assert time.perf_counter() - started < 0.5  # did not wait for the writer
        release.set()
        worker.join(10)
        with db.transaction():
            part.contacts.upsert_many([contact("c2")])
            assert part.contacts.get("c2") is not None  # own write, not yet committed
