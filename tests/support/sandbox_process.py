"""Start a real ``seedly-desk sandbox`` process for tests and talk to it over HTTP."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# Limits high enough that a shared sandbox never rate-limits a test by accident;
# the rate-limit tests start their own sandbox with real limits.
GENEROUS_LIMITS = (
    "--rate-limit-read",
    "1000000",
    "--rate-limit-write",
    "1000000",
    "--seamless-rate-limit",
    "1000000",
)


@dataclass
class Sandbox:
    """A running sandbox process and what its ready line said."""

    proc: subprocess.Popen[str]
    info: dict[str, Any]
    data_dir: Path
    stderr_path: Path
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.info["seedly_url"])

    @property
    def sub_ids(self) -> list[str]:
        return [s["id"] for s in self.info["subaccounts"]]

    def sub_key(self, index: int = 0) -> str:
        return str(self.info["subaccounts"][index]["key"])

    def client(
        self, key: str | None = None, sub_account: str | None = None, **kw: Any
    ) -> httpx.Client:
        """An HTTP client for the Seedly API; ``key`` defaults to the first sub-account's."""
        headers = {}
        if key is None:
            key = self.sub_key(0)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if sub_account:
            headers["X-Sub-Account-Id"] = sub_account
        client = httpx.Client(
            base_url=self.url, headers=headers, timeout=kw.pop("timeout", 30), **kw
        )
        self._clients.append(client)
        return client

    @property
    def seamless_url(self) -> str:
        """The Seamless base URL (``.../api/client/v1``)."""
        return str(self.info["seamless_url"])

    @property
    def seamless_key(self) -> str:
        """The Seamless key with plenty of credits."""
        return str(self.info["seamless_key"])

    def seamless(
        self, key: str | None = None, *, bearer: str | None = None, **kw: Any
    ) -> httpx.Client:
        """An HTTP client for the Seamless API: ``Token: key`` (default: ``seamless_key``), or
        ``Authorization: Bearer ...`` with ``bearer``; ``key=""`` sends no credentials."""
        headers = {}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        else:
            key = self.seamless_key if key is None else key
            if key:
                headers["Token"] = key
        client = httpx.Client(
            base_url=self.seamless_url, headers=headers, timeout=kw.pop("timeout", 30), **kw
        )
        self._clients.append(client)
        return client

    def control(self, method: str, path: str, **kw: Any) -> Any:
        """Call a ``/_sandbox/`` endpoint and return its ``data``."""
        with httpx.Client(base_url=self.url, timeout=30) as c:
            r = c.request(method, f"/_sandbox/{path.lstrip('/')}", **kw)
        r.raise_for_status()
        return r.json()["data"]

    def stop(self, timeout: float = 10) -> int:
        for c in self._clients:
            c.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_sandbox(data_dir: Path, *args: str, timeout: float = 60) -> Sandbox:
    """Start ``seedly-desk sandbox --port 0 --data DIR ARGS`` and wait for its ready line."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = data_dir / f"stderr-{time.monotonic_ns()}.log"
    err = stderr_path.open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "sandbox", "--port", "0", "--data", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
        env=env,
    )
    err.close()
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            line = proc.stdout.readline()
            break
        if proc.poll() is not None:
            break
    sel.close()
    if not line:
        proc.kill()
        raise RuntimeError(f"sandbox did not start: {stderr_path.read_text()[-3000:]}")
    return Sandbox(proc, json.loads(line), data_dir, stderr_path)
