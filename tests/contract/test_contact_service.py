"""Contact writes through the service: local validation, server errors intact, lost answers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api.seedly import SeedlyClient
from app.core.errors import OutcomeUnknown, ValidationFailed
from app.services.bus import ContactsChanged, EventBus, Recorder, ScopeKey
from app.services.contacts import ContactService
from app.services.sync import SyncService
from app.storage import Database
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)


class LoseCreateAnswers(httpx.AsyncBaseTransport):
    """Sends every request for real, but loses the answer to contact creates (``lose`` of them)."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose = lose

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/api/v1/contacts" and self.lose:
            self.lose -= 1
            await response.aread()
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _service(
    box: Sandbox, db: Database, transport: Any = None
) -> tuple[ContactService, SeedlyClient, Recorder]:
    client = SeedlyClient(box.url, box.sub_key(0), http_transport=transport)
    sub = box.sub_ids[0]
    bus = EventBus()
    recorder = Recorder().attach(bus, ContactsChanged)
    partition = db.partition(box.url, sub)
    await SyncService(partition, client, bus, ScopeKey(box.url, sub)).sync_fields()
    return ContactService(partition, client, bus, ScopeKey(box.url, sub)), client, recorder


def test_local_validation_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        service, client, _ = await _service(sandbox, db)
        sent = client.transport.requests_sent
        with pytest.raises(ValidationFailed) as info:
            await service.create(
                {
                    "firstName": "",
                    "lastName": "X",
                    "email": "nope",
                    "customFields": {"preferred_language": "Klingon"},
                }
            )
        assert {"firstName", "email", "customFields.preferred_language"} <= set(info.value.errors)
        assert client.transport.requests_sent == sent
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_create_update_delete_keep_the_cache_in_step(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        service, client, recorder = await _service(sandbox, db)
        email = f"svc.{uuid.uuid4().hex[:8]}@example.com"
        made = await service.create(
            {"firstName": "Svc", "lastName": "Made", "email": email, "phone": "(617) 555-0142"}
        )
        assert made.phone == "+16175550142"  # normalised to E.164 before sending
        assert service.partition.contacts.get(made.id)["email"] == email
        sent = client.transport.requests_sent
        same = await service.update(made.id, {"firstName": "Svc", "phone": "+1 617 555 0142"})
        assert client.transport.requests_sent == sent and same.id == made.id  # nothing changed
        changed = await service.update(made.id, {"title": "Owner", "firstName": "Svc"})
        assert (
            changed.title == "Owner" and service.partition.contacts.get(made.id)["title"] == "Owner"
        )
        # The server's own validation errors come through intact.
        with pytest.raises(ValidationFailed) as info:
            await service.create({"firstName": "Dup", "lastName": "Licate", "email": email})
        assert info.value.field == "email" and "already used" in str(info.value)
        await service.delete(made.id)
        assert service.partition.contacts.get(made.id) is None
        assert any(made.id in e.deleted for e in recorder.of(ContactsChanged))
        await service.delete(made.id)  # already gone is fine
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_a_lost_create_answer_is_reconciled_by_email(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        service, client, _ = await _service(sandbox, db, LoseCreateAnswers(lose=1))
        email = f"lost.{uuid.uuid4().hex[:8]}@example.com"
        made = await service.create({"firstName": "Lost", "lastName": "Answer", "email": email})
        assert made.email == email
        check = SeedlyClient(sandbox.url, sandbox.sub_key(0))
        found = (await check.list_contacts(email=email)).data
        assert [c.id for c in found] == [made.id]  # created once, not twice
        await check.aclose()
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_a_lost_create_answer_without_email_stays_unknown(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        service, client, _ = await _service(sandbox, db, LoseCreateAnswers(lose=1))
        with pytest.raises(OutcomeUnknown):
            await service.create({"firstName": "No", "lastName": "Email"})
        await client.aclose()
        db.close()

    asyncio.run(run())
