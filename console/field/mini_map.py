"""The field window's small map: the assignment's place and the unit's own position, both kept in view."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QWidget

KIND_OF_ID = (("clean", 1), ("boat", 0), ("officer", 2), ("truck", 3))
TARGET_ROW = "__target__"


def build_map(unit_id: str, lang: str, parent: QWidget) -> Any:
    """The map page of the demo city's geometry (a `console.map.view.MapView`)."""
    from console.map.view import MapView
    from dispatch.city.data import load_city

    view = MapView(load_city().geojson(), lang=lang, page_name=f"field-{unit_id}.html", parent=parent)
    view.setMinimumHeight(220)
    return view


def map_rows(unit_id: str, target: tuple[float, float, str] | None,
             own: tuple[float, float] | None) -> list[list[Any]]:
    """The rows `MapView.push_rows` draws: the target (lat, lon, title) and the unit itself."""
    from console.map.view import KIND_INDEX

    rows: list[list[Any]] = []
    if target is not None:
        rows.append([TARGET_ROW, float(target[0]), float(target[1]), None, KIND_INDEX["ais"], 2, 0, target[2]])
    if own is not None:
        kind = next((k for part, k in KIND_OF_ID if part in unit_id), 0)
        rows.append([unit_id, own[0], own[1], None, kind, 1 if target is not None else 0, 0, unit_id])
    return rows


def show_rows(view: Any, rows: list[list[Any]]) -> None:
    """Draw the rows, select the first and fit the view to them, close enough to read the river banks."""
    if not rows:
        return
    view.push_rows(rows)
    view.select(rows[0][0], centre=False)
    if view.is_ready:
        pts = json.dumps([[r[1], r[2]] for r in rows])
        view.run(f"(function(){{for (var k in window) {{ if (k.indexOf('map_') === 0 && "
                 f"window[k] instanceof L.Map) {{ window[k].fitBounds({pts}, "
                 f"{{maxZoom: 15, padding: [40, 40]}}); break; }} }} }})()")
