"""Every exporter's file (tests/fixtures/contacts) imported end to end into a real sandbox
without touching the mapping: the counts, the stored values, and the values left out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.core.contact_csv import ImportPlan, ImportReport, RowAction, RowStatus, parse_csv
from app.services.bus import EventBus, ScopeKey
from app.services.contact_import import ContactImporter
from app.services.sync import SyncService
from app.storage import Database
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(120)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contacts"


@dataclass
class Expected:
    """What one fixture must give: rows created, values stored, notes of left-out values."""

    created: int
    values: dict[str, dict[str, Any]]
    """Email → wire fields the stored contact has."""
    noted: dict[str, str] = field(default_factory=dict)
    """Email → a fragment of the note of its row (values left out)."""
    absent: dict[str, list[str]] = field(default_factory=dict)
    """Email → fields the stored contact must not have."""
    plan_notes: list[str] = field(default_factory=list)


CASES: dict[str, Expected] = {
    "linkedin_Connections.csv": Expected(
        5,
        {
            "amelie.dupont@example.org": {
                "firstName": "Amélie",
                "company": "Société Générale d'Essai",
                "title": "Responsable commerciale",
            },
            "layla.hashemi@example.org": {"firstName": "ليلى", "lastName": "الهاشمي"},
            "zoe.oneil@example.org": {"firstName": "Zoë 🌟", "company": "Acme, Inc."},
        },
    ),
    "google_contacts.csv": Expected(
        5,
        {
            "sofia.garcia@example.org": {
                "additionalEmails": ["sofia.garcia.work@example.org"],
                "phone": "+34612345678",
                "tags": ["Clientes VIP"],
                "dateOfBirth": "1985-07-04",
                "country": "Spain",
            },
            "meiling.chen@example.org": {"firstName": "美玲", "tags": []},
            "noor.alsayed@example.org": {"phone": "+33142685300"},
            "emile.zola@example.org": {
                "phone": "+16175550142",
                "tags": ["Prospects", "Newsletter"],
            },
        },
        noted={
            "meiling.chen@example.org": "Column “Birthday”: “--03-15” has no year",
            "kai.tanaka@example.org": "Column “Phone 1 - Value”: “03-1234-5678” is not a valid",
            "emile.zola@example.org": "“020 7946 0958” is not a valid United States number",
        },
        absent={"meiling.chen@example.org": ["dateOfBirth"], "kai.tanaka@example.org": ["phone"]},
    ),
    "outlook_contacts.csv": Expected(
        5,
        {
            "carlos.munoz@example.org": {
                "title": "Account Manager",
                "phone": "+491711234567",
                "additionalPhones": ["+492111234567"],
                "tags": ["Kunden", "VIP"],
                "city": "Düsseldorf",
            },
            "ingrid.bergstrom@example.org": {
                "dateOfBirth": "1970-03-15",
                "additionalEmails": ["ingrid.home@example.org"],
                "phone": "+46701234567",
            },
            "hiroshi.sato@example.org": {"firstName": "博", "phone": "+819012345678"},
            "orjan.hansen@example.org": {"phone": "+4722123456"},
        },
        absent={"carlos.munoz@example.org": ["dateOfBirth"]},
    ),
    "hubspot-crm-exports-all-contacts.csv": Expected(
        5,
        {
            "joao.silva@example.org": {"lifecycleStage": "qualified", "phone": "+5511912345678"},
            "priya.raman@example.org": {"lifecycleStage": "customer", "phone": "+919876543210"},
            "lucia.fernandez@example.org": {"lifecycleStage": "lead", "title": "Office Manager"},
        },
        noted={"mei.lin@example.org": "“Other” is not a lifecycle stage"},
        absent={"lucia.fernandez@example.org": ["assignedTo"]},
    ),
    "salesforce_report.csv": Expected(
        4,
        {
            "bjorn.lindqvist@example.org": {
                "title": "VP Sales",
                "company": "Lindqvist Holding",
                "phone": "+46812345678",
                "dateOfBirth": "1965-11-23",
                "source": "Web",
            },
            "mariajose.pena@example.org": {"dateOfBirth": "1979-04-02"},
            "omar.elfassi@example.org": {"phone": "+212612345678", "lastName": "الفاسي"},
        },
        plan_notes=["(“4/2/1979” on line 3) are read as month/day/year"],
    ),
    "mailchimp_subscribed_members_export.csv": Expected(
        4,
        {
            "grace.obi@example.org": {"tags": ["Customer", "VIP, Gold"], "phone": "+2348021234567"},
            "oliver.smith@example.org": {"phone": "+442079460958", "tags": ["Newsletter"]},
            "hana.kim@example.org": {"firstName": "하나", "tags": ["Customer", "Webinar 2024"]},
        },
        noted={"grace.obi@example.org": "“03/15” has no year"},
    ),
    "vcard_vcf2csv.csv": Expected(
        3,
        {
            "taro.yamada@example.org": {
                "firstName": "太郎",
                "lastName": "山田",
                "title": "社長",
                "phone": "+819087654321",
                "additionalEmails": ["taro.home@example.org", "taro.alt@example.org"],
            },
            "anouk.vdberg@example.org": {
                "lastName": "van der Berg",
                "phone": "+31201234567",
                "additionalPhones": ["+31612345678"],
                "postalCode": "1015 CJ",
            },
            "sami.benyoussef@example.org": {"firstName": "Sami 🙂", "phone": "+21620123456"},
        },
    ),
    "excel_de_cp1252.csv": Expected(
        4,
        {
            "juergen.weiss@example.org": {
                "lastName": "Weiß",
                "phone": "+4930901820",
                "additionalPhones": ["+491711234567"],
                "dateOfBirth": "1970-03-15",
                "addressLine1": "Hauptstraße 5",
            },
            "francoise.lefevre@example.org": {"phone": "+4315123456", "dateOfBirth": "1981-11-02"},
            "asa.nystrom@example.org": {"phone": "+41446681800", "city": "Zürich"},
        },
        noted={"oystein.daehlie@example.org": "Column “Telefon”: “089 123456” is not a valid"},
        absent={
            "oystein.daehlie@example.org": ["phone"],
            "asa.nystrom@example.org": ["dateOfBirth"],
        },
    ),
    "excel_de_utf8_bom.csv": Expected(
        4,
        {
            "ming.li@example.org": {"firstName": "李", "dateOfBirth": "1988-02-01"},
            "maryam.haddad@example.org": {"firstName": "مريم", "phone": "+4917698765432"},
            "max.mustermann@example.org": {"firstName": "Max 🚀", "company": "Muster AG"},
        },
    ),
}


async def _import(
    box: Sandbox, db: Database, name: str
) -> tuple[ImportPlan, ImportReport, SeedlyClient]:
    client = SeedlyClient(box.url, box.sub_key(0))
    scope = ScopeKey(box.url, box.sub_ids[0])
    partition = db.partition(box.url, box.sub_ids[0])
    bus = EventBus()
    await SyncService(partition, client, bus, scope).sync_fields()
    importer = ContactImporter(partition, client, bus, scope)
    table = parse_csv((FIXTURES / name).read_bytes())
    plan = importer.plan(table, importer.suggest(table).targets)
    return plan, await importer.run(plan), client


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_exporter_file_imports_as_a_user_expects(
    sandbox: Sandbox, tmp_path: Path, name: str
) -> None:
    expected = CASES[name]

    async def run() -> None:
        db = Database.open(tmp_path / "cache.sqlite3")
        plan, report, client = await _import(sandbox, db, name)
        try:
            # Every row is planned as new before anything is written, problems included.
            assert plan.counts == {RowAction.CREATE: expected.created}, [
                (r.line, r.reason) for r in plan.rows if r.action is RowAction.SKIP
            ]
            for fragment in expected.plan_notes:
                assert any(fragment in note for note in plan.notes()), plan.notes()
            assert report.count(RowStatus.CREATED) == expected.created, report.problems
            assert not report.problems
            by_email = {o.email: o for o in report.outcomes}
            for email, fragment in expected.noted.items():
                assert fragment in by_email[email].reason, by_email[email].reason
            for email, fields in expected.values.items():
                contact = await client.get_contact(by_email[email].contact_id or "")
                stored = contact.to_wire()
                assert {k: stored.get(k) for k in fields} == fields, email
            for email, names in expected.absent.items():
                stored = (await client.get_contact(by_email[email].contact_id or "")).to_wire()
                assert all(stored.get(n) in (None, []) for n in names), (email, stored)
        finally:
            await client.aclose()
            db.close()

    asyncio.run(run())
