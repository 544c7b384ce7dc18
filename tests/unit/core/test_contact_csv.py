"""CSV import/export rules: decoding, sniffing, mapping, row validation, plan, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.contact_csv import (
    CsvFileError,
    ImportReport,
    RowAction,
    RowOutcome,
    RowStatus,
    SkipReason,
    check_mapping,
    decode_csv,
    export_csv_chunks,
    export_header,
    export_row,
    neutralize,
    parse_csv,
    plan_import,
    report_csv,
    row_fields,
    split_full_name,
    suggest_for_table,
    suggest_mapping,
    unneutralize,
)
from app.core.import_values import DateOrder
from app.core.models import CustomFieldDefinition
from tests.unit.storage.docs import contact

DEFS = [
    CustomFieldDefinition(
        name="property_type",
        label="Property Type",
        type="select",
        options=["Residential", "Commercial"],
        isRequired=True,
    ),
    CustomFieldDefinition(name="roof_age_years", label="Roof Age (years)", type="number"),
    CustomFieldDefinition(name="insurance_claim", label="Insurance Claim", type="boolean"),
    CustomFieldDefinition(name="billing_email", label="Email", type="email"),
]


def _plan(text: str, defs: Any = (), **kw: Any) -> Any:
    table = parse_csv(text.encode())
    mapping = suggest_mapping(table.raw_header, defs).targets
    return plan_import(table, mapping, defs, **kw)


# -- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Név,Email\nZoë,z@x.com\n".encode(), "utf-8"),
        ("\ufeffNév,Email\nZoë,z@x.com\n".encode(), "utf-8-sig"),
        ("\ufeffNév,Email\nZoë,z@x.com\n".encode("utf-16-le"), "utf-16"),
        ("\ufeffNév,Email\nZoë,z@x.com\n".encode("utf-16-be"), "utf-16"),
        ("Név,Email\nZoë,z@x.com\n".encode("utf-16-le"), "utf-16-le"),  # no BOM
    ],
)
def test_unicode_encodings_are_detected(data: bytes, encoding: str) -> None:
    table = parse_csv(data)
    assert table.encoding == encoding
    assert table.header == ("Név", "Email")  # no BOM left on the first name
    assert table.rows[0].cells == ("Zoë", "z@x.com")
    assert not table.notes


def test_windows_1252_is_the_fallback_with_a_note() -> None:
    table = parse_csv("Name,Company\nJosé Núñez,Café “Olé”\n".encode("cp1252"))
    assert table.encoding == "cp1252" and table.encoding_label.startswith("Windows-1252")
    assert table.rows[0].cells == ("José Núñez", "Café “Olé”")
    assert "not UTF-8 (first on line 2)" in table.notes[0]


def test_undecodable_bytes_name_the_line() -> None:
    # 0x81 is undefined in Windows-1252 and invalid alone in UTF-8.
    with pytest.raises(CsvFileError) as info:
        decode_csv(b"Name,Email\nok,a@x.com\nbad\x81,b@x.com\n")
    assert info.value.line == 3 and "0x81" in str(info.value) and "CSV UTF-8" in str(info.value)
    with pytest.raises(CsvFileError, match="Line 2 contains a byte"):
        decode_csv(b"Name\n\xff\xfe\xfa\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"  \r\n\r\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", r"Excel workbook \(\.xlsx\)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image"),
        (bytes(range(256)) * 4, "binary"),
        (b"Name\x00\x01\x02\x03\x04\x05,Email\n", "binary"),
    ],
)
def test_empty_and_binary_files_are_refused_by_name(data: bytes, words: str) -> None:
    with pytest.raises(CsvFileError, match=words):
        parse_csv(data)


# -- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter: str) -> None:
    rows = [["First", "Last", "Email", "City"], ["Jane", "Doe", "j@x.com", "Boston, MA"]]
    rows += [["Li", "Wei", "l@x.com", "Austin; TX"]]
    text = "\n".join(delimiter.join(f'"{c}"' if delimiter in c else c for c in r) for r in rows)
    table = parse_csv(text.encode())
    assert table.delimiter == delimiter
    assert table.header == ("First", "Last", "Email", "City")
    assert table.rows[0].cells[3] == "Boston, MA"


def test_semicolons_win_over_commas_inside_values() -> None:
    text = "Name;Company;City\nJane Doe;Acme, Inc;Boston, MA\nBob;Globex, LLC;Austin, TX\n"
    assert parse_csv(text.encode()).delimiter == ";"
    # The user may force another one.
    assert parse_csv(text.encode(), delimiter=",").delimiter == ","


def test_quoted_fields_with_line_breaks_keep_their_line_numbers() -> None:
    text = '\n\nName,Notes,Email\r\n"Jane","two\r\nlines",j@x.com\r\nBob,"say ""hi""",b@x.com\r\n'
    table = parse_csv(text.encode())
    assert table.header_line == 3  # blank lines above the header are skipped
    assert [r.line for r in table.rows] == [4, 6]
    assert table.rows[0].cells[1] == "two\r\nlines"
    assert table.rows[1].cells[1] == 'say "hi"'


