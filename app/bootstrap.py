"""The composition root: builds settings, cache, services and the window, runs the loop.

One place creates the ``QApplication`` and the qasync loop. The app runs as
one coroutine (``_run``) on that loop: it opens the window, opens the active
connection (or the demo), and waits until the window is closed; then every
task, the session, the clients, the cache and the demo sandbox are shut down
and awaited, each bounded by a timeout, before the process exits.

``--demo`` starts the sandbox as a child process (its data under the app's
data directory in ``demo/``) and works on a demo connection whose key lives
in memory only: the user's own connections, cache and keyring are untouched.
``--screenshot DIR`` waits until every tab has its data, writes one PNG per
tab and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import logging.handlers
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractEventDispatcher,
    QEvent,
    QEventLoop,
    QObject,
    QSettings,
    QTimer,
)
from PySide6.QtWidgets import QApplication

from app.settings.paths import AppPaths
from app.ui.area import Area, AreaContext
from app.ui.main_window import THEME_SETTING, MainWindow, app_icon
from app.ui.theme import THEME_MODES, Theme

# The services, the clients and the cache take the better part of a second to import:
# they are imported inside the functions below, after the window's frame has painted.
if TYPE_CHECKING:
    from app.services.demo import DemoInfo, DemoSandbox
    from app.services.workspace import Workspace
    from app.settings.profiles import Profile

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 5.0
SCREENSHOT_TIMEOUT = 120.0
SCREENSHOT_SIZE = (1360, 860)
FIRST_PAINT_SECONDS = 0.02
FRONT_BUILD_SECONDS = 15.0
"""The longest wait for the front tab to be built before the other tabs are added."""
IDLE_WAIT_SECONDS = 0.5
"""The longest wait for an idle moment of the event loop before work that can wait."""
GIL_SWITCH_SECONDS = 0.001
"""How long a thread may hold the GIL while another waits, during start-up (Python's
default: 5 ms)."""
DEMO_PROFILE_ID = "demo"
DEMO_CACHE_KEY = "sandbox://demo"
DEMO_MEMORY_SETTING = "demo/lastOpened"
"""The demo's sub-accounts and the open one, so a warm start shows the cache at once."""


@dataclass(frozen=True)
class AreaSpec:
    """One tab: its header (shown before its code is imported), its class and its port."""

    name: str
    """The area's ``area_name``."""
    title: str
    """The tab's label (the area class says the same; checked when it is imported)."""
    icon_name: str
    """The tab's icon."""
    area_class: str
    """``"package.module:ClassName"`` of the ``Area`` subclass (imported after the first
    paint, on a worker thread)."""
    port: str
    """``"package.module:Name"`` of what makes the area's port from the workspace
    (imported with the area)."""


AREAS: tuple[AreaSpec, ...] = (
    AreaSpec(
        "leads", "Leads", "leads", "app.ui.leads.tab:LeadsTab", "app.services.ports.leads:LeadsPort"
    ),
    AreaSpec(
        "contacts",
        "Contacts",
        "contacts",
        "app.ui.contacts.tab:ContactsTab",
        "app.services.ports.contacts:ContactsPort",
    ),
    AreaSpec(
        "inbox", "Inbox", "inbox", "app.ui.inbox.tab:InboxTab", "app.services.ports.inbox:InboxPort"
    ),
    AreaSpec(
        "calendar",
        "Calendar",
        "calendar",
        "app.ui.calendar.tab:CalendarTab",
        "app.services.ports.calendar:CalendarPort",
    ),
    AreaSpec(
        "webhooks",
        "Webhooks & Automations",
        "webhook",
        "app.ui.webhooks.tab:WebhooksTab",
        "app.services.ports.webhooks:WebhooksPort",
    ),
)
"""Every tab of the window, one entry each (docs/architecture.md, "Adding a tab")."""


def _named(reference: str) -> Any:
    module_name, _, name = reference.partition(":")
    return getattr(import_module(module_name), name)


