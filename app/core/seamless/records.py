"""Wire models of Seamless.AI answers, read tolerantly, and the entry points that parse them.

Conventions (as ``app.core.models`` does for Seedly):

- snake_case attributes with the wire's camelCase as aliases (odd spellings
  such as ``lIProfileUrl`` and ``email1TotalAI`` are spelled out); either is
  accepted on input, ``to_wire()`` writes the wire form;
- unknown fields are kept (``extra="allow"``) and written back, so a record
  stored in the research ledger loses nothing a newer server added;
- everything the app does not depend on is optional; a field of the wrong
  type fails with a ``SeamlessInvalidResponse`` naming the record and field;
- the reader is tolerant of the obvious variants of each declared type
  (docs/api/seamless.md, "Types on the wire"), without losing the value: a
  number or numeric text (``Count``), an array or comma-separated text
  (``TextList``, ``IndustryList``), absent or ``null`` (the default), a
  ``"2026-03-03 12:34:07"`` or ISO 8601 time (``wire_time``), job history
  entries under either spelling (``JobHistoryEntry``);
- statuses are open: an unknown poll status is kept as text and classified
  as a terminal failure (``ResearchState.UNRECOGNISED``), never dropped.

Never call ``model_validate`` on server data: use ``parse``, ``parse_search_page``,
``parse_research_accepted``, ``parse_poll``, ``parse_org_page`` or ``parse_token``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar, cast

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from app.core.constants import SEAMLESS_INDUSTRY_GROUPS
from app.core.seamless_errors import SeamlessInvalidResponse

# -- field types ---------------------------------------------------------------------------


def _null_as_list(value: Any) -> Any:
    return [] if value is None else value


def _id_text(value: Any) -> Any:
    # Ids are opaque: some servers send numbers; they are compared as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _loose_text(value: Any) -> Any:
    # Display fields Seamless documents as text sometimes arrive as numbers ("sicCode": 7372).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


_NUMERIC = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _count(value: Any) -> Any:
    # The schema declares these as text ("487"); some servers send numbers. Numeric text
    # ("1,234" too) becomes a number; other text is kept as it came, never dropped.
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _NUMERIC.match(text):
            number = float(text.replace(",", ""))
            return int(number) if number.is_integer() else number
        return text
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


INDUSTRY_NAMES: frozenset[str] = frozenset(
    name for group, names in SEAMLESS_INDUSTRY_GROUPS for name in (group, *names)
)
"""Every industry (and group) name; some hold a comma ("Leisure, Travel & Tourism")."""


def split_list(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """Comma-separated text as a list, rejoining pieces that make a ``known`` value which
    itself holds a comma ("Leisure, Travel & Tourism" stays one item)."""
    parts = [p.strip() for p in text.split(",")]
    out: list[str] = []
    i = 0
    while i < len(parts):
        taken = 1
        for j in range(len(parts), i + 1, -1):
            if ", ".join(parts[i:j]) in known:
                taken = j - i
                break
        item = ", ".join(parts[i : i + taken])
        if item:
            out.append(item)
        i += taken
    return out


def _text_list(known: frozenset[str]) -> Any:
    def read(value: Any) -> Any:
        # An array (search) or comma-separated text (company records); null is empty.
        if value is None:
            return []
        if isinstance(value, str):
            return split_list(value, known)
        if isinstance(value, list):
            return [_loose_text(v) for v in value if v is not None]
        return value

    return read


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no", ""):
            return False
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def _alert(value: Any) -> Any:
    # "New Hire" | "New Promotion" | null; a bare boolean is read as a change or none.
    if isinstance(value, bool):
        return "Job change" if value else None
    if isinstance(value, str) and not value.strip():
        return None
    return _loose_text(value)


Id = Annotated[str, BeforeValidator(_id_text)]
"""An opaque id; a number is read as its text."""
OptId = Annotated[str | None, BeforeValidator(_id_text)]
OptText = Annotated[str | None, BeforeValidator(_loose_text)]
"""Optional display text; numbers are read as text."""
TextList = Annotated[list[str], BeforeValidator(_text_list(frozenset()))]
"""A list of strings: an array or comma-separated text; ``null`` reads as ``[]``."""
IndustryList = Annotated[list[str], BeforeValidator(_text_list(INDUSTRY_NAMES))]
"""Industries: an array or comma-separated text, names holding a comma kept whole."""
AnyList = Annotated[list[Any], BeforeValidator(_null_as_list)]
Count = Annotated[int | float | str | None, BeforeValidator(_count)]
"""A number the schema declares as text: a number or numeric text reads as a number; any
other text is kept as it came."""
Flag = Annotated[bool | None, BeforeValidator(_flag)]
"""A boolean, or its text ("true"/"false")."""
Alert = Annotated[str | None, BeforeValidator(_alert)]
"""``jobChangeAlert``: "New Hire", "New Promotion" or None."""


def count_value(value: int | float | str | None) -> int | None:
    """A ``Count`` as a whole number, or None when it was not numeric."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    return int(value)


