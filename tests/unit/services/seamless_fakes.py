"""Fakes for the lead pipeline's service tests: a Seamless API with credits, dedup and
research that takes a number of polls, a Seedly contacts API, and clocks that only move
when told (or when the code under test sleeps)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.api.seamless import CreditsReading
from app.core.errors import OutcomeUnknown, Unauthorized
from app.core.models import Contact, parse
from app.core.seamless_errors import SeamlessOutcomeUnknown
from app.core.seamless import (
    CompanyPollItem,
    CompanyResearch,
    ContactPollItem,
    ContactResearch,
    ResearchAccepted,
    parse_poll,
)

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Clock:
    """Epoch and monotonic seconds that move with ``advance`` or ``sleep``."""

    def __init__(self) -> None:
        self.now = START
        self.mono = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def ms(self) -> int:
        return int(self.now * 1000)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class _Request:
    search_result_id: str | None
    identity: dict[str, Any] | None
    status: str
    polls_left: int
    charged: bool = False


def person(search_result_id: str, n: int | None = None) -> dict[str, Any]:
    """The researched record the fake returns for a search result id."""
    n = n if n is not None else abs(hash(search_result_id)) % 10_000
    return {
        "contactId": f"ct-{search_result_id}",
        "searchResultId": search_result_id,
        "firstName": f"First{n}",
        "lastName": f"Last{n}",
        "email": f"person{search_result_id}@acme.example",
        "email1": f"person{search_result_id}@acme.example",
        "email1TotalAI": "95%",
        "email1EmailAI": "valid",
        "contactPhone1": f"415.555.{n % 10_000:04d}",
        "contactPhone1TotalAI": "80%",
        "contactPhone1DataType": "mobile",
        "company": "Acme",
        "title": "VP Sales",
    }


@dataclass
class Budget:
    limit: int | None = 60


@dataclass
class FakeSeamless:
    """A Seamless API: ``research_polls`` polls before a record is done, dedup per user,
    1 credit per record researched, the balance reported after every call."""

    balance: int = 1000
    research_polls: int = 1
    statuses: dict[str, str] = field(default_factory=dict)
    """Search result id → the final status to answer instead of ``done``."""
    researched: set[str] = field(default_factory=set)
    requests: dict[str, _Request] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    research_error: list[Exception] = field(default_factory=list)
    """Raised by the next research calls, in order (then normal service)."""
    poll_error: list[Exception] = field(default_factory=list)
    lose_answer_after_accepting: bool = False
    drop_request_ids: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _listeners: list[Callable[[CreditsReading], None]] = field(default_factory=list)
    clock: Clock | None = None

    def on_credits(self, listener: Callable[[Any], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def budget(self, method: str, path: str) -> Budget:
        return Budget(60)

    def _report(self, path: str) -> None:
        at = self.clock.time() if self.clock else START
        for listener in self._listeners:
            listener(CreditsReading(self.balance, at, "GET", path, 200))

    async def _research(
        self, kind: str, request: ContactResearch | CompanyResearch
    ) -> ResearchAccepted:
        self.calls.append((f"research:{kind}", request.to_body()))
        if self.research_error:
            raise self.research_error.pop(0)
        ids: list[str] = []
        people = request.contacts if isinstance(request, ContactResearch) else request.companies
        records: list[tuple[str | None, dict[str, Any] | None]] = [
            (i, None) for i in request.search_result_ids or []
        ]
        records += [(None, p.to_body()) for p in people or []]
        for sr_id, identity in records:
            rid = f"req-{next(self._ids)}"
            dup = (
                sr_id is not None
                and sr_id in self.researched
                and not request.skip_deduplication_check
            )
            self.requests[rid] = _Request(
                sr_id,
                identity,
                "duplicate" if dup else "queued",
                0 if dup else self.research_polls,
            )
            ids.append(rid)
        if self.drop_request_ids:
            ids = ids[: -self.drop_request_ids]
        self._report(f"/{kind}s/research")
        if self.lose_answer_after_accepting:
            # The server went on researching (and charging) although the answer was lost.
            self.lose_answer_after_accepting = False
            for rid in ids:
                req = self.requests[rid]
                if req.status == "queued":
                    req.status, req.charged = "done", True
                    self.balance -= 1
                    if req.search_result_id:
                        self.researched.add(req.search_result_id)
            raise SeamlessOutcomeUnknown("POST /contacts/research was sent but no answer arrived")
        return ResearchAccepted(success=True, request_ids=ids)

    async def research_contacts(self, request: ContactResearch) -> ResearchAccepted:
        return await self._research("contact", request)

    async def research_companies(self, request: CompanyResearch) -> ResearchAccepted:
        return await self._research("company", request)

    def _poll_answer(self, request_ids: Sequence[str], kind: str) -> list[dict[str, Any]]:
        data = []
        for rid in request_ids:
            req = self.requests.get(rid)
            if req is None:
                continue
            if req.status in ("queued", "researching"):
                if req.polls_left > 0:
                    req.polls_left -= 1
                    req.status = "researching"
                else:
                    req.status = self.statuses.get(req.search_result_id or "", "done")
                    if req.status == "done" and not req.charged:
                        req.charged = True
                        self.balance -= 1
                        if req.search_result_id:
                            self.researched.add(req.search_result_id)
            item: dict[str, Any] = {
                "requestId": rid,
                "searchResultId": req.search_result_id,
                "status": req.status,
            }
            if req.status in ("done", "duplicate"):
                key = req.search_result_id or f"id-{rid}"
                record = person(key)
                if req.identity is not None:
                    record.pop("searchResultId")
                item["contact" if kind == "contact" else "company"] = (
                    record
                    if kind == "contact"
                    else {"name": f"Company {key}", "domain": "x.example"}
                )
            data.append(item)
        return data

    async def poll_contacts(self, request_ids: Sequence[str]) -> list[ContactPollItem]:
        self.calls.append(("poll:contact", list(request_ids)))
        if self.poll_error:
            raise self.poll_error.pop(0)
        answer = self._poll_answer(request_ids, "contact")
        self._report("/contacts/research/poll")
        return parse_poll(ContactPollItem, {"success": True, "data": answer})

    async def poll_companies(self, request_ids: Sequence[str]) -> list[CompanyPollItem]:
        self.calls.append(("poll:company", list(request_ids)))
        answer = self._poll_answer(request_ids, "company")
        self._report("/companies/research/poll")
        return parse_poll(CompanyPollItem, {"success": True, "data": answer})

    def count(self, name: str) -> int:
        return sum(1 for call, _ in self.calls if call == name)


@dataclass
class FakeSeedly:
    """Seedly's contacts endpoints over a dict, recording every call."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    lose_create_answers: int = 0
    revoked: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _check(self) -> None:
        if self.revoked:
            raise Unauthorized("The API key was revoked.", status=401)

    async def find_contact_by_email(self, email: str) -> Contact | None:
        self.calls.append(("find", email))
        self._check()
        for doc in self.contacts.values():
            if (doc.get("email") or "").lower() == email.lower():
                return parse(Contact, doc)
        return None

    async def get_contact(self, contact_id: str) -> Contact:
        self.calls.append(("get", contact_id))
        return parse(Contact, self.contacts[contact_id])

    async def create_contact(self, payload: Any) -> Contact:
        body = payload.to_body()
        self.calls.append(("create", body))
        self._check()
        cid = f"c{next(self._ids)}"
        doc = {
            "id": cid,
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "tags": [],
            "additionalEmails": [],
            "additionalPhones": [],
            **body,
        }
        self.contacts[cid] = doc
        if self.lose_create_answers:
            self.lose_create_answers -= 1
            raise OutcomeUnknown("POST /api/v1/contacts was sent but no answer arrived")
        return parse(Contact, doc)

    async def update_contact(self, contact_id: str, changes: Any) -> Contact:
        body = changes.to_body()
        self.calls.append(("update", (contact_id, body)))
        self._check()
        self.contacts[contact_id] = {**self.contacts[contact_id], **body}
        return parse(Contact, self.contacts[contact_id])

    def count(self, name: str) -> int:
        return sum(1 for call, _ in self.calls if call == name)