def test_a_quote_that_is_never_closed_names_its_line() -> None:
    with pytest.raises(CsvFileError) as info:
        parse_csv(b'Name,Email\nJane,j@x.com\n"Bob,b@x.com\nAl,a@x.com\n')
    assert info.value.line == 3 and "never closed" in str(info.value)


def test_a_file_without_header_or_without_rows_is_refused() -> None:
    with pytest.raises(CsvFileError, match="looks like a contact") as info:
        parse_csv(b"Jane,Doe,jane@example.com\nBob,Li,bob@example.com\n")
    assert info.value.line == 1
    with pytest.raises(CsvFileError, match="looks like a contact"):
        parse_csv(b"Jane,(617) 555-0101\n")
    with pytest.raises(CsvFileError, match="no contacts below them"):
        parse_csv(b"First Name,Last Name,Email\n\n")


def test_repeated_and_blank_column_names_are_made_unique() -> None:
    table = parse_csv(b"Email,Name,email,\na@x.com,A,b@x.com,\n")
    assert table.header == ("Email", "Name", "email (column 3)", "Column 4")
    assert "Columns 1 and 3 are both called “email”" in table.notes[0]
    suggestion = suggest_mapping(table.raw_header)
    assert suggestion.targets == ("email", "name", None, None)
    assert "column 1 (“Email”) is imported as that" in suggestion.notes[2]


def test_too_many_rows_or_columns_are_refused() -> None:
    with pytest.raises(CsvFileError, match="more than 3 contacts"):
        parse_csv(b"Name\n" + b"a b\n" * 4, max_rows=3)
    with pytest.raises(CsvFileError, match="501 columns"):
        parse_csv((",".join(f"c{i}" for i in range(501)) + "\n" + "x\n").encode())


# -- mapping ------------------------------------------------------------------------------


def test_mapping_suggestions_tolerate_case_spacing_and_synonyms() -> None:
    header = [
        "E-mail",
        "First",
        "last_name",
        "Mobile",
        "Company Name",
        "TAGS",
        "Zip Code",
        "E-mail 2 Address",
        "Job Title",
        "Lifecycle Stage",
        "Owner",
        "property type",
        "roof_age_years",
        "Email (billing_email)",
        "Engagement Score",
        "Favourite Colour",
        "Seedly ID",
    ]
    suggestion = suggest_mapping(header, DEFS)
    assert suggestion.targets == (
        "email",
        "firstName",
        "lastName",
        "phone",
        "company",
        "tags",
        "postalCode",
        "additionalEmails",
        "title",
        "lifecycleStage",
        None,  # owners are names until their values match team members (suggest_for_table)
        "customFields.property_type",
        "customFields.roof_age_years",
        "customFields.billing_email",
        None,
        None,
        "id",
    )
    assert suggestion.notes[14] == "Read-only in Seedly: not imported."
    assert (
        "“Owner” names owners, and Seedly's Assigned to takes team member IDs"
        in (suggestion.notes[10])
    )
    assert suggestion.owners == frozenset({10})
    # "Email Address" and "Full Name" are understood too.
    assert suggest_mapping(["Email Address", "Full Name"]).targets == ("email", "name")


def test_mapping_problems() -> None:
    header = ["A", "B", "C"]
    assert "is chosen for 2 columns" in check_mapping(header, ["email", "email", None]).errors[0]
    assert check_mapping(header, ["tags", "tags", "email"]).ok  # tags may come from two columns
    assert "at least one column" in check_mapping(header, [None, None, None]).errors[0]
    assert "to create contacts" in check_mapping(header, ["company", None, None]).errors[0]
    only_email = check_mapping(header, ["email", "tags", None])
    assert only_email.ok and "only update existing contacts" in only_email.warnings[0]
    required = check_mapping(header, ["firstName", "lastName", "email"], DEFS)
    assert required.ok and "Property Type is required" in required.warnings[0]


