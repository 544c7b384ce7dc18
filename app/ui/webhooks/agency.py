"""The All sub-accounts page: every sub-account's subscriptions side by side, so an agency
operator sees which clients are wired and which are not, and copies a subscription to the
others (each copy gets its own secret, shown once, with a report)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.webhook_events import event_label, events_summary
from app.services.ports.webhooks import AgencyRow, SubscriptionRow, WebhooksPort
from app.ui.async_qt import TaskSet
from app.ui.theme import Spacing, icon
from app.ui.webhooks import flows
from app.ui.webhooks.dialogs import muted
from app.ui.webhooks.labels import clock_time
from app.ui.webhooks.models import Column, RowsTableModel
from app.ui.webhooks.subscriptions import stretch, table, tool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgencyLine:
    """One line of the table: a subscription of a sub-account, or a sub-account with none."""

    sub_account_id: str
    name: str
    subscription: SubscriptionRow | None
    problem: str | None = None

    @property
    def key(self) -> str:
        """Unique per line."""
        return f"{self.sub_account_id}|{self.subscription.id if self.subscription else ''}"


def lines_of(rows: list[AgencyRow]) -> list[AgencyLine]:
    """The table's lines: one per subscription, and one for a sub-account without any."""
    lines: list[AgencyLine] = []
    for row in rows:
        if not row.subscriptions:
            lines.append(AgencyLine(row.sub_account_id, row.name, None, row.problem))
        for subscription in row.subscriptions:
            lines.append(AgencyLine(row.sub_account_id, row.name, subscription, row.problem))
    return lines


class AgencyPage(QWidget):
    """Subscriptions across the connection's sub-accounts."""

    def __init__(
        self, port: WebhooksPort, tasks: TaskSet, say: flows.Say, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.port = port
        self.tasks = tasks
        self.say = say
        self.rows: list[AgencyRow] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, Spacing.S, 0, 0)
        layout.setSpacing(Spacing.S)
        bar = QHBoxLayout()
        self.summary = QLabel("Read every sub-account's subscriptions from Seedly.", self)
        bold = self.summary.font()
        bold.setBold(True)
        self.summary.setFont(bold)
        bar.addWidget(self.summary, 1)
        self.copy_button = tool(self, "switch", "Copy to other sub-accounts…", self._copy)
        self.refresh_button = tool(self, "sync", "Refresh all", self.refresh)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.refresh_button)
        layout.addLayout(bar)
        layout.addWidget(
            muted(
                "One request per sub-account. A sub-account that could not be read shows its "
                "last known list and why.",
                self,
            )
        )
        self.model: RowsTableModel[AgencyLine] = RowsTableModel(
            [
                Column(
                    "Sub-account",
                    lambda line: line.name,
                    icon=lambda line: icon("warning") if line.problem else None,
                    tooltip=lambda line: line.problem or line.name,
                ),
                Column(
                    "Address",
                    lambda line: line.subscription.url if line.subscription else "Not wired",
                    icon=lambda line: None if line.subscription else icon("info"),
                ),
                Column(
                    "Events",
                    lambda line: (
                        events_summary(line.subscription.events) if line.subscription else ""
                    ),
                    tooltip=lambda line: (
                        "\n".join(
                            event_label(e)
                            for e in (line.subscription.events if line.subscription else ())
                        )
                        or None
                    ),
                ),
                Column(
                    "Description",
                    lambda line: (line.subscription.description or "") if line.subscription else "",
                ),
            ],
            key=lambda line: line.key,
            parent=self,
        )
        self.table = table(self, self.model)
        stretch(self.table, 1, {0: 200, 2: 260, 3: 200})
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection())
        layout.addWidget(self.table, 1)
        self._selection()

    def refresh(self) -> None:
        """Read every sub-account's subscriptions now."""
        self.tasks.spawn(self._refresh(), "agency:refresh", replace=True)

    async def _refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self.summary.setText("Reading every sub-account…")
        try:
            self.rows = await self.port.agency_table()
        finally:
            self.refresh_button.setEnabled(True)
        self.model.set_rows(lines_of(self.rows))
        wired = sum(1 for r in self.rows if r.subscriptions)
        self.summary.setText(
            f"{wired} of {len(self.rows)} sub-accounts send events somewhere "
            f"(read at {clock_time(_now_ms())})."
        )
        self._selection()

    def selected(self) -> AgencyLine | None:
        """The selected line, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _selection(self) -> None:
        line = self.selected()
        self.copy_button.setEnabled(line is not None and line.subscription is not None)
        self.copy_button.setVisible(len(self.port.sub_accounts()) > 1)

    def _copy(self) -> None:
        line = self.selected()
        if line is None or line.subscription is None:
            return
        subscription = line.subscription

        def has_url(sub_id: str) -> bool:
            return any(
                s.url == subscription.url
                for r in self.rows
                if r.sub_account_id == sub_id
                for s in r.subscriptions
            )

        self.tasks.spawn(self._copy_flow(subscription, line.sub_account_id, has_url), "agency:copy")

    async def _copy_flow(
        self, row: SubscriptionRow, source: str, has_url: Callable[[str], bool]
    ) -> None:
        await flows.copy_to_others(self, self.port, self.say, row, source, has_url)
        await self._refresh()


def _now_ms() -> int:
    return int(time.time() * 1000)


__all__ = ["AgencyLine", "AgencyPage", "lines_of"]
