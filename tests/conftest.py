"""Fixtures shared by every test tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox, start_sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One demo sandbox shared by a test session (tests create their own records)."""
    box = start_sandbox(
        tmp_path_factory.mktemp("sandbox"),
        "--seed",
        "demo",
        "--allow-loopback-webhooks",
        *GENEROUS_LIMITS,
    )
    yield box
    box.stop()


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[object]:
    """Start extra sandboxes with their own flags; all are stopped after the test."""
    started: list[Sandbox] = []

    def make(*args: str, data_dir: Path | None = None) -> Sandbox:
        box = start_sandbox(data_dir or tmp_path / f"sb{len(started)}", *args)
        started.append(box)
        return box

    yield make
    for box in started:
        box.stop()


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every app path under a temp dir and an in-memory keyring: no test touches the
    user's real profile, cache or keyring."""
    import keyring

    from tests.support.keyrings import MemoryKeyring

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SEEDLY_DESK_HOME", str(home))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield home
    keyring.set_keyring(previous)
