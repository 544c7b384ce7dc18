"""The Leads tab: Seamless.AI search, research with a live credit meter, and the push
into the CRM (``LeadsTab``), its status-bar badge and the Seamless connection settings."""

from app.ui.leads.connection import open_seamless_settings, run_seamless_settings
from app.ui.leads.meter import CreditBadge
from app.ui.leads.tab import LeadsTab

__all__ = ["CreditBadge", "LeadsTab", "open_seamless_settings", "run_seamless_settings"]
