"""A local HTTP listener for webhook deliveries: loopback only, on the app's asyncio loop.

The test bench's receiver: the user starts it on a port of their choosing and
points a subscription (or their own sender) at ``http://127.0.0.1:PORT/``. It
speaks just enough HTTP/1.1 for webhook senders — a request line, headers, a body
by ``Content-Length`` or chunked, keep-alive — and hands every POST to a
coroutine that decides the answer. It never blocks the loop: reading is async,
with a cap on the header block and the body, and a deadline for slow senders.

It binds ``127.0.0.1`` only, so nothing beyond this computer can reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 1024 * 1024
"""Bytes a delivery may carry (a larger one is answered 413)."""
MAX_HEAD = 32 * 1024
READ_DEADLINE_S = 15.0
"""A request must arrive whole within this (a sender that trickles is cut off)."""
IDLE_S = 30.0
"""A kept-alive connection with no new request is closed after this."""

_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


class ReceiverError(RuntimeError):
    """The receiver could not start; the message says why in plain words."""


@dataclass(frozen=True)
class IncomingRequest:
    """One POST the receiver read completely."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)
    received_ms: int

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found

    def header_map(self) -> dict[str, str]:
        """The headers as a dict (names as sent; a repeated header keeps its last value)."""
        return {k: v for k, v in self.headers}


@dataclass(frozen=True)
class Reply:
    """What the receiver answers: a status and a small JSON or text body."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"


Handler = Callable[[IncomingRequest], Awaitable[Reply]]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class WebhookReceiver:
    """Listens on ``127.0.0.1:port`` and hands each POST to ``handler``."""

    def __init__(self, handler: Handler, *, max_body: int = MAX_BODY) -> None:
        self._handler = handler
        self._max_body = max_body
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.port: int | None = None
        self.requests = 0

    @property
    def running(self) -> bool:
        """Whether the receiver is listening."""
        return self._server is not None

    @property
    def url(self) -> str | None:
        """``http://127.0.0.1:PORT/`` while listening, else None."""
        return None if self.port is None else f"http://{HOST}:{self.port}/"

    async def start(self, port: int = 0) -> int:
        """Listen on ``port`` (0: any free one); the port bound. ``ReceiverError`` when the
        port is taken or not allowed."""
        if self._server is not None:
            await self.stop()
        if not 0 <= port <= 65535:
            raise ReceiverError("Choose a port between 1024 and 65535.")
        try:
            server = await asyncio.start_server(self._serve, HOST, port, limit=MAX_HEAD)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ReceiverError(
                    f"Port {port} is already in use by another program. Choose another port."
                ) from None
            if exc.errno == errno.EACCES:
                raise ReceiverError(
                    f"Port {port} needs administrator rights. Choose a port above 1024."
                ) from None
            raise ReceiverError(f"The receiver could not listen on port {port}: {exc}.") from None
        self._server = server
        self.port = int(server.sockets[0].getsockname()[1])
        log.info("webhook receiver listening on %s", self.url)
        return self.port

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        server, self._server = self._server, None
        self.port = None
        if server is None:
            return
        server.close()
        # Closing the connections ends their reads; a handler still busy is cancelled.
        for writer in list(self._connections.values()):
            writer.close()
        if self._connections:
            _done, pending = await asyncio.wait(list(self._connections), timeout=2)
            for task in pending:
                task.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # asyncio's server callback reads this task's exception() when it ends, which
            # raises (and logs an error) for a cancelled task; the connection simply ends.
            pass
        except Exception:
            log.exception("the webhook receiver failed on a connection")
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_S)
            except (TimeoutError, asyncio.IncompleteReadError):
                return
            except asyncio.LimitOverrunError:
                await self._write(writer, Reply(413, b'{"error":"headers too large"}'), False)
                return
            try:
                async with asyncio.timeout(READ_DEADLINE_S):
                    request, keep_alive = await self._read_request(head, reader)
            except TimeoutError:
                await self._write(writer, Reply(408, b'{"error":"request too slow"}'), False)
                return
            except _BadRequest as exc:
                body = ('{"error":"' + str(exc).replace('"', "'") + '"}').encode()
                await self._write(writer, Reply(exc.status, body), False)
                return
            self.requests += 1
            if request.method == "POST":
                try:
                    reply = await self._handler(request)
                except Exception:
                    log.exception("the webhook handler failed")
                    reply = Reply(500, b'{"error":"the receiver failed"}')
            elif request.method in ("GET", "HEAD"):
                reply = Reply(
                    200,
                    b"Seedly Desk webhook receiver: POST deliveries here.\n",
                    "text/plain; charset=utf-8",
                )
            else:
                reply = Reply(405, b'{"error":"POST only"}')
            await self._write(writer, reply, keep_alive, head_only=request.method == "HEAD")
            if not keep_alive:
                return

    async def _read_request(
        self, head: bytes, reader: asyncio.StreamReader
    ) -> tuple[IncomingRequest, bool]:
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400, "not an HTTP/1.x request")
        method, path, version = parts
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise _BadRequest(400, "malformed header line")
            headers.append((name.strip(), value.strip()))
        lookup = {k.lower(): v for k, v in headers}
        connection = lookup.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        body = b""
        if "chunked" in lookup.get("transfer-encoding", "").lower():
            body = await self._read_chunked(reader)
        elif "content-length" in lookup:
            try:
                length = int(lookup["content-length"])
            except ValueError:
                raise _BadRequest(400, "Content-Length is not a number") from None
            if length < 0:
                raise _BadRequest(400, "Content-Length is negative")
            if length > self._max_body:
                raise _BadRequest(413, f"the body is larger than {self._max_body} bytes")
            body = await reader.readexactly(length)
        elif method == "POST":
            raise _BadRequest(411, "Content-Length is required")
        request = IncomingRequest(
            method.upper(), path, tuple(headers), body, int(time.time() * 1000)
        )
        return request, keep_alive

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(400, "malformed chunk size") from None
            if size == 0:
                await reader.readuntil(b"\r\n")  # the trailer's end (no trailers expected)
                return bytes(body)
            if len(body) + size > self._max_body:
                raise _BadRequest(413, f"the body is larger than {self._max_body} bytes")
            body += await reader.readexactly(size)
            await reader.readexactly(2)

    @staticmethod
    async def _write(
        writer: asyncio.StreamWriter, reply: Reply, keep_alive: bool, *, head_only: bool = False
    ) -> None:
        headers: Mapping[str, str] = {
            "Content-Type": reply.content_type,
            "Content-Length": str(len(reply.body)),
            "Connection": "keep-alive" if keep_alive else "close",
            "Server": "SeedlyDesk-Receiver",
        }
        reason = _REASONS.get(reply.status, "Status")
        head = f"HTTP/1.1 {reply.status} {reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        writer.write(head.encode("latin-1") + (b"" if head_only else reply.body))
        await writer.drain()


__all__ = [
    "HOST",
    "MAX_BODY",
    "Handler",
    "IncomingRequest",
    "ReceiverError",
    "Reply",
    "WebhookReceiver",
]