def wire_time(text: str | None) -> datetime | None:
    """A time as Seamless writes it, aware (UTC when no zone is given): ISO 8601 with ``Z``
    or an offset, ``"2026-03-03 12:34:07"`` (a space, no zone) or a date alone; None when
    missing or unreadable."""
    if not text or not text.strip():
        return None
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def year_of(text: str | None) -> str | None:
    """The year of a date or a year ("2004-01-01" and "2004" → "2004")."""
    if not text:
        return None
    head = text.strip()[:4]
    return head if len(head) == 4 and head.isdigit() else text.strip() or None


M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound="SeamlessModel")


class SeamlessModel(BaseModel):
    """Base of every Seamless response model: camelCase aliases, unknown fields kept."""

    # Schemas are built on first use (see WireModel): not at every start-up.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", defer_build=True
    )

    resource_name: ClassVar[str] = "record"
    """What the model is called in messages ("a researched contact")."""

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready wire form: the fields the server sent (camelCase, unknown ones
        included), so a stored record reads back as it arrived."""
        return self.model_dump(by_alias=True, mode="json", exclude_unset=True)

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields the server sent that this model does not declare."""
        return dict(self.model_extra or {})


# -- confidence ----------------------------------------------------------------------------


def parse_confidence(value: Any) -> int | None:
    """A confidence as a whole percentage: ``"97%"`` → 97, ``97`` → 97, ``0.97`` → 97;
    None when missing or unreadable (shown as "unknown", never as 0)."""
    if value is None or isinstance(value, bool):
        return None
    number: float
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().rstrip("%").strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        if "%" in value:
            return max(0, min(100, round(number)))
    else:
        return None
    if not math.isfinite(number):
        return None
    if 0 < number <= 1 and not float(number).is_integer():
        number *= 100  # a share, not a percentage
    return max(0, min(100, round(number)))


class EmailValidity(StrEnum):
    """Seamless's ``EmailAI`` verdict on an address."""

    VALID = "valid"
    INVALID = "invalid"
    RISKY = "risky"


def _validity(value: Any) -> EmailValidity | str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    try:
        return EmailValidity(text)
    except ValueError:
        return text  # a verdict this build does not know: kept and shown as is


@dataclass(frozen=True, slots=True)
class EmailEntry:
    """One address of a researched contact, with what Seamless says about it."""

    address: str
    source: str
    """Wire field it came from: ``email``, ``email1``…, ``personalEmail``."""
    confidence: int | None
    """``TotalAI`` confidence in percent, when given."""
    validity: EmailValidity | str | None
    """``EmailAI`` verdict (valid/invalid/risky), when given."""

    @property
    def personal(self) -> bool:
        """A personal (not work) address."""
        return self.source == "personalEmail"

    @property
    def invalid(self) -> bool:
        """Seamless judged the address undeliverable."""
        return self.validity == EmailValidity.INVALID


@dataclass(frozen=True, slots=True)
class PhoneEntry:
    """One phone number of a researched contact or its company, as Seamless wrote it."""

    number: str
    source: str
    """Wire field: ``contactPhone1``…, ``companyPhone1``…"""
    confidence: int | None
    data_type: str | None
    """``mobile``, ``main``, … (open)."""

    @property
    def company(self) -> bool:
        """The company's switchboard rather than the person's line."""
        return self.source.startswith("companyPhone")


# -- search --------------------------------------------------------------------------------


class SupplementalData(SeamlessModel):
    """Paging of a search answer; ``next_token`` is None on the last page."""

    resource_name: ClassVar[str] = "page summary"

    is_more: bool = False
    total: int | None = None
    per_page: int | None = None
    next_token: str | None = None


