"""How times are written in every tab: short and relative in lists, long in tooltips."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime


def relative_time(when: datetime, now: datetime, locale: QLocale | None = None) -> str:
    """A short, locale-aware description of ``when`` seen from ``now`` (both aware).

    "Just now", "5 min ago", a time today, "Yesterday", a weekday within the
    last week, then "Nov 23" this year and "Nov 23 2025" before (as the thread writes
    dates; the locale's numeric short date is ambiguous across countries).
    """
    loc = locale or QLocale()
    local, local_now = when.astimezone(), now.astimezone()
    seconds = (local_now - local).total_seconds()
    if 0 <= seconds < 60:
        return "Just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    days = (local_now.date() - local.date()).days
    if days == 0:
        return loc.toString(QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat)
    if days == 1:
        return "Yesterday"
    qdate = QDate(local.year, local.month, local.day)
    if 1 < days < 7:
        return loc.dayName(qdate.dayOfWeek(), QLocale.FormatType.LongFormat)
    day = f"{loc.monthName(local.month, QLocale.FormatType.ShortFormat)} {local.day}"
    return day if local.year == local_now.year else f"{day} {local.year}"


def long_time(when: datetime, locale: QLocale) -> str:
    """``when`` in the locale's long date and time (tooltips)."""
    local = when.astimezone()
    qdt = QDateTime(
        QDate(local.year, local.month, local.day), QTime(local.hour, local.minute, local.second)
    )
    return locale.toString(qdt, QLocale.FormatType.LongFormat)


__all__ = ["long_time", "relative_time"]
