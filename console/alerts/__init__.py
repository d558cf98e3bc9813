"""Construction-waste and waterway supervision in the console: the Alerts tab and the zones on the map.

`install(window)` adds the Alerts side tab to a MainWindow, draws the zones (sites, route corridors,
restricted, patrol and protection areas) and the alerts on the map (resources/map/zones.js, loaded into
the page when it is ready), and redraws them when the core says zones or alerts changed. Beside it the
Zones tab draws and edits zones on the map (zone_editor.py, resources/map/zoneedit.js) and the Truck tab
is the card of the truck selected on the map or the unit board, where its permits are edited (truck_card.py).
"""

from __future__ import annotations

from typing import Any

__all__ = ["AlertsView", "install"]


def __getattr__(name: str) -> Any:
    """`install` and `AlertsView` load the widgets when asked for: the alerts' words (words.py, describe.py) are
    used without Qt too (`ctl alert incident`, which never loads Qt)."""
    if name in __all__:
        from console.alerts import view

        return getattr(view, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