class ContactSearchResult(SeamlessModel):
    """One row of ``POST /search/contacts`` (no email or phone: those come from research)."""

    resource_name: ClassVar[str] = "contact search result"

    search_result_id: Id
    name: OptText = None
    first_name: OptText = None
    middle_name: OptText = None
    last_name: OptText = None
    company: OptText = None
    title: OptText = None
    department: OptText = None
    seniority: OptText = None
    domain: OptText = None
    city: OptText = None
    state: OptText = None
    country: OptText = None
    company_city: OptText = None
    company_state: OptText = None
    company_country: OptText = None
    li_url: OptText = None
    company_li_profile_url: OptText = Field(default=None, alias="companyLIProfileUrl")
    sic_code: OptText = None
    industries: IndustryList = Field(default_factory=list)
    technologies: TextList = Field(default_factory=list)
    employee_size_range: OptText = None
    company_revenue: OptText = None
    timezone: OptText = None
    title_started_at: OptText = None
    started_at_current_company: OptText = None
    time_at_role: OptText = None
    time_at_company: OptText = None
    contact_current_company_years: OptText = None
    job_change_alert: Alert = None
    former_company: OptText = None
    former_title: OptText = None
    former_started_at: OptText = None
    former_ended_at: OptText = None
    company_type: OptText = None
    stock_ticker: OptText = None
    last_modified_at: OptText = None

    @property
    def moved(self) -> bool:
        """Seamless flags a recent job change (a new hire or a promotion)."""
        return bool(self.job_change_alert)

    @property
    def last_modified(self) -> datetime | None:
        """``lastModifiedAt`` as a time (either wire form)."""
        return wire_time(self.last_modified_at)

    @property
    def display_name(self) -> str:
        """The person's name for the table."""
        joined = " ".join(p for p in (self.first_name, self.last_name) if p and p.strip())
        return (self.name or "").strip() or joined or "Unnamed contact"

    @property
    def location(self) -> str:
        """City, state, country of the person."""
        return ", ".join(p for p in (self.city, self.state, self.country) if p)


class CompanySearchResult(SeamlessModel):
    """One row of ``POST /search/companies``."""

    resource_name: ClassVar[str] = "company search result"

    search_result_id: Id
    name: OptText = None
    domain: OptText = None
    description: OptText = None
    street1: OptText = None
    street2: OptText = None
    street3: OptText = None
    city: OptText = None
    state: OptText = None
    post_code: OptText = None
    country: OptText = None
    li_url: OptText = None
    sic_code: OptText = None
    linked_in_id: OptText = None
    industries: IndustryList = Field(default_factory=list)
    revenue_range: OptText = None
    annual_revenue: Count = None
    staff_count_range: OptText = None
    employee_count: Count = None
    num_contacts: Count = None
    technologies: TextList = Field(default_factory=list)
    founded_on: OptText = None
    latest_funding_date: OptText = None
    latest_funding_classification: OptText = None
    funding_total: Count = None
    company_type: OptText = None
    stock_ticker: OptText = None

    @property
    def founded_year(self) -> str | None:
        """The year founded ("2004"), from a date or a year."""
        return year_of(self.founded_on)

    @property
    def display_name(self) -> str:
        """The company's name for the table."""
        return (self.name or "").strip() or (self.domain or "") or "Unnamed company"


T = TypeVar("T", bound=SeamlessModel)


class SearchPage(SeamlessModel, Generic[T]):
    """One page of search results and its ``supplementalData``."""

    resource_name: ClassVar[str] = "search page"

    data: list[T] = Field(default_factory=list)
    supplemental_data: SupplementalData = Field(default_factory=SupplementalData)

    @property
    def next_token(self) -> str | None:
        """The cursor of the next page, or None when this is the last."""
        meta = self.supplemental_data
        return meta.next_token if meta.next_token and meta.is_more else None

    @property
    def has_more(self) -> bool:
        """Whether another page can be fetched."""
        return self.next_token is not None

    @property
    def total(self) -> int | None:
        """How many results the whole search has, when Seamless says."""
        return self.supplemental_data.total


# -- research ------------------------------------------------------------------------------


class ResearchAccepted(SeamlessModel):
    """``202 {"success": true, "requestIds": [...]}``: one request id per record."""

    resource_name: ClassVar[str] = "research confirmation"

    success: bool = True
    request_ids: Annotated[list[Id], BeforeValidator(_null_as_list)] = Field(default_factory=list)


