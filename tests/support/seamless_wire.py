"""The types the published Seamless.AI schema declares, field by field, and a checker.

Written from docs/api/seamless.md, "Types on the wire", independently of the sandbox
and of the client: ``problems(value, SCHEMA)`` lists every place an answer breaks the
declared types (a number where text is declared, a null where nothing may be null, an
array where comma-separated text is declared, a record present as ``null``...).
An empty list means the answer follows the schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class T:
    """One declared type: ``kind`` is str, numeric (text of digits), date (text
    YYYY-MM-DD), int, bool, list (of ``item``), object (``fields``), any."""

    kind: str
    nullable: bool = False
    item: T | None = None
    fields: dict[str, T] = field(default_factory=dict)
    rest: T | None = None
    """The type of fields an object does not declare (None: they are refused)."""
    required: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


STR = T("str")
NSTR = T("str", nullable=True)
NUM_TEXT = T("numeric")
DATE_TEXT = T("date")
INT = T("int")
BOOL = T("bool")
STR_LIST = T("list", item=STR)
ANY = T("any")
NO_INTEGERS = T("no-integers")
"""Anything JSON but no integer (or float) anywhere inside and no null."""


def obj(fields: dict[str, T], *, rest: T | None = None, required: tuple[str, ...] = ()) -> T:
    """An object type."""
    return T("object", fields=fields, rest=rest, required=required)


def problems(value: Any, spec: T, path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``spec``."""
    if value is None:
        return [] if spec.nullable or spec.kind == "any" else [f"{path}: null is not declared"]
    kind = spec.kind
    if kind == "any":
        return []
    if kind == "no-integers":
        if isinstance(value, bool):
            return []
        if isinstance(value, int | float):
            return [f"{path}: a number ({value!r}) where the schema has no integers"]
        if isinstance(value, list):
            return [p for n, v in enumerate(value) for p in problems(v, spec, f"{path}[{n}]")]
        if isinstance(value, dict):
            return [p for k, v in value.items() for p in problems(v, spec, f"{path}.{k}")]
        return []
    if kind in ("str", "numeric", "date"):
        if not isinstance(value, str):
            return [f"{path}: {type(value).__name__} {value!r} where text is declared"]
        if kind == "numeric" and value and not NUMERIC.match(value):
            return [f"{path}: {value!r} is not numeric text"]
        if kind == "date" and not DATE.match(value):
            return [f"{path}: {value!r} is not a YYYY-MM-DD date"]
        if spec.choices and value not in spec.choices:
            return [f"{path}: {value!r} is not one of {', '.join(spec.choices)}"]
        return []
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (
            [] if ok else [f"{path}: {type(value).__name__} {value!r} where an integer is declared"]
        )
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} where a boolean is declared"]
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where an array is declared"]
        assert spec.item is not None
        return [p for n, v in enumerate(value) for p in problems(v, spec.item, f"{path}[{n}]")]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where an object is declared"]
        found = [f"{path}.{name}: missing" for name in spec.required if name not in value]
        for key, item in value.items():
            declared = spec.fields.get(key, spec.rest)
            if declared is None:
                found.append(f"{path}.{key}: not declared")
            else:
                found.extend(problems(item, declared, f"{path}.{key}"))
        return found
    raise ValueError(f"unknown kind {kind}")


# -- search ------------------------------------------------------------------------------------

CONTACT_ITEM = obj(
    {
        "searchResultId": STR,
        "industries": STR_LIST,
        "technologies": STR_LIST,
        "jobChangeAlert": T("str", nullable=True, choices=("New Hire", "New Promotion")),
        "formerCompany": NSTR,
        "formerTitle": NSTR,
        "formerStartedAt": NSTR,
        "formerEndedAt": NSTR,
        "companyType": T("str", nullable=True, choices=("Public", "Private")),
        "stockTicker": NSTR,
        "contactCurrentCompanyYears": STR,
        "lastModifiedAt": STR,
        "sicCode": STR,
    },
    rest=T("str"),
    required=("searchResultId",),
)
"""A contact search item: text everywhere, no integers; the declared fields may be null."""

