"""The front door of the Seamless API: auth, rate limits, headers, body limits, error shapes.

An ASGI middleware in front of every ``/api/client/`` request, so that even the
answers no handler produces (an unknown path, a body over the limit, a bad
key, a 429) have the Seamless shapes and headers:

* ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
  (epoch seconds) on every answer. Buckets are per organisation and per
  endpoint (method + path), one minute of sandbox time, limit
  ``--seamless-rate-limit`` (changeable at run time through
  ``PUT /_sandbox/seamless/rate-limit``). Requests that cannot be tied to an
  organisation (no or a bad key, the token endpoint) count per client address.
  A refused request (429) uses no budget and sends no ``Retry-After``: the
  wire contract (docs/api/seamless.md, basics) says to wait until ``X-RateLimit-Reset``.
* ``X-PublicAPI-Credits``: the key owner's balance after the request, on every
  answer to an identified caller (not on 401s: there is no owner to speak of).
* A user without an API license gets ``422 missingLicense`` on every endpoint.

Handlers join the server's router through ``routes.add_seamless_route`` and
receive the ``Caller``; any exception they raise leaves as a Seamless error,
and (handlers being synchronous, inside one store transaction) a failed
request changes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from app.sandbox.http import MAX_BODY_BYTES, ApiError, Router
from app.sandbox.registry import Registry
from app.sandbox.seamless import accounts, data, errors, records
from app.sandbox.seamless.caller import Caller
from app.sandbox.seamless.routes import AUTH, BASE, CALLER_KEY, PREFIX
from app.sandbox.state import SandboxState

log = logging.getLogger(__name__)

PUBLIC_PATHS = (f"{BASE}/oauth/accessToken",)


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _send_json(send: Any, status: int, body: Any, headers: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": raw})


class _TooLarge(Exception):
    pass


async def _read_body(receive: Any, declared: str | None) -> bytes:
    if declared is not None:
        try:
            if int(declared) > MAX_BODY_BYTES:
                raise _TooLarge
        except ValueError:
            pass  # uvicorn refuses a malformed Content-Length before we see it
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class SeamlessGate:
    """ASGI middleware answering for everything under ``/api/client/`` before the handlers."""

    def __init__(self, app: Any, state: SandboxState, router: Router) -> None:
        self.app = app
        self.state = state
        # Built once the server's areas have all registered (the app is built after).
        self.routes = router.methods_by_path(AUTH)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        state, store = self.state, self.state.store
        path, method = scope["path"], scope["method"].upper()
        headers = _headers(scope)
        client = (scope.get("client") or ("?", 0))[0]
        now = state.clock.now_ms()
        limit = state.config.seamless_rate_limit
        # Generate the demo database in a thread on the first Seamless request, so a search
        # that follows finds it ready (servers that never use Seamless never pay for it).
        data.cache_of(store.hooks.services).warm_up(
            accounts.anchor_ms(store), records.identity_index
        )

        def rate_headers(
            bucket: tuple[str, ...], *, count: bool = True
        ) -> tuple[bool, dict[str, str]]:
            rl = state.seamless_limiter
            verdict = rl.hit(bucket, limit, now) if count else rl.peek(bucket, limit, now)
            out = verdict.headers(now)
            out.pop("Retry-After", None)  # Seamless: wait until X-RateLimit-Reset
            return verdict.allowed, out

        def credits_header(caller: Caller | None) -> dict[str, str]:
            if caller is None:
                return {}
            return {"X-PublicAPI-Credits": str(accounts.balance(store, caller.user_id))}

        async def fail(exc: ApiError, extra: dict[str, str]) -> None:
            await _send_json(send, exc.status, exc.payload(), {**extra, **exc.headers})

        methods = self.routes.get(path)
        if methods is None or method not in methods:
            allowed, extra = rate_headers(("ip", client, "unknown"))
            if not allowed:
                await fail(errors.rate_limited(), extra)
            elif methods is None:
                await fail(errors.not_found(f"No endpoint at {path}"), extra)
            else:
                await fail(errors.method_not_allowed(method, path, sorted(methods)), extra)
            return
        try:
            body = await _read_body(receive, headers.get("content-length"))
        except _TooLarge:
            _, extra = rate_headers(("ip", client, method, path), count=False)
            await fail(errors.too_large(MAX_BODY_BYTES), extra)
            return

        caller: Caller | None = None
        if path not in PUBLIC_PATHS:
            try:
                caller = accounts.authenticate(store, headers)
            except ApiError as exc:
                allowed, extra = rate_headers(("ip", client, method, path))
                await fail(exc if allowed else errors.rate_limited(), extra)
                return
        bucket = ("org", caller.org_id, method, path) if caller else ("ip", client, method, path)
        allowed, extra = rate_headers(bucket)
        if not allowed:
            state.stats["seamless.rate_limited"] += 1
            await fail(errors.rate_limited(), {**extra, **credits_header(caller)})
            return
        if caller is not None and not caller.licensed:
            await fail(errors.missing_license(), {**extra, **credits_header(caller)})
            return
        state.stats["seamless.requests"] += 1

        inner = dict(scope)
        inner[CALLER_KEY] = caller
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # type: ignore[no-any-return]

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                # Read after the handler's transaction committed: the balance it left.
                added = {**extra, **credits_header(caller)}
                encoded = [(k.lower().encode(), v.encode()) for k, v in added.items()]
                names = {k for k, _ in encoded}
                message = dict(message)
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in names
                ] + encoded
            await send(message)

        await self.app(inner, replay, send_with_headers)


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    registry.middlewares.append(lambda app, state: SeamlessGate(app, state, registry.router))
