"""CSV import and export of contacts: the pure rules (bytes and text in memory, no files).

Import, step by step:

1. ``decode_csv`` turns the file's bytes into text: a BOM decides (UTF-8,
   UTF-16, UTF-32); without one, strict UTF-8, then Windows-1252 with a note
   (Excel's "CSV (Comma delimited)" on Western Windows writes that). Binary
   files (a workbook, a PDF, anything with NUL bytes) are refused by name.
2. ``parse_csv`` sniffs the delimiter among ``, ; tab |`` (the one that splits
   most records into the same number of columns), reads quoted fields with line
   breaks, and takes as the header the first record near the top that reads like
   column names: a preamble above it (LinkedIn's "Notes:") is skipped with a note,
   and ``header_line`` lets the user choose another row. One-value rows after the
   data that read like a report's footer (Salesforce's "Copyright …", "Generated
   By …") are left out with a note. Column names are made unique. Problems that
   make the whole file unreadable raise ``CsvFileError`` with the line; problems
   of single rows are left to the plan.
3. ``suggest_mapping`` proposes, per column, a contact field, a custom field
   or nothing (ignore). A file from a known exporter (Google Contacts, Outlook,
   LinkedIn, HubSpot, Salesforce, Mailchimp, a vCard converter) is mapped by that
   exporter's table (``app.core.csv_exporters``); other columns by their names,
   tolerant of case, spacing, punctuation, synonyms and German, French and
   Spanish names. ``suggest_for_table`` then looks at the values: owner columns
   are imported only when they name team members, a "Title" of salutations is
   not a job title.
4. ``plan_import`` decides every row: create, update (a contact matched by
   its Seedly ID or exact email), unchanged, or skip with the reason
   (invalid, same email as an earlier row, empty). ``row_fields`` splits cells
   with several values; ``screen_row`` leaves out, and notes, every optional
   value Seedly would refuse (a phone number not valid where it is read, a date
   without a year, a value over the server's limits…), so an optional field never
   drops a contact. Rows are then validated with the same ``payloads.build``
   rules the contact form uses.

Decisions that shape what an import may do to existing data:

- An empty cell means "the file has no value here": it never clears a value
  Seedly already has.
- Tags and additional emails/phones in the file are *added* to the contact's
  own (nothing is removed).
- Nothing is stored as something else to make a row pass: a national phone
  number is read by the row's country column, else the default region, and left
  out when it is not valid there; an ambiguous date is read in the file's date
  order, which the preview states.
- A cell the export neutralised against CSV injection (``'=…``) is read back
  without the added apostrophe, so an export re-imports unchanged.

Export: ``export_header``/``export_row`` and ``export_csv_chunks`` write every
writable field, tags and lists joined with separators the import splits on,
custom fields under their labels, and the read-only fields last (the import
ignores them).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal

from app.core.constants import LIFECYCLE_STAGES
from app.core.csv_exporters import OWNER, UNKNOWN, Exporter, UnknownColumn, detect_exporter
from app.core.contact_limits import TAG_MAX, TAGS_MAX, TEXT_LIMITS, too_long
from app.core.custom_fields import check_custom_value
from app.core.emails import check_email, email_key
from app.core.enums import CustomFieldType
from app.core.import_values import (
    GOOGLE_SEPARATOR,
    DateOrder,
    DateOrderChoice,
    DateReading,
    detect_date_order,
    match_owner,
    read_date,
    read_stage,
    read_tags,
    region_for_country,
    split_emails,
    split_multi,
    split_phones,
)
from app.core.errors import InvalidResponse, ValidationFailed
from app.core.models import Contact, CustomFieldDefinition, parse
from app.core.payloads import ContactCreate, ContactUpdate, build, contact_update
from app.core.phones import DEFAULT_REGION, check_phone

# -- limits -------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 50 * 1024 * 1024
"""Largest file the import reads (50 MB, about 250,000 typical contact rows).

At the API's 60 writes a minute even the row limit below takes more than a
day; a bigger file is almost certainly not a contact list, or should be split."""
MAX_IMPORT_ROWS = 100_000
"""Most data rows one import takes."""
MAX_COLUMNS = 500
"""Most columns a file may have (beyond that it is not a contact list)."""
WRITES_PER_MINUTE = 60
"""Contact writes the API allows per key and minute (docs/api/seedly-crm.md §11), for time
estimates."""

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
"""Delimiters the sniffer chooses among, in order of preference on a tie."""
DELIMITER_NAMES: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
"""How each delimiter is called in messages."""

ENCODING_LABELS: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16 (with BOM)",
    "utf-16-le": "UTF-16 LE (no BOM)",
    "utf-16-be": "UTF-16 BE (no BOM)",
    "utf-32": "UTF-32 (with BOM)",
    "cp1252": "Windows-1252 (Western European)",
}
"""Display names of the encodings ``decode_csv`` may report."""

ENCODING_CHOICES: tuple[str, ...] = ("utf-8", "utf-16", "cp1252")
"""Encodings a user may force instead of the detected one."""

_SNIFF_CHARS = 64 * 1024
_BINARY_PROBE = 8 * 1024
_INJECTION_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALIZE_FIRST = frozenset((*_INJECTION_TRIGGERS, " "))
_PLAIN_NUMBER_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
"""A lone number: a spreadsheet reads it as that number (nothing to evaluate). With any
operator after its sign (``+1-2``, ``+1 (555) 123-4567``) it is a formula."""
_LIST_SPLIT_RE = re.compile(r"[;,]")
_EMAILISH_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONEISH_RE = re.compile(r"^\+?[\d\s().-]{7,}$")


class CsvFileError(ValueError):
    """The file cannot be imported at all; ``str(exc)`` is a sentence for the user.

    ``line`` is the 1-based line of the file where the problem is, when there is one."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


# -- decoding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedText:
    """The file's text and how it was decoded; ``note`` warns about a guess."""

    text: str
    encoding: str
    note: str | None = None

    @property
    def label(self) -> str:
        """The encoding's display name ("UTF-8 (with BOM)")."""
        return ENCODING_LABELS.get(self.encoding, self.encoding)


_SAVE_AS_UTF8 = (
    "In Excel choose File → Save As → “CSV UTF-8 (Comma delimited)” and import that file."
)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _binary_kind(data: bytes) -> str | None:
    """A name for a known binary format by its magic bytes, or None."""
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive, probably an Excel workbook (.xlsx)"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "an Excel 97–2003 workbook (.xls)"
    if data.startswith(b"%PDF"):
        return "a PDF document"
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    return None


def _utf16_without_bom(probe: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the bytes look like mostly-ASCII UTF-16 without a BOM."""
    if len(probe) < 8:
        return None
    even = probe[0::2]
    odd = probe[1::2]
    zeros_even = even.count(0) / len(even)
    zeros_odd = odd.count(0) / len(odd)
    if zeros_odd > 0.4 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.4 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def _undecodable(data: bytes, exc: UnicodeDecodeError, encoding: str) -> CsvFileError:
    line = _line_of(data, exc.start)
    bad = data[exc.start : exc.start + 1].hex().upper()
    return CsvFileError(
        f"Line {line} contains a byte (0x{bad}) that is not valid {ENCODING_LABELS.get(encoding, encoding)} "
        f"text, so the file cannot be read. {_SAVE_AS_UTF8}",
        line=line,
    )


def _check_text(text: str) -> None:
    """Refuse text full of control characters: a binary file that happened to decode."""
    sample = text[:_BINARY_PROBE]
    if not sample:
        return
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\f")
    if controls > max(2, len(sample) // 100):
        raise CsvFileError(
            "This file contains binary data, not text, so it is not a CSV file. "
            f"Export the contacts as CSV and import that file. {_SAVE_AS_UTF8}"
        )


def decode_csv(data: bytes, encoding: str | None = None) -> DecodedText:
    """Decode a CSV file's bytes; ``encoding`` forces one of ``ENCODING_CHOICES``.

    Raises ``CsvFileError`` for an empty or binary file and for bytes the
    encoding cannot read (naming the line)."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"):
        raise CsvFileError("The file is empty: there is nothing to import.")
    kind = _binary_kind(data)
    if kind is not None:
        raise CsvFileError(f"This file is {kind}, not a CSV file. {_SAVE_AS_UTF8}")
    detected: str | None = None
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        detected = "utf-32"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        detected = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        detected = "utf-8-sig"
    chosen = encoding
    if chosen == "utf-8" and detected == "utf-8-sig":
        chosen = detected  # the BOM is not part of the first column's name
    if chosen == "utf-16" and detected is None:
        chosen = _utf16_without_bom(data[:_BINARY_PROBE]) or "utf-16-le"
    if chosen is None:
        chosen = detected
    if chosen is None and b"\x00" in data[:_BINARY_PROBE]:
        chosen = _utf16_without_bom(data[:_BINARY_PROBE])
        if chosen is None:
            raise CsvFileError(
                "This file contains binary data (NUL bytes), so it is not a CSV file. "
                + _SAVE_AS_UTF8
            )
    note: str | None = None
    if chosen is not None:
        try:
            text = data.decode(chosen)
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc, chosen) from None
        except LookupError:
            raise CsvFileError(f"“{chosen}” is not an encoding this app can read.") from None
    else:
        try:
            text = data.decode("utf-8")
            chosen = "utf-8"
        except UnicodeDecodeError as utf8_error:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise _undecodable(data, utf8_error, "utf-8") from None
            chosen = "cp1252"
            line = _line_of(data, utf8_error.start)
            note = (
                f"The file is not UTF-8 (first on line {line}), so it was read as Windows-1252 "
                "(Western European). Check accented letters in the preview; if they look wrong, "
                "save the file as CSV UTF-8 and open it again."
            )
    text = text.removeprefix("\ufeff")
    _check_text(text)
    return DecodedText(text, chosen, note)


