"""The SQLite file: connection, migrations, transactions, partitions.

One ``Database`` owns one ``sqlite3`` connection for the whole app. The
connection is shared by the Qt thread and worker threads, so every use goes
through a re-entrant lock (``check_same_thread=False`` only turns off
Python's own guard; the lock is what makes it safe). Writes run in
``transaction()``; reads in ``read()``.

No ``sqlite3.Error`` leaves this package: ``open()``, ``close()``, ``read()`` and
``transaction()`` turn every driver error raised in them (or in the block they
run) into a ``CacheError`` subclass by kind (busy, full, corrupt, read-only,
unavailable, constraint, bug; see ``errors.py``). Repositories run all their SQL
inside those blocks, so they inherit the translation; a cursor must be consumed
before its block ends.

CRM data is reached only through a ``Partition`` (``db.partition(deployment,
sub_account_id)``): every repository method binds the partition id into its
SQL, so two sub-accounts cannot see or change each other's rows.
"""

from __future__ import annotations

import os
import sqlite3
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

from app.storage.errors import (
    CacheError,
    CacheReadOnlyError,
    CacheUnavailableError,
    DatabaseClosedError,
    MigrationError,
    SchemaTooNewError,
    StorageError,
    cache_error,
)
from app.storage.migrations import MIGRATIONS
from app.storage.partition import Partition
from app.storage.research import ResearchLedger
from app.storage.research_jobs import ResearchJobs

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 5000
CLOSE_READ_TIMEOUT = 5.0
"""Seconds ``close()`` waits for reads running on other threads before interrupting them."""
"""How long a write waits for another process's lock before failing."""

MIN_SQLITE_VERSION = (3, 35, 0)
"""Oldest SQLite this schema runs on (generated columns, NULLS LAST, multi-target UPSERT)."""

DEFAULT_CACHE_KIB = 64 * 1024
"""Page cache of the connection (an upper bound, filled only as pages are read).
SQLite's default (2 MiB) is far smaller than the indexes of 100,000 contacts,
which made bulk upserts and searches page through the OS cache several times
slower; 64 MiB keeps the FTS index and the sort indexes in memory."""


READER_MMAP_BYTES = 256 * 1024 * 1024
"""How much of the file readers see through memory mapping: pages come from the OS's
cache without a copy per read, shared by every reader and the system (no private page
cache per reading thread). With SQLite's 2 MiB default cache and no mapping, a search
over 100,000 contacts read its index pages through the OS again each time and took about
twice as long."""


