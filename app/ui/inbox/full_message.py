"""The whole of a long email, shown without freezing the window: ``FullMessageDialog``.

An email beyond the thread pane's budget is shown there as text; when the user asks
for the full message it opens here. The body is prepared with the far larger
``FULL_MESSAGE`` budget on a worker thread (sanitising releases the GIL), then added
to the viewer piece by piece, one piece of at most ``PIECE_ELEMENTS`` elements (or
``TEXT_PIECE`` characters of text) per event-loop turn, so the window stays
responsive while a megabyte of HTML is laid out. Nothing is loaded from elsewhere (the
viewer's document is a ``SafeTextDocument``) and links ask before they open.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.core.email_html import FULL_MESSAGE, PreparedEmail, prepare_email, split_blocks
from app.ui.inbox.safe_html import SafeTextDocument

PIECE_ELEMENTS = 400
"""Elements added to the viewer per event-loop turn."""
TEXT_PIECE = 20_000
"""Characters of plain text added per turn."""


class _Preparer(QObject):
    done = Signal(object)
    """(``PreparedEmail``, its pieces), queued from the worker thread to the GUI thread."""


class FullMessageDialog(QDialog):
    """A read-only viewer of one email's full body (see the module docstring)."""

    linkActivated = Signal(QUrl)
    """A link was clicked (not opened: the thread pane asks first)."""

    finishedLoading = Signal()
    """Every piece of the body is in the viewer."""

    def __init__(self, subject: str, html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(subject or "Full message")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 640)
        layout = QVBoxLayout(self)
        self.status = QLabel("Preparing the message…", self)
        self.status.setObjectName("mutedLabel")
        layout.addWidget(self.status)
        self.viewer = QTextBrowser(self)
        self.viewer.setOpenLinks(False)
        self.viewer.setOpenExternalLinks(False)
        self.document = SafeTextDocument(self.viewer)
        self.viewer.setDocument(self.document)
        self.viewer.anchorClicked.connect(self.linkActivated)
        layout.addWidget(self.viewer, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._pieces: list[str] = []
        self._as_text = False
        self._added = 0
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._add_piece)
        self._preparer = _Preparer(self)
        self._preparer.done.connect(self._prepared)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="full-message")
        self._executor.submit(self._prepare, html)
        self.loaded = False
        """Whether the whole body is shown (tests)."""

    def _prepare(self, html: str) -> None:
        # On the worker thread: no Qt object is touched but the queued signal.
        prepared = prepare_email(html, FULL_MESSAGE)
        if prepared.html is not None:
            pieces = split_blocks(prepared.html, PIECE_ELEMENTS)
        else:
            text = prepared.text
            pieces = [text[i : i + TEXT_PIECE] for i in range(0, len(text), TEXT_PIECE)]
        self._preparer.done.emit((prepared, pieces))

    def _prepared(self, result: tuple[PreparedEmail, list[str]]) -> None:
        self._executor.shutdown(wait=False)
        prepared, self._pieces = result
        if prepared.html is None:
            self._as_text = True
            self.status.setText(
                f"This email is too large to show as it was designed ({prepared.over_budget}); "
                "its text is shown."
            )
        self._pieces.reverse()  # popped from the end, in order
        self._total = max(1, len(self._pieces))
        self._timer.start()

    def _add_piece(self) -> None:
        if not self._pieces:
            self._timer.stop()
            self.loaded = True
            if not self._as_text:
                self.status.setText(
                    "Images and styles from elsewhere are not loaded."
                    if self.document.blocked_remote
                    else "The whole message is shown."
                )
            self.finishedLoading.emit()
            return
        cursor = QTextCursor(self.document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        piece = self._pieces.pop()
        if self._as_text:
            cursor.insertText(piece)
        else:
            cursor.insertHtml(piece)
        self._added += 1
        if not self._as_text:
            self.status.setText(f"Showing the message… {100 * self._added // self._total} %")

    def done(self, result: int) -> None:
        self._timer.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
        super().done(result)


__all__ = ["PIECE_ELEMENTS", "FullMessageDialog"]
