""" "Sign in with Seamless.AI": the part of the connection settings that signs in through the
browser, and the small dialog the Leads tab opens when the sign-in has ended.

``SignInPanel`` holds the OAuth app (client ID and secret, the address where
Seamless.AI authorises it, the redirect address registered for it), a "Sign in with
Seamless.AI" button, and a field to paste the code when the browser cannot come
back to the app (a redirect address that is not on this computer, or a browser on
another machine). Signing in opens the system browser; while it waits, the panel
says so and offers Cancel; the answer arrives by itself on a loopback redirect
(``http://127.0.0.1:<port>/callback``). Success keeps the tokens in the keyring,
makes the sign-in the connection's way in and emits ``signedIn``. The flow itself
is the service's (``SeamlessConnection.begin_sign_in`` / ``finish_sign_in``).

``SignInDialog`` is the panel alone, started at once: the banner's "Sign in again".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.ports.leads import (
    DEFAULT_REDIRECT_URI,
    InvalidUrl,
    KeyNotSaved,
    SaveFailed,
    SeamlessConnection,
    SeamlessOAuthClient,
    SeamlessSettings,
    SeamlessSignIn,
    SignInError,
)
from app.ui.async_qt import TaskSet, await_signal
from app.ui.common.messages import FieldMessage
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)


def open_in_browser(url: str) -> bool:
    """Open ``url`` in the system browser (Qt's way: it does not block)."""
    return bool(QDesktopServices.openUrl(QUrl(url)))


class SignInPanel(QWidget):
    """Sign in with Seamless.AI (see the module docstring)."""

    signedIn = Signal(object)
    """The sign-in succeeded and the connection is open: the ``SeamlessSettings`` saved."""

    def __init__(
        self,
        connection: SeamlessConnection,
        settings_for: Any,
        parent: QWidget | None = None,
        *,
        opener: Any = open_in_browser,
    ) -> None:
        """``settings_for()`` gives the settings to sign in for (the dialog's URL, pricing
        and budget); ``opener(url)`` opens the browser (tests pass their own)."""
        super().__init__(parent)
        self.connection = connection
        self.settings_for = settings_for
        self.opener = opener
        self.tasks = TaskSet("seamless-sign-in")
        self.sign_in: SeamlessSignIn | None = None
        self._secret: str | None = None
        self._session_only = False
        self._pending_tokens: Any = None
        self._client: SeamlessOAuthClient | None = None
        self._build()

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(Spacing.S)
        intro = QLabel(
            "Or sign in with your Seamless.AI account in the browser: no key to copy, and "
            "the sign-in is kept in your system's keyring.",
            self,
        )
        intro.setWordWrap(True)
        intro.setProperty("muted", True)
        column.addWidget(intro)
        form = QFormLayout()
        form.setHorizontalSpacing(Spacing.M)
        self.client_id = QLineEdit(self)
        self.client_id.setObjectName("oauthClientId")
        self.client_secret = QLineEdit(self)
        self.client_secret.setObjectName("oauthClientSecret")
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.authorize_url = QLineEdit(self)
        self.authorize_url.setObjectName("oauthAuthorizeUrl")
        self.authorize_url.setPlaceholderText("https://login.seamless.ai/oauth/authorize")
        self.redirect_uri = QLineEdit(self)
        self.redirect_uri.setObjectName("oauthRedirectUri")
        self.redirect_uri.setPlaceholderText(DEFAULT_REDIRECT_URI)
        form.addRow("Client &ID", self.client_id)
        form.addRow("Client &secret", self.client_secret)
        form.addRow("Authorize address", self.authorize_url)
        form.addRow("Redirect address", self.redirect_uri)
        column.addLayout(form)

        row = QHBoxLayout()
        row.setSpacing(Spacing.S)
        self.sign_in_button = QPushButton(icon("leads"), "Sign in with Seamless.AI", self)
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setAutoDefault(False)
        self.sign_in_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel sign-in", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        row.addWidget(self.sign_in_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        column.addLayout(row)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        column.addWidget(self.status)

        paste_row = QHBoxLayout()
        paste_row.setSpacing(Spacing.S)
        self.paste_edit = QLineEdit(self)
        self.paste_edit.setObjectName("oauthCode")
        self.paste_edit.setPlaceholderText("Paste the code, or the address the browser ended on")
        self.paste_button = QPushButton("Use the code", self)
        self.paste_button.setAutoDefault(False)
        self.paste_button.clicked.connect(self.use_pasted)
        paste_row.addWidget(self.paste_edit, 1)
        paste_row.addWidget(self.paste_button)
        self.paste_box = QWidget(self)
        self.paste_box.setLayout(paste_row)
        self.paste_box.hide()
        column.addWidget(self.paste_box)
        self.message = FieldMessage(self)
        column.addWidget(self.message)
        self.session_button = QPushButton("Keep the sign-in for this session only", self)
        self.session_button.setAutoDefault(False)
        self.session_button.clicked.connect(self.keep_for_session)
        self.session_button.hide()
        column.addWidget(self.session_button)

    def fill(self, current: SeamlessSettings | None) -> asyncio.Task[Any] | None:
        """Show the OAuth app of ``current`` (its secret read from the keyring, on a worker)."""
        client = current.oauth if current is not None else None
        if client is not None:
            self.client_id.setText(client.client_id)
            self.authorize_url.setText(client.authorize_url)
            self.redirect_uri.setText(client.redirect_uri)
        return self.tasks.spawn(self._fill_secret(), "secret", replace=True)

    async def _fill_secret(self) -> None:
        secret = await self.connection.saved_client_secret()
        if secret and shiboken6.isValid(self) and not self.client_secret.text():
            self.client_secret.setText(secret)

    # -- state --------------------------------------------------------------------------------
    def client(self) -> SeamlessOAuthClient:
        """The OAuth app as entered."""
        return SeamlessOAuthClient(
            client_id=self.client_id.text().strip(),
            authorize_url=self.authorize_url.text().strip(),
            redirect_uri=self.redirect_uri.text().strip() or DEFAULT_REDIRECT_URI,
        )

    @property
    def waiting(self) -> bool:
        """Whether a sign-in is under way (the browser is open)."""
        return self.sign_in is not None

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _set_waiting(self, waiting: bool) -> None:
        self.sign_in_button.setEnabled(not waiting)
        self.cancel_button.setVisible(waiting)
        for field in (self.client_id, self.client_secret, self.authorize_url, self.redirect_uri):
            field.setEnabled(not waiting)

    # -- signing in ---------------------------------------------------------------------------
    def start(self) -> asyncio.Task[Any]:
        """Open the browser and wait for its answer (or a pasted code); returns the task."""
        return self.tasks.spawn(self._run(), "sign-in", replace=True)

    async def _run(self) -> bool:
        self.message.clear()
        self.session_button.hide()
        client = self.client()
        secret = self.client_secret.text().strip()
        try:
            settings = self.settings_for()
            sign_in = self.connection.begin_sign_in(
                settings.base_url, client, secret, open_browser=self.opener
            )
        except (InvalidUrl, ValueError) as exc:
            self.message.show_text(str(exc))
            return False
        self.sign_in, self._secret, self._client = sign_in, secret, client
        self._set_waiting(True)
        try:
            url = await sign_in.start()
            looping = sign_in.uses_loopback
            text = (
                "Approve Seedly Desk in the browser window that opened; this finishes by "
                "itself when you do."
                if looping
                else "Approve Seedly Desk in the browser window that opened, then paste the "
                "code Seamless.AI shows (or the address it sent you to) below."
            )
            if not sign_in.browser_opened:
                text = f"No browser could be opened. Open this address yourself: {url}"
            self._show_status(text)
            self.paste_box.show()
            if not looping:
                return False  # the pasted code finishes it
            tokens = await sign_in.wait()
        except SignInError as exc:
            if shiboken6.isValid(self) and self.sign_in is sign_in:
                self._fail(str(exc))
            return False
        return await self._finish(tokens)

    def use_pasted(self) -> asyncio.Task[Any]:
        """Finish with the pasted code or address; returns the task."""
        return self.tasks.spawn(self._pasted(self.paste_edit.text()), "paste", replace=True)

    async def _pasted(self, text: str) -> bool:
        sign_in = self.sign_in
        if sign_in is None:
            self.message.show_text("Press “Sign in with Seamless.AI” first.")
            return False
        self.tasks.cancel("sign-in")
        try:
            tokens = await sign_in.use_pasted(text)
        except SignInError as exc:
            self.message.show_text(str(exc))
            return False
        return await self._finish(tokens)

    async def _finish(self, tokens: Any) -> bool:
        secret = self._secret or ""
        try:
            saved = await self.connection.finish_sign_in(
                self.settings_for(),
                tokens,
                secret,
                client=self._client,
                session_only=self._session_only,
            )
        except KeyNotSaved as exc:
            if shiboken6.isValid(self):
                self._pending_tokens = tokens
                self.message.show_text(
                    "No system keyring is available on this computer, so the sign-in cannot "
                    "be kept securely. You can keep it for this session only (in memory)."
                )
                self.message.setToolTip(str(exc))
                self.session_button.show()
            return False
        except (SaveFailed, InvalidUrl, ValueError) as exc:
            if shiboken6.isValid(self):
                self._fail(str(exc))
            return False
        if shiboken6.isValid(self):
            self.sign_in = None
            self._set_waiting(False)
            self.paste_box.hide()
            self._show_status("Signed in with Seamless.AI.")
            self.signedIn.emit(saved)
        return True

    def keep_for_session(self) -> asyncio.Task[Any] | None:
        """Keep the sign-in in memory for this session (no keyring on this computer)."""
        tokens = self._pending_tokens
        if tokens is None:
            return None
        self._session_only = True
        return self.tasks.spawn(self._finish(tokens), "finish", replace=True)

    def _fail(self, text: str) -> None:
        self.sign_in = None
        self._set_waiting(False)
        self.paste_box.hide()
        self._show_status("")
        self.message.show_text(text)

    def cancel(self) -> asyncio.Task[Any]:
        """Stop waiting for the browser."""
        return self.tasks.spawn(self._cancel(), "cancel", replace=True)

    async def _cancel(self) -> None:
        sign_in, self.sign_in = self.sign_in, None
        self.tasks.cancel("sign-in")
        if sign_in is not None:
            await sign_in.cancel()
        if shiboken6.isValid(self):
            self._set_waiting(False)
            self.paste_box.hide()
            self._show_status("The sign-in was cancelled.")

    async def shutdown(self) -> None:
        """Stop listening and cancel the panel's work (the dialog closes)."""
        sign_in, self.sign_in = self.sign_in, None
        if sign_in is not None:
            await sign_in.cancel()
        await self.tasks.shutdown(2.0)


class SignInDialog(QDialog):
    """The sign-in alone, started at once: "Sign in again" on the Leads tab's banner."""

    def __init__(
        self, connection: SeamlessConnection, parent: QWidget | None = None, *, opener: Any = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in with Seamless.AI")
        self.setMinimumWidth(560)
        current = connection.current
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.L, Spacing.L, Spacing.L, Spacing.L)
        heading = QLabel(
            "Your Seamless.AI sign-in has ended. Sign in again to go on: research waiting "
            "in the queue is sent once you are back.",
            self,
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        if current is None:
            raise ValueError("no Seamless.AI connection to sign in to")
        settings = current
        self.panel = SignInPanel(
            connection, lambda: settings, self, opener=opener or open_in_browser
        )
        self.panel.fill(current)
        layout.addWidget(self.panel)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.panel.signedIn.connect(lambda _s: self.accept())


async def run_sign_in_again(
    parent: QWidget | None, connection: SeamlessConnection, *, opener: Any = None
) -> bool:
    """Open the sign-in dialog, start the browser sign-in and wait until it closes: whether
    the user signed in again. Safe inside a coroutine (no nested event loop)."""
    dialog = SignInDialog(connection, parent, opener=opener)
    try:
        dialog.open()
        await dialog.panel.tasks.spawn(dialog.panel._fill_secret(), "secret", replace=True)
        dialog.panel.start()
        await await_signal(dialog.finished)
        return dialog.result() == QDialog.DialogCode.Accepted.value
    finally:
        await dialog.panel.shutdown()
        dialog.deleteLater()


__all__ = ["SignInDialog", "SignInPanel", "open_in_browser", "run_sign_in_again"]
