"""The subscription flows, from a dialog to the server and back: create, edit, regenerate,
delete and copy to other sub-accounts. Each is a coroutine the page runs in its task scope;
dialogs are awaited (never a nested loop), and every answer is shown where it belongs: a
refusal in the form, a secret in the shown-once dialog, anything else in the banner.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtWidgets import QDialog, QWidget

from app.core.errors import ApiError, ValidationFailed
from app.services.ports.webhooks import (
    NotActive,
    SubscriptionRow,
    WebhookInputError,
    WebhooksPort,
    describe_failure,
)
from app.ui.async_qt import await_signal
from app.ui.common.report import LineState, ReportLine, open_report, report_severity, with_reason
from app.ui.webhooks.dialogs import (
    CopyTargetsDialog,
    SecretDialog,
    SubscriptionDialog,
    delete_box,
    regenerate_box,
)

log = logging.getLogger(__name__)


class Say(Protocol):
    """How a flow speaks on the tab's banner: a severity, a sentence and, for a job that
    ends with a report, what opens it ("Show report…")."""

    def __call__(
        self, severity: str, text: str, *, report: Callable[[], object] | None = None
    ) -> None: ...


"""Shows a sentence in the page's banner: ``say(severity, text)``."""

CREATED_INTRO = (
    "The subscription is created. This is its signing secret: your receiver uses it to "
    "check that each delivery really comes from Seedly (X-Webhook-Signature)."
)


def _refusal(exc: BaseException) -> tuple[str | None, str]:
    if isinstance(exc, WebhookInputError):
        return exc.field, exc.message
    if isinstance(exc, ValidationFailed):
        field = exc.field if exc.field in ("url", "events") else None
        return field, describe_failure(exc)
    if isinstance(exc, ApiError):
        return None, exc.user_message
    return None, str(exc)


async def show_secret(
    parent: QWidget,
    port: WebhooksPort,
    entries: list[tuple[str, str, str, str]],
    intro: str,
    report: list[str] | None = None,
) -> None:
    """Show secrets once; keep them for the test bench when asked. ``entries`` are
    (title, secret, webhook id, sub-account id)."""
    dialog = SecretDialog(
        parent, [(t, s) for t, s, _w, _sub in entries], intro=intro, report=report or []
    )
    dialog.open()
    await await_signal(dialog.finished)
    if not dialog.keep_in_keyring:
        return
    for _title, secret, webhook_id, sub_id in entries:
        try:
            await port.keep_secret(webhook_id, secret, sub_id)
        except NotActive as exc:
            log.info("could not keep the secret of %s: %s", webhook_id, exc)


async def create(
    parent: QWidget, port: WebhooksPort, say: Say, url: str = ""
) -> SubscriptionRow | None:
    """The new-subscription form, then its secret shown once."""
    scope = port.active_scope()
    if scope is None:
        say("warning", "Open a connection first.")
        return None
    dialog = SubscriptionDialog(
        parent,
        allow_loopback=port.is_demo,
        receiver_url=port.receiver_url,
        sub_account_name=port.sub_account_name(scope.sub_account_id),
    )
    if url:
        dialog.url.setText(url)
    created = None
    while True:
        dialog.open()
        outcome = await _submitted_or_closed(dialog)
        if not outcome:
            return None
        dialog.set_busy(True)
        try:
            created = await port.service().create(
                dialog.url.text(), dialog.events.selected(), dialog.description.text()
            )
        except (ApiError, WebhookInputError, NotActive) as exc:
            dialog.show_refusal(*_refusal(exc))
            continue
        finally:
            dialog.set_busy(False)
        dialog.accept()
        break
    intro = CREATED_INTRO
    if created.recovered:
        intro += (
            " (The answer to the create was lost on the way, so a new secret was generated for it.)"
        )
    await show_secret(
        parent, port, [("", created.secret, created.row.id, scope.sub_account_id)], intro
    )
    say("success", f"Subscribed {created.row.url}.")
    return created.row


