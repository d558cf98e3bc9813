"""ctl places / places search Q / places import FILE: the gazetteer on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli.ctl import table


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("places", parents=[common], help="the gazetteer: search (Chinese, pinyin, English), import, list")
    psub = p.add_subparsers(dest="places_command")
    s = psub.add_parser("search", parents=[common], help="places matching a name, e.g. 柳江第5段, wenhui qiao, whq")
    s.add_argument("q", nargs="+")
    s.add_argument("--kind", help="only this kind (road, intersection, bridge, dock, district, site, segment...)")
    s.add_argument("--limit", type=int, default=10)
    s.set_defaults(build=lambda a: ("places.search", {"q": " ".join(a.q), "kind": a.kind, "limit": a.limit}),
                   render=_render)
    i = psub.add_parser("import", parents=[common], help="the bureau's places: GeoJSON points or CSV name,lat,lon,...")
    i.add_argument("file")
    i.set_defaults(build=_build_import, render=lambda r, a: f"{r['added']} places added ({r['given']} in the file)")
    p.set_defaults(build=lambda a: ("places", {}), render=_render)


def _build_import(a: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    from dispatch.errors import Refused

    try:
        text = Path(a.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"cannot read {a.file}: {exc}", "bad_file") from None
    return "places.import", {"text": text, "name": Path(a.file).name}


def _render(rows: list[dict[str, Any]], a: argparse.Namespace) -> str:
    if not rows:
        return "(no place)"
    return table([[r["name"], r["name_en"], r["kind"], f"{r['lat']:.5f},{r['lon']:.5f}", r["source"]] for r in rows],
                 ["name", "English", "kind", "lat,lon", "source"])
