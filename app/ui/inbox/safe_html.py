"""Safe HTML for message bodies: a security boundary between a message and the machine.

- ``SafeTextDocument`` renders HTML bodies without loading anything: every resource
  the document asks for (images, style sheets, backgrounds, by any URL scheme, local
  files included) is refused and recorded in ``refused``, except images embedded in the
  message as ``data:`` URLs (up to ``MAX_EMBEDDED_IMAGE``). Qt's rich text has no script
  engine, and ``<script>`` blocks are removed before parsing (``strip_unloadable``).
- Links are drawn but only opened on a click, after the user was shown the full address
  and agreed (``link_question``, ``link_accepted``), in the system browser; only
  ``http``, ``https`` and ``mailto`` links are opened at all (``link_refusal`` says why
  another one is not).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QObject,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QFont,
    QImage,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QMessageBox,
    QWidget,
)


OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
"""Link schemes a click may open (after the user saw the address)."""
MAX_EMBEDDED_IMAGE = 2 * 1024 * 1024
"""Largest ``data:`` image an HTML body may carry (decoded bytes)."""


class SafeTextDocument(QTextDocument):
    """A rich text document that loads nothing from anywhere.

    ``loadResource`` is the one place Qt's rich text asks for outside content (an
    ``<img src>``, a ``background`` attribute, a CSS ``url()``, a linked style sheet,
    by any scheme, local files included). Every request is refused and recorded in
    ``refused``, except images embedded in the message itself as ``data:`` URLs (up to
    ``MAX_EMBEDDED_IMAGE``). A refused image gets an empty 1×1 picture, so Qt draws no
    broken-image glyph and asks no other source.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.refused: list[str] = []
        """Every resource URL asked for and refused, in order, each once."""
        self._refused_set: set[str] = set()  # a list lookup per image was quadratic
        self.embedded: list[str] = []
        """``data:`` images that were decoded (their media type)."""
        self._blank = QImage(1, 1, QImage.Format.Format_ARGB32)
        self._blank.fill(Qt.GlobalColor.transparent)
        self._decoded: dict[str, QImage] = {}

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        address = url.toString() if isinstance(url, QUrl) else str(url)
        image_kind = int(QTextDocument.ResourceType.ImageResource)
        if int(kind) == image_kind and address.startswith("data:"):
            image = self._decoded.get(address)
            if image is None:
                image = _data_image(address)
                if image is not None:
                    self._decoded[address] = image
                    self.embedded.append(address[5 : address.find(";")] or "image")
            if image is not None:
                return image
        if address not in self._refused_set:
            self._refused_set.add(address)
            self.refused.append(address)
        return self._blank if int(kind) == image_kind else None

    @property
    def blocked_remote(self) -> bool:
        """Whether the body asked for outside content (which was not loaded)."""
        return bool(self.refused)


def _data_image(address: str) -> QImage | None:
    """An image from a ``data:image/...;base64,...`` URL, or None (not one, too big, broken)."""
    header, _, payload = address.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        return None
    if len(payload) > MAX_EMBEDDED_IMAGE * 4 // 3 + 4:
        return None
    try:
        raw = base64.b64decode(payload, validate=False)
    except ValueError:
        return None
    image = QImage.fromData(QByteArray(raw))
    return None if image.isNull() else image


_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b.*?(?:</script\s*>|$)", re.IGNORECASE | re.DOTALL)


def strip_unloadable(html_text: str) -> str:
    """``html_text`` without ``<link>`` tags and ``<script>`` blocks.

    Neither would be loaded or run (see ``SafeTextDocument``), but Qt's parser reads an
    unclosed ``<link>`` outside ``<head>`` as a container and then shows nothing of what
    follows: a message could hide its text that way."""
    return _SCRIPT.sub("", _LINK_TAG.sub("", html_text))


def safe_document(html_text: str, width: float, font: QFont | None = None) -> SafeTextDocument:
    """``html_text`` laid out ``width`` wide in a ``SafeTextDocument``."""
    doc = SafeTextDocument()
    doc.setDocumentMargin(0)
    if font is not None:
        doc.setDefaultFont(font)
    doc.setHtml(strip_unloadable(html_text))
    doc.setTextWidth(max(1.0, width))
    return doc


def link_refusal(url: QUrl) -> str | None:
    """Why a clicked link is not opened (its scheme is not a web or email one), or None
    when it may be offered to the user."""
    if url.scheme().lower() in OPENABLE_SCHEMES:
        return None
    return (
        "This link was not opened: only web and email links can be opened from a "
        f"message, and this one is “{url.toString()[:200]}”."
    )


def link_question(parent: QWidget, url: QUrl) -> QMessageBox:
    """The question asked before a link opens: its full address, Cancel by default, the
    box deleting itself when closed. The caller opens it with ``open()``, never
    ``exec()`` (this may run while a coroutine is in flight), and opens the link only
    when it finishes with ``QMessageBox.StandardButton.Open``."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Open link")
    box.setText("Open this link in your browser?")
    box.setInformativeText(url.toString())
    box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


def link_accepted(result: int) -> bool:
    """Whether the answer to ``link_question`` was Open."""
    return result == int(QMessageBox.StandardButton.Open)


__all__ = [
    "MAX_EMBEDDED_IMAGE",
    "OPENABLE_SCHEMES",
    "SafeTextDocument",
    "link_accepted",
    "link_question",
    "link_refusal",
    "safe_document",
    "strip_unloadable",
]
