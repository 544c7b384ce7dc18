"""Exceptions raised by the local store."""

from __future__ import annotations

import sqlite3


class StorageError(Exception):
    """Base class of every error the local store raises on purpose."""


class MigrationError(StorageError):
    """A schema migration failed; the database keeps its previous version."""

    def __init__(self, version: int, message: str) -> None:
        super().__init__(f"migration to schema version {version} failed: {message}")
        self.version = version


class SchemaTooNewError(MigrationError):
    """The file was written by a newer version of the app than this one."""

    def __init__(self, found: int, supported: int) -> None:
        StorageError.__init__(
            self,
            f"the local database has schema version {found}, this app knows up to {supported}; "
            "update the app or move the database file aside",
        )
        self.version = found
        self.supported = supported


class DatabaseClosedError(StorageError):
    """The database was used after ``close()``."""


class OutboxError(StorageError):
    """Base class of outbox errors."""


class OutboxItemNotFoundError(OutboxError, LookupError):
    """No outbox item with this client id exists in this partition."""

    def __init__(self, client_id: str) -> None:
        super().__init__(f"no outbox item with client id {client_id!r}")
        self.client_id = client_id


class DuplicateClientIdError(OutboxError):
    """``enqueue`` was called with a client id that is already in the outbox."""

    def __init__(self, client_id: str) -> None:
        super().__init__(f"client id {client_id!r} is already in the outbox")
        self.client_id = client_id


class IllegalTransitionError(OutboxError):
    """An outbox item was asked to move to a state its current state cannot reach."""

    def __init__(self, client_id: str, current: str, target: str) -> None:
        super().__init__(f"outbox item {client_id!r}: illegal transition {current} -> {target}")
        self.client_id = client_id
        self.current = current
        self.target = target


class CacheError(StorageError):
    """The SQLite driver failed; base class of the translated driver errors.

    ``str()`` is a sentence a user can read; ``sqlite_name`` (``"SQLITE_BUSY"``),
    ``sqlite_code`` and ``detail`` (the driver's own text) are for logs, and the
    driver's exception is the ``__cause__``.
    """

    message = "The local cache could not be used."

    def __init__(
        self,
        detail: str = "",
        *,
        sqlite_name: str | None = None,
        sqlite_code: int | None = None,
    ) -> None:
        super().__init__(self.message)
        self.detail = detail
        self.sqlite_name = sqlite_name
        self.sqlite_code = sqlite_code

    @property
    def log_text(self) -> str:
        """One line for the log: the error kind, the SQLite name and the driver's text."""
        name = self.sqlite_name or "no SQLite code"
        return f"{type(self).__name__} ({name}): {self.detail}"


class CacheBusyError(CacheError):
    """Another connection or program held a lock longer than the busy timeout."""

    message = (
        "The local cache is busy: another program (or another copy of Seedly Desk) "
        "kept it locked. Try again in a moment."
    )


class CacheFullError(CacheError):
    """The disk (or the file system's quota) holding the cache is full."""

    message = "The disk that holds the local cache is full. Free some space and try again."


class CacheCorruptError(CacheError):
    """The cache file is damaged, or is not an SQLite database at all."""

    message = (
        "The local cache file is damaged or is not a Seedly Desk cache. "
        "Move it aside and restart the app to rebuild it from the server."
    )


class CacheReadOnlyError(CacheError):
    """The cache file or its folder cannot be written."""

    message = (
        "The local cache cannot be written: the file or its folder is read-only. "
        "Check the permissions of the app's data folder."
    )


class CacheUnavailableError(CacheError):
    """The cache file could not be opened or read (I/O error, permissions, memory)."""

    message = (
        "The local cache file could not be opened or read. "
        "Check that the app's data folder is reachable and try again."
    )


class CacheConstraintError(CacheError):
    """A write broke a rule of the schema, typically a row of a partition dropped meanwhile."""

    message = (
        "The local cache refused a change that no longer fits what it holds "
        "(the sub-account may have been removed meanwhile)."
    )


class CacheBugError(CacheError):
    """The app sent SQLite something wrong (syntax, bindings, misuse): a programming error."""

    message = "The local cache could not run a query. This is a bug in Seedly Desk."


# Primary result codes (the low byte of an extended code) by the error they become;
# anything not listed, and errors raised by the Python module itself (wrong number of
# bindings, an unsupported parameter type, a closed connection), are bugs.
_KIND_OF_CODE: dict[int, type[CacheError]] = {
    sqlite3.SQLITE_BUSY: CacheBusyError,
    sqlite3.SQLITE_LOCKED: CacheBusyError,
    sqlite3.SQLITE_FULL: CacheFullError,
    sqlite3.SQLITE_CORRUPT: CacheCorruptError,
    sqlite3.SQLITE_NOTADB: CacheCorruptError,
    sqlite3.SQLITE_READONLY: CacheReadOnlyError,
    sqlite3.SQLITE_CANTOPEN: CacheUnavailableError,
    sqlite3.SQLITE_IOERR: CacheUnavailableError,
    sqlite3.SQLITE_PERM: CacheUnavailableError,
    sqlite3.SQLITE_NOMEM: CacheUnavailableError,
    sqlite3.SQLITE_NOLFS: CacheUnavailableError,
    sqlite3.SQLITE_AUTH: CacheUnavailableError,
    sqlite3.SQLITE_PROTOCOL: CacheUnavailableError,
    sqlite3.SQLITE_CONSTRAINT: CacheConstraintError,
}


def cache_error(exc: sqlite3.Error) -> CacheError:
    """The ``CacheError`` subclass a driver error stands for (not raised; the caller
    raises it ``from exc``)."""
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    name: str | None = getattr(exc, "sqlite_errorname", None)
    kind = CacheBugError if code is None else _KIND_OF_CODE.get(code & 0xFF, CacheBugError)
    return kind(str(exc), sqlite_name=name, sqlite_code=code)
