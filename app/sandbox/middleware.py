"""ASGI middleware: rate limits and API headers on every response, and fault injection."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from typing import Any

from app.core.constants import API_VERSION
from app.sandbox.auth import bearer_token
from app.sandbox.state import SandboxState

log = logging.getLogger(__name__)

Scope = dict[str, Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _is_seamless(path: str) -> bool:
    return path.startswith("/api/client/")


def _is_seedly(path: str) -> bool:
    return (path.startswith("/api/") and not path.startswith("/api/client/")) or path.startswith(
        "/webhooks/"
    )


async def send_json(send: Any, status: int, body: Any, headers: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": raw})


class ApiHeadersMiddleware:
    """Adds ``X-API-Version`` and ``X-RateLimit-*`` to Seedly responses; answers 429 over limit.

    Buckets follow docs/api/seedly-crm.md §11: per API key with separate read and
    write budgets; public endpoints per client IP; workflow endpoints per endpoint.
    The counts live in ``state.limiter`` (``/_sandbox/rate-limits/reset`` clears them).
    """

    def __init__(self, app: Any, state: SandboxState) -> None:
        self.app = app
        self.state = state

    def classify(self, scope: Scope) -> tuple[tuple[str, ...], int] | None:
        path: str = scope["path"]
        cfg = self.state.config
        method = scope["method"].upper()
        category = "read" if method in ("GET", "HEAD", "OPTIONS") else "write"
        if path.startswith("/api/v1/"):
            token = bearer_token(_header(scope, b"authorization"))
            limit = cfg.rate_limit_read if category == "read" else cfg.rate_limit_write
            if token:
                digest = hashlib.sha256(token.encode()).hexdigest()
                return ("key", digest, category), limit
            client = (scope.get("client") or ("?", 0))[0]
            return ("ip", client, category), limit
        if path.startswith(("/api/chat/", "/api/forms/")):
            client = (scope.get("client") or ("?", 0))[0]
            return ("public", client, path.split("/")[2]), cfg.rate_limit_public
        if path.startswith("/webhooks/"):
            return ("endpoint", path), cfg.rate_limit_workflow
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_seedly(scope["path"]):
            await self.app(scope, receive, send)
            return
        extra = {"X-API-Version": API_VERSION}
        found = self.classify(scope)
        # Per sub-account counts (benches of an agency key polling many of them): the
        # header an agency key names it with, else the key itself.
        account = _header(scope, b"x-sub-account-id") or "key"
        if scope["path"].startswith("/api/v1/"):
            self.state.stats[f"requests_sub.{account}"] += 1
        if found is not None:
            bucket, limit = found
            now = self.state.clock.now_ms()
            verdict = self.state.limiter.hit(bucket, limit, now)
            extra.update(verdict.headers(now))
            if not verdict.allowed:
                self.state.stats["rate_limited"] += 1
                self.state.stats[f"rate_limited_sub.{account}"] += 1
                body = {
                    "error": {
                        "code": "RATE_LIMITED",
                        "message": "Rate limit exceeded. Retry after the period indicated "
                        "in the Retry-After header.",
                    }
                }
                await send_json(send, 429, body, extra)
                return
        encoded = [(k.lower().encode(), v.encode()) for k, v in extra.items()]

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                names = {k for k, _ in encoded}
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in names
                ] + encoded
            await send(message)

        await self.app(scope, receive, send_with_headers)


class FaultMiddleware:
    """Makes a share of API requests fail the ways real networks and servers do.

    Kinds: ``error_500`` (refused before any work), ``drop_before`` (connection
    dropped, nothing done), ``drop_after`` (the work is done and committed, then
    the connection drops: the client cannot know), ``timeout_after`` (done, then
    no answer for longer than a client waits), ``slow`` (a late but correct
    answer) and ``rate_limited`` (a spurious 429 with ``Retry-After``).

    A *targeted* fault (``POST /_sandbox/faults/targeted``) hits the next requests of one
    method and path, whatever the random rate: a test can drop exactly the answer of a
    booking after the server stored it.
    """

    def __init__(self, app: Any, state: SandboxState, rng: random.Random | None = None) -> None:
        self.app = app
        self.state = state
        self.rng = rng or random.Random()

    def pick(self) -> str | None:
        faults = self.state.faults
        if faults.rate <= 0 or self.rng.random() >= faults.rate:
            return None
        kinds = [(k, w) for k, w in faults.kinds.items() if w > 0]
        if not kinds:
            return None
        total = sum(w for _, w in kinds)
        roll = self.rng.random() * total
        for kind, weight in kinds:
            roll -= weight
            if roll <= 0:
                return kind
        return kinds[-1][0]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith(("/api/", "/webhooks/"))):
            await self.app(scope, receive, send)
            return
        kind = self.state.faults.take_targeted(scope.get("method", ""), path) or self.pick()
        if kind is None:
            await self.app(scope, receive, send)
            return
        self.state.stats["faults"] += 1
        self.state.stats[f"fault.{kind}"] += 1
        seamless = _is_seamless(path)
        headers = {} if seamless else {"X-API-Version": API_VERSION}
        if kind == "error_500":
            body: dict[str, Any] = {
                "error": {
                    "code": "INTERNAL_ERROR",
                    "message": "Internal server error (injected fault)",
                }
            }
            if seamless:
                body = {"message": "Internal server error (injected fault)"}
            await send_json(send, 500, body, headers)
        elif kind == "rate_limited":
            now = self.state.clock.now_ms()
            headers.update(
                {
                    "Retry-After": "1",
                    "X-RateLimit-Limit": str(self.state.config.rate_limit_read),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(now // 1000 + 1),
                }
            )
            body = {
                "error": {
                    "code": "RATE_LIMITED",
                    "message": "Rate limit exceeded. Retry after "
                    "the period indicated in the Retry-After header.",
                }
            }
            if seamless:
                headers["X-RateLimit-Limit"] = str(self.state.config.seamless_rate_limit)
                del headers["Retry-After"]
                body = {
                    "message": "Rate limit exceeded (injected fault)",
                    "code": "rateLimitExceeded",
                }
            await send_json(send, 429, body, headers)
        elif kind == "slow":
            await asyncio.sleep(self.state.faults.slow_seconds)
            await self.app(scope, receive, send)
        elif kind == "drop_before":
            await self._drop(send)
        else:

            async def discard(message: dict[str, Any]) -> None:
                return None

            await self.app(scope, receive, discard)
            if kind == "timeout_after":
                await asyncio.sleep(self.state.faults.timeout_seconds)
            await self._drop(send)

    @staticmethod
    async def _drop(send: Any) -> None:
        """End the exchange without a complete response: the server closes the connection."""
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"data": ', "more_body": True})
        # Returning with the body incomplete makes the server close the connection.