def area_class(spec: AreaSpec) -> type[Area]:
    """Import the ``Area`` subclass a spec names (and check it is the tab the spec says)."""
    cls = _named(spec.area_class)
    if not (isinstance(cls, type) and issubclass(cls, Area)):
        raise TypeError(f"{spec.area_class} is not an Area")
    if (cls.area_name, cls.title, cls.icon_name) != (spec.name, spec.title, spec.icon_name):
        raise TypeError(f"{spec.area_class} is not the area {spec.name!r} its spec describes")
    for module in cls.preload:
        import_module(module)
    return cls


def warm_up_areas(specs: Sequence[AreaSpec]) -> None:
    """Each area's ``warm_up`` (on a worker thread, after its imports)."""
    for spec in specs:
        area_class(spec).warm_up()


def port_factory(spec: AreaSpec) -> Callable[[Workspace], Any]:
    """The callable that makes the spec's port."""
    factory: Callable[[Workspace], Any] = _named(spec.port)
    if not callable(factory):
        raise TypeError(f"the port of {spec.name!r} is not callable")
    return factory


@dataclass(frozen=True)
class LaunchOptions:
    """What the command line asked for."""

    demo: bool = False
    screenshot_dir: Path | None = None
    theme: str | None = None
    traffic_seconds: float | None = 20.0
    demo_subaccounts: int | None = None
    """With ``demo``: the demo agency's number of sub-accounts (None: its two)."""


