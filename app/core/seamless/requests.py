"""Request bodies of the Seamless.AI API, checked before anything is sent.

Build them with ``build(Model, data, **fields)`` (``app.core.payloads.build``):
wire (camelCase) or Python names are accepted, lists are trimmed and
de-duplicated, closed values are matched case-insensitively and written in the
documented spelling, and every problem is reported at once in one
``ValidationFailed`` (``errors``: wire field → sentence). The limits and value
lists come from ``filters.py`` (``FilterSpec``), the same data the filter
panel is built from.

``to_body()`` leaves out filters that are not set (and empty lists): a
search sends only what the user chose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Self

from pydantic import Field

from app.core.payloads import RequestModel, build
from app.core.seamless.filters import (
    COMPANY_FILTERS,
    CONTACT_FILTERS,
    JOB_CHANGE_RANGES,
    JOB_CHANGE_TYPES,
    MAX_RESEARCH_RECORDS,
    FilterSpec,
)

# -- shared checks ---------------------------------------------------------------------------


def _snake(wire: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in wire)


def _take(data: dict[str, Any], wire: str) -> tuple[str | None, Any]:
    """The key (wire or Python spelling) under which ``data`` holds ``wire``, and its value."""
    for key in (wire, _snake(wire)):
        if key in data:
            return key, data[key]
    return None, None


def _canonical(value: str, allowed: tuple[str, ...]) -> str | None:
    folded = value.casefold()
    for item in allowed:
        if item.casefold() == folded:
            return item
    return None


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def _clean_list(value: Any) -> list[Any] | None:
    """Items trimmed, blanks and repeats (case-insensitive) dropped; a lone string is one
    item; None when ``value`` is not a list at all."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [str(value)]
    if not isinstance(value, list | tuple):
        return None
    seen: set[str] = set()
    result: list[Any] = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if isinstance(item, str):
            item = item.strip()
            if not item or item.casefold() in seen:
                continue
            seen.add(item.casefold())
        result.append(item)
    return result


def _check_list(spec: FilterSpec, value: Any, errors: dict[str, str]) -> list[Any] | None:
    items = _clean_list(value)
    if items is None:
        errors[spec.wire] = f"{spec.label} must be a list of values."
        return None
    if any(not isinstance(i, str) for i in items):
        errors[spec.wire] = f"{spec.label} must be a list of words or phrases."
        return None
    if spec.values is not None:
        canonical: list[Any] = []
        unknown: list[str] = []
        for item in items:
            known = _canonical(item, spec.values)
            if known is None:
                unknown.append(item)
            elif known not in canonical:
                canonical.append(known)
        if unknown:
            errors[spec.wire] = (
                f"{spec.label}: “{unknown[0]}” is not one of the values Seamless.AI accepts "
                f"({_choices(spec.values)})."
            )
            return None
        items = canonical
    if spec.max_items is not None and len(items) > spec.max_items:
        errors[spec.wire] = (
            f"Choose at most {spec.max_items} {spec.noun} ({len(items)} are chosen)."
            if spec.max_items > 1
            else f"Choose one {spec.label.lower()} at most ({len(items)} are chosen)."
        )
        return None
    return items


def _check_choice(spec: FilterSpec, value: Any, errors: dict[str, str]) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[spec.wire] = f"{spec.label} must be one of {_choices(spec.values or ())}."
        return None
    text = value.strip()
    if not text:
        return None
    known = _canonical(text, spec.values or ())
    if known is None:
        errors[spec.wire] = f"{spec.label} must be one of {_choices(spec.values or ())}."
        return None
    return known


def _check_date(spec: FilterSpec, value: Any, errors: dict[str, str]) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            errors[spec.wire] = f"{spec.label} must be a date like 2026-01-31."
            return None
        return text
    errors[spec.wire] = f"{spec.label} must be a date like 2026-01-31."
    return None


