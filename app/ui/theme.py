"""Look and feel: light and dark palettes on Fusion, named colours, spacing, icons.

The palette follows the system colour scheme (``QStyleHints.colorScheme``)
unless the user picked "light" or "dark". Icons are monochrome SVGs from
``resources/icons`` drawn in ``currentColor``; they are painted in the current
palette's text colour each time Qt asks for a pixmap, so an icon already on a
button changes colour with the theme, and they are rendered from the vector at
the device pixel ratio Qt asks for, so they stay sharp on high-DPI screens.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QByteArray, QObject, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QWidget

ThemeMode = Literal["system", "light", "dark"]
THEME_MODES: tuple[ThemeMode, ...] = ("system", "light", "dark")


class Spacing:
    """Spacing steps in device-independent pixels; layouts use only these."""

    XS = 4
    S = 8
    M = 12
    L = 16


@dataclass(frozen=True)
class ThemeColors:
    """The named colours of one scheme (hex strings, usable in stylesheets)."""

    window: str
    base: str
    alternate_base: str
    text: str
    muted_text: str
    disabled_text: str
    button: str
    border: str
    accent: str
    accent_text: str
    success: str
    warning: str
    danger: str
    info: str


# The accent is the green of the app icon; in dark mode a lighter shade keeps
# the contrast with the dark base. Status colours are chosen to stay readable
# as text on the scheme's base colour.
LIGHT = ThemeColors(
    window="#f4f5f7",
    base="#ffffff",
    alternate_base="#f3f5f7",
    text="#1c2127",
    muted_text="#5f6b76",
    disabled_text="#a3abb3",
    button="#fafbfc",
    border="#cfd5db",
    accent="#15875c",
    accent_text="#ffffff",
    success="#1a7f37",
    warning="#9a6700",
    danger="#c62828",
    info="#0b63b6",
)
DARK = ThemeColors(
    window="#202327",
    base="#17191c",
    alternate_base="#1d2024",
    text="#e4e7eb",
    muted_text="#9aa4ae",
    disabled_text="#5c646c",
    button="#2a2e33",
    border="#3a4047",
    accent="#2fb57f",
    accent_text="#0b1510",
    success="#4ac26b",
    warning="#d4a72c",
    danger="#f07070",
    info="#58a6ff",
)


def build_palette(colors: ThemeColors) -> QPalette:
    """A complete ``QPalette`` for Fusion from a scheme's named colours."""
    palette = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    normal = {
        role.Window: colors.window,
        role.WindowText: colors.text,
        role.Base: colors.base,
        role.AlternateBase: colors.alternate_base,
        role.Text: colors.text,
        role.PlaceholderText: colors.muted_text,
        role.Button: colors.button,
        role.ButtonText: colors.text,
        role.BrightText: colors.danger,
        role.ToolTipBase: colors.base,
        role.ToolTipText: colors.text,
        role.Highlight: colors.accent,
        role.HighlightedText: colors.accent_text,
        role.Link: colors.info,
        role.LinkVisited: colors.info,
        role.Accent: colors.accent,
        role.Light: colors.button,
        role.Midlight: colors.border,
        role.Mid: colors.border,
        role.Dark: colors.border,
        role.Shadow: "#000000",
    }
    for color_role, value in normal.items():
        palette.setColor(color_role, QColor(value))
    for color_role in (role.WindowText, role.Text, role.ButtonText, role.PlaceholderText):
        palette.setColor(group.Disabled, color_role, QColor(colors.disabled_text))
    # Selections in an unfocused view stay visible but quieter.
    palette.setColor(group.Inactive, role.Highlight, QColor(colors.border))
    palette.setColor(group.Inactive, role.HighlightedText, QColor(colors.text))
    return palette


