"""Pushing researched contacts into a Seedly sub-account with a fake CRM: mapped fields,
exact-email lookup first, only changed fields sent to an existing contact, nothing
duplicated on a second push, skipped records with reasons, lost creates reconciled, and
a report of every record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.seamless import ResearchedContact, parse
from app.services.bus import EventBus, LeadPushProgress, Recorder, ScopeKey
from app.services.contacts import ContactService
from app.services.lead_push import LeadPusher, PushAction
from app.storage import Database
from tests.unit.services.seamless_fakes import FakeSeedly, person

pytestmark = [pytest.mark.timeout(20), pytest.mark.asyncio]

SCOPE = ScopeKey("https://crm.example", "sub_a")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "cache.sqlite3")
    yield database
    database.close()


def rig(db: Database, crm: FakeSeedly | None = None) -> tuple[LeadPusher, FakeSeedly, Recorder]:
    crm = crm or FakeSeedly()
    bus = EventBus()
    recorder = Recorder().attach(bus, LeadPushProgress)
    service = ContactService(db.partition(SCOPE.deployment, SCOPE.sub_account_id), crm, bus, SCOPE)
    return LeadPusher(service), crm, recorder


def lead(sr: str, **changes: Any) -> ResearchedContact:
    return parse(ResearchedContact, {**person(sr, n=int(sr.removeprefix("sr") or 0)), **changes})


async def test_new_leads_are_created_with_mapped_fields(db: Database) -> None:
    pusher, crm, progress = rig(db)
    record = lead(
        "sr1",
        email2="sales@acme.example",
        email2EmailAI="risky",
        email3="gone@acme.example",
        email3EmailAI="invalid",
        companyPhone1="(415) 555-0199",
        contactLocation={"city": "Austin", "state": "TX", "countryAlpha2": "US"},
    )
    report = await pusher.push([record], tag="seamless-q1")
    [outcome] = report.outcomes
    assert outcome.action is PushAction.CREATED and outcome.contact_id == "c1"
    assert outcome.key == "sr1" and outcome.email == "personsr1@acme.example"
    assert any("gone@acme.example was left out" in n for n in outcome.notes)
    body = crm.calls[1][1]
    assert crm.calls[0] == ("find", "personsr1@acme.example")
    assert body["firstName"] == "First1" and body["lastName"] == "Last1"
    assert body["email"] == "personsr1@acme.example"
    assert body["additionalEmails"] == ["sales@acme.example"]
    assert body["phone"] == "+14155550001" and body["additionalPhones"] == ["+14155550199"]
    assert body["company"] == "Acme" and body["title"] == "VP Sales" and body["city"] == "Austin"
    assert body["source"] == "seamless" and body["tags"] == ["seamless-q1"]
    assert report.summary() == "1 added."
    assert [(e.done, e.total) for e in progress.of(LeadPushProgress)] == [(1, 1)]
    # the new contact is in the sub-account's cache
    assert pusher.contacts.partition.contacts.get("c1") is not None


async def test_existing_contacts_get_only_what_changed_and_nothing_is_duplicated(
    db: Database,
) -> None:
    crm = FakeSeedly()
    crm.contacts["c9"] = {
        "id": "c9",
        "firstName": "Firstie",
        "lastName": "Last2",
        "email": "PERSONsr2@acme.example",
        "phone": "+14155550002",
        "company": "Acme",
        "title": "Director",
        "source": "website",
        "tags": ["vip"],
        "additionalEmails": [],
        "additionalPhones": [],
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2025-01-01T00:00:00Z",
    }
    pusher, crm, _ = rig(db, crm)
    leads = [lead("sr2"), lead("sr3")]
    first = await pusher.push(leads, tag="webinar")
    assert [o.action for o in first.outcomes] == [PushAction.UPDATED, PushAction.CREATED]
    updated = first.outcomes[0]
    assert updated.contact_id == "c9" and updated.changed == ("tags", "title")
    [(_, (cid, patch))] = [c for c in crm.calls if c[0] == "update"]
    assert cid == "c9" and patch == {"title": "VP Sales", "tags": ["vip", "webinar"]}
    assert crm.contacts["c9"]["firstName"] == "Firstie"  # the user's edits are kept
    assert first.summary() == "1 added, 1 updated."
    # pushing the same leads again: found by email, nothing to change, nothing created
    again = await pusher.push(leads, tag="webinar")
    assert [o.action for o in again.outcomes] == [PushAction.UNCHANGED, PushAction.UNCHANGED]
    assert crm.count("create") == 1 and crm.count("update") == 1
    assert len(crm.contacts) == 2


async def test_records_that_cannot_be_added_are_skipped_with_the_reason(db: Database) -> None:
    pusher, crm, _ = rig(db)
    no_email = lead("sr4", email=None, email1=None)
    bad_email = lead("sr5", email="not-an-address", email1=None)
    invalid = lead("sr6", email1EmailAI="invalid")
    no_name = lead("sr7", lastName=None)
    report = await pusher.push([no_email, bad_email, invalid, no_name])
    assert [o.action for o in report.outcomes] == [PushAction.SKIPPED] * 4
    assert all("No usable email" in (o.reason or "") for o in report.outcomes[:3])
    assert "judged it invalid" in report.outcomes[2].notes[0]
    assert "last name" in (report.outcomes[3].reason or "")
    assert crm.calls == []  # nothing looked up or sent
    assert report.summary() == "4 skipped."


async def test_a_lost_create_is_reconciled_by_email(db: Database) -> None:
    pusher, crm, _ = rig(db, FakeSeedly(lose_create_answers=1))
    report = await pusher.push([lead("sr8")])
    [outcome] = report.outcomes
    assert outcome.action is PushAction.CREATED and outcome.contact_id == "c1"
    assert crm.count("create") == 1 and len(crm.contacts) == 1


async def test_two_records_with_one_email_make_one_contact(db: Database) -> None:
    pusher, crm, _ = rig(db)
    a = lead("sr9")
    b = lead("sr9", title="Chief Revenue Officer", searchResultId="sr9b")
    report = await pusher.push([(a.key or "", a), ("sr9b", b)])
    assert [o.action for o in report.outcomes] == [PushAction.CREATED, PushAction.UPDATED]
    assert crm.count("create") == 1 and len(crm.contacts) == 1
    assert crm.contacts["c1"]["title"] == "Chief Revenue Officer"


async def test_a_revoked_key_stops_the_rest(db: Database) -> None:
    pusher, crm, _ = rig(db, FakeSeedly(revoked=True))
    pusher.concurrency = 1
    report = await pusher.push([lead("sr10"), lead("sr11"), lead("sr12")])
    assert [o.action for o in report.outcomes] == [PushAction.FAILED] * 3
    assert report.outcomes[1].reason is not None and report.outcomes[1].reason.startswith(
        "Not attempted:"
    )
    assert crm.count("find") == 1


async def test_a_hundred_leads(db: Database) -> None:
    pusher, crm, progress = rig(db)
    report = await pusher.push([lead(f"sr{i}") for i in range(100)], tag="bulk")
    assert len(report.created) == 100 and crm.count("create") == 100
    assert progress.of(LeadPushProgress)[-1].done == 100
    again = await pusher.push([lead(f"sr{i}") for i in range(100)], tag="bulk")
    assert len(again.unchanged) == 100 and crm.count("create") == 100
