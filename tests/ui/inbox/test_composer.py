"""The composer: required recipient and subject, merge preview, SMS counter, Meta's
24-hour window, DND, drafts across instances, internal notes, Ctrl+Enter and Esc."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.services.ports.inbox import InboxPort
from app.storage import Database, OutboxState, Partition
from app.ui.inbox.composer import Composer, sms_counter_text
from tests.ui.inbox.thread_fixtures import (
    CONV,
    DEPLOYMENT,
    ThreadWorkspace,
    iso,
    seed_partition,
)
from tests.unit.storage.docs import message

NOW_S = 1_790_000_000.0


@pytest.fixture
def cdb(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "composer.db")
    yield database
    database.close()


def make(
    db: Database,
    qtbot: Any,
    *,
    channel: str = "sms",
    contact_fields: dict[str, Any] | None = None,
    messages: int = 4,
    draft_delay_ms: int = 500,
) -> tuple[Composer, Partition, ThreadWorkspace]:
    part = seed_partition(db, channel=channel, contact_fields=contact_fields, messages=messages)
    workspace = ThreadWorkspace(db, part)
    composer = Composer(InboxPort(workspace), draft_delay_ms=draft_delay_ms, clock=lambda: NOW_S)
    qtbot.addWidget(composer)
    composer.set_conversation(CONV)
    return composer, part, workspace


def type_body(composer: Composer, text: str) -> None:
    composer.body_edit.setPlainText(text)


def test_sms_needs_a_number_when_the_contact_has_none(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot, contact_fields={"phone": None})
    assert composer.channel == "sms" and composer.to_edit.text() == ""
    type_body(composer, "Your appointment is confirmed.")
    assert composer.send() is None
    assert (
        composer.errors()["toAddress"] == "Enter a phone number to text: Kim Lee has none on file."
    )
    assert part.outbox.items_for(CONV) == []
    # A typed number is normalised by the core's rule, and the message is queued.
    composer.to_edit.setText("(617) 555-0199")
    composer.to_edit.textEdited.emit("(617) 555-0199")
    item = composer.send()
    assert item is not None and item.payload["toAddress"] == "+16175550199"
    assert item.state is OutboxState.QUEUED


def test_sms_recipient_is_prefilled_and_a_bad_number_is_refused(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot)
    assert composer.to_edit.text() == "(617) 555-0142"  # as the number shows everywhere
    composer.to_edit.setText("12")
    composer.to_edit.textEdited.emit("12")
    type_body(composer, "Hello")
    assert composer.send() is None
    assert "toAddress" in composer.errors()
    assert part.outbox.items_for(CONV) == []


def test_the_prefilled_number_is_shown_nationally_and_sent_as_e164(
    cdb: Database, qtbot: Any
) -> None:
    composer, part, _ = make(cdb, qtbot)
    assert composer.to_edit.text() == "(617) 555-0142"
    type_body(composer, "See you Friday.")
    item = composer.send()
    assert item is not None and item.payload["toAddress"] == "+16175550142"
    assert len(part.outbox.items_for(CONV)) == 1


def test_email_needs_an_address_and_a_subject(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot, channel="email", contact_fields={"email": None})
    assert composer.subject_edit.isVisibleTo(composer)
    assert composer.subject_edit.text() == "Re: Your cleaning"  # the conversation's subject
    composer.subject_edit.setText("")
    composer.subject_edit.textEdited.emit("")
    type_body(composer, "Here is your estimate.")
    assert composer.send() is None
    errors = composer.errors()
    assert errors["toAddress"] == "Enter an email address: Kim Lee has none on file."
    assert errors["subject"] == "Enter a subject: an email needs one."
    composer.to_edit.setText("Kim.Lee@Example.COM")
    composer.to_edit.textEdited.emit("Kim.Lee@Example.COM")
    composer.subject_edit.setText("Estimate")
    composer.subject_edit.textEdited.emit("Estimate")
    composer.html_toggle.setChecked(True)
    assert composer.html_edit.toPlainText() == "<p>Here is your estimate.</p>"
    item = composer.send()
    assert item is not None
    assert item.payload == {
        "bodyText": "Here is your estimate.",
        "channel": "email",
        "toAddress": "Kim.Lee@example.com",
        "subject": "Estimate",
        "bodyHtml": "<p>Here is your estimate.</p>",
    }
    # Live errors are gone and the form is ready for the next message.
    assert composer.errors() == {} and composer.body_edit.toPlainText() == ""


def test_html_only_goes_with_email(cdb: Database, qtbot: Any) -> None:
    composer, _, _ = make(cdb, qtbot, channel="email")
    composer.html_toggle.setChecked(True)
    composer.html_edit.setPlainText("<b>Bold</b>")
    composer.set_channel("sms")
    assert not composer.html_toggle.isVisibleTo(composer)
    type_body(composer, "Plain")
    item = composer.send()
    assert item is not None and "bodyHtml" not in item.payload and "subject" not in item.payload


def test_merge_fields_menu_and_live_preview(cdb: Database, qtbot: Any) -> None:
    composer, _, _ = make(cdb, qtbot)
    tokens = [a.data() for a in composer.fields_menu.actions() if a.data()]
    assert "{{firstName}}" in tokens and "{{custom_values.preferred_language}}" in tokens
    assert not composer.preview_label.isVisibleTo(composer)
    composer.body_edit.setFocus()
    type_body(composer, "Hi ")
    cursor = composer.body_edit.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    composer.body_edit.setTextCursor(cursor)
    action = next(a for a in composer.fields_menu.actions() if a.data() == "{{firstName}}")
    action.trigger()
    composer.body_edit.insertPlainText(", we speak {{custom_values.preferred_language}}.")
    assert composer.body_edit.toPlainText().startswith("Hi {{firstName}}")
    assert composer.preview_label.text() == "Preview for Kim Lee: Hi Kim, we speak Spanish."
    assert composer.preview_label.isVisibleTo(composer)
    type_body(composer, "Hi {{first_name}} {{company}}")
    assert "{{first_name}} is not a merge field" in composer.merge_problems.text()
    assert "Did you mean {{firstName}}?" in composer.merge_problems.text()


def test_merge_preview_says_which_values_are_empty(cdb: Database, qtbot: Any) -> None:
    composer, _, _ = make(cdb, qtbot, contact_fields={"company": None})
    type_body(composer, "Thanks from {{company}}")
    assert "No value for Kim Lee: Company" in composer.merge_problems.text()


def test_sms_counter_at_160_161_and_with_ucs2(cdb: Database, qtbot: Any) -> None:
    composer, _, _ = make(cdb, qtbot)
    type_body(composer, "a" * 160)
    assert composer.counter_label.text() == "160/160 · 1 SMS"
    assert not composer.sms_reason.isVisibleTo(composer)
    type_body(composer, "a" * 161)
    assert composer.counter_label.text() == "161 chars · 2 SMS"
    assert composer.counter_label.toolTip().startswith("153 characters per SMS part")
    type_body(composer, "a" * 69 + "’")
    assert composer.counter_label.text() == "70/70 · 1 SMS"
    # The reason in words on its own line, never "UCS-2", with the offer to replace.
    assert composer.sms_reason.isVisibleTo(composer)
    reason = composer.sms_reason.text()
    assert "Special characters (’) make each SMS hold 70 characters instead of 160." in reason
    assert "UCS-2" not in reason and ">Replace them</a>" in reason
    type_body(composer, "a" * 70 + "’")
    assert composer.counter_label.text() == "71 chars · 2 SMS"
    # The count is of the text as sent: merge fields resolved ("Kim" is 3 characters).
    type_body(composer, "{{firstName}}" + "b" * 157)
    assert composer.counter_label.text() == "160/160 · 1 SMS"
    composer.set_channel("email")
    assert not composer.counter_label.isVisibleTo(composer)
    assert sms_counter_text("") == "0/160 · 1 SMS"


def test_special_characters_are_replaced_on_request(cdb: Database, qtbot: Any) -> None:
    composer, _, _ = make(cdb, qtbot)
    type_body(composer, "It’s “done” — see you… " + "x" * 60)
    assert composer.counter_label.text() == "83 chars · 2 SMS"
    composer.sms_reason.linkActivated.emit("replace")
    assert composer.body_edit.toPlainText() == 'It\'s "done" - see you... ' + "x" * 60
    assert composer.counter_label.text() == "85/160 · 1 SMS"
    assert not composer.sms_reason.isVisibleTo(composer)
    composer.body_edit.undo()  # one step undoes the replacement
    assert composer.body_edit.toPlainText().startswith("It’s “done”")
    # An emoji has no look-alike: the reason stays, with nothing to offer.
    type_body(composer, "Great 😀")
    assert composer.sms_reason.isVisibleTo(composer)
    assert "Replace" not in composer.sms_reason.text()


def test_the_counter_fits_at_the_composer_s_width(cdb: Database, qtbot: Any) -> None:
    composer, _, _ = make(cdb, qtbot)
    composer.resize(520, 300)
    composer.show()
    type_body(composer, "a" * 300 + "’")
    qtbot.waitUntil(lambda: composer.counter_label.width() > 0)
    label = composer.counter_label
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())


def _inbound(part: Partition, seconds_ago: float, channel: str) -> None:
    ms = int((NOW_S - seconds_ago) * 1000)
    part.messages.upsert_messages(
        [message(f"in_{ms}", CONV, iso(ms), "Hello?", channel=channel, direction="inbound")]
    )


def test_meta_24_hour_window_warning(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot, channel="messenger", messages=0)
    assert composer.channel == "messenger"
    assert composer.window_banner.isVisibleTo(composer)
    assert "has not written on Messenger" in composer.window_banner.text
    _inbound(part, 25 * 3600, "messenger")
    composer.refresh_window()
    assert "last Messenger message was 25 hours ago" in composer.window_banner.text
    _inbound(part, 3600, "messenger")
    composer.refresh_window()
    assert not composer.window_banner.isVisibleTo(composer)
    # Instagram counts its own messages; SMS has no window.
    composer.set_channel("instagram")
    assert composer.window_banner.isVisibleTo(composer)
    composer.set_channel("sms")
    assert not composer.window_banner.isVisibleTo(composer)


def test_dnd_is_shown_before_sending(cdb: Database, qtbot: Any) -> None:
    composer, _, _ = make(cdb, qtbot, contact_fields={"dndChannels": ["sms", "gmail"]})
    assert composer.dnd_banner.isVisibleTo(composer)
    assert composer.dnd_banner.severity == "danger"
    assert "Kim Lee has opted out of SMS messages" in composer.dnd_banner.text
    assert "will not reach them" in composer.dnd_banner.text
    composer.set_channel("messenger")
    assert not composer.dnd_banner.isVisibleTo(composer)
    composer.set_channel("email")  # a gmail opt-out covers the same mailbox
    assert composer.dnd_banner.isVisibleTo(composer)
    composer.set_note_mode(True)  # a note is never sent: no warning
    assert not composer.dnd_banner.isVisibleTo(composer)


def test_drafts_survive_a_new_composer_on_the_same_cache(
    cdb: Database, qtbot: Any, tmp_path: Path
) -> None:
    composer, part, workspace = make(cdb, qtbot, channel="email", draft_delay_ms=20)
    type_body(composer, "Half-written answer, {{firstName}}")
    composer.subject_edit.setText("About Thursday")
    composer.subject_edit.textEdited.emit("About Thursday")
    qtbot.waitUntil(lambda: part.drafts.draft(CONV) is not None, timeout=2000)
    composer.deleteLater()
    # As after a restart: a new composer over a reopened cache file.
    cdb.close()
    reopened = Database.open(tmp_path / "composer.db")
    try:
        again = reopened.partition(DEPLOYMENT, "sub_t")
        fresh = Composer(InboxPort(ThreadWorkspace(reopened, again)), clock=lambda: NOW_S)
        qtbot.addWidget(fresh)
        fresh.set_conversation(CONV)
        assert fresh.body_edit.toPlainText() == "Half-written answer, {{firstName}}"
        assert fresh.subject_edit.text() == "About Thursday"
        assert fresh.channel == "email"
        # Switching conversation writes the draft at once (no wait for the debounce).
        fresh.body_edit.setPlainText("Changed my mind")
        fresh.set_conversation(None)
        assert again.drafts.draft(CONV)["bodyText"] == "Changed my mind"  # type: ignore[index]
        fresh.set_conversation(CONV)
        assert fresh.send() is not None
        assert again.drafts.draft(CONV) is None  # cleared on send
    finally:
        reopened.close()


def test_emptying_the_composer_forgets_the_draft(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot)
    type_body(composer, "Something")
    composer.flush_draft()
    assert part.drafts.draft(CONV) is not None
    type_body(composer, "")
    composer.flush_draft()
    assert part.drafts.draft(CONV) is None


def test_ctrl_enter_sends_once(cdb: Database, qtbot: Any, qapp: QApplication) -> None:
    composer, part, _ = make(cdb, qtbot)
    queued: list[str] = []
    composer.messageQueued.connect(queued.append)
    composer.show()
    with qtbot.waitActive(composer):
        composer.activateWindow()
    composer.body_edit.setFocus()
    QTest.keyClicks(composer.body_edit, "On my way")
    QTest.keyClick(composer.body_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(composer.body_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    items = part.outbox.items_for(CONV)
    assert [i.payload["bodyText"] for i in items] == ["On my way"]
    assert queued == [items[0].client_id]
    assert composer.body_edit.toPlainText() == ""
    # The second press found an empty composer and said so instead of sending.
    assert composer.errors() == {"bodyText": "Type a message before sending."}
    left: list[bool] = []
    composer.leaveRequested.connect(lambda: left.append(True))
    QTest.keyClick(composer.body_edit, Qt.Key.Key_Escape)
    assert left == [True]


def test_internal_note_sends_is_internal(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot, contact_fields={"dndChannels": ["sms"]})
    composer.set_note_mode(True)
    assert not composer.channel_box.isVisibleTo(composer)
    assert composer.send_button.text() == "Add note"
    assert composer.send() is None
    assert composer.errors() == {"bodyText": "Type a note before adding it."}
    type_body(composer, "Prefers afternoons")
    item = composer.send()
    assert item is not None
    assert item.payload == {"bodyText": "Prefers afternoons", "channel": "sms", "isInternal": True}


def test_live_chat_is_offered_on_live_chat_conversations_only(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot, channel="live_chat")
    assert composer.channel == "live_chat"
    type_body(composer, "Yes, until 5 PM!")
    item = composer.send()
    assert item is not None and item.payload == {
        "bodyText": "Yes, until 5 PM!",
        "channel": "live_chat",
    }


def test_no_session_means_nothing_is_queued(cdb: Database, qtbot: Any) -> None:
    composer, part, workspace = make(cdb, qtbot)
    workspace.session.sender = None  # type: ignore[union-attr]
    type_body(composer, "Hello")
    assert composer.send() is None
    assert "the message was not sent" in composer.errors()["(form)"]
    assert part.outbox.items_for(CONV) == []


def test_draft_timer_is_debounced(cdb: Database, qtbot: Any) -> None:
    composer, part, _ = make(cdb, qtbot, draft_delay_ms=150)
    type_body(composer, "a")
    time.sleep(0.05)
    type_body(composer, "ab")
    assert part.drafts.draft(CONV) is None  # not written on every keystroke
    qtbot.waitUntil(lambda: part.drafts.draft(CONV) is not None, timeout=2000)
    assert part.drafts.draft(CONV)["bodyText"] == "ab"  # type: ignore[index]
