"""The video wall's live counters above the map (`--wall`): units, open incidents by priority, overdue cases,
alerts. The figures are the core's (`analytics.live`, dispatch/analytics/live.py); this widget only shows them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from console.incidents.common import run_op

REFRESH_MS = 2000


class WallCounters(QWidget):
    def __init__(self, window: Any, *, refresh_ms: int = REFRESH_MS) -> None:
        super().__init__(window)
        self.setObjectName("wallCounters")
        self.figures: dict[str, QLabel] = {}
        self.counts: dict[str, Any] | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(16, 6, 16, 6)
        grid.setHorizontalSpacing(28)
        cells = [("units", self.tr("Units on duty")), ("available", self.tr("Available")),
                 ("P1", "P1"), ("P2", "P2"), ("P3", "P3"), ("P4", "P4"),
                 ("overdue", self.tr("Overdue")), ("alerts", self.tr("Open alerts"))]
        for col, (key, caption) in enumerate(cells):
            figure = QLabel("—", self)
            figure.setObjectName(f"wall-{key}")
            figure.setProperty("wall", "zero")
            cap = QLabel(caption if key[0] != "P" else self.tr("Open %1").replace("%1", key), self)
            cap.setProperty("wall", "caption")
            grid.addWidget(figure, 0, col)
            grid.addWidget(cap, 1, col)
            self.figures[key] = figure
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(refresh_ms)
        self._loading = False
        self.refresh()

    def refresh(self) -> None:
        if self._loading:
            return
        self._loading = True

        def done(counts: dict[str, Any]) -> None:
            self._loading = False
            self.show_counts(counts)

        def failed(_msg: str) -> None:
            self._loading = False

        run_op(self, "analytics.live", {}, on_done=done, on_refused=failed, quiet=True)

    def show_counts(self, c: dict[str, Any]) -> None:
        self.counts = c
        u, inc = c["units"], c["incidents"]
        self.figures["units"].setText(str(u["total"] - u.get("out_of_service", 0)))
        self.figures["available"].setText(str(u.get("available", 0)))
        for p in ("P1", "P2", "P3", "P4"):
            self.figures[p].setText(str(inc.get(p, 0)))
        self.figures["overdue"].setText(str(c["overdue"]))
        self.figures["alerts"].setText(str(c["alerts"]["open"]))
        for key, label in self.figures.items():  # a colour only where there is something: 0 stays quiet
            want = "zero" if label.text() == "0" else ("units" if key in ("units", "available") else key)
            if label.property("wall") != want:
                label.setProperty("wall", want)
                label.style().unpolish(label)
                label.style().polish(label)
        self.figures["units"].setToolTip(self.tr("%1 units, %2 stale").replace("%1", str(u["total"]))
                                         .replace("%2", str(u["stale"])))
