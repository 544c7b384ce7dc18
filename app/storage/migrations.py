"""The schema, as an ordered list of migration scripts.

``MIGRATIONS[n - 1]`` takes the database from ``PRAGMA user_version`` ``n - 1``
to ``n``. Scripts are applied in order, each inside its own transaction
together with the ``user_version`` bump, so a failing script leaves the file
at its previous version. Never edit a script that has shipped: append a new
one. Scripts must not contain BEGIN/COMMIT themselves.

Conventions:

* Every CRM table carries ``partition_id`` (a row of ``partitions``: one
  deployment URL + sub-account) with ``ON DELETE CASCADE``, and its natural
  key is ``(partition_id, id)``. Tables indexed by FTS5 (contacts,
  conversations, messages) additionally have an ``rid INTEGER PRIMARY KEY``:
  an external-content FTS5 table needs a stable integer rowid (VACUUM may
  renumber implicit rowids), so there ``(partition_id, id)`` is a UNIQUE
  constraint, which is the upsert target.
* The full wire document is kept in ``doc`` (JSON; for contacts in
  ``contact_docs``); the other columns are derived from it for filtering,
  sorting and search.
* Each FTS5 table has a ``fts_part`` column holding the token ``p<partition
  id>``; queries AND it with the user's terms (see ``fts.scoped_match``), so
  a search and its count never leave the partition, inside the index itself.
* Timestamps are epoch milliseconds (``*_ms`` columns).
"""

from __future__ import annotations

_V1_PARTITIONS_CONTACTS = """
CREATE TABLE partitions (
    id INTEGER PRIMARY KEY,
    deployment TEXT NOT NULL,
    sub_account_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (deployment, sub_account_id)
);

CREATE TABLE sync_state (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (partition_id, key)
) WITHOUT ROWID;

CREATE TABLE contacts (
    rid INTEGER PRIMARY KEY,
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name_key TEXT,
    email_key TEXT,
    company_key TEXT,
    phone_key TEXT,
    lifecycle_stage TEXT,
    stage_rank INTEGER,
    source TEXT,
    assigned_to TEXT,
    score REAL,
    created_ms INTEGER,
    updated_ms INTEGER,
    tags_json TEXT NOT NULL DEFAULT '[]',
    fts_name TEXT,
    fts_email TEXT,
    fts_company TEXT,
    fts_phone TEXT,
    fts_tags TEXT,
    doc_hash INTEGER NOT NULL,
    fts_part TEXT GENERATED ALWAYS AS ('p' || partition_id) VIRTUAL,
    UNIQUE (partition_id, id)
);
-- The documents live apart from the keys: a search looks up thousands of
-- contacts rows by rowid to filter and sort them, and rows without the
-- document are a third of the size (twice as fast at 100,000 contacts).
CREATE TABLE contact_docs (
    rid INTEGER PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TRIGGER contacts_docs_ad AFTER DELETE ON contacts BEGIN
    DELETE FROM contact_docs WHERE rid = old.rid;
END;
CREATE INDEX contacts_by_name ON contacts (partition_id, name_key, id);
CREATE INDEX contacts_by_email ON contacts (partition_id, email_key, id);
CREATE INDEX contacts_by_company ON contacts (partition_id, company_key, id);
CREATE INDEX contacts_by_phone ON contacts (partition_id, phone_key, id);
CREATE INDEX contacts_by_stage ON contacts (partition_id, stage_rank, id);
CREATE INDEX contacts_by_source ON contacts (partition_id, source, id);
CREATE INDEX contacts_by_assignee ON contacts (partition_id, assigned_to, id);
CREATE INDEX contacts_by_updated ON contacts (partition_id, updated_ms, id);
CREATE INDEX contacts_by_created ON contacts (partition_id, created_ms, id);
CREATE INDEX contacts_by_score ON contacts (partition_id, score, id);

-- Maintained by the triggers below only (no foreign keys: checking two parents
-- per tag row doubled the cost of a bulk upsert).
CREATE TABLE contact_tags (
    partition_id INTEGER NOT NULL,
    tag TEXT NOT NULL COLLATE NOCASE,
    contact_rid INTEGER NOT NULL,
    PRIMARY KEY (partition_id, tag, contact_rid)
) WITHOUT ROWID;
CREATE INDEX contact_tags_by_contact ON contact_tags (contact_rid);

CREATE TRIGGER contacts_tags_ai AFTER INSERT ON contacts BEGIN
    INSERT OR IGNORE INTO contact_tags (partition_id, tag, contact_rid)
        SELECT new.partition_id, value, new.rid FROM json_each(new.tags_json)
        WHERE type = 'text' AND trim(value) <> '';
END;
CREATE TRIGGER contacts_tags_au AFTER UPDATE OF tags_json ON contacts
WHEN old.tags_json IS NOT new.tags_json BEGIN
    DELETE FROM contact_tags WHERE contact_rid = old.rid;
    INSERT OR IGNORE INTO contact_tags (partition_id, tag, contact_rid)
        SELECT new.partition_id, value, new.rid FROM json_each(new.tags_json)
        WHERE type = 'text' AND trim(value) <> '';
END;
CREATE TRIGGER contacts_tags_ad AFTER DELETE ON contacts BEGIN
    DELETE FROM contact_tags WHERE contact_rid = old.rid;
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    fts_name, fts_email, fts_company, fts_phone, fts_tags, fts_part,
    content = 'contacts', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2'
);
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, fts_name, fts_email, fts_company, fts_phone, fts_tags,
                              fts_part)
    VALUES (new.rid, new.fts_name, new.fts_email, new.fts_company, new.fts_phone, new.fts_tags,
            'p' || new.partition_id);
END;
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, fts_name, fts_email, fts_company, fts_phone,
                              fts_tags, fts_part)
    VALUES ('delete', old.rid, old.fts_name, old.fts_email, old.fts_company, old.fts_phone,
            old.fts_tags, 'p' || old.partition_id);
END;
CREATE TRIGGER contacts_fts_au AFTER UPDATE ON contacts
WHEN old.fts_name IS NOT new.fts_name OR old.fts_email IS NOT new.fts_email
  OR old.fts_company IS NOT new.fts_company OR old.fts_phone IS NOT new.fts_phone
  OR old.fts_tags IS NOT new.fts_tags BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, fts_name, fts_email, fts_company, fts_phone,
                              fts_tags, fts_part)
    VALUES ('delete', old.rid, old.fts_name, old.fts_email, old.fts_company, old.fts_phone,
            old.fts_tags, 'p' || old.partition_id);
    INSERT INTO contacts_fts (rowid, fts_name, fts_email, fts_company, fts_phone, fts_tags,
                              fts_part)
    VALUES (new.rid, new.fts_name, new.fts_email, new.fts_company, new.fts_phone, new.fts_tags,
            'p' || new.partition_id);
END;

CREATE TABLE custom_fields (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (partition_id, name)
) WITHOUT ROWID;
"""

