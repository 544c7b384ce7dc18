"""Only the demo's sandbox accepts webhook subscriptions to 127.0.0.1 (the built-in receiver);
a sandbox started without the flag keeps refusing them (tests/contract/test_webhook_service.py)."""

from __future__ import annotations

from pathlib import Path

from app.cli import build_parser
from app.services.demo import sandbox_command


def test_the_demo_sandbox_allows_loopback_webhooks(tmp_path: Path) -> None:
    command = sandbox_command(tmp_path, traffic_seconds=20)
    assert "--allow-loopback-webhooks" in command
    # The flag is the sandbox command's own, documented in its --help.
    args = build_parser().parse_args(command[command.index("sandbox") :])
    assert args.allow_loopback_webhooks is True
    plain = build_parser().parse_args(["sandbox"])
    assert plain.allow_loopback_webhooks is False
