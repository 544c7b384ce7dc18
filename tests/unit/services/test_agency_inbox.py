"""The agency view's merged reader over real partitions of one SQLite cache: order, paging,
views and search, isolation (keys, owners, never a write), the hint and unread counts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.services.agency_inbox import (
    ANY_MEMBER,
    CHIP_COLOURS,
    AgencyInboxReader,
    Member,
    also_contact_in,
    chip_colour,
    merged_key,
    split_key,
    unread_counts,
)
from app.services.bus import ScopeKey
from app.services.ports.inbox import InboxPort
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore, SubAccountRef
from app.settings.secrets import Secrets, SessionSecrets
from app.storage import (
    ConversationFilters,
    ConversationView,
    Database,
    Partition,
    SyncKind,
)
from tests.unit.storage.docs import contact, conversation

DEPLOYMENT = "https://crm.example.com"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "cache.db")
    yield database
    database.close()


def _member(db: Database, sub: str, name: str) -> tuple[Member, Partition]:
    partition = db.partition(DEPLOYMENT, sub)
    scope = ScopeKey(partition.deployment, sub)
    return Member(scope, name, chip_colour(sub)), partition


def _at(minutes: int) -> str:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    return (start + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _fill(partition: Partition, times: list[int], prefix: str = "conv", **fields: object) -> None:
    partition.conversations.upsert_conversations(
        conversation(f"{prefix}_{i:04d}", last=_at(t), **fields) for i, t in enumerate(times)
    )


def _expected(members: list[tuple[Member, Partition]]) -> list[str]:
    """Every conversation of every member, sorted as the merged list must be."""
    rows: list[tuple[int, str, int, str]] = []
    for rank, (member, partition) in enumerate(members):
        for activity, cid in partition.conversations.list_keys(limit=100_000):
            rows.append((activity, cid, -rank, merged_key(member.sub_account_id, cid)))
    rows.sort(reverse=True)
    return [r[3] for r in rows]


def test_merged_keys_round_trip_and_colours_are_stable() -> None:
    key = merged_key("sub_a", "conv_1")
    assert split_key(key) == ("sub_a", "conv_1")
    assert split_key("conv_1") == (None, "conv_1")
    assert chip_colour("sub_a") == chip_colour("sub_a")
    assert all(0 <= chip_colour(f"sub_{i}") < CHIP_COLOURS for i in range(50))
    assert len({chip_colour(f"sub_{i}") for i in range(50)}) > 5


def test_pages_are_the_k_way_merge_in_the_single_views_order(db: Database) -> None:
    rng = random.Random(7)
    members = [_member(db, f"sub_{n}", f"Client {n}") for n in range(5)]
    for _m, partition in members:
        # The same ids in every partition: only the owner tells them apart.
        _fill(partition, [rng.randrange(0, 2000) for _ in range(rng.randrange(20, 90))])
    reader = AgencyInboxReader(members)
    expected = _expected(members)
    got: list[str] = []
    offset = 0
    while True:
        page = reader.conversations(limit=37, offset=offset)
        got += [row.key for row in page]
        offset += len(page)
        if len(page) < 37:
            break
    assert got == expected
    assert reader.count() == len(expected)
    # Ties on the same activity and id across partitions follow the members' order.
    assert len(set(got)) == len(got)


def test_a_jump_to_an_offset_not_reached_by_paging_gives_the_same_rows(db: Database) -> None:
    members = [_member(db, f"sub_{n}", f"Client {n}") for n in range(3)]
    for n, (_m, partition) in enumerate(members):
        _fill(partition, [t * 3 + n for t in range(40)])
    reader = AgencyInboxReader(members)
    expected = _expected(members)
    assert [r.key for r in reader.conversations(limit=10, offset=55)] == expected[55:65]


def test_rows_name_their_owner_and_carry_the_owners_document(db: Database) -> None:
    a, b = _member(db, "sub_a", "Alpha"), _member(db, "sub_b", "Bravo")
    a[1].conversations.upsert_conversations([conversation("same", name="Ann Alpha", last=_at(5))])
    b[1].conversations.upsert_conversations([conversation("same", name="Bob Bravo", last=_at(9))])
    reader = AgencyInboxReader([a, b])
    rows = reader.conversations(limit=10)
    assert [(r.member.name, r.doc["contact"]["firstName"]) for r in rows] == [
        ("Bravo", "Bob"),
        ("Alpha", "Ann"),
    ]
    assert reader.conversation(merged_key("sub_a", "same"))["contact"]["firstName"] == "Ann"
    assert reader.conversation(merged_key("sub_b", "same"))["contact"]["firstName"] == "Bob"
    assert reader.conversation("same") is None  # a bare id names no owner


def test_views_filters_and_search_apply_in_every_member(db: Database) -> None:
    a, b = _member(db, "sub_a", "Alpha"), _member(db, "sub_b", "Bravo")
    a[1].conversations.upsert_conversations(
        [
            conversation("a1", name="Zoe Quill", last=_at(1), unreadCount=2),
            conversation("a2", name="Max Plain", last=_at(2), assignedTo="usr_a"),
        ]
    )
    b[1].conversations.upsert_conversations(
        [
            conversation("b1", name="Zoe Other", last=_at(3), unreadCount=1, assignedTo="usr_b"),
            conversation("b2", name="Ned Plain", last=_at(4), status="closed"),
        ]
    )
    reader = AgencyInboxReader([a, b], identities={"sub_b": "usr_b"})
    keys = lambda rows: [r.key for r in rows]  # noqa: E731
    unread = reader.conversations(ConversationView.unread())
    assert keys(unread) == [merged_key("sub_b", "b1"), merged_key("sub_a", "a1")]
    assert reader.count(ConversationView.unread()) == 2
    found = reader.conversations(text="zoe")
    assert keys(found) == [merged_key("sub_b", "b1"), merged_key("sub_a", "a1")]
    closed = reader.conversations(filters=ConversationFilters(status="closed"))
    assert keys(closed) == [merged_key("sub_b", "b2")]
    # Mine: each member's own identity; a member without one lists nothing.
    mine = reader.conversations(ConversationView.mine(ANY_MEMBER))
    assert keys(mine) == [merged_key("sub_b", "b1")]
    # A kept row stays in its owner only (the same bare id elsewhere is not kept).
    kept = ConversationFilters(keep_id=merged_key("sub_a", "a2"))
    assert keys(reader.conversations(ConversationView.unread(), kept)) == [
        merged_key("sub_b", "b1"),
        merged_key("sub_a", "a2"),
        merged_key("sub_a", "a1"),
    ]


def test_the_reader_never_writes_and_ignores_partitions_not_merged(db: Database) -> None:
    a, b = _member(db, "sub_a", "Alpha"), _member(db, "sub_b", "Bravo")
    outsider = db.partition(DEPLOYMENT, "sub_x")
    _fill(a[1], [1, 2])
    _fill(b[1], [3])
    _fill(outsider, [9, 10, 11])
    reader = AgencyInboxReader([a, b])
    before = {p.sub_account_id: p.conversations.list_conversations(limit=100) for p in (a[1], b[1])}
    rows = reader.conversations(limit=100)
    assert {r.member.sub_account_id for r in rows} == {"sub_a", "sub_b"}
    assert len(rows) == 3
    assert not reader.covers(ScopeKey(outsider.deployment, "sub_x"))
    assert reader.covers(ScopeKey(DEPLOYMENT + "/", "sub_a"))
    after = {p.sub_account_id: p.conversations.list_conversations(limit=100) for p in (a[1], b[1])}
    assert before == after


def test_local_state_is_keyed_by_owner(db: Database) -> None:
    a, b = _member(db, "sub_a", "Alpha"), _member(db, "sub_b", "Bravo")
    _fill(a[1], [1])
    _fill(b[1], [2])
    a[1].drafts.save_draft("conv_0000", {"text": "hello"})
    reader = AgencyInboxReader([a, b])
    assert reader.conversations_with_drafts() == {merged_key("sub_a", "conv_0000")}
    assert reader.marked_unread() == frozenset()


def test_unread_counts_per_sub_account(db: Database) -> None:
    a, b = _member(db, "sub_a", "Alpha"), _member(db, "sub_b", "Bravo")
    _fill(a[1], [1, 2, 3], unreadCount=1)
    _fill(b[1], [4])
    assert unread_counts({"sub_a": a[1], "sub_b": b[1]}) == {"sub_a": 3, "sub_b": 0}
    assert AgencyInboxReader([a, b]).unread_counts() == {"sub_a": 3, "sub_b": 0}


def test_hint_names_the_other_sub_accounts_only(db: Database) -> None:
    a, b, c = (_member(db, s, n) for s, n in (("sub_a", "A"), ("sub_b", "B"), ("sub_c", "C")))
    b[1].contacts.upsert_many([contact("c1", email="Jane@Example.com", phone="+16175550101")])
    c[1].contacts.upsert_many([contact("c2", email="other@example.com", phone="+16175550199")])
    others = [b, c]
    assert also_contact_in(others, "jane@example.COM", None) == ["B"]
    assert also_contact_in(others, None, "(617) 555-0101") == ["B"]
    assert also_contact_in(others, None, "+1 617 555 0199") == ["C"]
    assert also_contact_in(others, "nobody@example.com", "+16175550000") == []
    assert also_contact_in(others, None, None) == []


def _agency_workspace(tmp_path: Path, db: Database) -> Workspace:
    store = ProfileStore(tmp_path / "profiles.json")
    space = Workspace(
        AppPaths.under(tmp_path).ensure(),
        db,
        store,
        Secrets(persistent=SessionSecrets()),
        persist=False,
    )
    space.profile = Profile(
        id="p1",
        name="Agency",
        deployment_url=DEPLOYMENT,
        key_kind="agency",
        sub_accounts=[
            SubAccountRef(id="sub_a", name="Alpha"),
            SubAccountRef(id="sub_b", name="Bravo"),
            SubAccountRef(id="sub_c", name="Charlie"),
        ],
    )
    return space


def test_the_port_merges_the_chosen_members_only_and_keeps_one_reader(
    tmp_path: Path, db: Database
) -> None:
    space = _agency_workspace(tmp_path, db)
    for sub in ("sub_a", "sub_b", "sub_c"):
        _fill(db.partition(DEPLOYMENT, sub), [1, 2])
    port = InboxPort(space)
    assert port.merged_reader() is None  # not in All mode
    space.all_sub_accounts = True
    reader = port.merged_reader()
    assert reader is not None and reader is port.merged_reader()  # one object while unchanged
    assert [m.name for m in reader.members] == ["Alpha", "Bravo", "Charlie"]
    # The inclusion settings narrow the members (never to one the profile does not reach).
    space.agency_members = lambda: [
        SubAccountRef(id="sub_c", name="Charlie"),
        SubAccountRef(id="sub_x", name="Elsewhere"),
        SubAccountRef(id="sub_a", name="Alpha"),
    ]
    narrowed = port.merged_reader()
    assert narrowed is not None and narrowed is not reader
    assert [m.sub_account_id for m in narrowed.members] == ["sub_a", "sub_c"]
    assert {r.member.sub_account_id for r in narrowed.conversations()} == {"sub_a", "sub_c"}
    # A sub-account key never merges.
    space.profile = Profile(id="p2", name="One", deployment_url=DEPLOYMENT, sub_account_id="s")
    assert not port.all_mode() and port.merged_reader() is None


def test_the_picker_counts_every_sub_account_of_the_profile(tmp_path: Path, db: Database) -> None:
    space = _agency_workspace(tmp_path, db)
    _fill(db.partition(DEPLOYMENT, "sub_b"), [1, 2], unreadCount=2)
    assert space.unread_by_sub_account() == {"sub_a": 0, "sub_b": 2, "sub_c": 0}
    assert not space.conversations_cached("sub_b")
    db.partition(DEPLOYMENT, "sub_b").marks.set_full_sync_ms(SyncKind.CONVERSATIONS, 1)
    assert space.conversations_cached("sub_b") and not space.conversations_cached("sub_x")
