"""Who a Seamless request acts for, and what its keys look like (shared by the accounts,
OAuth, the gate and the handlers)."""

from __future__ import annotations

from dataclasses import dataclass

KEY_PREFIX = "slk_test_"


@dataclass(frozen=True)
class Caller:
    """Who a Seamless request acts for: the key's (or token's) owner and their organisation."""

    user_id: str
    org_id: str
    licensed: bool
    via: str  # "key" or "oauth"
