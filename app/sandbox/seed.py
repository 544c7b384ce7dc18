"""Seeding a new store: the agency, its sub-accounts and keys, then each area's demo data.

The demo seed is deterministic: the same content every time (names, ids,
threads); only timestamps are laid out relative to the moment of seeding so
that appointments are in the coming weeks. ``--seed empty`` seeds the accounts,
keys, team members and configuration (custom fields, calendars, workflows)
but no contacts, conversations, appointments or subscriptions.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.constants import SCOPES
from app.sandbox.names import FIRST_NAMES, LAST_NAMES
from app.sandbox.store import Store

log = logging.getLogger(__name__)


@dataclass
class AccountSeed:
    """One demo sub-account and the size of its data."""

    id: str
    name: str
    timezone: str
    contacts: int
    conversations: int
    users: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SeedContext:
    """What every seeder gets: mode, the moment of seeding, accounts, and seeded RNGs."""

    mode: str
    now_ms: int
    agency_id: str
    accounts: list[AccountSeed]

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    def rng(self, *parts: str) -> random.Random:
        """A random generator that gives the same sequence for the same ``parts``."""
        return random.Random("|".join(("seedly-demo", *parts)))

    @staticmethod
    def make_id(rng: random.Random, prefix: str) -> str:
        return f"{prefix}_{rng.getrandbits(64):016x}"


Seeder = Callable[[Store, SeedContext], None]
# extra(store, base_url) -> more fields of the ready line
ReadyExtra = Callable[[Store, str], dict[str, Any]]


DEMO_ACCOUNTS = (
    # id, name, timezone, contacts, conversations, team
    (
        "sub_harbor_dental",
        "Harbor Dental Group",
        "America/New_York",
        2400,
        90,
        [
            ("usr_ana_ortiz", "Ana Ortiz"),
            ("usr_ben_carter", "Ben Carter"),
            ("usr_chloe_nguyen", "Chloe Nguyen"),
            ("usr_dev_patel", "Dev Patel"),
        ],
    ),
    (
        "sub_summit_roofing",
        "Summit Roofing Co",
        "America/Denver",
        320,
        64,
        [
            ("usr_erin_walsh", "Erin Walsh"),
            ("usr_frank_li", "Frank Li"),
            ("usr_gina_russo", "Gina Russo"),
        ],
    ),
)
AGENCY = ("agency_northwind", "Northwind Growth Agency")

# ``--subaccounts N``: the agency's clients after the two demo ones, in this order (name,
# timezone). Past the list, names are made from the two word lists below, still in a
# fixed order, so the same N always gives the same agency.
MORE_BUSINESSES = (
    ("Maple Street Bakery", "America/Chicago"),
    ("Cedar Ridge Plumbing", "America/New_York"),
    ("Bluebird Yoga Studio", "America/Los_Angeles"),
    ("Lakeside Veterinary Clinic", "America/Chicago"),
    ("Ironclad Auto Repair", "America/Denver"),
    ("Evergreen Landscaping", "America/Los_Angeles"),
    ("Bright Smile Orthodontics", "America/New_York"),
    ("Northstar Fitness", "America/Chicago"),
    ("Riverbend Family Law", "America/New_York"),
    ("Sunrise Home Cleaning", "America/Phoenix"),
    ("Pinecrest Realty", "America/Denver"),
    ("Copperline Electric", "America/Chicago"),
    ("Willow Creek Dental", "America/Los_Angeles"),
    ("Oakwood Heating & Air", "America/New_York"),
    ("Harborview Physical Therapy", "America/New_York"),
    ("Red Barn Pet Grooming", "America/Chicago"),
    ("Silver Lake Chiropractic", "America/Los_Angeles"),
    ("Brightpath Tutoring", "America/Denver"),
    ("Coastal Window Tinting", "America/New_York"),
    ("Golden Crust Pizzeria", "America/Chicago"),
    ("Granite Peak Roofing", "America/Denver"),
    ("Blue Heron Day Spa", "America/Los_Angeles"),
)
MORE_PREFIXES = ("Hillside", "Westfield", "Brookstone", "Fairview", "Elm Grove", "Stonebridge")
MORE_TRADES = (
    "Dental Care",
    "Roofing",
    "Plumbing",
    "Auto Body",
    "Pet Clinic",
    "Fitness Club",
    "Landscaping",
    "Law Office",
)
MAX_SUBACCOUNTS = len(DEMO_ACCOUNTS) + len(MORE_BUSINESSES) + len(MORE_PREFIXES) * len(MORE_TRADES)
"""The most ``--subaccounts`` can ask for (every name distinct)."""
GENERATED_CONTACTS = 300
"""Contacts of a generated sub-account (more when it is asked for many conversations)."""
GENERATED_CONVERSATIONS = 60
READONLY_SCOPES = ("contacts:read", "conversations:read", "calendars:read")


def _slug(name: str) -> str:
    return "_".join("".join(c for c in word if c.isalnum()) for word in name.lower().split())


def _more_businesses(count: int) -> list[tuple[str, str]]:
    """The first ``count`` generated clients (name, timezone), always in the same order."""
    out = list(MORE_BUSINESSES[:count])
    zones = [tz for _, tz in MORE_BUSINESSES]
    for trade in MORE_TRADES:
        for prefix in MORE_PREFIXES:
            if len(out) >= count:
                return out
            out.append((f"{prefix} {trade}", zones[len(out) % len(zones)]))
    return out


def _generated_team(name: str) -> list[tuple[str, str]]:
    """Two or three team members for a generated client, the same for the same name."""
    rng = random.Random(f"seedly-demo|team|{name}")
    team: list[tuple[str, str]] = []
    wanted = rng.choice((2, 3))
    while len(team) < wanted:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Ids made of the person's name, as the demo's own team has: the API has no users
        # endpoint, so the app can only show an id, and a name-like one reads as a name.
        member_id = f"usr_{first.lower()}_{last.lower()}"
        if all(member_id != known for known, _ in team):
            team.append((member_id, f"{first} {last}"))
    return team


def demo_accounts(
    subaccounts: int | None = None, conversations: int | None = None
) -> list[AccountSeed]:
    """The sub-accounts to seed: the two demo ones by default; ``subaccounts`` asks for that
    many (the demo ones first, then generated small businesses); ``conversations`` sets the
    conversations of every one of them (their contacts grow to match)."""
    rows = [
        (sid, name, tz, n_contacts, n_convs, team)
        for sid, name, tz, n_contacts, n_convs, team in DEMO_ACCOUNTS
    ]
    count = len(rows) if subaccounts is None else subaccounts
    if not 1 <= count <= MAX_SUBACCOUNTS:
        raise ValueError(f"the agency can have 1 to {MAX_SUBACCOUNTS} sub-accounts")
    rows = rows[:count]
    for name, tz in _more_businesses(count - len(rows)):
        rows.append(
            (
                f"sub_{_slug(name)}",
                name,
                tz,
                GENERATED_CONTACTS,
                GENERATED_CONVERSATIONS,
                _generated_team(name),
            )
        )
    out = []
    for sid, name, tz, n_contacts, n_convs, team in rows:
        if conversations is not None:
            n_convs = conversations
            # Each conversation needs a contact with an address on its channel.
            n_contacts = max(n_contacts, conversations + conversations // 4)
        domain = _slug(name).split("_")[0] + ".example"
        users = [
            {"id": uid, "name": uname, "email": f"{uname.split()[0].lower()}@{domain}"}
            for uid, uname in team
        ]
        out.append(AccountSeed(sid, name, tz, n_contacts, n_convs, users))
    return out


def _accounts() -> list[AccountSeed]:
    """The demo's two sub-accounts (``demo_accounts`` with no options)."""
    return demo_accounts()


