"""The search filters of the Seamless.AI API as data: names, labels, value lists, limits.

The Leads tab builds its filter panel from ``CONTACT_FILTERS`` / ``COMPANY_FILTERS``
(one ``FilterSpec`` per wire field, in panel order and grouped), and the request
models check what is sent against the same specs, so a limit or a value list
lives in exactly one place. Values and limits are the API's
(``docs/api/seamless.md``, "Search").

Where the API is silent:

- The industry list (~150 values under parent groups) is not spelled out in
  the API: ``app.core.constants.SEAMLESS_INDUSTRY_GROUPS`` holds the list the
  sandbox serves, offered as suggestions (parents first, then their industries) but
  not enforced, so a value real Seamless knows and this list lacks can still be
  sent; only the "at most 5" limit is enforced. Funding values likewise come from
  ``SEAMLESS_FUNDING_*`` as suggestions. Seamless says an invalid optional
  value is ignored rather than failing the search (docs/api/seamless.md, "Search").
- Company search names its filters without limits; where a filter is the same
  concept as a contact-search filter (size, revenue, founded, news, location,
  technologies, names and domains) the contact-search limit and value list apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.constants import (
    SEAMLESS_FUNDING_CLASSIFICATIONS,
    SEAMLESS_FUNDING_DATES,
    SEAMLESS_FUNDING_TOTALS,
    SEAMLESS_INDUSTRY_GROUPS,
)

FilterKind = Literal["list", "choice", "flag", "date", "job_changes", "past_company"]

SENIORITIES: tuple[str, ...] = (
    "C-Level",
    "VP",
    "Director",
    "Manager",
    "Senior",
    "Entry Level",
    "Mid-Level",
    "Other",
)
DEPARTMENTS: tuple[str, ...] = (
    "Sales",
    "Marketing",
    "Engineering",
    "Human Resources",
    "Finance",
    "IT",
    "Operations",
    "Support",
    "Legal",
    "Project Management",
    "Other",
)
COMPANY_SIZES: tuple[str, ...] = (
    "0 - 1 (Self-employed)",
    "2 - 10",
    "11 - 50",
    "51 - 200",
    "201 - 500",
    "501 - 1,000",
    "1,001 - 5,000",
    "5,001 - 10,000",
    "10,001+",
)
COMPANY_REVENUES: tuple[str, ...] = (
    "$0 - $100K",
    "$100K - $1M",
    "$1M - $5M",
    "$5M - $20M",
    "$20M - $50M",
    "$50M - $100M",
    "$100M - $500M",
    "$500M - $1B",
    "$1B+",
)
FOUNDED_RANGES: tuple[str, ...] = (
    "Less than 1 Year",
    "Last 1-3 Years",
    "Last 4-10 Years",
    "10+ Years",
)
NEWS_TYPES: tuple[str, ...] = (
    "Acquisition",
    "Corporate Challenges",
    "Cost Cutting",
    "Expansion",
    "Investment",
    "Leadership",
    "Partnership",
    "Recognition",
)
NEWS_TYPE_DATES: tuple[str, ...] = ("60", "90", "180", "365")
"""Days back for news (``newsTypeDates``), sent as strings."""
JOB_CHANGE_TYPES: tuple[str, ...] = ("New Hire", "New Promotion", "New Hire or New Promotion")
JOB_CHANGE_RANGES: tuple[str, ...] = (
    "Last 60 Days",
    "Last 90 Days",
    "Last 180 Days",
    "Last 365 Days",
)
COMPANY_NAME_SEARCH_TYPES: tuple[str, ...] = ("default", "related", "exact")
LOCATION_TYPES: tuple[str, ...] = ("bothOR", "bothAND", "company", "contact")
COMPANY_TYPES: tuple[str, ...] = ("Public", "Private")

CONTACT_INDUSTRY_EXAMPLES: tuple[str, ...] = (
    "Software & Information Technology",
    "Computer Software",
    "Software Development",
)
"""Industries the API names for contact search (a fixed list of ~150 exists)."""
COMPANY_INDUSTRY_EXAMPLES: tuple[str, ...] = (
    "Computer Software",
    "Information Technology and Services",
)
"""Industries the API names for company search (a LinkedIn-style list)."""

INDUSTRY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = SEAMLESS_INDUSTRY_GROUPS
"""Parent groups and their industries, for the grouped industry picker."""

INDUSTRY_SUGGESTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [parent for parent, _ in SEAMLESS_INDUSTRY_GROUPS]
        + [industry for _, industries in SEAMLESS_INDUSTRY_GROUPS for industry in industries]
        + list(CONTACT_INDUSTRY_EXAMPLES)
        + list(COMPANY_INDUSTRY_EXAMPLES)
    )
)
"""Every industry the panel suggests: parents, their industries, the API's examples."""

