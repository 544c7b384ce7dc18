"""The ``--demo`` sandbox: a ``seedly-desk sandbox`` child process on a free loopback port.

The app starts the same command a user could run (so the demo exercises the
real HTTP server, nothing in-process), keeps its data in the app's data
directory under ``demo/`` (reused on the next start: no reseed), reads its one
ready line of JSON and stops it with SIGTERM on quit. The ready line carries
the demo keys; they live in memory only. Only the demo's sandbox accepts webhook
subscriptions to ``127.0.0.1`` (``--allow-loopback-webhooks``), so the Webhooks
tab's built-in receiver gets its real deliveries.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

READY_TIMEOUT = 90.0
"""Seconds to wait for the ready line (the first start seeds ~3,000 contacts)."""


def _stop_with_parent() -> None:
    """In the child, before it runs: SIGTERM it when the app dies, even by SIGKILL
    (Linux ``prctl(PR_SET_PDEATHSIG)``), so a crashed app never leaves a server behind."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # best effort: a normal quit stops the child anyway


class DemoError(RuntimeError):
    """The demo sandbox could not be started; the message says why and what to do."""


@dataclass(frozen=True)
class DemoInfo:
    """What the sandbox's ready line said (URLs and demo keys)."""

    seedly_url: str
    agency_key: str
    subaccounts: list[dict[str, str]]
    raw: dict[str, Any] = field(repr=False)

    @property
    def seamless_url(self) -> str | None:
        """The Seamless half's base URL (``.../api/client/v1``), when the sandbox serves it."""
        value = self.raw.get("seamless_url")
        return str(value) if value else None

    @property
    def seamless_key(self) -> str | None:
        """The demo Seamless key (a user with plenty of credits)."""
        value = self.raw.get("seamless_key")
        return str(value) if value else None

    @property
    def seamless_oauth(self) -> dict[str, str] | None:
        """The sandbox's demo OAuth app (``client_id``, ``client_secret``, ``redirect_uri``,
        ``authorize_url``), for "Sign in with Seamless.AI" in the demo."""
        value = self.raw.get("seamless_oauth")
        if not isinstance(value, dict):
            return None
        needed = ("client_id", "client_secret", "redirect_uri", "authorize_url")
        if not all(isinstance(value.get(k), str) and value[k] for k in needed):
            return None
        return {k: str(value[k]) for k in needed}


def sandbox_command(
    data_dir: Path, traffic_seconds: float | None, subaccounts: int | None = None
) -> list[str]:
    """The command line of the demo sandbox (the installed app's own ``sandbox`` command)."""
    # A PyInstaller bundle is its own executable; a Python install runs the package.
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]
    command = [*program, "sandbox", "--host", "127.0.0.1", "--port", "0"]
    command += ["--data", str(data_dir), "--seed", "demo"]
    # The demo only: subscriptions may point at the app's own receiver on 127.0.0.1, so the
    # sandbox's real deliveries reach it. A sandbox started without the flag refuses them.
    command.append("--allow-loopback-webhooks")
    if traffic_seconds:
        command += ["--traffic", f"{traffic_seconds:g}"]
    if subaccounts:
        command += ["--subaccounts", str(subaccounts)]
    return command


class DemoSandbox:
    """Owns the demo sandbox process: ``start()`` (blocking; run it in a thread) and ``stop()``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        traffic_seconds: float | None = 20.0,
        subaccounts: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.traffic_seconds = traffic_seconds
        self.subaccounts = subaccounts
        """The agency's number of sub-accounts (None: the demo's two)."""
        self.process: subprocess.Popen[str] | None = None
        self.info: DemoInfo | None = None
        self._stderr: IO[str] | None = None

    @property
    def log_path(self) -> Path:
        """Where the sandbox's own log goes (stderr of the child)."""
        return self.data_dir / "sandbox.log"

    def start(self, timeout: float = READY_TIMEOUT) -> DemoInfo:
        """Start the sandbox and wait for its ready line; ``DemoError`` when it fails."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._stderr = self.log_path.open("a", encoding="utf-8")
        except OSError as exc:
            raise DemoError(
                f"The demo's data folder {self.data_dir} cannot be used ({exc.strerror}). "
                "Free the path or remove what is in the way, then start the demo again."
            ) from exc
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            self.process = subprocess.Popen(
                sandbox_command(self.data_dir, self.traffic_seconds, self.subaccounts),
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                stdin=subprocess.DEVNULL,
                text=True,
                env=env,
                preexec_fn=_stop_with_parent if sys.platform.startswith("linux") else None,
            )
        except OSError as exc:
            raise DemoError(f"The demo server could not be started ({exc.strerror}).") from exc
        line = self._read_ready_line(timeout)
        try:
            raw = json.loads(line)
            info = DemoInfo(
                seedly_url=str(raw["seedly_url"]),
                agency_key=str(raw["agency_key"]),
                subaccounts=list(raw["subaccounts"]),
                raw=raw,
            )
        except (ValueError, KeyError, TypeError) as exc:
            self.stop()
            raise DemoError(
                f"The demo server started but announced itself in a way this app does not "
                f"understand; see {self.log_path}."
            ) from exc
        self.info = info
        log.info("demo sandbox ready at %s (pid %s)", info.seedly_url, self.process.pid)
        return info

    def _read_ready_line(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if selector.select(timeout=0.2):
                    line = self.process.stdout.readline()
                    if line.strip():
                        return line
                if self.process.poll() is not None:
                    raise DemoError(
                        f"The demo server stopped while starting (exit code "
                        f"{self.process.returncode}); see {self.log_path}."
                    )
        finally:
            selector.close()
        self.stop()
        raise DemoError(
            f"The demo server did not become ready within {timeout:.0f} seconds; "
            f"see {self.log_path}."
        )

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, and kill if it does not stop in ``timeout`` seconds."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("demo sandbox did not stop in %.0f s; killing it", timeout)
                process.kill()
                process.wait(5)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return None if process is None else process.returncode