COMPANY_ITEM = obj(
    {
        "searchResultId": STR,
        "numContacts": NUM_TEXT,
        "employeeCount": NUM_TEXT,
        "annualRevenue": NUM_TEXT,
        "fundingTotal": NUM_TEXT,
        "sicCode": NUM_TEXT,
        "linkedInId": NUM_TEXT,
        "industries": STR_LIST,
        "technologies": STR_LIST,
        "foundedOn": DATE_TEXT,
        "latestFundingDate": DATE_TEXT,
        "companyType": T("str", nullable=True, choices=("Public", "Private")),
        "stockTicker": NSTR,
    },
    rest=NO_INTEGERS,
    required=("searchResultId",),
)
"""A company search item: numeric-looking values as text, no integer fields."""

SUPPLEMENTAL = obj(
    {"isMore": BOOL, "total": INT, "perPage": INT, "nextToken": NSTR},
    rest=ANY,
    required=("isMore", "nextToken"),
)


def search_page(item: T) -> T:
    """A search answer holding ``item``s."""
    return obj(
        {"data": T("list", item=item), "supplementalData": SUPPLEMENTAL},
        required=("data", "supplementalData"),
    )


# -- research ------------------------------------------------------------------------------------

RESEARCH_ACCEPTED = obj(
    {"success": BOOL, "requestIds": STR_LIST}, required=("success", "requestIds")
)

CONTACT_LOCATION = obj({"countryNumeric": INT}, rest=STR)
JOB = obj({"companyName": STR, "title": STR, "startedAt": STR, "endedAt": STR})

CONTACT_RECORD = obj(
    {
        "companyStaffCount": INT,
        "email1Selected": BOOL,
        "contactLocation": CONTACT_LOCATION,
        "companyLocation": CONTACT_LOCATION,
        "jobHistory": T("list", item=JOB),
        "jobChangeAlert": T("str", nullable=True, choices=("New Hire", "New Promotion")),
        "companyType": T("str", nullable=True, choices=("Public", "Private")),
        "stockTicker": NSTR,
        "companyFounded": NUM_TEXT,
        "companyAnnualRevenue": NUM_TEXT,
    },
    rest=STR,
)
"""A researched contact: integers only ``companyStaffCount`` and ``countryNumeric``,
``email1Selected`` a boolean, all else text; three nullable fields."""

COMPANY_RECORD = obj(
    {
        "staffCount": NUM_TEXT,
        "annualRevenue": NUM_TEXT,
        "fundingTotal": NUM_TEXT,
        "industries": STR,
        "topTechnologies": STR,
        "phones": STR,
        "phonesAiScores": STR,
        "location": obj(
            {
                name: STR
                for name in (
                    "street1",
                    "city",
                    "state",
                    "postCode",
                    "country",
                    "countryAbbr",
                    "countryAlpha2",
                    "countryAlpha3",
                    "fullString",
                )
            }
        ),
        "companyType": T("str", nullable=True, choices=("Public", "Private")),
        "stockTicker": NSTR,
    },
    rest=STR,
)
"""A researched company: all text, four comma-separated lists, a declared location."""

CONTACT_STATUSES = (
    "queued",
    "researching",
    "done",
    "duplicate",
    "contact-already-researched",
    "missing",
    "not found",
    "error",
    "No license or credits available",
)
COMPANY_STATUSES = ("missing", "researching", "done", "error")

CONTACT_POLL_ITEM = obj(
    {
        "requestId": STR,
        "searchResultId": STR,
        "status": T("str", choices=CONTACT_STATUSES),
        "message": STR,
        "contact": CONTACT_RECORD,
        "additionalData": T("object", rest=ANY),
    },
    required=("requestId", "status", "message"),
)
COMPANY_POLL_ITEM = obj(
    {
        "requestId": STR,
        "searchResultId": STR,
        "status": T("str", choices=COMPANY_STATUSES),
        "message": STR,
        "company": COMPANY_RECORD,
    },
    required=("requestId", "status", "message"),
)


def poll_answer(item: T) -> T:
    """A poll answer holding ``item``s."""
    return obj({"success": BOOL, "data": T("list", item=item)}, required=("success", "data"))


def org_page(item: T) -> T:
    """``GET /contacts`` / ``GET /companies``: ``{"data": [...]}`` only."""
    return obj({"data": T("list", item=item)}, required=("data",))


# -- errors ------------------------------------------------------------------------------------

UNAUTHORIZED = obj({"message": STR}, required=("message",))
UNPROCESSABLE = obj(
    {
        "msg": STR,
        "code": STR,
        "data": obj({"productCategory": STR, "additionalCreditsNeeded": INT}),
    },
    required=("msg", "code", "data"),
)
RATE_LIMITED = T("object", rest=ANY)
"""429: a JSON object of undocumented shape."""
