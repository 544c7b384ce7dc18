"""Custom-field values checked and normalised against their definitions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.core.custom_fields import check_custom_fields, check_custom_value
from app.core.models import CustomFieldDefinition, parse_list

# The sandbox's definitions (GET /api/v1/contacts/fields), plus a required one.
DEFS = parse_list(
    CustomFieldDefinition,
    {
        "data": [
            {
                "name": "preferred_language",
                "label": "Preferred Language",
                "type": "select",
                "options": ["English", "Spanish", "French"],
                "isRequired": False,
            },
            {"name": "insurance_provider", "label": "Insurance Provider", "type": "text"},
            {"name": "patient_since", "label": "Patient Since", "type": "date"},
            {"name": "visits_per_year", "label": "Visits per Year", "type": "number"},
            {"name": "sms_reminders", "label": "SMS Reminders", "type": "boolean"},
            {"name": "referral_url", "label": "Referral Page", "type": "url"},
            {"name": "billing_email", "label": "Billing Email", "type": "email"},
            {"name": "emergency_phone", "label": "Emergency Phone", "type": "phone"},
            {"name": "company_size", "label": "Company Size", "type": "number", "isRequired": True},
            {"name": "shoe_size", "label": "Shoe Size", "type": "measurement"},
        ]
    },
)
BY_NAME = {d.name: d for d in DEFS}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("preferred_language", "Spanish", "Spanish"),
        ("preferred_language", " spanish ", "Spanish"),
        ("insurance_provider", "MetLife", "MetLife"),
        ("insurance_provider", 42, "42"),
        ("patient_since", "2020-12-26", "2020-12-26"),
        ("patient_since", date(2020, 1, 2), "2020-01-02"),
        ("visits_per_year", 29, 29),
        ("visits_per_year", "29", 29),
        ("visits_per_year", " 2.5 ", 2.5),
        ("sms_reminders", False, False),
        ("sms_reminders", "Yes", True),
        ("sms_reminders", "0", False),
        (
            "referral_url",
            "https://files.example.com/dff244b4",
            "https://files.example.com/dff244b4",
        ),
        ("referral_url", "example.com/page", "https://example.com/page"),
        ("billing_email", "Billing@Example.COM", "Billing@example.com"),
        ("emergency_phone", "(617) 555-0101", "+16175550101"),
        ("shoe_size", {"eu": 42}, {"eu": 42}),  # unknown type: left to the server
    ],
)
def test_valid_values_are_normalised(name: str, value: Any, expected: Any) -> None:
    normalised, error = check_custom_value(BY_NAME[name], value)
    assert error is None
    assert normalised == expected and type(normalised) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("preferred_language", "German", "must be one of: English, Spanish, French"),
        ("insurance_provider", True, "must be text"),
        ("patient_since", "26/12/2020", "YYYY-MM-DD"),
        ("patient_since", 5, "YYYY-MM-DD"),
        ("visits_per_year", "lots", "must be a number"),
        ("visits_per_year", True, "must be a number"),
        ("visits_per_year", float("nan"), "must be a number"),
        ("sms_reminders", "maybe", "yes or no"),
        ("referral_url", "ftp://x.example", "web address"),
        ("referral_url", "not a url", "web address"),
        ("billing_email", "nope", "Billing Email:"),
        ("emergency_phone", "555", "Emergency Phone:"),
    ],
)
def test_invalid_values_give_sentences(name: str, value: Any, fragment: str) -> None:
    _, error = check_custom_value(BY_NAME[name], value)
    assert error is not None and fragment in error and error.endswith(".")


def test_create_requires_required_fields() -> None:
    check = check_custom_fields({"visits_per_year": "3"}, DEFS, creating=True)
    assert check.errors == {"customFields.company_size": "Company Size is required."}
    assert not check.ok
    ok = check_custom_fields({"company_size": "12"}, DEFS, creating=True)
    assert ok.ok and ok.values == {"company_size": 12}


def test_update_checks_only_present_fields_but_refuses_emptying_a_required_one() -> None:
    assert check_custom_fields({"visits_per_year": 4}, DEFS, creating=False).ok
    check = check_custom_fields({"company_size": " "}, DEFS, creating=False)
    assert check.errors == {"customFields.company_size": "Company Size is required."}


def test_blank_optional_values_clear_and_unknown_keys_pass_through() -> None:
    check = check_custom_fields(
        {"insurance_provider": "", "legacy_id": "L-1"}, DEFS, creating=False
    )
    assert check.ok and check.values == {"insurance_provider": None, "legacy_id": "L-1"}


def test_errors_use_the_servers_field_spelling() -> None:
    check = check_custom_fields(
        {"visits_per_year": "x", "sms_reminders": "perhaps"}, DEFS, creating=False
    )
    assert set(check.errors) == {"customFields.visits_per_year", "customFields.sms_reminders"}


def test_phone_region_is_used() -> None:
    check = check_custom_fields(
        {"emergency_phone": "020 7946 0958"}, DEFS, creating=False, default_region="GB"
    )
    assert check.values == {"emergency_phone": "+442079460958"}
