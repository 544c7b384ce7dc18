"""The Seamless.AI demo database: 2,000 companies and 20,000 people, generated in memory.

Nothing of it is stored: the same seed gives the same database, so a server
generates it (about 0.4 s on this 2-core machine; ~45 MB) the first time it
serves a Seamless request, in a warm-up thread, instead of writing ~22,000 rows
on the first start and reading them on every start. A server that never gets
a Seamless request never pays for it, and start-up time is not affected at
all. Only what users do with the database (research requests, researched
records, credits) lives in SQLite. Dates are laid out as "days before the
anchor", the moment the store was first seeded, so a restart on the same data
directory serves exactly the same database.

Everything a filter needs is a plain attribute (precomputed lower-case text
included); contact details (emails, phones, their confidence scores) are
derived from the person's id only when a record is researched
(``records.py``).
"""

from __future__ import annotations

import bisect
import gc
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from app.sandbox import names
from app.sandbox.seamless import vocab


DAY_MS = 86_400_000
N_COMPANIES = 2_000
N_PEOPLE = 20_000
SEED = "seamless-demo-v1"

# Size buckets: share of companies, and how many extra people each one draws.
_SIZE_WEIGHTS = (3, 12, 20, 20, 14, 10, 10, 5, 6)
_SIZE_PEOPLE_WEIGHT = (0, 1, 2, 4, 6, 8, 12, 16, 20)
_DEPARTMENT_WEIGHTS = (16, 10, 16, 6, 8, 8, 14, 8, 3, 5, 6)
_SENIORITY_WEIGHTS = (6, 8, 14, 20, 16, 12, 18, 6)  # in vocab.SENIORITIES order
# SIC and NAICS codes per industry group (the first fits the group best).
_CODES: dict[str, tuple[tuple[str, str], ...]] = {
    "Software & Information Technology": (
        ("7372", "511210"),
        ("7371", "541511"),
        ("7373", "541512"),
    ),
    "Telecommunications & Wireless": (("4813", "517311"), ("4812", "517312")),
    "Business Services": (
        ("8742", "541611"),
        ("7311", "541810"),
        ("8721", "541211"),
        ("7361", "561311"),
    ),
    "Finance & Insurance": (
        ("6211", "523110"),
        ("6021", "522110"),
        ("6411", "524210"),
        ("6282", "523930"),
    ),
    "Healthcare & Life Sciences": (
        ("8062", "622110"),
        ("2834", "325412"),
        ("3841", "339112"),
        ("8011", "621111"),
    ),
    "Manufacturing": (
        ("3711", "336111"),
        ("3559", "333249"),
        ("2821", "325211"),
        ("3679", "334419"),
    ),
    "Retail & Consumer Goods": (("5311", "452210"), ("5651", "448140"), ("5141", "424410")),
    "Food, Hospitality & Leisure": (("5812", "722511"), ("7011", "721110"), ("2099", "311999")),
    "Real Estate & Construction": (("6531", "531210"), ("1542", "236220"), ("8712", "541310")),
    "Education & Research": (("8221", "611310"), ("8211", "611110"), ("8731", "541715")),
    "Media & Entertainment": (("7812", "512110"), ("2711", "511110"), ("4833", "515120")),
    "Energy, Utilities & Mining": (("1311", "211120"), ("4911", "221122"), ("1041", "212221")),
    "Transportation & Logistics": (("4213", "484121"), ("4512", "481111"), ("4225", "493110")),
    "Government & Public Sector": (("9111", "921110"), ("9221", "922120")),
    "Legal": (("8111", "541110"),),
    "Non-Profit & Community": (("8399", "813319"), ("8661", "813110")),
    "Agriculture": (("0191", "111998"), ("0212", "112111"), ("0912", "114111")),
}
_PRODUCTS = (
    "software",
    "services",
    "solutions",
    "products",
    "consulting",
    "platforms",
    "equipment",
    "expertise",
)
_CUSTOMERS = (
    "mid-market companies",
    "enterprise teams",
    "small businesses",
    "healthcare providers",
    "public agencies",
    "consumers",
    "manufacturers",
    "financial institutions",
    "retailers",
    "fast-growing startups",
)