MAX_RESEARCH_RECORDS = 100
"""Research requests and polls take at most 100 records / request ids."""
DEFAULT_SEARCH_LIMIT = 50
"""Results per search page when ``limit`` is not given."""
MAX_ORG_PAGE_LIMIT = 500
"""``limit`` of ``GET /contacts`` and ``GET /companies`` (researched records)."""


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """One search filter: how the panel shows it and what the request accepts.

    ``values`` is a closed list (anything else is refused before sending);
    ``suggestions`` are examples for an open list (industries); ``max_items``
    the most values a list filter takes; ``default`` what Seamless assumes
    when the filter is left out."""

    wire: str
    label: str
    kind: FilterKind
    group: str
    max_items: int | None = None
    values: tuple[str, ...] | None = None
    suggestions: tuple[str, ...] = ()
    default: str | bool | None = None
    help: str = ""

    @property
    def noun(self) -> str:
        """The label in lower case for sentences ("at most 5 industries")."""
        return _NOUNS.get(self.wire, self.label.lower())


_NOUNS = {
    "industry": "industries",
    "jobTitle": "job titles",
    "fullName": "names",
    "contactKeyword": "keywords",
    "companyKeyword": "keywords",
    "seniority": "seniorities",
    "department": "departments",
    "companyName": "company names",
    "companyDomain": "company domains",
    "contactCountry": "countries",
    "contactState": "states",
    "contactZipCode": "ZIP codes",
    "companyCountry": "countries",
    "companyState": "states",
    "companyZipCode": "ZIP codes",
    "companySize": "company sizes",
    "companyRevenue": "revenue ranges",
    "companyFoundedOn": "founding ranges",
    "foundedOn": "founding ranges",
    "technologies": "technologies",
    "newsTypes": "news types",
    "newsTypeDates": "news periods",
}

_PERSON, _COMPANY, _LOCATION, _SIGNALS, _FUNDING, _OTHER = (
    "Person",
    "Company",
    "Location",
    "Signals",
    "Funding",
    "Other",
)

CONTACT_FILTERS: tuple[FilterSpec, ...] = (
    FilterSpec("jobTitle", "Job title", "list", _PERSON, 10),
    FilterSpec("fullName", "Full name", "list", _PERSON, 10),
    FilterSpec("contactKeyword", "Keyword", "list", _PERSON, 10),
    FilterSpec("seniority", "Seniority", "list", _PERSON, 5, SENIORITIES),
    FilterSpec("department", "Department", "list", _PERSON, 5, DEPARTMENTS),
    FilterSpec("industry", "Industry", "list", _COMPANY, 5, suggestions=INDUSTRY_SUGGESTIONS),
    FilterSpec("companyName", "Company name", "list", _COMPANY, 100),
    FilterSpec(
        "companyNameSearchType",
        "Company name match",
        "choice",
        _COMPANY,
        values=COMPANY_NAME_SEARCH_TYPES,
        default="default",
    ),
    FilterSpec("companyDomain", "Company domain", "list", _COMPANY, 100),
    FilterSpec("companySize", "Company size", "list", _COMPANY, 10, COMPANY_SIZES),
    FilterSpec("companyRevenue", "Company revenue", "list", _COMPANY, 10, COMPANY_REVENUES),
    FilterSpec("companyFoundedOn", "Company founded", "list", _COMPANY, 4, FOUNDED_RANGES),
    FilterSpec("companyType", "Company type", "choice", _COMPANY, values=COMPANY_TYPES),
    FilterSpec("technologies", "Technologies", "list", _COMPANY, 10),
    FilterSpec(
        "technologiesIsOr",
        "Any of the technologies",
        "flag",
        _COMPANY,
        default=True,
        help="On: companies using any of them; off: all of them.",
    ),
    FilterSpec("contactCountry", "Country", "list", _LOCATION, 10),
    FilterSpec("contactState", "State", "list", _LOCATION, 10),
    FilterSpec("contactZipCode", "ZIP code", "list", _LOCATION, 10),
    FilterSpec(
        "locationType",
        "Location applies to",
        "choice",
        _LOCATION,
        values=LOCATION_TYPES,
        default="bothOR",
    ),
    FilterSpec("jobChanges", "Job change", "job_changes", _SIGNALS),
    FilterSpec("pastCompany", "Past company", "past_company", _SIGNALS, 100),
    FilterSpec("newsTypes", "Company news", "list", _SIGNALS, 8, NEWS_TYPES),
    FilterSpec("newsTypeDates", "News within (days)", "list", _SIGNALS, 1, NEWS_TYPE_DATES),
    FilterSpec(
        "companyLatestFundingDates",
        "Latest funding date",
        "list",
        _FUNDING,
        suggestions=SEAMLESS_FUNDING_DATES,
    ),
    FilterSpec(
        "companyLatestFundingClassifications",
        "Latest funding round",
        "list",
        _FUNDING,
        suggestions=SEAMLESS_FUNDING_CLASSIFICATIONS,
    ),
    FilterSpec(
        "companyLatestFundingTotals",
        "Total funding",
        "list",
        _FUNDING,
        suggestions=SEAMLESS_FUNDING_TOTALS,
    ),
    FilterSpec("lastModifiedAfter", "Modified after", "date", _OTHER),
    FilterSpec("lastModifiedBefore", "Modified before", "date", _OTHER),
)
"""Every filter of ``POST /search/contacts``, in panel order."""

