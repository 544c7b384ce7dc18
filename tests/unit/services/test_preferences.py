"""``Preferences``: the one writer of the settings file. Each change is written once, and
only when the workspace persists; a failed write keeps the change and says so; saved
searches are replaced by name (any case) within their kind; demo settings are never
written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.services.preferences import Preferences, PreferencesNotSaved
from app.settings.profiles import ProfileStore, SeamlessSettings

FILTERS = {"seniority": ["VP"], "department": ["Sales"]}


class CountingStore(ProfileStore):
    """A profile store that counts its writes (and can be made to fail them)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writes = 0
        self.fail: OSError | None = None

    def save(self) -> None:
        if self.fail is not None:
            raise self.fail
        self.writes += 1
        super().save()


def preferences(tmp_path: Path, *, persist: bool = True) -> tuple[Preferences, CountingStore]:
    store = CountingStore(tmp_path / "profiles.json")
    flag = {"persist": persist}
    return Preferences(store, lambda: flag["persist"]), store


def on_disk(store: ProfileStore) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(store.path.read_text())
    return loaded


def test_saved_searches_are_written_once_per_change(tmp_path: Path) -> None:
    prefs, store = preferences(tmp_path)
    saved = prefs.save_search("  Sales   leaders ", "people", FILTERS)
    assert saved.name == "Sales leaders" and store.writes == 1
    assert on_disk(store)["saved_searches"] == [
        {"id": saved.id, "name": "Sales leaders", "kind": "people", "filters": FILTERS}
    ]
    # The same name in another case replaces it and keeps its id; another kind is apart.
    again = prefs.save_search("SALES leaders", "people", {"seniority": ["CXO"]})
    company = prefs.save_search("Sales leaders", "companies", {"companyKeyword": ["x"]})
    assert again.id == saved.id and company.id != saved.id
    assert [s.filters for s in prefs.saved_searches("people")] == [{"seniority": ["CXO"]}]
    assert [s.id for s in prefs.saved_searches("companies")] == [company.id]
    assert store.writes == 3
    assert prefs.rename_search(saved.id, "VPs") and store.writes == 4
    assert prefs.find_search(saved.id) is not None
    assert prefs.find_search(saved.id).name == "VPs"  # type: ignore[union-attr]
    assert prefs.delete_search(saved.id) and store.writes == 5
    assert [s["id"] for s in on_disk(store)["saved_searches"]] == [company.id]  # type: ignore[attr-defined]
    # Nothing to change: nothing written.
    assert not prefs.rename_search("nope", "x") and not prefs.delete_search("nope")
    assert store.writes == 5
    with pytest.raises(ValueError):
        prefs.save_search("   ", "people", FILTERS)
    with pytest.raises(ValueError):
        prefs.save_search("x", "places", FILTERS)


def test_saved_searches_are_listed_by_name(tmp_path: Path) -> None:
    prefs, _store = preferences(tmp_path)
    for name in ("beta", "Alpha", "gamma"):
        prefs.save_search(name, "people", FILTERS)
    assert [s.name for s in prefs.saved_searches("people")] == ["Alpha", "beta", "gamma"]
    assert len(prefs.saved_searches()) == 3


def test_a_workspace_that_does_not_persist_never_writes(tmp_path: Path) -> None:
    prefs, store = preferences(tmp_path, persist=False)
    prefs.save_search("Demo", "people", FILTERS)
    prefs.set_theme("dark")
    prefs.set_seamless(SeamlessSettings(base_url="https://seamless.example/api"))
    assert store.writes == 0 and not store.path.exists()
    assert prefs.theme == "dark" and [s.name for s in prefs.saved_searches()] == ["Demo"]
    assert not prefs.persists


def test_a_failed_write_keeps_the_change_and_says_so(tmp_path: Path) -> None:
    prefs, store = preferences(tmp_path)
    store.fail = PermissionError(13, "Permission denied")
    with pytest.raises(PreferencesNotSaved) as raised:
        prefs.save_search("Kept", "people", FILTERS)
    assert raised.value.reason == "Permission denied"
    assert str(store.path) in str(raised.value)
    assert [s.name for s in prefs.saved_searches("people")] == ["Kept"]


def test_seamless_settings_and_the_daily_budget(tmp_path: Path) -> None:
    prefs, store = preferences(tmp_path)
    assert prefs.set_daily_budget(5) is None and store.writes == 0  # nothing to change
    settings = SeamlessSettings(base_url="https://seamless.example/api", pricing="free-search")
    prefs.set_seamless(settings)
    changed = prefs.set_daily_budget(40)
    assert changed is not None and changed.id == settings.id and changed.daily_budget == 40
    assert on_disk(store)["seamless"]["daily_budget"] == 40  # type: ignore[index]
    assert prefs.set_daily_budget(None) is not None
    assert on_disk(store)["seamless"]["daily_budget"] is None  # type: ignore[index]
    with pytest.raises(ValueError):
        prefs.set_daily_budget(0)
    # The demo's connection is kept in memory only: the file is not touched.
    writes = store.writes
    demo = SeamlessSettings(id="demo", base_url="http://127.0.0.1:1/api", demo=True)
    prefs.set_seamless(demo)
    assert prefs.seamless is demo and store.writes == writes
    # A budget for the connection in use (not the saved one) is based on it.
    live = SeamlessSettings(base_url="https://other.example/api")
    based = prefs.set_daily_budget(7, of=live)
    assert based is not None and based.id == live.id and based.daily_budget == 7


def test_the_generic_update_writes_once(tmp_path: Path) -> None:
    prefs, store = preferences(tmp_path)

    def mute(data: object) -> int:
        prefs.data.preferences.muted_channels = ["SMS", "Email"]
        return 2

    assert prefs.update(mute) == 2 and store.writes == 1
    assert on_disk(store)["preferences"]["muted_channels"] == ["SMS", "Email"]  # type: ignore[index]
    prefs.set_theme("light")
    assert on_disk(store)["preferences"]["theme"] == "light"  # type: ignore[index]
