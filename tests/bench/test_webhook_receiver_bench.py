"""Figures of the built-in webhook receiver (printed as ``BENCH name=value unit``).

Signed deliveries are posted by another process (four threads on keep-alive connections,
like a busy Seedly; a process of its own so the senders do not share this one's
interpreter lock) to the receiver running on the app's qasync loop, with the Webhooks tab
built and shown. Measured: deliveries per second received, verified, stored and shown
in the tab's live list; and the longest stall of the event loop meanwhile (the window
stays responsive when it is short).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from app.services.ports.webhooks import WebhooksPort
from app.services.webhooks import secret_account
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.webhooks.tab import WebhooksTab
from tests.support.areas import build_area
from tests.support.qt_loop import _no_quit_on_last_window, qloop, run

__all__ = ["_no_quit_on_last_window", "qloop", "run"]

pytestmark = pytest.mark.timeout(600)

DELIVERIES = 2000
SENDERS = 4
SECRET = "whsec_bench_secret_for_the_receiver_000000000"
ROOT = Path(__file__).resolve().parents[2]


SENDER = r"""
import json, sys, threading, httpx
sys.path.insert(0, sys.argv[4])
from app.core.signatures import sign_body as sign
url, total, senders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SECRET = sys.argv[5]
errors = []

def send(ids):
    with httpx.Client(timeout=30) as client:
        for n in ids:
            body = json.dumps({"event": "message.received", "timestamp": "2099-01-01T00:00:00.000Z",
                "data": {"subAccountId": "sub_bench", "contactId": f"c{n}", "bodyText": "hi"}},
                separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json", "X-Webhook-Event": "message.received",
                "X-Webhook-Delivery": f"whd_{n}", "X-Webhook-Signature": sign(body, SECRET),
                "User-Agent": "Seedly-CRM-Webhook/1.0"}
            if client.post(url, content=body, headers=headers).status_code != 200:
                errors.append(n)

share = total // senders
threads = [threading.Thread(target=send, args=(range(i * share, (i + 1) * share),))
           for i in range(senders)]
for t in threads: t.start()
for t in threads: t.join()
print(len(errors))
"""


def test_receiver_throughput_with_the_tab_shown(
    qtbot: Any, qloop: Any, run: Any, tmp_path: Path
) -> None:
    workspace = Workspace.open(
        AppPaths.under(tmp_path / "home"), secrets=Secrets(persistent=SessionSecrets())
    )
    profile = Profile(
        name="Bench",
        deployment_url="https://crm.example.com",
        key_kind="sub_account",
        sub_account_id="sub_bench",
    )
    workspace.profiles.upsert(profile)
    workspace.preview(profile, "sub_bench")  # the cache of one sub-account, no server
    active = workspace.active
    assert active is not None
    active.partition.webhooks.upsert_webhook(
        {"id": "wh_bench", "url": "http://127.0.0.1/", "events": ["message.received"]}
    )
    workspace.secrets.save(secret_account(active.partition, "wh_bench"), SECRET)
    port = WebhooksPort(workspace)
    tab = build_area(WebhooksTab, port, BusBridge(workspace.bus), TaskSet("bench", loop=qloop))
    qtbot.addWidget(tab)
    tab.resize(1360, 800)
    tab.show()

    async def scenario() -> dict[str, float]:
        await asyncio.sleep(0.3)
        bound = await port.start_receiver(0)
        url = f"http://127.0.0.1:{bound}/seedly"
        stalls: list[float] = []
        last = time.monotonic()

        def tick() -> None:
            nonlocal last
            now = time.monotonic()
            stalls.append(now - last)
            last = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        timer.start()
        share = DELIVERIES // SENDERS
        started = time.monotonic()
        sender = subprocess.Popen(
            [sys.executable, "-c", SENDER, url, str(DELIVERIES), str(SENDERS), str(ROOT), SECRET],
            stdout=subprocess.PIPE,
        )
        model = tab.subscriptions.received_model
        newest = {f"whd_{(i + 1) * share - 1}" for i in range(SENDERS)}
        deadline = started + 300
        while not (
            port.bench.received_count >= DELIVERIES
            and newest <= {d.delivery_id for d in model.rows()}
        ):
            assert sender.poll() in (None, 0), "the sender failed"
            assert time.monotonic() < deadline, port.bench.received_count
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - started
        output, _ = await asyncio.to_thread(sender.communicate)
        timer.stop()
        assert output.strip() == b"0", output  # every delivery was answered 200
        assert all(d.result == "valid" for d in model.rows())
        await port.close()
        return {
            "throughput": DELIVERIES / elapsed,
            "max_stall_ms": max(stalls) * 1000,
            "p95_stall_ms": sorted(stalls)[int(len(stalls) * 0.95)] * 1000,
        }

    figures = run(scenario(), timeout=500)
    print(f"BENCH webhook_receiver_throughput={figures['throughput']:.0f} deliveries/s")
    print(f"BENCH webhook_receiver_max_stall_ms={figures['max_stall_ms']:.0f} ms")
    print(f"BENCH webhook_receiver_p95_stall_ms={figures['p95_stall_ms']:.0f} ms")
    workspace.db.close()