def _key(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


def _seed_accounts(store: Store, ctx: SeedContext) -> None:
    store.run("INSERT INTO agencies (id, name) VALUES (?, ?)", AGENCY)
    for pos, acct in enumerate(ctx.accounts):
        store.run(
            "INSERT INTO sub_accounts (id, agency_id, name, timezone, position, created_ms) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (acct.id, ctx.agency_id, acct.name, acct.timezone, pos, ctx.now_ms - 400 * 86_400_000),
        )
        for user in acct.users:
            store.run(
                "INSERT INTO users (id, sub_account_id, name, email) VALUES (?, ?, ?, ?)",
                (user["id"], acct.id, user["name"], user["email"]),
            )
    keys: list[tuple[str, str, str, str | None, tuple[str, ...], str, int | None]] = [
        ("agency", "sk_agency_test_", "agency", None, SCOPES, "active", None),
    ]
    for acct in ctx.accounts:
        keys.append((f"sub:{acct.id}", "sk_test_", "sub_account", acct.id, SCOPES, "active", None))
    first = ctx.accounts[0].id
    keys += [
        ("readonly", "sk_test_", "sub_account", first, READONLY_SCOPES, "active", None),
        ("revoked", "sk_test_", "sub_account", first, SCOPES, "revoked", None),
        ("expired", "sk_test_", "sub_account", first, SCOPES, "active", ctx.now_ms - 86_400_000),
    ]
    for label, prefix, kind, sub, scopes, status, expires in keys:
        store.run(
            "INSERT INTO api_keys (id, token, label, kind, agency_id, sub_account_id, scopes, status, "
            "expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f"key_{secrets.token_hex(6)}",
                _key(prefix),
                label,
                kind,
                ctx.agency_id,
                sub,
                json.dumps(list(scopes)),
                status,
                expires,
            ),
        )


