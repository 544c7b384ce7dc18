"""Benchmarks of the contacts CSV export and import planning (figures, not assertions on time).

Run with ``.venv/bin/pytest tests/bench/test_contacts_csv_bench.py -s``; every
figure is printed as ``BENCH name=value unit``.
"""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.contact_csv import RowAction, parse_csv, suggest_mapping
from app.services.bus import EventBus, ScopeKey
from app.services.contact_import import ContactImporter, export_contacts
from app.storage import Database, Partition
from tests.bench.test_storage_bench import N_CONTACTS, bench, synthetic_contacts

DEPLOYMENT = "https://crm.example.com"
PLAN_ROWS = 10_000


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Partition]:
    path: Path = tmp_path_factory.mktemp("csv-bench") / "bench.db"
    db = Database.open(path)
    part = db.partition(DEPLOYMENT, "sub_bench")
    part.contacts.upsert_many(synthetic_contacts(N_CONTACTS))
    part.custom_fields.replace_fields(
        [
            {
                "name": "preferred_language",
                "label": "Preferred Language",
                "type": "select",
                "options": ["English", "Spanish", "French"],
            }
        ]
    )
    yield part
    db.close()


def test_export_100k(store: Partition, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    start = time.perf_counter()
    count = export_contacts(store, None, None, "name", path)
    elapsed = time.perf_counter() - start
    assert count == N_CONTACTS
    bench("contacts_export_100k_seconds", elapsed, "s")
    bench("contacts_export_100k_file_size", path.stat().st_size / 1e6, "MB")
    # Memory in a second run: tracing allocations slows everything down several times.
    tracemalloc.start()
    export_contacts(store, None, None, "name", tmp_path / "again.csv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bench("contacts_export_100k_peak_python_memory", peak / 1e6, "MB")


def _csv_of(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def test_plan_10k_rows(store: Partition) -> None:
    docs = synthetic_contacts(PLAN_ROWS // 2, seed=20260401)  # same emails as the cache
    rows = [["First Name", "Last Name", "E-mail", "Mobile", "Company", "Tags", "Language"]]
    for i, doc in enumerate(docs):
        # Half of the rows match cached contacts (one field edited on every tenth).
        title_company = doc["company"] if i % 10 else "Renamed Co"
        rows.append(
            [
                doc["firstName"],
                doc["lastName"],
                doc["email"],
                doc["phone"] or "",
                title_company,
                ", ".join(doc["tags"]),
                "english",
            ]
        )
    for i in range(PLAN_ROWS // 2):  # the other half are new people
        rows.append(
            [
                f"New{i}",
                "Person",
                f"new.person{i}@example.org",
                f"(617) 555-{i % 10_000:04d}",
                "Acme",
                "import",
                "Spanish",
            ]
        )
    data = _csv_of(rows)
    importer = ContactImporter(store, None, EventBus(), ScopeKey(DEPLOYMENT, "sub_bench"))

    start = time.perf_counter()
    table = parse_csv(data)
    parsed = time.perf_counter() - start
    mapping = suggest_mapping(table.raw_header, importer.field_definitions()).targets
    start = time.perf_counter()
    plan = importer.plan(table, mapping)
    planned = time.perf_counter() - start

    assert len(plan.rows) == PLAN_ROWS
    assert plan.count(RowAction.CREATE) == PLAN_ROWS // 2
    assert plan.count(RowAction.UPDATE) == PLAN_ROWS // 20
    bench("contacts_csv_parse_10k_rows_seconds", parsed, "s")
    bench("contacts_csv_plan_10k_rows_seconds", planned, "s")
    bench("contacts_csv_plan_per_row", planned / PLAN_ROWS * 1e6, "us")