class ResearchState(StrEnum):
    """What a poll status means to the app (the status text itself is kept beside it)."""

    QUEUED = "queued"
    RESEARCHING = "researching"
    DONE = "done"
    DUPLICATE = "duplicate"
    """Already researched by this user: the existing record, not charged again."""
    NOT_FOUND = "not_found"
    FAILED = "failed"
    UNRECOGNISED = "unrecognised"
    """A status this build does not know: a terminal failure, shown with its text."""

    @property
    def terminal(self) -> bool:
        """No further poll will change it."""
        return self not in (ResearchState.QUEUED, ResearchState.RESEARCHING)

    @property
    def holds_record(self) -> bool:
        """The poll item carries the researched record."""
        return self in (ResearchState.DONE, ResearchState.DUPLICATE)

    @property
    def failed(self) -> bool:
        """Ended without a record."""
        return self in (ResearchState.NOT_FOUND, ResearchState.FAILED, ResearchState.UNRECOGNISED)


_STATES: dict[str, ResearchState] = {
    "queued": ResearchState.QUEUED,
    "researching": ResearchState.RESEARCHING,
    "done": ResearchState.DONE,
    "duplicate": ResearchState.DUPLICATE,
    "contact-already-researched": ResearchState.DUPLICATE,
    "company-already-researched": ResearchState.DUPLICATE,
    "missing": ResearchState.NOT_FOUND,
    "not found": ResearchState.NOT_FOUND,
    "error": ResearchState.FAILED,
    "no license or credits available": ResearchState.FAILED,
}


def research_state(status: str | None) -> ResearchState:
    """Classify a poll status (case and surrounding spaces ignored). Unknown values are
    ``UNRECOGNISED``: terminal failures (docs/api/seamless.md, "Research")."""
    if not status:
        return ResearchState.UNRECOGNISED
    return _STATES.get(" ".join(status.strip().lower().split()), ResearchState.UNRECOGNISED)


def status_text(status: str | None, message: str | None = None) -> str:
    """A sentence for a poll status, for the queue panel and the results table."""
    state = research_state(status)
    detail = f" Seamless.AI said: {message.strip()}" if message and message.strip() else ""
    if detail and detail[-1] not in ".!?":
        detail += "."
    texts = {
        ResearchState.QUEUED: "Waiting in Seamless.AI's queue.",
        ResearchState.RESEARCHING: "Being researched.",
        ResearchState.DONE: "Researched.",
        ResearchState.DUPLICATE: "Already researched earlier: the existing record, not charged again.",
        ResearchState.NOT_FOUND: "Seamless.AI found nothing for this record.",
    }
    if state in texts:
        return texts[state] + (detail if state.failed else "")
    if status and status.strip().lower() == "no license or credits available":
        return (
            "Not researched: no API license or credits were available. Check the credit "
            f"balance and the key owner's license.{detail}"
        )
    if state is ResearchState.FAILED:
        return f"Research failed on Seamless.AI's side.{detail}"
    return (
        f"Seamless.AI answered with an unknown status “{status or ''}”; treated as failed.{detail}"
    )


class Location(SeamlessModel):
    """``contactLocation`` / ``companyLocation`` of a contact, ``location`` of a company."""

    resource_name: ClassVar[str] = "location"

    street1: OptText = None
    street2: OptText = None
    city: OptText = None
    state: OptText = None
    state_abbr: OptText = None
    post_code: OptText = None
    country: OptText = None
    country_abbr: OptText = None
    country_alpha2: OptText = None
    country_alpha3: OptText = None
    country_numeric: Count = None
    timezone: OptText = None
    timezone_raw_offset: OptText = None
    full_string: OptText = None


class JobHistoryEntry(SeamlessModel):
    """One job of a researched contact's ``jobHistory`` (``{companyName, title, startedAt,
    endedAt}``; the spellings ``company``, ``startDate``, ``endDate`` are read too)."""

    resource_name: ClassVar[str] = "job history entry"

    company_name: OptText = Field(
        default=None,
        validation_alias=AliasChoices("companyName", "company", "company_name"),
        serialization_alias="companyName",
    )
    title: OptText = None
    started_at: OptText = Field(
        default=None,
        validation_alias=AliasChoices("startedAt", "startDate", "started_at"),
        serialization_alias="startedAt",
    )
    ended_at: OptText = Field(
        default=None,
        validation_alias=AliasChoices("endedAt", "endDate", "ended_at"),
        serialization_alias="endedAt",
    )

    @property
    def current(self) -> bool:
        """The job the person holds now (it has no end)."""
        return not self.ended_at