# -- rows ---------------------------------------------------------------------------------


def test_row_fields_split_lists_and_names_and_drop_blank_cells() -> None:
    mapping = ["name", "tags", "tags", "lifecycleStage", "company", "phone", None]
    data = row_fields(
        ["Doe, Jane", "vip, new;  webinar", "vip", "Customer", "'=Acme", "  ", "x"], mapping
    )
    assert data.fields == {
        "firstName": "Jane",
        "lastName": "Doe",
        "tags": ["vip", "new", "webinar"],
        "lifecycleStage": "customer",
        "company": "=Acme",  # the export's neutralising apostrophe is taken off again
    }
    assert split_full_name("Jane van der Berg") == ("Jane", "van der Berg")
    assert split_full_name("Cher") == ("Cher", None)
    assert unneutralize("'Til Tuesday") == "'Til Tuesday"


def test_plan_creates_updates_and_skips_with_reasons() -> None:
    cached = {
        "old@x.com": contact(
            "c_old", "Old", "Timer", email="old@x.com", tags=["vip"], company="Acme"
        ),
        "same@x.com": contact("c_same", "Sam", "Same", email="same@x.com"),
    }
    text = (
        "First,Last,Email,Company,Tags,Phone\n"
        "New,Person,new@x.com,,,020 7946 0958\n"  # 2: create, GB number
        "Old,Timer,OLD@x.com,,newsletter,\n"  # 3: update (tag added; empty company kept)
        "Sam,Same,same@x.com,,,\n"  # 4: unchanged
        "Nope,,bad-email,,,\n"  # 5: invalid
        "Again,Person,New@X.com,,,\n"  # 6: duplicate of 2
        ",,,,,\n"  # 7: empty
        "Short,Row,short@x.com\n"  # 8: create, with a warning
        "Too,Many,many@x.com,,,,surplus\n"  # 9: invalid
    )
    plan = _plan(
        text,
        default_region="GB",
        find_by_email=lambda e: cached.get(e.lower()),
    )
    by_line = {r.line: r for r in plan.rows}
    assert by_line[2].action is RowAction.CREATE
    assert by_line[3].action is RowAction.UPDATE and by_line[3].contact_id == "c_old"
    assert by_line[3].changes == ("tags",)
    assert by_line[4].action is RowAction.UNCHANGED
    assert by_line[5].skip is SkipReason.INVALID
    assert "Column “Last”: Last name is required." in by_line[5].reason
    assert "Column “Email”:" in by_line[5].reason
    assert by_line[6].skip is SkipReason.DUPLICATE and "Line 2 above" in by_line[6].reason
    assert by_line[7].skip is SkipReason.EMPTY
    assert by_line[8].action is RowAction.CREATE and "only 3 of 6 values" in by_line[8].warning
    assert by_line[9].skip is SkipReason.INVALID and "7 values" in by_line[9].reason
    expected = {RowAction.CREATE: 2, RowAction.UPDATE: 1, RowAction.UNCHANGED: 1, RowAction.SKIP: 4}
    assert plan.counts == expected
    assert plan.writes == 3 and plan.estimated_seconds() == 3.0
    assert plan.can_import


def test_phones_are_normalised_with_the_default_region() -> None:
    from app.core.contact_csv import decide_row

    data = row_fields(["A", "B", "020 7946 0958"], ["firstName", "lastName", "phone"])
    decision = decide_row(data, None, [], default_region="GB")
    assert decision.create is not None and decision.create.phone == "+442079460958"
    us = decide_row(data, None, [], default_region="US")
    assert us.action is RowAction.SKIP and "phone" in us.errors


def test_required_custom_field_and_values_of_custom_fields() -> None:
    text = (
        "Name,Email,Property Type,Roof Age (years),Insurance Claim\n"
        "Rita Roof,r@x.com,residential,12,yes\n"
        "Walt Wall,w@x.com,,,\n"
        "Ned Num,n@x.com,Commercial,old,\n"
    )
    plan = _plan(text, DEFS)
    rita, walt, ned = plan.rows
    assert rita.action is RowAction.CREATE
    assert walt.skip is SkipReason.INVALID and "Property Type is required" in walt.reason
    # An optional field never drops the contact: the row is imported without the value,
    # and the preview says which column and why.
    assert ned.action is RowAction.CREATE and ned.data is not None
    assert ned.data.fields["customFields"] == {"property_type": "Commercial"}
    assert ned.notes == "Column “Roof Age (years)”: Roof Age (years) must be a number. Left out."
    assert ned.left_out == ("Roof Age (years)",)


