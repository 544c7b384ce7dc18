"""``seedly-desk import-contacts``: the CSV import without the window, for operators.

The same pipeline as the import dialog: ``parse_csv`` reads the file (header row,
footer, encoding, delimiter), ``ContactImporter.suggest`` maps it (exporter
tables, team members), ``--map COLUMN=FIELD`` overrides single columns,
``ContactImporter.plan`` decides every row against a cache of the sub-account's
contacts, and ``ContactImporter.run`` writes them. The report is the dialog's
(``ImportPlan``/``ImportReport``), printed as text or, with ``--json``, as one JSON
document (``plan_document``/``report_document``).

The connection is a saved one (``--connection NAME``: its URL from the settings
file, its key from the system keyring) or ``--url`` with the key in the
environment variable ``--key-env`` names. A key is never taken from the command
line: it would end up in the shell's history and in the process list.

The cache is a private temporary database, filled by a full contact sync first, so
that the plan knows which rows update existing contacts (the dialog plans against
the app's cache the same way) and nothing touches the cache of a running app.

Exit status: 0 when every row was planned or written (skipped rows included),
1 when a row failed or the import stopped, 2 for bad arguments or a file that cannot
be imported, 3 when Seedly could not be reached with the key.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from app.api.seedly import SeedlyClient
from app.core.contact_csv import (
    CUSTOM_PREFIX,
    CsvFileError,
    CsvTable,
    ImportPlan,
    ImportReport,
    RowAction,
    RowStatus,
    import_targets,
    parse_csv,
    target_label,
)
from app.core.errors import ApiError
from app.core.import_values import DateOrder
from app.core.keys import KeyKind, clean_key, key_info, key_problem
from app.core.phones import DEFAULT_REGION
from app.services.bus import EventBus, ScopeKey
from app.services.connections import InvalidUrl, normalize_url
from app.services.contact_import import ContactImporter, ImportProgress, read_import_file
from app.services.sync import SyncService
from app.settings.profiles import Profile, SettingsFile
from app.settings.secrets import KeyringUnavailable, SecretStore, account_name
from app.storage import Database

EXIT_OK = 0
EXIT_ROWS_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

IGNORE_WORDS = frozenset({"none", "ignore", "-", ""})
"""``--map COLUMN=none``: the column is not imported."""


class CommandError(Exception):
    """The command cannot go on; ``str(exc)`` is the sentence printed, ``status`` the exit
    status."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ImportCommand:
    """What ``seedly-desk import-contacts`` was asked to do."""

    file: Path
    connection: str | None = None
    url: str | None = None
    key_env: str | None = None
    sub_account: str | None = None
    region: str | None = None
    date_order: DateOrder | None = None
    mappings: tuple[str, ...] = ()
    """``COLUMN=FIELD`` as given."""
    dry_run: bool = False
    as_json: bool = False


@dataclass(frozen=True)
class Connection:
    """Where to import: the deployment, the key, and the sub-account of an agency key."""

    url: str
    key: str
    sub_account: str | None
    name: str


@dataclass
class Outcome:
    """Everything the command found and did, for the text or JSON output."""

    table: CsvTable | None = None
    exporter: str | None = None
    mapping_notes: dict[int, str] = field(default_factory=dict)
    plan: ImportPlan | None = None
    report: ImportReport | None = None
    status: int = EXIT_OK


# -- the connection -----------------------------------------------------------------------


def _looks_like_a_key(text: str) -> bool:
    return key_info(clean_key(text)).kind is not KeyKind.UNKNOWN


def resolve_connection(
    command: ImportCommand,
    *,
    environ: Mapping[str, str],
    settings_file: Path,
    secrets: SecretStore | None,
) -> Connection:
    """The deployment and key to use, or ``CommandError`` saying what is missing."""
    if command.connection and (command.url or command.key_env):
        raise CommandError("Give either --connection or --url with --key-env, not both.")
    if command.connection:
        return _saved_connection(command, settings_file, secrets)
    if not command.url or not command.key_env:
        raise CommandError(
            "Say where to import: --connection NAME (a connection saved in the app), or "
            "--url URL with --key-env VARIABLE (the environment variable holding the key)."
        )
    if _looks_like_a_key(command.key_env):
        raise CommandError(
            "--key-env takes the NAME of an environment variable that holds the key, not the "
            "key itself: a key on the command line ends up in the shell's history. For example "
            "`export SEEDLY_KEY=…` and then --key-env SEEDLY_KEY."
        )
    raw = environ.get(command.key_env)
    if raw is None or not raw.strip():
        raise CommandError(
            f"The environment variable {command.key_env} is not set (or empty); it must hold "
            "the Seedly API key."
        )
    key = clean_key(raw)
    problem = key_problem(key)
    if problem:
        raise CommandError(f"The key in {command.key_env}: {problem}")
    try:
        url = normalize_url(command.url)
    except InvalidUrl as exc:
        raise CommandError(f"--url: {exc.message}") from None
    return Connection(url, key, command.sub_account, url)


