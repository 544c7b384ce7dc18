"""The filter panels: every filter of docs/api/seamless.md ("Search") has an editor, chips
complete from the documented values, closed lists and limits refuse with the sentence under
the filter, the industry picker offers the groups, and the mapping the panel builds is what
``contact_search`` / ``company_search`` accept (problems shown at the filter they name)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from app.core.constants import SEAMLESS_INDUSTRY_GROUPS
from app.core.seamless import COMPANY_FILTERS, CONTACT_FILTERS, company_search, contact_search
from app.core.seamless.filters import SENIORITIES
from app.ui.leads.filters import (
    ChipsEditor,
    ChoiceEditor,
    DateEditor,
    FilterPanel,
    FlagEditor,
    IndustryPicker,
    JobChangesEditor,
    PastCompanyEditor,
)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def people(qtbot: Any) -> FilterPanel:
    panel = FilterPanel(companies=False)
    qtbot.addWidget(panel)
    panel.resize(320, 900)
    panel.show()
    return panel


@pytest.fixture
def companies(qtbot: Any) -> FilterPanel:
    panel = FilterPanel(companies=True)
    qtbot.addWidget(panel)
    return panel


def chips(panel: FilterPanel, wire: str) -> ChipsEditor:
    editor = panel.editor(wire)
    assert isinstance(editor, ChipsEditor)
    return editor


def test_every_filter_of_the_reference_has_its_editor(
    people: FilterPanel, companies: FilterPanel
) -> None:
    assert list(people.fields) == [s.wire for s in CONTACT_FILTERS]
    assert list(companies.fields) == [s.wire for s in COMPANY_FILTERS]
    assert isinstance(people.editor("seniority"), ChipsEditor)
    assert isinstance(people.editor("industry"), IndustryPicker)
    assert isinstance(people.editor("companyType"), ChoiceEditor)
    assert isinstance(people.editor("newsTypeDates"), ChoiceEditor)  # one value at most
    assert isinstance(people.editor("technologiesIsOr"), FlagEditor)
    assert isinstance(people.editor("lastModifiedAfter"), DateEditor)
    assert isinstance(people.editor("jobChanges"), JobChangesEditor)
    assert isinstance(people.editor("pastCompany"), PastCompanyEditor)
    assert list(people.groups) == ["Person", "Company", "Location", "Signals", "Funding", "Other"]
    assert people.fields["industry"].label.text() == "Industry (up to 5)"
    assert people.mapping() == {}


def test_chips_complete_from_the_values_and_refuse_others(people: FilterPanel, qtbot: Any) -> None:
    seniority = chips(people, "seniority")
    field = people.fields["seniority"]
    assert seniority.completions() == list(SENIORITIES)
    # Typed in any case, a documented value takes its documented spelling.
    qtbot.keyClicks(seniority.input, "vp")
    qtbot.keyClick(seniority.input, Qt.Key.Key_Return)
    assert seniority.values() == ["VP"] and seniority.input.text() == ""
    assert "VP" not in seniority.completions() and "Director" in seniority.completions()
    assert [c.tag for c in seniority.chips()] == ["VP"]
    # Not a documented value: refused, with the sentence under the filter.
    assert not seniority.add_value("Intern")
    assert "“Intern” is not a seniority Seamless.AI accepts" in field.error_text
    assert seniority.values() == ["VP"]
    # The list menu toggles values too.
    menu = seniority.menu_button.menu()  # type: ignore[union-attr]
    menu.aboutToShow.emit()
    director = next(a for a in menu.actions() if a.text() == "Director")
    director.trigger()
    assert seniority.values() == ["VP", "Director"] and field.error_text == ""
    # The chip's remove button and Backspace on the empty box remove values.
    seniority.chips()[0].remove_button.click()  # type: ignore[union-attr]
    assert seniority.values() == ["Director"]
    seniority.input.setFocus()
    qtbot.keyClick(seniority.input, Qt.Key.Key_Backspace)
    assert seniority.values() == []
    # Open lists take free values (a comma adds too).
    title = chips(people, "jobTitle")
    qtbot.keyClicks(title.input, "Head of Revenue,")
    assert title.values() == ["Head of Revenue"]
    assert people.mapping() == {"jobTitle": ["Head of Revenue"]}


def test_limits_are_enforced_at_the_filter_with_the_sentence(people: FilterPanel) -> None:
    industry = people.editor("industry")
    assert isinstance(industry, IndustryPicker)
    five = [name for _, items in SEAMLESS_INDUSTRY_GROUPS for name in items][:5]
    for name in five:
        assert industry.add_value(name)
    assert not industry.add_value("Retail")
    field = people.fields["industry"]
    assert field.error_text == "Choose at most 5 industries: remove one before adding “Retail”."
    assert industry.values() == five
    # Removing one makes room, and the sentence goes.
    industry.remove_value(five[0])
    assert field.error_text == ""
    assert industry.add_value("Retail")
    contact_search(people.mapping())  # what the panel allows, the request accepts
    seniority = chips(people, "seniority")
    for value in SENIORITIES[:5]:
        seniority.add_value(value)
    assert not seniority.add_value(SENIORITIES[5])
    assert people.fields["seniority"].error_text.startswith("Choose at most 5 seniorities")


def test_the_industry_picker_offers_groups_then_industries(
    people: FilterPanel, companies: FilterPanel
) -> None:
    picker = people.editor("industry")
    assert isinstance(picker, IndustryPicker)
    menu = picker.menu_button.menu()  # type: ignore[union-attr]
    groups = [a.menu().title() for a in menu.actions() if a.menu() is not None]
    assert groups == [name for name, _ in SEAMLESS_INDUSTRY_GROUPS]
    software = next(a.menu() for a in menu.actions() if a.menu() is not None)
    assert isinstance(software, QMenu)
    items = [a.text() for a in software.actions() if isinstance(a, QAction) and not a.isSeparator()]
    group, industries = SEAMLESS_INDUSTRY_GROUPS[0]
    assert items == [group, *industries]  # people search takes a whole group too
    software.actions()[0].trigger()
    next(a for a in software.actions() if a.text() == "Computer Software").trigger()
    assert picker.values() == [group, "Computer Software"]
    assert contact_search(people.mapping()).industry == [group, "Computer Software"]
    # A value outside the known list is kept, with a note that Seamless may ignore it.
    assert picker.add_value("Space Tourism")
    assert "not in the known industry list" in people.fields["industry"].note_text
    # Company search takes industries only: no whole groups in its menu or completion.
    company_picker = companies.editor("industry")
    assert isinstance(company_picker, IndustryPicker)
    sub = next(a.menu() for a in company_picker.menu_button.menu().actions() if a.menu())  # type: ignore[union-attr]
    assert [a.text() for a in sub.actions()] == list(industries)
    assert group not in company_picker.completions()


def test_the_mapping_of_every_kind_of_filter_validates(people: FilterPanel) -> None:
    chips(people, "jobTitle").add_value("VP of Sales")
    chips(people, "seniority").add_value("Director")
    chips(people, "companySize").add_value("51 - 200")
    chips(people, "companyRevenue").add_value("$5M - $20M")
    chips(people, "contactCountry").add_value("United States")
    chips(people, "companyLatestFundingClassifications").add_value("Series A")
    company_type = people.editor("companyType")
    assert isinstance(company_type, ChoiceEditor)
    company_type.combo.setCurrentIndex(company_type.combo.findData("Private"))
    location = people.editor("locationType")
    assert isinstance(location, ChoiceEditor)
    assert location.combo.itemText(0) == "Person's or company's location (default)"
    location.combo.setCurrentIndex(location.combo.findData("contact"))
    news = people.editor("newsTypeDates")
    assert isinstance(news, ChoiceEditor)
    news.combo.setCurrentIndex(news.combo.findData("90"))
    flag = people.editor("technologiesIsOr")
    assert isinstance(flag, FlagEditor) and flag.value() is None  # the default is not sent
    flag.check.setChecked(False)
    jobs = people.editor("jobChanges")
    assert isinstance(jobs, JobChangesEditor)
    jobs.kind.setCurrentIndex(jobs.kind.findData("New Hire"))
    jobs.period.setCurrentIndex(jobs.period.findData("Last 90 Days"))
    past = people.editor("pastCompany")
    assert isinstance(past, PastCompanyEditor)
    past.names.add_value("Globex")
    past.most_recent.setChecked(True)
    after = people.editor("lastModifiedAfter")
    assert isinstance(after, DateEditor)
    after.set_value("2026-01-31")
    mapping = people.mapping()
    assert mapping == {
        "jobTitle": ["VP of Sales"],
        "seniority": ["Director"],
        "companySize": ["51 - 200"],
        "companyRevenue": ["$5M - $20M"],
        "companyType": "Private",
        "technologiesIsOr": False,
        "contactCountry": ["United States"],
        "locationType": "contact",
        "jobChanges": {"changeType": "New Hire", "dayRange": "Last 90 Days"},
        "pastCompany": {"names": ["Globex"], "onlyMostRecentDeparture": True},
        "newsTypeDates": ["90"],
        "companyLatestFundingClassifications": ["Series A"],
        "lastModifiedAfter": "2026-01-31",
    }
    body = contact_search(mapping).to_body()
    assert body["jobChanges"] == {"changeType": "New Hire", "dayRange": "Last 90 Days"}
    assert body["pastCompany"]["onlyMostRecentDeparture"] is True
    query = people.build_query()
    assert query is not None and query.filters() == body
    # The mapping round-trips (saved searches, the last filters).
    other = FilterPanel(companies=False)
    other.set_mapping(mapping)
    assert other.mapping() == mapping
    assert other.groups["Person"].header.text() == "Person · 2"
    other.deleteLater()


def test_problems_of_the_check_show_under_their_filter(people: FilterPanel) -> None:
    jobs = people.editor("jobChanges")
    assert isinstance(jobs, JobChangesEditor)
    jobs.period.setCurrentIndex(jobs.period.findData("Last 60 Days"))  # a period, no kind
    people.groups["Signals"].set_expanded(False)
    assert people.build_query() is None
    field = people.fields["jobChanges"]
    assert field.error_text.startswith("Choose the kind of job change")
    assert people.groups["Signals"].expanded  # opened to show it
    # The next edit of the filter clears the complaint; the check then passes.
    jobs.kind.setCurrentIndex(jobs.kind.findData("New Promotion"))
    assert field.error_text == ""
    assert people.build_query() is not None


def test_company_panel_builds_a_company_search(companies: FilterPanel) -> None:
    chips(companies, "companyKeyword").add_value("payments")
    chips(companies, "foundedOn").add_value("10+ Years")
    picker = companies.editor("industry")
    assert isinstance(picker, IndustryPicker)
    picker.add_value("computer software")
    mapping = companies.mapping()
    assert mapping == {
        "companyKeyword": ["payments"],
        "industry": ["Computer Software"],
        "foundedOn": ["10+ Years"],
    }
    assert company_search(mapping).to_body() == mapping
    companies.clear()
    assert companies.mapping() == {} and picker.chips() == []
