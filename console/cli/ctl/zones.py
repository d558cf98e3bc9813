"""ctl zones [import FILE | export FILE | remove ID | tz NAME], ctl companies import, ctl trucks import, ctl permits."""

from __future__ import annotations

import argparse
import json
from typing import Any

from console.cli.ctl import iso, table


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("zones", parents=[common], help="list zones; import or export them as GeoJSON")
    p.add_argument("--kind", help="only zones of this kind")
    p.set_defaults(build=lambda a: ("zones", {"kind": a.kind}), render=_render_zones)
    zsub = p.add_subparsers(dest="zones_command", metavar="ACTION")
    imp = zsub.add_parser("import", parents=[common],
                          help="record every feature of a GeoJSON FeatureCollection as a zone (all or nothing)")
    imp.add_argument("file")
    imp.set_defaults(build=lambda a: ("zones.import", {"geojson": read_json(a.file, "GeoJSON"), "source": a.file}),
                     render=_render_imported)
    exp = zsub.add_parser("export", parents=[common], help="write the zones as a GeoJSON FeatureCollection")
    exp.add_argument("file", help="the file to write ('-' for standard output)")
    exp.set_defaults(build=lambda a: ("zones.export", {}), render=_render_export, after=_write_export)
    rm = zsub.add_parser("remove", parents=[common], help="remove a zone (its history stays in the log)")
    rm.add_argument("zone_id")
    rm.set_defaults(build=lambda a: ("zone.remove", {"zone_id": a.zone_id}), render=lambda r, a: f"removed {r['removed']}")
    tz = zsub.add_parser("tz", parents=[common], help="set the bureau's time zone for hours (default Asia/Shanghai)")
    tz.add_argument("tz")
    tz.set_defaults(build=lambda a: ("zones.set_tz", {"tz": a.tz}), render=lambda r, a: f"time zone {r['tz']}")

    comp = sub.add_parser("companies", parents=[common], help="transport companies: import from CSV or JSON")
    csub = comp.add_subparsers(dest="companies_command", metavar="ACTION", required=True)
    ci = csub.add_parser("import", parents=[common], help="CSV with a header (id,name,permit_no,valid_from,valid_to) "
                                                         "or a JSON list of such objects")
    ci.add_argument("file")
    ci.set_defaults(build=lambda a: ("companies.import", {"companies": read_rows(a.file, "id")}),
                    render=lambda r, a: f"saved {len(r['saved'])} compan{'y' if len(r['saved']) == 1 else 'ies'}")
    trucks = sub.add_parser("trucks", parents=[common], help="trucks' permits: import from CSV or JSON")
    tsub = trucks.add_subparsers(dest="trucks_command", metavar="ACTION", required=True)
    ti = tsub.add_parser("import", parents=[common],
                         help="CSV with a header (plate,unit_id,company,routes,sites,hours,valid_from,valid_to; "
                              "routes and sites ';'-separated zone ids or names) or a JSON list")
    ti.add_argument("file")
    ti.set_defaults(build=lambda a: ("trucks.import", {"trucks": read_rows(a.file, "plate")}), render=_render_trucks)
    perm = sub.add_parser("permits", parents=[common], help="list trucks' permits beside their companies'")
    perm.set_defaults(build=lambda a: ("permits", {}), render=_render_permits)


def read_json(path: str, what: str) -> Any:
    """:raises Refused: the file cannot be read or is not JSON."""
    import sys

    from dispatch.errors import Refused

    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8-sig").read()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"cannot read {path}: {exc}", "bad_file") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise Refused(f"{path} is not {what}: not valid JSON ({exc})", "not_geojson") from None


def read_rows(path: str, key: str) -> list[dict[str, Any]]:
    """Rows of a JSON list of objects or a CSV with a header naming at least `key` (UTF-8, BOM allowed).

    :raises Refused: the file cannot be read or is neither.
    """
    import csv
    import io
    import sys

    from dispatch.errors import Refused

    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8-sig").read()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"cannot read {path}: {exc}", "bad_file") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise Refused(f"{path}: not valid JSON: {exc}", "bad_file") from None
        return rows if isinstance(rows, list) else []
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or key not in [f.strip() for f in reader.fieldnames]:
        raise Refused(f"{path}: a CSV file needs a header line naming at least {key}", "bad_file")
    return [{k.strip(): (v or "").strip() for k, v in r.items() if k} for r in reader]


def _render_zones(zones: list[dict[str, Any]], _a: Any) -> str:
    rows = [[z["id"], z["kind"], z["name"], z.get("width_m", ""), z.get("hours", ""), ",".join(z.get("units", [])),
             z.get("speed_limit_kmh", ""), z["version"], iso(z.get("updated"))] for z in zones]
    return table(rows, ["id", "kind", "name", "width_m", "hours", "units", "limit_kmh", "ver", "updated"])


def _render_imported(r: dict[str, Any], _a: Any) -> str:
    return (f"imported: {len(r['added'])} added, {len(r['updated'])} updated, {len(r['unchanged'])} unchanged"
            + (f" ({', '.join(r['added'] + r['updated'])})" if r["added"] or r["updated"] else ""))


def _write_export(r: dict[str, Any], a: Any) -> None:
    import sys

    text = json.dumps(r, ensure_ascii=False, indent=1)
    if a.file == "-":
        sys.stdout.write(text + "\n")
        return
    with open(a.file, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")


def _render_export(r: dict[str, Any], a: Any) -> str:
    return "" if a.file == "-" else f"exported {len(r['features'])} zone(s) to {a.file}"


def _render_trucks(r: dict[str, Any], _a: Any) -> str:
    out = f"saved {len(r['saved'])} truck permit(s)"
    if r["registered"]:
        out += f"; registered as units: {', '.join(r['registered'])}"
    return out


def _render_permits(rows: list[dict[str, Any]], _a: Any) -> str:
    return table([[p["unit_id"], p["plate"], p.get("company_name") or p.get("company") or "", p.get("company_permit") or "",
                   p.get("company_valid_to") or "", ";".join(p["routes"]), ";".join(p["sites"]), p.get("hours") or "",
                   p.get("valid_to") or ""] for p in rows],
                 ["unit", "plate", "company", "company permit", "valid to", "routes", "sites", "hours", "truck valid to"])