def _read_profiles(settings_file: Path) -> list[Profile]:
    if not settings_file.exists():
        return []
    try:
        data = SettingsFile.model_validate_json(settings_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError, ValueError) as exc:
        raise CommandError(
            f"The app's settings file {settings_file} cannot be read ({type(exc).__name__}); "
            "open the app once, or use --url with --key-env."
        ) from None
    return [p for p in data.profiles if not p.demo]


def _saved_connection(
    command: ImportCommand, settings_file: Path, secrets: SecretStore | None
) -> Connection:
    name = (command.connection or "").strip()
    profiles = _read_profiles(settings_file)
    found = [p for p in profiles if p.name == name] or [
        p for p in profiles if p.name.casefold() == name.casefold()
    ]
    if not found:
        known = ", ".join(f"“{p.name}”" for p in profiles) or "none"
        raise CommandError(f"No saved connection is called “{name}” (saved: {known}).")
    profile = found[0]
    if secrets is None:
        from app.settings.secrets import KeyringSecrets

        secrets = KeyringSecrets()
    try:
        key = secrets.get(account_name(profile.id))
    except KeyringUnavailable as exc:
        raise CommandError(
            f"The system keyring cannot be read ({exc}), so the key of “{profile.name}” is not "
            "available. Use --url with --key-env instead."
        ) from None
    if not key:
        raise CommandError(
            f"No key is saved for “{profile.name}” in the system keyring (it may have been a "
            "key for one session only). Use --url with --key-env instead."
        )
    sub_account = command.sub_account
    if sub_account is None and profile.key_kind == KeyKind.AGENCY.value:
        sub_account = profile.last_sub_account_id
    return Connection(profile.deployment_url, key, sub_account, profile.name)


async def _sub_account_of(client: SeedlyClient, connection: Connection) -> str:
    """The sub-account the import writes to (the cache partition's name for it)."""
    if not client.is_agency:
        if connection.sub_account:
            raise CommandError(
                "--sub-account is for agency keys; this key belongs to one sub-account already."
            )
        return "headless"
    accounts = await client.list_sub_accounts()
    ids = {a.id: a.name for a in accounts}
    listed = ", ".join(f"{a.id} ({a.name})" for a in accounts) or "none"
    if not connection.sub_account:
        raise CommandError(
            f"This is an agency key: choose the sub-account with --sub-account ID ({listed})."
        )
    if connection.sub_account not in ids:
        raise CommandError(
            f"The agency key does not reach a sub-account “{connection.sub_account}” "
            f"(it reaches: {listed})."
        )
    return connection.sub_account


# -- the mapping --------------------------------------------------------------------------


def _target_for(text: str, importer: ContactImporter) -> str | None:
    word = text.strip()
    if word.casefold() in IGNORE_WORDS:
        return None
    targets = import_targets(importer.field_definitions())
    for target in targets:
        if word == target.key or word == target.key.removeprefix(CUSTOM_PREFIX):
            return target.key
    folded = word.casefold()
    for target in targets:
        if folded in (target.key.casefold(), target.label.casefold()):
            return target.key
    keys = ", ".join(t.key for t in targets)
    raise CommandError(f"--map: “{word}” is not a field to import into. Fields: {keys}, or none.")


def apply_mappings(
    table: CsvTable,
    targets: Sequence[str | None],
    mappings: Sequence[str],
    importer: ContactImporter,
) -> tuple[str | None, ...]:
    """``targets`` with every ``COLUMN=FIELD`` of ``mappings`` applied (``CommandError``
    for a column the file does not have or a field that does not exist)."""
    result = list(targets)
    for item in mappings:
        column, sep, target = item.rpartition("=")
        if not sep or not column.strip():
            raise CommandError(f"--map takes COLUMN=FIELD (or COLUMN=none), not “{item}”.")
        name = column.strip()
        index = next((i for i, h in enumerate(table.header) if h == name), None)
        if index is None:
            index = next(
                (i for i, h in enumerate(table.header) if h.casefold() == name.casefold()), None
            )
        if index is None:
            columns = ", ".join(f"“{h}”" for h in table.header)
            raise CommandError(f"--map: the file has no column “{name}” (it has {columns}).")
        result[index] = _target_for(target, importer)
    return tuple(result)


