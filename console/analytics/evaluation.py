"""The evaluation table (考核评价): the period's indicators per unit, team, district or category, sortable,
exported as CSV or XLSX. It renders what `analytics.stats` returns; nothing is computed here."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.i18n import current_language, word
from dispatch.analytics.export import COLUMNS, table


class _Num(QTableWidgetItem):
    """Sorts by number (None last), shows rates as percentages."""

    def __init__(self, value: Any, rate: bool) -> None:
        text = "—" if value is None else (f"{100 * value:.1f}%" if rate else str(value))
        super().__init__(text)
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.value, getattr(other, "value", None)
        if a is None or b is None:
            return a is None and b is not None
        return bool(a < b)


class Evaluation(QWidget):
    def __init__(self, window_of: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_of = window_of  # () -> (t1, t2): the dashboard's period
        self.result: dict[str, Any] = {}
        self.by = QComboBox(self)
        for key, label in (("unit", self.tr("By unit")), ("team", self.tr("By team")),
                           ("district", self.tr("By district")), ("category", self.tr("By category"))):
            self.by.addItem(label, key)
        self.by.currentIndexChanged.connect(self.refresh)
        csv_b = QPushButton(self.tr("Export CSV…"), self)
        csv_b.clicked.connect(lambda: self.export("csv"))
        xlsx_b = QPushButton(self.tr("Export XLSX…"), self)
        xlsx_b.clicked.connect(lambda: self.export("xlsx"))
        self.note = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.by)
        bar.addWidget(self.note, 1)
        bar.addWidget(csv_b)
        bar.addWidget(xlsx_b)
        self.table = QTableWidget(self)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)

    def refresh(self) -> None:
        from console.incidents.common import run_op

        t1, t2 = self.window_of()
        run_op(self, "analytics.stats", {"start": t1, "end": t2, "by": self.by.currentData()}, on_done=self.show_result,
               quiet=True)

    def show_result(self, result: dict[str, Any]) -> None:
        self.result = result
        head, rows = table(result, lang=current_language(), word=word)  # in the UI's language, names and all
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.table.setColumnCount(len(head))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(head)
        for r, row in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(str(row[0] or "—")))
            for c, (key, *_h) in enumerate(COLUMNS, start=1):
                self.table.setItem(r, c, _Num(row[c], key.endswith("_rate")))
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        self.note.setText(self.tr("%1 rows; click a header to sort").replace("%1", str(len(rows) - 1)))

    def export(self, kind: str, path: str | None = None) -> str | None:
        """Write the table to a file (asked for when `path` is None). Returns the path written."""
        if not self.result:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the evaluation table"),
                                                  f"evaluation.{kind}", f"{kind.upper()} (*.{kind})")
            if not path:
                return None
        from dispatch.analytics.export import write

        try:
            write(self.result, path, lang=current_language(), word=word)
        except (OSError, ValueError) as exc:
            self.note.setText(self.tr("Not written: %1").replace("%1", str(exc)))
            return None
        self.note.setText(self.tr("Written: %1").replace("%1", path))
        return path


class Utilisation(QWidget):
    """Per unit: hours per status, share of the period busy, distance covered (`analytics.units`)."""

    STATUSES = ("available", "assigned", "busy", "out_of_service")

    def __init__(self, window_of: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_of = window_of
        self.rows: list[dict[str, Any]] = []
        self.table = QTableWidget(self)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table)

    def refresh(self) -> None:
        from console.incidents.common import run_op

        t1, t2 = self.window_of()
        run_op(self, "analytics.units", {"start": t1, "end": t2}, on_done=self.show_rows, quiet=True)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        from console.i18n import kind_label, status_label

        self.rows = rows
        head = [self.tr("Unit"), self.tr("Kind")] + [status_label(s) + " (h)" for s in self.STATUSES] + \
            [self.tr("Busy share"), self.tr("Distance (km)")]
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.table.setColumnCount(len(head))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(head)
        for r, row in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(row["name"] or row["unit_id"]))
            self.table.setItem(r, 1, QTableWidgetItem(kind_label(row["kind"])))
            for c, s in enumerate(self.STATUSES, start=2):
                self.table.setItem(r, c, _Num(round(row["status_s"].get(s, 0.0) / 3600, 1), False))
            self.table.setItem(r, 6, _Num(row["busy_share"], True))
            self.table.setItem(r, 7, _Num(row["distance_km"], False))
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
