"""``ContactImporter`` decisions that a healthy sandbox cannot provoke: stops, retries of
deleted contacts, task cancellation mid-row (a scripted fake client)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.contact_csv import RowStatus, parse_csv, suggest_mapping
from app.core.errors import ApiError, NotFound, ServerError, Unauthorized
from app.core.models import Contact, parse
from app.services.bus import EventBus, ScopeKey
from app.services.contact_import import ContactImporter
from app.storage import Database, Partition
from tests.unit.storage.docs import contact

CSV = "First,Last,Email\n" + "".join(f"P{i},Q,p{i}@x.com\n" for i in range(5))


class Scripted:
    """Answers creates from a script: an exception to raise, or None for success."""

    def __init__(self, script: list[BaseException | None]) -> None:
        self.script = script
        self.created: list[str] = []
        self.updates: list[str] = []
        self.deleted: set[str] = set()

    async def create_contact(self, payload: Any) -> Contact:
        step = self.script.pop(0) if self.script else None
        if step is not None:
            raise step
        body = payload.to_body()
        self.created.append(body["email"])
        return parse(
            Contact,
            {
                **body,
                "id": f"c{len(self.created)}",
                "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z",
            },
        )

    async def update_contact(self, contact_id: str, changes: Any) -> Contact:
        if contact_id in self.deleted:
            raise NotFound("Contact not found", status=404, code="NOT_FOUND")
        raise AssertionError("not expected")

    async def find_contact_by_email(self, email: str) -> Contact | None:
        return None


@pytest.fixture
def partition(tmp_path: Path) -> Iterator[Partition]:
    db = Database.open(tmp_path / "c.sqlite3")
    yield db.partition("https://crm.example.com", "sub")
    db.close()


def _run(partition: Partition, client: Any, text: str = CSV) -> Any:
    importer = ContactImporter(partition, client, EventBus(), ScopeKey("u", "sub"))
    table = parse_csv(text.encode())
    plan = importer.plan(table, suggest_mapping(table.raw_header).targets)
    return asyncio.run(importer.run(plan))


def _statuses(report: Any) -> list[str]:
    return [o.status.value for o in report.outcomes]


def test_a_key_that_stops_working_stops_the_import(partition: Partition) -> None:
    client = Scripted([None, Unauthorized("bad key", status=401)])
    report = _run(partition, client)
    assert _statuses(report) == ["created", "failed"] + ["not imported"] * 3
    assert "did not accept the API key" in (report.stopped_reason or "")
    assert "the import stopped" in report.outcomes[-1].reason


def test_server_errors_fail_rows_until_three_in_a_row_stop(partition: Partition) -> None:
    oops = ServerError("boom", status=500)
    report = _run(partition, Scripted([oops, None, oops, oops, oops]))
    assert _statuses(report) == ["failed", "created", "failed", "failed", "failed"]
    assert report.stopped_reason is not None and "problem on its side" in report.stopped_reason
    other = _run(partition, Scripted([ApiError("conflict", status=409), None, None, None, None]))
    assert other.stopped_reason is None and _statuses(other)[0] == "failed"


def test_a_contact_deleted_in_seedly_is_created_again(partition: Partition) -> None:
    partition.contacts.upsert_many([contact("c_gone", "P0", "Old", email="p0@x.com")])
    client = Scripted([])
    client.deleted.add("c_gone")
    report = _run(partition, client, "First,Last,Email\nP0,Q,p0@x.com\n")
    assert _statuses(report) == ["created"] and client.created == ["p0@x.com"]
    assert partition.contacts.get("c_gone") is None  # the service forgot it


def test_cancelling_the_task_reports_the_row_in_flight(partition: Partition) -> None:
    class Hangs(Scripted):
        async def create_contact(self, payload: Any) -> Contact:
            if self.created:
                await asyncio.sleep(3600)
            return await super().create_contact(payload)

    importer = ContactImporter(partition, Hangs([]), EventBus(), ScopeKey("u", "sub"))
    table = parse_csv(CSV.encode())
    plan = importer.plan(table, suggest_mapping(table.raw_header).targets)

    async def scenario() -> None:
        task = asyncio.ensure_future(importer.run(plan))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    report = importer.report
    assert report is not None and report.cancelled and report.finished
    assert _statuses(report) == ["created", "failed"] + ["not imported"] * 3
    assert "interrupted while this row was being written" in report.outcomes[1].reason
    assert not importer.running
    assert report.count(RowStatus.CREATED) == 1
