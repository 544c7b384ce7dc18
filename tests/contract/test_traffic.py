"""``--traffic``: the sandbox produces live activity a client can poll for."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(120)


def test_traffic_flag_brings_new_activity_on_its_own(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", "--traffic", "0.1", *GENEROUS_LIMITS)
    c = box.client(box.info["agency_key"])
    start_events = len(box.control("GET", "events?limit=5000"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(box.control("GET", "events?limit=5000")) >= start_events + 10:
            break
        time.sleep(0.3)
    events = box.control("GET", "events?limit=5000")[start_events:]
    assert len(events) >= 10
    assert box.control("GET", "traffic")["seconds"] == 0.1
    received = [e for e in events if e["event"] == "message.received"]
    assert received, "inbound messages are the most common traffic"
    # The new inbound message is visible through the API, on top of the inbox.
    sub = received[-1]["data"]["subAccountId"]
    top = c.get("/api/v1/conversations?limit=5", headers={"X-Sub-Account-Id": sub}).json()["data"]
    assert received[-1]["data"]["conversationId"] in {conv["id"] for conv in top}


def test_traffic_steps_cover_every_kind_of_activity(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)
    assert box.control("GET", "traffic")["seconds"] is None
    done = box.control("POST", "traffic/step", json={"count": 300})["actions"]
    assert {
        "inbound_message",
        "new_contact",
        "update_contact",
        "booking",
        "appointments",
        "conversation_status",
    } <= set(done)
    names = {e["event"] for e in box.control("GET", "events?limit=5000")}
    assert {"message.received", "contact.created", "contact.updated", "appointment.booked"} <= names
    # Pace can be changed (and stopped) at runtime.
    assert box.control("PUT", "traffic", json={"seconds": 2})["seconds"] == 2
    assert box.control("PUT", "traffic", json={"seconds": None})["seconds"] is None


def test_bad_traffic_settings_are_refused(sandbox_factory: Any) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")
    import httpx

    r = httpx.put(f"{box.url}/_sandbox/traffic", json={"seconds": "fast"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"
