"""Import contacts from a CSV file: the import dialog.

``ContactImportDialog`` walks through an import in one window:

1. A file is chosen (or given). It is read, decoded and parsed on a worker
   thread; the detected encoding, delimiter and header row (found below a
   preamble such as LinkedIn's "Notes:") are shown and can be changed, and so
   can the order ambiguous dates are read in.
2. The mapping table pairs every CSV column with a contact field, a custom
   field or "Ignore", pre-filled by ``ContactImporter.suggest`` (the exporter's
   table when the file comes from a known program); the preview shows
   every row's planned action (new, update, no change, skip), its problems and
   the values left out of it (a phone number not valid where it is read, a
   date without a year…), before anything is written. Planning validates every row and looks it up in the cache, so it
   runs on a worker thread too; a mapping change starts a new plan and an
   older one still running is stopped and dropped.
3. Import writes the rows on the qasync loop with a progress bar; Stop ends
   it after the row being written. The report lists what was created,
   updated and left alone, every row that was not written with its reason
   and every row written with values left out; "Save report…" writes it as CSV.

Closing the window while rows are being written stops the import after the
current row instead (nothing is abandoned half-way); the report then shows.
The tables' models are in ``import_tables``; exporting is in ``export``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from enum import IntEnum
from pathlib import Path

import phonenumbers
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.contact_csv import (
    DELIMITER_NAMES,
    DELIMITERS,
    ENCODING_CHOICES,
    ENCODING_LABELS,
    WRITES_PER_MINUTE,
    CsvFileError,
    CsvTable,
    ImportPlan,
    ImportReport,
    MappingSuggestion,
    RowAction,
    RowStatus,
    SkipReason,
    parse_csv,
)
from app.core.import_values import DateOrder
from app.services.contact_import import (
    ContactImporter,
    ExportFailed,
    ImportProgress,
    read_import_file,
    save_report,
)
from app.ui.async_qt import TaskSet, await_signal
from app.ui.common.files import ask_save_path
from app.ui.contacts.export import documents_folder
from app.ui.contacts.import_tables import (
    ROW_HEIGHT,
    MappingColumn,
    MappingModel,
    PreviewColumn,
    PreviewModel,
    ReportColumn,
    ReportModel,
    TargetDelegate,
    person_label,
)
from app.ui.theme import Spacing, icon
from app.ui.common.widgets import IconLabel, Banner, set_primary

log = logging.getLogger(__name__)


def _duration(seconds: float) -> str:
    """ "about 3 minutes", "under a minute", "about 2 hours"."""
    if seconds < 60:
        return "under a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60, 1)
    return f"about {hours:g} hours"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


# --- the dialog --------------------------------------------------------------


def _table_view(parent: QWidget, model: QAbstractTableModel) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    # Fixed row heights: never ResizeToContents on rows (docs/architecture.md, "Known pitfalls").
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _details_area(label: QLabel, parent: QWidget) -> QScrollArea:
    """``label`` (the selected row's full text) in a scroll area of a fixed height, so
    selecting another row never makes the tables above jump."""
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    area = QScrollArea(parent)
    area.setWidget(label)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFixedHeight(label.fontMetrics().lineSpacing() * 4 + Spacing.S)
    return area


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    label.setFont(font)
    return label


def _regions() -> list[tuple[str, str]]:
    """``(label, region)`` of every region phone numbers can default to, by code."""
    return [
        (f"{region}  (+{phonenumbers.country_code_for_region(region)})", region)
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]


class Page(IntEnum):
    """The dialog's pages."""

    START = 0
    SETUP = 1
    PROGRESS = 2
    REPORT = 3


class ContactImportDialog(QDialog):
    """Import a CSV file of contacts into the sub-account of ``importer``.

    Open it with ``show()``/``open()`` (never ``exec()`` from a coroutine);
    ``path`` starts with that file instead of asking for one. ``tasks`` owns
    the dialog's background work (the dialog makes its own set otherwise)."""

    importFinished = Signal(object)
    """The import ended (finished, cancelled or stopped); carries the ``ImportReport``."""

    planReady = Signal(object)
    """A plan for the current file and mapping is shown; carries the ``ImportPlan``."""

    loadFailed = Signal(str)
    """The file could not be imported at all; carries the sentence shown."""

    def __init__(
        self,
        importer: ContactImporter,
        parent: QWidget | None = None,
        *,
        path: str | Path | None = None,
        tasks: TaskSet | None = None,
        start_dir: str | Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("contactImportDialog")
        self.setWindowTitle("Import contacts from CSV")
        self.setWindowIcon(icon("import"))
        self.setSizeGripEnabled(True)
        self.resize(1180, 720)
        self._importer = importer
        self._tasks = tasks or TaskSet("contact-import")
        self._start_dir = Path(start_dir) if start_dir else None
        self._path: Path | None = None
        self._data: bytes | None = None
        self._table: CsvTable | None = None
        self._plan: ImportPlan | None = None
        self._report: ImportReport | None = None
        self._generation = 0
        self._exporter: str | None = None
        self._forced_header: int | None = None
        self._importing = False
        self._started_at = 0.0
        self._definitions = importer.field_definitions()

        self.mapping_model = MappingModel(self)
        self.preview_model = PreviewModel(self)
        self.report_model = ReportModel(self)
        self.mapping_model.mappingChanged.connect(self._replan)
        self.preview_model.modelReset.connect(self._reset_row_details)
        self.finished.connect(self._stop_background)

        self._pages = QStackedWidget(self)
        self._pages.addWidget(self._build_start())
        self._pages.addWidget(self._build_setup())
        self._pages.addWidget(self._build_progress())
        self._pages.addWidget(self._build_report())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.addWidget(self._pages)
        self._show_start()
        if path is not None:
            # Once the loop runs: the dialog may be built before it does.
            start = Path(path)
            QTimer.singleShot(0, self, lambda: self.open_path(start))

    # ---------------------------------------------------------------- pages

    def _build_start(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.start_banner = Banner(page, closable=False)
        layout.addWidget(self.start_banner)
        layout.addStretch(1)
        picture = IconLabel("import", 48, page)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = _heading("Import contacts from a CSV file", page)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(
            "The first row must name the columns (First Name, Last Name, Email, …). "
            "Contacts whose email is already in Seedly are updated, never duplicated. "
            "Excel, Google Sheets and most CRMs can save a list as CSV.",
            page,
        )
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setProperty("muted", True)
        # A fixed width: a wrapped label only gets the height it needs at a known width.
        body.setFixedWidth(480)
        body.setMinimumHeight(body.heightForWidth(480))
        self.start_button = QPushButton(icon("import"), "Choose a CSV file…", page)
        set_primary(self.start_button)
        self.start_button.clicked.connect(self.choose_file)
        layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(Spacing.S)
        layout.addWidget(title)
        layout.addWidget(body, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(Spacing.M)
        layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        close = QPushButton("Cancel", page)
        close.clicked.connect(self.reject)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        return page

    def _build_setup(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Spacing.M)

        file_row = QHBoxLayout()
        file_icon = IconLabel("list", 32, page)
        names = QVBoxLayout()
        names.setSpacing(2)
        self.file_label = _heading("", page)
        self.file_info = QLabel(page)
        self.file_info.setProperty("muted", True)
        self.file_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        names.addWidget(self.file_label)
        names.addWidget(self.file_info)
        self.choose_button = QPushButton(icon("import"), "Choose another file…", page)
        self.choose_button.setAutoDefault(False)  # focused first, it must not take Enter
        self.choose_button.clicked.connect(self.choose_file)
        file_row.addWidget(file_icon, 0, Qt.AlignmentFlag.AlignTop)
        file_row.addSpacing(Spacing.S)
        file_row.addLayout(names, 1)
        file_row.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(file_row)

        options = QHBoxLayout()
        options.setSpacing(Spacing.S)
        self.encoding_combo = QComboBox(page)
        self.encoding_combo.addItem("Detect", None)
        for name in ENCODING_CHOICES:
            self.encoding_combo.addItem(ENCODING_LABELS[name], name)
        self.encoding_combo.setToolTip(
            "How the file's text is stored. Change it if accented letters look wrong."
        )
        self.delimiter_combo = QComboBox(page)
        self.delimiter_combo.addItem("Detect", None)
        for delimiter in DELIMITERS:
            self.delimiter_combo.addItem(DELIMITER_NAMES[delimiter].capitalize(), delimiter)
        self.delimiter_combo.setToolTip("The character between the values of a row.")
        self.region_combo = QComboBox(page)
        for label, region in _regions():
            self.region_combo.addItem(label, region)
        self.region_combo.setCurrentIndex(
            max(0, self.region_combo.findData(self._importer.default_region))
        )
        self.region_combo.setToolTip(
            "Phone numbers written without + and a country code are read as numbers of the "
            "row's country column, else of this country, and stored in international format "
            "(+1 617 555 0101). A number that is not valid there is left out and reported."
        )
        self.header_combo = QComboBox(page)
        self.header_combo.setToolTip(
            "The row that names the columns. Files such as LinkedIn's start with notes above it."
        )
        self.header_combo.setMinimumContentsLength(18)
        self.header_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.dates_combo = QComboBox(page)
        self.dates_combo.addItem("Detect", None)
        for order in DateOrder:
            self.dates_combo.addItem(order.label.capitalize(), order.value)
        self.dates_combo.setToolTip(
            "How dates whose day and month could be swapped (03/04/1970) are read."
        )
        for caption, combo in (
            ("Encoding", self.encoding_combo),
            ("Delimiter", self.delimiter_combo),
            ("Column names on", self.header_combo),
            ("Phone numbers without + are in", self.region_combo),
            ("Dates", self.dates_combo),
        ):
            buddy = QLabel(caption, page)
            buddy.setBuddy(combo)
            options.addWidget(buddy)
            options.addWidget(combo)
            options.addSpacing(Spacing.M)
        options.addStretch(1)
        self.encoding_combo.currentIndexChanged.connect(self._reparse_detecting_header)
        self.delimiter_combo.currentIndexChanged.connect(self._reparse_detecting_header)
        self.header_combo.activated.connect(self._header_chosen)
        self.region_combo.currentIndexChanged.connect(self._region_changed)
        self.dates_combo.currentIndexChanged.connect(self._dates_changed)
        layout.addLayout(options)

        self.banner = Banner(page)
        layout.addWidget(self.banner)

        splitter = QSplitter(Qt.Orientation.Horizontal, page)
        columns_box = QGroupBox("Columns", splitter)
        columns_layout = QVBoxLayout(columns_box)
        self.mapping_view = _table_view(columns_box, self.mapping_model)
        self.mapping_view.setItemDelegateForColumn(
            MappingColumn.TARGET, TargetDelegate(self.mapping_model, self.mapping_view)
        )
        self.mapping_view.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        header = self.mapping_view.horizontalHeader()
        header.setSectionResizeMode(MappingColumn.COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MappingColumn.SAMPLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(MappingColumn.TARGET, QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(False)
        header.resizeSection(MappingColumn.COLUMN, 130)
        header.resizeSection(MappingColumn.TARGET, 210)
        self.mapping_view.setAlternatingRowColors(False)
        columns_layout.addWidget(self.mapping_view)

        preview_box = QGroupBox("Preview", splitter)
        preview_layout = QVBoxLayout(preview_box)
        self.problems_only = QCheckBox("Only rows with problems", preview_box)
        self.problems_only.toggled.connect(self.preview_model.set_problems_only)
        preview_layout.addWidget(self.problems_only)
        self.preview_view = _table_view(preview_box, self.preview_model)
        preview_header = self.preview_view.horizontalHeader()
        for column, width in (
            (PreviewColumn.LINE, 44),
            (PreviewColumn.ACTION, 120),
            (PreviewColumn.CONTACT, 230),
        ):
            preview_header.resizeSection(column, width)
        self.preview_view.selectionModel().currentRowChanged.connect(self._show_row_details)
        preview_layout.addWidget(self.preview_view, 1)
        self.row_details = QLabel(preview_box)
        preview_layout.addWidget(_details_area(self.row_details, preview_box))
        splitter.addWidget(columns_box)
        splitter.addWidget(preview_box)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 7)
        splitter.setSizes([490, 660])
        layout.addWidget(splitter, 1)

        self.summary = QLabel(page)
        self.summary.setWordWrap(True)
        bold = QFont(self.summary.font())
        bold.setBold(True)
        self.summary.setFont(bold)
        self.rules = QLabel(
            "Empty cells never clear what Seedly has; tags and extra emails or phones in the "
            "file are added to the contact's own. Importing the same file again is safe.",
            page,
        )
        self.rules.setWordWrap(True)
        self.rules.setProperty("muted", True)
        layout.addWidget(self.summary)
        layout.addWidget(self.rules)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel", page)
        cancel.clicked.connect(self.reject)
        self.import_button = QPushButton(icon("import"), "Import", page)
        set_primary(self.import_button)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        buttons.addWidget(cancel)
        buttons.addWidget(self.import_button)
        layout.addLayout(buttons)
        return page

    def _build_progress(self) -> QWidget:
        page = QWidget(self)
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        column = QWidget(page)
        column.setFixedWidth(620)
        layout = QVBoxLayout(column)
        layout.setSpacing(Spacing.S)
        picture = IconLabel("import", 40, column)
        self.progress_title = _heading("Importing contacts…", column)
        self.progress_bar = QProgressBar(column)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%v of %m rows")
        self.progress_row = QLabel(column)
        self.progress_row.setWordWrap(True)
        self.progress_counts = QLabel(column)
        self.progress_eta = QLabel(column)
        self.progress_eta.setWordWrap(True)
        self.progress_eta.setProperty("muted", True)
        layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.progress_title)
        layout.addSpacing(Spacing.S)
        for widget in (self.progress_bar, self.progress_row, self.progress_counts):
            layout.addWidget(widget)
        layout.addWidget(self.progress_eta)
        outer.addWidget(column, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.stop_button = QPushButton(icon("close"), "Stop after this row", page)
        self.stop_button.clicked.connect(self.stop_import)
        buttons.addWidget(self.stop_button)
        outer.addLayout(buttons)
        return page

    def _build_report(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setSpacing(Spacing.M)
        title_row = QHBoxLayout()
        self.report_icon = IconLabel(None, 28, page)
        self.report_title = _heading("", page)
        title_row.addWidget(self.report_icon)
        title_row.addWidget(self.report_title, 1)
        layout.addLayout(title_row)
        self.report_summary = QLabel(page)
        self.report_summary.setWordWrap(True)
        layout.addWidget(self.report_summary)
        self.report_banner = Banner(page, closable=False)
        layout.addWidget(self.report_banner)
        self.report_caption = QLabel("Rows that were not imported", page)
        self.report_caption.setProperty("muted", True)
        layout.addWidget(self.report_caption)
        self.report_view = _table_view(page, self.report_model)
        report_header = self.report_view.horizontalHeader()
        for column, width in (
            (ReportColumn.LINE, 48),
            (ReportColumn.STATUS, 130),
            (ReportColumn.CONTACT, 200),
        ):
            report_header.resizeSection(column, width)
        layout.addWidget(self.report_view, 1)
        self.report_details = QLabel(page)
        self.report_view.selectionModel().currentRowChanged.connect(self._show_outcome_details)
        self.report_details_area = _details_area(self.report_details, page)
        layout.addWidget(self.report_details_area)
        self.report_saved = QLabel(page)
        self.report_saved.setWordWrap(True)
        self.report_saved.setProperty("muted", True)
        layout.addWidget(self.report_saved)
        buttons = QHBoxLayout()
        self.save_report_button = QPushButton(icon("export"), "Save report…", page)
        self.save_report_button.clicked.connect(self._choose_report_path)
        buttons.addWidget(self.save_report_button)
        buttons.addStretch(1)
        self.close_button = QPushButton("Close", page)
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        return page

    # ---------------------------------------------------------------- state

    @property
    def page(self) -> Page:
        """The page shown."""
        return Page(self._pages.currentIndex())

    @property
    def table(self) -> CsvTable | None:
        """The parsed file, once read."""
        return self._table

    @property
    def plan(self) -> ImportPlan | None:
        """The plan shown (None while a new one is being made)."""
        return self._plan

    @property
    def report(self) -> ImportReport | None:
        """The last import's report."""
        return self._report

    @property
    def importing(self) -> bool:
        """Whether rows are being written."""
        return self._importing

    @property
    def tasks(self) -> TaskSet:
        """The set owning this dialog's background work."""
        return self._tasks

    def _show_start(self, error: str | None = None) -> None:
        if error:
            self.start_banner.show_message("danger", error)
        else:
            self.start_banner.hide()
        self._pages.setCurrentIndex(Page.START)

    # ---------------------------------------------------------------- file

    def choose_file(self) -> None:
        """Ask for a CSV file (non-blocking) and open it."""
        self._tasks.spawn(self._choose_file(), name="choose-file", replace=True)

    async def _choose_file(self) -> None:
        folder = str(self._path.parent if self._path else (self._start_dir or documents_folder()))
        dialog = QFileDialog(self, "Choose a CSV file of contacts", folder)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["CSV files (*.csv *.txt *.tsv)", "All files (*)"])
        dialog.open()
        result = await await_signal(dialog.finished)
        files = dialog.selectedFiles()
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and files:
            self.open_path(files[0])

    def open_path(self, path: str | Path) -> asyncio.Task[None]:
        """Read and parse ``path`` in the background, then plan; returns the task."""
        self._path = Path(path)
        self._data = None
        self.encoding_combo.blockSignals(True)
        self.delimiter_combo.blockSignals(True)
        self.encoding_combo.setCurrentIndex(0)
        self.delimiter_combo.setCurrentIndex(0)
        self.encoding_combo.blockSignals(False)
        self.delimiter_combo.blockSignals(False)
        self.header_combo.clear()
        self._forced_header = None
        return self._tasks.spawn(self._load(reuse_mapping=False), name="load", replace=True)

    def _reparse_detecting_header(self) -> None:
        # Another encoding or delimiter gives other rows: find the header again.
        self._forced_header = None
        self._reparse()

    def _header_chosen(self) -> None:
        line = self.header_combo.currentData()
        if isinstance(line, int) and (self._table is None or line != self._table.header_line):
            self._forced_header = line
            self._reparse()

    def choose_header_line(self, line: int) -> None:
        """Read the column names from ``line`` (what choosing it in the picker does)."""
        index = self.header_combo.findData(line)
        if index >= 0:
            self.header_combo.setCurrentIndex(index)
            self._header_chosen()

    def _reparse(self) -> None:
        if self._data is not None and not self._importing:
            self._tasks.spawn(self._load(reuse_mapping=True), name="load", replace=True)

    async def _load(self, *, reuse_mapping: bool) -> None:
        path = self._path
        if path is None:
            return
        self._generation += 1  # a plan of the previous file must not land
        self._plan = None
        self.import_button.setEnabled(False)
        self.summary.setText(f"Reading “{path.name}”…")
        encoding = self.encoding_combo.currentData()
        delimiter = self.delimiter_combo.currentData()
        header_line = self._forced_header if reuse_mapping else None
        try:
            if self._data is None:
                self._data = await asyncio.to_thread(read_import_file, path)
            table = await asyncio.to_thread(
                parse_csv,
                self._data,
                encoding=encoding,
                delimiter=delimiter,
                header_line=header_line,
            )
        except CsvFileError as exc:
            self._load_failed(path, str(exc), forced=reuse_mapping)
            return
        except Exception as exc:
            log.exception("could not read %s", path)
            self._load_failed(path, f"The file could not be read ({exc}).", forced=reuse_mapping)
            return
        previous = self._table
        self._table = table
        if reuse_mapping and previous is not None and previous.raw_header == table.raw_header:
            suggestion = MappingSuggestion(self.mapping_model.mapping(), exporter=self._exporter)
        else:
            suggestion = await asyncio.to_thread(self._importer.suggest, table)
            self._exporter = suggestion.exporter
        self.mapping_model.set_table(table, suggestion, self._definitions)
        self._fill_header_choices(table)
        self._open_editors()
        self._describe_file(path, table)
        self._pages.setCurrentIndex(Page.SETUP)
        self._replan()

    def _load_failed(self, path: Path, message: str, *, forced: bool) -> None:
        text = f"“{path.name}” cannot be imported. {message}"
        self.loadFailed.emit(text)
        if forced and self._table is not None:
            # A forced encoding or delimiter did not work: stay, so it can be changed back.
            self._table = None
            self.mapping_model.clear()
            self.preview_model.set_plan(None)
            self.banner.show_message("danger", text)
            self.summary.setText("")
            return
        self._table = None
        self._show_start(text)

    def _open_editors(self) -> None:
        for row in range(self.mapping_model.rowCount()):
            self.mapping_view.openPersistentEditor(
                self.mapping_model.index(row, MappingColumn.TARGET)
            )

    def _describe_file(self, path: Path, table: CsvTable) -> None:
        self.file_label.setText(path.name)
        self.file_info.setText(
            f"{path.parent} · {_plural(len(table.rows), 'row')} · "
            f"{_plural(len(table.header), 'column')} · {table.encoding_label}, "
            f"{table.delimiter_label}-separated"
        )
        self.encoding_combo.setItemText(0, f"Detect ({table.encoding_label})")
        self.delimiter_combo.setItemText(0, f"Detect ({table.delimiter_label})")

    def _fill_header_choices(self, table: CsvTable) -> None:
        """Offer the rows near the top as the header row; the one read is selected."""
        self.header_combo.blockSignals(True)
        self.header_combo.clear()
        for choice in table.header_choices:
            self.header_combo.addItem(f"Line {choice.line}: {choice.preview}", choice.line)
        self.header_combo.setCurrentIndex(max(0, self.header_combo.findData(table.header_line)))
        self.header_combo.blockSignals(False)

    # ---------------------------------------------------------------- plan

    def _region_changed(self) -> None:
        region = self.region_combo.currentData()
        if isinstance(region, str):
            self._importer.default_region = region
            self._replan()

    def _dates_changed(self) -> None:
        value = self.dates_combo.currentData()
        self._importer.date_order = DateOrder(value) if isinstance(value, str) else None
        self._replan()

    def _replan(self) -> None:
        if self._table is None or self._importing:
            return
        self._generation += 1
        self._tasks.spawn(self._make_plan(self._generation), name="plan", replace=True)

    async def _make_plan(self, generation: int) -> None:
        table = self._table
        if table is None:
            return
        mapping = self.mapping_model.mapping()
        self._plan = None
        self.import_button.setEnabled(False)
        self.import_button.setText("Import")
        self.summary.setText(f"Checking {_plural(len(table.rows), 'row')}…")
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int) -> None:
            # Runs on the worker thread: hand the figure to the GUI thread.
            loop.call_soon_threadsafe(self._plan_progress, generation, done, total)

        plan = await asyncio.to_thread(
            self._importer.plan,
            table,
            mapping,
            progress=progress if len(table.rows) > 2000 else None,
            should_stop=lambda: generation != self._generation,
        )
        if generation != self._generation or not plan.complete:
            return  # a newer mapping, file or region replaced this one
        self._show_plan(plan)

    def _plan_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation and self._plan is None and done < total:
            self.summary.setText(f"Checking rows… {done:,} of {total:,}")

    def _show_plan(self, plan: ImportPlan) -> None:
        self._plan = plan
        self.preview_model.set_plan(plan, self._definitions)
        counts = plan.counts
        creates, updates = counts[RowAction.CREATE], counts[RowAction.UPDATE]
        unchanged, skipped = counts[RowAction.UNCHANGED], counts[RowAction.SKIP]
        parts = [
            _plural(creates, "new contact"),
            _plural(updates, "update"),
            f"{unchanged:,} unchanged",
            f"{skipped:,} skipped",
        ]
        text = " · ".join(parts) + "."
        if plan.writes:
            text += (
                f" Writing takes {_duration(plan.estimated_seconds())} "
                f"(Seedly accepts {WRITES_PER_MINUTE} changes a minute)."
            )
        self.summary.setText(text)
        self._show_notes(plan)
        # Point at the first row that needs attention (or the first row).
        first = next(
            (
                i
                for i, r in enumerate(plan.rows)
                if r.action is RowAction.SKIP or r.warning or r.notes
            ),
            0,
        )
        if self.preview_model.problems_only:
            first = 0
        self.preview_view.setCurrentIndex(self.preview_model.index(first, PreviewColumn.ACTION))
        rows = creates + updates + unchanged
        self.import_button.setEnabled(plan.can_import)
        self.import_button.setText(f"Import {_plural(rows, 'row')}" if rows else "Import")
        self.planReady.emit(plan)

    def _reset_row_details(self) -> None:
        self._show_row_details(QModelIndex())

    def _show_row_details(self, current: QModelIndex, _previous: QModelIndex | None = None) -> None:
        row = self.preview_model.row_at(current.row()) if current.isValid() else None
        if row is None:
            self.row_details.setText("Select a row to see everything about it.")
            self.row_details.setProperty("muted", True)
        else:
            who = person_label(row.label, row.email)
            details = self.preview_model.details(row)
            text = f"Line {row.line} · {self.preview_model.action_text(row)}"
            text += f" · {who}" if who else ""
            self.row_details.setText(f"{text}\n{details}" if details else text)
            self.row_details.setProperty("muted", False)
        self.row_details.style().unpolish(self.row_details)
        self.row_details.style().polish(self.row_details)

    def _show_notes(self, plan: ImportPlan) -> None:
        table = plan.table
        if plan.check.errors:
            self.banner.show_message("danger", " ".join(plan.check.errors))
            return
        notes = [*table.notes, *plan.check.warnings, *plan.notes()]
        if self._exporter:
            notes.insert(
                0,
                f"Recognised as a {self._exporter} export: its columns are mapped the way "
                f"{self._exporter} writes them.",
            )
        invalid = sum(1 for r in plan.rows if r.skip is SkipReason.INVALID)
        if invalid and invalid * 2 > len(plan.rows) and len(table.header) > 1:
            notes.append(
                f"{invalid:,} of {len(plan.rows):,} rows are invalid. Check that each column "
                "is mapped to the right field."
            )
        if notes:
            self.banner.show_message("warning", " ".join(notes))
        else:
            self.banner.hide()

    # ---------------------------------------------------------------- import

    def start_import(self) -> asyncio.Task[ImportReport | None] | None:
        """Write the planned rows (what Import does); returns the task, or None when the
        plan cannot be imported."""
        plan = self._plan
        if plan is None or not plan.can_import or self._importing:
            return None
        # The page changes at once; the rows are written by the task.
        self._importing = True
        self._started_at = time.monotonic()
        self.progress_bar.setRange(0, len(plan.rows))
        self.progress_bar.setValue(0)
        self.progress_title.setText(f"Importing {_plural(len(plan.rows), 'row')}…")
        self.progress_row.setText("Starting…")
        self.progress_counts.setText("")
        self.progress_eta.setText(
            f"Seedly accepts {WRITES_PER_MINUTE} changes a minute, so a long file takes a while. "
            "Stopping keeps the rows already written."
        )
        self.stop_button.setEnabled(True)
        self.stop_button.setText("Stop after this row")
        self._pages.setCurrentIndex(Page.PROGRESS)
        return self._tasks.spawn(self._run_import(plan), name="import")

    async def _run_import(self, plan: ImportPlan) -> ImportReport | None:
        report: ImportReport | None = None
        try:
            report = await self._importer.run(plan, progress=self._on_progress)
        except asyncio.CancelledError:
            report = self._importer.report
            raise
        except Exception as exc:
            log.exception("contact import failed")
            report = self._importer.report or ImportReport(total=len(plan.rows))
            report.stopped_reason = f"the import failed unexpectedly ({exc})"
        finally:
            self._importing = False
            if report is not None:
                self._show_report(report)
        return report

    def _on_progress(self, step: ImportProgress) -> None:
        self.progress_bar.setValue(step.done)
        outcome = step.outcome
        who = outcome.label or outcome.email or "(no name)"
        self.progress_row.setText(f"Line {outcome.line}: {who} — {outcome.status.value}")
        report = self._importer.report
        if report is not None:
            self.progress_counts.setText(report.summary())
        elapsed = time.monotonic() - self._started_at
        if (
            step.done
            and step.done < step.total
            and elapsed > 2
            and not self._importer.cancel_requested
        ):
            left = elapsed / step.done * (step.total - step.done)
            self.progress_eta.setText(
                f"{_duration(left).capitalize()} left. Stopping keeps the rows already written."
            )

    def stop_import(self) -> None:
        """Stop after the row being written (Stop, Escape, or closing the window)."""
        if not self._importing:
            return
        self._importer.cancel()
        self.stop_button.setEnabled(False)
        self.stop_button.setText("Stopping after this row…")
        self.progress_eta.setText("Rows already written stay in Seedly.")

    def _show_report(self, report: ImportReport) -> None:
        self._report = report
        self.report_model.set_report(report)
        if report.stopped_reason:
            title, icon_name = "Import stopped", "error"
            self.report_banner.show_message(
                "danger",
                f"The import stopped: {report.stopped_reason} Rows already written stay in "
                "Seedly; import the file again later to add the rest (nothing is duplicated).",
            )
        elif report.cancelled:
            title, icon_name = "Import cancelled", "warning"
            self.report_banner.show_message(
                "warning",
                "The import was stopped. Rows already written stay in Seedly; importing the "
                "file again adds the rest without duplicating anybody.",
            )
        else:
            failed = report.count(RowStatus.FAILED)
            title = "Import finished" if not failed else "Import finished with errors"
            icon_name = "check" if not report.problems else "warning"
            self.report_banner.hide()
        self.report_title.setText(title)
        self.report_icon.set_icon(icon_name, 28)
        self.report_summary.setText(report.summary())
        problems = len(report.problems)
        noted = len(report.noted)
        parts = []
        if problems:
            parts.append(f"{_plural(problems, 'row was', 'rows were')} not imported")
        if noted:
            parts.append(f"{_plural(noted, 'row was', 'rows were')} imported with values left out")
        self.report_caption.setText(
            ("; ".join(parts) + ":").capitalize() if parts else "Every row was imported."
        )
        shown = problems + noted
        self.report_view.setVisible(bool(shown))
        self.report_details_area.setVisible(bool(shown))
        if shown:
            self.report_view.setCurrentIndex(self.report_model.index(0, ReportColumn.STATUS))
        self.report_saved.setText("")
        self._pages.setCurrentIndex(Page.REPORT)
        self.importFinished.emit(report)

    def _show_outcome_details(
        self, current: QModelIndex, _previous: QModelIndex | None = None
    ) -> None:
        outcome = self.report_model.outcome_at(current.row()) if current.isValid() else None
        if outcome is None:
            self.report_details.setText("")
            return
        who = person_label(outcome.label, outcome.email)
        head = f"Line {outcome.line} · {outcome.status.value.capitalize()}"
        head += f" · {who}" if who else ""
        self.report_details.setText(f"{head}\n{outcome.reason}" if outcome.reason else head)

    def _choose_report_path(self) -> None:
        self._tasks.spawn(self._ask_and_save_report(), name="save-report", replace=True)

    async def _ask_and_save_report(self) -> None:
        stem = self._path.stem if self._path else "contacts"
        folder = self._path.parent if self._path else (self._start_dir or documents_folder())
        target = await ask_save_path(
            self, "Save the import report", folder / f"{stem}-import-report.csv"
        )
        if target is not None:
            await self.save_report_to(target)

    async def save_report_to(self, path: str | Path) -> bool:
        """Write the report as CSV to ``path`` (off the GUI thread); says where or why not."""
        report = self._report
        if report is None:
            return False
        try:
            await asyncio.to_thread(save_report, report, path)
        except ExportFailed as exc:
            self.report_saved.setText(str(exc))
            return False
        self.report_saved.setText(f"Report saved to {path}.")
        return True

    # ---------------------------------------------------------------- closing

    def reject(self) -> None:
        """Cancel/Escape: while rows are being written, stop after the current one instead
        (the report then shows); otherwise close."""
        if self._importing:
            self.stop_import()
            return
        super().reject()

    def _stop_background(self) -> None:
        # Closed: reading and planning are moot (the window may be deleted next).
        self._generation += 1
        for name in ("load", "plan", "choose-file"):
            self._tasks.cancel(name)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._importing:
            event.ignore()
            self.stop_import()
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        if self._importing:
            self.stop_import()
            return
        super().done(result)


async def run_import_dialog(
    importer: ContactImporter,
    parent: QWidget | None = None,
    *,
    path: str | Path | None = None,
    tasks: TaskSet | None = None,
) -> ImportReport | None:
    """Open the import dialog and wait (without a nested event loop) until it closes;
    the report of the import, or None when nothing was imported."""
    dialog = ContactImportDialog(importer, parent, path=path, tasks=tasks)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    await await_signal(dialog.finished)
    return dialog.report


__all__ = ["ContactImportDialog", "Page", "run_import_dialog"]