# -- parsing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data record: the file ``line`` it starts on (1-based) and its cells."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class CsvTable:
    """A parsed CSV file: unique column names, the data rows, and how it was read."""

    header: tuple[str, ...]
    """Column names as shown (blank ones named "Column N", repeats made unique)."""
    raw_header: tuple[str, ...]
    """Column names exactly as in the file (trimmed)."""
    rows: tuple[CsvRow, ...]
    encoding: str
    delimiter: str
    header_line: int = 1
    notes: tuple[str, ...] = ()
    """Warnings about the file as a whole (encoding guessed, repeated column names)."""
    header_choices: tuple[HeaderChoice, ...] = ()
    """Records that could be the header row (the one chosen among them), for a picker."""
    footer: tuple[CsvRow, ...] = ()
    """Rows after the data recognised as a report's footer (left out of ``rows``)."""

    @property
    def encoding_label(self) -> str:
        """The encoding's display name."""
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    @property
    def delimiter_label(self) -> str:
        """The delimiter's name ("comma")."""
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def column_samples(self, column: int, limit: int = 3) -> list[str]:
        """The first non-blank values of ``column`` (for the mapping table)."""
        found: list[str] = []
        for row in self.rows:
            if column < len(row.cells) and row.cells[column].strip():
                found.append(row.cells[column].strip())
                if len(found) >= limit:
                    break
        return found


@dataclass(frozen=True, slots=True)
class HeaderChoice:
    """A record near the top of a file that could name the columns: its line and text."""

    line: int
    preview: str


