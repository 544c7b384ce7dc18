"""The Contacts tab's Qt item model and search controller (over the local cache)."""

from app.services.ports.contacts import ContactQuery
from app.ui.contacts.model import (
    FIXED_COLUMNS,
    PAGE_SIZE,
    Column,
    ColumnKeyRole,
    ColumnSpec,
    ContactIdRole,
    ContactRole,
    ContactsTableModel,
    SortableRole,
    load_first_page,
)
from app.ui.common.search import DEBOUNCE_MS
from app.ui.contacts.search import ContactSearchController, FilterChoices

__all__ = [
    "DEBOUNCE_MS",
    "FIXED_COLUMNS",
    "PAGE_SIZE",
    "Column",
    "ColumnKeyRole",
    "ColumnSpec",
    "ContactIdRole",
    "ContactQuery",
    "ContactRole",
    "ContactSearchController",
    "ContactsTableModel",
    "FilterChoices",
    "SortableRole",
    "load_first_page",
]
