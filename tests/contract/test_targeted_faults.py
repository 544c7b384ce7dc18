"""The sandbox's targeted faults (``/_sandbox/faults/targeted``): the next requests of one
method and path fail the chosen way, whatever the random rate; nothing else is touched."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(120)


def _contact(client: httpx.Client, email: str) -> httpx.Response:
    return client.post(
        "/api/v1/contacts", json={"firstName": "Fault", "lastName": "Target", "email": email}
    )


def test_drop_after_does_the_work_and_loses_the_answer_once(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    client = box.client()
    added = box.control(
        "POST",
        "faults/targeted",
        json={"method": "post", "path": "/api/v1/contacts", "kind": "drop_after"},
    )
    assert added["targeted"] == [
        {"method": "POST", "path": "/api/v1/contacts", "kind": "drop_after", "times": 1}
    ]
    assert added["rate"] == 0
    # Other requests are not aimed at.
    assert client.get("/api/v1/contacts").status_code == 200
    email = f"dropped.{uuid.uuid4().hex[:8]}@example.com"
    with pytest.raises(httpx.TransportError):  # an incomplete answer, or a reset
        _contact(client, email)
    # The work was done: the contact exists.
    found = client.get("/api/v1/contacts", params={"email": email}).json()["data"]
    assert [c["email"] for c in found] == [email]
    # Used up: the next create answers normally.
    assert _contact(client, f"next.{uuid.uuid4().hex[:8]}@example.com").status_code == 201
    assert box.control("GET", "faults")["targeted"] == []
    assert box.control("GET", "stats")["fault.drop_after"] == 1


def test_drop_before_does_nothing_and_times_counts_down(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    client = box.client()
    box.control(
        "POST",
        "faults/targeted",
        json={"method": "POST", "path": "/api/v1/contacts", "kind": "drop_before"},
    )
    box.control(
        "POST",
        "faults/targeted",
        json={"method": "GET", "path": "/api/v1/contacts", "kind": "error_500", "times": 2},
    )
    email = f"never.{uuid.uuid4().hex[:8]}@example.com"
    # The server closes without reading the body: the client sees an incomplete answer
    # or a reset connection.
    with pytest.raises(httpx.TransportError):
        _contact(client, email)
    assert [client.get("/api/v1/contacts").status_code for _ in range(3)] == [500, 500, 200]
    found = client.get("/api/v1/contacts", params={"email": email}).json()["data"]
    assert found == []


def test_targeted_faults_are_checked_and_can_be_cleared(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    with httpx.Client(base_url=box.url, timeout=30) as http:
        for body, field in (
            ({"method": "POST", "path": "/api/v1/contacts", "kind": "explode"}, "kind"),
            ({"method": "BREW", "path": "/api/v1/contacts", "kind": "slow"}, "method"),
            ({"method": "GET", "path": "api/v1/contacts", "kind": "slow"}, "path"),
            ({"method": "GET", "kind": "slow"}, "path"),
        ):
            answer = http.post("/_sandbox/faults/targeted", json=body)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["field"] == field
        made = http.post(
            "/_sandbox/faults/targeted",
            json={"method": "GET", "path": "/api/v1/contacts", "kind": "error_500", "times": 5},
        )
        assert made.status_code == 201
        cleared = http.delete("/_sandbox/faults/targeted")
        assert cleared.json()["data"]["targeted"] == []
    assert box.client().get("/api/v1/contacts").status_code == 200
