"""A partition: the cache of one sub-account of one deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.storage.calendars import CalendarRepository
from app.storage.contacts import ContactRepository, CustomFieldRepository
from app.storage.conversations import ConversationRepository, MessageRepository
from app.storage.drafts import DraftRepository
from app.storage.outbox import Outbox
from app.storage.sync_state import SyncMarks, SyncStateRepository
from app.storage.webhook_logs import ReceivedLog, TestDeliveryLog
from app.storage.webhooks import WebhookRepository
from app.storage.workflows import WorkflowRepository

if TYPE_CHECKING:
    from app.storage.database import Database


class Partition:
    """Everything cached for one (deployment URL, sub-account id), reached through repositories.

    Obtain one with ``Database.partition(...)``. Each repository attribute is
    bound to this partition's id; switching sub-account means using another
    ``Partition`` object, so rows of two sub-accounts cannot mix.
    """

    def __init__(
        self, db: Database, partition_id: int, deployment: str, sub_account_id: str
    ) -> None:
        """Bind the repositories to ``partition_id``; use ``Database.partition`` instead."""
        self._db = db
        self.id = partition_id
        self.deployment = deployment
        self.sub_account_id = sub_account_id
        self.contacts = ContactRepository(db, partition_id)
        self.custom_fields = CustomFieldRepository(db, partition_id)
        self.conversations = ConversationRepository(db, partition_id)
        self.messages = MessageRepository(db, partition_id)
        self.calendars = CalendarRepository(db, partition_id)
        self.webhooks = WebhookRepository(db, partition_id)
        self.state = SyncStateRepository(db, partition_id)
        self.marks = SyncMarks(self.state)
        """Typed access to ``state``: use this, not raw keys."""
        self.outbox = Outbox(db, partition_id)
        self.drafts = DraftRepository(db, partition_id)
        self.test_deliveries = TestDeliveryLog(db, partition_id)
        """Signed test deliveries the Webhooks tab sent (the app's own history)."""
        self.received = ReceivedLog(db, partition_id)
        """Deliveries the local webhook receiver got for this sub-account."""
        self.workflows = WorkflowRepository(db, partition_id)
        """Workflow slugs the user keeps and the triggers sent to them."""

    @property
    def database(self) -> Database:
        """The database this partition lives in (for ``transaction()`` across repositories)."""
        return self._db

    def __repr__(self) -> str:
        return (
            f"Partition(id={self.id}, deployment={self.deployment!r}, "
            f"sub_account_id={self.sub_account_id!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Partition) and other._db is self._db and other.id == self.id

    def __hash__(self) -> int:
        return hash((id(self._db), self.id))