def test_planning_can_be_stopped_and_reports_progress() -> None:
    text = "First,Last\n" + "".join(f"A{i},B\n" for i in range(600))
    steps: list[tuple[int, int]] = []
    plan = _plan(text, progress=lambda done, total: steps.append((done, total)))
    assert steps == [(0, 600), (250, 600), (500, 600), (600, 600)] and plan.complete
    stopped = _plan(text, should_stop=lambda: True)
    assert not stopped.complete and not stopped.rows and not stopped.can_import


# -- export -------------------------------------------------------------------------------


def test_neutralize_formulas_but_not_numbers() -> None:
    assert neutralize("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert neutralize("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize("+1+cmd") == "'+1+cmd"
    assert neutralize("-2+3") == "'-2+3"  # a formula, even if a harmless one
    assert neutralize("\t=1") == "'\t=1"
    assert neutralize("+15551234567") == "+15551234567"
    assert neutralize("-12") == "-12"
    assert neutralize("-12.5") == "-12.5"
    assert neutralize("Acme") == "Acme"
    # Spreadsheets evaluate these: neutralised, and still readable (the apostrophe is hidden).
    assert neutralize("+1-2") == "'+1-2"
    assert neutralize("-1 2") == "'-1 2"
    assert neutralize("+1 (555) 123-4567") == "'+1 (555) 123-4567"
    assert neutralize("  =1+1") == "'  =1+1"
    for value in ("+1-2", "+1 (555) 123-4567", "  =1+1", "@x"):
        assert unneutralize(neutralize(value)) == value


def test_export_header_neutralises_custom_field_labels_from_the_server() -> None:
    evil = CustomFieldDefinition(name="evil", label='=HYPERLINK("http://x","y")', type="text")
    plus = CustomFieldDefinition(name="plus", label="+Budget", type="text")
    header = export_header([evil, plus])
    assert '\'=HYPERLINK("http://x","y")' in header
    assert "'+Budget" in header
    assert not any(cell[:1] in "=+-@" for cell in header)


def test_export_rows_and_header() -> None:
    doc = contact(
        "c1",
        '=HYPERLINK("http://evil")',
        "Doe",
        email="jane@x.com",
        phone="+15551234567",
        tags=["vip", "new"],
        additionalEmails=["a@x.com", "b@x.com"],
        customFields={
            "property_type": "Residential",
            "insurance_claim": False,
            "roof_age_years": 7.0,
        },
        engagementScore=42,
    )
    header = export_header(DEFS)
    row = export_row(doc, DEFS)
    cells = dict(zip(header, row, strict=True))
    assert cells["First Name"].startswith("'=HYPERLINK")
    assert cells["Phone"] == "+15551234567"
    assert cells["Tags"] == "vip, new" and cells["Additional Emails"] == "a@x.com; b@x.com"
    assert cells["Property Type"] == "Residential" and cells["Insurance Claim"] == "no"
    assert cells["Roof Age (years)"] == "7" and cells["Engagement Score"] == "42"
    # A custom label that collides with a contact column carries its key.
    assert "Email (billing_email)" in header
    assert header[-3:] == ["Engagement Score", "Created At", "Updated At"]


def test_an_export_re_imports_without_changes() -> None:
    docs = [
        contact(
            f"c{i}",
            first,
            "O'Brien",
            email=f"p{i}@x.com" if i != 2 else None,
            phone="+442079460958" if i % 2 else None,
            company="=SUM(A1:A9)" if i == 1 else "Acme, Inc",
            tags=["vip", "web-lead"] if i else [],
            additionalPhones=["+16175550101"] if i == 3 else [],
            lifecycleStage="customer",
            dateOfBirth="1980-02-29" if i == 0 else None,
            customFields={
                "property_type": "Commercial",
                "roof_age_years": i,
                "insurance_claim": bool(i % 2),
                "billing_email": "bill@x.com",
            },
        )
        for i, first in enumerate(["Zoë", "José", "No Email", "Li"])
    ]
    text = "".join(export_csv_chunks(docs, DEFS, rows_per_chunk=2))
    table = parse_csv(("\ufeff" + text).encode())
    assert len(table.rows) == 4
    suggestion = suggest_mapping(table.raw_header, DEFS)
    by_id = {d["id"]: d for d in docs}
    plan = plan_import(table, suggestion.targets, DEFS, find_by_id=by_id.get)
    assert [r.action for r in plan.rows] == [RowAction.UNCHANGED] * 4, [
        (r.line, r.changes, r.reason) for r in plan.rows
    ]


def test_report_csv() -> None:
    report = ImportReport(total=2)
    report.outcomes += [
        RowOutcome(2, RowStatus.CREATED, "Jane Doe", "j@x.com", "c1"),
        RowOutcome(3, RowStatus.SKIPPED, "=evil", "", reason="Column “Email”: bad, really."),
    ]
    text = report_csv(report)
    assert text.splitlines()[0] == "Line,Status,Contact,Email,Contact ID,Reason"
    assert "3,skipped,'=evil,,," in text and '"Column “Email”: bad, really."' in text
    assert len(report_csv(report, problems_only=True).splitlines()) == 2
    assert report.summary() == "1 created, 1 skipped."


# -- files as exporters write them --------------------------------------------------------

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "contacts"


def _fixture(name: str) -> Any:
    return parse_csv((FIXTURES / name).read_bytes())


def test_the_header_row_is_found_below_a_preamble_and_can_be_chosen() -> None:
    table = _fixture("linkedin_Connections.csv")
    assert table.header_line == 4 and table.header[:2] == ("First Name", "Last Name")
    assert len(table.rows) == 5 and table.rows[0].line == 5
    assert "Lines 1–3 above the column names were skipped (“Notes:”)" in table.notes[0]
    assert [c.line for c in table.header_choices[:3]] == [1, 2, 4]
    forced = parse_csv((FIXTURES / "linkedin_Connections.csv").read_bytes(), header_line=1)
    assert forced.header == ("Notes:",) and forced.header_line == 1
    with pytest.raises(CsvFileError, match="Line 3 is not a row near the top"):
        parse_csv((FIXTURES / "linkedin_Connections.csv").read_bytes(), header_line=3)


def test_a_report_footer_is_recognised_not_reported_as_contacts() -> None:
    table = _fixture("salesforce_report.csv")
    assert len(table.rows) == 4 and len(table.footer) == 6
    assert "The last 6 lines (from line 6" in table.notes[-1]
    plan = plan_import(table, suggest_for_table(table).targets)
    assert plan.counts == {RowAction.CREATE: 4}
    # One-value rows that are data (a file of names only) are no footer.
    names = parse_csv(b"Name\nAna Lima\nBen Li\n")
    assert len(names.rows) == 2 and not names.footer


@pytest.mark.parametrize(
    ("name", "exporter", "expected", "ignored"),
    [
        (
            "linkedin_Connections.csv",
            "LinkedIn connections",
            {"Email Address": "email", "Position": "title", "Company": "company"},
            ["URL", "Connected On"],
        ),
        (
            "google_contacts.csv",
            "Google Contacts",
            {
                "E-mail 1 - Value": "email",
                "E-mail 2 - Value": "additionalEmails",
                "Phone 1 - Value": "phone",
                "Labels": "tags",
                "Organization Name": "company",
                "Organization Title": "title",
                "Address 1 - Country": "country",
                "Birthday": "dateOfBirth",
            },
            ["E-mail 1 - Label", "Address 1 - Formatted", "Name Prefix"],
        ),
        (
            "outlook_contacts.csv",
            "Outlook",
            {
                "Job Title": "title",
                "Mobile Phone": "phone",
                "Business Phone": "additionalPhones",
                "E-mail Address": "email",
                "E-mail 2 Address": "additionalEmails",
                "Company": "company",
                "Business Country/Region": "country",
                "Categories": "tags",
            },
            ["Title", "Account", "Business Fax", "E-mail Display Name", "Home Street"],
        ),
        (
            "hubspot-crm-exports-all-contacts.csv",
            "HubSpot",
            {"Email": "email", "Phone Number": "phone", "Lifecycle Stage": "lifecycleStage"},
            ["Record ID", "Contact owner", "Create Date", "Lead Status"],
        ),
        (
            "salesforce_report.csv",
            "Salesforce report",
            {"Title": "title", "Account Name": "company", "Mobile": "additionalPhones"},
            ["Contact Owner", "Salutation"],
        ),
        (
            "mailchimp_subscribed_members_export.csv",
            "Mailchimp audience",
            {"Email Address": "email", "TAGS": "tags", "CC": "country"},
            ["Address", "MEMBER_RATING", "LEID", "REGION"],
        ),
        (
            "vcard_vcf2csv.csv",
            "vCard converter (vcf2csv)",
            {
                "Name": "lastName",
                "GivenNames": "firstName",
                "Organisation": "company",
                "EmailPref": "email",
                "TelCellWork": "additionalPhones",
            },
            ["TelFaxWork", "Uid", "Note", "StreetHome"],
        ),
        (
            "excel_de_cp1252.csv",
            None,
            {
                "E-Mail-Adresse": "email",
                "Telefon": "phone",
                "Mobiltelefon": "additionalPhones",
                "Firma": "company",
                "Straße": "addressLine1",
                "PLZ": "postalCode",
                "Ort": "city",
                "Land": "country",
                "Geburtstag": "dateOfBirth",
            },
            ["Anrede"],
        ),
    ],
)
def test_each_exporter_maps_without_help(
    name: str, exporter: str | None, expected: dict[str, str], ignored: list[str]
) -> None:
    table = _fixture(name)
    suggestion = suggest_for_table(table)
    assert suggestion.exporter == exporter
    mapped = dict(zip(table.header, suggestion.targets, strict=True))
    assert {column: mapped[column] for column in expected} == expected
    assert all(mapped[column] is None for column in ignored)
    assert check_mapping(table.header, suggestion.targets).ok


def test_a_title_column_of_salutations_is_not_a_job_title() -> None:
    table = parse_csv(b"Title,First,Last\nMr.,Al,Bo\nMs.,Cy,Di\nDr.,Ed,Fi\n")
    suggestion = suggest_for_table(table)
    assert suggestion.targets == (None, "firstName", "lastName")
    assert "salutation" in suggestion.notes[0]
    assert suggest_mapping(["Title", "Job Title"]).targets == (None, "title")
    assert suggest_mapping(["Title"]).targets == ("title",)  # Seedly's own export


def test_owner_columns_are_imported_only_when_they_name_team_members() -> None:
    text = b"First,Last,Email,Owner\nA,B,a@x.com,Ana Ortiz\nC,D,c@x.com,usr_ben\n"
    table = parse_csv(text)
    assert suggest_for_table(table).targets[3] is None
    team = {"usr_ana": "Ana Ortiz", "usr_ben": ""}
    suggestion = suggest_for_table(table, team=team)
    assert suggestion.targets[3] == "assignedTo" and 3 not in suggestion.notes
    plan = plan_import(table, suggestion.targets, team=team)
    assert [r.data.fields["assignedTo"] for r in plan.rows if r.data] == ["usr_ana", "usr_ben"]
    stranger = parse_csv(text + b"E,F,e@x.com,Dana Admin\n")
    assert suggest_for_table(stranger, team=team).targets[3] is None


def test_multi_value_cells_split_first_to_the_main_field() -> None:
    mapping = ["firstName", "lastName", "email", "phone", "additionalPhones", "tags"]
    data = row_fields(
        [
            "A",
            "B",
            "a@x.com ::: b@x.com ::: A@X.com",
            "",
            "+1 617 555 0101 ::: +1 617 555 0102",
            "* myContacts ::: Friends",
        ],
        mapping,
    )
    assert data.fields["email"] == "a@x.com"
    assert data.fields["additionalEmails"] == ["b@x.com"]  # the main one is not repeated
    assert data.fields["phone"] == "+1 617 555 0101"  # the empty main phone is filled
    assert data.fields["additionalPhones"] == ["+1 617 555 0102"]
    assert data.fields["tags"] == ["Friends"]


def test_phones_are_read_by_the_row_country_else_left_out_and_noted() -> None:
    text = (
        "First,Last,Phone,Country\n"
        "Fr,Ance,01 42 68 53 00,France\n"  # 2: read as French
        "No,Where,01 42 68 53 00,\n"  # 3: not a US number: left out, the row imported
        "Us,Ual,(617) 555-0101,\n"  # 4
    )
    plan = _plan(text, default_region="US")
    france, nowhere, usual = plan.rows
    assert france.data is not None and france.data.fields["phone"] == "+33142685300"
    assert nowhere.action is RowAction.CREATE and nowhere.data is not None
    assert "phone" not in nowhere.data.fields  # never +10142685300
    assert nowhere.notes.startswith("Column “Phone”: “01 42 68 53 00” is not a valid United")
    assert nowhere.left_out == ("Phone",)
    assert usual.data is not None and usual.data.fields["phone"] == "+16175550101"
    assert "1 row is imported with values left out" in plan.notes()[-1]


def test_optional_values_never_drop_a_contact() -> None:
    long_company = "C" * 501
    text = (
        "First,Last,Email,Birthday,Lifecycle Stage,Company,Tags\n"
        f"A,B,a@x.com,--03-15,Evangelist,{long_company},ok\n"
        "C,D,c@x.com,0/0/00,Partner,Acme," + "t" * 51 + "\n"
        "E,F,e@x.com,15/03/1970,,,\n"
    )
    plan = _plan(text, default_region="US")
    first, second, third = plan.rows
    assert [r.action for r in plan.rows] == [RowAction.CREATE] * 3
    assert first.data is not None and first.data.fields["lifecycleStage"] == "customer"
    assert "company" not in first.data.fields and "dateOfBirth" not in first.data.fields
    assert "Column “Birthday”: “--03-15” has no year" in first.notes
    assert "Column “Company”: Company is 501 characters long; Seedly takes at most 500." in (
        first.notes
    )
    assert second.data is not None and "dateOfBirth" not in second.data.fields
    assert "Birthday" not in second.notes  # Outlook's empty birthday is no problem
    assert "“Partner” is not a lifecycle stage" in second.notes and "tags" not in second.data.fields
    assert third.data is not None and third.data.fields["dateOfBirth"] == "1970-03-15"
    # Names are required: an over-long or invisible one still refuses the row, by column.
    refused = _plan("First,Last\n" + "N" * 101 + ",B\n\u200b,C\n").rows
    assert all(r.skip is SkipReason.INVALID for r in refused)
    assert "Column “First”: First name is 101 characters long" in refused[0].reason
    assert "Column “First”: First name has no visible characters" in refused[1].reason


def test_the_preview_states_how_ambiguous_dates_are_read() -> None:
    text = "First,Last,Birthday\nA,B,03/04/1970\nC,D,25/12/1980\n"
    plan = _plan(text, default_region="US")
    assert plan.rows[0].data is not None and plan.rows[0].data.fields["dateOfBirth"] == "1970-04-03"
    assert plan.notes()[0] == (
        "Dates whose day and month could be swapped (“03/04/1970” on line 2) are read as "
        "day/month/year: the file writes “25/12/1980” (line 3)."
    )
    chosen = _plan(text.replace("25/12/1980", ""), date_order=DateOrder.MDY)
    assert chosen.rows[0].data is not None
    assert chosen.rows[0].data.fields["dateOfBirth"] == "1970-03-04"


def test_a_promoted_phone_only_adds_to_an_existing_contacts_other_phones() -> None:
    cached = {
        "p@x.com": contact("c_p", "Pat", "Lee", email="p@x.com", additionalPhones=["+16175550101"]),
    }
    text = (
        "First,Last,Email,Phone,Other Phone\n"
        "Pat,Lee,p@x.com,,(617) 555-0101\n"  # 2: what Seedly has: no change
        "Pat,Lee,P@X.com,,(617) 555-0102\n"  # 3: duplicate email of line 2
    )
    plan = _plan(text, default_region="US", find_by_email=lambda e: cached.get(e.lower()))
    assert plan.rows[0].action is RowAction.UNCHANGED
    other = _plan(
        "First,Last,Email,Phone,Other Phone\nPat,Lee,p@x.com,,(617) 555-0102\n",
        default_region="US",
        find_by_email=lambda e: cached.get(e.lower()),
    ).rows[0]
    assert other.action is RowAction.UPDATE and other.changes == ("additionalPhones",)
    new = _plan(
        "First,Last,Email,Phone,Other Phone\nNew,One,n@x.com,,(617) 555-0102\n",
        default_region="US",
    ).rows[0]
    assert new.data is not None and new.data.fields["phone"] == "+16175550102"
