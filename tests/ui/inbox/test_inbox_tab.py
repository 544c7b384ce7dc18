"""The Inbox tab over a real cache and a fake API: views, filters, search, keyboard, actions,
bulk failures, notifications, partition switches and saved state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from app.core.errors import ServerError
from app.services.bus import ConversationsChanged, EventBus, SessionChanged, SyncStatus
from app.services.ports.inbox import InboxPort
from app.storage import ConversationView, Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from tests.support.areas import build_area
from app.ui.inbox.list_model import ConversationIdRole, StatusRole, UnreadCountRole
from app.ui.inbox.notifications import InboundNotice
from app.ui.inbox.dialogs import NewConversationDialog, snooze_choices
from app.ui.inbox.tab import InboxTab
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
            part.state.set_state("conversations_full_ms", 1)  # synced before
        self.db, self.part_a, self.part_b = db, part_a, part_b
        self.bus = EventBus()
        self.bridge = BusBridge(self.bus)
        self.tasks = TaskSet("inbox-test")
        self.workspace = FakeWorkspace(db, self.bus, part_a, SCOPE_A)
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
        self.notices: list[InboundNotice] = []
        self.tab.notifier.notified.connect(self.notices.append)

    @property
    def thread(self) -> StandInThreadPane:
        return self.tab.thread_pane  # type: ignore[return-value]

    @property
    def client(self) -> Any:
        return self.workspace.client

    def ids(self) -> list[str]:
        return self.tab.model.loaded_ids()

    def change(self, *docs: dict[str, Any], part: Partition | None = None) -> None:
        """What a sync does: store, then publish."""
        target = part or self.part_a
        target.conversations.upsert_conversations(list(docs))
        scope = SCOPE_A if target is self.part_a else SCOPE_B
        self.bus.publish(ConversationsChanged(scope, ids=frozenset(d["id"] for d in docs)))

    def select(self, *rows: int) -> None:
        model = self.tab.model
        selection = QItemSelection()
        for row in rows:
            selection.select(model.index(row, 0), model.index(row, 0))
        sm = self.tab.list.selectionModel()
        sm.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        sm.setCurrentIndex(model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)

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


def storage_ids(part: Partition, view: Any = "all", **filters: Any) -> list[str]:
    from app.storage import ConversationFilters

    docs = part.conversations.list_conversations(view, ConversationFilters(**filters), limit=10_000)
    return [d["id"] for d in docs]


def test_views_filters_and_counts(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            # Open conversations by default, newest first, with a count.
            assert env.ids()[:10] == storage_ids(env.part_a, status="open")[:10]
            assert tab.count_label.text() == "20 conversations"
            tab.view_buttons["unread"].click()
            assert env.ids() == storage_ids(env.part_a, "unread", status="open")
            tab.view_buttons["unassigned"].click()
            assert env.ids() == storage_ids(env.part_a, "unassigned", status="open")
            tab.status_filter.setCurrentIndex(tab.status_filter.findData(None))
            tab.channel_filter.setCurrentIndex(tab.channel_filter.findData("sms"))
            assert env.ids() == storage_ids(env.part_a, "unassigned", channel="sms")
            assert tab.count_label.text() == f"{len(env.ids())} conversations"
            # Mine needs "who am I": asked once, from the assignees in the cache.
            tab.view_buttons["mine"].click()
            assert tab.view_buttons["unassigned"].isChecked()
            assert "Choose who you are" in tab.banner.text
            tab._fill_me_menu()
            labels = [a.text() for a in tab.me_menu.actions()]
            assert (
                "Ana Ortiz  (usr_ana_ortiz)" in labels and "Ben Carter  (usr_ben_carter)" in labels
            )
            tab.me_menu.close()
            next(a for a in tab.me_menu.actions() if "usr_ben_carter" in a.text()).trigger()
            assert tab.my_user_id() == "usr_ben_carter" and tab.me_button.text() == "Ben Carter"
            tab.view_buttons["mine"].click()
            mine = storage_ids(env.part_a, ConversationView.mine("usr_ben_carter"), channel="sms")
            assert env.ids() == mine
            tab.set_filters(channel=None, assigned_to="usr_ana_ortiz")
            assert env.ids() == []  # mine and someone else's: nothing
            assert tab.empty.title == "No matching conversations"
            tab.empty.button.click()  # clear search and filters
            assert tab.view_buttons["all"].isChecked() and len(env.ids()) == 40
            assert tab.model.total_count == 40
            counts = tab.view_counts()
            assert counts["all"] == "All 40" and counts["unread"] == "Unread 16"
            assert (
                counts["mine"]
                == f"Mine {len(storage_ids(env.part_a, ConversationView.mine('usr_ben_carter')))}"
            )

    run(scenario())


def test_search_cancels_the_stale_query(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            reads: list[str | None] = []
            real = tab._read_page

            def slow_read(partition: Partition, query: Any, limit: int) -> Any:
                reads.append(query.text)
                if query.text == "Ben":
                    time.sleep(0.4)  # a slow query that a newer keystroke overtakes
                return real(partition, query, limit)

            tab._read_page = slow_read
            counts = tab.view_counts()
            assert counts["all"].startswith("All ") and counts["unread"].startswith("Unread ")
            # Keystrokes within the debounce: only the last text is read at all.
            for text in ("F", "Fa", "Fay"):
                tab.search(text)
            await until(lambda: tab.searches_applied)
            assert reads == ["Fay"] and tab.searches_applied == ["Fay"]
            assert {tab.model.data(tab.model.index(r, 0)) for r in range(tab.model.rowCount())} == {
                "Fay Wong"
            }
            # A query already running is overtaken: its answer is never applied.
            tab.search("Ben")
            await until(lambda: reads[-1] == "Ben")
            assert tab.tasks.running("inbox-search")
            tab.search("Ana")
            await until(lambda: tab.searches_applied[-1] == "Ana")
            await asyncio.sleep(0.5)  # the slow "Ben" read has finished meanwhile
            assert tab.searches_applied == ["Fay", "Ana"]
            names = {tab.model.data(tab.model.index(r, 0)) for r in range(tab.model.rowCount())}
            assert names == {"Ana Lima"} and tab.model.query.text == "Ana"
            assert tab.count_label.text().endswith("matching conversations")
            assert tab.view_counts() == counts  # the views' counts stay while searching
            # Message text and phone digits are searched too.
            tab.set_filters(status=None)
            tab.search("text of five")
            await until(lambda: tab.searches_applied[-1] == "text of five")
            assert env.ids() == ["a_conv_005"]
            tab.search("5550012")
            await until(lambda: tab.searches_applied[-1] == "5550012")
            assert env.ids() == ["a_conv_012"]
            # And the contact's email.
            tab.search("gus@example.com")
            await until(lambda: tab.searches_applied[-1] == "gus@example.com")
            gus = [d["id"] for d in env.part_a.conversations.list_conversations(limit=99)
                   if d["contact"]["email"] == "gus@example.com"]  # fmt: skip
            assert gus and sorted(env.ids()) == sorted(gus)

    run(scenario())


def test_keyboard_moves_opens_and_acts(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, view = env.tab, env.tab.list
            view.setFocus()
            env.select(0)
            QTest.keyClick(view, Qt.Key.Key_Down)
            assert view.currentIndex().row() == 1
            assert env.thread.shown == []  # moving does not open
            QTest.keyClick(view, Qt.Key.Key_Return)
            second = env.ids()[1]
            assert env.thread.shown == [second] and tab.open_conversation_id == second
            assert env.workspace.session.opened == [second]
            QTest.keyClick(view, Qt.Key.Key_R)
            assert env.thread.composer_focused == 1
            # U marks unread (locally: nothing is sent).
            first = env.ids()[0]
            env.select(0)
            QTest.keyClick(view, Qt.Key.Key_U)
            assert env.client.calls == []
            assert tab.model.index(0, 0).data(UnreadCountRole) == 1
            # N opens the next unread conversation below the current one.
            env.select(1)
            QTest.keyClick(view, Qt.Key.Key_N)
            expected = next(
                cid
                for row, cid in enumerate(env.ids())
                if row > 1 and tab.model.index(row, 0).data(UnreadCountRole)
            )
            assert tab.open_conversation_id == expected
            # E closes: the open conversation leaves the Open view, the next one opens.
            row = tab.model.row_of(expected)
            QTest.keyClick(view, Qt.Key.Key_E)
            await until(lambda: tab.model.row_of(expected) < 0)
            assert env.client.server[expected]["status"] == "closed"
            assert tab.open_conversation_id == env.ids()[row]
            assert view.currentIndex().row() == row
            # Opening the marked conversation again clears its local mark.
            env.select(0)
            QTest.keyClick(view, Qt.Key.Key_Return)
            assert tab.open_conversation_id == first
            await until(lambda: tab.model.index(0, 0).data(UnreadCountRole) == 0)
            # S and A open their menus at the row; / goes to the search box.
            QTest.keyClick(view, Qt.Key.Key_S)
            assert tab.snooze_menu.isVisible()
            tab.snooze_menu.close()
            QTest.keyClick(view, Qt.Key.Key_A)
            assert tab.assign_menu.isVisible()
            tab.assign_menu.close()
            QTest.keyClick(view, Qt.Key.Key_Slash)
            assert tab.search_box.hasFocus()

    run(scenario())


def test_bulk_close_reports_the_failure(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            env.select(0, 1, 2)
            ids = env.ids()[:3]
            assert tab.selection_label.text() == "3 selected"
            env.client.fail[ids[1]] = ServerError("boom", status=503)
            reports: list[Any] = []
            tab.actionFinished.connect(lambda _a, r: reports.append(r))
            tab.close_button.click()
            await until(lambda: reports)
            assert env.client.server[ids[0]]["status"] == "closed"
            assert env.client.server[ids[2]]["status"] == "closed"
            assert env.client.server[ids[1]]["status"] == "open"
            assert tab.banner.severity == "danger" and tab.banner.isVisible()
            assert tab.banner.text.startswith("Close: 2 of 3 conversations done, 1 failed.")
            assert "Seedly had a problem on its side (HTTP 503)" in tab.banner.text
            assert env.ids()[0] == ids[1]  # the one that failed is still listed (open)
            # Bulk assign to a member; the list and the cache follow at once.
            del env.client.fail[ids[1]]
            env.select(0, 1)
            pair = env.ids()[:2]
            await tab.run_action("assign", pair, user_id="usr_dee_new")
            assert all(env.client.server[c]["assignedTo"] == "usr_dee_new" for c in pair)
            assert tab.banner.text == "2 conversations assigned."
            # A single failing action shows its own sentence.
            env.client.fail[pair[0]] = ServerError("boom", status=500)
            await tab.run_action("unassign", [pair[0]])
            assert tab.banner.text.startswith("Seedly had a problem")

    run(scenario())


def test_snooze_from_the_menu_keeps_the_time_and_hides_the_row(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            env.select(0)
            target = env.ids()[0]
            tab._fill_snooze_menu()
            action = tab.snooze_menu.actions()[0]
            assert action.text().startswith("Later today")
            action.trigger()
            await until(lambda: tab.model.row_of(target) < 0)
            assert env.client.server[target]["status"] == "snoozed"
            assert tab.service is not None and tab.service.snoozed_until(target) is not None
            tab.set_filters(status="snoozed")
            assert tab.model.index(tab.model.row_of(target), 0).data(StatusRole) == "snoozed"

    run(scenario())


def test_notifications_one_per_new_inbound(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, notifier = env.tab, env.tab.notifier
            assert notifier.tray is None  # offscreen: no tray, notices still recorded
            # Two new inbound messages, one new outbound: two notifications.
            env.change(
                {"id": "a_conv_003", "lastMessageAt": "2026-06-15T12:00:05.000Z",
                 "lastMessageDirection": "inbound", "lastMessagePreview": "Is Tuesday OK?"},
                {"id": "a_conv_004", "lastMessageAt": "2026-06-15T12:00:06.000Z",
                 "lastMessageDirection": "inbound", "lastMessagePreview": "Thanks!"},
                {"id": "a_conv_006", "lastMessageAt": "2026-06-15T12:00:07.000Z",
                 "lastMessageDirection": "outbound", "lastMessagePreview": "Sent by us"},
            )  # fmt: skip
            assert [(n.conversation_id, n.preview) for n in env.notices] == [
                ("a_conv_004", "Thanks!"),
                ("a_conv_003", "Is Tuesday OK?"),
            ]
            assert env.notices[1].title == "Di Moss · Instagram"
            # The same state again (a full reconcile) is not news.
            env.change({"id": "a_conv_004", "lastMessageAt": "2026-06-15T12:00:06.000Z"})
            assert len(env.notices) == 2
            # The open conversation, while the user looks at it: silent.
            tab.show_conversation("a_conv_004")
            notifier.window_active = lambda: True
            env.change(
                {"id": "a_conv_004", "lastMessageAt": "2026-06-15T12:01:00.000Z",
                 "lastMessageDirection": "inbound", "lastMessagePreview": "One more thing"}
            )  # fmt: skip
            assert len(env.notices) == 2
            # ... but not when the window is in the background.
            notifier.window_active = lambda: False
            env.change(
                {"id": "a_conv_004", "lastMessageAt": "2026-06-15T12:02:00.000Z",
                 "lastMessageDirection": "inbound", "lastMessagePreview": "Hello?"}
            )  # fmt: skip
            assert env.notices[-1].preview == "Hello?" and len(env.notices) == 3
            # A muted channel is silent (the preference is saved as a list).
            menu = notifier.settings_menu()
            sms = next(a for a in menu.actions() if a.text() == "Notify for SMS")
            assert sms.isChecked()
            sms.trigger()
            assert env.workspace.profiles.data.preferences.muted_channels == ["sms"]
            env.change(
                {"id": "a_conv_000", "lastMessageAt": "2026-06-15T12:03:00.000Z",
                 "lastMessageDirection": "inbound", "lastMessagePreview": "muted"}
            )  # fmt: skip
            assert len(env.notices) == 3
            # A burst: at most three notifications, the rest summed up.
            burst = [
                {"id": f"a_conv_0{n}", "lastMessageAt": f"2026-06-15T12:10:{n:02d}.000Z",
                 "lastMessageDirection": "inbound", "lastMessagePreview": f"burst {n}"}
                for n in (15, 16, 17, 18, 19)
            ]  # fmt: skip
            env.change(*burst)
            assert len(env.notices) == 6 and env.notices[-1].count == 3
            assert env.notices[-1].title == "3 new messages"
            # Clicking a notification opens its thread.
            notifier._message_clicked()
            assert tab.open_conversation_id == env.notices[-1].conversation_id
            # The unread badge follows the cache.
            await until(lambda: notifier.unread == env.part_a.conversations.unread_total())
            assert "unread" in notifier.tooltip()
            menu.deleteLater()

    run(scenario())


def test_no_notifications_for_a_first_sync(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            env.part_b.state.delete_state("conversations_full_ms")
            env.workspace.switch_to(env.part_b, SCOPE_B)
            env.bus.publish(SessionChanged("p1", SCOPE_B, 2))
            env.change(
                {"id": "b_conv_001", "lastMessageAt": "2026-06-15T12:30:00.000Z",
                 "lastMessageDirection": "inbound"}, part=env.part_b
            )  # fmt: skip
            assert env.notices == []
            env.part_b.state.set_state("conversations_full_ms", 2)
            env.bus.publish(SyncStatus(SCOPE_B, "idle"))  # the first sync settled
            env.change(
                {"id": "b_conv_002", "lastMessageAt": "2026-06-15T12:31:00.000Z",
                 "lastMessageDirection": "inbound"}, part=env.part_b
            )  # fmt: skip
            assert [n.conversation_id for n in env.notices] == ["b_conv_002"]

    run(scenario())


def test_a_partition_switch_shows_only_the_new_sub_account(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            tab.show_conversation("a_conv_001")
            tab.set_my_user_id("usr_ana_ortiz")
            tab.set_filters(assigned_to="usr_ana_ortiz")
            env.workspace.switch_to(env.part_b, SCOPE_B)
            env.bus.publish(SessionChanged("p1", SCOPE_B, 2))
            assert all(cid.startswith("b_") for cid in env.ids()) and env.ids()
            assert tab.open_conversation_id is None and env.thread.shown[-1] is None
            assert tab.assignee_filter.currentData() is None  # a member of the old one
            assert tab.my_user_id() is None  # who I am is per sub-account
            # A late event of the old sub-account changes nothing.
            env.change({"id": "a_conv_002", "status": "open"})
            tab.model.flush_changes()
            assert all(cid.startswith("b_") for cid in env.ids())

    run(scenario())


def test_show_conversation_clears_what_hides_it(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            tab.search("Ana")
            await until(lambda: tab.searches_applied)
            closed = "a_conv_038"  # closed, far down: hidden by the search and the Open view
            assert tab.show_conversation(closed) is True
            assert tab.open_conversation_id == closed
            assert tab.list.currentIndex().data(ConversationIdRole) == closed
            assert tab.search_box.text() == "" and tab.status_filter.currentData() is None
            assert tab.show_conversation("nope") is False

    run(scenario())


def test_in_place_updates_keep_the_rows_in_view(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, view = env.tab, env.tab.list
            tab.set_filters(status=None)
            while tab.model.canFetchMore(view.rootIndex()):
                tab.model.fetchMore(view.rootIndex())
            await asyncio.sleep(0.05)
            env.select(20)
            view.scrollTo(tab.model.index(15, 0), view.ScrollHint.PositionAtTop)
            await asyncio.sleep(0.05)
            top = view.indexAt(QPoint(4, 1)).data(ConversationIdRole)
            selected = env.ids()[20]
            # A conversation far below gets a new message: it moves to the top of the list.
            env.change({"id": "a_conv_035", "lastMessageAt": "2026-06-15T12:20:00.000Z"})
            await until(lambda: env.ids()[0] == "a_conv_035")
            await asyncio.sleep(0.05)
            assert view.indexAt(QPoint(4, 1)).data(ConversationIdRole) == top
            assert view.currentIndex().data(ConversationIdRole) == selected
            assert [i.data(ConversationIdRole) for i in view.selectedIndexes()] == [selected]

    run(scenario())


def test_state_is_saved_and_restored(env_factory: Any, run: Any, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)

    async def scenario() -> None:
        async with env_factory() as env:
            env.tab.set_view("unread")
            env.tab.set_filters(status="closed", channel="email")
            env.tab.splitter.setSizes([420, 600, 300])
            env.tab.save_state(settings)
            sizes = env.tab.splitter.sizes()
        async with env_factory() as env:
            env.tab.restore_state(settings)
            assert env.tab.view_buttons["unread"].isChecked()
            assert env.tab.status_filter.currentData() == "closed"
            assert env.tab.channel_filter.currentData() == "email"
            assert env.tab.splitter.sizes() == sizes
            q = env.tab.model.query
            assert (q.view.kind, q.filters.status, q.filters.channel) == (
                "unread",
                "closed",
                "email",
            )

    run(scenario())


def test_new_conversation_opens_the_existing_open_one(env_factory: Any, run: Any) -> None:
    from tests.unit.storage.docs import contact

    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            env.part_a.contacts.upsert_many(
                [contact("contact_a_conv_000", "Ana", "Lima"), contact("k_new", "Nia", "Vale")]
            )
            # The selected conversation's contact is proposed.
            env.select(0)
            dialog = tab.new_conversation()
            assert isinstance(dialog, NewConversationDialog)
            await asyncio.sleep(0.05)
            assert dialog.contact_id() == "contact_a_conv_000"
            assert dialog.chosen_channel() == "sms" and not dialog.subject.isEnabled()
            dialog.accept()
            await until(lambda: tab.open_conversation_id == "a_conv_000")
            assert env.thread.composer_focused == 1
            # A contact without an open conversation on the channel gets a new one.
            dialog = tab.new_conversation(contact_id="k_new", channel="email")
            assert dialog is not None
            await asyncio.sleep(0.05)
            assert dialog.subject.isEnabled()
            dialog.subject.setText("Welcome")
            dialog.done(QDialog.DialogCode.Accepted)
            await until(lambda: (tab.open_conversation_id or "").startswith("new_"))
            assert tab.model.row_of(tab.open_conversation_id or "") == 0

    run(scenario())


def test_snooze_presets_are_in_the_future() -> None:
    from datetime import datetime

    now = datetime(2026, 6, 15, 10, 30).astimezone()  # a Monday morning
    choices = snooze_choices(now)
    assert [label.split(" (")[0] for label, _ in choices] == [
        "Later today",
        "This evening",
        "Tomorrow",
        "Next week",
    ]
    assert all(when > now for _, when in choices)
    assert choices[-1][1].weekday() == 0 and choices[-1][1].day == 22
    late = snooze_choices(datetime(2026, 6, 15, 22, 30).astimezone())
    assert [label.split(" (")[0] for label, _ in late] == ["Later today", "Tomorrow", "Next week"]


def test_contact_link_asks_for_the_contact(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            asked: list[str] = []
            env.tab.contactRequested.connect(asked.append)
            env.thread.contactLinkActivated.emit("contact_a_conv_001")
            assert asked == ["contact_a_conv_001"]
            assert QApplication.instance() is not None

    run(scenario())


def test_who_am_i_goes_to_the_preferences_once_they_have_the_field(
    env_factory: Any, run: Any
) -> None:
    from types import SimpleNamespace

    async def scenario() -> None:
        async with env_factory() as env:
            saved: list[bool] = []
            prefs = SimpleNamespace(muted_channels=[], my_team_member_ids={})
            env.workspace.profiles.data.preferences = prefs
            env.workspace.profiles.save = lambda: saved.append(True)
            env.workspace.persist = True
            env.tab.set_my_user_id("usr_ana_ortiz")
            assert prefs.my_team_member_ids == {f"{env.part_a.deployment}|sub_a": "usr_ana_ortiz"}
            assert saved and env.part_a.state.get_state("inbox_me") is None
            assert env.tab.my_user_id() == "usr_ana_ortiz"
            env.tab.set_view("mine")
            assert env.tab.model.query.view.user_id == "usr_ana_ortiz"
            env.tab.set_my_user_id(None)
            assert prefs.my_team_member_ids == {} and env.tab.view_buttons["all"].isChecked()

    run(scenario())


def test_opening_a_conversation_reads_it_across_restarts(env_factory: Any, run: Any) -> None:
    target = "a_conv_001"  # open, two unread messages

    def unread_views(part: Partition) -> int:
        return len(storage_ids(part, "unread", status="open"))

    async def scenario() -> None:
        async with env_factory() as env:
            tab, view = env.tab, env.tab.list
            server_copy = dict(env.client.server[target])
            assert server_copy["unreadCount"] == 2
            row = tab.model.row_of(target)
            assert tab.model.index(row, 0).data(UnreadCountRole) == 2
            unread_before = unread_views(env.part_a)
            assert tab.view_counts()["unread"] == f"Unread {unread_before}"
            await until(lambda: tab.notifier.unread == env.part_a.conversations.unread_total())
            tray_before = tab.notifier.unread
            # The user opens it: the badge, the Unread count and the tray count drop.
            view.setFocus()
            env.select(row)
            QTest.keyClick(view, Qt.Key.Key_Return)
            assert tab.open_conversation_id == target
            await until(lambda: tab.model.index(row, 0).data(UnreadCountRole) == 0)
            assert env.client.calls == []  # the API has no mark-read call: all local
            assert tab.view_counts()["unread"] == f"Unread {unread_before - 1}"
            await until(lambda: tab.notifier.unread == tray_before - 2)
            # The next poll re-stores the server's copy (still two unread): it stays read.
            env.change(server_copy)
            tab.model.flush_changes()
            assert tab.model.index(tab.model.row_of(target), 0).data(UnreadCountRole) == 0
            # Mark unread after opening: the server's count is back (the marks do not fight).
            env.select(tab.model.row_of(target))
            QTest.keyClick(view, Qt.Key.Key_U)
            assert tab.model.index(tab.model.row_of(target), 0).data(UnreadCountRole) == 2
            env.select(tab.model.row_of(target) + 1)
            QTest.keyClick(view, Qt.Key.Key_Return)  # another one: the target stays unread
            env.select(tab.model.row_of(target))
            QTest.keyClick(view, Qt.Key.Key_Return)
            await until(
                lambda: tab.model.index(tab.model.row_of(target), 0).data(UnreadCountRole) == 0
            )

        # A restart: a new tab and service over the same cache; a sync re-stores the server's
        # copy, and the conversation is still read.
        async with env_factory() as env:
            tab = env.tab
            assert tab.open_conversation_id is None
            env.change(server_copy)
            tab.model.flush_changes()
            row = tab.model.row_of(target)
            assert tab.model.index(row, 0).data(UnreadCountRole) == 0
            assert tab.view_counts()["unread"] == f"Unread {unread_views(env.part_a)}"
            assert env.part_a.conversations.get_conversation(target)["unreadCount"] == 0  # type: ignore[index]
            # A new inbound message: unread again, with the server's count.
            env.change(
                {**server_copy, "lastMessageAt": "2026-06-15T12:05:00.000Z", "unreadCount": 3,
                 "lastMessageDirection": "inbound", "lastMessagePreview": "Still there?"}
            )  # fmt: skip
            tab.model.flush_changes()
            assert tab.model.index(tab.model.row_of(target), 0).data(UnreadCountRole) == 3
            await until(lambda: tab.notifier.unread == env.part_a.conversations.unread_total())
            assert tab.notifier.unread >= 3
            # Open while the user looks at it: a message arriving now is read at once ...
            tab.show_conversation(target)
            tab.notifier.window_active = lambda: True
            env.change(
                {**server_copy, "lastMessageAt": "2026-06-15T12:06:00.000Z", "unreadCount": 4,
                 "lastMessageDirection": "inbound"}
            )  # fmt: skip
            tab.model.flush_changes()
            assert tab.model.index(tab.model.row_of(target), 0).data(UnreadCountRole) == 0
            # ... one arriving while the window is in the background is not, until the user
            # comes back to it.
            tab.notifier.window_active = lambda: False
            env.change(
                {**server_copy, "lastMessageAt": "2026-06-15T12:07:00.000Z", "unreadCount": 5,
                 "lastMessageDirection": "inbound"}
            )  # fmt: skip
            tab.model.flush_changes()
            assert tab.model.index(tab.model.row_of(target), 0).data(UnreadCountRole) == 5
            tab.notifier.window_active = lambda: True
            tab._looking_again()  # what the window's activation calls
            tab.model.flush_changes()
            assert tab.model.index(tab.model.row_of(target), 0).data(UnreadCountRole) == 0

    run(scenario())


def test_in_the_unread_view_the_one_being_read_stays_until_the_user_moves_on(
    env_factory: Any, run: Any
) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab, view = env.tab, env.tab.list
            tab.set_view("unread")
            tab.model.flush_changes()
            unread = storage_ids(env.part_a, "unread", status="open")
            assert len(unread) >= 2 and tab.model.loaded_ids()[:2] == unread[:2]
            first, second = unread[0], unread[1]
            view.setFocus()
            env.select(tab.model.row_of(first))
            QTest.keyClick(view, Qt.Key.Key_Return)
            assert tab.open_conversation_id == first
            # Read now (badge 0, no longer unread in the cache), but still listed and current.
            await until(
                lambda: tab.model.index(tab.model.row_of(first), 0).data(UnreadCountRole) == 0
            )
            tab.model.flush_changes()
            assert first not in storage_ids(env.part_a, "unread", status="open")
            assert tab.model.row_of(first) == 0
            assert view.currentIndex().row() == 0
            assert tab.view_counts()["unread"] == f"Unread {len(unread) - 1}"
            # Down and Enter: the next one opens and the one read leaves the list.
            QTest.keyClick(view, Qt.Key.Key_Down)
            QTest.keyClick(view, Qt.Key.Key_Return)
            assert tab.open_conversation_id == second
            tab.model.flush_changes()
            await until(lambda: tab.model.row_of(first) < 0)
            assert tab.model.id_at(view.currentIndex().row()) == second
            # Another view and back: Unread lists what is unread; the one read is not kept.
            tab.set_view("all")
            assert tab.model.row_of(second) >= 0
            tab.set_view("unread")
            tab.model.flush_changes()
            assert tab.model.row_of(second) < 0 and tab.open_conversation_id == second

    run(scenario())


def test_close_and_reopen_apply_only_where_they_can(env_factory: Any, run: Any) -> None:
    async def scenario() -> None:
        async with env_factory() as env:
            tab = env.tab
            env.select(0)  # the list shows open conversations by default
            assert tab.close_button.isEnabled() and not tab.reopen_button.isEnabled()
            tab.set_filters(status="closed")
            env.select(0)
            assert tab.model.index(0, 0).data(StatusRole) == "closed"
            assert not tab.close_button.isEnabled() and tab.reopen_button.isEnabled()
            tab._close_clicked()  # E on a closed conversation: nothing is sent
            await asyncio.sleep(0.05)
            assert env.client.calls == []
            # A mixed selection: both apply (each to the ones it can change).
            tab.set_filters(status=None)
            statuses = [tab.model.index(r, 0).data(StatusRole) for r in range(4)]
            assert "open" in statuses and "closed" in statuses
            env.select(*range(4))
            assert tab.close_button.isEnabled() and tab.reopen_button.isEnabled()
            # Reopened, a conversation no longer offers Reopen.
            tab.set_filters(status="closed")
            env.select(0)
            target = env.ids()[0]
            tab.set_filters(status=None)
            row = tab.model.row_of(target)
            env.select(row)
            await tab.run_action("reopen", [target])
            await until(lambda: tab.model.index(row, 0).data(StatusRole) == "open")
            env.select(tab.model.row_of(target))
            assert tab.close_button.isEnabled() and not tab.reopen_button.isEnabled()

    run(scenario())
