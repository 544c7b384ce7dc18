"""Contacts and custom field definitions of one partition.

Contacts are stored as their wire documents plus derived columns: one
indexed column per sortable key (so a sorted page is an index walk, never a
sort of the whole table), the tags in ``contact_tags`` (for the "all of these
tags" filter and the tag picker) and an FTS5 index over names, emails,
company, phone numbers (with digit suffixes) and tags. Triggers keep the
tags table and the FTS index in step with the rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from hashlib import blake2b
from typing import TYPE_CHECKING, Any

from app.core.constants import LIFECYCLE_STAGES
from app.storage._base import PartitionRepository
from app.storage._codec import (
    JSONDict,
    chunks,
    collation_key,
    digits,
    dumps,
    fold_key,
    loads_dict,
    phone_terms,
    require_id,
    strings,
    text_or_none,
    to_ms,
)
from app.storage.fts import scoped_match

if TYPE_CHECKING:
    from app.storage.database import Database

SORT_KEYS: dict[str, str] = {
    "name": "name_key",
    "email": "email_key",
    "company": "company_key",
    "phone": "phone_key",
    "lifecycleStage": "stage_rank",
    "source": "source",
    "updatedAt": "updated_ms",
    "createdAt": "created_ms",
    "engagementScore": "score",
}
"""Sort keys accepted by ``ContactRepository.search`` and the indexed column behind each.

Names and companies sort ignoring case and accents, emails ignoring case;
``lifecycleStage`` sorts in pipeline order (lead, qualified, customer, repeat,
inactive, then unknown stages). Missing values come last in both directions;
ties are broken by contact id in the same direction.
"""

_DENSE_MATCH_FRACTION = 4
"""A text search matching more than 1/this of the partition walks the sort index.

Otherwise the matches are looked up and sorted. Both plans give the same
rows; the choice only bounds the cost. Walking the sort index stops after
(offset+limit)/density rows when matches are spread out, but visits the whole
partition when they cluster at the far end of the sort order (a name search
sorted by name), so it only pays off for very common terms ("j", "a").
"""

_FTS_COLUMNS = ("fts_name", "fts_email", "fts_company", "fts_phone", "fts_tags")

_STAGE_RANK = {stage: rank for rank, stage in enumerate(LIFECYCLE_STAGES)}
_UNKNOWN_STAGE_RANK = len(LIFECYCLE_STAGES)

_COLUMNS = (
    "partition_id", "id", "name_key", "email_key", "company_key", "phone_key",
    "lifecycle_stage", "stage_rank", "source", "assigned_to", "score", "created_ms",
    "updated_ms", "tags_json", "fts_name", "fts_email", "fts_company", "fts_phone",
    "fts_tags", "doc_hash",
)  # fmt: skip
_UPSERT = (
    f"INSERT INTO contacts ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (partition_id, id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:])
    # Unchanged documents are not rewritten (no FTS churn on a re-sync), and
    # an older version of a contact never overwrites a newer one (a slow poll
    # answering after a fresh edit).
    + " WHERE contacts.doc_hash IS NOT excluded.doc_hash AND (excluded.updated_ms IS NULL"
    " OR contacts.updated_ms IS NULL OR excluded.updated_ms >= contacts.updated_ms)"
)
# The document follows only where the key row now carries its hash (that is,
# the upsert above was applied, or the document was already current).
_DOC_UPSERT = (
    "INSERT INTO contact_docs (rid, doc) SELECT rid, ? FROM contacts "
    "WHERE partition_id = ? AND id = ? AND doc_hash = ? "
    "ON CONFLICT (rid) DO UPDATE SET doc = excluded.doc WHERE contact_docs.doc IS NOT excluded.doc"
)


def _stage_rank(stage: str | None) -> int | None:
    if stage is None:
        return None
    return _STAGE_RANK.get(stage, _UNKNOWN_STAGE_RANK)


def _score(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _doc_hash(text: str) -> int:
    """A stable 63-bit digest of a stored document (``hash()`` varies per process)."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def _contact_rows(pid: int, doc: JSONDict) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The contacts row and the contact_docs upsert parameters of one document."""
    cid = require_id(doc, "contact")
    first = text_or_none(doc.get("firstName"))
    last = text_or_none(doc.get("lastName"))
    name = " ".join(p for p in (first, last) if p) or None
    email = text_or_none(doc.get("email"))
    emails = ([email] if email else []) + strings(doc.get("additionalEmails"))
    phone = text_or_none(doc.get("phone"))
    phones = ([phone] if phone else []) + strings(doc.get("additionalPhones"))
    company = text_or_none(doc.get("company"))
    stage = text_or_none(doc.get("lifecycleStage"))
    tags = strings(doc.get("tags"))
    phone_key = (digits(phone) or fold_key(phone)) if phone else None
    text = dumps(doc)
    digest = _doc_hash(text)
    row = (
        pid,
        cid,
        collation_key(name),
        fold_key(email),
        collation_key(company),
        phone_key,
        stage,
        _stage_rank(stage),
        text_or_none(doc.get("source")),
        text_or_none(doc.get("assignedTo")),
        _score(doc.get("engagementScore")),
        to_ms(doc.get("createdAt")),
        to_ms(doc.get("updatedAt")),
        dumps(tags),
        name,
        " ".join(emails) or None,
        company,
        phone_terms(phones) or None,
        " ".join(tags) or None,
        digest,
    )
    return row, (text, pid, cid, digest)


