"""The Zones side tab: draw a zone on the map (an area or a route), set what it is in a small form, move an
existing zone's corners, delete it.

The page only reports geometry (resources/map/zoneedit.js); every save is the core's `zone.save` (the next
version of the zone, recorded with the operator, so the replay shows the zones as they were), and a shape
the core refuses (self-intersecting, a route without a width...) stays on the map with the core's reason
beside the form, to be corrected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.alerts.words import ZONE_KINDS, label
from console.incidents.common import run_op

ZONEEDIT_JS = Path(__file__).resolve().parents[2] / "resources" / "map" / "zoneedit.js"
KEEP = ("tz",)  # properties the form does not show, kept as they were


class ZoneEditor(QWidget):
    saved = Signal(dict)  # the zone as the core recorded it
    status_message = Signal(str)

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("zoneEditor")
        self.window = window
        self.map = window.map
        self.zones: dict[str, dict[str, Any]] = {}  # id -> GeoJSON feature (zones.export)
        self.current: dict[str, Any] | None = None  # the zone being edited (None: a new one)
        self.geometry: dict[str, Any] | None = None  # what the page last reported
        self._script_loaded = False

        self.list = QListWidget(self)
        self.list.setObjectName("zoneList")
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.draw_area = QPushButton(self.tr("Draw area"), self)
        self.draw_area.setToolTip(self.tr("Click the corners on the map; double-click or Enter ends, Esc cancels"))
        self.draw_area.clicked.connect(lambda: self.start_drawing("polygon"))
        self.draw_route = QPushButton(self.tr("Draw route"), self)
        self.draw_route.setToolTip(self.draw_area.toolTip())
        self.draw_route.clicked.connect(lambda: self.start_drawing("line"))
        self.edit_shape = QPushButton(self.tr("Move corners"), self)
        how = self.tr("Drag a corner to move it, drag a midpoint to add one, right-click a corner to remove it")
        self.edit_shape.setToolTip(how)
        self.edit_shape.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton(self.tr("Delete zone"), self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.send_button = QPushButton(self.tr("Send to trucks…"), self)
        self.send_button.setObjectName("sendZoneToTrucks")
        tip = self.tr("Trucks' terminals keep this area and alarm on crossing it, also without signal")
        self.send_button.setToolTip(tip)
        self.send_button.clicked.connect(self.send_selected)

        self.kind = QComboBox(self)
        for key in ZONE_KINDS:
            self.kind.addItem(label(ZONE_KINDS, key), key)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.name = QLineEdit(self)
        self.width = QDoubleSpinBox(self)
        self.width.setRange(0.0, 5000.0)
        self.width.setDecimals(0)
        self.width.setSuffix(" m")
        self.width.setValue(60.0)
        self.hours = QLineEdit(self)
        self.hours.setPlaceholderText(self.tr("e.g. 07:00-09:00, 22:00-06:00 (empty: always)"))
        self.units = QLineEdit(self)
        self.units.setPlaceholderText(self.tr("unit ids, comma-separated"))
        self.speed = QDoubleSpinBox(self)
        self.speed.setRange(0.0, 399.0)
        self.speed.setDecimals(0)
        self.speed.setSuffix(" km/h")
        self.speed.setSpecialValueText(self.tr("none"))
        self.form = QFormLayout()
        self.form.addRow(self.tr("Kind"), self.kind)
        self.form.addRow(self.tr("Name"), self.name)
        self.form.addRow(self.tr("Corridor width"), self.width)
        self.form.addRow(self.tr("Hours"), self.hours)
        self.form.addRow(self.tr("Patrol units"), self.units)
        self.form.addRow(self.tr("Speed limit"), self.speed)
        self.save_button = QPushButton(self.tr("Save zone"), self)
        self.save_button.setObjectName("saveZone")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.clicked.connect(self.cancel)
        self.state = QLabel("", self)
        self.state.setWordWrap(True)
        self.message = QLabel("", self)
        self.message.setObjectName("zoneMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        tools = QHBoxLayout()
        for b in (self.draw_area, self.draw_route, self.edit_shape, self.delete_button):
            tools.addWidget(b)
        actions = QHBoxLayout()
        actions.addWidget(self.send_button)
        actions.addStretch(1)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.save_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.list, 1)
        lay.addLayout(tools)
        lay.addWidget(self.state)
        lay.addLayout(self.form)
        lay.addLayout(actions)
        lay.addWidget(self.message)
        self.map.zone_event.connect(self.on_page_event)
        window.panels.current_changed.connect(self._tab_changed)  # the side panels are docks (console/docks.py)
        self._kind_changed()
        self._reset_form()

    # ------------------------------------------------------------- the page
    def on_map_ready(self) -> None:
        self.map.run(ZONEEDIT_JS.read_text(encoding="utf-8"))
        self._script_loaded = True
        self._send_zones()
        self._tab_changed()

    def _send_zones(self) -> None:
        if self._script_loaded:
            self.map.run(f"ConsoleZoneEdit.setZones({json.dumps(list(self.zones.values()), ensure_ascii=False)})")

    def _tab_changed(self, _key: object = None) -> None:
        """A click on a zone picks it only while this tab is open (a dispatcher's clicks edit nothing)."""
        if self._script_loaded:
            on = self.window.current_side_widget() is self
            self.map.run(f"ConsoleZoneEdit.pick({'true' if on else 'false'})")

    def on_page_event(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind in ("drawn", "changed") and isinstance(msg.get("geometry"), dict):
            self.geometry = msg["geometry"]
            if kind == "drawn":
                self.state.setText(self.tr("Shape drawn: say what it is and save it (corners can still be moved)"))
                self.name.setFocus()
            self.save_button.setEnabled(True)
        elif kind == "cancelled":
            self.geometry = None
        elif kind == "picked" and self.window.current_side_widget() is self:
            self.select(str(msg.get("id") or ""))
            self.edit_selected()

    # ------------------------------------------------------------- the list
    def set_zones(self, features: list[dict[str, Any]]) -> None:
        """The zones as `zones.export` gave them (the map's zone layer is drawn from the same list)."""
        self.zones = {f["id"]: f for f in features}
        self._send_zones()
        keep = self.selected_id()
        self.list.blockSignals(True)
        self.list.clear()
        for f in sorted(features, key=lambda f: (f["properties"]["kind"], f["properties"]["name"])):
            p = f["properties"]
            hours = f"  {p['hours']}" if p.get("hours") else ""  # a restriction of some hours: which, at a glance
            item = QListWidgetItem(f"{label(ZONE_KINDS, p['kind'])}: {p['name']}{hours}  (v{p.get('version', 1)})")
            item.setData(Qt.ItemDataRole.UserRole, f["id"])
            self.list.addItem(item)
            if f["id"] == keep:
                item.setSelected(True)
        self.list.blockSignals(False)
        if self.current is not None and self.current["id"] in self.zones:
            self.current = self.zones[self.current["id"]]  # a newer version, ours or someone else's

    def selected_id(self) -> str | None:
        items = self.list.selectedItems()
        return None if not items else str(items[0].data(Qt.ItemDataRole.UserRole))

    def select(self, zone_id: str) -> bool:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == zone_id:
                self.list.setCurrentRow(i)
                return True
        return False

    def _selection_changed(self) -> None:
        zid = self.selected_id()
        if zid is None or zid not in self.zones:
            return
        if self.map_active():
            self.map.run("ConsoleZoneEdit.cancel()")
        self.load(self.zones[zid])

    def map_active(self) -> bool:
        return self._script_loaded and (self.geometry is not None or self.current is not None)

    # ------------------------------------------------------------- the form
    def load(self, f: dict[str, Any]) -> None:
        """Show a zone in the form (its geometry stays as it is until its corners are moved)."""
        p = f["properties"]
        self.current = f
        self.geometry = None
        self.kind.setCurrentIndex(max(0, self.kind.findData(p["kind"])))
        self.name.setText(p.get("name", ""))
        self.width.setValue(float(p.get("width_m") or 60.0))
        self.hours.setText(p.get("hours") or "")
        self.units.setText(", ".join(p.get("units") or []))
        self.speed.setValue(float(p.get("speed_limit_kmh") or 0.0))
        self.state.setText(self.tr("Editing %1 (version %2)").replace("%1", p.get("name", f["id"]))
                           .replace("%2", str(p.get("version", 1))))
        self.message.setText("")
        self.save_button.setEnabled(True)
        self.delete_button.setEnabled(True)
        self.edit_shape.setEnabled(True)
        # one polygon (a terminal's area) or one line (a route)
        self.send_button.setEnabled(f.get("geometry", {}).get("type") in ("Polygon", "LineString"))

    def _reset_form(self) -> None:
        self.current = None
        self.geometry = None
        self.name.clear()
        self.hours.clear()
        self.units.clear()
        self.speed.setValue(0.0)
        self.state.setText(self.tr("Draw a new zone, or pick one (in the list or on the map) to edit it"))
        self.save_button.setEnabled(False)
        self.delete_button.setEnabled(False)
        self.edit_shape.setEnabled(False)
        self.send_button.setEnabled(False)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        for w, show in ((self.width, kind == "route"), (self.units, kind == "patrol_area"),
                        (self.hours, kind == "restricted")):
            w.setVisible(show)
            lab = self.form.labelForField(w)
            if lab is not None:
                lab.setVisible(show)

    def properties(self) -> dict[str, Any]:
        kind = self.kind.currentData()
        props: dict[str, Any] = {"kind": kind, "name": self.name.text().strip()}
        if self.current is not None:
            props.update({k: v for k, v in self.current["properties"].items() if k in KEEP})
        if kind == "route":
            props["width_m"] = self.width.value() or None
        if kind == "restricted" and self.hours.text().strip():
            props["hours"] = self.hours.text().strip()
        if kind == "patrol_area":
            props["units"] = [u.strip() for u in self.units.text().split(",") if u.strip()]
        if self.speed.value() > 0:
            props["speed_limit_kmh"] = self.speed.value()
        return props

    # ------------------------------------------------------------- actions
    def start_drawing(self, shape: str) -> None:
        self._reset_form()
        self.list.clearSelection()
        if shape == "line":
            self.kind.setCurrentIndex(self.kind.findData("route"))
        elif self.kind.currentData() == "route":
            self.kind.setCurrentIndex(self.kind.findData("construction_site"))
        self.state.setText(self.tr("Click the corners on the map; double-click or Enter ends, Esc cancels"))
        self.message.setText("")
        self.map.run(f"ConsoleZoneEdit.draw({json.dumps(shape)})")

    def edit_selected(self) -> None:
        zid = self.selected_id()
        if zid is None or zid not in self.zones:
            return
        self.load(self.zones[zid])
        f = self.zones[zid]
        self.geometry = f["geometry"]
        self.map.run(f"ConsoleZoneEdit.edit({json.dumps(f, ensure_ascii=False)})")
        self.state.setText(self.tr("Move the corners of %1, then save").replace("%1", f["properties"]["name"]))

    def cancel(self) -> None:
        if self._script_loaded:
            self.map.run("ConsoleZoneEdit.cancel()")
        self.list.clearSelection()
        self._reset_form()
        self.message.setText("")

    def save(self) -> None:
        """Ask the page for the shape as it is now, then the core to record the zone."""
        self.map.evaluate("JSON.stringify(window.ConsoleZoneEdit ? ConsoleZoneEdit.geometry() : null)", self._save_with)

    def _save_with(self, text: Any) -> None:
        try:
            geom = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            geom = None
        if geom is None and self.current is not None:
            geom = self.current["geometry"]  # only the form changed
        if geom is None:
            self._refused(self.tr("Draw the zone on the map first"))
            return
        feature: dict[str, Any] = {"type": "Feature", "properties": self.properties(), "geometry": geom}
        args: dict[str, Any] = {"feature": feature}
        if self.current is not None:
            feature["id"] = self.current["id"]
            args["version"] = self.current["properties"].get("version")
        self.save_button.setEnabled(False)
        run_op(self, "zone.save", args, on_done=self._saved, on_refused=self._refused)

    def _saved(self, z: dict[str, Any]) -> None:
        if self._script_loaded:
            self.map.run("ConsoleZoneEdit.cancel()")
        self._reset_form()
        text = self.tr("Zone %1 saved (version %2)").replace("%1", z["name"]).replace("%2", str(z["version"]))
        self.message.setStyleSheet("color:#2e7d32")
        self.message.setText(text)
        self.status_message.emit(text)
        self.saved.emit(z)

    def _refused(self, reason: str) -> None:
        """The core's reason, beside the form; the shape stays on the map to be corrected."""
        self.message.setStyleSheet("color:#b71c1c")
        self.message.setText(reason)
        self.save_button.setEnabled(True)

    def delete_selected(self) -> None:
        zid = self.selected_id() or (self.current or {}).get("id")
        if not zid or zid not in self.zones:
            return
        name = self.zones[zid]["properties"]["name"]
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete zone"),
                          self.tr("Delete zone %1? The replay keeps it as it was.").replace("%1", name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("deleteZoneBox")
        if box.exec() != QMessageBox.StandardButton.Yes:
            return
        self.remove(zid)

    def send_selected(self) -> None:
        zid = self.selected_id() or (self.current or {}).get("id")
        if zid in self.zones:
            from console.alerts.zone_terminals import send_zone

            send_zone(self, self.zones[zid])

    def remove(self, zid: str) -> None:
        def done(_r: Any) -> None:
            self.cancel()
            self.message.setStyleSheet("color:#2e7d32")
            self.message.setText(self.tr("Zone %1 deleted").replace("%1", zid))

        run_op(self, "zone.remove", {"zone_id": zid}, on_done=done, on_refused=self._refused)
