"""One long-lived ``httpx.AsyncClient`` per service, with retries, pacing and typed errors.

Retry rules (issue 3):
- a request that certainly never reached the server (connect error, pool
  timeout) is retried whatever its method;
- idempotent requests (GET, PATCH, DELETE, PUT) are also retried on timeouts,
  dropped connections and 500/502/503/504, with exponential back-off and
  jitter, a bounded number of times;
- a non-idempotent request (POST) whose outcome is unknown — it was sent and no
  answer came back — is never repeated here: ``OutcomeUnknown`` is raised and
  the caller reconciles (the outbox looks for the message before resending);
- 429 on any method waits ``Retry-After`` (or until ``X-RateLimit-Reset``),
  then retries: a refused request did nothing.

Every exchange has an overall deadline (``Timeouts.total``) besides httpx's
per-chunk timeouts: a server that trickles a byte every few seconds never times
out per chunk and would hold its slot (and the one poll running) forever. An
exchange past its deadline is not retried: the server is answering, only too
slowly, and the poll that asked backs off. Answers are read as a stream and
dropped unread past ``Timeouts.max_body_bytes`` (``ResponseTooLarge``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from app.api.pacing import RateBudget
from app.core.errors import (
    ApiError,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    error_from_response,
)

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_CONNECTIONS = 8
"""Connections per service; requests beyond these wait for a slot (``_exchange``)."""


_tls_lock = threading.Lock()
_tls: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The verified TLS context every client shares (httpx's default trust: certifi, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``). Loading the CA bundle takes 60-100 ms, so it is
    done once, and the app does it on a worker thread before the first client is made."""
    global _tls
    with _tls_lock:
        if _tls is None:
            if os.environ.get("SSL_CERT_FILE"):
                _tls = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
            elif os.environ.get("SSL_CERT_DIR"):
                _tls = ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
            else:
                import certifi

                _tls = ssl.create_default_context(cafile=certifi.where())
        return _tls


def warm_up_http() -> None:
    """Load what the first client and its first request would (the TLS context, httpx's
    transport modules, anyio's asyncio backend: 50-90 ms), so an app can do it on a worker
    thread before it needs one."""
    httpx.AsyncClient(verify=tls_context())
    for module in ("anyio._backends._asyncio", "anyio.streams.tls"):
        with contextlib.suppress(ImportError):  # another version of httpcore may not use it
            importlib.import_module(module)


