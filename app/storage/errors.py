"""Exceptions raised by the local store."""

from __future__ import annotations


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
