"""The StrEnums of app.core.enums stay in step with the plain tuples in constants.py."""

from __future__ import annotations

from enum import StrEnum

import pytest

from app.core import constants, enums


@pytest.mark.parametrize(
    ("enum_type", "values"),
    [
        (enums.Channel, constants.CHANNELS),
        (enums.ConversationStatus, constants.CONVERSATION_STATUSES),
        (enums.MessageStatus, constants.MESSAGE_STATUSES),
        (enums.MessageDirection, constants.MESSAGE_DIRECTIONS),
        (enums.LifecycleStage, constants.LIFECYCLE_STAGES),
        (enums.CustomFieldType, constants.CUSTOM_FIELD_TYPES),
        (enums.CalendarType, constants.CALENDAR_TYPES),
        (enums.AppointmentStatus, constants.APPOINTMENT_STATUSES),
        (enums.EventType, constants.WEBHOOK_EVENTS),
        (enums.ErrorCode, constants.ERROR_CODES),
    ],
)
def test_enum_matches_constants(enum_type: type[StrEnum], values: tuple[str, ...]) -> None:
    assert [member.value for member in enum_type] == list(values)


def test_send_channels_match_constants() -> None:
    assert {c.value for c in enums.SEND_CHANNELS} == set(constants.SEND_CHANNELS)
    assert enums.Channel.LIVE_CHAT not in enums.SEND_CHANNELS


def test_twenty_six_events() -> None:
    # The API lists 26 events (docs/api/seedly-crm.md §7).
    assert len(enums.EventType) == 26