def _system_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@contextmanager
def translated_errors() -> Iterator[None]:
    """Raise every ``sqlite3.Error`` of the block as the matching ``CacheError``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise cache_error(exc) from exc


def _folder_writable(folder: Path) -> bool:
    # Effective ids: what the kernel checks when SQLite creates the file.
    effective = os.access in os.supports_effective_ids
    return os.access(folder, os.W_OK, effective_ids=effective)


def _open_error(target: str, exc: sqlite3.Error | OSError) -> CacheError:
    """The error of a failed open, telling a read-only folder from other failures."""
    if isinstance(exc, sqlite3.Error):
        error = cache_error(exc)
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None or code & 0xFF != sqlite3.SQLITE_CANTOPEN or target == ":memory:":
            return error
        name, detail = error.sqlite_name, error.detail
    else:
        name, detail = None, f"{type(exc).__name__}: {exc}"
    folder = Path(target).parent
    if isinstance(exc, PermissionError) or (folder.is_dir() and not _folder_writable(folder)):
        return CacheReadOnlyError(detail, sqlite_name=name)
    return CacheUnavailableError(detail, sqlite_name=name)


def normalize_deployment(url: str) -> str:
    """Canonical form of a deployment URL, so cosmetic differences share a partition.

    Scheme and host are lower-cased, surrounding whitespace and trailing
    slashes are dropped: ``"HTTPS://Acme.example.com/ "`` and
    ``"https://acme.example.com"`` are the same deployment.
    """
    text = url.strip()
    if not text:
        raise ValueError("deployment URL is empty")
    parts = urlsplit(text)
    if parts.scheme and parts.netloc:
        text = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
    return text.rstrip("/")


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """A partition as listed by ``Database.partitions()``."""

    id: int
    deployment: str
    sub_account_id: str
    created_ms: int


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def _private_file(path: Path) -> None:
    """Create the cache file (and its folder) readable by the user only, and tighten an
    existing one: it holds contacts and messages. SQLite gives its ``-wal`` and ``-shm``
    files the database file's permissions. (No effect on Windows, where the profile folder
    is private already.)"""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=PRIVATE_DIR_MODE)
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    # A file that cannot be created or changed here is left to SQLite, whose error says
    # precisely what is wrong (read-only folder, not a database...).
    with suppress(OSError):
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if file.exists() and file.stat().st_mode & 0o077:
                os.chmod(file, PRIVATE_FILE_MODE)


class Database:
    """The app's local store: one SQLite file, one guarded writing connection, and a
    reading connection per thread.

    Writes (``transaction()``) go through one connection under a lock. Reads
    (``read()``) use a connection of the calling thread: in WAL mode a reader
    never waits for a writer, so the GUI thread keeps painting from the cache
    while a sync commits pages on a worker thread (reading through the writing
    connection, it waited up to ~80 ms per page). A thread inside its own
    transaction reads through the writing connection and sees its changes.

    Open it with ``Database.open(path)``; close it with ``close()`` (or use it
    as a context manager). All timestamps taken by the store come from
    ``now_ms()`` (epoch milliseconds), which tests can replace via ``clock``.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: str,
        clock: Callable[[], int],
    ) -> None:
        """Wrap an already configured and migrated connection; use ``open()``."""
        self._conn = connection
        self._path = path
        self._clock = clock
        self._lock = threading.RLock()
        self._depth = 0
        self._closed = False
        self._writer_thread: int | None = None  # the thread inside transaction(), if any
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._reads_done = threading.Condition(self._readers_lock)
        self._active_reads = 0  # reads running on reader connections (other threads)
        self._busy_timeout_s = 5.0

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        migrations: Sequence[str] = MIGRATIONS,
        clock: Callable[[], int] | None = None,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        cache_kib: int = DEFAULT_CACHE_KIB,
    ) -> Database:
        """Open (creating if needed) and migrate the database at ``path``.

        Sets WAL journaling, foreign keys, ``synchronous=NORMAL``, a busy
        timeout and the page cache size, applies pending ``migrations`` (see ``migrations.py``) and
        turns outbox items left in ``sending`` by a previous run into
        ``unknown``: their outcome must be reconciled before any resend.

        ``path`` may be ``":memory:"`` (no WAL then). Raises ``MigrationError``
        when a migration fails (the file keeps its previous version),
        ``SchemaTooNewError`` when the file is newer than ``migrations``, and a
        ``CacheError`` subclass when the file cannot be opened or used (for example
        ``CacheCorruptError`` for a file that is not a database, ``CacheReadOnlyError``
        for a read-only file or folder).
        """
        if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
            raise StorageError(
                f"SQLite {sqlite3.sqlite_version} is too old for the local database; "
                f"{'.'.join(map(str, MIN_SQLITE_VERSION))} or newer is needed"
            )
        target = str(path)
        try:
            if target != ":memory:":
                _private_file(Path(target))
            conn = sqlite3.connect(
                target,
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE)
                check_same_thread=False,
            )
        except (sqlite3.Error, OSError) as exc:
            raise _open_error(target, exc) from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute(f"PRAGMA cache_size = {-abs(int(cache_kib))}")
            apply_migrations(conn, migrations)
            db = cls(conn, target, clock or _system_clock_ms)
            db._busy_timeout_s = busy_timeout_ms / 1000
            db._recover_interrupted_sends()
        except sqlite3.Error as exc:
            conn.close()
            raise _open_error(target, exc) from exc
        except BaseException:
            conn.close()
            raise
        return db

    def _recover_interrupted_sends(self) -> None:
        # Only one app instance owns the file, so any 'sending' row now was
        # left by a process that died mid-request: its outcome is unknown.
        with self.transaction() as conn:
            has_outbox = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
            ).fetchone()
            if has_outbox is None:
                return
            conn.execute(
                "UPDATE outbox SET state = 'unknown', updated_ms = ? WHERE state = 'sending'",
                (self.now_ms(),),
            )

    # ------------------------------------------------------------ properties

    @property
    def path(self) -> str:
        """The file this database was opened from (or ``":memory:"``)."""
        return self._path

    @property
    def user_version(self) -> int:
        """The schema version stored in the file (``PRAGMA user_version``)."""
        with self.read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def pragma(self, name: str) -> Any:
        """The value of a read-only PRAGMA such as ``journal_mode`` (for diagnostics)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a pragma name: {name!r}")
        with self._lock, translated_errors():  # the writing connection, configured by open()
            self._check_open()
            row = self._conn.execute(f"PRAGMA {name}").fetchone()
            return None if row is None else row[0]

    def now_ms(self) -> int:
        """The store's clock, epoch milliseconds."""
        return self._clock()

    # ---------------------------------------------------------- transactions

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseClosedError("the local database is closed")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block atomically; roll back if it raises.

        Holds the connection lock for the whole block. Nested use (from the
        same thread) becomes a SAVEPOINT, so a repository method can be
        composed into a caller's larger transaction. Driver errors of the block,
        of BEGIN and of COMMIT come out as ``CacheError`` subclasses.
        """
        with self._lock, translated_errors():
            self._check_open()
            depth = self._depth
            if depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            else:
                self._conn.execute(f"SAVEPOINT sp{depth}")
            self._depth = depth + 1
            self._writer_thread = threading.get_ident()
            try:
                yield self._conn
            except BaseException:
                self._depth = depth
                if depth == 0:
                    self._writer_thread = None
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO sp{depth}")
                    self._conn.execute(f"RELEASE sp{depth}")
                raise
            self._depth = depth
            if depth == 0:
                self._writer_thread = None
                try:
                    self._conn.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            else:
                self._conn.execute(f"RELEASE sp{depth}")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for a group of reads that see one consistent state.

        The calling thread's own reading connection in a read transaction (it never
        waits for a writer); inside this thread's ``transaction()``, or for an
        in-memory database, the writing connection. Driver errors come out as
        ``CacheError`` subclasses."""
        self._check_open()
        with translated_errors():
            if self._path == ":memory:" or self._writer_thread == threading.get_ident():
                with self._lock:
                    self._check_open()
                    yield self._conn
                return
            reader = self._reader()
            with self._readers_lock:
                if self._closed:
                    raise DatabaseClosedError("the local database is closed")
                self._active_reads += 1
            try:
                reader.execute("BEGIN")
                yield reader
            finally:
                try:
                    if reader.in_transaction:
                        reader.execute("COMMIT")
                finally:
                    with self._readers_lock:
                        self._active_reads -= 1
                        self._reads_done.notify_all()

    def _reader(self) -> sqlite3.Connection:
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is not None:
            return reader
        reader = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA query_only = ON")
        reader.execute("PRAGMA foreign_keys = ON")
        reader.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
        with self._readers_lock:
            if self._closed:
                reader.close()
                raise DatabaseClosedError("the local database is closed")
            self._readers.append(reader)
        self._local.reader = reader
        return reader

    # ------------------------------------------------------------ partitions

    def partition(self, deployment_url: str, sub_account_id: str) -> Partition:
        """The cache partition of one sub-account of one deployment (created on first use)."""
        deployment = normalize_deployment(deployment_url)
        if not sub_account_id.strip():
            raise ValueError("sub-account id is empty")
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO partitions (deployment, sub_account_id, created_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (deployment, sub_account_id) DO NOTHING",
                (deployment, sub_account_id, self.now_ms()),
            )
            row = conn.execute(
                "SELECT id FROM partitions WHERE deployment = ? AND sub_account_id = ?",
                (deployment, sub_account_id),
            ).fetchone()
        return Partition(self, int(row["id"]), deployment, sub_account_id)

    def partitions(self) -> list[PartitionInfo]:
        """Every partition in the file, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT id, deployment, sub_account_id, created_ms FROM partitions ORDER BY id"
            ).fetchall()
        return [
            PartitionInfo(int(r["id"]), r["deployment"], r["sub_account_id"], int(r["created_ms"]))
            for r in rows
        ]

    def drop_partition(self, deployment_url: str, sub_account_id: str) -> bool:
        """Delete a partition and everything cached in it (outbox and drafts included).

        Returns False when there was no such partition. ``Partition`` objects
        of a dropped partition fail on their next write (foreign key).
        """
        deployment = normalize_deployment(deployment_url)
        with self.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM partitions WHERE deployment = ? AND sub_account_id = ?",
                (deployment, sub_account_id),
            )
            return cur.rowcount > 0

    # -------------------------------------------------------------- research

    def research_ledger(self, account_key_id: str) -> ResearchLedger:
        """The Seamless research ledger of one API key's owner (not tied to a sub-account)."""
        if not account_key_id.strip():
            raise ValueError("account key id is empty")
        return ResearchLedger(self, account_key_id)

    def research_jobs(self, account_key_id: str) -> ResearchJobs:
        """The Seamless research queue of one API key's owner (not tied to a sub-account)."""
        if not account_key_id.strip():
            raise ValueError("account key id is empty")
        return ResearchJobs(self, account_key_id)

    # --------------------------------------------------------------- closing

    def close(self, read_timeout: float = CLOSE_READ_TIMEOUT) -> None:
        """Close the connections (idempotent). Later use raises ``DatabaseClosedError``.

        Reads running on other threads (a list model's worker) finish first: closing a
        connection under a running query crashes SQLite. A read still running after
        ``read_timeout`` seconds is interrupted (it fails with a ``CacheError``)."""
        with self._lock, translated_errors():
            if self._closed:
                return
            try:
                self._conn.execute("PRAGMA optimize")
            finally:
                with self._readers_lock:
                    self._closed = True  # no read starts from now on
                    if not self._reads_done.wait_for(lambda: self._active_reads == 0, read_timeout):
                        log.warning("interrupting %d cache reads to close", self._active_reads)
                        for reader in self._readers:
                            reader.interrupt()
                        self._reads_done.wait_for(lambda: self._active_reads == 0, read_timeout)
                    readers, self._readers = self._readers, []
                for reader in readers:
                    reader.close()
                self._conn.close()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def schema_version(conn: sqlite3.Connection) -> int:
    """``PRAGMA user_version`` of a raw connection."""
    with translated_errors():
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection, migrations: Sequence[str]) -> int:
    """Bring ``conn`` up to ``len(migrations)``; returns the resulting version.

    Each pending script runs in its own ``BEGIN IMMEDIATE`` transaction
    together with its ``PRAGMA user_version`` bump, so either both happen or
    neither does. ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    current = schema_version(conn)
    target = len(migrations)
    if current > target:
        raise SchemaTooNewError(current, target)
    for version in range(current + 1, target + 1):
        script = migrations[version - 1]
        try:
            # executescript runs the statements one by one; wrapping them in
            # BEGIN/COMMIT inside the script keeps them in one transaction.
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\n;\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with suppress(sqlite3.Error):  # the failure that matters is the script's
                    conn.execute("ROLLBACK")
            # Chained through the translated error, so a caller can tell a full disk
            # or a locked file from a broken script (``__cause__``).
            kind = cache_error(exc)
            kind.__cause__ = exc
            raise MigrationError(version, str(exc)) from kind
    return target
