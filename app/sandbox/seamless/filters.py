"""The search filters: reading a request body into a query, and matching records against it.

Pure functions (no store, no HTTP), so the rules can be unit-tested alone.

How a body is read (where the documents leave it open, this is the sandbox's rule):

* A field the wire contract (docs/api/seamless.md, search) does not name, a
  wrong JSON type (a string where a list is expected), a list over its
  documented size (``industry`` ≤ 5...), an item over 200 characters: the
  request is refused (``FilterError`` → 400), so a
  typo never silently widens a search that costs credits.
* ``industry`` must name a documented value (a parent group or an industry of
  ``SEAMLESS_INDUSTRY_GROUPS``; docs/api/seamless.md, search: "some fields, such
  as industry, may require a valid documented value"); an unknown one is refused.
* Any other value outside a documented list (a seniority "Boss", a
  ``locationType`` "near", an unparsable ``lastModifiedAfter``...) is *ignored*,
  as docs/api/seamless.md says Seamless does with invalid optional fields: the
  filter keeps its valid values, and one with none left is not applied. Every ignored
  value is reported back in ``supplementalData.ignoredFilters``. Values match
  case-insensitively ("vp" is "VP").
* Free-text filters (titles, names, keywords, company names, countries, states,
  ZIP codes, technologies) match case-insensitively; titles, names, keywords
  and company names (``companyNameSearchType: default``) as substrings, ZIP codes
  as prefixes, countries by name or ISO alpha-2 code, states by name or
  abbreviation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.sandbox import clock
from app.sandbox.http import Param, int_from_text
from app.sandbox.seamless import vocab
from app.sandbox.seamless.data import DAY_MS, Company, Person
from app.sandbox.seamless.records import norm_company, norm_domain, norm_name

MAX_ITEM_LENGTH = 200
DEFAULT_LIMIT = 50
MAX_LIMIT = 100  # not in docs/api/seamless.md: a larger limit is lowered to this, not refused
DEFAULT_JOB_CHANGE_RANGE = "Last 90 Days"


class FilterError(ValueError):
    """A body the API refuses (400); ``field`` names the offending filter."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Query:
    """A search request once read: canonical filters, paging, and what was ignored."""

    kind: str  # "contacts" or "companies"
    filters: dict[str, Any]
    limit: int = DEFAULT_LIMIT
    next_token: str | None = None
    ignored: list[dict[str, Any]] = field(default_factory=list)


# Field kinds: ("text", max) free-text list; ("enum", max, values) documented list;
# ("choice", values) one documented value; ("bool",); ("date",); ("days", max);
# ("industry", max); ("jobChanges",); ("pastCompany",).
_COMMON_COMPANY: dict[str, tuple[Any, ...]] = {
    "industry": ("industry", 5),
    "companyName": ("text", 100),
    "companyNameSearchType": ("choice", vocab.COMPANY_NAME_SEARCH_TYPES),
    "companyDomain": ("text", 100),
    "companySize": ("enum", 10, vocab.COMPANY_SIZES),
    "companyRevenue": ("enum", 10, vocab.COMPANY_REVENUES),
    "technologies": ("text", 10),
    "technologiesIsOr": ("bool",),
    "companyType": ("choice", vocab.COMPANY_TYPES),
    "newsTypes": ("enum", 8, vocab.NEWS_TYPES),
    "newsTypeDates": ("days", 1),
}
CONTACT_FIELDS: dict[str, tuple[Any, ...]] = {
    "jobTitle": ("text", 10),
    "fullName": ("text", 10),
    "contactKeyword": ("text", 10),
    "seniority": ("enum", 5, vocab.SENIORITIES),
    "department": ("enum", 5, vocab.DEPARTMENTS),
    "contactCountry": ("text", 10),
    "contactState": ("text", 10),
    "contactZipCode": ("text", 10),
    "locationType": ("choice", vocab.LOCATION_TYPES),
    "companyFoundedOn": ("enum", 4, vocab.FOUNDED_RANGES),
    "jobChanges": ("jobChanges",),
    "pastCompany": ("pastCompany",),
    "lastModifiedAfter": ("date",),
    "lastModifiedBefore": ("date",),
    "companyLatestFundingDates": ("enum", 10, vocab.FUNDING_DATES),
    "companyLatestFundingClassifications": ("enum", 10, vocab.FUNDING_CLASSIFICATIONS),
    "companyLatestFundingTotals": ("enum", 10, vocab.FUNDING_TOTALS),
    **_COMMON_COMPANY,
}
COMPANY_FIELDS: dict[str, tuple[Any, ...]] = {
    "companyCountry": ("text", 10),
    "companyState": ("text", 10),
    "companyZipCode": ("text", 10),
    "companyKeyword": ("text", 10),
    "foundedOn": ("enum", 4, vocab.FOUNDED_RANGES),
    "latestFundingDates": ("enum", 10, vocab.FUNDING_DATES),
    "latestFundingClassifications": ("enum", 10, vocab.FUNDING_CLASSIFICATIONS),
    "latestFundingTotals": ("enum", 10, vocab.FUNDING_TOTALS),
    **_COMMON_COMPANY,
}
PAGING_FIELDS = ("nextToken", "limit")

