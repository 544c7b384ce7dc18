"""The one place that changes the saved preferences (the settings file).

Saved searches, the Seamless.AI settings, the theme and any other field of the
settings file are changed here and nowhere else: each change is applied to the
profile store's data, then the file is written once, and only when the workspace
persists (the demo changes its settings in memory and never writes the file).
A write that fails keeps the change in memory and raises ``PreferencesNotSaved``,
so the caller can say that it applies now but will be lost at quit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from app.settings.profiles import ProfileStore, SavedSearch, SeamlessSettings, SettingsFile

T = TypeVar("T")

SEARCH_KINDS = ("people", "companies")


class PreferencesNotSaved(RuntimeError):
    """The change applies (it is kept in memory) but the settings file could not be written."""

    def __init__(self, path: str, reason: OSError) -> None:
        self.path = path
        """The settings file."""
        self.reason = str(reason.strerror or reason)
        """Why it could not be written (the system's words)."""
        super().__init__(f"{path} could not be written: {self.reason}")


def _clean_name(name: str) -> str:
    return " ".join(name.split())


class Preferences:
    """Reads and changes the saved preferences; writes the file once per change, and only
    when ``persist()`` says the workspace keeps its settings."""

    def __init__(self, store: ProfileStore, persist: Callable[[], bool]) -> None:
        """``persist`` is asked at every change (a workspace may stop persisting)."""
        self._store = store
        self._persist = persist

    @property
    def data(self) -> SettingsFile:
        """The settings as loaded and changed so far (read it; change it with ``update``)."""
        return self._store.data

    @property
    def persists(self) -> bool:
        """Whether changes are written to the settings file."""
        return self._persist()

    # -- the generic change -------------------------------------------------------------------
    def update(self, change: Callable[[SettingsFile], T], *, write: bool = True) -> T:
        """Apply ``change`` to the settings, then write the file once (when the workspace
        persists and ``write``); ``change``'s result. ``PreferencesNotSaved`` when the write
        failed (the change is kept in memory)."""
        result = change(self._store.data)
        if write and self._persist():
            try:
                self._store.save()
            except OSError as exc:
                raise PreferencesNotSaved(str(self._store.path), exc) from exc
        return result

    # -- saved searches -----------------------------------------------------------------------
    def saved_searches(self, kind: str | None = None) -> list[SavedSearch]:
        """The saved searches (of ``kind``, "people" or "companies", when given), by name."""
        return sorted(
            (s for s in self.data.saved_searches if kind is None or s.kind == kind),
            key=lambda s: s.name.casefold(),
        )

    def find_search(self, search_id: str) -> SavedSearch | None:
        """The saved search with ``search_id``, or None."""
        return next((s for s in self.data.saved_searches if s.id == search_id), None)

    def save_search(self, name: str, kind: str, filters: Mapping[str, Any]) -> SavedSearch:
        """Save ``filters`` under ``name`` (spaces tidied); a saved search of the same kind and
        name (whatever its case) is replaced, keeping its id."""
        if kind not in SEARCH_KINDS:
            raise ValueError(f"unknown search kind {kind!r}")
        clean = _clean_name(name)
        if not clean:
            raise ValueError("a saved search needs a name")
        search = SavedSearch(name=clean, kind=kind, filters=dict(filters))

        def change(data: SettingsFile) -> SavedSearch:
            existing = next(
                (
                    s
                    for s in data.saved_searches
                    if s.kind == kind and s.name.casefold() == clean.casefold()
                ),
                None,
            )
            if existing is not None:
                search.id = existing.id
            data.saved_searches = [s for s in data.saved_searches if s is not existing] + [search]
            return search

        return self.update(change)

    def rename_search(self, search_id: str, name: str) -> bool:
        """Rename a saved search; False when there is none with that id (nothing written)."""
        clean = _clean_name(name)
        found = self.find_search(search_id)
        if found is None or not clean:
            return False

        def change(_data: SettingsFile) -> bool:
            found.name = clean
            return True

        return self.update(change)

    def delete_search(self, search_id: str) -> bool:
        """Delete a saved search; False when there is none with that id (nothing written)."""
        if self.find_search(search_id) is None:
            return False

        def change(data: SettingsFile) -> bool:
            data.saved_searches = [s for s in data.saved_searches if s.id != search_id]
            return True

        return self.update(change)

    # -- the Seamless.AI settings --------------------------------------------------------------
    @property
    def seamless(self) -> SeamlessSettings | None:
        """The saved Seamless.AI connection settings (None: never connected)."""
        return self.data.seamless

    def set_seamless(self, settings: SeamlessSettings) -> None:
        """Keep ``settings`` as the Seamless.AI connection; a demo connection is never
        written (the file is left as it is)."""

        def change(data: SettingsFile) -> None:
            data.seamless = settings

        self.update(change, write=not settings.demo)

    def set_daily_budget(
        self, credits: int | None, *, of: SeamlessSettings | None = None
    ) -> SeamlessSettings | None:
        """Set (or clear, None) the daily budget of ``of`` (the connection in use; the saved
        settings by default) and keep the result; the new settings, or None when there are
        none to change."""
        current = of or self.seamless
        if current is None:
            return None
        if credits is not None and credits < 1:
            raise ValueError("a daily budget is at least 1 credit")
        settings = current.model_copy(update={"daily_budget": credits})
        self.set_seamless(settings)
        return settings

    # -- which sub-accounts an agency connection watches ------------------------------------------
    def set_sub_account_inclusion(
        self, profile_id: str, included: Iterable[str] | None, observe_only: Iterable[str] = ()
    ) -> bool:
        """Keep which sub-accounts of the agency connection ``profile_id`` are included
        (``None``: all of them, also ones added later) and which of them are "observe
        only" (merged and polled, no notifications); False when there is no such
        connection (nothing written). A demo connection is changed in memory only."""
        profile = next((p for p in self.data.profiles if p.id == profile_id), None)
        if profile is None:
            return False
        chosen = None if included is None else list(dict.fromkeys(included))
        quiet = list(dict.fromkeys(observe_only))

        def change(_data: SettingsFile) -> bool:
            profile.included_sub_accounts = chosen
            profile.observe_only = quiet
            return True

        return self.update(change, write=not profile.demo)

    # -- app-wide preferences -----------------------------------------------------------------
    @property
    def theme(self) -> str:
        """The theme chosen ("system", "light" or "dark")."""
        return self.data.preferences.theme

    def set_theme(self, mode: str) -> None:
        """Keep the theme chosen."""

        def change(data: SettingsFile) -> None:
            data.preferences.theme = mode

        self.update(change)


__all__ = ["SEARCH_KINDS", "Preferences", "PreferencesNotSaved"]
