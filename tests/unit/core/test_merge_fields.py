"""Merge-field preview against a contact, and the insert menu."""

from __future__ import annotations

from typing import Any

from app.core.merge_fields import (
    STANDARD_FIELDS,
    available_merge_fields,
    find_tokens,
    render_merge_fields,
)
from app.core.models import Contact, ContactSummary, CustomFieldDefinition, parse

CONTACT = parse(
    Contact,
    {
        "id": "c1",
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "jane@example.com",
        "phone": "+15551234567",
        "company": "Acme Corp",
        "customFields": {
            "preferred_language": "Spanish",
            "visits_per_year": 29.0,
            "sms_reminders": True,
            "nickname": None,
        },
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    },
)


def test_seed_example_resolves() -> None:
    preview = render_merge_fields("Hello {{firstName}}, your appointment is confirmed.", CONTACT)
    assert preview.text == "Hello Jane, your appointment is confirmed."
    assert preview.ok and preview.unknown == () and preview.empty == ()


def test_every_standard_token() -> None:
    template = "{{firstName}}|{{lastName}}|{{fullName}}|{{email}}|{{phone}}|{{company}}"
    assert (
        render_merge_fields(template, CONTACT).text
        == "Jane|Doe|Jane Doe|jane@example.com|+15551234567|Acme Corp"
    )


def test_custom_values_read_the_contacts_custom_fields() -> None:
    preview = render_merge_fields(
        "{{custom_values.preferred_language}} {{custom_values.visits_per_year}} "
        "{{custom_values.sms_reminders}}",
        CONTACT,
    )
    assert preview.text == "Spanish 29 true"


def test_whitespace_inside_braces_is_tolerated() -> None:
    preview = render_merge_fields(
        "Hi {{ firstName }} / {{  custom_values.preferred_language }}", CONTACT
    )
    assert preview.text == "Hi Jane / Spanish" and preview.ok


def test_missing_values_render_empty_and_are_reported() -> None:
    sparse = parse(
        Contact,
        {
            "id": "c2",
            "firstName": "Sam",
            "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
        },
    )
    preview = render_merge_fields(
        "{{fullName}} at {{company}} ({{email}}) {{company}} {{custom_values.nickname}}", sparse
    )
    assert preview.text == "Sam at  ()  "
    assert preview.empty == ("company", "email", "custom_values.nickname")
    assert preview.ok


def test_unknown_tokens_are_left_and_reported_with_suggestions() -> None:
    preview = render_merge_fields(
        "Hi {{first_name}} {{FirstName}} {{contact.email}} {{name}} {{foo}} {{}}", CONTACT
    )
    assert preview.text == "Hi {{first_name}} {{FirstName}} {{contact.email}} {{name}} {{foo}} {{}}"
    assert not preview.ok
    suggestions = {u.key: u.suggestion for u in preview.unknown}
    assert suggestions == {
        "first_name": "{{firstName}}",
        "FirstName": "{{firstName}}",
        "contact.email": "{{email}}",
        "name": "{{fullName}}",
        "foo": None,
        "": None,
    }


def test_custom_keys_checked_against_definitions_when_given() -> None:
    names = ["preferred_language", "visits_per_year"]
    preview = render_merge_fields(
        "{{custom_values.preferred_language}} "
        "{{custom_values.Visits_Per_Year}} "
        "{{custom_fields.preferred_language}}",
        CONTACT,
        custom_field_names=names,
    )
    assert preview.text.startswith("Spanish {{custom_values.Visits_Per_Year}}")
    assert [u.suggestion for u in preview.unknown] == [
        "{{custom_values.visits_per_year}}",
        "{{custom_values.preferred_language}}",
    ]
    # Without definitions any custom key is accepted (and may resolve to nothing).
    assert render_merge_fields("{{custom_values.whatever}}", CONTACT).ok


def test_summary_mapping_and_no_contact() -> None:
    summary = ContactSummary(name="Front Desk", email="desk@example.com")
    assert (
        render_merge_fields("{{fullName}} {{email}}", summary).text == "Front Desk desk@example.com"
    )
    wire: dict[str, Any] = {"firstName": "Ann", "lastName": "Lee", "customFields": {"tier": "gold"}}
    assert render_merge_fields("{{fullName}}/{{custom_values.tier}}", wire).text == "Ann Lee/gold"
    nobody = render_merge_fields("Hi {{firstName}}!", None)
    assert nobody.text == "Hi !" and nobody.empty == ("firstName",)


def test_braces_that_are_not_tokens_are_untouched() -> None:
    text = "Use {curly} or {{ unclosed and }} or {{{firstName}}}"
    preview = render_merge_fields(text, CONTACT)
    assert preview.text == "Use {curly} or {{ unclosed and }} or {Jane}"


def test_find_tokens_gives_spans() -> None:
    text = "Hi {{ firstName }}, {{x}}"
    tokens = find_tokens(text)
    assert [(t.key, text[t.start : t.end]) for t in tokens] == [
        ("firstName", "{{ firstName }}"),
        ("x", "{{x}}"),
    ]


def test_available_merge_fields_for_the_insert_menu() -> None:
    defs = [
        CustomFieldDefinition(name="preferred_language", label="Preferred Language"),
        CustomFieldDefinition(name="company_size"),
    ]
    fields = available_merge_fields(defs)
    tokens = [f.token for f in fields]
    assert tokens[: len(STANDARD_FIELDS)] == [
        "{{firstName}}",
        "{{lastName}}",
        "{{fullName}}",
        "{{email}}",
        "{{phone}}",
        "{{company}}",
    ]
    assert tokens[-2:] == ["{{custom_values.preferred_language}}", "{{custom_values.company_size}}"]
    assert fields[-2].label == "Preferred Language" and fields[-1].label == "company_size"
    # Every offered token resolves without being reported unknown.
    names = [d.name for d in defs]
    assert render_merge_fields(" ".join(tokens), CONTACT, custom_field_names=names).ok
