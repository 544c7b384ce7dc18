"""Full-text search over contacts: what matches, and hostile input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.storage import Database, Partition
from app.storage.fts import match_expression, match_terms, partition_token, scoped_match
from tests.unit.storage.docs import contact


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["id"] for r in rows)


@pytest.fixture
def people(part: Partition) -> Partition:
    part.contacts.upsert_many(
        [
            contact("jane", "Jane", "Smith", email="jane.smith@acme.com", company="Acme Corp",
                    phone="+16175550101", tags=["vip", "website-lead"]),
            contact("janet", "Janet", "Smalls", email="janet@globex.example", company="Globex",
                    phone="+442071234567"),
            contact("jose", "José", "Müller", email="jmuller@initech.example",
                    company="Initech", additionalEmails=["jose.private@mail.example"],
                    additionalPhones=["+1 (312) 555-7788"]),
            contact("obrien", "Sean", "O'Brien", email="sean@obrien.example",
                    company="O'Brien & Sons"),
            contact("andy", "Andy", "Notting", email="andy@near.example", company="AND Partners"),
            contact("zoe", "Zoë", "Ng", email="zoe@example.org", company=None, phone="555"),
        ]
    )  # fmt: skip
    return part


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jan smi", ["jane"]),  # prefix per term, all terms must match
        ("jan", ["jane", "janet"]),
        ("JANE", ["jane", "janet"]),
        ("smith jane", ["jane"]),  # order of terms does not matter
        ("acme", ["jane"]),
        ("acme corp", ["jane"]),
        ("jane.smith@acme", ["jane"]),
        ("jane.smith@acme.com", ["jane"]),
        ("acme.com", ["jane"]),
        ("website-lead", ["jane"]),
        ("vip", ["jane"]),
        ("5550101", ["jane"]),  # the end of "+16175550101"
        ("0101", ["jane"]),
        ("555-0101", ["jane"]),
        ("617-555-0101", ["jane"]),
        ("(617) 555-0101", ["jane"]),
        ("+1 617 555 0101", ["jane"]),
        ("+16175550101", ["jane"]),
        ("6175550", ["jane"]),  # typing in progress
        ("2071234567", ["janet"]),
        ("5557788", ["jose"]),  # additional phone
        ("jose.private", ["jose"]),  # additional email
        ("jose", ["jose"]),  # accents ignored
        ("muller", ["jose"]),
        ("MÜLLER", ["jose"]),
        ("zoe", ["zoe"]),
        ("o'brien", ["obrien"]),
        ("obrien", ["obrien"]),  # the email domain
        ("brien", ["obrien"]),
        ("sons", ["obrien"]),
        ("globex smalls", ["janet"]),
        ("jane globex", ["janet"]),  # "jane" is a prefix of Janet
        ("smith globex", []),
        ("nobody", []),
        ("555", ["jane", "jose", "zoe"]),
    ],
)
def test_search_semantics(people: Partition, query: str, expected: list[str]) -> None:
    assert ids(people.contacts.search(query)) == expected
    assert people.contacts.count(query) == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', "all"),
        ('""', "all"),
        ("'", "all"),
        ("*", "all"),
        ("**", "all"),
        ("(", "all"),
        (")", "all"),
        (":", "all"),
        ("^", "all"),
        ("-", "all"),
        ("🙂", "all"),
        ("🙂🙂 ✨", "all"),
        ("   ", "all"),
        ("", "all"),
        ("\x00", "all"),
        ('"smith"', ["jane"]),
        ('"smith', ["jane"]),
        ("smith*", ["jane"]),
        ("*smith", ["jane"]),
        ("smith 🙂", ["jane"]),
        ("🙂smith", ["jane"]),
        ("AND", ["andy"]),  # a word, not an operator: "and*" matches Andy / AND Partners
        ("and", ["andy"]),
        ("OR", ["zoe"]),  # "or*" matches zoe@example.org
        ("NOT", ["andy"]),  # Notting
        ("jane AND", []),
        ("jane OR janet", []),
        ("jane NOT smith", []),
        ("NEAR(", ["andy"]),  # "near*" matches andy@near.example
        ("NEAR(jane smith)", []),
        ("NEAR(jane smith, 2)", []),
        ("fts_name:jane", []),
        ("fts_part:p1", []),
        ("p1", []),  # the partition token cannot be searched
        ('{fts_name}: "jane"', []),
        ("^smith", ["jane"]),
        ("-smith", ["jane"]),
        ("+smith", ["jane"]),
        ("smith:", ["jane"]),
        ("'; DROP TABLE contacts; --", []),
        ("jane' OR '1'='1", []),
        ("a" * 2000, []),
        ("j" * 5 + " " + "x" * 300, []),
        ("ｓｍｉｔｈ", ["jane"]),  # full-width letters fold to ASCII
    ],
)
def test_hostile_input_is_plain_text(
    people: Partition, query: str, expected: list[str] | str
) -> None:
    everyone = ids(people.contacts.search(limit=100))
    want = everyone if expected == "all" else expected
    assert ids(people.contacts.search(query, limit=100)) == want
    assert people.contacts.count(query) == len(want)
    # The table is intact afterwards.
    assert people.contacts.count() == 6


def test_search_by_tags_and_other_sort_keys(people: Partition) -> None:
    rows = people.contacts.search("jan", sort_key="email", descending=True)
    assert [r["id"] for r in rows] == ["janet", "jane"]


def test_match_terms_quote_every_term() -> None:
    assert match_terms("jan smi") == ['"jan"*', '"smi"*']
    assert match_terms("o'brien") == ['"o brien"*']
    assert match_terms('say "hi" NEAR(x)') == ['"say"*', '"hi"*', '"NEAR x"*']
    assert match_terms("(617) 555-0101") == ['"617"*', '"5550101"*']
    assert match_terms("🙂 * ( )") == []
    assert match_terms(None) == []
    assert match_expression("jan smi") == '"jan"* "smi"*'
    assert match_expression("🙂") is None


def test_scoped_match_confines_terms_to_columns_and_partition() -> None:
    expression = scoped_match("jan s", 7, ("fts_name", "fts_email"))
    assert expression == (
        'fts_part : "p7" AND {fts_name fts_email} : "jan"* AND {fts_name fts_email} : "s"*'
    )
    assert partition_token(7) == "p7"
    assert scoped_match("🙂", 7, ("fts_name",)) is None


def test_counts_follow_writes_from_this_and_other_connections(db: Database, db_path: Path) -> None:
    part = db.partition("https://crm.example.com", "sub_a")
    part.contacts.upsert_many([contact("c1", "Jane", "Smith")])
    assert part.contacts.count("jane") == 1 and len(part.contacts.search("jane")) == 1
    part.contacts.upsert_many([contact("c2", "Jane", "Doe")])
    assert part.contacts.count("jane") == 2
    part.contacts.delete_ids(["c1"])
    assert part.contacts.count("jane") == 1
    with Database.open(db_path) as second:  # e.g. a second process on the same file
        second.partition("https://crm.example.com", "sub_a").contacts.upsert_many(
            [contact("c3", "Jane", "Roe")]
        )
    assert part.contacts.count("jane") == 2
    assert ids(part.contacts.search("jane")) == ["c2", "c3"]
