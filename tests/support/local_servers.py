"""Tiny local endpoints for connection tests: a web server that is not Seedly, and a port
where nothing listens."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PAGE = b"<!doctype html><html><head><title>Welcome</title></head><body>It works!</body></html>"


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with the same web page, like a default web server."""

    def _page(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(PAGE)

    do_GET = do_PATCH = do_DELETE = do_POST = do_HEAD = _page

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


@contextmanager
def html_server() -> Iterator[str]:
    """A local HTTP server answering HTML to everything; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="html-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens (the port was just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def silent_server() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) but never answers; yields
    ``http://127.0.0.1:<port>``. Requests to it end in a read timeout."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
