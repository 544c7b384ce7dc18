"""The demo organisation's research history: records researched months ago, some of them
about people who have changed jobs since, and the CRM contacts made from a few of them.

So that the demo can show job changes and stale records: the demo user (``DEMO_USER``)
researched ``MOVERS`` people shortly *before* they moved (the record shows their former
company and title) and ``STAYERS`` people 100–300 days ago (still right, but old).
Researching a mover again (``skipDeduplicationCheck``, or by identity with
``isJobChange``) finds them at their new company. The first demo sub-account of the CRM
holds contacts for some of each, with ``source: seamless`` and the details of the old
research, as if they had been added from the Leads tab back then.

People are taken from the end of the generated database, where tests that pick records
by outcome never look. Seeded once per store (also into a store seeded before this
existed), demo seed only.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from app.sandbox.crm.contacts import insert_contact
from app.sandbox.registry import Registry
from app.sandbox.seamless import accounts, records, research
from app.sandbox.seamless.data import DAY_MS, Company, Dataset, Person
from app.sandbox.seamless.search import dataset
from app.sandbox.seed import SeedContext
from app.sandbox.store import Store, dumps

log = logging.getLogger(__name__)

HISTORY_META = "seamless_history_seeded"
FIRST_INDEX = 15_000
"""People before this index are left alone (tests pick records by outcome from the start)."""
MOVERS = 20
STAYERS = 20
IN_CRM = 10
"""How many of each get a CRM contact in the first demo sub-account."""
DEMO_SUB_ACCOUNT = "sub_harbor_dental"


def _company_by_name(ds: Dataset) -> dict[str, Company]:
    return {c.name: c for c in ds.companies}


def movers(ds: Dataset, count: int = MOVERS) -> list[tuple[Person, Person]]:
    """(the person now, the person as they were before their latest move) for recent
    movers whose former employer is in the database and whose research ends ``done``."""
    by_name = _company_by_name(ds)
    found: list[tuple[Person, Person]] = []
    for person in ds.people[FIRST_INDEX:]:
        if not person.past or not 10 <= person.company_days <= 75:
            continue
        if research.outcome_of("contact", person.id) != "done":
            continue
        old_name, old_title, start, end = person.past[0]
        old_company = by_name.get(old_name)
        if old_company is None or old_company is person.company:
            continue
        before = dataclasses.replace(
            person,
            company=old_company,
            title=old_title,
            company_days=start,
            title_days=start,
            past=person.past[1:],
        )
        found.append((person, before))
        if len(found) >= count:
            break
    return found


def stayers(ds: Dataset, taken: set[str], count: int = STAYERS) -> list[Person]:
    """Long-tenured people (no change for years) whose research ends ``done``."""
    found: list[Person] = []
    for person in reversed(ds.people[FIRST_INDEX:]):
        if person.id in taken or person.company_days < 800 or person.title_days < 800:
            continue
        if research.outcome_of("contact", person.id) != "done":
            continue
        found.append(person)
        if len(found) >= count:
            break
    return found


def _store(
    store: Store, ds: Dataset, person: Person, as_of: Person, at_ms: int, n: int
) -> dict[str, Any]:
    """One past research of ``person`` (its record describing ``as_of``): the request, the
    record, its charge; the record's body."""
    request_id = f"history{n:05d}{person.id[-8:]}"
    store.run(
        "INSERT INTO sl_records (kind, org_id, user_id, target, body, created_ms, updated_ms) "
        "VALUES ('contact', ?, ?, ?, '{}', ?, ?)",
        (accounts.DEMO_ORG[0], accounts.DEMO_USERS[0][0], person.id, at_ms, at_ms),
    )
    seq = int(store.scalar("SELECT last_insert_rowid()"))
    body = records.contact_record(
        as_of,
        anchor_ms=ds.anchor_ms,
        contact_id=str(research.CONTACT_ID_BASE + seq),
        research_id=request_id,
        created_ms=at_ms,
        updated_ms=at_ms,
    )
    body["searchResultId"] = person.id
    store.run("UPDATE sl_records SET body = ? WHERE seq = ?", (dumps(body), seq))
    store.run(
        "INSERT INTO sl_research (request_id, kind, org_id, user_id, batch, position, target, "
        "via, input, outcome, dup_of, charged, created_ms, start_ms, ready_ms, settled, "
        "record_seq) VALUES (?, 'contact', ?, ?, 'history', ?, ?, 'searchResultId', ?, "
        "'done', NULL, 1, ?, ?, ?, 1, ?)",
        (
            request_id,
            accounts.DEMO_ORG[0],
            accounts.DEMO_USERS[0][0],
            n,
            person.id,
            dumps({"searchResultId": person.id}),
            at_ms,
            at_ms,
            at_ms,
            seq,
        ),
    )
    return body


def _crm_contact(store: Store, body: dict[str, Any], at_ms: int, n: int) -> None:
    location = body.get("contactLocation") or {}
    insert_contact(
        store,
        DEMO_SUB_ACCOUNT,
        {
            "firstName": body["firstName"],
            "lastName": body["lastName"],
            "email": body["email"],
            "company": body["company"],
            "title": body["title"],
            "source": "seamless",
            "tags": ["seamless"],
            "city": location.get("city"),
            "state": location.get("stateAbbr"),
            "postalCode": location.get("postCode"),
            "country": location.get("countryAlpha2"),
        },
        now_ms=at_ms,
        contact_id=f"contact_history{n:04d}",
        emit=False,
    )


def seed_history(store: Store) -> int:
    """Seed the history into a demo store that lacks it (idempotent); records added."""
    if store.meta("seeded") != "demo" or store.meta(HISTORY_META) is not None:
        return 0
    if store.one("SELECT 1 FROM sub_accounts WHERE id = ?", (DEMO_SUB_ACCOUNT,)) is None:
        return 0
    ds = dataset(store)
    anchor = ds.anchor_ms
    added = 0
    with store.transaction():
        moved = movers(ds)
        for n, (person, before) in enumerate(moved):
            # Researched a week to a month before the move.
            at = anchor - (person.company_days + 7 + n % 25) * DAY_MS
            body = _store(store, ds, person, before, at, n)
            if n < IN_CRM:
                _crm_contact(store, body, at + DAY_MS, n)
            added += 1
        for m, person in enumerate(stayers(ds, {p.id for p, _ in moved})):
            n = MOVERS + m
            at = anchor - (100 + (m * 37) % 200) * DAY_MS
            body = _store(store, ds, person, person, at, n)
            if m < IN_CRM:
                _crm_contact(store, body, at + DAY_MS, n)
            added += 1
        store.set_meta(HISTORY_META, str(added))
    return added


def _seed(store: Store, ctx: SeedContext) -> None:
    if ctx.demo:
        store.set_meta("seeded", "demo")  # ensure_seeded writes it after the seeders
        seed_history(store)


def _ready(store: Store, base_url: str) -> dict[str, Any]:
    # A demo store seeded before the history existed gets it at its next start.
    try:
        seed_history(store)
    except Exception:  # the demo works without it
        log.exception("seeding the Seamless research history failed")
    return {}


def register(registry: Registry) -> None:
    """Add this module's seeders and hooks to one server."""
    registry.seeder(70, _seed)
    registry.ready_extras.append(_ready)
