"""Lint, format and strict typing of the project, run as part of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    exe = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert exe, f"{name} is part of the [test] extra"
    return exe


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_ruff_lint_is_clean() -> None:
    proc = _run(_tool("ruff"), "check", "app", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_applied() -> None:
    proc = _run(_tool("ruff"), "format", "--check", "app", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_covers_the_ui_with_no_module_exempted() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert "app/ui" in config["files"] and config["strict"] is True
    loose = [o["module"] for o in config.get("overrides", []) if o.get("ignore_errors")]
    assert not loose, f"modules exempted from strict typing: {loose}"


def test_mypy_strict_everywhere_but_the_sandbox() -> None:
    # No cache: a stale one can hide errors a clean clone (CI) would report.
    proc = _run(_tool("mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