@dataclass(frozen=True)
class Timeouts:
    """Explicit timeouts; the pool timeout is short so cancelled requests cannot starve others."""

    connect: float = 5.0
    read: float = 15.0
    write: float = 15.0
    pool: float = 2.0
    total: float = 60.0
    """The whole exchange, from sending to the last byte of the answer."""
    max_body_bytes: int = 32_000_000
    """The largest answer read (decoded). A page of 100 HTML emails at their size limit
    stays under it; a 50 MB answer does not."""

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry."""

    attempts: int = 4  # total tries for a retryable failure
    base_delay: float = 0.5
    max_delay: float = 8.0
    rate_limit_waits: int = 5  # 429s tolerated for one call
    max_retry_after: float = 120.0  # never wait longer than this on one 429


Sleep = Callable[[float], Awaitable[None]]
BucketFor = Callable[[str, str], str]


def _seedly_bucket(method: str, path: str) -> str:
    """Seedly budgets: per key for reads and writes; public endpoints are limited apart."""
    if path.startswith(("/webhooks/", "/api/chat/", "/api/forms/")):
        return f"public:{path}"
    return "read" if method in ("GET", "HEAD", "OPTIONS") else "write"


class Transport:
    """Sends requests for one service and one credential, and turns failures into typed errors."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        bucket_for: BucketFor = _seedly_bucket,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> None:
        """``on_response(response)`` sees every answer once it is read in full (errors and
        429s included), in the caller's task: how a client with error shapes of its own
        reads the body the transport mapped."""
        self.base_url = base_url.rstrip("/")
        self._on_response = on_response
        self.retry = retry
        self.bucket_for = bucket_for
        # Every wait (back-off, Retry-After, pacing) goes through ``sleep`` and is measured
        # with ``monotonic``; ``clock`` (epoch seconds) reads HTTP-dates and reset epochs.
        # Injectable so tests (and a Qt-aware loop) see and control every wait.
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self.budgets: dict[str, RateBudget] = {}
        self._listeners: list[Callable[[str, RateBudget], None]] = []
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=dict(headers or {}),
            timeout=timeouts.httpx(),
            transport=transport,
            verify=tls_context(),
            follow_redirects=False,
            http2=False,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS // 2
            ),
        )
        self._pool_timeout = timeouts.pool
        self._deadline = timeouts.total
        self._max_body = timeouts.max_body_bytes
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self.requests_sent = 0
        self._server_offset: float | None = None
        """The server's clock minus ours (seconds), from the last answer's ``Date``."""
        self._orphans: set[asyncio.Future[httpx.Response]] = set()
        """Exchanges whose caller was cancelled, left to finish (see ``_exchange``)."""

    # -- lifecycle ------------------------------------------------------------------------
    async def aclose(self) -> None:
        for orphan in list(self._orphans):
            orphan.cancel()
        if self._orphans:
            await asyncio.wait(list(self._orphans), timeout=2.0)
        await self._client.aclose()

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    def set_header(self, name: str, value: str | None) -> None:
        """Change a default header (a new key after the old one was revoked)."""
        if value is None:
            self._client.headers.pop(name, None)
        else:
            self._client.headers[name] = value

    def server_now(self) -> float:
        """The server's current time (epoch seconds) as its last ``Date`` header told it;
        our own clock before any answer (or when the header was missing or unreadable)."""
        return self._clock() + (self._server_offset or 0.0)

    def _note_server_date(self, headers: httpx.Headers) -> None:
        text = headers.get("Date")
        if not text:
            return
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return
        if when.tzinfo is None:
            return
        self._server_offset = when.timestamp() - self._clock()

    def on_budget(self, listener: Callable[[str, RateBudget], None]) -> None:
        """``listener(bucket, budget)`` after every response that reported rate-limit headers."""
        self._listeners.append(listener)

    def budget(self, bucket: str) -> RateBudget:
        if bucket not in self.budgets:
            # Pacing must use the same sleep and clocks as the rest of the transport (it used
            # asyncio.sleep and the real clocks, so an injected sleep never saw its waits),
            # and never wait longer than a 429 may make us wait.
            self.budgets[bucket] = RateBudget(
                bucket,
                max_wait=self.retry.max_retry_after,
                clock=self._clock,
                monotonic=self._monotonic,
                sleep=self._sleep,
            )
        return self.budgets[bucket]

    # -- sending --------------------------------------------------------------------------
    async def _wait(self, seconds: float) -> None:
        # Qt-driven loops can wake a sleep early: wait against a monotonic deadline.
        deadline = self._monotonic() + seconds
        while (left := deadline - self._monotonic()) > 0:
            await self._sleep(left)

    async def _exchange(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any],
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        """One HTTP exchange, in a way httpcore's connection pool survives.

        httpcore 1.0.x leaks a pool slot for good when a request leaves the pool's queue
        abnormally (cancelled, or timed out waiting for a connection) at the wrong moment
        (encode/httpcore#1093); after ``max_connections`` leaks every request ends in
        ``PoolTimeout``. Sub-account switches cancel in-flight polls all the time, so:

        - a request first takes one of our own ``MAX_CONNECTIONS`` slots (an asyncio
          semaphore, safe to cancel), so httpcore always has a connection free and never
          queues a request;
        - the exchange then runs in its own task, shielded: a cancelled caller returns at
          once and the exchange finishes in the background (bounded by the read timeout),
          its answer dropped, and gives its slot back when it ends.

        Waiting longer than the pool timeout for a slot raises ``httpx.PoolTimeout``
        (the request never left: safe to retry).
        """
        try:
            async with asyncio.timeout(self._pool_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("every connection slot is busy") from None
        exchange = asyncio.ensure_future(self._fetch(method, path, query, body, headers))
        exchange.add_done_callback(self._exchange_finished)
        try:
            return await asyncio.shield(exchange)
        except asyncio.CancelledError:
            if not exchange.done():
                self._orphans.add(exchange)
            raise

    async def _fetch(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any],
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        """Send and read the whole answer within the deadline and the size cap.

        Raises ``TimeoutError`` past the deadline and ``ResponseTooLarge`` past the cap."""
        request = self._client.build_request(
            method, path, params=query, content=body, headers=headers
        )
        async with asyncio.timeout(self._deadline):
            response = await self._client.send(request, stream=True)
            try:
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self._max_body:
                    raise self._too_large(method, path)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self._max_body:
                        raise self._too_large(method, path)
                    chunks.append(chunk)
            finally:
                await response.aclose()
        # The body is decoded already: the copy must not claim an encoding or a length.
        kept = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=kept,
            content=b"".join(chunks),
            request=request,
            extensions=response.extensions,
        )

    def _too_large(self, method: str, path: str) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"{method} {path}: the answer is larger than {self._max_body} bytes",
            limit=self._max_body,
        )

    def _exchange_finished(self, exchange: asyncio.Future[httpx.Response]) -> None:
        self._slots.release()
        if exchange in self._orphans:
            self._orphans.discard(exchange)
            if not exchange.cancelled():
                exchange.exception()  # retrieved: nobody waits for an abandoned answer

    def _backoff(self, attempt: int) -> float:
        delay = min(self.retry.max_delay, self.retry.base_delay * 2.0 ** (attempt - 1))
        return delay * self._rng.uniform(0.5, 1.0)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        rate_limit_waits: int | None = None,
    ) -> httpx.Response:
        """Send with the retry rules above; returns a 2xx response or raises an ``ApiError``.

        ``rate_limit_waits`` overrides how many 429s this call waits out (0: raise
        ``RateLimited`` at once, for a user who should see the limit rather than wait)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        query = {k: v for k, v in (params or {}).items() if v is not None}
        body = content
        send_headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            send_headers.setdefault("Content-Type", "application/json")
        bucket = self.bucket_for(method, path)
        budget = self.budget(bucket)
        attempt = 0
        rate_waits = 0
        tolerated_waits = (
            self.retry.rate_limit_waits if rate_limit_waits is None else rate_limit_waits
        )
        while True:
            attempt += 1
            await budget.acquire()
            started = self._monotonic()
            try:
                self.requests_sent += 1
                response = await self._exchange(method, path, query, body, send_headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Never reached the server: safe to try again whatever the method.
                budget.release()
                if attempt < self.retry.attempts:
                    log.info("%s %s: %s; retrying", method, path, type(exc).__name__)
                    await self._wait(self._backoff(attempt))
                    continue
                if isinstance(exc, httpx.ConnectError):
                    raise NetworkError(f"Cannot reach {self.base_url}: {exc}") from exc
                raise RequestTimeout(
                    f"{self.base_url} did not accept the connection in time"
                ) from exc
            except TimeoutError as exc:
                # Past the overall deadline: the server trickles or stalls. Not retried.
                budget.release()
                if not idempotent:
                    raise OutcomeUnknown(
                        f"{method} {path} was sent but no answer arrived within "
                        f"{self._deadline:.0f} s"
                    ) from exc
                raise RequestTimeout(
                    f"{self.base_url} took longer than {self._deadline:.0f} s to answer "
                    f"{method} {path}"
                ) from exc
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                # Sent (at least partly) and no complete answer: the outcome is unknown.
                budget.release()
                if idempotent and attempt < self.retry.attempts:
                    log.info("%s %s: %s; retrying", method, path, type(exc).__name__)
                    await self._wait(self._backoff(attempt))
                    continue
                if not idempotent:
                    raise OutcomeUnknown(
                        f"{method} {path} was sent but no answer arrived ({type(exc).__name__})"
                    ) from exc
                if isinstance(exc, httpx.TimeoutException):
                    raise RequestTimeout(f"{self.base_url} did not answer in time") from exc
                raise NetworkError(f"The connection to {self.base_url} failed: {exc}") from exc
            except BaseException:
                # Cancelled (or a bug below us): no answer will come, so the request must stop
                # counting against the budget, as on the failures above.
                budget.release()
                raise
            elapsed = self._monotonic() - started
            if self._on_response is not None:
                self._on_response(response)
            self._note_server_date(response.headers)
            budget.update(response.headers)
            for listener in self._listeners:
                listener(bucket, budget)
            log.debug("%s %s -> %s in %.0f ms", method, path, response.status_code, elapsed * 1000)
            if response.is_success:
                return response
            await response.aread()
            error = error_from_response(
                response.status_code, response.content, response.headers, self._clock()
            )
            if isinstance(error, RateLimited) and rate_waits < tolerated_waits:
                rate_waits += 1
                attempt -= 1  # a refusal is not a failed attempt
                wait = min(self.retry.max_retry_after, error.retry_after or 1.0)
                log.info("%s %s: rate limited; waiting %.1f s", method, path, wait)
                # Tell the budget, so other requests of this bucket wait as long, and our retry
                # is not held again by pacing until the (uncapped) reset of the 429's headers.
                budget.retry_at(wait)
                await self._wait(wait)
                continue
            if (
                idempotent
                and response.status_code in RETRY_STATUSES
                and attempt < self.retry.attempts
            ):
                await self._wait(self._backoff(attempt))
                continue
            raise error


def json_of(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``InvalidResponse``-style error when it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:
        from app.core.errors import InvalidResponse

        raise InvalidResponse(
            f"The server answered {response.request.method} {response.request.url.path} "
            "with something that is not JSON."
        ) from exc


__all__ = ["ApiError", "RetryPolicy", "Timeouts", "Transport", "json_of"]
