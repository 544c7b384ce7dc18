"""Fixtures of the Leads tab tests: search results and researched records as the sandbox
sends them, models under ``QAbstractItemModelTester``, and a workspace on the session's
sandbox with a Seamless user of its own (so balances never leak between tests)."""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel
from PySide6.QtTest import QAbstractItemModelTester

from app.core.seamless import (
    CompanySearchResult,
    ContactSearchResult,
    ResearchedContact,
    parse,
)
from app.services.leads import LeadsService
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, SeamlessSettings
from app.settings.secrets import Secrets, SessionSecrets, account_name
from tests.support.sandbox_process import Sandbox

QUIET = PollPlan(
    inbox=(3600, 3600), thread=(3600, 3600), contacts=(3600, 3600), appointments=(3600, 3600)
)

SIZES = ["51 - 200", "10,001+", None, "2 - 10", "501 - 1,000", "11 - 50"]


def person_result(i: int, **extra: Any) -> ContactSearchResult:
    """A people search result as the API sends it."""
    data: dict[str, Any] = {
        "searchResultId": f"sr-{i}",
        "name": f"Person {i:02d}",
        "title": ["VP of Sales", "Director of Sales", None][i % 3],
        "seniority": ["VP", "Director", "Manager"][i % 3],
        "department": "Sales",
        "company": f"Company {i % 4}",
        "city": "Austin",
        "state": "Texas",
        "country": "United States",
        "employeeSizeRange": SIZES[i % len(SIZES)],
        "industries": ["Computer Software", "Internet"][: 1 + i % 2],
        "liUrl": f"https://www.linkedin.com/in/person-{i}",
    }
    data.update(extra)
    return parse(ContactSearchResult, data)


def company_result(i: int) -> CompanySearchResult:
    """A company search result as the API sends it."""
    return parse(
        CompanySearchResult,
        {
            "searchResultId": f"co-{i}",
            "name": f"Company {i:02d}",
            "domain": f"company{i}.example",
            "industries": ["Computer Software"],
            "staffCountRange": SIZES[i % len(SIZES)],
            "revenueRange": ["$1M - $5M", "$1B+", "$100K - $1M"][i % 3],
            "city": "Chicago",
            "country": "United States",
            "foundedOn": 1990 + i if i % 4 else None,
            "description": f"Company {i} makes software.",
        },
    )


def researched(i: int, **extra: Any) -> ResearchedContact:
    """A researched contact with two emails and two phones, with confidences."""
    data: dict[str, Any] = {
        "contactId": f"ct-{i}",
        "searchResultId": f"sr-{i}",
        "firstName": "Person",
        "lastName": f"{i:02d}",
        "email": f"person{i}@company.example",
        "email1": f"person{i}@company.example",
        "email1TotalAI": "97%",
        "email1EmailAI": "valid",
        "email2": f"person{i}@gmail.example",
        "email2TotalAI": "70",
        "email2EmailAI": "risky",
        "contactPhone1": "415.555.0101",
        "contactPhone1TotalAI": "80%",
        "contactPhone1DataType": "mobile",
        "companyPhone1": "+14155550199",
        "company": f"Company {i % 4}",
        "title": "VP of Sales",
    }
    data.update(extra)
    return parse(ResearchedContact, data)


@pytest.fixture
def tested() -> Iterator[Callable[[QAbstractItemModel], QAbstractItemModel]]:
    """``tested(model)`` puts ``model`` under ``QAbstractItemModelTester`` (Fatal) for the
    rest of the test."""
    testers: list[QAbstractItemModelTester] = []

    def attach(model: QAbstractItemModel) -> QAbstractItemModel:
        testers.append(
            QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
        )
        return model

    yield attach
    testers.clear()


def new_seamless_user(box: Sandbox, credits: int) -> str:
    """A Seamless user of its own on the shared sandbox: its key."""
    return str(box.control("POST", "seamless/users", json={"credits": credits})["key"])


def make_workspace(tmp: Path, box: Sandbox, *, seedly: bool = True) -> tuple[Workspace, Profile]:
    """A workspace like the app's (test keyring in memory) with a saved agency connection to
    the sandbox; the lead service polls research every 2 s (the shortest allowed)."""
    workspace = Workspace.open(
        AppPaths.under(tmp / "home"), secrets=Secrets(persistent=SessionSecrets()), plan=QUIET
    )
    workspace.leads = LeadsService(
        workspace.db, workspace.bus, workspace.contact_service_for, poll_interval=2.0
    )
    profile = Profile(name="Sandbox", deployment_url=box.url, key_kind="agency")
    if seedly:
        workspace.profiles.upsert(profile)
        workspace.secrets.save(account_name(profile.id), box.info["agency_key"])
    return workspace, profile


async def connect_seamless(
    workspace: Workspace, box: Sandbox, key: str, *, demo: bool = False, **settings: Any
) -> SeamlessSettings:
    """Connect the workspace's Seamless side with ``key`` and wait for the balance."""
    seamless = SeamlessSettings(base_url=box.seamless_url, demo=demo, **settings)
    workspace.profiles.data.seamless = seamless
    await workspace.connect_seamless(seamless, key)
    credits = workspace.leads.credits
    assert credits is not None
    for _ in range(200):
        if credits.balance is not None or workspace.leads.problem:
            break
        await asyncio.sleep(0.05)
    return seamless


async def until(condition: Callable[[], Any], timeout: float = 20.0, step: float = 0.05) -> Any:
    """Wait on the running loop until ``condition()`` is truthy; its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout:.0f} s: {condition}")
        await asyncio.sleep(step)
