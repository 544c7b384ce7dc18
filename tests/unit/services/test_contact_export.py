"""CSV export from the cache (streamed, atomic) and reading files to import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.contact_csv import CsvFileError, parse_csv
from app.services.contact_import import (
    ExportFailed,
    export_contacts,
    read_import_file,
    write_text_atomically,
)
from app.storage import CacheUnavailableError, ContactFilters, Database, Partition
from tests.unit.storage.docs import contact


@pytest.fixture
def partition(tmp_path: Path) -> Iterator[Partition]:
    db = Database.open(tmp_path / "cache.sqlite3")
    part = db.partition("https://crm.example.com", "sub_x")
    part.contacts.upsert_many(
        [
            contact(
                f"c{i:03d}",
                f"First{i:03d}",
                "Smith" if i % 2 else "Jones",
                email=f"p{i}@x.com",
                tags=["vip"] if i % 3 == 0 else [],
                customFields={"budget": i},
            )
            for i in range(25)
        ]
    )
    part.custom_fields.replace_fields([{"name": "budget", "label": "Budget", "type": "number"}])
    yield part
    db.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_export_honours_search_filters_and_sort(partition: Partition, tmp_path: Path) -> None:
    path = tmp_path / "out" / "contacts.csv"
    path.parent.mkdir()
    count = export_contacts(
        partition, "smith", ContactFilters(tags=("vip",)), ("name", True), path, page_size=2
    )
    expected = [f"First{i:03d}" for i in range(24, -1, -1) if i % 2 and i % 3 == 0]
    assert count == len(expected) == 4
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets then read UTF-8 right
    table = parse_csv(raw)
    first_names = [r.cells[table.header.index("First Name")] for r in table.rows]
    assert first_names == expected
    assert table.header[table.header.index("Budget")] == "Budget"
    assert _leftovers(path.parent) == []


def test_a_failed_export_leaves_the_old_file_untouched(
    partition: Partition, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("the previous export\n")
    real = partition.contacts.search
    calls = 0

    def failing_search(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise CacheUnavailableError("disk I/O error")
        return real(*args, **kwargs)

    monkeypatch.setattr(partition.contacts, "search", failing_search)
    with pytest.raises(ExportFailed, match="Nothing was saved") as info:
        export_contacts(partition, None, None, "name", path, page_size=10)
    assert "local cache" in str(info.value)
    assert path.read_text() == "the previous export\n"
    assert _leftovers(tmp_path) == []


def test_an_unwritable_place_is_said_in_words(partition: Partition, tmp_path: Path) -> None:
    with pytest.raises(ExportFailed, match="Could not write “x.csv”") as info:
        export_contacts(partition, None, None, "name", tmp_path / "missing" / "x.csv")
    assert "Choose another folder" in str(info.value)


def test_atomic_write_cleans_up_when_the_chunks_fail(tmp_path: Path) -> None:
    def chunks() -> Iterator[str]:
        yield "half"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_text_atomically(tmp_path / "r.csv", chunks())
    assert list(tmp_path.iterdir()) == []


def test_reading_a_file_to_import(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"Name\n" + b"x" * 3 * 1024 * 1024)
    with pytest.raises(CsvFileError, match=r"“big.csv” is 3 MB; the import reads files up to 2 MB"):
        read_import_file(big, max_bytes=2 * 1024 * 1024)
    with pytest.raises(CsvFileError, match="does not exist"):
        read_import_file(tmp_path / "nope.csv")
    with pytest.raises(CsvFileError, match="is a folder"):
        read_import_file(tmp_path)
    small = tmp_path / "small.csv"
    small.write_bytes(b"Name\nJane Doe\n")
    assert read_import_file(small) == b"Name\nJane Doe\n"
