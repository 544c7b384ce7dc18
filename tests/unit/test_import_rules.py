"""The layering of docs/architecture.md, enforced by the import-linter contracts in
pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_layer_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    assert exe, "import-linter is part of the [test] extra"
    proc = subprocess.run(
        [exe, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout and "KEPT" in proc.stdout


def test_contracts_cover_every_layer() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    for layer in (
        "app.core",
        "app.api",
        "app.storage",
        "app.services",
        "app.settings",
        "app.sandbox",
    ):
        assert f'source_modules = ["{layer}"]' in text, layer
