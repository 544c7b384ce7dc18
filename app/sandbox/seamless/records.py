"""What the demo database looks like on the wire: search items, researched records, identities.

Contact details are derived from the person's id (a seeded generator), so the
same person always has the same emails and phones, in the loose formats real
data arrives in: confidence as ``"97%"`` (sometimes ``"97"`` or ``"97.5%"``),
email verdicts ``valid|invalid|risky`` in varying case, phones as
``415.555.0101``, ``(415) 555-0101``, ``+1 415 555 0101`` or national forms.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.sandbox import clock
from app.sandbox.seamless import vocab
from app.sandbox.seamless.data import (
    DAY_MS,
    Company,
    Dataset,
    Person,
    days_ago_iso,
    format_phone,
    strip_suffix,
    without_gc,
)

_NON_WORD = re.compile(r"[^a-z0-9]+")


# -- small formats --------------------------------------------------------------------------


def span_text(days: int) -> str:
    """A duration as the data shows it: ``"1 Yr 2 Mo"``, ``"5 Yr"``, ``"3 Mo"``."""
    months = max(0, days) * 12 // 365
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} Yr")
    if months or not years:
        parts.append(f"{months} Mo")
    return " ".join(parts)


def elapsed_days(anchor_ms: int, now_ms: int) -> int:
    """Whole days from the anchor of the data to sandbox time ``now_ms``."""
    return max(0, (now_ms - anchor_ms) // DAY_MS)


def job_change(person: Person, age_of: int) -> str | None:
    """``"New Hire"`` / ``"New Promotion"`` within the last 365 days, else None.

    ``age_of`` is added to the stored day offsets (days since the anchor).
    """
    if person.company_days + age_of <= 365:
        return "New Hire"
    if person.title_days + age_of <= 365 and person.title_days < person.company_days:
        return "New Promotion"
    return None


def _confidence(rng: random.Random, low: int, high: int) -> str:
    value = rng.randint(low, high)
    roll = rng.random()
    if roll < 0.8:
        return f"{value}%"
    if roll < 0.95:
        return str(value)
    return f"{value}.5%"


def _verdict(rng: random.Random, verdict: str) -> str:
    roll = rng.random()
    if roll < 0.85:
        return verdict
    return verdict.capitalize() if roll < 0.95 else verdict.upper()


@functools.lru_cache(maxsize=4096)
def _local(text: str) -> str:
    return _NON_WORD.sub("", text.lower())


def work_email(person: Person, pattern: int | None = None) -> str:
    """The person's address at their company, in the company's address pattern."""
    first, last = _local(person.first), _local(person.last)
    pattern = person.company.email_pattern if pattern is None else pattern
    local = (
        f"{first}.{last}",
        f"{first[0]}{last}",
        first,
        f"{first}{last[0]}",
        f"{first}_{last}",
    )[pattern]
    return f"{local}@{person.company.domain}"


def _bits(person: Person) -> int:
    # 48 random bits of the person's id: what a person has is decided from them without
    # seeding a generator (the identity index does this for 20,000 people at once).
    return int(person.id[-12:], 16)


def email_addresses(person: Person) -> list[str]:
    """The person's 1–3 addresses, work address first (cheap: no scores)."""
    bits = _bits(person)
    out = [work_email(person)]
    if bits % 100 < 45:
        out.append(work_email(person, (person.company.email_pattern + 1 + (bits >> 8) % 4) % 5))
    if (bits >> 16) % 100 < 35:
        out.append(personal_email(person))
    return out


def emails(person: Person) -> list[tuple[str, str, str]]:
    """1–3 addresses as (address, confidence, verdict); the first is the work address."""
    rng = random.Random(f"emails|{person.id}")
    addresses = email_addresses(person)
    out = [(addresses[0], _confidence(rng, 82, 99), _verdict(rng, "valid"))]
    for address in addresses[1:]:
        if address.split("@", 1)[1] in vocab.PERSONAL_EMAIL_DOMAINS:
            out.append((address, _confidence(rng, 60, 95), _verdict(rng, "valid")))
        elif (_bits(person) >> 12) % 10 < 7:
            out.append((address, _confidence(rng, 35, 79), _verdict(rng, "risky")))
        else:
            out.append((address, _confidence(rng, 5, 30), _verdict(rng, "invalid")))
    return out


