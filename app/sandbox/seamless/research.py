"""Research (enrichment): requests, their asynchronous life, polling, deduplication, records.

A research request answers ``202 {success, requestIds}`` at once, one id per
submitted record, in the order submitted. Each record then lives a few seconds
of sandbox time: contacts are ``queued`` for 0.5–1.5 s, then ``researching``
until 2–4.5 s after submission; companies are ``researching`` from the start
(the wire contract lists no ``queued`` for them). Then the outcome, fixed per
record (``outcome_of``: the same record always ends the same way):

* contacts: ~85 % ``done``, ~10 % ``missing`` (the person is known, no contact
  details were found), ~5 % ``error``; a ``contacts[]`` identity that matches
  nobody ends ``not found``;
* companies: ~96 % ``done``, ~4 % ``error``; a ``companies[]`` item that
  matches no company ends ``missing`` (the only ``missing`` for companies).

``GET /_sandbox/seamless/outcomes`` lists records by outcome.

Billing (docs/api/seamless.md, credits: "1 credit per contact researched", "per
company researched"): each submitted record that names a known person or company and is not a
duplicate costs 1 credit, taken when the request is accepted — all or nothing:
when the balance is short the request is refused with ``422
insufficientCredits`` and nothing is queued or charged. ``done`` and ``missing``
stay charged (the research ran; the credits notes bill research, not results); an
``error`` is refunded when it ends (the research did not complete); ``not found``
(contacts) / unmatched ``missing`` (companies) are never charged (nothing was
identified to research), so the cost is known exactly at submission.

Deduplication (default on, per user): a record this user has already
researched (``done``) or is researching right now is not researched or charged
again; it ends ``duplicate`` with the existing record (for ``contacts[]``
identities the status is spelled ``contact-already-researched``, the
wire contract's other spelling). The same record twice in one request counts once.
While the original is still running, the duplicate shows the original's
status. ``skipDeduplicationCheck: true`` researches and charges again, and the
user's record is refreshed (``updatedAt``; ``contactId`` and ``createdAt`` kept).

Researched records are one per user and record, listed per organisation by
``GET /contacts`` / ``GET /companies`` (free) by ``updatedAt``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from app.sandbox import clock
from app.sandbox.http import Ctx, Param, Reply, int_from_text
from app.sandbox.registry import Registry
from app.sandbox.seamless import accounts, errors, records
from app.sandbox.seamless.caller import Caller
from app.sandbox.seamless.data import Company, Dataset, Person
from app.sandbox.seamless.routes import add_seamless_route
from app.sandbox.seamless.search import dataset
from app.sandbox.state import SandboxState
from app.sandbox.store import Store, dumps, loads

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sl_research (
    request_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'company')),
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    batch TEXT NOT NULL,
    position INTEGER NOT NULL,
    target TEXT,
    via TEXT NOT NULL,
    input TEXT NOT NULL,
    outcome TEXT NOT NULL,
    dup_of TEXT,
    charged INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    start_ms INTEGER NOT NULL,
    ready_ms INTEGER NOT NULL,
    settled INTEGER NOT NULL DEFAULT 0,
    record_seq INTEGER
);
CREATE INDEX IF NOT EXISTS sl_research_due ON sl_research (settled, ready_ms);
CREATE INDEX IF NOT EXISTS sl_research_by_target ON sl_research (user_id, kind, target);
CREATE TABLE IF NOT EXISTS sl_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    UNIQUE (kind, user_id, target)
);
CREATE INDEX IF NOT EXISTS sl_records_by_org ON sl_records (org_id, kind, updated_ms, seq);
"""

MAX_RECORDS = 100
MAX_ORG_PAGE = 500
MAX_PAGE = 1_000_000
CONTACT_ID_BASE = 700_000_000
COMPANY_ID_BASE = 300_000_000
IDENTITY_FIELDS = (
    "contactName",
    "companyName",
    "domain",
    "email",
    "liProfileUrl",
    "liSalesNavUrl",
    "liRecruiterUrl",
    "title",
)
MESSAGES = {
    "queued": "Queued for research.",
    "researching": "Research in progress; poll again in 2-5 seconds.",
    "done": "",
    "duplicate": "Already researched by this user: the existing record is returned; no credits used.",
    "contact-already-researched": "Already researched by this user: the existing record is "
    "returned; no credits used.",
    "missing": "No contact details were found for this record.",
    "not found": "No person matches the identity given.",
    "error": "Research failed for this record; its credit was refunded.",
}
# -- outcomes and timing (fixed per record) ----------------------------------------------


