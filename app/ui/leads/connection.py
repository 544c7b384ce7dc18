"""Settings → Seamless.AI connection: the API URL and key, the pricing rules, the budget.

``SeamlessSettingsDialog`` asks for the Seamless.AI API base URL (the public
one by default) and an API key (hidden while typed, with a Show toggle;
whitespace from a wrapped paste is removed), and checks them by connecting and
reading the credit balance, which costs nothing: the balance, or the sentence
saying why the key was refused (invalid key, no API license, unreachable). It
also chooses the pricing rules the meter uses (docs/api/seamless.md, "Credits", or "search is free
on my plan") and the optional daily budget.

Saving stores the key in the system keyring only; where no keyring works the
dialog says so and offers "Use for this session only" (the key stays in memory
and is asked again at the next start). The settings go to the settings file
(never in the demo), then the connection opens with them. Changing only the
pricing or the budget applies at once without reconnecting. The checking, the
keys and the saving are the service's (``SeamlessConnection``); the dialog shows
each sentence at the field it concerns.

Below the key, "Sign in with Seamless.AI" (``sign_in.SignInPanel``) signs in through
the browser instead; it saves and connects by itself. When both a key and a sign-in
are kept, "Sign in with" chooses which one the connection uses.

``open_seamless_settings(parent, connection, tasks)`` opens it (non-blocking) and
returns the task; ``run_seamless_settings`` is the coroutine to await.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.seamless_errors import KEYS_PLACE
from app.services.ports.leads import (
    AUTH_KEY,
    AUTH_LABELS,
    AUTH_OAUTH,
    DEFAULT_SEAMLESS_URL,
    CheckField,
    CheckResult,
    InvalidUrl,
    KeyNotSaved,
    SaveFailed,
    SeamlessConnection,
    SeamlessSettings,
    clean_key,
    normalize_url,
    pricing_choices,
)
from app.ui.async_qt import TaskSet, await_signal
from app.ui.common.messages import FieldMessage, MessagePanel
from app.ui.leads.sign_in import SignInPanel
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)


class SeamlessSettingsDialog(QDialog):
    """The Seamless.AI connection settings (see the module docstring)."""

    checkFinished = Signal(object)
    """A check ended: the balance (int), or the refusal sentence (str)."""

    saved = Signal(object)
    """The settings (``SeamlessSettings``) were saved and the connection opened."""

    def __init__(
        self,
        connection: SeamlessConnection,
        parent: QWidget | None = None,
        *,
        opener: Any = None,
    ) -> None:
        """``opener(url)`` opens the browser for the sign-in (tests pass their own)."""
        super().__init__(parent)
        self.connection = connection
        self._opener = opener
        self.current: SeamlessSettings | None = connection.current
        self.tasks = TaskSet("seamless-settings")
        self.checked: tuple[str, str] | None = None
        """The (URL, key) of the last successful check."""
        self.balance: int | None = None
        self._busy = False
        self._saving = False
        self.setWindowTitle("Seamless.AI connection")
        self.setMinimumWidth(620)
        self._build()
        self._fill()
        self._update_buttons()

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)
        intro = QLabel(
            "Connect Seedly Desk to Seamless.AI to search people and companies and research "
            "their emails and phones. The check reads your credit balance, which costs nothing; "
            "the key is kept in your system's keyring.",
            self,
        )
        intro.setWordWrap(True)
        intro.setProperty("muted", True)
        layout.addWidget(intro)

        form = QFormLayout()
        form.setHorizontalSpacing(Spacing.M)
        form.setVerticalSpacing(Spacing.M)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("seamlessUrl")
        self.url_edit.setPlaceholderText(DEFAULT_SEAMLESS_URL)
        self.url_message = FieldMessage(self)
        form.addRow(
            "API &URL",
            self._field(
                self.url_edit,
                "Seamless.AI's public API. Change it only for a proxy or the sandbox.",
                self.url_message,
            ),
        )

        self.key_edit = QLineEdit(self)
        self.key_edit.setObjectName("seamlessKey")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhNoPredictiveText
            | Qt.InputMethodHint.ImhSensitiveData
        )
        self.show_key = QPushButton("Show", self)
        self.show_key.setCheckable(True)
        self.show_key.setAutoDefault(False)
        self.show_key.setToolTip("Show or hide the key")
        self.show_key.toggled.connect(self._toggle_key)
        key_row = QHBoxLayout()
        key_row.setContentsMargins(0, 0, 0, 0)
        key_row.setSpacing(Spacing.S)
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.show_key)
        self.key_message = FieldMessage(self)
        form.addRow(
            "API &key",
            self._field(key_row, f"Create a persistent key in {KEYS_PLACE}.", self.key_message),
        )

        check_row = QHBoxLayout()
        check_row.setSpacing(Spacing.S)
        self.check_button = QPushButton(icon("sync"), "Check the key", self)
        self.check_button.clicked.connect(self.start_check)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(120)
        self.busy_bar.hide()
        self.busy_label = QLabel("Reading the balance…", self)
        self.busy_label.setProperty("muted", True)
        self.busy_label.hide()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.busy_bar)
        check_row.addWidget(self.busy_label)
        check_row.addStretch(1)
        form.addRow("", check_row)

        self.sign_in_panel = (
            SignInPanel(self.connection, self.settings, self, opener=self._opener)
            if self._opener is not None
            else SignInPanel(self.connection, self.settings, self)
        )
        self.sign_in_panel.signedIn.connect(self._signed_in)
        form.addRow("Seamless.AI\nsign-in", self.sign_in_panel)

        self.auth_choice = QComboBox(self)
        self.auth_choice.setObjectName("authChoice")
        for auth in (AUTH_KEY, AUTH_OAUTH):
            self.auth_choice.addItem(AUTH_LABELS[auth], auth)
        self.auth_choice.setEnabled(False)
        self.auth_choice.currentIndexChanged.connect(lambda _i: self._update_buttons())
        form.addRow(
            "Sign in &with",
            self._field(
                self.auth_choice,
                "Which one the connection uses when both a key and a sign-in are kept.",
                None,
            ),
        )

        self.pricing = QComboBox(self)
        for name, label in pricing_choices():
            self.pricing.addItem(label, name)
        form.addRow(
            "&Pricing",
            self._field(
                self.pricing,
                "What the meter's estimates assume. Some Seamless.AI plans do not charge "
                "for search.",
                None,
            ),
        )

        budget_row = QHBoxLayout()
        budget_row.setSpacing(Spacing.S)
        self.budget_enabled = QCheckBox("Spend at most", self)
        self.budget = QSpinBox(self)
        self.budget.setRange(1, 10_000_000)
        self.budget.setGroupSeparatorShown(True)
        self.budget.setValue(100)
        self.budget.setSuffix(" credits per day")
        self.budget.setEnabled(False)
        self.budget_enabled.toggled.connect(self.budget.setEnabled)
        self.budget_enabled.toggled.connect(lambda _on: self._update_buttons())
        self.budget.valueChanged.connect(lambda _v: self._update_buttons())
        budget_row.addWidget(self.budget_enabled)
        budget_row.addWidget(self.budget, 1)
        form.addRow(
            "Daily &budget",
            self._field(
                budget_row,
                "Searches and research that could go over it are refused before anything is sent.",
                None,
            ),
        )
        layout.addLayout(form)

        self.result_panel = MessagePanel(self)
        layout.addWidget(self.result_panel)

        self.keyring_panel = QFrame(self)
        self.keyring_panel.setProperty("severity", "warning")
        keyring_layout = QHBoxLayout(self.keyring_panel)
        keyring_layout.setContentsMargins(Spacing.S, Spacing.S, Spacing.S, Spacing.S)
        keyring_layout.setSpacing(Spacing.S)
        self.keyring_label = QLabel(self.keyring_panel)
        self.keyring_label.setWordWrap(True)
        keyring_layout.addWidget(self.keyring_label, 1)
        self.session_button = QPushButton("Use for this session only", self.keyring_panel)
        self.session_button.setAutoDefault(False)
        self.session_button.clicked.connect(self.save_for_session)
        keyring_layout.addWidget(self.session_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.keyring_panel.hide()
        layout.addWidget(self.keyring_panel)
        self.save_message = FieldMessage(self)
        layout.addWidget(self.save_message)
        layout.addStretch(1)

        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self.start_save)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)

        self.url_edit.textChanged.connect(self._inputs_changed)
        self.key_edit.textChanged.connect(self._key_changed)
        self.pricing.currentIndexChanged.connect(lambda _i: self._update_buttons())

    def fit_to_contents(self) -> None:
        """Grow the dialog so wrapped hints and messages are never clipped (a top-level
        layout does not follow word-wrapped labels: measure at the current width)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        wanted = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else 0
        if wanted > self.height():
            self.resize(self.width(), wanted)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_to_contents()

    def _field(
        self, editor: QWidget | QLayout, hint: str | None, message: FieldMessage | None
    ) -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(Spacing.XS)
        if isinstance(editor, QLayout):
            column.addLayout(editor)
        else:
            column.addWidget(editor)
        if hint:
            label = QLabel(hint, box)
            label.setWordWrap(True)
            label.setProperty("muted", True)
            column.addWidget(label)
        if message is not None:
            column.addWidget(message)
        return box

    def _fill(self) -> None:
        current = self.current
        self.url_edit.setText(current.base_url if current else DEFAULT_SEAMLESS_URL)
        if current is not None:
            self.key_edit.setPlaceholderText("Saved key (leave empty to keep it)")
            self.pricing.setCurrentIndex(max(0, self.pricing.findData(current.pricing)))
            if current.daily_budget is not None:
                self.budget_enabled.setChecked(True)
                self.budget.setValue(current.daily_budget)
        else:
            self.key_edit.setPlaceholderText("Paste the Seamless.AI API key")
        self.auth_choice.setCurrentIndex(
            max(0, self.auth_choice.findData(current.auth if current else AUTH_KEY))
        )
        self.sign_in_panel.fill(current)
        self.tasks.spawn(self._read_stored(), "stored", replace=True)
        self.key_edit.setFocus()

    async def _read_stored(self) -> None:
        stored = await self.connection.stored_auth()
        if shiboken6.isValid(self):
            self.auth_choice.setEnabled(stored == {AUTH_KEY, AUTH_OAUTH})

    def _signed_in(self, settings: SeamlessSettings) -> None:
        self.saved.emit(settings)
        self.accept()

    # -- state ------------------------------------------------------------------------------
    def entered_key(self) -> str:
        """The key typed or pasted, cleaned."""
        return clean_key(self.key_edit.text())

    def entered_url(self) -> str:
        """The URL as it would be saved (``InvalidUrl`` when unusable)."""
        return normalize_url(self.url_edit.text())

    def _url_changed(self) -> bool:
        if self.current is None:
            return True
        try:
            return self.entered_url() != self.current.base_url.rstrip("/")
        except InvalidUrl:
            return True

    def needs_check(self) -> bool:
        """Whether saving needs a successful check (a new connection, URL or key)."""
        return self.current is None or self._url_changed() or bool(self.entered_key())

    def _checked_ok(self) -> bool:
        try:
            url = self.entered_url()
        except InvalidUrl:
            return False
        return (
            self.checked is not None
            and self.checked[0] == url
            and (self.checked[1] == self.entered_key() or not self.entered_key())
        )

    def budget_value(self) -> int | None:
        """The daily budget chosen (None: none)."""
        return self.budget.value() if self.budget_enabled.isChecked() else None

    def settings(self) -> SeamlessSettings:
        """The settings the dialog describes (the current id kept)."""
        return self.connection.settings_for(
            self.url_edit.text(), str(self.pricing.currentData()), self.budget_value()
        )

    def can_save(self) -> bool:
        """Whether Save is enabled."""
        if self._busy:
            return False
        if self.needs_check():
            return self._checked_ok()
        current = self.current
        assert current is not None
        return (
            str(self.pricing.currentData()) != current.pricing
            or self.budget_value() != current.daily_budget
            or self.chosen_auth() != current.auth
        )

    def chosen_auth(self) -> str:
        """The way in chosen under "Sign in with"."""
        return str(self.auth_choice.currentData())

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self.can_save())
        self.check_button.setEnabled(not self._busy and bool(self.entered_key() or self.current))
        self.session_button.setEnabled(not self._busy)
        self.cancel_button.setEnabled(not self._saving)
        self.save_button.setDefault(self.can_save())

    def _toggle_key(self, visible: bool) -> None:
        self.key_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password
        )
        self.show_key.setText("Hide" if visible else "Show")

    def _key_changed(self, text: str) -> None:
        cleaned = clean_key(text)
        if cleaned != text:
            self.key_edit.blockSignals(True)
            self.key_edit.setText(cleaned)
            self.key_edit.blockSignals(False)
        self._inputs_changed()

    def _inputs_changed(self) -> None:
        self.tasks.cancel("check")
        self.checked = None
        self.url_message.clear()
        self.key_message.clear()
        self.result_panel.hide()
        self.keyring_panel.hide()
        self._update_buttons()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_bar.setVisible(busy)
        self.busy_label.setVisible(busy)
        self._update_buttons()

    # -- checking -----------------------------------------------------------------------------
    def start_check(self) -> asyncio.Task[Any] | None:
        """Check the URL and key by reading the balance (free); returns the task."""
        return self.tasks.spawn(self._check(), "check", replace=True)

    async def _check(self) -> int | str | None:
        self.url_message.clear()
        self.key_message.clear()
        self.result_panel.hide()
        self._set_busy(True)
        try:
            result = await self.connection.check(self.url_edit.text(), self.key_edit.text())
        finally:
            if shiboken6.isValid(self):
                self._set_busy(False)
        if not shiboken6.isValid(self):
            return result.balance if result.ok else result.message
        return self._show_check(result)

    def _show_check(self, result: CheckResult) -> int | str | None:
        if not result.ok:
            if result.field is CheckField.URL:
                self.url_message.show_text(result.message)
            elif result.field is CheckField.KEY:
                self.key_message.show_text(result.message)
                if result.url is not None and result.key is None:
                    # No key to check (none typed, none saved): nothing was sent.
                    self.checkFinished.emit(result.message)
                    return None
            else:
                self.result_panel.show_content(
                    "danger", "The key cannot be used", [("text", result.message)]
                )
            self.fit_to_contents()
            self.checkFinished.emit(result.message)
            return result.message
        assert result.url is not None and result.key is not None
        self.checked = (result.url, result.key)
        self.balance = result.balance
        self.result_panel.show_content(
            "success", "Connected to Seamless.AI", [("text", result.message)]
        )
        self._update_buttons()
        self.fit_to_contents()
        self.checkFinished.emit(result.balance)
        return result.balance

    # -- saving -------------------------------------------------------------------------------
    def start_save(self) -> asyncio.Task[Any] | None:
        """Save and connect (after a successful check when the URL or key changed)."""
        if not self.can_save():
            return None
        return self.tasks.spawn(self._save(session_only=False), "save")

    def save_for_session(self) -> asyncio.Task[Any] | None:
        """Save with the key kept in memory for this session only (no keyring)."""
        if not self.can_save():
            return None
        return self.tasks.spawn(self._save(session_only=True), "save")

    async def _save(self, *, session_only: bool) -> bool:
        self.save_message.clear()
        self._saving = True
        self._set_busy(True)
        try:
            settings = self.settings()
            key = self.checked[1] if self.checked is not None and self.needs_check() else None
            await self.connection.save(settings, key, session_only=session_only)
            current = self.current
            if key is None and current is not None and self.chosen_auth() != current.auth:
                settings = await self.connection.use_auth(self.chosen_auth())
        except KeyNotSaved as exc:
            if shiboken6.isValid(self):
                self._offer_session(exc)
            return False
        except (SaveFailed, InvalidUrl, ValueError, LookupError) as exc:
            if shiboken6.isValid(self):
                self.save_message.show_text(str(exc))
            return False
        finally:
            self._saving = False
            if shiboken6.isValid(self):
                self._set_busy(False)
        self.saved.emit(settings)
        self.accept()
        return True

    def _offer_session(self, exc: Exception) -> None:
        self.keyring_label.setText(
            "No system keyring is available on this computer, so the API key cannot be saved "
            "securely. You can use it for this session only: it stays in memory, is never "
            "written to disk, and Seedly Desk asks for it again at the next start."
        )
        self.keyring_label.setToolTip(str(exc))
        self.keyring_panel.show()
        self.fit_to_contents()
        self.session_button.setFocus()

    # -- closing ------------------------------------------------------------------------------
    def reject(self) -> None:
        """Close without saving, except while a save runs (its outcome must be seen)."""
        if self._saving:
            return
        super().reject()

    def done(self, result: int) -> None:
        """Close; a running check is cancelled."""
        self.tasks.cancel("check")
        super().done(result)


async def run_seamless_settings(
    parent: QWidget | None, connection: SeamlessConnection
) -> SeamlessSettings | None:
    """Open the dialog and wait until it closes: the saved settings, or None when the
    user cancelled. Safe inside a coroutine (no nested event loop)."""
    dialog = SeamlessSettingsDialog(connection, parent)
    saved: list[SeamlessSettings] = []
    dialog.saved.connect(saved.append)
    try:
        dialog.open()
        await await_signal(dialog.finished)
        return saved[-1] if saved else None
    finally:
        await dialog.sign_in_panel.shutdown()
        await dialog.tasks.shutdown(2.0)
        dialog.deleteLater()


def open_seamless_settings(
    parent: QWidget | None, connection: SeamlessConnection, tasks: TaskSet
) -> asyncio.Task[Any]:
    """Open Settings → Seamless.AI connection without blocking (for a menu action); the
    task's result is the saved settings or None."""
    return tasks.spawn(run_seamless_settings(parent, connection), "seamless-settings", replace=True)


__all__ = [
    "InvalidUrl",
    "SeamlessSettingsDialog",
    "clean_key",
    "normalize_url",
    "open_seamless_settings",
    "run_seamless_settings",
]