_V2_INBOX = """
CREATE TABLE conversations (
    rid INTEGER PRIMARY KEY,
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    contact_id TEXT,
    channel TEXT,
    status TEXT,
    assigned_to TEXT,
    unread_count INTEGER NOT NULL DEFAULT 0,
    is_archived INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER,
    activity_ms INTEGER NOT NULL DEFAULT 0,
    fts_name TEXT,
    fts_email TEXT,
    fts_phone TEXT,
    fts_subject TEXT,
    doc TEXT NOT NULL,
    fts_part TEXT GENERATED ALWAYS AS ('p' || partition_id) VIRTUAL,
    UNIQUE (partition_id, id)
);
CREATE INDEX conversations_by_activity ON conversations (partition_id, activity_ms, id);
CREATE INDEX conversations_by_assignee ON conversations (partition_id, assigned_to, activity_ms);
CREATE INDEX conversations_by_contact ON conversations (partition_id, contact_id);

CREATE VIRTUAL TABLE conversations_fts USING fts5 (
    fts_name, fts_email, fts_phone, fts_subject, fts_part,
    content = 'conversations', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2'
);
CREATE TRIGGER conversations_fts_ai AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, fts_name, fts_email, fts_phone, fts_subject, fts_part)
    VALUES (new.rid, new.fts_name, new.fts_email, new.fts_phone, new.fts_subject,
            'p' || new.partition_id);
END;
CREATE TRIGGER conversations_fts_ad AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, fts_name, fts_email, fts_phone,
                                   fts_subject, fts_part)
    VALUES ('delete', old.rid, old.fts_name, old.fts_email, old.fts_phone, old.fts_subject,
            'p' || old.partition_id);
END;
CREATE TRIGGER conversations_fts_au AFTER UPDATE ON conversations
WHEN old.fts_name IS NOT new.fts_name OR old.fts_email IS NOT new.fts_email
  OR old.fts_phone IS NOT new.fts_phone OR old.fts_subject IS NOT new.fts_subject BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, fts_name, fts_email, fts_phone,
                                   fts_subject, fts_part)
    VALUES ('delete', old.rid, old.fts_name, old.fts_email, old.fts_phone, old.fts_subject,
            'p' || old.partition_id);
    INSERT INTO conversations_fts (rowid, fts_name, fts_email, fts_phone, fts_subject, fts_part)
    VALUES (new.rid, new.fts_name, new.fts_email, new.fts_phone, new.fts_subject,
            'p' || new.partition_id);
END;

CREATE TABLE messages (
    rid INTEGER PRIMARY KEY,
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    fts_body TEXT,
    fts_subject TEXT,
    doc TEXT NOT NULL,
    fts_part TEXT GENERATED ALWAYS AS ('p' || partition_id) VIRTUAL,
    UNIQUE (partition_id, id)
);
CREATE INDEX messages_by_conversation ON messages (partition_id, conversation_id, created_ms, id);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    fts_body, fts_subject, fts_part,
    content = 'messages', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2'
);
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, fts_body, fts_subject, fts_part)
    VALUES (new.rid, new.fts_body, new.fts_subject, 'p' || new.partition_id);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, fts_body, fts_subject, fts_part)
    VALUES ('delete', old.rid, old.fts_body, old.fts_subject, 'p' || old.partition_id);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE ON messages
WHEN old.fts_body IS NOT new.fts_body OR old.fts_subject IS NOT new.fts_subject BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, fts_body, fts_subject, fts_part)
    VALUES ('delete', old.rid, old.fts_body, old.fts_subject, 'p' || old.partition_id);
    INSERT INTO messages_fts (rowid, fts_body, fts_subject, fts_part)
    VALUES (new.rid, new.fts_body, new.fts_subject, 'p' || new.partition_id);
END;

CREATE TABLE drafts (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (partition_id, conversation_id)
) WITHOUT ROWID;

CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'unknown', 'sent', 'delivered',
                                         'read', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX outbox_by_state ON outbox (partition_id, state, created_ms, seq);
CREATE INDEX outbox_by_conversation ON outbox (partition_id, conversation_id, created_ms, seq);
"""

