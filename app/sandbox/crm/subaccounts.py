"""Sub-account discovery for agency keys (docs/api/seedly-crm.md §2)."""

from __future__ import annotations

from app.sandbox.http import Ctx, Reply
from app.sandbox.registry import Registry


def list_sub_accounts(ctx: Ctx) -> Reply:
    assert ctx.key is not None
    rows = ctx.store.all(
        "SELECT id, name FROM sub_accounts WHERE agency_id = ? ORDER BY position",
        (ctx.key.agency_id,),
    )
    return Reply([{"id": r["id"], "name": r["name"]} for r in rows])


def team(store, sub_account_id: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Team members of a sub-account (ids used by ``assignedTo``)."""
    rows = store.all(
        "SELECT id, name, email FROM users WHERE sub_account_id = ? ORDER BY name",
        (sub_account_id,),
    )
    return [dict(r) for r in rows]


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    router.add("GET", "/api/v1/sub-accounts", list_sub_accounts, auth="agency")
