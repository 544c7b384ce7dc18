"""How a team member is named on screen.

The API has no users endpoint (docs/api/seedly-crm.md §4: ``assignedTo`` is a team
member id), so names are not known; ids made of words read as words.
"""

from __future__ import annotations

import re

_MEMBER_PREFIX = re.compile(r"^(?:usr|user|u|member|tm)_(?=[a-z])", re.IGNORECASE)


def readable_member(user_id: str) -> str:
    """A team member id as a name when it reads like one (``usr_ana_ortiz`` → "Ana Ortiz");
    anything else (``u_8f3k2``) as it is."""
    stripped = _MEMBER_PREFIX.sub("", user_id)
    words = [w for w in stripped.split("_") if w]
    if stripped == user_id or not words or not all(w.isalpha() for w in words):
        return user_id
    return " ".join(w.capitalize() for w in words)


__all__ = ["readable_member"]