_UPDATED_MS_COLUMN = _COLUMNS.index("updated_ms")
"""Position of ``updated_ms`` in the row ``_contact_rows`` builds."""

DELETED_MEMORY_MS = 24 * 3600 * 1000
"""How long a deletion is remembered against late, older copies of the contact."""

BULK_MIN_ROWS = 10_000
"""Upserts of at least this many contacts may rebuild the sort indexes (see below)."""


def _bulk_index_rebuild(
    conn: sqlite3.Connection, partition_id: int, batch: int
) -> list[tuple[str, str]]:
    """The sort indexes to drop and re-create around a bulk upsert (empty for small ones).

    Inserting 100,000 rows into nine indexes one entry at a time costs about
    five times more than building the indexes afterwards by sorting. That
    pays off for a first full sync: a large batch into a (nearly) empty partition;
    the indexes come from the schema itself, and since it all happens in the
    upsert's transaction a failure restores them with everything else.
    """
    if batch < BULK_MIN_ROWS:
        return []
    in_partition = int(
        conn.execute(
            "SELECT count(*) FROM contacts WHERE partition_id = ?", (partition_id,)
        ).fetchone()[0]
    )
    elsewhere = int(conn.execute("SELECT count(*) FROM contacts").fetchone()[0]) - in_partition
    # Mostly new rows (not a re-sync of what is cached), and at least as many as
    # the other partitions hold (whose rows are re-sorted too).
    if in_partition * 2 > batch or batch < elsewhere:
        return []
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts' "
        "AND name LIKE 'contacts_by_%' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


_SELECT_DOC = "SELECT d.doc FROM contacts c JOIN contact_docs d ON d.rid = c.rid"


def _docs(conn: sqlite3.Connection, rids: Sequence[int]) -> list[JSONDict]:
    """The documents of ``rids`` in that order (one query for the whole page)."""
    if not rids:
        return []
    found: dict[int, str] = {}
    for batch in chunks(rids, 500):
        marks = ", ".join("?" * len(batch))
        for rid, doc in conn.execute(
            f"SELECT rid, doc FROM contact_docs WHERE rid IN ({marks})", list(batch)
        ):
            found[rid] = doc
    return [loads_dict(found[rid]) for rid in rids if rid in found]


