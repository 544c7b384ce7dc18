"""Sign in with Seamless.AI: the OAuth 2.0 authorization-code flow of a desktop app.

1. ``SeamlessSignIn.start()`` makes a fresh ``state`` and, when the registered
   redirect URI is a loopback one (``http://127.0.0.1:<port>/callback``; any port
   when none is given), opens a one-shot listener on 127.0.0.1 for it; then it
   opens the system browser at the authorize URL (``response_type=code``,
   ``client_id``, ``redirect_uri``, ``state``).
2. The user approves in the browser, which is sent to the redirect URI with
   ``?code=&state=``. ``wait()`` takes that answer from the listener, which
   answers the browser with a short page and closes; an answer whose ``state``
   is not ours is refused (``StateMismatch``), and no answer within the timeout
   closes the listener too (``SignInTimedOut``).
3. Where the redirect URI cannot be a loopback one (or the browser ran on
   another machine), ``use_pasted()`` takes the code — or the whole address the
   browser ended on, whose ``state`` is then checked — as the user pasted it.
4. The code is exchanged for tokens (``POST /oauth/accessToken``,
   ``grant_type=authorization_code``) with the same redirect URI. Keeping the
   tokens (the keyring only) and opening the connection are the caller's
   (``SeamlessConnection.finish_sign_in``).

Nothing here blocks: the listener is an asyncio server, the browser is opened on
a worker thread unless the caller gives its own opener (the UI's).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import hmac
import inspect
import json
import logging
import secrets
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from app.api.seamless import OAuth, OAuthApp, OAuthTokens, SeamlessClient
from app.core.errors import ApiError

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_REDIRECT_URI = "http://127.0.0.1/callback"
SIGN_IN_TIMEOUT = 300.0
"""Seconds the listener waits for the browser before it closes."""
REQUEST_TIMEOUT = 10.0
"""Seconds one browser request may take to arrive in full."""
MAX_REQUEST_BYTES = 16_384

Opener = Callable[[str], "bool | Awaitable[bool]"]
ClientFactory = Callable[..., Any]


class SignInError(RuntimeError):
    """A sign-in that did not end with tokens; the message is a sentence to show."""


class SignInTimedOut(SignInError):
    """The browser did not come back in time; the listener is closed."""


class StateMismatch(SignInError):
    """An answer reached the redirect address that this sign-in did not ask for."""


class SignInRefused(SignInError):
    """Seamless.AI (or the user) refused the authorization, or the code was not accepted."""


@dataclass(frozen=True)
class OAuthClientConfig:
    """The OAuth app: its id and secret, where the browser authorises, its redirect URI."""

    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    redirect_uri: str = DEFAULT_REDIRECT_URI


@dataclass(frozen=True)
class Callback:
    """What the browser brought back to the redirect address."""

    code: str | None
    state: str | None
    error: str | None = None
    error_description: str | None = None


def is_loopback(uri: str) -> bool:
    """Whether ``uri`` is an ``http://`` address on this computer (RFC 8252 loopback)."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def new_state() -> str:
    """An unguessable ``state`` value for one sign-in."""
    return secrets.token_urlsafe(24)


def authorize_url(config: OAuthClientConfig, redirect_uri: str, state: str) -> str:
    """The address the browser opens to authorise the app."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    sep = "&" if "?" in config.authorize_url else "?"
    return f"{config.authorize_url}{sep}{query}"


def _first(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


def callback_of(query: str) -> Callback:
    """The answer in a redirect's query string."""
    values = parse_qs(query, keep_blank_values=True)
    return Callback(
        _first(values, "code"),
        _first(values, "state"),
        _first(values, "error"),
        _first(values, "error_description"),
    )


def check_callback(callback: Callback, expected_state: str) -> str:
    """The code of an answer to this sign-in; ``StateMismatch`` or ``SignInRefused``."""
    if callback.state is None or not hmac.compare_digest(
        callback.state.encode(), expected_state.encode()
    ):
        raise StateMismatch(
            "The answer that reached Seedly Desk was not for this sign-in (its state did not "
            "match), so it was refused. Start the sign-in again."
        )
    if callback.error:
        detail = f" ({callback.error_description})" if callback.error_description else ""
        raise SignInRefused(
            f"Seamless.AI did not authorise Seedly Desk: {callback.error}{detail}. "
            "Start the sign-in again to retry."
        )
    if not callback.code:
        raise SignInRefused("The answer from Seamless.AI carried no code. Start again.")
    return callback.code


