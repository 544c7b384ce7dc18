"""Benchmarks of the local store with 100,000 contacts (figures, not assertions on time).

Run with ``.venv/bin/pytest tests/bench/test_storage_bench.py -s``; every
figure is printed as ``BENCH name=value unit``.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from app.storage import Database, Partition

N_CONTACTS = 100_000

FIRST = [
    "Jane", "John", "Maria", "Wei", "Ahmed", "Olga", "Sofia", "Liam", "Noah", "Emma", "Ava",
    "Lucas", "Chloé", "José", "Zoë", "Mateo", "Aiko", "Ravi", "Fatima", "Igor", "Grace", "Henry",
    "Isabel", "Jack", "Karen", "Leo", "Mia", "Nina", "Oscar", "Paul", "Quinn", "Rosa", "Sam",
    "Tara", "Uma", "Victor", "Wendy", "Xavier", "Yara", "Zane",
]  # fmt: skip
LAST = [
    "Smith", "Johnson", "García", "Müller", "Nguyen", "Kim", "Patel", "O'Brien", "Rossi", "Silva",
    "Cohen", "Novak", "Larsen", "Dubois", "Tanaka", "Khan", "Lopez", "Brown", "Wilson", "Martin",
    "Anderson", "Baker", "Carter", "Diaz", "Evans", "Fischer", "Gomez", "Hughes", "Ito", "Jensen",
]  # fmt: skip
COMPANY = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Pied Piper", "Dunder Mifflin",
]  # fmt: skip
SUFFIX = ["Inc", "LLC", "Group", "Labs", "Dental", "Roofing", "Health", "Partners"]
TAGS = [
    "vip", "website-lead", "invoice-overdue", "review-requested", "newsletter", "enterprise",
    "churn-risk", "referral", "webinar", "trade-show",
]  # fmt: skip
STAGES = ["lead", "qualified", "customer", "repeat", "inactive"]
SOURCES = ["api", "website", "import", "seamless", "referral", "facebook"]
USERS = [None, "usr_ana_lima", "usr_dev_patel", "usr_kim_ng", "usr_sam_ortiz"]

QUERIES = [
    "jane", "jan smi", "smith", "garcia", "müller", "o'brien", "zoe", "chlo", "acme",
    "pied piper", "vip", "invoice", "5550", "617555", "(617) 555-01", "wei k", "j", "ma",
    "tanaka initech", "nobody-like-this",
]  # fmt: skip
"""A fixed mix: names, prefixes, accents, companies, tags, phone fragments, one letter, no match."""


def synthetic_contacts(n: int, seed: int = 20260401) -> list[dict[str, Any]]:
    """``n`` deterministic contacts shaped like the API's wire documents."""
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = f"{rng.choice(COMPANY)} {rng.choice(SUFFIX)}"
        domain = company.split()[0].lower()
        local = f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}"
        area = rng.choice(["617", "212", "312", "415", "206"])
        docs.append(
            {
                "id": f"contact_{i:016x}",
                "firstName": first,
                "lastName": last,
                "email": f"{local}@{domain}.example.com",
                "phone": None if rng.random() < 0.2 else f"+1{area}555{rng.randrange(10_000):04d}",
                "company": company,
                "title": rng.choice(["Owner", "Office Manager", "Account Executive", "CTO"]),
                "source": rng.choice(SOURCES),
                "tags": rng.sample(TAGS, rng.randrange(4)),
                "lifecycleStage": rng.choice(STAGES),
                "engagementScore": rng.randrange(101),
                "assignedTo": rng.choice(USERS),
                "additionalEmails": [],
                "additionalPhones": [],
                "addressLine1": f"{rng.randrange(1, 9999)} Main St",
                "city": rng.choice(["Boston", "Chicago", "Seattle", "Austin"]),
                "state": rng.choice(["MA", "IL", "WA", "TX"]),
                "postalCode": f"{rng.randrange(10_000, 99_999)}",
                "country": "US",
                "dateOfBirth": None,
                "customFields": {"preferred_language": rng.choice(["English", "Spanish"])},
                "createdAt": f"2026-{1 + i % 9:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00.000Z",
                "updatedAt": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z",
                "dndChannels": [],
            }
        )
    return docs


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name}={value:.2f} {unit}", flush=True)


def timed_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``fn`` in milliseconds over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Partition]]:
    path: Path = tmp_path_factory.mktemp("storage-bench") / "bench.db"
    docs = synthetic_contacts(N_CONTACTS)
    db = Database.open(path)
    part = db.partition("https://crm.example.com", "sub_bench")

    start = time.perf_counter()
    changed = part.contacts.upsert_many(docs)
    bench("storage_upsert_100k_contacts", time.perf_counter() - start, "s")
    assert changed == N_CONTACTS

    start = time.perf_counter()
    assert part.contacts.upsert_many(docs) == 0
    bench("storage_reupsert_100k_unchanged", time.perf_counter() - start, "s")

    # Measure reads on a freshly opened file, as after an app start.
    db.close()
    size = sum(p.stat().st_size for p in path.parent.iterdir())
    bench("storage_file_size_100k", size / 1e6, "MB")
    db = Database.open(path)
    yield db, db.partition("https://crm.example.com", "sub_bench")
    db.close()


