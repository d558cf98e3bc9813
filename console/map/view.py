"""The live map widget: the folium page in a QWebEngineView, fed by batched JavaScript calls."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from console.map.pagecache import map_html
from console.map.scheme import SCHEME, OfflineGuard, SchemeHandler, url

log = logging.getLogger(__name__)

KIND_INDEX = {"patrol_boat": 0, "cleaning_vessel": 1, "officer": 2, "truck": 3, "ais": 4}
STATUS_INDEX = {"available": 0, "assigned": 1, "busy": 2, "out_of_service": 3}


class _Bridge(QObject):
    """What the page may call: nothing but these slots."""

    unit_clicked = Signal(str)
    page_ready = Signal()
    incident_clicked = Signal(int)
    context_menu = Signal(float, float)  # lat, lon of a right-click
    polygon_drawn = Signal(list)  # [[lat, lon], ...]
    zone_event = Signal(dict)  # from resources/map/zoneedit.js: {type: drawn|changed|cancelled|picked, ...}

    @Slot(str)
    def zoneEvent(self, message: str) -> None:  # noqa: N802 (called from JS, zoneedit.js)
        try:
            msg = json.loads(message)
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            log.warning("map: bad zone event from the page: %.80s", message)
            return
        self.zone_event.emit(msg)

    @Slot(str)
    def unitClicked(self, unit_id: str) -> None:  # noqa: N802 (called from JS)
        self.unit_clicked.emit(unit_id)

    @Slot()
    def pageReady(self) -> None:  # noqa: N802 (called from JS)
        self.page_ready.emit()

    @Slot(int)
    def incidentClicked(self, incident_id: int) -> None:  # noqa: N802 (called from JS, incidents.js)
        self.incident_clicked.emit(int(incident_id))

    @Slot(float, float)
    def mapContextMenu(self, lat: float, lon: float) -> None:  # noqa: N802 (called from JS, incidents.js)
        self.context_menu.emit(float(lat), float(lon))

    @Slot(str)
    def polygonDrawn(self, points_json: str) -> None:  # noqa: N802 (called from JS, incidents.js)
        try:
            pts = [[float(a), float(b)] for a, b in json.loads(points_json)]
        except (ValueError, TypeError):
            log.warning("map: bad polygon from the page: %.80s", points_json)
            return
        self.polygon_drawn.emit(pts)


class _Page(QWebEnginePage):
    def javaScriptConsoleMessage(self, level: Any, message: str, line: int, source: str) -> None:  # noqa: N802
        log.info("map js %s:%s %s", source, line, message)


_profile: QWebEngineProfile | None = None
_handler: SchemeHandler | None = None
_guard: OfflineGuard | None = None


def shared_profile() -> tuple[QWebEngineProfile, SchemeHandler, OfflineGuard]:
    """One off-the-record profile for every map in the process, with the app:// handler and guard."""
    global _profile, _handler, _guard
    if _profile is None:
        _profile = QWebEngineProfile()  # off the record: no disk cache, nothing persisted
        _handler = SchemeHandler(_profile)
        _guard = OfflineGuard(_profile)
        _profile.installUrlSchemeHandler(SCHEME, _handler)
        _profile.setUrlRequestInterceptor(_guard)
    assert _handler is not None and _guard is not None
    return _profile, _handler, _guard


