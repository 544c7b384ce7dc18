"""Builds one sandbox server (its areas, store, state and ASGI app) and runs it under uvicorn.

Every server is built from scratch by ``build_sandbox``: a fresh ``Registry``
that each area fills through its ``register`` function (``register_areas`` is
the one list of them), a store with its own clock and hooks, and a
``SandboxState``. Two servers in one process share nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.sandbox import control, jobs, openapi, seed, traffic
from app.sandbox.auth import authenticate
from app.sandbox.crm import automation, calendars, contacts, conversations, subaccounts
from app.sandbox.crm import webhooks as crm_webhooks
from app.sandbox.http import (
    MAX_BODY_BYTES,
    UNSTORABLE_MESSAGE,
    ApiError,
    Ctx,
    Query,
    Reply,
    RouteSpec,
    validation,
)
from app.sandbox.middleware import ApiHeadersMiddleware, FaultMiddleware
from app.sandbox.registry import Registry
from app.sandbox.seamless import accounts, gate, history, oauth, research, search
from app.sandbox.seamless import control as seamless_control
from app.sandbox.seamless import webhooks as seamless_webhooks
from app.sandbox.state import SandboxConfig, SandboxState
from app.sandbox.store import Store, UnstorableValue

log = logging.getLogger("app.sandbox")


def register_areas(registry: Registry) -> None:
    """Every area of the sandbox declares its routes, tables, seeders and hooks.

    The order matters where declarations of the same kind meet: routes with the
    same number of path parameters are matched in this order, event listeners
    and delete cascades run in it, background tasks start in it.
    """
    control.register(registry)
    contacts.register(registry)
    automation.register(registry)
    calendars.register(registry)
    subaccounts.register(registry)
    conversations.register(registry)
    crm_webhooks.register(registry)
    accounts.register(registry)
    gate.register(registry)
    oauth.register(registry)
    search.register(registry)
    research.register(registry)
    history.register(registry)
    seamless_control.register(registry)
    seamless_webhooks.register(registry)
    traffic.register(registry)
    openapi.register(registry)


@dataclass
class Sandbox:
    """One sandbox server: what its areas declared and the state it runs on."""

    registry: Registry
    state: SandboxState

    def app(self) -> Any:
        """The server as one ASGI app (middleware included)."""
        return build_app(self.state, self.registry)

    def ready_line(self) -> dict[str, Any]:
        """The one JSON line printed on stdout once the server accepts connections."""
        return seed.ready_info(self.state.store, self.state.base_url, self.registry.ready_extras)

    def close(self) -> None:
        """Close the store (after the server stopped)."""
        self.state.store.close()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        raw = text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (echoed input) has no UTF-8 form; JSON's \u escape still carries it.
        raw = json.dumps(body, separators=(",", ":")).encode()
    return Response(raw, status_code=status, media_type="application/json", headers=headers)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY_BYTES:
                raise ApiError(
                    413,
                    "VALIDATION_ERROR",
                    f"Request body too large (at most {MAX_BODY_BYTES} bytes)",
                )
        except ValueError:
            raise ApiError(400, "VALIDATION_ERROR", "Invalid Content-Length header") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(
                413, "VALIDATION_ERROR", f"Request body too large (at most {MAX_BODY_BYTES} bytes)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _endpoint(spec: RouteSpec, state: SandboxState) -> Any:
    async def endpoint(request: Request) -> Response:
        ctx: Ctx | None = None
        try:
            raw = (
                await _read_body(request)
                if request.method in ("POST", "PATCH", "PUT", "DELETE")
                else b""
            )
            ctx = Ctx(request, state, dict(request.path_params), Query(request.query_params), raw)
            if spec.auth in ("key", "agency"):
                authenticate(ctx, spec)
            if spec.is_async:
                reply = await spec.handler(ctx)  # type: ignore[misc]
            else:
                with state.store.transaction():
                    reply = spec.handler(ctx)
            assert isinstance(reply, Reply)
            return json_response(reply.status, reply.body(), reply.headers)
        except ApiError as exc:
            return json_response(exc.status, exc.payload(), exc.headers)
        except UnstorableValue as exc:
            log.info(
                "refused a value SQLite cannot store on %s %s: %s", spec.method, spec.path, exc
            )
            error = validation(UNSTORABLE_MESSAGE, "")
            return json_response(error.status, error.payload())
        finally:
            if ctx is not None:
                _count_undeclared(spec, ctx, state)

    return endpoint


def _count_undeclared(spec: RouteSpec, ctx: Ctx, state: SandboxState) -> None:
    """Count (and log once) each input a handler read that its route does not declare: the
    OpenAPI document is generated from the declarations, so they must cover every read."""
    for name in spec.undeclared(ctx):
        key = f"undeclared_input:{spec.method} {spec.path} {name}"
        if not state.stats[key]:
            log.warning(
                "%s %s reads %s, which its route does not declare", spec.method, spec.path, name
            )
        state.stats[key] += 1
        state.stats["undeclared_input"] += 1


def build_app(state: SandboxState, registry: Registry) -> Any:
    """The whole sandbox as one ASGI app (middleware included)."""
    # Static segments before parameters, so /contacts/fields wins over /contacts/{id}.
    specs = sorted(registry.router.routes, key=lambda s: (s.path.count("{"),))
    routes = [Route(s.path, _endpoint(s, state), methods=[s.method]) for s in specs]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return json_response(
                405,
                {
                    "error": {
                        "code": "VALIDATION_ERROR",
                        "message": f"Method {request.method} is not allowed on {request.url.path}",
                    }
                },
            )
        if exc.status_code == 404:
            return json_response(
                404,
                {"error": {"code": "NOT_FOUND", "message": f"No endpoint at {request.url.path}"}},
            )
        return json_response(
            exc.status_code, {"error": {"code": "VALIDATION_ERROR", "message": str(exc.detail)}}
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return json_response(
            500,
            {
                "error": {
                    "code": "INTERNAL_ERROR",
                    "message": "Internal server error. Retry with backoff.",
                }
            },
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        state.tasks.append(asyncio.create_task(jobs.runner(state.store), name="sandbox-jobs"))
        for fn in registry.background:
            state.tasks.append(asyncio.create_task(fn(state), name=f"sandbox-{fn.__name__}"))
        try:
            yield
        finally:
            for task in state.tasks:
                task.cancel()
            await asyncio.gather(*state.tasks, return_exceptions=True)
            state.tasks.clear()

    starlette = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    inner: Any = starlette
    for factory in registry.middlewares:
        inner = factory(inner, state)
    # The Seedly headers middleware leaves the areas' own paths (``/api/client/``) alone.
    return FaultMiddleware(ApiHeadersMiddleware(inner, state), state)


def build_sandbox(config: SandboxConfig) -> Sandbox:
    """A new server for ``config``: its areas registered, its store opened (and seeded on
    first use)."""
    registry = Registry()
    register_areas(registry)
    data_dir = config.data_dir
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="seedly-sandbox-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "sandbox.sqlite3", schema=registry.schemas, hooks=registry.hooks)
    accounts = seed.demo_accounts(config.subaccounts, config.conversations_per_subaccount)
    seed.ensure_seeded(store, config.seed, registry.ordered_seeders(), accounts)
    return Sandbox(registry, SandboxState(store=store, config=config))


async def serve(config: SandboxConfig, *, on_ready: Any = None) -> None:
    """Run the sandbox until SIGTERM/SIGINT; print the ready line when listening."""
    import uvicorn

    sandbox = build_sandbox(config)
    state = sandbox.state
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP,
    # and without it Nagle's algorithm adds ~40 ms to every keep-alive request.
    sock = socket.socket(
        socket.AF_INET6 if ":" in config.host else socket.AF_INET,
        socket.SOCK_STREAM,
        socket.IPPROTO_TCP,
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    port = sock.getsockname()[1]
    host = f"[{config.host}]" if ":" in config.host else config.host
    state.base_url = f"http://{host}:{port}"
    app = sandbox.app()

    class _Server(uvicorn.Server):
        # uvicorn re-raises the signal after a graceful stop, so the process would
        # die "killed by SIGTERM"; the sandbox's contract is a clean exit instead.
        @contextlib.contextmanager
        def capture_signals(self) -> Any:
            yield

    server = _Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
            limit_concurrency=1000,
        )
    )
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.02)
    info = sandbox.ready_line()
    if on_ready is not None:
        on_ready(state, info)
    else:
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
    try:
        await task
    finally:
        sandbox.close()
