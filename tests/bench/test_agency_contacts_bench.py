"""Figures of the Contacts search across sub-accounts (All sub-accounts), printed as
``BENCH name=value unit`` (no timing asserted): 20 sub-accounts × 5,000 contacts filled
directly into their partitions; the merged search read alone over the storage bench's mix
of queries (median and p95: one read per sub-account, then the merge), and keystroke to
rows in the results model through the tab's worker (the GUI thread only takes the answer).

Run with ``.venv/bin/pytest tests/bench/test_agency_contacts_bench.py -s``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.services.agency_inbox import Member, chip_colour
from app.services.agency_reads import AgencyContactResults, AgencyContactsReader
from app.services.bus import ScopeKey
from app.services.ports.contacts import ContactsReader
from app.storage import Database
from app.ui.contacts.agency_search import AgencyContactSearch, AgencyContactsModel
from tests.bench.test_storage_bench import QUERIES, bench, percentile, synthetic_contacts

pytestmark = pytest.mark.timeout(300)

SUB_ACCOUNTS = 20
PER_SUB_ACCOUNT = 5_000
DEPLOYMENT = "https://agency.example.com"


@pytest.fixture(scope="module")
def agency_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("agency-contacts-bench") / "cache.sqlite3"
    db = Database.open(path)
    for n in range(SUB_ACCOUNTS):
        part = db.partition(DEPLOYMENT, f"sub_{n:02d}")
        part.contacts.upsert_many(synthetic_contacts(PER_SUB_ACCOUNT, seed=300 + n))
    db.close()
    db = Database.open(path)  # as after an app start
    yield db
    db.close()


def _reader(db: Database) -> AgencyContactsReader:
    members = []
    for n in range(SUB_ACCOUNTS):
        part = db.partition(DEPLOYMENT, f"sub_{n:02d}")
        scope = ScopeKey(part.deployment, part.sub_account_id)
        member = Member(scope, f"Client {n:02d}", chip_colour(scope.sub_account_id))
        members.append((member, ContactsReader(part)))
    return AgencyContactsReader(members)


def test_merged_contact_search(qapp: QApplication, agency_cache: Database) -> None:
    reader = _reader(agency_cache)
    reader.search("warm up")
    samples = []
    for query in QUERIES:
        start = time.perf_counter()
        results = reader.search(query)
        samples.append((time.perf_counter() - start) * 1000)
        assert all(t.row.id for t in results.rows)
    bench("agency_contacts_search_20x5000_median", statistics.median(samples), "ms")
    bench("agency_contacts_search_20x5000_p95", percentile(samples, 0.95), "ms")

    # Keystroke to rows in the results model: the read runs on the worker.
    search = AgencyContactSearch()
    model = AgencyContactsModel()
    loop = QEventLoop()
    answered: list[float] = []

    def show(_text: str, results: AgencyContactResults) -> None:
        model.set_rows(results.rows)
        answered.append(time.perf_counter())
        loop.quit()

    search.resultsReady.connect(show)
    latencies = []
    for query in ("jane", "smith", "acme", "5550"):
        start = time.perf_counter()
        search.search(reader, query)
        QTimer.singleShot(10_000, loop.quit)
        loop.exec()
        latencies.append((answered[-1] - start) * 1000)
        assert model.rowCount() > 0
    search.close()
    bench("agency_contacts_keystroke_to_rows_median", statistics.median(latencies), "ms")
    bench("agency_contacts_keystroke_to_rows_max", max(latencies), "ms")
