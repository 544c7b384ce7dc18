"""Cold-start probe, run as a fresh process by test_contacts_ui_bench.py.

``coldstart_probe.py bare`` opens a bare ``QMainWindow``; ``coldstart_probe.py app``
builds Seedly Desk exactly as ``seedly-desk --demo`` does. Each prints
``PAINTED <seconds>``: from the process start (read from /proc, so the
interpreter's own start-up and every import count) to the window's first
paint. The app then finishes opening the demo and quits normally, so its
sandbox child is stopped as on any quit.
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


def main(kind: str) -> int:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QMainWindow

    class Painted(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.done = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.done:
                self.done = True
                print(f"PAINTED {process_age():.4f}", flush=True)
                if kind == "bare":
                    os._exit(0)
            return False

    app = QApplication(sys.argv[:1])
    watcher = Painted()
    if kind == "bare":
        window = QMainWindow()
        window.resize(1360, 860)
        window.installEventFilter(watcher)
        window.show()
        return app.exec()
    from app.bootstrap import Application, LaunchOptions
    from app.settings.paths import AppPaths

    app.setQuitOnLastWindowClosed(False)
    desk = Application(app, LaunchOptions(demo=True, traffic_seconds=None), AppPaths.default())
    desk.window.installEventFilter(watcher)

    async def close_when_open() -> None:
        for _ in range(1200):
            if desk.workspace.active is not None or "could not" in desk.window.welcome.title:
                break
            await asyncio.sleep(0.1)
        desk.window.close()

    async def both() -> int:
        closer = asyncio.ensure_future(close_when_open())
        code = await desk.run()
        await closer
        return code

    try:
        return desk.loop.run_until_complete(both())
    finally:
        desk.loop.run_until_complete(desk.shutdown())
        desk.loop.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1]))
