"""Case files tab → **Officers…**: the enforcement officers' roster (执法人员管理), each with the number and validity of
their enforcement certificate, as the shift lead keeps it: an officer added or a certificate renewed (`officer.add`),
an officer taken off (`officer.revoke`, with the reason). Who may record an act is decided by the core from this
roster (two officers with valid certificates, §42 and §55); the dialog only shows it and asks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.cases.dialogs import ok_cancel
from console.incidents.common import CLOSED_FG, run_op
from console.operations import may


class OfficerDialog(QDialog):
    """An officer added, or one's certificate renewed (the same id)."""

    def __init__(self, officer: dict[str, Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("officerDialog")
        o = officer or {}
        self.setWindowTitle(self.tr("Renew certificate") if o else self.tr("Add officer"))
        form = QFormLayout(self)
        self.officer_id = QLineEdit(o.get("id") or "", self)
        self.officer_id.setReadOnly(bool(o))
        self.name = QLineEdit(o.get("name") or "", self)
        self.certificate = QLineEdit(o.get("certificate") or "", self)
        self.team = QLineEdit(o.get("team") or "", self)
        self.valid_from = QDateEdit(QDate.currentDate(), self)
        self.valid_until = QDateEdit(QDate.currentDate().addYears(3), self)
        for w in (self.valid_from, self.valid_until):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        form.addRow(self.tr("Officer id"), self.officer_id)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Certificate number"), self.certificate)
        form.addRow(self.tr("Team"), self.team)
        form.addRow(self.tr("Valid from"), self.valid_from)
        form.addRow(self.tr("Valid until"), self.valid_until)
        self.buttons = ok_cancel(self, form)

    def args(self) -> dict[str, Any]:
        return {"officer_id": self.officer_id.text().strip(), "name": self.name.text().strip(),
                "certificate": self.certificate.text().strip(), "team": self.team.text().strip() or None,
                "valid_from": self.valid_from.date().toString("yyyy-MM-dd"),
                "valid_until": self.valid_until.date().toString("yyyy-MM-dd")}


class RosterDialog(QDialog):
    COLUMNS = ("id", "name", "certificate", "team", "valid_until", "state")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rosterDialog")
        self.setWindowTitle(self.tr("Enforcement officers"))
        self.officers: list[dict[str, Any]] = []
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("rosterTable")
        self.table.setHorizontalHeaderLabels([self.tr("Id"), self.tr("Name"), self.tr("Certificate number"),
                                              self.tr("Team"), self.tr("Valid until"), self.tr("State")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.add_button = QPushButton(self.tr("Add officer…"), self)
        self.add_button.clicked.connect(lambda: self.edit(None))
        self.renew_button = QPushButton(self.tr("Renew certificate…"), self)
        self.renew_button.clicked.connect(lambda: self.edit(self.selected()))
        self.revoke_button = QPushButton(self.tr("Take off the roster…"), self)
        self.revoke_button.clicked.connect(self.revoke)
        ok, why = may("officer.add")
        for b in (self.add_button, self.renew_button, self.revoke_button):
            b.setEnabled(ok)
            b.setToolTip("" if ok else why)
        self.message = QLabel("", self)
        self.message.setObjectName("rosterMessage")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        for b in (self.add_button, self.renew_button, self.revoke_button):
            row.addWidget(b)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        lay.addWidget(self.message)
        lay.addWidget(close)
        self.resize(720, 420)
        self.reload()

    def reload(self) -> None:
        run_op(self, "officers", {}, on_done=self.fill, on_refused=self.message.setText)

    def fill(self, officers: list[dict[str, Any]]) -> None:
        self.officers = officers
        self.table.setRowCount(len(officers))
        for i, o in enumerate(officers):
            state = self.tr("taken off") if o.get("revoked") else (self.tr("valid") if o.get("valid")
                                                                   else self.tr("certificate lapsed"))
            for c, text in enumerate((o["id"], o["name"], o["certificate"], o.get("team") or "", o["valid_until"],
                                      state)):
                item = QTableWidgetItem(str(text))
                item.setData(Qt.ItemDataRole.UserRole, o["id"])
                if not o.get("valid"):
                    item.setForeground(CLOSED_FG)
                self.table.setItem(i, c, item)

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        oid = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((o for o in self.officers if o["id"] == oid), None)

    def _done(self, text: str) -> Any:
        def done(_r: Any) -> None:
            self.message.setStyleSheet("color:#2e7d32")
            self.message.setText(text)
            self.reload()
        return done

    def _refused(self, why: str) -> None:
        self.message.setStyleSheet("color:#b71c1c")
        self.message.setText(self.tr("Refused: %1").replace("%1", why))

    def edit(self, officer: dict[str, Any] | None) -> None:
        if officer is None and self.sender() is self.renew_button:
            self._refused(self.tr("select an officer first"))
            return
        dialog = OfficerDialog(officer, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()  # a child of the panel: not kept for the shift's length
        if not accepted:
            return
        a = dialog.args()
        run_op(self, "officer.add", a, on_done=self._done(self.tr("%1 saved").replace("%1", a["name"] or a["officer_id"])),
               on_refused=self._refused)

    def revoke(self) -> None:
        o = self.selected()
        if o is None:
            self._refused(self.tr("select an officer first"))
            return
        note, ok = QInputDialog.getText(self, self.tr("Take off the roster"),
                                        self.tr("Why is %1 taken off the roster?").replace("%1", o["name"]))
        if not ok:
            return
        run_op(self, "officer.revoke", {"officer_id": o["id"], "note": note.strip() or None},
               on_done=self._done(self.tr("%1 taken off the roster").replace("%1", o["name"])),
               on_refused=self._refused)
