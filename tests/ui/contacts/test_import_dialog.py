"""The CSV import dialog (mapping, preview, progress, report) and the export helper."""

from __future__ import annotations

import asyncio
import gc
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import Qt

from app.core.contact_csv import RowAction, RowStatus, parse_csv
from app.core.errors import ValidationFailed
from app.core.models import Contact, parse
from app.services.bus import EventBus, ScopeKey
from app.services.contact_import import ContactImporter
from app.services.ports.contacts import ContactsReader
from app.storage import ContactFilters, Database, Partition
from app.ui.async_qt import await_signal
from app.ui.contacts.export import default_export_name, export_to_csv
from app.ui.contacts.import_dialog import ContactImportDialog, Page
from app.ui.contacts.import_tables import MappingColumn, PreviewColumn, ReportColumn
from app.ui.contacts.model import ContactQuery
from tests.unit.storage.docs import contact

DEPLOYMENT = "https://crm.example.com"
FIELDS = [
    {
        "name": "property_type",
        "label": "Property Type",
        "type": "select",
        "options": ["Residential", "Commercial"],
        "isRequired": True,
    },
    {"name": "roof_age_years", "label": "Roof Age (years)", "type": "number"},
]
CSV = (
    "First Name,Last Name,E-mail,Mobile,Company Name,Tags,Property Type,Created At\n"
    'Maria,García,maria@acme.com,(617) 555-0101,Acme,"vip, spring",Residential,2026-01-02\n'
    "Jane,Doe,jane.doe@example.com,617-555-0199,Initech,news,residential,2026-01-03\n"
    "Bob,,bob@example,,,,,\n"
    "Ana,Lima,MARIA@acme.com,,,,,\n"
    ",,,,,,,\n"
    "Liam,O'Brien,liam@example.com,,Stark,,Commercial,\n"
)


class FakeSeedly:
    """An in-memory stand-in for the client: contacts by id, unique emails, a delay."""

    def __init__(self, delay: float = 0.0) -> None:
        self.contacts: dict[str, Contact] = {}
        self.delay = delay
        self.writes = 0
        self._ids = itertools.count(1)
        self.gate: asyncio.Event | None = None

    async def _wait(self) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)

    def _doc(self, contact_id: str, body: dict[str, Any]) -> Contact:
        return parse(
            Contact,
            {
                **body,
                "id": contact_id,
                "createdAt": "2026-06-01T00:00:00.000Z",
                "updatedAt": f"2026-06-01T00:00:{self.writes:02d}.000Z",
            },
        )

    async def create_contact(self, payload: Any) -> Contact:
        await self._wait()
        body = payload.to_body()
        email = (body.get("email") or "").lower()
        if email and any((c.email or "").lower() == email for c in self.contacts.values()):
            raise ValidationFailed("email is already used", status=400, field="email")
        self.writes += 1
        made = self._doc(f"c{next(self._ids)}", body)
        self.contacts[made.id] = made
        return made

    async def update_contact(self, contact_id: str, changes: Any) -> Contact:
        await self._wait()
        self.writes += 1
        before = self.contacts[contact_id].to_wire()
        made = self._doc(contact_id, {**before, **changes.to_body()})
        self.contacts[contact_id] = made
        return made

    async def find_contact_by_email(self, email: str) -> Contact | None:
        return next(
            (c for c in self.contacts.values() if (c.email or "").lower() == email.lower()), None
        )

    async def get_contact(self, contact_id: str) -> Contact:
        return self.contacts[contact_id]


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(qapp: Any) -> Iterator[None]:
    """Dialogs without a parent are owned by Python: collect them here, on the GUI thread.

    Otherwise a garbage collection that happens to run on a worker thread (reading
    the next file) deletes their views there ("Timers cannot be stopped from
    another thread")."""
    yield
    gc.collect()


