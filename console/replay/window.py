"""The replay window: a timeline of a shift or a day, a scrubber, play at 1x..120x, the map at that time.

It reads a `dispatch.replay.Recording` (the live store, or an exported replay file) and never
writes: the live console beside it keeps running. Seeking asks the recording for every unit's
last fix at the replay time (one index seek per unit) and pushes one batch of rows to its own
map page; the unit board, the incident list and the event log follow the same clock.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.incidents.common import category_label, event_kind_label, state_label
from console.map.view import MapView, unit_row
from console.replay.goto import GoTo, day_around
from console.replay.timeline import Timeline
from console.tables import fit_columns
from console.unit_board import UnitBoard
from dispatch.model import Position, Unit, UnitKind
from dispatch.record.replay import Recording, marker_class

log = logging.getLogger(__name__)

SPEEDS = (1, 2, 5, 10, 30, 60, 120)
_pages = 0


class ReplayWindow(QMainWindow):
    """Replays a recording between `window` = (t1, t2); `seek(t)`, `play(speed)`, `pause()`."""

    time_changed = Signal(float)
    clock_changed = Signal(float, bool, float)  # (replay time, playing, speed): the footage follows it

    def __init__(self, recording: Recording, *, lang: str = "en", window: tuple[float, float] | None = None,
                 city_geojson: dict[str, Any] | None = None, stale_after: float = 60.0, trail_minutes: float = 5.0,
                 title_suffix: str = "", tick_ms: int = 100, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        global _pages
        _pages += 1
        self.rec = recording
        self.stale_after = stale_after
        self.trail_minutes = trail_minutes
        self.setWindowTitle(self.tr("Replay") + (f" — {title_suffix}" if title_suffix else ""))
        self.resize(1500, 900)
        span = recording.span()
        self.full_span = span or (time.time() - 3600, time.time())
        self.t1, self.t2 = window or self.full_span
        if self.t2 <= self.t1:
            self.t2 = self.t1 + 1.0
        self.t = self.t1
        self.speed = 60
        self.playing = False
        self.unit_filter = ""
        self._shown: set[str] = set()
        self._last_trails = 0.0
        self.last_positions: list[Any] = []

        if city_geojson is None:
            from dispatch.city.data import load_city

            city_geojson = load_city().geojson()
        self.map = MapView(city_geojson, lang=lang, page_name=f"replay-{_pages}.html", parent=self)
        self._markers: list[dict[str, Any]] | None = None  # the incident markers last drawn
        self.map.ready.connect(self._map_ready)
        self.timeline = Timeline(self)
        self.timeline.seek_requested.connect(self.seek)

        # ---- controls
        self.play_button = QPushButton(self.tr("Play"), self)
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(lambda on: self.play() if on else self.pause())
        self.prev_button = QPushButton(self.tr("◀ Previous event"), self)
        self.next_button = QPushButton(self.tr("Next event ▶"), self)
        self.prev_button.clicked.connect(self.previous_event)
        self.next_button.clicked.connect(self.next_event)
        self.speed_box = QComboBox(self)
        for s in SPEEDS:
            self.speed_box.addItem(f"{s}x", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(60))
        self.speed_box.currentIndexChanged.connect(lambda _i: self.set_speed(int(self.speed_box.currentData())))
        self.range_box = QComboBox(self)
        self.range_box.addItem(self.tr("Whole recording"), "all")
        self.range_box.addItem(self.tr("Last hour"), 3600.0)
        self.range_box.addItem(self.tr("Last shift (8 h)"), 8 * 3600.0)
        self.range_box.addItem(self.tr("Last day (24 h)"), 24 * 3600.0)
        if window is not None and window != self.full_span:
            self.range_box.insertItem(0, self.tr("Chosen window"), "chosen")
        self.range_box.setCurrentIndex(0)
        self._chosen = (self.t1, self.t2)
        self.range_box.currentIndexChanged.connect(self._on_range)
        self.units_edit = QLineEdit(self)
        self.units_edit.setPlaceholderText(self.tr("Units: all (or ids or names, comma-separated)"))
        self.units_edit.editingFinished.connect(self._on_units)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 10000)
        self.slider.sliderMoved.connect(lambda v: self.seek(self.t1 + (self.t2 - self.t1) * v / 10000))
        self.clock_label = QLabel(self)
        self.clock_label.setObjectName("replayClock")
        self.goto = GoTo(self)
        self.goto.chosen.connect(self.go_to)
        self.message = QLabel(self)
        theme.tone(self.message, "error_text")
        self._clamped = False  # the message says a seek went outside the recording: the next seek clears it

        bar = self.bar = QHBoxLayout()
        for w in (self.range_box, self.prev_button, self.play_button, self.next_button, self.speed_box,
                  self.units_edit, self.clock_label, self.goto):
            bar.addWidget(w)
        bar.addStretch(1)

        # ---- side panels
        self.log = QTableWidget(0, 4, self)
        self.log.setObjectName("replayLog")
        self.log.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Actor"), self.tr("Kind"), self.tr("Entity")])
        self.log.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.log.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.log.verticalHeader().setVisible(False)
        fit_columns(self.log, stretch=3)
        self.log.cellClicked.connect(self._on_log_clicked)
        self.board = UnitBoard(stale_after, self)
        self.incidents = QTableWidget(0, 3, self)
        self.incidents.setHorizontalHeaderLabels([self.tr("Incident"), self.tr("State"), self.tr("Summary")])
        self.incidents.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.incidents.verticalHeader().setVisible(False)
        fit_columns(self.incidents, stretch=2)
        self.side = QTabWidget(self)
        self.side.addTab(self.log, self.tr("Event log"))
        self.side.addTab(self.board, self.tr("Units"))
        self.side.addTab(self.incidents, self.tr("Incidents"))
        from console.replay.footage import ReplayFootage

        self.footage = ReplayFootage(self)
        self.side.addTab(self.footage, self.tr("Footage"))
        self.clock_changed.connect(self.footage.follow)
        self.incidents.cellClicked.connect(
            lambda row, _c: self.footage.incident.setText((self.incidents.item(row, 0) or QTableWidgetItem()).text()))
        self.board.unit_selected.connect(lambda uid: self.map.select(uid, centre=True))

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.map)
        split.addWidget(self.side)
        split.setSizes([1050, 450])
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split, 1)
        lay.addWidget(self.timeline)
        lay.addWidget(self.slider)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        self.setCentralWidget(central)

        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self._tick)
        self._last_tick = time.monotonic()
        self._load_window()
        if span is None:
            self.message.setText(self.tr("This recording is empty: nothing to replay."))

    def _map_ready(self) -> None:
        self._markers = None  # a new page: draw the markers again
        self.seek(self.t, force=True)

    # ------------------------------------------------------------ window
    def _on_range(self, _i: int) -> None:
        data = self.range_box.currentData()
        lo, hi = self.full_span
        if data == "chosen":
            self.t1, self.t2 = self._chosen
        elif data == "all":
            self.t1, self.t2 = lo, hi
        else:
            self.t1, self.t2 = max(lo, hi - float(data)), hi
        self._load_window()
        self.seek(min(max(self.t, self.t1), self.t2), force=True)

    def _load_window(self) -> None:
        self.rec.all_events(refresh=True)
        self.window_events = self.rec.events(self.t1, self.t2)
        edges, counts = self.rec.density(self.t1, self.t2, bins=200)
        marks: dict[str, list[float]] = {}
        for ev in self.window_events:
            k = marker_class(ev.kind)
            if k:
                marks.setdefault(k, []).append(ev.ts)
        self.timeline.set_data(self.t1, self.t2, edges, counts, marks)
        self.log.setRowCount(len(self.window_events))
        one_day = _local(self.t1)[:10] == _local(self.t2)[:10]
        for i, ev in enumerate(self.window_events):
            when = _local(ev.ts)[11:] if one_day else _local(ev.ts)[5:]  # the time of day first
            tip = f"{_local(ev.ts)}  {ev.kind}\n{json.dumps(ev.payload, ensure_ascii=False)[:500]}"
            for j, v in enumerate((when, ev.actor, event_kind_label(ev.kind), ev.entity or "")):
                item = QTableWidgetItem(v)
                item.setForeground(QBrush(theme.colour("closed_fg")))  # after the replay clock until it passes
                item.setToolTip(tip)
                self.log.setItem(i, j, item)
        self._event_ts = [ev.ts for ev in self.window_events]
        self._log_upto = -1

    def _on_units(self) -> None:
        self.unit_filter = self.units_edit.text().strip()
        self.seek(self.t, force=True)

    def _units(self) -> list[str] | None:
        if not self.unit_filter:
            return None
        wanted = [w.strip().lower() for w in self.unit_filter.replace("，", ",").split(",") if w.strip()]
        names = {u: (x.name or "").lower() for u, x in self.rec.state_at(self.t).units.items()}  # 巡逻艇01, 王伟
        return [u for u in self.rec.units() if any(w in u.lower() or w in names.get(u, "") for w in wanted)]

    # ------------------------------------------------------------- clock
    def set_speed(self, speed: int) -> None:
        self.speed = speed
        i = self.speed_box.findData(speed)
        if i >= 0 and i != self.speed_box.currentIndex():
            self.speed_box.setCurrentIndex(i)
        self.clock_changed.emit(self.t, self.playing, float(self.speed))

    def play(self, speed: int | None = None) -> None:
        if speed is not None:
            self.set_speed(speed)
        if self.t >= self.t2:
            self.seek(self.t1)
        self.playing = True
        self._last_tick = time.monotonic()
        self.timer.start()
        self.play_button.blockSignals(True)
        self.play_button.setChecked(True)
        self.play_button.setText(self.tr("Pause"))
        self.play_button.blockSignals(False)
        self.clock_changed.emit(self.t, True, float(self.speed))

    def pause(self) -> None:
        self.playing = False
        self.timer.stop()
        self.play_button.blockSignals(True)
        self.play_button.setChecked(False)
        self.play_button.setText(self.tr("Play"))
        self.play_button.blockSignals(False)
        self.clock_changed.emit(self.t, False, float(self.speed))

    def _tick(self) -> None:
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        t = self.t + dt * self.speed
        if t >= self.t2:
            self.seek(self.t2)
            self.pause()
            return
        self.seek(t)

    def next_event(self) -> None:
        t = self.rec.next_event_time(self.t)
        if t is not None and t <= self.t2:
            self.seek(t)

    def previous_event(self) -> None:
        t = self.rec.previous_event_time(self.t)
        if t is not None and t >= self.t1:
            self.seek(t)

    def _on_log_clicked(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.window_events):
            self.seek(self.window_events[row].ts)

    def go_to(self, t: float) -> None:
        """The moment the "Go to" box asks for: a seek within the window on show, else the day around it."""
        lo, hi = self.full_span
        if not lo <= t <= hi:
            self._clamped = True
            self.message.setText(self.tr("Nothing is recorded at %1: the recording runs from %2 to %3.")
                                 .replace("%1", _local(t)).replace("%2", _local(lo)).replace("%3", _local(hi)))
            self.goto.show_time(self.t)
            return
        if not self.t1 <= t <= self.t2:
            self._chosen = day_around(t, self.full_span)
            if self.range_box.findData("chosen") < 0:
                self.range_box.insertItem(0, self.tr("Chosen window"), "chosen")
            if self.range_box.currentData() == "chosen":
                self._on_range(0)
            else:
                self.range_box.setCurrentIndex(self.range_box.findData("chosen"))
        self.seek(t, force=True)

    # -------------------------------------------------------------- seek
    def seek(self, t: float, *, force: bool = False) -> None:
        """Show everything as it was at `t` (clamped to the window; a time outside it is said so)."""
        if t < self.t1 or t > self.t2:
            self._clamped = True
            self.message.setText(self.tr("%1 is outside the recording; showing its nearest end.")
                                 .replace("%1", _local(t)))
            t = min(max(t, self.t1), self.t2)
        elif self._clamped and not self.playing:
            self.message.clear()  # what a seek said goes with the next seek; an export's outcome stays
            self._clamped = False
        moved = t != self.t
        self.t = t
        self.timeline.set_cursor(t)
        self.slider.blockSignals(True)
        self.slider.setValue(int(round((t - self.t1) / (self.t2 - self.t1) * 10000)))
        self.slider.blockSignals(False)
        self.clock_label.setText(self.tr("Replay time: %1").replace("%1", _local(t, seconds=True)))
        self.goto.show_time(t)
        self._draw(t, force or moved)
        self.time_changed.emit(t)
        self.clock_changed.emit(t, self.playing, float(self.speed))

    def _draw(self, t: float, full: bool) -> None:
        units = self._units()
        fixes = self.rec.positions_at(t, units, fresh_units=False)
        self.last_positions = fixes
        state = self.rec.state_at(t)
        known = state.units
        rows, dicts = [], []
        for f in fixes:
            u = known.get(f.unit_id) or Unit(f.unit_id, f.unit_id, UnitKind.PATROL_BOAT)
            pos = Position(f.lat, f.lon, f.ts, f.speed, f.course, f.source)
            shown = dataclasses.replace(u, position=pos)
            stale = t - f.ts > self.stale_after
            row = unit_row(shown, stale)
            if f.unit_id not in known:
                row[4] = 4  # a contact with no registration: drawn as AIS
            rows.append(row)
            dicts.append(shown.as_dict(t))
        ids = {r[0] for r in rows}
        gone = self._shown - ids
        self._shown = ids
        if self.map.is_ready:
            if gone:
                self.map.run(f"ConsoleUnits.remove({json.dumps(sorted(gone))})")
            # Plain rows (ConsoleUnits.update), not the live packed path: a replay redraws at most a few
            # times a second, keeps full precision, and may drop units (before their first fix).
            self.map.run(f"ConsoleUnits.update({json.dumps(rows, ensure_ascii=False)},0)")
            now = time.monotonic()
            # trails cost a range scan for a large fleet: redrawn less often while playing
            every = 0.5 if len(rows) <= 200 else 3.0
            if full or not self.playing or now - self._last_trails > every:
                self._last_trails = now
                trails = self.rec.trails(t, self.trail_minutes, [r[0] for r in rows])
                self.map.run(f"ConsoleUnits.setTrails && ConsoleUnits.setTrails({json.dumps(trails)})")
        for u in known.values():  # registered units with no fix yet still belong on the board
            if u.id not in ids:
                dicts.append(u.as_dict(t))
        self.board.model.update_units(dicts, t)
        self._follow_log(t)
        self._show_incidents(state, t)

    def _follow_log(self, t: float) -> None:
        """Events up to the replay clock in black, later ones grey; the last one selected."""
        import bisect

        upto = bisect.bisect_right(self._event_ts, t) - 1
        if upto == self._log_upto:
            return
        lo, hi = sorted((upto, self._log_upto))
        past, future = QBrush(theme.colour("text")), QBrush(theme.colour("closed_fg"))
        for i in range(max(0, lo + 1), min(len(self._event_ts), hi + 1)):
            for j in range(4):
                item = self.log.item(i, j)
                if item is not None:
                    item.setForeground(past if i <= upto else future)
        self._log_upto = upto
        if upto >= 0:
            self.log.selectRow(upto)
            self.log.scrollToItem(self.log.item(upto, 0))
        else:
            self.log.clearSelection()

    def _show_incidents(self, state: Any, t: float) -> None:
        """The incidents as they were at `t`: in the list (as the live queue words them) and on the map."""
        book = state.ext.get("incidents")
        items = getattr(book, "items", None) or {}
        rows, markers = [], []
        for iid, inc in sorted(items.items()):
            st = getattr(inc, "state", "")
            st = str(getattr(st, "value", st))
            cat = getattr(inc, "category", "") or ""
            text = getattr(inc, "text", "") or getattr(inc, "address", "") or ""
            unit = getattr(inc, "unit_id", None) or ""
            u = state.units.get(unit) if unit else None
            who = (u.name if u is not None and u.name else unit)
            rows.append((f"#{iid}", state_label(st), f"{category_label(cat)} {text} {who}".strip()))
            is_open = bool(getattr(inc, "is_open", True))
            markers.append({"id": iid, "lat": inc.lat, "lon": inc.lon, "priority": inc.priority, "state": st,
                            "overdue": bool(getattr(inc, "overdue", False)) and is_open, "open": is_open,
                            "label": f"#{iid} {inc.priority} {category_label(cat)} · {state_label(st)}"})
        self.incidents.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                self.incidents.setItem(i, j, QTableWidgetItem(v))
        if markers != self._markers:
            self._markers = markers
            self.map.push_incidents(markers)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.timer.stop()
        self.footage.close_all()
        super().closeEvent(event)


def _local(ts: float, seconds: bool = True) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%H:%M")
