"""Sync against a server that lies: lists that come back empty or truncated, records dated
in the future, cursors that go round in circles. None of them may wipe the cache, stop
incremental sync or loop forever."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.core.errors import InvalidResponse
from app.services.bus import EventBus, ScopeKey
from app.services.sync import PaginationLoop, SyncService
from app.storage import Database, SyncKind
from tests.support.hostile_server import HostileServer, hostile_server, http_date, json_answer

pytestmark = pytest.mark.timeout(60)

SUB = "sub_hostile"
CONTACTS = "/api/v1/contacts"


def iso(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch_s))


def contact(n: int, updated: float) -> dict[str, Any]:
    return {
        "id": f"c{n:04d}",
        "firstName": f"Person{n}",
        "email": f"p{n}@example.com",
        "createdAt": iso(updated - 3600),
        "updatedAt": iso(updated),
    }


class FakeCrm:
    """A contacts list the test edits; pages of 100, newest first, like the API."""

    def __init__(
        self, server: HostileServer, people: list[dict[str, Any]], date: str | None = None
    ) -> None:
        self.people = people
        self.total_lies: int | None = None
        """When set, ``meta.total`` says this instead of the truth."""
        self.answer_empty = False
        server.routes[CONTACTS] = json_answer(self.page, date=date)
        server.routes["/api/v1/contacts/fields"] = json_answer({"data": []})
        server.routes["/api/v1/contacts/*"] = json_answer(self.one)

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        ordered = sorted(self.people, key=lambda p: p["updatedAt"], reverse=True)
        if self.answer_empty:
            ordered = []
        start = int(query.get("cursor", ["0"])[0])
        chunk = ordered[start : start + 100]
        more = start + 100 < len(ordered)
        total = len(ordered) if self.total_lies is None else self.total_lies
        return {
            "data": chunk,
            "meta": {"total": total, "hasMore": more, "cursor": str(start + 100) if more else None},
        }

    def one(self, query: dict[str, list[str]], path: str) -> Any:
        wanted = path.rsplit("/", 1)[-1]
        for person in self.people:
            if person["id"] == wanted:
                return {"data": person}
        return 404, {"error": {"code": "NOT_FOUND", "message": "Contact not found"}}


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[HostileServer, Database]]:
    with hostile_server() as server:
        db = Database.open(tmp_path / "cache.sqlite3")
        yield server, db
        db.close()


def _sync(server: HostileServer, db: Database) -> tuple[SyncService, SeedlyClient]:
    client = SeedlyClient(server.url, "sk_test_hostileserverkey0001")
    scope = ScopeKey(server.url, SUB)
    return SyncService(db.partition(server.url, SUB), client, EventBus(), scope), client


@pytest.mark.asyncio
async def test_an_empty_list_does_not_empty_the_cache(setup: Any) -> None:
    server, db = setup
    now = time.time()
    crm = FakeCrm(server, [contact(n, now - 1000 + n) for n in range(250)])
    sync, client = _sync(server, db)
    assert await sync.full_contacts() == 250
    crm.answer_empty = True  # a broken server: "no contacts" (total 0), though they exist
    await sync.full_contacts()
    assert sync.partition.contacts.count() == 250
    assert server.count("/api/v1/contacts/c0000") == 1  # the second look asked for one
    await client.aclose()


@pytest.mark.asyncio
async def test_a_truncated_walk_that_disagrees_with_the_total_deletes_nothing(setup: Any) -> None:
    server, db = setup
    now = time.time()
    crm = FakeCrm(server, [contact(n, now - 1000 + n) for n in range(250)])
    sync, client = _sync(server, db)
    await sync.full_contacts()
    everyone = crm.people
    crm.people = everyone[:5]  # the server drops most records from its answer...
    crm.total_lies = 250  # ...but still counts them all
    await sync.full_contacts()
    assert sync.partition.contacts.count() == 250
    await client.aclose()


@pytest.mark.asyncio
async def test_real_deletions_are_applied_and_a_record_that_comes_back_is_accepted(
    setup: Any,
) -> None:
    server, db = setup
    now = time.time()
    crm = FakeCrm(server, [contact(n, now - 1000 + n) for n in range(250)])
    sync, client = _sync(server, db)
    await sync.full_contacts()
    removed = crm.people[:3]
    crm.people = crm.people[3:]
    await sync.full_contacts()
    assert sync.partition.contacts.count() == 247
    assert sync.partition.contacts.get("c0000") is None
    crm.people = removed + crm.people  # back, unchanged (the deletion was only inferred)
    await sync.full_contacts()
    assert sync.partition.contacts.get("c0000") is not None
    await client.aclose()


@pytest.mark.asyncio
async def test_many_real_deletions_are_applied_after_a_second_look(setup: Any) -> None:
    server, db = setup
    now = time.time()
    crm = FakeCrm(server, [contact(n, now - 1000 + n) for n in range(250)])
    sync, client = _sync(server, db)
    await sync.full_contacts()
    crm.people = crm.people[200:]  # 200 of 250 really deleted
    before = len(server.seen)
    await sync.full_contacts()
    assert sync.partition.contacts.count() == 50
    single = [p for m, p, _ in server.seen[before:] if p.startswith("/api/v1/contacts/c")]
    assert len(single) == 5  # the sample asked for one by one
    await client.aclose()


@pytest.mark.asyncio
async def test_a_record_dated_in_the_future_does_not_stop_incremental_sync(setup: Any) -> None:
    server, db = setup
    now = time.time()
    people = [contact(n, now - 1000 + n) for n in range(10)]
    people.append({**contact(999, now), "updatedAt": "2099-01-01T00:00:00.000Z"})
    crm = FakeCrm(server, people)
    sync, client = _sync(server, db)
    await sync.full_contacts()
    mark = sync.partition.marks.high_water_mark(SyncKind.CONTACTS)
    assert mark is not None and mark < iso(now + 1)
    crm.people.append(contact(500, time.time() + 1))  # a new contact, seconds later
    await sync.refresh_contacts()
    assert sync.partition.contacts.get("c0500") is not None
    await client.aclose()


@pytest.mark.asyncio
async def test_the_mark_follows_the_servers_clock_not_ours(setup: Any) -> None:
    server, db = setup
    # The server's clock is an hour behind ours: a record it dates "now + 30 min" (ours:
    # not in the future) is in its future, so it must not become the mark.
    server_now = time.time() - 3600
    people = [contact(n, server_now - 100 + n) for n in range(5)]
    people.append({**contact(7, server_now), "updatedAt": iso(server_now + 1800)})
    FakeCrm(server, people, date=http_date(server_now))
    sync, client = _sync(server, db)
    await sync.full_contacts()
    mark = sync.partition.marks.high_water_mark(SyncKind.CONTACTS)
    assert mark == people[4]["updatedAt"]
    await client.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize("loop", ["same-cursor", "same-page"])
async def test_a_looping_cursor_is_stopped_and_reported(setup: Any, loop: str) -> None:
    server, db = setup
    now = time.time()
    page = [contact(n, now - n) for n in range(100)]
    turn = iter(range(1_000_000))

    def answer(query: dict[str, list[str]]) -> dict[str, Any]:
        cursor = "again" if loop == "same-cursor" else f"next-{next(turn)}"
        return {"data": page, "meta": {"total": 5000, "hasMore": True, "cursor": cursor}}

    server.routes[CONTACTS] = json_answer(answer)
    server.routes["/api/v1/contacts/fields"] = json_answer({"data": []})
    sync, client = _sync(server, db)
    started = time.monotonic()
    with pytest.raises(PaginationLoop) as caught:
        await sync.full_contacts()
    seconds = time.monotonic() - started
    requests = server.count(CONTACTS)
    assert requests <= 4
    assert "stopped" in caught.value.user_message
    assert sync.partition.contacts.count() == 100  # what it read is kept
    assert seconds < 5
    await client.aclose()


@pytest.mark.asyncio
async def test_a_ten_megabyte_field_is_refused_with_a_clear_error_and_nothing_stored(
    setup: Any,
) -> None:
    server, db = setup
    now = time.time()
    crm = FakeCrm(server, [contact(n, now - 100 + n) for n in range(3)])
    sync, client = _sync(server, db)
    await sync.full_contacts()
    crm.people.append({**contact(9, time.time()), "notes": "x" * 10_000_000})
    with pytest.raises(InvalidResponse) as caught:
        await sync.refresh_contacts()
    assert "data[0].notes is 10.0 million characters long" in str(caught.value)
    assert sync.partition.contacts.count() == 3
    assert sync.partition.contacts.get("c0009") is None
    await client.aclose()