COMPANY_FILTERS: tuple[FilterSpec, ...] = (
    FilterSpec("companyName", "Company name", "list", _COMPANY, 100),
    FilterSpec(
        "companyNameSearchType",
        "Company name match",
        "choice",
        _COMPANY,
        values=COMPANY_NAME_SEARCH_TYPES,
        default="default",
    ),
    FilterSpec("companyDomain", "Company domain", "list", _COMPANY, 100),
    FilterSpec("companyKeyword", "Keyword", "list", _COMPANY, 10),
    FilterSpec("industry", "Industry", "list", _COMPANY, 5, suggestions=INDUSTRY_SUGGESTIONS),
    FilterSpec("companySize", "Company size", "list", _COMPANY, 10, COMPANY_SIZES),
    FilterSpec("companyRevenue", "Company revenue", "list", _COMPANY, 10, COMPANY_REVENUES),
    FilterSpec("foundedOn", "Founded", "list", _COMPANY, 4, FOUNDED_RANGES),
    FilterSpec("companyType", "Company type", "choice", _COMPANY, values=COMPANY_TYPES),
    FilterSpec("technologies", "Technologies", "list", _COMPANY, 10),
    FilterSpec(
        "technologiesIsOr",
        "Any of the technologies",
        "flag",
        _COMPANY,
        default=True,
        help="On: companies using any of them; off: all of them.",
    ),
    FilterSpec("companyCountry", "Country", "list", _LOCATION, 10),
    FilterSpec("companyState", "State", "list", _LOCATION, 10),
    FilterSpec("companyZipCode", "ZIP code", "list", _LOCATION, 10),
    FilterSpec("newsTypes", "Company news", "list", _SIGNALS, 8, NEWS_TYPES),
    FilterSpec("newsTypeDates", "News within (days)", "list", _SIGNALS, 1, NEWS_TYPE_DATES),
    FilterSpec(
        "latestFundingDates",
        "Latest funding date",
        "list",
        _FUNDING,
        suggestions=SEAMLESS_FUNDING_DATES,
    ),
    FilterSpec(
        "latestFundingClassifications",
        "Latest funding round",
        "list",
        _FUNDING,
        suggestions=SEAMLESS_FUNDING_CLASSIFICATIONS,
    ),
    FilterSpec(
        "latestFundingTotals",
        "Total funding",
        "list",
        _FUNDING,
        suggestions=SEAMLESS_FUNDING_TOTALS,
    ),
)
"""Every filter of ``POST /search/companies``, in panel order."""


def spec_map(specs: tuple[FilterSpec, ...]) -> dict[str, FilterSpec]:
    """Specs by wire name."""
    return {spec.wire: spec for spec in specs}


__all__ = [
    "COMPANY_FILTERS",
    "COMPANY_INDUSTRY_EXAMPLES",
    "INDUSTRY_GROUPS",
    "INDUSTRY_SUGGESTIONS",
    "COMPANY_NAME_SEARCH_TYPES",
    "COMPANY_REVENUES",
    "COMPANY_SIZES",
    "COMPANY_TYPES",
    "CONTACT_FILTERS",
    "CONTACT_INDUSTRY_EXAMPLES",
    "DEFAULT_SEARCH_LIMIT",
    "DEPARTMENTS",
    "FOUNDED_RANGES",
    "JOB_CHANGE_RANGES",
    "JOB_CHANGE_TYPES",
    "LOCATION_TYPES",
    "MAX_ORG_PAGE_LIMIT",
    "MAX_RESEARCH_RECORDS",
    "NEWS_TYPES",
    "NEWS_TYPE_DATES",
    "SENIORITIES",
    "FilterKind",
    "FilterSpec",
    "spec_map",
]
