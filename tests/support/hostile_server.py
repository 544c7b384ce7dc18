"""A real HTTP server that misbehaves on purpose, for hardening tests.

Each path is given a behaviour: answer some JSON (optionally with a ``Date``
header of the test's choice), trickle an answer a byte at a time, send a huge
body (with or without ``Content-Length``), or stall. Requests are recorded so a
test can count them. It runs on a thread of its own, like a remote server.
"""

from __future__ import annotations

import http.server
import inspect
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

Behaviour = Callable[["_Handler", dict[str, list[str]]], None]


@dataclass
class HostileServer:
    """Behaviours by path; every request seen as ``(method, path, query)``."""

    url: str = ""
    routes: dict[str, Behaviour] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def count(self, path: str) -> int:
        """How many requests asked for ``path``."""
        return sum(1 for _, p, _ in self.seen if p == path)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _any(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        state = self.server.state
        state.seen.append((self.command, parts.path, query))
        behaviour = state.routes.get(parts.path)
        if behaviour is None:
            # "/api/v1/contacts/*" answers every path under "/api/v1/contacts/".
            prefixes = [
                k for k in state.routes if k.endswith("*") and parts.path.startswith(k[:-1])
            ]
            if prefixes:
                behaviour = state.routes[max(prefixes, key=len)]
        if behaviour is None:
            json_answer({"error": {"code": "NOT_FOUND", "message": "no such route"}}, 404)(
                self, query
            )
            return
        behaviour(self, query)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    state: HostileServer


def json_answer(
    body: Any | Callable[[dict[str, list[str]]], Any],
    status: int = 200,
    *,
    date: str | None = None,
) -> Behaviour:
    """Answer JSON (``body`` may be a function of the query, or of the query and the path
    when it takes two arguments), with a ``Date`` header."""

    def behave(handler: _Handler, query: dict[str, list[str]]) -> None:
        if callable(body):
            if len(inspect.signature(body).parameters) == 2:
                value = body(query, urlsplit(handler.path).path)
            else:
                value = body(query)
        else:
            value = body
        if isinstance(value, tuple):  # (status, body)
            status_now, value = value
        else:
            status_now = status
        data = json.dumps(value).encode()
        # send_response() adds the real Date header; a chosen one replaces it.
        handler.send_response_only(status_now)
        handler.send_header("Date", date if date is not None else http_date(time.time()))
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return behave


def trickle(every: float = 0.5, total: int = 10_000) -> Behaviour:
    """Headers at once, then one byte of a JSON body every ``every`` seconds (each gap
    well inside any per-read timeout), until ``total`` bytes or the server stops."""

    def behave(handler: _Handler, query: dict[str, list[str]]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        handler.wfile.write(b"{")
        handler.wfile.flush()
        for _ in range(total - 1):
            if handler.server.state.stop.wait(every):
                return
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return

    return behave


def huge(size: int, *, declare_length: bool) -> Behaviour:
    """A body of ``size`` bytes (a JSON string), declared in ``Content-Length`` or sent
    chunked without a length."""

    def behave(handler: _Handler, query: dict[str, list[str]]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        block = b"x" * 65536
        if declare_length:
            handler.send_header("Content-Length", str(size))
            handler.end_headers()
            handler.wfile.write(b'"')
            sent = 1
            try:
                while sent < size - 1:
                    piece = block[: min(len(block), size - 1 - sent)]
                    handler.wfile.write(piece)
                    sent += len(piece)
                handler.wfile.write(b'"')
            except OSError:
                return
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        sent = 0
        try:
            while sent < size:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                sent += len(block)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            return

    return behave


def http_date(epoch_s: float) -> str:
    """An HTTP-date (RFC 9110) of ``epoch_s``."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(epoch_s))


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    """Start a misbehaving server on a free loopback port; yields its state."""
    server = _Server(("127.0.0.1", 0), _Handler)
    state = HostileServer(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.state = state
    thread = threading.Thread(target=server.serve_forever, name="hostile-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
