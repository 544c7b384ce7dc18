"""The Inbox's menus and keyboard: what the snooze, assign and "who am I" menus offer,
and the single-key shortcuts of the conversation list.

Each menu is filled when it is about to show, from what the tab knows then (the team
members seen in the sub-account, who the user is, the time now); choosing an entry
calls back into the tab, which runs the action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.ui.inbox.dialogs import snooze_choices
from app.ui.theme import icon

MemberLabel = Callable[[str], str]
"""How a team member id is shown (a known name, else a readable form of the id)."""


def fill_snooze_menu(
    menu: QMenu,
    now: datetime,
    snooze: Callable[[datetime], object],
    pick: Callable[[], object],
) -> None:
    """The presets for ``now`` (``snooze(when)`` on a choice), then "Pick a date and time…"
    (``pick()``)."""
    menu.clear()
    for label, when in snooze_choices(now):
        menu.addAction(label).triggered.connect(lambda _c=False, w=when: snooze(w))
    menu.addSeparator()
    menu.addAction("Pick a date and time…").triggered.connect(lambda _c=False: pick())


def fill_assign_menu(
    menu: QMenu,
    me: str | None,
    members: Sequence[str],
    label: MemberLabel,
    assign: Callable[[str], object],
    other: Callable[[], object],
    unassign: Callable[[], object],
) -> None:
    """ "Assign to me" first (once the user said who they are), every other team member,
    "Other team member id…" and "Unassign"."""
    menu.clear()
    if me:
        menu.addAction(icon("user"), f"Assign to me ({label(me)})").triggered.connect(
            lambda _c=False: assign(me)
        )
        menu.addSeparator()
    for member in members:
        if member == me:
            continue
        menu.addAction(f"{label(member)}  ({member})").triggered.connect(
            lambda _c=False, m=member: assign(m)
        )
    menu.addAction("Other team member id…").triggered.connect(lambda _c=False: other())
    menu.addSeparator()
    menu.addAction("Unassign").triggered.connect(lambda _c=False: unassign())


def fill_me_menu(
    menu: QMenu,
    me: str | None,
    members: Sequence[str],
    label: MemberLabel,
    choose: Callable[[str | None], object],
) -> None:
    """One checkable entry per team member (``choose(id)``), and "Forget who I am"
    (``choose(None)``) once the user chose."""
    menu.clear()
    if not members:
        none = menu.addAction("No team members in this sub-account's conversations yet")
        none.setEnabled(False)
    for member in members:
        action = menu.addAction(f"{label(member)}  ({member})")
        action.setCheckable(True)
        action.setChecked(member == me)
        action.triggered.connect(lambda _c=False, m=member: choose(m))
    if me:
        menu.addSeparator()
        menu.addAction("Forget who I am").triggered.connect(lambda _c=False: choose(None))


def install_list_keys(
    widget: QWidget, keys: Sequence[tuple[str, Callable[[], Any]]]
) -> dict[str, QAction]:
    """Shortcuts that work only while ``widget`` has the focus (single keys there never
    reach a text field); the actions by key."""
    actions: dict[str, QAction] = {}
    for key, slot in keys:
        action = QAction(widget)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda _c=False, s=slot: s())
        widget.addAction(action)
        actions[key] = action
    return actions


__all__ = [
    "MemberLabel",
    "fill_assign_menu",
    "fill_me_menu",
    "fill_snooze_menu",
    "install_list_keys",
]
