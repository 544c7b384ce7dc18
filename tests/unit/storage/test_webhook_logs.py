"""The Webhooks tab's own histories on real SQLite: test deliveries, received deliveries,
kept workflows and their runs — per sub-account, capped, pruned, without secrets."""

from __future__ import annotations

import json
from pathlib import Path

from app.storage import BODY_CAP, HISTORY_LIMIT, Database, Partition
from app.storage.webhook_logs import cap_body

SECRET = "whsec_Zt8kQv3pX1mN9rB2cL7sD4fG6hJ0wE5y"


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


def _test_delivery(part: Partition, n: int = 0, body: str = '{"event":"contact.created"}') -> int:
    return part.test_deliveries.add(
        delivery_id=f"test_{n}",
        webhook_id="wh_1",
        event="contact.created",
        url="http://127.0.0.1:9000/hook",
        request_headers={"X-Webhook-Signature": "sha256=" + "a" * 64},
        body=body,
        status=200,
        error=None,
        duration_ms=12,
        response_headers={"Content-Type": "text/plain"},
        response_body="ok",
    ).seq


def test_test_deliveries_are_kept_newest_first_per_sub_account(
    part: Partition, other: Partition
) -> None:
    first = _test_delivery(part, 1)
    second = _test_delivery(part, 2)
    _test_delivery(other, 3)
    recent = part.test_deliveries.recent()
    assert [d.seq for d in recent] == [second, first]
    assert recent[0].ok and recent[0].request_headers["X-Webhook-Signature"].startswith("sha256=")
    assert [d.delivery_id for d in other.test_deliveries.recent()] == ["test_3"]
    assert part.test_deliveries.get(first) is not None
    assert other.test_deliveries.get(first) is None  # another sub-account's row
    assert part.test_deliveries.clear() == 2 and other.test_deliveries.recent()


def test_bodies_are_capped_and_secrets_never_stored(db_path: Path, db: Database) -> None:
    part = db.partition("https://crm.example.com", "sub_a")
    body = json.dumps({"event": "x", "data": {"secret": SECRET, "note": "n" * 10}})
    seq = _test_delivery(part, 1, body)
    stored = part.test_deliveries.get(seq)
    assert stored is not None and "secret" not in stored.body and '"note"' in stored.body
    part.received.add(
        delivery_id="whd_1",
        event="contact.created",
        webhook_id=None,
        result="valid",
        message="Signature valid.",
        headers={"X-Webhook-Secret": SECRET, "X-Webhook-Event": "contact.created"},
        body=json.dumps({"signingSecret": SECRET}),
        body_size=50,
    )
    assert SECRET.encode() not in _all_bytes(db_path.parent)
    (received,) = part.received.recent()
    assert received.headers == {"X-Webhook-Event": "contact.created"}
    big = "x" * (BODY_CAP + 10)
    cut = part.test_deliveries.get(_test_delivery(part, 2, big))
    assert cut is not None and cut.body_truncated and len(cut.body) == BODY_CAP
    assert cap_body("not json {") == ("not json {", False)


def test_histories_keep_their_newest_entries(part: Partition) -> None:
    for n in range(HISTORY_LIMIT + 5):
        part.received.add(
            delivery_id=f"d{n}",
            event="message.received",
            webhook_id=None,
            result="valid",
            message="ok",
            headers={},
            body="{}",
            body_size=2,
        )
    recent = part.received.recent(limit=HISTORY_LIMIT + 50)
    assert len(recent) == HISTORY_LIMIT
    assert recent[0].delivery_id == f"d{HISTORY_LIMIT + 4}" and recent[-1].delivery_id == "d5"


def test_a_delivery_id_seen_before_is_found(part: Partition, other: Partition) -> None:
    assert part.received.first_seen("whd_9") is None
    part.received.add(
        delivery_id="whd_9",
        event="contact.updated",
        webhook_id="wh_1",
        result="valid",
        message="ok",
        headers={},
        body="{}",
        body_size=2,
        received_ms=1_000,
    )
    assert part.received.first_seen("whd_9") == 1_000
    assert other.received.first_seen("whd_9") is None


def test_kept_workflows_and_runs(part: Partition, other: Partition) -> None:
    part.workflows.save("harbor-new-lead", "New lead", has_secret=False)
    part.workflows.save("harbor-payment", "Payment", has_secret=True)
    part.workflows.save("harbor-new-lead", "A new lead", has_secret=False)  # renamed
    assert [(w.slug, w.name, w.has_secret) for w in part.workflows.kept()] == [
        ("harbor-new-lead", "A new lead", False),
        ("harbor-payment", "Payment", True),
    ]
    assert other.workflows.kept() == []
    run = part.workflows.add_run(
        kind="trigger",
        slug="harbor-payment",
        contact_id="c1",
        contact_label="Ada Lovelace",
        body='{"contactId":"c1","customData":{"secret":"x","amount":5}}',
        signed=True,
        outcome="ok",
        status=200,
        count=1,
        message="Started 1 run.",
    )
    assert run.signed and run.count == 1 and '"amount":5' in run.body and "secret" not in run.body
    assert part.workflows.runs() == [run] and part.workflows.run(run.seq) == run
    assert other.workflows.runs() == []
    assert part.workflows.remove("harbor-payment") and not part.workflows.remove("nope")
    assert part.workflows.runs() == [run]  # the history stays


def test_the_migration_adds_the_tables_to_a_file_of_the_previous_release(tmp_path: Path) -> None:
    import sqlite3

    from app.storage.database import apply_migrations
    from app.storage.migrations import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    apply_migrations(conn, MIGRATIONS[:6])  # a file written before the Webhooks tab
    conn.close()
    with Database.open(path) as db:
        assert db.user_version == SCHEMA_VERSION == 7
        part = db.partition("https://crm.example.com", "sub_a")
        assert _test_delivery(part) > 0 and part.workflows.kept() == []


def test_the_webhook_marks(part: Partition, other: Partition) -> None:
    marks = part.marks
    assert marks.webhooks_problem() is None and marks.webhooks_read_ms() is None
    marks.set_webhooks_problem("The key lacks webhooks:manage.")
    assert marks.webhooks_problem() == "The key lacks webhooks:manage."
    marks.set_webhooks_read(1_000)
    assert marks.webhooks_read_ms() == 1_000 and marks.webhooks_problem() is None
    assert not marks.demo_workflows_added()
    marks.set_demo_workflows_added()
    assert marks.demo_workflows_added() and not other.marks.demo_workflows_added()