def setup_logging(paths: AppPaths, *, verbose: bool = False) -> None:
    """Log to stderr and to a rotating file in the log directory, keys always redacted."""
    from app.settings.logs import install as install_redaction

    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        stream.setLevel(logging.WARNING)
        root.addHandler(stream)
    paths.ensure()  # private folders: the log names contacts and conversations
    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_dir / "seedly-desk.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(fmt)
    root.addHandler(file_handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    install_redaction(root)


def demo_profile(info: DemoInfo) -> Profile:
    """The in-memory connection to the demo sandbox (never saved)."""
    return _demo_profile(info.seedly_url, [(s["id"], s["name"]) for s in info.subaccounts])


def _demo_profile(url: str, sub_accounts: list[tuple[str, str]]) -> Profile:
    from app.settings.profiles import Profile, SubAccountRef

    return Profile(
        id=DEMO_PROFILE_ID,
        name="Demo agency",
        deployment_url=url,
        key_kind="agency",
        demo=True,
        sub_accounts=[SubAccountRef(id=i, name=n) for i, n in sub_accounts],
        cache_deployment=DEMO_CACHE_KEY,
    )


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.warning("a warm-up failed (the work is done on first use instead)", exc_info=exc)


def _warm_up_phone_rules() -> None:
    from app.core.phones import warm_up_phone_rules

    warm_up_phone_rules()


def window_settings_path(options: LaunchOptions, paths: AppPaths) -> Path:
    """The window's own settings file (geometry, columns, last tab, theme of the last run)."""
    return (paths.demo_dir if options.demo else paths.config_dir) / "window.ini"


def open_window(qt_app: QApplication, options: LaunchOptions, paths: AppPaths) -> MainWindow:
    """The window's frame with every tab's header, in the theme of the last run: what the
    user sees first, before the services are imported."""
    settings = QSettings(str(window_settings_path(options, paths)), QSettings.Format.IniFormat)
    remembered = settings.value(THEME_SETTING)
    mode = options.theme or (remembered if remembered in THEME_MODES else "system")
    window = MainWindow(Theme(qt_app, mode), settings)  # type: ignore[arg-type]
    window.add_pages([(spec.name, spec.title, spec.icon_name) for spec in AREAS])
    return window


def show_window(window: MainWindow, options: LaunchOptions) -> None:
    """Show the window where it was last time (``--screenshot``: always at the same size)."""
    if options.screenshot_dir is None:
        window.restore_geometry()
    else:
        window.resize(SCREENSHOT_SIZE[0], SCREENSHOT_SIZE[1])
    window.show()


class Application:
    """One run of the app: the objects ``main`` builds and the coroutine it runs."""

    def __init__(
        self,
        qt_app: QApplication,
        options: LaunchOptions,
        paths: AppPaths,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        window: MainWindow | None = None,
    ) -> None:
        """Build everything; ``loop`` is the qasync loop to use (tests pass theirs), and
        ``window`` the frame ``open_window`` made and showed already (``main``)."""
        from app.services.workspace import Workspace
        from app.settings.secrets import Secrets, SessionSecrets
        from app.ui.async_qt import BusBridge, TaskSet, create_loop

        self.qt_app = qt_app
        self.options = options
        self.paths = paths
        self.loop = loop or create_loop(qt_app)
        self.tasks = TaskSet("ui", loop=self.loop)
        self.demo: DemoSandbox | None = None
        self._demo_memory: tuple[Profile, str] | None = None
        if options.demo:
            demo_dir = paths.demo_dir
            # The demo keeps its own cache and settings and never touches the keyring.
            self.workspace = Workspace.open(
                paths,
                secrets=Secrets(persistent=SessionSecrets()),
                cache_path=demo_dir / "cache.sqlite3",
                profiles_path=demo_dir / "profiles.json",
                persist=False,
            )
        else:
            self.workspace = Workspace.open(paths)
        self.window = window or open_window(qt_app, options, paths)
        self.theme = self.window.theme
        self.settings = self.window.settings
        preference = self.workspace.profiles.data.preferences.theme
        if options.theme is None and preference in THEME_MODES and preference != self.theme.mode:
            # The saved preference wins over the window's memory of the last run.
            self.theme.set_mode(preference)
            self.settings.setValue(THEME_SETTING, preference)
        self.bridge = BusBridge(self.workspace.bus)
        self.window.attach(self.workspace, self.bridge, self.tasks)
        self._closed = asyncio.Event()
        self._shut_down = False
        self.areas_ready = asyncio.Event()
        """Set once every area exists (they are built in slices after the first paint)."""
        self._other_areas: asyncio.Future[None] | None = None
        """Adds the tabs behind the front one (``run``)."""
        self.window.closed.connect(self._closed.set)
        self._connect_dialogs()

    async def _add_areas(self, specs: Sequence[AreaSpec]) -> None:
        """Create the areas of ``specs`` (cheap: widgets come later, in slices), each with its
        own context. Their modules are imported on a worker thread: a few hundred
        milliseconds of imports that would otherwise hold the window still (module level
        creates no Qt objects)."""
        from app.ui.async_qt import TaskSet

        window = self.window
        loaded = await asyncio.to_thread(
            lambda: [(area_class(spec), port_factory(spec)) for spec in specs]
        )
        for cls, make_port in loaded:
            context = AreaContext(
                port=make_port(self.workspace),
                bridge=self.bridge,
                tasks=TaskSet(f"area:{cls.area_name}", loop=self.loop),
                navigator=window,
            )
            window.add_area(cls(context, window))

    async def _add_other_areas(self, front: Sequence[AreaSpec]) -> None:
        """The tabs behind the front one: imported and added once it is built (imported
        while it builds, they would slow its building down for the GIL)."""
        shown = [self.window.areas[spec.name] for spec in front]
        for area in shown:
            if not area.is_built:
                built = asyncio.Event()
                area.buildFinished.connect(built.set)
                area.buildFailed.connect(lambda _why, done=built: done.set())
                # Bounded: a tab whose building failed must not keep the others (and the
                # connection, which waits for them) away for good.
                finished = asyncio.wait_for(built.wait(), FRONT_BUILD_SECONDS)
                try:
                    if not await self._before_close(finished):
                        return  # a closed window builds no more tabs
                except TimeoutError:
                    log.warning(
                        "the %s tab was not built in time; adding the others", area.area_name
                    )
        await _loop_idle()  # what building it queued (its pane's first contact) goes first
        others = [spec for spec in AREAS if spec not in front]
        await asyncio.to_thread(_import_the_rest, others)
        _spare_from_collection()
        _switch_faster(False)
        await self._add_areas(others)
        self.window.areas_added()
        self.window.build_areas()  # queued behind what is still building
        self.areas_ready.set()

    async def _every_area(self) -> bool:
        """Until every area is in; False when the window was closed first."""
        if self._other_areas is None:
            return True
        return await self._before_close(asyncio.shield(self._other_areas))

    async def _before_close(self, awaitable: Awaitable[object]) -> bool:
        """Await ``awaitable`` unless the window is closed first (False, and it is cancelled)."""
        work = asyncio.ensure_future(awaitable)
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({work, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if not work.done():
            work.cancel()
            return False
        work.result()  # its failure is the caller's
        return True

    def _connect_dialogs(self) -> None:
        from app.ui.connection_flow import ConnectionFlow

        self.connections = ConnectionFlow(self.window, self.workspace, self.tasks)

    # ------------------------------------------------------------------ running

    async def run(self) -> int:
        """Show the window, open a connection, wait for the window to close."""
        if not self.window.isVisible():  # ``main`` showed and painted it already
            show_window(self.window, self.options)
            # The empty window paints first; the tabs (a few hundred milliseconds of
            # widgets) are built right after, so the app appears at once.
            await asyncio.sleep(FIRST_PAINT_SECONDS)
        # The tab in front first: its rows show while the other tabs' code is imported.
        front = _front_specs(self.window.remembered_tab())
        await self._add_areas(front)
        self._other_areas = asyncio.ensure_future(self._add_other_areas(front))
        if self.options.screenshot_dir is None:
            self.window.restore_areas()
        if self.options.demo:
            # A warm start: what the cache holds shows as soon as the tab is built, while
            # the sandbox starts.
            self._demo_memory = self._remembered_demo()
            if self._demo_memory is not None:
                self.workspace.preview(*self._demo_memory)
                self.window.show_opening("Starting the demo sandbox…")
        # The tab in front first, then the others, a step per turn of the loop.
        self.window.build_areas()
        if self.workspace.settings_problem:
            self.window.key_banner.show_message("warning", self.workspace.settings_problem)
        exit_code = 0
        if self.options.demo:
            opened = await self._open_demo()  # the sandbox starts meanwhile
        else:
            opened = await self._open_saved()
        if self.options.screenshot_dir is not None:
            exit_code = 0 if opened else 1
            if opened:
                exit_code = await self._screenshots(self.options.screenshot_dir)
            self.window.close()
            return exit_code
        await self._closed.wait()
        return exit_code

    async def _open_saved(self) -> bool:
        from app.services.workspace import NoKey
        from app.settings.secrets import KeyringUnavailable

        if not await self._every_area():  # every tab takes part in opening a connection
            return False
        data = self.workspace.profiles.data
        if data.seamless is not None:
            try:
                await self.workspace.connect_seamless(data.seamless)
            except (NoKey, KeyringUnavailable) as exc:
                log.info("Seamless connection not opened: %s", exc)
                self.workspace.leads.problem = str(exc)
        profile_id = data.active_profile_id or (data.profiles[0].id if data.profiles else None)
        if profile_id is None:
            self.window.refresh_pickers()
            QTimer.singleShot(0, self.connections.add_connection)
            return False
        return await self.window.activate(profile_id)

    async def _open_demo(self) -> bool:
        from app.services.demo import DemoError, DemoSandbox
        from app.settings.profiles import ProfileStore, SeamlessOAuthClient, SeamlessSettings
        from app.settings.secrets import account_name, seamless_oauth_client_account

        remembered = self._demo_memory
        if remembered is None:
            self.window.welcome.set_content(
                "sync",
                "Starting the demo…",
                "A local sandbox of Seedly CRM with "
                f"{self.options.demo_subaccounts or 'two'} demo sub-accounts is starting.",
            )
            self.window.pages.setCurrentWidget(self.window.welcome)
        many = self.options.demo_subaccounts
        # A sandbox of another size keeps its own store: a store is seeded once.
        self.demo = DemoSandbox(
            self.paths.demo_dir / (f"sandbox-{many}" if many else "sandbox"),
            traffic_seconds=self.options.traffic_seconds,
            subaccounts=many,
        )
        try:
            info = await asyncio.to_thread(self.demo.start)
        except DemoError as exc:
            if not await self._every_area():
                return False
            self.window.welcome.set_content("error", "The demo could not start", str(exc))
            return False
        if not await self._every_area():  # every tab takes part in opening a connection
            return False
        profile = demo_profile(info)
        if remembered is not None:
            profile.last_sub_account_id = remembered[1]  # the one the preview shows
        store: ProfileStore = self.workspace.profiles
        store.upsert(profile)
        store.data.active_profile_id = profile.id
        self.workspace.secrets.use_for_session(account_name(profile.id), info.agency_key)
        opened = await self.window.activate(profile.id)
        if opened:
            self._remember_demo(profile)
            self.bridge.sessionChanged.connect(lambda _e: self._remember_demo(profile))
        if info.seamless_url and info.seamless_key:
            seamless = SeamlessSettings(id="demo", base_url=info.seamless_url, demo=True)
            oauth = info.seamless_oauth
            if oauth is not None:
                # "Sign in with Seamless.AI" works in the demo too, with the sandbox's app
                # (its secret in memory only, like the demo's key).
                seamless.oauth = SeamlessOAuthClient(
                    client_id=oauth["client_id"],
                    authorize_url=oauth["authorize_url"],
                    redirect_uri=oauth["redirect_uri"],
                )
                self.workspace.secrets.use_for_session(
                    seamless_oauth_client_account(seamless.id), oauth["client_secret"]
                )
            store.data.seamless = seamless
            await self.workspace.connect_seamless(seamless, info.seamless_key)
        return opened

    def _remembered_demo(self) -> tuple[Profile, str] | None:
        """The demo's sub-accounts and the one open at the last run (window settings)."""
        raw = self.settings.value(DEMO_MEMORY_SETTING)
        if not isinstance(raw, str):
            return None
        try:
            memory = json.loads(raw)
            subs = [(str(i), str(n)) for i, n in memory["subAccounts"]]
            last = str(memory["open"])
        except (ValueError, KeyError, TypeError) as exc:
            log.info("the demo's last sub-account is not readable: %s", exc)
            return None
        if last not in {i for i, _n in subs}:
            return None
        # The URL is replaced once the sandbox says where it listens.
        return _demo_profile("http://127.0.0.1", subs), last

    def _remember_demo(self, profile: Profile) -> None:
        active = self.workspace.active
        if active is None:
            return
        memory = {
            "subAccounts": [[s.id, s.name] for s in profile.sub_accounts],
            "open": active.scope.sub_account_id,
        }
        self.settings.setValue(DEMO_MEMORY_SETTING, json.dumps(memory))

    async def _screenshots(self, directory: Path) -> int:
        deadline = time.monotonic() + SCREENSHOT_TIMEOUT
        try:
            await asyncio.wait_for(self.window.prepare_screenshots(), SCREENSHOT_TIMEOUT)
        except TimeoutError:
            log.error("screenshot: the tabs were not ready within %.0f s", SCREENSHOT_TIMEOUT)
            return 1
        while not self.window.all_loaded():
            if time.monotonic() > deadline:
                log.error("screenshot: the tabs did not load within %.0f s", SCREENSHOT_TIMEOUT)
                return 1
            await asyncio.sleep(0.1)
        from app.ui.screenshot import save_tab_screenshots

        written = await save_tab_screenshots(self.window, directory)
        for path in written:
            print(path)
        return 0

    async def shutdown(self) -> None:
        """Stop everything, each part bounded, in dependency order (once)."""
        if self._shut_down:
            return
        self._shut_down = True
        if self._other_areas is not None and not self._other_areas.done():
            self._other_areas.cancel()  # closed before the tabs behind the front one came
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._other_areas
        for area in self.window.areas.values():
            try:
                await asyncio.wait_for(area.shutdown(), SHUTDOWN_TIMEOUT)
                await area.context.tasks.shutdown(SHUTDOWN_TIMEOUT)
            except Exception:
                log.exception("the area %s did not stop cleanly", area.area_name)
        await self.tasks.shutdown(SHUTDOWN_TIMEOUT)
        await self.workspace.shutdown(SHUTDOWN_TIMEOUT)
        self.bridge.detach()
        self.theme.close()
        gc.unfreeze()  # what start-up kept aside may be garbage now
        _switch_faster(False)  # closed before start-up finished
        # The widgets go with the window: nothing of this run stays behind in the process
        # (every later style change would otherwise re-polish them all).
        self.window.hide()
        self.window.deleteLater()
        if self.demo is not None:
            await asyncio.to_thread(self.demo.stop)


def _quit_on_signals(app: Application) -> None:
    """SIGTERM and Ctrl+C close the window like the user would: everything is shut down
    and the demo sandbox stopped (Python's default would end the process on the spot)."""

    def close(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, app.window.close)

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or no such signal
            signal.signal(signum, close)
    # Python runs signal handlers only between bytecodes: a timer gives it the chance
    # while Qt waits in C.
    ticker = QTimer(app.window)
    ticker.setInterval(250)
    ticker.timeout.connect(lambda: None)
    ticker.start()


class _FirstPaint(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.painted = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def paint_now(qt_app: QApplication, window: MainWindow, limit: float = 0.5) -> None:
    """Let Qt paint the shown frame before the imports that follow (the window server
    answers the show asynchronously, so this waits for the paint, up to ``limit``)."""
    watcher = _FirstPaint()
    window.installEventFilter(watcher)
    deadline = time.monotonic() + limit
    while not watcher.painted and time.monotonic() < deadline:
        qt_app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    window.removeEventFilter(watcher)


async def _loop_idle() -> None:
    """Until the GUI thread's event loop has nothing left to do (it is about to wait)."""
    dispatcher = QAbstractEventDispatcher.instance()
    if dispatcher is None:
        return
    idle = asyncio.Event()
    dispatcher.aboutToBlock.connect(idle.set)
    try:
        with contextlib.suppress(TimeoutError):  # a loop never idle must not stop start-up
            await asyncio.wait_for(idle.wait(), IDLE_WAIT_SECONDS)
    finally:
        dispatcher.aboutToBlock.disconnect(idle.set)


_default_switch_interval: float | None = None


def _switch_faster(faster: bool) -> None:
    """The GIL's switch interval: ``GIL_SWITCH_SECONDS`` while start-up imports, else the
    interpreter's own."""
    global _default_switch_interval
    if faster:
        if _default_switch_interval is None:
            _default_switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
    elif _default_switch_interval is not None:
        sys.setswitchinterval(_default_switch_interval)
        _default_switch_interval = None


def _spare_from_collection() -> None:
    """Keep what start-up made (modules, classes, widgets) out of the cyclic collector's
    full passes, and turn the collector back on: a full pass over them held the window
    still for 50-60 ms a few seconds after start. Objects still die when their last
    reference goes; ``shutdown`` undoes it."""
    gc.freeze()
    gc.enable()


def _front_specs(front: str | None) -> tuple[AreaSpec, ...]:
    """The spec of the tab shown first (the first tab when none is remembered)."""
    return tuple(spec for spec in AREAS if spec.name == front) or AREAS[:1]


def _import_services(front: Sequence[AreaSpec]) -> None:
    # The services, clients and cache (pydantic models, httpx) and the front tab's code:
    # imported on a worker thread while the window's frame keeps painting. No Qt object
    # is made at import. The other tabs follow in ``_import_the_rest``.
    import app.services.workspace
    import app.ui.connection_flow  # noqa: F401

    for spec in front:
        area_class(spec)
        port_factory(spec)
    warm_up_areas(front)
    # The first screens' schemas, after the imports and on this same thread: building them
    # beside the imports raced pydantic's lazily imported modules (a circular-import error).
    from app.core.models import FIRST_SCREEN_MODELS, build_schemas

    build_schemas(*FIRST_SCREEN_MODELS)


def _import_the_rest(specs: Sequence[AreaSpec]) -> None:
    # Once the front tab is built: the other tabs' code (``specs``), the demo's launcher,
    # and what the first client would otherwise load on the GUI thread (httpx's
    # transports, TLS).
    import email_validator  # noqa: F401  (address checks import it on first use)
    from app.api.transport import warm_up_http

    for spec in specs:
        area_class(spec)
        port_factory(spec)
    warm_up_areas(specs)
    warm_up_http()


async def launch(
    qt_app: QApplication,
    options: LaunchOptions,
    paths: AppPaths,
    window: MainWindow,
    loop: asyncio.AbstractEventLoop,
) -> Application:
    """Build the app behind a shown frame without holding the window still."""
    # phonenumbers loads its metadata on first use (~0.2 s): beside, not before, the rest.
    # While start-up imports on workers (long holds of the GIL), the GUI thread waits up to
    # one switch interval at each call from Qt into Python; at the default 5 ms, a turn of
    # the loop with twenty such calls could wait 100 ms. Back to the default once the tabs'
    # code is in (``_add_other_areas``): later, a shorter interval slowed workers' searches.
    _switch_faster(True)
    gc.disable()  # until start-up's objects are spared (``_spare_from_collection``)
    warm_up = asyncio.ensure_future(asyncio.to_thread(_warm_up_phone_rules))
    await asyncio.to_thread(_import_services, _front_specs(window.remembered_tab()))
    _spare_from_collection()
    warm_up.add_done_callback(_log_failure)
    return Application(qt_app, options, paths, loop=loop, window=window)


def main(options: LaunchOptions, argv: list[str] | None = None) -> int:
    """Run the app until its window closes; the process exit code."""
    from app.ui.async_qt import create_loop

    paths = AppPaths.default().ensure()
    setup_logging(paths)
    qt_app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("Seedly Desk")
    qt_app.setOrganizationName("Seedly")
    qt_app.setDesktopFileName("seedly-desk")
    qt_app.setWindowIcon(app_icon())
    qt_app.setQuitOnLastWindowClosed(False)  # the run coroutine decides when to stop
    window = open_window(qt_app, options, paths)
    show_window(window, options)
    paint_now(qt_app, window)
    loop = create_loop(qt_app)
    started: list[Application] = []

    async def run() -> int:
        app = await launch(qt_app, options, paths, window, loop)
        started.append(app)
        _quit_on_signals(app)
        return await app.run()

    exit_code = 1
    try:
        exit_code = loop.run_until_complete(run())
    except Exception:
        log.exception("the app stopped on an unexpected error")
    finally:
        try:
            if started:
                shutdown = started[0].shutdown()
                loop.run_until_complete(asyncio.wait_for(shutdown, SHUTDOWN_TIMEOUT * 3))
        except Exception:
            log.exception("shutdown did not finish cleanly")
        loop.close()
    return exit_code


__all__ = [
    "AREAS",
    "launch",
    "open_window",
    "paint_now",
    "show_window",
    "Application",
    "AreaSpec",
    "LaunchOptions",
    "area_class",
    "demo_profile",
    "main",
    "setup_logging",
]
