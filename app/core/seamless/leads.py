"""Researched Seamless contacts as Seedly contacts, and as a CSV file (pure rules).

``lead_fields`` maps one researched record to the fields of a Seedly contact
(docs/api/seedly-crm.md §5): names, the best email as ``email`` and the others as
``additionalEmails``, phones in E.164 (``app.core.phones``) with the first of
the person's own numbers as ``phone`` and the rest (company lines included)
in ``additionalPhones``, company, title, location, ``source`` and the tag the
user chose. Addresses Seamless judged invalid, or that are not addresses at
all, and numbers that cannot be normalised are left out, each with a reason.

``merge_fields`` decides what to change on a contact that already exists:
empty fields are filled, lists and tags are extended, and the fields that
describe the job (company, title, location) follow the fresh research; names,
the primary email and phone and the source the user already has are kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.contact_csv import neutralize
from app.core.emails import check_email, email_key
from app.core.phones import DEFAULT_REGION, check_phone
from app.core.seamless.records import EmailValidity, ResearchedContact

LEAD_SOURCE = "seamless"
"""``source`` of contacts added from Seamless research."""

REFRESHED_FIELDS: tuple[str, ...] = ("company", "title", "city", "state", "postalCode", "country")
"""Fields of an existing contact that fresh research may change (job and location)."""


@dataclass(frozen=True, slots=True)
class LeadFields:
    """A researched record as Seedly contact fields (wire names), with what was left out."""

    fields: dict[str, Any]
    email: str | None
    """The primary address (normalised), the key for the duplicate lookup."""
    skipped: tuple[str, ...] = ()
    """One sentence per address or number left out, saying why."""
    problem: str | None = None
    """Why the record cannot become a contact at all (then ``fields`` is not to be sent)."""

    @property
    def ok(self) -> bool:
        """Whether the record can be added."""
        return self.problem is None


def _region_of(record: ResearchedContact, default_region: str | None) -> str | None:
    location = record.contact_location
    alpha2 = location.country_alpha2 if location else None
    if alpha2 and len(alpha2.strip()) == 2:
        return alpha2.strip().upper()
    return default_region


def lead_fields(
    record: ResearchedContact,
    *,
    tag: str | None = None,
    source: str = LEAD_SOURCE,
    default_region: str | None = DEFAULT_REGION,
) -> LeadFields:
    """The Seedly contact fields of ``record`` (see the module docstring)."""
    skipped: list[str] = []
    valid: list[tuple[str, EmailValidity | str | None]] = []
    seen: set[str] = set()
    for entry in record.emails:
        if entry.invalid:
            skipped.append(
                f"{entry.address} was left out: Seamless.AI judged it invalid (undeliverable)."
            )
            continue
        check = check_email(entry.address)
        if check.normalized is None:
            skipped.append(f"{entry.address} was left out: {check.error}")
            continue
        key = email_key(check.normalized)
        if key in seen:
            continue
        seen.add(key)
        valid.append((check.normalized, entry.validity))
    # A verified address makes the better primary than a risky or unrated one.
    verified = [address for address, verdict in valid if verdict == EmailValidity.VALID]
    ordered = verified + [address for address, verdict in valid if address not in verified]
    primary = ordered[0] if ordered else None

    region = _region_of(record, default_region)
    phones: list[str] = []
    for phone in record.phones:
        result = check_phone(phone.number, region)
        if result.e164 is None:
            skipped.append(f"The number {phone.number} was left out: {result.error}")
            continue
        if result.e164 not in phones:
            phones.append(result.e164)

    first, last = record.names()
    fields: dict[str, Any] = {"firstName": first, "lastName": last, "source": source}
    if primary:
        fields["email"] = primary
    if ordered[1:]:
        fields["additionalEmails"] = ordered[1:]
    if phones:
        fields["phone"] = phones[0]
    if phones[1:]:
        fields["additionalPhones"] = phones[1:]
    for name, value in (("company", record.company), ("title", record.title)):
        if value and value.strip():
            fields[name] = value.strip()
    location = record.contact_location
    if location is not None:
        for name, value in (
            ("city", location.city),
            ("state", location.state),
            ("postalCode", location.post_code),
            ("country", location.country),
        ):
            if value and value.strip():
                fields[name] = value.strip()
    if tag and tag.strip():
        fields["tags"] = [tag.strip()]

    problem: str | None = None
    if not first or not last:
        problem = (
            "Seamless.AI returned no full name for this person, and a Seedly contact needs a "
            "first and a last name."
        )
    elif primary is None:
        problem = (
            "No usable email address: without one the app cannot check whether the contact "
            "is already in Seedly, so it was not added (to avoid duplicates)."
        )
    return LeadFields(fields, primary, tuple(skipped), problem)


def _merged_list(existing: Sequence[Any] | None, new: Iterable[Any], *exclude: Any) -> list[Any]:
    result = list(existing or [])
    keys = {str(v).casefold() for v in (*result, *exclude) if v}
    for value in new:
        if value and str(value).casefold() not in keys:
            result.append(value)
            keys.add(str(value).casefold())
    return result


def merge_fields(
    existing: Mapping[str, Any],
    lead: LeadFields,
    *,
    refreshed: Sequence[str] = REFRESHED_FIELDS,
) -> dict[str, Any]:
    """The edits that bring the contact ``existing`` (wire dict) up to date with ``lead``;
    only fields whose value would change are returned (``{}``: nothing to do)."""
    new = lead.fields
    edits: dict[str, Any] = {}
    for name in ("firstName", "lastName", "email", "phone", "source"):
        if not existing.get(name) and new.get(name):
            edits[name] = new[name]
    for name in refreshed:
        value = new.get(name)
        if value and value != existing.get(name):
            edits[name] = value
    for name in ("company", "title", "city", "state", "postalCode", "country"):
        if name not in edits and not existing.get(name) and new.get(name):
            edits[name] = new[name]
    primary_email = edits.get("email") or existing.get("email")
    emails = [new["email"]] if new.get("email") else []
    emails += list(new.get("additionalEmails") or [])
    merged_emails = _merged_list(existing.get("additionalEmails"), emails, primary_email)
    if merged_emails != list(existing.get("additionalEmails") or []):
        edits["additionalEmails"] = merged_emails
    primary_phone = edits.get("phone") or existing.get("phone")
    phones = [new["phone"]] if new.get("phone") else []
    phones += list(new.get("additionalPhones") or [])
    merged_phones = _merged_list(existing.get("additionalPhones"), phones, primary_phone)
    if merged_phones != list(existing.get("additionalPhones") or []):
        edits["additionalPhones"] = merged_phones
    tags = _merged_list(existing.get("tags"), new.get("tags") or [])
    if tags != list(existing.get("tags") or []):
        edits["tags"] = tags
    return edits


# -- CSV export ----------------------------------------------------------------------------------

EXPORT_COLUMNS: tuple[str, ...] = (
    "Name",
    "First name",
    "Last name",
    "Title",
    "Department",
    "Seniority",
    "Company",
    "Company domain",
    "Email",
    "Email confidence",
    "Email verdict",
    "Other emails",
    "Phone",
    "Phone type",
    "Phone confidence",
    "Other phones",
    "City",
    "State",
    "Country",
    "LinkedIn",
    "Seamless contact id",
    "Search result id",
    "Status",
)
"""Columns of ``research_csv``, in order."""


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One researched record and its queue status, for the CSV export."""

    record: ResearchedContact | None
    status: str = ""
    search_result_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _percent(value: int | None) -> str:
    return "" if value is None else f"{value}%"


