"""How the contact detail pane shows values read-only: formatted, escaped, linked."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDate, QLocale, QTime

from app.core.enums import CustomFieldType
from app.core.models import Contact
from app.ui.common.fields import date_format, format_value, link_html


def initials(contact: Contact | None, first: str = "", last: str = "") -> str:
    """The initials of ``contact`` (else of ``first`` and ``last``; else its email's first
    letter), upper case, for the header's badge."""
    if contact is not None:
        first, last = contact.first_name, contact.last_name
    letters = "".join(part.strip()[:1] for part in (first, last) if part and part.strip())
    if not letters and contact is not None and contact.email:
        letters = contact.email[:1]
    return letters.upper()


def format_timestamp(when: datetime, locale: QLocale) -> str:
    """A timestamp in local time, the locale's date (four-digit year) and short time."""
    local = when.astimezone()
    qdate = QDate(local.year, local.month, local.day)
    qtime = QTime(local.hour, local.minute)
    return (
        f"{locale.toString(qdate, date_format(locale))} "
        f"{locale.toString(qtime, QLocale.FormatType.ShortFormat)}"
    )


def value_html(
    kind: str,
    value: Any,
    *,
    locale: QLocale,
    region: str,
    assignee_label: Callable[[object], str],
) -> str:
    """A field's value as the read-only view shows it (escaped HTML, links for emails,
    phones and web addresses); empty for no value. ``kind`` is the row's kind."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if kind == "record":
        if isinstance(value, datetime):
            return html.escape(format_timestamp(value, locale))
        return html.escape(str(value))
    if kind == "other":
        return "<br>".join(
            f"{html.escape(str(k))}: {html.escape(format_value('text', v, locale=locale))}"
            for k, v in value.items()
        )
    if kind in ("emails", "phones"):
        item_kind = CustomFieldType.EMAIL if kind == "emails" else CustomFieldType.PHONE
        return "<br>".join(
            link_html(
                item_kind,
                str(item),
                format_value(item_kind, item, locale=locale, home_region=region),
            )
            for item in value
        )
    if kind == "assignee":
        return html.escape(assignee_label(value))
    if kind == "date" or kind == CustomFieldType.DATE:
        return html.escape(format_value(CustomFieldType.DATE, value, locale=locale))
    text = format_value(kind, value, locale=locale, home_region=region)
    if kind in (
        CustomFieldType.EMAIL,
        CustomFieldType.PHONE,
        CustomFieldType.URL,
    ) and isinstance(value, str):
        return link_html(kind, value, text)
    return html.escape(text).replace("\n", "<br>")
