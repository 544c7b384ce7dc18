"""Builds the sandbox ASGI app and runs it under uvicorn."""

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
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.sandbox import jobs
from app.sandbox.auth import authenticate
from app.sandbox.http import MAX_BODY_BYTES, ROUTES, ApiError, Ctx, Query, Reply, RouteSpec
from app.sandbox.middleware import ApiHeadersMiddleware, FaultMiddleware
from app.sandbox.state import SandboxConfig, SandboxState, background_tasks
from app.sandbox.store import Store

log = logging.getLogger("app.sandbox")


def _load_route_modules() -> None:
    # Importing registers the routes, schemas, listeners and jobs of each area.
    import app.sandbox.control
    import app.sandbox.crm
    import app.sandbox.seamless
    import app.sandbox.traffic  # noqa: F401


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
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

    return endpoint


def build_app(state: SandboxState) -> Any:
    """The whole sandbox as one ASGI app (middleware included)."""
    _load_route_modules()
    # Static segments before parameters, so /contacts/fields wins over /contacts/{id}.
    specs = sorted(ROUTES, key=lambda s: (s.path.count("{"),))
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
        for fn in background_tasks():
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
    return FaultMiddleware(ApiHeadersMiddleware(starlette, state), state)


def open_state(config: SandboxConfig) -> SandboxState:
    """Open (and seed on first use) the store for ``config``."""
    from app.sandbox import seed

    _load_route_modules()
    data_dir = config.data_dir
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="seedly-sandbox-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "sandbox.sqlite3")
    seed.ensure_seeded(store, config.seed)
    return SandboxState(store=store, config=config)


def ready_line(state: SandboxState) -> dict[str, Any]:
    """The one JSON line printed on stdout once the server accepts connections."""
    from app.sandbox import seed

    return seed.ready_info(state.store, state.base_url)


async def serve(config: SandboxConfig, *, on_ready: Any = None) -> None:
    """Run the sandbox until SIGTERM/SIGINT; print the ready line when listening."""
    import uvicorn

    state = open_state(config)
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
    app = build_app(state)

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
    info = ready_line(state)
    if on_ready is not None:
        on_ready(state, info)
    else:
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
    try:
        await task
    finally:
        state.store.close()
