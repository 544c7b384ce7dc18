"""The cache and the app's folders are readable by the user only (they hold contacts and
messages)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from app.settings.paths import AppPaths
from app.storage import Database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> object:
    old = os.umask(0o022)  # what most desktops use: files 0644, folders 0755
    yield
    os.umask(old)


def test_a_new_cache_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "cache.sqlite3"
    db = Database.open(path)
    db.partition("https://crm.example.com", "sub_1").contacts.upsert_many(
        [{"id": "c1", "firstName": "Ann", "createdAt": "2026-01-01", "updatedAt": "2026-01-01"}]
    )
    wal = path.with_name("cache.sqlite3-wal")
    assert wal.exists()
    assert mode(path) == 0o600
    assert mode(wal) & 0o077 == 0
    assert mode(path.parent) == 0o700
    db.close()


def test_an_existing_readable_cache_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    Database.open(path).close()
    os.chmod(path, 0o644)
    Database.open(path).close()
    assert mode(path) == 0o600


def test_the_apps_folders_are_private(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "home").ensure()
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir):
        assert mode(folder) == 0o700
    os.chmod(paths.log_dir, 0o755)
    paths.ensure()
    assert mode(paths.log_dir) == 0o700