class MapView(QWebEngineView):
    unit_clicked = Signal(str)
    ready = Signal()
    incident_clicked = Signal(int)
    context_menu = Signal(float, float)  # right-click at lat, lon (the page's own menu is suppressed)
    polygon_drawn = Signal(list)  # [[lat, lon], ...] from ConsoleDraw
    zone_event = Signal(dict)  # drawing and editing zones (resources/map/zoneedit.js)

    def __init__(self, city_geojson: dict[str, Any], *, lang: str = "zh_CN", tiles_url: str | None = None,
                 page_name: str = "map.html", parent: QWidget | None = None, basemap: Any = None,
                 theme: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        profile, handler, guard = shared_profile()
        self.guard = guard
        self.handler = handler
        if tiles_url:
            guard.allowed_hosts.add(QUrl(tiles_url.replace("{s}", "a")).host())
        self._page = _Page(profile, self)
        self.setPage(self._page)
        s = self._page.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False)
        s.setAttribute(QWebEngineSettings.WebAttribute.ErrorPageEnabled, False)
        self._bridge = _Bridge(self)
        self._channel = QWebChannel(self)
        self._channel.registerObject("bridge", self._bridge)
        self._page.setWebChannel(self._channel)
        self._bridge.unit_clicked.connect(self.unit_clicked)
        self._bridge.page_ready.connect(self._on_ready)
        self._bridge.incident_clicked.connect(self.incident_clicked)
        self._bridge.context_menu.connect(self.context_menu)
        self._bridge.polygon_drawn.connect(self.polygon_drawn)
        self._bridge.zone_event.connect(self.zone_event)
        self.is_ready = False
        self._queued: list[list[Any]] = []
        self._slots: dict[str, int] = {}  # unit id -> slot in the page
        self._labels: dict[str, str | None] = {}
        if basemap is not None:
            handler.basemap = basemap
        self.theme = theme
        handler.pages[page_name] = map_html(city_geojson, lang=lang, tiles_url=tiles_url,
                                            basemap=basemap, theme=theme).encode("utf-8")
        if theme is not None:
            self._page.setBackgroundColor(QColor(theme.get("page", "#ffffff")))  # no white flash at night
        self.load(QUrl(url(page_name)))

    def set_theme(self, palette: dict[str, Any]) -> None:
        """Day or night (console.theme.map_palette): the page restyles itself, nothing is reloaded."""
        self.theme = palette
        self._page.setBackgroundColor(QColor(palette.get("page", "#ffffff")))
        self._page.runJavaScript(f"window.ConsoleTheme && ConsoleTheme.apply({json.dumps(palette)})")

    def fit_city(self) -> None:
        """The whole city in view (the wall); at once if the page is ready, else once it is."""
        if self.is_ready:
            self.run("ConsoleTheme.fitCity()")
        else:
            self.ready.connect(lambda: self.run("ConsoleTheme.fitCity()"))

    def _on_ready(self) -> None:
        self.is_ready = True
        if self._queued:
            batch, self._queued = self._queued, []
            self.push_rows(batch)
        self.ready.emit()

    # ---------------------------------------------------------------- pushes
    def push_rows(self, rows: list[list[Any]], *, measure: bool = False) -> None:
        """Send one batch of unit rows (see units.js for the layout) in a single JS call."""
        if not self.is_ready:
            self._queued.extend(rows)
            return
        new = [r for r in rows if r[0] not in self._slots or (len(r) > 7 and r[7] is not None
                                                               and self._labels.get(r[0]) != r[7])]
        if new:  # ids and labels travel once; positions travel packed
            defs = []
            for r in new:
                slot = self._slots.setdefault(r[0], len(self._slots))
                label = r[7] if len(r) > 7 else None
                self._labels[r[0]] = label
                defs.append([slot, r[0], label])
            self._page.runJavaScript(f"ConsoleUnits.define({json.dumps(defs, ensure_ascii=False)})")
        sent = int(time.time() * 1000) if measure else 0
        self._page.runJavaScript(f"ConsoleUnits.updatePacked('{pack_rows(rows, self._slots)}',{sent})")

    def clear(self) -> None:
        """Remove every unit from the page (the slot table starts again)."""
        self._slots.clear()
        self._labels.clear()
        self._queued.clear()
        if self.is_ready:
            self._page.runJavaScript("ConsoleUnits.clear()")

    def remove(self, unit_ids: list[str]) -> None:
        """Remove some units; the others keep their slots, so packed updates keep reaching them."""
        gone = set(unit_ids)
        for uid in gone:
            self._slots.pop(uid, None)
            self._labels.pop(uid, None)
        self._queued = [r for r in self._queued if r[0] not in gone]
        if self.is_ready:
            self._page.runJavaScript(f"ConsoleUnits.remove({json.dumps(sorted(gone), ensure_ascii=False)})")

    def select(self, unit_id: str, centre: bool = True) -> None:
        if self.is_ready:
            self._page.runJavaScript(f"ConsoleUnits.select({json.dumps(unit_id)},{'true' if centre else 'false'})")

    def push_incidents(self, items: list[dict[str, Any]]) -> None:
        """Replace the incident markers (see incidents.js for the item layout); dropped until ready."""
        if self.is_ready:
            self._page.runJavaScript(f"ConsoleIncidents.update({json.dumps(items, ensure_ascii=False)})")

    def push_tasks(self, items: list[dict[str, Any]]) -> None:
        """Replace the cleaning-task areas (GeoJSON, shaded by coverage)."""
        if self.is_ready:
            self._page.runJavaScript(f"ConsoleTasks.update({json.dumps(items, ensure_ascii=False)})")

    def push_density(self, cells: list[list[float]]) -> None:
        """The incident density layer: [[south, west, north, east, count], ...] (empty: hidden)."""
        self.run(f"ConsoleDensity.update({json.dumps(cells)})")

    def select_incident(self, incident_id: int, centre: bool = True) -> None:
        if self.is_ready:
            self._page.runJavaScript(f"ConsoleIncidents.select({int(incident_id)},{'true' if centre else 'false'})")

    def start_drawing(self) -> None:
        """Polygon drawing: clicks add corners, a double-click ends it (-> polygon_drawn)."""
        if self.is_ready:
            self._page.runJavaScript("ConsoleDraw.start()")

    def cancel_drawing(self) -> None:
        if self.is_ready:
            self._page.runJavaScript("ConsoleDraw.cancel()")

    def evaluate(self, script: str, callback: Callable[[Any], None]) -> None:
        self._page.runJavaScript(script, 0, callback)

    def run(self, script: str) -> None:
        self._page.runJavaScript(script)


