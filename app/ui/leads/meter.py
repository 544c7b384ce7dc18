"""The credit meter: always on the Leads tab, and a compact badge for the status bar.

Credits are money, so the meter shows, at any time: the balance (the latest
``X-PublicAPI-Credits``), what was spent today and in this session, credits held
by queued research, the daily budget and what is left of it, and the estimate of
the action under the cursor: hovering or focusing Search, Load more or Research
shows what that action would cost, and the sentence why it would be refused.
The meter turns to the warning colour under ``LOW_BALANCE`` or when the action
under the cursor costs more than what is available, and to the danger colour
when that action would be refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.credits import Estimate, Refusal, RefusalReason
from app.services.ports.leads import CreditMeter
from app.ui.common.fields import scheme_colors
from app.ui.common.widgets import IconLabel
from app.ui.theme import Spacing, ThemeColors, icon, repolish

LOW_BALANCE = 50
"""Below this many available credits the meter shows the warning colour."""

HINT = "Point at Search, Load more or Research to see what it costs before it is sent."


def credits_text(count: int) -> str:
    """ "1 credit", "9,950 credits"."""
    return f"{count:,} credit{'' if count == 1 else 's'}"


def refusal_state(refusal: Refusal, meter: CreditMeter | None) -> str:
    """What the meter says of a refused action: the state it is in ("Over today's budget
    of 3 credits (0 left)."), not the sentence said at the action."""
    if refusal.reason is RefusalReason.DAILY_BUDGET:
        if meter is None or meter.daily_budget is None:
            return "Over today's budget."
        return (
            f"Over today's budget of {credits_text(meter.daily_budget)} "
            f"({meter.budget_left or 0:,} left)."
        )
    if meter is None or meter.available is None:
        return "More than the balance."
    return f"More than the {credits_text(meter.available)} available."


class MeterLevel(StrEnum):
    """How the meter is coloured."""

    OK = "ok"
    WARNING = "warning"
    DANGER = "danger"


def meter_level(
    meter: CreditMeter | None, estimate: Estimate | None = None, refusal: Refusal | None = None
) -> MeterLevel:
    """Danger when the action shown would be refused; warning under ``LOW_BALANCE``, when
    the action shown costs more than is available or left of today's budget, or when
    today's budget is used up."""
    if refusal is not None:
        return MeterLevel.DANGER
    if meter is None or meter.available is None:
        return MeterLevel.OK
    available = meter.available
    if available < LOW_BALANCE:
        return MeterLevel.WARNING
    cost = estimate.credits if estimate is not None else 0
    if cost > available:
        return MeterLevel.WARNING
    left = meter.budget_left
    if left is not None and (cost > left or left == 0):
        return MeterLevel.WARNING
    return MeterLevel.OK


def _level_stylesheet(colors: ThemeColors) -> str:
    return (
        f'QLabel[level="warning"] {{ color: {colors.warning}; }}\n'
        f'QLabel[level="danger"] {{ color: {colors.danger}; }}\n'
        f'QToolButton[level="warning"] {{ color: {colors.warning}; }}\n'
        f'QToolButton[level="danger"] {{ color: {colors.danger}; }}'
    )


def _separator(parent: QWidget) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Plain)
    line.setProperty("muted", True)
    return line


def _figure(caption: str, parent: QWidget) -> tuple[QWidget, QLabel]:
    """A value with its caption under it, as the meter shows its figures."""
    box = QWidget(parent)
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    value = QLabel("—", box)
    label = QLabel(caption, box)
    label.setProperty("muted", True)
    column.addWidget(value)
    column.addWidget(label)
    return box, value