def personal_email(person: Person) -> str:
    """A personal mailbox (whether the person has one listed: ``email_addresses``)."""
    bits = _bits(person) >> 24
    domain = vocab.PERSONAL_EMAIL_DOMAINS[bits % len(vocab.PERSONAL_EMAIL_DOMAINS)]
    return f"{_local(person.first)}.{_local(person.last)}{1 + (bits >> 4) % 99}@{domain}"


def phones(person: Person) -> list[tuple[str, str, str]]:
    """1–2 phones as (number, confidence, data type)."""
    rng = random.Random(f"phones|{person.id}")
    first_type = "mobile" if rng.random() < 0.7 else "direct"
    out = [(format_phone(rng, person.city), _confidence(rng, 55, 99), first_type)]
    if rng.random() < 0.45:
        kind = rng.choice(
            ("main", "direct", "work", "mobile" if first_type != "mobile" else "main")
        )
        city = person.company.city if kind in ("main", "work") else person.city
        out.append((format_phone(rng, city), _confidence(rng, 20, 90), kind))
    return out


def sales_nav_url(person: Person) -> str:
    """The person's Sales Navigator lead URL."""
    return f"https://www.linkedin.com/sales/lead/ACwAA{person.token.upper()},NAME_SEARCH,{person.token[:4]}"


def recruiter_url(person: Person) -> str:
    """The person's LinkedIn Recruiter profile URL."""
    return f"https://www.linkedin.com/talent/profile/AEMAA{person.token.upper()}"


def profile_url(person: Person) -> str:
    """The person's LinkedIn profile URL."""
    return f"https://www.linkedin.com/in/{person.li_slug}"


def company_li_url(company: Company) -> str:
    """The company's LinkedIn page."""
    return f"https://www.linkedin.com/company/{company.li_slug}"


COUNTRY_CODES: dict[str, tuple[str, int]] = {
    "AU": ("AUS", 36),
    "BR": ("BRA", 76),
    "CA": ("CAN", 124),
    "DE": ("DEU", 276),
    "ES": ("ESP", 724),
    "FR": ("FRA", 250),
    "GB": ("GBR", 826),
    "IE": ("IRL", 372),
    "IL": ("ISR", 376),
    "IN": ("IND", 356),
    "MX": ("MEX", 484),
    "NL": ("NLD", 528),
    "SE": ("SWE", 752),
    "SG": ("SGP", 702),
    "US": ("USA", 840),
}
"""ISO 3166 alpha-3 and numeric codes of the demo's countries."""


@functools.lru_cache(maxsize=64)
def raw_offset(tz: str) -> str:
    """A time zone's standard offset as the records write it: ``"-8.00"``, ``"5.50"``."""
    try:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        offset = datetime(2026, 1, 15, 12, tzinfo=ZoneInfo(tz)).utcoffset()
    except Exception:  # no tz database on this system: the field is left out
        return ""
    hours = (offset.total_seconds() if offset is not None else 0.0) / 3600
    return f"{hours:.2f}"


def _location(city: int, post_code: str) -> dict[str, Any]:
    """A researched contact's ``contactLocation`` / ``companyLocation``."""
    name, state, abbr, _, country, alpha2, tz, _, _ = vocab.CITIES[city]
    alpha3, numeric = COUNTRY_CODES.get(alpha2, ("", 0))
    location: dict[str, Any] = {
        "city": name,
        "state": state,
        "stateAbbr": abbr,
        "postCode": post_code,
        "country": country,
        "countryAlpha2": alpha2,
        "countryAlpha3": alpha3,
        "countryNumeric": numeric,
        "timezone": tz,
    }
    offset = raw_offset(tz)
    if offset:
        location["timezoneRawOffset"] = offset
    return location


