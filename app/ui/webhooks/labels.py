"""Plain words and icons for what the tab shows: check results, run outcomes, times."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QLocale
from PySide6.QtGui import QIcon

from app.services.ports.webhooks import Check
from app.ui.common.time_format import long_time
from app.ui.theme import icon

RESULT_WORDS: dict[str, str] = {
    Check.VALID.value: "Verified",
    Check.DUPLICATE.value: "Verified (a repeat)",
    Check.MISSING_HEADER.value: "No signature",
    Check.MALFORMED_HEADER.value: "Malformed signature",
    Check.NO_SECRET.value: "Not checked: no secret kept",
    Check.OLD_SECRET.value: "Signed with the old secret",
    Check.SECRET_FORM.value: "Secret used wrongly",
    Check.RESERIALISED.value: "Body re-serialised",
    Check.WRONG_SECRET.value: "Wrong secret",
}

_RESULT_ICONS = {
    Check.VALID.value: "check",
    Check.DUPLICATE.value: "check",
    Check.NO_SECRET.value: "info",
}

OUTCOME_WORDS = {"ok": "Sent", "failed": "Failed", "unknown": "Unknown (answer lost)"}


def result_words(result: str) -> str:
    """A check result in words."""
    return RESULT_WORDS.get(result, result.replace("_", " ").capitalize())


def result_icon_name(result: str) -> str:
    """The name of the check mark, information or error icon for a check result."""
    return _RESULT_ICONS.get(result, "error")


def result_icon(result: str) -> QIcon:
    """Check mark, information or error icon for a check result."""
    return icon(result_icon_name(result))


def outcome_icon_name(outcome: str) -> str:
    """The name of the icon of a run's outcome."""
    return {"ok": "check", "unknown": "warning"}.get(outcome, "error")


def outcome_icon(outcome: str) -> QIcon:
    """The icon of a run's outcome."""
    return icon(outcome_icon_name(outcome))


def _local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone()


def clock_time(ms: int) -> str:
    """A time of day with seconds for today, the date and time otherwise."""
    moment = _local(ms)
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M:%S")
    return f"{QLocale().monthName(moment.month, QLocale.FormatType.ShortFormat)} {moment.day}, {moment:%H:%M}"


def iso_time(value: str | None) -> str:
    """A wire timestamp as a short local date and time ("" when missing or unreadable)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return clock_time(int(moment.timestamp() * 1000))


def long_ms(ms: int) -> str:
    """Epoch ms in the locale's long format (tooltips)."""
    return long_time(_local(ms), QLocale())


def size_words(size: int) -> str:
    """A byte count in words."""
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KB"
