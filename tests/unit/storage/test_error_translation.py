"""Storage raises its own errors: no ``sqlite3.Error`` leaves ``app.storage``.

Every case runs real SQLite against a real file: a corrupt file, a read-only file
or folder, a database locked by another connection, a broken query, and a driver
that refuses every statement (through each public method of each repository).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import app.storage.conversations as conversations_module
from app.storage import (
    CacheBugError,
    CacheBusyError,
    CacheConstraintError,
    CacheCorruptError,
    CacheError,
    CacheFullError,
    CacheReadOnlyError,
    CacheUnavailableError,
    ContactFilters,
    ConversationFilters,
    Database,
    MigrationError,
    Partition,
    StorageError,
)
from app.storage.errors import cache_error
from tests.unit.storage.docs import FakeClock, contact, conversation, message

NOBODY = 65534


@contextmanager
def _unprivileged() -> Iterator[None]:
    """Run the block without root's power to write anything (a no-op for other users)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every user may enter (pytest's own tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="seedly-ro-"))
    folder.chmod(0o777)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777)
    shutil.rmtree(folder)


def _assert_translated(error: CacheError, sqlite_name_prefix: str | None) -> None:
    assert not isinstance(error, sqlite3.Error)
    assert isinstance(error.__cause__, sqlite3.Error | OSError)
    assert str(error) == type(error).message and str(error).endswith(".")
    if sqlite_name_prefix is not None:
        assert error.sqlite_name is not None and error.sqlite_name.startswith(sqlite_name_prefix)
    assert error.detail and type(error).__name__ in error.log_text


# ----------------------------------------------------------------------- by kind


def test_a_file_that_is_not_a_database_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    path.write_bytes(b"this is a text file, not an SQLite database\n" * 200)
    with pytest.raises(CacheCorruptError) as caught:
        Database.open(path)
    _assert_translated(caught.value, "SQLITE_NOTADB")


def test_a_database_with_damaged_pages_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    with Database.open(path) as db:
        db.partition("https://crm.example.com", "sub_a").contacts.upsert_many(
            [contact(f"c{i}") for i in range(50)]
        )
    page_size = 4096
    data = bytearray(path.read_bytes())
    assert len(data) > 4 * page_size
    data[page_size:] = b"\xa5" * (len(data) - page_size)  # every page but the schema's
    path.write_bytes(bytes(data))
    with pytest.raises(CacheCorruptError) as caught:
        db = Database.open(path)
        try:
            db.partition("https://crm.example.com", "sub_a").contacts.count()
        finally:
            db.close()
    _assert_translated(caught.value, "SQLITE_CORRUPT")


def test_a_read_only_file_cannot_be_written(shared_dir: Path) -> None:
    path = shared_dir / "cache.db"
    Database.open(path).close()
    path.chmod(0o444)
    with _unprivileged(), pytest.raises(CacheReadOnlyError) as caught:
        Database.open(path).close()
    _assert_translated(caught.value, "SQLITE_READONLY")


def test_a_read_only_folder_cannot_hold_a_new_cache(shared_dir: Path) -> None:
    folder = shared_dir / "data"
    folder.mkdir()
    folder.chmod(0o555)
    with _unprivileged(), pytest.raises(CacheReadOnlyError) as caught:
        Database.open(folder / "cache.db")
    _assert_translated(caught.value, "SQLITE_CANTOPEN")
    with _unprivileged(), pytest.raises(CacheReadOnlyError) as caught:
        Database.open(folder / "missing" / "cache.db")  # the folder cannot be created
    _assert_translated(caught.value, None)
    assert isinstance(caught.value.__cause__, PermissionError)


def test_a_folder_that_is_a_file_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be")
    with pytest.raises(CacheUnavailableError) as caught:
        Database.open(tmp_path / "data" / "cache.db")
    _assert_translated(caught.value, None)