def _company_location(company: Company) -> dict[str, Any]:
    """A company record's ``location`` (docs/api/seamless.md, "Types on the wire")."""
    name, state, _abbr, _, country, alpha2, _tz, _, _ = company.location
    alpha3, _numeric = COUNTRY_CODES.get(alpha2, ("", 0))
    street = ", ".join(p for p in (company.street1, company.street2, company.street3) if p)
    return {
        "street1": company.street1,
        "city": name,
        "state": state,
        "postCode": company.post_code,
        "country": country,
        "countryAbbr": alpha2,
        "countryAlpha2": alpha2,
        "countryAlpha3": alpha3,
        "fullString": f"{street}, {name}, {state} {company.post_code}, {country}",
    }


def _funding_fields(company: Company, anchor_ms: int, prefix: str) -> dict[str, Any]:
    """The latest funding round; left out (not null) when the company has none."""
    if company.funding is None:
        return {}
    days, cls, total = company.funding
    if prefix:
        return {
            f"{prefix}LatestFundingDate": days_ago_iso(anchor_ms, days),
            f"{prefix}LatestFundingClassification": cls,
            f"{prefix}FundingTotal": str(total),
        }
    return {
        "latestFundingDate": days_ago_iso(anchor_ms, days),
        "latestFundingClassification": cls,
        "fundingTotal": str(total),
    }


def linkedin_id(company: Company) -> str:
    """The company's numeric LinkedIn id, as text."""
    return str(1_000_000 + company.index * 7919)


def space_time(ms: int) -> str:
    """``"2026-03-03 12:34:07"``: how search items write ``lastModifiedAt`` (no zone)."""
    return clock.iso(ms)[:19].replace("T", " ")


# -- the declared types (docs/api/seamless.md, "Types on the wire") --------------------------
#
# The renderers below build each answer; these functions give it the types the published
# schema declares, field by field. They are idempotent, so bodies stored by an older
# sandbox (research records, webhook bodies) leave in today's shape too.

