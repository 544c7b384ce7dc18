"""What a start-up imports: the services every start needs, not data only some actions use.

The country names of every locale (``phonenumbers.geodata``) took a second to load and were
imported by every start through the CSV import rules; pydantic schemas of ~150 wire models
were built at import although a start validates a handful. Both now load on first use."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import app.services.workspace, app.bootstrap
from app.bootstrap import AREAS, area_class, port_factory
for spec in AREAS:
    area_class(spec), port_factory(spec)
from app.core.models import Contact
from app.core.seamless.records import ResearchedContact
print("geodata" if "phonenumbers.geodata.locale" in sys.modules else "no-geodata")
print("built" if Contact.__pydantic_complete__ else "deferred")
print("built" if ResearchedContact.__pydantic_complete__ else "deferred")
Contact.model_json_schema()
print("built" if Contact.__pydantic_complete__ else "deferred")
"""


def test_a_start_loads_no_country_names_and_builds_schemas_on_first_use() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["no-geodata", "deferred", "deferred", "built"]


def test_country_names_still_resolve_when_asked() -> None:
    from app.core.import_values import region_for_country
    from app.core.phones import region_name

    assert region_for_country("Deutschland") == "DE"
    assert region_name("FR") == "France"


FRONT_PROBE = """
import sys
from app.bootstrap import AREAS, _front_specs, _import_services, _import_the_rest
front = _front_specs("contacts")
_import_services(front)
first = {name: name in sys.modules for name in WATCHED}
_import_the_rest([spec for spec in AREAS if spec not in front])
later = {name: name in sys.modules for name in WATCHED}
print(",".join(sorted(n for n, seen in first.items() if seen)))
print(",".join(sorted(n for n, seen in later.items() if seen)))
"""
WATCHED = ("app.api.seamless", "app.ui.leads.tab", "app.ui.inbox.tab", "email_validator", "rich")


def test_the_front_tab_imports_only_what_its_first_screen_needs() -> None:
    """The Contacts tab in front: the Seamless client, the other tabs and the address
    checker load after its first screen (``_import_the_rest``); httpx's command-line
    client (rich) never loads."""
    code = f"WATCHED = {WATCHED!r}\n{FRONT_PROBE}"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split("\n")
    first, later = out[0], out[1]
    assert first == ""
    assert later.split(",") == [
        "app.api.seamless",
        "app.ui.inbox.tab",
        "app.ui.leads.tab",
        "email_validator",
    ]
