"""The search field every list has, and when a typed search runs.

``SearchBox`` looks the same everywhere (the search icon, a clear button, a
placeholder that says what is searched). ``SearchPace`` decides how long to wait
after a keystroke: while the last query was cheap the next runs at once, so typing
feels instant; after a costly one a keystroke waits for a short pause in the
typing, so a slow cache is not asked once per letter.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from app.ui.theme import icon

DEBOUNCE_MS = 120
"""The pause after a keystroke when the last query was not cheap."""
CHEAP_QUERY_MS = 100.0
"""A query that answered within this is cheap: the next keystroke searches at once. Below
the debounce itself, running a search that the next keystroke may void costs the user
less than waiting would; a query slower than that is outrun by typing, so keystrokes are
coalesced then."""


class SearchPace:
    """How long to wait before running the search for what was just typed."""

    def __init__(self, debounce_ms: int = DEBOUNCE_MS, cheap_ms: float = CHEAP_QUERY_MS) -> None:
        self.debounce_ms = debounce_ms
        self.cheap_ms = cheap_ms
        self.last_query_ms: float | None = None
        """How long the last query took (None before the first)."""

    @property
    def debounces(self) -> bool:
        """Whether the next keystroke waits for the debounce: the last query was costly."""
        return self.last_query_ms is not None and self.last_query_ms > self.cheap_ms

    def delay_ms(self) -> int:
        """The debounce after a costly query; 0 before the first and after a cheap one."""
        return self.debounce_ms if self.debounces else 0

    def record(self, query_ms: float) -> None:
        """A query ran for ``query_ms`` milliseconds (from its start to its rows shown)."""
        self.last_query_ms = query_ms


class SearchBox(QLineEdit):
    """A search field: the search icon, a clear button and what it searches."""

    def __init__(self, placeholder: str, parent: QWidget | None = None, min_width: int = 200):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.setMinimumWidth(min_width)


__all__ = ["CHEAP_QUERY_MS", "DEBOUNCE_MS", "SearchBox", "SearchPace"]