# -- documents ----------------------------------------------------------------------------


def plan_document(plan: ImportPlan, mapping_notes: Mapping[int, str]) -> dict[str, Any]:
    """The plan as JSON-ready data: the file, the mapping, and every row's planned action."""
    table = plan.table
    counts = plan.counts
    return {
        "rows": len(plan.rows),
        "create": counts[RowAction.CREATE],
        "update": counts[RowAction.UPDATE],
        "unchanged": counts[RowAction.UNCHANGED],
        "skip": counts[RowAction.SKIP],
        "notes": [*table.notes, *plan.check.warnings, *plan.notes()],
        "errors": list(plan.check.errors),
        "mapping": [
            {
                "column": name,
                "field": target,
                "label": target_label(target) if target else None,
                "note": mapping_notes.get(index),
            }
            for index, (name, target) in enumerate(zip(table.header, plan.mapping, strict=True))
        ],
        "lines": [
            {
                "line": row.line,
                "action": row.action.value,
                "skip": row.skip.value if row.skip else None,
                "contact": row.label,
                "email": row.email,
                "contactId": row.contact_id,
                "changes": list(row.changes),
                "reason": row.reason,
                "leftOut": row.notes,
                "warning": row.warning,
            }
            for row in plan.rows
        ],
    }


def report_document(report: ImportReport) -> dict[str, Any]:
    """The outcome as JSON-ready data: counts, then every row with its status and reason."""
    return {
        "created": report.count(RowStatus.CREATED),
        "updated": report.count(RowStatus.UPDATED),
        "unchanged": report.count(RowStatus.UNCHANGED),
        "skipped": report.count(RowStatus.SKIPPED),
        "failed": report.count(RowStatus.FAILED),
        "notImported": report.count(RowStatus.NOT_IMPORTED),
        "cancelled": report.cancelled,
        "stoppedReason": report.stopped_reason,
        "summary": report.summary(),
        "lines": [
            {
                "line": o.line,
                "status": o.status.value,
                "contact": o.label,
                "email": o.email,
                "contactId": o.contact_id,
                "reason": o.reason,
            }
            for o in report.outcomes
        ],
    }


def document(command: ImportCommand, outcome: Outcome) -> dict[str, Any]:
    """The one JSON document ``--json`` prints."""
    table = outcome.table
    return {
        "file": str(command.file),
        "dryRun": command.dry_run,
        "encoding": table.encoding if table else None,
        "delimiter": table.delimiter if table else None,
        "headerLine": table.header_line if table else None,
        "exporter": outcome.exporter,
        "plan": plan_document(outcome.plan, outcome.mapping_notes) if outcome.plan else None,
        "result": report_document(outcome.report) if outcome.report else None,
        "exitStatus": outcome.status,
    }


def _text(command: ImportCommand, outcome: Outcome, out: TextIO) -> None:
    plan = outcome.plan
    if plan is None:
        return
    table = plan.table
    print(
        f"{command.file.name}: {len(table.rows):,} rows, {table.encoding_label}, "
        f"{table.delimiter_label}-separated, column names on line {table.header_line}"
        + (f", a {outcome.exporter} export" if outcome.exporter else ""),
        file=out,
    )
    for index, (name, target) in enumerate(zip(table.header, plan.mapping, strict=True)):
        into = target_label(target) if target else "not imported"
        note = outcome.mapping_notes.get(index)
        print(f"  {name} → {into}" + (f" ({note})" if note and not target else ""), file=out)
    for note in [*table.notes, *plan.check.warnings, *plan.notes()]:
        print(f"Note: {note}", file=out)
    counts = plan.counts
    print(
        f"Plan: {counts[RowAction.CREATE]:,} new, {counts[RowAction.UPDATE]:,} updates, "
        f"{counts[RowAction.UNCHANGED]:,} unchanged, {counts[RowAction.SKIP]:,} skipped.",
        file=out,
    )
    report = outcome.report
    if report is None:
        for row in plan.rows:
            if row.reason or row.notes or row.warning:
                text = " ".join(t for t in (row.reason, row.notes, row.warning) if t)
                print(f"  line {row.line} ({row.action.value}): {text}", file=out)
        return
    print(f"Result: {report.summary()}", file=out)
    if report.stopped_reason:
        print(f"The import stopped: {report.stopped_reason}", file=out)
    for o in report.attention:
        print(f"  line {o.line} ({o.status.value}): {o.reason}", file=out)


# -- running ------------------------------------------------------------------------------

ClientFactory = Callable[[Connection], SeedlyClient]


