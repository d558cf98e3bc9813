"""The field window's dialogs: one answer picked with a big button (a decline reason, how it was resolved)
plus free text."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.field.style import STYLE


class ChoiceDialog(QDialog):
    """Big buttons to pick one answer (a decline reason, a resolution note) plus free text."""

    def __init__(self, title: str, prompt: str, choices: list[str], *, other: str, required: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setStyleSheet(STYLE)
        self.required = required
        lay = QVBoxLayout(self)
        label = QLabel(prompt, self)
        label.setObjectName("prompt")
        label.setWordWrap(True)
        lay.addWidget(label)
        self.group = QButtonGroup(self)
        self.buttons: list[QPushButton] = []
        grid = QGridLayout()
        for i, text in enumerate(choices):
            b = QPushButton(text, self)
            b.setCheckable(True)
            b.setProperty("choice", True)
            self.group.addButton(b)
            self.buttons.append(b)
            grid.addWidget(b, i // 2, i % 2)
        lay.addLayout(grid)
        self.other = QLineEdit(self)
        self.other.setPlaceholderText(other)
        lay.addWidget(self.other)
        self.box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        for b in self.box.buttons():
            b.setMinimumWidth(160)
        lay.addWidget(self.box)
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        self.group.buttonToggled.connect(lambda *_: self._update())
        self.other.textChanged.connect(lambda *_: self._update())
        self._update()
        self.resize(640, 0)

    def choose(self, index: int) -> None:
        self.buttons[index].setChecked(True)

    def answer(self) -> str:
        picked = self.group.checkedButton()
        parts = [picked.text()] if picked is not None else []
        if self.other.text().strip():
            parts.append(self.other.text().strip())
        return ": ".join(parts)

    def _update(self) -> None:
        ok = self.box.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.answer()) or not self.required)