def code_from_paste(text: str, expected_state: str) -> str:
    """A pasted code, or the code of a pasted redirect address (whose ``state`` must be this
    sign-in's); ``SignInRefused`` for an empty paste."""
    pasted = text.strip().strip("\"'")
    if not pasted:
        raise SignInRefused("Paste the code Seamless.AI showed, or the address it sent you to.")
    if "://" in pasted or pasted.startswith("?") or "code=" in pasted:
        query = urlsplit(pasted).query if "://" in pasted else pasted.lstrip("?")
        return check_callback(callback_of(query), expected_state)
    if any(ch.isspace() for ch in pasted):
        raise SignInRefused("That does not look like a code (it has spaces). Paste it again.")
    return pasted


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Seedly Desk</title>
<style>body{{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32em;color:#222}}
</style></head><body><h1>{title}</h1><p>{text}</p></body></html>"""


class LoopbackListener:
    """A one-shot HTTP listener on 127.0.0.1 for the redirect of one sign-in: it answers
    the browser's first request for the redirect path and closes, or closes at the timeout."""

    def __init__(self, path: str, expected_state: str, *, port: int = 0) -> None:
        self.path = path or "/"
        self.port = port
        self._state = expected_state
        self._server: asyncio.Server | None = None
        self._answer: asyncio.Future[Callback] | None = None

    @property
    def listening(self) -> bool:
        """Whether it still accepts connections."""
        return self._server is not None and self._server.is_serving()

    async def start(self) -> int:
        """Listen on 127.0.0.1 (the given port, else any free one); the port."""
        self._answer = asyncio.get_running_loop().create_future()
        try:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        except OSError:
            if not self.port:
                raise
            log.info("port %d is taken; listening on another one", self.port)
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def wait(self, timeout: float) -> Callback:
        """The browser's answer; ``SignInTimedOut`` when none came in ``timeout`` seconds.
        The listener is closed either way."""
        assert self._answer is not None, "start() first"
        try:
            return await asyncio.wait_for(asyncio.shield(self._answer), timeout)
        except TimeoutError:
            raise SignInTimedOut(
                "Seamless.AI did not send the browser back to Seedly Desk in time, so the "
                "sign-in was stopped. Start it again, or paste the code instead."
            ) from None
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop listening (idempotent); a ``wait`` still running ends with ``SignInError``."""
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_exception(SignInError("The sign-in was stopped."))
            answer.exception()  # retrieved: nobody may be waiting any more
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            writer.close()
            return
        try:
            line = head[:MAX_REQUEST_BYTES].split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _version = line.split(" ", 2)
        except ValueError:
            await self._reply(
                writer, 400, "Bad request", "This is not a request Seedly Desk knows."
            )
            return
        parts = urlsplit(target)
        if method != "GET" or parts.path != self.path:
            await self._reply(writer, 404, "Not found", "Nothing here.")
            return
        callback = callback_of(parts.query)
        try:
            check_callback(callback, self._state)
        except SignInError as exc:
            await self._reply(writer, 400, "Sign-in refused", str(exc))
        else:
            await self._reply(
                writer,
                200,
                "Seedly Desk got the answer",
                "You can close this window and go back to Seedly Desk.",
            )
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(callback)
        await self.close()  # one answer only

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            writer.write(head.encode() + body)
            await writer.drain()
        writer.close()


async def open_system_browser(url: str) -> bool:
    """Open ``url`` in the system browser (on a worker: it may block); whether it opened."""
    try:
        return bool(await asyncio.to_thread(webbrowser.open, url))
    except Exception as exc:  # no browser on this system
        log.info("the browser could not be opened: %s", exc)
        return False


class SeamlessSignIn:
    """One "Sign in with Seamless.AI" (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        config: OAuthClientConfig,
        *,
        open_browser: Opener = open_system_browser,
        client_factory: ClientFactory = SeamlessClient,
        timeout: float = SIGN_IN_TIMEOUT,
    ) -> None:
        self.base_url = base_url
        self.config = config
        self.state = new_state()
        self.timeout = timeout
        self._open_browser = open_browser
        self._client_factory = client_factory
        self.listener: LoopbackListener | None = None
        self.redirect_uri = config.redirect_uri
        self.url: str | None = None
        """The authorize URL, once ``start`` made it (shown for copying when no browser
        opens)."""
        self.browser_opened = False

    @property
    def uses_loopback(self) -> bool:
        """Whether the browser's answer comes back to this app by itself."""
        return is_loopback(self.config.redirect_uri)

    async def start(self) -> str:
        """Listen for the redirect (loopback URIs) and open the browser; the authorize URL."""
        if self.uses_loopback:
            parts = urlsplit(self.config.redirect_uri)
            self.listener = LoopbackListener(
                parts.path or "/callback", self.state, port=parts.port or 0
            )
            port = await self.listener.start()
            self.redirect_uri = urlunsplit(
                ("http", f"127.0.0.1:{port}", parts.path or "/callback", "", "")
            )
        self.url = authorize_url(self.config, self.redirect_uri, self.state)
        opened = self._open_browser(self.url)
        if inspect.isawaitable(opened):
            opened = await opened
        self.browser_opened = bool(opened)
        return self.url

    async def wait(self) -> OAuthTokens:
        """The tokens, once the browser came back to the loopback address (``StateMismatch``,
        ``SignInTimedOut``, ``SignInRefused`` otherwise)."""
        if self.listener is None:
            raise SignInError("This sign-in does not listen for the browser: paste the code.")
        callback = await self.listener.wait(self.timeout)
        return await self._exchange(check_callback(callback, self.state))

    async def use_pasted(self, text: str) -> OAuthTokens:
        """The tokens for a pasted code or redirect address (the listener, if any, closes)."""
        code = code_from_paste(text, self.state)
        await self.cancel()
        return await self._exchange(code)

    async def cancel(self) -> None:
        """Stop listening (the user gave up or pasted the code)."""
        if self.listener is not None:
            await self.listener.close()

    async def _exchange(self, code: str) -> OAuthTokens:
        app = OAuthApp(self.config.client_id, self.config.client_secret, self.redirect_uri)
        client = self._client_factory(self.base_url, oauth=OAuth(app))
        try:
            tokens: OAuthTokens = await client.sign_in(code)
        except ApiError as exc:
            raise SignInRefused(
                f"Seamless.AI did not accept the sign-in: {exc.message or exc.user_message} "
                "Start the sign-in again."
            ) from exc
        finally:
            await client.aclose()
        return tokens


def tokens_to_secret(tokens: OAuthTokens) -> str:
    """The tokens as the text kept in the keyring."""
    return json.dumps(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
        }
    )


def tokens_from_secret(text: str | None) -> OAuthTokens | None:
    """Tokens read back from the keyring; None when absent or unreadable."""
    if not text:
        return None
    try:
        data = json.loads(text)
        access = data["access_token"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(access, str) or not access:
        return None
    refresh = data.get("refresh_token")
    expires = data.get("expires_at")
    return OAuthTokens(
        access,
        refresh if isinstance(refresh, str) and refresh else None,
        float(expires) if isinstance(expires, int | float) else None,
    )


__all__ = [
    "DEFAULT_REDIRECT_URI",
    "LOOPBACK_HOSTS",
    "SIGN_IN_TIMEOUT",
    "Callback",
    "LoopbackListener",
    "OAuthClientConfig",
    "SeamlessSignIn",
    "SignInError",
    "SignInRefused",
    "SignInTimedOut",
    "StateMismatch",
    "authorize_url",
    "callback_of",
    "check_callback",
    "code_from_paste",
    "is_loopback",
    "new_state",
    "open_system_browser",
    "tokens_from_secret",
    "tokens_to_secret",
]
