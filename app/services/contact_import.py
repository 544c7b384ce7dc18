"""CSV import into one sub-account and CSV export of the cached contacts.

Import: ``ContactImporter.plan`` decides every row against the local cache
(``app.core.contact_csv.plan_import``); ``ContactImporter.run`` then writes
the rows one by one through ``ContactService`` (the same validation, cache
update and change events as the contact form):

- A row whose contact the cache knows (by Seedly ID, else by exact email) is
  an update of only the fields that change; nothing to change costs no request.
- A row the cache does not know is a create. The cache can be behind the
  server, so a create the server refuses (a duplicate email is a
  ``VALIDATION_ERROR``) is followed by an exact-email lookup: when the contact
  exists, the row becomes an update of it. Importing the same file twice
  therefore never duplicates anybody.
- Cancelling stops between rows: what was written stays written and is in the
  report, the rest is reported as not imported.
- Failures that would fail every following row too (the key stopped working,
  no connection, rate limit retries exhausted, repeated server errors) stop
  the import with the reason; other failures fail only their row.

Rate limits are the transport's business (pacing from ``X-RateLimit-*`` and
``Retry-After``): nothing here sleeps.

Export: ``export_contacts`` streams the contacts matching the Contacts tab's
search, filters and sort from the cache into a CSV file, written to a
temporary file next to the target and moved into place only when complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.contact_csv import (
    MAX_IMPORT_BYTES,
    WRITES_PER_MINUTE,
    CsvFileError,
    CsvTable,
    ImportPlan,
    ImportReport,
    MappingSuggestion,
    PlannedRow,
    RowAction,
    RowData,
    RowOutcome,
    RowStatus,
    WRITTEN,
    SkipReason,
    decide_row,
    export_csv_chunks,
    parse_csv,
    plan_import,
    report_csv,
    suggest_for_table,
    valid_as_update,
)
from app.core.import_values import DateOrder
from app.core.errors import (
    ApiError,
    Forbidden,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from app.core.models import Contact, CustomFieldDefinition, parse
from app.services.bus import ContactsChanged, EventBus, ScopeKey
from app.services.contacts import ContactService
from app.storage import ContactFilters, Partition, StorageError

log = logging.getLogger(__name__)

_MB = 1024 * 1024
SERVER_ERRORS_BEFORE_STOP = 3
"""Consecutive server errors after which the import stops instead of failing every row."""
EXPORT_PAGE = 2000
"""Contacts read from the cache per query while exporting."""


# -- files --------------------------------------------------------------------------------


def read_import_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_IMPORT_BYTES) -> bytes:
    """The bytes of a file to import, or ``CsvFileError`` saying why it cannot be read.

    Files over ``max_bytes`` are refused before anything is read."""
    file = Path(path)
    name = file.name or str(file)
    try:
        if file.is_dir():
            raise CsvFileError(f"“{name}” is a folder, not a file. Choose a CSV file.")
        size = file.stat().st_size
        if size > max_bytes:
            raise CsvFileError(_too_big(name, size, max_bytes))
        with file.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise CsvFileError(f"“{name}” does not exist (any more). Choose the file again.") from None
    except PermissionError:
        raise CsvFileError(
            f"This app is not allowed to read “{name}”. Check the file's permissions, or copy "
            "it to your Documents folder and choose the copy."
        ) from None
    except OSError as exc:
        raise CsvFileError(f"“{name}” could not be read: {exc.strerror or exc}.") from None
    if len(data) > max_bytes:  # it grew while we looked
        raise CsvFileError(_too_big(name, len(data), max_bytes))
    return data


def _too_big(name: str, size: int, limit: int) -> str:
    return (
        f"“{name}” is {size / _MB:,.0f} MB; the import reads files up to {limit / _MB:,.0f} MB. "
        f"Split it into smaller files (at {WRITES_PER_MINUTE} writes a minute, a file this size "
        "would take days to import)."
    )


def load_import_file(
    path: str | os.PathLike[str], *, encoding: str | None = None, delimiter: str | None = None
) -> CsvTable:
    """Read and parse a CSV file to import (``CsvFileError`` when it cannot be)."""
    return parse_csv(read_import_file(path), encoding=encoding, delimiter=delimiter)


class ExportFailed(Exception):
    """An export or report could not be written; ``str(exc)`` is a sentence for the user."""


def write_text_atomically(
    path: str | os.PathLike[str], chunks: Iterable[str], *, encoding: str = "utf-8"
) -> None:
    """Write ``chunks`` to ``path`` so that it is either complete or untouched.

    The text goes to a temporary file in the same folder, is flushed to disk,
    and replaces ``path`` in one rename; on any failure the temporary file is
    removed and an existing file at ``path`` is left as it was. An existing
    file's permissions are kept; a new file is readable only by its owner (it
    holds personal data). Raises ``OSError``."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                shutil.copymode(target, temp_name)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a folder like this.
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_failure(path: str | os.PathLike[str], exc: OSError) -> ExportFailed:
    name = Path(path).name
    reason = exc.strerror or str(exc)
    if isinstance(exc, PermissionError):
        hint = "Choose a folder you can write to, or close the file if another program has it open."
    elif getattr(exc, "errno", None) == 28:  # ENOSPC
        hint = "The disk is full; free some space or choose another disk."
    else:
        hint = "Choose another folder or file name."
    return ExportFailed(f"Could not write “{name}”: {reason}. Nothing was saved. {hint}")