def test_a_database_locked_by_another_connection_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    db = Database.open(path, busy_timeout_ms=50)
    part = db.partition("https://crm.example.com", "sub_a")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(CacheBusyError) as caught:
            part.state.set_state("k", 1)
        _assert_translated(caught.value, "SQLITE_BUSY")
        with pytest.raises(CacheBusyError):
            part.contacts.upsert_many([contact("c1")])
        other.execute("ROLLBACK")
        part.state.set_state("k", 1)  # the lock is gone: the same write works
        assert part.state.get_state("k") == 1
    finally:
        other.close()
        db.close()


def test_a_broken_query_of_a_repository_is_a_bug(
    part: Partition, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        conversations_module, "_MESSAGE_UPSERT", "INSERT INTO no_such_table VALUES (?)"
    )
    with pytest.raises(CacheBugError) as caught:
        part.messages.upsert_messages([message("m1", "conv_1", "2026-03-01T10:00:00.000Z")])
    _assert_translated(caught.value, "SQLITE_ERROR")


def test_a_wrong_binding_is_a_bug(part: Partition) -> None:
    with pytest.raises(CacheBugError) as caught:
        part.drafts.draft(object())  # type: ignore[arg-type]
    assert not isinstance(caught.value, sqlite3.Error)
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    assert caught.value.sqlite_name is None  # raised by the Python module, not by SQLite


def test_a_write_to_a_dropped_partition_breaks_a_constraint(db: Database) -> None:
    stale = db.partition("https://crm.example.com", "sub_gone")
    db.drop_partition("https://crm.example.com", "sub_gone")
    with pytest.raises(CacheConstraintError) as caught:
        stale.drafts.save_draft("conv_1", {"bodyText": "hi"})
    _assert_translated(caught.value, "SQLITE_CONSTRAINT")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (sqlite3.SQLITE_BUSY, CacheBusyError),
        (sqlite3.SQLITE_LOCKED, CacheBusyError),
        (sqlite3.SQLITE_FULL, CacheFullError),
        (sqlite3.SQLITE_CORRUPT, CacheCorruptError),
        (sqlite3.SQLITE_NOTADB, CacheCorruptError),
        (sqlite3.SQLITE_READONLY, CacheReadOnlyError),
        (sqlite3.SQLITE_IOERR, CacheUnavailableError),
        (sqlite3.SQLITE_CANTOPEN, CacheUnavailableError),
        (sqlite3.SQLITE_CONSTRAINT, CacheConstraintError),
        (sqlite3.SQLITE_ERROR, CacheBugError),
        (sqlite3.SQLITE_RANGE, CacheBugError),
        (sqlite3.SQLITE_MISUSE, CacheBugError),
    ],
)
def test_each_result_code_has_its_kind(code: int, kind: type[CacheError]) -> None:
    # SQLite reports extended codes (a kind in the low byte, a detail above it).
    exc = sqlite3.OperationalError("driver text")
    exc.sqlite_errorcode = code | (3 << 8)  # type: ignore[attr-defined]
    exc.sqlite_errorname = "SQLITE_SOMETHING"  # type: ignore[attr-defined]
    error = cache_error(exc)
    assert type(error) is kind
    assert error.detail == "driver text" and error.sqlite_code == code | (3 << 8)