async def _submitted_or_closed(dialog: SubscriptionDialog) -> bool:
    """Wait until the form is submitted (True) or closed (False)."""
    submitted = asyncio.ensure_future(await_signal(dialog.submitted))
    finished = asyncio.ensure_future(await_signal(dialog.finished))
    done, pending = await asyncio.wait({submitted, finished}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return submitted in done and dialog.isVisible()


async def edit(parent: QWidget, port: WebhooksPort, say: Say, row: SubscriptionRow) -> None:
    """The subscription's form; only what changed is sent."""
    scope = port.active_scope()
    dialog = SubscriptionDialog(
        parent,
        allow_loopback=port.is_demo,
        receiver_url=port.receiver_url,
        original=row,
        sub_account_name=port.sub_account_name(scope.sub_account_id) if scope else "",
    )
    while True:
        dialog.open()
        if not await _submitted_or_closed(dialog):
            return
        dialog.set_busy(True)
        try:
            updated = await port.service().update(
                row,
                url=dialog.url.text(),
                events=dialog.events.selected(),
                description=dialog.description.text(),
                active=dialog.active.isChecked(),
            )
        except (ApiError, WebhookInputError, NotActive) as exc:
            dialog.show_refusal(*_refusal(exc))
            continue
        finally:
            dialog.set_busy(False)
        dialog.accept()
        say("success", "Saved." if updated != row else "Nothing changed.")
        return


async def regenerate(parent: QWidget, port: WebhooksPort, say: Say, row: SubscriptionRow) -> None:
    """The warning, the regeneration, then the new secret shown once."""
    box, confirm = regenerate_box(parent, row)
    box.open()
    await await_signal(box.finished)
    if box.clickedButton() is not confirm:
        return
    scope = port.active_scope()
    try:
        secret = await port.regenerate(row)
    except (ApiError, NotActive) as exc:
        say("danger", f"The secret was not regenerated: {_refusal(exc)[1]}")
        return
    assert scope is not None
    await show_secret(
        parent,
        port,
        [("", secret, row.id, scope.sub_account_id)],
        "The old secret no longer works. This is the new signing secret: give it to your "
        "receiver now.",
    )
    say("success", "A new signing secret is in force.")


async def delete(parent: QWidget, port: WebhooksPort, say: Say, row: SubscriptionRow) -> None:
    """Confirm, then delete."""
    box, confirm = delete_box(parent, row)
    box.open()
    await await_signal(box.finished)
    if box.clickedButton() is not confirm:
        return
    try:
        await port.service().delete(row.id)
    except (ApiError, NotActive) as exc:
        say("danger", f"The subscription was not deleted: {_refusal(exc)[1]}")
        return
    say("success", f"Deleted the subscription to {row.url}.")


async def copy_to_others(
    parent: QWidget,
    port: WebhooksPort,
    say: Say,
    row: SubscriptionRow,
    source_sub: str,
    has_url: Callable[[str], bool] = lambda _sub: False,
) -> None:
    """Choose sub-accounts, create the subscription in each, report, and show each new
    secret once."""
    targets = [(i, n, has_url(i)) for i, n in port.sub_accounts() if i != source_sub]
    if not targets:
        say("info", "This connection reaches no other sub-account.")
        return
    chooser = CopyTargetsDialog(parent, row, targets)
    chooser.open()
    await await_signal(chooser.finished)
    if chooser.result() != QDialog.DialogCode.Accepted:
        return
    say("info", "Copying…")
    results = await port.copy_subscription(row, chooser.chosen())
    report = [f"{'Copied' if r.ok else 'Not copied'}: {r.name}: {r.message}" for r in results]
    entries = [
        (r.name, r.secret, r.webhook_id, r.sub_account_id)
        for r in results
        if r.ok and r.secret and r.webhook_id
    ]
    done = sum(1 for r in results if r.ok)
    if entries:
        await show_secret(
            parent,
            port,
            entries,
            "Each sub-account's copy has its own signing secret, shown once:",
            report,
        )
    severity = report_severity(failed=len(results) - done)
    lines = [
        ReportLine(
            r.name,
            "Copied" if r.ok else "Not copied",
            LineState.DONE if r.ok else LineState.FAILED,
            "" if r.ok else r.message,
        )
        for r in results
    ]
    summary = f"Copied to {done} of {len(results)} sub-accounts."

    def show() -> None:
        open_report(parent, "Copy report", summary, severity, lines)

    say(severity, with_reason(summary, lines), report=show)