_INDUSTRY_LOOKUP: dict[str, tuple[str, ...]] = {
    **{parent.lower(): items for parent, items in vocab.INDUSTRY_GROUPS.items()},
    **{item.lower(): (item,) for item in vocab.INDUSTRIES},
}
_COUNTRY_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "holland": "NL",
}


def _canonical(value: str, values: tuple[str, ...]) -> str | None:
    wanted = " ".join(value.split()).lower()
    for v in values:
        if v.lower() == wanted:
            return v
    return None


def _str_list(name: str, value: Any, max_items: int) -> list[str]:
    if not isinstance(value, list):
        raise FilterError(f"{name} must be an array of strings", name)
    if len(value) > max_items:
        raise FilterError(f"{name} accepts at most {max_items} values (got {len(value)})", name)
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise FilterError(f"{name} must be an array of strings", name)
        item = item.strip()
        if len(item) > MAX_ITEM_LENGTH:
            raise FilterError(f"{name} values must be at most {MAX_ITEM_LENGTH} characters", name)
        if item and item not in out:
            out.append(item)
    return out


def parse_query(kind: str, body: dict[str, Any]) -> Query:
    """Read a ``POST /search/contacts|companies`` body; ``FilterError`` when refused."""
    fields = CONTACT_FIELDS if kind == "contacts" else COMPANY_FIELDS
    unknown = [k for k in body if k not in fields and k not in PAGING_FIELDS]
    if unknown:
        raise FilterError(
            f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(sorted(unknown))}. "
            f"POST /search/{kind} accepts: {', '.join([*PAGING_FIELDS, *fields])}",
            unknown[0],
        )
    query = Query(kind=kind, filters={})
    limit = body.get("limit")
    if limit is not None:
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int | float)
            or (isinstance(limit, float) and (not math.isfinite(limit) or not limit.is_integer()))
        ):
            raise FilterError("limit must be a whole number", "limit")
        if limit < 1:
            raise FilterError("limit must be at least 1", "limit")
        query.limit = min(int(limit), MAX_LIMIT)
    token = body.get("nextToken")
    if token is not None:
        if not isinstance(token, str) or len(token) > 20_000:
            raise FilterError("nextToken must be the string a previous page returned", "nextToken")
        query.next_token = token or None
    for name, spec in fields.items():
        if name not in body or body[name] is None:
            continue
        value = _read_field(name, spec, body[name], query.ignored)
        if value is not None:
            query.filters[name] = value
    return query


def declared_body(kind: str) -> tuple[Param, ...]:
    """The body of ``POST /search/{kind}`` as route declarations, from the same field specs
    ``parse_query`` reads (the OpenAPI document is generated from them)."""
    fields = CONTACT_FIELDS if kind == "contacts" else COMPANY_FIELDS
    out = [Param.text("nextToken", max_len=20_000), Param.integer("limit", minimum=1)]
    for name, spec in fields.items():
        out.append(_declared_field(name, spec))
    return tuple(out)


