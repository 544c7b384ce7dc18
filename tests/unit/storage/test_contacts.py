"""Contacts: upserts, lookups, filters, sorting, paging; custom fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import app.storage.contacts as contacts_module
from app.storage import SORT_KEYS, CacheConstraintError, ContactFilters, Database, Partition
from tests.unit.storage.docs import contact


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


# ----------------------------------------------------------------- upserts


def test_upsert_is_idempotent(part: Partition) -> None:
    docs = [contact(f"c{i}", tags=["vip"], phone=f"+1617555010{i}") for i in range(5)]
    assert part.contacts.upsert_many(docs) == 5
    assert part.contacts.upsert_many(docs) == 0
    assert part.contacts.upsert_many([dict(d) for d in reversed(docs)]) == 0
    assert part.contacts.count() == 5
    assert part.contacts.count("jane") == 5
    assert part.contacts.count(filters=ContactFilters(tags=("vip",))) == 5
    assert [part.contacts.get(f"c{i}") for i in range(5)] == docs
    with part.database.read() as conn:
        assert conn.execute("SELECT count(*) FROM contact_tags").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM contact_docs").fetchone()[0] == 5


def test_upsert_of_nothing(part: Partition) -> None:
    assert part.contacts.upsert_many([]) == 0


def test_changed_contact_replaces_the_old_version_everywhere(part: Partition) -> None:
    part.contacts.upsert_many([contact("c1", "Jane", "Smith", tags=["vip"], company="Acme")])
    changed = contact(
        "c1", "Janet", "Doe", tags=["cold"], company="Globex", updatedAt="2026-02-01T00:00:00Z"
    )
    assert part.contacts.upsert_many([changed]) == 1
    assert part.contacts.get("c1") == changed
    assert part.contacts.search("smith") == [] and part.contacts.search("acme") == []
    assert ids(part.contacts.search("janet doe globex")) == ["c1"]
    assert part.contacts.known_tags() == ["cold"]
    assert part.contacts.count(filters=ContactFilters(tags=("vip",))) == 0
    with part.database.transaction() as conn:  # the FTS integrity check is a write command
        conn.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')")


def test_an_older_version_never_overwrites_a_newer_one(part: Partition) -> None:
    newer = contact("c1", "Jane", "New", updatedAt="2026-05-01T00:00:00Z")
    older = contact("c1", "Jane", "Old", updatedAt="2026-04-01T00:00:00Z")
    part.contacts.upsert_many([newer])
    assert part.contacts.upsert_many([older]) == 0
    assert part.contacts.get("c1") == newer
    assert part.contacts.search("old") == []
    # Same timestamp but different content (a field the server fixed) is applied.
    same_time = contact("c1", "Jane", "Fixed", updatedAt="2026-05-01T00:00:00Z")
    assert part.contacts.upsert_many([same_time]) == 1
    assert part.contacts.get("c1") == same_time


def test_document_without_id_is_refused(part: Partition) -> None:
    with pytest.raises(ValueError):
        part.contacts.upsert_many([{"firstName": "No", "lastName": "Id"}])


def test_tolerates_odd_values(part: Partition) -> None:
    odd = {
        "id": "c1",
        "firstName": None,
        "lastName": "Only",
        "tags": ["ok", 5, None, "", " spaced "],
        "engagementScore": "high",
        "createdAt": "not a date",
        "updatedAt": 1_790_000_000_000,
        "additionalPhones": "not a list",
        "unknownField": {"nested": True},
    }
    assert part.contacts.upsert_many([odd]) == 1
    assert part.contacts.get("c1") == odd
    assert ids(part.contacts.search("only")) == ["c1"]
    assert part.contacts.known_tags() == ["ok", "spaced"]
    assert ids(part.contacts.search(filters=ContactFilters(tags=(" spaced",)))) == ["c1"]


# ------------------------------------------------------------------ lookups


def test_get_many_by_email_delete_and_ids(part: Partition) -> None:
    part.contacts.upsert_many(
        [
            contact("c1", email="Jane@Example.com"),
            contact("c2", "Bob", "Jones", updatedAt="2026-03-03T00:00:00.000Z"),
            contact("c3", "Ann", "Lee"),
        ]
    )
    assert ids(part.contacts.get_many(["c3", "missing", "c1"])) == ["c3", "c1"]
    assert ids(part.contacts.by_email("jane@example.COM")) == ["c1"]
    assert part.contacts.by_email("") == []
    assert part.contacts.all_ids() == {"c1", "c2", "c3"}
    assert part.contacts.ids_and_updated()["c2"] == "2026-03-03T00:00:00.000Z"
    assert part.contacts.delete_ids(["c2", "nope"]) == 1
    assert part.contacts.delete_ids([]) == 0
    assert part.contacts.all_ids() == {"c1", "c3"}
    assert part.contacts.search("bob") == []
    assert part.contacts.get("c2") is None


def test_known_values_for_pickers(part: Partition) -> None:
    part.contacts.upsert_many(
        [
            contact("c1", tags=["vip", "b2b"], source="web", assignedTo="usr_2"),
            contact("c2", tags=["VIP"], source="import", assignedTo="usr_1"),
            contact("c3", tags=[], source=None, assignedTo=None),
        ]
    )
    assert [t.casefold() for t in part.contacts.known_tags()] == ["b2b", "vip"]
    assert part.contacts.known_sources() == ["import", "web"]
    assert part.contacts.known_assignees() == ["usr_1", "usr_2"]


# ------------------------------------------------------------------ filters


@pytest.fixture
def crowd(part: Partition) -> Partition:
    part.contacts.upsert_many(
        [
            contact("c1", "Ann", "Able", lifecycleStage="lead", tags=["vip", "b2b"],
                    source="web", assignedTo="usr_1", phone="+15550001"),
            contact("c2", "Bob", "Baker", lifecycleStage="customer", tags=["vip"],
                    source="import", assignedTo="usr_2"),
            contact("c3", "Cid", "Cole", lifecycleStage="lead", tags=["B2B", "VIP"],
                    source="web", assignedTo=None, phone="+15550003"),
            contact("c4", "Dee", "Dunn", lifecycleStage="qualified", tags=[],
                    source=None, assignedTo="usr_1"),
        ]
    )  # fmt: skip
    return part


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ContactFilters(), ["c1", "c2", "c3", "c4"]),
        (ContactFilters(lifecycle_stage="lead"), ["c1", "c3"]),
        (ContactFilters(lifecycle_stage="repeat"), []),
        (ContactFilters(tags=("vip",)), ["c1", "c2", "c3"]),
        (ContactFilters(tags=("vip", "b2b")), ["c1", "c3"]),
        (ContactFilters(tags=["VIP", "B2B", "vip"]), ["c1", "c3"]),  # type: ignore[arg-type]
        (ContactFilters(tags=("vip", "nope")), []),
        (ContactFilters(source="web"), ["c1", "c3"]),
        (ContactFilters(assigned_to="usr_1"), ["c1", "c4"]),
        (ContactFilters(unassigned=True), ["c3"]),
        (ContactFilters(has_phone=True), ["c1", "c3"]),
        (ContactFilters(has_phone=False), ["c2", "c4"]),
        (ContactFilters(lifecycle_stage="lead", tags=("b2b",), has_phone=True, source="web",
                        assigned_to="usr_1"), ["c1"]),
    ],
)  # fmt: skip
def test_filters(crowd: Partition, filters: ContactFilters, expected: list[str]) -> None:
    assert ids(crowd.contacts.search(filters=filters)) == expected
    assert crowd.contacts.count(filters=filters) == len(expected)


def test_filters_combine_with_text(crowd: Partition) -> None:
    f = ContactFilters(tags=("vip",))
    assert ids(crowd.contacts.search("cole", f)) == ["c3"]
    assert crowd.contacts.count("cole", f) == 1
    assert crowd.contacts.count("dunn", f) == 0
    assert crowd.contacts.count("5550003", ContactFilters(has_phone=True)) == 1


# ------------------------------------------------------------------ sorting

SORT_FIXTURE = [
    contact("s1", "bob", "zed", email="b@x.com", company="Zeta", phone="+15550002",
            lifecycleStage="customer", source="web", engagementScore=50,
            createdAt="2026-01-03T00:00:00Z", updatedAt="2026-02-03T00:00:00Z"),
    contact("s2", "Álvaro", "Ángel", email="A@x.com", company="alpha", phone=None,
            lifecycleStage="lead", source="import", engagementScore=90,
            createdAt="2026-01-01T00:00:00Z", updatedAt="2026-02-05T00:00:00Z"),
    contact("s3", "Carl", "Young", email=None, company=None, phone="+15550001",
            lifecycleStage="inactive", source=None, engagementScore=None,
            createdAt="2026-01-02T00:00:00Z", updatedAt=None),
    contact("s4", "bob", "zed", email="b@x.com", company="Zeta", phone="+15550002",
            lifecycleStage="qualified", source="web", engagementScore=50,
            createdAt="2026-01-03T00:00:00Z", updatedAt="2026-02-03T00:00:00Z"),
    contact("s5", "Dora", "Ex", email="d@x.com", company="Mid", phone="+15550009",
            lifecycleStage="exotic-stage", source="api", engagementScore=0,
            createdAt=None, updatedAt="2026-02-01T00:00:00Z"),
]  # fmt: skip

# Written out by hand: missing values last in both directions, ties by id in
# the same direction, text case- and accent-insensitive (casefold),
# lifecycle stages in pipeline order with unknown stages after the known ones.
EXPECTED_ORDER = {
    "name": (["s2", "s1", "s4", "s3", "s5"], ["s5", "s3", "s4", "s1", "s2"]),
    "email": (["s2", "s1", "s4", "s5", "s3"], ["s5", "s4", "s1", "s2", "s3"]),
    "company": (["s2", "s5", "s1", "s4", "s3"], ["s4", "s1", "s5", "s2", "s3"]),
    "phone": (["s3", "s1", "s4", "s5", "s2"], ["s5", "s4", "s1", "s3", "s2"]),
    "lifecycleStage": (["s2", "s4", "s1", "s3", "s5"], ["s5", "s3", "s1", "s4", "s2"]),
    "source": (["s5", "s2", "s1", "s4", "s3"], ["s4", "s1", "s2", "s5", "s3"]),
    "updatedAt": (["s5", "s1", "s4", "s2", "s3"], ["s2", "s4", "s1", "s5", "s3"]),
    "createdAt": (["s2", "s3", "s1", "s4", "s5"], ["s4", "s1", "s3", "s2", "s5"]),
    "engagementScore": (["s5", "s1", "s4", "s2", "s3"], ["s2", "s4", "s1", "s5", "s3"]),
}


def test_every_sort_key_is_covered() -> None:
    assert set(EXPECTED_ORDER) == set(SORT_KEYS)


@pytest.mark.parametrize("key", sorted(EXPECTED_ORDER))
@pytest.mark.parametrize("descending", [False, True])
def test_sort_keys(part: Partition, key: str, descending: bool) -> None:
    part.contacts.upsert_many(SORT_FIXTURE)
    expected = EXPECTED_ORDER[key][1 if descending else 0]
    assert ids(part.contacts.search(sort_key=key, descending=descending)) == expected


@pytest.mark.parametrize("key", sorted(EXPECTED_ORDER))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("fillers", [0, 30])  # dense matches (index walk) / sparse (lookup)
def test_sort_keys_with_text(part: Partition, key: str, descending: bool, fillers: int) -> None:
    part.contacts.upsert_many(SORT_FIXTURE)
    part.contacts.upsert_many(
        [contact(f"f{i:02d}", "Filler", f"N{i}", email=f"f{i}@filler.org") for i in range(fillers)]
    )
    with_email = {"s1", "s2", "s4", "s5"}  # "x" matches the x.com emails only
    expected = [i for i in EXPECTED_ORDER[key][1 if descending else 0] if i in with_email]
    assert ids(part.contacts.search("x", sort_key=key, descending=descending)) == expected
    assert part.contacts.count("x") == 4


def test_unknown_sort_key_is_refused(part: Partition) -> None:
    with pytest.raises(ValueError, match="unknown sort key"):
        part.contacts.search(sort_key="doc; DROP TABLE contacts")


def test_negative_paging_is_refused(part: Partition) -> None:
    with pytest.raises(ValueError):
        part.contacts.search(limit=-1)
    with pytest.raises(ValueError):
        part.contacts.search(offset=-5)


# ------------------------------------------------------------------- paging


@pytest.mark.parametrize("text", [None, "smith", "s"])
@pytest.mark.parametrize("key", ["name", "updatedAt", "engagementScore"])
@pytest.mark.parametrize("others", [20, 300])  # dense matches (index walk) / sparse (lookup)
def test_pages_cover_the_result_exactly_once(
    part: Partition, text: str | None, key: str, others: int
) -> None:
    docs = [
        contact(f"p{i:02d}", f"Name{i % 7}", "Smith", engagementScore=i % 4,
                updatedAt=f"2026-01-{1 + i % 5:02d}T00:00:00Z")
        for i in range(37)
    ]  # fmt: skip
    docs += [contact(f"q{i:03d}", "Other", "Person") for i in range(others)]
    part.contacts.upsert_many(docs)
    full = ids(part.contacts.search(text, sort_key=key, limit=1000))
    assert part.contacts.count(text) == len(full)
    paged: list[str] = []
    for offset in range(0, len(full) + 7, 7):
        paged += ids(part.contacts.search(text, sort_key=key, limit=7, offset=offset))
    assert paged == full
    assert len(set(full)) == len(full)


# ------------------------------------------------------------ custom fields


def test_custom_fields_replace_and_keep_order(part: Partition) -> None:
    defs: list[dict[str, Any]] = [
        {"name": "preferred_language", "label": "Preferred Language", "type": "select",
         "options": ["English", "Spanish"], "isRequired": False},
        {"name": "company_size", "label": "Company Size", "type": "number", "options": None,
         "isRequired": True},
    ]  # fmt: skip
    part.custom_fields.replace_fields(defs)
    assert part.custom_fields.fields() == defs
    assert part.custom_fields.field("company_size") == defs[1]
    assert part.custom_fields.field("nope") is None
    part.custom_fields.replace_fields([defs[1]])
    assert part.custom_fields.fields() == [defs[1]]
    with pytest.raises(ValueError):
        part.custom_fields.replace_fields([{"label": "no name"}])
    assert part.custom_fields.fields() == [defs[1]]


# --------------------------------------------------------------- bulk loads


def _contact_indexes(part: Partition) -> set[str]:
    with part.database.read() as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'contacts_by_%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_bulk_upsert_rebuilds_the_sort_indexes(
    part: Partition, other: Partition, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts_module, "BULK_MIN_ROWS", 5)
    indexes = _contact_indexes(part)
    assert len(indexes) == 10
    docs = [
        contact(f"b{i:02d}", f"N{(i * 7) % 20:02d}", "Bulk", engagementScore=i) for i in range(20)
    ]
    assert part.contacts.upsert_many(docs) == 20
    assert _contact_indexes(part) == indexes
    names = [c["firstName"] for c in part.contacts.search(sort_key="name")]
    assert names == sorted(names)
    assert ids(part.contacts.search(sort_key="engagementScore", descending=True, limit=2)) == [
        "b19",
        "b18",
    ]
    # A re-sync of the same rows, and a small batch next to a big partition,
    # take the ordinary path and give the same results.
    assert part.contacts.upsert_many(docs) == 0
    assert other.contacts.upsert_many(docs[:6]) == 6
    assert _contact_indexes(part) == indexes
    with part.database.read() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_failed_bulk_upsert_restores_the_indexes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts_module, "BULK_MIN_ROWS", 5)
    stale = db.partition("https://crm.example.com", "sub_gone")
    indexes = _contact_indexes(stale)
    db.drop_partition("https://crm.example.com", "sub_gone")
    with pytest.raises(CacheConstraintError):
        stale.contacts.upsert_many([contact(f"b{i}") for i in range(20)])
    assert _contact_indexes(stale) == indexes


def test_a_late_older_copy_does_not_bring_a_deleted_contact_back(tmp_path: Path) -> None:
    """A poll fetched before the user deleted a contact, stored after: it stays deleted;
    a copy updated after the deletion (restored on the server) comes back."""
    now = [1_780_000_000_000]
    db = Database.open(tmp_path / "c.sqlite3", clock=lambda: now[0])
    part = db.partition("https://crm.example.com", "sub_a")
    stale = contact("c_gone", "Gone", "Soon", updatedAt="2026-05-01T10:00:00.000Z")
    part.contacts.upsert_many([stale, contact("c_other", "Other", "One")])
    assert part.contacts.delete_ids(["c_gone"]) == 1
    assert part.contacts.upsert_many([stale]) == 0
    assert part.contacts.get("c_gone") is None
    assert part.contacts.get("c_other") is not None
    restored = contact("c_gone", "Gone", "Back", updatedAt="2026-06-30T10:00:00.000Z")
    assert part.contacts.upsert_many([restored]) == 1  # updated after the deletion (mid-2026)
    assert part.contacts.get("c_gone")["lastName"] == "Back"  # type: ignore[index]
    # Once restored, the old deletion no longer stands in the way of its updates.
    part.contacts.upsert_many(
        [contact("c_gone", "Gone", "Again", updatedAt="2026-07-01T10:00:00.000Z")]
    )
    assert part.contacts.get("c_gone")["lastName"] == "Again"  # type: ignore[index]
    db.close()