def _history(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return value


_EMAIL_RE = re.compile(r"^email(\d+)$")
_CONTACT_PHONE_RE = re.compile(r"^contactPhone(\d+)$")
_COMPANY_PHONE_RE = re.compile(r"^companyPhone(\d+)$")


def _numbered(wire: Mapping[str, Any], pattern: re.Pattern[str]) -> list[tuple[int, str, str]]:
    found = []
    for key, value in wire.items():
        match = pattern.match(key)
        if match and isinstance(value, str) and value.strip():
            found.append((int(match.group(1)), key, value.strip()))
    return sorted(found)


class ResearchedContact(SeamlessModel):
    """A researched contact (poll ``contact``, the ``contact-researched`` webhook body, and
    ``GET /contacts``). Use ``emails`` and ``phones`` rather than the numbered fields:
    they also read numbered fields beyond the documented ones."""

    resource_name: ClassVar[str] = "researched contact"

    contact_id: OptId = None
    search_result_id: OptId = None
    first_name: OptText = None
    middle_name: OptText = None
    last_name: OptText = None
    full_name: OptText = None
    name: OptText = None
    email: OptText = None
    personal_email: OptText = None
    email1: OptText = None
    email1_total_ai: Any = Field(default=None, alias="email1TotalAI")
    email1_email_ai: Any = Field(default=None, alias="email1EmailAI")
    email2: OptText = None
    email2_total_ai: Any = Field(default=None, alias="email2TotalAI")
    email2_email_ai: Any = Field(default=None, alias="email2EmailAI")
    email3: OptText = None
    email3_total_ai: Any = Field(default=None, alias="email3TotalAI")
    email3_email_ai: Any = Field(default=None, alias="email3EmailAI")
    contact_phone1: OptText = None
    contact_phone1_total_ai: Any = Field(default=None, alias="contactPhone1TotalAI")
    contact_phone1_data_type: OptText = Field(default=None, alias="contactPhone1DataType")
    contact_phone2: OptText = None
    contact_phone2_total_ai: Any = Field(default=None, alias="contactPhone2TotalAI")
    contact_phone2_data_type: OptText = Field(default=None, alias="contactPhone2DataType")
    company_phone1: OptText = None
    company_phone2: OptText = None
    company_phone3: OptText = None
    company: OptText = None
    company_domain: OptText = None
    company_industry: OptText = None
    company_staff_count: Count = None
    company_staff_count_range: OptText = None
    company_annual_revenue: Count = None
    company_revenue_range: OptText = None
    company_founded: OptText = None
    company_description: OptText = None
    title: OptText = None
    department: OptText = None
    seniority: OptText = None
    li_profile_url: OptText = Field(default=None, alias="lIProfileUrl")
    contact_location: Location | None = None
    company_location: Location | None = None
    website: OptText = None
    job_history: Annotated[list[JobHistoryEntry], BeforeValidator(_history)] = Field(
        default_factory=list
    )
    job_change_alert: Alert = None
    former_company: OptText = None
    former_title: OptText = None
    company_type: OptText = None
    stock_ticker: OptText = None
    email1_selected: Flag = Field(default=None, alias="email1Selected")
    api_research_id: OptId = None
    created_at: OptText = None
    updated_at: OptText = None

    @property
    def updated(self) -> datetime | None:
        """When Seamless last researched the record (``updatedAt``), or None."""
        return wire_time(self.updated_at) or wire_time(self.created_at)

    @property
    def previous_job(self) -> JobHistoryEntry | None:
        """The latest job that ended (``jobHistory``), else the former company and title
        fields; None when neither is known."""
        ended = [job for job in self.job_history if not job.current and job.company_name]
        if ended:
            return ended[0]
        if self.former_company:
            return JobHistoryEntry(company_name=self.former_company, title=self.former_title)
        return None

    @property
    def display_name(self) -> str:
        """The person's name for lists."""
        for candidate in (self.full_name, self.name):
            if candidate and candidate.strip():
                return candidate.strip()
        joined = " ".join(p for p in (self.first_name, self.last_name) if p and p.strip())
        return joined or self.email or "Unnamed contact"

    def names(self) -> tuple[str, str]:
        """First and last name; split from the full name when only that is given."""
        first = (self.first_name or "").strip()
        last = (self.last_name or "").strip()
        if first or last:
            return first, last
        full = (self.full_name or self.name or "").strip().split()
        if not full:
            return "", ""
        if len(full) == 1:
            return full[0], ""
        return " ".join(full[:-1]), full[-1]

    @property
    def emails(self) -> list[EmailEntry]:
        """Every address, best first: ``email``, then ``email1``…, then ``personalEmail``;
        each address once (case-insensitive), with its confidence and verdict."""
        wire = self.to_wire()
        numbered = _numbered(wire, _EMAIL_RE)
        scores: dict[str, tuple[int | None, EmailValidity | str | None]] = {}
        for n, _key, address in numbered:
            scores.setdefault(
                address.casefold(),
                (
                    parse_confidence(wire.get(f"email{n}TotalAI")),
                    _validity(wire.get(f"email{n}EmailAI")),
                ),
            )
        ordered: list[tuple[str, str]] = []
        if self.email and self.email.strip():
            ordered.append(("email", self.email.strip()))
        ordered.extend((key, address) for _n, key, address in numbered)
        if self.personal_email and self.personal_email.strip():
            ordered.append(("personalEmail", self.personal_email.strip()))
        seen: set[str] = set()
        result: list[EmailEntry] = []
        for source, address in ordered:
            key = address.casefold()
            if key in seen:
                continue
            seen.add(key)
            confidence, validity = scores.get(key, (None, None))
            result.append(EmailEntry(address, source, confidence, validity))
        return result

    @property
    def phones(self) -> list[PhoneEntry]:
        """The person's numbers (``contactPhoneN``, with confidence and type), then the
        company's (``companyPhoneN``), each as Seamless wrote it."""
        wire = self.to_wire()
        result = [
            PhoneEntry(
                number,
                key,
                parse_confidence(wire.get(f"contactPhone{n}TotalAI")),
                _text_or_none(wire.get(f"contactPhone{n}DataType")),
            )
            for n, key, number in _numbered(wire, _CONTACT_PHONE_RE)
        ]
        result.extend(
            PhoneEntry(number, key, None, "company")
            for _n, key, number in _numbered(wire, _COMPANY_PHONE_RE)
        )
        return result

    @property
    def best_email(self) -> EmailEntry | None:
        """The first address Seamless did not judge invalid."""
        return next((e for e in self.emails if not e.invalid), None)

    @property
    def key(self) -> str | None:
        """The id the research ledger files it under: the search result id, else the
        contact id."""
        return self.search_result_id or self.contact_id


def _text_or_none(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class ResearchedCompany(SeamlessModel):
    """A researched company (poll ``company``, ``company-researched`` webhook, ``GET /companies``)."""

    resource_name: ClassVar[str] = "researched company"

    company_id: OptId = None
    search_result_id: OptId = None
    name: OptText = None
    domain: OptText = None
    description: OptText = None
    phones: TextList = Field(default_factory=list)
    phones_ai_scores: TextList = Field(default_factory=list)
    industries: IndustryList = Field(default_factory=list)
    staff_count: Count = None
    staff_count_range: OptText = None
    annual_revenue: Count = None
    revenue_range: OptText = None
    funding_total: Count = None
    sic_code: OptText = None
    founded_on: OptText = None
    location: Location | None = None
    top_technologies: TextList = Field(default_factory=list)
    linked_in_profile_url: OptText = None
    company_type: OptText = None
    stock_ticker: OptText = None

    @property
    def founded_year(self) -> str | None:
        """The year founded ("2004")."""
        return year_of(self.founded_on)

    @property
    def display_name(self) -> str:
        """The company's name for lists."""
        return (self.name or "").strip() or (self.domain or "") or "Unnamed company"

    @property
    def key(self) -> str | None:
        """The id the research ledger files it under."""
        return self.search_result_id or self.company_id


class _PollItem(SeamlessModel):
    request_id: Id
    search_result_id: OptId = None
    status: Annotated[str, BeforeValidator(lambda v: "" if v is None else v)] = ""
    message: OptText = None
    additional_data: Any = None

    @property
    def state(self) -> ResearchState:
        """What the status means (unknown statuses are terminal failures)."""
        return research_state(self.status)

    @property
    def status_text(self) -> str:
        """A sentence for the user."""
        return status_text(self.status, self.message)


class ContactPollItem(_PollItem):
    """One item of ``GET /contacts/research/poll``."""

    resource_name: ClassVar[str] = "contact research status"

    contact: ResearchedContact | None = None

    @property
    def record(self) -> ResearchedContact | None:
        """The researched contact, when the status carries one."""
        return self.contact


class CompanyPollItem(_PollItem):
    """One item of ``GET /companies/research/poll``."""

    resource_name: ClassVar[str] = "company research status"

    company: ResearchedCompany | None = None

    @property
    def record(self) -> ResearchedCompany | None:
        """The researched company, when the status carries one."""
        return self.company


class OrgPage(SeamlessModel, Generic[T]):
    """One page of ``GET /contacts`` or ``GET /companies`` (the org's researched records).

    The API names the parameters but not the answer's paging fields
    (docs/api/seamless.md, "Already-researched records"), so
    ``has_more`` reads ``supplementalData.isMore`` when present, else assumes
    more while a page comes back full."""

    resource_name: ClassVar[str] = "page of researched records"

    data: list[T] = Field(default_factory=list)
    supplemental_data: SupplementalData | None = None
    page: int = 1
    limit: int = 0

    @property
    def has_more(self) -> bool:
        """Whether the next page may hold more records."""
        meta = self.supplemental_data
        if meta is not None and "is_more" in meta.model_fields_set:
            return meta.is_more
        return bool(self.limit) and len(self.data) >= self.limit


def _expires_epoch(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) / 1000.0 if value > 1e12 else float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return _expires_epoch(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return value
        return parsed.timestamp()
    return value


class OAuthToken(SeamlessModel):
    """The answer of ``POST /oauth/accessToken``. ``expires_at`` is epoch seconds (epoch
    milliseconds and ISO 8601 are also understood)."""

    resource_name: ClassVar[str] = "access token"

    access_token: str
    refresh_token: str | None = None
    expires_at: Annotated[float | None, BeforeValidator(_expires_epoch)] = None

    def __repr__(self) -> str:  # tokens never reach a log through repr
        return f"OAuthToken(access_token='…', expires_at={self.expires_at!r})"

    __str__ = __repr__


# -- parsing -------------------------------------------------------------------------------

_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "none", "list", "dict"})


def _loc_path(loc: Sequence[int | str], prefix: str) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part or part in _TYPE_TAGS or part.startswith("function-"):
            continue
        else:
            path = f"{path}.{part}" if path else part
    return path


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _resource(model_type: type[BaseModel]) -> str:
    name = getattr(model_type, "resource_name", None)
    return name if isinstance(name, str) else model_type.__name__


def _invalid(
    model_type: type[BaseModel], exc: ValidationError, where: str
) -> SeamlessInvalidResponse:
    problems: dict[str, tuple[str, Any]] = {}
    for error in exc.errors(include_url=False):
        path = _loc_path(error["loc"], where) or "(the whole object)"
        problems[path] = (error["msg"], error.get("input"))
    resource = _resource(model_type)
    field, (msg, got) = next(iter(problems.items()))
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    got_text = "" if msg.startswith("Field required") else f", got {_short(got)}"
    return SeamlessInvalidResponse(
        f"Seamless.AI sent {_article(resource)} that does not match the contract: "
        f"{field}: {msg}{got_text}{more}",
        resource=resource,
        field=field,
        details={"problems": {k: v[0] for k, v in problems.items()}},
    )


def parse(model_type: type[M], data: Any, *, where: str = "") -> M:
    """``data`` (decoded JSON) as a ``model_type``; ``SeamlessInvalidResponse`` otherwise."""
    try:
        return model_type.model_validate(data)
    except ValidationError as exc:
        raise _invalid(model_type, exc, where) from exc


def _not_an_object(what: str, body: Any) -> SeamlessInvalidResponse:
    return SeamlessInvalidResponse(
        f"Seamless.AI sent {_short(body)} where {what} was expected.", resource=what
    )


def _items(item_type: type[M], items: Any, where: str) -> list[M]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise _not_an_object(f"a list of {_resource(item_type)} records", items)
    return [parse(item_type, item, where=f"{where}[{i}]") for i, item in enumerate(items)]


def parse_search_page(item_type: type[T], body: Any) -> SearchPage[T]:
    """A search answer (``{"data": [...], "supplementalData": {...}}``)."""
    if not isinstance(body, Mapping):
        raise _not_an_object("a page of search results", body)
    records = _items(item_type, body.get("data"), "data")
    meta = parse(SupplementalData, body.get("supplementalData") or {}, where="supplementalData")
    extras = {k: v for k, v in body.items() if k not in ("data", "supplementalData")}
    return cast(
        SearchPage[T], SearchPage.model_construct(data=records, supplemental_data=meta, **extras)
    )


def parse_research_accepted(body: Any) -> ResearchAccepted:
    """The ``202`` answer of a research request."""
    if not isinstance(body, Mapping):
        raise _not_an_object("a research confirmation", body)
    accepted = parse(ResearchAccepted, body)
    if not accepted.success:
        raise SeamlessInvalidResponse(
            "Seamless.AI answered the research request with success: false and no error.",
            resource=ResearchAccepted.resource_name,
            field="success",
        )
    return accepted


PollT = TypeVar("PollT", ContactPollItem, CompanyPollItem)


def parse_poll(item_type: type[PollT], body: Any) -> list[PollT]:
    """A poll answer (``{"success": true, "data": [...]}``; a bare list is accepted)."""
    if isinstance(body, list):
        return _items(item_type, body, "data")
    if not isinstance(body, Mapping):
        raise _not_an_object("a list of research statuses", body)
    return _items(item_type, body.get("data"), "data")


def parse_org_page(item_type: type[T], body: Any, *, page: int, limit: int) -> OrgPage[T]:
    """A page of ``GET /contacts`` / ``GET /companies`` (an envelope or a bare list)."""
    if isinstance(body, list):
        records = _items(item_type, body, "data")
        return cast(OrgPage[T], OrgPage.model_construct(data=records, page=page, limit=limit))
    if not isinstance(body, Mapping):
        raise _not_an_object("a page of researched records", body)
    records = _items(item_type, body.get("data"), "data")
    meta_raw = body.get("supplementalData")
    meta = (
        parse(SupplementalData, meta_raw, where="supplementalData")
        if isinstance(meta_raw, Mapping)
        else None
    )
    return cast(
        OrgPage[T],
        OrgPage.model_construct(data=records, supplemental_data=meta, page=page, limit=limit),
    )


def parse_token(body: Any) -> OAuthToken:
    """The token endpoint's answer (``data``-wrapped answers are accepted too)."""
    if (
        isinstance(body, Mapping)
        and "access_token" not in body
        and isinstance(body.get("data"), Mapping)
    ):
        body = body["data"]
    if not isinstance(body, Mapping):
        raise _not_an_object("an access token", body)
    try:
        return OAuthToken.model_validate(body)
    except ValidationError as exc:
        # Never let pydantic echo a token back into a message: name the fields only.
        fields = sorted({_loc_path(e["loc"], "") for e in exc.errors(include_url=False)})
        raise SeamlessInvalidResponse(
            "Seamless.AI sent an access token answer that does not match the contract "
            f"(fields: {', '.join(fields)}).",
            resource=OAuthToken.resource_name,
            field=fields[0] if fields else None,
        ) from None


__all__ = [
    "INDUSTRY_NAMES",
    "Alert",
    "CompanyPollItem",
    "CompanySearchResult",
    "Count",
    "Flag",
    "IndustryList",
    "JobHistoryEntry",
    "TextList",
    "ContactPollItem",
    "ContactSearchResult",
    "EmailEntry",
    "EmailValidity",
    "Location",
    "OAuthToken",
    "OrgPage",
    "PhoneEntry",
    "ResearchAccepted",
    "ResearchState",
    "ResearchedCompany",
    "ResearchedContact",
    "SearchPage",
    "SeamlessModel",
    "SupplementalData",
    "parse",
    "parse_confidence",
    "parse_org_page",
    "parse_poll",
    "parse_research_accepted",
    "parse_search_page",
    "parse_token",
    "count_value",
    "research_state",
    "split_list",
    "status_text",
    "wire_time",
    "year_of",
]