@pytest.fixture
def partition(tmp_path: Path) -> Iterator[Partition]:
    db = Database.open(tmp_path / "cache.sqlite3")
    part = db.partition(DEPLOYMENT, "sub_roof")
    part.custom_fields.replace_fields(FIELDS)
    yield part
    db.close()


def _importer(partition: Partition, client: FakeSeedly) -> ContactImporter:
    return ContactImporter(partition, client, EventBus(), ScopeKey(DEPLOYMENT, "sub_roof"))


def _seed(partition: Partition, client: FakeSeedly) -> None:
    """Maria exists in Seedly and in the cache."""
    maria = client._doc(
        "c_maria",
        contact(
            "c_maria",
            "Maria",
            "García",
            email="maria@acme.com",
            tags=["vip"],
            customFields={"property_type": "Residential"},
        ),
    )
    client.contacts[maria.id] = maria
    partition.contacts.upsert_many([maria.to_wire()])


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _dialog(qtbot: Any, importer: ContactImporter, **kw: Any) -> ContactImportDialog:
    dialog = ContactImportDialog(importer, **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_mapping_and_preview(
    qtbot: Any, run: Callable[..., Any], partition: Partition, csv_file: Path
) -> None:
    client = FakeSeedly()
    _seed(partition, client)
    dialog = _dialog(qtbot, _importer(partition, client), path=csv_file)

    async def scenario() -> None:
        plan = await await_signal(dialog.planReady, timeout=10)
        assert dialog.page is Page.SETUP
        model = dialog.mapping_model
        assert model.mapping() == (
            "firstName",
            "lastName",
            "email",
            "phone",
            "company",
            "tags",
            "customFields.property_type",
            None,
        )
        target = model.index(6, MappingColumn.TARGET)
        assert model.data(target) == "Property Type (custom)"
        assert "Read-only" in model.data(model.index(7, MappingColumn.TARGET), Qt.ToolTipRole)
        assert model.data(model.index(2, MappingColumn.SAMPLE)).startswith("maria@acme.com")
        # Every target column has its combo box open.
        assert dialog.mapping_view.isPersistentEditorOpen(target)

        preview = dialog.preview_model
        actions = [preview.data(preview.index(r, PreviewColumn.ACTION)) for r in range(6)]
        assert actions == [
            "Update",
            "New contact",
            "Skip: invalid",
            "Skip: duplicate",
            "Skip: empty",
            "New contact",
        ]
        assert "Changes: Phone, Company, Tags" in preview.data(
            preview.index(0, PreviewColumn.DETAILS)
        )
        assert "Last name is required" in preview.data(preview.index(2, PreviewColumn.DETAILS))
        assert plan.writes == 3
        assert "2 new contacts · 1 update · 0 unchanged · 3 skipped" in dialog.summary.text()
        assert dialog.import_button.isEnabled() and dialog.import_button.text() == "Import 3 rows"
        # The first row needing attention is selected and explained below the preview.
        assert dialog.preview_view.currentIndex().row() == 2
        assert dialog.row_details.text().startswith("Line 4 · Skip: invalid · Bob")

        dialog.problems_only.setChecked(True)
        assert preview.rowCount() == 3

        # Ignoring the property type column: new contacts now lack a required field.
        assert model.set_target(6, None)
        plan = await await_signal(dialog.planReady, timeout=10)
        assert plan.count(RowAction.CREATE) == 0
        assert "Property Type is required for new contacts" in dialog.banner.text
        # Two columns into one field is an error that blocks the import.
        assert model.set_target(4, "email")
        plan = await await_signal(dialog.planReady, timeout=10)
        assert not plan.check.ok and not dialog.import_button.isEnabled()
        assert dialog.banner.severity == "danger" and "Email is chosen for 2 columns" in (
            dialog.banner.text
        )

    run(scenario())


def test_a_forced_delimiter_re_reads_the_file(
    qtbot: Any, run: Callable[..., Any], partition: Partition, tmp_path: Path
) -> None:
    path = tmp_path / "semi.csv"
    path.write_bytes("Name;Email;Company\nJosé Núñez;j@x.com;Café, Inc\n".encode("cp1252"))
    dialog = _dialog(qtbot, _importer(partition, FakeSeedly()), path=path)

    async def scenario() -> None:
        await await_signal(dialog.planReady, timeout=10)
        table = dialog.table
        assert table is not None and table.delimiter == ";" and table.encoding == "cp1252"
        assert "Windows-1252" in dialog.banner.text  # the guess is said, not hidden
        assert dialog.encoding_combo.itemText(0) == "Detect (Windows-1252 (Western European))"
        dialog.delimiter_combo.setCurrentIndex(dialog.delimiter_combo.findData(","))
        await await_signal(dialog.planReady, timeout=10)
        assert dialog.table is not None and dialog.table.header == ("Name;Email;Company",)
        # Forcing UTF-8 on this file cannot work: said on the same page, changeable back.
        dialog.encoding_combo.setCurrentIndex(dialog.encoding_combo.findData("utf-8"))
        message = await await_signal(dialog.loadFailed, timeout=10)
        assert "is not valid UTF-8" in message and dialog.page is Page.SETUP
        assert dialog.banner.severity == "danger"

    run(scenario())


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty"),
        (b"PK\x03\x04" + bytes(64), "Excel workbook"),
        (b"Name,Email\n", "no contacts below them"),
        (b'Name,Email\nJane,"j@x.com\n', "never closed"),
    ],
)
def test_a_bad_file_says_why_on_the_start_page(
    qtbot: Any,
    run: Callable[..., Any],
    partition: Partition,
    tmp_path: Path,
    content: bytes,
    words: str,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    dialog = _dialog(qtbot, _importer(partition, FakeSeedly()), path=path)

    async def scenario() -> None:
        message = await await_signal(dialog.loadFailed, timeout=10)
        assert message.startswith("“bad.csv” cannot be imported.") and words in message
        assert dialog.page is Page.START and dialog.start_banner.text == message

    run(scenario())


def test_import_shows_progress_then_the_report(
    qtbot: Any, run: Callable[..., Any], partition: Partition, csv_file: Path, tmp_path: Path
) -> None:
    client = FakeSeedly(delay=0.01)
    _seed(partition, client)
    dialog = _dialog(qtbot, _importer(partition, client), path=csv_file)
    steps: list[int] = []

    async def scenario() -> None:
        await await_signal(dialog.planReady, timeout=10)
        dialog.progress_bar.valueChanged.connect(steps.append)
        task = dialog.start_import()
        assert task is not None and dialog.page is Page.PROGRESS and dialog.importing
        report = await await_signal(dialog.importFinished, timeout=10)
        assert await task is report
        assert steps[-1] == 6 and len(steps) >= 3
        assert dialog.page is Page.REPORT and dialog.report_title.text() == "Import finished"
        assert report.summary() == "2 created, 1 updated, 3 skipped."
        assert client.writes == 3
        maria = client.contacts["c_maria"]
        assert set(maria.tags) == {"vip", "spring"} and maria.phone == "+16175550101"
        # The report table lists the rows that were not written, with reasons.
        model = dialog.report_model
        assert model.rowCount() == 3
        assert model.data(model.index(0, ReportColumn.LINE)) == "4"
        assert "Last name is required" in model.data(model.index(0, ReportColumn.REASON))
        assert dialog.report_caption.text() == "3 rows were not imported:"
        saved = tmp_path / "report.csv"
        assert await dialog.save_report_to(saved)
        table = parse_csv(saved.read_bytes())
        assert table.header[:2] == ("Line", "Status") and len(table.rows) == 6
        assert f"Report saved to {saved}." == dialog.report_saved.text()
        assert not await dialog.save_report_to(tmp_path / "missing" / "r.csv")
        assert "Could not write “r.csv”" in dialog.report_saved.text()

    run(scenario())


def test_closing_while_importing_stops_after_the_current_row(
    qtbot: Any, run: Callable[..., Any], partition: Partition, tmp_path: Path
) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        "First,Last,Email,Property Type\n"
        + "".join(f"P{i},Q,p{i}@x.com,Commercial\n" for i in range(8)),
        encoding="utf-8",
    )
    client = FakeSeedly()
    client.gate = asyncio.Event()
    dialog = _dialog(qtbot, _importer(partition, client), path=path)
    finished: list[int] = []
    dialog.finished.connect(finished.append)

    async def scenario() -> None:
        await await_signal(dialog.planReady, timeout=10)
        assert dialog.start_import() is not None
        await asyncio.sleep(0.05)  # the first create waits at the gate
        dialog.reject()  # Escape / Cancel / the window's close button
        assert dialog.isVisible() and not finished
        assert dialog.stop_button.text() == "Stopping after this row…"
        assert client.gate is not None
        client.gate.set()
        report = await await_signal(dialog.importFinished, timeout=10)
        assert report.cancelled and report.count(RowStatus.CREATED) == 1
        assert report.count(RowStatus.NOT_IMPORTED) == 7
        assert dialog.report_title.text() == "Import cancelled"
        assert "Rows already written stay in Seedly" in dialog.report_banner.text
        assert len(client.contacts) == 1
        dialog.reject()
        assert finished  # now it closes

    run(scenario())


