"""What every area's reader is: bound to one sub-account's cache for its whole life."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from app.services.bus import ScopeKey
from app.storage import Partition, normalize_deployment

if TYPE_CHECKING:
    from app.services.workspace import Workspace


OwnerSwitch = Literal["opened", "stayed", "failed"]
"""What opening a record's sub-account from a merged view did (``Workspace.open_owner``):
the sub-account is open, the user kept unsaved work where it is, or the switch failed."""


class SubAccountReader:
    """Reads one sub-account's cache (a switch gives the UI another reader, so rows of two
    sub-accounts cannot mix) and tells which change events concern it."""

    def __init__(self, partition: Partition) -> None:
        self._partition = partition

    @property
    def sub_account_id(self) -> str:
        """The sub-account read."""
        return self._partition.sub_account_id

    @property
    def deployment(self) -> str:
        """The (normalised) deployment URL of the sub-account."""
        return self._partition.deployment

    def covers(self, scope: ScopeKey | None) -> bool:
        """Whether an event of ``scope`` concerns this sub-account (URLs compared
        normalised; one that does not parse is not this one)."""
        if scope is None or scope.sub_account_id != self._partition.sub_account_id:
            return False
        try:
            return normalize_deployment(scope.deployment) == self._partition.deployment
        except ValueError:
            return False


R = TypeVar("R", bound=SubAccountReader)


class ReaderSlot(Generic[R]):
    """A port's reader: of the active sub-account, or of the scope asked for (a
    ``SessionChanged`` event's, before the session has made it active). The same
    sub-account gives the same reader until another one is asked for."""

    def __init__(self, workspace: Workspace, make: Callable[[Partition], R]) -> None:
        self._workspace = workspace
        self._make = make
        self._reader: R | None = None

    def get(self, scope: ScopeKey | None = None) -> R | None:
        """The reader of ``scope`` (None: the active sub-account; None when none is open)."""
        active = self._workspace.active
        if scope is None:
            if active is None:
                return None
            scope = active.scope
        current = self._reader
        if current is not None and current.covers(scope):
            return current
        if active is not None and active.scope == scope:
            partition = active.partition
        else:
            partition = self._workspace.db.partition(scope.deployment, scope.sub_account_id)
        self._reader = self._make(partition)
        return self._reader


__all__ = ["OwnerSwitch", "ReaderSlot", "SubAccountReader"]