def test_a_failed_migration_tells_the_kind_of_failure(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    with pytest.raises(MigrationError) as caught:
        Database.open(path, migrations=["CREATE TABLE t (x)", "CREATE TABLE t (x)"])
    assert isinstance(caught.value.__cause__, CacheBugError)
    assert isinstance(caught.value.__cause__.__cause__, sqlite3.Error)


# ------------------------------------------------------- no escape, method by method


def _deny(*_: object) -> int:
    return sqlite3.SQLITE_DENY


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[tuple[Database, Partition]]:
    """A populated database whose connections (this thread's) refuse every statement."""
    db = Database.open(tmp_path / "cache.db", clock=FakeClock())
    part = db.partition("https://crm.example.com", "sub_a")
    part.contacts.upsert_many([contact("c1")])
    part.conversations.upsert_conversations([conversation("conv_1")])
    part.messages.upsert_messages([message("m1", "conv_1", "2026-03-01T10:00:00.000Z")])
    part.outbox.enqueue("cl_1", "conv_1", {"bodyText": "hi"})
    db.research_jobs("key_1").create("contact", search_result_ids=["r1"], estimate=1)
    with db.read() as reader:
        pass
    with db.transaction() as writer:
        pass
    reader.set_authorizer(_deny)
    writer.set_authorizer(_deny)
    yield db, part
    if not db.closed:
        reader.set_authorizer(None)
        writer.set_authorizer(None)
        db.close()


CALLS: dict[str, Callable[[Database, Partition], Any]] = {
    "Database.partition": lambda db, p: db.partition("https://crm.example.com", "sub_b"),
    "Database.partitions": lambda db, p: db.partitions(),
    "Database.drop_partition": lambda db, p: db.drop_partition("https://x.example.com", "s"),
    "Database.user_version": lambda db, p: db.user_version,
    "Database.pragma": lambda db, p: db.pragma("journal_mode"),
    "contacts.upsert_many": lambda db, p: p.contacts.upsert_many([contact("c2")]),
    "contacts.get": lambda db, p: p.contacts.get("c1"),
    "contacts.search (FTS)": lambda db, p: p.contacts.search("jane"),
    "contacts.count": lambda db, p: p.contacts.count(None, ContactFilters()),
    "contacts.delete_ids": lambda db, p: p.contacts.delete_ids(["c1"]),
    "custom_fields.fields": lambda db, p: p.custom_fields.fields(),
    "conversations.list": lambda db, p: p.conversations.list_conversations(
        "all", ConversationFilters()
    ),
    "conversations.upsert": lambda db, p: p.conversations.upsert_conversations(
        [conversation("conv_2")]
    ),
    "messages.page": lambda db, p: p.messages.messages_page("conv_1"),
    "messages.upsert": lambda db, p: p.messages.upsert_messages(
        [message("m2", "conv_1", "2026-03-01T11:00:00.000Z")]
    ),
    "calendars.calendars": lambda db, p: p.calendars.calendars(),
    "calendars.replace_calendars": lambda db, p: p.calendars.replace_calendars(
        [{"id": "cal_1", "name": "Main"}]
    ),
    "webhooks.webhooks": lambda db, p: p.webhooks.webhooks(),
    "state.get_state": lambda db, p: p.state.get_state("k"),
    "state.set_state": lambda db, p: p.state.set_state("k", 1),
    "outbox.enqueue": lambda db, p: p.outbox.enqueue("cl_2", "conv_1", {"bodyText": "yo"}),
    "outbox.claim_next": lambda db, p: p.outbox.claim_next(),
    "outbox.pending": lambda db, p: p.outbox.pending(),
    "drafts.save_draft": lambda db, p: p.drafts.save_draft("conv_1", {"bodyText": "x"}),
    "drafts.draft": lambda db, p: p.drafts.draft("conv_1"),
    "research_ledger.record": lambda db, p: db.research_ledger("key_1").record(
        "contact", "r1", "q1", "ok", {"name": "Jane"}, 1, 1
    ),
    "research_ledger.spent_since": lambda db, p: db.research_ledger("key_1").spent_since(0),
    "research_jobs.jobs": lambda db, p: db.research_jobs("key_1").jobs(),
    "research_jobs.create": lambda db, p: db.research_jobs("key_1").create(
        "contact", search_result_ids=["r2"], estimate=1
    ),
    "research_jobs.recover": lambda db, p: db.research_jobs("key_1").recover(),
    "Database.close": lambda db, p: db.close(),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_no_driver_error_escapes_a_public_method(
    name: str, refusing: tuple[Database, Partition]
) -> None:
    db, part = refusing
    with pytest.raises(StorageError) as caught:
        CALLS[name](db, part)
    assert isinstance(caught.value, CacheError), name
    assert isinstance(caught.value.__cause__, sqlite3.Error), name