def pack_rows(rows: list[list[Any]], slots: dict[str, int]) -> str:
    """Rows to the page's packed form: base64 of little-endian int32 quintets (see units.js updatePacked).

    Column-wise with numpy: a 5,000-unit batch packs in about a millisecond.
    """
    n = len(rows)
    cols = list(zip(*rows, strict=False)) if n else [()] * 7  # rows: [id, lat, lon, course, kind, status, stale, ...]
    a = np.empty((n, 5), dtype="<i4")
    a[:, 0] = [slots[u] for u in cols[0]]
    a[:, 1] = np.rint(np.array(cols[1], dtype=float) * 1e6)
    a[:, 2] = np.rint(np.array(cols[2], dtype=float) * 1e6)
    course = np.array(cols[3], dtype=float)  # None becomes NaN: no heading
    a[:, 3] = np.where(np.isnan(course), -1, np.rint(np.nan_to_num(course) * 10) % 3600)
    a[:, 4] = (np.array(cols[4], dtype="<i4") | (np.array(cols[5], dtype="<i4") << 3)
               | (np.array(cols[6], dtype=bool).astype("<i4") << 5))
    return base64.b64encode(a.tobytes()).decode("ascii")


def unit_row(unit: Any, stale: bool, label: bool = True) -> list[Any]:
    p = unit.position
    return [
        unit.id,
        round(p.lat, 7),
        round(p.lon, 7),
        None if p.course is None else round(p.course, 1),
        KIND_INDEX.get(str(unit.kind), 4),
        STATUS_INDEX.get(str(unit.status), 0),
        1 if stale else 0,
        unit.name if label else None,
    ]


def rows_for(units: Iterable[Any], is_stale: Callable[[Any], bool]) -> list[list[Any]]:
    return [unit_row(u, is_stale(u)) for u in units if u.position is not None]
