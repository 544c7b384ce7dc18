"""The safe HTML document of message bodies (a security boundary): nothing is loaded from
anywhere but the message itself, scripts never survive, and links are only offered, by
scheme, after the user saw the address."""

from __future__ import annotations

import base64
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.inbox.safe_html import (
    MAX_EMBEDDED_IMAGE,
    SafeTextDocument,
    link_accepted,
    link_question,
    link_refusal,
    safe_document,
    strip_unloadable,
)

PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_safe_document_refuses_every_source_but_embedded_images() -> None:
    html = (
        '<link rel="stylesheet" href="https://evil.example.com/a.css">'
        '<style>@import url("https://evil.example.com/b.css"); p { color: red }</style>'
        '<body background="file:///etc/passwd"><p>Hi</p>'
        f'<img src="{PNG_1PX}"><img src="file:///home/user/secret.png"><img src="cid:part1">'
        '<table background="ftp://x.example.com/t.png"><tr><td>cell</td></tr></table></body>'
    )
    doc = safe_document(html, 400)
    image = QImage(420, 200, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    doc.drawContents(painter)
    painter.end()
    # The content after an unclosed <link> is shown (Qt alone would hide all of it).
    assert doc.toPlainText().startswith("Hi") and "cell" in doc.toPlainText()
    assert "https://evil.example.com/b.css" in doc.refused
    assert "file:///etc/passwd" in doc.refused
    assert "file:///home/user/secret.png" in doc.refused
    assert "cid:part1" in doc.refused
    assert "ftp://x.example.com/t.png" in doc.refused
    assert not any(u.startswith("data:") for u in doc.refused)
    assert doc.embedded == ["image/png"]


def test_scripts_and_link_tags_are_removed_before_parsing() -> None:
    html = (
        "<p>before</p><script>alert(1)</script><p>middle</p>"
        '<link rel="stylesheet" href="https://evil.example.com/x.css"><p>after</p>'
        "<SCRIPT type='text/javascript'>document.title = 'pwned'"
    )
    cleaned = strip_unloadable(html)
    assert "alert" not in cleaned and "pwned" not in cleaned.lower()
    assert "<link" not in cleaned.lower()
    assert cleaned == "<p>before</p><p>middle</p><p>after</p>"
    text = safe_document(html, 300).toPlainText()
    assert "before" in text and "middle" in text and "after" in text
    assert "alert" not in text and "pwned" not in text


def _bmp(width: int, height: int) -> str:
    """An uncompressed picture as a ``data:`` URL (its size grows with its area)."""
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(0xFF336699)
    raw = QByteArray()
    buffer = QBuffer(raw)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "BMP")
    buffer.close()
    return "data:image/bmp;base64," + base64.b64encode(bytes(raw.data())).decode()


def test_only_small_embedded_images_are_decoded(qapp: Any) -> None:
    doc = SafeTextDocument()
    image_kind = int(QTextDocument.ResourceType.ImageResource)
    assert isinstance(doc.loadResource(image_kind, QUrl(PNG_1PX)), QImage)
    assert isinstance(doc.loadResource(image_kind, _bmp(10, 10)), QImage)  # a real picture
    huge = _bmp(1200, 800)  # a valid image, but over the size limit
    assert len(huge) > MAX_EMBEDDED_IMAGE * 4 // 3
    not_an_image = "data:text/html;base64," + base64.b64encode(b"<p>x</p>").decode()
    for address in (huge, not_an_image, "https://tracker.example.com/p.gif"):
        blank = doc.loadResource(image_kind, address)
        assert isinstance(blank, QImage) and blank.size().width() == 1  # an empty picture
    style_kind = int(QTextDocument.ResourceType.StyleSheetResource)
    assert doc.loadResource(style_kind, "https://evil.example.com/a.css") is None
    assert doc.refused == [
        huge,
        not_an_image,
        "https://tracker.example.com/p.gif",
        "https://evil.example.com/a.css",
    ]
    assert doc.blocked_remote and doc.embedded == ["image/png", "image/bmp"]
    doc.loadResource(image_kind, "https://tracker.example.com/p.gif")
    assert len(doc.refused) == 4  # each address recorded once


def test_only_web_and_email_links_are_offered() -> None:
    for address in ("https://example.com/a?b=1", "http://example.com", "mailto:kim@example.com"):
        assert link_refusal(QUrl(address)) is None, address
    for address in ("javascript:alert(1)", "file:///etc/passwd", "ftp://x.example.com/f"):
        refusal = link_refusal(QUrl(address))
        assert refusal is not None and address in refusal, address


def test_the_link_question_shows_the_address_and_defaults_to_cancel(qapp: Any) -> None:
    parent = QWidget()
    address = "https://example.com/offer?id=7&utm=x"
    box = link_question(parent, QUrl(address))
    try:
        assert not box.isVisible()  # the caller opens it
        assert box.informativeText() == address
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
        assert link_accepted(int(QMessageBox.StandardButton.Open))
        assert not link_accepted(int(QMessageBox.StandardButton.Cancel))
        assert not link_accepted(0)
    finally:
        box.deleteLater()
        parent.deleteLater()