def _row(item: ExportRow) -> list[str]:
    record = item.record
    if record is None:
        return [""] * (len(EXPORT_COLUMNS) - 2) + [item.search_result_id or "", item.status]
    first, last = record.names()
    emails = record.emails
    phones = record.phones
    best = emails[0] if emails else None
    phone = phones[0] if phones else None
    location = record.contact_location
    return [
        record.display_name,
        first,
        last,
        record.title or "",
        record.department or "",
        record.seniority or "",
        record.company or "",
        record.company_domain or "",
        best.address if best else "",
        _percent(best.confidence) if best else "",
        str(best.validity or "") if best else "",
        "; ".join(e.address for e in emails[1:]),
        phone.number if phone else "",
        (phone.data_type or "") if phone else "",
        _percent(phone.confidence) if phone else "",
        "; ".join(p.number for p in phones[1:]),
        (location.city or "") if location else "",
        (location.state or "") if location else "",
        (location.country or "") if location else "",
        record.li_profile_url or "",
        record.contact_id or "",
        item.search_result_id or record.search_result_id or "",
        item.status,
    ]


def research_csv(rows: Iterable[ExportRow | ResearchedContact]) -> str:
    """The researched records as CSV text (header first; formula-like cells neutralised,
    as the contact export does)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for item in rows:
        row = ExportRow(item) if isinstance(item, ResearchedContact) else item
        writer.writerow([neutralize(cell) for cell in _row(row)])
    return out.getvalue()


__all__ = [
    "EXPORT_COLUMNS",
    "LEAD_SOURCE",
    "REFRESHED_FIELDS",
    "ExportRow",
    "LeadFields",
    "lead_fields",
    "merge_fields",
    "research_csv",
]
