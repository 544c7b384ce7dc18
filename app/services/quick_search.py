"""Ctrl+K: contacts and conversations of one sub-account matching a few typed letters.

Answered from the local cache (the FTS index answers in a few milliseconds), so
the window can search as the user types. Results are plain rows; the window
chooses their icons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.enums import channel_label
from app.core.phones import format_phone
from app.storage import Partition, StorageError

if TYPE_CHECKING:
    from app.services.workspace import Workspace

RESULTS_PER_KIND = 8


@dataclass(frozen=True, slots=True)
class QuickResult:
    """One match: a ``"contact"`` or a ``"conversation"`` and what to show for it."""

    kind: str
    id: str
    title: str
    subtitle: str
    channel: str | None = None
    """The conversation's channel (None for contacts)."""


def _name(doc: dict[str, Any]) -> str:
    first, last = doc.get("firstName") or "", doc.get("lastName") or ""
    return " ".join(p for p in (str(first).strip(), str(last).strip()) if p)


def search_partition(
    partition: Partition, text: str, kinds: frozenset[str], limit: int = RESULTS_PER_KIND
) -> list[QuickResult]:
    """Contacts, then conversations, of ``partition`` matching ``text`` (name, email, phone)."""
    results: list[QuickResult] = []
    if not text.strip():
        return results
    if "contact" in kinds:
        docs = partition.contacts.search(text, limit=limit)
        if "@" in text:
            # The exact address first: a prefix search also finds "ana.smith12@" for "ana.smith1@".
            exact = partition.contacts.by_email(text.strip())
            exact_ids = {d["id"] for d in exact}
            docs = (exact + [d for d in docs if d["id"] not in exact_ids])[:limit]
        for doc in docs:
            details = [doc.get("email"), doc.get("company")]
            phone = doc.get("phone")
            if phone:
                details.append(format_phone(str(phone)))
            results.append(
                QuickResult(
                    "contact",
                    str(doc["id"]),
                    _name(doc) or str(doc.get("email") or "(no name)"),
                    " · ".join(str(d) for d in details if d),
                )
            )
    if "conversation" in kinds:
        for doc in partition.conversations.list_conversations(text=text, limit=limit):
            raw_contact = doc.get("contact")
            contact: dict[str, Any] = raw_contact if isinstance(raw_contact, dict) else {}
            channel = str(doc.get("channel") or "")
            title = _name(contact) or str(contact.get("email") or contact.get("phone") or "")
            subtitle = " · ".join(
                p
                for p in (channel_label(channel) if channel else "", str(doc.get("subject") or ""))
                if p
            )
            results.append(
                QuickResult(
                    "conversation",
                    str(doc["id"]),
                    title or "(unknown contact)",
                    subtitle,
                    channel or None,
                )
            )
    return results


class QuickSearch:
    """Searches whichever sub-account is shown (``partition`` says which, at each call)."""

    def __init__(self, partition: Callable[[], Partition | None]) -> None:
        self._partition = partition

    @classmethod
    def of(cls, partition: Partition) -> QuickSearch:
        """Always one sub-account's cache."""
        return cls(lambda: partition)

    @classmethod
    def of_active(cls, workspace: Workspace) -> QuickSearch:
        """The cache of the sub-account the workspace has open (none before one is)."""

        def partition() -> Partition | None:
            active = workspace.active
            return active.partition if active is not None else None

        return cls(partition)

    def search(
        self, text: str, kinds: frozenset[str], limit: int = RESULTS_PER_KIND
    ) -> list[QuickResult]:
        """Matches of ``text`` in the shown sub-account (none when no sub-account is open).
        Raises ``StorageError`` when the cache cannot be read."""
        partition = self._partition()
        if partition is None:
            return []
        return search_partition(partition, text, kinds, limit)


__all__ = ["RESULTS_PER_KIND", "QuickResult", "QuickSearch", "StorageError", "search_partition"]
