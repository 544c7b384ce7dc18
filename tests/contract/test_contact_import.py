"""CSV import and export against a real sandbox process: creates, updates by email instead of
duplicating, invalid rows skipped with reasons, a required custom field, cancel, round trip."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.core.contact_csv import ImportReport, RowAction, RowStatus, parse_csv, suggest_mapping
from app.services.bus import ContactsChanged, EventBus, Recorder, ScopeKey
from app.services.contact_import import ContactImporter, ImportProgress, export_contacts
from app.services.sync import SyncService
from app.storage import ContactFilters, Database
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)


def _tag() -> str:
    return uuid.uuid4().hex[:10]


async def _importer(
    box: Sandbox, db: Database, sub: int, *, full: bool = False, fields: bool = True
) -> tuple[ContactImporter, SeedlyClient, Recorder]:
    client = SeedlyClient(box.url, box.sub_key(sub))
    sub_id = box.sub_ids[sub]
    bus = EventBus()
    recorder = Recorder().attach(bus, ContactsChanged)
    partition = db.partition(box.url, sub_id)
    sync = SyncService(partition, client, bus, ScopeKey(box.url, sub_id))
    if full:
        await sync.full_contacts()  # fills the cache (custom field definitions included)
    elif fields:
        await sync.sync_fields()
    return ContactImporter(partition, client, bus, ScopeKey(box.url, sub_id)), client, recorder


async def _import(importer: ContactImporter, text: str, **kw: Any) -> ImportReport:
    table = parse_csv(text.encode())
    mapping = suggest_mapping(table.raw_header, importer.field_definitions()).targets
    plan = importer.plan(table, mapping)
    return await importer.run(plan, **kw)


def _statuses(report: ImportReport) -> list[str]:
    return [o.status.value for o in report.outcomes]


def test_creates_then_updates_by_email_instead_of_duplicating(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    tag = _tag()
    emails = [f"imp.{tag}.{i}@example.com" for i in range(3)]
    csv_text = (
        "First Name,Last Name,E-mail,Mobile,Tags\n"
        f"Ana,One,{emails[0]},(617) 555-0142,import-{tag}\n"
        f"Ben,Two,{emails[1]},,import-{tag}; vip\n"
        f"Cy,Three,{emails[2]},+44 20 7946 0958,\n"
    )

    async def run() -> None:
        db = Database.open(tmp_path / "a.sqlite3")
        importer, client, recorder = await _importer(sandbox, db, 0)
        first = await _import(importer, csv_text)
        assert _statuses(first) == ["created"] * 3
        made = [o.contact_id for o in first.outcomes]
        assert all(made) and len(set(made)) == 3
        ana = importer.partition.contacts.get(made[0] or "")
        assert ana is not None and ana["phone"] == "+16175550142"  # E.164 with region US
        assert recorder.of(ContactsChanged)  # the Contacts tab hears about them

        # The same file again, one title changed: the cache knows all three now.
        sent = client.transport.requests_sent
        renamed = csv_text.replace("Cy,Three", "Cyrus,Three")
        again = await _import(importer, renamed)
        assert _statuses(again) == ["unchanged", "unchanged", "updated"]
        assert client.transport.requests_sent == sent + 1  # only the one PATCH
        assert [o.contact_id for o in again.outcomes] == made

        # A fresh cache (another machine): creates are refused as duplicates by the
        # server and become exact-email lookups; nobody is duplicated.
        other_db = Database.open(tmp_path / "b.sqlite3")
        fresh, fresh_client, _ = await _importer(sandbox, other_db, 0)
        third = await _import(fresh, renamed.replace("Ana,One", "Ana,Uno"))
        assert _statuses(third) == ["updated", "unchanged", "unchanged"]
        assert [o.contact_id for o in third.outcomes] == made
        for email, contact_id in zip(emails, made, strict=True):
            found = (await client.list_contacts(email=email)).data
            assert [c.id for c in found] == [contact_id]
        assert (await client.get_contact(made[0] or "")).last_name == "Uno"
        # Tags in the file are added to the contact's own, never removed.
        ben = await client.get_contact(made[1] or "")
        assert set(ben.tags) == {f"import-{tag}", "vip"}
        await fresh_client.aclose()
        await client.aclose()
        other_db.close()
        db.close()

    asyncio.run(run())


def test_invalid_rows_are_skipped_with_reasons(sandbox: Sandbox, tmp_path: Path) -> None:
    tag = _tag()
    good = f"ok.{tag}@example.com"
    csv_text = (
        "First Name,Last Name,Email,Phone,Lifecycle Stage\n"
        f"Good,Row,{good},,Customer\n"  # line 2
        f"Bad,Email,nope.{tag},,\n"  # line 3
        f"NoLast,,nolast.{tag}@example.com,,\n"  # line 4
        f"Bad,Phone,phone.{tag}@example.com,12,\n"  # line 5
        f"Dup,Row,{good.upper()},,\n"  # line 6
        ",,,,\n"  # line 7
        f"Too,Many,many.{tag}@example.com,,lead,extra\n"  # line 8
        f"Bad,Stage,stage.{tag}@example.com,,partner\n"  # line 9
    )

    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        importer, client, _ = await _importer(sandbox, db, 0)
        sent = client.transport.requests_sent
        report = await _import(importer, csv_text)
        by_line = {o.line: o for o in report.outcomes}
        assert by_line[2].status is RowStatus.CREATED
        assert [by_line[n].status for n in (3, 4, 6, 7, 8)] == [RowStatus.SKIPPED] * 5
        assert "Column “Email”" in by_line[3].reason and "not a valid email" in by_line[3].reason
        assert "Last name is required" in by_line[4].reason
        assert "Line 2 above has the same email" in by_line[6].reason
        assert "empty" in by_line[7].reason
        assert "6 values but the file has 5 columns" in by_line[8].reason
        # An optional value Seedly would refuse never drops the contact: the row is
        # imported without it, and the report names the column and why.
        assert by_line[5].status is RowStatus.CREATED
        assert by_line[5].reason.startswith("Column “Phone”: “12” is not a valid")
        assert by_line[9].status is RowStatus.CREATED
        assert "Column “Lifecycle Stage”: “partner” is not a lifecycle stage" in (by_line[9].reason)
        # A row only a new contact would need more for (line 4: no last name) costs one
        # exact-email lookup (the cache may be behind the server); the other invalid rows
        # would be invalid as updates too and cost nothing.
        assert client.transport.requests_sent == sent + 3 + 1
        phoneless = await client.get_contact(by_line[5].contact_id or "")
        assert phoneless.phone is None
        assert (await client.get_contact(by_line[9].contact_id or "")).lifecycle_stage == "lead"
        created = await client.get_contact(by_line[2].contact_id or "")
        assert created.lifecycle_stage == "customer"  # "Customer" read case-insensitively
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_required_custom_field_of_the_second_sub_account(sandbox: Sandbox, tmp_path: Path) -> None:
    tag = _tag()
    csv_text = (
        "Name,Email,Property Type,Roof Age (years),Insurance Claim\n"
        f"Rita Roof,rita.{tag}@example.com,residential,12,yes\n"
        f"Walt Wall,walt.{tag}@example.com,,3,no\n"
        f"Ivy Industrial,ivy.{tag}@example.com,Spaceport,,\n"
    )

    async def run() -> None:
        db = Database.open(tmp_path / "d.sqlite3")
        importer, client, _ = await _importer(sandbox, db, 1)
        report = await _import(importer, csv_text)
        rita, walt, ivy = report.outcomes
        assert rita.status is RowStatus.CREATED
        made = await client.get_contact(rita.contact_id or "")
        assert (made.first_name, made.last_name) == ("Rita", "Roof")
        assert made.custom_fields == {
            "property_type": "Residential",  # the option's own spelling
            "roof_age_years": 12,
            "insurance_claim": True,
        }
        assert walt.status is RowStatus.SKIPPED
        assert "Property Type is required" in walt.reason
        assert ivy.status is RowStatus.SKIPPED and "must be one of" in ivy.reason

        # Without the definitions in the cache the local check cannot know the field is
        # required: the server refuses, and its own message reaches the report.
        blind_db = Database.open(tmp_path / "e.sqlite3")
        blind, blind_client, _ = await _importer(sandbox, blind_db, 1, fields=False)
        other = await _import(blind, f"Name,Email\nNed Noval,ned.{tag}@example.com\n")
        (ned,) = other.outcomes
        assert ned.status is RowStatus.FAILED
        assert "customFields.property_type (Property Type) is required" in ned.reason
        await blind_client.aclose()
        await client.aclose()
        blind_db.close()
        db.close()

    asyncio.run(run())


def test_cancel_midway_keeps_what_was_written(sandbox: Sandbox, tmp_path: Path) -> None:
    tag = _tag()
    lines = [f"Can{i},Cel,cancel.{tag}.{i}@example.com" for i in range(6)]
    csv_text = "First,Last,Email\n" + "\n".join(lines) + "\n"

    async def run() -> None:
        db = Database.open(tmp_path / "f.sqlite3")
        importer, client, _ = await _importer(sandbox, db, 0)
        seen: list[ImportProgress] = []

        def progress(step: ImportProgress) -> None:
            seen.append(step)
            if step.done == 2:
                importer.cancel()

        report = await _import(importer, csv_text, progress=progress)
        assert report.cancelled and report.finished
        assert _statuses(report) == ["created"] * 2 + ["not imported"] * 4
        assert [s.done for s in seen] == [1, 2] and seen[0].total == 6
        assert "cancelled" in report.outcomes[-1].reason
        for i in range(6):
            found = (await client.list_contacts(email=f"cancel.{tag}.{i}@example.com")).data
            assert len(found) == (1 if i < 2 else 0)
        assert importer.report is report and not importer.running
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_round_trip_export_then_import_changes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "g.sqlite3")
        importer, client, _ = await _importer(sandbox, db, 1, full=True)
        partition = importer.partition
        total = partition.contacts.count()
        path = tmp_path / "contacts.csv"
        count = await asyncio.to_thread(
            export_contacts, partition, None, None, ("updatedAt", True), path
        )
        assert count == total > 300
        table = parse_csv(path.read_bytes())
        assert table.encoding == "utf-8-sig" and len(table.rows) == total
        mapping = suggest_mapping(table.raw_header, importer.field_definitions()).targets
        plan = importer.plan(table, mapping)
        assert plan.count(RowAction.UNCHANGED) == total, [
            (r.line, r.action, r.changes, r.reason) for r in plan.rows if r.action != "unchanged"
        ][:5]
        sent = client.transport.requests_sent
        report = await importer.run(plan)
        assert report.count(RowStatus.UNCHANGED) == total
        assert client.transport.requests_sent == sent  # not one request

        # Into a cache that has never seen these contacts: matched by the ID column on the
        # server (a subset, filtered like the Contacts tab, to keep it quick).
        subset = tmp_path / "repeat.csv"
        filters = ContactFilters(lifecycle_stage="repeat")
        expected = partition.contacts.count(None, filters)
        assert export_contacts(partition, None, filters, "name", subset) == expected
        fresh_db = Database.open(tmp_path / "h.sqlite3")
        fresh, fresh_client, _ = await _importer(sandbox, fresh_db, 1)
        table = parse_csv(subset.read_bytes())
        mapping = suggest_mapping(table.raw_header, fresh.field_definitions()).targets
        again = await fresh.run(fresh.plan(table, mapping))
        assert again.count(RowStatus.UNCHANGED) == expected > 0, again.problems[:3]
        await fresh_client.aclose()
        await client.aclose()
        fresh_db.close()
        db.close()

    asyncio.run(run())


def test_phone_numbers_follow_the_import_region(sandbox: Sandbox, tmp_path: Path) -> None:
    tag = _tag()

    async def run() -> None:
        db = Database.open(tmp_path / "i.sqlite3")
        importer, client, _ = await _importer(sandbox, db, 0)
        importer.default_region = "GB"  # the contact service itself still defaults to US
        report = await _import(
            importer, f"First,Last,Email,Phone\nGeo,Brit,geo.{tag}@example.com,020 7946 0958\n"
        )
        (geo,) = report.outcomes
        assert geo.status is RowStatus.CREATED, geo.reason
        assert (await client.get_contact(geo.contact_id or "")).phone == "+442079460958"
        await client.aclose()
        db.close()

    asyncio.run(run())
