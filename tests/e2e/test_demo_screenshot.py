"""``seedly-desk --demo --screenshot DIR`` as a user runs it: a real process, headless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

pytestmark = pytest.mark.timeout(240)


def test_demo_screenshot_writes_a_png_per_tab_and_exits_0(tmp_path: Path) -> None:
    home, shots = tmp_path / "home", tmp_path / "shots"
    env = {**os.environ, "SEEDLY_DESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--demo", "--screenshot", str(shots), "--demo-traffic", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = sorted(Path(line).name for line in proc.stdout.split())
    tabs = ["calendar", "contacts", "inbox", "leads", "webhooks"]
    # The demo's agency key reaches two sub-accounts: the merged Inbox is written too.
    shots_of = [*tabs, "agency-inbox"]
    assert written == sorted([f"{t}.png" for t in shots_of] + [f"{t}-dark.png" for t in shots_of])
    for tab in shots_of:
        # Switched to dark while running: the window really is dark (its mean lightness).
        light, dark = QImage(str(shots / f"{tab}.png")), QImage(str(shots / f"{tab}-dark.png"))
        assert _mean_lightness(dark) < 90 < _mean_lightness(light), tab
    for name in written:
        image = QImage(str(shots / name))
        assert image.width() >= 800 and image.height() >= 500, name
        # Not a blank frame: tables and threads paint many colours (text, stripes, icons).
        colours = {
            image.pixel(x, y)
            for x in range(0, image.width(), 7)
            for y in range(0, image.height(), 7)
        }
        assert len(colours) > 20, name
    # The demo never touched the user's own settings: no saved connections file.
    assert not (home / "config" / "profiles.json").exists()
    # The sandbox child was stopped with the app: no process still serves its data folder.
    data_dir = str(home / "data" / "demo" / "sandbox")
    assert (home / "data" / "demo" / "sandbox" / "sandbox.sqlite3").is_file()
    assert not [cmd for cmd in _command_lines() if data_dir in cmd]


def _mean_lightness(image: QImage) -> float:
    values = [
        QColor(image.pixel(x, y)).lightness()
        for x in range(0, image.width(), 11)
        for y in range(0, image.height(), 11)
    ]
    return sum(values) / len(values)


def _command_lines() -> list[str]:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return lines


def _wait_for(condition: object, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_the_demo_sandbox_never_outlives_the_app(tmp_path: Path, how: str) -> None:
    """Quit by SIGTERM (shut down like closing the window, exit 0) or die by SIGKILL (the
    kernel stops the child): either way no sandbox keeps serving the demo data."""
    import signal

    home = tmp_path / "home"
    env = {**os.environ, "SEEDLY_DESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen(
        [sys.executable, "-m", "app", "--demo", "--demo-traffic", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    data_dir = str(home / "data" / "demo" / "sandbox")
    try:
        _wait_for(lambda: any(data_dir in cmd for cmd in _command_lines()), 60)
        app.send_signal(getattr(signal, how))
        code = app.wait(30)
    finally:
        if app.poll() is None:
            app.kill()
    if how == "SIGTERM":
        assert code == 0
    _wait_for(lambda: not any(data_dir in cmd for cmd in _command_lines()), 15)
