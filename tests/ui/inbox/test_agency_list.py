"""The Inbox tab in All sub-accounts mode over a real cache of two sub-accounts (a fake API):
the merged list and its chips, views and search across members, opening a row of the
other sub-account (the session follows before the thread opens), actions restricted to
the owning sub-account, Next unread across members, and leaving All mode."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from app.services.agency_inbox import merged_key
from app.services.bus import ConversationsChanged, EventBus
from app.services.ports.inbox import InboxPort
from app.storage import ConversationFilters, Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.inbox.delegate import ConversationDelegate, owner_colour
from app.ui.inbox.list_model import (
    ConversationIdRole,
    OwnerNameRole,
    OwnerRole,
    PaintRole,
    RowKeyRole,
    UnreadCountRole,
)
from app.ui.inbox.tab import InboxTab
from tests.support.areas import build_area
from tests.ui.inbox.conftest import (
    SCOPE_A,
    SCOPE_B,
    FakeWorkspace,
    StandInContactPanel,
    StandInThreadPane,
)

pytestmark = pytest.mark.timeout(60)


class Env:
    def __init__(self, db: Database, part_a: Partition, part_b: Partition) -> None:
        for part in (part_a, part_b):
            part.state.set_state("conversations_full_ms", 1)
        self.part_a, self.part_b = part_a, part_b
        self.bus = EventBus()
        self.bridge = BusBridge(self.bus)
        self.tasks = TaskSet("agency-test")
        self.workspace = FakeWorkspace(db, self.bus, part_a, SCOPE_A)
        self.workspace.make_agency(
            {"sub_a": ("Alpha Roofing", part_a), "sub_b": ("Bravo Dental", part_b)}
        )
        self.workspace.all_sub_accounts = True
        self.tab = build_area(
            InboxTab,
            InboxPort(self.workspace),
            self.bridge,
            self.tasks,
            thread_factory=StandInThreadPane,
            panel_factory=StandInContactPanel,
        )
        self.tab.resize(1360, 800)
        self.tab.show()

    @property
    def thread(self) -> StandInThreadPane:
        return self.tab.thread_pane  # type: ignore[return-value]

    def keys(self) -> list[str]:
        return self.tab.model.loaded_ids()

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


def _open_keys(*parts: tuple[str, Partition]) -> list[str]:
    """Every open conversation of these sub-accounts, in the merged order."""
    rows = []
    for rank, (sub, part) in enumerate(parts):
        for activity, cid in part.conversations.list_keys(
            "all", ConversationFilters(status="open"), limit=999
        ):
            rows.append((activity, cid, -rank, merged_key(sub, cid)))
    rows.sort(reverse=True)
    return [r[3] for r in rows]


def _row_of(env: Env, sub: str, cid: str) -> int:
    model = env.tab.model
    key = merged_key(sub, cid)
    while model.row_of(key) < 0 and model.canFetchMore(model.index(-1, 0).parent()):
        model.fetchMore(model.index(-1, 0).parent())
    return model.row_of(key)


def test_the_merged_list_shows_both_sub_accounts_with_chips(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, model = env.tab, env.tab.model
            assert tab.all_mode
            expected = _open_keys(("sub_a", env.part_a), ("sub_b", env.part_b))
            while model.canFetchMore(model.index(-1, 0).parent()):
                model.fetchMore(model.index(-1, 0).parent())
            assert env.keys() == expected
            owners = {model.index(r, 0).data(OwnerRole) for r in range(model.rowCount())}
            assert owners == {"sub_a", "sub_b"}
            names = {model.index(r, 0).data(OwnerNameRole) for r in range(model.rowCount())}
            assert names == {"Alpha Roofing", "Bravo Dental"}
            view = model.index(0, 0).data(PaintRole)
            assert view.owner_name in names and view.owner_colour is not None
            assert tab.count_label.text() == f"{len(expected)} conversations"
            # The chip is painted: the owner's colour appears on the row.
            image = QImage(420, 90, QImage.Format.Format_ARGB32)
            image.fill(tab.list.palette().base().color())
            painter = QPainter(image)
            opt = QStyleOptionViewItem()
            opt.initFrom(tab.list)
            opt.rect = image.rect()
            ConversationDelegate().paint(painter, opt, model.index(0, 0))
            painter.end()
            dark = tab.list.palette().base().color().lightness() < 128
            tone = owner_colour(view.owner_colour, dark).rgb()
            assert any(
                image.pixel(x, y) == tone
                for x in range(image.width())
                for y in range(image.height())
            )

    run(scenario())


def test_views_and_search_cover_every_member(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, model = env.tab, env.tab.model
            tab.set_view("unread")
            unread_a = env.part_a.conversations.count_conversations(
                "unread", ConversationFilters(status="open")
            )
            unread_b = env.part_b.conversations.count_conversations(
                "unread", ConversationFilters(status="open")
            )
            assert model.total_count == unread_a + unread_b > 0
            # The view buttons count every member (on a worker, after the change settles).
            await until(
                lambda: tab.view_buttons["unread"].text() == f"Unread {unread_a + unread_b}"
            )
            assert tab.view_counts()["unread"] == f"Unread {unread_a + unread_b}"
            assert {model.index(r, 0).data(OwnerRole) for r in range(model.rowCount())} == {
                "sub_a",
                "sub_b",
            }
            assert all(
                int(model.index(r, 0).data(UnreadCountRole)) > 0 for r in range(model.rowCount())
            )
            tab.set_view("all")
            tab.search("Ana")
            await until(lambda: tab.searches_applied and tab.searches_applied[-1] == "Ana")
            rows = range(model.rowCount())
            assert model.rowCount() > 0
            assert {model.index(r, 0).data(OwnerRole) for r in rows} == {"sub_a", "sub_b"}
            assert all(str(model.index(r, 0).data()).startswith("Ana") for r in rows)

    run(scenario())


def test_opening_a_row_of_the_other_sub_account_moves_the_session_first(
    env_factory: Any, run: Any
) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            row = _row_of(env, "sub_b", "b_conv_000")
            assert row >= 0
            tab._select_row(row)
            await until(lambda: tab.open_conversation_id == "b_conv_000")
            assert env.workspace.switches == ["sub_b"]
            assert env.workspace.active.scope == SCOPE_B
            assert env.thread.shown[-1] == "b_conv_000"
            assert tab.service is not None and tab.service.scope == SCOPE_B
            # The merged list stayed: rows of both sub-accounts are still listed.
            owners = {tab.model.index(r, 0).data(OwnerRole) for r in range(tab.model.rowCount())}
            assert owners == {"sub_a", "sub_b"}
            assert tab.all_mode
            # A row of the same id in the other partition is another row (keys differ).
            assert tab.model.index(tab.model.row_of(merged_key("sub_b", "b_conv_000")), 0).data(
                RowKeyRole
            ) == merged_key("sub_b", "b_conv_000")
            # Actions act on the session's sub-account only: a selection holding a row of
            # sub_a gives nothing to act on.
            row_a = _row_of(env, "sub_a", "a_conv_000")
            selection = QItemSelection()
            for r in (row_a, tab.model.row_of(merged_key("sub_b", "b_conv_000"))):
                selection.select(tab.model.index(r, 0), tab.model.index(r, 0))
            tab.list.selectionModel().select(
                selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            assert tab.selected_ids() == []
            assert not tab.close_button.isEnabled()
            # Only the session's own rows: those are acted on, by bare id.
            only_b = QItemSelection()
            r_b = tab.model.row_of(merged_key("sub_b", "b_conv_000"))
            only_b.select(tab.model.index(r_b, 0), tab.model.index(r_b, 0))
            tab.list.selectionModel().select(
                only_b, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            assert tab.selected_ids() == ["b_conv_000"]
            report = await tab.run_action("close", ["b_conv_000"])
            assert report is not None and not report.failed
            assert env.workspace.client.calls[-1] == ("b_conv_000", {"status": "closed"})
            assert env.part_b.conversations.get_conversation("b_conv_000")["status"] == "closed"
            assert env.part_a.conversations.get_conversation("a_conv_000")["status"] == "open"

    run(scenario())


def test_keys_on_a_selection_of_another_sub_account_act_in_that_one(
    env_factory: Any, run: Any
) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            assert env.workspace.active.scope == SCOPE_A
            row = _row_of(env, "sub_b", "b_conv_004")
            only_b = QItemSelection()
            only_b.select(tab.model.index(row, 0), tab.model.index(row, 0))
            tab.list.selectionModel().select(
                only_b, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            # Not acted on in sub_a (its ids are sub_b's), yet offered: E works as usual.
            assert tab.selected_ids() == []
            assert tab.close_button.isEnabled() and not tab.assign_button.isEnabled()
            client_a = env.workspace.client
            tab._close_clicked()
            await until(lambda: env.workspace.active.scope == SCOPE_B)
            await until(lambda: env.workspace.client.calls)
            assert env.workspace.client.calls == [("b_conv_004", {"status": "closed"})]
            assert client_a.calls == []
            await until(
                lambda: (
                    env.part_b.conversations.get_conversation("b_conv_004")["status"] == "closed"
                )
            )
            # Assigning waits until one of them is open (team members are per sub-account).
            row_a = _row_of(env, "sub_a", "a_conv_000")
            only_a = QItemSelection()
            only_a.select(tab.model.index(row_a, 0), tab.model.index(row_a, 0))
            tab.list.selectionModel().select(
                only_a, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            tab._start_action("assign", user_id="usr_ana_ortiz")
            await asyncio.sleep(0.05)
            assert env.workspace.active.scope == SCOPE_B and env.workspace.switches == ["sub_b"]
            assert not tab.banner.isHidden()

    run(scenario())


def test_unsaved_work_elsewhere_can_keep_the_open_sub_account(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            asked: list[bool] = []

            async def stay() -> bool:
                asked.append(True)
                return False  # the user keeps editing where they are

            env.workspace.before_owner_switch = stay
            tab._select_row(_row_of(env, "sub_b", "b_conv_000"))
            await until(lambda: asked)
            await asyncio.sleep(0.05)
            assert env.workspace.switches == [] and env.workspace.active.scope == SCOPE_A
            assert tab.open_conversation_id is None and tab.banner.isHidden()

            async def leave() -> bool:
                return True

            env.workspace.before_owner_switch = leave
            tab._select_row(_row_of(env, "sub_b", "b_conv_000"))
            await until(lambda: tab.open_conversation_id == "b_conv_000")
            assert env.workspace.switches == ["sub_b"]

    run(scenario())


def test_a_conversation_of_another_sub_account_opens_in_either_mode(
    env_factory: Any, run: Any
) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, model = env.tab, env.tab.model
            # All mode (a notification of sub_b, say): sub_b opens, the merged list stays.
            tab.show_conversation_in("sub_b", "b_conv_003")
            await until(lambda: tab.open_conversation_id == "b_conv_003")
            await asyncio.sleep(0.05)  # the session event arrives after: nothing more
            assert tab.open_conversation_id == "b_conv_003"
            assert env.workspace.active.scope == SCOPE_B and tab.all_mode
            current = tab.list.currentIndex()
            assert current.data(RowKeyRole) == merged_key("sub_b", "b_conv_003")
            owners = {model.index(r, 0).data(OwnerRole) for r in range(model.rowCount())}
            assert owners == {"sub_a", "sub_b"}
            # One sub-account at a time: sub_a opens and its list replaces sub_b's.
            env.workspace.all_sub_accounts = False
            tab.set_all_mode(False)
            tab.show_conversation_in("sub_a", "a_conv_004")
            await until(lambda: tab.open_conversation_id == "a_conv_004")
            await asyncio.sleep(0.05)
            assert tab.open_conversation_id == "a_conv_004"
            assert env.workspace.active.scope == SCOPE_A
            assert env.keys() and all(k.startswith("a_") for k in list(env.keys()))
            assert tab.list.currentIndex().data(ConversationIdRole) == "a_conv_004"
            assert env.thread.shown[-1] == "a_conv_004"

    run(scenario())


def test_next_unread_walks_across_sub_accounts(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, model = env.tab, env.tab.model
            owners: list[str] = []
            seen: set[str] = set()
            for _ in range(12):
                assert tab.next_unread()
                await until(lambda: not tab._pending_owner)
                row = tab.list.currentIndex().row()
                key = str(model.index(row, 0).data(RowKeyRole))
                if key in seen:
                    break
                seen.add(key)
                owners.append(str(model.index(row, 0).data(OwnerRole)))
                assert tab.open_conversation_id == model.index(row, 0).data(ConversationIdRole)
                assert env.workspace.active.scope.sub_account_id == owners[-1]
            assert set(owners) == {"sub_a", "sub_b"}

    run(scenario())


def test_changes_of_either_member_update_the_merged_list_in_place(
    env_factory: Any, run: Any
) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            model = env.tab.model
            env.part_b.conversations.upsert_conversations(
                [
                    {
                        "id": "b_conv_011",
                        "lastMessageAt": "2026-06-15T12:30:00.000Z",
                        "status": "open",
                    }
                ]
            )
            env.bus.publish(ConversationsChanged(SCOPE_B, ids=frozenset({"b_conv_011"})))
            await until(lambda: env.keys() and env.keys()[0] == merged_key("sub_b", "b_conv_011"))
            assert model.index(0, 0).data(OwnerRole) == "sub_b"

    run(scenario())


def test_leaving_all_mode_shows_the_session_sub_account_only(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            env.workspace.all_sub_accounts = False
            tab.set_all_mode(False)
            assert not tab.all_mode
            assert env.keys() and all(k.startswith("a_") for k in list(env.keys()))
            assert tab.model.index(0, 0).data(OwnerRole) is None

    run(scenario())


def test_chip_colours_read_on_either_scheme_and_differ_between_sub_accounts() -> None:
    from app.services.agency_inbox import CHIP_COLOURS
    from app.ui.inbox.delegate import owner_initial

    light = [owner_colour(i, dark=False) for i in range(CHIP_COLOURS)]
    dark = [owner_colour(i, dark=True) for i in range(CHIP_COLOURS)]
    # Text in the chip's colour on a light base is dark enough, on a dark base light enough.
    assert all(c.lightness() < 110 for c in light)
    assert all(c.lightness() > 150 for c in dark)
    assert len({c.hue() for c in light}) == CHIP_COLOURS  # one hue per colour
    assert [c.hue() for c in light] == [c.hue() for c in dark]  # the same sub-account's hue
    assert owner_initial("  summit Roofing") == "S" and owner_initial("") == "?"