@dataclass(frozen=True, slots=True)
class ContactFilters:
    """Filters of the Contacts tab; all given conditions must hold.

    ``tags``: the contact has every one of them (case-insensitive).
    ``unassigned``: only contacts without an assignee (``assigned_to`` is
    then ignored). ``has_phone``: True for contacts with a primary phone,
    False for contacts without one, None for both.
    """

    lifecycle_stage: str | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None
    assigned_to: str | None = None
    unassigned: bool = False
    has_phone: bool | None = None

    def __post_init__(self) -> None:
        # Accept any iterable of tags from callers, keep an immutable tuple.
        object.__setattr__(self, "tags", tuple(self.tags))


class ContactRepository(PartitionRepository):
    """The contacts of one partition: upserts, lookups, search, filters, counts."""

    def __init__(self, db: Database, partition_id: int) -> None:
        """Bind the repository to ``partition_id`` of ``db``; built by ``Partition``."""
        super().__init__(db, partition_id)
        self._size_cache: tuple[tuple[int, int], int] | None = None
        self._match_cache: tuple[tuple[int, int], str, int] | None = None

    @staticmethod
    def _version(conn: sqlite3.Connection) -> tuple[int, int]:
        # Changes by this connection, and by any other connection to the file.
        return conn.total_changes, int(conn.execute("PRAGMA data_version").fetchone()[0])

    def _size(self, conn: sqlite3.Connection) -> int:
        """Contacts in the partition, cached until the file changes."""
        version = self._version(conn)
        if self._size_cache is None or self._size_cache[0] != version:
            total = conn.execute(
                "SELECT count(*) FROM contacts WHERE partition_id = ?", (self._pid,)
            ).fetchone()[0]
            self._size_cache = (version, int(total))
        return self._size_cache[1]

    def _matches(self, conn: sqlite3.Connection, expression: str) -> int:
        """Rows of the partition matching a scoped expression, cached until the file changes.

        The Contacts tab asks for a page and then the count of the same text:
        the second answer comes from this cache.
        """
        version = self._version(conn)
        cached = self._match_cache
        if cached is not None and cached[0] == version and cached[1] == expression:
            return cached[2]
        total = int(
            conn.execute(
                "SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH ?", (expression,)
            ).fetchone()[0]
        )
        self._match_cache = (version, expression, total)
        return total

    def upsert_many(self, docs: Iterable[JSONDict]) -> int:
        """Insert or update contacts (wire documents) in one transaction.

        Identical documents are skipped, and a document whose ``updatedAt`` is
        older than the stored one is ignored, as is one not updated since this
        cache deleted the contact (a page fetched before the deletion). Returns
        how many rows were inserted or changed.
        """
        pairs = [_contact_rows(self._pid, doc) for doc in docs]
        if not pairs:
            return 0
        with self._db.transaction() as conn:
            pairs = self._without_deleted(conn, pairs)
            if not pairs:
                return 0
            rebuild = _bulk_index_rebuild(conn, self._pid, len(pairs))
            for name, _ in rebuild:
                conn.execute(f'DROP INDEX "{name}"')
            cur = conn.executemany(_UPSERT, [row for row, _ in pairs])
            changed = max(cur.rowcount, 0)
            conn.executemany(_DOC_UPSERT, [doc_params for _, doc_params in pairs])
            for _, create_sql in rebuild:
                conn.execute(create_sql)
            return changed

    def get(self, contact_id: str) -> JSONDict | None:
        """The contact with this id, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                f"{_SELECT_DOC} WHERE c.partition_id = ? AND c.id = ?", (self._pid, contact_id)
            ).fetchone()
        return None if row is None else loads_dict(row[0])

    def get_many(self, contact_ids: Sequence[str]) -> list[JSONDict]:
        """The cached contacts among ``contact_ids``, in the order given (missing ones skipped)."""
        found: dict[str, JSONDict] = {}
        with self._db.read() as conn:
            for cid in dict.fromkeys(contact_ids):
                row = conn.execute(
                    f"{_SELECT_DOC} WHERE c.partition_id = ? AND c.id = ?", (self._pid, cid)
                ).fetchone()
                if row is not None:
                    found[cid] = loads_dict(row[0])
        return [found[cid] for cid in contact_ids if cid in found]

    def by_email(self, email: str) -> list[JSONDict]:
        """Contacts whose primary email equals ``email`` (case-insensitive), oldest id first."""
        key = fold_key(email)
        if key is None:
            return []
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT_DOC} WHERE c.partition_id = ? AND c.email_key = ? ORDER BY c.id",
                (self._pid, key),
            ).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def knows(self, email: str | None = None, phone_keys: Iterable[str] = ()) -> bool:
        """Whether a contact of this partition has this primary email (case-insensitive) or
        a primary phone whose digits are one of ``phone_keys`` (a number's E.164 digits,
        and its national digits for a number stored without its country code). Answers yes
        or no only: another sub-account's hint must never show that record's data."""
        probes: list[tuple[str, str]] = []
        key = fold_key(email) if email else None
        if key is not None:
            probes.append(("email_key", key))
        probes += [("phone_key", p) for p in dict.fromkeys(phone_keys) if p]
        if not probes:
            return False
        # One indexed probe per key (contacts_by_email, contacts_by_phone).
        sql = " UNION ALL ".join(
            f"SELECT 1 FROM contacts WHERE partition_id = ? AND {column} = ?"
            for column, _value in probes
        )
        bound: list[Any] = []
        for _column, value in probes:
            bound += [self._pid, value]
        with self._db.read() as conn:
            row = conn.execute(f"SELECT EXISTS ({sql})", bound).fetchone()
        return bool(row[0])

    def delete_ids(self, contact_ids: Iterable[str], *, remember: bool = True) -> int:
        """Delete these contacts (unknown ids are ignored); returns how many were deleted.

        A known deletion (the user's own, ``remember``) is remembered for
        ``DELETED_MEMORY_MS``: an older document of the contact arriving later (a poll
        fetched before the deletion) is not stored. A deletion only inferred from a sync
        walk is not remembered, so a record that comes back is always accepted."""
        params = [(self._pid, cid) for cid in contact_ids]
        if not params:
            return 0
        now = self._db.now_ms()
        with self._db.transaction() as conn:
            cur = conn.executemany("DELETE FROM contacts WHERE partition_id = ? AND id = ?", params)
            if not remember:
                return max(cur.rowcount, 0)
            conn.executemany(
                "INSERT INTO deleted_records (partition_id, kind, id, deleted_ms) "
                "VALUES (?, 'contact', ?, ?) ON CONFLICT (partition_id, kind, id) "
                "DO UPDATE SET deleted_ms = excluded.deleted_ms",
                [(pid, cid, now) for pid, cid in params],
            )
            conn.execute(
                "DELETE FROM deleted_records WHERE partition_id = ? AND deleted_ms < ?",
                (self._pid, now - DELETED_MEMORY_MS),
            )
            return max(cur.rowcount, 0)

    def _without_deleted(
        self, conn: sqlite3.Connection, pairs: list[tuple[tuple[Any, ...], tuple[Any, ...]]]
    ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        """Drop documents of contacts deleted here after their last update; a document
        updated since (restored on the server) is kept and the memory forgotten."""
        ids = [row[1] for row, _ in pairs]
        deleted: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            for cid, deleted_ms in conn.execute(
                "SELECT id, deleted_ms FROM deleted_records WHERE partition_id = ? "
                f"AND kind = 'contact' AND id IN ({marks})",
                [self._pid, *batch],
            ):
                deleted[cid] = deleted_ms
        if not deleted:
            return pairs
        kept, restored = [], []
        for row, doc_params in pairs:
            deleted_ms = deleted.get(row[1])
            updated_ms = row[_UPDATED_MS_COLUMN]
            if deleted_ms is None:
                kept.append((row, doc_params))
            elif updated_ms is not None and updated_ms > deleted_ms:
                kept.append((row, doc_params))
                restored.append((self._pid, row[1]))
        conn.executemany(
            "DELETE FROM deleted_records WHERE partition_id = ? AND kind = 'contact' AND id = ?",
            restored,
        )
        return kept

    def all_ids(self) -> set[str]:
        """Every contact id cached in this partition."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id FROM contacts WHERE partition_id = ?", (self._pid,)
            ).fetchall()
        return {r[0] for r in rows}

    def ids_and_updated(self) -> dict[str, str | None]:
        """Every cached contact id with its wire ``updatedAt`` (for reconciliation)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT c.id, json_extract(d.doc, '$.updatedAt') FROM contacts c "
                "JOIN contact_docs d ON d.rid = c.rid WHERE c.partition_id = ?",
                (self._pid,),
            ).fetchall()
        return {r[0]: (None if r[1] is None else str(r[1])) for r in rows}

    def _filter_sql(self, filters: ContactFilters | None) -> tuple[str, list[Any], bool]:
        """WHERE clause of the filters; the flag tells whether any filter is set."""
        clauses = ["c.partition_id = ?"]
        params: list[Any] = [self._pid]
        f = filters or ContactFilters()
        if f.lifecycle_stage is not None:
            clauses.append("c.stage_rank = ? AND c.lifecycle_stage = ?")
            params += [_stage_rank(f.lifecycle_stage), f.lifecycle_stage]
        for tag in dict.fromkeys(t.strip() for t in f.tags):
            if not tag:
                continue
            clauses.append(
                "c.rid IN (SELECT contact_rid FROM contact_tags WHERE partition_id = ? AND tag = ?)"
            )
            params += [self._pid, tag]
        if f.source is not None:
            clauses.append("c.source = ?")
            params.append(f.source)
        if f.unassigned:
            clauses.append("c.assigned_to IS NULL")
        elif f.assigned_to is not None:
            clauses.append("c.assigned_to = ?")
            params.append(f.assigned_to)
        if f.has_phone is True:
            clauses.append("c.phone_key IS NOT NULL")
        elif f.has_phone is False:
            clauses.append("c.phone_key IS NULL")
        return " AND ".join(clauses), params, len(clauses) > 1

    def search(
        self,
        text: str | None = None,
        filters: ContactFilters | None = None,
        sort_key: str = "name",
        descending: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[JSONDict]:
        """One page of contacts matching ``text`` and ``filters``, sorted by ``sort_key``.

        ``text`` is what the user typed: every term must match the start of a
        word in a name, email, company, phone number (any trailing run of
        digits too) or tag; it is never interpreted as FTS5 syntax. Empty
        text (or text with nothing searchable) does not filter. ``sort_key``
        is one of ``SORT_KEYS``.
        """
        try:
            column = SORT_KEYS[sort_key]
        except KeyError:
            raise ValueError(
                f"unknown sort key {sort_key!r}; expected one of {sorted(SORT_KEYS)}"
            ) from None
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        where, params, _ = self._filter_sql(filters)
        direction = "DESC" if descending else "ASC"
        order = f"ORDER BY c.{column} {direction} NULLS LAST, c.id {direction}"
        expression = scoped_match(text, self._pid, _FTS_COLUMNS)
        with self._db.read() as conn:
            if expression is None:
                sql = f"SELECT c.rid FROM contacts c WHERE {where} {order} LIMIT ? OFFSET ?"
                args = [*params, limit, offset]
            else:
                matches = self._matches(conn, expression)
                if matches == 0:
                    return []
                if matches * _DENSE_MATCH_FRACTION > self._size(conn):
                    sql = (
                        f"SELECT c.rid FROM contacts c WHERE {where} AND c.rid IN "
                        "(SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?) "
                        f"{order} LIMIT ? OFFSET ?"
                    )
                    args = [*params, expression, limit, offset]
                else:
                    sql = (
                        "SELECT c.rid FROM contacts_fts f CROSS JOIN contacts c ON c.rid = f.rowid "
                        f"WHERE f.contacts_fts MATCH ? AND {where} {order} LIMIT ? OFFSET ?"
                    )
                    args = [expression, *params, limit, offset]
            rids = [r[0] for r in conn.execute(sql, args).fetchall()]
            return _docs(conn, rids)

    def count(self, text: str | None = None, filters: ContactFilters | None = None) -> int:
        """How many contacts ``search`` would return in total for ``text`` and ``filters``."""
        where, params, filtered = self._filter_sql(filters)
        expression = scoped_match(text, self._pid, _FTS_COLUMNS)
        tags = [t for t in dict.fromkeys(t.strip() for t in (filters.tags if filters else ())) if t]
        with self._db.read() as conn:
            if expression is None and filters is not None and tags:
                # Start from the rows of one tag instead of testing every contact.
                rest, rest_params, _ = self._filter_sql(replace(filters, tags=tuple(tags[1:])))
                row = conn.execute(
                    "SELECT count(*) FROM contact_tags t CROSS JOIN contacts c "
                    f"ON c.rid = t.contact_rid WHERE t.partition_id = ? AND t.tag = ? AND {rest}",
                    [self._pid, tags[0], *rest_params],
                ).fetchone()
            elif expression is None:
                row = conn.execute(
                    f"SELECT count(*) FROM contacts c WHERE {where}", params
                ).fetchone()
            elif not filtered:
                # The expression is scoped to the partition: the index alone counts.
                return self._matches(conn, expression)
            else:
                row = conn.execute(
                    "SELECT count(*) FROM contacts_fts f CROSS JOIN contacts c ON c.rid = f.rowid "
                    f"WHERE f.contacts_fts MATCH ? AND {where}",
                    [expression, *params],
                ).fetchone()
        return int(row[0])

    def known_tags(self) -> list[str]:
        """Distinct tags in use (case-insensitively distinct), sorted, for the tag picker."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT tag FROM contact_tags WHERE partition_id = ? GROUP BY tag ORDER BY tag",
                (self._pid,),
            ).fetchall()
        return [r[0] for r in rows]

    def known_sources(self) -> list[str]:
        """Distinct lead sources in use, sorted."""
        return self._distinct("source")

    def known_assignees(self) -> list[str]:
        """Distinct assigned team member ids in use, sorted."""
        return self._distinct("assigned_to")

    def _distinct(self, column: str) -> list[str]:
        # ``column`` is one of two literals above, never user input.
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT {column} FROM contacts "
                f"WHERE partition_id = ? AND {column} IS NOT NULL ORDER BY {column}",
                (self._pid,),
            ).fetchall()
        return [r[0] for r in rows]