def _indicator_images(colors: ThemeColors) -> tuple[Path, Path]:
    """The check mark and radio dot in the accent's text colour, as files for the
    stylesheet (it takes images by path only); written once per colour."""
    folder = (
        Path(tempfile.gettempdir()) / f"seedly-desk-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    tag = colors.accent_text.lstrip("#")
    check, dot = folder / f"check-{tag}.svg", folder / f"dot-{tag}.svg"
    head = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    if not check.exists():
        check.write_text(
            f'{head}<path d="M5 12.5 L10 17.5 L19 7" fill="none" stroke="{colors.accent_text}" '
            'stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>'
        )
    if not dot.exists():
        dot.write_text(f'{head}<circle cx="12" cy="12" r="5" fill="{colors.accent_text}"/></svg>')
    return check, dot


def build_stylesheet(colors: ThemeColors) -> str:
    """The application stylesheet: only what a palette cannot express.

    Kept minimal on purpose: every rule makes Qt style the widget through the
    slower stylesheet path. Widgets opt in with dynamic properties, e.g.
    ``label.setProperty("muted", True)`` or ``frame.setProperty("severity", "warning")``;
    a screen's main action is a push button with ``primary`` set (``common.widgets.set_primary``).

    Line edits, check boxes and radio buttons get explicit borders: Fusion draws
    their outline as the window colour darkened, which vanishes on a dark palette.
    (Spin boxes are left to Fusion: a styled border breaks their arrow buttons.)
    """
    check, dot = _indicator_images(colors)
    hover = QColor(colors.accent).darker(112).name()
    return f"""
QLineEdit {{ border: 1px solid {colors.border}; border-radius: 4px; padding: 2px 4px;
    background: {colors.base}; selection-background-color: {colors.accent};
    selection-color: {colors.accent_text}; }}
QLineEdit:focus {{ border-color: {colors.accent}; }}
QLineEdit:disabled {{ color: {colors.disabled_text}; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 14px; height: 14px;
    border: 1px solid {colors.muted_text}; background: {colors.base}; }}
QCheckBox::indicator {{ border-radius: 3px; }}
QRadioButton::indicator {{ border-radius: 8px; }}
QCheckBox::indicator:checked {{ background: {colors.accent}; border-color: {colors.accent};
    image: url({check.as_posix()}); }}
QRadioButton::indicator:checked {{ background: {colors.accent}; border-color: {colors.accent};
    image: url({dot.as_posix()}); }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: {colors.border};
    background: {colors.window}; }}
QLabel[muted="true"] {{ color: {colors.muted_text}; }}
QPushButton[primary="true"] {{ background: {colors.accent}; color: {colors.accent_text};
    border: 1px solid {colors.accent}; border-radius: 4px; padding: 4px 14px;
    font-weight: 600; }}
QPushButton[primary="true"]:hover {{ background: {hover}; border-color: {hover}; }}
QPushButton[primary="true"]:pressed {{ background: {hover}; }}
QPushButton[primary="true"]:focus {{ border-color: {colors.text}; }}
QPushButton[primary="true"]:disabled {{ background: {colors.button}; color: {colors.disabled_text};
    border-color: {colors.border}; }}
QFrame[severity] {{ border: 1px solid {colors.border}; border-radius: 6px; padding: {Spacing.S}px; }}
QFrame[severity="info"] {{ border-color: {colors.info}; }}
QFrame[severity="success"] {{ border-color: {colors.success}; }}
QFrame[severity="warning"] {{ border-color: {colors.warning}; }}
QFrame[severity="danger"] {{ border-color: {colors.danger}; }}
QToolTip {{ padding: {Spacing.XS}px; }}
""".strip()


class Theme(QObject):
    """Applies the light or dark palette to the application and keeps it current.

    ``mode`` is "system" (follow ``QStyleHints.colorScheme``, light when the
    platform does not say), "light" or "dark". Sets the Fusion style, whose
    look is the same on every platform and honours the palette completely.
    """

    changed = Signal(bool)
    """Emitted after a palette was applied; the argument is True for dark."""

    def __init__(
        self, app: QApplication, mode: ThemeMode = "system", parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._mode: ThemeMode = _checked_mode(mode)
        hints = app.styleHints()
        self._system_scheme = hints.colorScheme()
        hints.colorSchemeChanged.connect(self._on_system_scheme)
        # Setting a style or style sheet re-polishes every widget of the application: only
        # when it changes (tests and restarts in one process build the theme again).
        # (Under a style sheet ``app.style()`` is an anonymous proxy: a property says it.)
        if app.property(_FUSION_SET) is not True:
            app.setStyle("Fusion")
            app.setProperty(_FUSION_SET, True)
        self._request_scheme()
        self._apply()

    def close(self) -> None:
        """Stop following the system's scheme (the window is going away)."""
        try:
            self._app.styleHints().colorSchemeChanged.disconnect(self._on_system_scheme)
        except (RuntimeError, TypeError):  # already disconnected, or the app is gone
            pass

    @property
    def mode(self) -> ThemeMode:
        """The user's choice: "system", "light" or "dark"."""
        return self._mode

    @property
    def is_dark(self) -> bool:
        """Whether the dark palette is (to be) in use."""
        if self._mode == "system":
            return self._system_scheme == Qt.ColorScheme.Dark
        return self._mode == "dark"

    @property
    def colors(self) -> ThemeColors:
        """The named colours of the scheme in use."""
        return DARK if self.is_dark else LIGHT

    def set_mode(self, mode: ThemeMode) -> None:
        """Switch to "system", "light" or "dark" and apply the result at once."""
        self._mode = _checked_mode(mode)
        self._request_scheme()
        if self._mode == "system":
            # The platform's answer, now that our request no longer overrides it.
            self._system_scheme = self._app.styleHints().colorScheme()
        self._apply()

    def _request_scheme(self) -> None:
        # Telling the platform too makes native parts (title bars, file
        # dialogs) match the palette where the platform supports it.
        hints = self._app.styleHints()
        if self._mode == "system":
            hints.unsetColorScheme()
        else:
            hints.setColorScheme(
                Qt.ColorScheme.Dark if self._mode == "dark" else Qt.ColorScheme.Light
            )

    def _on_system_scheme(self, scheme: Qt.ColorScheme) -> None:
        if self._mode != "system":
            return  # our own override echoing back, or ignored while overridden
        self._system_scheme = scheme
        self._apply()

    def _apply(self) -> None:
        dark = self.is_dark
        colors = self.colors
        palette = build_palette(colors)
        if self._app.palette() != palette:
            self._app.setPalette(palette)
        sheet = build_stylesheet(colors)
        if self._app.styleSheet() != sheet:
            self._app.setStyleSheet(sheet)
        self.changed.emit(dark)


_FUSION_SET = "seedlyFusionStyle"
"""Application property: the Fusion style is set (once per process)."""


def _checked_mode(mode: str) -> ThemeMode:
    if mode not in THEME_MODES:
        raise ValueError(f"theme mode must be one of {', '.join(THEME_MODES)}, not {mode!r}")
    return mode


# --- resources --------------------------------------------------------------


def _resource_candidates() -> list[Path]:
    candidates: list[Path] = []
    # PyInstaller: the spec copies resources/ into the bundle's data folder
    # (sys._MEIPASS, "_internal" in a onedir build) ...
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    # ... and older layouts put data next to the executable.
    if getattr(sys, "frozen", False):
        candidates.append(Path(sys.executable).resolve().parent / "resources")
    package = Path(__file__).resolve().parent.parent  # app/
    # An installed wheel that force-includes resources/ as app/resources.
    candidates.append(package / "resources")
    # A source checkout: resources/ next to app/.
    candidates.append(package.parent / "resources")
    return candidates


@cache
def resources_dir() -> Path:
    """The folder holding ``icons/``: in a PyInstaller bundle, an installed
    package or a source checkout. Raises ``FileNotFoundError`` naming every
    place it looked."""
    candidates = _resource_candidates()
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    raise FileNotFoundError(
        "the resources folder (with icons/) was not found; looked in "
        + ", ".join(str(path) for path in candidates)
    )


class UnknownIconError(LookupError):
    """``icon(name)`` was asked for an icon that has no SVG file."""


def icon_names() -> list[str]:
    """Names of every icon in ``resources/icons`` (file names without ``.svg``)."""
    return sorted(path.stem for path in (resources_dir() / "icons").glob("*.svg"))


def icon_path(name: str) -> Path:
    """The SVG file of icon ``name``; ``UnknownIconError`` when there is none."""
    path = resources_dir() / "icons" / f"{name}.svg"
    if "/" in name or "\\" in name or not path.is_file():
        close = difflib.get_close_matches(name, icon_names(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownIconError(f"no icon named {name!r} in {path.parent}{hint}")
    return path


class _SvgIconEngine(QIconEngine):
    """Renders one SVG on demand, at the requested size and device pixel ratio.

    With ``recolor``, ``currentColor`` is replaced by the application palette's
    text colour for the icon mode at the moment of painting (disabled and
    selected icons get the matching palette colours). Renderers are cached per
    colour, so a theme switch costs one parse per icon.
    """

    def __init__(self, svg: bytes, recolor: bool) -> None:
        super().__init__()
        self._svg = svg
        self._recolor = recolor
        self._renderers: dict[str, QSvgRenderer] = {}
        self._pixmaps: dict[tuple[str, int, int, float], QPixmap] = {}

    def _color(self, mode: QIcon.Mode) -> str:
        palette = QGuiApplication.palette()
        if mode == QIcon.Mode.Disabled:
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
        if mode == QIcon.Mode.Selected:
            return palette.color(QPalette.ColorRole.HighlightedText).name()
        return palette.color(QPalette.ColorRole.WindowText).name()

    def _renderer(self, mode: QIcon.Mode) -> QSvgRenderer:
        color = self._color(mode) if self._recolor else ""
        renderer = self._renderers.get(color)
        if renderer is None:
            data = self._svg.replace(b"currentColor", color.encode()) if color else self._svg
            renderer = QSvgRenderer(QByteArray(data))
            renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
            self._renderers[color] = renderer
        return renderer

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        self._renderer(mode).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        # Every label and button asks for its pixmap: a form of fifty fields would render
        # the same SVG fifty times. Kept per colour, so a theme switch renders anew.
        key = (self._color(mode) if self._recolor else "", size.width(), size.height(), scale)
        cached = self._pixmaps.get(key)
        if cached is not None:
            return QPixmap(cached)
        device_size = QSize(
            max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
        )
        pixmap = QPixmap(device_size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        try:
            self.paint(painter, QRect(QPoint(0, 0), device_size), mode, state)
        finally:
            painter.end()
        pixmap.setDevicePixelRatio(scale)
        if len(self._pixmaps) < 32:
            self._pixmaps[key] = pixmap
        return QPixmap(pixmap)

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._svg, self._recolor)

    def key(self) -> str:
        return "seedly-svg"


def _svg_icon(path: Path, recolor: bool) -> QIcon:
    data = path.read_bytes()
    if not QSvgRenderer(QByteArray(data)).isValid():
        raise ValueError(f"{path} is not a valid SVG file")
    return QIcon(_SvgIconEngine(data, recolor))


@cache
def icon(name: str) -> QIcon:
    """The icon ``name`` from ``resources/icons``, drawn in the palette's text colour.

    Cached per name; the colour is resolved when Qt paints, so the same QIcon
    follows theme switches. Raises ``UnknownIconError`` for an unknown name.
    """
    return _svg_icon(icon_path(name), recolor=True)


@cache
def app_icon() -> QIcon:
    """The application icon (``resources/icons/app.svg``) in its own colours."""
    return _svg_icon(icon_path("app"), recolor=False)


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property its rules test has changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
