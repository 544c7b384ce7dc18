"""Citations in comments and docstrings stay inside the repository.

Every ``.py`` file under ``app/`` and ``tests/`` and the README may cite only the
repository's own documents: ``docs/architecture.md``, ``docs/api/seedly-crm.md §N``
and ``docs/api/seamless.md`` (with a section name). Documents a clone does not have
(the design notes, the API source documents under ``shared/``, "the seed §N") are
refused, and every ``docs/...`` path, ``§N`` and quoted section name cited must exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve()
SEEDLY_NOTES = "docs/api/seedly-crm.md"

OUTSIDE_CITATIONS = {
    "the design notes (design.md)": re.compile(r"design\.md"),
    "a shared/ path": re.compile(r"\bshared/"),
    '"the seed"': re.compile(r"\bthe seed\b", re.IGNORECASE),
    "the seed's text": re.compile(r"\bseed's\b|\bseed\s+(?:§|article\b)", re.IGNORECASE),
    "the API source documents": re.compile(
        r"seedly-crm-rest-api\.txt|seamless-api-overview\.txt|reference/seamless-public-api"
    ),
}
"""What points outside the repository, by what it is."""

SEEDLY_SECTION_RUN = re.compile(re.escape(SEEDLY_NOTES) + r" §\d+(?:(?:,| and|, and|–) ?§\d+)*")
"""A well-formed citation of the Seedly notes: the path, then one or more ``§N``."""

SECTION_SIGN = re.compile(r"§\s*\d+")
PUBLIC_STANDARD = re.compile(r"\bRFC \d{3,5} §\d+(?:\.\d+)*")
DOCS_PATH = re.compile(r"\bdocs/[\w./-]*\w")
QUOTED_SECTION = re.compile(r"\b(docs/[\w./-]+\.md),?\s*\(?\"([^\"\n]+)\"")


def cited_files() -> Iterator[Path]:
    """Every file whose text may cite documents: app/ and tests/ sources, the README."""
    for folder in ("app", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.resolve() != THIS_FILE:
                yield path
    yield ROOT / "README.md"


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _headings(document: Path) -> list[str]:
    return [
        line.lstrip("#").strip().lower()
        for line in document.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]


def test_no_citation_points_outside_the_repository() -> None:
    problems: list[str] = []
    for path in cited_files():
        text = path.read_text(encoding="utf-8")
        for what, pattern in OUTSIDE_CITATIONS.items():
            for match in pattern.finditer(text):
                problems.append(
                    f"{_relative(path)}:{_line_of(text, match.start())}: cites {what} "
                    f"({match.group(0)!r})"
                )
        # A section sign is only allowed inside "docs/api/seedly-crm.md §N[, §M…]", or in a
        # public standard's citation ("RFC 6749 §4.1.2"), which anyone can look up.
        masked = SEEDLY_SECTION_RUN.sub(lambda m: " " * len(m.group(0)), text)
        masked = PUBLIC_STANDARD.sub(lambda m: " " * len(m.group(0)), masked)
        for match in SECTION_SIGN.finditer(masked):
            problems.append(
                f"{_relative(path)}:{_line_of(text, match.start())}: {match.group(0)!r} is "
                f"not a citation of {SEEDLY_NOTES} §N"
            )
    assert not problems, "Cite docs/ instead:\n" + "\n".join(problems)


def test_every_cited_document_and_section_exists() -> None:
    seedly_sections = {
        int(m.group(1))
        for heading in _headings(ROOT / SEEDLY_NOTES)
        if (m := re.match(r"§(\d+)\b", heading))
    }
    assert seedly_sections == set(range(1, 14)), "the Seedly notes have sections §1–§13"
    problems: list[str] = []
    for path in cited_files():
        text = path.read_text(encoding="utf-8")
        for match in DOCS_PATH.finditer(text):
            cited = match.group(0).rstrip(".")
            if not (ROOT / cited).exists():
                problems.append(
                    f"{_relative(path)}:{_line_of(text, match.start())}: {cited} does not exist"
                )
        for match in SEEDLY_SECTION_RUN.finditer(text):
            for number in re.findall(r"§(\d+)", match.group(0)):
                if int(number) not in seedly_sections:
                    problems.append(
                        f"{_relative(path)}:{_line_of(text, match.start())}: "
                        f"{SEEDLY_NOTES} has no §{number}"
                    )
        for match in QUOTED_SECTION.finditer(text):
            document, section = ROOT / match.group(1), match.group(2).strip().lower()
            if document.exists() and not any(h.startswith(section) for h in _headings(document)):
                problems.append(
                    f"{_relative(path)}:{_line_of(text, match.start())}: {match.group(1)} has no "
                    f'section "{match.group(2)}"'
                )
    assert not problems, "\n".join(problems)


def test_the_documents_cite_nothing_outside_the_repository() -> None:
    problems = [
        f"{_relative(document)}: cites {what}"
        for document in sorted((ROOT / "docs").rglob("*.md"))
        for what, pattern in OUTSIDE_CITATIONS.items()
        if pattern.search(document.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)