_V3_CALENDARS_WEBHOOKS = """
CREATE TABLE calendars (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name_key TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (partition_id, id)
) WITHOUT ROWID;

CREATE TABLE appointment_types (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    calendar_id TEXT,
    name_key TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (partition_id, id)
) WITHOUT ROWID;
CREATE INDEX appointment_types_by_calendar ON appointment_types (partition_id, calendar_id);

CREATE TABLE appointments (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    calendar_id TEXT,
    contact_id TEXT,
    status TEXT,
    start_ms INTEGER,
    end_ms INTEGER,
    doc TEXT NOT NULL,
    PRIMARY KEY (partition_id, id)
) WITHOUT ROWID;
CREATE INDEX appointments_by_start ON appointments (partition_id, start_ms, end_ms);
CREATE INDEX appointments_by_contact ON appointments (partition_id, contact_id);

CREATE TABLE webhooks (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    created_ms INTEGER,
    doc TEXT NOT NULL,
    PRIMARY KEY (partition_id, id)
) WITHOUT ROWID;
"""

_V4_RESEARCH = """
CREATE TABLE research_records (
    account_key_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'company')),
    search_result_id TEXT NOT NULL,
    request_id TEXT,
    status TEXT NOT NULL,
    record TEXT,
    credits INTEGER NOT NULL DEFAULT 0,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (account_key_id, kind, search_result_id)
) WITHOUT ROWID;
CREATE INDEX research_records_by_time ON research_records (account_key_id, kind, at_ms);

CREATE TABLE research_spend (
    seq INTEGER PRIMARY KEY,
    account_key_id TEXT NOT NULL,
    action TEXT NOT NULL,
    estimate INTEGER NOT NULL,
    actual INTEGER,
    at_ms INTEGER NOT NULL
);
CREATE INDEX research_spend_by_time ON research_spend (account_key_id, at_ms);
"""

