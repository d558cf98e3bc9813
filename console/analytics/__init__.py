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
    from console.analytics.evaluation import Evaluation
    from console.incidents.common import run_op
    from console.operations import get_bus

    dash = Dashboard(window.core.clock, window)
    evaluation = Evaluation(dash.window, window)
    tabs = QTabWidget(window)
    tabs.addTab(dash, window.tr("Charts"))
    tabs.addTab(evaluation, window.tr("Evaluation"))
    tabs.currentChanged.connect(lambda i: i == 1 and evaluation.refresh())
    dash.period.currentIndexChanged.connect(lambda _i: tabs.currentIndex() == 1 and evaluation.refresh())
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
    window.dashboard, window.dashboard_dock, window.evaluation = dash, dock, evaluation
    return dash
