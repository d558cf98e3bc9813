"""The analytics dashboard: the figures that look back, drawn with pyqtgraph, following the live data."""

from __future__ import annotations

from typing import Any


def install(window: Any, incidents: Any) -> Any:
    """The dashboard as a dock under the map (View → Dashboard, Ctrl+Shift+D), hidden until asked for; its
    clicks filter the incident queue and the map through `incidents` (console.incidents' controller)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QDockWidget, QTabWidget

    from console.analytics.dashboard import Dashboard
    from console.analytics.evaluation import Evaluation, Utilisation
    from console.analytics.followup import Hotspots, Supervision
    from console.incidents.common import run_op
    from console.operations import get_bus

    dash = Dashboard(window.core.clock, window)
    evaluation = Evaluation(dash.window, window)
    tabs = QTabWidget(window)
    tabs.addTab(dash, window.tr("Charts"))
    tabs.addTab(evaluation, window.tr("Evaluation"))
    units = Utilisation(dash.window, window)
    tabs.addTab(units, window.tr("Unit utilisation"))
    spots = Hotspots(dash.window, window)
    tabs.addTab(spots, window.tr("Hotspots and plans"))
    supervision = Supervision(dash.window, window)
    tabs.addTab(supervision, window.tr("Supervision"))
    pages = {1: evaluation, 2: units, 3: spots, 4: supervision}

    def shown(i: int) -> None:  # a table is fetched when its tab is shown, and again when the period changes
        page = pages.get(i)
        if page is not None:
            page.refresh()

    tabs.currentChanged.connect(shown)
    dash.period.currentIndexChanged.connect(lambda _i: shown(tabs.currentIndex()))
    dock = QDockWidget(window.tr("Dashboard"), window)
    dock.setObjectName("dashboardDock")
    dock.setWidget(tabs)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    action = dock.toggleViewAction()
    action.setText(window.tr("Dashboard"))
    action.setShortcut(QKeySequence("Ctrl+Shift+D"))
    if hasattr(window, "view_menu"):
        window.view_menu.addAction(action)
    dock.visibilityChanged.connect(lambda shown: shown and dash.refresh())
    get_bus().operation_did_execute.connect(lambda changes, _src: dash.note_changes(changes))
    window.core.subscribe(dash.note_changes)

    def pick(where: dict[str, Any], label: str) -> None:
        run_op(dash, "analytics.select", where, on_done=lambda ids: incidents.panel.show_only(ids, label))

    dash.filter_requested.connect(pick)
    dash.density_changed.connect(window.map.push_density)
    window.dashboard, window.dashboard_dock, window.evaluation, window.utilisation = dash, dock, evaluation, units
    window.hotspots, window.supervision = spots, supervision
    window.report_action = add_report_action(window, dash)
    return dash


def write_report(window: Any, path: str, t1: float, t2: float, *, lang: str, done: Any = None) -> None:
    """The shift report of [t1, t2) written to `path` (.html or .pdf): data read on the core worker, laid out and
    written on the GUI thread (the charts are drawn by pyqtgraph, the PDF printed by Qt WebEngine)."""
    from pathlib import Path

    from console.operations import DispatchOp, seat_actor
    from console.report.html import render
    from dispatch.city.data import load_city

    def laid_out(data: dict[str, Any]) -> None:
        page = render(data, lang=lang, city=load_city().geojson())
        out = Path(path)
        try:
            if out.suffix.lower() == ".pdf":
                from PySide6.QtWidgets import QApplication

                from console.report.pdf import html_to_pdf

                html_to_pdf(QApplication.instance(), page, out)
            else:
                out.write_text(page, encoding="utf-8")
        except (OSError, RuntimeError) as exc:
            window.statusBar().showMessage(window.tr("Report not written: %1").replace("%1", str(exc)), 15000)
            return
        window.statusBar().showMessage(window.tr("Report written: %1").replace("%1", str(out)), 15000)
        if done is not None:
            done(str(out))

    from dispatch import ops

    def fetch(core: Any) -> dict[str, Any]:  # through the hub on an attached seat
        return ops.call(core, "analytics.report", {"start": t1, "end": t2}, actor=seat_actor())

    DispatchOp(parent=window, op=fetch).success(laid_out).run_in_background()


def add_report_action(window: Any, dash: Any) -> Any:
    """File (or View) → Shift report…: the dashboard's period, to HTML or PDF."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QFileDialog

    from console.i18n import current_language

    action = QAction(window.tr("Shift report…"), window)
    action.setShortcut("Ctrl+Shift+R")

    def ask() -> None:
        path, _ = QFileDialog.getSaveFileName(window, window.tr("Shift report"), "shift-report.html",
                                              "HTML (*.html);;PDF (*.pdf)")
        if path:
            t1, t2 = dash.window()
            write_report(window, path, t1, t2, lang=current_language())

    action.triggered.connect(ask)
    menu = getattr(window, "file_menu", None) or getattr(window, "view_menu", None)
    if menu is not None:
        menu.addAction(action)
    return action
