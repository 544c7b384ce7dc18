"""Adding, checking and managing connections: the connection dialog (``dialog``),
Settings → Connections (``manager``) and an agency's sub-accounts (``sub_accounts``)."""

from app.ui.connections.dialog import (
    ConnectionDialog,
    DialogMode,
    clean_pasted_key,
    run_connection_dialog,
)
from app.ui.connections.manager import (
    ConnectionColumn,
    ConnectionsModel,
    ConnectionsPage,
    ProfileIdRole,
)
from app.ui.connections.sub_accounts import SubAccountInclusion, SubAccountsDialog

__all__ = [
    "ConnectionColumn",
    "ConnectionDialog",
    "ConnectionsModel",
    "ConnectionsPage",
    "DialogMode",
    "ProfileIdRole",
    "SubAccountInclusion",
    "SubAccountsDialog",
    "clean_pasted_key",
    "run_connection_dialog",
]
