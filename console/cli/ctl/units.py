"""ctl units, ctl unit show ID, ctl unit status ID STATUS."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.ctl import iso, table


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("units", parents=[common], help="list units with status and last position")
    p.add_argument("--kind", choices=["patrol_boat", "cleaning_vessel", "officer", "truck"])
    p.set_defaults(build=lambda a: ("units", {"kind": a.kind}), render=_render_units)

    unit = sub.add_parser("unit", parents=[common], help="one unit: show, or set its status")
    usub = unit.add_subparsers(dest="unit_command", required=True)
    show = usub.add_parser("show", parents=[common])
    show.add_argument("unit_id")
    show.set_defaults(build=lambda a: ("unit.show", {"unit_id": a.unit_id}), render=lambda r, a: _render_units([r], a))
    st = usub.add_parser("status", parents=[common])
    st.add_argument("unit_id")
    st.add_argument("status", choices=["available", "out_of_service"])
    st.set_defaults(build=lambda a: ("unit.status", {"unit_id": a.unit_id, "status": a.status}),
                    render=lambda r, a: _render_units([r], a))
    bm = usub.add_parser("bind-mmsi", parents=[common],
                         help="bind an AIS MMSI to the unit (its AIS reports then move it); 'none' unbinds")
    bm.add_argument("unit_id")
    bm.add_argument("mmsi")
    bm.set_defaults(build=lambda a: ("unit.bind_mmsi", {"unit_id": a.unit_id,
                                                        "mmsi": None if a.mmsi.lower() == "none" else a.mmsi}),
                    render=lambda r, a: str(r))


def _render_units(units: list[dict[str, Any]], _args: Any) -> str:
    rows = [
        [u["id"], u["name"], u["kind"], u["status"] + (" (stale)" if u.get("stale") else ""),
         "" if u.get("lat") is None else f"{u['lat']:.6f}", "" if u.get("lon") is None else f"{u['lon']:.6f}",
         iso(u.get("time"))]
        for u in units
    ]
    return table(rows, ["id", "name", "kind", "status", "lat", "lon", "time"])
