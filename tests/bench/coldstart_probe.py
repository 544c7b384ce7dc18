"""Cold-start probe, run as a fresh process by test_contacts_ui_bench.py.

``coldstart_probe.py bare`` opens a bare ``QMainWindow``; ``bare5`` a bare window with
five empty tabs (the shape of ours); ``coldstart_probe.py app`` builds Seedly Desk exactly
as ``seedly-desk --demo`` does. Each prints ``PAINTED <seconds>``: from the process start
(read from /proc, so the interpreter's own start-up and every import count) to the
window's first paint. The app also prints ``ROWS <seconds>`` when the tab in front shows
cached rows, and ``STALL <ms>``: the longest gap between two turns of the GUI thread's
event loop in the first 5 s after the first paint (a 5 ms timer that should never wait
longer). It then finishes opening the demo and quits normally, so its sandbox child is
stopped as on any quit.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


def process_age() -> float:
    """Seconds since this process was started by the kernel."""
    ticks = os.sysconf("SC_CLK_TCK")
    start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start_ticks / ticks


def _shows_rows(area: object) -> bool:
    """Whether the tab's table is on screen with rows in it (it may still be building its
    other parts); a tab without a table counts once built."""
    model, table = getattr(area, "model", None), getattr(area, "table", None)
    if model is None or model.rowCount() == 0:
        return False
    if table is None:
        return bool(getattr(area, "is_built", False))
    return bool(table.isVisible() and not table.visibleRegion().isEmpty())


def main(kind: str) -> int:
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QWidget

    stall = {"worst": 0.0, "last": 0.0, "until": 0.0}
    ticker = QTimer()
    ticker.setInterval(5)

    def tick() -> None:
        now = time.perf_counter()
        if now > stall["until"]:
            ticker.stop()
            print(f"STALL {stall['worst'] * 1000:.1f}", flush=True)
            return
        stall["worst"] = max(stall["worst"], now - stall["last"])
        stall["last"] = now

    ticker.timeout.connect(tick)

    class Painted(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.done = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.done:
                self.done = True
                print(f"PAINTED {process_age():.4f}", flush=True)
                if kind in ("bare", "bare5"):
                    os._exit(0)
                stall["last"] = time.perf_counter()
                stall["until"] = stall["last"] + 5.0
                ticker.start()
            return False

    app = QApplication(sys.argv[:1])
    watcher = Painted()
    if kind in ("bare", "bare5"):
        window = QMainWindow()
        window.resize(1360, 860)
        if kind == "bare5":
            tabs = QTabWidget(window)
            for title in ("Leads", "Contacts", "Inbox", "Calendar", "Webhooks & Automations"):
                tabs.addTab(QWidget(), title)
            window.setCentralWidget(tabs)
        window.installEventFilter(watcher)
        window.show()
        return app.exec()
    from app.bootstrap import (
        Application,
        LaunchOptions,
        launch,
        open_window,
        paint_now,
        show_window,
    )
    from app.settings.paths import AppPaths
    from app.ui.async_qt import create_loop

    app.setQuitOnLastWindowClosed(False)
    # As ``seedly-desk --demo`` starts (``bootstrap.main``): the frame paints, then the
    # services are imported and built.
    options, paths = LaunchOptions(demo=True, traffic_seconds=None), AppPaths.default()
    window = open_window(app, options, paths)
    # The tab in front is the one used last: Contacts, with its cached rows (ROWS).
    window.settings.setValue("window/lastTab", "contacts")
    window.installEventFilter(watcher)
    show_window(window, options)
    paint_now(app, window)
    loop = create_loop(app)

    async def close_when_open(desk: Application) -> None:
        rows_seen = False
        for _ in range(12000):
            area = desk.window.current_area()
            if not rows_seen and area is not None and _shows_rows(area):
                rows_seen = True
                print(f"ROWS {process_age():.4f}", flush=True)
            opened = desk.workspace.active is not None or "could not" in desk.window.welcome.title
            done = opened and rows_seen and desk.areas_ready.is_set()
            if done and not ticker.isActive() and stall["until"]:
                break
            await asyncio.sleep(0.01)
        desk.window.close()

    started: list[Application] = []

    async def both() -> int:
        desk = await launch(app, options, paths, window, loop)
        started.append(desk)
        closer = asyncio.ensure_future(close_when_open(desk))
        code = await desk.run()
        await closer
        return code

    try:
        return loop.run_until_complete(both())
    finally:
        if started:
            loop.run_until_complete(started[0].shutdown())
        loop.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1]))
