"""storage layer (see docs/architecture.md): the app's local SQLite store.

``Database.open(path)`` gives the file; ``db.partition(deployment_url,
sub_account_id)`` the cache of one sub-account, with repositories as
attributes (``contacts``, ``custom_fields``, ``conversations``, ``messages``,
``calendars``, ``webhooks``, ``state`` (typed as ``marks``), ``outbox``,
``drafts``, ``test_deliveries``, ``received``, ``workflows``);
``db.research_ledger(account_key_id)`` the Seamless research ledger.

Every failure is a ``StorageError``; driver failures are ``CacheError``
subclasses (busy, full, corrupt, read-only, unavailable, constraint, bug), never
``sqlite3.Error``.

Repositories take and return the API's wire objects as plain dicts
(camelCase keys) and small dataclasses of their own, so this package does not
depend on the client's models. Times passed in or out as numbers are epoch
milliseconds. No Qt, no HTTP here (import-linter enforces it).
"""

from app.storage._codec import to_ms
from app.storage.calendars import CalendarRepository
from app.storage.contacts import (
    SORT_KEYS,
    ContactFilters,
    ContactRepository,
    CustomFieldRepository,
)
from app.storage.conversations import (
    ConversationFilters,
    ConversationRepository,
    ConversationView,
    MessageRepository,
)
from app.storage.database import Database, PartitionInfo, normalize_deployment
from app.storage.drafts import DraftRepository
from app.storage.errors import (
    CacheBugError,
    CacheBusyError,
    CacheConstraintError,
    CacheCorruptError,
    CacheError,
    CacheFullError,
    CacheReadOnlyError,
    CacheUnavailableError,
    DatabaseClosedError,
    DuplicateClientIdError,
    IllegalTransitionError,
    MigrationError,
    OutboxError,
    OutboxItemNotFoundError,
    SchemaTooNewError,
    StorageError,
)
from app.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from app.storage.outbox import PENDING_STATES, TRANSITIONS, Outbox, OutboxItem, OutboxState
from app.storage.partition import Partition
from app.storage.research import RESEARCHED_STATUSES, ResearchLedger, ResearchRecord, SpendEntry
from app.storage.research_jobs import JobState, ResearchJob, ResearchJobs
from app.storage.sync_state import InboxMap, SyncKind, SyncMarks, SyncStateRepository
from app.storage.webhook_logs import (
    BODY_CAP,
    HISTORY_LIMIT,
    ReceivedDelivery,
    ReceivedLog,
    TestDelivery,
    TestDeliveryLog,
)
from app.storage.webhooks import WebhookRepository, strip_secrets
from app.storage.workflows import KeptWorkflow, WorkflowRepository, WorkflowRun

__all__ = [
    "to_ms",
    "BODY_CAP",
    "HISTORY_LIMIT",
    "KeptWorkflow",
    "ReceivedDelivery",
    "ReceivedLog",
    "TestDelivery",
    "TestDeliveryLog",
    "WorkflowRepository",
    "WorkflowRun",
    "CacheBugError",
    "CacheBusyError",
    "CacheConstraintError",
    "CacheCorruptError",
    "CacheError",
    "CacheFullError",
    "CacheReadOnlyError",
    "CacheUnavailableError",
    "MIGRATIONS",
    "PENDING_STATES",
    "RESEARCHED_STATUSES",
    "SCHEMA_VERSION",
    "SORT_KEYS",
    "TRANSITIONS",
    "CalendarRepository",
    "ContactFilters",
    "ContactRepository",
    "ConversationFilters",
    "ConversationRepository",
    "ConversationView",
    "CustomFieldRepository",
    "Database",
    "DatabaseClosedError",
    "DraftRepository",
    "DuplicateClientIdError",
    "IllegalTransitionError",
    "InboxMap",
    "JobState",
    "MessageRepository",
    "MigrationError",
    "Outbox",
    "OutboxError",
    "OutboxItem",
    "OutboxItemNotFoundError",
    "OutboxState",
    "Partition",
    "PartitionInfo",
    "ResearchJob",
    "ResearchJobs",
    "ResearchLedger",
    "ResearchRecord",
    "SchemaTooNewError",
    "SpendEntry",
    "StorageError",
    "SyncKind",
    "SyncMarks",
    "SyncStateRepository",
    "WebhookRepository",
    "normalize_deployment",
    "strip_secrets",
]
