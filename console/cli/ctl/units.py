"""ctl units, ctl unit show|status|bind-mmsi|bind-terminal|add|import: the fleet's roster and its units' state."""

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
    add = usub.add_parser("add", parents=[common], help="register a unit of the fleet")
    add.add_argument("unit_id", help="its id, e.g. boat-09, officer-31, truck-41")
    add.add_argument("--kind", required=True, choices=KINDS)
    add.add_argument("--name", help="the name dispatchers see (default: the id), e.g. 巡逻艇09 or a plate")
    add.add_argument("--mmsi", help="its AIS MMSI (9 digits), for boats")
    add.add_argument("--callsign")
    add.add_argument("--home", help="its base: a dock, site or patrol zone id of the city")
    add.add_argument("--terminal", help="its JT/T 808 terminal's number (the SIM's, e.g. 013912345678), for trucks")
    add.set_defaults(build=lambda a: ("units.register", {"units": [_row(a)]}), render=_render_registered)
    imp = usub.add_parser("import", parents=[common],
                          help="register the fleet from a roster: CSV with a header (id,kind,name,mmsi,callsign,home,terminal) "
                               "or a JSON list of such objects; units already registered are left as they are")
    imp.add_argument("file", help="the roster file ('-' for standard input)")
    imp.set_defaults(build=lambda a: ("units.register", {"units": read_roster(a.file)}), render=_render_registered)
    bm = usub.add_parser("bind-mmsi", parents=[common],
                         help="bind an AIS MMSI to the unit (its AIS reports then move it); 'none' unbinds")
    bm.add_argument("unit_id")
    bm.add_argument("mmsi")
    bm.set_defaults(build=lambda a: ("unit.bind_mmsi", {"unit_id": a.unit_id,
                                                        "mmsi": None if a.mmsi.lower() == "none" else a.mmsi}),
                    render=lambda r, a: str(r))
    bt = usub.add_parser("bind-terminal", parents=[common],
                         help="bind a JT/T 808 terminal (its number) to the unit (its reports then move it); "
                              "'none' unbinds")
    bt.add_argument("unit_id")
    bt.add_argument("terminal")
    bt.set_defaults(build=lambda a: ("unit.bind_terminal", {"unit_id": a.unit_id, "terminal": None if
                                                            a.terminal.lower() == "none" else a.terminal}),
                    render=lambda r, a: f"{r['id']}: terminal {r.get('terminal') or 'none'}")


KINDS = ["patrol_boat", "cleaning_vessel", "officer", "truck"]


def _row(a: argparse.Namespace) -> dict[str, Any]:
    row = {"id": a.unit_id, "kind": a.kind}
    for k in ("name", "mmsi", "callsign", "home", "terminal"):
        if getattr(a, k) is not None:
            row[k] = getattr(a, k)
    return row


def read_roster(path: str) -> list[dict[str, Any]]:
    """The rows of a roster file: a JSON list of objects, or CSV with a header line (UTF-8, BOM allowed).

    :raises Refused: the file cannot be read or is neither.
    """
    import csv
    import io
    import json
    import sys

    from dispatch.errors import Refused

    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8-sig").read()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"cannot read the roster {path}: {exc}", "bad_file") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise Refused(f"{path}: not valid JSON: {exc}", "bad_file") from None
        return rows if isinstance(rows, list) else []
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "id" not in [f.strip() for f in reader.fieldnames]:
        raise Refused(f"{path}: a CSV roster needs a header line with at least id and kind", "bad_file")
    return [{k.strip(): (v or "").strip() for k, v in r.items() if k} for r in reader]


def _render_registered(r: dict[str, Any], _args: Any) -> str:
    out = [f"registered {len(r['registered'])} unit(s)" + (f": {', '.join(r['registered'])}" if r["registered"] else "")]
    if r["existing"]:
        out.append(f"already registered, left as they are: {', '.join(r['existing'])}")
    return "\n".join(out)


def _render_units(units: list[dict[str, Any]], _args: Any) -> str:
    rows = [
        [u["id"], u["name"], u["kind"], u["status"] + (" (stale)" if u.get("stale") else ""),
         "" if u.get("lat") is None else f"{u['lat']:.6f}", "" if u.get("lon") is None else f"{u['lon']:.6f}",
         iso(u.get("time"))]
        for u in units
    ]
    return table(rows, ["id", "name", "kind", "status", "lat", "lon", "time"])
