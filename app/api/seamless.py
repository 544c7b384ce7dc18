"""``SeamlessClient``: every path of the Seamless.AI public API (``docs/api/seamless.md``).

One ``Transport`` (one long-lived ``httpx.AsyncClient``) per client, with:

- auth by persistent key (``Token: <key>``) or OAuth 2.0 (``Authorization:
  Bearer``; ``POST /oauth/accessToken`` with the authorization-code and refresh
  grants; the token is refreshed shortly before ``expires_at``, and once when a
  request is refused with a 401; new tokens go to ``on_tokens`` listeners so the
  app can keep them in the keyring; a refused refresh — the sign-in was revoked or
  ran out — raises ``SeamlessSignInRequired`` and tells ``on_sign_in_lost``
  listeners, so the app can ask the user to sign in again);
- one rate budget per endpoint (Seamless limits each endpoint per organisation,
  60/min by default), paced from ``X-RateLimit-*``; 429s wait for the reset;
- the ``X-PublicAPI-Credits`` balance of *every* answer (errors and 429s
  included) reported to ``on_credits`` listeners;
- Seamless's own error shapes mapped to ``app.core.seamless_errors``.

Searches and research requests are POSTs that spend credits: the transport never
repeats one whose outcome is unknown (sent, no answer). ``SeamlessOutcomeUnknown``
is raised and the caller reconciles (the research queue records the job as
unknown and lets the user decide). Polls and the researched-records listings are
GETs, retried as usual.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import httpx

from app.api.pacing import RateBudget
from app.api.transport import (
    MAX_CONNECTIONS,
    RetryPolicy,
    Timeouts,
    Transport,
    json_of,
    tls_context,
)
from app.core.errors import ApiError, ValidationFailed
from app.core.seamless import (
    CompanyPollItem,
    CompanyResearch,
    CompanySearch,
    CompanySearchResult,
    ContactPollItem,
    ContactResearch,
    ContactSearch,
    ContactSearchResult,
    OAuthToken,
    OrgPage,
    ResearchAccepted,
    ResearchedCompany,
    ResearchedContact,
    SearchPage,
    company_search,
    contact_search,
    parse_org_page,
    parse_poll,
    parse_research_accepted,
    parse_search_page,
    parse_token,
)
from app.core.seamless.filters import MAX_ORG_PAGE_LIMIT, MAX_RESEARCH_RECORDS
from app.core.seamless.records import SeamlessModel
from app.core.seamless_errors import (
    SeamlessError,
    SeamlessNetworkError,
    SeamlessOutcomeUnknown,
    SeamlessSignInRequired,
    SeamlessTokenExpired,
    SeamlessUnauthorized,
    credits_from_headers,
    seamless_error_from,
    seamless_error_from_response,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.seamless.ai/api/client/v1"
TOKEN_PATH = "/oauth/accessToken"
REFRESH_MARGIN = 60.0
"""Refresh an OAuth token this many seconds before its ``expires_at``."""

Sleep = Callable[[float], Awaitable[None]]
RecordT = TypeVar("RecordT", bound=SeamlessModel)


def seamless_bucket(method: str, path: str) -> str:
    """One rate budget per endpoint: Seamless limits each endpoint per organisation."""
    return f"{method.upper()} {path.split('?', 1)[0]}"


@dataclass(frozen=True, slots=True)
class CreditsReading:
    """One ``X-PublicAPI-Credits`` value: the key owner's balance after an answer."""

    balance: int
    at: float
    """Epoch seconds when the answer arrived."""
    method: str
    path: str
    status: int


@dataclass(frozen=True)
class OAuthApp:
    """The OAuth client registered in Seamless (the secret stays in memory)."""

    client_id: str
    client_secret: str
    redirect_uri: str

    def __repr__(self) -> str:
        return f"OAuthApp(client_id={self.client_id!r}, client_secret='…', redirect_uri={self.redirect_uri!r})"


