"""The layering of docs/architecture.md, enforced by the import-linter contracts in
pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    assert exe, "import-linter is part of the [test] extra"
    return subprocess.run(
        [exe, "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PYTHONPATH": str(root), "PATH": str(Path(sys.executable).parent)},
    )


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["importlinter"]["contracts"])


def test_layer_contracts_hold() -> None:
    proc = _lint_imports(ROOT)
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
    ui = [c for c in _contracts() if c.get("source_modules") == ["app.ui"]]
    assert len(ui) == 1, "one contract keeps the UI above the services"
    for forbidden in ("sqlite3", "httpx", "keyring", "app.api", "app.settings", "app.storage"):
        assert forbidden in ui[0]["forbidden_modules"], forbidden  # type: ignore[operator]
    tabs = [c for c in _contracts() if c.get("type") == "independence"]
    assert tabs and set(tabs[0]["modules"]) >= {  # type: ignore[arg-type]
        "app.ui.contacts",
        "app.ui.inbox",
        "app.ui.leads",
    }


def test_the_ui_contract_has_no_exceptions() -> None:
    (ui,) = [c for c in _contracts() if c.get("source_modules") == ["app.ui"]]
    ignored = ui.get("ignore_imports", [])
    assert not ignored, f"UI imports below the services: {ignored}; use the area's port instead"


def test_a_violating_ui_import_breaks_the_contracts(tmp_path: Path) -> None:
    """The contracts really bite: a copy of the project with a UI module that opens SQLite
    itself and a tab that imports another tab fails the check."""
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "app/ui/common/cache_peek.py").write_text("import sqlite3\n")
    (tmp_path / "app/ui/leads/peek.py").write_text("from app.ui.inbox import tab\n")
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "app.ui.common.cache_peek -> sqlite3" in proc.stdout, proc.stdout[-3000:]
    assert "app.ui.leads.peek -> app.ui.inbox" in proc.stdout, proc.stdout[-3000:]
    assert "BROKEN" in proc.stdout


def test_every_tab_package_is_kept_independent() -> None:
    """A new tab package is in the independence contract too (else it could import the
    others unnoticed): every package under app/ui holding an ``Area`` subclass."""
    tab_packages = {
        f"app.ui.{path.parent.name}"
        for path in (ROOT / "app" / "ui").glob("*/*.py")
        if path.parent.name != "common" and "(Area)" in path.read_text(encoding="utf-8")
    }
    (tabs,) = [c for c in _contracts() if c.get("type") == "independence"]
    assert tab_packages >= {"app.ui.contacts", "app.ui.inbox", "app.ui.leads"}
    missing = tab_packages - set(tabs["modules"])  # type: ignore[arg-type]
    assert not missing, f"tab packages missing from the independence contract: {missing}"
