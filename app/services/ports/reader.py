"""What every area's reader is: bound to one sub-account's cache for its whole life."""

from __future__ import annotations

from app.services.bus import ScopeKey
from app.storage import Partition, normalize_deployment


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


__all__ = ["SubAccountReader"]