def test_search_latency(store: tuple[Database, Partition]) -> None:
    db, part = store
    pages: list[float] = []
    both: list[float] = []
    counts: list[float] = []
    for _ in range(2):  # the first pass warms the page cache, the second is measured
        pages.clear()
        both.clear()
        counts.clear()
        for query in QUERIES:
            # What the Contacts tab does per keystroke: the first page, then the count.
            start = time.perf_counter()
            rows = part.contacts.search(query, sort_key="name", limit=100)
            pages.append((time.perf_counter() - start) * 1000)
            total = part.contacts.count(query)
            both.append((time.perf_counter() - start) * 1000)
            assert len(rows) == min(100, total)
            # The count alone, without the match count the page query left cached.
            fresh = db.partition("https://crm.example.com", "sub_bench")
            start = time.perf_counter()
            assert fresh.contacts.count(query) == total
            counts.append((time.perf_counter() - start) * 1000)
    bench("storage_search_page_p50", statistics.median(pages), "ms")
    bench("storage_search_page_p95", percentile(pages, 0.95), "ms")
    bench("storage_search_page_and_count_p50", statistics.median(both), "ms")
    bench("storage_search_page_and_count_p95", percentile(both, 0.95), "ms")
    bench("storage_search_count_alone_p50", statistics.median(counts), "ms")
    bench("storage_search_count_alone_p95", percentile(counts, 0.95), "ms")
    assert part.contacts.count("jan smi") > 0
    assert part.contacts.count("nobody-like-this") == 0


def test_first_pages_and_count(store: tuple[Database, Partition]) -> None:
    _, part = store
    by_name = timed_ms(lambda: part.contacts.search(sort_key="name", limit=100))
    bench("storage_first_page_by_name", by_name, "ms")
    by_updated = timed_ms(
        lambda: part.contacts.search(sort_key="updatedAt", descending=True, limit=100)
    )
    bench("storage_first_page_by_updated_desc", by_updated, "ms")
    deep = timed_ms(lambda: part.contacts.search(sort_key="name", limit=100, offset=90_000))
    bench("storage_page_at_offset_90000_by_name", deep, "ms")
    bench("storage_count_all", timed_ms(part.contacts.count), "ms")
    assert part.contacts.count() == N_CONTACTS
    assert len(part.contacts.search(sort_key="name", limit=100)) == 100


N_CONVERSATIONS = 10_000
MESSAGES_PER_CONVERSATION = 5
CONVERSATION_QUERIES = ["jane", "smith", "invoice", "appointment", "5550", "zoe", "roof leak", "x"]


def test_inbox_figures(tmp_path: Path) -> None:
    rng = random.Random(7)
    channels = ["sms", "email", "gmail", "messenger", "instagram", "live_chat", "social_dm"]
    words = ["invoice", "appointment", "roof", "leak", "quote", "thanks", "tomorrow", "price"]
    conversations, messages = [], []
    for i in range(N_CONVERSATIONS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        conv_id = f"conv_{i:08d}"
        conversations.append(
            {
                "id": conv_id,
                "contactId": f"contact_{i:08d}",
                "channel": rng.choice(channels),
                "status": rng.choice(["open", "open", "closed", "snoozed"]),
                "assignedTo": rng.choice(USERS),
                "unreadCount": rng.choice([0, 0, 0, 1, 3]),
                "isArchived": False,
                "lastMessageAt": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z",
                "createdAt": "2026-01-01T00:00:00.000Z",
                "contact": {"id": f"contact_{i:08d}", "firstName": first, "lastName": last,
                            "email": f"{first.lower()}{i}@example.com",
                            "phone": f"+1617555{rng.randrange(10_000):04d}"},
            }
        )  # fmt: skip
        for j in range(MESSAGES_PER_CONVERSATION):
            messages.append(
                {
                    "id": f"msg_{i:08d}_{j}",
                    "conversationId": conv_id,
                    "channel": "sms",
                    "direction": rng.choice(["inbound", "outbound"]),
                    "bodyText": " ".join(rng.choice(words) for _ in range(8)),
                    "status": "delivered",
                    "isInternal": False,
                    "createdAt": f"2026-10-{1 + j:02d}T10:00:00.000Z",
                }
            )
    with Database.open(tmp_path / "inbox.db") as db:
        part = db.partition("https://crm.example.com", "sub_bench")
        start = time.perf_counter()
        part.conversations.upsert_conversations(conversations)
        bench("storage_upsert_10k_conversations", time.perf_counter() - start, "s")
        start = time.perf_counter()
        part.messages.upsert_messages(messages)
        bench("storage_upsert_50k_messages", time.perf_counter() - start, "s")

        first_page = timed_ms(lambda: part.conversations.list_conversations(limit=100))
        bench("storage_inbox_first_page_10k", first_page, "ms")
        unread = timed_ms(lambda: part.conversations.list_conversations("unread", limit=100))
        bench("storage_inbox_unread_first_page", unread, "ms")
        samples = [
            timed_ms(partial(part.conversations.list_conversations, text=q, limit=100), 3)
            for q in CONVERSATION_QUERIES
        ]
        bench("storage_inbox_search_p50", statistics.median(samples), "ms")
        bench("storage_inbox_search_max", max(samples), "ms")
        long_thread = [
            {**messages[0], "id": f"long_{k:05d}", "conversationId": "conv_long",
             "createdAt": f"2026-{1 + k // 1000:02d}-{1 + (k // 40) % 25:02d}T"
                          f"{(k // 2) % 20:02d}:00:00.000Z"}
            for k in range(5_000)
        ]  # fmt: skip
        part.messages.upsert_messages(long_thread)
        thread = timed_ms(lambda: part.messages.messages_page("conv_long", None, 50))
        bench("storage_thread_5000_first_page", thread, "ms")

        def walk() -> int:
            seen, before = 0, None
            while page := part.messages.messages_page("conv_long", before, 100):
                seen += len(page)
                before = (page[-1]["createdAt"], page[-1]["id"])
            return seen

        bench("storage_thread_5000_page_through", timed_ms(walk, 3), "ms")
        assert walk() == 5_000
        assert part.conversations.count_conversations() == N_CONVERSATIONS
        assert part.conversations.count_conversations(text="invoice") > 0