@dataclass(frozen=True)
class OAuthTokens:
    """An access token, its refresh token and when it expires (epoch seconds)."""

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None

    def __repr__(self) -> str:
        return f"OAuthTokens(access_token='…', refresh_token='…', expires_at={self.expires_at!r})"

    @classmethod
    def from_answer(cls, token: OAuthToken, previous: OAuthTokens | None = None) -> OAuthTokens:
        """Tokens from the token endpoint's answer (a refresh answer without a new refresh
        token keeps the previous one)."""
        refresh = token.refresh_token or (previous.refresh_token if previous else None)
        return cls(token.access_token, refresh, token.expires_at)


@dataclass(frozen=True)
class OAuth:
    """OAuth credentials for ``SeamlessClient``: the app, and tokens when already signed in."""

    app: OAuthApp
    tokens: OAuthTokens | None = None


class _Answer:
    """The last HTTP answer of one client call (see ``_Observer``)."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: httpx.Response | None = None


# The transport maps errors with Seedly's shapes, and Seamless puts its 422 details in
# "msg"/"code"/"data": the transport hands each answer, read in full, to ``_keep_answer``
# so the client can map it itself. A context variable, because one client serves many
# concurrent calls, each in its own task.
_CALL_ANSWER: contextvars.ContextVar[_Answer | None] = contextvars.ContextVar(
    "seamless_answer", default=None
)


class _Observer(httpx.AsyncBaseTransport):
    """Wraps the HTTP transport: sees every answer (retries and errors included)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        on_answer: Callable[[httpx.Request, httpx.Response], None],
    ) -> None:
        self._inner = inner
        self._on_answer = on_answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The answer is still a stream here: only its headers may be read.
        response = await self._inner.handle_async_request(request)
        try:
            self._on_answer(request, response)
        except Exception:  # a listener's bug must not fail the request
            log.exception("credits listener failed")
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _keep_answer(response: httpx.Response) -> None:
    answer = _CALL_ANSWER.get()
    if answer is not None:
        answer.response = response


def _discard(listeners: list[Any], listener: Any) -> None:
    if listener in listeners:
        listeners.remove(listener)


def _iso(value: date | datetime | str) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _query(query: Any, builder: Callable[..., Any], model: type[Any], filters: Any) -> Any:
    if query is None:
        return builder(**filters)
    if isinstance(query, model):
        # Rebuilt rather than copied, so extra filters are checked like the others.
        return builder(query.to_body(), **filters) if filters else query
    if isinstance(query, Mapping):
        return builder(dict(query), **filters)
    raise TypeError(f"expected {model.__name__} or a mapping of filters, got {type(query)!r}")


