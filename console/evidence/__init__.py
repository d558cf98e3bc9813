"""Video evidence in the console: the cameras on the map with their view cones, and a dock with an incident's
clips, the footage found for it and a player (Qt Multimedia) with frame stepping and a frame grab."""

from __future__ import annotations

from typing import Any


def install(window: Any) -> Any:
    """View → Video evidence (Ctrl+Shift+V), a dock under the map, and View → Cameras on the map."""
    import json

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QDockWidget

    from console.evidence.panel import EvidencePanel
    from console.incidents.common import run_op
    from console.operations import get_bus

    panel = EvidencePanel(window)
    dock = QDockWidget(window.tr("Video evidence"), window)
    dock.setObjectName("evidenceDock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    dock.visibilityChanged.connect(lambda shown: shown and panel.load_cameras())
    action = dock.toggleViewAction()
    action.setText(window.tr("Video evidence"))
    action.setShortcut(QKeySequence("Ctrl+Shift+V"))
    cams = QAction(window.tr("Cameras on the map"), window)
    cams.setCheckable(True)
    cams.setShortcut(QKeySequence("Ctrl+Shift+C"))

    def push(items: list[dict[str, Any]]) -> None:
        window.map.run(f"ConsoleCameras.update({json.dumps(items, ensure_ascii=False)})")

    def refresh_cameras() -> None:
        if cams.isChecked():
            run_op(window, "cameras.map", {}, on_done=push, quiet=True)
        else:
            push([])

    cams.toggled.connect(lambda _on: refresh_cameras())

    def changed(changes: Any, _src: Any = None) -> None:
        if any(e.startswith("camera:") for e in getattr(changes, "entities", ())):
            refresh_cameras()
            panel.load_cameras()

    get_bus().operation_did_execute.connect(changed)
    if hasattr(window, "view_menu"):
        window.view_menu.addAction(action)
        window.view_menu.addAction(cams)
    window.evidence, window.evidence_dock, window.cameras_action = panel, dock, cams
    window.refresh_cameras = refresh_cameras
    return panel
