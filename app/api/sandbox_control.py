"""Reading the demo sandbox's control endpoints (``/_sandbox/…``, no key): what the public
API cannot tell, for the demo only."""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


def demo_workflows(seedly_url: str, sub_account_id: str) -> list[dict[str, Any]]:
    """The demo sandbox's workflows of one sub-account (name, slug, signing secret): the API
    has no list of workflows, and the demo should let a user try a trigger at once.
    Blocking (run it on a worker); an empty list when it cannot be read."""
    try:
        response = httpx.get(
            f"{seedly_url}/_sandbox/workflows",
            params={"subAccountId": sub_account_id},
            timeout=5.0,
            trust_env=False,
        )
        response.raise_for_status()
        data = response.json().get("data")
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.info("the demo's workflows could not be read: %s", exc)
        return []
    return [w for w in data if isinstance(w, dict)] if isinstance(data, list) else []


__all__ = ["demo_workflows"]
