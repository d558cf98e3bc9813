"""The dashboard dock: a period, its figures and charts (time and place hotspots, response times,
satisfaction); a click on a bar or a cell filters the incident queue and the map to those incidents.

It renders what `analytics.dashboard` returns, fetched off the GUI thread; no figure is computed here.
"""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.incidents.common import category_label, source_label


def place_label(name: str | None) -> str:
    """A district's or river segment's name (the figures are kept by its Chinese name) in the UI's language."""
    if not name:
        return "—"
    from console.i18n import current_language

    if current_language().startswith("zh"):
        return name
    from dispatch.city.data import load_city

    city = load_city()
    return next((p.name_en for p in (*city.districts, *city.segments) if p.name == name), name)


PERIODS = (("shift", 12 * 3600), ("day", 86400), ("week", 7 * 86400), ("month", 30 * 86400), ("custom", 0))
BAR_LABEL_PX = 48  # the least room a bar's label gets (more when the chart has fewer bars)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Dashboard(QWidget):
    """Figures and charts of one period; `filter_requested(where, label)` when a bar or a cell is clicked."""

    filter_requested = Signal(dict, str)
    density_changed = Signal(list)  # [[south, west, north, east, count]] for the map's density layer

    def __init__(self, clock: Any, parent: QWidget | None = None, *, refresh_ms: int = 5000) -> None:
        super().__init__(parent)
        self.clock = clock
        self.data: dict[str, Any] = {}
        self.period = QComboBox(self)
        labels = {"shift": self.tr("This shift (12 h)"), "day": self.tr("Last 24 hours"), "week": self.tr("Last 7 days"),
                  "month": self.tr("Last 30 days"), "custom": self.tr("Custom…")}
        for key, _s in PERIODS:
            self.period.addItem(labels[key], key)
        self.period.setCurrentIndex(2)
        self.start = QDateTimeEdit(self)
        self.end = QDateTimeEdit(self)
        for e in (self.start, self.end):
            e.setCalendarPopup(True)
            e.setDisplayFormat("yyyy-MM-dd HH:mm")
            e.setEnabled(False)
        self.density = QCheckBox(self.tr("Density on the map"), self)
        self.density.toggled.connect(self._push_density)
        refresh = QPushButton(self.tr("Refresh"), self)
        refresh.clicked.connect(self.refresh)
        self.figures = QLabel(self)
        self.figures.setObjectName("dashboardFigures")
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Period"), self))
        bar.addWidget(self.period)
        bar.addWidget(self.start)
        bar.addWidget(QLabel("—", self))
        bar.addWidget(self.end)
        bar.addWidget(refresh)
        bar.addWidget(self.density)
        bar.addStretch(1)

        self.plots: dict[str, Any] = {}  # made when the dashboard is first shown or drawn (_make_plots)
        self._grid = QGridLayout()
        titles = {"hour": self.tr("By hour of day"), "heat": self.tr("Weekday × hour"), "category": self.tr("By category"),
                  "source": self.tr("By source"), "district": self.tr("By district"), "segment": self.tr("By river segment"),
                  "dispatch": self.tr("Report to dispatch (min)"), "arrive": self.tr("Report to on scene (min)"),
                  "close": self.tr("Report to closed (min)"), "satisfaction": self.tr("Satisfaction (1-5)"),
                  "company": self.tr("Truck alerts by company")}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.figures)
        lay.addLayout(self._grid, 1)

        self.titles = titles
        theme.notifier().changed.connect(self._theme_changed)
        self.period.currentIndexChanged.connect(self._on_period)
        self._loading = False
        self._dirty = True
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._poll)
        self.timer.start(refresh_ms)
        self._on_period()

    def _make_plots(self) -> None:
        """The eleven charts, made the first time the dashboard is shown or drawn, not with the console's
        window: the dock starts hidden, and pyqtgraph's import and the charts cost ~0.6 s of start-up."""
        if self.plots:
            return
        import pyqtgraph as pg

        for i, (key, title) in enumerate(self.titles.items()):
            w = pg.PlotWidget(self, background=None)  # the console's own background (light or dark theme)
            w.setMinimumHeight(150)
            w.setMenuEnabled(False)
            w.setMouseEnabled(x=False, y=False)
            w.setTitle(title, size="9pt")
            w.scene().sigMouseClicked.connect(lambda ev, k=key, pw=w: self._clicked(k, pw, ev))
            self.plots[key] = w
            self._grid.addWidget(w, i // 6, i % 6)
        self._restyle()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        self._make_plots()
        super().showEvent(event)

    def _theme_changed(self, _name: str) -> None:
        self._restyle(redraw=True)

    def _restyle(self, redraw: bool = False) -> None:
        """Axes, titles and bars in the theme's colours (at start and when day/night is switched)."""
        ink = theme.colour("text")
        for key, w in self.plots.items():
            for side in ("left", "bottom"):
                w.getPlotItem().getAxis(side).setTextPen(ink)
                w.getPlotItem().getAxis(side).setPen(ink)
            w.setTitle(self.titles[key], size="9pt", color=ink.name())
        if redraw and self.data:
            for w in self.plots.values():
                w.getPlotItem().clear()
                w.getPlotItem()._bars = None
            self.show_data(self.data)

    # ------------------------------------------------------------ period
    def window(self) -> tuple[float, float]:
        key = self.period.currentData()
        if key == "custom":
            return self.start.dateTime().toSecsSinceEpoch(), self.end.dateTime().toSecsSinceEpoch()
        span = dict(PERIODS)[key]
        t2 = float(self.clock())
        return t2 - span, t2 + 1

    def _on_period(self) -> None:
        custom = self.period.currentData() == "custom"
        for e in (self.start, self.end):
            e.setEnabled(custom)
        if not custom:
            t1, t2 = self.window()
            self.start.setDateTime(QDateTime.fromSecsSinceEpoch(int(t1)))
            self.end.setDateTime(QDateTime.fromSecsSinceEpoch(int(t2)))
        if self.isVisible():
            self.refresh()
        else:  # hidden (the dock starts so): fetched when shown (the dock's visibilityChanged, _poll)
            self._dirty = True

    def note_changes(self, changes: Any) -> None:
        if getattr(changes, "incidents", False):
            self._dirty = True

    def _poll(self) -> None:
        if self._dirty and self.isVisible():
            self.refresh()

    # ------------------------------------------------------------ data
    def refresh(self) -> None:
        if self._loading:
            self._dirty = True
            return
        from console.operations import DispatchOp, seat_actor
        from dispatch import ops

        self._loading = True
        self._dirty = False
        t1, t2 = self.window()
        started = time.perf_counter()

        def done(data: dict[str, Any]) -> None:
            self._loading = False
            self.show_data(data)
            self.last_refresh_ms = (time.perf_counter() - started) * 1000

        def failed(exc: BaseException) -> None:
            self._loading = False
            self.figures.setText(self.tr("Dashboard not available: %1").replace("%1", str(exc)))

        DispatchOp(parent=self, op=lambda core: ops.call(core, "analytics.dashboard", {"start": t1, "end": t2},
                                                          actor=seat_actor())).success(done).failure(failed)\
            .run_in_background()

    def _push_density(self) -> None:
        self.density_changed.emit(list(self.data.get("density") or []) if self.density.isChecked() else [])

    def show_data(self, d: dict[str, Any]) -> None:
        """Draw one period's data (the result of `analytics.dashboard`)."""
        from console.report import charts

        self._make_plots()
        self.data = d
        if self.density.isChecked():
            self._push_density()
        enforcement = self.case_figures(d.get("cases"))
        if not d.get("count"):
            self.figures.setText(self.tr("No incident in this period.") + enforcement)
            for w in self.plots.values():
                w.getPlotItem().clear()
            return
        s = d["total"]

        def pct(v: Any) -> str:
            return "—" if v is None else f"{100 * v:.0f}%"

        parts = [(self.tr("Cases reported"), d["count"]), (self.tr("Cases filed"), s["filed"]), (self.tr("Cases closed"), s["closed"]),
                 (self.tr("Closure rate"), pct(s["closure_rate"])), (self.tr("On-time rate"), pct(s["on_time_rate"])),
                 (self.tr("Rework rate"), pct(s["rework_rate"])),
                 (self.tr("Satisfaction"), "—" if s["satisfaction_mean"] is None else s["satisfaction_mean"]),
                 (self.tr("Score"), "—" if s["score"] is None else s["score"])]
        self.figures.setText("&nbsp;&nbsp;".join(f"{k} <b>{v}</b>" for k, v in parts) + enforcement)
        bar = theme.value("chart_bar")
        charts.bar_plot(self.plots["hour"].getPlotItem(), [str(h) if h % 3 == 0 else "" for h in range(24)], d["by_hour"],
                        colour=bar)
        charts.heat_plot(self.plots["heat"].getPlotItem(), d["hour_weekday"])
        self.plots["heat"].getPlotItem().getAxis("left").setTicks(
            [[(i + 0.5, self.tr(w)) for i, w in enumerate(WEEKDAYS)]])
        for key, rows in (("category", d["by_category"]), ("source", d["by_source"]), ("district", d["by_district"]),
                          ("segment", d["by_segment"])):
            label = {"category": category_label, "source": source_label}.get(key, place_label)
            shown = rows[:6]
            names = [label(r["key"]) for r in shown]
            charts.bar_plot(self.plots[key].getPlotItem(), [self._short(n, key, len(names)) for n in names],
                            [r["count"] for r in shown], colour=bar)
            self.plots[key].setToolTip("\n".join(f"{n}: {r['count']}" for n, r in zip(names, shown, strict=True)))
        for key in ("dispatch", "arrive", "close"):
            r = d["response"][key]
            labels = [f"{b:g}" for b in r["bins_min"][:-1]]
            charts.bar_plot(self.plots[key].getPlotItem(), [lb if i % 3 == 0 else "" for i, lb in enumerate(labels)],
                            r["counts"], colour=theme.value("chart_a"))
            med = "—" if r["median_min"] is None else f"{r['median_min']:.0f}"
            p90 = "—" if r["p90_min"] is None else f"{r['p90_min']:.0f}"
            # the figures on a line of their own: beside the title they were cut off (a sixth of the dock's width)
            self.plots[key].setTitle(f"{html.escape(self._title(key))}<br>{html.escape(self.tr('median'))} {med}"
                                     f" · p90 {p90}", size="9pt", color=theme.colour("text").name())
        charts.bar_plot(self.plots["satisfaction"].getPlotItem(), ["1", "2", "3", "4", "5"], d["satisfaction"],
                        colour=theme.value("chart_b"))
        companies = (d.get("alerts_by_company") or [])[:6]
        names = [r["name"] or self.tr("(no papers)") for r in companies]
        charts.bar_plot(self.plots["company"].getPlotItem(),
                        [self._short(n, "company", len(names)) for n in charts.distinct_parts(names)],
                        [r["count"] for r in companies], colour=theme.value("chart_c"))
        self.plots["company"].setToolTip("\n".join(
            f"{n}: {r['count']} ({', '.join(f'{k} {v}' for k, v in r['by_rule'].items())})"
            for n, r in zip(names, companies, strict=True)))

    def _short(self, name: str, key: str, bars: int) -> str:
        """A bar's label cut to what fits under it, by its width in this font, not its count of characters
        (five Chinese characters are as wide as nine Latin letters); the chart's tooltip has it whole."""
        width = self.plots[key].getPlotItem().getViewBox().width()
        room = max(BAR_LABEL_PX, int(0.9 * width / max(bars, 1))) if width > 0 else BAR_LABEL_PX
        return self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, room)

    def case_figures(self, c: dict[str, Any] | None) -> str:
        """The enforcement cases now (not the period's): open, overdue in red, penalties awaiting approval,
        overturned on review."""
        if not c:
            return ""
        late = f"<b style='color:#b71c1c'>{c['overdue']}</b>" if c["overdue"] else "<b>0</b>"
        return ("&nbsp;&nbsp;|&nbsp;&nbsp;" + self.tr("Enforcement cases open") + f" <b>{c['open']}</b>&nbsp;&nbsp;"
                + self.tr("overdue") + f" {late}&nbsp;&nbsp;" + self.tr("awaiting approval")
                + f" <b>{c.get('awaiting_approval', 0)}</b>&nbsp;&nbsp;" + self.tr("overturned on review")
                + f" <b>{c.get('overturned', 0)}</b>")

    def _title(self, key: str) -> str:
        return {"dispatch": self.tr("Report to dispatch (min)"), "arrive": self.tr("Report to on scene (min)"),
                "close": self.tr("Report to closed (min)")}[key]

    # ------------------------------------------------------------ clicks
    def where_at(self, key: str, x: float, y: float) -> tuple[dict[str, Any], str] | None:
        """What a click at data coordinates (x, y) on chart `key` selects: (filter, label), or None."""
        d = self.data
        if not d.get("count"):
            return None
        i = int(round(x))
        if key == "hour" and 0 <= i < 24:
            return {"hour": i}, self.tr("hour %1").replace("%1", str(i))
        if key == "heat":
            h, wd = int(x), int(y)
            if 0 <= h < 24 and 0 <= wd < 7:
                return {"hour": h, "weekday": wd}, f"{self.tr(WEEKDAYS[wd])} {h}:00"
            return None
        rows = {"category": d["by_category"], "source": d["by_source"], "district": d["by_district"],
                "segment": d["by_segment"]}.get(key)
        if rows is not None and 0 <= i < min(len(rows), 6):
            value = rows[i]["key"] or ""
            label = {"category": category_label, "source": source_label}.get(key, place_label)
            return {key: value}, label(value)
        return None

    def _clicked(self, key: str, widget: Any, ev: Any) -> None:
        vb = widget.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = vb.mapSceneToView(ev.scenePos())
        hit = self.where_at(key, p.x(), p.y())
        if hit is not None:
            t1, t2 = self.window()
            self.filter_requested.emit({"start": t1, "end": t2, **hit[0]}, hit[1])