def _declared_field(name: str, spec: tuple[Any, ...]) -> Param:
    kind = spec[0]
    if kind == "text":
        return Param.texts(name, max_items=spec[1], max_len=MAX_ITEM_LENGTH)
    if kind == "enum":
        return Param.texts(name, max_items=spec[1], choices=spec[2])
    if kind == "industry":
        return Param.texts(
            name, max_items=spec[1], choices=(*vocab.INDUSTRY_GROUPS, *vocab.INDUSTRIES)
        )
    if kind == "choice":
        return Param.text(name, choices=spec[1])
    if kind == "bool":
        return Param.flag(name)
    if kind == "date":
        return Param.text(name)
    if kind == "days":
        days = tuple(str(d) for d in vocab.NEWS_TYPE_DATES)
        return Param.texts(name, max_items=spec[1], choices=days)
    if kind == "jobChanges":
        return Param.object(
            name,
            Param.text("changeType", choices=vocab.JOB_CHANGE_TYPES),
            Param.text("dayRange", choices=tuple(vocab.JOB_CHANGE_RANGES)),
        )
    if kind == "pastCompany":
        return Param.object(
            name,
            Param.texts("names", required=True, max_items=100, max_len=MAX_ITEM_LENGTH),
            Param.flag("onlyMostRecentDeparture"),
        )
    raise AssertionError(kind)


def _ignore(ignored: list[dict[str, Any]], name: str, value: Any, reason: str) -> None:
    ignored.append({"field": name, "value": value, "reason": reason})


def _read_field(name: str, spec: tuple[Any, ...], value: Any, ignored: list[dict[str, Any]]) -> Any:
    kind = spec[0]
    if kind == "text":
        items = _str_list(name, value, spec[1])
        return sorted(items, key=str.lower) or None
    if kind == "enum":
        kept: list[str] = []
        for item in _str_list(name, value, spec[1]):
            canonical = _canonical(item, spec[2])
            if canonical is None:
                _ignore(ignored, name, item, "not one of the documented values")
            elif canonical not in kept:
                kept.append(canonical)
        return sorted(kept, key=spec[2].index) or None
    if kind == "industry":
        kept = []
        for item in _str_list(name, value, spec[1]):
            key = " ".join(item.split()).lower()
            if key not in _INDUSTRY_LOOKUP:
                raise FilterError(
                    f"industry: {item!r} is not a documented industry. Use an industry or a "
                    "parent group of the industry list (e.g. 'Computer Software' or "
                    "'Software & Information Technology')",
                    name,
                )
            canonical = next(
                v for v in (*vocab.INDUSTRY_GROUPS, *vocab.INDUSTRIES) if v.lower() == key
            )
            if canonical not in kept:
                kept.append(canonical)
        return sorted(kept) or None
    if kind == "choice":
        if not isinstance(value, str):
            raise FilterError(f"{name} must be a string", name)
        canonical = _canonical(value, spec[1])
        if canonical is None:
            _ignore(ignored, name, value, f"not one of: {', '.join(spec[1])}")
        return canonical
    if kind == "bool":
        if not isinstance(value, bool):
            raise FilterError(f"{name} must be true or false", name)
        return value
    if kind == "date":
        if not isinstance(value, str):
            raise FilterError(f"{name} must be an ISO 8601 date-time string", name)
        try:
            return clock.parse_iso(value)
        except ValueError:
            _ignore(ignored, name, value, "not an ISO 8601 date-time")
            return None
    if kind == "days":
        if not isinstance(value, list):
            raise FilterError(f"{name} must be an array", name)
        if len(value) > spec[1]:
            raise FilterError(f"{name} accepts at most {spec[1]} value (got {len(value)})", name)
        days: list[int] = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise FilterError(f"{name} must be an array of strings", name)
            number = int_from_text(str(item))
            if number is not None and number in vocab.NEWS_TYPE_DATES:
                days.append(number)
            else:
                _ignore(ignored, name, item, "not one of: 60, 90, 180, 365")
        return days or None
    if kind == "jobChanges":
        return _job_changes(name, value, ignored)
    if kind == "pastCompany":
        return _past_company(name, value)
    raise AssertionError(kind)