def test_export_to_csv(run: Callable[..., Any], partition: Partition, tmp_path: Path) -> None:
    partition.contacts.upsert_many(
        [
            contact("c1", "Ann", "Vip", email="ann@x.com", tags=["vip"]),
            contact("c2", "Bo", "Plain", email="bo@x.com"),
            contact("c3", "Cy", "Vip", email="cy@x.com", tags=["vip"], company="=1+2"),
        ]
    )

    async def scenario() -> None:
        query = ContactQuery(None, ContactFilters(tags=("vip",)), "name", True)
        target = tmp_path / default_export_name()
        outcome = await export_to_csv(
            None, ContactsReader(partition), query, path=target, notify=False
        )
        assert outcome.count == 2 and outcome.error is None
        assert outcome.message == f"Exported 2 contacts to “{target.name}”."
        table = parse_csv(target.read_bytes())
        names = [r.cells[1] for r in table.rows]
        assert names == ["Cy", "Ann"]  # the tab's sort (name, descending)
        assert "'=1+2" in table.rows[0].cells  # neutralised against CSV injection
        failed = await export_to_csv(
            None, ContactsReader(partition), query, path=tmp_path / "no" / "x.csv", notify=False
        )
        assert failed.error is not None and failed.message.startswith("Could not write “x.csv”")
        nobody = ContactQuery("nobody-matches-this")
        empty = await export_to_csv(
            None, ContactsReader(partition), nobody, path=tmp_path / "e.csv", notify=False
        )
        assert empty.count == 0 and "only has the column names" in empty.message

    run(scenario())
    assert default_export_name().startswith("contacts-20") and default_export_name().endswith(
        ".csv"
    )


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "contacts"


