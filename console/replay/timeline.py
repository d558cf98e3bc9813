"""The replay's timeline: event density as bars, a marker row per kind of event, and the cursor to drag."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

MARKER_STYLE = {  # class -> (y, colour, symbol)
    "incident": (-0.6, "#d32f2f", "o"),
    "assignment": (-1.2, "#1565c0", "t"),
    "alert": (-1.8, "#ef6c00", "d"),
}


class Timeline(pg.PlotWidget):
    """Event density as bars, markers per kind, and a draggable cursor (the scrubber)."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.setBackground("w")
        self.setMouseEnabled(x=True, y=False)
        self.hideAxis("left")
        self.setMinimumHeight(120)
        self.bars = pg.BarGraphItem(x0=[], height=[], width=1.0, brush=pg.mkBrush("#90a4ae"), pen=None)
        self.addItem(self.bars)
        self.markers = {k: pg.ScatterPlotItem(size=8, brush=pg.mkBrush(c), pen=None, symbol=s)
                        for k, (_y, c, s) in MARKER_STYLE.items()}
        for item in self.markers.values():
            self.addItem(item)
        self.cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#c62828", width=2))
        self.addItem(self.cursor)
        self.cursor.sigDragged.connect(lambda line: self.seek_requested.emit(float(line.value())))
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_data(self, t1: float, t2: float, edges: list[float], counts: list[int],
                 marks: dict[str, list[float]]) -> None:
        width = (edges[1] - edges[0]) if len(edges) > 1 else max(1.0, t2 - t1)
        top = max(counts, default=0) or 1
        self.bars.setOpts(x0=edges, height=[c / top * 3.0 for c in counts], width=width)
        for k, item in self.markers.items():
            xs = marks.get(k, [])
            item.setData(x=xs, y=[MARKER_STYLE[k][0]] * len(xs))
        self.setXRange(t1, t2, padding=0.01)
        self.setYRange(-2.2, 3.2, padding=0)
        self.cursor.setBounds((t1, t2))

    def set_cursor(self, t: float) -> None:
        self.cursor.blockSignals(True)
        self.cursor.setValue(t)
        self.cursor.blockSignals(False)

    def _clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.getPlotItem().vb
        if vb.sceneBoundingRect().contains(ev.scenePos()):
            self.seek_requested.emit(float(vb.mapSceneToView(ev.scenePos()).x()))
