"""Fixtures of the Qt tests: offscreen platform, one qasync loop per test (see
``tests/support/qt_loop.py``)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.support.qt_loop import _no_quit_on_last_window, qloop, run

__all__ = ["_no_quit_on_last_window", "qloop", "run"]
