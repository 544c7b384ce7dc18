"""Building one area outside the window, as the window does (tests of a single tab)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.ui.area import Area, AreaContext
from app.ui.async_qt import BusBridge, TaskSet

A = TypeVar("A", bound=Area)


@dataclass
class RecordingNavigator:
    """A navigator with no window behind it: remembers what the area asked for."""

    looking: bool = True
    shown_areas: list[str] = field(default_factory=list)
    records: list[tuple[str, str]] = field(default_factory=list)
    raised: int = 0
    notices: list[tuple[str, str, str, str]] = field(default_factory=list)

    def show_area(self, name: str) -> None:
        self.shown_areas.append(name)

    def show_record(self, kind: str, record_id: str) -> bool:
        self.records.append((kind, record_id))
        return True

    def bring_to_front(self) -> None:
        self.raised += 1

    def user_is_looking(self) -> bool:
        return self.looking

    def notify(self, title: str, text: str, kind: str, record_id: str) -> None:
        self.notices.append((title, text, kind, record_id))


def build_area(
    cls: type[A],
    port: Any,
    bridge: BusBridge,
    tasks: TaskSet,
    *,
    navigator: Any = None,
    parent: Any = None,
    **options: Any,
) -> A:
    """``cls`` built at once (every building step run) over ``port``."""
    context = AreaContext(
        port=port, bridge=bridge, tasks=tasks, navigator=navigator or RecordingNavigator()
    )
    area = cls(context, parent, **options)
    area.build()
    return area
