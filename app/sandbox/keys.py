"""What a successfully authenticated Seedly CRM key grants (shared by auth and handlers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyInfo:
    """A key that authenticated successfully."""

    id: str
    kind: str  # "sub_account" or "agency"
    agency_id: str
    sub_account_id: str | None
    scopes: frozenset[str]
