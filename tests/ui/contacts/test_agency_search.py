"""The Contacts tab in All sub-accounts over a real cache of two sub-accounts: the search
box searches both (a chip and the owner on every row, counts per sub-account, the newest
text wins), opening a result of the other sub-account moves the session there before the
contact shows in the normal table and pane, and the merged rows are read only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.services.workspace import Workspace
from app.core.phones import display_phone
from app.services.bus import EventBus, ScopeKey, SessionChanged
from app.services.ports.contacts import ContactFilters, ContactsPort, NotActive
from app.settings.profiles import SubAccountRef
from app.storage import Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.common.owner_chip import OwnerColourRole, OwnerNameRole, owner_colour
from app.ui.contacts.agency_search import HINT, ContactIdRole, OwnerIdRole
from app.ui.contacts.tab import ContactsTab
from tests.support.areas import build_area
from tests.ui.contacts.conftest import DEPLOYMENT

pytestmark = pytest.mark.timeout(60)

NAMES = {"sub_a": "Alpha Roofing", "sub_b": "Bravo Dental"}


class AgencyWorkspace:
    """The part of ``Workspace`` the Contacts port uses, over a real cache: an agency key
    reaching two sub-accounts, one of them open."""

    def __init__(self, db: Database, bus: EventBus, parts: dict[str, Partition]) -> None:
        self.db, self.bus, self.parts = db, bus, parts
        self.profile = SimpleNamespace(id="p1", name="Agency", cache_key=DEPLOYMENT)
        self.subs = [SubAccountRef(id=sub, name=NAMES[sub]) for sub in parts]
        self.all_sub_accounts = True
        self.agency_members: Callable[[], list[SubAccountRef]] | None = None
        self.before_owner_switch: Callable[[], Any] | None = None
        self.switches: list[str] = []
        self.open_sub = "sub_a"
        self.generation = 1

    def can_merge(self) -> bool:
        return len(self.subs) > 1

    def merged_members(self) -> list[SubAccountRef]:
        return list(self.subs)

    @property
    def active(self) -> Any:
        return SimpleNamespace(
            profile=self.profile,
            scope=ScopeKey(DEPLOYMENT, self.open_sub),
            partition=self.parts[self.open_sub],
            generation=self.generation,
        )

    # The real rule of opening a record's sub-account, over this fake's switch.
    open_owner = Workspace.open_owner

    async def switch_sub_account(self, sub_account_id: str) -> Any:
        """As ``Workspace.switch_sub_account``: the session moves, the event follows."""
        await asyncio.sleep(0)
        self.switches.append(sub_account_id)
        self.open_sub = sub_account_id
        self.generation += 1
        self.bus.publish(
            SessionChanged("p1", ScopeKey(DEPLOYMENT, sub_account_id), self.generation)
        )
        return self.active

    def contact_service(self) -> Any:
        raise NotActive("no server in this test")


class Env:
    def __init__(self, db: Database, part_a: Partition, part_b: Partition) -> None:
        self.parts = {"sub_a": part_a, "sub_b": part_b}
        self.bus = EventBus()
        self.bridge = BusBridge(self.bus)
        self.tasks = TaskSet("agency-contacts-test")
        self.workspace = AgencyWorkspace(db, self.bus, self.parts)
        self.tab = build_area(ContactsTab, ContactsPort(self.workspace), self.bridge, self.tasks)
        self.tab.resize(1360, 800)
        self.tab.show()

    def results(self) -> list[tuple[str, str]]:
        """(owner, contact id) of every merged result, in order."""
        model = self.tab.agency_model
        return [
            (model.index(r, 0).data(OwnerIdRole), model.index(r, 0).data(ContactIdRole))
            for r in range(model.rowCount())
        ]

    async def close(self) -> None:
        await self.tab.shutdown()
        await self.tasks.shutdown()
        self.bridge.detach()
        self.tab.close()
        self.tab.deleteLater()


@pytest.fixture
def env_factory(db: Database, part_a: Partition, part_b: Partition) -> Callable[..., Any]:
    @asynccontextmanager
    async def make() -> AsyncIterator[Env]:
        env = Env(db, part_a, part_b)
        try:
            await asyncio.sleep(0.05)
            yield env
        finally:
            await env.close()

    return make


async def until(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout} s")
        await asyncio.sleep(0.02)
    return value


def _matches(part: Partition, text: str) -> int:
    return part.contacts.count(text, ContactFilters())


def test_the_search_covers_both_sub_accounts_with_chips_and_counts(
    env_factory: Any, run: Any
) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            assert tab.all_mode
            # With no text the mode says what it does and the open sub-account's table stays.
            assert tab.agency_hint.isVisible() and tab.agency_hint.label.text() == HINT
            assert tab.stack.currentWidget() is tab.table
            assert tab.model.reader is not None and tab.model.reader.sub_account_id == "sub_a"

            tab.search_box.setText("Jane")
            await until(lambda: tab.agency_model.rowCount() > 0)
            assert tab.stack.currentWidget() is tab.agency_results
            rows = env.results()
            count_a = _matches(env.parts["sub_a"], "Jane")
            count_b = _matches(env.parts["sub_b"], "Jane")
            assert count_a > 0 and count_b > 0
            assert len(rows) == count_a + count_b  # both fit the first 25 of each
            # Every row is its owner's: its owner's cache has it, under the same name.
            model = tab.agency_model
            for r, (owner, contact_id) in enumerate(rows):
                doc = env.parts[owner].contacts.get(contact_id)
                assert doc is not None and contact_id.startswith(owner[-1] + "_")
                assert model.index(r, 1).data() == f"{doc['firstName']} {doc['lastName']}"
                assert model.index(r, 0).data(OwnerNameRole) == NAMES[owner]
                if doc.get("phone"):
                    assert model.index(r, 3).data() == display_phone(doc["phone"])
            assert {owner for owner, _c in rows} == {"sub_a", "sub_b"}
            names = [model.index(r, 1).data().casefold() for r in range(model.rowCount())]
            assert names == sorted(names)  # merged by name
            assert tab.agency_hint.label.text() == (
                f"{count_a} in Alpha Roofing, {count_b} in Bravo Dental"
            )
            # Read only: no row can be edited.
            assert not model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsEditable
            # The chip is painted in its owner's colour.
            image = tab.agency_results.viewport().grab().toImage()
            dark = tab.agency_results.palette().base().color().lightness() < 128
            for owner in ("sub_a", "sub_b"):
                r = next(i for i, (o, _c) in enumerate(rows) if o == owner)
                tone = owner_colour(int(model.index(r, 0).data(OwnerColourRole)), dark).rgb()
                y0 = tab.agency_results.rowViewportPosition(r)
                assert any(
                    image.pixel(x, y) == tone for x in range(170) for y in range(y0, y0 + 28)
                ), owner

            # Nothing matches anywhere: it says so.
            tab.search_box.setText("zzzz-nobody")
            await until(lambda: tab.agency_model.rowCount() == 0)
            await until(lambda: "No contact" in tab.agency_hint.label.text())
            # Clearing the text brings the open sub-account's table back.
            tab.search_box.setText("")
            assert tab.stack.currentWidget() is not tab.agency_results
            await until(lambda: tab.stack.currentWidget() is tab.table)
            assert tab.agency_hint.label.text() == HINT

    run(scenario())


def test_the_newest_text_wins(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            for text in ("J", "Ja", "Jan", "Wei"):
                tab.search_box.setText(text)
            expected = _matches(env.parts["sub_a"], "Wei") + _matches(env.parts["sub_b"], "Wei")
            await until(lambda: not tab.agency_search.busy)
            await asyncio.sleep(0.1)
            rows = tab.agency_model.rowCount()
            assert rows == expected > 0
            model = tab.agency_model
            assert all(model.index(r, 1).data().startswith("Wei") for r in range(rows))

    run(scenario())


def test_opening_a_result_of_the_other_sub_account_switches_first(
    env_factory: Any, run: Any
) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, workspace = env.tab, env.workspace
            asked: list[bool] = []
            answer = [False]

            async def confirm() -> bool:
                asked.append(True)
                return answer[0]

            workspace.before_owner_switch = confirm
            tab.search_box.setText("Jane")
            await until(lambda: tab.agency_model.rowCount() > 0)
            rows = env.results()
            row = next(i for i, (owner, _c) in enumerate(rows) if owner == "sub_b")
            contact_id = rows[row][1]
            # The user keeps unsaved work: nothing moves.
            assert tab.agency_results.open_row(row)
            await until(lambda: asked)
            await asyncio.sleep(0.05)
            assert workspace.switches == [] and tab.model.reader.sub_account_id == "sub_a"
            assert tab.stack.currentWidget() is tab.agency_results

            answer[0] = True
            tab.agency_results.setFocus()
            tab.agency_results.setCurrentIndex(tab.agency_model.index(row, 1))
            QTest.keyClick(tab.agency_results, Qt.Key.Key_Return)  # Enter opens it
            await until(lambda: tab.detail.contact_id == contact_id)
            assert workspace.switches == ["sub_b"]
            assert tab.model.reader is not None and tab.model.reader.sub_account_id == "sub_b"
            # The contact shows in the normal table (selected) and pane, where it is edited.
            assert tab.stack.currentWidget() is tab.table
            assert tab.search_box.text() == ""
            assert tab.selected_ids() == [contact_id]
            await asyncio.sleep(0.1)  # the session event finds the switch done
            assert tab.detail.contact_id == contact_id
            assert tab.selected_ids() == [contact_id]
            assert tab.all_mode and tab.agency_hint.label.text() == HINT

            # A result of the open sub-account opens without a switch.
            tab.search_box.setText("Jane")
            await until(lambda: tab.agency_model.rowCount() > 0)
            rows = env.results()
            row = next(i for i, (o, c) in enumerate(rows) if o == "sub_b" and c != contact_id)
            other_id = rows[row][1]
            asked.clear()
            assert tab.agency_results.open_row(row)
            await until(lambda: tab.detail.contact_id == other_id)
            assert workspace.switches == ["sub_b"] and not asked
            assert tab.selected_ids() == [other_id]

    run(scenario())


def test_leaving_all_mode_searches_the_open_sub_account_only(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            tab.search_box.setText("Jane")
            await until(lambda: tab.agency_model.rowCount() > 0)
            env.workspace.all_sub_accounts = False
            tab.set_all_mode(False)
            assert not tab.all_mode and not tab.agency_hint.isVisible()
            assert tab.stack.currentWidget() is tab.table
            await until(lambda: tab.model.total_count == _matches(env.parts["sub_a"], "Jane"))
            tab.search_box.setText("Jan")
            await asyncio.sleep(0.1)
            assert tab.agency_model.rowCount() == 0  # no merged search outside All mode
            env.workspace.all_sub_accounts = True
            tab.set_all_mode(True)
            await until(lambda: tab.stack.currentWidget() is tab.agency_results)
            await until(lambda: tab.agency_model.rowCount() > 0)

    run(scenario())


def test_chips_follow_the_scheme_and_keep_the_inbox_hues(env_factory: Any, run: Any) -> None:
    from app.ui.common import owner_chip
    from app.ui.inbox import delegate as inbox_delegate  # a test may read across tabs
    from app.ui.theme import DARK, LIGHT, build_palette

    # One colour per sub-account across tabs: the merged Inbox draws with the same chip.
    assert inbox_delegate.owner_colour is owner_chip.owner_colour

    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            tab.search_box.setText("Jane")
            await until(lambda: tab.agency_model.rowCount() > 0)
            view, model = tab.agency_results, tab.agency_model
            colour = int(model.index(0, 0).data(OwnerColourRole))
            y0 = view.rowViewportPosition(0)
            for scheme, dark in ((DARK, True), (LIGHT, False)):
                view.setPalette(build_palette(scheme))
                image = view.viewport().grab().toImage()
                tone = owner_colour(colour, dark).rgb()
                other = owner_colour(colour, not dark).rgb()
                pixels = {image.pixel(x, y) for x in range(170) for y in range(y0, y0 + 28)}
                assert tone in pixels and other not in pixels, scheme

    run(scenario())


def test_a_costly_search_makes_the_next_keystrokes_wait(
    part_a: Partition, part_b: Partition, run: Any
) -> None:
    from app.services.agency_inbox import Member, chip_colour
    from app.services.agency_reads import AgencyContactsReader
    from app.services.ports.contacts import ContactsReader
    from app.ui.contacts.agency_search import AgencyContactSearch
    from tests.ui.contacts.conftest import ManualExecutor

    members = [
        (Member(ScopeKey(DEPLOYMENT, sub), NAMES[sub], chip_colour(sub)), ContactsReader(part))
        for sub, part in (("sub_a", part_a), ("sub_b", part_b))
    ]
    reader = AgencyContactsReader(members)

    async def scenario() -> None:
        executor = ManualExecutor()
        search = AgencyContactSearch(executor=executor)
        answers: list[str] = []
        search.resultsReady.connect(lambda text, _results: answers.append(text))
        search.search(reader, "J")  # nothing costly yet: at once
        assert len(executor.jobs) == 1
        search.pace.record(search.pace.cheap_ms + 400)  # as after a slow read
        for text in ("Ja", "Jan", "Jane"):
            search.search(reader, text)
        assert len(executor.jobs) == 1 and search.busy  # waiting for a pause in the typing
        await until(lambda: len(executor.jobs) == 2, timeout=2)
        executor.run(0)  # the first read ends late: its answer is dropped
        executor.run(1)
        await asyncio.sleep(0.05)
        assert answers == ["Jane"]
        search.close()

    run(scenario())
