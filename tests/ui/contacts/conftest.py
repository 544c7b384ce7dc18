"""Fixtures of the Contacts model tests: a small cache with two partitions."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester

from app.services.bus import ScopeKey
from app.storage import Database, Partition
from app.ui.contacts.model import ContactsTableModel
from tests.unit.storage.docs import contact

DEPLOYMENT = "https://crm.example.com"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

FIRSTS = ["Jane", "John", "Zoë", "Émile", "ana", "Bob", "Chloé", "Wei", "Olga", "Liam", "Mia"]
LASTS = ["Smith", "García", "O'Brien", "Müller", "Nguyen", "Kim", "Patel", "Rossi", "Adams"]
COMPANIES = ["Acme Roofing", "Globex", "Initech", "Umbrella Health", "Stark Labs"]
STAGES = ["lead", "qualified", "customer", "repeat", "inactive", "partner"]  # last: unknown
SOURCES = ["api", "website", "import", "referral"]
TAGS = ["vip", "newsletter", "churn-risk", "webinar"]
USERS = [None, "usr_ana", "usr_dev", "usr_kim"]


def fixture_contacts(prefix: str, n: int) -> list[dict[str, Any]]:
    """``n`` varied contacts: missing names, emails, phones, scores; accents; ties."""
    docs = []
    for i in range(n):
        first, last = FIRSTS[i % len(FIRSTS)], LASTS[(i * 7) % len(LASTS)]
        if i == 13:
            first, last = "", ""  # a contact known only by its email
        docs.append(
            contact(
                f"{prefix}_contact_{i:03d}",
                first,
                last,
                email=None if i % 11 == 5 else f"{prefix}{i}.{last.lower() or 'x'}@example.com",
                phone=None if i % 3 == 0 else f"+1617555{i:04d}",
                company=None if i % 5 == 0 else COMPANIES[i % len(COMPANIES)],
                title="Owner" if i % 2 else "CTO",
                source=SOURCES[i % len(SOURCES)],
                tags=[t for k, t in enumerate(TAGS) if (i >> k) & 1],
                lifecycleStage=STAGES[i % len(STAGES)],
                engagementScore=None if i % 9 == 7 else (i * 37) % 101,
                assignedTo=USERS[i % len(USERS)],
                city=["Boston", "Austin", None][i % 3],
                createdAt=f"2026-0{1 + i % 5}-{1 + i % 27:02d}T10:00:00.000Z",
                updatedAt=f"2026-06-{1 + (i * 5) % 15:02d}T{i % 24:02d}:00:00.000Z",
                customFields={
                    "preferred_language": ["English", "Spanish"][i % 2],
                    "budget": i * 10,
                },
            )
        )
    return docs


FIELD_DEFS = [
    {"name": "preferred_language", "label": "Language", "type": "select", "options": ["English"]},
    {"name": "budget", "label": "Budget", "type": "number"},
]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "contacts.db")
    yield database
    database.close()


@pytest.fixture
def part_a(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_a")
    part.contacts.upsert_many(fixture_contacts("a", 50))
    part.custom_fields.replace_fields(FIELD_DEFS)
    return part


@pytest.fixture
def part_b(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_b")
    part.contacts.upsert_many(fixture_contacts("b", 30))
    return part


@pytest.fixture
def scope_a() -> ScopeKey:
    return ScopeKey(DEPLOYMENT + "/", "sub_a")  # not normalised on purpose


@pytest.fixture
def model(qapp: Any) -> Iterator[ContactsTableModel]:
    m = ContactsTableModel(page_size=10, coalesce_ms=5, now=lambda: NOW)
    yield m
    m.set_reader(None)
    m.close()


@pytest.fixture
def checked(model: ContactsTableModel) -> Iterator[ContactsTableModel]:
    """The model under ``QAbstractItemModelTester`` (Fatal: any violation aborts)."""
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    yield model
    del tester


def load_all(model: ContactsTableModel) -> None:
    """Fetch pages until the model has every match."""
    root = QModelIndex()
    while model.canFetchMore(root):
        model.fetchMore(root)


def ids(model: ContactsTableModel) -> list[str]:
    return [model.id_at(r) or "" for r in range(model.rowCount())]


class InlineExecutor(Executor):
    """Runs every job at once on the calling (GUI) thread: deterministic tests."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


class ManualExecutor(Executor):
    """Holds jobs until the test runs them, in any order."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs.append((fn, args))
        return Future()

    def run(self, index: int) -> None:
        fn, args = self.jobs[index]
        fn(*args)
