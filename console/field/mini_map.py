"""The field window's small map: the assignment's place and the unit's own position, both kept in view."""

from __future__ import annotations

import json
import time
from typing import Any

from PySide6.QtWidgets import QWidget

KIND_OF_ID = (("clean", 1), ("boat", 0), ("officer", 2), ("truck", 3))
TARGET_ID = 1  # the assignment's pin: the only one on this map's incident layer
PRIORITIES = ("P1", "P2", "P3", "P4")


def build_map(unit_id: str, lang: str, parent: QWidget) -> Any:
    """The map page of the demo city's geometry (a `console.map.view.MapView`)."""
    from console.map.view import MapView
    from dispatch.city.data import load_city

    view = MapView(load_city().geojson(), lang=lang, page_name=f"field-{unit_id}.html", parent=parent)
    view.setMinimumHeight(220)
    return view


def map_rows(unit_id: str, own: tuple[float, float] | None, busy: bool, name: str | None = None,
             kind: str | None = None) -> list[list[Any]]:
    """The unit's own row for `MapView.push_rows` (none without a position), as assigned while it has a job; its
    kind as the hub's welcome says, else as its id suggests."""
    from console.map.view import KIND_INDEX

    if own is None:
        return []
    index = KIND_INDEX.get(kind) if kind else None
    if index is None:
        index = next((k for part, k in KIND_OF_ID if part in unit_id), 0)
    return [[unit_id, own[0], own[1], None, index, 1 if busy else 0, 0, name or unit_id]]


def overdue(a: dict[str, Any] | None, now: float | None = None) -> bool:
    """The assignment's running deadline has passed (as the message said, or by the clock since)."""
    d = a.get("deadline") if a else None
    if not isinstance(d, dict) or not d.get("due"):
        return False
    return bool(d.get("overdue")) or float(d["due"]) < (time.time() if now is None else now)


def target_item(a: dict[str, Any] | None, title: str) -> dict[str, Any] | None:
    """The assignment's place as the console's map draws an incident (incidents.js): a pin in its priority's
    colour with its title pinned beside it, ringed once its deadline has passed; a task's without a priority in the
    task colour. None without a place."""
    if a is None or a.get("lat") is None or a.get("lon") is None:
        return None
    priority = a.get("priority") if a.get("priority") in PRIORITIES else ""
    return {"id": TARGET_ID, "lat": float(a["lat"]), "lon": float(a["lon"]), "priority": priority,
            "state": str(a.get("state") or ""), "overdue": overdue(a), "open": True, "label": title, "pin": True,
            "task": bool(a.get("task_id"))}


def task_area(a: dict[str, Any] | None, title: str) -> list[dict[str, Any]]:
    """A task's area to sweep, when its assignment carries one (as the console shades a task)."""
    if a is None or not a.get("task_id") or not isinstance(a.get("area"), dict):
        return []
    return [{"id": str(a["task_id"]), "name": title, "state": "active", "coverage": None, "area": a["area"],
             "label": title}]


def show(view: Any, a: dict[str, Any] | None, title: str, own_rows: list[list[Any]]) -> None:
    """Draw the assignment's place (and a task's area) and the unit itself, and fit the view to them, close
    enough to read the river banks."""
    target, areas = target_item(a, title), task_area(a, title)
    view.push_incidents([target] if target is not None else [])
    view.push_tasks(areas)
    if own_rows:
        view.push_rows(own_rows)
    pts = ([[target["lat"], target["lon"]]] if target is not None else []) + [[r[1], r[2]] for r in own_rows]
    for t in areas:  # a sweep: its whole area in view, not only the point inside it
        pts += _corners(t["area"])
    if pts and view.is_ready:
        view.run(f"window.consoleMap.fitBounds({json.dumps(pts)}, {{maxZoom: 15, padding: [40, 40]}})")


def _corners(geometry: dict[str, Any]) -> list[list[float]]:
    """South-west and north-east corners (lat, lon) of a GeoJSON geometry (lon/lat); none when it is malformed."""
    from shapely.geometry import shape

    try:
        west, south, east, north = shape(geometry).bounds
    except Exception:  # noqa: BLE001 -- a malformed area: the pin and the unit are still fitted
        return []
    if any(v != v for v in (west, south, east, north)):  # an empty geometry's bounds are NaN
        return []
    return [[south, west], [north, east]]
