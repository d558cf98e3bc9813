"""What the console's live map (console/map/page.py) and the exported track map (dispatch/record/export.py) both
put on a folium map."""

from __future__ import annotations

from typing import Any


def add_metric_scale(m: Any) -> None:
    """The scale bar in metres and kilometres only: folium's `control_scale` adds a second line in miles and feet,
    which nobody at a Chinese bureau reads."""
    from branca.element import MacroElement
    from jinja2 import Template

    class MetricScale(MacroElement):  # type: ignore[misc]
        _template = Template("{% macro script(this, kwargs) %}L.control.scale({metric: true, imperial: false})"
                             ".addTo({{ this._parent.get_name() }});{% endmacro %}")

    MetricScale().add_to(m)
