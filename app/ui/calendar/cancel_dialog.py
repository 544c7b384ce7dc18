"""Asking why one or several appointments are cancelled: a preset or the user's own words.

The dialog only returns the reason (``reason()``); the tab hands it on with the
ids (``CalendarTab.cancel_requested``), and the booking service does the
cancelling. Nothing is cancelled when the dialog is dismissed.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.theme import Spacing

PRESET_REASONS = (
    "Customer requested",
    "Rescheduled",
    "No longer needed",
    "Duplicate booking",
)
MAX_REASON_LENGTH = 500


class CancelReasonDialog(QDialog):
    """Pick a preset reason or type one; "Cancel appointment" is enabled once there is one."""

    def __init__(
        self,
        count: int,
        parent: QWidget | None = None,
        *,
        summary: str | None = None,
        presets: Sequence[str] = PRESET_REASONS,
    ) -> None:
        super().__init__(parent)
        noun = "appointment" if count == 1 else f"{count} appointments"
        self.setWindowTitle("Cancel appointment" if count == 1 else "Cancel appointments")
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.S)
        question = QLabel(
            f"Why is this {noun} cancelled?" if count == 1 else f"Why are these {noun} cancelled?",
            self,
        )
        question.setWordWrap(True)
        layout.addWidget(question)
        if summary:
            detail = QLabel(summary, self)
            detail.setProperty("muted", True)
            detail.setWordWrap(True)
            layout.addWidget(detail)
        self._group = QButtonGroup(self)
        self.presets: list[QRadioButton] = []
        for text in presets:
            button = QRadioButton(text, self)
            self._group.addButton(button)
            self.presets.append(button)
            layout.addWidget(button)
        self.other = QRadioButton("Another reason:", self)
        self._group.addButton(self.other)
        layout.addWidget(self.other)
        self.other_text = QLineEdit(self)
        self.other_text.setPlaceholderText("In your own words (the contact may see it)")
        self.other_text.setMaxLength(MAX_REASON_LENGTH)
        layout.addWidget(self.other_text)
        note = QLabel("The contact's booking is released; this cannot be undone from here.", self)
        note.setProperty("muted", True)
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(self)
        self.confirm = buttons.addButton(
            "Cancel appointment" if count == 1 else f"Cancel {count} appointments",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.keep = buttons.addButton(
            "Keep it" if count == 1 else "Keep them", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.keep.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._group.buttonToggled.connect(lambda *_: self._update())
        self.other_text.textChanged.connect(self._typed)
        self._update()

    def _typed(self, text: str) -> None:
        if text.strip() and not self.other.isChecked():
            self.other.setChecked(True)
        self._update()

    def _update(self) -> None:
        self.confirm.setEnabled(bool(self.reason()))

    def reason(self) -> str:
        """The chosen or typed reason, trimmed ("" when none yet)."""
        if self.other.isChecked():
            return " ".join(self.other_text.text().split())
        checked = self._group.checkedButton()
        return checked.text() if checked is not None else ""

    def choose(self, reason: str) -> None:
        """Choose a preset by its text, or type ``reason`` as another one (tests, defaults)."""
        for button in self.presets:
            if button.text() == reason:
                button.setChecked(True)
                return
        self.other_text.setText(reason)


__all__ = ["MAX_REASON_LENGTH", "PRESET_REASONS", "CancelReasonDialog"]
