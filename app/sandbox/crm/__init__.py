"""The Seedly CRM half of the sandbox: one module per area of the seed."""

from app.sandbox.crm import (  # noqa: F401  (importing registers routes, schemas, jobs)
    automation,
    calendars,
    contacts,
    conversations,
    subaccounts,
    webhooks,
)
