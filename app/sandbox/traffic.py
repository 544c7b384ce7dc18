"""``--traffic SECONDS``: live activity so a client has something to poll for.

At about one action per interval the simulator delivers inbound messages,
creates and updates contacts, books appointments, moves appointments along and
changes conversation statuses, all through the same functions the API uses, so
every action fires the same events and webhooks a real one would.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

from app.core.constants import LIFECYCLE_STAGES
from app.sandbox import clock
from app.sandbox.crm import calendars, contacts, conversations
from app.sandbox.http import Ctx, Param, Reply, validation
from app.sandbox.names import CITIES, FIRST_NAMES, LAST_NAMES, SOURCES, TAGS, TITLES
from app.sandbox.registry import Registry
from app.sandbox.state import SandboxState
from app.sandbox.store import Store, loads

log = logging.getLogger(__name__)

INBOUND_TEXTS = {
    "sms": [
        "Hi, can I move my appointment to next week?",
        "Running 10 min late, sorry!",
        "Thanks, see you then",
        "What time do you open tomorrow?",
        "Is Saturday possible?",
        "Got the estimate, looks good",
        "Can you call me back?",
        "STOP",
    ],
    "email": [
        "Following up on the quote you sent last week.",
        "Could you send me the invoice again?",
        "I have a question about my insurance coverage.",
        "Please confirm my booking for Friday.",
    ],
    "gmail": ["Quick question about pricing", "Can we reschedule our call?"],
    "messenger": ["Hey! Are you taking new customers?", "Saw your post, interested 👋"],
    "instagram": ["Love your work! How do I book?", "DM'd about the promo"],
    "live_chat": ["Hello, anyone there?", "I need help with my booking"],
    "social_dm": ["Do you have availability this month?", "Who should I talk to about a quote?"],
}


def _pick_account(store: Store, rng: random.Random) -> str | None:
    rows = store.all("SELECT id FROM sub_accounts ORDER BY position")
    return rng.choice(rows)["id"] if rows else None


def inbound_message(store: Store, sub: str, rng: random.Random) -> bool:
    """A customer writes in, most often on a recently active conversation."""
    rows = store.all(
        "SELECT id, channel FROM conversations WHERE sub_account_id = ? AND deleted_ms IS NULL "
        "ORDER BY sort_ms DESC LIMIT 40",
        (sub,),
    )
    if not rows:
        return False
    row = rows[min(int(rng.expovariate(0.25)), len(rows) - 1)]
    texts = INBOUND_TEXTS.get(row["channel"], INBOUND_TEXTS["sms"])
    # STOP is rare: it opts the contact out, which should stay an occasional event.
    text = rng.choice([t for t in texts if t != "STOP"] if rng.random() > 0.03 else texts)
    conversations.receive_inbound(store, sub, row["id"], text)
    return True


def new_contact(store: Store, sub: str, rng: random.Random) -> bool:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first}.{last}.{rng.getrandbits(24):06x}@example.com".lower()
    city, state, postal, country = rng.choice(CITIES)
    fields: dict[str, Any] = {
        "firstName": first,
        "lastName": last,
        "email": email,
        "source": rng.choice(SOURCES),
        "title": rng.choice(TITLES),
        "city": city,
        "state": state or None,
        "postalCode": postal,
        "country": country,
        "tags": ["website-lead"] if rng.random() < 0.5 else [],
    }
    required = store.all(
        "SELECT name, type, options FROM custom_fields WHERE sub_account_id = ? AND is_required = 1",
        (sub,),
    )
    custom: dict[str, Any] = {}
    for field in required:
        options = loads(field["options"]) or []
        custom[field["name"]] = rng.choice(options) if options else "n/a"
    fields["customFields"] = custom
    contacts.insert_contact(store, sub, fields)
    return True


def update_contact(store: Store, sub: str, rng: random.Random) -> bool:
    row = store.one(
        "SELECT doc FROM contacts WHERE sub_account_id = ? AND deleted_ms IS NULL "
        "ORDER BY updated_ms DESC LIMIT 1 OFFSET ?",
        (sub, rng.randint(0, 200)),
    )
    if row is None:
        return False
    doc = loads(row["doc"])
    if rng.random() < 0.5:
        changes: dict[str, Any] = {"lifecycleStage": rng.choice(LIFECYCLE_STAGES)}
    else:
        changes = {"tags": sorted({*(doc.get("tags") or []), rng.choice(TAGS)})}
    contacts.update_contact(store, sub, doc, changes)
    return True


def conversation_status(store: Store, sub: str, rng: random.Random) -> bool:
    row = store.one(
        "SELECT id, status FROM conversations WHERE sub_account_id = ? AND deleted_ms IS NULL "
        "ORDER BY sort_ms DESC LIMIT 1 OFFSET ?",
        (sub, rng.randint(0, 30)),
    )
    if row is None:
        return False
    status = "closed" if row["status"] == "open" else "open"
    conversations.set_status(store, sub, row["id"], status)
    return True


def book(store: Store, sub: str, rng: random.Random) -> bool:
    return calendars.book_random(store, sub, rng) is not None


def appointments(store: Store, sub: str, rng: random.Random) -> bool:
    return calendars.advance_appointments(store, sub, rng) > 0


ACTIONS: list[tuple[str, float, Callable[[Store, str, random.Random], bool]]] = [
    ("inbound_message", 50, inbound_message),
    ("new_contact", 12, new_contact),
    ("update_contact", 10, update_contact),
    ("booking", 10, book),
    ("appointments", 8, appointments),
    ("conversation_status", 10, conversation_status),
]


def step(state: SandboxState, rng: random.Random) -> str | None:
    """Do one random action in one transaction; returns its name when something happened."""
    store = state.store
    names = [a[0] for a in ACTIONS]
    weights = [a[1] for a in ACTIONS]
    name = rng.choices(names, weights=weights)[0]
    action = dict((a[0], a[2]) for a in ACTIONS)[name]
    with store.transaction():
        sub = _pick_account(store, rng)
        if sub is None or not action(store, sub, rng):
            return None
    state.stats[f"traffic.{name}"] += 1
    state.stats[f"traffic_sub.{sub}"] += 1
    return name


async def simulate_traffic(state: SandboxState) -> None:
    """Runs for the server's lifetime; idle while no pace is set."""
    rng = random.Random()
    while True:
        seconds = state.config.traffic_seconds
        if not seconds:
            await asyncio.sleep(0.5)
            continue
        # Jitter keeps arrivals from looking like a metronome.
        await asyncio.sleep(seconds * rng.uniform(0.5, 1.5))
        try:
            step(state, rng)
        except Exception:
            log.exception("traffic step failed")