class SeamlessClient:
    """Async client of the Seamless.AI API for one key (or one OAuth sign-in)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        oauth: OAuth | None = None,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        http_transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Exactly one of ``api_key`` and ``oauth``. ``http_transport`` replaces the network
        (tests pass an ``httpx.MockTransport``); ``sleep`` and the clocks are the transport's."""
        if (api_key is None) == (oauth is None):
            raise ValueError("SeamlessClient needs exactly one of api_key and oauth")
        if api_key is not None and not api_key.strip():
            raise ValueError("the Seamless API key is empty")
        self._clock = clock
        self._oauth_app = oauth.app if oauth else None
        self._tokens = oauth.tokens if oauth else None
        self._token_lock = asyncio.Lock()
        self._credit_listeners: list[Callable[[CreditsReading], None]] = []
        self._token_listeners: list[Callable[[OAuthTokens], None]] = []
        self._lost_listeners: list[Callable[[SeamlessSignInRequired], None]] = []
        self.credits: CreditsReading | None = None
        """The latest balance reported by any answer, or None before the first."""
        inner = http_transport or httpx.AsyncHTTPTransport(
            verify=tls_context(),
            http2=False,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS // 2
            ),
        )
        headers = {"Accept": "application/json", "User-Agent": "SeedlyDesk/0.1"}
        if api_key is not None:
            headers["Token"] = api_key.strip()
        elif self._tokens is not None:
            headers["Authorization"] = f"Bearer {self._tokens.access_token}"
        self.transport = Transport(
            base_url,
            headers=headers,
            timeouts=timeouts,
            retry=retry,
            bucket_for=seamless_bucket,
            transport=_Observer(inner, self._observe),
            sleep=sleep,
            clock=clock,
            monotonic=monotonic,
            on_response=_keep_answer,
        )

    # -- lifecycle and listeners --------------------------------------------------------------
    @property
    def uses_oauth(self) -> bool:
        """Whether the client signs requests with an OAuth token (not a persistent key)."""
        return self._oauth_app is not None

    @property
    def tokens(self) -> OAuthTokens | None:
        """The current OAuth tokens (None with a persistent key or before sign-in)."""
        return self._tokens

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self.transport.requests_sent

    async def aclose(self) -> None:
        """Close the connection pool (on quit)."""
        await self.transport.aclose()

    def set_api_key(self, api_key: str) -> None:
        """Use another persistent key from now on."""
        if self._oauth_app is not None:
            raise ValueError("this client signs in with OAuth, not a persistent key")
        self.transport.set_header("Token", api_key.strip())

    def on_credits(self, listener: Callable[[CreditsReading], None]) -> Callable[[], None]:
        """``listener(reading)`` after every answer that carried ``X-PublicAPI-Credits``;
        returns a function that removes the listener."""
        self._credit_listeners.append(listener)
        return lambda: _discard(self._credit_listeners, listener)

    def on_tokens(self, listener: Callable[[OAuthTokens], None]) -> Callable[[], None]:
        """``listener(tokens)`` after every sign-in or refresh (store them in the keyring:
        a refresh may replace the refresh token)."""
        self._token_listeners.append(listener)
        return lambda: _discard(self._token_listeners, listener)

    def on_sign_in_lost(
        self, listener: Callable[[SeamlessSignInRequired], None]
    ) -> Callable[[], None]:
        """``listener(error)`` when the OAuth sign-in ended for good (the refresh token was
        refused); returns a function that removes the listener."""
        self._lost_listeners.append(listener)
        return lambda: _discard(self._lost_listeners, listener)

    def _lost(self, error: SeamlessSignInRequired) -> SeamlessSignInRequired:
        for listener in list(self._lost_listeners):
            try:
                listener(error)
            except Exception:  # a listener's bug must not hide the error
                log.exception("sign-in listener failed")
        return error

    def on_budget(self, listener: Callable[[str, RateBudget], None]) -> None:
        """``listener(endpoint, budget)`` after every answer with rate-limit headers."""
        self.transport.on_budget(listener)

    def budget(self, method: str, path: str) -> RateBudget:
        """The rate budget of one endpoint (for ETAs and the meter)."""
        return self.transport.budget(seamless_bucket(method, path))

    def _observe(self, request: httpx.Request, response: httpx.Response) -> None:
        balance = credits_from_headers(response.headers)
        if balance is None:
            return
        reading = CreditsReading(
            balance, self._clock(), request.method, request.url.path, response.status_code
        )
        self.credits = reading
        for listener in list(self._credit_listeners):
            listener(reading)

    # -- OAuth ----------------------------------------------------------------------------------
    async def sign_in(self, code: str) -> OAuthTokens:
        """Exchange an authorization code for tokens (``grant_type=authorization_code``)."""
        app = self._require_oauth()
        return await self._token_request(
            {
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uri": app.redirect_uri,
                "grant_type": "authorization_code",
                "code": code,
            }
        )

    async def refresh(self) -> OAuthTokens:
        """Get a new access token with the refresh token (``grant_type=refresh_token``)."""
        async with self._token_lock:
            return await self._refresh_locked()

    def _require_oauth(self) -> OAuthApp:
        if self._oauth_app is None:
            raise ValueError("this client uses a persistent key, not OAuth")
        return self._oauth_app

    async def _refresh_locked(self) -> OAuthTokens:
        app = self._require_oauth()
        if self._tokens is None or not self._tokens.refresh_token:
            raise self._lost(
                SeamlessSignInRequired(
                    "No refresh token is available; sign in to Seamless.AI again.", status=401
                )
            )
        try:
            return await self._token_request(
                {
                    "client_id": app.client_id,
                    "client_secret": app.client_secret,
                    "redirect_uri": app.redirect_uri,
                    "grant_type": "refresh_token",
                    "refresh_token": self._tokens.refresh_token,
                }
            )
        except (SeamlessNetworkError, SeamlessOutcomeUnknown):
            raise  # not refused: the next request tries again
        except SeamlessError as exc:
            if exc.status is None or exc.status >= 500 or exc.status == 429:
                raise
            # invalid_grant (revoked, expired, already used) or invalid_client: only a new
            # sign-in helps.
            raise self._lost(
                SeamlessSignInRequired(exc.message, status=exc.status, code=exc.code)
            ) from exc

    async def _token_request(self, body: dict[str, str]) -> OAuthTokens:
        answer = await self._send("POST", TOKEN_PATH, body=body)
        tokens = OAuthTokens.from_answer(parse_token(answer), self._tokens)
        self._tokens = tokens
        self.transport.set_header("Authorization", f"Bearer {tokens.access_token}")
        for listener in list(self._token_listeners):
            listener(tokens)
        return tokens

    async def _fresh_token(self) -> str | None:
        """The access token to sign with, refreshed first when it is about to expire."""
        if self._oauth_app is None:
            return None
        async with self._token_lock:
            tokens = self._tokens
            if tokens is None:
                raise SeamlessUnauthorized(
                    "Not signed in to Seamless.AI yet; sign in first.", status=401
                )
            if tokens.expires_at is not None and self._clock() >= (
                tokens.expires_at - REFRESH_MARGIN
            ):
                tokens = await self._refresh_locked()
            return tokens.access_token

    async def _refresh_after_401(self, used: str | None) -> bool:
        """Refresh once after a 401 refused the token; False when impossible (raises
        ``SeamlessSignInRequired`` when the refresh itself is refused)."""
        if self._oauth_app is None or used is None:
            return False
        async with self._token_lock:
            if self._tokens is not None and self._tokens.access_token != used:
                return True  # another request refreshed it meanwhile
            if self._tokens is None or not self._tokens.refresh_token:
                return False
            await self._refresh_locked()
            return True

    # -- plumbing -------------------------------------------------------------------------------
    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        answer = _Answer()
        token = _CALL_ANSWER.set(answer)
        try:
            send_headers = {k: v for k, v in (headers or {}).items() if v}
            response = await self.transport.request(
                method, path, params=params, json_body=body, headers=send_headers or None
            )
            return json_of(response)
        except SeamlessError:
            raise
        except ApiError as exc:
            raw = answer.response
            if raw is not None and exc.status is not None and raw.status_code == exc.status:
                raise seamless_error_from_response(
                    raw.status_code, raw.content, raw.headers, self._clock()
                ) from exc
            raise seamless_error_from(exc) from exc
        finally:
            _CALL_ANSWER.reset(token)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        used = await self._fresh_token()
        headers = {"Authorization": f"Bearer {used}"} if used else None
        try:
            return await self._send(method, path, params=params, body=body, headers=headers)
        except SeamlessSignInRequired:
            raise
        except SeamlessTokenExpired as expired:
            # A 401 refused the request, so nothing was done (or charged): safe to send
            # once more with a fresh token, even a research POST.
            if not await self._refresh_after_401(used):
                self._lost(SeamlessSignInRequired(expired.message, status=401))
                raise
            fresh = self._tokens.access_token if self._tokens else None
            retry_headers = {"Authorization": f"Bearer {fresh}"} if fresh else None
            try:
                return await self._send(
                    method, path, params=params, body=body, headers=retry_headers
                )
            except SeamlessUnauthorized as again:
                # A token minted a moment ago refused too: the sign-in itself was withdrawn.
                self._lost(SeamlessSignInRequired(again.message, status=401, code=again.code))
                raise
        except SeamlessUnauthorized as refused:
            if self._oauth_app is None:
                raise
            # The token is not expired but refused (revoked, unknown): a refresh cannot
            # help, only a new sign-in.
            raise self._lost(
                SeamlessSignInRequired(refused.message, status=401, code=refused.code)
            ) from refused

    # -- search ---------------------------------------------------------------------------------
    async def search_contacts(
        self, query: ContactSearch | Mapping[str, Any] | None = None, **filters: Any
    ) -> SearchPage[ContactSearchResult]:
        """One page of ``POST /search/contacts`` (costs credits: see ``app.core.credits``)."""
        search: ContactSearch = _query(query, contact_search, ContactSearch, filters)
        body = await self._call("POST", "/search/contacts", body=search.to_body())
        return parse_search_page(ContactSearchResult, body)

    async def search_companies(
        self, query: CompanySearch | Mapping[str, Any] | None = None, **filters: Any
    ) -> SearchPage[CompanySearchResult]:
        """One page of ``POST /search/companies``."""
        search: CompanySearch = _query(query, company_search, CompanySearch, filters)
        body = await self._call("POST", "/search/companies", body=search.to_body())
        return parse_search_page(CompanySearchResult, body)

    async def iter_contact_pages(
        self, query: ContactSearch, *, max_pages: int | None = None
    ) -> AsyncIterator[SearchPage[ContactSearchResult]]:
        """Pages of a contact search, following ``nextToken`` (each page costs credits:
        the Leads tab fetches one page per ``fetchMore`` instead)."""
        async for page in self._pages(self.search_contacts, query, max_pages):
            yield page

    async def iter_company_pages(
        self, query: CompanySearch, *, max_pages: int | None = None
    ) -> AsyncIterator[SearchPage[CompanySearchResult]]:
        """Pages of a company search, following ``nextToken``."""
        async for page in self._pages(self.search_companies, query, max_pages):
            yield page

    async def iter_contacts(
        self, query: ContactSearch, *, max_pages: int | None = None
    ) -> AsyncIterator[ContactSearchResult]:
        """Every result of a contact search, page by page."""
        async for page in self.iter_contact_pages(query, max_pages=max_pages):
            for item in page.data:
                yield item

    async def iter_companies(
        self, query: CompanySearch, *, max_pages: int | None = None
    ) -> AsyncIterator[CompanySearchResult]:
        """Every result of a company search, page by page."""
        async for page in self.iter_company_pages(query, max_pages=max_pages):
            for item in page.data:
                yield item

    async def _pages(self, fetch: Any, query: Any, max_pages: int | None) -> AsyncIterator[Any]:
        current = query.page(None) if query.next_token else query
        seen: set[str] = set()
        count = 0
        while True:
            page = await fetch(current)
            count += 1
            yield page
            token = page.next_token
            # A server repeating a cursor would loop forever (and spend credits each time).
            if token is None or token in seen or (max_pages is not None and count >= max_pages):
                return
            seen.add(token)
            current = current.page(token)

    # -- research -------------------------------------------------------------------------------
    async def research_contacts(self, request: ContactResearch) -> ResearchAccepted:
        """``POST /contacts/research`` (≤100 records; spends credits). Never repeated
        when the answer is lost: ``SeamlessOutcomeUnknown``."""
        body = await self._call("POST", "/contacts/research", body=request.to_body())
        return parse_research_accepted(body)

    async def research_companies(self, request: CompanyResearch) -> ResearchAccepted:
        """``POST /companies/research`` (≤100 records; spends credits)."""
        body = await self._call("POST", "/companies/research", body=request.to_body())
        return parse_research_accepted(body)

    @staticmethod
    def _poll_ids(request_ids: Sequence[str]) -> str:
        ids = [i for i in dict.fromkeys(request_ids) if i]
        if not ids or len(ids) > MAX_RESEARCH_RECORDS:
            raise ValidationFailed.from_errors(
                {
                    "requestIds": f"Poll between 1 and {MAX_RESEARCH_RECORDS} research requests "
                    f"at a time ({len(ids)} given)."
                }
            )
        return ",".join(ids)

    async def poll_contacts(self, request_ids: Sequence[str]) -> list[ContactPollItem]:
        """``GET /contacts/research/poll`` for 1–100 request ids."""
        ids = self._poll_ids(request_ids)
        body = await self._call("GET", "/contacts/research/poll", params={"requestIds": ids})
        return parse_poll(ContactPollItem, body)

    async def poll_companies(self, request_ids: Sequence[str]) -> list[CompanyPollItem]:
        """``GET /companies/research/poll`` for 1–100 request ids."""
        ids = self._poll_ids(request_ids)
        body = await self._call("GET", "/companies/research/poll", params={"requestIds": ids})
        return parse_poll(CompanyPollItem, body)

    # -- researched records (free) -------------------------------------------------------------
    async def _org_page(
        self,
        path: str,
        item: type[Any],
        start: date | datetime | str,
        end: date | datetime | str,
        page: int,
        limit: int,
    ) -> Any:
        if page < 1 or not 1 <= limit <= MAX_ORG_PAGE_LIMIT:
            raise ValidationFailed.from_errors(
                {"limit": f"Pages start at 1 and hold 1 to {MAX_ORG_PAGE_LIMIT} records."}
            )
        params = {"startDate": _iso(start), "endDate": _iso(end), "page": page, "limit": limit}
        body = await self._call("GET", path, params=params)
        return parse_org_page(item, body, page=page, limit=limit)

    async def org_contacts(
        self,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        page: int = 1,
        limit: int = MAX_ORG_PAGE_LIMIT,
    ) -> OrgPage[ResearchedContact]:
        """One page of ``GET /contacts``: contacts the organisation researched in the range
        (no credits)."""
        result: OrgPage[ResearchedContact] = await self._org_page(
            "/contacts", ResearchedContact, start, end, page, limit
        )
        return result

    async def org_companies(
        self,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        page: int = 1,
        limit: int = MAX_ORG_PAGE_LIMIT,
    ) -> OrgPage[ResearchedCompany]:
        """One page of ``GET /companies``: companies researched in the range (no credits)."""
        result: OrgPage[ResearchedCompany] = await self._org_page(
            "/companies", ResearchedCompany, start, end, page, limit
        )
        return result

    async def iter_org_contacts(
        self,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        limit: int = MAX_ORG_PAGE_LIMIT,
    ) -> AsyncIterator[ResearchedContact]:
        """Every contact researched in the range, page by page."""
        async for record in self._org_records(self.org_contacts, start, end, limit):
            yield record

    async def iter_org_companies(
        self,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        limit: int = MAX_ORG_PAGE_LIMIT,
    ) -> AsyncIterator[ResearchedCompany]:
        """Every company researched in the range, page by page."""
        async for record in self._org_records(self.org_companies, start, end, limit):
            yield record

    async def _org_records(
        self, fetch: Callable[..., Awaitable[OrgPage[RecordT]]], start: Any, end: Any, limit: int
    ) -> AsyncIterator[RecordT]:
        page_no = 1
        while True:
            page = await fetch(start, end, page=page_no, limit=limit)
            for record in page.data:
                yield record
            if not page.data or not page.has_more:
                return
            page_no += 1

    async def refresh_balance(self) -> CreditsReading | None:
        """Read the balance without spending credits (a one-record page of ``GET /contacts``
        for today); None when the server does not report it."""
        today = date.today()
        await self.org_contacts(today, today, limit=1)
        return self.credits


__all__ = [
    "DEFAULT_BASE_URL",
    "REFRESH_MARGIN",
    "TOKEN_PATH",
    "CreditsReading",
    "OAuth",
    "OAuthApp",
    "OAuthTokens",
    "SeamlessClient",
    "seamless_bucket",
]
