"""The contract every tab of the main window follows.

A tab is an ``Area``: a widget with a name, a title and an icon, built from an
``AreaContext`` (its Qt-free port, the bus bridge, its own task scope and a
``Navigator``). The window knows areas only through this class: it never looks
for optional methods with ``getattr``, and areas never reach each other or the
window; "show this contact" goes through the navigator.

Areas are built lazily and in slices. The window creates the tab's page at
once (title and icon only), and calls ``build_steps()`` when the tab is first
shown or when the loop is idle, one step per turn of the event loop, so no
step blocks the window for long. ``build()`` runs every step at once (tests,
screenshots). docs/architecture.md, "Adding a tab", walks through writing one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QMenu, QWidget


log = logging.getLogger(__name__)
if TYPE_CHECKING:
    from app.ui.async_qt import BusBridge, TaskSet

PortT = TypeVar("PortT", covariant=True)


class Navigator(Protocol):
    """What an area may ask of the window: bring another area or a record to the front."""

    def show_area(self, name: str) -> None:
        """Bring the tab ``name`` to the front."""

    def show_record(self, kind: str, record_id: str) -> bool:
        """Open the record (``"contact"``, ``"conversation"``, ``"appointment"``) in the
        area that shows that kind; False when no area does."""

    def bring_to_front(self) -> None:
        """Raise and activate the window (a notification was clicked)."""

    def user_is_looking(self) -> bool:
        """Whether the window is active and not minimised."""

    def notify(self, title: str, text: str, kind: str, record_id: str) -> None:
        """Show a desktop notification; clicking it opens the record (``kind`` as for
        ``show_record``)."""


@dataclass(frozen=True)
class AreaContext(Generic[PortT]):
    """What an area is built with (made by ``app.bootstrap``)."""

    port: PortT
    """The area's Qt-free port into the services (``app/services/ports``)."""
    bridge: BusBridge
    """The services' events as Qt signals on the GUI thread."""
    tasks: TaskSet
    """The area's own task scope: cancelled and awaited when the area shuts down."""
    navigator: Navigator
    """How the area opens other areas and records."""


class Area(QWidget):
    """A tab of the main window. Subclasses set the three class attributes and override
    the hooks they need; every hook has a harmless default."""

    area_name: ClassVar[str] = ""
    """The stable key of the area (settings, ``--screenshot`` file names, navigation)."""
    title: ClassVar[str] = ""
    """The tab's label."""
    icon_name: ClassVar[str] = ""
    """The tab's icon (a name under resources/icons)."""
    record_kinds: ClassVar[frozenset[str]] = frozenset()
    """The kinds of record ``show_record`` opens (what global search can jump to)."""
    poll_job: ClassVar[str | None] = None
    """The poll scheduler's job this area shows (polled faster while the tab is shown)."""
    preload: ClassVar[tuple[str, ...]] = ()
    """Modules the area imports only when it builds: imported with the area's own module on
    a worker thread, so building never waits for an import on the GUI thread."""

    @classmethod
    def warm_up(cls) -> None:
        """Run on a worker thread after the area's imports: load what building it would
        otherwise read on the GUI thread (tables of names, files). Creates no Qt object."""

    loadedChanged = Signal(bool)
    """True once the area's data is on screen (``--screenshot`` waits for every area)."""

    buildFinished = Signal()
    """The last building step ran: every widget exists."""

    buildFailed = Signal(str)
    """A building step raised (its message): the area stays unbuilt and is never built."""

    def __init__(self, context: AreaContext[object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.navigator = context.navigator
        self._built = False
        self._steps: Iterator[None] | None = None
        self.build_failed = False
        """A building step raised: the area is half made, so it is never marked built."""

    # -- building ---------------------------------------------------------------------------
    def build_steps(self) -> Iterator[None]:
        """Build the widgets, yielding between pieces that take a few milliseconds each.
        Overridden by every area; the default builds nothing."""
        return iter(())

    def build_next_step(self) -> bool:
        """Run one building step; True while more remain."""
        if self._built or self.build_failed:
            return False
        if self._steps is None:
            self._steps = self.build_steps()
        try:
            next(self._steps)
        except StopIteration:
            self._built = True
            self._steps = None
            self.built()
            self.buildFinished.emit()
            return False
        except Exception as exc:
            # Not built, ever: its ``built`` hook and every "once built" path would meet
            # widgets that were never made. The other tabs go on.
            log.exception("building the %s tab failed", self.area_name)
            self._steps = None
            self.build_failed = True
            self.buildFailed.emit(str(exc) or type(exc).__name__)
            return False
        return True

    def build(self) -> None:
        """Run every remaining building step now."""
        while self.build_next_step():
            pass

    @property
    def is_built(self) -> bool:
        """Whether every building step has run."""
        return self._built

    def built(self) -> None:
        """Called once the last building step ran (connect signals that need every widget)."""

    # -- hooks the window calls -------------------------------------------------------------
    def is_loaded(self) -> bool:
        """Whether the area's data is on screen."""
        return self._built

    def save_state(self, settings: QSettings) -> None:
        """Write splitters, columns and other view state."""

    def restore_state(self, settings: QSettings) -> None:
        """Read what ``save_state`` wrote."""

    def prepare_restore(self, settings: QSettings) -> None:
        """Before the area is built (a restored session): read what its first building
        steps need, such as a table's saved order, so its first rows come in it.
        ``restore_state`` follows once it is built."""

    def has_unsaved_changes(self) -> bool:
        """Whether the area holds edits that were not saved."""
        return False

    async def confirm_leave(self) -> bool:
        """Before a switch or quit: let the user save or discard pending edits (False: stay)."""
        return True

    async def shutdown(self) -> None:
        """Stop the area's background work (on quit); its task scope is shut down after."""

    async def prepare_screenshot(self) -> bool:
        """Put the most telling content on screen (``--screenshot``); False when it could
        not be done in time."""
        return True

    def show_record(self, kind: str, record_id: str) -> bool:
        """Open a record of one of ``record_kinds``; False when it cannot be shown."""
        return False

    def status_widgets(self) -> Sequence[QWidget]:
        """Widgets the area puts in the window's status bar (built once, at start)."""
        return ()

    def add_settings_entries(self, menu: QMenu) -> None:
        """Add the area's entries to the window's Settings menu."""

    def set_shown(self, shown: bool) -> None:
        """The tab became the current one (True) or stopped being it."""

    def set_all_mode(self, on: bool) -> None:
        """ "All sub-accounts" was chosen (True) or one sub-account again: a tab with a
        merged view shows every member sub-account (see docs/architecture.md, "The agency
        view"); the others keep showing the open one. Called again in All mode when the
        members change."""


__all__ = ["Area", "AreaContext", "Navigator"]
