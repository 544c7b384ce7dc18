"""Fixtures of the storage tests: a fresh database file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage import Database, Partition
from tests.unit.storage.docs import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "seedly.db"


@pytest.fixture
def db(db_path: Path, clock: FakeClock) -> Iterator[Database]:
    database = Database.open(db_path, clock=clock)
    yield database
    database.close()


@pytest.fixture
def part(db: Database) -> Partition:
    return db.partition("https://crm.example.com", "sub_a")


@pytest.fixture
def other(db: Database) -> Partition:
    return db.partition("https://crm.example.com", "sub_b")
