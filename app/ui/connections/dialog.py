"""Adding and checking connections: the connection dialog and Settings → Connections.

``ConnectionDialog`` asks for a name, the deployment URL and an API key, checks
them (``app.services.connections.check_connection``) and saves them through a
``ConnectionStore`` — only after a successful check. It has three modes:

- ``DialogMode.ADD``: a new connection (first run, or Settings → Connections → Add);
- ``DialogMode.EDIT``: rename, change the URL or the key; a changed URL or key is
  checked again, a new name alone is saved as it is;
- ``DialogMode.REPLACE_KEY``: after a revoked or expired key — it says why a new
  key is needed, and name and URL stay fixed.

While a check runs the dialog shows a busy bar and a Cancel button. Every
failure appears as a sentence under the field it concerns; a success as a
summary (key kind and mode, the sub-accounts an agency key reaches, the
permissions found, and missing recommended permissions as a warning list
with what each one blocks — a read-only key may still be saved). When no
system keyring works, the dialog says so and offers "Use for this session
only": the key is then kept in memory and never written to disk.

The dialog is opened with ``open()`` and awaited with
``await_signal(dialog.finished)`` (``run_connection_dialog`` does both); never
``exec()`` inside a coroutine. ``ConnectionsPage`` lists the saved connections
with Add, Edit, Replace key, Remove and Make active, using the dialog.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Any

import shiboken6
from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.constants import RECOMMENDED_SCOPES
from app.core.errors import KEYS_PATH
from app.core.keys import clean_key
from app.services.connection_store import (
    HttpTransport,
    KeyringUnavailable,
    Profile,
    NAME_FIELD,
    ConnectionStore,
    ConnectionStoreError,
    suggested_name,
)
from app.services.connections import (
    DEFAULT_TIMEOUT,
    ConnectionCheck,
    InputField,
    InvalidUrl,
    ScopeState,
    check_connection,
    display_host,
    key_kind_label,
    normalize_url,
    scope_name,
)
from app.ui.async_qt import TaskSet, await_signal
from app.ui.theme import Spacing, icon, repolish
from app.ui.common.messages import FieldMessage, MessagePanel, icon_label
from app.ui.common.widgets import set_primary

log = logging.getLogger(__name__)


MAX_LISTED_SUB_ACCOUNTS = 6

_REPLACE_REASON = (
    "The saved API key of this connection no longer works (it was revoked or has expired). "
    f"Create a new key in {KEYS_PATH} and paste it here."
)


class DialogMode(StrEnum):
    """What the connection dialog is for."""

    ADD = "add"
    EDIT = "edit"
    REPLACE_KEY = "replace_key"


def clean_pasted_key(text: str) -> str:
    """A pasted key without surrounding quotes, a ``Bearer `` prefix, or any whitespace
    (keys never contain any; a key copied from a wrapped e-mail may)."""
    return "".join(clean_key(text).split())


def _summary_lines(check: ConnectionCheck) -> tuple[str, str, list[tuple[str, str]]]:
    """Severity, title and lines of a successful check's summary."""
    lines: list[tuple[str, str]] = [("text", f"{key_kind_label(check.key)} · {check.masked_key}")]
    if check.key.is_agency:
        names = [s.name or s.id for s in check.sub_accounts]
        shown = ", ".join(names[:MAX_LISTED_SUB_ACCOUNTS])
        if len(names) > MAX_LISTED_SUB_ACCOUNTS:
            shown += f" and {len(names) - MAX_LISTED_SUB_ACCOUNTS} more"
        count = len(names)
        lines.append(("text", f"{count} sub-account{'s' if count != 1 else ''} found: {shown}."))
    present = check.present_scopes
    if present:
        # Plain words first; the scopes as the key's settings page lists them, for whoever
        # edits the key.
        lines.append(("text", f"Permissions: {', '.join(scope_name(s) for s in present)}."))
        lines.append(("muted", f"Scopes of the key: {', '.join(present)}."))
    else:
        lines.append(("text", "Permissions: none found."))
    if check.key.is_agency and check.probed_sub_account is not None and len(check.sub_accounts) > 1:
        probed = check.probed_sub_account.name or check.probed_sub_account.id
        lines.append(("muted", f"Permissions were checked on {probed}."))
    missing_recommended = check.missing_recommended
    other_missing = [
        f
        for f in check.scopes
        if f.state is ScopeState.MISSING and f.scope not in RECOMMENDED_SCOPES
    ]
    if missing_recommended:
        lines.append(("heading", "Missing recommended permissions"))
        lines += [("bullet", f.consequence) for f in missing_recommended]
    if other_missing:
        lines.append(("heading", "Also missing"))
        lines += [("bullet", f.consequence) for f in other_missing]
    consequences = {f.consequence for f in check.scopes}
    extra = [w for w in check.warnings if w not in consequences]
    if extra:
        lines.append(("heading", "Please note"))
        lines += [("bullet", w) for w in extra]
    host = display_host(check.url)
    if missing_recommended or other_missing:
        lines.append(
            (
                "muted",
                "You can save this key and use what it allows, or add the missing permissions "
                f"to the key in {KEYS_PATH} and check again.",
            )
        )
        title = f"Connected to {host}, with limited permissions"
        return "warning", title, lines
    if extra:
        return "warning", f"Connected to {host}", lines
    return "success", f"Connected to {host}", lines


