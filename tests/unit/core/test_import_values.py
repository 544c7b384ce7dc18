"""Values as other programs write them: dates in every common form, countries, several
values in a cell, tags with quotes and system labels, other CRMs' stages, owners."""

from __future__ import annotations

from datetime import date

import pytest

from app.core.import_values import (
    DateOrder,
    detect_date_order,
    match_owner,
    read_date,
    read_stage,
    read_tags,
    region_for_country,
    split_emails,
    split_phones,
)

TODAY = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("raw", "order", "iso"),
    [
        ("1970-03-15", DateOrder.MDY, "1970-03-15"),
        ("1970-03-15T00:00:00Z", DateOrder.MDY, "1970-03-15"),
        ("1970/3/5", DateOrder.DMY, "1970-03-05"),
        ("15.03.1970", DateOrder.MDY, "1970-03-15"),  # dots are day first everywhere
        ("1.2.1988", DateOrder.MDY, "1988-02-01"),
        ("3/15/1970", DateOrder.DMY, "1970-03-15"),  # only one reading is a date
        ("15/03/1970", DateOrder.MDY, "1970-03-15"),
        ("03/04/1970", DateOrder.MDY, "1970-03-04"),
        ("03/04/1970", DateOrder.DMY, "1970-04-03"),
        ("3/15/70", DateOrder.MDY, "1970-03-15"),
        ("1/2/05", DateOrder.DMY, "2005-02-01"),
        ("1/2/27", DateOrder.DMY, "1927-02-01"),  # 2027 is still to come
        ("March 15, 1970", DateOrder.DMY, "1970-03-15"),
        ("15 Mar 1970", DateOrder.MDY, "1970-03-15"),
        ("15-Mar-1970", DateOrder.MDY, "1970-03-15"),
        ("15. März 1970", DateOrder.MDY, "1970-03-15"),
        ("2 janvier 1990", DateOrder.MDY, "1990-01-02"),
    ],
)
def test_common_date_forms(raw: str, order: DateOrder, iso: str) -> None:
    reading = read_date(raw, order, today=TODAY)
    assert reading.iso == iso and reading.problem is None


def test_only_swappable_dates_are_ambiguous() -> None:
    assert read_date("03/04/1970", DateOrder.MDY).ambiguous
    assert not read_date("15/03/1970", DateOrder.MDY).ambiguous
    assert not read_date("03.04.1970", DateOrder.MDY).ambiguous
    assert not read_date("04/04/1970", DateOrder.MDY).ambiguous


@pytest.mark.parametrize(
    "raw", ["", "  ", "0/0/00", "0/0/0000", "00.00.0000", "0000-00-00", "N/A", "--", "none"]
)
def test_empty_markers_are_empty(raw: str) -> None:
    reading = read_date(raw, DateOrder.MDY)
    assert reading.empty and reading.iso is None and reading.problem is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("--03-15", "has no year"),  # Google Contacts, birthday without a year
        ("12/10", "has no year"),
        ("03/15", "has no year"),  # Mailchimp's birthday merge field
        ("15.03.", "has no year"),
        ("Mar 15", "has no year"),
        ("31/02/1970", "is not a real date"),
        ("yesterday", "is not a date this import can read"),
    ],
)
def test_unreadable_dates_say_why_and_never_invent_a_year(raw: str, fragment: str) -> None:
    reading = read_date(raw, DateOrder.MDY)
    assert reading.iso is None and reading.problem is not None and fragment in reading.problem


def test_the_file_settles_its_date_order_else_its_locale() -> None:
    settled = detect_date_order([(2, "03/04/1970"), (5, "25/12/1980")], region="US")
    assert settled.order is DateOrder.DMY and settled.settled
    assert settled.reason == "the file writes “25/12/1980” (line 5)"
    assert detect_date_order([(2, "12/25/1980")], region="GB").order is DateOrder.MDY
    us = detect_date_order([(2, "03/04/1970")], region="US")
    assert us.order is DateOrder.MDY and not us.settled and "US" in us.reason
    assert detect_date_order([], region="GB").order is DateOrder.DMY
    european = detect_date_order([(2, "03/04/1970")], region="US", semicolons=True)
    assert european.order is DateOrder.DMY and "European Excel" in european.reason


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("DE", "DE"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("España", "ES"),
        ("日本", "JP"),
        ("Brazil", "BR"),
        ("Narnia", None),
        ("", None),
    ],
)
def test_countries_in_many_spellings(value: str, region: str | None) -> None:
    assert region_for_country(value) == region


def test_several_values_in_one_cell() -> None:
    assert split_emails("a@x.com ::: b@y.com") == ["a@x.com", "b@y.com"]
    assert split_emails("a@x.com; b@y.com, c@z.com") == ["a@x.com", "b@y.com", "c@z.com"]
    assert split_phones("+1 617 555 0101 ::: 020 7946 0958") == [
        "+1 617 555 0101",
        "020 7946 0958",
    ]
    assert split_phones("(617) 555-0101") == ["(617) 555-0101"]


def test_tags_lose_quotes_and_system_labels() -> None:
    assert read_tags('"Customer","VIP, Gold"') == (["Customer", "VIP, Gold"], [])
    assert read_tags("* myContacts ::: Friends ::: * starred") == (
        ["Friends"],
        ["* myContacts", "* starred"],
    )
    assert read_tags("Kunden;VIP") == (["Kunden", "VIP"], [])
    assert read_tags("vip, vip") == (["vip"], [])


def test_other_crms_stages() -> None:
    assert read_stage("Customer") == "customer"
    assert read_stage("Marketing Qualified Lead") == "qualified"
    assert read_stage("Subscriber") == "lead"
    assert read_stage("Other") is None


def test_owners_match_by_id_or_name() -> None:
    team = {"usr_ana": "Ana Ortiz", "usr_ben": "Ben Carter", "usr_x": ""}
    assert match_owner("usr_ben", team) == "usr_ben"
    assert match_owner("ana ortiz", team) == "usr_ana"
    assert match_owner("Ana  Ortíz", team) == "usr_ana"
    assert match_owner("Dana Admin", team) is None
