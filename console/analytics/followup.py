"""The dashboard's follow-up tabs: recurring hotspots turned into response plans (处置预案), and supervision
(督察督办) of cases that ran late or were reworked — a notice to the responsible unit and its answer.
Both render what the core returns and act through its operations."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.i18n import word
from console.incidents.common import run_op


def _fill(table: QTableWidget, head: list[str], rows: list[list[Any]]) -> None:
    table.clear()
    table.setColumnCount(len(head))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(head)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            table.setItem(r, c, QTableWidgetItem("—" if v is None or v == "" else str(v)))
    table.resizeColumnsToContents()


class PlanDialog(QDialog):
    """The response plan for one hotspot: the note new cases there will carry, the radius, and for water
    categories the vessels of a recurring cleaning task at the band's start."""

    def __init__(self, hotspot: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hotspot = hotspot
        self.setWindowTitle(self.tr("Response plan"))
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(self.tr("What to do when the next case comes"))
        self.radius = QDoubleSpinBox(self)
        self.radius.setRange(50, 5000)
        self.radius.setValue(300)
        self.radius.setSuffix(" m")
        self.units = QLineEdit(self)
        self.units.setPlaceholderText("vessel-01,vessel-02")
        form = QFormLayout(self)
        form.addRow(self.tr("Hotspot"), QLabel(f"{word(hotspot['category'])} · {hotspot.get('place') or ''} · "
                                               f"{hotspot['band']} · {hotspot['count']}", self))
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.tr("Radius"), self.radius)
        form.addRow(self.tr("Vessels (water)"), self.units)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def args(self) -> dict[str, Any]:
        h = self.hotspot
        units = [u.strip() for u in self.units.text().split(",") if u.strip()]
        return {"category": h["category"], "lat": h["lat"], "lon": h["lon"], "band": h["band"],
                "note": self.note.text(), "radius_m": self.radius.value(), "task_units": units or None}


class Hotspots(QWidget):
    def __init__(self, window_of: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_of = window_of
        self.rows: list[dict[str, Any]] = []
        self.table = QTableWidget(self)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.plan = QPushButton(self.tr("Make a response plan…"), self)
        self.plan.clicked.connect(lambda: self.make_plan())
        self.status = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.plan)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)

    def refresh(self) -> None:
        t1, t2 = self.window_of()
        run_op(self, "analytics.hotspots", {"start": t1, "end": t2}, on_done=self.show_rows, quiet=True)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        _fill(self.table, [self.tr("Category"), self.tr("Place"), self.tr("Time band"), self.tr("Cases"), self.tr("Days"),
                           self.tr("Incidents")],
              [[word(h["category"]), h.get("place"), h["band"], h["count"], h["days"],
                ", ".join(map(str, h["incident_ids"][:10]))] for h in rows])
        self.status.setText(self.tr("%1 recurring hotspots: same category, place and time band on several days")
                            .replace("%1", str(len(rows))))

    def make_plan(self, args: dict[str, Any] | None = None) -> None:
        row = self.table.currentRow()
        if args is None:
            if not 0 <= row < len(self.rows):
                self.status.setText(self.tr("Pick a hotspot first"))
                return
            dlg = PlanDialog(self.rows[row], self)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return
            args = dlg.args()
        run_op(self, "plan.create", args, on_done=lambda p: self.status.setText(
            self.tr("Response plan %1 recorded").replace("%1", str(p["id"]))),
            on_refused=self.status.setText)


class Supervision(QWidget):
    def __init__(self, window_of: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_of = window_of
        self.flagged: list[dict[str, Any]] = []
        self.notices: list[dict[str, Any]] = []
        self.cases = QTableWidget(self)
        self.cases.verticalHeader().setVisible(False)
        self.cases.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.sent = QTableWidget(self)
        self.sent.verticalHeader().setVisible(False)
        notice = QPushButton(self.tr("Send a supervision notice…"), self)
        notice.clicked.connect(lambda: self.send_notice())
        self.status = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(notice)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.cases, 2)
        lay.addWidget(QLabel(self.tr("Notices sent and their answers"), self))
        lay.addWidget(self.sent, 1)

    def refresh(self) -> None:
        t1, t2 = self.window_of()
        run_op(self, "supervision.flagged", {"start": t1, "end": t2}, on_done=self.show_flagged, quiet=True)
        run_op(self, "supervision.notices", {}, on_done=self.show_notices, quiet=True)

    def show_flagged(self, rows: list[dict[str, Any]]) -> None:
        self.flagged = rows
        reasons = {"overdue": self.tr("late"), "reworked": self.tr("reworked more than once")}
        _fill(self.cases, [self.tr("Incident"), self.tr("Category"), self.tr("State"), self.tr("Unit"), self.tr("Why"),
                           self.tr("Noticed")],
              [[r["incident_id"], word(r["category"]), word(r["state"]), r["unit_id"],
                ", ".join(reasons.get(x, x) for x in r["reasons"]), self.tr("yes") if r["noticed"] else ""] for r in rows])
        self.status.setText(self.tr("%1 cases to supervise").replace("%1", str(len(rows))))

    def show_notices(self, rows: list[dict[str, Any]]) -> None:
        self.notices = rows
        _fill(self.sent, ["#", self.tr("Incident"), self.tr("Unit"), self.tr("Notice"), self.tr("Answer")],
              [[n["id"], n["incident_id"], n["unit_id"], n["text"],
                (n.get("answer") or {}).get("text") if n["answered"] else self.tr("(not answered yet)")] for n in rows])

    def send_notice(self, text: str | None = None) -> None:
        row = self.cases.currentRow()
        if not 0 <= row < len(self.flagged):
            self.status.setText(self.tr("Pick a case first"))
            return
        case = self.flagged[row]
        if text is None:
            text, ok = QInputDialog.getText(self, self.tr("Supervision notice"),
                                            self.tr("Notice to %1 about incident %2:").replace("%1", str(case["unit_id"]))
                                            .replace("%2", str(case["incident_id"])))
            if not ok:
                return
        run_op(self, "supervision.notice", {"incident_id": case["incident_id"], "text": text},
               on_done=lambda _n: self.refresh(), on_refused=self.status.setText)