class CustomFieldRepository(PartitionRepository):
    """Custom field definitions (``GET /contacts/fields``) of one partition."""

    def replace_fields(self, defs: Iterable[JSONDict]) -> None:
        """Replace every stored definition with ``defs`` (their order is kept)."""
        rows: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for position, definition in enumerate(defs):
            name = definition.get("name")
            if not isinstance(name, str) or not name:
                raise ValueError(f"custom field definition without a name: {definition!r:.200}")
            if name in seen:
                continue
            seen.add(name)
            rows.append((self._pid, name, position, dumps(definition)))
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM custom_fields WHERE partition_id = ?", (self._pid,))
            conn.executemany(
                "INSERT INTO custom_fields (partition_id, name, position, doc) VALUES (?, ?, ?, ?)",
                rows,
            )

    def fields(self) -> list[JSONDict]:
        """The stored definitions in the server's order."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT doc FROM custom_fields WHERE partition_id = ? ORDER BY position",
                (self._pid,),
            ).fetchall()
        return [loads_dict(r[0]) for r in rows]

    def field(self, name: str) -> JSONDict | None:
        """One definition by its field key, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT doc FROM custom_fields WHERE partition_id = ? AND name = ?",
                (self._pid, name),
            ).fetchone()
        return None if row is None else loads_dict(row[0])
