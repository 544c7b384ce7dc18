"""The common base of partition-scoped repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.storage.database import Database


class PartitionRepository:
    """A repository bound to one partition of one database.

    Subclasses put ``partition_id = ?`` (bound to ``self._pid``) into every
    statement; there is deliberately no way to reach a table without it.
    """

    def __init__(self, db: Database, partition_id: int) -> None:
        """Bind the repository to ``partition_id`` of ``db``; built by ``Partition``."""
        self._db = db
        self._pid = partition_id

    @property
    def partition_id(self) -> int:
        """The id of the partition this repository reads and writes."""
        return self._pid
