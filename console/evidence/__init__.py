"""Video evidence in the console: the cameras on the map with their view cones, a dock with an incident's
clips, the footage found for it and a player (Qt Multimedia) with frame stepping and a frame grab, cameras live in
a grid, and the camera register's editor."""

from __future__ import annotations

from typing import Any


def install(window: Any) -> Any:
    """View → Video evidence (Ctrl+Shift+V), a dock under the map (clips and player; live views in a grid),
    View → Cameras on the map, and View → Camera register."""
    import json

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QDockWidget, QTabWidget

    from console.evidence.cameras import CameraEditor
    from console.evidence.live import LiveGrid
    from console.evidence.panel import EvidencePanel
    from console.incidents.common import run_op
    from console.operations import get_bus

    panel = EvidencePanel(window)
    live = LiveGrid(window)
    tabs = QTabWidget(window)
    tabs.addTab(panel, window.tr("Clips"))
    tabs.addTab(live, window.tr("Live views"))
    dock = QDockWidget(window.tr("Video evidence"), window)
    dock.setObjectName("evidenceDock")
    dock.setWidget(tabs)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()

    def shown(on: bool) -> None:
        if on:
            panel.load_cameras()
            live.load()
            live.resume()
        else:
            live.suspend()

    dock.visibilityChanged.connect(shown)
    editor = CameraEditor(window)
    editor.setWindowFlag(Qt.WindowType.Window, True)
    editor.resize(1200, 520)
    register = QAction(window.tr("Camera register…"), window)
    register.setShortcut(QKeySequence("Ctrl+Shift+E"))

    def open_register() -> None:
        editor.apply_permissions()
        editor.load()
        editor.show()
        editor.raise_()

    register.triggered.connect(open_register)
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
            live.load()
            if editor.isVisible():
                editor.load()

    get_bus().operation_did_execute.connect(changed)
    if hasattr(window, "view_menu"):
        window.view_menu.addAction(action)
        window.view_menu.addAction(cams)
        window.view_menu.addAction(register)
    window.evidence, window.evidence_dock, window.cameras_action = panel, dock, cams
    window.evidence_tabs, window.live_grid, window.camera_editor = tabs, live, editor
    window.camera_register_action = register
    window.refresh_cameras = refresh_cameras
    return panel