def ensure_seeded(
    store: Store,
    mode: str,
    seeders: Sequence[Seeder],
    accounts: Sequence[AccountSeed] | None = None,
) -> None:
    """Seed a new store once (the accounts — ``accounts``, the two demo ones by default —
    then ``seeders`` in order); an existing store is kept as it is (no reseed)."""
    existing = store.meta("seeded")
    if existing is not None:
        if existing != mode:
            log.warning("store was seeded as %r; keeping its data (asked for %r)", existing, mode)
        return
    ctx = SeedContext(
        mode=mode,
        now_ms=store.clock.now_ms(),
        agency_id=AGENCY[0],
        accounts=list(accounts) if accounts is not None else demo_accounts(),
    )
    with store.transaction():
        _seed_accounts(store, ctx)
        for fn in seeders:
            fn(store, ctx)
        store.set_meta("seeded", mode)
        store.set_meta("seeded_ms", str(ctx.now_ms))
    store.secret()


def key_for(store: Store, label: str) -> str:
    token = store.scalar("SELECT token FROM api_keys WHERE label = ?", (label,))
    if token is None:
        raise KeyError(label)
    return str(token)


def ready_info(store: Store, base_url: str, extras: Sequence[ReadyExtra] = ()) -> dict[str, Any]:
    """The ready line: URLs and keys, as the sandbox CLI contract says; ``extras`` add
    their fields (the Seamless half adds its URL and keys)."""
    subs = store.all("SELECT id, name FROM sub_accounts ORDER BY position")
    info: dict[str, Any] = {
        "seedly_url": base_url,
        "agency_key": key_for(store, "agency"),
        "subaccounts": [
            {"id": r["id"], "name": r["name"], "key": key_for(store, f"sub:{r['id']}")}
            for r in subs
        ],
        "readonly_key": key_for(store, "readonly"),
        "revoked_key": key_for(store, "revoked"),
        "expired_key": key_for(store, "expired"),
    }
    for fn in extras:
        info.update(fn(store, base_url))
    return info
