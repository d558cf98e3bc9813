"""Zones tab → **Send to trucks…**: the selected polygon zone given to trucks' JT/T 808 terminals to keep
(`jt808.set_area`, 0x8604): each then alarms on entering or leaving it by itself, with or without signal, and the
alert names the zone. The trucks come from the `units` operation; each truck's command is recorded and answered on
its own (a truck without a terminal is refused and said); the answers are in `ctl jt808 commands` and on the device
bench."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from console.incidents.common import run_op
from dispatch.jt808.commands import AREA_ALARMS, DEFAULT_AREA_ALARM
from dispatch.zones.model import part_of_day


class ZoneTerminalsDialog(QDialog):
    """Which trucks, and which crossing alarms. `trucks`: [(unit id, name)]."""

    def __init__(self, zone: dict[str, Any], trucks: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        p = zone["properties"]
        self.setWindowTitle(self.tr("Send %1 to trucks' terminals").replace("%1", p.get("name") or zone["id"]))
        self.trucks = QListWidget(self)
        self.trucks.setObjectName("zoneTrucks")
        for uid, name in trucks:
            item = QListWidgetItem(f"{name} ({uid})" if name and name != uid else uid)
            item.setData(Qt.ItemDataRole.UserRole, uid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.trucks.addItem(item)
        self.every = QCheckBox(self.tr("Every truck"), self)
        self.every.toggled.connect(self._every)
        self.alarm = QComboBox(self)
        words = {"enter": self.tr("on entering"), "leave": self.tr("on leaving"),
                 "both": self.tr("on entering and leaving")}
        for a in AREA_ALARMS:
            self.alarm.addItem(words[a], a)
        self.alarm.setCurrentIndex(self.alarm.findData(DEFAULT_AREA_ALARM.get(p.get("kind", ""), "enter")))
        text = self.tr("Each terminal alarms by itself, even without signal; the alert names the zone.")
        note = QLabel(text, self)
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.tr("Trucks"), self.trucks)
        form.addRow("", self.every)
        form.addRow(self.tr("Alarm"), self.alarm)
        form.addRow(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Send"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.setMinimumWidth(460)

    def _every(self, on: bool) -> None:
        for i in range(self.trucks.count()):
            self.trucks.item(i).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def chosen(self) -> list[str]:
        return [str(self.trucks.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.trucks.count())
                if self.trucks.item(i).checkState() == Qt.CheckState.Checked]


def send_zone(editor: Any, zone: dict[str, Any]) -> None:
    """The button: the trucks read off the GUI thread, the dialog, then one command per truck; the editor's message
    line says how many were sent and which were refused."""
    def ask(units: list[dict[str, Any]]) -> None:
        trucks = sorted((u["id"], u.get("name") or u["id"]) for u in units if u.get("kind") == "truck")
        dialog = ZoneTerminalsDialog(zone, trucks, editor)
        dialog.setObjectName("zoneTerminalsDialog")
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.chosen():
            return
        chosen, alarm = dialog.chosen(), dialog.alarm.currentData()
        sent: list[str] = []
        refused: list[str] = []

        def said() -> None:
            if len(sent) + len(refused) < len(chosen):
                return
            editor.message.setStyleSheet("color:#b71c1c" if refused else "color:#2e7d32")
            text = editor.tr("Sent to %1 trucks' terminals (their answers: ctl jt808 commands)")
            text = text.replace("%1", str(len(sent)))
            if refused:
                text += "\n" + editor.tr("Not sent: %1").replace("%1", "; ".join(refused))
            editor.message.setText(text)

        for uid in chosen:
            run_op(editor, "jt808.set_area", {"unit_id": uid, "zone_id": zone["id"], "alarm": alarm},
                   on_done=lambda _r, u=uid: (sent.append(u), said()),
                   on_refused=lambda why, u=uid: (refused.append(f"{u}: {why}"), said()))

    hours = zone["properties"].get("hours")
    if part_of_day(hours):  # the core refuses it too (zone_has_hours); said before trucks are chosen, in the UI language
        editor.message.setStyleSheet("color:#b71c1c")
        text = editor.tr("%1 applies only during %2: a truck's terminal keeps an area at every hour and would alarm outside them, so it is not sent. The platform's own rule keeps the hours.")
        editor.message.setText(text.replace("%1", zone["properties"].get("name") or zone["id"]).replace("%2", hours))
        return
    run_op(editor, "units", {}, on_done=ask)
