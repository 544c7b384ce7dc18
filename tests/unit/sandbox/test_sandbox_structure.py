"""The sandbox's shape: no import cycles, and servers that share nothing in one process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grimp
import httpx
import uvicorn

from app.sandbox.server import Sandbox, build_sandbox
from app.sandbox.state import SandboxConfig

PACKAGE = "app.sandbox"


def test_no_import_cycle_among_sandbox_modules() -> None:
    # TYPE_CHECKING imports count: a cycle hidden from the interpreter is still one.
    graph = grimp.build_graph("app", exclude_type_checking_imports=False)
    modules = sorted(m for m in graph.modules if m == PACKAGE or m.startswith(PACKAGE + "."))
    cycles = []
    for importer in modules:
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if not imported.startswith(PACKAGE) or imported == importer:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append(" -> ".join((importer, *back)))
    assert cycles == []


@contextlib.asynccontextmanager
async def running(data_dir: Path, **settings: Any) -> AsyncIterator[tuple[Sandbox, str]]:
    """A sandbox server of this process on 127.0.0.1 (port 0), stopped on exit."""
    sandbox = build_sandbox(SandboxConfig(data_dir=data_dir, seed="empty", **settings))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sandbox.state.base_url = url
    server = uvicorn.Server(
        uvicorn.Config(sandbox.app(), log_level="warning", access_log=False, lifespan="on")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), "the server stopped while starting"
            await asyncio.sleep(0.02)
        yield sandbox, url
    finally:
        server.should_exit = True
        await task
        sandbox.close()
        sock.close()


def test_two_sandboxes_in_one_process_share_nothing(tmp_path: Path) -> None:
    asyncio.run(_two_sandboxes(tmp_path))


async def _two_sandboxes(tmp_path: Path) -> None:
    async with (
        running(tmp_path / "a", rate_limit_read=3) as (box_a, url_a),
        running(tmp_path / "b", rate_limit_read=3) as (box_b, url_b),
        httpx.AsyncClient(timeout=10) as http,
    ):
        info_a, info_b = box_a.ready_line(), box_b.ready_line()
        sub = info_a["subaccounts"][0]["id"]
        assert sub == info_b["subaccounts"][0]["id"]  # same seed, same account ids
        key_a = {"Authorization": f"Bearer {info_a['subaccounts'][0]['key']}"}
        key_b = {"Authorization": f"Bearer {info_b['subaccounts'][0]['key']}"}

        # Keys: different, and each server refuses the other's.
        assert key_a != key_b
        assert info_a["seamless_key"] != info_b["seamless_key"]
        assert (await http.get(f"{url_a}/api/v1/contacts", headers=key_b)).status_code == 401
        assert (await http.get(f"{url_b}/api/v1/contacts", headers=key_a)).status_code == 401
        seamless_b = {"Token": info_b["seamless_key"]}
        refused = await http.post(
            f"{url_a}/api/client/v1/search/contacts", headers=seamless_b, json={}
        )
        assert refused.status_code == 401

        # Data: a contact created in one is not in the other.
        made = await http.post(
            f"{url_a}/api/v1/contacts",
            headers=key_a,
            json={"firstName": "Only", "lastName": "InA", "email": "only.in.a@example.com"},
        )
        assert made.status_code == 201, made.text
        contact_id = made.json()["data"]["id"]
        assert (await http.get(f"{url_a}/api/v1/contacts/{contact_id}", headers=key_a)).is_success
        missing = await http.get(f"{url_b}/api/v1/contacts/{contact_id}", headers=key_b)
        assert missing.status_code == 404
        listed = (await http.get(f"{url_b}/api/v1/contacts", headers=key_b)).json()
        assert listed["meta"]["total"] == 0

        # Time: advancing one server's clock leaves the other's where it was.
        day = 86_400_000
        moved = await http.post(f"{url_a}/_sandbox/clock/advance", json={"ms": day})
        assert moved.json()["data"]["clockOffsetMs"] == day
        health_a = (await http.get(f"{url_a}/_sandbox/health")).json()["data"]
        health_b = (await http.get(f"{url_b}/_sandbox/health")).json()["data"]
        assert health_a["clockOffsetMs"] == day and health_b["clockOffsetMs"] == 0
        assert box_a.state.clock.offset_ms == day and box_b.state.clock.offset_ms == 0

        # Faults: set on one, absent from the other.
        only_500 = {kind: 0 for kind in box_a.state.faults.kinds} | {"error_500": 1}
        await http.put(f"{url_a}/_sandbox/faults", json={"rate": 1, "kinds": only_500})
        assert (await http.get(f"{url_b}/_sandbox/faults")).json()["data"]["kinds"] != only_500
        assert (await http.get(f"{url_b}/_sandbox/faults")).json()["data"]["rate"] == 0
        assert (await http.get(f"{url_a}/api/v1/contacts", headers=key_a)).status_code == 500
        assert (await http.get(f"{url_b}/api/v1/contacts", headers=key_b)).status_code == 200
        await http.put(f"{url_a}/_sandbox/faults", json={"rate": 0})

        # Rate limits: requests without a key count per client address, the same address
        # for both servers here; using up one server's budget leaves the other's whole.
        for _ in range(3):
            await http.get(f"{url_a}/api/v1/contacts")
        assert (await http.get(f"{url_a}/api/v1/contacts")).status_code == 429
        fresh = await http.get(f"{url_b}/api/v1/contacts")
        assert fresh.status_code == 401
        assert fresh.headers["X-RateLimit-Remaining"] == "2"
        assert box_a.state.stats["rate_limited"] == 1 and box_b.state.stats["rate_limited"] == 0

        # Nothing an area keeps for the server's lifetime is the same object in both.
        assert box_a.registry is not box_b.registry
        assert box_a.state.store.hooks is not box_b.state.store.hooks
        assert box_a.state.limiter is not box_b.state.limiter
        assert box_a.state.seamless_limiter is not box_b.state.seamless_limiter
