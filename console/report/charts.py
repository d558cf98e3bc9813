"""Charts of the analytics figures drawn with pyqtgraph, for the dashboard and as PNG for the report."""

from __future__ import annotations

from collections.abc import Sequence
from os.path import commonprefix
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice

BAR = "#1565c0"


def distinct_parts(names: Sequence[str]) -> list[str]:
    """Bar labels without what every one of them shares at its start and its end ("柳州市顺达土石方工程有限公司",
    "柳州市鑫城渣土运输有限公司" -> "顺达土石方工程", "鑫城渣土运输"): under a narrow bar only the start
    shows, and it was "柳州市…" for every company. Unchanged for fewer than two names or if one would be empty."""
    if len(names) < 2:
        return list(names)
    head = len(commonprefix(list(names)))
    tail = len(commonprefix([n[::-1] for n in names]))
    cut = [n[head:len(n) - tail] for n in names]
    return cut if all(cut) else list(names)


def bar_plot(plot: Any, labels: Sequence[str], values: Sequence[float], *, colour: str = BAR,
             rotate: bool = False) -> Any:
    """Draw bars with category labels on `plot` (a PlotItem); returns the BarGraphItem. A plot that already
    holds bars keeps its item and only moves them (a live redraw), unless their number changed."""
    ticks = [[(i, str(lb)) for i, lb in enumerate(labels)]]
    item = getattr(plot, "_bars", None)
    if item is not None and item.scene() is not None and len(item.opts["height"]) == len(values):
        item.setOpts(height=list(values), brush=colour)
    else:
        plot.clear()
        item = pg.BarGraphItem(x=list(range(len(values))), height=list(values), width=0.7, brush=colour, pen=None)
        plot.addItem(item)
        plot._bars = item
    axis = plot.getAxis("bottom")
    if getattr(axis, "_ticks_set", None) != ticks:
        axis.setTicks(ticks)
        axis._ticks_set = ticks
    if rotate:
        axis.setStyle(tickTextOffset=4)
    plot.setXRange(-0.6, max(len(values), 1) - 0.4, padding=0)
    top = max([1, *values])
    plot.setYRange(0, top * 1.1, padding=0)
    step = count_step(top)  # the bars are counts: whole-number lines, not 0.2, 0.4...
    plot.getAxis("left").setTickSpacing(major=step, minor=step)
    plot.showGrid(y=True, alpha=0.25)
    return item


def count_step(top: float) -> int:
    """The step between the lines of a count axis reaching `top`: 1, 2 or 5 times a power of ten, at most five
    lines above zero."""
    scale = 1
    while True:
        for s in (1, 2, 5):
            if top <= 5 * s * scale:
                return s * scale
        scale *= 10


def heat_plot(plot: Any, grid: Sequence[Sequence[int]]) -> Any:
    """Day-of-week x hour-of-day counts as an image (darker: more)."""
    import numpy as np

    a = np.array(grid, dtype=float).T  # x = hour, y = weekday
    img = getattr(plot, "_heat", None)
    if img is not None and img.scene() is not None:
        img.setImage(a)
        return img
    plot.clear()
    plot._bars = None
    img = pg.ImageItem(a)
    img.setColorMap(pg.colormap.get("viridis"))
    plot.addItem(img)
    plot._heat = img
    plot.getAxis("left").setTicks([[(i + 0.5, d) for i, d in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                                                        "Sun"))]])
    plot.getAxis("bottom").setTicks([[(h + 0.5, str(h)) for h in range(0, 24, 3)]])
    return img


def png(draw: Any, *, width: int = 760, height: int = 300) -> bytes:
    """Render a chart (a function drawing on a PlotItem) to PNG bytes with pyqtgraph's exporter."""
    from pyqtgraph.exporters import ImageExporter

    w = pg.PlotWidget(background="w")
    w.resize(width, height)
    draw(w.getPlotItem())
    ex = ImageExporter(w.getPlotItem())
    ex.parameters()["width"] = width
    ex.parameters()["height"] = height
    img = ex.export(toBytes=True)
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    w.deleteLater()
    return bytes(ba.data())
