"""Adding, checking and managing connections: the connection dialog (``dialog``) and
Settings → Connections (``manager``)."""

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

__all__ = [
    "ConnectionColumn",
    "ConnectionDialog",
    "ConnectionsModel",
    "ConnectionsPage",
    "DialogMode",
    "ProfileIdRole",
    "clean_pasted_key",
    "run_connection_dialog",
]