def _definitions(partition: Partition) -> list[CustomFieldDefinition]:
    out: list[CustomFieldDefinition] = []
    for doc in partition.custom_fields.fields():
        try:
            out.append(parse(CustomFieldDefinition, doc))
        except InvalidResponse:
            log.warning("skipping an unreadable cached custom field definition: %.200r", doc)
    return out


# -- export -------------------------------------------------------------------------------

ContactSort = str | tuple[str, bool]
"""A sort key of ``ContactRepository.search`` (ascending), or ``(key, descending)``."""


def export_contacts(
    partition: Partition,
    query_text: str | None,
    filters: ContactFilters | None,
    sort: ContactSort,
    path: str | os.PathLike[str],
    *,
    page_size: int = EXPORT_PAGE,
) -> int:
    """Write the cached contacts matching ``query_text`` and ``filters``, in ``sort``
    order, to the CSV file ``path`` (UTF-8 with BOM so spreadsheets show accents
    right); returns how many were written.

    Rows are read a page at a time and streamed to disk, so memory stays flat
    for any number of contacts. Blocking: run it in a worker thread. Raises
    ``ExportFailed`` with a sentence for the user; the file at ``path`` is then
    untouched."""
    sort_key, descending = (sort, False) if isinstance(sort, str) else sort
    definitions = _definitions(partition)
    written = 0

    def docs() -> Iterator[dict[str, Any]]:
        nonlocal written
        # A sync may move rows between pages while we read: never write one twice.
        seen: set[str] = set()
        offset = 0
        while True:
            page = partition.contacts.search(
                query_text,
                filters,
                sort_key=sort_key,
                descending=descending,
                limit=page_size,
                offset=offset,
            )
            for doc in page:
                contact_id = str(doc.get("id"))
                if contact_id in seen:
                    continue
                seen.add(contact_id)
                written += 1
                yield doc
            if len(page) < page_size:
                return
            offset += len(page)

    try:
        write_text_atomically(path, export_csv_chunks(docs(), definitions), encoding="utf-8-sig")
    except OSError as exc:
        raise _write_failure(path, exc) from exc
    except StorageError as exc:
        raise ExportFailed(
            f"Could not read the contacts from the local cache ({exc}). Nothing was saved; "
            "try again, or restart the app if it keeps happening."
        ) from exc
    return written


def save_report(report: ImportReport, path: str | os.PathLike[str]) -> None:
    """Write an import report as CSV (atomically); ``ExportFailed`` when it cannot be."""
    try:
        write_text_atomically(path, [report_csv(report)], encoding="utf-8-sig")
    except OSError as exc:
        raise _write_failure(path, exc) from exc


# -- import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProgress:
    """Where a running import is: ``done`` of ``total`` rows, and the last row's result."""

    done: int
    total: int
    outcome: RowOutcome


