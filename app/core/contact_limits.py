"""What Seedly accepts in a contact's fields beyond their types: lengths, counts, visible names.

docs/api/seedly-crm.md §5 states the fields and the lifecycle stages but no lengths;
the numbers here are what the sandbox enforces (the same section's **Here:** line
lists them). The payload rules (``app.core.payloads``), the contact form and the
CSV import all check them, so a value is refused with the limit where it is typed
or planned, never cut short silently and never first refused by the server.

Lengths count characters (Unicode code points), as the server does.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

NAME_MAX = 100
"""First and last name."""
TEXT_MAX = 500
"""Company, job title, source and the address fields."""
EMAIL_MAX = 320
"""An email address (the longest RFC 5321 allows)."""
ASSIGNEE_MAX = 100
"""A team member id in ``assignedTo``."""
TAG_MAX = 50
"""One tag."""
TAGS_MAX = 100
"""Tags on one contact."""
LIST_MAX = 20
"""Additional emails, and additional phones, on one contact."""
CUSTOM_TEXT_MAX = 2000
"""A text custom field."""

TEXT_LIMITS: dict[str, int] = {
    "firstName": NAME_MAX,
    "lastName": NAME_MAX,
    "email": EMAIL_MAX,
    "company": TEXT_MAX,
    "title": TEXT_MAX,
    "source": TEXT_MAX,
    "assignedTo": ASSIGNEE_MAX,
    "addressLine1": TEXT_MAX,
    "city": TEXT_MAX,
    "state": TEXT_MAX,
    "postalCode": TEXT_MAX,
    "country": TEXT_MAX,
}
"""Longest value of each single-text contact field (wire name → characters)."""

# Characters that render as nothing (or as blank space) but are not whitespace to str.strip:
# zero-width space/joiners, word joiner, BOM, Hangul fillers, braille blank, and friends.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f")
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})


def has_visible_text(value: str) -> bool:
    """Whether ``value`` has at least one character a reader would see.

    A name of zero-width spaces, joiners or fillers passes ``strip()`` and the server,
    and then shows as an empty name everywhere."""
    return any(
        ch not in _BLANK_LOOKING and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        for ch in value
    )


def too_long(label: str, value: str, limit: int) -> str | None:
    """The sentence refusing ``value`` when it is longer than ``limit`` characters."""
    length = len(value)
    if length <= limit:
        return None
    return (
        f"{label} is {length:,} characters long; Seedly takes at most {limit:,}. "
        "Shorten it (nothing was cut)."
    )


def limit_hint(label: str, value: str, limit: int) -> str | None:
    """A note as a value nears its limit ("92 of 100 characters"), None well below it."""
    length = len(value)
    if length < limit * 0.8 or length > limit:
        return None
    return f"{length:,} of {limit:,} characters."


@dataclass(frozen=True)
class ListProblem:
    """A list value over its limits: which item (None: the list itself) and why."""

    index: int | None
    sentence: str


def list_problems(
    label: str, items: Sequence[str], *, max_items: int, item_max: int, item_label: str
) -> list[ListProblem]:
    """Every limit a list breaks: too many items, items too long."""
    problems: list[ListProblem] = []
    if len(items) > max_items:
        problems.append(
            ListProblem(
                None,
                f"{label} has {len(items):,} values; Seedly takes at most {max_items:,}.",
            )
        )
    for index, item in enumerate(items):
        if len(item) > item_max:
            shown = item[:40] + "…" if len(item) > 40 else item
            problems.append(
                ListProblem(
                    index,
                    f"{item_label} “{shown}” is {len(item):,} characters long; Seedly takes at "
                    f"most {item_max:,}.",
                )
            )
    return problems


__all__ = [
    "ASSIGNEE_MAX",
    "CUSTOM_TEXT_MAX",
    "EMAIL_MAX",
    "LIST_MAX",
    "NAME_MAX",
    "TAGS_MAX",
    "TAG_MAX",
    "TEXT_LIMITS",
    "TEXT_MAX",
    "ListProblem",
    "has_visible_text",
    "limit_hint",
    "list_problems",
    "too_long",
]