class _Records:
    """Iterates csv records with the file line each starts on."""

    def __init__(self, text: str, delimiter: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        start = 1
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_problem(exc, start, self._reader.line_num) from None
            yield start, cells
            start = self._reader.line_num + 1


def _csv_problem(exc: csv.Error, start: int, line: int) -> CsvFileError:
    text = str(exc)
    if "field larger than field limit" in text:
        return CsvFileError(
            f"The value starting on line {start} is longer than {csv.field_size_limit():,} "
            'characters. This usually means a quote (") that is never closed; check that line.',
            line=start,
        )
    if "unexpected end of data" in text or "EOF" in text:
        return CsvFileError(
            f'The quote (") opened on line {start} is never closed, so the rest of the file '
            "would be read as one value. Close the quote or remove it.",
            line=start,
        )
    return CsvFileError(
        f"Line {line} is not valid CSV ({text}). A value that contains quotes must be in "
        'quotes itself, with each quote doubled ("5"" screen").',
        line=line,
    )


def _modal_width(widths: Sequence[int]) -> int:
    """The most common record width of at least 2 (the widest on a tie), or 0."""
    counts = Counter(w for w in widths if w >= 2)
    if not counts:
        return 0
    return max(counts, key=lambda w: (counts[w], w))


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the start of the file most consistently.

    Judged by the most common record width rather than the first record's, so a
    preamble above the header (LinkedIn's "Notes:") does not rule a delimiter out."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:
        cut = sample.rfind("\n")
        if cut > 0:
            sample = sample[:cut]
    best = ","
    best_score = -1.0
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        widths: list[int] = []
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    widths.append(len(cells))
                if len(widths) >= 60:
                    break
        except csv.Error:
            continue
        width = _modal_width(widths)
        if width < 2:
            continue
        consistent = sum(1 for w in widths if w == width) / len(widths)
        # Width breaks ties: a comma inside "Boston, MA" should not beat real semicolons.
        score = consistent * 1000 + min(width, 200)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _looks_like_data(cell: str) -> bool:
    value = cell.strip()
    return bool(_EMAILISH_RE.match(value)) or (
        bool(_PHONEISH_RE.match(value)) and sum(ch.isdigit() for ch in value) >= 7
    )


_HEADER_SEARCH = 30
"""Records at the top of a file searched for the header row (below a preamble)."""
_FOOTER_PHRASES = re.compile(
    r"copyright|confidential|generated by|all rights reserved|grand total|^total\b|^report\b",
    re.IGNORECASE,
)


def _preview(cells: Sequence[str], limit: int = 90) -> str:
    text = ", ".join(c.strip() for c in cells if c.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reads_like_header(cells: Sequence[str], width: int) -> bool:
    """Whether a record can name ``width`` columns: that many cells, mostly filled,
    none looking like a contact's value."""
    if len(cells) != width:
        return False
    filled = [c for c in cells if c.strip()]
    if len(filled) * 2 < width:
        return False
    return not any(_looks_like_data(c) for c in filled)


def _choose_header(records: Sequence[tuple[int, list[str]]]) -> int:
    """The index of the header among ``records`` (non-blank records from the top): the
    first that has the file's common width and reads like column names."""
    widths = [len(cells) for _, cells in records[:200]]
    width = _modal_width(widths)
    if width >= 2 and widths.count(width) >= 2:  # column names and at least one row
        for index, (_, cells) in enumerate(records[:_HEADER_SEARCH]):
            if _reads_like_header(cells, width) and width in widths[index + 1 :]:
                return index
    return 0


def _footer_start(rows: Sequence[CsvRow], after_blank: set[int], width: int) -> int:
    """Where a report footer begins in ``rows`` (``len(rows)`` when there is none).

    A footer is a run of one-value rows at the end of a file of several columns
    ("Copyright (c) … salesforce.com", "Generated By: …"), set off from the data by a
    blank line or holding a footer phrase: not contacts, and not worth reporting as
    invalid ones."""
    if width < 3:
        return len(rows)
    start = len(rows)
    while start > 0:
        cells = [c for c in rows[start - 1].cells if c.strip()]
        if len(cells) > 1:
            break
        start -= 1
    block = rows[start:]
    texts = [c.strip() for row in block for c in row.cells if c.strip()]
    if not texts:
        return len(rows)
    set_off = any(row.line in after_blank for row in block) or not any(
        c.strip() for c in block[0].cells
    )
    if set_off or any(_FOOTER_PHRASES.search(text) for text in texts):
        return start
    return len(rows)


def parse_csv(
    data: bytes | DecodedText,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_line: int | None = None,
    max_rows: int = MAX_IMPORT_ROWS,
) -> CsvTable:
    """Read a CSV file (bytes, or text already decoded) into a ``CsvTable``.

    ``encoding`` and ``delimiter`` force a choice instead of detecting it;
    ``header_line`` (a file line among ``CsvTable.header_choices``) forces the header
    row. Otherwise the header is the first record near the top that reads like
    column names, so a preamble above it (LinkedIn's "Notes:") is skipped with a
    note; a report footer below the data is recognised and left out with a note.
    Raises ``CsvFileError`` for files that cannot be imported at all: empty,
    binary, undecodable, a quote never closed, no header, header only,
    more than ``max_rows`` rows or ``MAX_COLUMNS`` columns."""
    decoded = data if isinstance(data, DecodedText) else decode_csv(data, encoding)
    text = decoded.text
    if not text.strip():
        raise CsvFileError("The file is empty: there is nothing to import.")
    if delimiter is not None and delimiter not in DELIMITERS:
        raise CsvFileError(f"“{delimiter}” is not a delimiter this import reads.")
    chosen = delimiter or _sniff_delimiter(text)
    notes: list[str] = [decoded.note] if decoded.note else []
    # Read ahead far enough to find a header below a preamble; the rest streams after.
    records = iter(_Records(text, chosen))
    buffered: list[tuple[int, list[str]]] = []
    top: list[tuple[int, list[str]]] = []
    for line, cells in records:
        buffered.append((line, cells))
        if any(c.strip() for c in cells):
            top.append((line, cells))
            if len(top) >= 200:
                break
    if not top:
        raise CsvFileError("The file is empty: there is nothing to import.")
    if header_line is not None:
        index = next((i for i, (line, _) in enumerate(top) if line == header_line), None)
        if index is None:
            raise CsvFileError(
                f"Line {header_line} is not a row near the top of the file; choose another "
                "header row.",
                line=header_line,
            )
    else:
        index = _choose_header(top)
    line_of_header, raw = top[index]
    header = [c.strip() for c in raw]
    if len(header) > MAX_COLUMNS:
        raise CsvFileError(
            f"The first row has {len(header):,} columns; a contact list has at most "
            f"{MAX_COLUMNS}. Check that the file is a contact list.",
            line=line_of_header,
        )
    choices = tuple(
        HeaderChoice(line, _preview(cells)) for line, cells in top[: max(_HEADER_SEARCH, index + 1)]
    )
    if index > 0:
        first = top[0][0]
        skipped = _preview(top[0][1], 60)
        span = f"Line {first}" if index == 1 else f"Lines {first}–{line_of_header - 1}"
        notes.append(
            f"{span} above the column names {'was' if index == 1 else 'were'} skipped "
            f"(“{skipped}”): the column names are on line {line_of_header}. If that is "
            "wrong, choose the header row above."
        )
    rows: list[CsvRow] = []
    after_blank: set[int] = set()
    blank = False

    def add(line: int, cells: list[str]) -> None:
        nonlocal blank
        if not cells:
            blank = True  # csv gives [] for a blank line: not a record
            return
        if blank:
            after_blank.add(line)
            blank = False
        rows.append(CsvRow(line, tuple(cells)))
        if len(rows) > max_rows:
            raise CsvFileError(
                f"The file has more than {max_rows:,} contacts; one import takes at most "
                f"{max_rows:,} (at {WRITES_PER_MINUTE} writes a minute that is already more "
                "than a day). Split the file and import the parts one after another.",
                line=line,
            )

    for line, cells in itertools.chain(buffered, records):
        if line > line_of_header:
            add(line, cells)
    example = next((c for c in header if _looks_like_data(c)), None)
    if example is not None:
        raise CsvFileError(
            f"The first row looks like a contact (“{example}”), not column names. Add a first "
            "row that names the columns, e.g. First Name, Last Name, Email.",
            line=line_of_header,
        )
    footer_at = _footer_start(rows, after_blank, len(header))
    footer = tuple(rows[footer_at:])
    if footer:
        shown = next(c.strip() for row in footer for c in row.cells if c.strip())
        notes.append(
            f"The last {_count(len(footer), 'line')} (from line {footer[0].line}: “{shown[:60]}”) "
            "are a report footer, not contacts: left out."
        )
        rows = rows[:footer_at]
    while rows and not any(c.strip() for c in rows[-1].cells):
        rows.pop()  # blank records at the end are no rows
    if not rows:
        raise CsvFileError(
            "The file has column names but no contacts below them.", line=line_of_header
        )
    if len(header) == 1 and delimiter is None:
        notes.append(
            "Only one column was found. If the file uses another delimiter, choose it above."
        )
    names, repeat_notes = _unique_names(header)
    notes += repeat_notes
    return CsvTable(
        header=tuple(names),
        raw_header=tuple(header),
        rows=tuple(rows),
        encoding=decoded.encoding,
        delimiter=chosen,
        header_line=line_of_header,
        notes=tuple(notes),
        header_choices=choices,
        footer=footer,
    )


def _count(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _unique_names(header: Sequence[str]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    notes: list[str] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw or f"Column {index + 1}"
        key = name.casefold()
        if key in seen:
            first = seen[key]
            notes.append(
                f"Columns {first + 1} and {index + 1} are both called “{raw}”; only column "
                f"{first + 1} is mapped. Choose in the mapping which one to import."
            )
            name = f"{name} (column {index + 1})"
        else:
            seen[key] = index
        names.append(name)
    return names, notes


# -- mapping ------------------------------------------------------------------------------

CUSTOM_PREFIX = "customFields."
"""Targets of custom fields are this prefix and the field's name."""
FULL_NAME = "name"
"""Target that splits one "Full name" column into first and last name."""
CONTACT_ID = "id"
"""Target of a Seedly contact ID column (matches an existing contact)."""

MULTI_TARGETS = frozenset({"tags", "additionalEmails", "additionalPhones"})
"""Targets several columns may share (their values are combined)."""


@dataclass(frozen=True)
class ImportTarget:
    """A field a CSV column can be imported into."""

    key: str
    label: str
    custom: bool = False
    required: bool = False

    @property
    def multi(self) -> bool:
        """Whether several columns may be mapped to it."""
        return self.key in MULTI_TARGETS


CONTACT_TARGETS: tuple[ImportTarget, ...] = (
    ImportTarget("firstName", "First name"),
    ImportTarget("lastName", "Last name"),
    ImportTarget(FULL_NAME, "Full name (first + last)"),
    ImportTarget("email", "Email"),
    ImportTarget("phone", "Phone"),
    ImportTarget("company", "Company"),
    ImportTarget("title", "Job title"),
    ImportTarget("source", "Source"),
    ImportTarget("tags", "Tags"),
    ImportTarget("lifecycleStage", "Lifecycle stage"),
    ImportTarget("assignedTo", "Assigned to (user ID)"),
    ImportTarget("additionalEmails", "Additional emails"),
    ImportTarget("additionalPhones", "Additional phones"),
    ImportTarget("addressLine1", "Address"),
    ImportTarget("city", "City"),
    ImportTarget("state", "State / province"),
    ImportTarget("postalCode", "Postal code"),
    ImportTarget("country", "Country"),
    ImportTarget("dateOfBirth", "Date of birth"),
    ImportTarget(CONTACT_ID, "Seedly contact ID (to match)"),
)
"""The contact's own writable fields, in the order the mapping offers them."""


def import_targets(definitions: Sequence[CustomFieldDefinition]) -> list[ImportTarget]:
    """Every target a column can be mapped to: contact fields, then custom fields."""
    custom = [
        ImportTarget(
            CUSTOM_PREFIX + d.name,
            f"{d.display_label} (custom)",
            custom=True,
            required=d.is_required,
        )
        for d in definitions
    ]
    return [*CONTACT_TARGETS, *custom]


def target_label(key: str | None, definitions: Sequence[CustomFieldDefinition] = ()) -> str:
    """The label of a target key ("Ignore" for None)."""
    if key is None:
        return "Ignore"
    for target in import_targets(definitions):
        if target.key == key:
            return target.label
    return key.removeprefix(CUSTOM_PREFIX)


def _norm(text: str) -> str:
    """A header reduced to lower-case letters and digits, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


_EXACT: dict[str, str] = {_norm(t.key): t.key for t in CONTACT_TARGETS if t.key != FULL_NAME}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    CONTACT_ID: ("seedlyid", "contactid", "seedlycontactid"),
    "firstName": ("first", "givenname", "forename", "fname", "prenom", "vorname", "nombre"),
    "lastName": (
        "last",
        "surname",
        "familyname",
        "lname",
        "nachname",
        "familienname",
        "nom",
        "nomdefamille",
        "apellido",
        "apellidos",
    ),
    FULL_NAME: ("name", "fullname", "contactname", "contact", "displayname", "customername"),
    "email": (
        "emailaddress",
        "mail",
        "primaryemail",
        "workemail",
        "businessemail",
        "emailaddress1",
        "emailadresse",
        "courriel",
        "adresseemail",
        "adressemail",
        "correo",
        "correoelectronico",
    ),
    "phone": (
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "cellular",
        "telephone",
        "tel",
        "primaryphone",
        "workphone",
        "businessphone",
        "telefon",
        "telefonnummer",
        "mobiltelefon",
        "mobil",
        "handy",
        "telephone",
        "portable",
        "telefono",
        "movil",
        "celular",
    ),
    "company": (
        "companyname",
        "organization",
        "organisation",
        "org",
        "account",
        "accountname",
        "business",
        "businessname",
        "employer",
        "firma",
        "unternehmen",
        "societe",
        "entreprise",
        "empresa",
    ),
    "title": (
        "jobtitle",
        "position",
        "role",
        "jobrole",
        "berufsbezeichnung",
        "fonction",
        "poste",
        "cargo",
    ),
    "source": ("leadsource", "origin"),
    "tags": ("tag", "labels", "label", "categories"),
    "lifecycleStage": ("stage", "lifecycle", "leadstage", "lifecyclestatus"),
    OWNER: ("owner", "assignee", "contactowner", "assigneduser", "leadowner", "salesrep"),
    "additionalEmails": (
        "additionalemail",
        "otheremail",
        "otheremails",
        "secondaryemail",
        "alternateemail",
        "alternativeemail",
    ),
    "additionalPhones": (
        "additionalphone",
        "otherphone",
        "otherphones",
        "secondaryphone",
        "alternatephone",
        "homephone",
    ),
    "addressLine1": (
        "address",
        "address1",
        "street",
        "streetaddress",
        "mailingstreet",
        "strasse",
        "adresse",
        "anschrift",
        "direccion",
    ),
    "city": ("town", "addresscity", "ort", "stadt", "wohnort", "ville", "ciudad"),
    "state": ("province", "region", "stateprovince", "county", "bundesland", "provincia"),
    "postalCode": (
        "zip",
        "zipcode",
        "postcode",
        "postal",
        "zippostalcode",
        "plz",
        "postleitzahl",
        "codepostal",
        "codigopostal",
    ),
    "country": ("countryregion", "nation", "land", "pays", "pais"),
    "dateOfBirth": (
        "birthday",
        "dob",
        "birthdate",
        "born",
        "geburtstag",
        "geburtsdatum",
        "datedenaissance",
        "fechadenacimiento",
    ),
}
_SYNONYM_INDEX: dict[str, str] = {
    alias: target for target, aliases in _SYNONYMS.items() for alias in aliases
}
_READ_ONLY = frozenset(
    {
        "engagementscore",
        "score",
        "createdat",
        "updatedat",
        "created",
        "updated",
        "datecreated",
        "createddate",
        "lastmodified",
        "lastupdated",
        "modified",
        "dndchannels",
    }
)
_NUMBERED_EMAIL_RE = re.compile(r"^(?:email|mail|emailaddress)(\d+)(?:address|value)?$")
_NUMBERED_PHONE_RE = re.compile(
    r"^(?:phone|phonenumber|mobile|tel|telephone)(\d+)(?:number|value)?$"
)
_SUFFIX_NAME_RE = re.compile(r"\(([^()]+)\)\s*$")


def _guess(raw: str, definitions: Sequence[CustomFieldDefinition]) -> str | None:
    suffix = _SUFFIX_NAME_RE.search(raw)
    if suffix:  # "Email (billing_email)": how the export writes a custom label that collides
        name = suffix.group(1).strip()
        for d in definitions:
            if d.name == name:
                return CUSTOM_PREFIX + d.name
    key = _norm(raw)
    if not key:
        return None
    if key in _EXACT:
        return _EXACT[key]
    if key.startswith("customfields"):
        key = key.removeprefix("customfields")
    for d in definitions:
        if key in (_norm(d.name), _norm(d.display_label)):
            return CUSTOM_PREFIX + d.name
    if key in _SYNONYM_INDEX:
        return _SYNONYM_INDEX[key]
    numbered = _NUMBERED_EMAIL_RE.match(key)
    if numbered:
        return "email" if numbered.group(1) == "1" else "additionalEmails"
    numbered = _NUMBERED_PHONE_RE.match(key)
    if numbered:
        return "phone" if numbered.group(1) == "1" else "additionalPhones"
    return None


_SPILL = {"email": "additionalEmails", "phone": "additionalPhones"}
"""A second, differently named email or phone column adds to the contact's other ones."""
_SALUTATIONS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "herr", "frau", "mme", "mlle", "m"}
    | {"sr", "sra", "srta", "dott", "dottssa", "madame", "monsieur"}
)
_SALUTATION_NOTE = "A salutation (Mr., Ms., Dr.): Seedly has no field for it."


@dataclass(frozen=True)
class MappingSuggestion:
    """Suggested target per column and, where useful, why a column is ignored.

    ``exporter`` names the program the file was recognised as coming from (its
    columns were mapped by that program's table, ``app.core.csv_exporters``)."""

    targets: tuple[str | None, ...]
    notes: dict[int, str] = field(default_factory=dict)
    exporter: str | None = None
    owners: frozenset[int] = frozenset()
    """Columns of owner names left unmapped (``suggest_for_table`` checks their values)."""


def _owner_note(header: str) -> str:
    return (
        f"“{header}” names owners, and Seedly's Assigned to takes team member IDs: its "
        "values do not match the team members this app knows, so it is not imported. "
        "Assign the contacts in Seedly, or map it if it holds team member IDs."
    )


def suggest_mapping(
    header: Sequence[str],
    definitions: Sequence[CustomFieldDefinition] = (),
    *,
    exporter: Exporter | None | Literal["detect"] = "detect",
) -> MappingSuggestion:
    """A target (or None: ignore) for every column name in ``header``.

    A file from a known exporter (detected from its header, or ``exporter``) is
    mapped by that exporter's table; other columns by their names. A field that
    takes one column goes to the first column that looks like it; a later,
    differently named email or phone column goes to the additional ones, other
    look-alikes are ignored with a note. Owner columns hold names, not the team
    member IDs Assigned to takes, so they are left unmapped here with a note;
    ``suggest_for_table`` maps them when their values match the team."""
    source = detect_exporter(header) if exporter == "detect" else exporter
    folded = [_norm(raw) for raw in header]
    salutation_title = "jobtitle" in folded  # then "Title" is Mr./Ms., as Outlook writes it
    targets: list[str | None] = []
    notes: dict[int, str] = {}
    owners: set[int] = set()
    taken: dict[str, int] = {}
    for index, raw in enumerate(header):
        known = source.target(raw) if source is not None else UNKNOWN
        if not isinstance(known, UnknownColumn):
            guess = known
            note = source.notes.get(_norm(raw)) if source is not None else None
            if guess is None and note:
                notes[index] = note
        else:
            guess = _guess(raw, definitions)
            if guess == "title" and folded[index] == "title" and salutation_title:
                guess = None
                notes[index] = _SALUTATION_NOTE
        if guess in (OWNER, "assignedTo"):
            notes[index] = _owner_note(raw)
            owners.add(index)
            targets.append(None)
            continue
        if guess is None:
            if folded[index] in _READ_ONLY:
                notes[index] = "Read-only in Seedly: not imported."
            targets.append(None)
            continue
        if guess not in MULTI_TARGETS and guess in taken:
            first = taken[guess]
            spill = _SPILL.get(guess)
            if spill is not None and folded[first] != folded[index]:
                targets.append(spill)
                continue
            notes[index] = (
                f"Also looks like {target_label(guess, definitions)}; column {first + 1} "
                f"(“{header[first]}”) is imported as that."
            )
            targets.append(None)
            continue
        taken.setdefault(guess, index)
        targets.append(guess)
    return MappingSuggestion(
        tuple(targets), notes, source.name if source else None, frozenset(owners)
    )


def suggest_for_table(
    table: CsvTable,
    definitions: Sequence[CustomFieldDefinition] = (),
    *,
    team: Mapping[str, str] | None = None,
) -> MappingSuggestion:
    """``suggest_mapping`` of the table's header, then what its values show: an owner
    column whose every value is a team member (``team``: id → name, from the cache) is
    imported into Assigned to; a "Title" column of salutations is not a job title."""
    suggestion = suggest_mapping(table.raw_header, definitions)
    targets = list(suggestion.targets)
    notes = dict(suggestion.notes)
    members = team or {}
    for index in range(len(table.raw_header)):
        if index in suggestion.owners and members:
            values = {
                row.cells[index].strip()
                for row in table.rows
                if index < len(row.cells) and row.cells[index].strip()
            }
            matched = values and all(match_owner(v, members) for v in values)
            if matched and "assignedTo" not in targets:
                targets[index] = "assignedTo"
                del notes[index]
        elif targets[index] == "title":
            samples = table.column_samples(index, limit=20)
            salutations = [v for v in samples if _norm(v) in _SALUTATIONS]
            if samples and len(salutations) * 2 > len(samples):
                targets[index] = None
                notes[index] = _SALUTATION_NOTE
    return MappingSuggestion(tuple(targets), notes, suggestion.exporter, suggestion.owners)


@dataclass(frozen=True)
class MappingCheck:
    """What is wrong with a mapping (``errors`` block the import) or worth knowing."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing blocks the import."""
        return not self.errors


def check_mapping(
    header: Sequence[str],
    mapping: Sequence[str | None],
    definitions: Sequence[CustomFieldDefinition] = (),
) -> MappingCheck:
    """Problems of a whole mapping: a field chosen twice, nothing to match or create by,
    a required custom field no column fills."""
    errors: list[str] = []
    warnings: list[str] = []
    columns: dict[str, list[int]] = {}
    for index, target in enumerate(mapping):
        if target is not None:
            columns.setdefault(target, []).append(index)
    if not columns:
        return MappingCheck(("Choose at least one column to import.",))
    for target, indexes in columns.items():
        if len(indexes) > 1 and target not in MULTI_TARGETS:
            names = " and ".join(f"“{header[i]}”" for i in indexes)
            errors.append(
                f"{target_label(target, definitions)} is chosen for {len(indexes)} columns "
                f"({names}); choose one of them."
            )
    if FULL_NAME in columns and {"firstName", "lastName"} <= set(columns):
        warnings.append(
            "First name and last name have their own columns; the full name column only "
            "fills them where they are empty."
        )
    has_names = FULL_NAME in columns or {"firstName", "lastName"} <= set(columns)
    can_match = "email" in columns or CONTACT_ID in columns
    if not has_names and not can_match:
        errors.append(
            "Map columns to First name and Last name (or Full name) to create contacts, "
            "or to Email to update existing ones."
        )
    elif not has_names:
        missing = "Last name" if "firstName" in columns else "First name"
        if FULL_NAME not in columns and "lastName" in columns:
            missing = "First name"
        warnings.append(
            f"No column is mapped to {missing}: rows can only update existing contacts "
            "(matched by email); rows for new contacts will be skipped."
        )
    for d in definitions:
        if d.is_required and CUSTOM_PREFIX + d.name not in columns:
            warnings.append(
                f"{d.display_label} is required for new contacts and no column is mapped to "
                "it: rows for new contacts will be skipped."
            )
    return MappingCheck(tuple(errors), tuple(warnings))


# -- rows ---------------------------------------------------------------------------------


def unneutralize(value: str) -> str:
    """A cell without the apostrophe the export put before a formula-like value."""
    if len(value) > 1 and value[0] == "'" and value[1:].lstrip(" ")[:1] in _INJECTION_TRIGGERS:
        return value[1:]
    return value


def split_list(value: str) -> list[str]:
    """Items of a list cell ("vip, newsletter; webinar"): split on , or ;, trimmed."""
    return [item.strip() for item in _LIST_SPLIT_RE.split(value) if item.strip()]


def split_full_name(value: str) -> tuple[str, str | None]:
    """``(first, last)`` of a full name: "Doe, Jane" and "Jane van Doe" both work."""
    text = " ".join(value.split())
    if "," in text:
        last, _, first = text.partition(",")
        if first.strip() and last.strip():
            return first.strip(), last.strip()
        text = (first or last).strip()
    first, _, last = text.partition(" ")
    return first, (last or None)


@dataclass(frozen=True)
class RowData:
    """One row turned into contact fields (wire names, only non-blank cells).

    ``contact_id`` comes from a Seedly ID column; ``problems`` are cells that
    could not be read at all (wire path → sentence); ``notes`` are values of
    optional fields left out so the rest of the row can be imported (wire path →
    sentence)."""

    fields: dict[str, Any]
    contact_id: str | None = None
    problems: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    origins: dict[tuple[str, str], int] = field(default_factory=dict)
    """The column each item of a list field came from (``(field, item)`` → column), so a
    note about an item names its own column."""
    note_columns: dict[str, int] = field(default_factory=dict)
    """The column a note is about, where it is not the field's first column."""
    promoted: frozenset[str] = frozenset()
    """Main fields (``email``, ``phone``) filled from the row's other emails or phones
    because its own cell was empty: a new contact gets them as its main ones, an
    existing contact only has them added to its other ones."""

    @property
    def email(self) -> str | None:
        """The email as written in the file (trimmed), if any."""
        value = self.fields.get("email")
        return value if isinstance(value, str) and value else None

    @property
    def email_key(self) -> str | None:
        """The email for duplicate detection: trimmed and case-folded."""
        email = self.email
        # Case-folding is what the server's uniqueness rule compares (and cheap: no
        # validation per row just to compare addresses).
        return None if email is None else email_key(email)

    @property
    def label(self) -> str:
        """A name for lists: the name, else the email, else the ID."""
        name = " ".join(
            str(self.fields.get(k) or "").strip() for k in ("firstName", "lastName")
        ).strip()
        return name or self.email or self.contact_id or ""


def _add_items(
    fields: dict[str, Any],
    origins: dict[tuple[str, str], int],
    target: str,
    items: Iterable[str],
    column: int,
) -> None:
    present: list[str] = fields.setdefault(target, [])
    for item in items:
        if item not in present:
            present.append(item)
            origins.setdefault((target, item), column)


def row_fields(cells: Sequence[str], mapping: Sequence[str | None]) -> RowData:
    """The contact fields of one row under ``mapping`` (blank cells are left out).

    Cells with several values (Google's `` ::: ``, "a@x.com; b@y.com") are split:
    the first email or phone is the contact's own, the others are added to its
    additional ones (and an empty main email or phone is filled from them). Tags
    lose Mailchimp's quotes and Google's system labels (``* myContacts``)."""
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    notes: dict[str, str] = {}
    origins: dict[tuple[str, str], int] = {}
    full_name: str | None = None
    contact_id: str | None = None
    for index, target in enumerate(mapping):
        if target is None or index >= len(cells):
            continue
        value = unneutralize(cells[index].strip()).strip()
        if not value:
            continue
        if target.startswith(CUSTOM_PREFIX):
            custom[target.removeprefix(CUSTOM_PREFIX)] = value
        elif target in ("email", "phone"):
            parts = split_emails(value) if target == "email" else split_phones(value)
            extra = "additionalEmails" if target == "email" else "additionalPhones"
            if parts and target not in fields:
                fields[target] = parts[0]
                origins[(target, parts[0])] = index
                parts = parts[1:]
            _add_items(fields, origins, extra, parts, index)
        elif target == "additionalEmails":
            _add_items(fields, origins, target, split_emails(value), index)
        elif target == "additionalPhones":
            _add_items(fields, origins, target, split_phones(value), index)
        elif target == "tags":
            tags, _system = read_tags(value)
            _add_items(fields, origins, target, tags, index)
        elif target == FULL_NAME:
            full_name = value
        elif target == CONTACT_ID:
            contact_id = value
        elif target == "lifecycleStage":
            fields[target] = read_stage(value) or value
        elif GOOGLE_SEPARATOR.strip() in value:
            first, *rest = split_multi(value)
            fields[target] = first
            notes[target] = (
                f"Only the first of its values was imported; left out: {', '.join(rest)}."
            )
        else:
            fields[target] = value
    if full_name is not None:
        first_name, last = split_full_name(full_name)
        fields.setdefault("firstName", first_name)
        if last is not None:
            fields.setdefault("lastName", last)
    promoted: set[str] = set()
    for main, extra in (("email", "additionalEmails"), ("phone", "additionalPhones")):
        others = fields.get(extra)
        if not others:
            fields.pop(extra, None)
            continue
        if main not in fields:
            fields[main] = others.pop(0)
            promoted.add(main)
            origins.setdefault((main, fields[main]), origins.get((extra, fields[main]), -1))
        same = email_key(fields[main]) if main == "email" else fields[main]
        kept = [o for o in others if (email_key(o) if main == "email" else o) != same]
        if kept:
            fields[extra] = kept
        else:
            del fields[extra]
    if custom:
        fields["customFields"] = custom
    return RowData(fields, contact_id, notes=notes, origins=origins, promoted=frozenset(promoted))


# -- optional values ----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRules:
    """How one import reads values that depend on where the file comes from."""

    default_region: str | None = DEFAULT_REGION
    """Region of phone numbers without a country code, when the row names no country."""
    date_order: DateOrder = DateOrder.MDY
    """How dates like 03/04/1970 are read."""
    team: Mapping[str, str] = field(default_factory=dict)
    """Team members this app knows (id → name, "" when unknown), to match owner names."""

    def region_for(self, country: Any) -> tuple[str | None, bool]:
        """``(region, from the row)``: the row's country when it names one, else the
        default region."""
        if isinstance(country, str) and country.strip():
            region = region_for_country(country)
            if region is not None:
                return region, True
        return self.default_region, False


def _phone_of(raw: str, region: str | None) -> tuple[str | None, str | None]:
    checked = check_phone(raw, region)
    return checked.e164, checked.error


def screen_row(
    data: RowData, rules: ImportRules, definitions: Sequence[CustomFieldDefinition] = ()
) -> RowData:
    """``data`` with every optional value Seedly would refuse taken out and noted.

    A contact is never dropped for an optional field: a phone number not valid
    where it is read (the row's country, else the default region), a date that
    cannot be read or has no year, an unknown lifecycle stage, an owner name no
    team member has, a value over the server's limits… is left out, and
    ``notes`` says which and why. Names, the email (how a contact is found again)
    and required custom fields stay as they are: the payload rules refuse the row
    if they are wrong. Phones come out in E.164 and dates as ``YYYY-MM-DD``."""
    fields = dict(data.fields)
    notes = dict(data.notes)
    note_columns = dict(data.note_columns)
    origins = data.origins
    promoted = set(data.promoted)

    def origin(name: str, item: str, failed: list[int]) -> None:
        column = origins.get((name, item))
        if column is not None and column >= 0:
            failed.append(column)

    def settle(name: str, failed: list[int]) -> None:
        if failed and len(set(failed)) == 1:
            note_columns[name] = failed[0]  # every refused value came from this column

    region, from_row = rules.region_for(fields.get("country"))
    phone = fields.get("phone")
    if isinstance(phone, str):
        e164, error = _phone_of(phone, region)
        if e164 is None:
            del fields["phone"]
            promoted.discard("phone")
            notes["phone"] = f"{error} Left out: the contact is imported without it."
            settle("phone", [origins.get(("phone", phone), -1)])
        else:
            fields["phone"] = e164
    others = fields.get("additionalPhones")
    if isinstance(others, list):
        kept: list[str] = []
        refused: list[str] = []
        failed: list[int] = []
        for raw in others:
            e164, error = _phone_of(raw, region)
            if e164 is None:
                refused.append(error or raw)
                origin("additionalPhones", raw, failed)
            elif e164 != fields.get("phone") and e164 not in kept:
                kept.append(e164)
        if "phone" not in fields and kept:
            fields["phone"] = kept.pop(0)  # a valid other number beats none
            promoted.add("phone")
        _set_list(fields, notes, "additionalPhones", kept, refused, "Additional phones")
        settle("additionalPhones", failed)
    emails = fields.get("additionalEmails")
    if isinstance(emails, list):
        good: list[str] = []
        bad: list[str] = []
        failed = []
        for raw in emails:
            checked = check_email(raw)
            if checked.normalized is None:
                bad.append(f"“{raw}”: {checked.error}")
                origin("additionalEmails", raw, failed)
            elif checked.normalized not in good:
                good.append(checked.normalized)
        _set_list(fields, notes, "additionalEmails", good, bad, "Additional emails")
        settle("additionalEmails", failed)
    birth = fields.get("dateOfBirth")
    if isinstance(birth, str):
        reading = read_date(birth, rules.date_order)
        if reading.iso is not None and reading.iso > date.today().isoformat():
            reading = DateReading(problem=f"“{birth}” is in the future.")
        if reading.iso is not None:
            fields["dateOfBirth"] = reading.iso
        else:
            del fields["dateOfBirth"]
            if reading.problem:
                notes["dateOfBirth"] = f"{reading.problem} Left out."
    stage = fields.get("lifecycleStage")
    if isinstance(stage, str) and stage not in LIFECYCLE_STAGES:
        del fields["lifecycleStage"]
        notes["lifecycleStage"] = (
            f"“{stage}” is not a lifecycle stage Seedly knows ({', '.join(LIFECYCLE_STAGES)}). "
            "Left out."
        )
    tags = fields.get("tags")
    if isinstance(tags, list):
        fitting = [t for t in tags if len(t) <= TAG_MAX]
        problems = [
            f"“{t[:40]}…” is {len(t):,} characters long (at most {TAG_MAX})"
            for t in tags
            if len(t) > TAG_MAX
        ]
        if len(fitting) > TAGS_MAX:
            problems.append(
                f"{len(fitting):,} tags, and Seedly takes at most {TAGS_MAX}: the last "
                f"{len(fitting) - TAGS_MAX:,} were left out"
            )
            fitting = fitting[:TAGS_MAX]
        _set_list(fields, notes, "tags", fitting, problems, "Tags")
    for name, limit in TEXT_LIMITS.items():
        value = fields.get(name)
        if name in ("firstName", "lastName", "email") or not isinstance(value, str):
            continue
        problem = too_long(_LABELS.get(name, name), value, limit)
        if problem:
            del fields[name]
            notes[name] = problem.replace("Shorten it (nothing was cut).", "Left out.")
    owner = fields.get("assignedTo")
    if isinstance(owner, str) and rules.team and owner not in rules.team:
        member = match_owner(owner, rules.team)
        if member is None:
            del fields["assignedTo"]
            notes["assignedTo"] = f"“{owner}” is not a team member this app knows. Left out."
        else:
            fields["assignedTo"] = member
    custom = fields.get("customFields")
    if isinstance(custom, dict) and definitions:
        fields["customFields"] = _screen_custom(custom, definitions, rules, region, notes)
        if not fields["customFields"]:
            del fields["customFields"]
    if from_row and "phone" in notes:
        notes["phone"] = notes["phone"].replace(
            "Left out:", "(The row's country decides.) Left out:"
        )
    return RowData(
        fields,
        data.contact_id,
        dict(data.problems),
        notes,
        origins,
        note_columns,
        frozenset(promoted),
    )


_LABELS: dict[str, str] = {t.key: t.label for t in CONTACT_TARGETS}


def _set_list(
    fields: dict[str, Any],
    notes: dict[str, str],
    name: str,
    kept: list[str],
    refused: list[str],
    label: str,
) -> None:
    if kept:
        fields[name] = kept
    else:
        fields.pop(name, None)
    if refused:
        notes[name] = f"{label}: " + "; ".join(r.rstrip(".") for r in refused) + ". Left out."


def _screen_custom(
    values: dict[str, Any],
    definitions: Sequence[CustomFieldDefinition],
    rules: ImportRules,
    region: str | None,
    notes: dict[str, str],
) -> dict[str, Any]:
    by_name = {d.name: d for d in definitions}
    out: dict[str, Any] = {}
    for name, value in values.items():
        definition = by_name.get(name)
        if definition is None or not isinstance(value, str):
            out[name] = value
            continue
        path = CUSTOM_PREFIX + name
        if definition.type == CustomFieldType.DATE:
            reading = read_date(value, rules.date_order)
            if reading.empty:
                continue
            value = reading.iso or value
        checked, error = check_custom_value(definition, value, default_region=region)
        if error is None:
            out[name] = checked
        elif definition.is_required:
            out[name] = value  # the payload rules refuse the row, naming the column
        else:
            notes[path] = f"{error} Left out."
    return out


def _merged(existing: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    """``existing`` plus the items of ``new`` it lacks (case-insensitively for text)."""
    seen = {str(item).casefold() for item in existing}
    out = list(existing)
    for item in new:
        if str(item).casefold() not in seen:
            seen.add(str(item).casefold())
            out.append(item)
    return out


def edits_for_existing(
    fields: Mapping[str, Any],
    existing: Contact,
    *,
    default_region: str | None = DEFAULT_REGION,
    promoted: Collection[str] = (),
) -> dict[str, Any]:
    """The edit of an existing contact a row asks for: lists are added to, not replaced,
    and a ``promoted`` main email or phone (one the file has only among the others) is
    added to the contact's other ones, never made its main one."""
    edited = dict(fields)
    for main, extra in (("email", "additionalEmails"), ("phone", "additionalPhones")):
        if main in promoted and main in edited:
            value = edited.pop(main)
            current = existing.email if main == "email" else existing.phone
            if main == "email":
                same = bool(current) and email_key(str(current)) == email_key(str(value))
            else:
                same = current == value
            if not same:
                edited[extra] = [value, *edited.get(extra, [])]
    email = edited.get("email")
    if isinstance(email, str) and existing.email and email_key(email) == email_key(existing.email):
        # Matched by this email: a different capitalisation is not a change to make.
        del edited["email"]
    if "tags" in edited:
        edited["tags"] = _merged(existing.tags, edited["tags"])
    for name in ("additionalEmails", "additionalPhones"):
        if name in edited:
            attribute = "additional_emails" if name == "additionalEmails" else "additional_phones"
            # Normalise first so "(617) 555-0101" is recognised as the stored +16175550101.
            try:
                body = build(ContactUpdate, {name: edited[name]}, default_region=default_region)
                normal = body.to_body().get(name, [])
            except ValidationFailed:
                continue  # the full validation below reports it
            edited[name] = _merged(getattr(existing, attribute), normal)
    return edited


def create_fields(
    fields: Mapping[str, Any], definitions: Sequence[CustomFieldDefinition]
) -> dict[str, Any]:
    """The fields of a create. ``customFields`` is always present when a definition is
    required: the payload rules only check required fields in a given object, and
    a row whose custom cells are all empty must still be refused."""
    out = dict(fields)
    if any(d.is_required for d in definitions):
        out["customFields"] = dict(out.get("customFields") or {})
    return out


class RowAction(StrEnum):
    """What an import does with a row."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"


class SkipReason(StrEnum):
    """Why a row is skipped."""

    INVALID = "invalid"
    DUPLICATE = "duplicate"
    EMPTY = "empty"


@dataclass(frozen=True)
class RowDecision:
    """The outcome of ``decide_row``: the request to make (or why none)."""

    action: RowAction
    create: ContactCreate | None = None
    edits: dict[str, Any] | None = None
    """The normalised fields to send (wire names): the whole body of a create (what
    ``ContactService.create`` takes), only the changes of an update (what
    ``ContactService.update`` takes)."""
    changes: tuple[str, ...] = ()
    """For updates: the wire fields that change."""
    errors: dict[str, str] = field(default_factory=dict)


def decide_row(
    data: RowData,
    existing: Mapping[str, Any] | Contact | None,
    definitions: Sequence[CustomFieldDefinition],
    *,
    default_region: str | None = DEFAULT_REGION,
) -> RowDecision:
    """Validate a row as a new contact (``existing`` None) or as an edit of ``existing``.

    A new contact must pass ``ContactCreate`` (names, required custom fields);
    an edit is checked like the contact form's edit and sends only what changes."""
    if data.problems:
        return RowDecision(RowAction.SKIP, errors=dict(data.problems))
    before: Contact | None
    if existing is None or isinstance(existing, Contact):
        before = existing
    else:
        try:
            before = parse(Contact, existing)
        except InvalidResponse:
            before = None  # an unreadable cache entry: let the server decide
    try:
        if before is None:
            fields = create_fields(data.fields, definitions)
            payload = build(
                ContactCreate,
                fields,
                default_region=default_region,
                custom_field_definitions=definitions,
            )
            # Normalised values (E.164 phones, option spellings): whatever region the
            # service that sends them defaults to, they mean what the plan showed.
            return RowDecision(RowAction.CREATE, create=payload, edits=payload.to_body())
        edits = edits_for_existing(
            data.fields, before, default_region=default_region, promoted=data.promoted
        )
        update = contact_update(
            before, edits, default_region=default_region, custom_field_definitions=definitions
        )
    except ValidationFailed as exc:
        return RowDecision(RowAction.SKIP, errors=dict(exc.errors) or {"": exc.user_message})
    body = update.to_body()
    if not body:
        return RowDecision(RowAction.UNCHANGED, edits={})
    return RowDecision(RowAction.UPDATE, edits=body, changes=tuple(body))


def valid_as_update(
    data: RowData,
    definitions: Sequence[CustomFieldDefinition],
    *,
    default_region: str | None = DEFAULT_REGION,
) -> bool:
    """Whether the row's values would be accepted as an edit of some existing contact
    (what a new contact additionally needs, names and required fields, aside)."""
    if data.problems:
        return False
    try:
        build(
            ContactUpdate,
            data.fields,
            default_region=default_region,
            custom_field_definitions=definitions,
        )
    except ValidationFailed:
        return False
    return True


# -- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRow:
    """One data row and what the import will do with it."""

    index: int
    """Position among the data rows (0-based)."""
    line: int
    """Line of the file the row starts on (1-based)."""
    action: RowAction
    data: RowData | None
    contact_id: str | None = None
    """The existing contact an update (or unchanged row) applies to."""
    changes: tuple[str, ...] = ()
    skip: SkipReason | None = None
    reason: str = ""
    """Why the row is skipped, as sentences naming the columns."""
    warning: str = ""
    """Something to check that does not stop the row (missing cells at the end)."""
    notes: str = ""
    """Values left out so the rest of the row can be imported, as sentences naming the
    columns ("Column “Birthday”: “--03-15” has no year… Left out.")."""
    left_out: tuple[str, ...] = ()
    """The columns of those values."""

    @property
    def label(self) -> str:
        """Name or email of the row's contact, for lists."""
        return self.data.label if self.data else ""

    @property
    def email(self) -> str:
        """The row's email as written ("" when none)."""
        return (self.data.email if self.data else None) or ""


@dataclass(frozen=True)
class ImportPlan:
    """Every row's planned action, for one table, mapping and sub-account."""

    table: CsvTable
    mapping: tuple[str | None, ...]
    rows: tuple[PlannedRow, ...]
    check: MappingCheck
    default_region: str | None = DEFAULT_REGION
    complete: bool = True
    """False when planning was stopped early (a newer mapping replaced it)."""
    dates: DateOrderChoice | None = None
    """How ambiguous dates were read and why (None: no date column is imported)."""
    rules: ImportRules = field(default_factory=ImportRules)
    ambiguous_dates: int = 0
    """Date cells whose day and month could be swapped (read by ``dates``)."""
    ambiguous_example: tuple[int, str] | None = None
    """The first of them: line and cell."""

    def count(self, action: RowAction) -> int:
        """How many rows get ``action``."""
        return self.counts[action]

    @cached_property
    def counts(self) -> Counter[RowAction]:
        """Rows per action (counted once: a plan does not change)."""
        return Counter(row.action for row in self.rows)

    @property
    def writes(self) -> int:
        """Requests the import will at least make (creates and updates)."""
        counts = self.counts
        return counts[RowAction.CREATE] + counts[RowAction.UPDATE]

    def estimated_seconds(self, writes_per_minute: int = WRITES_PER_MINUTE) -> float:
        """How long the writes take at the API's write limit (reads are not counted)."""
        return self.writes * 60.0 / writes_per_minute

    @property
    def can_import(self) -> bool:
        """The mapping is usable and there is something to write or check."""
        return self.check.ok and self.complete and self.counts[RowAction.SKIP] < len(self.rows)

    def notes(self) -> list[str]:
        """Sentences about the whole plan for the preview: how dates are read, and how
        many rows are imported with values left out (by column)."""
        out: list[str] = []
        if self.dates is not None and self.ambiguous_example is not None:
            line, text = self.ambiguous_example
            count = self.ambiguous_dates
            which = f"“{text.strip()}” on line {line}" + (
                f" and {count - 1:,} more" if count > 1 else ""
            )
            out.append(
                f"Dates whose day and month could be swapped ({which}) are read as "
                f"{self.dates.order.label}: {self.dates.reason}."
            )
        columns: Counter[str] = Counter()
        rows = 0
        for row in self.rows:
            if row.left_out and row.action is not RowAction.SKIP:
                rows += 1
                columns.update(row.left_out)
        if rows:
            parts = ", ".join(f"“{name}” {count:,}" for name, count in columns.most_common())
            out.append(
                f"{rows:,} {'row is' if rows == 1 else 'rows are'} imported with values left "
                f"out that Seedly would refuse ({parts}); the rows say which and why."
            )
        return out


def _column_index(mapping: Sequence[str | None]) -> dict[str, int]:
    """The first column of each target (names also from a full-name column; the extra
    emails and phones also from the main ones, whose surplus values they receive)."""
    column_of: dict[str, int] = {}
    for index, target in enumerate(mapping):
        if target is not None:
            column_of.setdefault(target, index)
    for source, targets in (
        (FULL_NAME, ("firstName", "lastName")),
        ("email", ("additionalEmails",)),
        ("phone", ("additionalPhones",)),
    ):
        if source in column_of:
            for target in targets:
                column_of.setdefault(target, column_of[source])
    return column_of


def _root(path: str) -> str:
    return path if path.startswith(CUSTOM_PREFIX) else path.split("[", 1)[0].split(".", 1)[0]


def _columns_of(
    errors: Mapping[str, str],
    mapping: Sequence[str | None],
    header: Sequence[str],
    columns: Mapping[str, int] | None = None,
) -> tuple[str, ...]:
    column_of = {**_column_index(mapping), **(columns or {})}
    found = sorted({column_of[_root(p)] for p in errors if _root(p) in column_of})
    return tuple(header[i] for i in found)


def _describe_errors(
    errors: Mapping[str, str],
    mapping: Sequence[str | None],
    header: Sequence[str],
    columns: Mapping[str, int] | None = None,
) -> str:
    """Error sentences, each prefixed with the column it came from when one is mapped
    (``columns`` names it where it is not the field's first column)."""
    column_of = {**_column_index(mapping), **(columns or {})}
    parts: list[tuple[int, str]] = []
    for path, sentence in errors.items():
        root = _root(path)
        column = column_of.get(root)
        text = sentence.strip()
        if text and text[-1] not in ".!?":
            text += "."
        if column is None:
            parts.append((len(header), text))
        else:
            parts.append((column, f"Column “{header[column]}”: {text}"))
    # In the file's column order, as the user reads the row.
    return " ".join(text for _, text in sorted(parts, key=lambda part: part[0]))


def plan_import(
    table: CsvTable,
    mapping: Sequence[str | None],
    definitions: Sequence[CustomFieldDefinition] = (),
    *,
    default_region: str | None = DEFAULT_REGION,
    date_order: DateOrder | None = None,
    team: Mapping[str, str] | None = None,
    find_by_email: Callable[[str], Mapping[str, Any] | None] = lambda _email: None,
    find_by_id: Callable[[str], Mapping[str, Any] | None] = lambda _id: None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ImportPlan:
    """Decide every row of ``table`` under ``mapping``.

    Ambiguous dates are read in ``date_order``, else in the order the file's own
    dates show, else its locale's (``detect_date_order``; the plan says which).
    ``team`` (id → name) matches owner names to team members.

    ``find_by_email``/``find_by_id`` answer from what is known locally (the
    cache); emails they do not know are planned as creates (the importer
    still asks the server when a create is refused as a duplicate).
    ``progress(done, total)`` is called every few hundred rows; when
    ``should_stop()`` turns true the plan returned is marked incomplete."""
    mapping = tuple(mapping)
    if len(mapping) != len(table.header):
        raise ValueError(f"mapping has {len(mapping)} targets for {len(table.header)} columns")
    check = check_mapping(table.header, mapping, definitions)
    dates, example, ambiguous = _date_order(table, mapping, definitions, default_region, date_order)
    rules = ImportRules(default_region, dates.order if dates else DateOrder.MDY, dict(team or {}))
    width = len(table.header)
    planned: list[PlannedRow] = []
    seen_email: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    total = len(table.rows)
    complete = True
    for index, row in enumerate(table.rows):
        if index % 250 == 0:
            if should_stop is not None and should_stop():
                complete = False
                break
            if progress is not None:
                progress(index, total)
        planned.append(
            _plan_row(
                index,
                row,
                width,
                table.header,
                mapping,
                definitions,
                rules,
                find_by_email,
                find_by_id,
                seen_email,
                seen_id,
            )
        )
    if progress is not None and complete:
        progress(total, total)
    return ImportPlan(
        table,
        mapping,
        tuple(planned),
        check,
        default_region,
        complete,
        dates,
        rules,
        ambiguous,
        example,
    )


def _date_order(
    table: CsvTable,
    mapping: Sequence[str | None],
    definitions: Sequence[CustomFieldDefinition],
    region: str | None,
    forced: DateOrder | None,
) -> tuple[DateOrderChoice | None, tuple[int, str] | None, int]:
    """How the file's ambiguous dates are read, the first ambiguous one (line, text) and
    how many there are (no choice when no date column is imported)."""
    date_fields = {"dateOfBirth"} | {
        CUSTOM_PREFIX + d.name for d in definitions if d.type == CustomFieldType.DATE
    }
    columns = [i for i, target in enumerate(mapping) if target in date_fields]
    if not columns:
        return None, None, 0
    values = [
        (row.line, row.cells[column])
        for row in table.rows
        for column in columns
        if column < len(row.cells) and row.cells[column].strip()
    ]
    if forced is not None:
        choice = DateOrderChoice(forced, "as chosen", True)
    else:
        choice = detect_date_order(values, region=region, semicolons=table.delimiter == ";")
    ambiguous = [(line, text) for line, text in values if read_date(text, choice.order).ambiguous]
    return choice, (ambiguous[0] if ambiguous else None), len(ambiguous)


def _plan_row(
    index: int,
    row: CsvRow,
    width: int,
    header: Sequence[str],
    mapping: Sequence[str | None],
    definitions: Sequence[CustomFieldDefinition],
    rules: ImportRules,
    find_by_email: Callable[[str], Mapping[str, Any] | None],
    find_by_id: Callable[[str], Mapping[str, Any] | None],
    seen_email: dict[str, int],
    seen_id: dict[str, int],
) -> PlannedRow:
    cells = row.cells
    if not any(c.strip() for c in cells):
        return PlannedRow(
            index, row.line, RowAction.SKIP, None, skip=SkipReason.EMPTY, reason="The row is empty."
        )
    warning = ""
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return PlannedRow(
            index,
            row.line,
            RowAction.SKIP,
            None,
            skip=SkipReason.INVALID,
            reason=(
                f"The row has {len(cells)} values but the file has {width} columns, so values "
                "would land in the wrong fields. A value containing the delimiter must be in quotes."
            ),
        )
    if len(cells) < width:
        warning = (
            f"The row has only {len(cells)} of {width} values; the missing ones at the end were "
            "read as empty. Check that a line break did not split the row."
        )
    data = row_fields(cells, mapping)
    if data.fields or data.contact_id is not None:
        data = screen_row(data, rules, definitions)
    notes = _describe_errors(data.notes, mapping, header, data.note_columns) if data.notes else ""
    left_out = _columns_of(data.notes, mapping, header, data.note_columns) if data.notes else ()
    if not data.fields and data.contact_id is None:
        return PlannedRow(
            index,
            row.line,
            RowAction.SKIP,
            data,
            skip=SkipReason.EMPTY,
            reason="No mapped column has a value in this row.",
        )
    existing: Mapping[str, Any] | None = None
    if data.contact_id is not None:
        first = seen_id.get(data.contact_id)
        if first is not None:
            return _duplicate(index, row, data, first, f"the same contact ID ({data.contact_id})")
        existing = find_by_id(data.contact_id)
    key = data.email_key
    if key is not None:
        first = seen_email.get(key)
        if first is not None:
            return _duplicate(index, row, data, first, f"the same email ({data.email})")
        if existing is None:
            existing = find_by_email(data.email or key)
    decision = decide_row(data, existing, definitions, default_region=rules.default_region)
    if decision.action is RowAction.SKIP:
        return PlannedRow(
            index,
            row.line,
            RowAction.SKIP,
            data,
            skip=SkipReason.INVALID,
            reason=_describe_errors(decision.errors, mapping, header),
            warning=warning,
            notes=notes,
            left_out=left_out,
        )
    if key is not None:
        seen_email[key] = row.line
    if data.contact_id is not None:
        seen_id[data.contact_id] = row.line
    contact_id = existing.get("id") if existing is not None else None
    return PlannedRow(
        index,
        row.line,
        decision.action,
        data,
        contact_id=contact_id if isinstance(contact_id, str) else None,
        changes=decision.changes,
        warning=warning,
        notes=notes,
        left_out=left_out,
    )


def _duplicate(index: int, row: CsvRow, data: RowData, first_line: int, what: str) -> PlannedRow:
    return PlannedRow(
        index,
        row.line,
        RowAction.SKIP,
        data,
        skip=SkipReason.DUPLICATE,
        reason=f"Line {first_line} above has {what}; only the first one is imported.",
    )


# -- the report ---------------------------------------------------------------------------


class RowStatus(StrEnum):
    """What happened to a row when the import ran."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_IMPORTED = "not imported"


WRITTEN = frozenset({RowStatus.CREATED, RowStatus.UPDATED, RowStatus.UNCHANGED})
"""Statuses of rows whose contact is in Seedly as the file has it."""


@dataclass(frozen=True)
class RowOutcome:
    """The result of one row: its line, status, contact and why it was not written (or,
    for a written row, which values were left out)."""

    line: int
    status: RowStatus
    label: str = ""
    email: str = ""
    contact_id: str | None = None
    reason: str = ""


@dataclass
class ImportReport:
    """What an import did, row by row; filled while it runs."""

    total: int
    outcomes: list[RowOutcome] = field(default_factory=list)
    cancelled: bool = False
    stopped_reason: str | None = None
    """Why the import stopped before the end (the key stopped working, no connection)."""
    finished: bool = False

    def count(self, status: RowStatus) -> int:
        """Rows with ``status``."""
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def counts(self) -> Counter[RowStatus]:
        """Rows per status."""
        return Counter(o.status for o in self.outcomes)

    @property
    def problems(self) -> list[RowOutcome]:
        """Rows that were not written: skipped, failed, not imported."""
        return [o for o in self.outcomes if o.status not in WRITTEN]

    @property
    def noted(self) -> list[RowOutcome]:
        """Rows written with values left out (``reason`` says which)."""
        return [o for o in self.outcomes if o.status in WRITTEN and o.reason]

    @property
    def attention(self) -> list[RowOutcome]:
        """Every row to look at, in file order: not written, or written with values left
        out."""
        return [o for o in self.outcomes if o.status not in WRITTEN or o.reason]

    def summary(self) -> str:
        """One sentence with the counts ("3 created, 1 updated, 2 skipped.")."""
        counts = self.counts
        parts = [f"{counts[s]:,} {s.value}" for s in RowStatus if counts[s]]
        text = ", ".join(parts) if parts else "Nothing imported"
        return text[:1].upper() + text[1:] + "."


REPORT_HEADER = ("Line", "Status", "Contact", "Email", "Contact ID", "Reason")


def report_csv(report: ImportReport, *, problems_only: bool = False) -> str:
    """The report as CSV text (every row, or only those not written)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_HEADER)
    rows = report.problems if problems_only else report.outcomes
    for o in rows:
        writer.writerow(
            [
                str(o.line),
                o.status.value,
                neutralize(o.label),
                neutralize(o.email),
                o.contact_id or "",
                neutralize(o.reason),
            ]
        )
    return buffer.getvalue()


# -- export -------------------------------------------------------------------------------

EXPORT_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "ID"),
    ("firstName", "First Name"),
    ("lastName", "Last Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("title", "Title"),
    ("source", "Source"),
    ("tags", "Tags"),
    ("lifecycleStage", "Lifecycle Stage"),
    ("assignedTo", "Assigned To"),
    ("additionalEmails", "Additional Emails"),
    ("additionalPhones", "Additional Phones"),
    ("addressLine1", "Address Line 1"),
    ("city", "City"),
    ("state", "State"),
    ("postalCode", "Postal Code"),
    ("country", "Country"),
    ("dateOfBirth", "Date of Birth"),
)
"""Wire field and column name of the contact's own columns, in export order."""
EXPORT_READ_ONLY: tuple[tuple[str, str], ...] = (
    ("engagementScore", "Engagement Score"),
    ("createdAt", "Created At"),
    ("updatedAt", "Updated At"),
)
"""Read-only columns, written last (the import ignores them)."""
TAG_SEPARATOR = ", "
LIST_SEPARATOR = "; "


def neutralize(value: str) -> str:
    """``value`` made safe against CSV injection: a cell a spreadsheet would run as a
    formula (starting with = + - @ tab or CR, also after spaces) gets a leading
    apostrophe, which spreadsheets hide and read as "this is text": a formatted phone
    number (``+1 (555) 123-4567``) stays readable instead of becoming ``#NAME?``. A lone
    number (``+15551234567``, ``-3``) is left alone."""
    if not value or value[0] not in _NEUTRALIZE_FIRST:
        return value  # the common case, decided by one character
    if value.lstrip(" ")[:1] not in _INJECTION_TRIGGERS:
        return value
    if _PLAIN_NUMBER_RE.match(value.strip()):
        return value
    return "'" + value


def _custom_headers(definitions: Sequence[CustomFieldDefinition]) -> list[str]:
    reserved = {_norm(label) for _, label in (*EXPORT_FIELDS, *EXPORT_READ_ONLY)}
    reserved |= set(_EXACT) | set(_SYNONYM_INDEX) | _READ_ONLY
    labels = [_norm(d.display_label) for d in definitions]
    headers: list[str] = []
    for d, key in zip(definitions, labels, strict=True):
        if key in reserved or labels.count(key) > 1 or not key:
            # The import maps "Label (name)" back to this field by its name.
            headers.append(f"{d.display_label} ({d.name})")
        else:
            headers.append(d.display_label)
    return headers


def export_header(definitions: Sequence[CustomFieldDefinition] = ()) -> list[str]:
    """Column names of an export: contact fields, custom fields (labels come from the
    server: neutralised like every cell), read-only fields."""
    return [
        *(label for _, label in EXPORT_FIELDS),
        *(neutralize(label) for label in _custom_headers(definitions)),
        *(label for _, label in EXPORT_READ_ONLY),
    ]


def _cell(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return neutralize(value)
    if value is None:
        return ""
    if kind is bool:
        return "yes" if value else "no"
    if kind is float:
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int | str):
        return neutralize(str(value))
    if isinstance(value, list | tuple):
        return neutralize(LIST_SEPARATOR.join(_plain(v) for v in value))
    return neutralize(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def _row_writer(
    definitions: Sequence[CustomFieldDefinition],
) -> Callable[[Mapping[str, Any]], list[str]]:
    """A function from a contact document to its cells (names resolved once per export)."""
    custom_names = tuple(d.name for d in definitions)
    read_only = tuple(name for name, _ in EXPORT_READ_ONLY)
    cell = _cell

    safe_first = _NEUTRALIZE_FIRST
    before_tags = tuple(name for name, _ in EXPORT_FIELDS[:_TAGS_AT])
    after_tags = tuple(name for name, _ in EXPORT_FIELDS[_TAGS_AT + 1 :])

    def fast(value: Any) -> str:
        # Most cells are text starting with a letter, None or an empty list: decided
        # here without the general _cell (100,000 contacts have 2.4 million cells).
        kind = value.__class__
        if kind is str:
            text: str = value
            return text if not text or text[0] not in safe_first else neutralize(text)
        if value is None or (kind is list and not value):
            return ""
        return cell(value)

    def cells_of(doc: Mapping[str, Any]) -> list[str]:
        get = doc.get
        out = [fast(get(name)) for name in before_tags]
        tags = get("tags")
        out.append(
            neutralize(TAG_SEPARATOR.join(_plain(t) for t in tags))
            if tags.__class__ is list
            else fast(tags)
        )
        out += [fast(get(name)) for name in after_tags]
        custom = get("customFields")
        if isinstance(custom, Mapping) and custom:
            out += [fast(custom.get(name)) for name in custom_names]
        else:
            out += [""] * len(custom_names)
        out += [fast(get(name)) for name in read_only]
        return out

    return cells_of


_TAGS_AT = [name for name, _ in EXPORT_FIELDS].index("tags")


def export_row(
    doc: Mapping[str, Any], definitions: Sequence[CustomFieldDefinition] = ()
) -> list[str]:
    """The cells of one contact (a wire document), in ``export_header`` order, each
    neutralised against CSV injection."""
    return _row_writer(definitions)(doc)


def export_csv_chunks(
    docs: Iterable[Mapping[str, Any]],
    definitions: Sequence[CustomFieldDefinition] = (),
    *,
    rows_per_chunk: int = 2000,
) -> Iterator[str]:
    """CSV text of an export in chunks (header first), to stream into a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(export_header(definitions))
    cells_of = _row_writer(definitions)
    batch: list[list[str]] = []
    for doc in docs:
        batch.append(cells_of(doc))
        if len(batch) >= rows_per_chunk:
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    yield buffer.getvalue()


__all__ = [
    "CONTACT_ID",
    "CONTACT_TARGETS",
    "CUSTOM_PREFIX",
    "DELIMITERS",
    "DELIMITER_NAMES",
    "ENCODING_CHOICES",
    "ENCODING_LABELS",
    "EXPORT_FIELDS",
    "EXPORT_READ_ONLY",
    "FULL_NAME",
    "MAX_COLUMNS",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "MULTI_TARGETS",
    "REPORT_HEADER",
    "WRITES_PER_MINUTE",
    "WRITTEN",
    "CsvFileError",
    "CsvRow",
    "CsvTable",
    "DecodedText",
    "HeaderChoice",
    "ImportPlan",
    "ImportRules",
    "ImportReport",
    "ImportTarget",
    "MappingCheck",
    "MappingSuggestion",
    "PlannedRow",
    "RowAction",
    "RowData",
    "RowDecision",
    "RowOutcome",
    "RowStatus",
    "SkipReason",
    "check_mapping",
    "create_fields",
    "decide_row",
    "decode_csv",
    "edits_for_existing",
    "export_csv_chunks",
    "export_header",
    "export_row",
    "import_targets",
    "neutralize",
    "parse_csv",
    "plan_import",
    "report_csv",
    "row_fields",
    "screen_row",
    "split_full_name",
    "split_list",
    "suggest_for_table",
    "suggest_mapping",
    "target_label",
    "unneutralize",
    "valid_as_update",
]
