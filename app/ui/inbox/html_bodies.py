"""HTML email bodies for the thread pane, prepared and laid out within a time budget.

``EmailBodies`` gives the message delegate what to paint for an HTML body:

- the body is first prepared (sanitised and checked against a budget, see
  ``app.core.email_html``). Small bodies are prepared at once; larger ones on a
  worker thread (the sanitiser releases the GIL), the row showing "Preparing this
  email…" meanwhile;
- a body within the budget becomes a ``SafeTextDocument`` laid out at the bubble's
  width. Qt's rich text runs on the GUI thread and holds the GIL, so documents are
  built at most ``TURN_BUDGET_MS`` worth per event-loop turn; the others wait for the
  next turn (a row keeps painting the document of another width meanwhile);
- a body beyond the budget is shown as its plain text, with the reason, and the
  user may open the whole message (``full_message.FullMessageDialog``).

``ready`` tells the view which row to measure again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QFont

from app.core.email_html import PreparedEmail, prepare_email
from app.ui.inbox.safe_html import SafeTextDocument, safe_document

SYNC_PREPARE_CHARS = 20_000
"""Bodies up to this size are prepared on the GUI thread (well under a millisecond)."""
TURN_BUDGET_MS = 30.0
"""Documents built in one event-loop turn stop once this much time was spent."""
CACHE_SIZE = 600
"""Prepared bodies and documents kept (least recently used first out)."""


class EmailBodies(QObject):
    """Prepared HTML bodies and their documents, by row key (see the module docstring)."""

    ready = Signal(str)
    """The body of this row key was prepared, or its document built: measure it again."""

    _prepared_elsewhere = Signal(str, str, object)
    """(key, html, PreparedEmail) from the worker thread, queued to the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._prepared: OrderedDict[tuple[str, str], PreparedEmail] = OrderedDict()
        self._pending: set[tuple[str, str]] = set()
        self._documents: OrderedDict[tuple[str, str, int], SafeTextDocument] = OrderedDict()
        self._latest: dict[str, SafeTextDocument] = {}
        """The last document built for each key, whatever its width (painted until the
        document of the current width is built)."""
        self._wanted: OrderedDict[tuple[str, str, int], QFont] = OrderedDict()
        self._turn_spent = 0.0
        self._turn_end = QTimer(self)
        self._turn_end.setSingleShot(True)
        self._turn_end.setInterval(0)
        self._executor: ThreadPoolExecutor | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._build_wanted)
        self._prepared_elsewhere.connect(self._take_prepared)
        self.documents_made = 0
        """Documents built so far (tests and benches)."""

    @property
    def busy(self) -> bool:
        """Whether a body is being prepared or a document waits to be built."""
        return bool(self._pending or self._wanted)

    # -- preparing ------------------------------------------------------------------------
    def prepared(self, key: str, html: str) -> PreparedEmail | None:
        """The prepared body, or None while it is being prepared on the worker."""
        ident = (key, html)
        found = self._prepared.get(ident)
        if found is not None:
            self._prepared.move_to_end(ident)
            return found
        if len(html) <= SYNC_PREPARE_CHARS:
            return self._keep(ident, prepare_email(html))
        if ident not in self._pending:
            self._pending.add(ident)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="email-bodies")
            self._executor.submit(self._prepare_on_worker, key, html)
        return None

    def _prepare_on_worker(self, key: str, html: str) -> None:
        # On the worker thread: pure Python and Rust, no Qt object touched.
        self._prepared_elsewhere.emit(key, html, prepare_email(html))

    def _take_prepared(self, key: str, html: str, prepared: PreparedEmail) -> None:
        self._pending.discard((key, html))
        self._keep((key, html), prepared)
        self.ready.emit(key)

    def _keep(self, ident: tuple[str, str], prepared: PreparedEmail) -> PreparedEmail:
        self._prepared[ident] = prepared
        if len(self._prepared) > CACHE_SIZE:
            self._prepared.popitem(last=False)
        return prepared

    # -- documents ------------------------------------------------------------------------
    def document(
        self, key: str, html: str, width: int, font: QFont
    ) -> tuple[SafeTextDocument | None, bool]:
        """The document of a prepared body at ``width``: (document, exact). When the
        document of this width is not built yet and this turn's budget is spent, the
        document of another width (not exact) or None, and the build is queued."""
        ident = (key, html, width)
        doc = self._documents.get(ident)
        if doc is not None:
            self._documents.move_to_end(ident)
            return doc, True
        prepared = self._prepared.get((key, html))
        if prepared is None or prepared.html is None:
            return None, False
        if self._within_turn():
            return self._build(ident, prepared.html, font), True
        self._wanted[ident] = font
        self._timer.start()
        return self._latest.get(key), False

    def _within_turn(self) -> bool:
        """Whether this event-loop turn may still build a document. A turn ends when control
        returns to the loop: the zero-delay ``_turn_end`` timer fires then."""
        if not self._turn_end.isActive():
            self._turn_spent = 0.0
            self._turn_end.start()
        return self._turn_spent < TURN_BUDGET_MS

    def _build(self, ident: tuple[str, str, int], html: str, font: QFont) -> SafeTextDocument:
        started = time.perf_counter()
        doc = safe_document(html, ident[2], font)
        doc.size()  # lay it out now, inside the budget, not while painting
        self._turn_spent += (time.perf_counter() - started) * 1000
        self.documents_made += 1
        self._documents[ident] = doc
        self._latest[ident[0]] = doc
        self._wanted.pop(ident, None)
        if len(self._documents) > CACHE_SIZE:
            old_key, _, _ = self._documents.popitem(last=False)[0]
            if old_key not in {k for k, _, _ in self._documents}:
                self._latest.pop(old_key, None)
        return doc

    def _build_wanted(self) -> None:
        self._within_turn()
        built: list[str] = []
        while self._wanted and (not built or self._turn_spent < TURN_BUDGET_MS):
            ident, font = self._wanted.popitem(last=False)
            prepared = self._prepared.get((ident[0], ident[1]))
            if prepared is None or prepared.html is None or ident in self._documents:
                continue
            self._build(ident, prepared.html, font)
            built.append(ident[0])
        if self._wanted:
            self._timer.start()
        for key in dict.fromkeys(built):
            self.ready.emit(key)

    def clear(self) -> None:
        """Forget every document (fonts or theme changed); prepared bodies are kept."""
        self._documents.clear()
        self._latest.clear()
        self._wanted.clear()

    def close(self) -> None:
        """Stop the worker (bodies being prepared are dropped)."""
        self._timer.stop()
        self._turn_end.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


__all__ = ["SYNC_PREPARE_CHARS", "TURN_BUDGET_MS", "EmailBodies"]
