"""A property-based fuzzer of the sandbox's two APIs, driven by its own OpenAPI document.

``fuzz(box, examples)`` loads ``GET /_sandbox/openapi.json`` with schemathesis, and
lets Hypothesis draw ``examples`` requests across every operation of the Seedly
CRM API, its public endpoints and the Seamless API (the control routes are left
out: they would switch faults on or move the clock under the run), half of them
valid by the schema and half not (negative mode: wrong types, values out of
range, missing required fields). Operations with path parameters are also sent
real ids from the demo data, so that requests reach past the lookup.

Every answer is checked against the document itself: never a 5xx, always JSON,
and an error status must be one the operation documents, with a body that
validates against the error schema documented for it. Problems are collected
rather than raised, so a run reports how many requests failed, not only the first.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.support.sandbox_process import Sandbox

CONTROL_TAG = "Sandbox control"


@dataclass
class FuzzReport:
    """What one fuzzing run sent and found."""

    requests: int = 0
    server_errors: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.requests} requests over {len(self.operations)} operations in "
            f"{self.seconds:.1f} s; statuses {dict(sorted(self.statuses.items()))}"
        )


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return dict(document["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def check_response(
    document: dict[str, Any], path: str, method: str, status: int, headers: Any, body: bytes
) -> str | None:
    """Why an answer breaks the documented contract (None when it keeps it)."""
    if status >= 500:
        return f"status {status}: {body[:300]!r}"
    content_type = headers.get("content-type") or ""
    if isinstance(content_type, list):  # schemathesis keeps every value of a header
        content_type = ",".join(content_type)
    if not content_type.startswith("application/json"):
        return f"status {status} is not JSON ({content_type})"
    try:
        payload = json.loads(body)
    except ValueError:
        return f"status {status} has a body that is not JSON: {body[:200]!r}"
    if status < 400:
        return None
    responses = document["paths"][path][method.lower()]["responses"]
    documented = responses.get(str(status))
    if documented is None:
        return f"status {status} is not documented for {method} {path}: {payload!r:.200}"
    schema = _resolve(documented["content"]["application/json"]["schema"], document)
    try:
        jsonschema.validate(payload, schema)
    except jsonschema.ValidationError as exc:
        return (
            f"status {status} body is not the documented error: {exc.message} in {payload!r:.200}"
        )
    return None


def _auth_headers(box: Sandbox, operation: Any) -> dict[str, str]:
    security = operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    if "seedlyKey" in schemes:
        key = box.info["agency_key"] if "sub-accounts" in operation.path else box.sub_key(0)
        return {"Authorization": f"Bearer {key}"}
    if "seamlessToken" in schemes:
        return {"Token": box.seamless_key}
    return {}


def _real_ids(box: Sandbox, path: str) -> dict[str, str]:
    """Path parameters of ``path`` filled with ids of demo records (empty if none found)."""
    if path.startswith("/webhooks/"):
        rows = box.control("GET", "workflows")
        return {"slug": rows[0]["slug"]} if rows else {}
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    if names != ["id"]:
        return {}
    collection = path[: path.index("{") - 1]
    auth = {"Authorization": f"Bearer {box.sub_key(0)}"}
    r = httpx.get(box.url + collection, headers=auth, params={"limit": 5}, timeout=30)
    rows = r.json().get("data") if r.status_code == 200 else None
    if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "id" in rows[0]:
        return {"id": str(rows[-1]["id"])}
    return {}


def fuzz(box: Sandbox, examples: int, *, seed: int | None = None) -> FuzzReport:
    """Send about ``examples`` generated requests to ``box``, shared evenly by the operations,
    and check every answer. Without ``seed`` the run is the same every time."""
    document = httpx.get(f"{box.url}/_sandbox/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=box.url)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if CONTROL_TAG not in (result.ok().tags or [])
    ]
    share = max(2, examples // max(1, len(operations)))
    report = FuzzReport()
    session = requests.Session()
    started = time.monotonic()
    try:
        for operation in operations:
            _fuzz_operation(box, document, operation, share, seed, session, report)
    finally:
        session.close()
        report.seconds = time.monotonic() - started
    return report


def _fuzz_operation(
    box: Sandbox,
    document: dict[str, Any],
    operation: Any,
    examples: int,
    seed: int | None,
    session: requests.Session,
    report: FuzzReport,
) -> None:
    label = operation.label
    headers = _auth_headers(box, operation)
    real = _real_ids(box, operation.path) if "{" in operation.path else {}
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if real:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=real))

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        try:
            response = case.call(session=session, headers=headers, timeout=30)
        except requests.RequestException as exc:
            report.problems.append(f"{label}: no answer: {exc}")
            return
        report.requests += 1
        report.operations[label] += 1
        report.statuses[response.status_code] += 1
        if response.status_code >= 500:
            report.server_errors += 1
        problem = check_response(
            document,
            operation.path,
            operation.method,
            response.status_code,
            response.headers,
            response.content,
        )
        if problem:
            report.problems.append(f"{label}: {problem}\n    {case.as_curl_command()}")

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    run()