@dataclass(slots=True)
class Company:
    """One company of the demo database (search result, research subject, employer)."""

    index: int
    id: str
    name: str
    domain: str
    description: str
    street1: str
    street2: str
    street3: str
    city: int  # index into vocab.CITIES
    post_code: str
    industries: tuple[str, ...]
    size: int  # index into vocab.COMPANY_SIZES
    employees: int
    revenue: int  # index into vocab.COMPANY_REVENUES
    annual_revenue: int
    founded_days: int  # days before the anchor
    company_type: str
    ticker: str | None
    technologies: tuple[str, ...]
    news: tuple[tuple[str, int], ...]  # (news type, days before the anchor)
    funding: tuple[int, str, int] | None  # (days before the anchor, round, total raised USD)
    modified_days: int
    phones: tuple[str, ...]
    sic: str
    naics: str
    email_pattern: int
    li_slug: str
    num_contacts: int = 0
    # Lower-case text for the filters, computed once.
    name_l: str = ""
    text_l: str = ""
    tech_l: frozenset[str] = field(default_factory=frozenset)
    parents: frozenset[str] = field(default_factory=frozenset)

    @property
    def location(self) -> tuple[str, str, str, tuple[str, ...], str, str, str, str, str]:
        """The city row (``vocab.CITIES``) of this record."""
        return vocab.CITIES[self.city]


@dataclass(slots=True)
class Person:
    """One person of the demo database; ``company`` is their current employer."""

    index: int
    id: str
    first: str
    middle: str
    last: str
    company: Company
    title: str
    department: str
    seniority: str
    city: int
    post_code: str
    company_days: int  # started at the current company, days before the anchor
    title_days: int  # started in the current title, days before the anchor
    past: tuple[tuple[str, str, int, int], ...]  # (company, title, start, end), newest first
    modified_days: int
    li_slug: str
    token: str  # the person's Sales Navigator / Recruiter profile token
    full_l: str = ""
    title_l: str = ""

    @property
    def full_name(self) -> str:
        """First, middle and last name."""
        return " ".join(p for p in (self.first, self.middle, self.last) if p)

    @property
    def location(self) -> tuple[str, str, str, tuple[str, ...], str, str, str, str, str]:
        """The city row (``vocab.CITIES``) of this record."""
        return vocab.CITIES[self.city]


@dataclass
class Dataset:
    """The generated database and the lookups research needs."""

    anchor_ms: int
    companies: list[Company]
    people: list[Person]
    company_by_id: dict[str, Company]
    person_by_id: dict[str, Person]
    # Derived lookups that ``records`` builds on first use (the identity index), under
    # their own lock: searches need not wait for them.
    derived: dict[str, Any] = field(default_factory=dict)
    derived_lock: threading.Lock = field(default_factory=threading.Lock)