class _Stop(Exception):
    """Every following row would fail the same way: stop the import."""

    def __init__(self, outcome: RowOutcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def _server_reason(exc: ApiError) -> str:
    if isinstance(exc, ValidationFailed) and exc.message:
        text = exc.message.strip()
        return text if text.endswith((".", "!", "?")) else text + "."
    return exc.user_message


class ContactImporter:
    """Runs an import plan against one sub-account (its cache partition and client view).

    ``report`` is filled while ``run`` works, so it is readable even when the
    task running it was cancelled."""

    def __init__(
        self,
        partition: Partition,
        client: Any,
        bus: EventBus,
        scope: ScopeKey,
        *,
        default_region: str = "US",
        service: ContactService | None = None,
    ) -> None:
        self.partition = partition
        self.client = client
        self.bus = bus
        self.scope = scope
        self.service = service or ContactService(
            partition, client, bus, scope, default_region=default_region
        )
        self.default_region = default_region
        """Region of phone numbers written without a country code ("US") in rows that
        name no country, for planning; the plan's rows carry normalised numbers, so the
        service's own default does not matter for what is sent."""
        self.date_order: DateOrder | None = None
        """How dates like 03/04/1970 are read; None: as the file shows, else its locale."""
        self.report: ImportReport | None = None
        self._cancel = False
        self._running = False
        self._server_errors = 0  # consecutive, within the current run

    @property
    def running(self) -> bool:
        """Whether ``run`` is in progress."""
        return self._running

    @property
    def cancel_requested(self) -> bool:
        """Whether ``cancel`` was called during the current run."""
        return self._cancel

    def field_definitions(self) -> list[CustomFieldDefinition]:
        """The sub-account's custom field definitions, from the cache."""
        return _definitions(self.partition)

    def cached_by_email(self, email: str) -> dict[str, Any] | None:
        """The cached contact with exactly this email (case-insensitive), if any."""
        docs = self.partition.contacts.by_email(email)
        return docs[0] if docs else None

    def cached_by_id(self, contact_id: str) -> dict[str, Any] | None:
        """The cached contact with this Seedly ID, if any."""
        return self.partition.contacts.get(contact_id)

    def team_members(self) -> dict[str, str]:
        """Team members this app knows for the sub-account (id → name, "" when only the id
        is known): the assignees of cached contacts. The API lists no team, so owner
        names in a file match only ids seen here."""
        return {member: "" for member in self.partition.contacts.known_assignees()}

    def suggest(self, table: CsvTable) -> MappingSuggestion:
        """The suggested mapping of ``table`` for this sub-account (custom fields, team)."""
        return suggest_for_table(table, self.field_definitions(), team=self.team_members())

    def plan(
        self,
        table: CsvTable,
        mapping: Sequence[str | None],
        *,
        progress: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> ImportPlan:
        """Decide every row against the cache. Blocking (SQLite reads, validation of every
        row): run it in a worker thread for big files."""
        return plan_import(
            table,
            mapping,
            self.field_definitions(),
            default_region=self.default_region,
            date_order=self.date_order,
            team=self.team_members(),
            find_by_email=self.cached_by_email,
            find_by_id=self.cached_by_id,
            progress=progress,
            should_stop=should_stop,
        )

    def cancel(self) -> None:
        """Stop after the row being written (already written rows stay written)."""
        self._cancel = True

    async def run(
        self, plan: ImportPlan, *, progress: Callable[[ImportProgress], None] | None = None
    ) -> ImportReport:
        """Write the plan's rows in order and return the report.

        ``progress`` is called after every row. Raises ``ValueError`` for a plan whose
        mapping has errors (the dialog does not offer Import then)."""
        if not plan.check.ok:
            raise ValueError("the mapping has errors: " + " ".join(plan.check.errors))
        if self._running:
            raise RuntimeError("this importer is already running an import")
        definitions = self.field_definitions()
        region = plan.default_region
        report = ImportReport(total=len(plan.rows))
        self.report = report
        self._running = True
        rows = plan.rows
        position = 0
        self._server_errors = 0
        try:
            while position < len(rows):
                if self._cancel:
                    report.cancelled = True
                    break
                row = rows[position]
                try:
                    outcome = await self._row(row, definitions, region)
                except _Stop as stop:
                    report.outcomes.append(stop.outcome)
                    report.stopped_reason = stop.reason
                    position += 1
                    self._notify(progress, report, stop.outcome)
                    break
                except asyncio.CancelledError:
                    report.outcomes.append(
                        RowOutcome(
                            row.line,
                            RowStatus.FAILED,
                            row.label,
                            row.email,
                            reason=(
                                "The import was interrupted while this row was being written; "
                                "check this contact in Seedly."
                            ),
                        )
                    )
                    report.cancelled = True
                    self._not_imported(report, rows[position + 1 :])
                    report.finished = True
                    raise
                report.outcomes.append(outcome)
                position += 1
                self._notify(progress, report, outcome)
            self._not_imported(report, rows[position:])
        finally:
            self._running = False
            self._cancel = False  # a cancel before or during this run is used up
        report.finished = True
        return report

    @staticmethod
    def _notify(
        progress: Callable[[ImportProgress], None] | None, report: ImportReport, outcome: RowOutcome
    ) -> None:
        if progress is None:
            return
        try:
            progress(ImportProgress(len(report.outcomes), report.total, outcome))
        except Exception:
            # A broken progress display must not abort an import half-way.
            log.exception("import progress callback failed")

    def _not_imported(self, report: ImportReport, rows: Sequence[PlannedRow]) -> None:
        if report.stopped_reason:
            reason = f"Not imported: the import stopped ({report.stopped_reason})"
        else:
            reason = "Not imported: the import was cancelled before this row."
        for row in rows:
            report.outcomes.append(
                RowOutcome(row.line, RowStatus.NOT_IMPORTED, row.label, row.email, reason=reason)
            )

    # -- one row --------------------------------------------------------------------------

    async def _row(
        self, row: PlannedRow, definitions: list[CustomFieldDefinition], region: str | None
    ) -> RowOutcome:
        data = row.data
        if data is None or row.skip in (SkipReason.EMPTY, SkipReason.DUPLICATE):
            return self._outcome(row, RowStatus.SKIPPED, reason=row.reason)
        try:
            outcome = await self._write(row, data, definitions, region)
        except ApiError as exc:
            return self._failure(row, exc)
        if outcome.status is not RowStatus.FAILED:
            self._server_errors = 0
        return outcome

    async def _write(
        self,
        row: PlannedRow,
        data: RowData,
        definitions: list[CustomFieldDefinition],
        region: str | None,
    ) -> RowOutcome:
        existing = await self._existing(data)
        if existing is not None:
            try:
                return await self._update(row, data, existing, definitions, region)
            except NotFound:
                # Deleted in Seedly since the cache saw it (the service forgot it): the
                # row's contact is wanted, so it is created again.
                log.info("contact of line %d was deleted in Seedly; creating it", row.line)
        return await self._create(row, data, definitions, region)

    def _failure(self, row: PlannedRow, exc: ApiError) -> RowOutcome:
        reason = _server_reason(exc)
        outcome = self._outcome(row, RowStatus.FAILED, reason=reason)
        if (
            exc.is_auth_failure
            or isinstance(exc, Forbidden | RateLimited)
            or (exc.is_network_failure and not exc.needs_reconcile)
        ):
            raise _Stop(outcome, exc.user_message)
        if isinstance(exc, ServerError):
            self._server_errors += 1
            if self._server_errors >= SERVER_ERRORS_BEFORE_STOP:
                raise _Stop(outcome, exc.user_message)
        return outcome

    @staticmethod
    def _outcome(
        row: PlannedRow,
        status: RowStatus,
        *,
        contact: Contact | None = None,
        contact_id: str | None = None,
        reason: str = "",
    ) -> RowOutcome:
        label = contact.display_name if contact is not None else row.label
        email = (contact.email if contact is not None else None) or row.email
        if not reason and status in WRITTEN:
            reason = row.notes  # the values left out of a row that was written
        return RowOutcome(
            row.line,
            status,
            label,
            email,
            contact_id=contact.id if contact is not None else contact_id,
            reason=reason,
        )

    async def _existing(self, data: RowData) -> dict[str, Any] | None:
        """The row's contact from the cache (by ID, then email); an ID the cache does not
        know is asked of the server (the cache may be behind)."""
        if data.contact_id is not None:
            doc = self.cached_by_id(data.contact_id)
            if doc is not None:
                return doc
            try:
                contact = await self.client.get_contact(data.contact_id)
            except NotFound:
                contact = None  # another sub-account's ID: match by email instead
            if contact is not None:
                return self._remember(contact)
        email = data.email
        if email is not None:
            return self.cached_by_email(email)
        return None

    def _remember(self, contact: Contact) -> dict[str, Any]:
        """Cache a contact learned from the server (the service's update reads the cache)."""
        doc = contact.to_wire()
        self.partition.contacts.upsert_many([doc])
        self.bus.publish(ContactsChanged(self.scope, ids=frozenset({contact.id})))
        return doc

    async def _update(
        self,
        row: PlannedRow,
        data: RowData,
        existing: dict[str, Any],
        definitions: list[CustomFieldDefinition],
        region: str | None,
    ) -> RowOutcome:
        decision = decide_row(data, existing, definitions, default_region=region)
        contact_id = str(existing.get("id"))
        if decision.action is RowAction.SKIP:
            reason = row.reason or _sentences(decision.errors)
            return self._outcome(row, RowStatus.SKIPPED, contact_id=contact_id, reason=reason)
        if decision.action is RowAction.UNCHANGED:
            return self._outcome(row, RowStatus.UNCHANGED, contact_id=contact_id)
        contact = await self.service.update(contact_id, decision.edits or {})
        return self._outcome(row, RowStatus.UPDATED, contact=contact)

    async def _create(
        self,
        row: PlannedRow,
        data: RowData,
        definitions: list[CustomFieldDefinition],
        region: str | None,
    ) -> RowOutcome:
        decision = decide_row(data, None, definitions, default_region=region)
        if decision.action is RowAction.SKIP:
            # Invalid as a new contact (e.g. a required field is missing) may still be a
            # fine update of a contact the cache has not seen yet.
            found = None
            if valid_as_update(data, definitions, default_region=region):
                found = await self._lookup(data)
            if found is not None:
                return await self._update(row, data, self._remember(found), definitions, region)
            return self._outcome(
                row, RowStatus.SKIPPED, reason=row.reason or _sentences(decision.errors)
            )
        fields = decision.edits or {}
        try:
            contact = await self.service.create(fields)
        except ValidationFailed as exc:
            if exc.status is None:  # refused locally: nothing was sent
                return self._outcome(row, RowStatus.SKIPPED, reason=_sentences(exc.errors))
            # The sandbox (and Seedly) answer VALIDATION_ERROR for an email already used in
            # the sub-account: if the email finds a contact, this row is an update of it.
            found = await self._lookup(data)
            if found is None:
                raise
            log.info("line %d: email already in Seedly; updating %s instead", row.line, found.id)
            return await self._update(row, data, self._remember(found), definitions, region)
        return self._outcome(row, RowStatus.CREATED, contact=contact)

    async def _lookup(self, data: RowData) -> Contact | None:
        """The contact with the row's exact email on the server (None without an email)."""
        email = data.email
        if email is None:
            return None
        found: Contact | None = await self.client.find_contact_by_email(email)
        return found


def _sentences(errors: dict[str, str]) -> str:
    parts = []
    for sentence in errors.values():
        text = sentence.strip()
        parts.append(text if text.endswith((".", "!", "?")) else text + ".")
    return " ".join(parts)


__all__ = [
    "EXPORT_PAGE",
    "SERVER_ERRORS_BEFORE_STOP",
    "ContactImporter",
    "ContactSort",
    "ExportFailed",
    "ImportProgress",
    "export_contacts",
    "load_import_file",
    "read_import_file",
    "save_report",
    "write_text_atomically",
]
