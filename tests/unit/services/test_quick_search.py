"""Ctrl+K's search over one sub-account's cache."""

from __future__ import annotations

from pathlib import Path

from app.services.quick_search import QuickSearch, search_partition
from app.storage import Database
from tests.unit.storage.docs import contact


def test_matches_come_from_the_shown_sub_account_only(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "cache.sqlite3")
    try:
        a = db.partition("https://crm.example.com", "sub_a")
        b = db.partition("https://crm.example.com", "sub_b")
        a.contacts.upsert_many([contact("c_a", "Jane", "Doe", email="jane@a.example")])
        b.contacts.upsert_many([contact("c_b", "Jane", "Roe", email="jane@b.example")])
        shown = [a]
        search = QuickSearch(lambda: shown[0] if shown else None)
        kinds = frozenset({"contact"})
        assert [r.id for r in search.search("jane", kinds)] == ["c_a"]
        shown[0] = b
        assert [r.id for r in search.search("jane", kinds)] == ["c_b"]
        shown.clear()
        assert search.search("jane", kinds) == []
        exact = search_partition(a, "jane@a.example", kinds)
        assert exact[0].id == "c_a" and exact[0].title == "Jane Doe" and exact[0].channel is None
    finally:
        db.close()