def _client(connection: Connection) -> SeedlyClient:
    return SeedlyClient(connection.url, connection.key)


async def run_command(
    command: ImportCommand,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    environ: Mapping[str, str] | None = None,
    settings_file: Path | None = None,
    secrets: SecretStore | None = None,
    make_client: ClientFactory = _client,
) -> int:
    """Run the command; returns the exit status. Messages go to ``err``, the plan and the
    report (text, or one JSON document) to ``out``."""
    outcome = Outcome()
    try:
        await _run(
            command,
            outcome,
            err=err,
            environ=os.environ if environ is None else environ,
            settings_file=settings_file,
            secrets=secrets,
            make_client=make_client,
        )
    except CommandError as exc:
        print(f"seedly-desk import-contacts: {exc}", file=err)
        outcome.status = exc.status
        if not command.as_json:
            return outcome.status
    if command.as_json:
        json.dump(document(command, outcome), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _text(command, outcome, out)
    return outcome.status


async def _run(
    command: ImportCommand,
    outcome: Outcome,
    *,
    err: TextIO,
    environ: Mapping[str, str],
    settings_file: Path | None,
    secrets: SecretStore | None,
    make_client: ClientFactory,
) -> None:
    if command.region is not None and not _known_region(command.region):
        raise CommandError(f"--region: “{command.region}” is not a two-letter country code.")
    try:
        table = parse_csv(read_import_file(command.file))
    except CsvFileError as exc:
        raise CommandError(f"“{command.file.name}” cannot be imported. {exc}") from None
    outcome.table = table
    if settings_file is None:
        from app.settings.paths import AppPaths

        settings_file = AppPaths.default().profiles_file
    connection = resolve_connection(
        command, environ=environ, settings_file=settings_file, secrets=secrets
    )
    client = make_client(connection)
    with tempfile.TemporaryDirectory(prefix="seedly-import-") as folder:
        db = Database.open(Path(folder) / "cache.sqlite3")
        try:
            await _import(command, outcome, connection, client, db, err)
        except ApiError as exc:
            raise CommandError(
                f"Seedly at {connection.url} could not be used: {exc.user_message}",
                EXIT_UNREACHABLE,
            ) from None
        finally:
            await client.aclose()
            db.close()


def _known_region(region: str) -> bool:
    import phonenumbers

    return region.strip().upper() in phonenumbers.SUPPORTED_REGIONS


async def _import(
    command: ImportCommand,
    outcome: Outcome,
    connection: Connection,
    client: SeedlyClient,
    db: Database,
    err: TextIO,
) -> None:
    table = outcome.table
    assert table is not None
    sub_account = await _sub_account_of(client, connection)
    view = client.for_sub_account(sub_account) if client.is_agency else client
    scope = ScopeKey(connection.url, sub_account)
    partition = db.partition(connection.url, sub_account)
    bus = EventBus()
    print(f"Reading the contacts of {connection.name} (to find existing ones)…", file=err)
    await SyncService(partition, view, bus, scope).full_contacts()
    region = (command.region or DEFAULT_REGION).strip().upper()
    importer = ContactImporter(partition, view, bus, scope, default_region=region)
    importer.date_order = command.date_order
    suggestion = importer.suggest(table)
    outcome.exporter = suggestion.exporter
    mapping = apply_mappings(table, suggestion.targets, command.mappings, importer)
    changed = {
        i for i, (a, b) in enumerate(zip(mapping, suggestion.targets, strict=True)) if a != b
    }
    outcome.mapping_notes = {i: n for i, n in suggestion.notes.items() if i not in changed}
    plan = importer.plan(table, mapping)
    outcome.plan = plan
    if not plan.check.ok:
        raise CommandError("The mapping cannot be imported: " + " ".join(plan.check.errors))
    if command.dry_run:
        return
    total = len(plan.rows)

    def progress(step: ImportProgress) -> None:
        if step.done % 50 == 0 or step.done == total:
            print(f"  {step.done:,} of {total:,} rows…", file=err)

    print(f"Importing {total:,} rows (Seedly takes about 60 writes a minute)…", file=err)
    report = await importer.run(plan, progress=progress)
    outcome.report = report
    failed = report.count(RowStatus.FAILED) + report.count(RowStatus.NOT_IMPORTED)
    if failed or report.stopped_reason:
        outcome.status = EXIT_ROWS_FAILED


__all__ = [
    "EXIT_OK",
    "EXIT_ROWS_FAILED",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "CommandError",
    "Connection",
    "ImportCommand",
    "Outcome",
    "apply_mappings",
    "document",
    "plan_document",
    "report_document",
    "resolve_connection",
    "run_command",
]