_V5_DELETED_RECORDS = """
-- Records this cache deleted, and when: a page fetched before the deletion but stored
-- after it must not bring the record back (it would stay until the next full walk).
CREATE TABLE deleted_records (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    deleted_ms INTEGER NOT NULL,
    PRIMARY KEY (partition_id, kind, id)
);
"""

_V6_RESEARCH_JOBS = """
-- The Seamless research queue: jobs of up to 100 records, written before they are sent,
-- so a restart resumes polling with the stored request ids; a job left 'sending' becomes
-- 'unknown' (research spends credits: never resent without the user's decision).
-- Keyed by the key owner like research_records, not by a CRM partition.
CREATE TABLE research_jobs (
    id INTEGER PRIMARY KEY,
    account_key_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'company')),
    state TEXT NOT NULL CHECK (state IN
        ('queued', 'sending', 'unknown', 'polling', 'done', 'failed', 'cancelled')),
    estimate INTEGER NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    spend_seq INTEGER,
    balance_before INTEGER,
    error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    submitted_ms INTEGER,
    finished_ms INTEGER
);
CREATE INDEX research_jobs_by_state ON research_jobs (account_key_id, state, id);

CREATE TABLE research_job_items (
    job_id INTEGER NOT NULL REFERENCES research_jobs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    search_result_id TEXT,
    identity TEXT,
    request_id TEXT,
    status TEXT NOT NULL,
    message TEXT,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (job_id, position)
) WITHOUT ROWID;
CREATE INDEX research_job_items_by_request ON research_job_items (request_id)
    WHERE request_id IS NOT NULL;
"""

_V7_WEBHOOK_BENCH_WORKFLOWS = """
-- What the Webhooks tab did itself, per sub-account (the API keeps no delivery log the
-- app could read): test deliveries it sent, deliveries its local receiver got, and the
-- workflow slugs the user keeps with the triggers sent to them. Bodies are capped and
-- stored without secrets; signing secrets live in the system keyring only.
CREATE TABLE webhook_test_deliveries (
    seq INTEGER PRIMARY KEY,
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    webhook_id TEXT,
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    body TEXT NOT NULL,
    body_truncated INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER,
    response_headers TEXT NOT NULL DEFAULT '{}',
    response_body TEXT,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    sent_ms INTEGER NOT NULL
);
CREATE INDEX webhook_test_deliveries_by_partition ON webhook_test_deliveries (partition_id, seq);

CREATE TABLE webhook_received (
    seq INTEGER PRIMARY KEY,
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    delivery_id TEXT,
    event TEXT,
    webhook_id TEXT,
    result TEXT NOT NULL,
    message TEXT NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    body_size INTEGER NOT NULL,
    body_truncated INTEGER NOT NULL DEFAULT 0,
    received_ms INTEGER NOT NULL
);
CREATE INDEX webhook_received_by_partition ON webhook_received (partition_id, seq);
CREATE INDEX webhook_received_by_delivery ON webhook_received (partition_id, delivery_id);

CREATE TABLE workflow_slugs (
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    has_secret INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (partition_id, slug)
) WITHOUT ROWID;

CREATE TABLE workflow_runs (
    seq INTEGER PRIMARY KEY,
    partition_id INTEGER NOT NULL REFERENCES partitions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('trigger', 'event')),
    slug TEXT NOT NULL,
    contact_id TEXT,
    contact_label TEXT,
    body TEXT NOT NULL,
    signed INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'unknown')),
    status INTEGER,
    count INTEGER,
    message TEXT NOT NULL,
    ran_ms INTEGER NOT NULL
);
CREATE INDEX workflow_runs_by_partition ON workflow_runs (partition_id, seq);
"""

MIGRATIONS: tuple[str, ...] = (
    _V1_PARTITIONS_CONTACTS,
    _V2_INBOX,
    _V3_CALENDARS_WEBHOOKS,
    _V4_RESEARCH,
    _V5_DELETED_RECORDS,
    _V6_RESEARCH_JOBS,
    _V7_WEBHOOK_BENCH_WORKFLOWS,
)
"""Schema scripts; index + 1 is the ``user_version`` each one produces."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The ``user_version`` of a fully migrated database."""
