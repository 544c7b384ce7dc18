"""Turning what a user typed into a safe FTS5 MATCH expression.

User text never reaches FTS5 syntax directly: every whitespace-separated term
becomes one double-quoted phrase of plain word characters with a trailing
``*`` (prefix match), and the phrases are implicitly AND-ed. So ``jan smi``
finds "Jane Smith", ``o'brien`` finds "O'Brien", and characters that mean
something to FTS5 (``"``, ``*``, ``(``, ``:``, ``^``, ``-``, ``+``) or its
operators (``AND``, ``OR``, ``NOT``, ``NEAR``) are either dropped as
separators or searched as ordinary words.

A term made only of digits and phone punctuation (``+1 (617) 555-0101``,
``555-0101``) is collapsed to its digits, which the repositories index as
suffixes too (see ``_codec.phone_terms``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

_PHONE_PUNCTUATION = frozenset("+-().")

FTS_TOKENIZER = "unicode61 remove_diacritics 2"
"""The tokenizer every FTS table uses (case- and accent-insensitive)."""


def _word_tokens(term: str) -> list[str]:
    """Runs of letters and digits; everything else separates.

    FTS5's unicode61 tokenizer treats letters (L*), numbers (N*) and private
    use characters as token characters. ``str.isalnum`` accepts a subset of
    those, so every token produced here yields at least one FTS5 token and a
    quoted phrase is never empty (an empty phrase is an FTS5 syntax error).
    """
    tokens: list[str] = []
    current: list[str] = []
    for ch in term:
        if ch.isalnum():
            current.append(ch)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def _is_phone_like(term: str) -> bool:
    return any("0" <= ch <= "9" for ch in term) and all(
        "0" <= ch <= "9" or ch in _PHONE_PUNCTUATION for ch in term
    )


def match_terms(text: str | None) -> list[str]:
    """One FTS5 phrase expression per searchable term of ``text``.

    Returns an empty list when nothing searchable remains (empty input, only
    punctuation or emoji): callers treat that as "no text filter".
    """
    if not text:
        return []
    normalized = unicodedata.normalize("NFKC", text)
    phrases: list[str] = []
    for term in normalized.split():
        if _is_phone_like(term):
            tokens = ["".join(ch for ch in term if "0" <= ch <= "9")]
        else:
            tokens = _word_tokens(term)
        if tokens:
            # Tokens hold only alphanumerics, so they contain no '"' to escape.
            phrases.append('"' + " ".join(tokens) + '"*')
    return phrases


def match_expression(text: str | None) -> str | None:
    """The full MATCH expression (terms AND-ed), or None when nothing is searchable."""
    terms = match_terms(text)
    return " ".join(terms) if terms else None


PARTITION_COLUMN = "fts_part"
"""The FTS column holding each row's partition token (``p<partition id>``)."""


def partition_token(partition_id: int) -> str:
    """The token that marks a row of ``partition_id`` in the FTS indexes."""
    return f"p{int(partition_id)}"


def scoped(terms: Sequence[str], partition_id: int, columns: Sequence[str]) -> str | None:
    """A MATCH expression for ``terms`` (AND-ed) in ``columns`` of one partition only.

    The partition token is matched in its own column and the user's terms
    only in ``columns`` (never in the partition column, so typing "p1" finds
    nothing by accident). ``columns`` are constants of the calling
    repository, never user input.
    """
    if not terms:
        return None
    # One column filter per phrase (not one over a parenthesised group): that
    # form is understood by every FTS5 version.
    in_columns = "{" + " ".join(columns) + "}"
    filtered = " AND ".join(f"{in_columns} : {term}" for term in terms)
    return f'{PARTITION_COLUMN} : "{partition_token(partition_id)}" AND {filtered}'


def scoped_match(text: str | None, partition_id: int, columns: Sequence[str]) -> str | None:
    """``scoped(match_terms(text), …)``: None when nothing in ``text`` is searchable."""
    return scoped(match_terms(text), partition_id, columns)