class ElidedLabel(QLabel):
    """A one-line label that shrinks with its layout and elides what does not fit
    (the whole text in its tooltip), instead of widening the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        """The whole text (not the elided one drawn)."""
        return self._full

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, max(0, self.width()))
        super().setText(shown)


class CreditMeterWidget(QFrame):
    """The Leads tab's credit meter (see the module docstring)."""

    budgetRequested = Signal()
    """The user pressed "Budget…" (set or clear the daily budget)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("creditMeter")
        self.setProperty("severity", "info")
        self._meter: CreditMeter | None = None
        self._estimate: Estimate | None = None
        self._refusal: Refusal | None = None
        self._level = MeterLevel.OK
        layout = QHBoxLayout(self)
        layout.setContentsMargins(Spacing.M, Spacing.S, Spacing.M, Spacing.S)
        layout.setSpacing(Spacing.L)

        coin = IconLabel("coin", 24, self)
        coin.setFixedSize(24, 24)
        layout.addWidget(coin, 0, Qt.AlignmentFlag.AlignVCenter)
        balance_box, self.balance_label = _figure("Seamless.AI balance", self)
        self.auth_label = QLabel(balance_box)
        self.auth_label.setObjectName("authInUse")
        self.auth_label.setProperty("muted", True)
        self.auth_label.hide()
        balance_column = balance_box.layout()
        assert balance_column is not None
        balance_column.addWidget(self.auth_label)
        font = self.balance_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.balance_label.setFont(font)
        self.balance_label.setObjectName("balance")
        layout.addWidget(balance_box)
        layout.addWidget(_separator(self))
        today_box, self.today_label = _figure("spent today", self)
        session_box, self.session_label = _figure("this session", self)
        self.held_box, self.held_label = _figure("held for queued research", self)
        for box in (today_box, session_box, self.held_box):
            layout.addWidget(box)
        layout.addWidget(_separator(self))
        budget_box, self.budget_label = _figure("daily budget", self)
        layout.addWidget(budget_box)
        self.budget_button = QToolButton(self)
        self.budget_button.setText("Budget…")
        self.budget_button.setToolTip("Set or clear the most the app may spend per day")
        self.budget_button.setAutoRaise(True)
        self.budget_button.clicked.connect(self.budgetRequested)
        layout.addWidget(self.budget_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(_separator(self))

        self.estimate_icon = IconLabel(None, 16, self)
        layout.addWidget(self.estimate_icon, 0, Qt.AlignmentFlag.AlignVCenter)
        self.estimate_label = QLabel(self)
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setObjectName("estimate")
        self.estimate_label.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred
        )
        self.estimate_label.setMinimumWidth(240)
        layout.addWidget(self.estimate_label, 1)
        self._apply_style()
        self._render()

    # -- state ----------------------------------------------------------------------------
    @property
    def level(self) -> MeterLevel:
        """The colour shown (ok, warning, danger)."""
        return self._level

    @property
    def balance_text(self) -> str:
        """The balance as shown."""
        return self.balance_label.text()

    @property
    def spent_today_text(self) -> str:
        """What was spent today, as shown."""
        return self.today_label.text()

    @property
    def session_text(self) -> str:
        """What was spent in this session, as shown."""
        return self.session_label.text()

    @property
    def budget_text(self) -> str:
        """The budget figure as shown."""
        return self.budget_label.text()

    @property
    def estimate_text(self) -> str:
        """The estimate line as shown (plain text)."""
        return self.estimate_label.text()

    @property
    def estimate(self) -> Estimate | None:
        """The estimate shown (None: the hint)."""
        return self._estimate

    def set_meter(self, meter: CreditMeter | None) -> None:
        """Show ``meter`` (None: no Seamless connection)."""
        self._meter = meter
        self._render()

    @property
    def auth_text(self) -> str:
        """How the connection signs in, as shown ("via API key"), or ""."""
        return self.auth_label.text() if self.auth_label.isVisibleTo(self) else ""

    def set_auth(self, label: str | None) -> None:
        """Show which way in the connection uses ("API key", "Seamless.AI sign-in")."""
        self.auth_label.setText(f"via {label}" if label else "")
        self.auth_label.setVisible(bool(label))

    def show_estimate(
        self, action: str, estimate: Estimate, refusal: Refusal | None = None, note: str = ""
    ) -> None:
        """Show what ``action`` ("Search", "Load more", "Research 3 selected") would cost,
        and, refused, the meter's state (the sentence is said at the action)."""
        self._estimate, self._refusal = estimate, refusal
        text = f"{action}: {'free' if estimate.free else estimate.text.lower()}"
        if estimate.free_duplicates:
            also = "" if estimate.free else ", free"
            text += f" ({estimate.free_duplicates} already researched{also})"
        text += "."
        if note:
            text += f" {note}"
        if refusal is not None:
            text += f" {refusal_state(refusal, self._meter)}"
        elif self._meter is not None and self._meter.available is not None and estimate.credits:
            after = max(0, self._meter.available - estimate.credits)
            text += f" At least {credits_text(after)} left after it."
        self.estimate_label.setText(text)
        self._render()

    def clear_estimate(self) -> None:
        """Back to the hint (nothing under the cursor)."""
        self._estimate, self._refusal = None, None
        self.estimate_label.setText(HINT)
        self._render()

    # -- drawing --------------------------------------------------------------------------
    def _render(self) -> None:
        meter = self._meter
        if meter is None:
            self.balance_label.setText("Not connected")
            for label in (self.today_label, self.session_label, self.budget_label):
                label.setText("—")
            self.held_box.hide()
        else:
            self.balance_label.setText(
                credits_text(meter.balance) if meter.balance is not None else "Reading…"
            )
            self.today_label.setText(credits_text(meter.spent_today))
            self.session_label.setText(credits_text(meter.spent_session))
            self.held_label.setText(credits_text(meter.committed))
            self.held_box.setVisible(meter.committed > 0)
            if meter.daily_budget is None:
                self.budget_label.setText("None set")
            else:
                left = meter.budget_left or 0
                self.budget_label.setText(f"{left:,} of {meter.daily_budget:,} left")
        if self._estimate is None and not self.estimate_label.text():
            self.estimate_label.setText(HINT)
        self.estimate_label.setProperty("muted", self._estimate is None)
        level = meter_level(meter, self._estimate, self._refusal)
        self._level = level
        severity = {"ok": "info", "warning": "warning", "danger": "danger"}[level.value]
        estimate_icon = {"ok": "info", "warning": "warning", "danger": "error"}[level.value]
        self.estimate_icon.set_icon(estimate_icon, 16)
        self.setProperty("severity", severity)
        self.balance_label.setProperty("level", self._balance_level(meter).value)
        self.budget_label.setProperty("level", self._budget_level(meter).value)
        self.estimate_label.setProperty("level", level.value if self._estimate else "ok")
        for widget in (self, self.balance_label, self.budget_label, self.estimate_label):
            repolish(widget)

    def _balance_level(self, meter: CreditMeter | None) -> MeterLevel:
        # The balance is coloured for what concerns the balance only (not the budget).
        refusal = self._refusal
        if refusal is not None and refusal.reason is RefusalReason.BALANCE:
            return MeterLevel.DANGER
        if meter is None or meter.available is None:
            return MeterLevel.OK
        cost = self._estimate.credits if self._estimate is not None else 0
        if meter.available < LOW_BALANCE or cost > meter.available:
            return MeterLevel.WARNING
        return MeterLevel.OK

    def _budget_level(self, meter: CreditMeter | None) -> MeterLevel:
        refusal = self._refusal
        if refusal is not None and refusal.reason is RefusalReason.DAILY_BUDGET:
            return MeterLevel.DANGER
        if meter is not None and meter.budget_left == 0:
            return MeterLevel.WARNING
        return MeterLevel.OK

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_style()
        super().changeEvent(event)

    def _apply_style(self) -> None:
        colors = scheme_colors()
        if colors is getattr(self, "_colors", None):
            return  # our own stylesheet's palette change echoing back
        self._colors = colors
        self.setStyleSheet(_level_stylesheet(colors))