RECORD_NULLABLE = frozenset({"jobChangeAlert", "companyType", "stockTicker"})
"""The only fields of a researched contact that may be null."""
ITEM_NULLABLE = frozenset(
    {
        "jobChangeAlert",
        "formerCompany",
        "formerTitle",
        "formerStartedAt",
        "formerEndedAt",
        "companyType",
        "stockTicker",
    }
)
"""Fields of search items that may be null; every other null is left out."""
COMPANY_LISTS = ("industries", "topTechnologies", "phones", "phonesAiScores")
"""Company record fields that are comma-separated text (arrays in search)."""


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _strings(
    body: dict[str, Any], nullable: frozenset[str], keep: tuple[str, ...] = ()
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in keep:
            out[key] = value
        elif value is None:
            if key in nullable:
                out[key] = None
        elif isinstance(value, list):
            out[key] = [_text(v) if not isinstance(v, dict) else v for v in value if v is not None]
        elif isinstance(value, dict):
            out[key] = _strings(value, frozenset())
        else:
            out[key] = _text(value)
    return out


def conform_contact_item(item: dict[str, Any]) -> dict[str, Any]:
    """A contact search item: no integers; only the declared fields may be null."""
    return _strings(item, ITEM_NULLABLE)


def conform_company_item(item: dict[str, Any]) -> dict[str, Any]:
    """A company search item: no integers; ``foundedOn`` a date; only ``companyType`` and
    ``stockTicker`` may be null."""
    out = _strings(item, frozenset({"companyType", "stockTicker"}))
    founded = out.get("foundedOn")
    if isinstance(founded, str) and len(founded) == 4 and founded.isdigit():
        out["foundedOn"] = f"{founded}-01-01"
    return out


def _conform_location(location: dict[str, Any]) -> dict[str, Any]:
    out = _strings(location, frozenset(), keep=("countryNumeric",))
    numeric = out.get("countryNumeric")
    if numeric is None:
        out.pop("countryNumeric", None)
    elif not isinstance(numeric, int) or isinstance(numeric, bool):
        try:
            out["countryNumeric"] = int(str(numeric))
        except ValueError:
            out.pop("countryNumeric")
    return out


def _history_entry(entry: dict[str, Any]) -> dict[str, Any]:
    renamed = {
        "companyName": entry.get("companyName", entry.get("company")),
        "title": entry.get("title"),
        "startedAt": entry.get("startedAt", entry.get("startDate")),
        "endedAt": entry.get("endedAt", entry.get("endDate")),
    }
    return {k: _text(v) for k, v in renamed.items() if v is not None}


def conform_contact_record(record: dict[str, Any]) -> dict[str, Any]:
    """A researched contact: integers only ``companyStaffCount`` and the locations'
    ``countryNumeric``, ``email1Selected`` a boolean, all else text; only
    ``jobChangeAlert``, ``companyType`` and ``stockTicker`` may be null."""
    special = ("contactLocation", "companyLocation", "jobHistory", "companyStaffCount")
    out = _strings(
        {k: v for k, v in record.items() if k != "email1Selected"}, RECORD_NULLABLE, keep=special
    )
    for key in ("contactLocation", "companyLocation"):
        if isinstance(out.get(key), dict):
            out[key] = _conform_location(out[key])
        else:
            out.pop(key, None)
    history = out.get("jobHistory")
    out["jobHistory"] = [_history_entry(e) for e in history or [] if isinstance(e, dict)]
    staff = out.get("companyStaffCount")
    if isinstance(staff, str) and staff.strip().isdigit():
        out["companyStaffCount"] = int(staff)
    elif staff is None or not isinstance(staff, int) or isinstance(staff, bool):
        out.pop("companyStaffCount", None)
    if "email1" in out:
        out["email1Selected"] = bool(record.get("email1Selected", True))
    return out


def conform_company_record(record: dict[str, Any]) -> dict[str, Any]:
    """A researched company: every value text; ``industries``, ``topTechnologies``,
    ``phones`` and ``phonesAiScores`` comma-separated; ``companyType`` and ``stockTicker``
    may be null."""
    lists = {k: record.get(k) for k in COMPANY_LISTS}
    out = _strings(
        {k: v for k, v in record.items() if k not in COMPANY_LISTS and k != "news"},
        frozenset({"companyType", "stockTicker"}),
    )
    for key, value in lists.items():
        if isinstance(value, list):
            out[key] = ", ".join(str(v) for v in value if v is not None)
        elif value is not None:
            out[key] = str(value)
    if isinstance(out.get("location"), dict):
        out["location"] = {k: v for k, v in out["location"].items() if k != "countryNumeric"}
    return out


# -- search items ---------------------------------------------------------------------------


def contact_item(person: Person, anchor_ms: int, now_ms: int) -> dict[str, Any]:
    """One result of ``POST /search/contacts`` (no email or phone: those come from research),
    in the declared types."""
    company = person.company
    age = elapsed_days(anchor_ms, now_ms)
    ploc, cloc = vocab.CITIES[person.city], company.location
    former = person.past[0] if person.past else None
    return conform_contact_item(
        {
            "searchResultId": person.id,
            "name": person.full_name,
            "firstName": person.first,
            "middleName": person.middle,
            "lastName": person.last,
            "company": company.name,
            "companyId": company.id,
            "title": person.title,
            "department": person.department,
            "seniority": person.seniority,
            "domain": company.domain,
            "city": ploc[0],
            "state": ploc[1],
            "zipCode": person.post_code,
            "country": ploc[4],
            "companyCity": cloc[0],
            "companyState": cloc[1],
            "companyZipCode": company.post_code,
            "companyCountry": cloc[4],
            "liUrl": profile_url(person),
            "companyLIProfileUrl": company_li_url(company),
            "sicCode": company.sic,
            "naicsCode": company.naics,
            "industries": list(company.industries),
            "employeeSizeRange": vocab.COMPANY_SIZES[company.size],
            "companyRevenue": vocab.COMPANY_REVENUES[company.revenue],
            "timezone": ploc[6],
            "titleStartedAt": days_ago_iso(anchor_ms, person.title_days),
            "startedAtCurrentCompany": days_ago_iso(anchor_ms, person.company_days),
            "timeAtRole": span_text(person.title_days + age),
            "timeAtCompany": span_text(person.company_days + age),
            "jobChangeAlert": job_change(person, age),
            "formerCompany": former[0] if former else None,
            "formerTitle": former[1] if former else None,
            "formerStartedAt": days_ago_iso(anchor_ms, former[2]) if former else None,
            "formerEndedAt": days_ago_iso(anchor_ms, former[3]) if former else None,
            "contactCurrentCompanyYears": str((person.company_days + age) // 365),
            "companyType": company.company_type,
            "stockTicker": company.ticker,
            "technologies": list(company.technologies),
            "lastModifiedAt": space_time(anchor_ms - person.modified_days * DAY_MS),
        }
    )


def company_item(company: Company, anchor_ms: int) -> dict[str, Any]:
    """One result of ``POST /search/companies``, in the declared types."""
    loc = company.location
    return conform_company_item(
        {
            "searchResultId": company.id,
            "name": company.name,
            "domain": company.domain,
            "description": company.description,
            "street1": company.street1,
            "street2": company.street2,
            "street3": company.street3,
            "city": loc[0],
            "state": loc[1],
            "postCode": company.post_code,
            "country": loc[4],
            "liUrl": company_li_url(company),
            "sicCode": company.sic,
            "naicsCode": company.naics,
            "industries": list(company.industries),
            "revenueRange": vocab.COMPANY_REVENUES[company.revenue],
            "annualRevenue": company.annual_revenue,
            "staffCountRange": vocab.COMPANY_SIZES[company.size],
            "employeeCount": company.employees,
            "numContacts": company.num_contacts,
            "linkedInId": linkedin_id(company),
            "technologies": list(company.technologies),
            "foundedOn": days_ago_iso(anchor_ms, company.founded_days)[:4] + "-01-01",
            "companyType": company.company_type,
            "stockTicker": company.ticker,
            "news": [
                {"type": kind, "date": days_ago_iso(anchor_ms, days)} for kind, days in company.news
            ],
            **_funding_fields(company, anchor_ms, ""),
            "lastModifiedAt": clock.iso(anchor_ms - company.modified_days * DAY_MS),
        }
    )


# -- researched records ---------------------------------------------------------------------


def contact_record(
    person: Person,
    *,
    anchor_ms: int,
    contact_id: str,
    research_id: str,
    created_ms: int,
    updated_ms: int,
) -> dict[str, Any]:
    """The researched contact (poll ``contact``, ``GET /contacts``, the webhook body)."""
    company = person.company
    age = elapsed_days(anchor_ms, updated_ms)
    cloc = company.location
    former = person.past[0] if person.past else None
    found_emails = emails(person)
    personal = next(
        (e for e, _, _ in found_emails if e.split("@")[1] in vocab.PERSONAL_EMAIL_DOMAINS), ""
    )
    record: dict[str, Any] = {
        "contactId": contact_id,
        "searchResultId": person.id,
        "firstName": person.first,
        "middleName": person.middle,
        "lastName": person.last,
        "fullName": person.full_name,
        "name": person.full_name,
        "email": found_emails[0][0],
        "personalEmail": personal,
    }
    for n, (address, score, verdict) in enumerate(found_emails, start=1):
        record[f"email{n}"] = address
        record[f"email{n}TotalAI"] = score
        record[f"email{n}EmailAI"] = verdict
    for n, (number, score, kind) in enumerate(phones(person), start=1):
        record[f"contactPhone{n}"] = number
        record[f"contactPhone{n}TotalAI"] = score
        record[f"contactPhone{n}DataType"] = kind
    rng = random.Random(f"company-phones|{company.id}")
    for n, number in enumerate(company.phones, start=1):
        record[f"companyPhone{n}"] = number
        record[f"companyPhone{n}TotalAI"] = _confidence(rng, 10 if n > 1 else 80, 99)
        record[f"companyPhone{n}DataType"] = "company"
    record.update(
        {
            "company": company.name,
            "companyDomain": company.domain,
            "companyIndustry": company.industries[0],
            "companyStaffCount": company.employees,
            "companyStaffCountRange": vocab.COMPANY_SIZES[company.size] + " employees",
            "companyAnnualRevenue": str(company.annual_revenue),
            "companyRevenueRange": vocab.COMPANY_REVENUES[company.revenue],
            "companyFounded": days_ago_iso(anchor_ms, company.founded_days)[:4],
            "companyDescription": company.description,
            "companyLIProfileUrl": company_li_url(company),
            "companyType": company.company_type,
            "stockTicker": company.ticker,
            **_funding_fields(company, anchor_ms, "company"),
            "title": person.title,
            "department": person.department,
            "seniority": person.seniority,
            "lIProfileUrl": profile_url(person),
            "lISalesNavUrl": sales_nav_url(person),
            "lIRecruiterUrl": recruiter_url(person),
            "contactLocation": _location(person.city, person.post_code),
            "companyLocation": {
                "street1": company.street1,
                "street2": company.street2,
                "street3": company.street3,
                **_location(company.city, company.post_code),
            },
            "website": company.domain,
            "jobHistory": [
                {
                    "companyName": company.name,
                    "title": person.title,
                    "startedAt": days_ago_iso(anchor_ms, person.title_days),
                },
                *(
                    {
                        "companyName": name,
                        "title": title,
                        "startedAt": days_ago_iso(anchor_ms, start),
                        "endedAt": days_ago_iso(anchor_ms, end),
                    }
                    for name, title, start, end in person.past
                ),
            ],
            "jobChangeAlert": job_change(person, age),
            "formerCompany": former[0] if former else None,
            "formerTitle": former[1] if former else None,
            "titleStartedAt": days_ago_iso(anchor_ms, person.title_days),
            "startedAtCurrentCompany": days_ago_iso(anchor_ms, person.company_days),
            "timeAtRole": span_text(person.title_days + age),
            "timeAtCompany": span_text(person.company_days + age),
            "timezone": cloc[6] if person.city == company.city else vocab.CITIES[person.city][6],
            "apiResearchId": research_id,
            "createdAt": clock.iso(created_ms),
            "updatedAt": clock.iso(updated_ms),
        }
    )
    return conform_contact_record(record)


def company_record(
    company: Company,
    *,
    anchor_ms: int,
    company_id: str,
    research_id: str,
    created_ms: int,
    updated_ms: int,
) -> dict[str, Any]:
    """The researched company (poll ``company``, ``GET /companies``, the webhook body), in
    the declared types."""
    scores = random.Random(f"company-phones|{company.id}")
    return conform_company_record(
        {
            "companyId": company_id,
            "searchResultId": company.id,
            "name": company.name,
            "domain": company.domain,
            "website": f"https://www.{company.domain}",
            "description": company.description,
            "phones": list(company.phones),
            "phonesAiScores": [
                _confidence(scores, 10 if n else 80, 99) for n in range(len(company.phones))
            ],
            "industries": list(company.industries),
            "staffCount": company.employees,
            "staffCountRange": vocab.COMPANY_SIZES[company.size],
            "annualRevenue": company.annual_revenue,
            "revenueRange": vocab.COMPANY_REVENUES[company.revenue],
            "sicCode": company.sic,
            "naicsCode": company.naics,
            "foundedOn": days_ago_iso(anchor_ms, company.founded_days)[:4],
            "companyType": company.company_type,
            "stockTicker": company.ticker,
            "location": _company_location(company),
            "topTechnologies": list(company.technologies),
            "linkedInProfileUrl": company_li_url(company),
            **_funding_fields(company, anchor_ms, ""),
            "numContacts": company.num_contacts,
            "apiResearchId": research_id,
            "createdAt": clock.iso(created_ms),
            "updatedAt": clock.iso(updated_ms),
        }
    )


# -- identities (research by contacts[] / companies[]) -------------------------------------


@functools.lru_cache(maxsize=65536)
def norm_name(text: str) -> str:
    """A person's or company's name for comparison: lower case, words only."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


@functools.lru_cache(maxsize=8192)
def norm_company(text: str) -> str:
    """A company name for comparison, without its legal suffix (cached: a few thousand
    names, compared millions of times)."""
    return norm_name(strip_suffix(text.strip()))


def norm_domain(text: str) -> str:
    """``https://www.Acme.com/about`` → ``acme.com``."""
    value = text.strip().lower()
    if "//" not in value:
        value = "//" + value
    host = urlsplit(value).hostname or ""
    return host.removeprefix("www.").rstrip(".")


def linkedin_key(url: str) -> str | None:
    """The part of a LinkedIn URL that names the profile: ``in/<slug>`` or the lead token."""
    value = url.strip()
    if "//" not in value:
        value = "//" + value
    parts = urlsplit(value)
    host = (parts.hostname or "").removeprefix("www.")
    if not host.endswith("linkedin.com"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[0] == "in":
        return "in/" + segments[1].lower()
    if len(segments) >= 3 and segments[:2] == ["sales", "lead"]:
        return "token/" + segments[2].split(",", 1)[0].lower().removeprefix("acwaa")
    if len(segments) >= 3 and segments[0] == "talent":
        return "token/" + segments[-1].lower().removeprefix("aemaa")
    return None


@dataclass
class IdentityIndex:
    """Every way ``contacts[]``/``companies[]`` may name a record, to the record."""

    email: dict[str, Person] = field(default_factory=dict)
    linkedin: dict[str, Person] = field(default_factory=dict)
    name_company: dict[tuple[str, str], Person] = field(default_factory=dict)
    name_domain: dict[tuple[str, str], Person] = field(default_factory=dict)
    name_past: dict[tuple[str, str], Person] = field(default_factory=dict)
    company_domain: dict[str, Company] = field(default_factory=dict)
    company_name: dict[str, Company] = field(default_factory=dict)


def identity_index(ds: Dataset) -> IdentityIndex:
    """Lookups by email, profile URL and name+company (built on first use, once)."""
    with ds.derived_lock:
        index = ds.derived.get("identity")
        if index is None:
            index = ds.derived["identity"] = without_gc(lambda: build_identity_index(ds))
        assert isinstance(index, IdentityIndex)
        return index


def build_identity_index(ds: Dataset) -> IdentityIndex:
    """The identity lookups of the whole database (about half a second, once)."""
    index = IdentityIndex()
    for person in ds.people:
        for address in email_addresses(person):
            index.email.setdefault(address, person)
        index.linkedin["in/" + person.li_slug] = person
        index.linkedin["token/" + person.token] = person
        names = {norm_name(f"{person.first} {person.last}"), norm_name(person.full_name)}
        company = norm_company(person.company.name)
        for name in names:
            index.name_company.setdefault((name, company), person)
            index.name_domain.setdefault((name, person.company.domain), person)
            for past_name, _, _, _ in person.past:
                index.name_past.setdefault((name, norm_company(past_name)), person)
    index.company_domain = {c.domain: c for c in ds.companies}
    index.company_name = {norm_company(c.name): c for c in ds.companies}
    return index


def find_person(ds: Dataset, item: dict[str, str], *, job_change: bool = False) -> Person | None:
    """The person a ``contacts[]`` item names, or None (status ``not found``).

    Tried in order: email, LinkedIn profile / Sales Navigator / Recruiter URL,
    name + company, name + domain. With ``isJobChange`` a name + company also
    matches someone who has left that company (research finds their new job).
    """
    index = identity_index(ds)
    if item.get("email"):
        found = index.email.get(item["email"].strip().lower())
        if found is not None:
            return found
    for key in ("liProfileUrl", "liSalesNavUrl", "liRecruiterUrl"):
        if item.get(key):
            li = linkedin_key(item[key])
            if li is not None and li in index.linkedin:
                return index.linkedin[li]
    name = norm_name(item.get("contactName") or "")
    if name and item.get("companyName"):
        company = norm_company(item["companyName"])
        found = index.name_company.get((name, company))
        if found is None and job_change:
            found = index.name_past.get((name, company))
        if found is not None:
            return found
    if name and item.get("domain"):
        return index.name_domain.get((name, norm_domain(item["domain"])))
    return None


def find_company(ds: Dataset, item: dict[str, str]) -> Company | None:
    """The company a ``companies[]`` item names (domain first, then name), or None."""
    index = identity_index(ds)
    if item.get("domain"):
        found = index.company_domain.get(norm_domain(item["domain"]))
        if found is not None:
            return found
    if item.get("companyName"):
        return index.company_name.get(norm_company(item["companyName"]))
    return None
