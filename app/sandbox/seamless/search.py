"""``POST /search/contacts`` and ``POST /search/companies``: filters, ``nextToken`` paging, billing.

Each page costs 1 credit per 10 results it returns, rounded up (an empty page
is free), charged to the key's owner; when the balance is short the page is
refused with ``422 insufficientCredits`` and nothing is charged.

``nextToken`` is opaque: signed, bound to the search it continues and valid
for 24 hours of sandbox time. It carries the filters, so a next page may be
asked with the token alone, or with the token and the same filters; other
filters with a token are refused (400). ``limit`` may change between pages.
The answer's ``supplementalData`` adds two fields to the documented four:
``ignoredFilters`` (values dropped as invalid, see ``filters.py``) and
``creditsCharged``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from typing import Any

from app.sandbox.http import ApiError, Ctx, Reply
from app.sandbox.registry import Registry
from app.sandbox.seamless import accounts, data, errors, filters, records
from app.sandbox.seamless.caller import Caller
from app.sandbox.seamless.routes import add_seamless_route
from app.sandbox.store import Store

TOKEN_TTL_MS = 24 * 3600 * 1000
_CACHE_SIZE = 16


def dataset(store: Store) -> data.Dataset:
    """The demo database of this store's server (generated on first use)."""
    return data.cache_of(store.hooks.services).get(accounts.anchor_ms(store))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def encode_token(
    secret: bytes, kind: str, filters_: dict[str, Any], offset: int, now_ms: int
) -> str:
    """A ``nextToken`` for the page of ``kind`` search starting at ``offset``."""
    payload = _canonical({"k": kind, "f": filters_, "o": offset, "t": now_ms}).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=")
    sig = base64.urlsafe_b64encode(hmac.new(secret, body, hashlib.sha256).digest()[:12])
    return (body + b"." + sig.rstrip(b"=")).decode()


def decode_token(secret: bytes, token: str, kind: str, now_ms: int) -> tuple[dict[str, Any], int]:
    """(filters, offset) of a token this server issued; 400 for anything else."""
    bad = errors.bad_request(
        "Invalid or expired nextToken. Start the search again without one.", "nextToken"
    )
    try:
        body, sig = token.encode("ascii").split(b".", 1)
        expected = base64.urlsafe_b64encode(hmac.new(secret, body, hashlib.sha256).digest()[:12])
        if not hmac.compare_digest(expected.rstrip(b"="), sig):
            raise bad
        payload = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
        found_kind, found, offset, issued = payload["k"], payload["f"], payload["o"], payload["t"]
    except ApiError:
        raise
    except Exception:
        raise bad from None
    if found_kind != kind:
        raise errors.bad_request(
            f"This nextToken belongs to a {found_kind} search, not a {kind} search.", "nextToken"
        )
    if not isinstance(found, dict) or not isinstance(offset, int) or offset < 0:
        raise bad
    if now_ms - int(issued) > TOKEN_TTL_MS:
        raise bad
    return found, offset


def _matches(
    cache: OrderedDict[str, list[int]],
    kind: str,
    filters_: dict[str, Any],
    ds: data.Dataset,
    now_ms: int,
) -> list[int]:
    age = records.elapsed_days(ds.anchor_ms, now_ms)
    key = f"{kind}|{age}|{ds.anchor_ms}|{_canonical(filters_)}"
    found = cache.get(key)
    if found is not None:
        cache.move_to_end(key)
        return found
    if kind == "contacts":
        test = filters.contact_matcher(filters_, ds.anchor_ms, now_ms)
        found = [p.index for p in ds.people if test(p)] if filters_ else list(range(len(ds.people)))
    else:
        ctest = filters.company_matcher(filters_, ds.anchor_ms, now_ms)
        found = (
            [c.index for c in ds.companies if ctest(c)]
            if filters_
            else list(range(len(ds.companies)))
        )
    cache[key] = found
    if len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return found


def run_search(store: Store, caller: Caller, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """One page of a search, charged; the whole answer body."""
    query = filters.parse_query(kind, body)
    secret = store.secret()
    now = store.clock.now_ms()
    filters_ = json.loads(_canonical(query.filters))
    offset = 0
    if query.next_token:
        token_filters, offset = decode_token(secret, query.next_token, kind, now)
        if filters_ and filters_ != token_filters:
            raise errors.bad_request(
                "This nextToken was issued for different filters. Send the same filters "
                "(or none) with it, or start again without a nextToken.",
                "nextToken",
            )
        filters_ = token_filters
    ds = dataset(store)
    found = _matches(data.cache_of(store.hooks.services).matches, kind, filters_, ds, now)
    page = found[offset : offset + query.limit]
    cost = accounts.search_cost(len(page))
    accounts.charge(store, caller.user_id, cost, f"search {kind}: {len(page)} results")
    if kind == "contacts":
        items = [records.contact_item(ds.people[i], ds.anchor_ms, now) for i in page]
    else:
        items = [records.company_item(ds.companies[i], ds.anchor_ms) for i in page]
    end = offset + len(page)
    more = end < len(found)
    return {
        "data": items,
        "supplementalData": {
            "isMore": more,
            "total": len(found),
            "perPage": query.limit,
            "nextToken": encode_token(secret, kind, filters_, end, now) if more else None,
            "ignoredFilters": query.ignored,
            "creditsCharged": cost,
        },
    }


def search_contacts(ctx: Ctx, caller: Caller | None) -> Reply:
    """Search people; results carry no email or phone (research does)."""
    assert caller is not None
    return Reply(
        raw=run_search(
            ctx.store, caller, "contacts", errors.parse_body(ctx.raw_body, required=False)
        )
    )


def search_companies(ctx: Ctx, caller: Caller | None) -> Reply:
    """Search companies."""
    assert caller is not None
    return Reply(
        raw=run_search(
            ctx.store, caller, "companies", errors.parse_body(ctx.raw_body, required=False)
        )
    )


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    add_seamless_route(
        router,
        "POST",
        "/search/contacts",
        search_contacts,
        body=filters.declared_body("contacts"),
    )
    add_seamless_route(
        router,
        "POST",
        "/search/companies",
        search_companies,
        body=filters.declared_body("companies"),
    )
