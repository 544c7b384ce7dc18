"""Measures how long the GUI thread is kept from its event loop."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication


def longest_stall_ms(
    qapp: QApplication, until: Callable[[], bool], *, timeout: float = 30.0
) -> float:
    """Run the event loop until ``until()`` (or ``timeout`` seconds); the longest single
    ``processEvents`` call in milliseconds — the longest the window could not repaint or
    answer input."""
    worst = 0.0
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        started = time.perf_counter()
        qapp.processEvents()
        worst = max(worst, (time.perf_counter() - started) * 1000)
        time.sleep(0.001)
    assert until(), f"not done within {timeout} s"
    return worst