def _hash(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:12], 16)


def outcome_of(kind: str, target: str | None) -> str:
    """How research of ``target`` ends; None (nothing matched) → ``not found``/``missing``."""
    if target is None:
        return "not found" if kind == "contact" else "missing"
    roll = _hash("outcome", kind, target) % 100
    if kind == "contact":
        return "error" if roll < 5 else "missing" if roll < 15 else "done"
    return "error" if roll < 4 else "done"


def timing(kind: str, request_id: str, created_ms: int, pace: float = 1.0) -> tuple[int, int]:
    """(start of ``researching``, end) for one record, within 4.5 s of submission (times
    ``pace``: a test slows research down to see records arrive poll after poll)."""
    h = _hash("timing", request_id)
    if kind == "company":
        return created_ms, created_ms + int((1500 + h % 2500) * pace)
    start = created_ms + int((500 + h % 1000) * pace)
    return start, start + int((1500 + (h >> 12) % 1500) * pace)


def _request_id() -> str:
    # Shaped like the documented ids: 21 URL-safe characters.
    return secrets.token_urlsafe(16)[:21]


# -- submitting --------------------------------------------------------------------------


def _string_list(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.bad_request(f"{name} must be an array of strings", name)
    if len(value) > MAX_RECORDS:
        raise errors.bad_request(
            f"{name} accepts at most {MAX_RECORDS} ids (got {len(value)})", name
        )
    out = [v.strip() for v in value]
    if any(not v or len(v) > 200 for v in out):
        raise errors.bad_request(f"{name} must not contain empty or over-long ids", name)
    return out


def _identity_items(
    body: dict[str, Any], name: str, allowed: Sequence[str]
) -> list[dict[str, str]] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise errors.bad_request(f"{name} must be an array of objects", name)
    if len(value) > MAX_RECORDS:
        raise errors.bad_request(
            f"{name} accepts at most {MAX_RECORDS} items (got {len(value)})", name
        )
    items: list[dict[str, str]] = []
    for n, item in enumerate(value):
        where = f"{name}[{n}]"
        if not isinstance(item, dict):
            raise errors.bad_request(f"{where} must be an object", where)
        errors.check_fields(item, tuple(allowed), where)
        clean: dict[str, str] = {}
        for key, v in item.items():
            if v is None:
                continue
            if not isinstance(v, str):
                raise errors.bad_request(f"{where}.{key} must be a string", f"{where}.{key}")
            if len(v) > 500:
                raise errors.bad_request(f"{where}.{key} is too long", f"{where}.{key}")
            if v.strip():
                clean[key] = v.strip()
        items.append(clean)
    return items


def _check_contact_identity(item: dict[str, str], where: str) -> None:
    name = "contactName" in item
    ok = (
        (name and ("companyName" in item or "domain" in item))
        or "email" in item
        or any(k in item for k in ("liProfileUrl", "liSalesNavUrl", "liRecruiterUrl"))
    )
    if not ok:
        raise errors.bad_request(
            f"{where} must identify a person by contactName + companyName, contactName + "
            "domain, email, liProfileUrl, liSalesNavUrl or liRecruiterUrl",
            where,
        )


def _dedup_target(store: Store, user_id: str, kind: str, target: str, now: int) -> str | None:
    """The request id of this user's research of ``target`` that a new one would duplicate:
    the latest that is still running or ended ``done``."""
    row = store.one(
        "SELECT request_id FROM sl_research WHERE user_id = ? AND kind = ? AND target = ? "
        "AND dup_of IS NULL AND charged > 0 AND (settled = 0 OR outcome = 'done') "
        "ORDER BY created_ms DESC, position DESC LIMIT 1",
        (user_id, kind, target),
    )
    return None if row is None else str(row["request_id"])


def submit(
    store: Store,
    caller: Caller,
    kind: str,
    entries: list[tuple[str | None, str, dict[str, Any]]],
    *,
    skip_dedup: bool,
    pace: float = 1.0,
) -> list[str]:
    """Queue one research per entry ``(target id or None, via, input)``; charge; request ids.

    All or nothing: the charge comes first, so when it is refused nothing is queued.
    """
    now = store.clock.now_ms()
    batch = _request_id()
    rows: list[tuple[Any, ...]] = []
    seen: dict[str, str] = {}  # target → request id within this request
    cost = 0
    ids: list[str] = []
    for position, (target, via, payload) in enumerate(entries):
        request_id = _request_id()
        dup_of = None
        if target is not None and not skip_dedup:
            dup_of = seen.get(target) or _dedup_target(store, caller.user_id, kind, target, now)
        charged = 1 if target is not None and dup_of is None else 0
        if target is not None and target not in seen:
            seen[target] = dup_of or request_id  # later copies point at the real research
        cost += charged
        start, ready = timing(kind, request_id, now, pace)
        rows.append(
            (
                request_id,
                kind,
                caller.org_id,
                caller.user_id,
                batch,
                position,
                target,
                via,
                dumps(payload),
                outcome_of(kind, target),
                dup_of,
                charged,
                now,
                start,
                ready,
            )
        )
        ids.append(request_id)
    accounts.charge(
        store, caller.user_id, cost, f"{kind} research: {cost} of {len(entries)} records", batch
    )
    store.many(
        "INSERT INTO sl_research (request_id, kind, org_id, user_id, batch, position, target, via, "
        "input, outcome, dup_of, charged, created_ms, start_ms, ready_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return ids


def _skip_flag(body: dict[str, Any]) -> bool:
    value = body.get("skipDeduplicationCheck", False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.bad_request(
            "skipDeduplicationCheck must be true or false", "skipDeduplicationCheck"
        )
    return value


def research_contacts(ctx: Ctx, caller: Caller | None) -> Reply:
    """Research people by ``searchResultIds`` or by identity ``contacts[]`` (never both)."""
    assert caller is not None
    body = errors.parse_body(ctx.raw_body)
    errors.check_fields(
        body, ("searchResultIds", "contacts", "skipDeduplicationCheck", "isJobChange"), "the body"
    )
    skip = _skip_flag(body)
    job_change = body.get("isJobChange", False)
    if job_change is not None and not isinstance(job_change, bool):
        raise errors.bad_request("isJobChange must be true or false", "isJobChange")
    ids = _string_list(body, "searchResultIds")
    contacts = _identity_items(body, "contacts", IDENTITY_FIELDS)
    if ids is not None and contacts is not None:
        raise errors.bad_request("Send either searchResultIds or contacts, never both", "contacts")
    if not ids and not contacts:
        raise errors.bad_request(
            "Send 1 to 100 searchResultIds or contacts to research", "searchResultIds"
        )
    ds = dataset(ctx.store)
    entries: list[tuple[str | None, str, dict[str, Any]]] = []
    if ids is not None:
        if job_change:
            raise errors.bad_request("isJobChange applies only with contacts[]", "isJobChange")
        for sid in ids:
            known = ds.person_by_id.get(sid)
            entries.append((known.id if known else None, "searchResultId", {"searchResultId": sid}))
    else:
        assert contacts is not None
        for n, item in enumerate(contacts):
            _check_contact_identity(item, f"contacts[{n}]")
            found = records.find_person(ds, item, job_change=bool(job_change))
            entries.append((found.id if found else None, "identity", item))
    request_ids = submit(
        ctx.store, caller, "contact", entries, skip_dedup=skip, pace=ctx.state.config.research_pace
    )
    return Reply(raw={"success": True, "requestIds": request_ids}, status=202)


def research_companies(ctx: Ctx, caller: Caller | None) -> Reply:
    """Research companies by ``searchResultIds`` and/or ``companies[]`` (100 in all)."""
    assert caller is not None
    body = errors.parse_body(ctx.raw_body)
    errors.check_fields(
        body, ("searchResultIds", "companies", "skipDeduplicationCheck"), "the body"
    )
    skip = _skip_flag(body)
    ids = _string_list(body, "searchResultIds") or []
    companies = _identity_items(body, "companies", ("domain", "companyName")) or []
    if not ids and not companies:
        raise errors.bad_request(
            "Send 1 to 100 searchResultIds and/or companies to research", "companies"
        )
    if len(ids) + len(companies) > MAX_RECORDS:
        raise errors.bad_request(f"At most {MAX_RECORDS} companies per request", "companies")
    ds = dataset(ctx.store)
    entries: list[tuple[str | None, str, dict[str, Any]]] = []
    for sid in ids:
        known = ds.company_by_id.get(sid)
        entries.append((known.id if known else None, "searchResultId", {"searchResultId": sid}))
    for n, item in enumerate(companies):
        if not item:
            raise errors.bad_request(
                f"companies[{n}] needs a domain or a companyName", f"companies[{n}]"
            )
        found = records.find_company(ds, item)
        entries.append((found.id if found else None, "identity", item))
    request_ids = submit(
        ctx.store, caller, "company", entries, skip_dedup=skip, pace=ctx.state.config.research_pace
    )
    return Reply(raw={"success": True, "requestIds": request_ids}, status=202)


# -- settling: what happens when a record's time is up ------------------------------------


def _render(
    ds: Dataset, kind: str, target: str, seq: int, research_id: str, created: int, updated: int
) -> dict[str, Any]:
    if kind == "contact":
        person: Person = ds.person_by_id[target]
        return records.contact_record(
            person,
            anchor_ms=ds.anchor_ms,
            contact_id=str(CONTACT_ID_BASE + seq),
            research_id=research_id,
            created_ms=created,
            updated_ms=updated,
        )
    company: Company = ds.company_by_id[target]
    return records.company_record(
        company,
        anchor_ms=ds.anchor_ms,
        company_id=str(COMPANY_ID_BASE + seq),
        research_id=research_id,
        created_ms=created,
        updated_ms=updated,
    )


def _store_record(store: Store, ds: Dataset, row: Any) -> tuple[int, dict[str, Any]]:
    at = row["ready_ms"]
    existing = store.one(
        "SELECT seq, created_ms FROM sl_records WHERE kind = ? AND user_id = ? AND target = ?",
        (row["kind"], row["user_id"], row["target"]),
    )
    if existing is None:
        store.run(
            "INSERT INTO sl_records (kind, org_id, user_id, target, body, created_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, '{}', ?, ?)",
            (row["kind"], row["org_id"], row["user_id"], row["target"], at, at),
        )
        seq = int(store.scalar("SELECT last_insert_rowid()"))
        created = at
    else:
        seq, created = int(existing["seq"]), int(existing["created_ms"])
    body = _render(ds, row["kind"], row["target"], seq, row["request_id"], created, at)
    store.run(
        "UPDATE sl_records SET body = ?, updated_ms = ? WHERE seq = ?", (dumps(body), at, seq)
    )
    return seq, body


def settle_due(store: Store, now_ms: int | None = None) -> int:
    """Finish every record whose time is up: store results, refund errors, notify listeners.

    Called before every poll and list (so answers never lag sandbox time) and by
    a background task (so webhooks go out without anyone polling).
    """
    now = store.clock.now_ms() if now_ms is None else now_ms
    with store.transaction():
        rows = store.all(
            "SELECT * FROM sl_research WHERE settled = 0 AND ready_ms <= ? ORDER BY ready_ms, position",
            (now,),
        )
        if not rows:
            return 0
        ds = dataset(store)
        for row in rows:
            seq = None
            if row["dup_of"] is None and row["outcome"] == "done":
                seq, body = _store_record(store, ds, row)
                # The store's ``researched`` hooks (the webhooks queue them).
                for listener in store.hooks.researched:
                    listener(store, row["kind"], row["org_id"], body)
            elif row["dup_of"] is None and row["outcome"] == "error" and row["charged"]:
                accounts.refund(
                    store,
                    row["user_id"],
                    row["charged"],
                    f"{row['kind']} research error",
                    row["request_id"],
                )
            store.run(
                "UPDATE sl_research SET settled = 1, record_seq = ? WHERE request_id = ?",
                (seq, row["request_id"]),
            )
    return len(rows)


async def settle_research(state: SandboxState) -> None:
    """Background task: settle research as sandbox time passes (webhooks need no poll)."""
    while True:
        try:
            settle_due(state.store)
        except Exception:
            log.exception("settling research failed")
        await asyncio.sleep(0.2)


# -- polling -----------------------------------------------------------------------------


def _live_status(row: Any, now: int) -> str:
    if row["settled"]:
        return str(row["outcome"])
    if row["kind"] == "contact" and now < row["start_ms"]:
        return "queued"
    return "researching"


def conform(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A stored record in the declared types (a store written by an older sandbox too)."""
    if kind == "contact":
        return records.conform_contact_record(body)
    return records.conform_company_record(body)


def _record_of(store: Store, row: Any) -> dict[str, Any] | None:
    found = store.one(
        "SELECT body FROM sl_records WHERE kind = ? AND user_id = ? AND target = ?",
        (row["kind"], row["user_id"], row["target"]),
    )
    return None if found is None else conform(str(row["kind"]), loads(found["body"]))


def poll_item(store: Store, row: Any, now: int) -> dict[str, Any]:
    """One entry of a poll answer, in the declared types: the record is absent (not null)
    until it exists; only contact items carry ``additionalData``; the companies poll knows
    ``missing | researching | done | error`` only, so a company duplicate is ``done`` with
    the existing record (and no charge)."""
    status = _live_status(row, now)
    record = None
    if row["dup_of"] is not None:
        original = store.one("SELECT * FROM sl_research WHERE request_id = ?", (row["dup_of"],))
        status = _live_status(original, now) if original is not None else "error"
        if status == "done":
            if row["kind"] == "company":
                status = "done"
            elif row["via"] == "identity":
                status = "contact-already-researched"
            else:
                status = "duplicate"
            record = _record_of(store, row)
    elif status == "done":
        record = _record_of(store, row)
    charged = row["charged"] - (
        1 if row["settled"] and row["outcome"] == "error" and row["charged"] else 0
    )
    message = MESSAGES.get(status, "")
    if row["dup_of"] is not None and status in ("missing", "error"):
        message = "The research this request duplicates ended '" + status + "'; no credits used."
    item: dict[str, Any] = {"requestId": row["request_id"]}
    if row["target"] is not None:
        item["searchResultId"] = row["target"]
    item["status"] = status
    item["message"] = message
    if record is not None:
        item["contact" if row["kind"] == "contact" else "company"] = record
    if row["kind"] == "contact":
        extra: dict[str, Any] = {
            "input": loads(row["input"]),
            "creditsCharged": charged,
            "submittedAt": clock.iso(row["created_ms"]),
        }
        if row["dup_of"] is not None:
            extra["duplicateOf"] = row["dup_of"]
        item["additionalData"] = extra
    return item


def _request_ids(ctx: Ctx) -> list[str]:
    values = ctx.request.query_params.getlist("requestIds")
    ids: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in ids:
                ids.append(part)
    if not ids:
        raise errors.bad_request(
            "requestIds is required: 1 to 100 ids, comma separated", "requestIds"
        )
    if len(ids) > MAX_RECORDS:
        raise errors.bad_request(
            f"requestIds accepts at most {MAX_RECORDS} ids (got {len(ids)})", "requestIds"
        )
    extra = sorted(set(ctx.request.query_params) - {"requestIds"})
    if extra:
        raise errors.bad_request(f"Unknown query parameter: {', '.join(extra)}", extra[0])
    return ids


def poll(ctx: Ctx, caller: Caller, kind: str) -> Reply:
    """The poll answer for ``kind`` research requests of the caller's organisation."""
    ids = _request_ids(ctx)
    settle_due(ctx.store)
    now = ctx.now()
    marks = ",".join("?" * len(ids))
    rows = {
        r["request_id"]: r
        for r in ctx.store.all(
            f"SELECT * FROM sl_research WHERE request_id IN ({marks}) AND org_id = ? AND kind = ?",
            [*ids, caller.org_id, kind],
        )
    }
    out = []
    for request_id in ids:
        row = rows.get(request_id)
        if row is None:
            out.append(
                {
                    "requestId": request_id,
                    "status": "error",
                    "message": f"No {kind} research request with this id in your organisation.",
                }
            )
        else:
            out.append(poll_item(ctx.store, row, now))
    return Reply(raw={"success": True, "data": out})


def poll_contacts(ctx: Ctx, caller: Caller | None) -> Reply:
    """Status of contact research requests (ids of the caller's organisation)."""
    assert caller is not None
    return poll(ctx, caller, "contact")


def poll_companies(ctx: Ctx, caller: Caller | None) -> Reply:
    """Status of company research requests."""
    assert caller is not None
    return poll(ctx, caller, "company")


# -- the organisation's researched records -------------------------------------------------


def _date(ctx: Ctx, name: str, *, end: bool) -> int:
    text = ctx.request.query_params.get(name, "").strip()
    if not text:
        raise errors.bad_request(f"{name} is required (ISO 8601, e.g. 2026-01-31)", name)
    try:
        ms = clock.parse_iso(text)
    except ValueError:
        raise errors.bad_request(f"{name} must be an ISO 8601 date or date-time", name) from None
    if end and len(text) == 10:
        ms += 86_400_000 - 1  # a date alone covers its whole day
    return ms


def _int_param(ctx: Ctx, name: str, default: int, maximum: int | None) -> int:
    text = ctx.request.query_params.get(name, "").strip()
    if not text:
        return default
    value = int_from_text(text)
    if value is None or value < 1:
        raise errors.bad_request(f"{name} must be a whole number from 1", name)
    if maximum is not None and value > maximum:
        raise errors.bad_request(f"{name} must be at most {maximum}", name)
    return value


def list_records(ctx: Ctx, caller: Caller, kind: str) -> Reply:
    """A page of the organisation's researched records of ``kind`` by ``updatedAt``."""
    extra = sorted(set(ctx.request.query_params) - {"startDate", "endDate", "page", "limit"})
    if extra:
        raise errors.bad_request(f"Unknown query parameter: {', '.join(extra)}", extra[0])
    start, end = _date(ctx, "startDate", end=False), _date(ctx, "endDate", end=True)
    if start > end:
        raise errors.bad_request("startDate must not be after endDate", "startDate")
    page = _int_param(ctx, "page", 1, MAX_PAGE)
    limit = _int_param(ctx, "limit", 50, MAX_ORG_PAGE)
    settle_due(ctx.store)
    where = "org_id = ? AND kind = ? AND updated_ms BETWEEN ? AND ?"
    params = [caller.org_id, kind, start, end]
    rows = ctx.store.all(
        f"SELECT body FROM sl_records WHERE {where} ORDER BY updated_ms, seq LIMIT ? OFFSET ?",
        [*params, limit, (page - 1) * limit],
    )
    # {"data": [...]} only (docs/api/seamless.md, "Types on the wire"): the client pages
    # until a page is shorter than ``limit``.
    return Reply(raw={"data": [conform(kind, loads(r["body"])) for r in rows]})


def org_contacts(ctx: Ctx, caller: Caller | None) -> Reply:
    """The organisation's researched contacts updated in ``[startDate, endDate]`` (no credits)."""
    assert caller is not None
    return list_records(ctx, caller, "contact")


def org_companies(ctx: Ctx, caller: Caller | None) -> Reply:
    """The organisation's researched companies updated in ``[startDate, endDate]``."""
    assert caller is not None
    return list_records(ctx, caller, "company")


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    ids = Param.texts("searchResultIds", max_items=MAX_RECORDS, max_len=200)
    skip = Param.flag("skipDeduplicationCheck")
    add_seamless_route(
        router,
        "POST",
        "/contacts/research",
        research_contacts,
        body=(
            ids,
            Param.objects(
                "contacts",
                *(Param.text(name, max_len=500) for name in IDENTITY_FIELDS),
                max_items=MAX_RECORDS,
            ),
            skip,
            Param.flag("isJobChange"),
        ),
    )
    add_seamless_route(
        router,
        "POST",
        "/companies/research",
        research_companies,
        body=(
            ids,
            Param.objects(
                "companies",
                Param.text("domain", max_len=500),
                Param.text("companyName", max_len=500),
                max_items=MAX_RECORDS,
            ),
            skip,
        ),
    )
    registry.background.append(settle_research)
    poll_query = (Param.text("requestIds", required=True),)  # 1 to 100, comma separated
    add_seamless_route(router, "GET", "/contacts/research/poll", poll_contacts, query=poll_query)
    add_seamless_route(router, "GET", "/companies/research/poll", poll_companies, query=poll_query)
    records_query = (
        Param.text("startDate", required=True),
        Param.text("endDate", required=True),
        Param.integer("page", minimum=1, maximum=MAX_PAGE),
        Param.integer("limit", minimum=1, maximum=MAX_ORG_PAGE),
    )
    add_seamless_route(router, "GET", "/contacts", org_contacts, query=records_query)
    add_seamless_route(router, "GET", "/companies", org_companies, query=records_query)
