"""Webhook subscriptions are cached, their signing secrets never are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.storage import Database, strip_secrets

SECRET = "whsec_Zt8kQv3pX1mN9rB2cL7sD4fG6hJ0wE5y"
ROTATED = "whsec_ROTATED_e4b1c9d2a7f3e8b5c0d6a1f4"


def subscription(wid: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": wid,
        "url": "https://hooks.example.com/seedly",
        "events": ["contact.created", "message.received"],
        "description": "Chatbot integration",
        "isActive": True,
        "createdAt": "2026-03-01T00:00:00Z",
    }
    doc.update(fields)
    return doc


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


def test_secrets_never_reach_the_file(db_path: Path) -> None:
    with Database.open(db_path) as db:
        hooks = db.partition("https://crm.example.com", "sub_a").webhooks
        stored = hooks.upsert_webhook(subscription("wh1", secret=SECRET))
        assert "secret" not in stored and stored["url"] == "https://hooks.example.com/seedly"
        hooks.replace_webhooks(
            [
                subscription("wh1", secret=SECRET),
                subscription("wh2", signingSecret=ROTATED, meta={"Secret": SECRET, "keep": 1},
                             history=[{"secret": ROTATED, "at": 1}]),
            ]
        )  # fmt: skip
        listed = hooks.webhooks()
        assert [w["id"] for w in listed] == ["wh1", "wh2"]
        assert listed[1]["meta"] == {"keep": 1} and listed[1]["history"] == [{"at": 1}]
        # The bytes on disk right now (database and WAL) hold no secret.
        on_disk = _all_bytes(db_path.parent)
        assert SECRET.encode() not in on_disk and ROTATED.encode() not in on_disk
        assert b"hooks.example.com" in on_disk  # the check reads the real data
    on_disk = _all_bytes(db_path.parent)
    assert SECRET.encode() not in on_disk and ROTATED.encode() not in on_disk
    assert b"hooks.example.com" in on_disk


def test_upsert_get_delete(db: Database) -> None:
    hooks = db.partition("https://crm.example.com", "sub_a").webhooks
    hooks.upsert_webhook(subscription("wh1"))
    hooks.upsert_webhook(subscription("wh1", isActive=False, secret=SECRET))
    assert hooks.get_webhook("wh1") == subscription("wh1", isActive=False)
    assert hooks.delete_webhook("wh1") is True
    assert hooks.delete_webhook("wh1") is False
    assert hooks.webhooks() == []


def test_strip_secrets_leaves_the_input_alone() -> None:
    doc = {"id": "w", "secret": "s", "nested": [{"SECRET_KEY": "s", "ok": True}]}
    assert strip_secrets(doc) == {"id": "w", "nested": [{"ok": True}]}
    assert doc["secret"] == "s"