def test_the_header_row_below_a_preamble_is_found_and_can_be_chosen(
    qtbot: Any, run: Callable[..., Any], partition: Partition
) -> None:
    partition.custom_fields.replace_fields([])  # no required field: every row can be new
    dialog = _dialog(
        qtbot,
        _importer(partition, FakeSeedly()),
        path=FIXTURES / "linkedin_Connections.csv",
    )

    async def scenario() -> None:
        plan = await await_signal(dialog.planReady, timeout=10)
        assert dialog.table is not None and dialog.table.header_line == 4
        assert plan.count(RowAction.CREATE) == 5
        assert dialog.header_combo.currentText().startswith("Line 4: First Name, Last Name")
        assert "Recognised as a LinkedIn connections export" in dialog.banner.text
        assert "Lines 1–3 above the column names were skipped" in dialog.banner.text
        # The user says the notes line names the columns: read again, mapped again.
        dialog.choose_header_line(1)
        await await_signal(dialog.planReady, timeout=10)
        assert dialog.table is not None and dialog.table.header == ("Notes:",)
        dialog.choose_header_line(4)
        plan = await await_signal(dialog.planReady, timeout=10)
        assert dialog.table is not None and dialog.table.header_line == 4
        assert plan.count(RowAction.CREATE) == 5

    run(scenario())