# --- the dialog ---------------------------------------------------------------------------


class ConnectionDialog(QDialog):
    """Add, edit or re-key a connection, checking it before it is saved (module docstring).

    ``store`` saves it; ``profile_id`` names the connection to edit or re-key;
    ``reason`` is what the replace-key mode says about the old key (the
    revoked-key banner's sentence; a generic one by default). ``timeout`` and
    ``http_transport`` go to the check (tests).
    """

    connectionSaved = Signal(str)
    """The connection (its profile id) was saved; the dialog then closes as accepted. In
    replace-key mode the window should re-activate the profile (the key and possibly its
    cache partition changed)."""

    checkFinished = Signal(object)
    """A check ended (not when cancelled) with its ``ConnectionCheck``, shown in place."""

    busyChanged = Signal(bool)
    """A check or a save started (True) or ended (False)."""

    def __init__(
        self,
        store: ConnectionStore,
        *,
        mode: DialogMode = DialogMode.ADD,
        profile_id: str | None = None,
        reason: str | None = None,
        parent: QWidget | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http_transport: HttpTransport | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.mode = DialogMode(mode)
        self._timeout = timeout
        self._http_transport = http_transport
        self.profile: Profile | None = None
        if self.mode is not DialogMode.ADD:
            if profile_id is None or (profile := store.get(profile_id)) is None:
                raise ValueError(f"{self.mode.value} needs the id of a saved connection")
            self.profile = profile
        self.tasks = TaskSet(f"connection-dialog:{self.mode.value}")
        self.check_result: ConnectionCheck | None = None
        """The last finished check of the current URL and key (None after an edit)."""
        self.saved_profile_id: str | None = None
        self._busy = False
        self._saving = False
        self._session_only = False
        self._updating = False
        self._fixed: tuple[QLineEdit, ...] = ()
        self.setObjectName("connectionDialog")
        self.setWindowTitle(
            {
                DialogMode.ADD: "Add a connection",
                DialogMode.EDIT: "Edit connection",
                DialogMode.REPLACE_KEY: "Replace the API key",
            }[self.mode]
        )
        self.setMinimumWidth(560)
        self._build(reason)
        self._fill()
        self._update_buttons()

    # -- building ---------------------------------------------------------------------------
    def _build(self, reason: str | None) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        layout.setSpacing(Spacing.M)

        self.reason_panel = MessagePanel(self)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.intro.setProperty("muted", True)
        if self.mode is DialogMode.REPLACE_KEY:
            assert self.profile is not None
            self.reason_panel.show_content(
                "warning",
                "A new API key is needed",
                [
                    ("text", reason or _REPLACE_REASON),
                    (
                        "muted",
                        f"The name and deployment URL of “{self.profile.name}” stay the same; "
                        "the new key must belong to the same "
                        + ("agency." if self.profile.key_kind == "agency" else "sub-account."),
                    ),
                ],
            )
            self.intro.hide()
        elif self.mode is DialogMode.EDIT:
            self.intro.setText(
                "Change the name, the deployment URL or the key. A changed URL or key is "
                "checked before it is saved; leave the key empty to keep the saved one."
            )
        else:
            self.intro.setText(
                "Connect Seedly Desk to your Seedly CRM: enter the deployment URL and an API "
                "key, then check the connection. The key is kept in your system's keyring."
            )
        layout.addWidget(self.reason_panel)
        layout.addWidget(self.intro)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(Spacing.M)
        form.setVerticalSpacing(Spacing.M)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("nameEdit")
        self.name_edit.setPlaceholderText("e.g. Acme Corp")
        self.name_edit.setMaxLength(80)
        self.name_message = FieldMessage(self)
        form.addRow("&Name", self._field(self.name_edit, None, self.name_message))

        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("urlEdit")
        self.url_edit.setPlaceholderText("https://yourcompany.seedlycrm.com")
        self.url_edit.setInputMethodHints(Qt.InputMethodHint.ImhUrlCharactersOnly)
        self.url_hint = QLabel(
            "Shown in the Seedly CRM dashboard under Settings. https:// is added when missing.",
            self,
        )
        self.url_message = FieldMessage(self)
        form.addRow("Deployment &URL", self._field(self.url_edit, self.url_hint, self.url_message))

        self.key_edit = QLineEdit(self)
        self.key_edit.setObjectName("keyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(
            "Saved key (leave empty to keep it)"
            if self.mode is DialogMode.EDIT
            else "sk_live_…, sk_test_… or sk_agency_…"
        )
        self.key_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhNoPredictiveText
            | Qt.InputMethodHint.ImhSensitiveData
        )
        self.show_key_button = QPushButton("Show", self)
        self.show_key_button.setObjectName("showKeyButton")
        self.show_key_button.setCheckable(True)
        self.show_key_button.setAutoDefault(False)
        self.show_key_button.setToolTip("Show or hide the key while you check it")
        self.show_key_button.toggled.connect(self._toggle_key_visible)
        key_row = QHBoxLayout()
        key_row.setContentsMargins(0, 0, 0, 0)
        key_row.setSpacing(Spacing.S)
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.show_key_button)
        self.key_hint = QLabel(
            f"Create one in Seedly under {KEYS_PATH}; it is shown only once there.", self
        )
        self.key_message = FieldMessage(self)
        form.addRow("API &key", self._field(key_row, self.key_hint, self.key_message))
        layout.addLayout(form)

        check_row = QHBoxLayout()
        check_row.setContentsMargins(0, 0, 0, 0)
        check_row.setSpacing(Spacing.S)
        self.check_button = QPushButton(icon("sync"), "Check connection", self)
        self.check_button.setObjectName("checkButton")
        self.check_button.clicked.connect(self.start_check)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(120)
        self.busy_label = QLabel("Checking the connection…", self)
        self.busy_label.setProperty("muted", True)
        self.cancel_check_button = QPushButton("Cancel check", self)
        self.cancel_check_button.setObjectName("cancelCheckButton")
        self.cancel_check_button.setAutoDefault(False)
        self.cancel_check_button.clicked.connect(self.cancel_check)
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.busy_bar)
        check_row.addWidget(self.busy_label)
        check_row.addWidget(self.cancel_check_button)
        check_row.addStretch(1)
        layout.addLayout(check_row)
        self._show_busy(False)

        self.result_panel = MessagePanel(self)
        self.result_panel.setObjectName("resultPanel")
        layout.addWidget(self.result_panel)

        self.keyring_panel = QFrame(self)
        self.keyring_panel.setObjectName("keyringPanel")
        self.keyring_panel.setProperty("severity", "warning")
        keyring_layout = QHBoxLayout(self.keyring_panel)
        keyring_layout.setContentsMargins(Spacing.S, Spacing.S, Spacing.S, Spacing.S)
        keyring_layout.setSpacing(Spacing.S)
        keyring_layout.addWidget(
            icon_label("warning", self.keyring_panel), 0, Qt.AlignmentFlag.AlignTop
        )
        self.keyring_label = QLabel(self.keyring_panel)
        self.keyring_label.setWordWrap(True)
        keyring_layout.addWidget(self.keyring_label, 1)
        self.session_button = QPushButton("Use for this session only", self.keyring_panel)
        self.session_button.setObjectName("sessionOnlyButton")
        self.session_button.setAutoDefault(False)
        self.session_button.clicked.connect(self.save_for_session)
        keyring_layout.addWidget(self.session_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.keyring_panel.hide()
        layout.addWidget(self.keyring_panel)

        self.save_message = FieldMessage(self)
        layout.addWidget(self.save_message)
        layout.addStretch(1)

        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(
            "Save" if self.mode is DialogMode.ADD else "Save changes",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.save_button.setObjectName("saveButton")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        # Save runs the async save; only a finished save closes the dialog.
        self.save_button.clicked.connect(self.start_save)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._name_changed)
        self.url_edit.textChanged.connect(self._inputs_changed)
        self.key_edit.textChanged.connect(self._key_changed)

    def _field(
        self, editor: QWidget | QHBoxLayout, hint: QLabel | None, message: FieldMessage
    ) -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(Spacing.XS)
        if isinstance(editor, QHBoxLayout):
            column.addLayout(editor)
        else:
            column.addWidget(editor)
        if hint is not None:
            hint.setWordWrap(True)
            hint.setProperty("muted", True)
            column.addWidget(hint)
        column.addWidget(message)
        return box

    def _fill(self) -> None:
        profile = self.profile
        if profile is None:
            self.url_edit.setFocus()
            return
        self._updating = True
        try:
            self.name_edit.setText(profile.name)
            self.url_edit.setText(profile.deployment_url)
        finally:
            self._updating = False
        if self.mode is DialogMode.REPLACE_KEY:
            # Fixed, and shown as such: a read-only line edit looks editable.
            self._fixed = (self.name_edit, self.url_edit)
            for editor in self._fixed:
                editor.setReadOnly(True)
                editor.setEnabled(False)
            self.url_hint.setText("The deployment URL stays the same.")
            self.key_edit.setFocus()
        else:
            self.name_edit.setFocus()

    # -- state ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A check or a save is running."""
        return self._busy

    def field_message(self, field: str) -> str:
        """The sentence shown under ``field`` ("name", "url", "key"; "none" for the message
        that concerns neither), or ""."""
        if field == InputField.NONE.value:
            return self.save_message.text or (
                self.result_panel.text if self.result_panel.severity == "danger" else ""
            )
        return {
            NAME_FIELD: self.name_message,
            InputField.URL.value: self.url_message,
            InputField.KEY.value: self.key_message,
        }[field].text

    def _entered_key(self) -> str:
        return clean_pasted_key(self.key_edit.text())

    def _url_changed(self) -> bool:
        if self.profile is None:
            return True
        try:
            return normalize_url(self.url_edit.text()) != self.profile.deployment_url
        except InvalidUrl:
            return True

    def needs_check(self) -> bool:
        """Whether saving needs a (new) successful check: always, except in edit mode when
        only the name changed."""
        if self.mode is not DialogMode.EDIT:
            return True
        return self._url_changed() or bool(self._entered_key())

    def _checked_ok(self) -> bool:
        return self.check_result is not None and self.check_result.ok

    def can_save(self) -> bool:
        """Whether Save is enabled."""
        if self._busy or not self.name_edit.text().strip():
            return False
        if self.needs_check():
            return self._checked_ok()
        assert self.profile is not None
        return self.name_edit.text().strip() != self.profile.name

    def _update_buttons(self) -> None:
        can_save = self.can_save()
        self.save_button.setEnabled(can_save)
        needs_check = self.needs_check()
        self.check_button.setEnabled(not self._busy and needs_check)
        # Enter presses Check until there is something to save.
        set_primary(self.save_button, can_save)
        set_primary(self.check_button, not can_save and needs_check)
        self.session_button.setEnabled(not self._busy)
        self.close_button.setEnabled(not self._saving)

    def _set_busy(self, busy: bool, *, checking: bool = False) -> None:
        self._busy = busy
        self._show_busy(busy and checking)
        for editor in (self.name_edit, self.url_edit, self.key_edit):
            if editor not in self._fixed:
                editor.setEnabled(not (busy and not checking))
        self._update_buttons()
        self.busyChanged.emit(busy)

    def _show_busy(self, visible: bool) -> None:
        self.busy_bar.setVisible(visible)
        self.busy_label.setVisible(visible)
        self.cancel_check_button.setVisible(visible)
        self.check_button.setVisible(not visible)

    def _clear_messages(self) -> None:
        for message in (self.url_message, self.key_message, self.save_message):
            message.clear()
        self.result_panel.hide()
        self.keyring_panel.hide()

    def fit_to_contents(self) -> None:
        """Grow the dialog so wrapped messages are never clipped.

        A top-level layout sets only a minimum size, which does not follow word-wrapped
        labels (height-for-width); ``adjustSize`` measures at the size hint's width, not
        the dialog's. So the height is measured at the current width.
        """
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        wanted = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else 0
        if wanted > self.height():
            self.resize(self.width(), wanted)

    # -- reacting to edits ------------------------------------------------------------------
    def _toggle_key_visible(self, visible: bool) -> None:
        self.key_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password
        )
        self.show_key_button.setText("Hide" if visible else "Show")

    def _key_changed(self, text: str) -> None:
        cleaned = clean_pasted_key(text)
        if cleaned != text and not self._updating:
            self._updating = True
            try:
                self.key_edit.setText(cleaned)
            finally:
                self._updating = False
        self._inputs_changed()

    def _inputs_changed(self) -> None:
        if self._updating:
            return
        # A check (running or done) was for other inputs.
        self.tasks.cancel("check")
        if self.check_result is not None or not self.result_panel.isHidden():
            self.check_result = None
            self._clear_messages()
        else:
            self.url_message.clear()
            self.key_message.clear()
        self._update_buttons()

    def _name_changed(self) -> None:
        self.name_message.clear()
        self._update_buttons()

    # -- checking ---------------------------------------------------------------------------
    def start_check(self) -> asyncio.Task[ConnectionCheck | None] | None:
        """Start checking the URL and key (a running check is replaced); returns the task."""
        if not self.needs_check():
            return None
        return self.tasks.spawn(self._check(), "check", replace=True)

    def cancel_check(self) -> bool:
        """Stop a running check; True if one was running."""
        return self.tasks.cancel("check")

    async def _key_for_check(self) -> str | None:
        key = self._entered_key()
        if key or self.mode is not DialogMode.EDIT:
            return key
        assert self.profile is not None
        try:
            saved = await self.store.load_key(self.profile.id)
        except KeyringUnavailable as exc:
            self.key_message.show_text(f"{exc} Paste the key to check the new URL.")
            return None
        if not saved:
            self.key_message.show_text(
                "No key is saved for this connection on this computer. Paste the API key."
            )
            return None
        return saved

    async def _check(self) -> ConnectionCheck | None:
        self._clear_messages()
        self.check_result = None
        key = await self._key_for_check()
        if key is None:
            self._update_buttons()
            return None
        self._set_busy(True, checking=True)
        try:
            result = await check_connection(
                self.url_edit.text(),
                key,
                timeout=self._timeout,
                http_transport=self._http_transport,
            )
        finally:
            if shiboken6.isValid(self):
                self._set_busy(False)
        self.check_result = result
        self._show_check(result)
        self._update_buttons()
        self.checkFinished.emit(result)
        return result

    def _show_check(self, result: ConnectionCheck) -> None:
        failure = result.failure
        if failure is not None:
            if failure.field is InputField.URL:
                self.url_message.show_text(failure.message)
                self.url_edit.setFocus()
            elif failure.field is InputField.KEY:
                self.key_message.show_text(failure.message)
                self.key_edit.setFocus()
            else:
                self.result_panel.show_content(
                    "danger", "The check did not finish", [("text", failure.message)]
                )
            self.fit_to_contents()
            return
        if result.url and result.url != self.url_edit.text():
            # Show what will be saved: the normalised URL (the check stays valid for it).
            self._updating = True
            try:
                self.url_edit.setText(result.url)
            finally:
                self._updating = False
        if self.mode is DialogMode.ADD and not self.name_edit.text().strip():
            self.name_edit.setText(suggested_name(result))
        severity, title, lines = _summary_lines(result)
        self.result_panel.show_content(severity, title, lines)
        self.fit_to_contents()

    # -- saving -----------------------------------------------------------------------------
    def start_save(self) -> asyncio.Task[bool] | None:
        """Save (after a successful check); the dialog closes when it worked."""
        if not self.can_save():
            return None
        return self.tasks.spawn(self._save(session_only=self._session_only), "save")

    def save_for_session(self) -> asyncio.Task[bool] | None:
        """Save with the key kept in memory for this session only (no keyring)."""
        self._session_only = True
        if not self.can_save():
            return None
        return self.tasks.spawn(self._save(session_only=True), "save")

    async def _save(self, *, session_only: bool) -> bool:
        self.save_message.clear()
        self.name_message.clear()
        self._saving = True
        self._set_busy(True)
        try:
            saved_id = await self._store(session_only)
        except KeyringUnavailable as exc:
            self.keyring_label.setText(
                "No system keyring is available on this computer, so the API key cannot be "
                "saved securely. You can use it for this session only: it stays in memory, is "
                "never written to disk, and Seedly Desk asks for it again at the next start."
            )
            self.keyring_label.setToolTip(str(exc))
            repolish(self.keyring_panel)
            self.keyring_panel.show()
            self.fit_to_contents()
            self.session_button.setFocus()
            return False
        except ConnectionStoreError as exc:
            self._show_store_error(exc)
            return False
        finally:
            self._saving = False
            if shiboken6.isValid(self):
                self._set_busy(False)
        self.saved_profile_id = saved_id
        self.connectionSaved.emit(saved_id)
        self.accept()
        return True

    async def _store(self, session_only: bool) -> str:
        name = self.name_edit.text()
        check = self.check_result
        key = self._entered_key()
        if self.mode is DialogMode.ADD:
            assert check is not None
            saved = await self.store.add(name, check, key, session_only=session_only)
            return saved.profile.id
        assert self.profile is not None
        pid = self.profile.id
        if self.mode is DialogMode.REPLACE_KEY:
            assert check is not None
            replaced = await self.store.replace_key(pid, check, key, session_only=session_only)
            return replaced.profile.id
        if not self.needs_check():
            return (await self.store.rename(pid, name)).id
        assert check is not None
        updated = await self.store.update(
            pid, name=name, check=check, api_key=key or None, session_only=session_only
        )
        return updated.profile.id

    def _show_store_error(self, error: ConnectionStoreError) -> None:
        target = {
            NAME_FIELD: self.name_message,
            InputField.URL.value: self.url_message,
            InputField.KEY.value: self.key_message,
        }.get(error.field, self.save_message)
        target.show_text(error.message)
        self.fit_to_contents()

    # -- closing ----------------------------------------------------------------------------
    def reject(self) -> None:
        """Close without saving — except while a save runs: it is about to close the dialog
        itself, and its outcome (saved or not) must not be hidden from the caller."""
        if self._saving:
            return
        super().reject()

    def done(self, result: int) -> None:
        """Close; a running check is cancelled (a save in progress finishes on its own)."""
        self.tasks.cancel("check")
        super().done(result)


async def run_connection_dialog(
    store: ConnectionStore,
    mode: DialogMode = DialogMode.ADD,
    *,
    profile_id: str | None = None,
    reason: str | None = None,
    parent: QWidget | None = None,
    **options: Any,
) -> str | None:
    """Open a ``ConnectionDialog`` and wait until it closes; the saved profile id, or None
    when the user cancelled. Safe inside a coroutine (no nested event loop)."""
    dialog = ConnectionDialog(
        store, mode=mode, profile_id=profile_id, reason=reason, parent=parent, **options
    )
    try:
        dialog.open()
        await await_signal(dialog.finished)
        return dialog.saved_profile_id
    finally:
        dialog.deleteLater()


# --- Settings → Connections ---------------------------------------------------------------


__all__ = ["ConnectionDialog", "DialogMode", "clean_pasted_key", "run_connection_dialog"]
