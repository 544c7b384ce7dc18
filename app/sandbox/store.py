"""The sandbox's own SQLite store.

One connection, used only from the server's event-loop thread. Request handlers
run synchronously inside ``transaction()`` with no ``await`` in between, so each
request is atomic: a failed request rolls back and changes nothing.

Each area lists its tables when it registers with a server; the store creates
them on open (``CREATE ... IF NOT EXISTS``), so restarting on the same data
directory keeps everything. The store also carries its server's ``Clock`` and
``Hooks``, because every domain function already receives the store.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.sandbox.clock import Clock
from app.sandbox.hooks import Hooks

_CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agencies (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sub_accounts (
    id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, name TEXT NOT NULL,
    timezone TEXT NOT NULL, position INTEGER NOT NULL, created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sub_account', 'agency')),
    agency_id TEXT NOT NULL,
    sub_account_id TEXT,
    scopes TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    expires_ms INTEGER
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, sub_account_id TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sub_account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_account ON events (sub_account_id, seq);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    due_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_ms);
"""


class UnstorableValue(ValueError):
    """A value SQLite cannot bind: an integer past 64 bits or text with lone surrogates.

    Request decoding refuses both, so this only guards what a handler computes from valid
    input (a sum past 64 bits); the server answers it as a 400, never a 500.
    """


def new_id(prefix: str) -> str:
    """A fresh opaque id such as ``contact_3f9a0c...``."""
    return f"{prefix}_{secrets.token_hex(8)}"


class Store:
    """A thin wrapper over one SQLite connection with an explicit transaction scope."""

    def __init__(
        self,
        path: Path | str,
        *,
        schema: Sequence[str] = (),
        clock: Clock | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self.path = str(path)
        self.clock = clock or Clock()
        self.hooks = hooks or Hooks()
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_CORE_SCHEMA)
        for ddl in schema:
            self.db.executescript(ddl)
        self._depth = 0

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run a block atomically; nested use joins the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        else:
            self._depth = 0
            self.db.execute("COMMIT")

    # -- queries -----------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except (OverflowError, UnicodeEncodeError) as exc:
            raise UnstorableValue(str(exc)) from exc

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self._execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self._execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self._execute(sql, params).fetchone()
        return None if row is None else row[0]

    def run(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Execute a write; returns the number of rows changed."""
        return self._execute(sql, params).rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.db.executemany(sql, rows)
        except (OverflowError, UnicodeEncodeError) as exc:
            raise UnstorableValue(str(exc)) from exc

    # -- key/value meta ----------------------------------------------------
    def meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str) -> None:
        self.run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def secret(self) -> bytes:
        """The per-store secret that signs cursors (created on first use)."""
        value = self.meta("cursor_secret")
        if value is None:
            value = secrets.token_hex(32)
            with self.transaction():
                self.set_meta("cursor_secret", value)
        return bytes.fromhex(value)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes | None) -> Any:
    return None if text is None else json.loads(text)


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without its internal keys (those starting with ``_``)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}
