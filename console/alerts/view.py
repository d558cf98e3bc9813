"""The Alerts view: the Alerts, Zones and Truck tabs installed in a MainWindow, the zones and alerts on the map
(the package's docstring, console/alerts/__init__.py, says what they do)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

from console.alerts.describe import unit_text
from console.alerts.panel import AlertsPanel
from console.alerts.truck_card import TruckCard
from console.alerts.words import RULES, ZONE_KINDS, label
from console.alerts.zone_editor import ZoneEditor
from console.incidents.common import run_op

__all__ = ["AlertsView", "install"]

ZONES_JS = Path(__file__).resolve().parents[2] / "resources" / "map" / "zones.js"


class AlertsView(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.panel = AlertsPanel(window)
        window.add_side_tab(self.panel, self.tr("Alerts"), "alerts")
        self._lock = threading.Lock()
        self._zones_dirty = True
        self._script_loaded = False
        self.zones: list[dict[str, Any]] = []
        self.panel.alerts_loaded.connect(self._push_alerts)
        self.panel.status_message.connect(lambda m: window.statusBar().showMessage(m, 8000))
        self.panel.show_on_map.connect(self._centre)
        self.editor = ZoneEditor(window)
        window.add_side_tab(self.editor, self.tr("Zones"), "zones")
        self.editor.status_message.connect(lambda m: window.statusBar().showMessage(m, 8000))
        self.card = TruckCard(window)
        window.add_side_tab(self.card, self.tr("Truck"), "truck")
        self.card.show_on_map.connect(self._centre)
        window.map.unit_clicked.connect(lambda uid: self._unit_selected(uid, from_map=True))
        window.board.unit_selected.connect(lambda uid: self._unit_selected(uid, from_map=False))
        window.core.subscribe(self.card.note_changes)
        window.map.ready.connect(self._on_map_ready)
        if getattr(window.map, "is_ready", False):
            self._on_map_ready()
        window.core.subscribe(self._on_core_changes)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.timer.start(500)

    def _on_core_changes(self, changes: Any) -> None:  # any thread: flags only
        self.panel.note_changes(changes)
        if any(e.startswith("zone") for e in changes.entities):
            with self._lock:
                self._zones_dirty = True

    def _unit_selected(self, unit_id: str, *, from_map: bool) -> None:
        """A truck picked on the map opens its card; picked in the unit board, the card follows quietly."""
        try:
            u = self.window.core.state.units.get(unit_id)
        except AttributeError:
            u = None
        if u is None or str(getattr(u.kind, "value", u.kind)) != "truck":
            return
        self.card.show_unit(unit_id)
        if from_map:
            self.window.show_side_tab("truck")

    def _on_map_ready(self) -> None:
        self.window.map.run(ZONES_JS.read_text(encoding="utf-8"))
        self.editor.on_map_ready()
        self._script_loaded = True
        with self._lock:
            self._zones_dirty = True
        self._push_alerts(self.panel.alerts)

    def _tick(self) -> None:
        with self._lock:
            dirty, self._zones_dirty = self._zones_dirty, False
        if dirty:
            run_op(self.panel, "zones.export", {}, on_done=self._push_zones, quiet=True)

    def _push_zones(self, fc: dict[str, Any]) -> None:
        self.zones = fc["features"]
        self.editor.set_zones(self.zones)
        self.card.zones = self.zones
        for f in self.zones:
            p = f["properties"]
            p["label"] = f"{label(ZONE_KINDS, p['kind'])}: {p['name']}"
        if self._script_loaded:
            self.window.map.run(f"ConsoleZones.update({json.dumps(self.zones, ensure_ascii=False)})")

    def _push_alerts(self, alerts: list[dict[str, Any]]) -> None:
        if not self._script_loaded:
            return
        items = [{"lat": a["lat"], "lon": a["lon"], "severity": a["severity"], "active": a["state"] == "open",
                  "rule": a["rule"], "label": f"{label(RULES, a['rule'])} · {unit_text(a)}"}
                 for a in alerts if a["state"] in ("open", "acknowledged")]
        self.window.map.run(f"ConsoleAlerts.update({json.dumps(items, ensure_ascii=False)})")

    def _centre(self, lat: float, lon: float) -> None:
        self.window.map.run(f"window.consoleMap && window.consoleMap.setView([{lat:.7f},{lon:.7f}], 16)")

    def close(self) -> None:
        self.timer.stop()
        self.window.core.unsubscribe(self._on_core_changes)
        self.window.core.unsubscribe(self.card.note_changes)
        self.card.poll.stop()


def install(window: Any) -> AlertsView:
    return AlertsView(window)
