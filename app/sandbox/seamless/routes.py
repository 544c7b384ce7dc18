"""How Seamless handlers join a server's router: under ``BASE``, with Seamless error shapes.

The gate (``gate.py``) authenticates first and leaves the ``Caller`` in the
request scope under ``CALLER_KEY``; the wrapper added here hands it to the
handler and turns whatever the handler raises into a Seamless error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from app.sandbox.http import UNSTORABLE_MESSAGE, ApiError, Ctx, Param, Reply, Router
from app.sandbox.seamless import errors
from app.sandbox.seamless.caller import Caller
from app.sandbox.seamless.filters import FilterError
from app.sandbox.store import UnstorableValue

log = logging.getLogger(__name__)

PREFIX = "/api/client/"
BASE = "/api/client/v1"
CALLER_KEY = "seamless.caller"
AUTH = "seamless"

SeamlessHandler = Callable[[Ctx, Caller | None], Reply]


def add_seamless_route(
    router: Router,
    method: str,
    path: str,
    fn: SeamlessHandler,
    *,
    query: Sequence[Param] = (),
    body: Sequence[Param] | None = None,
    media_types: Sequence[str] = ("application/json",),
) -> None:
    """Answer ``method BASE+path`` with ``fn(ctx, caller)`` (``caller`` is None only on
    public paths); ``query``, ``body`` and ``media_types`` declare its input as for
    ``Router.add``."""
    full = BASE + path

    def handler(ctx: Ctx) -> Reply:
        caller = ctx.request.scope.get(CALLER_KEY)
        try:
            return fn(ctx, caller)
        except ApiError as exc:
            raise errors.to_seamless(exc) from None
        except FilterError as exc:
            raise errors.bad_request(str(exc), exc.field) from None
        except UnstorableValue:
            raise errors.bad_request(UNSTORABLE_MESSAGE) from None
        except Exception:
            log.exception("Seamless handler %s %s failed", method, full)
            raise errors.server_error() from None

    handler.__name__ = fn.__name__
    handler.__doc__ = fn.__doc__
    router.add(method, full, handler, auth=AUTH, query=query, body=body, media_types=media_types)
