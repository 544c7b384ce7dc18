"""Every value the filter panel suggests is one the Seamless sandbox accepts (an unknown
industry is refused there, as docs/api/seamless.md, "Search", allows), in contact and
company search."""

from __future__ import annotations

import pytest

from app.core.seamless.filters import COMPANY_FILTERS, CONTACT_FILTERS, INDUSTRY_SUGGESTIONS
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)


def _batches(values: tuple[str, ...], size: int) -> list[list[str]]:
    return [list(values[i : i + size]) for i in range(0, len(values), size)]


@pytest.mark.parametrize("path", ["/search/contacts", "/search/companies"])
def test_suggested_industries_are_accepted(sandbox: Sandbox, path: str) -> None:
    client = sandbox.seamless()
    refused: list[tuple[list[str], str]] = []
    for batch in _batches(INDUSTRY_SUGGESTIONS, 5):
        answer = client.post(path, json={"industry": batch, "limit": 1})
        if answer.status_code != 200:
            refused.append((batch, answer.text[:200]))
    assert refused == []


def test_suggested_funding_values_are_not_ignored(sandbox: Sandbox) -> None:
    client = sandbox.seamless()
    for spec in (*CONTACT_FILTERS, *COMPANY_FILTERS):
        if "Funding" not in spec.wire or not spec.suggestions:
            continue
        path = "/search/contacts" if spec in CONTACT_FILTERS else "/search/companies"
        answer = client.post(path, json={spec.wire: list(spec.suggestions[:1]), "limit": 1})
        assert answer.status_code == 200, answer.text
        ignored = answer.json()["supplementalData"].get("ignoredFilters") or []
        assert not ignored, (spec.wire, ignored)