class CreditBadge(QToolButton):
    """A compact balance for the window's status bar: "9,950 credits", in the warning
    colour when low; the tooltip has the day's and the session's spending. Clicking it
    emits ``clicked`` (the window may show the Leads tab)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("creditBadge")
        self.setIcon(icon("coin"))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.setIconSize(QSize(16, 16))
        self._level = MeterLevel.OK
        self._colors: ThemeColors | None = None
        self._auth: str | None = None
        self._apply_style()
        self.set_meter(None)

    @property
    def level(self) -> MeterLevel:
        """The colour shown."""
        return self._level

    def set_auth(self, label: str | None) -> None:
        """Name the way in the connection uses in the tooltip ("API key", ...)."""
        self._auth = label

    def set_meter(self, meter: CreditMeter | None) -> None:
        """Show ``meter`` (None hides the badge: no Seamless connection)."""
        if meter is None:
            self.setText("")
            self.setToolTip("")
            self.setVisible(False)
            return
        self.setVisible(True)
        if meter.balance is None:
            self.setText("Credits: reading…")
        else:
            self.setText(credits_text(meter.balance))
        tip = [
            f"Seamless.AI: spent today {credits_text(meter.spent_today)}, "
            f"this session {credits_text(meter.spent_session)}."
        ]
        if meter.committed:
            tip.append(f"{credits_text(meter.committed)} held for queued research.")
        if meter.daily_budget is not None:
            tip.append(f"Daily budget: {meter.budget_left or 0:,} of {meter.daily_budget:,} left.")
        if self._auth:
            tip.append(f"Connected with the {self._auth}.")
        self.setToolTip(" ".join(tip))
        self._level = meter_level(meter)
        self.setProperty("level", self._level.value)
        repolish(self)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_style()
        super().changeEvent(event)

    def _apply_style(self) -> None:
        colors = scheme_colors()
        if colors is self._colors:
            return  # our own stylesheet's palette change echoing back
        self._colors = colors
        self.setStyleSheet(_level_stylesheet(colors))


class ActionHover(QObject):
    """Reports which costly action is under the cursor or has the keyboard focus:
    ``entered(name)`` on hover or focus, ``left(name)`` when both are gone."""

    entered = Signal(str)
    """The cursor or the focus reached the action called ``name``."""

    left = Signal(str)
    """Neither the cursor nor the focus is on the action ``name`` any more."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: dict[QObject, str] = {}
        self._hovered: set[str] = set()
        self._focused: set[str] = set()

    def watch(self, widget: QWidget, name: str) -> None:
        """Report hover and focus of ``widget`` as ``name``."""
        self._names[widget] = name
        widget.installEventFilter(self)

    def active(self) -> str | None:
        """The action under the cursor, else the focused one, else None."""
        for pool in (self._hovered, self._focused):
            if pool:
                return next(iter(pool))
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        name = self._names.get(watched)
        if name is None:
            return False
        kind = event.type()
        if kind in (QEvent.Type.Enter, QEvent.Type.HoverEnter):
            self._hovered.add(name)
            self.entered.emit(name)
        elif kind == QEvent.Type.FocusIn:
            self._focused.add(name)
            self.entered.emit(name)
        elif kind in (QEvent.Type.Leave, QEvent.Type.HoverLeave, QEvent.Type.FocusOut):
            pool = self._focused if kind == QEvent.Type.FocusOut else self._hovered
            pool.discard(name)
            if name not in self._hovered and name not in self._focused:
                self.left.emit(name)
        return False


def describe_meter(meter: CreditMeter | Any) -> str:
    """One line for logs and tooltips: balance, spent today and this session."""
    balance = "unknown" if meter.balance is None else credits_text(meter.balance)
    return (
        f"Balance {balance}; spent today {credits_text(meter.spent_today)}, "
        f"this session {credits_text(meter.spent_session)}."
    )


__all__ = [
    "HINT",
    "LOW_BALANCE",
    "ActionHover",
    "CreditBadge",
    "CreditMeterWidget",
    "ElidedLabel",
    "MeterLevel",
    "credits_text",
    "describe_meter",
    "meter_level",
    "refusal_state",
]
