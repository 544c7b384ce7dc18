"""Small widgets shared by every area: an icon that follows the theme, the message banner,
the empty-state panel, and the styling of a screen's main action."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.theme import Spacing, icon, repolish

SEVERITY_ICONS = {"info": "info", "success": "check", "warning": "warning", "danger": "error"}


class IconLabel(QLabel):
    """One of the app's icons shown as a picture, drawn again whenever the palette changes.

    A label keeps the pixmap it was given: an icon rendered in the light palette's text
    colour stays dark on a dark background after the theme is switched. Every icon that
    is not on a button is an ``IconLabel``."""

    def __init__(
        self, name: str | None = None, size: int = 16, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._size = QSize(size, size)
        self._drawn: tuple[str, int, float, int] | None = None
        self.setFixedSize(self._size)
        self._render()

    @property
    def icon_name(self) -> str | None:
        """The icon shown (None: nothing)."""
        return self._name

    def set_icon(self, name: str | None, size: int | None = None) -> None:
        """Show icon ``name`` (None: nothing), optionally at another size."""
        if size is not None and size != self._size.width():
            self._size = QSize(size, size)
            self.setFixedSize(self._size)
        if name == self._name and self.pixmap() is not None and not self.pixmap().isNull():
            return
        self._name = name
        self._render()

    def _render(self) -> None:
        if self._name is None:
            self._drawn = None
            self.clear()
            return
        # A label gets style and palette events many times while a screen is built; the
        # picture changes only with the icon, its size, the screen or the text colour.
        ratio = self.devicePixelRatioF()
        color = QGuiApplication.palette().color(QPalette.ColorRole.WindowText).rgba()
        drawn = (self._name, self._size.width(), ratio, color)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        self.setPixmap(icon(self._name).pixmap(self._size, ratio))

    def changeEvent(self, event: QEvent) -> None:
        # The picture's colour is the palette's: a style change (a stylesheet polishing the
        # label, thousands of times while screens are built) never changes it.
        if event.type() == QEvent.Type.PaletteChange:
            self._render()
        super().changeEvent(event)


class Banner(QFrame):
    """A message across the top of an area: an icon, a sentence, an action, a close button.

    ``show_message`` sets the severity ("info", "success", "warning", "danger"),
    the text and, optionally, the label of the action button; the theme's
    stylesheet draws the border in the severity's colour.
    """

    actionClicked = Signal()
    """The user pressed the banner's action button (e.g. "Enter a new key…")."""

    dismissed = Signal()
    """The user closed the banner."""

    def __init__(self, parent: QWidget | None = None, *, closable: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("severity", "info")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(Spacing.M, Spacing.S, Spacing.S, Spacing.S)
        layout.setSpacing(Spacing.M)
        self._icon = IconLabel("info", 20, self)
        self._text = QLabel(self)
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._action = QPushButton(self)
        self._action.clicked.connect(self.actionClicked)
        # "Show report…": its own button, so that no area's action handler hears it.
        self._report = QPushButton("Show report…", self)
        self._report.hide()
        self._report.clicked.connect(self._open_report)
        self._report_opener: Callable[[], object] | None = None
        self._close = QToolButton(self)
        self._close.setIcon(icon("close"))
        self._close.setAutoRaise(True)
        self._close.setToolTip("Dismiss")
        self._close.setVisible(closable)
        self._close.clicked.connect(self._dismiss)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._report, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._action, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        """The sentence shown."""
        return self._text.text()

    @property
    def severity(self) -> str:
        """The severity shown: info, success, warning or danger."""
        return str(self.property("severity"))

    @property
    def action_button(self) -> QPushButton:
        """The action button (hidden when the message has no action)."""
        return self._action

    @property
    def report_button(self) -> QPushButton:
        """The "Show report…" button (hidden when the message has no report)."""
        return self._report

    def show_message(
        self,
        severity: str,
        text: str,
        action: str | None = None,
        *,
        report: Callable[[], object] | None = None,
    ) -> None:
        """Show ``text`` with the icon and border of ``severity``; ``action`` labels the
        button; with ``report``, a "Show report…" button calls it (the way back to the
        report a job ended with)."""
        self._report_opener = report
        self._report.setVisible(report is not None)
        self.setProperty("severity", severity)
        self._icon.set_icon(SEVERITY_ICONS.get(severity, "info"))
        self._text.setText(text)
        self._action.setVisible(action is not None)
        if action is not None:
            self._action.setText(action)
        # A dynamic property change needs a re-polish for the stylesheet to follow it.
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()

    def _open_report(self) -> None:
        if self._report_opener is not None:
            self._report_opener()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


class EmptyState(QWidget):
    """A centred icon, title, explanation and optional button, for views with nothing to show."""

    actionClicked = Signal()
    """The user pressed the panel's button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self._icon = IconLabel(None, 48, self)
        self._title = QLabel(self)
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self._title.setFont(font)
        self._body = QLabel(self)
        self._body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._body.setWordWrap(True)
        self._body.setProperty("muted", True)
        self._body.setMaximumWidth(480)
        # A wrapped label only gets the height of its text when the layout may size it
        # (an alignment flag in addWidget would keep it at one line): centre it by stretches.
        body_row = QHBoxLayout()
        body_row.addStretch(1)
        body_row.addWidget(self._body, 4)
        body_row.addStretch(1)
        self._button = set_primary(QPushButton(self))  # the one thing to do on an empty view
        self._button.clicked.connect(self.actionClicked)
        self._button.hide()
        outer.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addSpacing(Spacing.S)
        outer.addWidget(self._title)
        outer.addLayout(body_row)
        outer.addSpacing(Spacing.M)
        outer.addWidget(self._button, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    @property
    def title(self) -> str:
        """The panel's title."""
        return self._title.text()

    @property
    def button(self) -> QPushButton:
        """The panel's button (hidden unless ``set_content`` gave it a label)."""
        return self._button

    def set_content(
        self, icon_name: str, title: str, body: str = "", action: str | None = None
    ) -> None:
        """Show ``icon_name``, ``title`` and ``body``; ``action`` labels the button (None hides it)."""
        self._icon.set_icon(icon_name)
        self._title.setText(title)
        self._body.setText(body)
        self._body.setVisible(bool(body))
        self._button.setVisible(action is not None)
        if action is not None:
            self._button.setText(action)


def add_count_labels(row: QHBoxLayout, parent: QWidget) -> tuple[QLabel, QLabel]:
    """The muted "1,234 contacts" and "3 selected" of a list's action row, with the space
    between them; the row's buttons follow."""
    count, selection = QLabel(parent), QLabel(parent)
    for label in (count, selection):
        label.setProperty("muted", True)
    row.addWidget(count)
    row.addStretch(1)
    row.addWidget(selection)
    return count, selection


class _OnAccentIconEngine(QIconEngine):
    """Draws an icon as on the accent: its normal look in the palette's text colour for
    the accent (``HighlightedText``), resolved when painted, so it follows theme switches.
    A primary button's icon in the window's text colour would vanish on the accent."""

    def __init__(self, original: QIcon) -> None:
        super().__init__()
        self.original = original

    @staticmethod
    def _mode(mode: QIcon.Mode) -> QIcon.Mode:
        if mode in (QIcon.Mode.Normal, QIcon.Mode.Active):
            return QIcon.Mode.Selected
        return mode

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        self.original.paint(painter, rect, Qt.AlignmentFlag.AlignCenter, self._mode(mode), state)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.original.pixmap(size, self._mode(mode), state)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        return self.original.pixmap(size, scale, self._mode(mode), state)

    def clone(self) -> QIconEngine:
        return _OnAccentIconEngine(self.original)


def _accent_icon(button: QPushButton, primary: bool) -> None:
    """Give a primary button its icon as on the accent (and a button no longer primary
    its own icon back)."""
    current = button.icon()
    original = button.property("plainIcon")
    wrapped = button.property("accentIconKey")
    if not primary:
        if isinstance(original, QIcon) and current.cacheKey() == wrapped:
            button.setIcon(original)
        return
    if current.isNull() or current.cacheKey() == wrapped:
        return
    accent = QIcon(_OnAccentIconEngine(current))
    button.setProperty("plainIcon", current)
    button.setProperty("accentIconKey", accent.cacheKey())
    button.setIcon(accent)


class _DefaultWhenShown(QObject):
    """Makes its primary button the dialog's default each time the button is shown, so a
    dialog of several pages (a wizard) answers Enter with the main action of the page in view;
    an icon given since is drawn as on the accent too."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, QPushButton)
            and watched.property("primary")
        ):
            watched.setDefault(True)
            _accent_icon(watched, True)
        return False


def set_primary(button: QPushButton, primary: bool = True) -> QPushButton:
    """Make ``button`` its screen's main action (or no longer, with ``primary=False``):
    styled in the accent by the theme's ``primary`` rule, and the default button, which
    Enter presses."""
    if button.findChild(_DefaultWhenShown) is None:
        button.installEventFilter(_DefaultWhenShown(button))
    if bool(button.property("primary")) != primary:
        button.setProperty("primary", primary)
        repolish(button)
    _accent_icon(button, primary)
    if primary:
        button.setAutoDefault(True)
    button.setDefault(primary)
    return button
