"""One POST of a signed test delivery to any URL the user names (their own receiver).

Not a Seedly call: the test bench plays the part of Seedly's webhook sender, so the
request goes wherever the user points it, ``localhost`` included (it is their own
machine and their own server). No redirects are followed (Seedly does not follow
them either: docs/api/seedly-crm.md §7 asks for a 2xx), no proxy from the
environment is used, the whole exchange has a deadline, and only the start of the
answer is read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from app.api.transport import tls_context

ANSWER_CAP = 64 * 1024
"""Bytes of the answer's body kept (the rest is not read)."""
DEADLINE_S = 15.0


@dataclass(frozen=True)
class DeliveryAnswer:
    """What the receiver answered (or why there was no answer: ``error``)."""

    status: int | None
    headers: dict[str, str]
    body: str | None
    truncated: bool
    duration_ms: int
    error: str | None = None


async def post_delivery(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    deadline: float = DEADLINE_S,
    cap: int = ANSWER_CAP,
    transport: httpx.AsyncBaseTransport | None = None,
) -> DeliveryAnswer:
    """POST ``body`` with ``headers`` to ``url``; never raises for network failures (they
    come back as ``error`` in plain words)."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        async with (
            asyncio.timeout(deadline),
            httpx.AsyncClient(
                verify=tls_context(),
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(10.0, connect=5.0),
                transport=transport,
            ) as client,
            client.stream("POST", url, content=body, headers=dict(headers)) as response,
        ):
            chunks = bytearray()
            truncated = False
            async for chunk in response.aiter_bytes():
                chunks += chunk
                if len(chunks) > cap:
                    truncated = True
                    break
            text = bytes(chunks[:cap]).decode("utf-8", "replace")
            return DeliveryAnswer(
                response.status_code, dict(response.headers), text, truncated, elapsed()
            )
    except TimeoutError:
        return DeliveryAnswer(
            None, {}, None, False, elapsed(), f"No answer within {deadline:g} seconds."
        )
    except httpx.ConnectError as exc:
        return DeliveryAnswer(
            None, {}, None, False, elapsed(), f"Could not connect to {_host(url)} ({_why(exc)})."
        )
    except httpx.TimeoutException:
        return DeliveryAnswer(
            None, {}, None, False, elapsed(), "The receiver did not answer in time."
        )
    except httpx.UnsupportedProtocol:
        return DeliveryAnswer(
            None, {}, None, False, elapsed(), "The URL must start with http:// or https://."
        )
    except httpx.InvalidURL as exc:
        return DeliveryAnswer(None, {}, None, False, elapsed(), f"The URL is not valid ({exc}).")
    except httpx.HTTPError as exc:
        return DeliveryAnswer(
            None, {}, None, False, elapsed(), f"The exchange failed ({_why(exc)})."
        )


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def _why(exc: Exception) -> str:
    text = str(exc).strip()
    if "refused" in text.lower() or "all connection attempts failed" in text.lower():
        return "nothing answered on that port: is the receiver running?"
    return text or type(exc).__name__


__all__ = ["ANSWER_CAP", "DeliveryAnswer", "post_delivery"]
