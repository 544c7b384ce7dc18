"""``seedly-desk import-contacts`` end to end: a real process against a real sandbox, dry run
then real run with the JSON checked, a second run that changes nothing, a key that may not
write (exit status 1), and the messages for bad arguments and files (exit status 2)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.core.models import Contact
from app.services.headless_import import ImportCommand, run_command
from app.settings.profiles import Profile, SettingsFile
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(180)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contacts"
KEY_VARIABLE = "SEEDLY_IMPORT_TEST_KEY"


def _cli(
    *args: str, key: str | None = None, home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != KEY_VARIABLE}
    if key is not None:
        env[KEY_VARIABLE] = key
    if home is not None:
        env["SEEDLY_DESK_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "app", "import-contacts", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=150,
    )


def _file(tmp_path: Path, tag: str) -> Path:
    path = tmp_path / f"clients-{tag}.csv"
    path.write_text(
        "Vorname;Nachname;E-Mail-Adresse;Telefon;Land;Geburtstag;Tags\n"
        f"Jürgen;Weiß;jw.{tag}@example.org;030 901820;Deutschland;15.03.1970;kunde\n"
        f"Amélie;Dupont;ad.{tag}@example.org;01 42 68 53 00;;--03-15;prospect ::: * myContacts\n"
        ";;;;;;\n"
        f"李;明;lm.{tag}@example.org ::: lm2.{tag}@example.org;;;;\n",
        encoding="utf-8-sig",
    )
    return path


def _contacts(box: Sandbox, emails: list[str]) -> dict[str, Contact]:
    async def fetch() -> dict[str, Contact]:
        client = SeedlyClient(box.url, box.sub_key(0))
        try:
            found: dict[str, Contact] = {}
            for email in emails:
                for contact in (await client.list_contacts(email=email)).data:
                    found[email] = contact
            return found
        finally:
            await client.aclose()

    return asyncio.run(fetch())


def _url_args(box: Sandbox, path: Path, *more: str) -> list[str]:
    return [str(path), "--url", box.url, "--key-env", KEY_VARIABLE, *more]


def test_dry_run_then_import_then_nothing_to_change(sandbox: Sandbox, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    path = _file(tmp_path, tag)
    emails = [f"jw.{tag}@example.org", f"ad.{tag}@example.org", f"lm.{tag}@example.org"]

    dry = _cli(*_url_args(sandbox, path, "--dry-run", "--json"), key=sandbox.sub_key(0))
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["dryRun"] is True and planned["result"] is None and planned["exitStatus"] == 0
    assert (planned["encoding"], planned["delimiter"], planned["headerLine"]) == (
        "utf-8-sig",
        ";",
        1,
    )
    plan = planned["plan"]
    assert (plan["rows"], plan["create"], plan["update"], plan["skip"]) == (4, 3, 0, 1)
    mapped = {m["column"]: m["field"] for m in plan["mapping"]}
    assert mapped == {
        "Vorname": "firstName",
        "Nachname": "lastName",
        "E-Mail-Adresse": "email",
        "Telefon": "phone",
        "Land": "country",
        "Geburtstag": "dateOfBirth",
        "Tags": "tags",
    }
    by_line = {line["line"]: line for line in plan["lines"]}
    assert by_line[3]["action"] == "create"
    assert (
        "Column “Telefon”: “01 42 68 53 00” is not a valid United States number"
        in (by_line[3]["leftOut"])
    )
    assert "Column “Geburtstag”: “--03-15” has no year" in by_line[3]["leftOut"]
    assert by_line[4]["action"] == "skip" and by_line[4]["skip"] == "empty"
    assert not _contacts(sandbox, emails)  # a dry run writes nothing

    real = _cli(*_url_args(sandbox, path, "--json"), key=sandbox.sub_key(0))
    assert real.returncode == 0, real.stderr
    done = json.loads(real.stdout)
    result = done["result"]
    assert (result["created"], result["skipped"], result["failed"]) == (3, 1, 0)
    assert result["summary"] == "3 created, 1 skipped."
    lines = {line["line"]: line for line in result["lines"]}
    assert lines[3]["status"] == "created" and "Column “Telefon”" in lines[3]["reason"]
    stored = _contacts(sandbox, emails)
    assert stored[emails[0]].phone == "+4930901820"  # read by the row's country
    assert stored[emails[0]].date_of_birth == "1970-03-15"
    assert stored[emails[0]].tags == ["kunde"]
    assert stored[emails[1]].phone is None and stored[emails[1]].tags == ["prospect"]
    assert stored[emails[2]].additional_emails == [f"lm2.{tag}@example.org"]
    assert lines[2]["contactId"] == stored[emails[0]].id

    # The same file again: found by email, nothing to write, same pipeline as the dialog.
    again = _cli(*_url_args(sandbox, path), key=sandbox.sub_key(0))
    assert again.returncode == 0, again.stderr
    assert "Plan: 0 new, 0 updates, 3 unchanged, 1 skipped." in again.stdout
    assert "Result: 3 unchanged, 1 skipped." in again.stdout
    assert "E-Mail-Adresse → Email" in again.stdout


def test_an_exporter_file_with_a_mapping_override(sandbox: Sandbox, tmp_path: Path) -> None:
    # The dialog's own fixture, planned only: the override drops the company column.
    run = _cli(
        *_url_args(
            sandbox,
            FIXTURES / "outlook_contacts.csv",
            "--dry-run",
            "--json",
            "--map",
            "Company=none",
            "--map",
            "Department=Job title",
            "--map",
            "Job Title=ignore",
        ),
        key=sandbox.sub_key(0),
    )
    assert run.returncode == 0, run.stderr
    planned = json.loads(run.stdout)
    assert planned["exporter"] == "Outlook"
    mapped = {m["column"]: m["field"] for m in planned["plan"]["mapping"]}
    assert mapped["Company"] is None and mapped["Department"] == "title"
    assert mapped["Job Title"] is None and mapped["Mobile Phone"] == "phone"
    salutation = next(m for m in planned["plan"]["mapping"] if m["column"] == "Title")
    assert "salutation" in salutation["note"]


def test_a_key_that_may_not_write_fails_the_rows_and_the_exit_status(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    minted = sandbox.control(
        "POST", "keys", json={"subAccountId": sandbox.sub_ids[0], "scopes": ["contacts:read"]}
    )
    tag = uuid.uuid4().hex[:8]
    run = _cli(*_url_args(sandbox, _file(tmp_path, tag), "--json"), key=minted["key"])
    assert run.returncode == 1, run.stderr
    result = json.loads(run.stdout)["result"]
    assert result["failed"] == 1 and result["notImported"] == 3 and result["created"] == 0
    assert result["stoppedReason"]
    assert minted["key"] not in run.stdout + run.stderr  # the key is never printed


@pytest.mark.parametrize(
    ("args", "key", "fragment"),
    [
        ((), "sk_test_x", "Say where to import"),
        (
            ("--url", "http://127.0.0.1:9", "--key-env", "sk_test_abcdefghijklmnopqrstuvwx"),
            None,
            "takes the NAME of an environment variable",
        ),
        (
            ("--url", "http://127.0.0.1:9", "--key-env", KEY_VARIABLE),
            None,
            f"The environment variable {KEY_VARIABLE} is not set",
        ),
        (
            ("--url", "http://127.0.0.1:9", "--key-env", KEY_VARIABLE),
            "hello",
            "does not look like a Seedly API key",
        ),
        (("--connection", "Nope"), None, "No saved connection is called “Nope”"),
        (
            ("--url", "http://127.0.0.1:9", "--key-env", KEY_VARIABLE, "--region", "ZZ"),
            "sk_test_abcdefghijklmnopqrstuvwx",
            "--region: “ZZ” is not a two-letter country code",
        ),
    ],
)
def test_bad_arguments_say_what_is_wrong(
    tmp_path: Path, args: tuple[str, ...], key: str | None, fragment: str
) -> None:
    path = _file(tmp_path, "args")
    run = _cli(str(path), *args, key=key, home=tmp_path / "home")
    assert run.returncode == 2
    assert run.stderr.startswith("seedly-desk import-contacts: ") and fragment in run.stderr
    assert run.stdout == ""


def test_a_file_that_cannot_be_imported(tmp_path: Path) -> None:
    binary = tmp_path / "book.csv"
    binary.write_bytes(b"PK\x03\x04" + bytes(40))
    run = _cli(str(binary), "--url", "http://127.0.0.1:9", "--key-env", KEY_VARIABLE)
    assert run.returncode == 2 and "“book.csv” cannot be imported" in run.stderr
    assert "Excel workbook" in run.stderr
    missing = _cli(str(tmp_path / "nope.csv"), "--json")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert json.loads(missing.stdout)["exitStatus"] == 2


def test_a_saved_connection_and_an_agency_key(sandbox: Sandbox, tmp_path: Path) -> None:
    """In-process (the keyring is the test's): the saved connection's key is used, and an
    agency key asks for the sub-account, then imports into it."""
    profile = Profile(name="Agency", deployment_url=sandbox.url, key_kind="agency")
    settings = tmp_path / "profiles.json"
    settings.write_text(SettingsFile(profiles=[profile]).model_dump_json(), encoding="utf-8")

    class Keys:
        def get(self, account: str) -> str | None:
            return sandbox.info["agency_key"] if profile.id in account else None

        def set(self, account: str, secret: str) -> None:
            raise AssertionError("the command never stores a key")

        def delete(self, account: str) -> None:
            raise AssertionError("the command never deletes a key")

    tag = uuid.uuid4().hex[:8]
    path = _file(tmp_path, tag)

    def run(**kw: Any) -> tuple[int, str, str]:
        from io import StringIO

        out, err = StringIO(), StringIO()
        command = ImportCommand(file=path, connection="agency", dry_run=True, **kw)
        status = asyncio.run(
            run_command(command, out=out, err=err, settings_file=settings, secrets=Keys())
        )
        return status, out.getvalue(), err.getvalue()

    status, _, err = run()
    assert status == 2 and "This is an agency key: choose the sub-account" in err
    assert sandbox.sub_ids[0] in err
    status, out, err = run(sub_account=sandbox.sub_ids[0])
    assert status == 0, err
    assert "Plan: 3 new, 0 updates, 0 unchanged, 1 skipped." in out