def get_traffic(ctx: Ctx) -> Reply:
    stats = {k.split(".", 1)[1]: v for k, v in ctx.state.stats.items() if k.startswith("traffic.")}
    per_sub = {
        k.split(".", 1)[1]: v for k, v in ctx.state.stats.items() if k.startswith("traffic_sub.")
    }
    return Reply(
        {
            "seconds": ctx.state.config.traffic_seconds,
            "actions": stats,
            "subAccounts": per_sub,
            "now": clock.iso(ctx.now()),
        }
    )


def put_traffic(ctx: Ctx) -> Reply:
    """``{"seconds": N}`` sets the pace; ``null`` or 0 stops the simulator."""
    seconds = ctx.body.raw("seconds")
    if seconds is not None and (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or seconds < 0
        or seconds > 3600
    ):
        raise validation("seconds must be a number from 0 to 3600, or null")
    ctx.state.config.traffic_seconds = float(seconds) if seconds else None
    return get_traffic(ctx)


def run_steps(ctx: Ctx) -> Reply:
    """Run ``{"count": N}`` simulator actions now (tests use it to avoid waiting)."""
    count = ctx.body.int("count", minimum=1, maximum=500) or 1
    rng = random.Random()
    done = [name for _ in range(count) if (name := step(ctx.state, rng))]
    return Reply({"actions": done})


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.background.append(simulate_traffic)
    router.add("GET", "/_sandbox/traffic", get_traffic, auth="control")
    router.add(
        "PUT",
        "/_sandbox/traffic",
        put_traffic,
        auth="control",
        body=(Param.number("seconds", minimum=0, maximum=3600),),
    )
    router.add(
        "POST",
        "/_sandbox/traffic/step",
        run_steps,
        auth="control",
        body=(Param.integer("count", minimum=1, maximum=500),),
    )