def _check_job_changes(spec: FilterSpec, value: Any, errors: dict[str, str]) -> Any:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors[spec.wire] = f"{spec.label} needs a change type and a period."
        return None
    raw = dict(value)
    _, change = _take(raw, "changeType")
    _, period = _take(raw, "dayRange")
    result: dict[str, Any] = {}
    known = _canonical(change.strip(), JOB_CHANGE_TYPES) if isinstance(change, str) else None
    if known is None:
        errors[f"{spec.wire}.changeType"] = (
            f"Choose the kind of job change: {_choices(JOB_CHANGE_TYPES)}."
        )
    else:
        result["changeType"] = known
    if period is not None:
        known_period = (
            _canonical(period.strip(), JOB_CHANGE_RANGES) if isinstance(period, str) else None
        )
        if known_period is None:
            errors[f"{spec.wire}.dayRange"] = (
                f"The job change period must be one of {_choices(JOB_CHANGE_RANGES)}."
            )
        else:
            result["dayRange"] = known_period
    return result


def _check_past_company(spec: FilterSpec, value: Any, errors: dict[str, str]) -> Any:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors[spec.wire] = f"{spec.label} needs at least one company name."
        return None
    raw = dict(value)
    _, names = _take(raw, "names")
    _, most_recent = _take(raw, "onlyMostRecentDeparture")
    items = _clean_list(names) if names is not None else []
    if not items or any(not isinstance(i, str) for i in items):
        errors[f"{spec.wire}.names"] = "Enter at least one past company name."
        return None
    limit = spec.max_items or 100
    if len(items) > limit:
        errors[f"{spec.wire}.names"] = (
            f"Choose at most {limit} past companies ({len(items)} are chosen)."
        )
        return None
    result: dict[str, Any] = {"names": items}
    if most_recent is not None:
        if not isinstance(most_recent, bool):
            errors[f"{spec.wire}.onlyMostRecentDeparture"] = (
                "“Only the most recent departure” must be on or off."
            )
        else:
            result["onlyMostRecentDeparture"] = most_recent
    return result


_CHECKS = {
    "list": _check_list,
    "choice": _check_choice,
    "date": _check_date,
    "job_changes": _check_job_changes,
    "past_company": _check_past_company,
}


def _check_specs(
    specs: tuple[FilterSpec, ...], data: dict[str, Any], errors: dict[str, str]
) -> None:
    for spec in specs:
        key, value = _take(data, spec.wire)
        if key is None or spec.kind == "flag":
            continue
        checked = _CHECKS[spec.kind](spec, value, errors)
        data[key] = checked


def _drop_empty(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None and v != [] and v != {}}


# -- search ------------------------------------------------------------------------------------


class JobChanges(RequestModel):
    """``jobChanges``: people who changed job recently."""

    change_type: str
    day_range: str | None = None


class PastCompany(RequestModel):
    """``pastCompany``: people who left one of these companies."""

    names: list[str] = Field(min_length=1, max_length=100)
    only_most_recent_departure: bool | None = None