def _job_changes(name: str, value: Any, ignored: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        raise FilterError(f"{name} must be an object {{changeType, dayRange}}", name)
    extra = set(value) - {"changeType", "dayRange"}
    if extra:
        raise FilterError(f"{name} has unknown fields: {', '.join(sorted(extra))}", name)
    for key in ("changeType", "dayRange"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise FilterError(f"{name}.{key} must be a string", f"{name}.{key}")
    change = _canonical(value.get("changeType") or "", vocab.JOB_CHANGE_TYPES)
    if change is None:
        _ignore(
            ignored, name, value, f"changeType is not one of: {', '.join(vocab.JOB_CHANGE_TYPES)}"
        )
        return None
    day_range = DEFAULT_JOB_CHANGE_RANGE
    if value.get("dayRange") is not None:
        found = _canonical(value["dayRange"], tuple(vocab.JOB_CHANGE_RANGES))
        if found is None:
            _ignore(
                ignored,
                f"{name}.dayRange",
                value["dayRange"],
                f"not a documented range; {day_range} used",
            )
        else:
            day_range = found
    return {"changeType": change, "dayRange": day_range}


def _past_company(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FilterError(f"{name} must be an object {{names, onlyMostRecentDeparture}}", name)
    extra = set(value) - {"names", "onlyMostRecentDeparture"}
    if extra:
        raise FilterError(f"{name} has unknown fields: {', '.join(sorted(extra))}", name)
    names = _str_list(f"{name}.names", value.get("names", []), 100)
    if not names:
        raise FilterError(f"{name}.names must list 1 to 100 company names", f"{name}.names")
    only_recent = value.get("onlyMostRecentDeparture", False)
    if only_recent is None:
        only_recent = False
    if not isinstance(only_recent, bool):
        raise FilterError(
            f"{name}.onlyMostRecentDeparture must be true or false",
            f"{name}.onlyMostRecentDeparture",
        )
    return {"names": sorted(names, key=str.lower), "onlyMostRecentDeparture": only_recent}


# -- matching -------------------------------------------------------------------------------


def founded_bucket(founded_days: int) -> str:
    """The ``companyFoundedOn`` value of a company founded ``founded_days`` ago."""
    years = founded_days // 365
    if years < 1:
        return vocab.FOUNDED_RANGES[0]
    if years <= 3:
        return vocab.FOUNDED_RANGES[1]
    if years <= 10:
        return vocab.FOUNDED_RANGES[2]
    return vocab.FOUNDED_RANGES[3]


def funding_total_bucket(total: int) -> str:
    """The ``...FundingTotals`` value of a total raised."""
    for label, (_, high) in zip(vocab.FUNDING_TOTALS, vocab.FUNDING_TOTAL_BOUNDS, strict=True):
        if total < high:
            return label
    return vocab.FUNDING_TOTALS[-1]


def _country_codes(values: list[str]) -> set[str]:
    out: set[str] = set()
    for value in values:
        key = value.strip().lower()
        if key in _COUNTRY_ALIASES:
            out.add(_COUNTRY_ALIASES[key])
        for city in vocab.CITIES:
            if key in (city[4].lower(), city[5].lower()):
                out.add(city[5])
    return out


def _state_keys(values: list[str]) -> set[str]:
    return {v.strip().lower() for v in values}


def _location_matcher(
    countries: list[str] | None, states: list[str] | None, zips: list[str] | None
) -> Callable[[int, str], bool] | None:
    """A test of (city index, postcode) against the three location lists, or None."""
    if not (countries or states or zips):
        return None
    codes = _country_codes(countries) if countries else None
    state_keys = _state_keys(states) if states else None
    prefixes = tuple(z.replace(" ", "").upper() for z in zips) if zips else None

    def match(city: int, post_code: str) -> bool:
        loc = vocab.CITIES[city]
        if codes is not None and loc[5] not in codes:
            return False
        if (
            state_keys is not None
            and loc[1].lower() not in state_keys
            and loc[2].lower() not in state_keys
        ):
            return False
        return not (
            prefixes is not None and not post_code.replace(" ", "").upper().startswith(prefixes)
        )

    return match


_STOP_WORDS = {"the", "and", "inc", "llc", "corp", "co", "group", "ltd", "company", "of"}


def _name_matcher(values: list[str], mode: str) -> Callable[[Company], bool]:
    if mode == "exact":
        exact = {norm_company(v) for v in values}
        return lambda c: norm_company(c.name) in exact
    if mode == "related":
        words = {
            w for v in values for w in norm_name(v).split() if len(w) >= 3 and w not in _STOP_WORDS
        }

        def related(c: Company) -> bool:
            own = norm_name(c.name).split()
            root = c.domain.split(".", 1)[0]
            return any(w in own or root.startswith(w) for w in words)

        return related
    needles = [v.lower() for v in values]
    return lambda c: any(n in c.name_l for n in needles)


def company_checks(
    filters: dict[str, Any], age: int, *, founded_key: str, funding_prefix: str
) -> list[Callable[[Company], bool]]:
    """Tests of a company for the filters both searches share; ``age`` = days since the anchor."""
    checks: list[Callable[[Company], bool]] = []
    f = filters
    if "industry" in f:
        wanted = {i for value in f["industry"] for i in _INDUSTRY_LOOKUP[value.lower()]}
        checks.append(lambda c: any(i in wanted for i in c.industries))
    if "companyName" in f:
        checks.append(_name_matcher(f["companyName"], f.get("companyNameSearchType", "default")))
    if "companyDomain" in f:
        domains = {norm_domain(d) for d in f["companyDomain"]}
        checks.append(lambda c: c.domain in domains)
    if "companySize" in f:
        sizes = {vocab.COMPANY_SIZES.index(s) for s in f["companySize"]}
        checks.append(lambda c: c.size in sizes)
    if "companyRevenue" in f:
        revenues = {vocab.COMPANY_REVENUES.index(s) for s in f["companyRevenue"]}
        checks.append(lambda c: c.revenue in revenues)
    if founded_key in f:
        buckets = set(f[founded_key])
        checks.append(lambda c: founded_bucket(c.founded_days + age) in buckets)
    if "technologies" in f:
        techs = [t.lower() for t in f["technologies"]]
        if f.get("technologiesIsOr", True):
            checks.append(lambda c: any(t in c.tech_l for t in techs))
        else:
            checks.append(lambda c: all(t in c.tech_l for t in techs))
    if "companyType" in f:
        wanted_type = f["companyType"]
        checks.append(lambda c: c.company_type == wanted_type)
    if "newsTypes" in f or "newsTypeDates" in f:
        types = set(f.get("newsTypes") or vocab.NEWS_TYPES)
        within = f["newsTypeDates"][0] if f.get("newsTypeDates") else None
        checks.append(
            lambda c: any(
                kind in types and (within is None or days + age <= within) for kind, days in c.news
            )
        )
    dates = f.get(f"{funding_prefix}Dates")
    if dates:
        windows = [vocab.FUNDING_DATE_WINDOWS[d] for d in dates]
        checks.append(
            lambda c: (
                c.funding is not None and any(lo <= c.funding[0] + age <= hi for lo, hi in windows)
            )
        )
    classes = f.get(f"{funding_prefix}Classifications")
    if classes:
        class_set = set(classes)
        checks.append(lambda c: c.funding is not None and c.funding[1] in class_set)
    totals = f.get(f"{funding_prefix}Totals")
    if totals:
        total_set = set(totals)
        checks.append(
            lambda c: c.funding is not None and funding_total_bucket(c.funding[2]) in total_set
        )
    return checks


def contact_matcher(
    filters: dict[str, Any], anchor_ms: int, now_ms: int
) -> Callable[[Person], bool]:
    """One test of a person for every filter of a contact search (all must hold)."""
    age = max(0, (now_ms - anchor_ms) // DAY_MS)
    f = filters
    company_tests = company_checks(
        f, age, founded_key="companyFoundedOn", funding_prefix="companyLatestFunding"
    )
    person_tests: list[Callable[[Person], bool]] = []
    if "jobTitle" in f:
        titles = [t.lower() for t in f["jobTitle"]]
        person_tests.append(lambda p: any(t in p.title_l for t in titles))
    if "fullName" in f:
        wanted_names = [norm_name(n) for n in f["fullName"]]
        person_tests.append(lambda p: any(n in p.full_l for n in wanted_names))
    if "contactKeyword" in f:
        words = [w.lower() for w in f["contactKeyword"]]
        person_tests.append(
            lambda p: any(
                w in p.title_l or w in p.department.lower() or w in p.company.text_l for w in words
            )
        )
    if "seniority" in f:
        seniorities = set(f["seniority"])
        person_tests.append(lambda p: p.seniority in seniorities)
    if "department" in f:
        departments = set(f["department"])
        person_tests.append(lambda p: p.department in departments)
    where = _location_matcher(
        f.get("contactCountry"), f.get("contactState"), f.get("contactZipCode")
    )
    if where is not None:
        mode = f.get("locationType", "bothOR")
        if mode == "contact":
            person_tests.append(lambda p: where(p.city, p.post_code))
        elif mode == "company":
            person_tests.append(lambda p: where(p.company.city, p.company.post_code))
        elif mode == "bothAND":
            person_tests.append(
                lambda p: where(p.city, p.post_code) and where(p.company.city, p.company.post_code)
            )
        else:
            person_tests.append(
                lambda p: where(p.city, p.post_code) or where(p.company.city, p.company.post_code)
            )
    if "jobChanges" in f:
        change = f["jobChanges"]["changeType"]
        limit = vocab.JOB_CHANGE_RANGES[f["jobChanges"]["dayRange"]]

        def changed(p: Person) -> bool:
            hired = p.company_days + age <= limit and bool(p.past)
            promoted = p.title_days + age <= limit and p.title_days < p.company_days
            if change == "New Hire":
                return hired
            if change == "New Promotion":
                return promoted
            return hired or promoted

        person_tests.append(changed)
    if "pastCompany" in f:
        needles = [norm_company(n) for n in f["pastCompany"]["names"]]
        only_recent = f["pastCompany"]["onlyMostRecentDeparture"]

        def worked_at(p: Person) -> bool:
            past = p.past[:1] if only_recent else p.past
            return any(n in norm_company(name) for name, _, _, _ in past for n in needles)

        person_tests.append(worked_at)
    after, before = f.get("lastModifiedAfter"), f.get("lastModifiedBefore")
    if after is not None or before is not None:
        low = after if after is not None else -(2**62)
        high = before if before is not None else 2**62

        def modified(p: Person) -> bool:
            at = anchor_ms - p.modified_days * DAY_MS
            return low <= at <= high

        person_tests.append(modified)

    # Many people share a company: its tests run once per company, not once per person.
    company_ok: dict[int, bool] = {}

    def match(p: Person) -> bool:
        company = p.company
        ok = company_ok.get(company.index)
        if ok is None:
            ok = company_ok[company.index] = all(test(company) for test in company_tests)
        if not ok:
            return False
        return all(test(p) for test in person_tests)

    return match


def company_matcher(
    filters: dict[str, Any], anchor_ms: int, now_ms: int
) -> Callable[[Company], bool]:
    """One test of a company for every filter of a company search."""
    age = max(0, (now_ms - anchor_ms) // DAY_MS)
    f = filters
    tests = company_checks(f, age, founded_key="foundedOn", funding_prefix="latestFunding")
    where = _location_matcher(
        f.get("companyCountry"), f.get("companyState"), f.get("companyZipCode")
    )
    if where is not None:
        tests.append(lambda c: where(c.city, c.post_code))
    if "companyKeyword" in f:
        words = [w.lower() for w in f["companyKeyword"]]
        tests.append(lambda c: any(w in c.text_l for w in words))
    return lambda c: all(test(c) for test in tests)
