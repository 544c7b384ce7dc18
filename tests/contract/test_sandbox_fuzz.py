"""The sandbox under a property-based fuzzer that reads its OpenAPI document.

``GET /_sandbox/openapi.json`` is served without a key; schemathesis turns it into
requests (valid and invalid by the schema) against every operation of both APIs,
and every answer must keep the document's contract: no 5xx, JSON, documented error
statuses with their documented bodies (``tests/support/api_fuzz.py``). Each
handler must also have read only inputs its route declares, so the document
does not fall behind the code.

The default size fits CI (about 800 requests, some 30 s); ``SEEDLY_FUZZ_EXAMPLES=5000`` runs a
longer one, and ``SEEDLY_FUZZ_SEED=N`` draws other requests than the fixed default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from openapi_spec_validator import validate

from tests.support.api_fuzz import CONTROL_TAG, fuzz
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox, start_sandbox

EXAMPLES = int(os.environ.get("SEEDLY_FUZZ_EXAMPLES", "800"))
SEED = int(os.environ["SEEDLY_FUZZ_SEED"]) if os.environ.get("SEEDLY_FUZZ_SEED") else None

pytestmark = pytest.mark.timeout(max(180, EXAMPLES // 5))


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A demo sandbox of this module's own: the fuzzer creates, changes and deletes records."""
    sandbox = start_sandbox(tmp_path_factory.mktemp("fuzz"), "--seed", "demo", *GENEROUS_LIMITS)
    yield sandbox
    sandbox.stop()


def test_the_document_is_served_without_a_key_and_is_valid(box: Sandbox) -> None:
    r = httpx.get(f"{box.url}/_sandbox/openapi.json", timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    validate(doc)
    assert doc["servers"] == [{"url": box.url}]
    tags = {tag for ops in doc["paths"].values() for op in ops.values() for tag in op["tags"]}
    assert tags == {"Seedly CRM", "Seedly public endpoints", "Seamless", CONTROL_TAG}


def test_fuzzing_both_apis_finds_no_server_error_and_only_documented_errors(
    box: Sandbox,
) -> None:
    doc = httpx.get(f"{box.url}/_sandbox/openapi.json", timeout=30).json()
    api_operations = {
        f"{method.upper()} {path}"
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if CONTROL_TAG not in op["tags"]
    }
    report = fuzz(box, EXAMPLES, seed=SEED)
    print(f"fuzz: {report.summary()}")
    assert not report.problems, f"{len(report.problems)} answers break the contract:\n" + (
        "\n".join(report.problems[:30])
    )
    assert report.server_errors == 0
    assert set(report.operations) == api_operations  # every operation was exercised
    assert report.requests >= min(EXAMPLES, 2 * len(api_operations)) * 0.6
    assert {200, 400, 401, 404} <= set(report.statuses)  # valid and refused requests alike
    assert box.control("GET", "health")["ok"] is True  # the server still answers
    assert box.proc.poll() is None


def test_handlers_read_only_what_their_routes_declare(box: Sandbox) -> None:
    # Runs after the fuzzer: every input a handler read during the run was declared.
    stats = box.control("GET", "stats")
    undeclared = sorted(k for k in stats if k.startswith("undeclared_input:"))
    assert stats.get("undeclared_input", 0) == 0, undeclared