def test_values_left_out_show_in_the_preview_and_the_report(
    qtbot: Any, run: Callable[..., Any], partition: Partition, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "First,Last,Email,Phone,Birthday,Property Type\n"
        "Geo,Paris,geo@x.com,01 42 68 53 00,--03-15,Commercial\n"
        "Ana,Lima,ana@x.com,(617) 555-0101,03/04/1970,Commercial\n",
        encoding="utf-8",
    )
    client = FakeSeedly()
    dialog = _dialog(qtbot, _importer(partition, client), path=path)

    async def scenario() -> None:
        plan = await await_signal(dialog.planReady, timeout=10)
        assert plan.count(RowAction.CREATE) == 2
        preview = dialog.preview_model
        details = preview.data(preview.index(0, PreviewColumn.DETAILS))
        assert "Column “Phone”: “01 42 68 53 00” is not a valid United States number" in details
        assert "Column “Birthday”: “--03-15” has no year" in details
        assert dialog.preview_view.currentIndex().row() == 0  # the row to look at
        assert "1 row is imported with values left out" in dialog.banner.text
        assert "read as month/day/year" in dialog.banner.text
        dialog.problems_only.setChecked(True)
        assert preview.rowCount() == 1
        # Choosing the date order re-plans: 03/04/1970 becomes the 3rd of April.
        dialog.dates_combo.setCurrentIndex(dialog.dates_combo.findData("dmy"))
        plan = await await_signal(dialog.planReady, timeout=10)
        assert plan.rows[1].data is not None
        assert plan.rows[1].data.fields["dateOfBirth"] == "1970-04-03"

        assert dialog.start_import() is not None
        report = await await_signal(dialog.importFinished, timeout=10)
        assert report.summary() == "2 created."
        stored = next(c for c in client.contacts.values() if c.email == "geo@x.com")
        assert stored.phone is None and stored.date_of_birth is None
        assert dialog.report_caption.text() == "1 row was imported with values left out:"
        model = dialog.report_model
        assert model.rowCount() == 1
        assert model.data(model.index(0, ReportColumn.STATUS)) == "Created, values left out"
        assert "Column “Phone”" in model.data(model.index(0, ReportColumn.REASON))

    run(scenario())


def test_enter_on_the_mapping_page_imports(
    qtbot: Any, run: Callable[..., Any], partition: Partition, csv_file: Path
) -> None:
    client = FakeSeedly()
    _seed(partition, client)
    dialog = _dialog(qtbot, _importer(partition, client), path=csv_file)

    async def scenario() -> None:
        await await_signal(dialog.planReady, timeout=10)
        assert dialog.page is Page.SETUP
        # The page's main action is Import, styled as such, not "Choose another file…".
        assert dialog.import_button.property("primary") is True
        assert dialog.import_button.isDefault() and not dialog.choose_button.isDefault()
        # Enter with the focus where the page puts it starts the import.
        focused = QApplication.focusWidget()
        assert focused is dialog.choose_button  # where the focus lands on this page
        qtbot.keyClick(focused, Qt.Key.Key_Return)
        assert dialog.page is Page.PROGRESS and dialog.importing
        await await_signal(dialog.importFinished, timeout=10)

    run(scenario())
