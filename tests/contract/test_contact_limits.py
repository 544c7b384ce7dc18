"""The limits ``app.core.contact_limits`` checks are the ones the sandbox enforces: a value
at the limit is accepted, one past it refused (docs/api/seedly-crm.md §5)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.core.contact_limits import (
    CUSTOM_TEXT_MAX,
    LIST_MAX,
    NAME_MAX,
    TAG_MAX,
    TAGS_MAX,
    TEXT_MAX,
)
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    ("field", "at_limit", "over"),
    [
        ("firstName", "a" * NAME_MAX, "a" * (NAME_MAX + 1)),
        ("company", "c" * TEXT_MAX, "c" * (TEXT_MAX + 1)),
        ("tags", ["t" * TAG_MAX], ["t" * (TAG_MAX + 1)]),
        ("tags", [f"t{i}" for i in range(TAGS_MAX)], [f"t{i}" for i in range(TAGS_MAX + 1)]),
        (
            "additionalPhones",
            [f"+1617555{i:04d}" for i in range(LIST_MAX)],
            [f"+1617555{i:04d}" for i in range(LIST_MAX + 1)],
        ),
    ],
)
def test_the_sandbox_enforces_the_client_limits(
    sandbox: Sandbox, field: str, at_limit: Any, over: Any
) -> None:
    http = sandbox.client()
    body = {"firstName": "Lim", "lastName": "It", "email": f"lim.{uuid.uuid4().hex[:8]}@x.org"}
    accepted = http.post("/api/v1/contacts", json={**body, field: at_limit})
    assert accepted.status_code == 201, accepted.text
    body["email"] = f"lim.{uuid.uuid4().hex[:8]}@x.org"
    refused = http.post("/api/v1/contacts", json={**body, field: over})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "VALIDATION_ERROR"


def test_the_custom_text_limit_is_the_sandboxes(sandbox: Sandbox) -> None:
    http = sandbox.client()
    fields = http.get("/api/v1/contacts/fields").json()["data"]
    text = next((f for f in fields if f["type"] == "text" and not f["isRequired"]), None)
    assert text is not None, "the demo data has an optional text custom field"
    body = {"firstName": "Cus", "lastName": "Tom", "email": f"ct.{uuid.uuid4().hex[:8]}@x.org"}
    ok = http.post(
        "/api/v1/contacts", json={**body, "customFields": {text["name"]: "n" * CUSTOM_TEXT_MAX}}
    )
    assert ok.status_code == 201, ok.text
    body["email"] = f"ct.{uuid.uuid4().hex[:8]}@x.org"
    too_long = http.post(
        "/api/v1/contacts",
        json={**body, "customFields": {text["name"]: "n" * (CUSTOM_TEXT_MAX + 1)}},
    )
    assert too_long.status_code == 400
