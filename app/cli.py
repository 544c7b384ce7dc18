"""The ``seedly-desk`` command line.

``seedly-desk`` opens the window on the saved connections; ``seedly-desk
--demo`` on a local sandbox with demo data (``--screenshot DIR`` writes a PNG
per tab and exits). ``seedly-desk sandbox ...`` runs the local API server of
both APIs on its own. ``seedly-desk import-contacts FILE ...`` imports a CSV file
of contacts without the window (``app.services.headless_import``).

Commands import what they need when they run, so the window starts as fast as
before.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path


def _rate(value: str) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError("a share between 0 and 1, e.g. 0.2")
    return rate


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError("a port number from 0 (any free port) to 65535")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seedly-desk",
        description="Seedly Desk: lead search and Seedly CRM sub-accounts on the desktop.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a local sandbox with demo data (your connections stay untouched)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        metavar="DIR",
        help="when every tab has loaded its data, write one PNG per tab to DIR and exit",
    )
    parser.add_argument(
        "--theme",
        choices=("system", "light", "dark"),
        default=None,
        help="colour scheme for this run (default: the saved preference, else the system's)",
    )
    parser.add_argument(
        "--demo-traffic",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="with --demo: pace of simulated live activity (default 20; 0 turns it off)",
    )
    parser.add_argument(
        "--demo-subaccounts",
        type=_positive_int,
        default=None,
        metavar="N",
        help="with --demo: an agency of N sub-accounts (default: the demo's two)",
    )
    commands = parser.add_subparsers(dest="command")
    sandbox = commands.add_parser(
        "sandbox",
        help="run the local sandbox server of the Seedly CRM and Seamless.AI APIs",
        description="Run the sandbox. When ready it prints one line of JSON on stdout "
        "(URLs and keys); logs go to stderr. SIGTERM stops it.",
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    sandbox.add_argument("--port", type=_port, default=0, help="port; 0 picks a free one (default)")
    sandbox.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory of the SQLite store; reused as is on restart (default: a temp dir)",
    )
    sandbox.add_argument(
        "--seed",
        choices=("demo", "empty"),
        default="demo",
        help="data of a new store: demo (default) or empty (accounts and keys only)",
    )
    sandbox.add_argument(
        "--subaccounts",
        type=_positive_int,
        default=None,
        metavar="N",
        help="give the agency N sub-accounts (the two demo ones, then generated small "
        "businesses; default: the demo's two)",
    )
    sandbox.add_argument(
        "--conversations-per-subaccount",
        type=_positive_int,
        default=None,
        metavar="N",
        help="seed N conversations in every sub-account (benches: 20 x 500)",
    )
    sandbox.add_argument(
        "--traffic",
        type=float,
        default=None,
        metavar="SECONDS",
        help="simulate live activity (inbound messages, contacts, bookings) at this pace",
    )
    sandbox.add_argument(
        "--faults",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of API requests that fail at random (500s, drops, timeouts, 429s)",
    )
    sandbox.add_argument(
        "--rate-limit-read",
        type=_positive_int,
        default=120,
        metavar="N",
        help="read requests per minute per key (default 120)",
    )
    sandbox.add_argument(
        "--rate-limit-write",
        type=_positive_int,
        default=60,
        metavar="N",
        help="write requests per minute per key (default 60)",
    )
    sandbox.add_argument(
        "--seamless-rate-limit",
        type=_positive_int,
        default=60,
        metavar="N",
        help="Seamless requests per minute per endpoint and organisation (default 60)",
    )
    sandbox.add_argument(
        "--allow-loopback-webhooks",
        action="store_true",
        help="allow webhook targets on 127.0.0.1 (for local testing)",
    )
    _add_import_command(commands)
    return parser


def _add_import_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "import-contacts",
        help="import a CSV file of contacts into a Seedly sub-account, without the window",
        description="Import a CSV file of contacts with the same rules, mapping and report as "
        "the app's import dialog. Connect with a saved connection (--connection) or with "
        "--url and the name of an environment variable holding the key (--key-env); a key is "
        "never taken from the command line. Exit status: 0 done, 1 rows failed or the import "
        "stopped, 2 bad arguments or file, 3 Seedly could not be reached.",
    )
    command.add_argument("file", type=Path, metavar="FILE", help="the CSV file to import")
    command.add_argument("--connection", metavar="NAME", help="a connection saved in the app")
    command.add_argument("--url", metavar="URL", help="the deployment URL (with --key-env)")
    command.add_argument(
        "--key-env",
        metavar="VAR",
        help="name of the environment variable that holds the API key",
    )
    command.add_argument(
        "--sub-account", metavar="ID", help="the sub-account to import into (agency keys)"
    )
    command.add_argument(
        "--region",
        metavar="XX",
        help="country of phone numbers without + when the row names no country (default US)",
    )
    command.add_argument(
        "--date-order",
        choices=("dmy", "mdy"),
        default=None,
        help="how to read dates like 03/04/1970 (default: as the file shows, else its locale)",
    )
    command.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="import COLUMN into FIELD (a field name such as email or customFields.x, or its "
        "label); FIELD none leaves the column out. Repeatable.",
    )
    command.add_argument(
        "--dry-run", action="store_true", help="plan only: show what would be written"
    )
    command.add_argument(
        "--json",
        action="store_true",
        help="print the plan and the outcome as one JSON document on stdout",
    )


def _run_import(args: argparse.Namespace) -> int:
    from app.core.import_values import DateOrder
    from app.services.headless_import import ImportCommand, run_command

    command = ImportCommand(
        file=args.file,
        connection=args.connection,
        url=args.url,
        key_env=args.key_env,
        sub_account=args.sub_account,
        region=args.region,
        date_order=DateOrder(args.date_order) if args.date_order else None,
        mappings=tuple(args.map),
        dry_run=args.dry_run,
        as_json=args.json,
    )
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
    try:
        return asyncio.run(run_command(command))
    except KeyboardInterrupt:
        print("seedly-desk import-contacts: interrupted.", file=sys.stderr)
        return 130


def _run_sandbox(args: argparse.Namespace) -> int:
    from app.sandbox.server import serve
    from app.sandbox.state import SandboxConfig

    from app.sandbox.seed import MAX_SUBACCOUNTS

    if args.subaccounts is not None and args.subaccounts > MAX_SUBACCOUNTS:
        print(f"seedly-desk sandbox: --subaccounts is at most {MAX_SUBACCOUNTS}", file=sys.stderr)
        return 2
    if args.traffic is not None and args.traffic <= 0:
        print("seedly-desk sandbox: --traffic needs a positive number of seconds", file=sys.stderr)
        return 2
    config = SandboxConfig(
        host=args.host,
        port=args.port,
        data_dir=args.data,
        seed=args.seed,
        subaccounts=args.subaccounts,
        conversations_per_subaccount=args.conversations_per_subaccount,
        traffic_seconds=args.traffic,
        fault_rate=args.faults,
        rate_limit_read=args.rate_limit_read,
        rate_limit_write=args.rate_limit_write,
        seamless_rate_limit=args.seamless_rate_limit,
        allow_loopback_webhooks=args.allow_loopback_webhooks,
    )
    try:
        asyncio.run(serve(config))
    except OSError as exc:
        print(
            f"seedly-desk sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        logging.basicConfig(
            stream=sys.stderr,
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        return _run_sandbox(args)
    if args.command == "import-contacts":
        return _run_import(args)
    from app.bootstrap import LaunchOptions
    from app.bootstrap import main as run_app
    from app.sandbox.seed import MAX_SUBACCOUNTS

    if args.demo_subaccounts is not None and args.demo_subaccounts > MAX_SUBACCOUNTS:
        print(f"seedly-desk: --demo-subaccounts is at most {MAX_SUBACCOUNTS}", file=sys.stderr)
        return 2
    return run_app(
        LaunchOptions(
            demo=args.demo,
            screenshot_dir=args.screenshot,
            theme=args.theme,
            traffic_seconds=args.demo_traffic or None,
            demo_subaccounts=args.demo_subaccounts,
        )
    )