class _Picker:
    """Weighted choice with precomputed cumulative weights (``random.choices`` is slower)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _slug(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _company_names(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.55:
            base = f"{rng.choice(vocab.NAME_WORDS_A)} {rng.choice(vocab.NAME_WORDS_B)}"
        elif roll < 0.85:
            base = rng.choice(vocab.BRAND_HEADS) + rng.choice(vocab.BRAND_TAILS)
            if rng.random() < 0.5:
                base += " " + rng.choice(vocab.NAME_WORDS_B)
        else:
            a, b = rng.sample(names.LAST_NAMES, 2)
            base = f"{a} & {b}" if rng.random() < 0.5 else f"{a} {rng.choice(vocab.NAME_WORDS_B)}"
        key = base.lower()
        if key in seen:
            continue
        seen.add(key)
        suffix = rng.choice(vocab.COMPANY_SUFFIXES)
        out.append(f"{base} {suffix}".strip() if suffix else base)
    return out


def strip_suffix(name: str) -> str:
    """A company name without its legal suffix ("Acme Labs Inc" → "Acme Labs")."""
    parts = name.replace(",", " ").split()
    while len(parts) > 1 and parts[-1].rstrip(".").lower() in _LEGAL_SUFFIXES:
        parts.pop()
    return " ".join(parts)


_LEGAL_SUFFIXES = {"inc", "llc", "corp", "co", "group", "ltd", "gmbh", "plc", "corporation"}


def _domain(name: str, country: str, seen: set[str], rng: random.Random) -> str:
    root = "".join(ch for ch in strip_suffix(name).lower() if ch.isalnum())
    tlds = {"GB": ".co.uk", "DE": ".de", "FR": ".fr", "NL": ".nl", "AU": ".com.au", "IE": ".ie"}
    tld = tlds.get(country) if rng.random() < 0.6 else None
    if tld is None:
        tld = rng.choice((".com", ".com", ".com", ".com", ".io", ".co", ".ai", ".net"))
    domain = root + tld
    n = 2
    while domain in seen:
        domain = f"{root}{n}{tld}"
        n += 1
    seen.add(domain)
    return domain


def format_phone(rng: random.Random, city: int, kind: str = "person") -> str:
    """A phone number of ``city`` in one of the loose formats real data arrives in."""
    _, _, _, _, _, alpha2, _, prefix, style = vocab.CITIES[city]
    if style == "nanp":
        line = f"01{rng.randrange(100):02d}"
        return rng.choice(
            (
                f"{prefix}.555.{line}",
                f"({prefix}) 555-{line}",
                f"+1 {prefix} 555 {line}",
                f"{prefix}-555-{line}",
                f"1-{prefix}-555-{line}",
                f"+1{prefix}555{line}",
            )
        )
    digits = 3 if style == "uk" else 5 if alpha2 in ("DE", "SE") else 4
    rest = "".join(str(rng.randrange(10)) for _ in range(digits))
    spaced = prefix + rest
    roll = rng.random()
    if roll < 0.6:
        return spaced
    if roll < 0.8 or style != "uk":
        return spaced.replace(" ", "")
    return "0" + spaced[len("+44 ") :]  # the national form, as UK data often has it


def _founded_days(rng: random.Random, size: int) -> int:
    roll = rng.random()
    if size >= 6 or roll >= 0.46:
        return rng.randint(11 * 365 + 1, 120 * 365)
    if roll < 0.05:
        return rng.randint(20, 364)
    if roll < 0.16:
        return rng.randint(366, 4 * 365 - 1)
    return rng.randint(4 * 365, 11 * 365)


def _funding(rng: random.Random, size: int, public: bool) -> tuple[int, str, int] | None:
    if rng.random() >= (0.12 if public else 0.42):
        return None
    classes = vocab.FUNDING_CLASSIFICATIONS
    if size <= 2:
        cls = rng.choice(("Pre-Seed", "Seed", "Angel", "Grant", "Convertible Note"))
    elif size <= 4:
        cls = rng.choice(("Seed", "Series A", "Series B", "Debt Financing", "Convertible Note"))
    else:
        cls = rng.choice(classes[4:])
    tier = {
        "Pre-Seed": 0,
        "Seed": 1,
        "Angel": 0,
        "Grant": 0,
        "Convertible Note": 1,
        "Series A": 2,
        "Series B": 3,
        "Debt Financing": 3,
        "Series C": 4,
        "Series D": 5,
        "Corporate Round": 4,
        "Series E+": 6,
        "Private Equity": 7,
    }[cls]
    tier = max(0, min(7, tier + rng.choice((-1, 0, 0, 1))))
    low, high = vocab.FUNDING_TOTAL_BOUNDS[tier]
    total = rng.randrange(low, high) // 10_000 * 10_000
    days = rng.randint(3, 1600) if rng.random() < 0.9 else rng.randint(1601, 4000)
    return days, cls, max(total, low)


def generate(anchor_ms: int, n_companies: int = N_COMPANIES, n_people: int = N_PEOPLE) -> Dataset:
    """The demo database for ``anchor_ms`` (the same arguments always give the same data)."""
    rng = random.Random(SEED)
    ids = random.Random(SEED + "|ids")
    city_pick = _Picker(range(len(vocab.CITIES)), vocab.CITY_WEIGHTS)
    size_pick = _Picker(range(len(vocab.COMPANY_SIZES)), _SIZE_WEIGHTS)
    company_names = _company_names(rng, n_companies)
    tickers: set[str] = set()
    domains: set[str] = set()
    companies: list[Company] = []
    for i in range(n_companies):
        name = company_names[i]
        # The first companies walk every value once, so each filter value has matches.
        size = i % 9 if i < 18 else size_pick(rng)
        primary = vocab.INDUSTRIES[i % len(vocab.INDUSTRIES)] if i < 296 else None
        if primary is None:
            primary = rng.choice(vocab.INDUSTRIES)
        industries: tuple[str, ...] = (primary,)
        if rng.random() < 0.3:
            second = rng.choice(vocab.INDUSTRY_GROUPS[vocab.PARENT_OF[primary]])
            if second != primary:
                industries = (primary, second)
        city = i % len(vocab.CITIES) if i < len(vocab.CITIES) else city_pick(rng)
        loc = vocab.CITIES[city]
        low, high = vocab.SIZE_BOUNDS[size]
        employees = rng.randint(low, high)
        revenue = max(0, min(8, size + rng.choice((-1, 0, 0, 0, 1)) - (1 if size >= 4 else 0)))
        if size == 8 and rng.random() < 0.5:
            revenue = 8
        rlow, rhigh = vocab.REVENUE_BOUNDS[revenue]
        annual_revenue = rng.randrange(rlow, rhigh) // 1000 * 1000
        public = size >= 5 and rng.random() < (0.55 if size >= 7 else 0.2)
        ticker = None
        if public:
            base = "".join(ch for ch in strip_suffix(name).upper() if ch.isalpha())
            ticker = base[:4] or "SLX"
            n = 0
            while ticker in tickers:
                n += 1
                ticker = (
                    (base[:3] + chr(65 + n % 26)) if len(base) >= 3 else f"SX{chr(65 + n % 26)}"
                )
            tickers.add(ticker)
        n_news = rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]
        news = tuple((rng.choice(vocab.NEWS_TYPES), rng.randint(1, 720)) for _ in range(n_news))
        if i < len(vocab.NEWS_TYPES):
            news = ((vocab.NEWS_TYPES[i], 10 + i * 40), *news)
        funding = _funding(rng, size, public)
        if i < len(vocab.FUNDING_CLASSIFICATIONS):
            windows = (10, 60, 120, 300, 500, 1500)
            funding = (
                windows[i % len(windows)],
                vocab.FUNDING_CLASSIFICATIONS[i],
                vocab.FUNDING_TOTAL_BOUNDS[i % 8][0] + 10_000,
            )
        parent = vocab.PARENT_OF[primary]
        codes = _CODES[parent]
        sic, naics = codes[vocab.INDUSTRY_GROUPS[parent].index(primary) % len(codes)]
        n_tech = rng.randint(3, 12)
        technologies = tuple(rng.sample(vocab.TECHNOLOGIES, n_tech))
        if i < len(vocab.TECHNOLOGIES) and vocab.TECHNOLOGIES[i] not in technologies:
            technologies = (vocab.TECHNOLOGIES[i], *technologies)
        street1 = f"{rng.randint(1, 9999)} {rng.choice(vocab.STREETS)}"
        street2 = f"Suite {rng.randint(1, 40) * 100}" if rng.random() < 0.4 else ""
        street3 = f"Floor {rng.randint(2, 30)}" if street2 and rng.random() < 0.15 else ""
        phones = tuple(format_phone(rng, city, "company") for _ in range(rng.randint(1, 3)))
        description = (
            f"{strip_suffix(name)} provides {primary.lower()} {rng.choice(_PRODUCTS)} "
            f"for {rng.choice(_CUSTOMERS)} from its headquarters in {loc[0]}."
        )
        domain = _domain(name, loc[5], domains, rng)
        company = Company(
            index=i,
            id=_uuid(ids),
            name=name,
            domain=domain,
            description=description,
            street1=street1,
            street2=street2,
            street3=street3,
            city=city,
            post_code=rng.choice(loc[3]),
            industries=industries,
            size=size,
            employees=employees,
            revenue=revenue,
            annual_revenue=annual_revenue,
            founded_days=_founded_days(rng, size) if i >= 4 else (100, 800, 2500, 6000)[i],
            company_type="Public" if public else "Private",
            ticker=ticker,
            technologies=technologies,
            news=news,
            funding=funding,
            modified_days=rng.randint(0, 400),
            phones=phones,
            sic=sic,
            naics=naics,
            email_pattern=rng.choices((0, 1, 2, 3, 4), (50, 25, 10, 10, 5))[0],
            li_slug=_slug(strip_suffix(name)),
        )
        company.name_l = name.lower()
        company.text_l = " | ".join((name, description, *industries, *technologies, domain)).lower()
        company.tech_l = frozenset(t.lower() for t in technologies)
        company.parents = frozenset(vocab.PARENT_OF[x] for x in industries)
        companies.append(company)

    people = _people(rng, ids, companies, n_people, company_names)
    # Search results come in database order: mix the companies as a real index would.
    rng.shuffle(people)
    for i, person in enumerate(people):
        person.index = i
    return Dataset(
        anchor_ms=anchor_ms,
        companies=companies,
        people=people,
        company_by_id={c.id: c for c in companies},
        person_by_id={p.id: p for p in people},
    )


def _people(
    rng: random.Random,
    ids: random.Random,
    companies: list[Company],
    n_people: int,
    company_names: list[str],
) -> list[Person]:
    # One person per company, the rest shared out by company size (with some spread),
    # never more people than a company employs; what rounding leaves goes to the largest.
    weights = [_SIZE_PEOPLE_WEIGHT[c.size] * (0.5 + rng.random()) for c in companies]
    extra = n_people - len(companies)
    scale = extra / sum(weights)
    counts = [min(c.employees, 1 + int(w * scale)) for c, w in zip(companies, weights, strict=True)]
    by_size = sorted(range(len(companies)), key=lambda ci: -companies[ci].employees)
    short = n_people - sum(counts)
    while short > 0:
        for ci in by_size:
            if short == 0:
                break
            if counts[ci] < companies[ci].employees:
                counts[ci] += 1
                short -= 1
    employer = [ci for ci, count in enumerate(counts) for _ in range(count)]
    for company, count in zip(companies, counts, strict=True):
        company.num_contacts = count
    dept_pick = _Picker(vocab.DEPARTMENTS, _DEPARTMENT_WEIGHTS)
    sen_pick = _Picker(vocab.SENIORITIES, _SENIORITY_WEIGHTS)
    city_pick = _Picker(range(len(vocab.CITIES)), vocab.CITY_WEIGHTS)
    past_count = _Picker((0, 1, 2, 3), (25, 40, 25, 10))
    external = [
        rng.choice(vocab.BRAND_HEADS) + rng.choice(vocab.BRAND_TAILS) + " " + suffix
        for suffix in ("Inc", "Corp", "LLC", "Group") * 15
    ]
    # This loop runs 20,000 times on every start: plain float draws and local names
    # keep it around a tenth of a second.
    r = rng.random
    first_names, last_names = names.FIRST_NAMES, names.LAST_NAMES
    n_first, n_last, n_names, n_ext = (
        len(first_names),
        len(last_names),
        len(company_names),
        len(external),
    )
    seniorities = vocab.SENIORITIES
    titles = vocab.TITLES
    cities = vocab.CITIES
    people: list[Person] = []
    taken: set[tuple[int, str, str]] = set()
    getrandbits = ids.getrandbits
    for i, ci in enumerate(employer):
        company = companies[ci]
        while True:
            first = first_names[int(r() * n_first)]
            last = last_names[int(r() * n_last)]
            if (ci, first, last) not in taken:
                taken.add((ci, first, last))
                break
        middle = ""
        if r() < 0.2:
            middle = first_names[int(r() * n_first)] if r() < 0.4 else "ABCDEJKLMRST"[int(r() * 12)]
        if company.size == 0:
            department, seniority = "Operations", "C-Level"
            title = "Owner" if r() < 0.5 else "Founder"
        else:
            department, seniority = dept_pick(rng), sen_pick(rng)
            options = titles[department][seniority]
            title = options[0] if r() < 0.5 else options[int(r() * len(options))]
        city = company.city if r() < 0.75 else city_pick(rng)
        if r() < 0.09:
            company_days = 1 + int(r() * 365)
            title_days = company_days
        else:
            company_days = 366 + int(r() * 5635)
            if r() < 0.1:
                title_days = 1 + int(r() * 365)
            else:
                title_days = 366 + int(r() * (company_days - 365))
        n_past = past_count(rng)
        if company_days <= 365 and n_past == 0:
            n_past = 1  # a new hire came from somewhere
        past: list[tuple[str, str, int, int]] = []
        end = company_days + int(r() * 61)
        lower = seniorities[min(7, seniorities.index(seniority) + 1)]
        for _ in range(n_past):
            other = company_names[int(r() * n_names)] if r() < 0.6 else external[int(r() * n_ext)]
            if other == company.name:
                other = external[int(r() * n_ext)]
            options = titles[department][lower]
            start = end + 200 + int(r() * 2000)
            past.append((other, options[int(r() * len(options))], start, end))
            end = start + int(r() * 91)
        bits = getrandbits(128)
        h = f"{bits:032x}"
        token = f"{getrandbits(72):018x}"
        person = Person(
            index=i,
            id=f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}",
            first=first,
            middle=middle,
            last=last,
            company=company,
            title=title,
            department=department,
            seniority=seniority,
            city=city,
            post_code=cities[city][3][int(r() * len(cities[city][3]))],
            company_days=company_days,
            title_days=title_days,
            past=tuple(past),
            modified_days=int(r() * 501),
            li_slug=f"{first.lower()}-{last.lower()}-{token[:6]}",
            token=token,
        )
        full = f"{first} {middle} {last}" if middle else f"{first} {last}"
        person.full_l = full.lower()
        person.title_l = title.lower()
        people.append(person)
    return people


# -- one server's instance ------------------------------------------------------------------

SERVICE = "seamless.data"


class DatasetCache:
    """The demo database of one server and what searches derived from it.

    Generated on first use, thread-safe: a warm-up thread and a request may ask at
    once; the second waits for the first.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Dataset | None = None
        self._warming: threading.Thread | None = None
        # Search results by filters (an LRU the search module keeps).
        self.matches: OrderedDict[str, list[int]] = OrderedDict()

    def get(self, anchor_ms: int) -> Dataset:
        """The database for ``anchor_ms``, generated on first use."""
        with self._lock:
            if self._current is None or self._current.anchor_ms != anchor_ms:
                self._current = without_gc(lambda: generate(anchor_ms))
            return self._current

    def warm_up(self, anchor_ms: int, prepare: Callable[[Dataset], Any]) -> None:
        """Generate the database (then ``prepare`` it) in a thread, once per server."""
        with self._lock:
            if self._warming is not None:
                return
            self._warming = threading.Thread(
                target=lambda: prepare(self.get(anchor_ms)), name="seamless-warm-up", daemon=True
            )
            self._warming.start()


def cache_of(services: dict[str, Any]) -> DatasetCache:
    """The ``DatasetCache`` among a server's services (made on first use)."""
    found = services.get(SERVICE)
    if found is None:
        found = services[SERVICE] = DatasetCache()
    assert isinstance(found, DatasetCache)
    return found


def without_gc(build: Callable[[], Any]) -> Any:
    # The collector would walk the growing object graph again and again (a quarter of the
    # time); afterwards, freezing moves what was built out of its sight for good.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build()
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


def days_ago_iso(anchor_ms: int, days: int) -> str:
    """The calendar date ``days`` before the anchor (``YYYY-MM-DD``)."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp((anchor_ms - days * DAY_MS) / 1000, tz=UTC).strftime("%Y-%m-%d")