class _Search(RequestModel):
    """What both searches share: the cursor and the page size."""

    specs: ClassVar[tuple[FilterSpec, ...]] = ()

    next_token: str | None = None
    limit: int | None = None

    @classmethod
    def _prepare(cls, data: dict[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        _check_specs(cls.specs, data, errors)
        key, limit = _take(data, "limit")
        if (key is not None and limit is not None) and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            errors["limit"] = "The page size must be a whole number of at least 1."
        return errors

    def to_body(self) -> dict[str, Any]:
        """The JSON body: only the filters that are set (no empty lists)."""
        return _drop_empty(self.model_dump(by_alias=True, exclude_none=True, mode="json"))

    def filters(self) -> dict[str, Any]:
        """The body without paging (what identifies "the same search")."""
        body = self.to_body()
        body.pop("nextToken", None)
        body.pop("limit", None)
        return body

    def page(self, next_token: str | None) -> Self:
        """The same search at another page (``None``: the first)."""
        return self.model_copy(update={"next_token": next_token})

    @property
    def has_filters(self) -> bool:
        """Whether any filter is set (a search without filters returns everything)."""
        return bool(self.filters())


class ContactSearch(_Search):
    """Body of ``POST /search/contacts`` (every filter optional; ``CONTACT_FILTERS``)."""

    specs: ClassVar[tuple[FilterSpec, ...]] = CONTACT_FILTERS
    labels: ClassVar[dict[str, str]] = {s.wire: s.label for s in CONTACT_FILTERS}

    job_title: list[str] | None = None
    full_name: list[str] | None = None
    contact_keyword: list[str] | None = None
    seniority: list[str] | None = None
    department: list[str] | None = None
    industry: list[str] | None = None
    company_name: list[str] | None = None
    company_name_search_type: str | None = None
    company_domain: list[str] | None = None
    contact_country: list[str] | None = None
    contact_state: list[str] | None = None
    contact_zip_code: list[str] | None = None
    location_type: str | None = None
    company_size: list[str] | None = None
    company_revenue: list[str] | None = None
    company_founded_on: list[str] | None = None
    technologies: list[str] | None = None
    technologies_is_or: bool | None = None
    job_changes: JobChanges | None = None
    past_company: PastCompany | None = None
    company_type: str | None = None
    last_modified_after: str | None = None
    last_modified_before: str | None = None
    news_types: list[str] | None = None
    news_type_dates: list[str] | None = None
    company_latest_funding_dates: list[str] | None = None
    company_latest_funding_classifications: list[str] | None = None
    company_latest_funding_totals: list[str] | None = None


class CompanySearch(_Search):
    """Body of ``POST /search/companies`` (every filter optional; ``COMPANY_FILTERS``)."""

    specs: ClassVar[tuple[FilterSpec, ...]] = COMPANY_FILTERS
    labels: ClassVar[dict[str, str]] = {s.wire: s.label for s in COMPANY_FILTERS}

    company_name: list[str] | None = None
    company_name_search_type: str | None = None
    company_domain: list[str] | None = None
    company_country: list[str] | None = None
    company_state: list[str] | None = None
    company_zip_code: list[str] | None = None
    industry: list[str] | None = None
    company_keyword: list[str] | None = None
    company_size: list[str] | None = None
    company_revenue: list[str] | None = None
    technologies: list[str] | None = None
    technologies_is_or: bool | None = None
    company_type: str | None = None
    founded_on: list[str] | None = None
    news_types: list[str] | None = None
    news_type_dates: list[str] | None = None
    latest_funding_dates: list[str] | None = None
    latest_funding_classifications: list[str] | None = None
    latest_funding_totals: list[str] | None = None


# -- research ----------------------------------------------------------------------------------

_IDENTITY_FIELDS = (
    "contactName",
    "companyName",
    "domain",
    "email",
    "liProfileUrl",
    "liSalesNavUrl",
    "liRecruiterUrl",
    "title",
)


class ContactIdentity(RequestModel):
    """One person to research without a search result: ``contactName`` with
    ``companyName`` or ``domain``, or an ``email``, or a LinkedIn profile, Sales
    Navigator or Recruiter URL (``title`` optional, to tell namesakes apart)."""

    contact_name: str | None = None
    company_name: str | None = None
    domain: str | None = None
    email: str | None = None
    li_profile_url: str | None = None
    li_sales_nav_url: str | None = None
    li_recruiter_url: str | None = None
    title: str | None = None

    def identifies(self) -> bool:
        """Whether the fields set are one of the documented identifications."""
        return bool(
            (self.contact_name and (self.company_name or self.domain))
            or self.email
            or self.li_profile_url
            or self.li_sales_nav_url
            or self.li_recruiter_url
        )

    def to_body(self) -> dict[str, Any]:
        """Only the fields that are set."""
        return _drop_empty(self.model_dump(by_alias=True, exclude_none=True, mode="json"))


def _identity_problem(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return "Each person must be given by name and company, email or LinkedIn URL."
    values = {}
    for wire in _IDENTITY_FIELDS:
        _, value = _take(dict(item), wire)
        values[wire] = value.strip() if isinstance(value, str) else value
    if not (
        (values["contactName"] and (values["companyName"] or values["domain"]))
        or values["email"]
        or values["liProfileUrl"]
        or values["liSalesNavUrl"]
        or values["liRecruiterUrl"]
    ):
        return (
            "Give the person's name with a company name or domain, or an email, or a "
            "LinkedIn, Sales Navigator or Recruiter URL."
        )
    return None


def _check_ids(data: dict[str, Any], errors: dict[str, str], what: str) -> list[str]:
    key, value = _take(data, "searchResultIds")
    if key is None or value is None:
        return []
    items = _clean_list(value)
    if items is None or any(not isinstance(i, str) for i in items):
        errors["searchResultIds"] = "The search result ids must be a list of ids."
        return []
    data[key] = items
    if len(items) > MAX_RESEARCH_RECORDS:
        errors["searchResultIds"] = (
            f"Research at most {MAX_RESEARCH_RECORDS} {what} at a time "
            f"({len(items)} are selected); the research queue splits larger selections."
        )
    return items


class ContactResearch(RequestModel):
    """Body of ``POST /contacts/research``: ``search_result_ids`` *or* ``contacts`` (never
    both; at most 100). Deduplication stays on unless ``skip_deduplication_check``."""

    search_result_ids: list[str] | None = None
    contacts: list[ContactIdentity] | None = None
    is_job_change: bool | None = None
    skip_deduplication_check: bool = False

    @classmethod
    def _prepare(cls, data: dict[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        ids = _check_ids(data, errors, "contacts")
        key, people = _take(data, "contacts")
        people_list: list[Any] = []
        if key is not None and people is not None:
            if not isinstance(people, list | tuple):
                errors["contacts"] = "The people to research must be a list."
            else:
                people_list = list(people)
                for index, item in enumerate(people_list):
                    problem = _identity_problem(item)
                    if problem:
                        errors.setdefault(f"contacts[{index}]", problem)
                if len(people_list) > MAX_RESEARCH_RECORDS:
                    errors["contacts"] = (
                        f"Research at most {MAX_RESEARCH_RECORDS} people at a time "
                        f"({len(people_list)} are given)."
                    )
        if ids and people_list:
            errors["searchResultIds"] = (
                "Research either search results or people given by identity, not both in "
                "one request."
            )
        elif not ids and not people_list and "searchResultIds" not in errors:
            errors["searchResultIds"] = "Select at least one contact to research."
        _, job_change = _take(data, "isJobChange")
        if job_change and not people_list:
            errors["isJobChange"] = "A job-change research needs people given by identity."
        return errors

    def to_body(self) -> dict[str, Any]:
        """The JSON body; ``skipDeduplicationCheck`` is always sent, so dedup is explicit."""
        body: dict[str, Any] = {"skipDeduplicationCheck": self.skip_deduplication_check}
        if self.search_result_ids:
            body["searchResultIds"] = list(self.search_result_ids)
        if self.contacts:
            body["contacts"] = [c.to_body() for c in self.contacts]
        if self.is_job_change is not None:
            body["isJobChange"] = self.is_job_change
        return body

    @property
    def size(self) -> int:
        """How many records the request asks for."""
        return len(self.search_result_ids or ()) + len(self.contacts or ())


class CompanyIdentity(RequestModel):
    """One company to research without a search result: a domain and/or a name."""

    domain: str | None = None
    company_name: str | None = None

    def to_body(self) -> dict[str, Any]:
        """Only the fields that are set."""
        return _drop_empty(self.model_dump(by_alias=True, exclude_none=True, mode="json"))


class CompanyResearch(RequestModel):
    """Body of ``POST /companies/research``: ``search_result_ids`` and/or ``companies``
    (each with a domain or a name; at most 100 in all)."""

    search_result_ids: list[str] | None = None
    companies: list[CompanyIdentity] | None = None
    skip_deduplication_check: bool = False

    @classmethod
    def _prepare(cls, data: dict[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        ids = _check_ids(data, errors, "companies")
        key, companies = _take(data, "companies")
        count = 0
        if key is not None and companies is not None:
            if not isinstance(companies, list | tuple):
                errors["companies"] = "The companies to research must be a list."
            else:
                count = len(companies)
                for index, item in enumerate(companies):
                    raw = dict(item) if isinstance(item, Mapping) else {}
                    _, dom = _take(raw, "domain")
                    _, name = _take(raw, "companyName")
                    if not (isinstance(dom, str) and dom.strip()) and not (
                        isinstance(name, str) and name.strip()
                    ):
                        errors.setdefault(
                            f"companies[{index}]", "Give each company a domain or a name."
                        )
        if not ids and not count and "searchResultIds" not in errors:
            errors["searchResultIds"] = "Select at least one company to research."
        if len(ids) + count > MAX_RESEARCH_RECORDS:
            errors.setdefault(
                "companies",
                f"Research at most {MAX_RESEARCH_RECORDS} companies at a time "
                f"({len(ids) + count} are given).",
            )
        return errors

    def to_body(self) -> dict[str, Any]:
        """The JSON body; ``skipDeduplicationCheck`` is always sent."""
        body: dict[str, Any] = {"skipDeduplicationCheck": self.skip_deduplication_check}
        if self.search_result_ids:
            body["searchResultIds"] = list(self.search_result_ids)
        if self.companies:
            body["companies"] = [c.to_body() for c in self.companies]
        return body

    @property
    def size(self) -> int:
        """How many records the request asks for."""
        return len(self.search_result_ids or ()) + len(self.companies or ())


def contact_search(data: Mapping[str, Any] | None = None, /, **filters: Any) -> ContactSearch:
    """A checked ``ContactSearch`` (``ValidationFailed`` naming every bad filter)."""
    return build(ContactSearch, data, **filters)


def company_search(data: Mapping[str, Any] | None = None, /, **filters: Any) -> CompanySearch:
    """A checked ``CompanySearch`` (``ValidationFailed`` naming every bad filter)."""
    return build(CompanySearch, data, **filters)


def contact_research(
    search_result_ids: Sequence[str] | None = None,
    *,
    contacts: Sequence[Mapping[str, Any]] | None = None,
    is_job_change: bool | None = None,
    skip_deduplication_check: bool = False,
) -> ContactResearch:
    """A checked ``ContactResearch`` (``ValidationFailed`` when it breaks a rule)."""
    data: dict[str, Any] = {"skipDeduplicationCheck": skip_deduplication_check}
    if search_result_ids is not None:
        data["searchResultIds"] = list(search_result_ids)
    if contacts is not None:
        data["contacts"] = [dict(c) for c in contacts]
    if is_job_change is not None:
        data["isJobChange"] = is_job_change
    return build(ContactResearch, data)


def company_research(
    search_result_ids: Sequence[str] | None = None,
    *,
    companies: Sequence[Mapping[str, Any]] | None = None,
    skip_deduplication_check: bool = False,
) -> CompanyResearch:
    """A checked ``CompanyResearch`` (``ValidationFailed`` when it breaks a rule)."""
    data: dict[str, Any] = {"skipDeduplicationCheck": skip_deduplication_check}
    if search_result_ids is not None:
        data["searchResultIds"] = list(search_result_ids)
    if companies is not None:
        data["companies"] = [dict(c) for c in companies]
    return build(CompanyResearch, data)


__all__ = [
    "CompanyIdentity",
    "CompanyResearch",
    "CompanySearch",
    "ContactIdentity",
    "ContactResearch",
    "ContactSearch",
    "JobChanges",
    "PastCompany",
    "build",
    "company_research",
    "company_search",
    "contact_research",
    "contact_search",
]
