"""The ``--demo`` sandbox runner: a real child process, its ready line, a clean stop."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.services.demo import DemoError, DemoSandbox, sandbox_command

pytestmark = pytest.mark.timeout(180)


def test_starts_answers_and_stops_and_keeps_its_data(tmp_path: Path) -> None:
    demo = DemoSandbox(tmp_path / "demo", traffic_seconds=None)
    info = demo.start()
    try:
        assert info.seedly_url.startswith("http://127.0.0.1:")
        assert info.agency_key.startswith("sk_agency_test_")
        assert len(info.subaccounts) >= 2
        answer = httpx.get(
            f"{info.seedly_url}/api/v1/sub-accounts",
            headers={"Authorization": f"Bearer {info.agency_key}"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert [s["id"] for s in answer.json()["data"]] == [s["id"] for s in info.subaccounts]
    finally:
        code = demo.stop()
    assert code == 0  # SIGTERM is a clean stop
    assert demo.process is not None and demo.process.poll() is not None

    again = DemoSandbox(tmp_path / "demo", traffic_seconds=None)
    second = again.start()
    try:
        assert second.agency_key == info.agency_key  # same data dir: same store, same keys
    finally:
        again.stop()


def test_an_unusable_data_folder_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "demo"
    blocker.write_text("a file where the data directory should be")
    demo = DemoSandbox(blocker / "inner", traffic_seconds=None)
    with pytest.raises(DemoError, match="cannot be used"):
        demo.start(timeout=30)


def test_a_sandbox_that_dies_while_starting_says_where_to_look(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    data.mkdir()
    (data / "sandbox.sqlite3").write_bytes(b"this is not a SQLite database" * 100)
    demo = DemoSandbox(data, traffic_seconds=None)
    with pytest.raises(DemoError, match="stopped while starting") as caught:
        demo.start(timeout=60)
    assert str(demo.log_path) in str(caught.value)
    assert demo.log_path.read_text().strip()  # the child's own account of it is kept


def test_command_line() -> None:
    command = sandbox_command(Path("/data"), 15)
    assert command[1:4] == ["-m", "app", "sandbox"]  # not frozen: the package runs itself
    assert command[command.index("--port") : command.index("--port") + 2] == ["--port", "0"]
    assert command[-2:] == ["--traffic", "15"]
    assert "--traffic" not in sandbox_command(Path("/data"), None)


def test_a_bigger_demo_agency(tmp_path: Path) -> None:
    """``seedly-desk --demo --demo-subaccounts N``: the demo's agency reaches N sub-accounts,
    the demo's two first."""
    assert sandbox_command(Path("/data"), None, 6)[-2:] == ["--subaccounts", "6"]
    assert "--subaccounts" not in sandbox_command(Path("/data"), None)
    names: list[list[str]] = []
    for folder, count in (("demo2", None), ("demo6", 6)):
        demo = DemoSandbox(tmp_path / folder, traffic_seconds=None, subaccounts=count)
        info = demo.start()
        try:
            names.append([str(s["name"]) for s in info.subaccounts])
        finally:
            demo.stop()
    two, six = names
    assert len(two) == 2 and len(six) == 6 and six[:2] == two
